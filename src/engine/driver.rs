//! How the engine is driven one exchange at a time: it says what it needs sent (an [`Asked`])
//! and is given the answer. The scenario's simulated server answers by default; a probe answers
//! from the live server, in one pass over the requests.

use crate::engine::ExchangeKind;
use crate::http::HttpRequest;
use crate::scenario::ResponseOverrides;
use crate::server::{Answerer, ServerAnswer, ServerNote};

/// One exchange the engine needs answered.
pub struct Asked<'a> {
    /// The request it belongs to (1-based).
    pub request: usize,
    pub kind: ExchangeKind,
    /// 0 for the page's own request, then one more per redirect followed.
    pub hop: usize,
    /// The message as the browser sends it.
    pub message: &'a HttpRequest,
    /// The answers the scenario scripts for this hop.
    pub scripted: &'a ResponseOverrides,
    /// The exchange's number in the run, for stable generated ids.
    pub sequence: usize,
    /// Seconds into the run.
    pub now: u64,
    /// The edge location the request reaches, when the scenario names one.
    pub edge: Option<&'a str>,
}

/// Where the engine's exchanges are answered.
pub trait Answers {
    /// The answer to `asked`, or `None` when it is held back (never sent): the request ends
    /// there, with no verdict on the answer it did not get.
    fn answer(&mut self, asked: &Asked) -> Option<ServerAnswer>;

    /// The tracker's AllowedOrigins before the first step.
    fn allowed_origins_text(&self) -> String;

    /// The tracker's Matched Rule after an exchange answered as `note` says.
    fn matched_rule_text(&self, note: &ServerNote) -> String;
}

impl Answers for Answerer<'_> {
    fn answer(&mut self, asked: &Asked) -> Option<ServerAnswer> {
        Some(Answerer::answer(
            self,
            asked.kind,
            asked.message,
            (asked.scripted, asked.hop),
            crate::server::Moment {
                now: asked.now,
                edge: asked.edge,
                sequence: asked.sequence,
            },
        ))
    }

    fn allowed_origins_text(&self) -> String {
        Answerer::allowed_origins_text(self)
    }

    fn matched_rule_text(&self, note: &ServerNote) -> String {
        Answerer::matched_rule_text(self, note)
    }
}

impl<T: Answers + ?Sized> Answers for &mut T {
    fn answer(&mut self, asked: &Asked) -> Option<ServerAnswer> {
        (**self).answer(asked)
    }

    fn allowed_origins_text(&self) -> String {
        (**self).allowed_origins_text()
    }

    fn matched_rule_text(&self, note: &ServerNote) -> String {
        (**self).matched_rule_text(note)
    }
}
