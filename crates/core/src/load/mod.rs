//! Manifest loading (YAML/JSON with kubectl semantics and positions).
