//! Chromium's console messages for CORS failures (`cors_error_string.cc`), word for word, so
//! a step can be matched to what a developer's console said.

use crate::engine::cors_error::{ConsoleLine, FirefoxFacts};
use crate::engine::{CorsError, CorsFailure};
use crate::scenario::Initiator;

const PREFLIGHT_PREFIX: &str = "Response to preflight request doesn't pass access control check: ";
/// What Chromium adds to an `Access-Control-Allow-Origin` value error, for fetch() alone: an
/// XMLHttpRequest's or an element's line ends at the error (observed in Chromium 156, and
/// `initiator_name == kFetch` in `cors_error_string.cc`).
const VALID_VALUE_HINT: &str = " Have the server send the header with a valid value.";

impl CorsFailure {
    /// The text after "has been blocked by CORS policy: ", as fetch() shows it.
    pub fn reason_text(&self) -> String {
        self.reason(Initiator::Fetch)
    }

    /// The text after "has been blocked by CORS policy: " for a request `initiator` made.
    fn reason(&self, initiator: Initiator) -> String {
        use CorsError::*;
        let hint = if initiator == Initiator::Fetch {
            VALID_VALUE_HINT
        } else {
            ""
        };
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
                format!("The 'Access-Control-Allow-Origin' header contains multiple values '{p}', but only one is allowed.{hint}"),
            ),
            InvalidAllowOriginValue | PreflightInvalidAllowOriginValue => (
                self.error == PreflightInvalidAllowOriginValue,
                format!("The 'Access-Control-Allow-Origin' header contains the invalid value '{p}'.{hint}"),
            ),
            AllowOriginMismatch | PreflightAllowOriginMismatch => (
                self.error == PreflightAllowOriginMismatch,
                format!("The 'Access-Control-Allow-Origin' header has a value '{p}' that is not equal to the supplied origin.{hint}"),
            ),
            InvalidAllowCredentials | PreflightInvalidAllowCredentials => (
                self.error == PreflightInvalidAllowCredentials,
                format!("The value of the 'Access-Control-Allow-Credentials' header in the response is '{p}' which must be 'true' when the request's credentials mode is 'include'."),
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
                format!("Method {p} is not allowed by Access-Control-Allow-Methods in preflight response."),
            ),
            HeaderDisallowedByPreflightResponse => (
                false,
                format!("Request header field {p} is not allowed by Access-Control-Allow-Headers in preflight response."),
            ),
            // Chromium passes an empty location here, so its console shows ''.
            RedirectContainsCredentials => (
                false,
                format!("Redirect location '{p}' contains a username and password, which is disallowed for cross-origin requests."),
            ),
            TooManyRedirects => (
                false,
                "The request was redirected more than 20 times (a network error, not a CORS error).".to_string(),
            ),
            InvalidRedirect => (
                false,
                format!("The redirect's Location '{p}' is not an http(s) URL (a network error, not a CORS error)."),
            ),
            UnsafeRedirect => (
                false,
                format!("The redirect's Location '{p}' is a URL Chromium never follows a redirect to (a network error, not a CORS error)."),
            ),
            UnknownUrlScheme => (
                false,
                format!("The redirect's Location '{p}' is a WebSocket URL, which fetch cannot load (a network error, not a CORS error)."),
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
            FirefoxNoAnswer => (false, "Firefox recorded no answer and no reason: the request failed at the network (nothing listening, DNS, TLS, a reset) or was stopped before it was sent (a network error, not a CORS error).".to_string()),
            MixedContent => (
                false,
                "An HTTPS page may not fetch an http: URL: it is mixed content, blocked before it is sent (not a CORS error).".to_string(),
            ),
            LocalNetworkAccessPermissionDenied => (
                false,
                format!("Permission was denied for this request to access the `{}` address space.", self.address_space().name()),
            ),
            InsecureLocalNetwork => (
                false,
                format!("The request client is not a secure context and the resource is in more-private address space `{}`.", self.address_space().name()),
            ),
            CorsDisabledScheme => (
                false,
                "Cross origin requests are only supported for protocol schemes: chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app.".to_string(),
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
            // Chromium 156's line, naming the URL blocked (a redirect's target is the
            // parameter); the page's URL is taken to be its origin's root.
            CorsError::MixedContent => {
                let blocked = if self.parameter.is_empty() {
                    url
                } else {
                    self.parameter.as_str()
                };
                format!(
                    "Mixed Content: The page at '{origin}/' was loaded over HTTPS, but requested an insecure {} '{blocked}'. This request has been blocked; the content must be served over HTTPS.",
                    initiator.mixed_content_noun()
                )
            }
            // Firefox 153's line for a request that got no answer: it names CORS, but no header
            // was checked (observed, `tests/fixtures/firefox/api.truth.json`).
            CorsError::FirefoxNoAnswer => format!(
                "{FIREFOX_BLOCKED} {url}. (Reason: CORS request did not succeed). Status code: (null)."
            ),
            // Chromium 148's console line for the request at `url`; there is no CORS message.
            // A recorded code this list does not know is kept as the parameter.
            error if error.is_network_error() => {
                let code = if self.parameter.starts_with("net::") {
                    self.parameter.as_str()
                } else {
                    error.name()
                };
                format!("Failed to load resource: {code}")
            }
            _ => {
                let redirected = initial_url
                    .map(|from| format!("(redirected from '{from}') "))
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
                let noun = initiator.console_noun();
                let reason = self.reason(initiator);
                let with_credentials = if xhr_credentials {
                    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."
                } else {
                    ""
                };
                format!(
                    "Access to {noun} at '{url}' {redirected}from origin '{origin}' has been blocked by CORS policy: {reason}{with_credentials}"
                )
            }
        }
    }
}

/// How each of Firefox's lines starts; the URL and the reason follow.
const FIREFOX_BLOCKED: &str =
    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at";

impl CorsFailure {
    /// Firefox's console line for this failure at `url`, word for word as Firefox 153 wrote it
    /// (`tests/fixtures/firefox/`, recorded by `tools/record-har/firefox.mjs`); `None` for a
    /// failure whose line was not observed. Firefox writes a second line, "CORS request did not
    /// succeed", after a failed preflight: this is the first, which gives the reason.
    pub fn firefox_console_line(&self, url: &str, facts: &FirefoxFacts) -> Option<String> {
        use CorsError::*;
        let p = &self.parameter;
        let status = facts
            .status
            .map_or_else(|| "(null)".to_string(), |s| s.to_string());
        let reason = match self.error {
            MissingAllowOriginHeader | PreflightMissingAllowOriginHeader => format!(
                "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: {status}."
            ),
            // The one line that quotes the URL.
            WildcardOriginNotAllowed | PreflightWildcardOriginNotAllowed => {
                return Some(format!(
                    "{FIREFOX_BLOCKED} ‘{url}’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’)."
                ));
            }
            InvalidAllowCredentials | PreflightInvalidAllowCredentials => {
                "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).".to_string()
            }
            // Two header lines; one line holding a list is a value that does not match.
            MultipleAllowOriginValues | PreflightMultipleAllowOriginValues
                if facts.allow_origin_lines > 1 =>
            {
                "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).".to_string()
            }
            AllowOriginMismatch
            | PreflightAllowOriginMismatch
            | MultipleAllowOriginValues
            | PreflightMultipleAllowOriginValues
            | InvalidAllowOriginValue
            | PreflightInvalidAllowOriginValue => {
                format!("CORS header ‘Access-Control-Allow-Origin’ does not match ‘{p}’).")
            }
            PreflightInvalidStatus => {
                format!("CORS preflight response did not succeed). Status code: {status}.")
            }
            MethodDisallowedByPreflightResponse => {
                "Did not find method in CORS header ‘Access-Control-Allow-Methods’).".to_string()
            }
            HeaderDisallowedByPreflightResponse => format!(
                "header ‘{p}’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response)."
            ),
            InvalidAllowMethodsPreflightResponse | InvalidAllowHeadersPreflightResponse => {
                let list = if self.error == InvalidAllowMethodsPreflightResponse {
                    "Methods"
                } else {
                    "Headers"
                };
                let token = facts.invalid_token.as_deref()?;
                format!("invalid token ‘{token}’ in CORS header ‘Access-Control-Allow-{list}’).")
            }
            PreflightDisallowedRedirect => {
                "CORS request external redirect not allowed).".to_string()
            }
            FirefoxNoAnswer => "CORS request did not succeed). Status code: (null).".to_string(),
            _ => return None,
        };
        Some(format!("{FIREFOX_BLOCKED} {url}. (Reason: {reason}"))
    }
}

impl std::fmt::Display for ConsoleLine {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            ConsoleLine::Failure(facts) => {
                let firefox = facts
                    .firefox
                    .as_ref()
                    .and_then(|ff| facts.failure.firefox_console_line(&facts.url, ff));
                f.write_str(&firefox.unwrap_or_else(|| {
                    facts.failure.console_line(
                        &facts.url,
                        facts.redirected_from.as_deref(),
                        &facts.origin,
                        facts.initiator,
                    )
                }))
            }
            ConsoleLine::Words(words) => f.write_str(words),
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::engine::cors_error::FirefoxFacts;

    /// Firefox 153's words, as `tests/fixtures/firefox/reasons.truth.json` holds them.
    #[test]
    fn firefox_names_two_allow_origin_lines_otherwise_than_one_line_with_a_list() {
        let url = "https://api.example/items";
        let failure = CorsFailure::new(
            CorsError::MultipleAllowOriginValues,
            "https://app.example, https://app.example",
        );
        let facts = |lines| FirefoxFacts {
            status: Some(200),
            allow_origin_lines: lines,
            invalid_token: None,
        };
        assert_eq!(
            failure.firefox_console_line(url, &facts(2)).as_deref(),
            Some(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/items. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed)."
            )
        );
        assert_eq!(
            failure.firefox_console_line(url, &facts(1)).as_deref(),
            Some(
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘https://app.example, https://app.example’)."
            )
        );
    }

    #[test]
    fn firefox_names_the_status_of_an_answer_without_allow_origin_and_quotes_the_url_for_credentials()
     {
        let url = "https://api.example/items";
        let facts = FirefoxFacts {
            status: Some(403),
            ..FirefoxFacts::default()
        };
        let missing = CorsFailure::new(CorsError::PreflightMissingAllowOriginHeader, "");
        assert!(
            missing
                .firefox_console_line(url, &facts)
                .is_some_and(|line| line.ends_with("missing). Status code: 403."))
        );
        let wildcard = CorsFailure::new(CorsError::WildcardOriginNotAllowed, "*");
        assert!(
            wildcard
                .firefox_console_line(url, &facts)
                .is_some_and(|line| line.contains("at ‘https://api.example/items’. (Reason:"))
        );
        // Not observed in Firefox: Chromium's line stands.
        let mixed = CorsFailure::new(CorsError::MixedContent, url);
        assert_eq!(mixed.firefox_console_line(url, &facts), None);
        // An unparseable list whose bad item is unknown has no line of Firefox's either.
        let methods = CorsFailure::new(CorsError::InvalidAllowMethodsPreflightResponse, "");
        assert_eq!(methods.firefox_console_line(url, &facts), None);
    }

    #[test]
    fn firefox_facts_name_the_first_item_that_is_no_token() {
        let answer = crate::http::test_response(
            204,
            &[
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Methods", "GET, PUT PATCH, DELETE"),
            ],
        );
        let failure = CorsFailure::new(CorsError::InvalidAllowMethodsPreflightResponse, "");
        let facts = FirefoxFacts::of(Some(&failure), Some(&answer));
        assert_eq!(facts.invalid_token.as_deref(), Some("PUT PATCH"));
        assert_eq!((facts.status, facts.allow_origin_lines), (Some(204), 1));
        assert_eq!(
            FirefoxFacts::of(Some(&failure), None),
            FirefoxFacts::default()
        );
    }
    use super::*;

    #[test]
    fn the_console_keeps_the_code_chromium_recorded_known_or_not() {
        let unknown = CorsFailure::new(CorsError::NoAnswerRecorded, "net::ERR_QUIC_PROTOCOL_ERROR");
        assert_eq!(
            unknown.console_message("https://api.example/", "https://app.example"),
            "Failed to load resource: net::ERR_QUIC_PROTOCOL_ERROR"
        );
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
    fn only_fetch_is_told_to_send_a_valid_value() {
        let failure = CorsFailure::new(CorsError::PreflightAllowOriginMismatch, "null");
        let url = "https://api.example/x";
        let line = |initiator| failure.console_line(url, None, "https://app.example", initiator);
        assert!(line(Initiator::Fetch).ends_with(
            "has a value 'null' that is not equal to the supplied origin. Have the server send the header with a valid value."
        ));
        for initiator in [
            Initiator::Xhr,
            Initiator::Img,
            Initiator::Script,
            Initiator::Font,
        ] {
            assert!(
                line(initiator)
                    .ends_with("has a value 'null' that is not equal to the supplied origin."),
                "{initiator:?}: {}",
                line(initiator)
            );
        }
        let several = CorsFailure::new(CorsError::MultipleAllowOriginValues, "*, *");
        assert!(
            several
                .console_line(url, None, "https://app.example", Initiator::Xhr)
                .ends_with("but only one is allowed.")
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
