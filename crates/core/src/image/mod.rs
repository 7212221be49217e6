//! Image references and the image policy.
//!
//! [`ImageRef`] parses and normalises a container image reference the way the
//! container runtime does; [`ImagePolicy`] decides whether a reference is
//! acceptable (registry and image allow/deny globs, digest pinning, `latest`).

pub mod policy;
pub mod reference;

pub use policy::{ImagePolicy, ImageViolation, ImageViolationCode};
pub use reference::{ImageRef, ImageRefError};
