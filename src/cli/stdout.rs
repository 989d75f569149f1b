//! Standard output, in one place. Every command prints its results through
//! `out!` and `outln!` (or [`with`] for a writer), which return the write's error instead of panicking as `print!`
//! does; the command stops at the first one and [`finish`] turns it into the
//! exit status once:
//!
//! - standard output closed by its reader (`yibao run … | head -1`): the
//!   command ends quietly with status 141, what a shell reports for a
//!   program ended by SIGPIPE (128 + 13), so that `set -o pipefail` scripts
//!   see it as they see `cat` or `grep` cut short;
//! - any other failure, such as a full disk (`> /dev/full`, ENOSPC, EIO): one
//!   line on stderr and status 2, an I/O error.

use super::Status;
use std::io::{self, Write};

/// Standard output could not be written.
#[derive(Debug)]
pub(crate) struct Failed(io::Error);

/// What printing ended in: `T`, or the write that failed.
pub(crate) type Printed<T = ()> = Result<T, Failed>;

/// Writes formatted text to standard output (the `out!` and `outln!` macros).
pub(crate) fn write_fmt(args: std::fmt::Arguments<'_>) -> Printed {
    io::stdout().lock().write_fmt(args).map_err(Failed)
}

/// Lends a locked standard output to a writer (CSV, JSON).
pub(crate) fn with(f: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>) -> Printed {
    f(&mut io::stdout().lock()).map_err(Failed)
}

/// The exit status of a command whose printing ended in `done`, once what is
/// still buffered has been written.
pub(crate) fn finish(done: Printed<Status>) -> Status {
    let flushed = io::stdout().lock().flush().map_err(Failed);
    match done.and_then(|status| flushed.map(|()| status)) {
        Ok(status) => status,
        Err(Failed(e)) if e.kind() == io::ErrorKind::BrokenPipe => Status::Closed,
        Err(Failed(e)) => {
            eprintln!("error: cannot write to standard output: {e}");
            Status::Usage
        }
    }
}

/// `print!` to standard output, returning [`Printed`] instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::stdout::write_fmt(format_args!($($arg)*))
    };
}

/// `println!` to standard output, returning [`Printed`] instead of panicking.
macro_rules! outln {
    () => {
        $crate::cli::stdout::write_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::stdout::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
