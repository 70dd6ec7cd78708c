//! Input formats beyond the scenario file, each parsed into the types the engine takes.

pub(crate) mod apigateway;
pub(crate) mod azure;
pub(crate) mod cloudformation;
pub(crate) mod cloudfront;
pub(crate) mod config;
pub(crate) mod convert;
pub(crate) mod convert_aws;
pub mod har;
pub(crate) mod openapi;
pub(crate) mod reading;
pub(crate) mod s3;
pub(crate) mod yaml;

/// A document that deploys layers in front of a function: a CloudFormation or SAM template, or
/// an API Gateway OpenAPI export; None when `text` is neither.
pub fn aws_stacks(
    text: &str,
    file: &str,
) -> Option<Result<cloudformation::Template, crate::scenario::LoadErrors>> {
    cloudformation::load(text, file)
        .or_else(|| openapi::load(text, file))
        .or_else(|| cloudfront::load(text, file))
}

#[cfg(test)]
pub(crate) mod tests {
    /// A configuration file from `tests/fixtures/configs/`.
    pub(crate) fn config_fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/configs/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}
