//! What a Lambda function returns, as the service that invokes it turns it into an HTTP answer
//! (`shared/reference/aws-cors-surfaces.md` §2.5). A REST API's proxy integration reads payload
//! format 1.0: `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`, nothing
//! else (recorded: any other shape is a 502), with `headers` and `multiValueHeaders` naming the
//! same header merged into one comma-joined value (recorded). An HTTP API and a function URL read
//! format 2.0: a result without `statusCode` is the body of a 200 (documented).

use crate::http::Header;
use serde_json::Value;

use crate::server::stack::CannedResponse;

/// Which payload format the invoking service reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A REST API's Lambda proxy integration.
    V1,
    /// An HTTP API's (its default) or a function URL's.
    V2,
}

/// What the service made of the function's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// A valid result; the headers both lists named, merged.
    Answer { merged: Vec<String> },
    /// A format 2.0 result without `statusCode`: the whole result became the body of a 200.
    Inferred,
    /// Not a valid format 1.0 result: API Gateway answers 502 itself; why.
    Malformed(String),
}

/// The function's result and what its invoker made of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LambdaResult {
    /// As the scenario writes it (written back unchanged).
    pub raw: Value,
    pub payload: Payload,
    pub reading: Reading,
}

const V1_KEYS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// The answer `raw` becomes under `payload`, and how it was read.
pub fn read(raw: Value, payload: Payload) -> (CannedResponse, LambdaResult) {
    let (answer, reading) = match payload {
        Payload::V1 => match v1(&raw) {
            Ok((answer, merged)) => (answer, Reading::Answer { merged }),
            Err(why) => (internal_server_error(), Reading::Malformed(why)),
        },
        Payload::V2 => v2(&raw),
    };
    (
        answer,
        LambdaResult {
            raw,
            payload,
            reading,
        },
    )
}

fn status_of(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|s| u16::try_from(s).ok()),
        // A numeric string is taken too (recorded).
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|status| (100..=599).contains(status))
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn v1(raw: &Value) -> Result<(CannedResponse, Vec<String>), String> {
    let Value::Object(fields) = raw else {
        return Err("the result is not a JSON object".to_string());
    };
    if let Some(key) = fields.keys().find(|k| !V1_KEYS.contains(&k.as_str())) {
        return Err(format!(
            "'{key}' is not a field of a Lambda proxy result (statusCode, headers, multiValueHeaders, body, isBase64Encoded)"
        ));
    }
    let status = fields
        .get("statusCode")
        .ok_or_else(|| "the result has no statusCode".to_string())
        .and_then(|s| status_of(s).ok_or_else(|| format!("statusCode {s} is not a status")))?;
    let mut headers: Vec<Header> = Vec::new();
    let mut merged = Vec::new();
    if let Some(multi) = fields.get("multiValueHeaders") {
        let Value::Object(multi) = multi else {
            return Err("multiValueHeaders is not an object".to_string());
        };
        for (name, values) in multi {
            let Value::Array(values) = values else {
                return Err(format!("multiValueHeaders.{name} is not a list"));
            };
            let values: Vec<String> = values.iter().filter_map(text_of).collect();
            headers.push((name.clone().into(), values.join(", ").into()));
        }
    }
    if let Some(single) = fields.get("headers") {
        let Value::Object(single) = single else {
            return Err("headers is not an object".to_string());
        };
        for (name, value) in single {
            let Some(value) = text_of(value) else {
                return Err(format!("headers.{name} is not a string"));
            };
            // Named in both: one header, the multi values then this one, in the multi spelling.
            match headers
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some((kept, values)) => {
                    *values = format!("{values}, {value}").into();
                    merged.push(kept.to_string());
                }
                None => headers.push((name.clone().into(), value.into())),
            }
        }
    }
    let body = fields.get("body").and_then(text_of).unwrap_or_default();
    Ok((
        CannedResponse {
            status,
            headers: headers.into(),
            body,
            network_error: None,
        },
        merged,
    ))
}

fn v2(raw: &Value) -> (CannedResponse, Reading) {
    let fields = match raw {
        Value::Object(fields) if fields.contains_key("statusCode") => fields,
        _ => {
            let body = match raw {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return (
                CannedResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/json".into())].into(),
                    body,
                    network_error: None,
                },
                Reading::Inferred,
            );
        }
    };
    let status = fields.get("statusCode").and_then(status_of).unwrap_or(200);
    let mut headers: Vec<Header> = Vec::new();
    if let Some(Value::Object(single)) = fields.get("headers") {
        for (name, value) in single {
            if let Some(value) = text_of(value) {
                headers.push((name.clone().into(), value.into()));
            }
        }
    }
    let body = fields.get("body").and_then(text_of).unwrap_or_default();
    (
        CannedResponse {
            status,
            headers: headers.into(),
            body,
            network_error: None,
        },
        Reading::Answer { merged: Vec::new() },
    )
}

fn internal_server_error() -> CannedResponse {
    let body = "{\"message\": \"Internal server error\"}".to_string();
    CannedResponse {
        status: 502,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), body.len().to_string().into()),
            (
                "x-amzn-ErrorType".into(),
                "InternalServerErrorException".into(),
            ),
        ]
        .into(),
        body,
        network_error: None,
    }
}

impl LambdaResult {
    /// The explanation of how the invoker read the result.
    pub fn narrate(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match (&self.reading, self.payload) {
            (Reading::Malformed(why), _) => write!(
                f,
                " The function's result is not a valid Lambda proxy result ({why}), so API Gateway answers 502 {{\"message\": \"Internal server error\"}} itself, with no CORS header (recorded)."
            ),
            (Reading::Answer { merged }, Payload::V1) if !merged.is_empty() => write!(
                f,
                " Its result names {} in both headers and multiValueHeaders: API Gateway merges them into one header, the values joined with commas (recorded).",
                merged.join(", ")
            ),
            (Reading::Answer { .. }, Payload::V1) => f.write_str(
                " API Gateway reads its result as a Lambda proxy result, payload format 1.0 (recorded).",
            ),
            (Reading::Answer { .. }, Payload::V2) => f.write_str(
                " Its result is read as payload format 2.0 (documented).",
            ),
            (Reading::Inferred, _) => f.write_str(
                " Its result has no statusCode, so payload format 2.0 makes the whole result the body of a 200 with Content-Type application/json (documented).",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    #[test]
    fn r5_a_malformed_result_is_a_502_from_api_gateway() {
        for bad in [
            r#"{"statusCode": 200, "wrongValue": "x"}"#,
            "{}",
            r#""just a string""#,
            r#"{"statusCode": "ok"}"#,
            r#"{"statusCode": 200, "multiValueHeaders": {"X-A": "solo"}}"#,
        ] {
            let (answer, result) = read(v(bad), Payload::V1);
            assert_eq!(answer.status, 502, "{bad}");
            assert_eq!(answer.body, "{\"message\": \"Internal server error\"}");
            assert!(matches!(result.reading, Reading::Malformed(_)), "{bad}");
        }
        let (answer, _) = read(v(r#"{"statusCode": "201"}"#), Payload::V1);
        assert_eq!(answer.status, 201);
    }

    #[test]
    fn r6_headers_named_in_both_lists_are_merged_in_the_multi_spelling() {
        let (answer, result) = read(
            v(r#"{"statusCode": 200,
                 "headers": {"access-control-allow-origin": "value-solo"},
                 "multiValueHeaders": {"Access-Control-Allow-Origin": ["value-multi"]}}"#),
            Payload::V1,
        );
        assert_eq!(
            *answer.headers,
            [(
                "Access-Control-Allow-Origin".into(),
                "value-multi, value-solo".into(),
            )]
        );
        assert_eq!(
            result.reading,
            Reading::Answer {
                merged: vec!["Access-Control-Allow-Origin".to_string()]
            }
        );
    }

    #[test]
    fn payload_2_makes_a_result_without_status_the_body_of_a_200() {
        let (answer, result) = read(v(r#"{"id": 7}"#), Payload::V2);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, r#"{"id":7}"#);
        assert_eq!(result.reading, Reading::Inferred);
    }
}
