//! SARIF and JUnit reports, and the rules catalogue: schema validation
//! against the official SARIF 2.1.0 schema, positions checked against the
//! manifests' text, snapshots, JUnit counts and well-formedness, and
//! docs/rules.md kept in sync with `podgate rules --format markdown`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use podgate::report::{junit, sarif};
use podgate::rules_cmd::{self, RulesFormat};
use podgate::scan::{self, Input, ScanReport, ScanSettings};
use podgate_core::rules::Severity;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> PathBuf {
    manifest_dir().join("../../examples")
}

/// Test manifests (a directory of its own: `tests/data` also holds the schema).
fn manifests() -> PathBuf {
    manifest_dir().join("tests/data/manifests")
}

/// The manifests under `dir` as the binary names them when run there with
/// `podgate scan .` (relative, `/`-separated, sorted).
fn inputs_under(dir: &Path) -> Vec<Input> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|rel| {
            Input::new(
                rel.to_string_lossy().replace('\\', "/"),
                Ok(std::fs::read(dir.join(&rel)).unwrap()),
            )
        })
        .collect()
}

fn scan_inputs(inputs: Vec<Input>) -> ScanReport {
    scan::scan(inputs, &ScanSettings::default())
}

fn scan_dir(dir: &Path) -> ScanReport {
    scan_inputs(inputs_under(dir))
}

fn sarif_of(report: &ScanReport) -> Value {
    let mut buf = Vec::new();
    sarif::write(&mut buf, report).unwrap();
    serde_json::from_slice(&buf).expect("SARIF output is JSON")
}

fn junit_of(report: &ScanReport) -> String {
    let mut buf = Vec::new();
    junit::write(&mut buf, report).unwrap();
    String::from_utf8(buf).expect("JUnit output is UTF-8")
}

/// A report with input errors of every kind next to a denied resource, and
/// names that need escaping in XML and in URIs.
fn report_with_errors() -> ScanReport {
    let mut inputs = inputs_under(&manifests());
    inputs.push(Input::new(
        "broken.yaml",
        Ok(b"apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n".to_vec()),
    ));
    inputs.push(Input::new(
        "missing dir/gone.yaml",
        Err("cannot read: No such file or directory (os error 2)".into()),
    ));
    inputs.push(Input::new(
        "odd <&\"'> ü.yaml",
        Ok(br#"apiVersion: v1
kind: Pod
metadata:
  name: "x<y>&z"
spec:
  containers:
    - name: "c&<>"
      image: nginx:1.27
      securityContext:
        privileged: true
"#
        .to_vec()),
    ));
    let report = scan_inputs(inputs);
    assert!(report.errors.len() >= 2, "{:?}", report.errors);
    report
}

// ---- SARIF ----

/// The pattern the OASIS 2.1.0 schema gives `run.language` and
/// `toolComponent.language`: not a valid ECMA-262 regex (a stray `]`), so
/// jsonschema rejects the whole schema. SARIF 2.1.0 Errata 01 corrects it to
/// [`LANGUAGE_PATTERN_ERRATA`]; the test applies that correction in memory and
/// leaves the vendored file as published. podgate never writes `language`.
const LANGUAGE_PATTERN_2_1_0: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
const LANGUAGE_PATTERN_ERRATA: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";

fn sarif_validator() -> jsonschema::Validator {
    let path = manifest_dir().join("tests/data/sarif-schema-2.1.0.json");
    let mut schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(
        schema["$id"],
        "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
    );
    for def in ["run", "toolComponent"] {
        let pattern = &mut schema["definitions"][def]["properties"]["language"]["pattern"];
        assert_eq!(
            pattern, LANGUAGE_PATTERN_2_1_0,
            "{def}.language: schema file changed?"
        );
        *pattern = LANGUAGE_PATTERN_ERRATA.into();
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not match the 2.1.0 schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    for report in [
        scan_dir(&examples()),
        scan_dir(&manifests()),
        report_with_errors(),
    ] {
        assert_valid_sarif(&sarif_of(&report));
    }
}

#[test]
fn the_schema_rejects_broken_sarif() {
    // Make sure validation is not vacuous.
    let mut log = sarif_of(&scan_dir(&manifests()));
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!sarif_validator().is_valid(&log));
    let mut log = sarif_of(&scan_dir(&manifests()));
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_validator().is_valid(&log));
}

#[test]
fn sarif_run_describes_the_tool_and_every_rule() {
    let log = sarif_of(&scan_dir(&examples()));
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "podgate");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for c in podgate_core::pss::CheckId::ALL {
        let i = ids.iter().position(|id| *id == c.as_str()).unwrap();
        let r = &rules[i];
        assert_eq!(r["defaultConfiguration"]["level"], "error");
        assert_eq!(
            r["properties"]["tags"],
            serde_json::json!(["security", "pod-security", c.level().as_str()])
        );
        assert!(r["help"]["text"].as_str().unwrap().contains(c.fix_hint()));
    }
    for info in podgate_core::rules::catalogue() {
        let i = ids.iter().position(|id| *id == info.id).unwrap();
        let r = &rules[i];
        let (level, sev) = match info.severity.as_str() {
            "critical" => ("error", "9.0"),
            "high" => ("error", "7.0"),
            "medium" => ("warning", "5.0"),
            _ => ("note", "3.0"),
        };
        assert_eq!(r["defaultConfiguration"]["level"], level, "{}", info.id);
        assert_eq!(r["defaultConfiguration"]["enabled"], info.default_enabled);
        assert_eq!(r["properties"]["security-severity"], sev, "{}", info.id);
        let help = r["help"]["text"].as_str().unwrap();
        assert!(help.contains(info.rationale) && help.contains(info.fix));
    }
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate rule IDs");

    // Every result points at its rule.
    for res in log["runs"][0]["results"].as_array().unwrap() {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert!(inv.get("toolExecutionNotifications").is_none());
}

#[test]
fn sarif_has_one_result_per_violation_and_finding() {
    let report = scan_dir(&examples());
    let log = sarif_of(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let violations: usize = report.results.iter().map(|r| r.violations.len()).sum();
    let findings: usize = report.results.iter().map(|r| r.findings.len()).sum();
    let suppressed: usize = report.results.iter().map(|r| r.suppressed.len()).sum();
    assert!(violations > 0 && findings > 0);
    assert_eq!(results.len(), violations + findings + suppressed);

    let ps = results
        .iter()
        .find(|r| r["ruleId"] == "privileged")
        .unwrap();
    assert_eq!(ps["level"], "error");
    let msg = ps["message"]["text"].as_str().unwrap();
    assert!(
        msg.starts_with("DaemonSet/node-debugger (shop) violates PodSecurity \"restricted:latest\": privileged ("),
        "{msg}"
    );
    let memory = results
        .iter()
        .find(|r| r["ruleId"] == "resources-memory-limit")
        .unwrap();
    assert_eq!(memory["level"], "error"); // high
    let fp = memory["partialFingerprints"]["podgate/v1"]
        .as_str()
        .unwrap();
    assert_eq!(fp.len(), 16);
    assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
}

/// Trial finding 14: waived violations and findings keep the position of
/// their field, in JSON (`line`, `column`) and SARIF, exactly where the
/// same item is reported when it is not waived.
#[test]
fn suppressed_items_keep_the_position_of_their_field() {
    let yaml = br#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  template:
    spec:
      hostPID: true
      hostNetwork: true
      containers:
      - name: ne
        image: quay.io/prometheus/node-exporter:v1.8.0
        ports: [{containerPort: 9100, hostPort: 9100}]
"#;
    let scan_with = |config: &[u8]| {
        let settings = ScanSettings {
            config: podgate_core::config::Config::parse(config).unwrap(),
            ..ScanSettings::default()
        };
        scan::scan(vec![Input::new("m.yaml", Ok(yaml.to_vec()))], &settings)
    };
    let plain = scan_with(b"{}");
    let waived =
        scan_with(b"exceptions:\n- {reason: r, checks: [hostNamespaces, 'pss:*', 'rule:*']}\n");
    let (p, w) = (&plain.results[0], &waived.results[0]);
    assert!(w.violations.is_empty() && w.findings.is_empty());
    let mut expected: Vec<(String, String, u32, u32)> = p
        .violations
        .iter()
        .map(|v| {
            (
                v.check.as_str().to_string(),
                v.field.clone(),
                v.line,
                v.column,
            )
        })
        .chain(
            p.findings
                .iter()
                .map(|f| (f.rule.to_string(), f.field.clone(), f.line, f.column)),
        )
        .collect();
    let mut got: Vec<_> = w
        .suppressed
        .iter()
        .map(|s| (s.id.clone(), s.field.clone(), s.line, s.column))
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let at = |id: &str| got.iter().find(|g| g.0 == id).map(|g| (g.2, g.3)).unwrap();
    assert_eq!(at("hostPorts").0, 12, "{got:?}");
    assert_eq!(at("hostNamespaces").0, 8, "{got:?}");

    // JSON: `line` and `column` next to `field`.
    let json = serde_json::to_value(&waived).unwrap();
    let host_ports = json["results"][0]["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "hostPorts")
        .unwrap();
    let (line, column) = at("hostPorts");
    assert_eq!(host_ports["line"].as_u64(), Some(u64::from(line)));
    assert_eq!(host_ports["column"].as_u64(), Some(u64::from(column)));
    // SARIF: the suppressed result is at the field, not the resource start.
    let log = sarif_of(&waived);
    for r in log["runs"][0]["results"].as_array().unwrap() {
        assert!(r["suppressions"].is_array());
        let id = r["ruleId"].as_str().unwrap();
        let s = w.suppressed.iter().find(|s| s.id == id).unwrap();
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            region["startLine"].as_u64(),
            Some(u64::from(s.line)),
            "{id}"
        );
        assert_eq!(
            region["startColumn"].as_u64(),
            Some(u64::from(s.column)),
            "{id}"
        );
    }
}

#[test]
fn sarif_fingerprints_ignore_file_and_line_but_not_the_field() {
    let a = manifests().join("multi-doc.yaml");
    let text = std::fs::read_to_string(&a).unwrap();
    let moved = format!("# moved\n# and shifted\n{text}");
    let fps = |name: &str, body: &str| -> Vec<(String, String)> {
        let report = scan_inputs(vec![Input::new(name, Ok(body.as_bytes().to_vec()))]);
        let log = sarif_of(&report);
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["podgate/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let before = fps("multi-doc.yaml", &text);
    let after = fps("elsewhere/renamed.yaml", &moved);
    assert_eq!(before, after);
    let mut unique: Vec<_> = before.iter().map(|(_, f)| f).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "fingerprints collide");
}

/// A field path split into its segments: `a.b[0]['c.d']` -> a, b, [0], c.d.
#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    Index,
}

fn segments(field: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut chars = field.chars().peekable();
    let mut key = String::new();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut key)));
                }
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    let mut quoted = String::new();
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                        quoted.push(c);
                    }
                    out.push(Seg::Key(quoted));
                } else {
                    out.push(Seg::Index);
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Seg::Key(key));
    }
    out
}

/// Whether `at` (the line from the reported column on) starts the node at
/// the end of `segs`: its key for a mapping entry, anything for a list item.
fn starts_node(at: &str, segs: &[Seg]) -> bool {
    match segs.last() {
        Some(Seg::Key(k)) => {
            at.starts_with(&format!("{k}:"))
                || at.starts_with(&format!("\"{k}\""))
                || at.starts_with(&format!("'{k}'"))
        }
        Some(Seg::Index) => !at.is_empty() && !at.starts_with(char::is_whitespace),
        None => false,
    }
}

/// The 1-based line ranges of each YAML document in `text` (split at `---`),
/// numbered as the loader numbers them: documents holding only comments or
/// blank lines are empty and get no index.
fn document_lines(text: &str) -> Vec<(u32, u32)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut ranges = Vec::new();
    let mut start = 1;
    for (i, line) in lines.iter().enumerate() {
        let n = i as u32 + 1;
        if line.trim_end() == "---" {
            ranges.push((start, n - 1));
            start = n + 1;
        }
    }
    ranges.push((start, lines.len() as u32));
    ranges
        .into_iter()
        .filter(|&(first, last)| {
            (first..=last).any(|n| {
                let l = lines[n as usize - 1].trim();
                !l.is_empty() && !l.starts_with('#')
            })
        })
        .collect()
}

/// Check every SARIF result region against the text of the file it names.
/// `exact`: the field itself must be at the position (it exists in the
/// file); otherwise it may be the nearest existing parent (defaulted fields).
fn check_regions(report: &ScanReport, log: &Value, root: &Path, exact: bool) -> usize {
    let mut checked = 0;
    let results = log["runs"][0]["results"].as_array().unwrap();
    for res in results {
        if !res["suppressions"].is_null() {
            continue;
        }
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        let line = loc["region"]["startLine"].as_u64().unwrap() as u32;
        let column = loc["region"]["startColumn"].as_u64().unwrap() as usize;
        let field = res["properties"]["field"].as_str().unwrap();
        let document = res["properties"]["document"].as_u64().unwrap() as usize;

        let text = std::fs::read_to_string(root.join(uri)).unwrap();
        let src = text.lines().nth(line as usize - 1).unwrap_or_else(|| {
            panic!("{uri}:{line} is past the end of the file");
        });
        let at: String = src.chars().skip(column - 1).collect();
        let segs = segments(field);
        let ok = if exact {
            starts_node(&at, &segs)
        } else {
            (1..=segs.len()).rev().any(|n| starts_node(&at, &segs[..n]))
        };
        assert!(
            ok,
            "{}: {uri}:{line}:{column} is {at:?}, not {field}",
            res["ruleId"]
        );
        if uri.ends_with(".yaml") {
            let (first, last) = document_lines(&text)[document];
            assert!(
                (first..=last).contains(&line),
                "{uri}:{line} is outside document {document} (lines {first}-{last})"
            );
        }
        // The same position as the JSON report.
        assert!(report.results.iter().any(|r| {
            r.file == uri
                && r.violations
                    .iter()
                    .map(|v| (v.line, v.column, v.field.as_str()))
                    .chain(
                        r.findings
                            .iter()
                            .map(|f| (f.line, f.column, f.field.as_str())),
                    )
                    .any(|p| p == (line, column as u32, field))
        }));
        checked += 1;
    }
    checked
}

#[test]
fn sarif_regions_point_at_the_fields_in_multi_document_files() {
    let report = scan_dir(&manifests());
    let log = sarif_of(&report);
    let checked = check_regions(&report, &log, &manifests(), false);
    assert!(checked > 20, "{checked}");

    // Pod Security violations name fields that exist in the file: exact.
    let results = log["runs"][0]["results"].as_array().unwrap();
    let pss: Vec<&Value> = results
        .iter()
        .filter(|r| podgate_core::pss::CheckId::parse(r["ruleId"].as_str().unwrap()).is_some())
        .collect();
    let lines: Vec<(u64, u64, &str)> = pss
        .iter()
        .map(|r| {
            let reg = &r["locations"][0]["physicalLocation"]["region"];
            (
                reg["startLine"].as_u64().unwrap(),
                reg["startColumn"].as_u64().unwrap(),
                r["ruleId"].as_str().unwrap(),
            )
        })
        .collect();
    let text = std::fs::read_to_string(manifests().join("multi-doc.yaml")).unwrap();
    let line_of =
        |needle: &str| -> u64 { text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1 };
    assert_eq!(
        lines,
        vec![
            (line_of("privileged: true"), 9, "privileged"),
            (line_of("hostPID: true"), 7, "hostNamespaces"),
            (line_of("runAsUser: 0"), 9, "runAsUser"),
            (line_of("hostPort: 8080"), 33, "hostPorts"),
            (line_of("type: Unconfined"), 58, "seccompProfile_restricted"),
        ]
    );
    let report_pss: usize = report.results.iter().map(|r| r.violations.len()).sum();
    assert_eq!(pss.len(), report_pss);
}

#[test]
fn sarif_regions_point_at_real_lines_of_the_examples() {
    let report = scan_dir(&examples());
    let log = sarif_of(&report);
    let checked = check_regions(&report, &log, &examples(), false);
    assert!(checked > 20, "{checked}");
}

#[test]
fn sarif_reports_input_errors_as_notifications() {
    let report = report_with_errors();
    let log = sarif_of(&report);
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), report.errors.len());
    for (n, e) in notes.iter().zip(&report.errors) {
        assert_eq!(n["level"], "error");
        assert_eq!(n["message"]["text"], e.message.as_str());
        let pl = &n["locations"][0]["physicalLocation"];
        if e.line == 0 {
            assert!(pl.get("region").is_none());
        } else {
            assert_eq!(pl["region"]["startLine"], e.line);
            assert_eq!(pl["region"]["startColumn"], e.column.max(1));
        }
    }
    let uris: Vec<&str> = notes
        .iter()
        .map(|n| {
            n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"broken.yaml"), "{uris:?}");
    assert!(uris.contains(&"missing%20dir/gone.yaml"), "{uris:?}");
    let odd = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["name"] == "x<y>&z")
        .unwrap();
    assert_eq!(
        odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "odd%20%3C%26%22%27%3E%20%C3%BC.yaml"
    );
}

/// `file://` URI of an absolute path, encoded as the writer encodes it.
fn file_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for &b in path.to_string_lossy().replace('\\', "/").as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%SRCROOT%` of a log written by this test process: its working directory.
fn srcroot_uri() -> String {
    format!("{}/", file_uri(&std::env::current_dir().unwrap()))
}

#[test]
fn sarif_locations_are_normalised_and_resolvable() {
    let pod = |name: &str| {
        Input::new(
            name,
            Ok(format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  hostPID: true\n  containers:\n    - name: app\n      image: nginx:1.27\n"
            )
            .into_bytes()),
        )
    };
    let cwd = std::env::current_dir().unwrap();
    // Run from crates/podgate: ../../examples/web.yaml exists and canonicalises.
    let existing = "../../examples/web.yaml";
    assert!(cwd.join(existing).is_file());
    let cases = [
        ("./a.yaml", "a.yaml".to_string(), true),
        ("sub/../b.yaml", "b.yaml".to_string(), true),
        (
            "dir with space/c d.yaml",
            "dir%20with%20space/c%20d.yaml".to_string(),
            true,
        ),
        (
            "../x/e.yaml",
            file_uri(&cwd.parent().unwrap().join("x/e.yaml")),
            false,
        ),
        (
            existing,
            file_uri(&std::fs::canonicalize(cwd.join(existing)).unwrap()),
            false,
        ),
    ];
    let report = scan_inputs(cases.iter().map(|(name, _, _)| pod(name)).collect());
    let log = sarif_of(&report);
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    for (name, uri, relative) in &cases {
        let mut located: Vec<&Value> = results
            .iter()
            .filter(|r| r["properties"]["name"] == *name)
            .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
            .collect();
        assert!(!located.is_empty(), "{name}");
        located.dedup();
        assert_eq!(located.len(), 1, "{name}: {located:?}");
        let loc = located[0];
        assert_eq!(loc["uri"], uri.as_str(), "{name}");
        if *relative {
            assert_eq!(loc["uriBaseId"], "%SRCROOT%", "{name}");
        } else {
            assert!(uri.starts_with("file:///"), "{uri}");
            assert!(loc.get("uriBaseId").is_none(), "{name}: {loc}");
        }
    }
    let srcroot = &log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"];
    assert_eq!(srcroot["uri"], srcroot_uri());
    assert!(srcroot["uri"].as_str().unwrap().ends_with('/'));

    // No location relative to %SRCROOT%: no originalUriBaseIds.
    let report = scan_inputs(vec![pod("../x/e.yaml"), pod("/abs/f.yaml")]);
    let log = sarif_of(&report);
    assert_valid_sarif(&log);
    assert!(log["runs"][0].get("originalUriBaseIds").is_none());
    let uris: Vec<&Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        .collect();
    assert!(
        uris.contains(&&Value::from("file:///abs/f.yaml")),
        "{uris:?}"
    );
}

/// The SARIF log for a snapshot: the version replaced, the rule metadata
/// (covered by docs/rules.md and `sarif_snapshot_rule_descriptors`) reduced
/// to the IDs, and one line per result so that diffs stay readable.
fn sarif_for_snapshot(mut log: Value) -> String {
    let srcroot = &mut log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"];
    assert_eq!(*srcroot, srcroot_uri());
    *srcroot = "file:///[cwd]/".into();
    let driver = &mut log["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    let ids: Vec<Value> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    driver["rules"] = Value::Array(ids);
    let results = log["runs"][0]["results"].take();
    log["runs"][0]["results"] = "[below, one per line]".into();
    let mut out = serde_json::to_string_pretty(&log).unwrap();
    out.push_str("\n\nresults:\n");
    for r in results.as_array().unwrap() {
        out.push_str(&serde_json::to_string(r).unwrap());
        out.push('\n');
    }
    out
}

#[test]
fn sarif_snapshot_examples() {
    let log = sarif_of(&scan_dir(&examples()));
    insta::assert_snapshot!("sarif_examples", sarif_for_snapshot(log));
}

#[test]
fn sarif_snapshot_rule_descriptors() {
    let log = sarif_of(&scan_dir(&manifests()));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let pick = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap().clone();
    insta::assert_json_snapshot!(
        "sarif_rule_descriptors",
        serde_json::json!([
            pick("runAsNonRoot"),
            pick("resources-memory-limit"),
            pick("image-policy")
        ])
    );
}

#[test]
fn sarif_snapshot_with_errors() {
    insta::assert_snapshot!(
        "sarif_with_errors",
        sarif_for_snapshot(sarif_of(&report_with_errors()))
    );
}

// ---- JUnit ----

struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
}

fn attr_count(node: roxmltree::Node<'_, '_>, name: &str) -> usize {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
        .parse()
        .unwrap()
}

fn counted(node: roxmltree::Node<'_, '_>) -> Counts {
    let cases: Vec<_> = node
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let has = |c: &roxmltree::Node<'_, '_>, tag: &str| c.children().any(|n| n.has_tag_name(tag));
    Counts {
        tests: cases.len(),
        failures: cases.iter().filter(|c| has(c, "failure")).count(),
        errors: cases.iter().filter(|c| has(c, "error")).count(),
    }
}

fn check_junit(report: &ScanReport, xml: &str) {
    let doc = roxmltree::Document::parse(xml).expect("JUnit output is well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name("testsuites"));
    for node in std::iter::once(root).chain(root.children().filter(|n| n.is_element())) {
        let c = counted(node);
        assert_eq!(attr_count(node, "tests"), c.tests);
        assert_eq!(attr_count(node, "failures"), c.failures);
        assert_eq!(attr_count(node, "errors"), c.errors);
    }
    let total = counted(root);
    assert_eq!(total.tests, report.results.len() + report.errors.len());
    assert_eq!(total.errors, report.errors.len());
    // A testcase fails exactly when its resource fails the run.
    fn failing<'a>(report: &ScanReport, r: &'a scan::ResourceResult) -> Vec<&'a scan::FindingOut> {
        r.findings
            .iter()
            .filter(|f| report.finding_fails(f))
            .collect()
    }
    let failing_findings = |r| failing(report, r);
    assert_eq!(
        total.failures,
        report
            .results
            .iter()
            .filter(|r| !r.violations.is_empty() || !failing_findings(r).is_empty())
            .count()
    );
    // One failure per failing testcase, never more.
    let failures: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), total.failures);

    // Testcases in report order, named as the text report names resources,
    // the failure typed and listing every violation and finding, located.
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    for r in &report.results {
        let suite = suites
            .iter()
            .find(|s| s.attribute("name") == Some(r.file.as_str()))
            .unwrap();
        let case = suite
            .children()
            .find(|c| {
                c.has_tag_name("testcase")
                    && c.attribute("name") == Some(sarif::resource_label(r).as_str())
            })
            .unwrap_or_else(|| panic!("no testcase for {}", sarif::resource_label(r)));
        assert_eq!(case.attribute("classname"), Some(r.file.as_str()));
        let fails: Vec<_> = case
            .children()
            .filter(|n| n.has_tag_name("failure"))
            .collect();
        let findings = failing_findings(r);
        // Findings that do not fail the run are listed in system-out.
        let out = case
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or_default();
        for x in r.findings.iter().filter(|f| !report.finding_fails(f)) {
            let head = format!(
                "{}:{}:{}: [{}] {}",
                r.file, x.line, x.column, x.rule, x.message
            );
            assert!(out.contains(&head), "{head} not in system-out: {out}");
        }
        let n = r.violations.len() + findings.len();
        if n == 0 {
            assert!(fails.is_empty());
            continue;
        }
        assert_eq!(fails.len(), 1, "{}", sarif::resource_label(r));
        let f = fails[0];
        let body = f.text().unwrap();
        // One `file:line:column: [ID] ...` line per violation and finding, in order.
        let heads: Vec<&str> = body.lines().filter(|l| !l.starts_with("  ")).collect();
        assert_eq!(heads.len(), n, "{body}");
        let mut ids: Vec<&str> = Vec::new();
        for (head, v) in heads.iter().zip(&r.violations) {
            let id = v.check.as_str();
            assert_eq!(
                *head,
                format!(
                    "{}:{}:{}: [{id}] {} ({})",
                    r.file, v.line, v.column, v.reason, v.detail
                )
            );
            assert!(body.contains(&v.field) && body.contains(v.fix), "{body}");
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for (head, x) in heads[r.violations.len()..].iter().zip(&findings) {
            let id = x.rule.as_ref();
            assert_eq!(
                *head,
                format!("{}:{}:{}: [{id}] {}", r.file, x.line, x.column, x.message)
            );
            assert!(
                body.contains(&format!("  rule: {} (severity {})", x.title, x.severity))
                    && body.contains(x.fix.as_ref()),
                "{body}"
            );
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let kind = match (ids.as_slice(), r.violations.is_empty(), findings.is_empty()) {
            ([id], _, _) => id,
            (_, false, true) => "pod-security",
            (_, true, false) => "hardening",
            _ => "pod-security,hardening",
        };
        assert_eq!(f.attribute("type"), Some(kind));
        let message = f.attribute("message").unwrap();
        match (r.violations.as_slice(), findings.as_slice()) {
            ([v], []) => assert_eq!(message, v.reason),
            ([], [x]) => assert_eq!(message, x.message),
            _ => assert!(
                message.ends_with(&format!(": {}", ids.join(", "))),
                "{message}"
            ),
        }
    }
}

#[test]
fn junit_counts_and_structure_for_the_examples() {
    let report = scan_dir(&examples());
    let xml = junit_of(&report);
    check_junit(&report, &xml);
}

#[test]
fn junit_counts_and_escaping_with_errors() {
    let report = report_with_errors();
    let xml = junit_of(&report);
    check_junit(&report, &xml);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let odd = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("odd <&\"'> ü.yaml"))
        .expect("suite for the oddly named file");
    let case = odd.children().find(|n| n.has_tag_name("testcase")).unwrap();
    assert_eq!(case.attribute("name"), Some("Pod/x<y>&z"));
    let errors: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .collect();
    assert_eq!(errors.len(), report.errors.len());
    for (n, e) in errors.iter().zip(&report.errors) {
        assert_eq!(n.attribute("type"), Some("input-error"));
        assert_eq!(n.attribute("message"), Some(e.message.as_str()));
    }
}

#[test]
fn junit_has_one_failure_per_testcase_listing_every_violation() {
    // hostNamespaces and hostPorts on one PodTemplate: two violations.
    let yaml = br#"apiVersion: v1
kind: PodTemplate
metadata:
  name: both
  namespace: ns
template:
  spec:
    hostNetwork: true
    securityContext:
      runAsNonRoot: true
      seccompProfile: {type: RuntimeDefault}
    containers:
      - name: app
        image: registry.example/app:1.2.3
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
        ports:
          - containerPort: 80
            hostPort: 8080
"#;
    let report = scan_inputs(vec![Input::new("both.yaml", Ok(yaml.to_vec()))]);
    let r = &report.results[0];
    let checks: Vec<&str> = r.violations.iter().map(|v| v.check.as_str()).collect();
    assert_eq!(
        checks,
        ["hostNamespaces", "hostPorts"],
        "{:?}",
        r.violations
    );
    let xml = junit_of(&report);
    check_junit(&report, &xml);

    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("name"), Some("PodTemplate/both (ns)"));
    let fails: Vec<_> = case
        .children()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(fails.len(), 1, "{xml}");
    let failure = fails[0];
    // Without a fail threshold findings do not fail the run: only the
    // violations are in the failure.
    assert!(report.fail_on.is_none());
    assert_eq!(
        failure.attribute("message"),
        Some("2 violations: hostNamespaces, hostPorts")
    );
    let kind = "pod-security";
    assert_eq!(failure.attribute("type"), Some(kind));
    let body = failure.text().unwrap();
    let v = &r.violations;
    assert!(
        body.starts_with(&format!(
            "both.yaml:{}:{}: [hostNamespaces] host namespaces (hostNetwork=true)\n  \
             PodSecurity \"restricted:latest\", field {}\n  fix: {}\n\
             both.yaml:{}:{}: [hostPorts] hostPort (container \"app\" uses hostPort 8080)\n",
            v[0].line, v[0].column, v[0].field, v[0].fix, v[1].line, v[1].column
        )),
        "{body}"
    );
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("1"));
    assert_eq!(suite.attribute("failures"), Some("1"));
}

/// Findings below `--fail-on` (or all of them without it) do not fail the
/// run, so they must not be JUnit failures either (trial finding 8).
#[test]
fn junit_fails_only_what_fails_the_run() {
    let yaml = br#"apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: ns}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.example/app:latest
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
"#;
    let run = |fail_on| {
        let settings = ScanSettings {
            fail_on,
            ..ScanSettings::default()
        };
        scan::scan(vec![Input::new("ok.yaml", Ok(yaml.to_vec()))], &settings)
    };
    let severities: Vec<_> = run(None).results[0]
        .findings
        .iter()
        .map(|f| f.severity)
        .collect();
    let highest = *severities.iter().max().expect("the pod has findings");
    let lowest = *severities.iter().min().unwrap();
    assert!(highest > lowest, "{severities:?}");
    let above = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .find(|s| *s > highest);

    // No threshold, or one above every finding: exit 0, no failure.
    for fail_on in [None].into_iter().chain(above.map(Some)) {
        let report = run(fail_on);
        assert_eq!(scan::exit_code(&report), 0);
        let xml = junit_of(&report);
        check_junit(&report, &xml);
        assert!(!xml.contains("<failure"), "{xml}");
        assert!(xml.contains("failures=\"0\""), "{xml}");
        assert!(xml.contains("not failing the run"), "{xml}");
    }
    // A threshold at the highest finding: exit 1, a failure with those
    // findings only; the others stay in system-out.
    let report = run(Some(highest));
    assert_eq!(scan::exit_code(&report), 1);
    let xml = junit_of(&report);
    check_junit(&report, &xml);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    let body = failure.text().unwrap();
    for f in &report.results[0].findings {
        assert_eq!(
            body.contains(&format!("[{}]", f.rule)),
            f.severity >= highest,
            "{}: {body}",
            f.rule
        );
    }
}

#[test]
fn junit_snapshot_examples() {
    insta::assert_snapshot!("junit_examples", junit_of(&scan_dir(&examples())));
}

#[test]
fn junit_snapshot_with_errors() {
    insta::assert_snapshot!("junit_with_errors", junit_of(&report_with_errors()));
}

// ---- the binary, once `--format sarif|junit` is wired ----

/// Whether `podgate scan --help` offers `format`; the flags are wired in
/// cli.rs separately from these writers.
fn binary_has_format(format: &str) -> bool {
    let out = assert_cmd::Command::cargo_bin("podgate")
        .unwrap()
        .args(["scan", "--help"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains(format)
}

#[test]
fn binary_output_matches_the_library() {
    for (format, expect) in [
        ("sarif", {
            let mut b = Vec::new();
            sarif::write(&mut b, &scan_dir(&examples())).unwrap();
            b
        }),
        ("junit", junit_of(&scan_dir(&examples())).into_bytes()),
    ] {
        if !binary_has_format(format) {
            eprintln!("skipped: `podgate scan --format {format}` is not wired yet");
            continue;
        }
        let out = assert_cmd::Command::cargo_bin("podgate")
            .unwrap()
            .args(["scan", "--format", format, "."])
            .current_dir(examples())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let mut expect = String::from_utf8_lossy(&expect).into_owned();
        if format == "sarif" {
            // %SRCROOT% is the directory each ran in.
            let dir = std::fs::canonicalize(examples()).unwrap();
            expect = expect.replace(&srcroot_uri(), &format!("{}/", file_uri(&dir)));
        }
        assert_eq!(String::from_utf8_lossy(&out.stdout), expect, "{format}");
    }
}

// ---- podgate rules ----

fn rules_output(format: RulesFormat) -> String {
    let mut buf = Vec::new();
    rules_cmd::run(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn docs_rules_md_is_up_to_date() {
    let path = manifest_dir().join("../../docs/rules.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = rules_output(RulesFormat::Markdown);
    assert!(
        on_disk == generated,
        "docs/rules.md is out of date with the rule catalogue; regenerate it from the \
         repository root with:\n\n    {}\n",
        rules_cmd::REGENERATE_DOCS
    );
}

#[test]
fn rules_json_lists_every_check_and_rule() {
    let v: Value = serde_json::from_str(&rules_output(RulesFormat::Json)).unwrap();
    let entries = v.as_array().unwrap();
    let checks = podgate_core::pss::CheckId::ALL;
    let rules = podgate_core::rules::catalogue();
    assert_eq!(entries.len(), checks.len() + rules.len());
    for (e, c) in entries.iter().zip(checks) {
        assert_eq!(e["type"], "pod-security");
        assert_eq!(e["id"], c.as_str());
        assert_eq!(e["level"], c.level().as_str());
        assert_eq!(e["fix"], c.fix_hint());
        assert!(e["since"].as_str().unwrap().starts_with("v1."));
    }
    for (e, r) in entries[checks.len()..].iter().zip(rules) {
        assert_eq!(e["type"], "hardening");
        assert_eq!(e["id"], r.id);
        assert_eq!(e["severity"], r.severity.as_str());
        assert_eq!(e["default_enabled"], r.default_enabled);
        assert_eq!(e["title"], r.title);
        assert_eq!(e["rationale"], r.rationale);
        assert_eq!(e["fix"], r.fix);
        assert_eq!(e["field"], r.field);
    }
}

#[test]
fn rules_text_lists_every_check_and_rule_aligned() {
    let text = rules_output(RulesFormat::Text);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .collect();
    let checks = podgate_core::pss::CheckId::ALL;
    let rules = podgate_core::rules::catalogue();
    // Two header rows, then one row per check and rule.
    assert_eq!(rows.len(), 2 + checks.len() + rules.len());
    let title_col = rows[0].find("TITLE").unwrap();
    for row in &rows {
        let before: String = row.chars().take(title_col).collect();
        assert!(before.ends_with("  "), "misaligned: {row}");
    }
    for c in checks {
        assert!(rows
            .iter()
            .any(|r| r.split_whitespace().next() == Some(c.as_str())));
    }
    for r in rules {
        let row = rows
            .iter()
            .find(|row| row.split_whitespace().next() == Some(r.id))
            .unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1], r.severity.as_str());
        assert_eq!(cols[2], if r.default_enabled { "on" } else { "off" });
    }
    insta::assert_snapshot!("rules_text", text);
}
