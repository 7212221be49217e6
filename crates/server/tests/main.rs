//! Integration tests for podgate-server: one test binary (faster linking).

mod common;

mod cli;
mod deploy;
mod engine;
mod reload;
mod router;
mod shutdown;
mod transport;
