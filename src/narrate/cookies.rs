//! The cookie jar's decision for one request, in words.

use crate::engine::cookies::{CookieDecision, Exclusion, Refusal, SetByAnswer};
use crate::http::HttpRequest;

/// What went with `request` from the jar, what stayed home and why, and what was never stored.
pub fn told(decision: &CookieDecision, request: &HttpRequest) -> String {
    let mut text = String::new();
    let host = url::Url::parse(&request.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    if decision.sent.is_empty() {
        text.push_str(&format!("No cookie goes to {host}."));
    } else {
        let names: Vec<&str> = decision.sent.iter().map(|(n, _)| n.as_str()).collect();
        text.push_str(&format!(
            "The Cookie header carries {} to {host}",
            list(&names)
        ));
        text.push_str(if decision.cross_site {
            ": another site gets only SameSite=None; Secure cookies."
        } else {
            ", on the page's own site (scheme and registrable domain), where SameSite holds no cookie back."
        });
    }
    // One sentence per reason: the credentials mode holds back every cookie at once.
    let mut reasons: Vec<(Exclusion, Vec<&str>)> = Vec::new();
    for (name, why) in &decision.withheld {
        match reasons.iter_mut().find(|(r, _)| r == why) {
            Some((_, names)) => names.push(name),
            None => reasons.push((*why, vec![name])),
        }
    }
    for (why, names) in reasons {
        text.push(' ');
        text.push_str(&withheld(why, &names, decision.cross_site));
    }
    for (name, why) in &decision.refused {
        text.push(' ');
        text.push_str(&refused(name, *why));
    }
    text
}

fn withheld(why: Exclusion, names: &[&str], cross_site: bool) -> String {
    let them = list(names);
    let is = if names.len() == 1 { "is" } else { "are" };
    let has = if names.len() == 1 { "has" } else { "have" };
    match why {
        Exclusion::CredentialsOmit => format!(
            "{them} stay{} home: credentials: 'omit' sends no cookies.",
            s(names)
        ),
        Exclusion::CredentialsSameOrigin => format!(
            "{them} stay{} home: fetch()'s default, credentials: 'same-origin', sends cookies only to the page's own origin{}. The page must ask for them with credentials: 'include'.",
            s(names),
            if cross_site {
                ""
            } else {
                ", not to another origin of the same site"
            }
        ),
        Exclusion::SecureOnly => {
            format!("{them} {is} Secure, and this request is plain http: withheld.")
        }
        Exclusion::SameSiteStrict => format!(
            "{them} {is} SameSite=Strict: withheld, because the request comes from another site (a site is the scheme and the registrable domain)."
        ),
        Exclusion::SameSiteLax => format!(
            "{them} {is} SameSite=Lax: withheld, because the request comes from another site; only a top-level navigation to the site would carry {}.",
            if names.len() == 1 { "it" } else { "them" }
        ),
        Exclusion::SameSiteUnspecifiedTreatedAsLax => format!(
            "{them} {has} no SameSite attribute, which Chromium treats as SameSite=Lax: withheld from another site's request."
        ),
        Exclusion::ThirdPartyBlocked => format!(
            "{them} stay{} home: this browser blocks third-party cookies (Incognito, Safari, or the setting), so no cookie goes to another site, SameSite=None included.",
            s(names)
        ),
        Exclusion::OtherPartition => format!(
            "{them} {is} Partitioned: kept for the top-level site {} set under, and this page is another one.",
            if names.len() == 1 {
                "it was"
            } else {
                "they were"
            }
        ),
    }
}

fn refused(name: &str, why: Refusal) -> String {
    match why {
        Refusal::SameSiteNoneInsecure => format!(
            "{name} was never stored: Chromium refuses SameSite=None without Secure when the site sets it."
        ),
        Refusal::SecureOverHttp => {
            format!("{name} was never stored: a Secure cookie cannot be set over plain http.")
        }
        Refusal::DomainMismatch => format!(
            "{name} was never stored: its Domain is not the setting host or a parent of it."
        ),
        Refusal::PublicSuffixDomain => format!(
            "{name} was never stored: its Domain is a public suffix, shared by other customers' hosts."
        ),
        Refusal::Unparsable => format!("{name} was never stored: not a Set-Cookie line."),
        Refusal::SameSiteFromAnotherSite => format!(
            "{name} was never stored: it came on an answer to another site's request, where only a SameSite=None; Secure cookie may be set, and it is SameSite=Lax or Strict (none counts as Lax)."
        ),
        Refusal::ThirdPartyBlocked => format!(
            "{name} was never stored: it came on an answer to another site's request, and this browser blocks third-party cookies (a Partitioned cookie would be kept, under the page's site)."
        ),
    }
}

/// What the browser did with the answer's `Set-Cookie` lines, when it had any: stored as the
/// answer arrived, before the CORS check and whatever it decides (observed in Chromium 156).
pub fn set_told(decision: &CookieDecision) -> Option<String> {
    if decision.set_by_answer.is_empty() {
        return None;
    }
    let mut text = Vec::new();
    let stored: Vec<&str> = decision
        .set_by_answer
        .iter()
        .filter_map(|set| match set {
            SetByAnswer::Stored { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if !stored.is_empty() {
        let partitioned = decision.set_by_answer.iter().any(|set| {
            matches!(
                set,
                SetByAnswer::Stored {
                    partitioned: true,
                    ..
                }
            )
        });
        text.push(format!(
            "The answer's Set-Cookie stores {} in the browser as it arrives, before the CORS check and whatever it decides (observed in Chromium 156){}.",
            list(&stored),
            if partitioned {
                "; a Partitioned cookie is kept under the page's site, and goes back only from there"
            } else {
                ""
            }
        ));
    }
    let ignored: Vec<&str> = decision
        .set_by_answer
        .iter()
        .filter_map(|set| match set {
            SetByAnswer::Ignored { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if !ignored.is_empty() {
        text.push(format!(
            "The answer's Set-Cookie for {} is ignored: the request did not include credentials, and only credentials: 'include' (withCredentials) lets another origin's answer set a cookie (observed in Chromium 156).",
            list(&ignored)
        ));
    }
    for set in &decision.set_by_answer {
        if let SetByAnswer::Refused { name, reason } = set {
            text.push(refused(name, *reason));
        }
    }
    Some(text.join(" "))
}

fn s(names: &[&str]) -> &'static str {
    if names.len() == 1 { "s" } else { "" }
}

/// `a`, `a and b`, `a, b and c`.
fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
