//! Message helpers shared by the checks, with upstream's exact formatting.

use crate::model::ContainerKind;
use crate::path::{FieldPath, PathSeg};

/// `"a", "b", "c"` (upstream `joinQuote`).
pub(crate) fn join_quote<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(s.as_ref());
        out.push('"');
    }
    out
}

/// upstream `pluralize`
pub(crate) fn pluralize(singular: &'static str, plural: &'static str, n: usize) -> &'static str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// `container "a"` / `containers "a", "b"`
pub(crate) fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// Path of a container: `spec.containers[2]`.
pub(crate) fn container_path(kind: ContainerKind, index: usize) -> FieldPath {
    FieldPath(vec![
        PathSeg::from("spec"),
        PathSeg::from(kind.field()),
        PathSeg::Index(index),
    ])
}

/// Path of a field inside a container: `spec.containers[2].securityContext.privileged`.
pub(crate) fn container_field(
    kind: ContainerKind,
    index: usize,
    rest: &[&'static str],
) -> FieldPath {
    let mut p = container_path(kind, index);
    p.0.extend(rest.iter().map(|s| PathSeg::from(*s)));
    p
}

/// Path of a pod-spec field: `spec.securityContext.runAsNonRoot`.
pub(crate) fn spec_field(rest: &[&'static str]) -> FieldPath {
    let mut p = FieldPath(vec![PathSeg::from("spec")]);
    p.0.extend(rest.iter().map(|s| PathSeg::from(*s)));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_quote_and_pluralize() {
        assert_eq!(join_quote(Vec::<String>::new()), "");
        assert_eq!(join_quote(["a"]), "\"a\"");
        assert_eq!(join_quote(["a", "b"]), "\"a\", \"b\"");
        assert_eq!(pluralize("x", "xs", 1), "x");
        assert_eq!(pluralize("x", "xs", 0), "xs");
        assert_eq!(containers_phrase(&["a", "b"]), "containers \"a\", \"b\"");
    }
}
