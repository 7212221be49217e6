//! `podgate scan` end to end: real files, real processes, exit codes, JSON
//! shape, text snapshots.

use assert_cmd::Command;
use assert_fs::prelude::*;
use predicates::prelude::*;
use serde_json::Value;

fn podgate() -> Command {
    let mut c = Command::cargo_bin("podgate").expect("binary built");
    c.env_remove("NO_COLOR");
    c
}

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

const GOOD_POD: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: good
  namespace: app
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: c
      image: nginx:1.27
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: ["ALL"]
"#;

const BAD_POD: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
    - name: c
      image: nginx
      securityContext:
        privileged: true
"#;

/// Run, check the exit code, return stdout.
trait StdoutFor {
    fn stdout_for(&mut self, code: i32) -> Vec<u8>;
}

impl StdoutFor for Command {
    fn stdout_for(&mut self, code: i32) -> Vec<u8> {
        self.assert().code(code).get_output().stdout.clone()
    }
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("stdout is JSON")
}

#[test]
fn exit_0_when_everything_is_allowed() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("good.yaml").write_str(GOOD_POD).unwrap();
    podgate()
        .args(["scan", "--no-color"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Pod/good (app) allowed at restricted:latest",
        ));
}

#[test]
fn exit_1_when_something_is_denied() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("good.yaml").write_str(GOOD_POD).unwrap();
    dir.child("bad.yaml").write_str(BAD_POD).unwrap();
    podgate().arg("scan").arg(dir.path()).assert().code(1);
}

#[test]
fn exit_2_on_bad_input_but_other_files_are_still_reported() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("a-bad.yaml").write_str(BAD_POD).unwrap();
    dir.child("b-broken.yaml")
        .write_str("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  name: y\n")
        .unwrap();
    let out = podgate()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("b-broken.yaml:5"))
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    assert_eq!(v["results"][0]["name"], "bad");
    let err = &v["errors"][0];
    assert!(err["file"].as_str().unwrap().ends_with("b-broken.yaml"));
    assert_eq!(err["line"], 5);
    assert!(err["message"].as_str().unwrap().contains("name"), "{err}");
}

/// kubectl applies a `<<` merge key where it stands, so a merge written
/// after `privileged: false` makes the container privileged. The scan must
/// see what kubectl applies, not the explicit key.
#[test]
fn merge_key_after_an_explicit_key_is_read_as_kubectl_reads_it() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("merge.yaml")
        .write_str(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: sneaky}\nspec:\n  containers:\n  \
             - name: c\n    image: i\n    securityContext:\n      privileged: false\n      \
             <<: {privileged: true}\n",
        )
        .unwrap();
    let out = podgate()
        .args(["scan", "--level", "baseline", "--format", "json"])
        .arg(dir.path())
        .stdout_for(1);
    let v = json_of(&out);
    let r = &v["results"][0];
    assert_eq!(r["allowed"], false);
    assert_eq!(r["violations"][0]["check"], "privileged");
    // Pointing at the merged text that sets it.
    assert_eq!(r["violations"][0]["line"], 10);
}

/// Devices, FIFOs and `<(...)` pipes report a size of 0: the 64 MiB limit
/// must bound the read itself, not only the size in the metadata
/// (`/dev/zero` used to grow without limit).
#[test]
fn endless_inputs_stop_at_the_size_limit_and_other_files_are_reported() {
    let out = podgate()
        .args(["scan", "--format", "json", "/dev/zero"])
        .arg(examples().join("web.yaml"))
        .stdout_for(2);
    let v = json_of(&out);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["file"], "/dev/zero");
    assert_eq!(v["errors"][0]["message"], "larger than 64 MiB; not read");
    assert!(!v["results"].as_array().unwrap().is_empty());
}

/// A FIFO (or `<(helm template .)`) can be read once: the text report
/// must not open it again for its snippets (that open blocked forever).
#[test]
fn text_report_of_a_fifo_does_not_block() {
    let dir = assert_fs::TempDir::new().unwrap();
    let fifo = dir.path().join("pods.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, BAD_POD).unwrap())
    };
    podgate()
        .args(["scan", "--no-rules"])
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "privileged (container \"c\" must not set",
        ));
    writer.join().unwrap();
}

#[test]
fn missing_path_is_an_input_error() {
    podgate()
        .args(["scan", "/definitely/not/here.yaml"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("cannot read"));
}

#[test]
fn json_shape_is_the_documented_contract() {
    let out = podgate()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(BAD_POD)
        .stdout_for(1);
    let v = json_of(&out);
    let r = &v["results"][0];
    for key in [
        "file",
        "document",
        "line",
        "kind",
        "namespace",
        "name",
        "level",
        "version",
        "allowed",
        "violations",
    ] {
        assert!(r.get(key).is_some(), "missing {key} in {r}");
    }
    assert_eq!(r["file"], "<stdin>");
    assert_eq!(r["document"], 0);
    assert_eq!(r["line"], 1);
    assert_eq!(r["kind"], "Pod");
    assert_eq!(r["level"], "restricted");
    assert_eq!(r["version"], "latest");
    assert_eq!(r["allowed"], false);
    let first = &r["violations"][0];
    assert_eq!(first["check"], "privileged");
    assert_eq!(first["reason"], "privileged");
    assert_eq!(
        first["detail"],
        "container \"c\" must not set securityContext.privileged=true"
    );
    assert_eq!(first["line"], 10);
    assert!(v["errors"].as_array().unwrap().is_empty());
}

/// kubectl reads `hostPort: 80.0` as the float64 80 and sends it as `80`
/// (Go's `json.Marshal`), which the API server accepts for the `int32`
/// field; so the scan must check port 80, not fail on a float. `80.5` is
/// sent as `80.5` and rejected by the API server: an input error here too.
#[test]
fn integral_float_host_port_is_scanned_as_kubectl_sends_it() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: float-port}\nspec:\n  \
               containers:\n  - name: c\n    image: i\n    ports:\n    \
               - containerPort: 8.08e3\n      hostPort: 80.0\n";
    let out = podgate()
        .args(["scan", "--level", "baseline", "--format", "json", "-"])
        .write_stdin(pod)
        .stdout_for(1);
    let v = json_of(&out);
    assert!(v["errors"].as_array().is_none_or(Vec::is_empty), "{v}");
    let r = &v["results"][0];
    assert_eq!(r["name"], "float-port");
    assert_eq!(r["allowed"], false);
    let violations = r["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{v}");
    assert_eq!(violations[0]["check"], "hostPorts");
    assert_eq!(violations[0]["detail"], "container \"c\" uses hostPort 80");
    assert_eq!(violations[0]["line"], 10);

    podgate()
        .args(["scan", "--level", "baseline", "-"])
        .write_stdin(pod.replace("80.0", "80.5"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "hostPort: invalid type: floating point `80.5`",
        ));
}

#[test]
fn level_and_version_flags() {
    let out = podgate()
        .args([
            "scan",
            "--format",
            "json",
            "--level",
            "baseline",
            "--version",
            "v1.22",
            "-",
        ])
        .write_stdin(BAD_POD)
        .stdout_for(1);
    let v = json_of(&out);
    assert_eq!(v["results"][0]["level"], "baseline");
    assert_eq!(v["results"][0]["version"], "v1.22");
    assert_eq!(v["results"][0]["violations"].as_array().unwrap().len(), 1);
    podgate()
        .args(["scan", "--level", "privileged", "-"])
        .write_stdin(BAD_POD)
        .assert()
        .code(0);
    podgate()
        .args(["scan", "--version", "1.22", "-"])
        .write_stdin(BAD_POD)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("latest"));
}

#[test]
fn namespace_labels_pick_level_and_version_unless_flags_are_given() {
    let input = r#"apiVersion: v1
kind: Namespace
metadata:
  name: app
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.25
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers: [{name: c, image: nginx}]
"#;
    let out = podgate()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(input)
        .stdout_for(0);
    let v = json_of(&out);
    assert_eq!(v["results"][0]["level"], "baseline");
    assert_eq!(v["results"][0]["version"], "v1.25");
    assert_eq!(v["results"][0]["policy_source"], "namespace");
    assert_eq!(v["results"][0]["level_source"], "namespace");
    assert_eq!(v["results"][0]["version_source"], "namespace");
    podgate()
        .args(["scan", "--level", "restricted", "-"])
        .write_stdin(input)
        .assert()
        .code(1);
    // One flag: the other part still comes from the namespace, and each
    // part says where it came from.
    let out = podgate()
        .args(["scan", "--format", "json", "--version", "v1.20", "-"])
        .write_stdin(input)
        .stdout_for(0);
    let r = &json_of(&out)["results"][0];
    assert_eq!(r["level"], "baseline");
    assert_eq!(r["version"], "v1.20");
    assert_eq!(r["policy_source"], "flag");
    assert_eq!(r["level_source"], "namespace");
    assert_eq!(r["version_source"], "flag");
}

/// Pods are evaluated as their file is read, before every Namespace is
/// known; files with a pod whose policy a Namespace in another file changes
/// are evaluated again. The oracle: the same pods scanned with that policy
/// given as flags (which no Namespace can change).
#[test]
fn namespaces_in_other_files_decide_the_policy_of_pods_read_before_them() {
    let dir = assert_fs::TempDir::new().unwrap();
    // Pod files sort before the Namespace file, and there are more of them
    // than threads, so most are read before it.
    let pod = |name: &str, ns: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    podgate.io/ignore: \"no-such-check\"\nspec:\n  hostNetwork: {}\n  containers:\n  - name: c\n    image: nginx:1.27\n    ports: [{{containerPort: 8080}}]\n",
            name.ends_with("host")
        )
    };
    let mut pods = String::new();
    for (i, ns) in ["relaxed", "pinned", "same", "unlabelled"]
        .iter()
        .enumerate()
    {
        for suffix in ["a", "host"] {
            let name = format!("{ns}-{suffix}");
            let body = format!(
                "{}---\n{}",
                pod(&name, ns),
                "kind: Pod\nmetadata: {name: broken\n"
            );
            dir.child(format!("a{i}-{suffix}.yaml"))
                .write_str(&body)
                .unwrap();
        }
    }
    // A List with pods in a relabelled and an unlabelled namespace.
    pods.push_str("apiVersion: v1\nkind: List\nitems:\n");
    for (name, ns) in [("l1", "relaxed"), ("l2", "unlabelled")] {
        pods.push_str(&format!(
            "- {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, namespace: {ns}}}, spec: {{containers: [{{name: c, image: nginx:1.27}}]}}}}\n"
        ));
    }
    dir.child("b-list.yaml").write_str(&pods).unwrap();
    dir.child("z-namespaces.yaml")
        .write_str(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: relaxed\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pinned\n  labels: {pod-security.kubernetes.io/enforce: privileged, pod-security.kubernetes.io/enforce-version: v1.24}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata:\n  name: same\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata: {name: unlabelled}\n",
        )
        .unwrap();
    let scan = |extra: &[&str]| {
        let out = podgate()
            .args(["scan", "--format", "json"])
            .args(extra)
            .arg(dir.path())
            .stdout_for(2);
        json_of(&out)
    };
    let all = scan(&[]);
    // Every file's errors once: the broken documents and suppressions.
    let errors = all["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 16, "{errors:#?}");
    let results = all["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    for r in results {
        let ns = r["namespace"].as_str().unwrap();
        let (level, version, level_source, version_source) = match ns {
            "relaxed" => ("baseline", "latest", "namespace", "default"),
            "pinned" => ("privileged", "v1.24", "namespace", "namespace"),
            "same" => ("restricted", "latest", "namespace", "default"),
            _ => ("restricted", "latest", "default", "default"),
        };
        assert_eq!(
            (
                &r["level"],
                &r["version"],
                &r["level_source"],
                &r["version_source"]
            ),
            (
                &Value::from(level),
                &Value::from(version),
                &Value::from(level_source),
                &Value::from(version_source)
            ),
            "{r:#}"
        );
        let policy_source = if ns == "unlabelled" {
            "default"
        } else {
            "namespace"
        };
        assert_eq!(r["policy_source"], policy_source, "{r:#}");
        // The oracle: the same resource with the policy as flags.
        let flagged = scan(&["--level", level, "--version", version]);
        let same = flagged["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == r["name"])
            .unwrap();
        for key in [
            "allowed",
            "violations",
            "findings",
            "suppressed",
            "line",
            "document",
        ] {
            assert_eq!(r[key], same[key], "{key} of {}", r["name"]);
        }
    }
    let mut denied: Vec<&str> = results
        .iter()
        .filter(|r| r["allowed"] == false)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    denied.sort_unstable();
    // hostNetwork (with its defaulted hostPort) fails baseline; the pinned
    // privileged namespace allows everything; restricted denies the rest.
    assert_eq!(
        denied,
        [
            "l2",
            "relaxed-host",
            "same-a",
            "same-host",
            "unlabelled-a",
            "unlabelled-host"
        ]
    );
}

#[test]
fn invalid_namespace_label_fails_closed_and_is_reported() {
    let input = r#"apiVersion: v1
kind: Namespace
metadata:
  name: app
  labels:
    pod-security.kubernetes.io/enforce: strict
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers: [{name: c, image: nginx}]
"#;
    let out = podgate()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(input)
        .stdout_for(2);
    let v = json_of(&out);
    assert_eq!(v["results"][0]["level"], "restricted");
    assert_eq!(v["results"][0]["allowed"], false);
    assert_eq!(v["errors"][0]["line"], 6);
    assert_eq!(v["errors"][0]["document"], 0);
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("strict"));
    // Every label invalid: each is reported, saying what the scan does.
    let all = input.replace(
        "enforce: strict\n",
        "enforce: strict\n    pod-security.kubernetes.io/enforce-version: v1.99x\n    \
         pod-security.kubernetes.io/warn: nonsense\n",
    );
    let out = podgate()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(all)
        .stdout_for(2);
    let errors = json_of(&out)["errors"].clone();
    assert_eq!(errors.as_array().unwrap().len(), 3, "{errors}");
    let lines: Vec<_> = (0..3).map(|i| errors[i]["line"].clone()).collect();
    assert_eq!(lines, [6, 7, 8]);
    let messages: Vec<_> = (0..3).map(|i| errors[i]["message"].clone()).collect();
    assert_eq!(
        messages[0],
        "Namespace/app: invalid label pod-security.kubernetes.io/enforce=\"strict\": \
        must be one of privileged, baseline, restricted (the API server rejects it; pods are \
        evaluated with restricted, as the admission controller does)"
    );
    assert!(
        messages[1].as_str().unwrap().contains(
            "=\"v1.99x\": "
        ) && messages[1].as_str().unwrap().ends_with(
            "(the API server rejects it; pods are evaluated with latest, as the admission controller does)"
        ),
        "{}",
        messages[1]
    );
    assert_eq!(
        messages[2],
        "Namespace/app: invalid label pod-security.kubernetes.io/warn=\"nonsense\": \
        must be one of privileged, baseline, restricted (the API server rejects it; podgate scan \
        does not use warn and audit labels)"
    );
}

#[test]
fn directories_are_walked_recursively_by_extension() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("a/b/pod.yml").write_str(BAD_POD).unwrap();
    dir.child("a/pod.json")
        .write_str(r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#)
        .unwrap();
    dir.child("a/notes.txt").write_str(BAD_POD).unwrap();
    let out = podgate()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .stdout_for(1);
    let v = json_of(&out);
    let names: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bad", "j"]);
    assert_eq!(v["summary"]["files"], 2);
}

#[test]
fn other_kinds_are_skipped_and_lists_expanded() {
    let input = r#"apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: s}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
    spec:
      template:
        spec:
          hostPID: true
          containers: [{name: c, image: i}]
"#;
    let out = podgate()
        .args(["scan", "--format", "json", "--level", "baseline", "-"])
        .write_stdin(input)
        .stdout_for(1);
    let v = json_of(&out);
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    let r = &v["results"][0];
    assert_eq!(r["kind"], "Deployment");
    assert_eq!(r["line"], 7);
    assert_eq!(r["violations"][0]["line"], 13);
    assert_eq!(
        r["violations"][0]["field"],
        "items[1].spec.template.spec.hostPID"
    );
    assert_eq!(r["violations"][0]["detail"], "hostPID=true");
}

#[test]
fn examples_text_report_snapshot() {
    let out = podgate()
        .args(["scan", "--no-color"])
        .arg(".")
        .current_dir(examples())
        .stdout_for(1);
    insta::assert_snapshot!("examples_text", String::from_utf8(out).unwrap());
}

#[test]
fn examples_json_report_snapshot() {
    let out = podgate()
        .args(["scan", "--format", "json", "."])
        .current_dir(examples())
        .stdout_for(1);
    insta::assert_json_snapshot!("examples_json", json_of(&out));
}

#[test]
fn colour_only_when_asked_for_a_terminal() {
    // Piped output never has escape codes.
    let out = podgate()
        .args(["scan", "-"])
        .write_stdin(BAD_POD)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn fail_on_turns_rule_findings_into_exit_1() {
    // GOOD_POD passes Pod Security but has rule findings (no resources, probes...).
    podgate()
        .args(["scan", "-"])
        .write_stdin(GOOD_POD)
        .assert()
        .code(0);
    podgate()
        .args(["scan", "--fail-on", "medium", "-"])
        .write_stdin(GOOD_POD)
        .assert()
        .code(1);
    podgate()
        .args(["scan", "--fail-on", "critical", "-"])
        .write_stdin(GOOD_POD)
        .assert()
        .code(0);
    podgate()
        .args(["scan", "--no-rules", "--format", "json", "-"])
        .write_stdin(GOOD_POD)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"findings\": []"));
}

#[test]
fn config_exceptions_annotations_and_expiry() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("podgate.yaml")
        .write_str(
            r#"failOn: high
imagePolicy:
  allowedRegistries: ["ghcr.io"]
exceptions:
  - reason: legacy debug pod, tracked in OPS-12
    names: ["bad"]
    checks: [privileged]
  - reason: expired waiver
    checks: ["*"]
    expires: 2020-01-01
  - reason: never used
    namespaces: [nowhere]
    checks: [hostPorts]
"#,
        )
        .unwrap();
    dir.child("bad.yaml").write_str(BAD_POD).unwrap();
    let out = podgate()
        .current_dir(dir.path())
        .args([
            "scan",
            "--format",
            "json",
            "--unused-exceptions",
            "bad.yaml",
        ])
        .assert()
        .get_output()
        .clone();
    let v = json_of(&out.stdout);
    let r = &v["results"][0];
    // privileged is waived; the remaining restricted violations still deny.
    assert!(r["violations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["check"] != "privileged"));
    assert_eq!(r["suppressed"][0]["id"], "privileged");
    assert_eq!(r["suppressed"][0]["by"], "exception");
    assert_eq!(r["suppressed"][0]["exception"], 0);
    // nginx is not from ghcr.io: an image-policy finding at high severity.
    let img: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "image-policy")
        .collect();
    assert_eq!(img.len(), 1, "{r}");
    assert_eq!(img[0]["severity"], "high");
    assert_eq!(img[0]["line"], 8);
    assert_eq!(v["expired_exceptions"][0]["index"], 1);
    assert_eq!(v["unused_exceptions"][0]["index"], 2);
    assert_eq!(out.status.code(), Some(1));

    // Inline annotation waives a check with a reason.
    let annotated = BAD_POD.replace(
        "  name: bad\n",
        "  name: bad2\n  annotations:\n    podgate.io/ignore: \"privileged: break-glass pod\"\n",
    );
    let out = podgate()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "-"])
        .write_stdin(annotated)
        .assert()
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["results"][0]["suppressed"][0]["by"], "annotation");
    assert_eq!(
        v["results"][0]["suppressed"][0]["reason"],
        "break-glass pod"
    );
}

#[test]
fn webhook_style_exceptions_work_in_ci() {
    // The webhook's spellings (`namespace:`, `name:`, `image:*`, `rule:...`)
    // in podgate.yaml.
    let dir = assert_fs::TempDir::new().unwrap();
    let config = |namespace: &str, checks: &str| {
        format!(
            "failOn: low\nimagePolicy:\n  allowedRegistries: [\"ghcr.io\"]\nexceptions:\n  - reason: moving to ghcr.io (OPS-7)\n    namespace: {namespace}\n    name: good\n    checks: {checks}\n"
        )
    };
    let scan = |cfg: String| {
        dir.child("podgate.yaml").write_str(&cfg).unwrap();
        let out = podgate()
            .current_dir(dir.path())
            .args(["scan", "--format", "json", "-"])
            .write_stdin(GOOD_POD)
            .output()
            .unwrap();
        (out.status.code(), json_of(&out.stdout))
    };
    let (code, v) = scan(config("app", r#"["image:*", "rule:*"]"#));
    let r = &v["results"][0];
    assert_eq!(r["findings"], serde_json::json!([]), "{r}");
    let suppressed = r["suppressed"].as_array().unwrap();
    assert!(suppressed
        .iter()
        .any(|s| s["id"] == "image-policy" && s["by"] == "exception" && s["exception"] == 0));
    assert!(suppressed
        .iter()
        .any(|s| s["id"] == "resources-cpu-request" && s["by"] == "exception"));
    assert_eq!(code, Some(0));

    // One rule and one image-policy code.
    let (code, v) = scan(config(
        "app",
        r#"["rule:resources-cpu-request", "image:RegistryNotAllowed"]"#,
    ));
    let findings: Vec<&str> = v["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!findings.contains(&"resources-cpu-request"), "{findings:?}");
    assert!(!findings.contains(&"image-policy"), "{findings:?}");
    assert!(
        findings.contains(&"resources-memory-request"),
        "{findings:?}"
    );
    assert_eq!(code, Some(1));
    // Another image-policy code waives nothing.
    let (_, v) = scan(config("app", r#"["image:LatestTag"]"#));
    assert!(v["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "image-policy"));

    // Another namespace: not covered.
    let (code, v) = scan(config("other", r#"["image:*", "rule:*"]"#));
    assert_eq!(v["results"][0]["suppressed"], serde_json::json!([]));
    assert_eq!(code, Some(1));

    // A misspelt code is an error with file, line and a suggestion.
    dir.child("podgate.yaml")
        .write_str(&config(
            "app",
            r#"["image:*", "rule:resources-cpu-requets"]"#,
        ))
        .unwrap();
    podgate()
        .current_dir(dir.path())
        .args(["scan", "-"])
        .write_stdin(GOOD_POD)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("podgate.yaml:8:")
                .and(predicate::str::contains("exceptions[0].checks[1]"))
                .and(predicate::str::contains(
                    "did you mean \"rule:resources-cpu-request\"",
                )),
        );
}

#[test]
fn serve_reads_exceptions_from_a_podgate_yaml() {
    // `podgate serve --exceptions` validates the file as `podgate scan`
    // does and refuses to start on an error.
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("podgate.yaml")
        .write_str("exceptions:\n  - reason: r\n    checks: [runAsNonRot]\n")
        .unwrap();
    podgate()
        .current_dir(dir.path())
        .args(["serve", "--insecure-http", "--listen", "127.0.0.1:0"])
        .args(["--exceptions", "podgate.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "podgate.yaml:3:14: exceptions[0].checks[0]: unknown check or rule \"runAsNonRot\" (did you mean \"runAsNonRoot\"?)",
        ));
}

/// A zero reload period panicked the certificate watcher (the server
/// stayed ready and never picked up a rotated certificate); zero timeouts
/// failed every request. They are refused at startup.
#[test]
fn serve_refuses_zero_periods_and_timeouts() {
    for flag in [
        "--tls-reload-interval",
        "--default-timeout",
        "--handshake-timeout",
        "--idle-timeout",
    ] {
        for zero in ["0", "0s", "0ms"] {
            podgate()
                .args(["serve", "--insecure-http", "--listen", "127.0.0.1:0"])
                .args([flag, zero])
                .timeout(std::time::Duration::from_secs(20))
                .assert()
                .code(2)
                .stderr(predicate::str::contains(format!(
                    "invalid value '{zero}' for '{flag} <DURATION>': must be greater than 0"
                )));
        }
    }
}

#[test]
fn bad_config_is_reported_with_line_and_suggestion() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("cfg.yaml")
        .write_str("level: baseline\nfailOnn: high\n")
        .unwrap();
    podgate()
        .args(["scan", "--config"])
        .arg(dir.child("cfg.yaml").path())
        .arg("-")
        .write_stdin(GOOD_POD)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cfg.yaml:2:1: failOnn: unknown key \"failOnn\"")
                .and(predicate::str::contains("did you mean \"failOn\"")),
        );
}

#[test]
fn baseline_fails_only_on_new_findings() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("bad.yaml").write_str(BAD_POD).unwrap();
    let base = dir.child("baseline.json");
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--write-baseline", "baseline.json", "bad.yaml"])
        .assert()
        .code(1);
    base.assert(predicate::str::contains(
        "Pod//bad|privileged|spec.containers[name=c].securityContext.privileged",
    ));
    podgate()
        .current_dir(dir.path())
        .args([
            "scan",
            "--baseline",
            "baseline.json",
            "--fail-on",
            "low",
            "bad.yaml",
        ])
        .assert()
        .code(0);
    // A new violation appears: it fails again.
    dir.child("bad.yaml")
        .write_str(&BAD_POD.replace("spec:\n", "spec:\n  hostIPC: true\n"))
        .unwrap();
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "baseline.json", "bad.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("hostIPC=true"));
}

/// A recorded check gains a new offender (a second hostPath volume, a
/// second privileged container): the violation is new and must fail, even
/// though the check and its first field are in the baseline.
#[test]
fn baseline_does_not_hide_new_offenders_of_a_recorded_check() {
    let dir = assert_fs::TempDir::new().unwrap();
    let ds = |volumes: &str, containers: &str| {
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent, namespace: mon}}\n\
             spec:\n  selector: {{matchLabels: {{app: a}}}}\n  template:\n    \
             metadata: {{labels: {{app: a}}}}\n    spec:\n      containers:\n{containers}      \
             volumes:\n{volumes}"
        )
    };
    let logs = "      - {name: logs, hostPath: {path: /var/log}}\n";
    let root = "      - {name: root, hostPath: {path: /}}\n";
    let one = "      - {name: a, image: i, securityContext: {privileged: true}}\n";
    let two = "      - {name: b, image: i, securityContext: {privileged: true}}\n";
    dir.child("ds.yaml").write_str(&ds(logs, one)).unwrap();
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--no-rules", "--level", "baseline"])
        .args(["--write-baseline", "bl.json", "ds.yaml"])
        .assert()
        .code(1);
    let scan = || {
        podgate()
            .current_dir(dir.path())
            .args(["scan", "--no-rules", "--level", "baseline"])
            .args(["--baseline", "bl.json", "ds.yaml"])
            .assert()
    };
    scan().code(0);
    dir.child("ds.yaml")
        .write_str(&ds(&format!("{logs}{root}"), one))
        .unwrap();
    scan().code(1).stdout(predicate::str::contains(
        "hostPath volumes (volumes \"logs\", \"root\")",
    ));
    dir.child("ds.yaml")
        .write_str(&ds(logs, &format!("{one}{two}")))
        .unwrap();
    scan().code(1).stdout(predicate::str::contains(
        "privileged (containers \"a\", \"b\"",
    ));
    // A baseline written now records both offenders, and the scan passes.
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--no-rules", "--level", "baseline"])
        .args(["--write-baseline", "bl.json", "ds.yaml"])
        .assert()
        .code(1);
    scan().code(0);
    // Containers and volumes are recorded by name: reordering them is no
    // new violation.
    dir.child("ds.yaml")
        .write_str(&ds(logs, &format!("{two}{one}")))
        .unwrap();
    scan().code(0);
    // Baselines written before names were used (indexed paths) still count.
    dir.child("ds.yaml").write_str(&ds(logs, one)).unwrap();
    dir.child("old.json")
        .write_str(
            r#"{"version": 1, "fingerprints": [
  "DaemonSet/mon/agent|hostPathVolumes|spec.template.spec.volumes[0].hostPath",
  "DaemonSet/mon/agent|privileged|spec.template.spec.containers[0].securityContext.privileged"
]}"#,
        )
        .unwrap();
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--no-rules", "--level", "baseline"])
        .args(["--baseline", "old.json", "ds.yaml"])
        .assert()
        .code(0);
}

/// An inline suppression that waives nothing (no reason, unknown ID) is an
/// input error at the annotation's line; the valid entry still applies and
/// the resource is still reported.
#[test]
fn broken_inline_suppressions_are_reported() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("p.yaml")
        .write_str(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    \
             podgate.io/ignore: \"privileged; runAsNonRot: typo; hostPathVolumes: ok\"\nspec:\n  \
             selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    \
             spec:\n      containers:\n      - {name: c, image: i, securityContext: {privileged: true}}\n      \
             volumes:\n      - {name: h, hostPath: {path: /var/log}}\n",
        )
        .unwrap();
    let out = podgate()
        .args([
            "scan",
            "--no-rules",
            "--level",
            "baseline",
            "--format",
            "json",
        ])
        .arg(dir.path().join("p.yaml"))
        .stdout_for(2);
    let v = json_of(&out);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e["line"] == 6), "{errors:?}");
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[0].contains("\"privileged\" has no reason"),
        "{messages:?}"
    );
    assert!(
        messages[1]
            .contains("unknown check or rule \"runAsNonRot\" (did you mean \"runAsNonRoot\"?)"),
        "{messages:?}"
    );
    let r = &v["results"][0];
    assert_eq!(r["allowed"], false);
    assert_eq!(r["violations"][0]["check"], "privileged");
    assert_eq!(r["suppressed"][0]["id"], "hostPathVolumes");
    // With inline suppressions off, the annotation is not checked (or used).
    dir.child("podgate.yaml")
        .write_str("inlineSuppressions: false\n")
        .unwrap();
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--no-rules", "--level", "baseline", "p.yaml"])
        .assert()
        .code(1);
}

#[test]
fn exclude_skips_walked_files_and_directories_by_name_or_path() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("app/pod.yaml").write_str(GOOD_POD).unwrap();
    dir.child("target/gen.yaml").write_str(BAD_POD).unwrap();
    dir.child("charts/web/templates/pod.yaml")
        .write_str("{{- if .Values.x }}\napiVersion: v1\n{{- end }}\n")
        .unwrap();
    dir.child("charts/web/values.yaml")
        .write_str("x: 1\n")
        .unwrap();
    let out = podgate()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "--exclude", "target"])
        .args(["--exclude", "charts/*/templates", "."])
        .stdout_for(0);
    let v = json_of(&out);
    assert_eq!(v["summary"]["files"], 2, "{v}");
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    // A path given explicitly is scanned whatever the exclusions.
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--exclude", "target", "target/gen.yaml"])
        .assert()
        .code(1);
    // Without the exclusion, the template fails to parse, with a hint.
    podgate()
        .current_dir(dir.path())
        .args(["scan", "--exclude", "target", "."])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "error: charts/web/templates/pod.yaml:1:2:",
        ))
        .stdout(predicate::str::contains("Helm or Go template"));
}

#[test]
fn empty_directory_passes_with_a_warning() {
    let dir = assert_fs::TempDir::new().unwrap();
    podgate()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("no manifests"));
}

#[test]
fn an_earlier_file_s_namespace_wins_over_one_before_the_pods_in_their_file() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("a.yaml")
        .write_str(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: open\n  labels: {pod-security.kubernetes.io/enforce: privileged}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pinned\n  labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: latest}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n",
        )
        .unwrap();
    dir.child("b.yaml")
        .write_str(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: open\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pinned\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata:\n  name: plain\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: plain}\nspec: {containers: [{name: c, image: nginx, securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}}]}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {name: o, namespace: open}\nspec: {hostNetwork: true, containers: [{name: c, image: nginx}]}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: pinned}\nspec: {containers: [{name: c, image: nginx}]}\n",
        )
        .unwrap();
    let out = podgate()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .stdout_for(0);
    let report = json_of(&out);
    let results = report["results"].as_array().unwrap();
    let get = |name: &str| results.iter().find(|r| r["name"] == name).unwrap();
    // The first declaration (a.yaml) holds, not b.yaml's.
    let o = get("o");
    assert_eq!(
        (&o["level"], &o["allowed"]),
        (&Value::from("privileged"), &Value::from(true))
    );
    // Same level and version either way, but the version came from a.yaml's label.
    let p = get("p");
    assert_eq!(
        (
            &p["level"],
            &p["version"],
            &p["level_source"],
            &p["version_source"]
        ),
        (
            &Value::from("baseline"),
            &Value::from("latest"),
            &Value::from("namespace"),
            &Value::from("namespace")
        ),
        "{p:#}"
    );
    // a.yaml's unlabelled declaration holds: the defaults, from nowhere else.
    let q = get("q");
    assert_eq!(
        (&q["level"], &q["policy_source"], &q["level_source"]),
        (
            &Value::from("restricted"),
            &Value::from("default"),
            &Value::from("default")
        ),
        "{q:#}"
    );
}

/// Trial finding 10: control characters from manifests (names, images,
/// snippets, file names, error messages) are escaped in text output and on
/// stderr; podgate's own colour codes still work.
#[test]
fn control_characters_from_manifests_are_escaped_in_text_output() {
    let dir = assert_fs::TempDir::new().unwrap();
    // The name, the container name and the raw line (a comment) carry ESC,
    // BEL, CR, DEL and a C1 CSI.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: \"ab\\u001b[31mRED\\u001b]0;title\\u0007\"}\n\
               spec: {hostPID: true, containers: [{name: \"c\\r\\u001b[2K\\u007f\\u009b\", image: \"x:1\"}]} # \x1b[2J\n";
    dir.child("e.yaml").write_str(pod).unwrap();
    // An error message quoting the input, in a file whose name has an ESC.
    dir.child("bad\x1b[1m.yaml")
        .write_str("kind: Pod\nmetadata: {name: \"\x1b[5m\"\nspec: [\n")
        .unwrap();
    let raw_controls = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect::<String>()
    };
    for format in ["text", "json"] {
        let out = podgate()
            .current_dir(dir.path())
            .args(["scan", "--no-rules", "--no-color", "--format", format, "."])
            .assert()
            .code(2);
        let out = out.get_output();
        assert_eq!(raw_controls(&out.stderr), "", "{format} stderr");
        if format == "text" {
            let text = String::from_utf8(out.stdout.clone()).unwrap();
            assert_eq!(raw_controls(&out.stdout), "", "{text}");
            assert!(
                text.contains("Pod/ab\\x1b[31mRED\\x1b]0;title\\x07 denied"),
                "{text}"
            );
            assert!(
                text.contains("container \"c\\r\\x1b[2K\\x7f\\u{9b}\""),
                "{text}"
            );
            assert!(text.contains("# \\x1b[2J"), "{text}");
            assert!(text.contains("bad\\x1b[1m.yaml"), "{text}");
        } else {
            // JSON escapes them itself and keeps the real values.
            let v = json_of(&out.stdout);
            assert_eq!(v["results"][0]["name"], "ab\x1b[31mRED\x1b]0;title\x07");
        }
    }
    // Colour still works: podgate's own escape sequences are written, and
    // they are the only ones.
    let report = podgate::scan::scan(
        vec![podgate::scan::Input::new(
            "e.yaml",
            Ok(pod.as_bytes().to_vec()),
        )],
        &podgate::scan::ScanSettings::default(),
    );
    let mut buf = Vec::new();
    podgate::report::text::write(&mut buf, &report, true).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert!(text.contains("\x1b[1;31mdenied\x1b[0m"), "{text}");
    let mut stripped = text.clone();
    for code in ["1;31", "32", "1", "2", "33", "0"] {
        stripped = stripped.replace(&format!("\x1b[{code}m"), "");
    }
    assert_eq!(raw_controls(stripped.as_bytes()), "", "{text}");
}

/// Trial finding 13: `podgate.io/ignore` takes the prefixed forms of
/// exception `checks` (`pss:*`, `rule:*`, `image:<code>`), split at the
/// colon after the ID.
#[test]
fn inline_suppressions_take_prefixed_ids() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("podgate.yaml")
        .write_str("imagePolicy: {denyLatest: true}\n")
        .unwrap();
    dir.child("p.yaml")
        .write_str(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    \
             podgate.io/ignore: \"rule:*: all rules; pss:*: legacy; image:LatestTag: pinned in Q3\"\n\
             spec: {hostPID: true, containers: [{name: c, image: \"nginx:latest\"}]}\n",
        )
        .unwrap();
    let out = podgate()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "p.yaml"])
        .stdout_for(0);
    let v = json_of(&out);
    assert_eq!(v["errors"], serde_json::json!([]));
    let r = &v["results"][0];
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(r["violations"], serde_json::json!([]));
    assert_eq!(r["findings"], serde_json::json!([]), "{r}");
    let by: Vec<(&str, &str)> = r["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert!(by.contains(&("hostNamespaces", "legacy")), "{by:?}");
    assert!(by.contains(&("image-policy", "pinned in Q3")), "{by:?}");
    assert!(
        by.iter().any(|(_, reason)| *reason == "all rules"),
        "{by:?}"
    );
}

/// The README's text sample is real output of `podgate scan examples/`
/// (trial finding 17): every line of it, in order, except the `...` that
/// stands for what is left out.
#[test]
fn readme_text_sample_is_real_output() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme.split("### Text output").nth(1).unwrap();
    let sample = section.split("```").nth(1).unwrap();
    let out = podgate()
        .current_dir(&root)
        .args(["scan", "--no-color", "examples/"])
        .stdout_for(1);
    let out = String::from_utf8(out).unwrap();
    let mut lines = out.lines();
    for want in sample
        .lines()
        .filter(|l| !l.is_empty() && l.trim() != "...")
    {
        assert!(
            lines.any(|l| l == want),
            "README line not in the output (in order): {want:?}\n{out}"
        );
    }
}

/// Trial finding 11: `--namespace NS` is the namespace of objects without
/// one (rendered Helm charts), for namespace labels, exceptions and reports;
/// objects with a namespace keep theirs.
#[test]
fn namespace_flag_defaults_the_namespace_of_objects_without_one() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("ns.yaml")
        .write_str(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n  \
             labels: {pod-security.kubernetes.io/enforce: baseline}\n",
        )
        .unwrap();
    // Runs as root: allowed at baseline, denied at restricted.
    let pod = |name: &str, ns: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}{ns}}}\n\
             spec: {{containers: [{{name: c, image: \"x:1\"}}]}}\n"
        )
    };
    dir.child("a.yaml").write_str(&pod("plain", "")).unwrap();
    dir.child("b.yaml")
        .write_str(&pod("own", ", namespace: other"))
        .unwrap();
    dir.child("podgate.yaml")
        .write_str(
            "exceptions:\n- {reason: r, namespaces: [monitoring], names: [plain], checks: ['rule:*']}\n",
        )
        .unwrap();
    let run = |extra: &[&str], code| {
        let out = podgate()
            .current_dir(dir.path())
            .args(["scan", "--format", "json"])
            .args(extra)
            .args(["ns.yaml", "a.yaml", "b.yaml"])
            .stdout_for(code);
        json_of(&out)
    };
    let v = run(&[], 1);
    let plain = &v["results"][0];
    assert_eq!(
        (plain["name"].as_str(), plain["namespace"].as_str()),
        (Some("plain"), Some(""))
    );
    assert_eq!(plain["allowed"], false);
    assert_eq!(plain["suppressed"], serde_json::json!([]));

    for flag in ["--namespace=monitoring", "-nmonitoring"] {
        let v = run(&[flag], 1);
        let plain = &v["results"][0];
        assert_eq!(plain["namespace"], "monitoring");
        assert_eq!(plain["level"], "baseline");
        assert_eq!(plain["level_source"], "namespace");
        assert_eq!(plain["allowed"], true, "{plain}");
        assert_eq!(plain["findings"], serde_json::json!([]), "{plain}");
        assert!(!plain["suppressed"].as_array().unwrap().is_empty());
        // An object with a namespace keeps it (and the default policy).
        let own = &v["results"][1];
        assert_eq!(own["namespace"], "other");
        assert_eq!(own["allowed"], false);
    }
    podgate()
        .args(["scan", "--namespace", "Bad_NS", "x.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a namespace name"));
}
