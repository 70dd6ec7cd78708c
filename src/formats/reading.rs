//! What reading any configuration file needs: errors placed at file, line and column, a typed
//! JSON parse that names the failing key, where each value of an XML rule sits, and a check of
//! an XML document's element structure.

use serde::Deserialize;

use crate::scenario::{LoadError, LoadErrors, line_column, serde_error};

pub(crate) fn error(
    file: &str,
    text: &str,
    offset: usize,
    key: &str,
    message: impl Into<String>,
) -> LoadErrors {
    let (line, column) = line_column(text, offset);
    LoadErrors(vec![LoadError {
        file: file.to_string(),
        line,
        column,
        key: key.to_string(),
        message: message.into(),
    }])
}

pub(crate) fn typed<'de, T: Deserialize<'de>>(text: &'de str, file: &str) -> Result<T, LoadErrors> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let key = err.path().to_string();
        LoadErrors(vec![serde_error(file, &key, err.inner())])
    })?;
    deserializer
        .end()
        .map_err(|err| LoadErrors(vec![serde_error(file, "", &err)]))?;
    Ok(value)
}

/// One value's place in the XML: (element name, index among its repeats, byte offset).
pub(crate) type ValuePlace = (&'static str, usize, usize);
/// A rule's byte offset and the places of its values.
pub(crate) type RulePlaces = (usize, Vec<ValuePlace>);

/// The document's element structure, checked as the reader walks it: one root element, and
/// every element closed before the file ends. quick-xml reports mismatched end tags but not a
/// file cut short, which would otherwise be read as the rules it got to.
#[derive(Default)]
pub(crate) struct XmlShape {
    /// Each open element's name and where its `<` is.
    open: Vec<(String, usize)>,
    roots: usize,
}

impl XmlShape {
    /// An element starts (`empty`: and ends, `<X/>`) at byte `at`.
    pub(crate) fn start(
        &mut self,
        name: &str,
        at: usize,
        empty: bool,
        file: &str,
        text: &str,
    ) -> Result<(), LoadErrors> {
        if self.open.is_empty() {
            self.roots += 1;
            if self.roots > 1 {
                return Err(error(
                    file,
                    text,
                    at,
                    "",
                    format!("<{name}> is a second root element; an XML document has only one"),
                ));
            }
        }
        if !empty {
            self.open.push((name.to_string(), at));
        }
        Ok(())
    }

    pub(crate) fn end(&mut self) {
        self.open.pop();
    }

    /// At the end of the file: the innermost element still open, if any, is an error.
    pub(crate) fn finish(&self, file: &str, text: &str) -> Result<(), LoadErrors> {
        match self.open.last() {
            None => Ok(()),
            Some((name, at)) => {
                let (line, column) = line_column(text, *at);
                Err(error(
                    file,
                    text,
                    text.len(),
                    "",
                    format!(
                        "the file ends before </{name}> (opened at {line}:{column}) is closed; is it cut short?"
                    ),
                ))
            }
        }
    }
}
