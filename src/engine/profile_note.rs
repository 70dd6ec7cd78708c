//! Where the other browser profile (Chromium or the Fetch standard) would decide a request
//! differently, as facts; `narrate` says each in a sentence.

use super::cors_error::{CorsError, CorsFailure};
use super::fetch_rules::MaxAgeRule;
use super::preflight_cache::Lookup;
use super::preflight_check::PreflightPass;
use crate::scenario::BrowserProfile;

/// `profile` is the one the run used; the note is about [`BrowserProfile::other`].
#[derive(Clone, Debug, Eq)]
pub enum ProfileNote {
    /// The other profile's preflight cache answers differently.
    CacheLookup {
        profile: BrowserProfile,
        theirs: Lookup,
        method: String,
        /// The CORS-unsafe header names, sorted.
        sorted: Vec<String>,
    },
    /// The preflight that passed here fails there.
    PreflightFailsThere {
        profile: BrowserProfile,
        failure: CorsFailure,
    },
    /// The preflight that failed here passes there.
    PreflightPassesThere { profile: BrowserProfile },
    /// Both fail, with different errors.
    FailsDifferently {
        profile: BrowserProfile,
        theirs: CorsError,
    },
    /// Both pass, cached for different times.
    CachedDifferently {
        profile: BrowserProfile,
        max_age: u64,
        rule: MaxAgeRule,
    },
    /// A redirect to a URL that is not http(s): the profiles name the failure differently.
    RedirectScheme {
        profile: BrowserProfile,
        scheme: String,
    },
    /// Words as a saved trace holds them.
    Words(String),
}

impl ProfileNote {
    /// Where the other profile judges a preflight answer differently from `profile`, if it
    /// does.
    pub fn of_preflight(
        mine: &Result<PreflightPass, CorsFailure>,
        theirs: &Result<PreflightPass, CorsFailure>,
        profile: BrowserProfile,
    ) -> Option<Self> {
        match (mine, theirs) {
            (Ok(_), Err(failure)) => Some(ProfileNote::PreflightFailsThere {
                profile,
                failure: failure.clone(),
            }),
            (Err(_), Ok(_)) => Some(ProfileNote::PreflightPassesThere { profile }),
            (Err(a), Err(b)) if a.error != b.error => Some(ProfileNote::FailsDifferently {
                profile,
                theirs: b.error,
            }),
            (Ok(a), Ok(b)) if a.max_age != b.max_age => Some(ProfileNote::CachedDifferently {
                profile,
                max_age: b.max_age,
                rule: b.max_age_rule.clone(),
            }),
            _ => None,
        }
    }
}

/// Facts compare as facts; a saved trace's words compare by the words.
impl PartialEq for ProfileNote {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
