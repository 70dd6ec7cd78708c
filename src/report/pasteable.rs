//! A bucket's fix as something to paste: the whole corrected configuration in the spelling the
//! user gave, and the command (or console steps) that applies it.

use crate::analysis::fix::HeaderPolicy;
use crate::formats::config::{LoadedConfig, Spelling};
use crate::formats::convert::{self, Target};
use crate::formats::s3::S3Spelling;
use crate::scenario::{CorsConfiguration, CorsRule, Provider};

/// The corrected configuration and how to apply it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasteable {
    pub text: String,
    /// Shell commands or console steps, in order; `FILE` where the file goes.
    pub apply: Vec<String>,
    pub notes: Vec<String>,
}

/// A fix as plain text to paste: what to change, the rule diff or the header lines, and for a
/// server without rules the same headers as nginx, Express and tower-http set them.
pub fn fix_text(fix: &crate::analysis::fix::Fix, index: usize) -> String {
    let mut text = format!("Fix for request #{index}: {}\n", fix.summary);
    for line in fix.diff.iter().chain(&fix.headers) {
        text.push_str(&format!("  {line}\n"));
    }
    for caveat in &fix.caveats {
        text.push_str(&format!("Note: {caveat}\n"));
    }
    if let Some(policy) = &fix.policy {
        push_snippets(&mut text, policy);
    }
    text
}

/// `--fix-out` for a server without rules: the header lines as comments, then each server's
/// configuration.
pub fn headers_file(
    fix: &crate::analysis::fix::Fix,
    policy: &HeaderPolicy,
    index: usize,
) -> String {
    let mut text = format!("# The answers request #{index} needs\n");
    for line in &fix.headers {
        text.push_str(&format!("#   {line}\n"));
    }
    // Who made the answer and what else the change allows: where the change belongs, as
    // comments the file can carry.
    for caveat in &fix.caveats {
        let one_line = caveat.lines().collect::<Vec<_>>().join(" ");
        text.push_str(&format!("# Note: {one_line}\n"));
    }
    push_snippets(&mut text, policy);
    text
}

/// Each server's configuration for `policy`, after a `# server` line.
fn push_snippets(text: &mut String, policy: &HeaderPolicy) {
    for snippet in super::server_snippets::snippets(policy) {
        text.push_str(&format!("\n# {}\n", snippet.server));
        for line in snippet.lines {
            text.push_str(&line);
            text.push('\n');
        }
    }
}

/// The spelling a provider's configuration is written in when the user gave none (a lesson's
/// rules): what its own CLI prints.
pub fn default_spelling(provider: Provider) -> Spelling {
    match provider {
        Provider::S3 => Spelling::S3(S3Spelling::CliJson),
        Provider::Gcs => Spelling::GcsList,
        Provider::Azure => Spelling::AzureArm,
    }
}

fn target_of(spelling: Spelling) -> Target {
    match spelling {
        Spelling::S3(S3Spelling::CliJson | S3Spelling::WrappedJson) => Target::S3Json,
        Spelling::S3(S3Spelling::ConsoleArray) => Target::S3Console,
        Spelling::S3(S3Spelling::CloudFormation) => Target::CloudFormation,
        Spelling::S3(S3Spelling::Xml) => Target::S3Xml,
        Spelling::GcsList | Spelling::GcsBucket => Target::Gcs,
        Spelling::AzureXml => Target::AzureXml,
        Spelling::AzureArm => Target::AzureJson,
    }
}

/// `rules` written as `spelling` writes them, for the bucket at `url`, with the commands that
/// put them in place of the old ones; `file` is where the text will be saved.
pub fn bucket_configuration(
    url: &url::Url,
    rules: &[CorsRule],
    spelling: Spelling,
    file: &str,
) -> Result<Pasteable, Vec<String>> {
    let loaded = LoadedConfig {
        config: CorsConfiguration {
            rules: rules.to_vec(),
        },
        spelling,
    };
    let converted = convert::convert(&loaded, target_of(spelling))?;
    let mut text = converted.text;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Pasteable {
        text,
        apply: apply_commands(url, rules, spelling, file),
        notes: converted.notes,
    })
}

fn apply_commands(
    url: &url::Url,
    rules: &[CorsRule],
    spelling: Spelling,
    file: &str,
) -> Vec<String> {
    let host = url.host_str().unwrap_or_default();
    let first_segment = url
        .path_segments()
        .and_then(|mut s| s.next())
        .unwrap_or_default();
    match spelling {
        Spelling::S3(s3) => {
            // Virtual-hosted (`NAME.s3….amazonaws.com`) or path style (`s3….amazonaws.com/NAME`).
            let bucket = match host.split_once(".s3") {
                Some((name, _)) if !name.is_empty() => name,
                _ => first_segment,
            };
            match s3 {
                S3Spelling::CliJson | S3Spelling::WrappedJson => vec![format!(
                    "aws s3api put-bucket-cors --bucket {bucket} --cors-configuration file://{file}"
                )],
                S3Spelling::ConsoleArray => vec![format!(
                    "In the S3 console: bucket {bucket} → Permissions → Cross-origin resource sharing (CORS) → Edit; paste {file} and save."
                )],
                S3Spelling::CloudFormation => vec![format!(
                    "Put {file}'s CorsConfiguration under the bucket's Properties in the template (replacing the old one), then deploy the stack (aws cloudformation deploy, sam deploy or cdk deploy)."
                )],
                S3Spelling::Xml => vec![format!(
                    "{file} is the body of S3's PutBucketCors (PUT /?cors on bucket {bucket}); the AWS CLI takes JSON instead: cors-tui convert {file} --to s3-json > cors.json, then aws s3api put-bucket-cors --bucket {bucket} --cors-configuration file://cors.json"
                )],
            }
        }
        Spelling::GcsList | Spelling::GcsBucket => {
            let bucket = match host.strip_suffix(".storage.googleapis.com") {
                Some(name) => name,
                None => first_segment,
            };
            vec![format!(
                "gcloud storage buckets update gs://{bucket} --cors-file={file}"
            )]
        }
        Spelling::AzureXml | Spelling::AzureArm => {
            let account = host.split('.').next().unwrap_or_default();
            // The CLI sets rules one by one: clear the old ones, then add each.
            let mut commands = vec![format!(
                "az storage cors clear --services b --account-name {account}"
            )];
            for rule in rules {
                let mut command = format!(
                    "az storage cors add --services b --account-name {account} --origins {} --methods {}",
                    rule.allowed_origins.join(" "),
                    rule.allowed_methods.join(" ")
                );
                if !rule.allowed_headers.is_empty() {
                    command.push_str(&format!(
                        " --allowed-headers {}",
                        rule.allowed_headers.join(" ")
                    ));
                }
                if !rule.expose_headers.is_empty() {
                    command.push_str(&format!(
                        " --exposed-headers {}",
                        rule.expose_headers.join(" ")
                    ));
                }
                if let Some(age) = rule.max_age_seconds {
                    command.push_str(&format!(" --max-age {age}"));
                }
                commands.push(command);
            }
            commands
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str]) -> CorsRule {
        CorsRule {
            id: None,
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            allowed_methods: methods.iter().map(|m| m.to_string()).collect(),
            allowed_headers: vec!["content-type".to_string()],
            expose_headers: Vec::new(),
            max_age_seconds: Some(600),
        }
    }

    fn url(text: &str) -> url::Url {
        match url::Url::parse(text) {
            Ok(u) => u,
            Err(e) => panic!("{e}"),
        }
    }

    fn pasteable(url_text: &str, spelling: Spelling) -> Pasteable {
        let rules = [rule(&["https://app.example"], &["GET", "PUT"])];
        match bucket_configuration(&url(url_text), &rules, spelling, "fixed-cors.json") {
            Ok(p) => p,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// Each spelling reads back as the same rules, and each gets its provider's command.
    #[test]
    fn every_spelling_is_written_as_given_with_its_command() {
        let s3 = pasteable(
            "https://photos.s3.amazonaws.com",
            Spelling::S3(S3Spelling::CliJson),
        );
        assert!(s3.text.contains("\"CORSRules\""));
        assert_eq!(
            s3.apply,
            [
                "aws s3api put-bucket-cors --bucket photos --cors-configuration file://fixed-cors.json"
            ]
        );
        let console = pasteable(
            "https://s3.eu-west-1.amazonaws.com/photos",
            Spelling::S3(S3Spelling::ConsoleArray),
        );
        assert!(console.text.trim_start().starts_with('['));
        assert!(console.apply[0].contains("bucket photos → Permissions"));
        let cfn = pasteable(
            "https://photos.s3.amazonaws.com",
            Spelling::S3(S3Spelling::CloudFormation),
        );
        assert!(cfn.text.contains("\"CorsRules\""));
        let xml = pasteable(
            "https://photos.s3.amazonaws.com",
            Spelling::S3(S3Spelling::Xml),
        );
        assert!(xml.text.contains("<CORSConfiguration"));
        let gcs = pasteable("https://storage.googleapis.com/photos/", Spelling::GcsList);
        assert!(gcs.text.contains("\"origin\""));
        assert_eq!(
            gcs.apply,
            ["gcloud storage buckets update gs://photos --cors-file=fixed-cors.json"]
        );
        let azure = pasteable("https://photos.blob.core.windows.net", Spelling::AzureArm);
        assert!(azure.text.contains("\"corsRules\""));
        assert_eq!(
            azure.apply,
            [
                "az storage cors clear --services b --account-name photos",
                "az storage cors add --services b --account-name photos --origins https://app.example --methods GET PUT --allowed-headers content-type --max-age 600"
            ]
        );
        for (text, name) in [
            (&s3.text, "cors.json"),
            (&console.text, "console.json"),
            (&cfn.text, "cfn.json"),
            (&xml.text, "cors.xml"),
            (&gcs.text, "gcs.json"),
            (&azure.text, "azure.json"),
        ] {
            let Ok(read) = crate::formats::config::load_config(text, name) else {
                panic!("{name} reads back")
            };
            assert_eq!(
                read.config.rules[0].allowed_methods,
                ["GET", "PUT"],
                "{name}"
            );
        }
    }
}
