//! The `yibao` binary: parse flags, run the command, return its exit status.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    yibao::cli::main(yibao::cli::Cli::parse()).into()
}
