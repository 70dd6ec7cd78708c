//! Generated inputs shared by the benchmark and the `generate` example.

use std::fmt::Write as _;

/// A lesson-like mix: simple GETs, preflighted PUTs (some cache hits), blocked origins.
pub fn generated_scenario_text(requests: usize) -> String {
    let mut text = String::from(
        r#"{"title": "generated", "server": {"type": "s3", "url": "https://bucket.s3.amazonaws.com",
  "cors": {"CORSRules": [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT"],
    "AllowedHeaders": ["Content-Type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]}},
  "requests": ["#,
    );
    for i in 0..requests {
        if i > 0 {
            text.push(',');
        }
        let _ = match i % 4 {
            0 => write!(
                text,
                r#"{{"origin": "https://app.example", "url": "https://bucket.s3.amazonaws.com/o{}"}}"#,
                i % 97
            ),
            1 => write!(
                text,
                r#"{{"origin": "https://app.example", "method": "PUT", "url": "https://bucket.s3.amazonaws.com/o{}", "headers": {{"Content-Type": "application/json"}}, "wait_seconds": 1}}"#,
                i % 13
            ),
            2 => write!(
                text,
                r#"{{"origin": "https://evil.example", "url": "https://bucket.s3.amazonaws.com/o{}"}}"#,
                i % 97
            ),
            _ => write!(
                text,
                r#"{{"origin": "https://app.example", "method": "DELETE", "url": "https://bucket.s3.amazonaws.com/o{}"}}"#,
                i % 13
            ),
        };
    }
    text.push_str("]}");
    text
}

/// A Chrome-shaped HAR: per exchange a preflight listed after its request, the request, and a
/// same-origin entry, each with every field HAR 1.2 requires, as Chrome writes them; one
/// exchange in four blocked (`_error`).
pub fn generated_har(exchanges: usize) -> String {
    let mut text = String::from(
        r#"{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": ["#,
    );
    for i in 0..exchanges {
        if i > 0 {
            text.push(',');
        }
        let t = format!(
            "2026-11-20T10:{:02}:{:02}.{:03}Z",
            (i / 60_000) % 60,
            (i / 1000) % 60,
            i % 1000
        );
        let blocked = i % 4 == 3;
        let allow = if blocked {
            ""
        } else {
            r#"{"name": "access-control-allow-origin", "value": "https://app.example"},"#
        };
        let error = if blocked {
            r#""net::ERR_FAILED""#
        } else {
            "null"
        };
        let _ = write!(
            text,
            r#"{{"_initiator": {{"type": "script"}}, "_resourceType": "fetch", "startedDateTime": "{t}", "time": 20,
 "request": {{"method": "PUT", "url": "https://api.example.net/items/{i}", "httpVersion": "http/2.0", "headers": [
  {{"name": ":method", "value": "PUT"}}, {{"name": "accept", "value": "*/*"}}, {{"name": "content-type", "value": "application/json"}},
  {{"name": "origin", "value": "https://app.example"}}, {{"name": "referer", "value": "https://app.example/"}},
  {{"name": "sec-fetch-mode", "value": "cors"}}, {{"name": "user-agent", "value": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"}}],
  "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 20}},
 "response": {{"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [{allow}
  {{"name": "content-type", "value": "application/json"}}, {{"name": "date", "value": "Fri, 20 Nov 2026 10:00:00 GMT"}}],
  "cookies": [], "content": {{"size": 120, "mimeType": "application/json", "text": "{{\"id\": {i}, \"status\": \"ok\", \"padding\": \"................................................................................................\"}}"}},
  "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 300, "_error": {error}}},
 "cache": {{}}, "timings": {{"blocked": 1.5, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 15, "receive": 0.5}}}},
{{"_initiator": {{"type": "preflight", "url": "https://api.example.net/items/{i}"}}, "_resourceType": "preflight", "startedDateTime": "{t}", "time": 8,
 "request": {{"method": "OPTIONS", "url": "https://api.example.net/items/{i}", "httpVersion": "http/2.0", "headers": [
  {{"name": "accept", "value": "*/*"}}, {{"name": "access-control-request-headers", "value": "content-type"}},
  {{"name": "access-control-request-method", "value": "PUT"}}, {{"name": "origin", "value": "https://app.example"}}],
  "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0}},
 "response": {{"status": 204, "statusText": "", "httpVersion": "http/2.0", "headers": [{{"name": "access-control-allow-origin", "value": "https://app.example"}},
  {{"name": "access-control-allow-methods", "value": "GET, PUT"}}, {{"name": "access-control-allow-headers", "value": "content-type"}}],
  "cookies": [], "content": {{"size": 0, "mimeType": "x-unknown"}}, "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 120, "_error": null}},
 "cache": {{}}, "timings": {{"blocked": 0.5, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 7, "receive": 0.2}}}},
{{"_initiator": {{"type": "other"}}, "_resourceType": "document", "startedDateTime": "{t}", "time": 30,
 "request": {{"method": "GET", "url": "https://app.example/page/{i}", "httpVersion": "http/2.0", "headers": [],
  "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0}},
 "response": {{"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [{{"name": "content-type", "value": "text/html"}}],
  "cookies": [], "content": {{"size": 2000, "mimeType": "text/html"}}, "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 2100, "_error": null}},
 "cache": {{}}, "timings": {{"blocked": 0.5, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 25, "receive": 4}}}}"#
        );
    }
    text.push_str("]}}");
    text
}
