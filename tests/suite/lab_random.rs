//! Random lessons against headless Chromium: a static server answers with CORS headers drawn
//! from the spellings servers get wrong (a trailing slash, a capital scheme, two values, an empty
//! list item, a tab) and with drawn freshness (`Cache-Control`, `Expires`, `Age`, …), and pages
//! ask with methods, headers, credentials, cache modes and elements drawn the same way. Of every
//! four lessons, one is of those, one has a jar of cookies drawn
//! from their attributes, one asks the preflight cache (two origins, `max-age` 0 to 600 s,
//! waits), and one sends its requests through redirects. Every request must agree with
//! the simulation (down to the response headers a script can read), and every blocked one's
//! console line must be Chromium's word for word.
//!
//! Twelve lessons from a fixed seed run in every `cargo test`. To look further:
//! `CORS_TUI_LAB_SEED=7 CORS_TUI_LAB_LESSONS=200 cargo test --test suite random_lessons`.

use serde_json::{Value, json};

use crate::common::cmd;

/// A small, fixed pseudo-random sequence (splitmix64), so that a seed names the same lessons on
/// every machine.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }

    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }
}

const ORIGIN: &str = "https://app.example";
const SERVER: &str = "https://api.example";

fn allow_origin(draw: &mut Draw) -> String {
    let spellings = [
        ORIGIN.to_string(),
        ORIGIN.to_string(),
        "*".to_string(),
        format!("{ORIGIN}/"),
        "HTTPS://APP.EXAMPLE".to_string(),
        "null".to_string(),
        format!("{ORIGIN}, {ORIGIN}"),
        format!("{ORIGIN}:443"),
        format!(" {ORIGIN}"),
        format!("{ORIGIN}\t"),
        " *".to_string(),
        "https://other.example".to_string(),
        format!("{ORIGIN}."),
    ];
    draw.pick(&spellings)
}

fn answer_headers(draw: &mut Draw, preflight: bool) -> serde_json::Map<String, Value> {
    let mut headers = serde_json::Map::new();
    let mut set = |name: &str, value: &str| {
        headers.insert(name.to_string(), Value::from(value));
    };
    if draw.chance(0.9) {
        set("Access-Control-Allow-Origin", &allow_origin(draw));
    }
    if draw.chance(0.4) {
        let value = draw.pick(&["true", "true", "True", "TRUE", "false", "", " true"]);
        set("Access-Control-Allow-Credentials", value);
    }
    if preflight {
        if draw.chance(0.7) {
            let methods = [
                "PUT",
                "put",
                "*",
                "GET, POST",
                "PUT,",
                ", PUT",
                "PUT, DELETE, PATCH",
                "PATCH",
                "patch",
                "",
                "PU T",
                "GET,,PUT",
                "PUT ,PATCH",
                "\tPUT",
                "*, PUT",
                "DELETE",
            ];
            set("Access-Control-Allow-Methods", draw.pick(&methods));
        }
        if draw.chance(0.6) {
            let headers = [
                "*",
                "x-custom",
                "X-Custom",
                "x-custom,content-type",
                "authorization",
                "*, authorization",
                "",
                "x-custom , content-type",
                "content-type",
                "x custom",
                "X-CUSTOM, Authorization",
                "range",
                "x-custom,,range",
                "x-custom;range",
                "content-type, x-custom, range, accept, authorization",
            ];
            set("Access-Control-Allow-Headers", draw.pick(&headers));
        }
        if draw.chance(0.3) {
            let max_age = draw.pick(&["-1", "0", "abc", "10", "600"]);
            set("Access-Control-Max-Age", max_age);
        }
    } else {
        if draw.chance(0.5) {
            let exposed = [
                "x-total",
                "*",
                "X-Total, ETag",
                "x-total,",
                "*, x-total",
                "Set-Cookie, x-total",
                "etag ,x-total",
                "x total",
            ];
            set("Access-Control-Expose-Headers", draw.pick(&exposed));
        }
        if draw.chance(0.5) {
            set("X-Total", "5");
        }
        if draw.chance(0.3) {
            set("ETag", "\"1\"");
        }
        if draw.chance(0.3) {
            let lines = [
                "seen=1; Path=/",
                "seen=1; SameSite=None; Secure; Path=/",
                "seen=1; SameSite=None; Path=/",
                "seen=1; SameSite=None; Secure; Partitioned; Path=/",
                "seen=1; SameSite=Strict; Secure",
            ];
            set("Set-Cookie", draw.pick(&lines));
        }
        if draw.chance(0.2) {
            set("Content-Language", "en");
        }
        set("Content-Type", "application/json");
        freshness_headers(draw, &mut set);
        if draw.chance(0.2) {
            set("Vary", draw.pick(&["Origin", "*", "Accept"]));
        }
    }
    headers
}

/// The headers that decide how long the browser keeps an answer, as Chromium reads them in
/// turn: `Cache-Control`, `Pragma`, `Expires` (a date to come, one gone, `0`, not a date), an
/// `Age`, an old `Date` and `Last-Modified`.
const FRESHNESS: [Drawn; 6] = [
    (
        0.3,
        "Cache-Control",
        &[
            "max-age=60",
            "no-store",
            "max-age=0",
            "no-cache",
            "must-revalidate",
        ],
    ),
    (0.1, "Pragma", &["no-cache"]),
    (
        0.2,
        "Expires",
        &[
            "Mon, 01 Jan 2035 00:00:00 GMT",
            "Wed, 01 Jan 2020 00:00:00 GMT",
            "0",
            "soon",
        ],
    ),
    (0.1, "Age", &["30", "100"]),
    (0.1, "Date", &["Wed, 01 Jan 2025 00:00:00 GMT"]),
    (0.2, "Last-Modified", &["Wed, 01 Jan 2025 00:00:00 GMT"]),
];

/// A header an answer has with a chance, and the values it is drawn from.
type Drawn = (f64, &'static str, &'static [&'static str]);

fn freshness_headers(draw: &mut Draw, set: &mut impl FnMut(&str, &str)) {
    for (chance, name, values) in FRESHNESS {
        if draw.chance(chance) {
            // One value needs no draw (and takes none, so that a seed names the same lessons).
            let value = match values {
                [only] => only,
                _ => draw.pick(values),
            };
            set(name, value);
        }
    }
}

fn request(draw: &mut Draw, lesson: usize, n: usize) -> Value {
    let methods = [
        "GET", "GET", "POST", "PUT", "put", "DELETE", "PATCH", "patch", "HEAD", "post", "Get",
    ];
    let method = draw.pick(&methods);
    let long_accept = "x".repeat(129);
    let header_choices: [(&str, &str); 18] = [
        ("Content-Type", "application/json"),
        ("Content-Type", "text/plain"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Type", "text/plain; x=\"a\""),
        ("X-Custom", "1"),
        ("x-custom", "2"),
        ("Authorization", "Bearer x"),
        ("Accept", "text/html"),
        ("Accept", "text/html\""),
        ("Accept", &long_accept),
        ("Range", "bytes=0-1"),
        ("Range", "bytes=0-1,3-4"),
        ("Range", "bytes=-5"),
        ("Content-Language", "en"),
        ("Content-Language", "e n"),
        ("Accept-Language", "de(x)"),
        ("Accept-Language", "de"),
        (
            "X-Big",
            "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
        ),
    ];
    let mut headers = serde_json::Map::new();
    for _ in 0..draw.between(0, 2) {
        let (name, value) = draw.pick(&header_choices);
        let bodiless = matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
        if !(bodiless && name == "Content-Type") {
            headers.insert(name.to_string(), Value::from(value));
        }
    }
    let url = if draw.chance(0.7) {
        format!("{SERVER}/r{lesson}/{n}")
    } else {
        format!("{SERVER}/same")
    };
    // Now and then the page names the server over http:, which it may not fetch (mixed
    // content), an image aside.
    let url = if draw.chance(0.05) {
        url.replacen("https://", "http://", 1)
    } else {
        url
    };
    let mut request = json!({ "origin": ORIGIN, "method": method, "url": url });
    let fields = request.as_object_mut().expect("an object");
    let via = draw.next() % 100;
    if via < 6 {
        fields.insert("via".into(), "no-cors".into());
        let method = draw.pick(&["GET", "POST", "HEAD", "post"]);
        fields.insert("method".into(), method.into());
    } else if via < 12 {
        let element = draw.pick(&["img", "script", "font"]);
        fields.insert("via".into(), element.into());
        fields.insert("method".into(), "GET".into());
        if element != "font" && draw.chance(0.7) {
            let mode = draw.pick(&["anonymous", "use-credentials"]);
            fields.insert("crossorigin".into(), mode.into());
        }
        return request;
    } else if via < 30 {
        fields.insert("via".into(), "xhr".into());
    } else {
        let credentials = draw.pick(&["omit", "same-origin", "include"]);
        fields.insert("credentials".into(), credentials.into());
        if draw.chance(0.15) {
            let cache = draw.pick(&["no-store", "reload", "force-cache", "no-cache"]);
            fields.insert("cache".into(), cache.into());
        }
    }
    if !headers.is_empty() {
        fields.insert("headers".into(), Value::Object(headers));
    }
    request
}

const CDN: &str = "https://cdn.example";

/// The CORS headers of one answer on a redirect's way: mostly right, as a redirect that fails
/// its own check stops the request before the hops worth seeing.
fn hop_headers(draw: &mut Draw, preflight: bool, location: Option<String>) -> Value {
    let mut headers = serde_json::Map::new();
    let origins = [
        ORIGIN, ORIGIN, ORIGIN, ORIGIN, ORIGIN, ORIGIN, "*", "*", "null", "", CDN,
    ];
    let origin = draw.pick(&origins);
    if !origin.is_empty() {
        headers.insert("Access-Control-Allow-Origin".into(), origin.into());
    }
    if draw.chance(0.3) {
        headers.insert("Access-Control-Allow-Credentials".into(), "true".into());
    }
    if preflight {
        let methods = draw.pick(&["PUT", "PUT, POST", "PUT, POST", "*", "GET"]);
        headers.insert("Access-Control-Allow-Methods".into(), methods.into());
        if draw.chance(0.9) {
            let allowed = draw.pick(&["x-custom", "content-type", "*", "x-custom, content-type"]);
            headers.insert("Access-Control-Allow-Headers".into(), allowed.into());
        }
    }
    if let Some(location) = location {
        headers.insert("Location".into(), location.into());
        freshness_headers(draw, &mut |name: &str, value: &str| {
            headers.insert(name.into(), value.into());
        });
    }
    Value::Object(headers)
}

/// A lesson of redirects: each request's answer sends it on, to the CDN, back to the API or to
/// a relative path, through one or two hops, each with its own CORS headers and preflight.
fn redirect_lesson(draw: &mut Draw, index: usize) -> Vec<Value> {
    let statuses = [301, 302, 303, 307, 308];
    // One hop in ten leads to http:, which an HTTPS page may not fetch (mixed content).
    let location = |draw: &mut Draw, at: String| match draw.next() % 10 {
        0..=3 => format!("{CDN}/{at}"),
        4..=5 => format!("{SERVER}/{at}"),
        6 => format!("http://cdn.example/{at}"),
        _ => format!("/{at}"),
    };
    (0..draw.between(2, 4))
        .map(|n| {
            let method = draw.pick(&["GET", "GET", "POST", "PUT", "HEAD"]);
            let mut headers = serde_json::Map::new();
            if matches!(method, "POST" | "PUT") && draw.chance(0.6) {
                let kind = draw.pick(&["application/json", "text/plain"]);
                headers.insert("Content-Type".into(), kind.into());
            }
            if draw.chance(0.3) {
                headers.insert("X-Custom".into(), "1".into());
            }
            let hops = draw.between(1, 2);
            let first_at = location(draw, format!("hop{index}-{n}-0"));
            let mut after = Vec::new();
            for hop in 0..hops {
                let mut answers = serde_json::Map::new();
                if draw.chance(0.7) {
                    let preflight = json!({
                        "status": draw.pick(&[200, 204, 204]),
                        "headers": hop_headers(draw, true, None),
                    });
                    answers.insert("preflight".into(), preflight);
                }
                let actual = if hop + 1 == hops {
                    json!({ "status": 200, "headers": hop_headers(draw, false, None), "body": "{}" })
                } else {
                    let next = location(draw, format!("hop{index}-{n}-{}", hop + 1));
                    json!({ "status": draw.pick(&statuses), "headers": hop_headers(draw, false, Some(next)) })
                };
                answers.insert("actual".into(), actual);
                after.push(Value::Object(answers));
            }
            let mut responses = json!({
                "actual": { "status": draw.pick(&statuses), "headers": hop_headers(draw, false, Some(first_at)) },
                "after_redirect": after,
            });
            let preflighted = !matches!(method, "GET" | "HEAD" | "POST")
                || headers.contains_key("X-Custom")
                || headers.get("Content-Type") == Some(&Value::from("application/json"));
            if preflighted {
                responses["preflight"] = json!({ "status": 204, "headers": hop_headers(draw, true, None) });
            }
            let credentials = draw.pick(&["omit", "same-origin", "include"]);
            // Now and then the page asks a URL again, and the server answers it anew: a kept
            // redirect stands in the way.
            let at = if n > 0 && draw.chance(0.4) { n - 1 } else { n };
            let mut request = json!({
                "origin": ORIGIN,
                "method": method,
                "url": format!("{SERVER}/start{index}-{at}"),
                "credentials": credentials,
                "headers": headers,
                "responses": responses,
            });
            redirected_by(draw, &mut request);
            request
        })
        .collect()
}

/// Who follows a redirect: mostly fetch(), sometimes with a cache mode, and now and then
/// XMLHttpRequest, a no-cors fetch, or an `<img>` or `<script>` with or without `crossorigin`.
fn redirected_by(draw: &mut Draw, request: &mut Value) {
    let Some(fields) = request.as_object_mut() else {
        return;
    };
    match draw.next() % 10 {
        0 => {
            fields.insert("via".into(), "xhr".into());
            let credentials = draw.pick(&["same-origin", "include"]);
            fields.insert("credentials".into(), credentials.into());
        }
        1 => {
            fields.insert("via".into(), "no-cors".into());
            fields.insert("method".into(), draw.pick(&["GET", "POST", "HEAD"]).into());
        }
        2 => {
            let element = draw.pick(&["img", "script"]);
            fields.insert("via".into(), element.into());
            fields.insert("method".into(), "GET".into());
            for field in ["credentials", "headers"] {
                fields.remove(field);
            }
            if draw.chance(0.6) {
                let mode = draw.pick(&["anonymous", "use-credentials"]);
                fields.insert("crossorigin".into(), mode.into());
            }
        }
        3 => {
            let cache = draw.pick(&["no-store", "reload", "force-cache", "no-cache"]);
            fields.insert("cache".into(), cache.into());
        }
        _ => {}
    }
}

/// A lesson of cookies: a jar set by the API (on the page's site or another one) with drawn
/// `SameSite`, `Secure`, `Partitioned`, `Domain` and `Path`, and credentialed requests to it from
/// fetch() and XMLHttpRequest, with third-party cookies allowed or blocked.
fn cookie_lesson(draw: &mut Draw, index: usize) -> Value {
    let server = draw.pick(&["https://api.app.example", "https://api.example"]);
    let attributes = [
        "",
        "; SameSite=None; Secure",
        "; SameSite=None",
        "; SameSite=Lax",
        "; SameSite=Strict",
        "; Secure",
        "; SameSite=Lax; Secure",
        "; SameSite=None; Secure; Partitioned",
        "; Domain=app.example",
        "; Path=/x",
    ];
    let cookies: Vec<Value> = (0..draw.between(1, 3))
        .map(|k| {
            let attributes = draw.pick(&attributes);
            json!({ "set_by": format!("{server}/login"), "set_cookie": format!("c{k}=v{attributes}") })
        })
        .collect();
    let requests: Vec<Value> = (0..draw.between(2, 4))
        .map(|_| {
            let url = format!("{server}{}", draw.pick(&["/d", "/x/d"]));
            let method = draw.pick(&["GET", "POST", "PUT"]);
            let mut request = json!({ "origin": ORIGIN, "method": method, "url": url });
            if draw.chance(0.2) {
                request["via"] = "xhr".into();
                if draw.chance(0.5) {
                    request["credentials"] = "include".into();
                }
            } else {
                let credentials = draw.pick(&["omit", "same-origin", "include", "include"]);
                request["credentials"] = credentials.into();
            }
            request
        })
        .collect();
    json!({
        "title": format!("random cookies {index}"),
        "third_party_cookies": draw.pick(&["allowed", "blocked"]),
        "cookies": cookies,
        "server": {
            "type": "static",
            "url": server,
            "preflight": { "status": 204, "headers": {
                "Access-Control-Allow-Origin": ORIGIN,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": "PUT",
            } },
            "actual": { "status": 200, "headers": {
                "Access-Control-Allow-Origin": ORIGIN,
                "Access-Control-Allow-Credentials": "true",
            }, "body": "{}" },
        },
        "requests": requests,
    })
}

/// A lesson of the preflight cache: requests from two origins, with and without credentials,
/// to two URLs, asking for methods and headers a `max-age` of 0 to 600 s may or may not cover,
/// some a second or three after the one before.
fn preflight_cache_lesson(draw: &mut Draw, index: usize) -> Value {
    let origin = draw.pick(&[ORIGIN, "*"]);
    let mut preflight = json!({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": draw.pick(&["PUT, PATCH", "PUT", "DELETE, PUT", "*", "PATCH, POST"]),
        "Access-Control-Allow-Headers": draw.pick(&["x-a", "x-a, x-b", "content-type, x-a", "*", "x-c"]),
        "Access-Control-Max-Age": draw.pick(&["2", "600", "5", "0"]),
    });
    let mut actual = json!({ "Access-Control-Allow-Origin": origin });
    if draw.chance(0.5) {
        preflight["Access-Control-Allow-Credentials"] = "true".into();
        actual["Access-Control-Allow-Credentials"] = "true".into();
    }
    let requests: Vec<Value> = (0..draw.between(4, 7))
        .map(|_| {
            let page = draw.pick(&[ORIGIN, ORIGIN, "https://admin.example"]);
            let method = draw.pick(&["PUT", "PATCH", "DELETE", "POST", "GET", "put"]);
            let url = format!("{SERVER}{}", draw.pick(&["/p", "/p", "/q"]));
            let mut request = json!({ "origin": page, "method": method, "url": url });
            let mut headers = serde_json::Map::new();
            if draw.chance(0.5) {
                let name = draw.pick(&["X-A", "X-B", "Content-Type"]);
                let value = if name == "Content-Type" {
                    "application/json"
                } else {
                    "1"
                };
                headers.insert(name.into(), value.into());
            }
            if draw.chance(0.3) {
                headers.insert("X-C".into(), "1".into());
            }
            if !headers.is_empty() {
                request["headers"] = Value::Object(headers);
            }
            if draw.chance(0.2) {
                request["via"] = "xhr".into();
            } else {
                let credentials = draw.pick(&["omit", "same-origin", "include"]);
                request["credentials"] = credentials.into();
                if draw.chance(0.15) {
                    let cache = draw.pick(&["no-store", "reload", "no-cache", "force-cache"]);
                    request["cache"] = cache.into();
                }
            }
            if draw.chance(0.3) {
                request["wait_seconds"] = draw.pick(&[1, 3]).into();
            }
            request
        })
        .collect();
    json!({
        "title": format!("random preflight cache {index}"),
        "server": {
            "type": "static",
            "url": SERVER,
            "preflight": { "status": 204, "headers": preflight },
            "actual": { "status": 200, "headers": actual, "body": "{}" },
        },
        "requests": requests,
    })
}

/// Lesson `index` of `seed`, one of four kinds in turn: one static server's answers met by many
/// kinds of request, a jar of cookies, the preflight cache, redirects.
fn lesson(seed: u64, index: usize) -> Value {
    let mut draw = Draw(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    if index % 4 == 1 {
        return cookie_lesson(&mut draw, index);
    }
    if index % 4 == 2 {
        return preflight_cache_lesson(&mut draw, index);
    }
    if index % 4 == 3 {
        return json!({
            "title": format!("random redirects {index} of seed {seed}"),
            "server": {
                "type": "static",
                "url": SERVER,
                "preflight": { "status": 204, "headers": {
                    "Access-Control-Allow-Origin": ORIGIN,
                    "Access-Control-Allow-Methods": "PUT, POST",
                    "Access-Control-Allow-Headers": "x-custom, content-type",
                } },
                "actual": { "status": 200, "headers": { "Access-Control-Allow-Origin": ORIGIN }, "body": "{}" },
            },
            "requests": redirect_lesson(&mut draw, index),
        });
    }
    let preflight_status = draw.pick(&[200, 204, 204, 200, 299, 300, 304, 401, 500]);
    let actual_status = draw.pick(&[200, 200, 200, 404, 500, 410, 301, 203]);
    let preflight = answer_headers(&mut draw, true);
    let actual = answer_headers(&mut draw, false);
    let requests: Vec<Value> = (0..draw.between(3, 6))
        .map(|n| request(&mut draw, index, n))
        .collect();
    json!({
        "title": format!("random lesson {index} of seed {seed}"),
        "server": {
            "type": "static",
            "url": SERVER,
            "preflight": { "status": preflight_status, "headers": preflight, "body": "" },
            "actual": { "status": actual_status, "headers": actual, "body": "{}" },
        },
        "requests": requests,
    })
}

fn from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_lessons_agree_with_headless_chromium() {
    if super::lab::chromium_or_skip().is_none() {
        return;
    }
    let seed = from_env("CORS_TUI_LAB_SEED", 2026);
    let count = from_env("CORS_TUI_LAB_LESSONS", 12) as usize;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let failures: Vec<String> = super::lab::two_at_a_time(count, |index| {
        let text =
            serde_json::to_string_pretty(&lesson(seed, index)).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(format!("lesson-{index}.json"));
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let output = cmd()
            .args(["serve", "--check"])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let agrees = output.status.code() == Some(0)
            && stdout.contains("Every request agrees")
            && !stdout.contains("simulated console:");
        (!agrees).then(|| {
            format!(
                "lesson {index} of seed {seed}:\n{text}\n{stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        failures.is_empty(),
        "{} of {count} random lessons disagree with Chromium:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The same seed draws the same lessons, and lessons differ from one another.
#[test]
fn a_seed_names_the_same_lessons() {
    assert_eq!(lesson(1, 0), lesson(1, 0));
    assert_ne!(lesson(1, 0), lesson(1, 1));
    assert_ne!(lesson(1, 0), lesson(2, 0));
}
