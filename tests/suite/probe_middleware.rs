//! `cors-tui probe` against a maintained CORS middleware (axum with tower-http's `CorsLayer`),
//! configured several ways. For each: the traffic the server received is what a browser
//! sends, and the probe's verdict is the engine's verdict on the same answers.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use assert_cmd::Command;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use serde_json::{Value, json};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// What the server received: method, path and header lines (`name: value`, sorted).
type Seen = Arc<Mutex<Vec<(String, String, Vec<String>)>>>;

async fn record(State(seen): State<Seen>, request: Request, next: Next) -> Response {
    let mut headers: Vec<String> = request
        .headers()
        .iter()
        .map(|(n, v)| format!("{}: {}", n, String::from_utf8_lossy(v.as_bytes())))
        .collect();
    headers.sort();
    seen.lock()
        .map(|mut s| {
            s.push((
                request.method().to_string(),
                request.uri().path().to_string(),
                headers,
            ))
        })
        .ok();
    next.run(request).await
}

/// An axum app behind `cors` on 127.0.0.1, on its own runtime thread; stops when dropped.
struct MiddlewareServer {
    port: u16,
    seen: Seen,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MiddlewareServer {
    fn start(cors: CorsLayer) -> Self {
        let seen: Seen = Arc::default();
        let app = Router::new()
            .fallback(|| async { "ok" })
            .layer(cors)
            // Outermost, so it also sees the preflights CorsLayer answers by itself.
            .layer(middleware::from_fn_with_state(seen.clone(), record));
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        listener.set_nonblocking(true).ok();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        stopped.await.ok();
                    })
                    .await
                    .ok();
            });
        });
        MiddlewareServer {
            port,
            seen,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/items", self.port)
    }

    fn seen(&self) -> Vec<(String, String, Vec<String>)> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for MiddlewareServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn probe(args: &[&str]) -> Value {
    crate::common::probe(args).0
}

/// The engine's verdict when a static server gives the answers the probe received.
fn engine_verdict(probed: &Value) -> (Value, Value) {
    let request = &probed["requests"][0];
    let answer = |kind: &str| {
        request["exchanges"]
            .as_array()
            .and_then(|all| all.iter().find(|e| e["kind"] == kind))
            .map(|e| {
                let headers: serde_json::Map<String, Value> = e["response"]["headers"]
                    .as_array()
                    .map(|pairs| {
                        pairs
                            .iter()
                            .map(|p| (p[0].as_str().unwrap_or_default().to_string(), p[1].clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                json!({"status": e["response"]["status"], "headers": headers})
            })
            .unwrap_or(json!({"status": 200}))
    };
    let scenario = &probed["scenario"]["requests"][0];
    // The same answers from a public HTTPS host: from an HTTPS page on a name, a loopback
    // http: address would bring in Chromium's Local Network Access, which the probe's judgement
    // of the answers is not about.
    let public = |url: &Value| {
        json!(
            url.as_str()
                .unwrap_or_default()
                .replace("http://127.0.0.1", "https://api.example")
        )
    };
    let document = json!({
        "title": "same answers, simulated",
        "server": {"type": "static", "url": public(&request["url"]), "preflight": answer("preflight"), "actual": answer("actual")},
        "requests": [{
            "origin": scenario["origin"], "method": scenario["method"], "url": public(&scenario["url"]),
            "headers": scenario.get("headers").cloned().unwrap_or(json!({})),
            "credentials": scenario["credentials"],
        }],
    });
    let scenario = cors_tui::scenario::load_str(&document.to_string(), "same.json")
        .unwrap_or_else(|e| panic!("{e}"));
    let trace = cors_tui::engine::run(&scenario, cors_tui::scenario::BrowserProfile::Chromium);
    let record = &trace.requests[0];
    (
        json!(record.outcome.name()),
        json!(record.cors_error.map(|e| e.name())),
    )
}

fn verdict(probed: &Value) -> (Value, Value) {
    let request = &probed["requests"][0];
    (request["outcome"].clone(), request["cors_error"].clone())
}

fn exact_origin() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(HeaderValue::from_static("https://app.example"))
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE])
}

#[test]
fn exact_origin_with_a_methods_list() {
    let server = MiddlewareServer::start(exact_origin());
    let put = probe(&[
        &server.url(),
        "--origin",
        "https://app.example",
        "--method",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--send-actual",
    ]);
    assert_eq!(verdict(&put), (json!("allowed"), Value::Null));
    assert_eq!(verdict(&put), engine_verdict(&put));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let (method, path, headers) = &seen[0];
    assert_eq!((method.as_str(), path.as_str()), ("OPTIONS", "/items"));
    assert_eq!(
        headers,
        &crate::common::chromium_preflight(server.port, "content-type")
    );
    assert_eq!(seen[1].0, "PUT");
    assert!(
        seen[1]
            .2
            .contains(&"content-type: application/json".to_string())
    );

    // DELETE is not in the list: the preflight answers, but without DELETE.
    let delete = probe(&[
        &server.url(),
        "--origin",
        "https://app.example",
        "--method",
        "DELETE",
    ]);
    assert_eq!(
        verdict(&delete),
        (
            json!("blocked"),
            json!("MethodDisallowedByPreflightResponse")
        )
    );
    assert_eq!(verdict(&delete), engine_verdict(&delete));

    // A fixed origin is sent whoever asks: another origin sees a mismatch, not a missing header.
    let other = probe(&[&server.url(), "--origin", "https://evil.example"]);
    assert_eq!(
        verdict(&other),
        (json!("blocked"), json!("AllowOriginMismatch"))
    );
    assert_eq!(verdict(&other), engine_verdict(&other));
}

#[test]
fn wildcard_origin_refuses_credentials() {
    let server = MiddlewareServer::start(
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods(Any)
            .allow_headers(Any),
    );
    let anonymous = probe(&[&server.url(), "--origin", "https://app.example"]);
    assert_eq!(verdict(&anonymous), (json!("allowed"), Value::Null));
    assert_eq!(verdict(&anonymous), engine_verdict(&anonymous));

    let with_cookies = probe(&[
        &server.url(),
        "--origin",
        "https://app.example",
        "--credentials",
        "include",
    ]);
    assert_eq!(
        verdict(&with_cookies),
        (json!("blocked"), json!("WildcardOriginNotAllowed"))
    );
    assert_eq!(verdict(&with_cookies), engine_verdict(&with_cookies));
}

#[test]
fn credentials_with_a_mirrored_origin() {
    let server = MiddlewareServer::start(
        CorsLayer::new()
            .allow_origin(AllowOrigin::mirror_request())
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::PUT])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]),
    );
    let put = probe(&[
        &server.url(),
        "--origin",
        "https://app.example",
        "--method",
        "PUT",
        "-H",
        "Authorization: Bearer t0k3n",
        "--credentials",
        "include",
        "--send-actual",
    ]);
    assert_eq!(verdict(&put), (json!("allowed"), Value::Null));
    assert_eq!(verdict(&put), engine_verdict(&put));
    let seen = server.seen();
    let preflight = &seen[0].2;
    assert!(preflight.contains(&"access-control-request-headers: authorization".to_string()));
    assert!(
        !preflight.iter().any(|h| h.starts_with("authorization:")),
        "a preflight never carries the credentials: {preflight:?}"
    );
    assert!(
        seen[1]
            .2
            .contains(&"authorization: Bearer t0k3n".to_string())
    );
}

#[test]
fn a_lesson_runs_against_a_live_server() {
    let server = MiddlewareServer::start(
        CorsLayer::new()
            .allow_origin(HeaderValue::from_static("https://example.com"))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(3000)),
    );
    let lesson = format!("{}/scenarios/basic.json", env!("CARGO_MANIFEST_DIR"));
    let output = Command::cargo_bin("cors-tui")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["probe", "--scenario", &lesson, "--server-url"])
        .arg(format!("http://127.0.0.1:{}", server.port))
        .args(["--send-actual", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        output.status.code(),
        Some(0),
        "every expectation holds live too"
    );
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let outcomes: Vec<&str> = doc["requests"]
        .as_array()
        .map(|all| all.iter().filter_map(|r| r["outcome"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(outcomes, ["allowed", "allowed", "blocked"]);
    // tower-http sends its fixed origin to everyone, where S3 sends nothing to a stranger.
    assert_eq!(doc["requests"][2]["cors_error"], "AllowOriginMismatch");
    let requests: Vec<(String, String)> = server
        .seen()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let expected = [
        ("GET", "/photo.jpg"),
        ("OPTIONS", "/photo.jpg"),
        ("POST", "/photo.jpg"),
        ("GET", "/photo.jpg"),
    ]
    .map(|(m, p)| (m.to_string(), p.to_string()));
    assert_eq!(requests, expected);
    assert!(
        doc["server"][0]
            .as_str()
            .is_some_and(|line| line.starts_with("Live answers")),
        "{}",
        doc["server"]
    );
}
