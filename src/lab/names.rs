//! Where the lesson's origins live for the browser. Under `serve --check` the headless Chromium
//! maps the lesson's own host names to the lab (`--host-rules`), so nothing is renamed. A
//! desktop browser cannot be told that: there each host becomes a name under `localhost`
//! (`photos.example` → `photos.example.localhost`), which Chrome, Edge and Firefox resolve to
//! this machine without DNS and treat as a secure context, served over plain HTTP on a port per
//! scheme and port of the lesson. Sites stay apart as they were (`photos.example` and
//! `api.example` are still one site, `example.localhost`), and every origin stays distinct.
//! The lab translates at its door: the `Origin` a request brings in, and the URLs and origins
//! an answer carries out.

/// One loopback port standing for a scheme and port of the lesson's URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Door {
    /// The lesson's scheme and port (`https`, 443).
    pub scheme: String,
    pub port: u16,
    /// The port on this machine the browser uses for it.
    pub local: u16,
}

/// How the lesson's names reach the browser.
#[derive(Clone, Debug, Default)]
pub enum Names {
    /// As written: the browser is told where they are.
    #[default]
    Exact,
    /// Under `localhost`, one door per scheme and port.
    Loopback { doors: Vec<Door> },
    /// A door per lesson origin on a network address (`--listen`), for other machines, where
    /// names under localhost would be their own.
    Ports {
        /// Each lesson origin and its port.
        ports: Vec<(String, u16)>,
        address: String,
    },
}

/// The suffix every lesson host gets in a desktop browser.
const SUFFIX: &str = ".localhost";

impl Names {
    /// The lesson's URL as the browser asks for it.
    pub fn outward_url(&self, lesson_url: &str) -> String {
        let Ok(mut url) = url::Url::parse(lesson_url) else {
            return lesson_url.to_string();
        };
        let doors = match self {
            Names::Exact => return lesson_url.to_string(),
            Names::Ports { ports, address } => {
                let origin = url.origin().ascii_serialization();
                let Some((_, local)) = ports.iter().find(|(o, _)| *o == origin) else {
                    return lesson_url.to_string();
                };
                let host = address.trim_start_matches('[').trim_end_matches(']');
                if url.set_scheme("http").is_err()
                    || url
                        .set_ip_host(host.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()))
                        .is_err()
                    || url.set_port(Some(*local)).is_err()
                {
                    return lesson_url.to_string();
                }
                return url.to_string();
            }
            Names::Loopback { doors, .. } => doors,
        };
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return lesson_url.to_string();
        };
        let Some(door) = doors
            .iter()
            .find(|d| d.scheme == url.scheme() && d.port == port)
        else {
            return lesson_url.to_string();
        };
        let host = format!("{host}{SUFFIX}");
        if url.set_scheme("http").is_err()
            || url.set_host(Some(&host)).is_err()
            || url.set_port(Some(door.local)).is_err()
        {
            return lesson_url.to_string();
        }
        url.to_string()
    }

    /// The lesson's origin as the browser serializes it.
    pub fn outward_origin(&self, lesson_origin: &str) -> String {
        if lesson_origin == "null" || matches!(self, Names::Exact) {
            return lesson_origin.to_string();
        }
        match url::Url::parse(&self.outward_url(lesson_origin)) {
            Ok(url) => url.origin().ascii_serialization(),
            Err(_) => lesson_origin.to_string(),
        }
    }

    /// The lesson's origin a browser's origin stands for; itself when it stands for none.
    pub fn inward_origin(&self, browser_origin: &str) -> String {
        let Ok(url) = url::Url::parse(browser_origin) else {
            return browser_origin.to_string();
        };
        let doors = match self {
            Names::Exact => return browser_origin.to_string(),
            Names::Ports { ports, .. } => {
                return url
                    .port()
                    .and_then(|port| ports.iter().find(|(_, local)| *local == port))
                    .map_or_else(|| browser_origin.to_string(), |(origin, _)| origin.clone());
            }
            Names::Loopback { doors, .. } => doors,
        };
        let (Some(host), Some(port)) = (url.host_str(), url.port()) else {
            return browser_origin.to_string();
        };
        let (Some(host), Some(door)) = (
            host.strip_suffix(SUFFIX),
            doors.iter().find(|d| d.local == port),
        ) else {
            return browser_origin.to_string();
        };
        let default = match door.scheme.as_str() {
            "https" => 443,
            _ => 80,
        };
        if door.port == default {
            format!("{}://{host}", door.scheme)
        } else {
            format!("{}://{host}:{}", door.scheme, door.port)
        }
    }

    /// The lesson's origin of a request that came to `local_port` for `authority` (its `Host`).
    pub fn lesson_origin(&self, (secure, local_port): (bool, u16), authority: &str) -> String {
        match self {
            Names::Exact => {
                let scheme = if secure { "https" } else { "http" };
                format!("{scheme}://{authority}")
            }
            Names::Loopback { .. } => {
                let host = authority.split(':').next().unwrap_or(authority);
                self.inward_origin(&format!("http://{host}:{local_port}"))
            }
            Names::Ports { ports, .. } => ports
                .iter()
                .find(|(_, local)| *local == local_port)
                .map_or_else(
                    || format!("http://{authority}"),
                    |(origin, _)| origin.clone(),
                ),
        }
    }

    /// A header value of the lesson's answer as the browser is to see it: the origins and URLs
    /// it names (`Access-Control-Allow-Origin`, `Location`) and a cookie's `Domain`.
    pub fn outward_header(&self, name: &str, value: &str) -> String {
        if matches!(self, Names::Exact) {
            return value.to_string();
        }
        if name.eq_ignore_ascii_case("Access-Control-Allow-Origin") {
            if value.trim() == "*" || value.trim() == "null" {
                return value.to_string();
            }
            return self.outward_origin(value.trim());
        }
        if name.eq_ignore_ascii_case("Location") {
            return self.outward_url(value.trim());
        }
        if name.eq_ignore_ascii_case("Set-Cookie") && matches!(self, Names::Loopback { .. }) {
            return value
                .split(';')
                .map(|part| {
                    let trimmed = part.trim();
                    match trimmed.split_once('=') {
                        Some((key, domain)) if key.trim().eq_ignore_ascii_case("domain") => {
                            let domain = domain.trim().trim_start_matches('.');
                            format!(" Domain={domain}{SUFFIX}")
                        }
                        _ => part.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(";");
        }
        value.to_string()
    }
}

/// The schemes and ports of every URL the lesson names, each once, in order.
pub fn schemes_and_ports<'a>(urls: impl Iterator<Item = &'a url::Url>) -> Vec<(String, u16)> {
    let mut found: Vec<(String, u16)> = Vec::new();
    for url in urls {
        if let Some(port) = url.port_or_known_default() {
            let pair = (url.scheme().to_string(), port);
            if !found.contains(&pair) {
                found.push(pair);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> Names {
        Names::Loopback {
            doors: vec![
                Door {
                    scheme: "https".into(),
                    port: 443,
                    local: 41001,
                },
                Door {
                    scheme: "http".into(),
                    port: 80,
                    local: 41002,
                },
            ],
        }
    }

    #[test]
    fn lesson_names_go_under_localhost_and_come_back() {
        let names = loopback();
        assert_eq!(
            names.outward_url("https://photos.example/a.jpg?x=1"),
            "http://photos.example.localhost:41001/a.jpg?x=1"
        );
        assert_eq!(
            names.outward_origin("http://photos.example"),
            "http://photos.example.localhost:41002"
        );
        assert_eq!(
            names.inward_origin("http://photos.example.localhost:41001"),
            "https://photos.example"
        );
        assert_eq!(
            names.lesson_origin((false, 41002), "app.example.com.localhost:41002"),
            "http://app.example.com"
        );
        // Whatever is not the lab's stays as it came.
        assert_eq!(names.inward_origin("null"), "null");
        assert_eq!(
            names.inward_origin("https://elsewhere.test"),
            "https://elsewhere.test"
        );
        assert_eq!(
            names.outward_header("Access-Control-Allow-Origin", "*"),
            "*"
        );
        assert_eq!(
            names.outward_header("Access-Control-Allow-Origin", "https://photos.example"),
            "http://photos.example.localhost:41001"
        );
        assert_eq!(
            names.outward_header("Set-Cookie", "a=1; Domain=.example.com; Secure"),
            "a=1; Domain=example.com.localhost; Secure"
        );
    }

    #[test]
    fn on_a_network_address_each_origin_has_its_port() {
        let names = Names::Ports {
            ports: vec![
                ("https://photos.example".into(), 41001),
                ("https://bucket.s3.amazonaws.com".into(), 41002),
            ],
            address: "192.168.1.20".into(),
        };
        assert_eq!(
            names.outward_url("https://bucket.s3.amazonaws.com/a.jpg"),
            "http://192.168.1.20:41002/a.jpg"
        );
        assert_eq!(
            names.inward_origin("http://192.168.1.20:41001"),
            "https://photos.example"
        );
        assert_eq!(
            names.lesson_origin((false, 41002), "192.168.1.20:41002"),
            "https://bucket.s3.amazonaws.com"
        );
    }

    #[test]
    fn exact_names_are_left_alone() {
        let names = Names::Exact;
        assert_eq!(
            names.outward_url("https://a.example/x"),
            "https://a.example/x"
        );
        assert_eq!(
            names.lesson_origin((true, 1234), "a.example"),
            "https://a.example"
        );
    }
}
