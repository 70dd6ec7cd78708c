//! A search typed in place with `/`, as the requests list and the help overlay take it: what is
//! typed, the keys that edit it, and the case-insensitive match.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

/// The longest search kept: past it, typed characters are dropped.
const MAX_CHARS: usize = 200;

/// A search's text, and whether keys still go to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchInput {
    /// What is searched for (matched case-insensitively).
    pub query: String,
    /// The search line is being typed.
    pub typing: bool,
}

/// What a key does to a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchEdit {
    /// Start typing (`/`).
    Start,
    Char(char),
    Backspace,
    /// Stop typing, keeping the search (Enter).
    Done,
    /// Clear the search (Esc).
    Cancel,
}

impl SearchEdit {
    /// The edit `key` makes while a search is typed; `None` for a key that does not edit it.
    pub fn of_key(key: &KeyEvent) -> Option<SearchEdit> {
        match key.code {
            KeyCode::Char(c) => Some(SearchEdit::Char(c)),
            KeyCode::Backspace => Some(SearchEdit::Backspace),
            KeyCode::Enter => Some(SearchEdit::Done),
            KeyCode::Esc => Some(SearchEdit::Cancel),
            _ => None,
        }
    }
}

impl SearchInput {
    /// Applies `edit`; gives the query as it was before when the edit changed it.
    pub fn apply(&mut self, edit: SearchEdit) -> Option<String> {
        let before = self.query.clone();
        match edit {
            SearchEdit::Start => self.typing = true,
            SearchEdit::Char(c) => {
                if self.query.chars().count() < MAX_CHARS {
                    self.query.push(c);
                }
            }
            SearchEdit::Backspace => {
                self.query.pop();
            }
            SearchEdit::Done => self.typing = false,
            SearchEdit::Cancel => {
                self.typing = false;
                self.query.clear();
            }
        }
        (self.query != before).then_some(before)
    }

    /// Whether anything is searched for, or being typed.
    pub fn is_active(&self) -> bool {
        self.typing || !self.query.is_empty()
    }
}

/// A search (lowercased), built once per keystroke. An ASCII query is matched without
/// allocating: `memchr2` finds each place the first byte occurs, in either case, and only there
/// is the rest compared; anything else lowercases the text first.
pub struct Search<'q> {
    query: &'q str,
    ascii: bool,
}

impl<'q> Search<'q> {
    /// `query` must be lowercase already.
    pub fn new(query: &'q str) -> Self {
        Search {
            query,
            ascii: query.is_ascii(),
        }
    }

    /// Whether the query is in `text`, in any case.
    pub fn has(&self, text: &str) -> bool {
        // An ASCII query compares bytes: in UTF-8 no byte of another character is ASCII.
        if !self.ascii {
            return text.to_lowercase().contains(self.query);
        }
        let (text, query) = (text.as_bytes(), self.query.as_bytes());
        let Some(&first) = query.first() else {
            return true;
        };
        let mut from = 0;
        while let Some(at) =
            memchr::memchr2(first, first.to_ascii_uppercase(), &text[from..]).map(|i| from + i)
        {
            match text.get(at..at + query.len()) {
                Some(window) if window.eq_ignore_ascii_case(query) => return true,
                Some(_) => from = at + 1,
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_edits_the_query_and_says_what_it_was() {
        let mut input = SearchInput::default();
        assert_eq!(input.apply(SearchEdit::Start), None);
        assert!(input.typing && input.is_active());
        assert_eq!(input.apply(SearchEdit::Char('a')), Some(String::new()));
        assert_eq!(input.apply(SearchEdit::Char('b')), Some("a".to_string()));
        assert_eq!(input.apply(SearchEdit::Backspace), Some("ab".to_string()));
        assert_eq!(input.apply(SearchEdit::Done), None);
        assert_eq!((input.query.as_str(), input.typing), ("a", false));
        assert_eq!(input.apply(SearchEdit::Cancel), Some("a".to_string()));
        assert!(!input.is_active());
        assert_eq!(input.apply(SearchEdit::Backspace), None);
    }

    #[test]
    fn a_query_stops_growing_at_its_limit() {
        let mut input = SearchInput::default();
        for _ in 0..MAX_CHARS {
            input.apply(SearchEdit::Char('x'));
        }
        assert_eq!(input.apply(SearchEdit::Char('y')), None);
        assert_eq!(input.query.chars().count(), MAX_CHARS);
    }

    #[test]
    fn a_search_ignores_case_in_any_script() {
        assert!(Search::new("allow-origin").has("Access-Control-Allow-Origin"));
        assert!(!Search::new("allow-origin").has("Access-Control-Allow-Orig"));
        assert!(Search::new("").has("anything"));
        assert!(Search::new("ürün").has("/ÜRÜN/1"));
        assert!(!Search::new("ürün").has("/urun/1"));
    }
}
