//! The variable tracker's values in words, as the tracker panel, the step table and `--json`
//! show them.

use std::borrow::Cow;
use std::fmt::{self, Display, Formatter};

use crate::engine::tracker::{
    Allowed, CacheHolder, CachedCopy, Cell, Exposed, OriginSent, PreflightState, Received,
};

use super::reason_phrase;

/// A status code with its reason phrase: `204 No Content`.
struct Status(u16);

impl Display for Status {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match reason_phrase(self.0) {
            "" => write!(f, "{}", self.0),
            phrase => write!(f, "{} {phrase}", self.0),
        }
    }
}

impl Cell {
    /// The value in words, borrowed where it is one piece of text already (most values, from
    /// one step to the next), so writing a step's tracker rarely makes a string.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Unset => Cow::Borrowed("—"),
            Cell::Words(words) => Cow::Borrowed(words),
            Cell::NothingCached => Cow::Borrowed("none"),
            Cell::Origin(origin) => Cow::Borrowed(origin.text()),
            Cell::RequestAllowed(allowed) => Cow::Borrowed(allowed.text()),
            _ => Cow::Owned(self.to_string()),
        }
    }
}

impl Display for Cell {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            Cell::Unset => f.write_str("—"),
            Cell::Words(words) => f.write_str(words),
            Cell::Request {
                number,
                method,
                path,
                after_redirect,
            } => {
                write!(f, "#{number} {method} {}", super::shown_path(path))?;
                match after_redirect {
                    Some(hop) => write!(f, " (after redirect {hop})"),
                    None => Ok(()),
                }
            }
            Cell::Origin(origin) => origin.fmt(f),
            Cell::Preflight(preflight) => preflight.fmt(f),
            Cell::BrowserCache { stored_at } => {
                write!(f, "browser HTTP cache (stored at t={stored_at} s)")
            }
            Cell::RequestAllowed(allowed) => allowed.fmt(f),
            Cell::ResponseReceived(received) => received.fmt(f),
            Cell::ExposedHeaders(exposed) => exposed.fmt(f),
            Cell::PreflightCache { live, others } => preflight_cache(f, live, *others),
            Cell::CachedCopies(copies) => cached_copies(f, copies),
            Cell::NothingCached => f.write_str("none"),
        }
    }
}

impl OriginSent {
    fn text(&self) -> &str {
        match self {
            OriginSent::Page(origin) => origin,
            OriginSent::NoPage => "(none)",
            OriginSent::NoCors => "(none sent: no-cors)",
            OriginSent::NoCorsGet => "(none sent: no-cors GET)",
            OriginSent::Tainted => "null (tainted by a redirect)",
        }
    }
}

impl Display for OriginSent {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Display for PreflightState {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            PreflightState::NoBrowser => f.write_str("none (no browser)"),
            PreflightState::NoCors => f.write_str("none (no-cors)"),
            PreflightState::NotNeeded => f.write_str("not needed"),
            PreflightState::SameOrigin => f.write_str("not needed (same-origin)"),
            PreflightState::CacheHit => f.write_str("cache hit"),
            PreflightState::Needed => f.write_str("needed"),
            PreflightState::Sent { status } => write!(f, "sent: {}", Status(*status)),
            PreflightState::NoAnswer(code) => write!(f, "failed ({code})"),
            PreflightState::Passed { status, max_age } => {
                write!(f, "passed ({}, cached {max_age} s)", Status(*status))
            }
            PreflightState::Failed(error) => write!(f, "failed ({})", error.name()),
        }
    }
}

impl Allowed {
    fn text(self) -> &'static str {
        match self {
            Allowed::Pending => "pending",
            Allowed::Yes => "yes",
            Allowed::No => "no",
            Allowed::NotSentByProbe => "not sent (probe)",
            Allowed::NoBrowser => "n/a (no browser)",
            Allowed::NoCorsCheck => "n/a (no CORS check)",
        }
    }
}

impl Display for Allowed {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Display for Received {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            Received::No => f.write_str("no"),
            Received::Yes { status } => write!(f, "yes ({status})"),
            Received::FullyReadable { status } => write!(f, "yes ({status}), fully readable"),
            Received::Opaque { status } => {
                write!(
                    f,
                    "opaque: the script sees status 0 (the server said {status})"
                )
            }
            Received::ScriptRun { status } => write!(f, "yes ({status}), run; opaque to the page"),
            Received::Shown { status } => write!(f, "yes ({status}), shown; opaque to scripts"),
            Received::NotLoaded { status } => {
                write!(f, "yes ({status}), not loaded: an error status")
            }
            Received::WrongType { status } => {
                write!(f, "yes ({status}), not loaded: not what the element needs")
            }
            Received::WithheldByOrb { status } => {
                write!(f, "yes ({status}), withheld by ORB")
            }
            Received::RefusedByCorp { status } => {
                write!(f, "yes ({status}), refused by its CORP")
            }
            Received::Hidden { status } => write!(f, "yes ({status}), hidden from script"),
            Received::Redirect { status } => write!(f, "redirect ({status})"),
            Received::NoAnswer => f.write_str("no (no answer)"),
            Received::NeverSent => f.write_str("no (never sent)"),
        }
    }
}

impl Display for Exposed {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        match self {
            Exposed::AllNoBrowser => f.write_str("all (no browser)"),
            Exposed::NoneOpaque => f.write_str("none (opaque response)"),
            Exposed::AllButSetCookie => f.write_str("all but Set-Cookie (same-origin)"),
            Exposed::Listed(names) if names.is_empty() => f.write_str("(none)"),
            Exposed::Listed(names) => f.write_str(&names.join(", ")),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `2 entries: PUT, x-api-key (+1 other origin/URL)`, or `empty`.
fn preflight_cache(f: &mut Formatter, live: &[String], others: usize) -> fmt::Result {
    if live.is_empty() {
        return match others {
            0 => f.write_str("empty"),
            n => write!(f, "none for this origin and URL (+{n} other{})", plural(n)),
        };
    }
    let entries = if live.len() == 1 { "entry" } else { "entries" };
    write!(f, "{} {entries}: {}", live.len(), live.join(", "))?;
    if others > 0 {
        write!(f, " (+{others} other origin/URL{})", plural(others))?;
    }
    Ok(())
}

/// `edge (OPTIONS): t=0 s for https://a.example, ACAO https://a.example; browser: …`.
fn cached_copies(f: &mut Formatter, copies: &[CachedCopy]) -> fmt::Result {
    if copies.is_empty() {
        return f.write_str("none for this URL");
    }
    for (i, copy) in copies.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        match copy.holder {
            CacheHolder::Edge { options: true } => f.write_str("edge (OPTIONS)")?,
            CacheHolder::Edge { options: false } => f.write_str("edge")?,
            CacheHolder::Browser => f.write_str("browser")?,
        }
        write!(f, ": t={} s ", copy.at)?;
        match &copy.origin {
            Some(origin) => write!(f, "for {origin}")?,
            None => f.write_str("for no Origin")?,
        }
        match &copy.acao {
            Some(acao) => write!(f, ", ACAO {acao}")?,
            None => f.write_str(", no ACAO")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_the_tracker_has_always_shown_them() {
        let cases = [
            (Cell::Unset, "—"),
            (
                Cell::Request {
                    number: 2,
                    method: "PUT".into(),
                    path: "/items/1?x=1".into(),
                    after_redirect: Some(1),
                },
                "#2 PUT /items/1?x=1 (after redirect 1)",
            ),
            (
                Cell::Preflight(PreflightState::Passed {
                    status: 204,
                    max_age: 600,
                }),
                "passed (204 No Content, cached 600 s)",
            ),
            (
                Cell::Preflight(PreflightState::Sent { status: 599 }),
                "sent: 599",
            ),
            (
                Cell::PreflightCache {
                    live: vec!["PUT".into(), "x-api-key".into()],
                    others: 1,
                },
                "2 entries: PUT, x-api-key (+1 other origin/URL)",
            ),
            (
                Cell::PreflightCache {
                    live: Vec::new(),
                    others: 2,
                },
                "none for this origin and URL (+2 others)",
            ),
            (Cell::ExposedHeaders(Exposed::Listed(Vec::new())), "(none)"),
            (
                Cell::CachedCopies(vec![
                    CachedCopy {
                        holder: CacheHolder::Edge { options: true },
                        at: 0,
                        origin: Some("https://a.example".into()),
                        acao: None,
                    },
                    CachedCopy {
                        holder: CacheHolder::Browser,
                        at: 5,
                        origin: None,
                        acao: Some("*".into()),
                    },
                ]),
                "edge (OPTIONS): t=0 s for https://a.example, no ACAO; browser: t=5 s for no Origin, ACAO *",
            ),
        ];
        for (cell, words) in cases {
            assert_eq!(cell.to_string(), words);
        }
    }
}
