//! The server's configuration, with the rule that matched this step lit.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::panel;
use crate::analysis::audit::Severity;
use crate::app::{App, Panel};
use crate::engine::Exchange;
use crate::safe_text::escape;
use crate::scenario::{CannedResponse, Field, Recorder, ServerKind};
use crate::server::{FrontLayer, ServerNote, cloudfront, function_url, http_api, rest_api};

/// The most values of one rule field the panel lists.
const SHOWN_VALUES: usize = 50;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let step = app.trace.steps.get(app.cursor);
    let exchange = step.and_then(|s| s.exchange.map(|e| &app.trace.request_of(s).exchanges[e]));
    let matched = exchange.and_then(|e| e.matched_rule);
    let server = &app.scenario.server;
    let mut lines: Vec<Line> = Vec::new();
    front_layers(app, exchange, &mut lines);
    match &server.kind {
        ServerKind::Bucket {
            provider,
            cors: None,
        } => {
            lines.push(Line::from(format!(
                "{} {}",
                provider.server_noun(),
                escape(server.url.as_str().trim_end_matches('/'))
            )));
            lines.push(Line::from(Span::styled(
                "No CORS configuration.",
                theme.blocked,
            )));
            let behaviour = provider.no_rules_behaviour();
            let mut chars = behaviour.chars();
            let behaviour: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            lines.push(Line::from(format!("{behaviour}.")));
        }
        ServerKind::Bucket {
            provider,
            cors: Some(config),
        } => {
            let provider = *provider;
            lines.push(Line::from(format!(
                "{} {}",
                provider.server_noun(),
                escape(server.url.as_str().trim_end_matches('/'))
            )));
            if let Some(source) = &server.rules_from {
                lines.push(Line::from(Span::styled(
                    format!("Rules from {}", escape(source)),
                    theme.note,
                )));
            }
            lines.push(Line::from(Span::styled(
                "Rules are tried in order; the first match wins.",
                theme.muted,
            )));
            for (i, rule) in config.rules.iter().enumerate() {
                let lit = matched == Some(i);
                let style = if lit { theme.current } else { theme.title };
                let mark = if lit { "▶ " } else { "  " };
                let status = if lit { "  ← matched" } else { "" };
                lines.push(Line::from(Span::styled(
                    format!("{mark}Rule {}{status}", escape(&rule.label(i))),
                    style,
                )));
                // A rule may list hundreds of thousands of origins: the panel shows the first
                // ones and counts the rest (the audit and --print name them all).
                let field = |name: &str, values: &[String]| {
                    let shown = values.len().min(SHOWN_VALUES);
                    let mut text = escape(&values[..shown].join(", ")).into_owned();
                    if values.len() > shown {
                        text.push_str(&format!(", … and {} more", values.len() - shown));
                    }
                    Line::from(vec![
                        Span::styled(format!("    {name}: "), theme.muted),
                        Span::raw(text),
                    ])
                };
                let name = |f| provider.field(f);
                lines.push(field(name(Field::Origins), &rule.allowed_origins));
                lines.push(field(name(Field::Methods), &rule.allowed_methods));
                if !rule.allowed_headers.is_empty() && !provider.shares_header_list() {
                    lines.push(field(name(Field::AllowedHeaders), &rule.allowed_headers));
                }
                if !rule.expose_headers.is_empty() {
                    lines.push(field(name(Field::ExposeHeaders), &rule.expose_headers));
                }
                if let Some(max_age) = rule.max_age_seconds {
                    lines.push(field(name(Field::MaxAge), &[max_age.to_string()]));
                }
            }
            if exchange.is_some() && matched.is_none() {
                lines.push(Line::from(Span::styled(
                    "No rule matched this step's request.",
                    theme.blocked,
                )));
            }
            audit_line(app, &mut lines);
        }
        ServerKind::Recorded { by } => {
            if let Some(source) = &server.rules_from {
                lines.push(Line::from(format!("Recorded from {}", escape(source))));
            }
            lines.push(Line::from(match by {
                Recorder::Browser(_) => {
                    "Every answer is the one the browser recorded for that request."
                }
                Recorder::Probe => "Every answer is the one the live server gave the probe.",
            }));
            if let Some(e) = exchange {
                let answer = match e.response.status {
                    0 => "no answer".to_string(),
                    status => status.to_string(),
                };
                lines.push(Line::from(Span::styled(
                    format!("▶ {} → {answer}", escape(&e.request.request_line())),
                    theme.current,
                )));
            }
        }
        ServerKind::Static {
            preflight,
            actual,
            session,
            ..
        } => {
            lines.push(Line::from(if server.front.is_empty() {
                format!(
                    "Static server {}",
                    escape(server.url.as_str().trim_end_matches('/'))
                )
            } else {
                "The function behind it (fixed answers)".to_string()
            }));
            lines.push(Line::from(Span::styled(
                match session {
                    Some(session) => format!(
                        "Knows its users by the cookie {}; answers the same whatever else the request says.",
                        escape(&session.cookie)
                    ),
                    None => "Answers the same whatever the request says.".to_string(),
                },
                theme.muted,
            )));
            let logged_out = exchange
                .and_then(|e| e.server.session_seen())
                .is_some_and(|seen| !seen.present);
            let used = exchange.map(|e| e.request.method == "OPTIONS");
            let overridden = step.is_some_and(|s| {
                let spec = &app.scenario.requests[s.request - 1];
                let answers = spec.responses.at_hop(app.trace.hop_at(app.cursor));
                match used {
                    Some(true) => answers.is_some_and(|a| a.preflight.is_some()),
                    Some(false) => answers.is_some_and(|a| a.actual.is_some()),
                    None => false,
                }
            });
            let mut describe = |title: &str, response: &CannedResponse, lit: bool| {
                let style = if lit { theme.current } else { theme.title };
                let mark = if lit { "▶ " } else { "  " };
                lines.push(Line::from(Span::styled(
                    format!("{mark}{title}: {}", response.status),
                    style,
                )));
                for (name, value) in &response.headers {
                    lines.push(Line::from(format!(
                        "    {}: {}",
                        escape(name),
                        escape(value)
                    )));
                }
            };
            match preflight {
                Some(preflight) => {
                    describe(
                        "OPTIONS (preflight)",
                        preflight,
                        used == Some(true) && !overridden,
                    );
                    describe(
                        "Other requests",
                        actual,
                        used == Some(false) && !overridden && !logged_out,
                    );
                }
                None => describe(
                    &match session {
                        Some(session) => {
                            format!("OPTIONS, and requests with the cookie {}", session.cookie)
                        }
                        None => "Every request, OPTIONS included".to_string(),
                    },
                    actual,
                    used.is_some() && !overridden && !logged_out,
                ),
            }
            if let Some(session) = session {
                describe(
                    &format!("Without the cookie {}", session.cookie),
                    &session.logged_out,
                    logged_out && !overridden,
                );
            }
            if overridden {
                lines.push(Line::from(Span::styled(
                    "▶ This request overrides the answer (responses in the scenario).",
                    theme.current,
                )));
            }
        }
    }
    let scroll = app.scroll[Panel::Config.index()];
    let paragraph = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(panel(app, " Server configuration ", Panel::Config));
    frame.render_widget(paragraph, area);
}

/// How many findings the audit has, by severity.
fn audit_line(app: &App, lines: &mut Vec<Line<'static>>) {
    let theme = &app.theme;
    if let Some(findings) = &app.audit {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        let (dangerous, broken) = (count(Severity::Dangerous), count(Severity::Broken));
        let style = if dangerous + broken > 0 {
            theme.note
        } else {
            theme.muted
        };
        lines.push(Line::from(Span::styled(
            format!(
                "Audit: {dangerous} dangerous, {broken} broken, {} noisy (a: details)",
                count(Severity::Noisy)
            ),
            style,
        )));
    }
}

fn acted_line(app: &App, acted: Option<&'static str>, lines: &mut Vec<Line<'static>>) {
    if let Some(acted) = acted {
        lines.push(Line::from(Span::styled(acted, app.theme.current)));
    }
}

/// A function URL's or an HTTP API's `Cors`, one key a line.
fn cors_lines(app: &App, cors: &crate::server::aws_cors::Cors, lines: &mut Vec<Line<'static>>) {
    for (name, values) in cors.lists() {
        if !values.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(format!("    {name}: "), app.theme.muted),
                Span::raw(escape(&values.join(", ")).into_owned()),
            ]));
        }
    }
    if let Some(age) = cors.max_age {
        lines.push(Line::from(format!("    MaxAge: {age}")));
    }
    lines.push(Line::from(format!(
        "    AllowCredentials: {}",
        cors.allow_credentials
    )));
}

fn function_url_lines(
    app: &App,
    cors: Option<&function_url::Cors>,
    act: Option<(&ServerNote, bool)>,
    lines: &mut Vec<Line<'static>>,
) {
    let theme = &app.theme;
    lines.push(Line::from(Span::styled("Lambda function URL", theme.title)));
    let acted = match act {
        Some((ServerNote::FunctionUrl(note), _)) => Some(match note.as_ref() {
            function_url::Note::AnsweredOptions { .. } => {
                "▶ answered this OPTIONS itself; the function was not invoked"
            }
            function_url::Note::Appended { doubled, .. } if doubled.is_empty() => {
                "▶ appended its CORS headers to the function's answer"
            }
            function_url::Note::Appended { .. } => {
                "▶ appended its CORS headers: the function's own are now there twice"
            }
            _ => "▶ passed the answer up unchanged",
        }),
        _ => None,
    };
    acted_line(app, acted, lines);
    match cors {
        None => lines.push(Line::from(Span::styled(
            "No Cors: every request, OPTIONS included, goes to the function.",
            theme.muted,
        ))),
        Some(cors) => cors_lines(app, cors, lines),
    }
}

fn http_api_lines(
    app: &App,
    (cors, routes, stage): (Option<&http_api::Cors>, &[http_api::Route], Option<&str>),
    act: Option<(&ServerNote, bool)>,
    lines: &mut Vec<Line<'static>>,
) {
    use http_api::Note;
    let theme = &app.theme;
    lines.push(Line::from(Span::styled(
        "API Gateway HTTP API",
        theme.title,
    )));
    let acted = match act {
        Some((ServerNote::HttpApi(note), _)) => Some(match note.as_ref() {
            Note::AnsweredPreflight { .. } => {
                "▶ answered this preflight itself (204); the integration was not called"
            }
            Note::Refused { .. } => {
                "▶ the route's authorizer refused it; the integration was not called"
            }
            Note::NotFound { .. } => "▶ no route: answered 404 Not Found itself",
            Note::Passed { removed, .. } if !removed.is_empty() => {
                "▶ dropped the integration's CORS headers and added its own"
            }
            Note::Passed { added, .. } if !added.is_empty() => {
                "▶ added its CORS headers to the integration's answer"
            }
            Note::Passed { .. } => "▶ passed the answer up without CORS headers",
        }),
        _ => None,
    };
    acted_line(app, acted, lines);
    let routed = match act {
        Some((ServerNote::HttpApi(note), _)) => match note.as_ref() {
            Note::Passed { route, .. } | Note::Refused { route, .. } => Some(route.as_str()),
            _ => None,
        },
        _ => None,
    };
    lines.push(Line::from(Span::styled(
        match stage {
            Some(stage) => format!("  Routes (stage {})", escape(stage)),
            None => "  Routes".to_string(),
        },
        theme.muted,
    )));
    for route in routes {
        let auth = match route.authorization {
            http_api::Authorization::None => String::new(),
            other => format!("  [{} authorizer]", other.name()),
        };
        let text = format!("    {}{auth}", escape(&route.key));
        if routed == Some(route.key.as_str()) {
            lines.push(Line::from(Span::styled(
                format!("{text}  ◀ this request"),
                theme.current,
            )));
        } else {
            lines.push(Line::from(text));
        }
    }
    match cors {
        None => lines.push(Line::from(Span::styled(
            "No CorsConfiguration: OPTIONS is routed like any request.",
            theme.muted,
        ))),
        Some(cors) => {
            lines.push(Line::from(Span::styled("  CorsConfiguration", theme.muted)));
            cors_lines(app, cors, lines);
        }
    }
}

/// What CloudFront's edges hold after this step: each answer stored so far, from the trace's
/// facts, newest last.
fn edge_cache_lines(app: &App, at: usize, lines: &mut Vec<Line<'static>>) {
    use cloudfront::{Caching, Note};
    let layers = app.scenario.server.front.len();
    let mut stored: Vec<(String, String)> = Vec::new();
    let mut seen = foldhash::HashSet::default();
    for step in app.trace.steps.iter().take(app.cursor + 1) {
        let Some(index) = step.exchange else { continue };
        if !seen.insert((step.request, index)) {
            continue;
        }
        let exchange = &app.trace.request_of(step).exchanges[index];
        let acts = crate::server::front_notes(&exchange.server, layers);
        let Some(Some((ServerNote::CloudFront(note), _))) = acts.get(at) else {
            continue;
        };
        if let Note::Miss {
            key,
            now,
            caching: Caching::Stored { ttl, .. },
            ..
        } = note.as_ref()
        {
            let entry = key.describe();
            let from = match exchange.request.header("Origin") {
                Some(origin) => format!("Origin {origin}"),
                None => "no Origin".to_string(),
            };
            let acao = exchange
                .response
                .header("Access-Control-Allow-Origin")
                .map_or("no ACAO".to_string(), |v| format!("ACAO {v}"));
            stored.retain(|(k, _)| *k != entry);
            stored.push((
                entry,
                format!(
                    "t={now} s for {from}: {} {acao}, until t={} s",
                    exchange.response.status,
                    now + ttl
                ),
            ));
        }
    }
    if stored.is_empty() {
        return;
    }
    let theme = &app.theme;
    lines.push(Line::from(Span::styled(
        "  Stored at the edges:",
        theme.muted,
    )));
    for (key, what) in stored.iter().rev().take(6).rev() {
        lines.push(Line::from(vec![
            Span::raw(format!("    {}", escape(key))),
            Span::styled(format!(" ← {}", escape(what)), theme.muted),
        ]));
    }
}

fn cloudfront_lines(
    app: &App,
    (layer, at): (&cloudfront::CloudFront, usize),
    act: Option<(&ServerNote, bool)>,
    lines: &mut Vec<Line<'static>>,
) {
    use cloudfront::{Caching, Note};
    let theme = &app.theme;
    lines.push(Line::from(Span::styled("CloudFront", theme.title)));
    let acted = match act {
        Some((ServerNote::CloudFront(note), _)) => Some(match note.as_ref() {
            Note::MethodNotAllowed { .. } => "▶ refused the method itself (403 page)",
            Note::Hit { .. } => "▶ cache HIT: served a stored copy; the origin saw nothing",
            Note::Miss {
                caching: Caching::Stored { .. },
                ..
            } => "▶ cache MISS: asked the origin and stored its answer",
            Note::Miss { .. } => "▶ cache MISS: asked the origin; the answer is not stored",
        }),
        _ => None,
    };
    acted_line(app, acted, lines);
    edge_cache_lines(app, at, lines);
    let behavior = &layer.behavior;
    let mut item = |name: &str, value: String| {
        lines.push(Line::from(vec![
            Span::styled(format!("    {name}: "), theme.muted),
            Span::raw(escape(&value).into_owned()),
        ]));
    };
    let mut methods = behavior.allowed_methods.join(", ");
    if behavior.cached_options {
        methods.push_str(" (OPTIONS cached)");
    }
    item("AllowedMethods", methods);
    let cache = &behavior.cache;
    item(
        "Cache policy",
        format!(
            "{} (TTL {}–{} s, default {} s)",
            cache.name, cache.ttl.min, cache.ttl.max, cache.ttl.default
        ),
    );
    let mut key = vec!["path".to_string()];
    if cache.headers != cloudfront::Selection::None {
        key.push(format!("headers {}", cache.headers.describe()));
    }
    if cache.gzip || cache.brotli {
        key.push("Accept-Encoding".to_string());
    }
    if cache.query != cloudfront::Selection::None {
        key.push(format!("query {}", cache.query.describe()));
    }
    item("Cache key", key.join(", "));
    item(
        "Origin request",
        behavior.origin_request.as_ref().map_or_else(
            || "no policy (only the cache key reaches the origin)".to_string(),
            |p| format!("{}: headers {}", p.name, p.headers.describe()),
        ),
    );
    match &behavior.response_headers {
        None => item("Response headers", "no policy".to_string()),
        Some(policy) => match &policy.cors {
            None => item(
                "Response headers",
                format!("{} (no CorsConfig)", policy.name),
            ),
            Some(cors) => {
                item(
                    "Response headers",
                    format!("{}, OriginOverride {}", policy.name, cors.origin_override),
                );
                item("  AllowOrigins", cors.allow_origins.join(", "));
                if !cors.allow_methods.is_empty() {
                    item("  AllowMethods", cors.allow_methods.join(", "));
                }
                if !cors.allow_headers.is_empty() {
                    item("  AllowHeaders", cors.allow_headers.join(", "));
                }
                if cors.allow_credentials {
                    item("  AllowCredentials", "true".to_string());
                }
            }
        },
    }
}

fn rest_api_lines(
    app: &App,
    api: &rest_api::RestApi,
    act: Option<(&ServerNote, bool)>,
    lines: &mut Vec<Line<'static>>,
) {
    use rest_api::Note;
    let theme = &app.theme;
    lines.push(Line::from(Span::styled(
        "API Gateway REST API",
        theme.title,
    )));
    let (acted, method) = match act {
        Some((ServerNote::RestApi(note), _)) => match note.inner() {
            Note::Mock {
                method, template, ..
            } => (
                Some(match template {
                    rest_api::Override::None => {
                        "▶ the MOCK method answered itself, the same for every request"
                    }
                    rest_api::Override::Echoed { .. } => {
                        "▶ the MOCK answered; its template echoed this Origin"
                    }
                    rest_api::Override::Kept { .. } => {
                        "▶ the MOCK answered its static origin: this Origin is not in its template"
                    }
                    rest_api::Override::NotEvaluated => {
                        "▶ the MOCK answered; its template is not evaluated"
                    }
                }),
                Some(method.as_str()),
            ),
            Note::Gateway { cors: false, .. } => (
                Some("▶ answered with a gateway response: no CORS header"),
                None,
            ),
            Note::Gateway { cors: true, .. } => (
                Some("▶ answered with a gateway response that carries CORS headers"),
                None,
            ),
            Note::Proxied { method } => (
                Some("▶ passed the function's answer through untouched"),
                Some(method.as_str()),
            ),
            Note::Mapped { method, .. } => (
                Some("▶ kept only the headers its integration response maps"),
                Some(method.as_str()),
            ),
            Note::Deployed { .. } => (None, None),
        },
        _ => (None, None),
    };
    acted_line(app, acted, lines);
    // The stage answers with what is deployed; the saved API may differ.
    let served = api.serving();
    let deployed = if api.deployed.is_some() {
        ", as deployed: the saved API differs"
    } else {
        ""
    };
    lines.push(Line::from(Span::styled(
        match &api.stage {
            Some(stage) => format!("  Methods (stage {}{deployed})", escape(stage)),
            None => format!("  Methods{deployed}"),
        },
        theme.muted,
    )));
    for resource in &served.resources {
        for m in &resource.methods {
            let name = format!("{} {}", m.http_method, resource.path);
            let mut text = format!("    {}  {:?}", escape(&name), m.integration);
            if m.authorization != rest_api::Authorization::None {
                text.push_str(&format!("  [{}]", m.authorization.name()));
            }
            if m.api_key_required {
                text.push_str("  [API key]");
            }
            if method == Some(name.as_str()) {
                lines.push(Line::from(Span::styled(
                    format!("{text}  ◀ this request"),
                    theme.current,
                )));
            } else {
                lines.push(Line::from(text));
            }
        }
    }
    let responses: Vec<&str> = served
        .gateway_responses
        .iter()
        .map(|g| g.kind.name())
        .collect();
    lines.push(Line::from(Span::styled(
        if responses.is_empty() {
            "  Gateway responses: none configured (no CORS on errors)".to_string()
        } else {
            format!("  Gateway responses: {}", responses.join(", "))
        },
        theme.muted,
    )));
}

/// The layers in front of the origin server, outermost first, each lit when it acted on this
/// step's exchange; then a line leading to the origin server.
fn front_layers(app: &App, exchange: Option<&Exchange>, lines: &mut Vec<Line<'static>>) {
    let theme = &app.theme;
    let server = &app.scenario.server;
    if server.front.is_empty() {
        return;
    }
    // `--config` with an API's export configures a layer in front (a bucket says it itself).
    if let (Some(source), false) = (
        &server.rules_from,
        matches!(server.kind, ServerKind::Bucket { .. }),
    ) {
        lines.push(Line::from(Span::styled(
            format!("Configuration from {}", escape(source)),
            theme.note,
        )));
    }
    let acts = match exchange {
        Some(exchange) => crate::server::front_notes(&exchange.server, server.front.len()),
        None => vec![None; server.front.len()],
    };
    for (at, (layer, act)) in server.front.iter().zip(acts).enumerate() {
        match layer {
            FrontLayer::FunctionUrl { cors } => function_url_lines(app, cors.as_ref(), act, lines),
            FrontLayer::HttpApi {
                cors,
                routes,
                stage,
            } => http_api_lines(app, (cors.as_ref(), routes, stage.as_deref()), act, lines),
            FrontLayer::RestApi(api) => rest_api_lines(app, api, act, lines),
            FrontLayer::CloudFront(layer) => cloudfront_lines(app, (layer, at), act, lines),
        }
    }
    // A bucket behind the stack says it with its rules.
    if !matches!(server.kind, ServerKind::Bucket { .. }) {
        audit_line(app, lines);
    }
    lines.push(Line::from(Span::styled("in front of:", theme.muted)));
}
