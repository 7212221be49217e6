//! The `podgate` binary: command-line parsing, dispatch, and exit codes.
//!
//! Exit codes (a contract for CI): 0 everything allowed and every input read;
//! 1 some resource denied; 2 some input could not be read or parsed (the rest
//! is still scanned and reported), or a usage error.

use podgate::{cli, scan};

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the scan builds and drops many small maps and strings on every
/// core; glibc's allocator was the largest single cost there and in the webhook.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and succeed.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        cli::Command::Scan(args) => scan::run(&args),
        cli::Command::Serve(args) => podgate_server::run_serve(args).map(|()| 0),
        cli::Command::Certs(args) => podgate_server::run_certs(args).map(|()| 0),
        cli::Command::Rules(args) => {
            let mut out = std::io::stdout().lock();
            podgate::rules_cmd::run(args.format, &mut out)
                .and_then(|()| out.flush())
                .map(|()| 0)
                .map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`podgate scan . | head`) is not an error.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::from(0);
            }
            // Messages can name input files: no raw control characters.
            let message = format!("{e:#}");
            let _ = writeln!(
                std::io::stderr(),
                "podgate: error: {}",
                podgate::report::text::escape(&message)
            );
            ExitCode::from(2)
        }
    }
}
