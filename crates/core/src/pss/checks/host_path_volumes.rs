//! `hostPathVolumes` (baseline, v1.0+; overridden by `restrictedVolumes` at restricted).
//!
//! Restricted fields: `spec.volumes[*].hostPath`. Allowed values: unset.

use crate::model::{ObjectMeta, PodSpec};
use crate::pss::util::{join_quote, pluralize, spec_field};
use crate::pss::Forbidden;

pub(crate) fn v1_0(_meta: &ObjectMeta, spec: &PodSpec) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, v) in spec.volumes.iter().enumerate() {
        if v.host_path.is_some() {
            names.push(v.name.as_str());
            fields.push(spec_field(&["volumes"]).child(i).child("hostPath"));
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(Forbidden {
        reason: "hostPath volumes".into(),
        detail: format!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
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
                json!({"spec": {"volumes": [
                {"name": "a", "hostPath": {"path": "/"}}, {"name": "b", "emptyDir": {}},
                {"name": "c", "hostPath": {"path": "/var"}}]}}),
            ),
            "hostPath volumes",
            "volumes \"a\", \"c\"",
        );
        assert_forbidden(
            run(
                v1_0,
                json!({"spec": {"volumes": [{"name": "a", "hostPath": {}}]}}),
            ),
            "hostPath volumes",
            "volume \"a\"",
        );
    }
}
