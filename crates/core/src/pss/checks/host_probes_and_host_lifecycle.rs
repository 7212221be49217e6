//! `hostProbesAndHostLifecycle` (baseline, v1.34+).
//!
//! Restricted fields: `host` of `httpGet`/`tcpSocket` in `livenessProbe`,
//! `readinessProbe`, `startupProbe`, `lifecycle.postStart` and `lifecycle.preStop`
//! of every container. Allowed values: empty, unset.
//! Upstream keeps both the container names and the hosts in sorted sets.

use std::collections::BTreeSet;

use crate::model::{HttpGetAction, ObjectMeta, PodSpec, TcpSocketAction};
use crate::path::FieldPath;
use crate::pss::util::{container_field, join_quote, pluralize};
use crate::pss::Forbidden;

fn hosts<'a>(
    http: Option<&'a HttpGetAction>,
    tcp: Option<&'a TcpSocketAction>,
    base: &FieldPath,
    found: &mut Vec<(&'a str, FieldPath)>,
) {
    if let Some(h) = http.filter(|h| !h.host.is_empty()) {
        found.push((&h.host, base.join(["httpGet", "host"])));
    }
    if let Some(t) = tcp.filter(|t| !t.host.is_empty()) {
        found.push((&t.host, base.join(["tcpSocket", "host"])));
    }
}

pub(crate) fn v1_34(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut containers: BTreeSet<&str> = BTreeSet::new();
    let mut forbidden: BTreeSet<&str> = BTreeSet::new();
    let mut fields = Vec::new();
    for (kind, i, c) in spec.all_containers() {
        let mut found = Vec::new();
        for (probe, name) in [
            (&c.liveness_probe, "livenessProbe"),
            (&c.readiness_probe, "readinessProbe"),
            (&c.startup_probe, "startupProbe"),
        ] {
            if let Some(p) = probe {
                let base = container_field(kind, i, &[name]);
                hosts(
                    p.http_get.as_ref(),
                    p.tcp_socket.as_ref(),
                    &base,
                    &mut found,
                );
            }
        }
        if let Some(l) = &c.lifecycle {
            for (h, name) in [(&l.post_start, "postStart"), (&l.pre_stop, "preStop")] {
                if let Some(h) = h {
                    let base = container_field(kind, i, &["lifecycle", name]);
                    hosts(
                        h.http_get.as_ref(),
                        h.tcp_socket.as_ref(),
                        &base,
                        &mut found,
                    );
                }
            }
        }
        if !found.is_empty() {
            containers.insert(&c.name);
            for (h, p) in found {
                forbidden.insert(h);
                fields.push(p);
            }
        }
    }
    if containers.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "probe or lifecycle host".into(),
        detail: format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", containers.len()),
            join_quote(&containers),
            pluralize("uses", "use", containers.len()),
            pluralize(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                forbidden.len()
            ),
            join_quote(&forbidden)
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
                v1_34,
                json!({"spec": {"containers": [
                {"name": "b", "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
                 "lifecycle": {"preStop": {"tcpSocket": {"host": "example.com", "port": 80}}}},
                {"name": "a", "readinessProbe": {"tcpSocket": {"host": "10.0.0.1", "port": 80}}},
                {"name": "c", "startupProbe": {"httpGet": {"host": "", "port": 80}}}]}}),
            ),
            "probe or lifecycle host",
            "containers \"a\", \"b\" use probe or lifecycle hosts \"10.0.0.1\", \"example.com\"",
        );
        assert_forbidden(
            run(
                v1_34,
                json!({"spec": {"containers": [
                {"name": "a", "lifecycle": {"postStart": {"httpGet": {"host": "h", "port": 80}}}}]}}),
            ),
            "probe or lifecycle host",
            "container \"a\" uses probe or lifecycle host \"h\"",
        );
    }
}
