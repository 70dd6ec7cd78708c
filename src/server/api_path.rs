//! A resource path as API Gateway writes it, for HTTP API routes and REST API resources alike:
//! literal parts, `{name}` (one part) and a greedy `{name+}` (one or more, last only).

/// One part of a path template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Variable,
    Greedy,
}

/// A validated path template such as `/orders/{id}` or `/{proxy+}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathTemplate(Vec<Segment>);

/// How a path fits a template: the more literal parts and the fewer greedy ones, the more
/// specific; each API orders these its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fit {
    pub greedy: bool,
    /// Parts matched one for one (all but a greedy variable).
    pub fixed: usize,
    /// Of those, literal parts.
    pub literals: usize,
}

impl PathTemplate {
    /// Reads `path`, or says what API Gateway would refuse about it.
    pub fn parse(path: &str) -> Result<Self, String> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err(format!("a path starts with '/': '{path}'"));
        };
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        let mut segments = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if name.ends_with('+') && name.len() > 1 => {
                    if i + 1 != parts.len() {
                        return Err(format!(
                            "a greedy path variable ({{{name}}}) must end the path: '{path}'"
                        ));
                    }
                    Segment::Greedy
                }
                Some(name) if !name.is_empty() && !name.contains(['{', '}', '+']) => {
                    Segment::Variable
                }
                Some(_) => return Err(format!("'{part}' is not a path variable: '{path}'")),
                None if part.is_empty() => {
                    return Err(format!("a path has an empty part: '{path}'"));
                }
                None if part.contains(['{', '}']) => {
                    return Err(format!(
                        "a path variable fills a whole part, e.g. /pets/{{id}}: '{path}'"
                    ));
                }
                None => Segment::Literal((*part).to_string()),
            };
            segments.push(segment);
        }
        Ok(PathTemplate(segments))
    }

    /// How `parts` (a request path split at `/`) fits, if at all.
    pub fn fit(&self, parts: &[&str]) -> Option<Fit> {
        let greedy = matches!(self.0.last(), Some(Segment::Greedy));
        let fixed = if greedy {
            &self.0[..self.0.len() - 1]
        } else {
            &self.0[..]
        };
        let fits = if greedy {
            parts.len() > fixed.len()
        } else {
            parts.len() == fixed.len()
        };
        if !fits {
            return None;
        }
        let mut literals = 0;
        for (segment, part) in fixed.iter().zip(parts) {
            match segment {
                Segment::Literal(text) if text == part => literals += 1,
                Segment::Literal(_) => return None,
                Segment::Variable | Segment::Greedy => {}
            }
        }
        Some(Fit {
            greedy,
            fixed: fixed.len(),
            literals,
        })
    }
}

/// A request URL's path split at `/`, below `stage` when the API has a named one; None when
/// the path does not start with it.
pub fn parts_below_stage(url: &str, stage: Option<&str>) -> Option<Vec<String>> {
    let path = url::Url::parse(url)
        .map(|url| url.path().to_string())
        .unwrap_or_default();
    let mut parts: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(stage) = stage {
        if parts.first().map(String::as_str) != Some(stage) {
            return None;
        }
        parts.remove(0);
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fit_literal_variable_and_greedy_parts() {
        let fit = |template: &str, path: &[&str]| match PathTemplate::parse(template) {
            Ok(t) => t.fit(path),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            fit("/pets/{id}", &["pets", "7"]),
            Some(Fit {
                greedy: false,
                fixed: 2,
                literals: 1
            })
        );
        assert_eq!(fit("/pets/{id}", &["pets"]), None);
        assert!(fit("/{proxy+}", &["a", "b"]).is_some_and(|f| f.greedy));
        assert_eq!(fit("/{proxy+}", &[]), None);
        for bad in ["x", "/{proxy+}/more", "/a//b", "/a{b}", "/{}"] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad}");
        }
    }
}
