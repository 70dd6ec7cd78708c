//! Chromium's names for CORS failures (DevTools protocol `Network.CorsError`) and the console
//! message Chromium prints for each (`cors_error_string.cc`), so a step can be matched to what a
//! developer's console said.

use serde::{Deserialize, Serialize};

use crate::scenario::Initiator;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A failure with the value Chromium reports alongside it (`failedParameter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsFailure {
    pub error: CorsError,
    pub parameter: String,
    /// What the console message leaves out (e.g. the other disallowed headers).
    pub note: Option<String>,
}

impl CorsFailure {
    pub fn new(error: CorsError, parameter: impl Into<String>) -> Self {
        CorsFailure {
            error,
            parameter: parameter.into(),
            note: None,
        }
    }
}

const PREFLIGHT_PREFIX: &str = "Response to preflight request doesn't pass access control check: ";
const VALID_VALUE_HINT: &str = " Have the server send the header with a valid value.";

impl CorsError {
    /// Every error, in declaration order.
    pub const ALL: [CorsError; 41] = {
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
        ]
    };

    /// The network errors a recording may name (the DevTools protocol's `errorText`): the end
    /// of [`CorsError::ALL`].
    pub const RECORDED_NETWORK_ERRORS: &[CorsError] = Self::ALL.split_at(24).1;

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

impl CorsFailure {
    /// The text after "has been blocked by CORS policy: ".
    pub fn reason_text(&self) -> String {
        use CorsError::*;
        let p = &self.parameter;
        let (prefixed, text) = match self.error {
            MissingAllowOriginHeader | PreflightMissingAllowOriginHeader => (
                self.error == PreflightMissingAllowOriginHeader,
                "No 'Access-Control-Allow-Origin' header is present on the requested resource."
                    .to_string(),
            ),
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => (
                self.error == PreflightWildcardOriginNotAllowed,
                "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.".to_string(),
            ),
            MultipleAllowOriginValues | PreflightMultipleAllowOriginValues => (
                self.error == PreflightMultipleAllowOriginValues,
                format!("The 'Access-Control-Allow-Origin' header contains multiple values '{p}', but only one is allowed.{VALID_VALUE_HINT}"),
            ),
            InvalidAllowOriginValue | PreflightInvalidAllowOriginValue => (
                self.error == PreflightInvalidAllowOriginValue,
                format!("The 'Access-Control-Allow-Origin' header contains the invalid value '{p}'.{VALID_VALUE_HINT}"),
            ),
            AllowOriginMismatch | PreflightAllowOriginMismatch => (
                self.error == PreflightAllowOriginMismatch,
                format!("The 'Access-Control-Allow-Origin' header has a value '{p}' that is not equal to the supplied origin.{VALID_VALUE_HINT}"),
            ),
            InvalidAllowCredentials | PreflightInvalidAllowCredentials => (
                self.error == PreflightInvalidAllowCredentials,
                text!(
                    "The value of the 'Access-Control-Allow-Credentials' header in the response is '",
                    p,
                    "' which must be 'true' when the request's credentials mode is 'include'.",
                ),
            ),
            PreflightInvalidStatus => (true, "It does not have HTTP ok status.".to_string()),
            PreflightDisallowedRedirect => {
                (true, "Redirect is not allowed for a preflight request.".to_string())
            }
            InvalidAllowMethodsPreflightResponse => (
                false,
                "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".to_string(),
            ),
            InvalidAllowHeadersPreflightResponse => (
                false,
                "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".to_string(),
            ),
            MethodDisallowedByPreflightResponse => (
                false,
                text!(
                    "Method ",
                    p,
                    " is not allowed by Access-Control-Allow-Methods in preflight response.",
                ),
            ),
            HeaderDisallowedByPreflightResponse => (
                false,
                text!(
                    "Request header field ",
                    p,
                    " is not allowed by Access-Control-Allow-Headers in preflight response.",
                ),
            ),
            // Chromium passes an empty location here, so its console shows ''.
            RedirectContainsCredentials => (
                false,
                text!(
                    "Redirect location '",
                    p,
                    "' contains a username and password, which is disallowed for cross-origin requests.",
                ),
            ),
            TooManyRedirects => (
                false,
                "The request was redirected more than 20 times (a network error, not a CORS error).".to_string(),
            ),
            InvalidRedirect => (
                false,
                text!(
                    "The redirect's Location '",
                    p,
                    "' is not an http(s) URL (a network error, not a CORS error).",
                ),
            ),
            UnsafeRedirect => (
                false,
                text!(
                    "The redirect's Location '",
                    p,
                    "' is a URL Chromium never follows a redirect to (a network error, not a CORS error).",
                ),
            ),
            UnknownUrlScheme => (
                false,
                text!(
                    "The redirect's Location '",
                    p,
                    "' is a WebSocket URL, which fetch cannot load (a network error, not a CORS error).",
                ),
            ),
            ConnectionRefused => (false, "The server refused the connection: nothing listens on that host and port (a network error, not a CORS error).".to_string()),
            ConnectionReset => (false, "The connection was reset before an answer came (a network error, not a CORS error).".to_string()),
            ConnectionClosed => (false, "The connection was closed before an answer came (a network error, not a CORS error).".to_string()),
            ConnectionFailed => (false, "The connection to the server failed (a network error, not a CORS error).".to_string()),
            ConnectionTimedOut => (false, "The connection to the server timed out (a network error, not a CORS error).".to_string()),
            TimedOut => (false, "The request timed out before an answer came (a network error, not a CORS error).".to_string()),
            NameNotResolved => (false, "The host name did not resolve (DNS) (a network error, not a CORS error).".to_string()),
            AddressUnreachable => (false, "The server's address was unreachable (a network error, not a CORS error).".to_string()),
            InternetDisconnected => (false, "The browser was offline (a network error, not a CORS error).".to_string()),
            EmptyResponse => (false, "The server closed the connection without sending an answer (a network error, not a CORS error).".to_string()),
            CertAuthorityInvalid => (false, "The server's TLS certificate is not signed by an authority the browser trusts (a network error, not a CORS error).".to_string()),
            CertCommonNameInvalid => (false, "The server's TLS certificate does not name this host (a network error, not a CORS error).".to_string()),
            CertDateInvalid => (false, "The server's TLS certificate has expired or is not yet valid (a network error, not a CORS error).".to_string()),
            SslProtocolError => (false, "The TLS handshake with the server failed (a network error, not a CORS error).".to_string()),
            BlockedByClient => (false, "An extension (an ad or privacy blocker) blocked the request (a network error, not a CORS error).".to_string()),
            Aborted => (false, "The request was cancelled (the page navigated away, or the script aborted it) (a network error, not a CORS error).".to_string()),
            NoAnswerRecorded => (false, "The browser recorded no answer and no reason (a network error, not a CORS error).".to_string()),
            CorsDisabledScheme => (
                false,
                "Cross origin requests are only supported for protocol schemes: chrome, chrome-extension, chrome-untrusted, data, http, https, isolated-app.".to_string(),
            ),
        };
        if prefixed {
            format!("{PREFLIGHT_PREFIX}{text}")
        } else {
            text
        }
    }

    /// The whole console line Chromium prints for a blocked fetch().
    pub fn console_message(&self, url: &str, origin: &str) -> String {
        self.console_message_after(url, None, origin)
    }

    /// [`Self::console_message`] for a request that was redirected from `initial_url` first;
    /// `origin` is the page's, even when the redirect made the browser send `Origin: null`.
    pub fn console_message_after(
        &self,
        url: &str,
        initial_url: Option<&str>,
        origin: &str,
    ) -> String {
        self.console_line(url, initial_url, origin, Initiator::Fetch)
    }

    /// The console line for a request `initiator` made: "Access to image at …" for an
    /// `<img crossorigin>`, and for XMLHttpRequest a last sentence on `withCredentials` after a
    /// credentials failure (both observed in Chromium 148).
    pub fn console_line(
        &self,
        url: &str,
        initial_url: Option<&str>,
        origin: &str,
        initiator: Initiator,
    ) -> String {
        match self.error {
            // Chromium 148's console line for the request at `url`; there is no CORS message.
            // A recorded code this list does not know is kept as the parameter.
            error if error.is_network_error() => {
                let code = if self.parameter.starts_with("net::") {
                    self.parameter.as_str()
                } else {
                    error.name()
                };
                text!("Failed to load resource: ", code)
            }
            _ => {
                let redirected = initial_url
                    .map(|from| text!("(redirected from '", from, "') "))
                    .unwrap_or_default();
                use CorsError::*;
                let xhr_credentials = initiator == Initiator::Xhr
                    && matches!(
                        self.error,
                        WildcardOriginNotAllowed
                            | PreflightWildcardOriginNotAllowed
                            | InvalidAllowCredentials
                            | PreflightInvalidAllowCredentials
                    );
                text!(
                    "Access to ",
                    initiator.console_noun(),
                    " at '",
                    url,
                    "' ",
                    redirected,
                    "from origin '",
                    origin,
                    "' has been blocked by CORS policy: ",
                    self.reason_text(),
                    if xhr_credentials {
                        " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."
                    } else {
                        ""
                    }
                )
            }
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
            assert!(error.name().starts_with("net::ERR_"), "{error:?}");
            assert_eq!(CorsError::from_recorded(error.name()), *error);
        }
        assert_eq!(
            CorsError::from_recorded("net::ERR_QUIC_PROTOCOL_ERROR"),
            CorsError::NoAnswerRecorded
        );
        // The console keeps the code Chromium recorded, known or not.
        let unknown = CorsFailure::new(CorsError::NoAnswerRecorded, "net::ERR_QUIC_PROTOCOL_ERROR");
        assert_eq!(
            unknown.console_message("https://api.example/", "https://app.example"),
            "Failed to load resource: net::ERR_QUIC_PROTOCOL_ERROR"
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

    #[test]
    fn preflight_origin_errors_carry_the_preflight_prefix() {
        let failure = CorsFailure::new(CorsError::PreflightMissingAllowOriginHeader, "");
        assert_eq!(
            failure.console_message("https://b.s3.amazonaws.com/k", "https://app.example"),
            "Access to fetch at 'https://b.s3.amazonaws.com/k' from origin 'https://app.example' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn method_and_header_errors_have_no_prefix() {
        let failure = CorsFailure::new(CorsError::HeaderDisallowedByPreflightResponse, "x-custom");
        assert_eq!(
            failure.reason_text(),
            "Request header field x-custom is not allowed by Access-Control-Allow-Headers in preflight response."
        );
    }

    #[test]
    fn mismatch_names_the_value_and_hints() {
        let failure = CorsFailure::new(CorsError::AllowOriginMismatch, "https://a.example/");
        assert!(failure.reason_text().ends_with(
            "that is not equal to the supplied origin. Have the server send the header with a valid value."
        ));
        assert_eq!(
            CorsError::AllowOriginMismatch.for_preflight(),
            CorsError::PreflightAllowOriginMismatch
        );
    }
}
