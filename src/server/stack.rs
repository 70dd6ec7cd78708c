//! The server as a scenario gives it: the origin server, which answers whatever reaches it, and
//! the layers in front of it. The loader builds it (`scenario::validate`); the engine sends each
//! exchange down it.

use url::Url;

use super::FrontLayer;
use super::provider::Provider;
use super::rules::CorsConfiguration;
use crate::http::Headers;

/// A fixed HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: String,
    /// For a recorded request that got no answer: the network error the browser recorded
    /// (`net::ERR_CONNECTION_REFUSED`; `net::ERR_FAILED` when it recorded no reason). Status
    /// is then 0 and there are no headers.
    pub network_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// A storage bucket (S3, GCS) or service (Azure) answering from its CORS rules; `None` is
    /// one with no CORS configuration.
    Bucket {
        provider: Provider,
        cors: Option<CorsConfiguration>,
    },
    /// A server that answers every preflight and every actual request the same way. `preflight`
    /// None: a function behind other layers that answers OPTIONS as it answers everything else.
    Static {
        preflight: Option<CannedResponse>,
        actual: CannedResponse,
        /// `actual` as the function's result (`lambda_result`) read by the service in front.
        lambda: Option<std::sync::Arc<super::lambda::LambdaResult>>,
        /// The server reads a session cookie: a request without it is answered as a visitor.
        session: Option<Box<Session>>,
    },
    /// Answers exactly what was recorded, per request: each request's `responses` hold the
    /// answers a browser recorded (a HAR replay) or a live server gave a probe.
    Recorded { by: Recorder },
}

/// A server that knows its users by a session cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The cookie's name (`session_cookie`).
    pub cookie: String,
    /// The answer to any request that does not carry it (`logged_out`).
    pub logged_out: CannedResponse,
}

/// Who recorded a [`ServerKind::Recorded`] server's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorder {
    /// A browser's network log (HAR), as that browser wrote it.
    Browser(RecordingBrowser),
    /// `cors-tui probe`, from a live server.
    Probe,
}

/// The browser whose DevTools wrote a recording: where it matters, its console's own words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordingBrowser {
    /// Chrome, Edge, or a writer the recording does not name.
    #[default]
    Chromium,
    Firefox,
    Safari,
}

impl RecordingBrowser {
    pub fn name(self) -> &'static str {
        match self {
            RecordingBrowser::Chromium => "Chromium",
            RecordingBrowser::Firefox => "Firefox",
            RecordingBrowser::Safari => "Safari",
        }
    }
}

impl Recorder {
    /// The value of the tracker's AllowedOrigins and Matched Rule: there are no rules.
    pub fn no_rules(self) -> &'static str {
        match self {
            Recorder::Browser(_) => "n/a (recorded answers)",
            Recorder::Probe => "n/a (live answers)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub url: Url,
    /// The origin server: the innermost layer, which answers whatever reaches it.
    pub kind: ServerKind,
    /// The layers in front of it, outermost (the one the browser reaches) first.
    pub front: Vec<FrontLayer>,
    /// Where the rules came from when not from the scenario itself (`--config FILE`).
    pub rules_from: Option<String>,
}

/// Per-request answers that replace the server's usual ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseOverrides {
    pub preflight: Option<CannedResponse>,
    pub actual: Option<CannedResponse>,
    /// The answers at each hop the actual request is redirected to, in order: entry `k` answers
    /// the request after redirect `k + 1`. Its own `after_redirect` is always empty.
    pub after_redirect: Vec<ResponseOverrides>,
}

impl ResponseOverrides {
    pub fn is_empty(&self) -> bool {
        self.preflight.is_none() && self.actual.is_none() && self.after_redirect.is_empty()
    }

    /// The answers at hop `hop` (0: the request as the page made it), if any are set.
    pub fn at_hop(&self, hop: usize) -> Option<&ResponseOverrides> {
        match hop {
            0 => Some(self),
            _ => self.after_redirect.get(hop - 1),
        }
    }

    /// The answers at hop `hop`, to set. Hops before it that had none get empty ones: the
    /// server's usual answers, as before.
    pub fn at_hop_mut(&mut self, hop: usize) -> &mut ResponseOverrides {
        if hop == 0 {
            return self;
        }
        if self.after_redirect.len() < hop {
            self.after_redirect.resize_with(hop, Default::default);
        }
        &mut self.after_redirect[hop - 1]
    }
}
