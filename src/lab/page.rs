//! The lab's page, the same on every origin of the lesson: it asks the lab for the next request,
//! goes to the origin that sends it, makes it with `fetch()` (or XMLHttpRequest) as the lesson
//! says, and reports what it came to.

use serde::{Deserialize, Serialize};

use super::server::Reply;
use crate::scenario::{Initiator, RequestSpec, Via};

/// The runner. Its only input is what the lab's own `next` answers.
const RUNNER: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>cors-tui lab</title>
<pre id="log"></pre>
<script>
const lab = '/__cors-tui-lab/';
const log = (line) => { document.getElementById('log').textContent += line + '\n'; };
function viaXhr(step) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(step.method, step.url);
    xhr.withCredentials = step.credentials === 'include';
    for (const [name, value] of step.headers) xhr.setRequestHeader(name, value);
    xhr.onload = () => resolve({ resolved: true, status: xhr.status, type: 'cors' });
    xhr.onerror = () => resolve({ resolved: false, error: 'XMLHttpRequest: network error' });
    xhr.send();
  });
}
async function viaFetch(step) {
  try {
    const response = await fetch(step.url, {
      method: step.method, headers: step.headers, credentials: step.credentials,
      cache: step.cache, mode: step.mode,
    });
    return { resolved: true, status: response.status, type: response.type };
  } catch (error) {
    return { resolved: false, error: String(error) };
  }
}
(async () => {
  for (;;) {
    const step = await (await fetch(lab + 'next', { cache: 'no-store' })).json();
    if (step.done) { log('done'); document.title = 'done'; return; }
    if (step.go) { location.href = step.go; return; }
    if (step.wait_ms) await new Promise((resume) => setTimeout(resume, step.wait_ms));
    log('#' + (step.index + 1) + ' ' + step.method + ' ' + step.url);
    const outcome = step.api === 'xhr' ? await viaXhr(step) : await viaFetch(step);
    outcome.index = step.index;
    log('  ' + JSON.stringify(outcome));
    await fetch(lab + 'result', { method: 'POST', body: JSON.stringify(outcome) });
  }
})();
</script>
"#;

/// What the page does next.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Next {
    Done {
        done: bool,
    },
    /// Another origin sends the next request: the page goes there.
    Go {
        go: String,
    },
    Request(Box<Step>),
}

impl Next {
    pub const DONE: Next = Next::Done { done: true };

    pub fn go(to: String) -> Next {
        Next::Go { go: to }
    }

    /// Request `index` (0-based) as the page makes it.
    pub fn request(index: usize, spec: &RequestSpec) -> Next {
        Next::Request(Box::new(Step {
            index,
            api: if spec.initiator == Initiator::Xhr {
                "xhr"
            } else {
                "fetch"
            },
            method: spec.method.clone(),
            url: spec.url.to_string(),
            headers: spec.headers.clone(),
            credentials: spec.credentials.name(),
            cache: spec.cache.name(),
            mode: if spec.via == Via::NoCors {
                "no-cors"
            } else {
                "cors"
            },
            wait_ms: spec.wait_seconds.saturating_mul(1000),
        }))
    }
}

/// One request for the page to make.
#[derive(Serialize)]
pub struct Step {
    index: usize,
    api: &'static str,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    credentials: &'static str,
    cache: &'static str,
    mode: &'static str,
    wait_ms: u64,
}

/// What the page's request came to, as the page reports it.
#[derive(Clone, Debug, Deserialize)]
pub struct Outcome {
    pub index: usize,
    /// The promise resolved (or the XMLHttpRequest loaded).
    pub resolved: bool,
    #[serde(default)]
    pub error: Option<String>,
}

pub fn runner() -> Reply {
    Reply {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: RUNNER.as_bytes().to_vec(),
    }
}

pub fn json(next: &Next) -> Reply {
    Reply {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: serde_json::to_vec(next).unwrap_or_default(),
    }
}

fn empty(status: u16) -> Reply {
    Reply {
        status,
        headers: vec![("Cache-Control".into(), "no-store".into())],
        body: Vec::new(),
    }
}

pub fn not_found() -> Reply {
    empty(404)
}

pub fn bad_request() -> Reply {
    empty(400)
}

pub fn no_content() -> Reply {
    empty(204)
}
