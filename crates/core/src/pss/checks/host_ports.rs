//! `hostPorts` (baseline, v1.0+).
//!
//! Restricted fields: `spec.*containers[*].ports[*].hostPort`. Allowed values: 0, unset.

use std::collections::BTreeSet;

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{container_field, containers_phrase, pluralize};
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut bad = Vec::new();
    // Upstream collects the ports as strings in a sorted string set, so
    // "10000" sorts before "9000"; keep that.
    let mut ports: BTreeSet<String> = BTreeSet::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let mut valid = true;
        for (j, p) in c.ports.iter().enumerate() {
            if p.host_port != 0 {
                valid = false;
                ports.insert(p.host_port.to_string());
                fields.push(
                    container_field(kind, i, &["ports"])
                        .child(j)
                        .child("hostPort"),
                );
            }
        }
        if !valid {
            bad.push(c.name.as_str());
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "hostPort".into(),
        detail: format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.into_iter().collect::<Vec<_>>().join(", ")
        ),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn message() {
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"containers": [
                {"name": "a", "ports": [{"containerPort": 80, "hostPort": 9000}, {"containerPort": 81, "hostPort": 10000}]},
                {"name": "b", "ports": [{"containerPort": 80}]},
                {"name": "c", "ports": [{"containerPort": 80, "hostPort": 9000}]}]}}),
            ),
            "hostPort",
            "containers \"a\", \"c\" use hostPorts 10000, 9000",
        );
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"containers": [{"name": "a", "ports": [{"hostPort": 80}]}]}}),
            ),
            "hostPort",
            "container \"a\" uses hostPort 80",
        );
    }
}
