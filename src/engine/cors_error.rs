//! Chromium's names for CORS failures (DevTools protocol `Network.CorsError`) and the console
//! message Chromium prints for each (`cors_error_string.cc`), so a step can be matched to what a
//! developer's console said.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CorsError {
    MissingAllowOriginHeader,
    WildcardOriginNotAllowed,
    MultipleAllowOriginValues,
    InvalidAllowOriginValue,
    AllowOriginMismatch,
    InvalidAllowCredentials,
    PreflightMissingAllowOriginHeader,
    PreflightWildcardOriginNotAllowed,
    PreflightMultipleAllowOriginValues,
    PreflightInvalidAllowOriginValue,
    PreflightAllowOriginMismatch,
    PreflightInvalidAllowCredentials,
    PreflightInvalidStatus,
    PreflightDisallowedRedirect,
    InvalidAllowMethodsPreflightResponse,
    InvalidAllowHeadersPreflightResponse,
    MethodDisallowedByPreflightResponse,
    HeaderDisallowedByPreflightResponse,
    RedirectContainsCredentials,
    /// Not a CORS error but the network error that ends a redirect chain longer than 20 hops
    /// (`net::ERR_TOO_MANY_REDIRECTS`); fetch() rejects the same way.
    #[serde(rename = "net::ERR_TOO_MANY_REDIRECTS")]
    TooManyRedirects,
    /// Not a CORS error: a redirect whose Location is not an http(s) URL
    /// (`net::ERR_INVALID_REDIRECT`). In Chromium, one whose Location does not parse.
    #[serde(rename = "net::ERR_INVALID_REDIRECT")]
    InvalidRedirect,
    /// Chromium: a redirect to `data:`, `file:`, `about:` or `blob:` (`net::ERR_UNSAFE_REDIRECT`),
    /// a network error.
    #[serde(rename = "net::ERR_UNSAFE_REDIRECT")]
    UnsafeRedirect,
    /// Chromium: a redirect to `ws:` or `wss:` (`net::ERR_UNKNOWN_URL_SCHEME`), a network error.
    #[serde(rename = "net::ERR_UNKNOWN_URL_SCHEME")]
    UnknownUrlScheme,
    /// Chromium: a redirect to any other scheme that is not http(s) (`ftp:`, `javascript:`, an
    /// app's own): a CORS error at the new URL. Its parameter is the Location (Chromium's own
    /// `failedParameter` is empty), so the console line can name the new URL.
    CorsDisabledScheme,
    /// Not a CORS error: an HTTPS page's request to an `http:` URL, blocked before it was sent
    /// (DevTools' status: `(blocked:mixed-content)`). Its parameter is the blocked URL.
    #[serde(rename = "blocked:mixed-content")]
    MixedContent,
    /// Chromium: a public HTTPS page's request to a loopback or local address, refused before
    /// it was sent because the user (or headless Chromium) did not grant Local Network
    /// Access. Its parameter is the target's address space.
    LocalNetworkAccessPermissionDenied,
    /// Chromium: the same from a page that is not a secure context, refused outright.
    InsecureLocalNetwork,
    // Network errors a recording holds for a request that got no answer (Chromium's `_error`
    // with status 0): not CORS errors, and no console line but "Failed to load resource".
    #[serde(rename = "net::ERR_CONNECTION_REFUSED")]
    ConnectionRefused,
    #[serde(rename = "net::ERR_CONNECTION_RESET")]
    ConnectionReset,
    #[serde(rename = "net::ERR_CONNECTION_CLOSED")]
    ConnectionClosed,
    #[serde(rename = "net::ERR_CONNECTION_FAILED")]
    ConnectionFailed,
    #[serde(rename = "net::ERR_CONNECTION_TIMED_OUT")]
    ConnectionTimedOut,
    #[serde(rename = "net::ERR_TIMED_OUT")]
    TimedOut,
    #[serde(rename = "net::ERR_NAME_NOT_RESOLVED")]
    NameNotResolved,
    #[serde(rename = "net::ERR_ADDRESS_UNREACHABLE")]
    AddressUnreachable,
    #[serde(rename = "net::ERR_INTERNET_DISCONNECTED")]
    InternetDisconnected,
    #[serde(rename = "net::ERR_EMPTY_RESPONSE")]
    EmptyResponse,
    #[serde(rename = "net::ERR_CERT_AUTHORITY_INVALID")]
    CertAuthorityInvalid,
    #[serde(rename = "net::ERR_CERT_COMMON_NAME_INVALID")]
    CertCommonNameInvalid,
    #[serde(rename = "net::ERR_CERT_DATE_INVALID")]
    CertDateInvalid,
    #[serde(rename = "net::ERR_SSL_PROTOCOL_ERROR")]
    SslProtocolError,
    #[serde(rename = "net::ERR_BLOCKED_BY_CLIENT")]
    BlockedByClient,
    #[serde(rename = "net::ERR_ABORTED")]
    Aborted,
    #[serde(rename = "net::ERR_FAILED")]
    NoAnswerRecorded,
    /// Firefox's record of a request that got no answer: status 0 and no reason at all. Firefox
    /// keeps the answer of a request CORS refused, so this one failed at the network or was
    /// stopped before it was sent; its console calls that "CORS request did not succeed" (MDN's
    /// `CORSDidNotSucceed`). Observed in Firefox 153, `tests/fixtures/firefox/`.
    #[serde(rename = "CORSDidNotSucceed")]
    FirefoxNoAnswer,
}

/// The network error DevTools records for a request Chromium's Local Network Access refused
/// (on a refused preflight; a request without one is recorded as `net::ERR_FAILED`).
pub const LOCAL_NETWORK_ACCESS_CHECKS: &str = "net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS";

/// A failure with the value Chromium reports alongside it (`failedParameter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsFailure {
    pub error: CorsError,
    pub parameter: String,
    /// Every header the preflight answer disallows, when more than one (the console message
    /// names only one of them).
    pub all_disallowed: Vec<String>,
    /// For a Local Network Access refusal, the address space of the URL refused, where the
    /// scenario's addresses said it (its name alone would be taken to be public).
    pub space: Option<super::fetch_rules::AddressSpace>,
}

/// Chromium's console line for a blocked request, as facts (`narrate::console` writes it).
#[derive(Clone, Debug, Eq)]
pub enum ConsoleLine {
    Failure(Box<ConsoleFacts>),
    /// Words as a saved trace holds them.
    Words(String),
}

/// What the console line names: the failure, where it happened, the URL a redirect started
/// from, the page's origin and what in the page sent the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleFacts {
    pub failure: CorsFailure,
    pub url: String,
    pub redirected_from: Option<String>,
    pub origin: String,
    pub initiator: crate::scenario::Initiator,
    /// For a recording Firefox wrote: what Firefox's own line names, which Chromium's does not.
    pub firefox: Option<FirefoxFacts>,
}

impl FirefoxFacts {
    /// What Firefox's line for `failure` names of `answer`, the answer that failed (none for a
    /// request that got none).
    pub fn of(failure: Option<&CorsFailure>, answer: Option<&crate::http::HttpResponse>) -> Self {
        let Some(answer) = answer.filter(|a| a.status != 0) else {
            return FirefoxFacts::default();
        };
        let list = match failure.map(|f| f.error) {
            Some(CorsError::InvalidAllowMethodsPreflightResponse) => {
                Some("Access-Control-Allow-Methods")
            }
            Some(CorsError::InvalidAllowHeadersPreflightResponse) => {
                Some("Access-Control-Allow-Headers")
            }
            _ => None,
        };
        let invalid_token = list
            .and_then(|name| crate::http::combined_header(&answer.headers, name))
            .and_then(|value| {
                value
                    .split(',')
                    .map(str::trim)
                    .find(|item| !item.is_empty() && !crate::http::syntax::is_token(item))
                    .map(str::to_string)
            });
        FirefoxFacts {
            status: Some(answer.status),
            allow_origin_lines: answer
                .headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("Access-Control-Allow-Origin"))
                .count(),
            invalid_token,
        }
    }
}

/// What Firefox's console line for a failure names, from the answer that failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FirefoxFacts {
    /// The status of the answer that failed (`None`: there was none).
    pub status: Option<u16>,
    /// How many `Access-Control-Allow-Origin` lines it carried: Firefox names two lines
    /// otherwise than one line with a list.
    pub allow_origin_lines: usize,
    /// The first item of a preflight answer's `Access-Control-Allow-Methods` or
    /// `-Headers` that is no token.
    pub invalid_token: Option<String>,
}

/// Facts compare as facts; a saved trace's words compare by the words.
impl PartialEq for ConsoleLine {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ConsoleLine::Failure(a), ConsoleLine::Failure(b)) => a == b,
            _ => self.to_string() == other.to_string(),
        }
    }
}

impl CorsFailure {
    /// For a Local Network Access refusal, the address space of the URL refused (its
    /// parameter).
    pub fn address_space(&self) -> super::fetch_rules::AddressSpace {
        self.space.unwrap_or_else(|| {
            url::Url::parse(&self.parameter)
                .map_or(super::fetch_rules::AddressSpace::Loopback, |url| {
                    super::fetch_rules::address_space(&url)
                })
        })
    }

    pub fn new(error: CorsError, parameter: impl Into<String>) -> Self {
        CorsFailure {
            error,
            parameter: parameter.into(),
            all_disallowed: Vec::new(),
            space: None,
        }
    }
}

impl CorsError {
    /// Every error, in declaration order.
    pub const ALL: [CorsError; 45] = {
        use CorsError::*;
        [
            MissingAllowOriginHeader,
            WildcardOriginNotAllowed,
            MultipleAllowOriginValues,
            InvalidAllowOriginValue,
            AllowOriginMismatch,
            InvalidAllowCredentials,
            PreflightMissingAllowOriginHeader,
            PreflightWildcardOriginNotAllowed,
            PreflightMultipleAllowOriginValues,
            PreflightInvalidAllowOriginValue,
            PreflightAllowOriginMismatch,
            PreflightInvalidAllowCredentials,
            PreflightInvalidStatus,
            PreflightDisallowedRedirect,
            InvalidAllowMethodsPreflightResponse,
            InvalidAllowHeadersPreflightResponse,
            MethodDisallowedByPreflightResponse,
            HeaderDisallowedByPreflightResponse,
            RedirectContainsCredentials,
            TooManyRedirects,
            InvalidRedirect,
            UnsafeRedirect,
            UnknownUrlScheme,
            CorsDisabledScheme,
            MixedContent,
            LocalNetworkAccessPermissionDenied,
            InsecureLocalNetwork,
            ConnectionRefused,
            ConnectionReset,
            ConnectionClosed,
            ConnectionFailed,
            ConnectionTimedOut,
            TimedOut,
            NameNotResolved,
            AddressUnreachable,
            InternetDisconnected,
            EmptyResponse,
            CertAuthorityInvalid,
            CertCommonNameInvalid,
            CertDateInvalid,
            SslProtocolError,
            BlockedByClient,
            Aborted,
            NoAnswerRecorded,
            FirefoxNoAnswer,
        ]
    };

    /// The network errors a recording may name (the DevTools protocol's `errorText`): the end
    /// of [`CorsError::ALL`].
    pub const RECORDED_NETWORK_ERRORS: &[CorsError] = Self::ALL.split_at(27).1;

    /// The error for a recorded network failure: its own variant, or, for a code this list
    /// does not know, [`CorsError::NoAnswerRecorded`] (the console line keeps the code).
    pub fn from_recorded(code: &str) -> CorsError {
        Self::RECORDED_NETWORK_ERRORS
            .iter()
            .copied()
            .find(|e| e.name() == code)
            .unwrap_or(CorsError::NoAnswerRecorded)
    }

    /// Whether this is a network failure the browser recorded (rather than one the replay
    /// finds in an answer, like a redirect loop).
    pub fn is_recorded_network_error(self) -> bool {
        Self::RECORDED_NETWORK_ERRORS.contains(&self)
    }

    pub fn name(self) -> &'static str {
        use CorsError::*;
        match self {
            MissingAllowOriginHeader => "MissingAllowOriginHeader",
            WildcardOriginNotAllowed => "WildcardOriginNotAllowed",
            MultipleAllowOriginValues => "MultipleAllowOriginValues",
            InvalidAllowOriginValue => "InvalidAllowOriginValue",
            AllowOriginMismatch => "AllowOriginMismatch",
            InvalidAllowCredentials => "InvalidAllowCredentials",
            PreflightMissingAllowOriginHeader => "PreflightMissingAllowOriginHeader",
            PreflightWildcardOriginNotAllowed => "PreflightWildcardOriginNotAllowed",
            PreflightMultipleAllowOriginValues => "PreflightMultipleAllowOriginValues",
            PreflightInvalidAllowOriginValue => "PreflightInvalidAllowOriginValue",
            PreflightAllowOriginMismatch => "PreflightAllowOriginMismatch",
            PreflightInvalidAllowCredentials => "PreflightInvalidAllowCredentials",
            PreflightInvalidStatus => "PreflightInvalidStatus",
            PreflightDisallowedRedirect => "PreflightDisallowedRedirect",
            InvalidAllowMethodsPreflightResponse => "InvalidAllowMethodsPreflightResponse",
            InvalidAllowHeadersPreflightResponse => "InvalidAllowHeadersPreflightResponse",
            MethodDisallowedByPreflightResponse => "MethodDisallowedByPreflightResponse",
            HeaderDisallowedByPreflightResponse => "HeaderDisallowedByPreflightResponse",
            RedirectContainsCredentials => "RedirectContainsCredentials",
            TooManyRedirects => "net::ERR_TOO_MANY_REDIRECTS",
            InvalidRedirect => "net::ERR_INVALID_REDIRECT",
            UnsafeRedirect => "net::ERR_UNSAFE_REDIRECT",
            UnknownUrlScheme => "net::ERR_UNKNOWN_URL_SCHEME",
            CorsDisabledScheme => "CorsDisabledScheme",
            MixedContent => "blocked:mixed-content",
            LocalNetworkAccessPermissionDenied => "LocalNetworkAccessPermissionDenied",
            InsecureLocalNetwork => "InsecureLocalNetwork",
            ConnectionRefused => "net::ERR_CONNECTION_REFUSED",
            ConnectionReset => "net::ERR_CONNECTION_RESET",
            ConnectionClosed => "net::ERR_CONNECTION_CLOSED",
            ConnectionFailed => "net::ERR_CONNECTION_FAILED",
            ConnectionTimedOut => "net::ERR_CONNECTION_TIMED_OUT",
            TimedOut => "net::ERR_TIMED_OUT",
            NameNotResolved => "net::ERR_NAME_NOT_RESOLVED",
            AddressUnreachable => "net::ERR_ADDRESS_UNREACHABLE",
            InternetDisconnected => "net::ERR_INTERNET_DISCONNECTED",
            EmptyResponse => "net::ERR_EMPTY_RESPONSE",
            CertAuthorityInvalid => "net::ERR_CERT_AUTHORITY_INVALID",
            CertCommonNameInvalid => "net::ERR_CERT_COMMON_NAME_INVALID",
            CertDateInvalid => "net::ERR_CERT_DATE_INVALID",
            SslProtocolError => "net::ERR_SSL_PROTOCOL_ERROR",
            BlockedByClient => "net::ERR_BLOCKED_BY_CLIENT",
            Aborted => "net::ERR_ABORTED",
            NoAnswerRecorded => "net::ERR_FAILED",
            FirefoxNoAnswer => "CORSDidNotSucceed",
        }
    }

    /// Not a CORS error but a network error: the console shows no CORS message, and fetch()
    /// rejects all the same.
    pub fn is_network_error(self) -> bool {
        use CorsError::*;
        matches!(
            self,
            TooManyRedirects | InvalidRedirect | UnsafeRedirect | UnknownUrlScheme
        ) || self.is_recorded_network_error()
    }

    /// Whether the browser refused the request before sending anything: no preflight, no
    /// answer, no CORS check.
    pub fn is_refused_before_sending(self) -> bool {
        matches!(
            self,
            CorsError::MixedContent
                | CorsError::LocalNetworkAccessPermissionDenied
                | CorsError::InsecureLocalNetwork
        )
    }

    /// The preflight variant of a CORS-check failure.
    pub fn for_preflight(self) -> Self {
        use CorsError::*;
        match self {
            MissingAllowOriginHeader => PreflightMissingAllowOriginHeader,
            WildcardOriginNotAllowed => PreflightWildcardOriginNotAllowed,
            MultipleAllowOriginValues => PreflightMultipleAllowOriginValues,
            InvalidAllowOriginValue => PreflightInvalidAllowOriginValue,
            AllowOriginMismatch => PreflightAllowOriginMismatch,
            InvalidAllowCredentials => PreflightInvalidAllowCredentials,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved trace writes `name()` and reads it back through serde: the two must agree.
    #[test]
    fn the_recorded_network_errors_are_the_net_codes_at_the_end_of_all() {
        assert_eq!(
            CorsError::RECORDED_NETWORK_ERRORS.first(),
            Some(&CorsError::ConnectionRefused)
        );
        for error in CorsError::RECORDED_NETWORK_ERRORS {
            assert!(
                error.name().starts_with("net::ERR_") || *error == CorsError::FirefoxNoAnswer,
                "{error:?}"
            );
            assert_eq!(CorsError::from_recorded(error.name()), *error);
        }
        assert_eq!(
            CorsError::from_recorded("net::ERR_QUIC_PROTOCOL_ERROR"),
            CorsError::NoAnswerRecorded
        );
    }

    #[test]
    fn every_name_reads_back_as_its_error() {
        for error in CorsError::ALL {
            let written = serde_json::to_string(&error).unwrap_or_default();
            assert_eq!(written, format!("\"{}\"", error.name()));
            let read: Result<CorsError, _> = serde_json::from_str(&written);
            assert_eq!(read.ok(), Some(error), "{written}");
        }
    }
}
