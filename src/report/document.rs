//! The `--json` document's steps and requests: one set of types, written by `report::json` and
//! read back by `report::saved`. Text borrows from the trace when written and from the file
//! when read (where it holds no escapes), so neither direction copies what it need not.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::analysis::fix::Fix;
use crate::engine::tracker::Cell;
use crate::engine::{
    CorsError, Exchange, ExchangeKind, Kept, RequestRecord, Stage, Step, StepEvent, StepText,
    VARIABLES, VarSet,
};
use crate::scenario::recording::Recorded;
use crate::scenario::{CacheMode, Credentials, Initiator, Outcome, Via};

/// The tracker's values, as a JSON object keyed by variable name in tracker order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variables<'a>(pub Cow<'a, [Arc<Cell>]>);

impl Serialize for Variables<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in VARIABLES.iter().zip(self.0.iter()) {
            map.serialize_entry(name, &InWords(value))?;
        }
        map.end()
    }
}

impl<'de, 'a> Deserialize<'de> for Variables<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ByName<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de, 'a> Visitor<'de> for ByName<'a> {
            type Value = Variables<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the tracker's variables by name")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut values: Vec<Option<Arc<Cell>>> = vec![None; VARIABLES.len()];
                while let Some(name) = map.next_key::<Cow<str>>()? {
                    let value = map.next_value::<Cow<str>>()?;
                    // A name the tracker does not have is left alone, as serde leaves any
                    // unknown key.
                    if let Some(i) = VARIABLES.iter().position(|v| *v == name) {
                        values[i] = Some(Arc::new(Cell::Words(Arc::from(value.as_ref()))));
                    }
                }
                // Cached Copies is tracked only where a cache can answer.
                if values.last().is_some_and(Option::is_none) {
                    values.pop();
                }
                values
                    .into_iter()
                    .zip(VARIABLES)
                    .map(|(value, name)| {
                        value.ok_or_else(|| {
                            serde::de::Error::custom(format!("variable \"{name}\" is missing"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|values| Variables(Cow::Owned(values)))
            }
        }
        deserializer.deserialize_map(ByName(std::marker::PhantomData))
    }
}

/// A tracker value as the document writes it: in words.
struct InWords<'a>(&'a Cell);

impl Serialize for InWords<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.text())
    }
}

/// The variables a step changed, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Changed(pub VarSet);

impl Serialize for Changed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|i| VARIABLES[i]))
    }
}

impl<'de> Deserialize<'de> for Changed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = Changed;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of variable names")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut changed = VarSet::default();
                while let Some(name) = seq.next_element::<Cow<str>>()? {
                    let i = VARIABLES.iter().position(|v| *v == name).ok_or_else(|| {
                        serde::de::Error::custom(format!("unknown variable \"{name}\""))
                    })?;
                    changed.insert(i);
                }
                Ok(Changed(changed))
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

/// A step of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDoc<'a> {
    pub n: usize,
    pub request: usize,
    pub stage: Stage,
    pub verdict: crate::engine::Verdict,
    #[serde(borrow)]
    pub action: Cow<'a, str>,
    #[serde(borrow)]
    pub request_type: Cow<'a, str>,
    #[serde(borrow)]
    pub cors_headers: Cow<'a, str>,
    #[serde(borrow)]
    pub decision: Cow<'a, str>,
    #[serde(borrow)]
    pub result: Cow<'a, str>,
    pub variables: Variables<'a>,
    pub changed: Changed,
    #[serde(borrow)]
    pub explanation: Cow<'a, str>,
    #[serde(borrow)]
    pub profile_note: Option<Cow<'a, str>>,
    /// Index into the request's `exchanges` of the exchange this step shows.
    pub exchange: Option<usize>,
}

impl<'a> StepDoc<'a> {
    /// `s` with its words (`text`, from [`crate::narrate`]) and the tracker's values after it.
    pub fn new(s: &'a Step, text: Cow<'a, StepText>, variables: &'a [Arc<Cell>]) -> Self {
        let (action, request_type, cors_headers, decision, result, explanation, profile_note) =
            match text {
                Cow::Borrowed(t) => (
                    Cow::Borrowed(t.action.as_str()),
                    Cow::Borrowed(t.request_type.as_str()),
                    Cow::Borrowed(t.cors_headers.as_str()),
                    Cow::Borrowed(t.decision.as_str()),
                    Cow::Borrowed(t.result.as_str()),
                    Cow::Borrowed(t.explanation.as_str()),
                    t.profile_note.as_deref().map(Cow::Borrowed),
                ),
                Cow::Owned(t) => (
                    Cow::Owned(t.action),
                    Cow::Owned(t.request_type),
                    Cow::Owned(t.cors_headers),
                    Cow::Owned(t.decision),
                    Cow::Owned(t.result),
                    Cow::Owned(t.explanation),
                    t.profile_note.map(Cow::Owned),
                ),
            };
        StepDoc {
            n: s.n,
            request: s.request,
            stage: s.stage,
            verdict: s.verdict,
            action,
            request_type,
            cors_headers,
            decision,
            result,
            variables: Variables(Cow::Borrowed(variables)),
            changed: Changed(s.changed),
            explanation,
            profile_note,
            exchange: s.exchange,
        }
    }

    /// The step as a saved trace holds it: its words, as written.
    pub fn into_step(self) -> Step {
        let text = StepText {
            action: self.action.into_owned(),
            request_type: self.request_type.into_owned(),
            cors_headers: self.cors_headers.into_owned(),
            decision: self.decision.into_owned(),
            result: self.result.into_owned(),
            explanation: self.explanation.into_owned(),
            profile_note: self.profile_note.map(Cow::into_owned),
        };
        Step {
            n: self.n,
            request: self.request,
            stage: self.stage,
            verdict: self.verdict,
            event: StepEvent::Saved(Box::new(text)),
            exchange: self.exchange,
            changed: self.changed.0,
            // A saved step keeps the whole row its file gives, whatever the file says changed.
            kept: Kept::whole(&self.variables.0),
        }
    }
}

/// An element whose request the browser sends by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Element {
    Img,
    Script,
    Font,
}

impl Element {
    pub fn name(self) -> &'static str {
        match self {
            Element::Img => "img",
            Element::Script => "script",
            Element::Font => "font",
        }
    }

    fn of(initiator: Initiator) -> Option<Self> {
        match initiator {
            Initiator::Img => Some(Element::Img),
            Initiator::Script => Some(Element::Script),
            Initiator::Font => Some(Element::Font),
            Initiator::Fetch | Initiator::Xhr => None,
        }
    }

    fn initiator(self) -> Initiator {
        match self {
            Element::Img => Initiator::Img,
            Element::Script => Initiator::Script,
            Element::Font => Initiator::Font,
        }
    }
}

/// An `<img>` or `<script>`'s `crossorigin` attribute: its request is in CORS mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrossOrigin {
    Anonymous,
    UseCredentials,
}

impl CrossOrigin {
    pub fn name(self) -> &'static str {
        match self {
            CrossOrigin::Anonymous => "anonymous",
            CrossOrigin::UseCredentials => "use-credentials",
        }
    }
}

/// A script API other than fetch().
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Xhr,
}

impl Api {
    pub fn name(self) -> &'static str {
        match self {
            Api::Xhr => "xhr",
        }
    }
}

/// A fetch() mode other than cors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    #[serde(rename = "no-cors")]
    NoCors,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::NoCors => "no-cors",
        }
    }
}

/// Who sent a request, as the document names it: the browser (for its page's script or one of
/// its elements) or a raw client.
pub fn sender_name(via: Via) -> &'static str {
    match via {
        Via::Raw => "raw",
        Via::Browser | Via::Element | Via::NoCors => "browser",
    }
}

fn sender<S: serde::Serializer>(via: &Via, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(sender_name(*via))
}

/// A request of the trace, with what the browser recorded for it and the fix for it. The last
/// three are written for the reader of the document and not needed to open it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDoc<'a> {
    pub index: usize,
    #[serde(borrow)]
    pub origin: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub method: Cow<'a, str>,
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// Who sent it: `browser` or `raw`; an element's request is the browser's, with `element`.
    #[serde(serialize_with = "sender")]
    pub via: Via,
    /// The element that asked (`img`, `script`, `font`), for a browser request no script
    /// made: in no-cors mode unless `crossorigin` is given (a font is always in CORS mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<Element>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossorigin: Option<CrossOrigin>,
    /// `xhr` for an XMLHttpRequest (absent: fetch()).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    /// `no-cors` for a fetch() the script made in that mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    pub credentials: Credentials,
    pub cache: CacheMode,
    pub same_origin: bool,
    pub preflight: bool,
    pub preflight_cache_hit: bool,
    pub outcome: Outcome,
    pub expect: Option<Outcome>,
    #[serde(default)]
    pub expectation_met: bool,
    pub failed_at: Option<ExchangeKind>,
    #[serde(borrow)]
    pub error: Option<Cow<'a, str>>,
    pub cors_error: Option<CorsError>,
    pub matched_rule: Option<usize>,
    pub exposed_headers: Cow<'a, [String]>,
    pub dropped_headers: Cow<'a, [String]>,
    #[serde(borrow)]
    pub summary: Cow<'a, str>,
    #[serde(default)]
    pub preflight_reasons: Vec<String>,
    pub profile_notes: Vec<String>,
    #[serde(borrow)]
    pub note: Option<Cow<'a, str>>,
    /// First and last step numbers (1-based, inclusive).
    pub steps: [usize; 2],
    pub exchanges: Cow<'a, [Exchange]>,
    /// For a recording: what the browser recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Cow<'a, Recorded>>,
    /// For a recording: whether the replay agrees with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agrees: Option<bool>,
    /// For a blocked request: the smallest change that allows it, proven by a re-run.
    #[serde(default, skip_deserializing)]
    pub fix: Option<&'a Fix>,
}

impl<'a> RequestDoc<'a> {
    pub fn new(r: &'a RequestRecord, recorded: Option<&'a Recorded>, fix: Option<&'a Fix>) -> Self {
        RequestDoc {
            index: r.index,
            origin: r.origin.as_deref().map(Cow::Borrowed),
            method: Cow::Borrowed(&r.method),
            url: Cow::Borrowed(&r.url),
            via: r.via,
            element: Element::of(r.initiator),
            crossorigin: (r.via == Via::Browser
                && matches!(r.initiator, Initiator::Img | Initiator::Script))
            .then_some(if r.credentials == Credentials::Include {
                CrossOrigin::UseCredentials
            } else {
                CrossOrigin::Anonymous
            }),
            api: (r.initiator == Initiator::Xhr).then_some(Api::Xhr),
            mode: (r.via == Via::NoCors).then_some(Mode::NoCors),
            credentials: r.credentials,
            cache: r.cache,
            same_origin: r.same_origin,
            preflight: r.preflight,
            preflight_cache_hit: r.cache_hit,
            outcome: r.outcome,
            expect: r.expect,
            expectation_met: r.expectation_met(),
            failed_at: r.failed_at,
            error: r.error().map(Cow::Owned),
            cors_error: r.cors_error,
            matched_rule: r.matched_rule,
            exposed_headers: Cow::Borrowed(&r.exposed_headers),
            dropped_headers: Cow::Borrowed(&r.dropped_headers),
            summary: Cow::Owned(r.summary_text()),
            preflight_reasons: r
                .preflight_reasons
                .iter()
                .map(ToString::to_string)
                .collect(),
            profile_notes: r.profile_notes.iter().map(ToString::to_string).collect(),
            note: r.note.as_deref().map(Cow::Borrowed),
            steps: [r.steps.start + 1, r.steps.end],
            exchanges: Cow::Borrowed(&r.exchanges),
            recorded: recorded.map(Cow::Borrowed),
            agrees: recorded.and_then(|rec| r.agrees_with(rec)),
            fix,
        }
    }

    /// The request's record, its steps at `first - 1..last`.
    pub fn into_record(self) -> (RequestRecord, Option<Recorded>) {
        let [first, last] = self.steps;
        let record = RequestRecord {
            index: self.index,
            origin: self.origin.map(Cow::into_owned),
            method: self.method.into_owned(),
            url: self.url.into_owned(),
            via: match (self.element, self.crossorigin, self.mode) {
                (Some(Element::Img | Element::Script), None, _) => Via::Element,
                (Some(_), _, _) => Via::Browser,
                (None, _, Some(Mode::NoCors)) => Via::NoCors,
                (None, _, None) => self.via,
            },
            initiator: match (self.element, self.api) {
                (Some(element), _) => element.initiator(),
                (None, Some(Api::Xhr)) => Initiator::Xhr,
                (None, None) => Initiator::Fetch,
            },
            credentials: self.credentials,
            cache: self.cache,
            same_origin: self.same_origin,
            preflight: self.preflight,
            cache_hit: self.preflight_cache_hit,
            outcome: self.outcome,
            failed_at: self.failed_at,
            cors_error: self.cors_error,
            console: self
                .error
                .map(|words| crate::engine::cors_error::ConsoleLine::Words(words.into_owned())),
            matched_rule: self.matched_rule,
            exposed_headers: self.exposed_headers.into_owned(),
            exchanges: self.exchanges.into_owned(),
            dropped_headers: self.dropped_headers.into_owned(),
            expect: self.expect,
            note: self.note.map(Cow::into_owned),
            profile_notes: self
                .profile_notes
                .into_iter()
                .map(crate::engine::profile_note::ProfileNote::Words)
                .collect(),
            summary: crate::engine::summary::Summary::words(self.summary),
            preflight_reasons: self
                .preflight_reasons
                .into_iter()
                .map(crate::engine::fetch_rules::PreflightReason::Words)
                .collect(),
            steps: first.saturating_sub(1)..last,
        };
        (record, self.recorded.map(Cow::into_owned))
    }
}

/// Blocked requests that ask the server alike, with the fix of the first of them proven on the
/// whole run: for a run too large for a fix each whose changes reach every request. Written for
/// the reader of the document and worked out again when it is opened.
#[derive(Debug, Serialize)]
pub struct FixGroupDoc<'a> {
    pub origin: &'a str,
    pub method: &'a str,
    /// The request headers that are not safelisted, lowercased and sorted.
    pub headers: &'a [String],
    pub credentials: bool,
    pub cors_error: Option<CorsError>,
    /// The members' indexes, in order.
    pub requests: &'a [usize],
    /// How many members the fix's re-run allows.
    pub allowed: usize,
    pub fix: Option<&'a Fix>,
}

impl<'a> FixGroupDoc<'a> {
    pub fn new(group: &'a crate::analysis::fix::AskedAlike) -> Self {
        FixGroupDoc {
            origin: group.asks.origin(),
            method: group.asks.method(),
            headers: group.asks.headers(),
            credentials: group.asks.credentials(),
            cors_error: group.cors_error,
            requests: &group.members,
            allowed: group.allowed(),
            fix: group.fix.as_ref(),
        }
    }
}
