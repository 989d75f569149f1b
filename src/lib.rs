//! yibao: a policy rules engine for Chinese basic medical insurance (医保) payment.
//!
//! The pipeline, each stage a type and the only way forward a function on
//! the previous one:
//!
//! ```text
//! SourceFile ──syntax::parse_policy──▶ ast::Policy ──check::check──▶ ir::Program
//!     (text)                              (spans)                  (slots, typed)
//!
//! ir::Program + data::{Claims, Institutions} ──eval::settle──▶ eval::Settlement
//! ```
//!
//! Modules: [`source`] (files, spans), [`syntax`] (grammar → AST), [`check`]
//! (names, types, units → [`ir`]), [`data`] (CSV → typed rows), [`eval`]
//! (settlement), [`report`] (tables, CSV, JSON), [`synth`] (synthetic data),
//! [`explain`] (how a figure was reached), [`policytest`] (policy tests and
//! coverage), [`fmt`] (the canonical layout), [`compare`] (policies side by
//! side), [`cli`] (one file per command), [`diagnostic`] (errors with carets and help).

pub mod check;
pub mod cli;
pub mod compare;
pub mod data;
pub mod date;
pub mod diagnostic;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod ir;
pub mod lang;
pub(crate) mod par;
pub mod policytest;
pub mod report;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod synth;

use diagnostic::Diagnostic;
use source::SourceFile;

/// Stack for parsing and checking. The parser and the checker recurse once
/// per level of nesting, which [`syntax::MAX_NESTING`] and
/// [`syntax::MAX_DEPTH`] bound; this leaves room for the deepest policy they
/// allow even in an unoptimised build, whatever thread calls [`compile`]. It is
/// address space, not memory: only the pages used are ever touched.
const COMPILE_STACK: usize = 64 << 20;

/// Parses and checks a policy: text → checked program, with warnings, or
/// every diagnostic found.
pub fn compile(file: &SourceFile) -> Result<(ir::Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let work = || {
        let ast = syntax::parse_policy(file).map_err(|d| vec![d])?;
        check::check(&ast)
    };
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("yibao-check".into())
            .stack_size(COMPILE_STACK)
            .spawn_scoped(scope, work)
        {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(vec![Diagnostic::error(
                    "internal error: the checker stopped; please report this policy",
                )])
            }),
            // No thread to be had: check on this one.
            Err(_) => work(),
        }
    })
}
