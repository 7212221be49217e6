//! `appArmorProfile` (baseline, v1.0+).
//!
//! Restricted fields: `metadata.annotations['container.apparmor.security.beta.kubernetes.io/*']`
//! (allowed: `runtime/default`, `localhost/*`, empty) and
//! `spec.securityContext.appArmorProfile.type`, `spec.*containers[*].securityContext.appArmorProfile.type`
//! (allowed: `RuntimeDefault`, `Localhost`). Upstream patched the field check
//! into the v1.0 implementation, so it applies at every version.

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec};
use crate::path::FieldPath;
use crate::pss::util::{container_field, containers_phrase, join_quote, pluralize, spec_field};
use crate::pss::Forbidden;

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

fn allowed_type(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

pub(crate) fn v1_0(meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut setters: Vec<String> = Vec::new();
    let mut bad_values: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();

    if let Some(p) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.app_armor_profile.as_ref())
    {
        if !allowed_type(&p.type_) {
            setters.push("pod".into());
            bad_values.insert(&p.type_);
            fields.push(spec_field(&["securityContext", "appArmorProfile", "type"]));
        }
    }
    let mut bad_containers = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        if let Some(p) = c
            .security_context
            .as_ref()
            .and_then(|s| s.app_armor_profile.as_ref())
        {
            if !allowed_type(&p.type_) {
                bad_containers.push(c.name.as_str());
                bad_values.insert(&p.type_);
                fields.push(container_field(
                    kind,
                    i,
                    &["securityContext", "appArmorProfile", "type"],
                ));
            }
        }
    }
    if !bad_containers.is_empty() {
        setters.push(containers_phrase(&bad_containers));
    }

    // BTreeMap iteration is sorted by key; upstream sorts the rendered strings,
    // which orders the same way because every entry starts with its key.
    let mut annotations: Vec<String> = Vec::new();
    for (k, v) in &meta.annotations {
        if k.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(v) {
            annotations.push(format!("{k}={}", go_quote(v)));
            fields.push(
                FieldPath::root()
                    .join(["metadata", "annotations"])
                    .child(k.clone()),
            );
        }
    }
    annotations.sort();

    let mut values: Vec<String> = bad_values.into_iter().map(str::to_owned).collect();
    if !annotations.is_empty() {
        setters.push(pluralize("annotation", "annotations", annotations.len()).into());
        values.extend(annotations);
    }
    if setters.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: pluralize(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            values.len(),
        )
        .into(),
        detail: format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&values)
        ),
        fields,
    })
}

/// Go's `%q` for the strings that occur in annotation values.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn fields_and_annotations() {
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
                "containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
                               {"name": "b", "securityContext": {"appArmorProfile": {"type": "Localhost"}}}]}}),
            ),
            "forbidden AppArmor profile",
            "pod and container \"a\" must not set AppArmor profile type to \"Unconfined\"",
        );
        assert_forbidden(
            run(v1_0, json!({"metadata": {"annotations": {
                "container.apparmor.security.beta.kubernetes.io/b": "unconfined",
                "container.apparmor.security.beta.kubernetes.io/a": "runtime/default",
                "container.apparmor.security.beta.kubernetes.io/c": "bogus"}},
                "spec": {"containers": [{"name": "a"}]}})),
            "forbidden AppArmor profiles",
            // joinQuote wraps without escaping, so the %q quotes stand bare inside.
            "annotations must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/b=\"unconfined\"\", \"container.apparmor.security.beta.kubernetes.io/c=\"bogus\"\"",
        );
    }

    #[test]
    fn allowed() {
        assert!(run(v1_0, json!({"metadata": {"annotations": {
            "container.apparmor.security.beta.kubernetes.io/a": "localhost/x",
            "container.apparmor.security.beta.kubernetes.io/b": ""}},
            "spec": {"containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}]}})).is_none());
    }
}
