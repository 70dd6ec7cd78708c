//! CloudFront's audit: what a cache behavior and its policies mean for CORS, in CloudFront's
//! terms.

use crate::server::audit::{Finding, Severity, capitalized};

/// Findings on a CloudFront policy given alone: what it settles whatever behavior it is
/// attached to.
pub fn policy(policy: &crate::server::cloudfront::Policy) -> Vec<Finding> {
    use crate::server::cloudfront::Policy;
    let Policy::ResponseHeaders(headers, _) = policy else {
        return Vec::new();
    };
    match &headers.cors {
        Some(cors) if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") => {
            vec![Finding {
                severity: Severity::Broken,
                rule: None,
                subject: "*".to_string(),
                title: "the response headers policy allows every origin with credentials"
                    .to_string(),
                why: format!(
                    "{} sends Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true; browsers refuse that pair for a request with credentials. List the origins instead.",
                    headers.name
                ),
            }]
        }
        _ => Vec::new(),
    }
}

/// Findings on a CloudFront cache behavior, in CloudFront's terms
/// (`shared/reference/aws-cors-surfaces.md` §4).
pub fn behavior(behavior: &crate::server::cloudfront::Behavior) -> Vec<Finding> {
    let finding = |severity, subject: &str, title: &str, why: String| Finding {
        severity,
        rule: None,
        subject: subject.to_string(),
        title: title.to_string(),
        why,
    };
    let mut findings = Vec::new();
    let cache = &behavior.cache;
    let cors = behavior
        .response_headers
        .as_ref()
        .and_then(|p| Some((p.name.clone(), p.cors.as_ref()?)));
    // A policy that overrides the origin adds the CORS headers per request, cached or not.
    let policy_decides = cors.as_ref().is_some_and(|(_, c)| c.origin_override);
    let in_key = cache.headers.covers("Origin");
    let forwarded = behavior.forwards_header("Origin");
    if cache.caches() && !in_key && !policy_decides {
        if forwarded {
            findings.push(finding(
                Severity::Broken,
                "Origin",
                "Origin is forwarded but not in the cache key",
                format!(
                    "{} keys on the path{} only, while the origin's answer depends on Origin. The first answer stored is replayed to every request at that edge until it expires: after an <img> without crossorigin, curl or a crawler (no Origin), every fetch() gets an answer without Access-Control-Allow-Origin; after one site's fetch(), another site gets the first site's origin. Put Origin in the cache key (a custom cache policy), or add the headers with a response headers policy.",
                    capitalized(&cache.described()),
                    if cache.gzip || cache.brotli { " and Accept-Encoding" } else { "" }
                ),
            ));
        } else {
            findings.push(finding(
                Severity::Broken,
                "Origin",
                "the origin never sees Origin",
                format!(
                    "Neither {} nor an origin request policy includes Origin, so CloudFront strips it: a bucket or server behind it answers as if no page asked, without CORS headers, and that answer is cached for everyone. Put Origin in the cache key, or add the headers with a response headers policy.",
                    cache.described()
                ),
            ));
        }
    }
    if let Some((name, cors)) = &cors
        && !cors.origin_override
        && cache.caches()
        && !in_key
        && forwarded
    {
        findings.push(finding(
            Severity::Broken,
            "OriginOverride",
            "the origin's own Access-Control-Allow-Origin wins over the policy's",
            format!(
                "The response headers policy {name} has OriginOverride false, so where the origin sent a CORS header CloudFront keeps it; with Origin out of the cache key that header was made for whichever request came first. Set OriginOverride true, or put Origin in the cache key."
            ),
        ));
    }
    if !behavior.allows("OPTIONS") {
        findings.push(finding(
            Severity::Broken,
            "OPTIONS",
            "OPTIONS is not an allowed method",
            format!(
                "The behavior allows only {}: every preflight (a PUT or DELETE, a JSON POST, a custom header) gets CloudFront's own 403 page, without CORS headers. Allow GET, HEAD, OPTIONS.",
                behavior.allowed_methods.join(", ")
            ),
        ));
    }
    if behavior.cached_options
        && !policy_decides
        && !(cache.headers.covers("Access-Control-Request-Method")
            && cache.headers.covers("Access-Control-Request-Headers")
            && in_key)
    {
        findings.push(finding(
            Severity::Broken,
            "OPTIONS",
            "preflight answers are cached without the preflight's headers in the key",
            "OPTIONS is cached, but Origin, Access-Control-Request-Method and Access-Control-Request-Headers are not all in the cache key: the first preflight's answer is replayed to preflights from other origins or asking for other methods and headers. Put all three in the cache key, or do not cache OPTIONS.".to_string(),
        ));
    }
    if let Some((name, cors)) = &cors
        && cors.allow_credentials
        && cors.allow_origins.iter().any(|o| o == "*")
    {
        findings.push(finding(
            Severity::Broken,
            "*",
            "the response headers policy allows every origin with credentials",
            format!(
                "{name} sends Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true; browsers refuse that pair for a request with credentials. List the origins instead."
            ),
        ));
    }
    if cache.legacy && cache.headers == crate::server::cloudfront::Selection::All {
        findings.push(finding(
            Severity::Noisy,
            "*",
            "every header is forwarded, so nothing is cached",
            "The legacy setting that forwards all headers turns caching off for this behavior: CORS works, at the cost of every request reaching the origin.".to_string(),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response headers policy audited alone: '*' with credentials is broken whatever
    /// behavior it is attached to; a cache policy alone says nothing.
    #[test]
    fn a_policy_alone_is_judged_by_its_cors_config() {
        use crate::server::cloudfront::{Policy, config};
        let Some(mut headers) = config::managed_response_headers("SimpleCORS") else {
            panic!("a managed policy")
        };
        let judged = |headers| policy(&Policy::ResponseHeaders(headers, serde_json::Value::Null));
        assert!(judged(headers.clone()).is_empty());
        if let Some(cors) = headers.cors.as_mut() {
            cors.allow_credentials = true;
        }
        let found = judged(headers);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Broken);
        let Some(cache) = config::managed_cache("CachingOptimized") else {
            panic!("a managed policy")
        };
        assert!(policy(&Policy::Cache(cache, serde_json::Value::Null)).is_empty());
    }

    /// The titles of a behavior's findings: `managed` names its cache, origin request and
    /// response headers policies; `methods` its allowed methods, OPTIONS cached when last.
    fn cloudfront(
        methods: &[&str],
        cache: crate::server::cloudfront::config::CachePolicy,
        origin_request: Option<&str>,
        response_headers: Option<crate::server::cloudfront::ResponseHeadersPolicy>,
    ) -> Vec<String> {
        use crate::server::cloudfront::{Behavior, config};
        let given = Behavior {
            allowed_methods: methods
                .iter()
                .filter(|m| **m != "cached")
                .map(|m| m.to_string())
                .collect(),
            cached_options: methods.last() == Some(&"cached"),
            cache,
            origin_request: origin_request.and_then(config::managed_origin_request),
            response_headers,
        };
        super::behavior(&given)
            .into_iter()
            .map(|f| f.title)
            .collect()
    }

    fn cache(name: &str) -> crate::server::cloudfront::config::CachePolicy {
        crate::server::cloudfront::config::managed_cache(name).unwrap()
    }

    fn origin_in_key() -> crate::server::cloudfront::config::CachePolicy {
        let mut policy = cache("CachingOptimized");
        policy.headers = crate::server::cloudfront::Selection::Only(vec![
            "Origin".to_string(),
            "Access-Control-Request-Method".to_string(),
            "Access-Control-Request-Headers".to_string(),
        ]);
        policy
    }

    const ALL: [&str; 7] = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

    #[test]
    fn cloudfront_origin_forwarded_but_not_keyed_is_flagged_and_keyed_is_not() {
        let flagged = cloudfront(&ALL, cache("CachingOptimized"), Some("CORS-S3Origin"), None);
        assert_eq!(flagged, ["Origin is forwarded but not in the cache key"]);
        assert!(cloudfront(&ALL, origin_in_key(), None, None).is_empty());
        // Nothing is stored, so nothing is replayed.
        assert!(cloudfront(&ALL, cache("CachingDisabled"), Some("CORS-S3Origin"), None).is_empty());
    }

    #[test]
    fn cloudfront_origin_never_forwarded_is_flagged_unless_a_policy_adds_the_headers() {
        let flagged = cloudfront(&ALL, cache("CachingOptimized"), None, None);
        assert_eq!(flagged, ["the origin never sees Origin"]);
        let policy = crate::server::cloudfront::config::managed_response_headers("SimpleCORS");
        let mut overriding = policy.clone().unwrap();
        if let Some(cors) = overriding.cors.as_mut() {
            cors.origin_override = true;
        }
        assert!(cloudfront(&ALL, cache("CachingOptimized"), None, Some(overriding)).is_empty());
    }

    #[test]
    fn cloudfront_options_not_allowed_is_flagged() {
        let flagged = cloudfront(&["GET", "HEAD"], origin_in_key(), None, None);
        assert_eq!(flagged, ["OPTIONS is not an allowed method"]);
        assert!(cloudfront(&["GET", "HEAD", "OPTIONS"], origin_in_key(), None, None).is_empty());
    }

    #[test]
    fn cloudfront_cached_preflights_need_their_headers_in_the_key() {
        let mut origin_only = cache("CachingOptimized");
        origin_only.headers =
            crate::server::cloudfront::Selection::Only(vec!["Origin".to_string()]);
        let cached = ["GET", "HEAD", "OPTIONS", "cached"];
        assert_eq!(
            cloudfront(&cached, origin_only, None, None),
            ["preflight answers are cached without the preflight's headers in the key"]
        );
        assert!(cloudfront(&cached, origin_in_key(), None, None).is_empty());
    }

    #[test]
    fn cloudfront_origin_override_false_over_a_forwarded_origin_is_flagged() {
        let simple = crate::server::cloudfront::config::managed_response_headers("SimpleCORS");
        let flagged = cloudfront(
            &ALL,
            cache("CachingOptimized"),
            Some("CORS-S3Origin"),
            simple,
        );
        assert!(
            flagged.contains(
                &"the origin's own Access-Control-Allow-Origin wins over the policy's".to_string()
            ),
            "{flagged:?}"
        );
        let simple = crate::server::cloudfront::config::managed_response_headers("SimpleCORS");
        assert!(cloudfront(&ALL, origin_in_key(), Some("CORS-S3Origin"), simple).is_empty());
    }

    #[test]
    fn cloudfront_legacy_all_headers_is_flagged_as_no_caching() {
        let mut all = cache("CachingOptimized");
        all.legacy = true;
        all.headers = crate::server::cloudfront::Selection::All;
        all.ttl = crate::server::cloudfront::config::Ttl {
            min: 0,
            default: 0,
            max: 0,
        };
        assert_eq!(
            cloudfront(&ALL, all, None, None),
            ["every header is forwarded, so nothing is cached"]
        );
        let mut whitelist = origin_in_key();
        whitelist.legacy = true;
        assert!(cloudfront(&ALL, whitelist, None, None).is_empty());
    }

    #[test]
    fn cloudfront_policy_star_with_credentials_is_flagged() {
        let mut policy =
            crate::server::cloudfront::config::managed_response_headers("SimpleCORS").unwrap();
        if let Some(cors) = policy.cors.as_mut() {
            cors.allow_credentials = true;
        }
        assert_eq!(
            cloudfront(&ALL, origin_in_key(), None, Some(policy.clone())),
            ["the response headers policy allows every origin with credentials"]
        );
        if let Some(cors) = policy.cors.as_mut() {
            cors.allow_origins = vec!["https://app.example".to_string()];
        }
        assert!(cloudfront(&ALL, origin_in_key(), None, Some(policy)).is_empty());
    }
}
