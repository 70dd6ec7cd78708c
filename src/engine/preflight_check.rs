//! How the browser judges a preflight answer (§"CORS-preflight fetch", steps 7 onward), per
//! profile.

use super::cors_error::{CorsError, CorsFailure};
use super::fetch_rules::{
    MaxAgeRule, chromium_caches_preflight_for, cors_check, is_safelisted_method, max_age,
    parse_token_list,
};
use crate::http::HttpResponse;
use crate::scenario::BrowserProfile;

/// What a passing preflight allows and how long it is cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightPass {
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub max_age: u64,
    pub max_age_rule: MaxAgeRule,
    /// The checks passed, in order.
    pub checks: Vec<PassedCheck>,
}

/// A check a passing preflight answer passed (`narrate` says it in words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassedCheck {
    /// `Access-Control-Allow-Origin: *`, and the request has no credentials.
    AnyOrigin,
    /// `Access-Control-Allow-Origin` names the origin (and, with credentials,
    /// `Access-Control-Allow-Credentials: true`).
    OriginEquals {
        origin: String,
        credentials: bool,
    },
    OkStatus {
        status: u16,
    },
    MethodListed {
        method: String,
    },
    /// GET, HEAD and POST need not be listed.
    MethodSafelisted {
        method: String,
    },
    /// `Access-Control-Allow-Methods: *` without credentials.
    MethodWildcard {
        method: String,
    },
    /// `Access-Control-Allow-Headers` lists every CORS-unsafe header.
    HeadersListed {
        names: Vec<String>,
    },
    /// `Access-Control-Allow-Headers: *` without credentials covers them.
    HeadersWildcard {
        names: Vec<String>,
    },
}

pub struct PreflightInput<'a> {
    pub response: &'a HttpResponse,
    /// The URL the preflight asked about: the preflight cache's key with the origin.
    pub url: &'a str,
    pub origin: &'a str,
    pub credentials_include: bool,
    pub method: &'a str,
    /// The CORS-unsafe headers' names, in request order.
    pub unsafe_names: &'a [String],
}

pub fn check_preflight(
    input: &PreflightInput,
    profile: BrowserProfile,
) -> Result<PreflightPass, CorsFailure> {
    let response = input.response;
    let mut checks = Vec::new();
    if profile == BrowserProfile::Chromium && response.redirect_location().is_some() {
        // Chromium refuses to follow a preflight redirect before it looks at any header.
        return Err(CorsFailure::new(CorsError::PreflightDisallowedRedirect, ""));
    }
    cors_check(response, input.origin, input.credentials_include).map_err(|f| CorsFailure {
        error: f.error.for_preflight(),
        ..f
    })?;
    checks.push(
        match response.header("Access-Control-Allow-Origin").as_deref() {
            Some("*") => PassedCheck::AnyOrigin,
            _ => PassedCheck::OriginEquals {
                origin: input.origin.to_string(),
                credentials: input.credentials_include,
            },
        },
    );
    if !(200..=299).contains(&response.status) {
        return Err(CorsFailure::new(CorsError::PreflightInvalidStatus, ""));
    }
    checks.push(PassedCheck::OkStatus {
        status: response.status,
    });
    let methods = parse_token_list(response.header("Access-Control-Allow-Methods").as_deref())
        .map_err(|_| CorsFailure::new(CorsError::InvalidAllowMethodsPreflightResponse, ""))?;
    let headers = parse_token_list(response.header("Access-Control-Allow-Headers").as_deref())
        .map_err(|_| CorsFailure::new(CorsError::InvalidAllowHeadersPreflightResponse, ""))?;

    let method = input.method;
    let method_text = || method.to_string();
    if methods.iter().any(|m| m == method) {
        checks.push(PassedCheck::MethodListed {
            method: method_text(),
        });
    } else if is_safelisted_method(method) {
        checks.push(PassedCheck::MethodSafelisted {
            method: method_text(),
        });
    } else if !input.credentials_include && methods.iter().any(|m| m == "*") {
        checks.push(PassedCheck::MethodWildcard {
            method: method_text(),
        });
    } else {
        return Err(CorsFailure::new(
            CorsError::MethodDisallowedByPreflightResponse,
            method,
        ));
    }

    // A set: a request may ask for thousands of headers, and the answer list as many.
    let listed_names: foldhash::HashSet<String> =
        headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    let listed = |name: &str| listed_names.contains(&name.to_ascii_lowercase());
    let wildcard = !input.credentials_include && headers.iter().any(|h| h == "*");
    // Authorization is the one "CORS non-wildcard request-header name": the standard never
    // lets `*` cover it; Chromium, Firefox (observed in 153, `tests/fixtures/firefox/`) and
    // Safari do for requests without credentials.
    let wildcard_covers =
        |name: &str| wildcard && (profile == BrowserProfile::Chromium || name != "authorization");
    let mut disallowed: Vec<&str> = input
        .unsafe_names
        .iter()
        .map(String::as_str)
        .filter(|name| !listed(name) && !wildcard_covers(name))
        .collect();
    disallowed.sort_unstable();
    if let Some(first) = disallowed.first() {
        let mut failure = CorsFailure::new(CorsError::HeaderDisallowedByPreflightResponse, *first);
        if disallowed.len() > 1 {
            // Observed in headless Chromium: the message names one disallowed header, picked by
            // its internal header order (neither request nor sorted order).
            failure.all_disallowed = disallowed.iter().map(|name| name.to_string()).collect();
        }
        return Err(failure);
    }
    if !input.unsafe_names.is_empty() {
        let names = input.unsafe_names.to_vec();
        checks.push(if wildcard && names.iter().any(|n| !listed(n)) {
            PassedCheck::HeadersWildcard { names }
        } else {
            PassedCheck::HeadersListed { names }
        });
    }
    let (max_age, max_age_rule) =
        if profile == BrowserProfile::Chromium && !chromium_caches_preflight_for(input.url) {
            (
                0,
                MaxAgeRule::UrlTooLong {
                    length: input.url.len(),
                },
            )
        } else {
            max_age(
                response.header("Access-Control-Max-Age").as_deref(),
                profile,
            )
        };
    Ok(PreflightPass {
        methods,
        headers,
        max_age,
        max_age_rule,
        checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_response as response;
    use BrowserProfile::{Chromium, Standard};

    pub(super) fn unsafe_names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn check(
        r: &HttpResponse,
        method: &str,
        names: &[&str],
        include: bool,
        profile: BrowserProfile,
    ) -> Result<PreflightPass, CorsError> {
        let headers = unsafe_names(names);
        check_preflight(
            &PreflightInput {
                response: r,
                url: "https://b/k",
                origin: "https://a",
                credentials_include: include,
                method,
                unsafe_names: &headers,
            },
            profile,
        )
        .map_err(|f| f.error)
    }

    #[test]
    fn cors_check_runs_before_the_status_check() {
        let r = response(403, &[]);
        assert_eq!(
            check(&r, "PUT", &[], false, Standard).err(),
            Some(CorsError::PreflightMissingAllowOriginHeader)
        );
        let r = response(403, &[("Access-Control-Allow-Origin", "*")]);
        assert_eq!(
            check(&r, "PUT", &[], false, Standard).err(),
            Some(CorsError::PreflightInvalidStatus)
        );
    }

    #[test]
    fn method_list_is_case_sensitive_and_star_needs_no_credentials() {
        let lower = response(
            200,
            &[
                ("Access-Control-Allow-Origin", "https://a"),
                ("Access-Control-Allow-Methods", "put"),
            ],
        );
        assert_eq!(
            check(&lower, "PUT", &[], false, Chromium).err(),
            Some(CorsError::MethodDisallowedByPreflightResponse)
        );
        let star = response(
            200,
            &[
                ("Access-Control-Allow-Origin", "https://a"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "*"),
            ],
        );
        assert!(check(&star, "PUT", &[], false, Chromium).is_ok());
        assert_eq!(
            check(&star, "PUT", &[], true, Chromium).err(),
            Some(CorsError::MethodDisallowedByPreflightResponse)
        );
    }

    #[test]
    fn authorization_under_star_is_where_the_profiles_part() {
        let r = response(
            200,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Headers", "*"),
            ],
        );
        assert!(check(&r, "GET", &["authorization"], false, Chromium).is_ok());
        assert_eq!(
            check(&r, "GET", &["authorization"], false, Standard).err(),
            Some(CorsError::HeaderDisallowedByPreflightResponse)
        );
        let named = response(
            200,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Headers", "Authorization"),
            ],
        );
        assert!(check(&named, "GET", &["authorization"], false, Standard).is_ok());
    }

    #[test]
    fn unparseable_lists_are_network_errors() {
        let r = response(
            200,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "PUT DELETE"),
            ],
        );
        assert_eq!(
            check(&r, "PUT", &[], false, Standard).err(),
            Some(CorsError::InvalidAllowMethodsPreflightResponse)
        );
    }

    #[test]
    fn chromium_refuses_redirected_preflights_first() {
        let r = response(302, &[("Location", "https://elsewhere/")]);
        assert_eq!(
            check(&r, "PUT", &[], false, Chromium).err(),
            Some(CorsError::PreflightDisallowedRedirect)
        );
        assert_eq!(
            check(&r, "PUT", &[], false, Standard).err(),
            Some(CorsError::PreflightMissingAllowOriginHeader)
        );
    }
}

#[cfg(test)]
mod disallowed_tests {
    use super::*;

    #[test]
    fn several_disallowed_headers_are_all_named_in_the_note() {
        let response = HttpResponse {
            status: 204,
            headers: vec![
                ("Access-Control-Allow-Origin".into(), "https://a".into()),
                ("Access-Control-Allow-Headers".into(), "x-ok".into()),
            ]
            .into(),
            body: String::new(),
        };
        let headers = super::tests::unsafe_names(&["x-ok", "z-custom", "a-custom"]);
        let input = PreflightInput {
            response: &response,
            url: "https://b/k",
            origin: "https://a",
            credentials_include: false,
            method: "GET",
            unsafe_names: &headers,
        };
        let failure = check_preflight(&input, BrowserProfile::Chromium).err();
        assert_eq!(
            failure.as_ref().map(|f| f.parameter.as_str()),
            Some("a-custom")
        );
        assert_eq!(
            failure.map(|f| f.all_disallowed),
            Some(vec!["a-custom".to_string(), "z-custom".to_string()])
        );
    }
}
