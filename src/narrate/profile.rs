//! Where the other browser profile would decide differently, in a sentence.

use std::fmt::{self, Display, Formatter};

use crate::engine::profile_note::ProfileNote;

impl Display for ProfileNote {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            ProfileNote::CacheLookup {
                profile,
                theirs,
                method,
                sorted,
            } => f.write_str(&super::request::cache_profile_note(
                theirs, *profile, method, sorted,
            )),
            ProfileNote::PreflightFailsThere { profile, failure } => write!(
                f,
                "Profiles differ: under {} this preflight fails with {}: {}",
                profile.other().label(),
                failure.error.name(),
                failure.reason_text()
            ),
            ProfileNote::PreflightPassesThere { profile } => write!(
                f,
                "Profiles differ: under {} this preflight passes.",
                profile.other().label()
            ),
            ProfileNote::FailsDifferently { profile, theirs } => write!(
                f,
                "Profiles differ: {} reports this failure as {} instead.",
                profile.other().label(),
                theirs.name()
            ),
            ProfileNote::CachedDifferently {
                profile,
                max_age,
                rule,
            } => write!(
                f,
                "Profiles differ: {} would cache this preflight for {max_age} s ({rule}).",
                profile.other().label()
            ),
            ProfileNote::RedirectScheme { profile, scheme } => {
                f.write_str(&super::redirect::scheme_note(*profile, scheme, true))
            }
            ProfileNote::Words(words) => f.write_str(words),
        }
    }
}
