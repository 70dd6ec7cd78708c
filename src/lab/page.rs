//! The lab's page, the same on every origin of the lesson: it asks the lab for the next request,
//! goes to the origin that sends it, makes it with `fetch()` (or XMLHttpRequest) as the lesson
//! says, and reports what it came to.

use serde::{Deserialize, Serialize};

use super::server::Reply;
use crate::scenario::{Credentials, Initiator, RequestSpec, Via};

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
    xhr.onload = () => resolve({
      resolved: true, status: xhr.status, type: 'cors',
      readable: xhr.getAllResponseHeaders().split('\r\n').filter((line) => line)
        .map((line) => line.split(':')[0].trim().toLowerCase()),
    });
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
    return {
      resolved: true, status: response.status, type: response.type,
      readable: [...response.headers.keys()],
    };
  } catch (error) {
    return { resolved: false, error: String(error) };
  }
}
function viaElement(step) {
  if (step.api === 'font') {
    return new FontFace('lab' + step.index, 'url(' + JSON.stringify(step.url) + ')').load()
      .then(() => ({ resolved: true }), (error) => ({ resolved: false, error: String(error) }));
  }
  return new Promise((resolve) => {
    const element = document.createElement(step.api);
    if (step.crossorigin) element.crossOrigin = step.crossorigin;
    element.onload = () => resolve({ resolved: true });
    element.onerror = () => resolve({ resolved: false, error: '<' + step.api + '>: error event' });
    element.src = step.url;
    if (step.api === 'script') document.head.append(element);
  });
}
function make(step) {
  if (step.api === 'xhr') return viaXhr(step);
  if (step.api === 'fetch') return viaFetch(step);
  return viaElement(step);
}
// An opaque origin (Origin: null) is a sandboxed frame's: the same functions run in one.
function inSandbox(step) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.sandbox = 'allow-scripts';
    frame.srcdoc = '<script>' + [viaXhr, viaFetch, viaElement, make].join('\n')
      + '\nonmessage = async (e) => parent.postMessage(await make(e.data), "*");<\/script>';
    onmessage = (e) => { if (e.source === frame.contentWindow) { frame.remove(); resolve(e.data); } };
    frame.onload = () => frame.contentWindow.postMessage(step, '*');
    document.body.append(frame);
  });
}
(async () => {
  for (;;) {
    const step = await (await fetch(lab + 'next', { cache: 'no-store' })).json();
    if (step.done) { log('done'); document.title = 'done'; return; }
    if (step.go) { location.href = step.go; return; }
    if (step.wait_ms) await new Promise((resume) => setTimeout(resume, step.wait_ms));
    log('#' + (step.index + 1) + ' ' + step.method + ' ' + step.url);
    if (step.expected) log('  ' + step.expected);
    const outcome = step.sandboxed ? await inSandbox(step) : await make(step);
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

    /// Request `index` (0-based) as the page makes it, to `url` (the lesson's, in the
    /// browser's names), with what the simulation expects of it.
    pub fn request(
        index: usize,
        spec: &RequestSpec,
        url: String,
        expected: Option<String>,
    ) -> Next {
        Next::Request(Box::new(Step {
            index,
            api: match spec.initiator {
                Initiator::Fetch => "fetch",
                Initiator::Xhr => "xhr",
                Initiator::Img => "img",
                Initiator::Script => "script",
                Initiator::Font => "font",
            },
            crossorigin: match (spec.via, spec.credentials) {
                (Via::Browser, Credentials::Include) => Some("use-credentials"),
                (Via::Browser, _) => Some("anonymous"),
                _ => None,
            },
            sandboxed: spec.origin.as_deref() == Some("null"),
            method: spec.method.clone(),
            url,
            expected,
            headers: spec.headers.to_vec(),
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
    /// An element's `crossorigin` attribute; `None`: no-cors.
    crossorigin: Option<&'static str>,
    /// Made in a sandboxed frame, whose origin is opaque (`Origin: null`).
    sandboxed: bool,
    method: String,
    url: String,
    /// What the simulation says of it, for the person watching.
    expected: Option<String>,
    headers: Vec<crate::scenario::Header>,
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
    /// The names of the response headers the script could read (fetch() and XMLHttpRequest).
    #[serde(default)]
    pub readable: Option<Vec<String>>,
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

/// What an element's request is answered with when the lesson's server lets it through: a body
/// the element can use (a 1×1 GIF, an empty script, a font with one empty glyph), so that
/// whether it loads depends on CORS alone. The lesson's answers carry headers, not content.
pub fn stand_in(initiator: Initiator) -> Option<(&'static str, &'static [u8])> {
    match initiator {
        Initiator::Img => Some(("image/gif", PIXEL_GIF)),
        Initiator::Script => Some((
            "text/javascript",
            b"// cors-tui lab
",
        )),
        Initiator::Font => Some(("font/ttf", EMPTY_FONT)),
        Initiator::Fetch | Initiator::Xhr => None,
    }
}

/// A transparent 1×1 GIF.
const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x44, 0x00, 0x3b,
];

/// A TrueType font with one empty glyph, which Chromium's font sanitizer (OTS) accepts; made
/// with fontTools' `FontBuilder(1000, isTTF=True)`: glyph order `[".notdef"]`, an empty cmap,
/// an empty glyph 500 units wide, ascent 800, descent -200, family "cors-tui lab".
const EMPTY_FONT: &[u8] = include_bytes!("empty-font.ttf");

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

/// Sends the browser to `to`.
pub fn redirect(to: &str) -> Reply {
    Reply {
        status: 302,
        headers: vec![
            ("Location".into(), to.into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: Vec::new(),
    }
}

/// The lab cannot take the browser in, and says why.
pub fn unavailable(why: &str) -> Reply {
    Reply {
        status: 503,
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: why.as_bytes().to_vec(),
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
