//! Secrets written into the manifest as literal environment values.
//!
//! Field: `spec.*containers[*].env[*].value`.
//!
//! A variable is secret-looking when its name, lowercased with `-` and `.`
//! read as `_`, contains `password`, `secret`, `token`, `apikey`, `api_key`,
//! `access_key` or `private_key`, unless it ends in `_file`, `_path`, `_dir`,
//! `_name` or `_url`: by convention those hold a reference to the secret
//! (`POSTGRES_PASSWORD_FILE`, `TOKEN_URL`), not the secret. Only a non-empty
//! literal `value` is reported; `valueFrom` (a Secret reference) is the fix.
//! Messages never include the value.

use super::{container_field, who, Hit, RuleContext, RuleInfo, Severity};
use crate::model::PodTemplate;

pub(super) const LITERAL_SECRET: RuleInfo = RuleInfo {
    id: "env-literal-secret",
    severity: Severity::High,
    title: "Secrets are not literal environment values",
    rationale: "A literal env value is stored in the workload object: readable by anyone who \
                can get the Deployment, kept in Git, in Helm release history and in etcd \
                unencrypted, and printed by kubectl describe.",
    fix:
        "Move the value into a Secret and use env[].valueFrom.secretKeyRef (or mount it as a file).",
    field: "spec.*containers[*].env[*].value",
    default_enabled: true,
};

const SECRET_WORDS: &[&str] = &[
    "password",
    "secret",
    "token",
    "apikey",
    "api_key",
    "access_key",
    "private_key",
];

const REFERENCE_SUFFIXES: &[&str] = &["_file", "_path", "_dir", "_name", "_url"];

fn secret_looking(name: &str) -> bool {
    let n: String = name
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    SECRET_WORDS.iter().any(|w| n.contains(w)) && !REFERENCE_SUFFIXES.iter().any(|s| n.ends_with(s))
}

pub(super) fn literal_secret(_: &RuleContext<'_>, pod: &PodTemplate, out: &mut Vec<Hit>) {
    for (kind, i, c) in pod.spec.all_containers() {
        for (j, e) in c.env.iter().enumerate() {
            let literal = e.value.as_deref().is_some_and(|v| !v.is_empty());
            if literal && secret_looking(&e.name) {
                out.push(Hit::new(
                    format!(
                        "{} sets environment variable \"{}\" to a literal value",
                        who(kind, &c.name),
                        e.name
                    ),
                    container_field(kind, i, &["env"]).child(j).child("value"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_pass, run};
    use super::*;
    use serde_json::json;

    #[test]
    fn names() {
        for yes in [
            "DB_PASSWORD",
            "password",
            "CLIENT_SECRET",
            "GITHUB_TOKEN",
            "ApiKey",
            "STRIPE_API_KEY",
            "stripe-api-key",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY",
            "SSH_PRIVATE_KEY",
            "app.secret",
        ] {
            assert!(secret_looking(yes), "{yes}");
        }
        for no in [
            "PASSWORD_FILE",
            "TOKEN_URL",
            "SECRET_NAME",
            "SECRETS_DIR",
            "KEY_PATH_PASSWORD_PATH",
            "USERNAME",
            "API_HOST",
            "PRIVATE_KEYRING_DIR",
        ] {
            assert!(!secret_looking(no), "{no}");
        }
    }

    #[test]
    fn literal_secret() {
        let id = "env-literal-secret";
        let env =
            |e: serde_json::Value| json!({"spec": {"containers": [{"name": "app", "env": e}]}});
        assert_pass(
            id,
            "Pod",
            env(json!([
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
                {"name": "API_TOKEN", "value": ""},
                {"name": "LOG_LEVEL", "value": "debug"}
            ])),
        );
        assert_eq!(
            run(
                id,
                "Pod",
                json!({"spec": {
                    "initContainers": [{"name": "init", "env": [{"name": "LOG_LEVEL", "value": "x"},
                                                                {"name": "api_key", "value": "abc"}]}],
                    "containers": [{"name": "app", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]
                }})
            ),
            vec![
                (
                    "init container \"init\" sets environment variable \"api_key\" to a literal value"
                        .to_string(),
                    vec!["spec.initContainers[0].env[1].value".to_string()]
                ),
                (
                    "container \"app\" sets environment variable \"DB_PASSWORD\" to a literal value"
                        .to_string(),
                    vec!["spec.containers[0].env[0].value".to_string()]
                ),
            ]
        );
    }
}
