//! Hardening rules beyond the Pod Security Standards.
