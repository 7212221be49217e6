//! Integration tests for podgate-server: one test binary (faster linking).

mod common;

mod cli;
#[cfg(feature = "cluster")]
mod cluster;
mod deploy;
mod engine;
mod reload;
mod router;
mod shutdown;
mod transport;
