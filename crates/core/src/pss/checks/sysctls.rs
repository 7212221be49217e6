//! `sysctls` (baseline; the safe set grows at v1.27, v1.29, v1.32 and v1.37).
//!
//! Restricted fields: `spec.securityContext.sysctls[*].name`. Allowed values:
//! the safe set of the version. Forbidden names are listed in document order.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::spec_field;
use crate::pss::Forbidden;

const SAFE_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SAFE_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SAFE_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SAFE_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SAFE_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn check(spec: &PodSpec, safe: &[&[&str]]) -> Option<Forbidden> {
    let sc = spec.security_context.as_ref()?;
    let mut bad = Vec::new();
    let mut fields = Vec::new();
    for (i, s) in sc.sysctls.iter().enumerate() {
        if !safe.iter().any(|set| set.contains(&s.name.as_str())) {
            bad.push(s.name.as_str());
            fields.push(
                spec_field(&["securityContext", "sysctls"])
                    .child(i)
                    .child("name"),
            );
        }
    }
    if bad.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "forbidden sysctls".into(),
        detail: bad.join(", "),
        fields,
    })
}

pub(crate) fn v1_0(_m: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(spec, &[SAFE_1_0])
}
pub(crate) fn v1_27(_m: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(spec, &[SAFE_1_0, SAFE_1_27])
}
pub(crate) fn v1_29(_m: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(spec, &[SAFE_1_0, SAFE_1_27, SAFE_1_29])
}
pub(crate) fn v1_32(_m: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(spec, &[SAFE_1_0, SAFE_1_27, SAFE_1_29, SAFE_1_32])
}
pub(crate) fn v1_37(_m: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    check(
        spec,
        &[SAFE_1_0, SAFE_1_27, SAFE_1_29, SAFE_1_32, SAFE_1_37],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::checks::testutil::{assert_forbidden, run};
    use serde_json::json;

    #[test]
    fn versions_and_order() {
        let pod = json!({"spec": {"securityContext": {"sysctls": [
            {"name": "net.ipv4.tcp_wmem", "value": "1"}, {"name": "kernel.msgmax", "value": "1"},
            {"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}, {"name": "kernel.shm_rmid_forced", "value": "1"}]}}});
        assert_forbidden(
            run(v1_0, pod.clone()),
            "forbidden sysctls",
            "net.ipv4.tcp_wmem, kernel.msgmax, net.ipv4.tcp_notsent_lowat",
        );
        assert_forbidden(
            run(v1_32, pod.clone()),
            "forbidden sysctls",
            "kernel.msgmax, net.ipv4.tcp_notsent_lowat",
        );
        assert_forbidden(run(v1_37, pod), "forbidden sysctls", "kernel.msgmax");
        assert!(run(v1_27, json!({"spec": {"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_reserved_ports"}]}}})).is_none());
        assert!(run(v1_0, json!({"spec": {"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_reserved_ports"}]}}})).is_some());
    }
}
