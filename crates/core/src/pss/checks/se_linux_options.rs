//! `seLinuxOptions` (baseline, v1.0+; v1.31 allows `container_engine_t`).
//!
//! Restricted fields: `seLinuxOptions.type` (allowed: empty, `container_t`,
//! `container_init_t`, `container_kvm_t`, and from v1.31 `container_engine_t`)
//! and `seLinuxOptions.user` / `.role` (allowed: empty), at pod level and on
//! every container.

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec, SeLinuxOptions};
use crate::path::FieldPath;
use crate::pss::util::{container_field, containers_phrase, join_quote, pluralize, spec_field};
use crate::pss::Forbidden;

const TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(spec, TYPES_1_0)
}

pub(crate) fn v1_31(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(spec, TYPES_1_31)
}

struct Acc<'a> {
    allowed: &'static [&'static str],
    bad_types: BTreeSet<&'a str>,
    set_user: bool,
    set_role: bool,
    fields: Vec<FieldPath>,
}

impl<'a> Acc<'a> {
    fn valid(&mut self, o: &'a SeLinuxOptions, base: FieldPath) -> bool {
        let mut valid = true;
        if !self.allowed.contains(&o.type_.as_str()) {
            valid = false;
            self.bad_types.insert(&o.type_);
            self.fields.push(base.child("type"));
        }
        if !o.user.is_empty() {
            valid = false;
            self.set_user = true;
            self.fields.push(base.child("user"));
        }
        if !o.role.is_empty() {
            valid = false;
            self.set_role = true;
            self.fields.push(base.child("role"));
        }
        valid
    }
}

fn check(spec: &PodSpec, allowed: &'static [&'static str]) -> Option<Forbidden> {
    let mut acc = Acc {
        allowed,
        bad_types: BTreeSet::new(),
        set_user: false,
        set_role: false,
        fields: Vec::new(),
    };
    let mut setters: Vec<String> = Vec::new();
    if let Some(o) = spec
        .security_context
        .as_ref()
        .and_then(|s| s.se_linux_options.as_ref())
    {
        if !acc.valid(o, spec_field(&["securityContext", "seLinuxOptions"])) {
            setters.push("pod".into());
        }
    }
    let mut bad = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        if let Some(o) = c
            .security_context
            .as_ref()
            .and_then(|s| s.se_linux_options.as_ref())
        {
            if !acc.valid(
                o,
                container_field(kind, i, &["securityContext", "seLinuxOptions"]),
            ) {
                bad.push(c.name.as_str());
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !acc.bad_types.is_empty() {
        data.push(format!(
            "{} {}",
            pluralize("type", "types", acc.bad_types.len()),
            join_quote(&acc.bad_types)
        ));
    }
    if acc.set_user {
        data.push("user may not be set".to_string());
    }
    if acc.set_role {
        data.push("role may not be set".to_string());
    }
    Some(Forbidden {
        reason: "seLinuxOptions".into(),
        detail: format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
        fields: acc.fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn messages() {
        assert_forbidden(
            run(v1_0, json!({"spec": {"securityContext": {"seLinuxOptions": {"user": "u", "role": "r"}}, "containers": [
                {"name": "a", "securityContext": {"seLinuxOptions": {"type": "spc_t"}}},
                {"name": "b", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}},
                {"name": "c", "securityContext": {"seLinuxOptions": {"type": "container_t", "level": "s0:c1"}}}]}})),
            "seLinuxOptions",
            "pod and containers \"a\", \"b\" set forbidden securityContext.seLinuxOptions: types \"container_engine_t\", \"spc_t\"; user may not be set; role may not be set",
        );
        assert_forbidden(
            run(
                v1_31,
                json!({"spec": {"securityContext": {"seLinuxOptions": {"user": "bad"}}, "containers": [
                {"name": "b", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}]}}),
            ),
            "seLinuxOptions",
            "pod set forbidden securityContext.seLinuxOptions: user may not be set",
        );
    }
}
