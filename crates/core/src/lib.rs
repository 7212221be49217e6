//! podgate-core: the pure engine behind podgate.
//!
//! Manifest model, Pod Security Standards checks with upstream parity, and
//! (in later modules) manifest loading, rules and image policy. This crate does
//! no I/O beyond the bytes it is given, has no async runtime and no cluster
//! client, so it builds fast, tests fast and can be fuzzed.

pub mod config;
pub mod image;
pub mod load;
pub mod model;
pub mod path;
pub mod pss;
pub mod rules;
pub mod workload;
