//! Input formats beyond the scenario file, each parsed into the types the engine takes.

pub mod azure;
pub mod convert;
pub mod gcs;
pub mod har;
pub mod s3;
pub mod saved;
