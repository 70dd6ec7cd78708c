//! The lessons shipped in `scenarios/`, built into the binary: `cors-tui rule-order` opens one
//! from any folder, and `cors-tui lessons` lists them.

/// A built-in lesson: its name (the file's, without `.json`) and its text.
pub struct Lesson {
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! lessons {
    ($($name:literal),* $(,)?) => {
        [$(Lesson {
            name: $name,
            text: include_str!(concat!("../../scenarios/", $name, ".json")),
        }),*]
    };
}

/// In the order a course takes them (the UX review's sequence), numbered from lesson 0, why the
/// same-origin policy exists: who enforces CORS, what triggers a preflight, credentials,
/// cookies, caching, server mistakes, redirects and the null origin, then providers and Chromium's
/// departures, then CORS across AWS.
pub const LESSONS: [Lesson; 46] = lessons![
    "same-origin-policy",
    "basic",
    "curl-vs-browser",
    "no-cors-is-not-a-fix",
    "images-fonts-scripts-and-xhr",
    "custom-header",
    "cors-is-not-csrf-protection",
    "method-not-allowed",
    "no-cors-config",
    "expose-headers",
    "wildcard-credentials",
    "cookies-and-samesite",
    "cookie-from-another-site",
    "rule-order",
    "preflight-cache",
    "max-age",
    "browser-cache-without-vary",
    "static-preflight-status",
    "masked-error",
    "redirects",
    "permanent-redirect-cached",
    "mixed-content",
    "local-network-access",
    "orb-is-not-cors",
    "corp-is-not-cors",
    "coep-require-corp",
    "null-origin",
    "dangerous-rules",
    "gcs-upload",
    "azure-blob",
    "authorization-star",
    "function-url-duplicate-origin",
    "http-api-authorizer-preflight",
    "http-api-drops-function-headers",
    "rest-api-proxy-missing-header",
    "rest-api-gateway-responses",
    "rest-api-star-with-credentials",
    "rest-api-merged-headers",
    "rest-api-several-origins",
    "rest-api-not-deployed",
    "cloudfront-options-not-allowed",
    "cloudfront-first-answer-cached",
    "cloudfront-reflected-origin-cached",
    "cloudfront-policy-and-preflight",
    "s3-metadata-is-not-cors",
    "presigned-upload",
];

/// The lesson the app opens without a file: lesson 1, the basic one.
pub const BASIC: &Lesson = &LESSONS[1];

/// The built-in lesson `name` stands for: `rule-order`, `rule-order.json`,
/// `scenarios/rule-order.json`, or its number in teaching order (`12`).
pub fn find(name: &str) -> Option<&'static Lesson> {
    if let Ok(number) = name.trim().parse::<usize>() {
        return LESSONS.get(number);
    }
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.strip_suffix(".json").unwrap_or(file);
    LESSONS.iter().find(|lesson| lesson.name == stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_is_found_by_name_file_or_number() {
        assert_eq!(find("13").map(|l| l.name), Some("rule-order"));
        assert_eq!(
            find("scenarios/rule-order.json").map(|l| l.name),
            Some("rule-order")
        );
        assert_eq!(find("1").map(|l| l.name), Some("basic"));
        assert_eq!(BASIC.name, "basic");
        assert_eq!(find("0").map(|l| l.name), Some("same-origin-policy"));
        assert!(find(&LESSONS.len().to_string()).is_none());
    }

    /// A student who picks a wrong answer is told why it is wrong, in every lesson.
    #[test]
    fn every_wrong_choice_in_a_lesson_says_why() {
        for lesson in &LESSONS {
            let Ok(scenario) = crate::scenario::load_str(lesson.text, lesson.name) else {
                panic!("{} loads", lesson.name)
            };
            for question in &scenario.quiz {
                for (i, choice) in question.choices.iter().enumerate() {
                    assert!(
                        i == question.answer || choice.why.is_some(),
                        "{}: '{}' has no why in '{}'",
                        lesson.name,
                        choice.text,
                        question.question
                    );
                }
            }
        }
    }

    #[test]
    fn every_shipped_scenario_is_built_in_and_loads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut shipped: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .map(String::from)
            })
            .collect();
        shipped.sort();
        let mut built_in: Vec<String> = LESSONS.iter().map(|l| l.name.to_string()).collect();
        built_in.sort();
        assert_eq!(shipped, built_in);
        for lesson in &LESSONS {
            if let Err(e) = crate::scenario::load_str(lesson.text, lesson.name) {
                panic!("{}: {e}", lesson.name);
            }
        }
    }

    #[test]
    fn a_lesson_is_found_by_name_or_file_name() {
        for name in ["rule-order", "rule-order.json", "scenarios/rule-order.json"] {
            assert_eq!(find(name).map(|l| l.name), Some("rule-order"), "{name}");
        }
        assert!(find("no-such-lesson").is_none());
    }
}
