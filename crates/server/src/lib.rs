//! The HTTPS webhook server (placeholder: being written).
