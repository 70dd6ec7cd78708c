//! What an integration response's mapping template does to `Access-Control-Allow-Origin`.
//! A REST API cannot list several origins in one static header, so generators write a Velocity
//! template that overrides the header with the request's Origin when it is one of the others:
//! CDK's `addCorsPreflight` (`$origin == "…" || …`, generated) and its older releases
//! (`$origin.matches("…")`, a regular expression, so a `.` in an origin matches any character,
//! observed in aws-cdk#26648). cors-tui reads exactly these shapes; any other template that
//! overrides a response is marked as not evaluated rather than guessed at.

use regex::Regex;

/// How the Origin is compared with the listed origins.
#[derive(Clone, Debug)]
pub enum Compare {
    /// `$origin == "…"`: the exact text.
    Equals,
    /// `$origin.matches("…")`: Java's `String.matches`, a regular expression over the whole Origin.
    Matches(Vec<Regex>),
}

/// The template's effect on Access-Control-Allow-Origin.
#[derive(Clone, Debug, Default)]
pub enum OriginTemplate {
    /// No template, or one that overrides nothing.
    #[default]
    None,
    /// The Origin replaces the header when it is one of `origins`.
    Echoes {
        origins: Vec<String>,
        compare: Compare,
    },
    /// A template that overrides the response in a way cors-tui does not evaluate.
    NotEvaluated,
}

impl PartialEq for OriginTemplate {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (OriginTemplate::None, OriginTemplate::None)
            | (OriginTemplate::NotEvaluated, OriginTemplate::NotEvaluated) => true,
            (
                OriginTemplate::Echoes {
                    origins: a,
                    compare: x,
                },
                OriginTemplate::Echoes {
                    origins: b,
                    compare: y,
                },
            ) => a == b && matches!(x, Compare::Equals) == matches!(y, Compare::Equals),
            _ => false,
        }
    }
}

impl Eq for OriginTemplate {}

const OVERRIDE: &str = "#set($context.responseOverride.header.Access-Control-Allow-Origin=$origin)";
const ORIGIN_SOURCES: [&str; 2] = [
    "#set($origin=$input.params().header.get(\"Origin\"))",
    "#set($origin=$input.params(\"Origin\"))",
];

impl OriginTemplate {
    /// Reads one template (the `application/json` one: the only one a MOCK's answer uses).
    pub fn read(template: &str) -> OriginTemplate {
        if !template.contains("responseOverride") {
            return OriginTemplate::None;
        }
        let compact: String = template.chars().filter(|c| !c.is_whitespace()).collect();
        echoes(&compact).unwrap_or(OriginTemplate::NotEvaluated)
    }

    /// The value Access-Control-Allow-Origin takes for a request with `origin`, when the
    /// template overrides it.
    pub fn overridden(&self, origin: Option<&str>) -> Option<String> {
        let OriginTemplate::Echoes { origins, compare } = self else {
            return None;
        };
        let origin = origin.filter(|o| !o.is_empty())?;
        let listed = match compare {
            Compare::Equals => origins.iter().any(|o| o == origin),
            Compare::Matches(patterns) => patterns.iter().any(|p| p.is_match(origin)),
        };
        listed.then(|| origin.to_string())
    }
}

/// The template CDK's `addCorsPreflight` writes to echo `origins` (all but the first of its
/// `allowOrigins`).
pub fn cdk_template(origins: &[String]) -> String {
    let condition: Vec<String> = origins
        .iter()
        .map(|origin| format!("$origin == \"{origin}\""))
        .collect();
    format!(
        "#set($origin = $input.params().header.get(\"Origin\"))\n#if($origin == \"\")\n  #set($origin = $input.params().header.get(\"origin\"))\n#end\n#if({})\n  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end",
        condition.join(" || ")
    )
}

/// `#if(<terms>)<OVERRIDE>#end`, with `$origin` read from the Origin header first.
fn echoes(compact: &str) -> Option<OriginTemplate> {
    let source = ORIGIN_SOURCES
        .iter()
        .filter_map(|s| compact.find(s))
        .min()?;
    let guarded = format!("){OVERRIDE}#end");
    let end = compact.find(&guarded)?;
    if compact[end + guarded.len()..].contains("responseOverride") {
        return None;
    }
    let start = compact[..end].rfind("#if(")?;
    if start < source {
        return None;
    }
    let mut origins = Vec::new();
    let mut regexes = Vec::new();
    let mut equals = None;
    for term in compact[start + 4..end].split("||") {
        let (quoted, is_equals) = if let Some(rest) = term.strip_prefix("$origin==") {
            (rest, true)
        } else {
            let rest = term.strip_prefix("$origin.matches(")?.strip_suffix(')')?;
            (rest, false)
        };
        if *equals.get_or_insert(is_equals) != is_equals {
            return None;
        }
        let text = unquote(quoted)?;
        if !is_equals {
            regexes.push(
                regex::RegexBuilder::new(&format!("^(?:{text})$"))
                    .size_limit(1 << 16)
                    .build()
                    .ok()?,
            );
        }
        origins.push(text.to_string());
    }
    let compare = if equals? {
        Compare::Equals
    } else {
        Compare::Matches(regexes)
    };
    Some(OriginTemplate::Echoes { origins, compare })
}

fn unquote(text: &str) -> Option<&str> {
    ['"', '\'']
        .iter()
        .find_map(|q| text.strip_prefix(*q)?.strip_suffix(*q))
        .filter(|inner| !inner.contains(['"', '\'']))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `addCorsPreflight` renders it for `allowOrigins: [A, B, C]` (aws-cdk-lib resource.ts).
    const CDK: &str = "#set($origin = $input.params().header.get(\"Origin\"))\n#if($origin == \"\")\n  #set($origin = $input.params().header.get(\"origin\"))\n#end\n#if($origin == \"https://b.example\" || $origin == \"https://c.example\")\n  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end";

    /// As older CDK releases rendered it (aws-cdk#26648).
    const OLD_CDK: &str = "#set($origin = $input.params(\"Origin\"))\n#if($origin == \"\") #set($origin = $input.params(\"origin\")) #end\n#if($origin.matches(\"https://www.second.com\"))\n  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end";

    #[test]
    fn cdks_template_echoes_exactly_the_listed_origins() {
        let template = OriginTemplate::read(CDK);
        assert_eq!(
            template.overridden(Some("https://c.example")).as_deref(),
            Some("https://c.example")
        );
        assert_eq!(template.overridden(Some("https://a.example")), None);
        assert_eq!(template.overridden(Some("https://c.example.evil")), None);
        assert_eq!(template.overridden(None), None);
    }

    #[test]
    fn the_template_cdk_writes_is_the_one_read() {
        let origins = [
            "https://b.example".to_string(),
            "https://c.example".to_string(),
        ];
        assert_eq!(cdk_template(&origins), CDK);
    }

    #[test]
    fn the_older_template_matches_a_regular_expression_so_a_dot_is_any_character() {
        let template = OriginTemplate::read(OLD_CDK);
        assert!(
            template
                .overridden(Some("https://www.second.com"))
                .is_some()
        );
        assert!(
            template
                .overridden(Some("https://wwwXsecond.com"))
                .is_some()
        );
        assert!(
            template
                .overridden(Some("https://www.second.com.evil"))
                .is_none()
        );
    }

    #[test]
    fn other_overriding_templates_are_not_evaluated_and_plain_ones_do_nothing() {
        assert_eq!(
            OriginTemplate::read("#set($context.responseOverride.status = 418)"),
            OriginTemplate::NotEvaluated
        );
        assert_eq!(
            OriginTemplate::read(
                "#set($context.responseOverride.header.Access-Control-Allow-Origin = $input.params('origin'))"
            ),
            OriginTemplate::NotEvaluated
        );
        assert_eq!(OriginTemplate::read("{\"ok\": true}"), OriginTemplate::None);
    }
}
