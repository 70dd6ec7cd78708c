//! What is worked out from a scenario and its trace, for every view: the fix for a blocked
//! request (proven by a re-run), the audit of a bucket's rules, a lesson's key moments and
//! quiz, and what-if edits with the steps they change.

pub mod audit;
pub mod fix;
pub(crate) mod lesson;
pub(crate) mod whatif;
