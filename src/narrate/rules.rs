//! The Fetch rules' findings in words: why a header is CORS-unsafe, how Max-Age was read, the
//! checks a preflight answer passed.

use std::fmt::{self, Display, Formatter};

use crate::engine::CorsFailure;
use crate::engine::fetch_rules::{
    CHROMIUM_LONGEST_CACHED_URL, MaxAgeRule, PreflightReason, Unsafe, UnsafeHeader,
};
use crate::engine::preflight_check::PassedCheck;

impl Display for UnsafeHeader {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        let name = &self.name;
        match &self.reason {
            Unsafe::NotSafelisted => write!(f, "{name} is not a CORS-safelisted request header"),
            Unsafe::TooLong { bytes } => write!(
                f,
                "{name} is {bytes} bytes long; a safelisted value is at most 128 bytes"
            ),
            Unsafe::UnsafeByte { value } => {
                write!(f, "{name} value '{value}' contains a CORS-unsafe byte")
            }
            Unsafe::LanguageByte { value } => write!(
                f,
                "{name} value '{value}' has a byte outside 0-9 A-Z a-z space * , - . ; ="
            ),
            Unsafe::NotSimpleContentType { essence } => write!(
                f,
                "content-type {essence} is not application/x-www-form-urlencoded, multipart/form-data or text/plain"
            ),
            Unsafe::NotMimeType { value } => {
                write!(f, "content-type '{value}' is not a valid MIME type")
            }
            Unsafe::NotSimpleRange { value } => {
                write!(
                    f,
                    "range '{value}' is not a single bytes=N- or bytes=N-M range"
                )
            }
            Unsafe::OverTotal { bytes } => write!(
                f,
                "safelisted header values total {bytes} bytes, over the 1024-byte limit"
            ),
        }
    }
}

impl Display for PreflightReason {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            PreflightReason::Method(method) => write!(
                f,
                "{method} is not a CORS-safelisted method (GET, HEAD, POST)"
            ),
            PreflightReason::Header(header) => header.fmt(f),
            PreflightReason::Words(words) => f.write_str(words),
        }
    }
}

/// A request's preflight reasons in words, joined with "; ".
pub fn reasons_text(reasons: &[PreflightReason]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Display for MaxAgeRule {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            MaxAgeRule::Absent => {
                f.write_str("no Access-Control-Max-Age: cached for the default 5 s")
            }
            MaxAgeRule::Seconds { raw, seconds } => {
                write!(f, "Access-Control-Max-Age {raw}: cached for {seconds} s")
            }
            MaxAgeRule::NotDeltaSeconds { raw } => write!(
                f,
                "Access-Control-Max-Age '{raw}' is not delta-seconds: the default 5 s applies"
            ),
            MaxAgeRule::Negative { raw } => write!(
                f,
                "Access-Control-Max-Age {raw} is negative: Chromium does not cache it"
            ),
            MaxAgeRule::Capped { raw } => write!(
                f,
                "Access-Control-Max-Age {raw}: Chromium caps it at 7200 s (2 hours)"
            ),
            MaxAgeRule::Unparsed { raw } => write!(
                f,
                "Access-Control-Max-Age '{raw}' does not parse: the default 5 s applies"
            ),
            MaxAgeRule::UrlTooLong { length } => write!(
                f,
                "not cached, whatever Access-Control-Max-Age says: Chromium keeps no preflight result for a URL of {} characters or more, and this one has {length} (observed in Chromium 148), so the next request to it sends its own preflight",
                CHROMIUM_LONGEST_CACHED_URL + 1
            ),
        }
    }
}

impl Display for PassedCheck {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            PassedCheck::AnyOrigin => {
                f.write_str("Access-Control-Allow-Origin is * and the request has no credentials")
            }
            PassedCheck::OriginEquals {
                origin,
                credentials: true,
            } => write!(
                f,
                "Access-Control-Allow-Origin equals {origin} and Access-Control-Allow-Credentials is true"
            ),
            PassedCheck::OriginEquals { origin, .. } => {
                write!(f, "Access-Control-Allow-Origin equals {origin}")
            }
            PassedCheck::OkStatus { status } => {
                write!(f, "status {status} is an ok status (200-299)")
            }
            PassedCheck::MethodListed { method } => {
                write!(f, "{method} is listed in Access-Control-Allow-Methods")
            }
            PassedCheck::MethodSafelisted { method } => write!(
                f,
                "{method} is CORS-safelisted, so Access-Control-Allow-Methods need not list it"
            ),
            PassedCheck::MethodWildcard { method } => {
                write!(
                    f,
                    "Access-Control-Allow-Methods * covers {method} (no credentials)"
                )
            }
            PassedCheck::HeadersListed { names } => {
                write!(f, "Access-Control-Allow-Headers lists {}", names.join(", "))
            }
            PassedCheck::HeadersWildcard { names } => write!(
                f,
                "Access-Control-Allow-Headers * covers {} (no credentials)",
                names.join(", ")
            ),
        }
    }
}

/// What a failure's console message leaves out: the other headers a preflight answer
/// disallows (Chromium names only one).
pub fn failure_note(failure: &CorsFailure) -> Option<String> {
    (failure.all_disallowed.len() > 1).then(|| {
        format!(
            "Every one of these is disallowed: {}. Chromium's console message names only one of them, not necessarily {}.",
            failure.all_disallowed.join(", "),
            failure.parameter
        )
    })
}
