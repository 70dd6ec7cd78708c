//! Where in a JSON document a value sits (`requests[1].headers`), and the problems found there:
//! what every reader of a configuration (the scenario loader, each layer's own reading) reports,
//! for the loader to place at file, line and column.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path into the scenario document, e.g. `requests[1].headers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(pub Vec<Seg>);

impl JsonPath {
    pub fn key(&self, key: &str) -> JsonPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        JsonPath(segs)
    }
    pub fn index(&self, index: usize) -> JsonPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        JsonPath(segs)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub path: JsonPath,
    pub message: String,
}

/// The problems found so far, each at its place in the file.
#[derive(Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(&mut self, path: JsonPath, message: impl Into<String>) {
        self.0.push(Problem {
            path,
            message: message.into(),
        });
    }
}

/// A layer's configuration, or its refusals placed at their keys.
pub(crate) fn refused<T>(
    result: Result<T, Vec<Refusal>>,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<T> {
    match result {
        Ok(config) => Some(config),
        Err(refusals) => {
            for (key, index, message) in refusals {
                let at = path.key(key);
                problems.add(index.map_or(at.clone(), |i| at.index(i)), message);
            }
            None
        }
    }
}

/// What a service refuses in a layer's configuration, each at its key: (key, index within it,
/// the service's message).
pub type Refusal = (&'static str, Option<usize>, String);

/// Reads a part of the file kept as raw JSON, with errors placed at the failing key.
pub(crate) fn sub_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    path: &JsonPath,
    problems: &mut Problems,
) -> Option<T> {
    deserialize_at(value, path)
        .map_err(|problem| problems.0.push(problem))
        .ok()
}

/// `value` read as `T`, or the problem at the key where it fails (`at` is `value`'s place).
pub(crate) fn deserialize_at<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    at: &JsonPath,
) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let mut path = at.clone();
        for segment in err.path().iter() {
            path = match segment {
                serde_path_to_error::Segment::Seq { index } => path.index(*index),
                serde_path_to_error::Segment::Map { key } => path.key(key),
                serde_path_to_error::Segment::Enum { variant } => path.key(variant),
                serde_path_to_error::Segment::Unknown => path,
            };
        }
        Problem {
            path,
            message: err.inner().to_string(),
        }
    })
}
