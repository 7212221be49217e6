//! Workload custom resources end to end: a built-in one (Argo Rollouts), a
//! kind declared under `workloadKinds`, and the notice for an unknown kind
//! that seems to run pods.

use assert_cmd::Command;
use assert_fs::prelude::*;
use serde_json::Value;

fn podgate() -> Command {
    let mut c = Command::cargo_bin("podgate").expect("binary built");
    c.env_remove("NO_COLOR");
    c
}

fn run(dir: &assert_fs::TempDir, args: &[&str], code: i32) -> (String, String) {
    let out = podgate()
        .current_dir(dir.path())
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).expect("stdout is JSON")
}

const ROLLOUT: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: shop
spec:
  strategy:
    canary: {steps: [{setWeight: 20}]}
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true
"#;

#[test]
fn a_privileged_rollout_is_denied_at_the_field() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("rollout.yaml").write_str(ROLLOUT).unwrap();
    let (text, _) = run(
        &dir,
        &[
            "scan",
            "--no-color",
            "--no-rules",
            "--level",
            "baseline",
            "rollout.yaml",
        ],
        1,
    );
    insta::assert_snapshot!("rollout_text", text);

    let (out, _) = run(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--level",
            "baseline",
            "rollout.yaml",
        ],
        1,
    );
    let v = json(&out);
    let r = &v["results"][0];
    assert_eq!(r["kind"], "Rollout");
    assert_eq!(r["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(r["allowed"], false);
    let p = &r["violations"][0];
    assert_eq!(p["check"], "privileged");
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(15), Some(13))
    );
    assert_eq!(
        p["field"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(v["summary"]["resources"], 1);
    assert_eq!(v["skipped"], Value::Array(Vec::new()));
}

#[test]
fn a_rollout_with_a_workload_ref_is_neither_an_error_nor_skipped() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("ref.yaml")
        .write_str(
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n",
        )
        .unwrap();
    let (out, _) = run(&dir, &["scan", "--format", "json", "ref.yaml"], 0);
    let v = json(&out);
    assert_eq!(v["summary"]["resources"], 0);
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(v["summary"]["skipped"], 0);
}

const WIDGET: &str = r#"apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: shop
spec:
  podTemplate:
    spec:
      hostPID: true
      containers:
        - name: c
          image: nginx:1.27
"#;

#[test]
fn a_kind_declared_in_the_configuration_is_evaluated() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("widget.yaml").write_str(WIDGET).unwrap();
    // Not declared: not a known kind, and spec.podTemplate is no usual
    // place for pods, so nothing is found.
    let (out, _) = run(&dir, &["scan", "--format", "json", "widget.yaml"], 0);
    assert_eq!(json(&out)["summary"]["resources"], 0);

    dir.child("podgate.yaml")
        .write_str(
            "workloadKinds:\n  - {apiVersion: example.com/v1, kind: Widget, template: spec.podTemplate}\n",
        )
        .unwrap();
    let (text, _) = run(
        &dir,
        &[
            "scan",
            "--no-color",
            "--no-rules",
            "--level",
            "baseline",
            "widget.yaml",
        ],
        1,
    );
    insta::assert_snapshot!("widget_text", text);
    let (out, _) = run(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--level",
            "baseline",
            "widget.yaml",
        ],
        1,
    );
    let r = &json(&out)["results"][0];
    assert_eq!(r["kind"], "Widget");
    assert_eq!(r["violations"][0]["check"], "hostNamespaces");
    assert_eq!(r["violations"][0]["line"], 9);
    assert_eq!(r["violations"][0]["field"], "spec.podTemplate.spec.hostPID");

    // Exceptions match the declared kind by name.
    dir.child("podgate.yaml")
        .write_str(
            "workloadKinds:\n  - {apiVersion: example.com, kind: Widget, template: spec.podTemplate}\nexceptions:\n  - {reason: node agent, kinds: [Widget], checks: [hostNamespaces]}\n",
        )
        .unwrap();
    let (out, _) = run(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--no-rules",
            "--level",
            "baseline",
            "widget.yaml",
        ],
        0,
    );
    let r = &json(&out)["results"][0];
    assert_eq!(r["allowed"], true);
    assert_eq!(r["suppressed"][0]["id"], "hostNamespaces");
    assert_eq!(r["suppressed"][0]["by"], "exception");
}

#[test]
fn a_bad_workload_kind_entry_is_a_configuration_error() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("widget.yaml").write_str(WIDGET).unwrap();
    dir.child("podgate.yaml")
        .write_str(
            "level: baseline\nworkloadKinds:\n  - apiVersion: example.com/v1\n    kind: \"\"\n    template: spec.podTemplate\n",
        )
        .unwrap();
    let (out, err) = run(&dir, &["scan", "widget.yaml"], 2);
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        err.trim_end(),
        "error: podgate.yaml:4:5: workloadKinds[0].kind: must not be empty"
    );
}

const GADGET: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: g
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: c
          image: nginx
          securityContext: {privileged: true}
"#;

#[test]
fn an_unknown_pod_shaped_kind_is_reported_not_passed_in_silence() {
    let dir = assert_fs::TempDir::new().unwrap();
    dir.child("gadget.yaml").write_str(GADGET).unwrap();
    // Not a failure: the exit code stays 0, but the report says so.
    let (text, _) = run(&dir, &["scan", "--no-color", "gadget.yaml"], 0);
    insta::assert_snapshot!("unknown_kind_text", text);

    let (out, err) = run(&dir, &["scan", "--format", "json", "gadget.yaml"], 0);
    let v = json(&out);
    insta::assert_json_snapshot!("unknown_kind_json", v["skipped"]);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["summary"]["resources"], 0);
    // Machine formats repeat it on stderr for people reading the CI log.
    assert!(
        err.starts_with("warning: gadget.yaml:6: Gadget/g (shop) not evaluated: kind Gadget"),
        "{err}"
    );

    // SARIF: a warning notification at the object, the run still successful.
    let (out, _) = run(&dir, &["scan", "--format", "sarif", "gadget.yaml"], 0);
    let inv = &json(&out)["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "warning");
    assert_eq!(n["descriptor"]["id"], "unknown-kind");
    assert_eq!(
        n["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );

    // JUnit: a skipped testcase.
    let (out, _) = run(&dir, &["scan", "--format", "junit", "gadget.yaml"], 0);
    assert!(
        out.contains(
            r#"<testsuite name="gadget.yaml" tests="1" failures="0" errors="0" skipped="1">"#
        ),
        "{out}"
    );
    assert!(
        out.contains("<skipped message=\"not evaluated: kind Gadget"),
        "{out}"
    );

    // Declared, it is evaluated (and denied) instead.
    dir.child("podgate.yaml")
        .write_str("workloadKinds:\n  - {apiVersion: example.com, kind: Gadget, template: spec.template}\n")
        .unwrap();
    let (out, _) = run(&dir, &["scan", "--format", "json", "gadget.yaml"], 1);
    let v = json(&out);
    assert_eq!(v["summary"]["skipped"], 0);
    assert_eq!(v["results"][0]["kind"], "Gadget");
}
