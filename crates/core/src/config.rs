//! podgate's configuration file (`podgate.yaml`): default level and version,
//! which hardening rules run and how severe they are, the image policy, the
//! failure threshold, and exceptions.
//!
//! ```yaml
//! level: restricted            # default Pod Security level (flags win)
//! version: latest
//! failOn: high                 # findings at or above this severity fail the scan
//! rules:
//!   enable: [image-digest]     # default-off rules to turn on
//!   disable: [probes-liveness]
//!   severity: {resources-cpu-request: low}
//! imagePolicy:
//!   allowedRegistries: ["ghcr.io", "*.example.com"]
//!   denyLatest: true
//! imagePolicySeverity: high
//! inlineSuppressions: true     # honour podgate.io/ignore annotations
//! exceptions:
//!   - reason: node exporter needs the host PID namespace
//!     namespaces: [monitoring]
//!     kinds: [DaemonSet]
//!     names: ["node-exporter*"]
//!     selector: {app: node-exporter}
//!     images: ["quay.io/prometheus/*"]
//!     checks: [hostNamespaces, hostPorts]   # Pod Security check IDs, rule IDs, or "*"
//!     expires: 2027-06-30
//! ```
//!
//! Unknown keys and bad values are rejected with the file's line and column
//! and, for misspelt keys and IDs, a suggestion. Exceptions are matched by
//! [`Exceptions`]; everything here is pure.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::image::ImagePolicy;
use crate::load::{load, Limits};
use crate::path::{FieldPath, PathSeg};
use crate::pss::{CheckId, Level, Version};
use crate::rules::{self, Severity};

/// The inline suppression annotation: `"runAsNonRoot: reason; resources-cpu-limit: reason"`.
pub const IGNORE_ANNOTATION: &str = "podgate.io/ignore";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    pub level: Option<Level>,
    pub version: Option<Version>,
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub rules: RulesConfig,
    pub image_policy: Option<ImagePolicy>,
    pub image_policy_severity: Option<Severity>,
    pub inline_suppressions: Option<bool>,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RulesConfig {
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exception {
    pub reason: String,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[serde(default)]
    pub images: Vec<String>,
    pub checks: Vec<String>,
    pub expires: Option<String>,
}

/// A problem in the configuration file, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A civil date (for exception expiry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.split('-');
        let (y, m, d) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
        let days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let ok = (1..=12).contains(&date.month)
            && date.day >= 1
            && date.day <= days[(date.month - 1) as usize];
        ok.then_some(date)
    }

    /// The civil date of a Unix timestamp (UTC), by Howard Hinnant's algorithm.
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Every ID an exception or rule setting may name.
fn known_ids() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    v.extend(rules::catalogue().iter().map(|r| r.id));
    v.push("image-policy");
    v
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lw = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lw, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn did_you_mean(word: &str, candidates: Vec<&'static str>) -> String {
    match suggest(word, candidates) {
        Some(s) => format!(" (did you mean {s:?}?)"),
        None => String::new(),
    }
}

impl Config {
    /// Parse and validate a configuration file.
    pub fn parse(bytes: &[u8]) -> Result<Config, Vec<ConfigError>> {
        let docs = load(bytes, &Limits::default());
        let mut docs = docs.into_iter();
        let doc = match docs.next() {
            None => return Ok(Config::default()),
            Some(Err(e)) => {
                return Err(vec![ConfigError {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                }])
            }
            Some(Ok(d)) => d,
        };
        if docs.next().is_some() {
            return Err(vec![ConfigError {
                line: 1,
                column: 1,
                message: "the configuration must be a single YAML document".into(),
            }]);
        }
        if doc.value.is_null() {
            return Ok(Config::default());
        }
        let at = |path: &[PathSeg]| doc.positions.nearest(path);
        let mut track = serde_path_to_error::Track::new();
        let de = serde_path_to_error::Deserializer::new(&doc.value, &mut track);
        let config = match Config::deserialize(de) {
            Ok(c) => c,
            Err(e) => {
                let mut fp = FieldPath::root();
                for seg in track.path().iter() {
                    match seg {
                        serde_path_to_error::Segment::Seq { index } => {
                            fp.0.push(PathSeg::Index(*index))
                        }
                        serde_path_to_error::Segment::Map { key } => {
                            fp.0.push(PathSeg::from(key.clone()))
                        }
                        _ => {}
                    }
                }
                let raw = e.to_string();
                let mut msg = raw.clone();
                // serde: "unknown field `x`, expected one of `a`, `b`"
                if let Some(rest) = raw.strip_prefix("unknown field `") {
                    if let Some((field, expected)) = rest.split_once("`, expected ") {
                        let options: Vec<&str> = expected
                            .split('`')
                            .enumerate()
                            .filter(|(i, _)| i % 2 == 1)
                            .map(|(_, s)| s)
                            .collect();
                        let hint = suggest(field, options.iter().copied())
                            .map(|s| format!(" (did you mean {s:?}?)"))
                            .unwrap_or_default();
                        msg = format!(
                            "unknown key {field:?}{hint}; expected one of {}",
                            options.join(", ")
                        );
                        fp.0.push(PathSeg::from(field.to_string()));
                    }
                }
                let pos = at(fp.segments());
                let where_ = if fp.is_empty() {
                    String::new()
                } else {
                    format!("{fp}: ")
                };
                return Err(vec![ConfigError {
                    line: pos.line,
                    column: pos.column,
                    message: format!("{where_}{msg}"),
                }]);
            }
        };
        let mut errors = Vec::new();
        let mut err = |path: FieldPath, message: String| {
            let pos = at(path.segments());
            errors.push(ConfigError {
                line: pos.line,
                column: pos.column,
                message: format!("{path}: {message}"),
            });
        };
        let rule_ids: Vec<&'static str> = rules::catalogue().iter().map(|r| r.id).collect();
        for (key, list) in [
            ("enable", &config.rules.enable),
            ("disable", &config.rules.disable),
        ] {
            for (i, id) in list.iter().enumerate() {
                if rules::rule(id).is_none() {
                    err(
                        FieldPath::root().join(["rules", key]).child(i),
                        format!("unknown rule {id:?}{}", did_you_mean(id, rule_ids.clone())),
                    );
                }
            }
        }
        for id in config.rules.severity.keys() {
            if rules::rule(id).is_none() && id != "image-policy" {
                err(
                    FieldPath::root()
                        .join(["rules", "severity"])
                        .child(id.clone()),
                    format!("unknown rule {id:?}{}", did_you_mean(id, rule_ids.clone())),
                );
            }
        }
        if let Some(p) = &config.image_policy {
            if let Err(e) = p.validate() {
                err(FieldPath::root().child("imagePolicy"), e);
            }
        }
        let ids = known_ids();
        for (i, ex) in config.exceptions.iter().enumerate() {
            let base = FieldPath::root().child("exceptions").child(i);
            if ex.reason.trim().is_empty() {
                err(base.child("reason"), "an exception needs a reason".into());
            }
            if ex.checks.is_empty() {
                err(
                    base.child("checks"),
                    "list the check or rule IDs this exception covers (or \"*\")".into(),
                );
            }
            for (j, c) in ex.checks.iter().enumerate() {
                if c != "*" && !ids.contains(&c.as_str()) {
                    err(
                        base.child("checks").child(j),
                        format!(
                            "unknown check or rule {c:?}{}",
                            did_you_mean(c, ids.clone())
                        ),
                    );
                }
            }
            if let Some(d) = &ex.expires {
                if Date::parse(d).is_none() {
                    err(
                        base.child("expires"),
                        format!("{d:?} is not a date (use YYYY-MM-DD)"),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    /// Whether a hardening rule runs under this configuration.
    pub fn rule_enabled(&self, info: &rules::RuleInfo) -> bool {
        if self.rules.disable.iter().any(|d| d == info.id) {
            return false;
        }
        info.default_enabled || self.rules.enable.iter().any(|e| e == info.id)
    }

    /// The severity of a rule after overrides.
    pub fn rule_severity(&self, id: &str, default: Severity) -> Severity {
        self.rules.severity.get(id).copied().unwrap_or(default)
    }
}

/// `*` (any run of characters) and `?` (one character) glob.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What an exception is matched against.
pub struct Subject<'a> {
    pub namespace: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// Labels of the workload and of its pod template.
    pub labels: Vec<&'a BTreeMap<String, String>>,
    pub images: Vec<&'a str>,
}

/// Exceptions with their state for one run (expiry, use counts).
pub struct Exceptions {
    pub list: Vec<Exception>,
    active: Vec<bool>,
}

impl Exceptions {
    pub fn new(list: Vec<Exception>, today: Date) -> Self {
        let active = list
            .iter()
            .map(|e| {
                e.expires
                    .as_deref()
                    .and_then(Date::parse)
                    .is_none_or(|d| d >= today)
            })
            .collect();
        Exceptions { list, active }
    }

    /// Indexes of expired exceptions.
    pub fn expired(&self) -> Vec<usize> {
        (0..self.list.len()).filter(|i| !self.active[*i]).collect()
    }

    /// The first active exception covering `id` for `subject`.
    pub fn matching(&self, subject: &Subject, id: &str) -> Option<usize> {
        self.list.iter().enumerate().find_map(|(i, e)| {
            let ok = self.active[i]
                && e.checks.iter().any(|c| c == "*" || c == id)
                && (e.namespaces.is_empty()
                    || e.namespaces
                        .iter()
                        .any(|p| glob_match(p, subject.namespace)))
                && (e.kinds.is_empty()
                    || e.kinds.iter().any(|k| k.eq_ignore_ascii_case(subject.kind)))
                && (e.names.is_empty() || e.names.iter().any(|p| glob_match(p, subject.name)))
                && e.selector
                    .iter()
                    .all(|(k, v)| subject.labels.iter().any(|l| l.get(k) == Some(v)))
                && (e.images.is_empty()
                    || subject
                        .images
                        .iter()
                        .any(|img| e.images.iter().any(|p| glob_match(p, img))));
            ok.then_some(i)
        })
    }
}

/// Parse an inline `podgate.io/ignore` annotation into (id, reason) pairs.
/// Entries are separated by `;` or newlines; each is `ID: reason` (a reason
/// is required; entries without one are returned with an empty reason so the
/// caller can report them).
pub fn parse_ignore_annotation(v: &str) -> Vec<(String, String)> {
    v.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| match entry.split_once(':') {
            Some((id, reason)) => (id.trim().to_string(), reason.trim().to_string()),
            None => (entry.to_string(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            br#"
level: baseline
version: v1.30
failOn: medium
rules:
  enable: [image-digest]
  disable: [probes-liveness]
  severity: {resources-cpu-request: low}
imagePolicy:
  allowedRegistries: [ghcr.io]
  denyLatest: true
exceptions:
  - reason: node agent
    namespaces: [monitoring]
    checks: [hostNamespaces, "*"]
    expires: 2030-01-31
"#,
        )
        .unwrap();
        assert_eq!(c.level, Some(Level::Baseline));
        assert_eq!(c.fail_on, Some(Severity::Medium));
        let digest = rules::rule("image-digest").unwrap();
        assert!(c.rule_enabled(digest));
        assert!(!c.rule_enabled(rules::rule("probes-liveness").unwrap()));
        assert_eq!(
            c.rule_severity("resources-cpu-request", Severity::Medium),
            Severity::Low
        );
        assert_eq!(c.exceptions.len(), 1);
    }

    #[test]
    fn unknown_keys_have_line_and_suggestion() {
        let e = Config::parse(b"level: baseline\nfailon: high\n").unwrap_err();
        assert_eq!(e[0].line, 2, "{e:?}");
        assert!(
            e[0].message.contains("did you mean \"failOn\""),
            "{}",
            e[0].message
        );
        let e =
            Config::parse(b"exceptions:\n  - reason: r\n    checks: [runAsNonRot]\n").unwrap_err();
        assert_eq!(e[0].line, 3);
        assert!(
            e[0].message.contains("did you mean \"runAsNonRoot\""),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn bad_values_are_rejected() {
        let e = Config::parse(b"level: strict\n").unwrap_err();
        assert_eq!(e[0].line, 1);
        assert!(
            e[0].message
                .contains("`privileged`, `baseline`, `restricted`"),
            "{}",
            e[0].message
        );
        let e = Config::parse(
            b"exceptions:\n  - reason: ''\n    checks: []\n    expires: 2027-02-30\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        let e = Config::parse(b"rules:\n  enable: [image-digets]\n").unwrap_err();
        assert!(e[0].message.contains("image-digest"));
        assert!(Config::parse(b"a: 1\n---\nb: 2\n").is_err());
        assert!(Config::parse(b"").is_ok());
    }

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2026-11-25"),
            Some(Date {
                year: 2026,
                month: 11,
                day: 25
            })
        );
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("2025-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(20_417).to_string(), "2025-11-25");
    }

    #[test]
    fn globs() {
        assert!(glob_match("node-*", "node-exporter"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match(
            "quay.io/prometheus/*",
            "quay.io/prometheus/node-exporter:v1"
        ));
        assert!(!glob_match("web", "web-2"));
    }

    #[test]
    fn exception_matching_and_expiry() {
        let labels: BTreeMap<String, String> = [("app".to_string(), "ne".to_string())].into();
        let subject = Subject {
            namespace: "monitoring",
            kind: "DaemonSet",
            name: "node-exporter",
            labels: vec![&labels],
            images: vec!["quay.io/prometheus/node-exporter:v1"],
        };
        let ex = |expires: Option<&str>| Exception {
            reason: "r".into(),
            namespaces: vec!["monitor*".into()],
            kinds: vec!["daemonset".into()],
            names: vec!["node-*".into()],
            selector: [("app".to_string(), "ne".to_string())].into(),
            images: vec!["quay.io/*".into()],
            checks: vec!["hostNamespaces".into()],
            expires: expires.map(str::to_string),
        };
        let today = Date::parse("2026-11-25").unwrap();
        let exs = Exceptions::new(
            vec![ex(None), ex(Some("2026-11-24")), ex(Some("2026-11-25"))],
            today,
        );
        assert_eq!(exs.matching(&subject, "hostNamespaces"), Some(0));
        assert_eq!(exs.matching(&subject, "privileged"), None);
        assert_eq!(exs.expired(), vec![1]);
        let other = Subject {
            namespace: "default",
            ..subject
        };
        assert_eq!(exs.matching(&other, "hostNamespaces"), None);
    }

    #[test]
    fn ignore_annotation() {
        assert_eq!(
            parse_ignore_annotation("runAsNonRoot: legacy image; resources-cpu-limit: batch\nbare"),
            vec![
                ("runAsNonRoot".to_string(), "legacy image".to_string()),
                ("resources-cpu-limit".to_string(), "batch".to_string()),
                ("bare".to_string(), String::new())
            ]
        );
    }
}
