//! Field paths inside a Kubernetes object (`spec.containers[0].securityContext`).
//!
//! Checks and rules report the paths of the fields they object to, so that
//! front ends can map a finding back to a line in the manifest. Paths are
//! relative to the object they were evaluated on; callers prefix them when the
//! pod lives inside a workload template.

use std::borrow::Cow;
use std::fmt;

/// One step of a [`FieldPath`]: a map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSeg {
    Key(Cow<'static, str>),
    Index(usize),
}

impl From<&'static str> for PathSeg {
    fn from(s: &'static str) -> Self {
        PathSeg::Key(Cow::Borrowed(s))
    }
}

impl From<String> for PathSeg {
    fn from(s: String) -> Self {
        PathSeg::Key(Cow::Owned(s))
    }
}

impl From<usize> for PathSeg {
    fn from(i: usize) -> Self {
        PathSeg::Index(i)
    }
}

/// A path from an object's root to one of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<PathSeg>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// A new path with `seg` appended.
    #[must_use]
    pub fn child(&self, seg: impl Into<PathSeg>) -> Self {
        let mut v = Vec::with_capacity(self.0.len() + 1);
        v.extend_from_slice(&self.0);
        v.push(seg.into());
        FieldPath(v)
    }

    /// A new path with every segment of `segs` appended.
    #[must_use]
    pub fn join<I, S>(&self, segs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<PathSeg>,
    {
        let mut p = self.clone();
        p.0.extend(segs.into_iter().map(Into::into));
        p
    }

    /// `prefix` followed by this path.
    #[must_use]
    pub fn prefixed(&self, prefix: &FieldPath) -> Self {
        let mut v = Vec::with_capacity(prefix.0.len() + self.0.len());
        v.extend_from_slice(&prefix.0);
        v.extend_from_slice(&self.0);
        FieldPath(v)
    }

    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    /// Renders as `spec.containers[0].securityContext` (kubectl explain style);
    /// keys that are not plain identifiers are written `metadata.annotations['a/b']`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                PathSeg::Index(i) => write!(f, "[{i}]")?,
                PathSeg::Key(k) => {
                    let plain = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if plain {
                        if !first {
                            f.write_str(".")?;
                        }
                        f.write_str(k)?;
                    } else {
                        write!(f, "['{k}']")?;
                    }
                }
            }
            first = false;
        }
        Ok(())
    }
}

/// Build a [`FieldPath`] from a list of segments: `fpath!["spec", "containers", 0]`.
#[macro_export]
macro_rules! fpath {
    ($($seg:expr),* $(,)?) => {
        $crate::path::FieldPath(vec![$($crate::path::PathSeg::from($seg)),*])
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn display_mixes_keys_indexes_and_quoted_keys() {
        let p = fpath![
            "metadata",
            "annotations",
            "container.apparmor.security.beta.kubernetes.io/app"
        ];
        assert_eq!(
            p.to_string(),
            "metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']"
        );
        let p = fpath!["spec", "containers", 2usize, "securityContext"];
        assert_eq!(p.to_string(), "spec.containers[2].securityContext");
    }

    #[test]
    fn prefix_and_child() {
        let p = fpath!["spec"].child("volumes").child(1usize);
        let q = p.prefixed(&fpath!["spec", "template"]);
        assert_eq!(q.to_string(), "spec.template.spec.volumes[1]");
    }
}
