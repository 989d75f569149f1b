//! The syntax stage: policy text → [`ast::Policy`], with a span on every node.

pub mod ast;
pub mod comments;
mod parser;
mod unsupported;

pub use parser::{parse_literal, parse_policy, MAX_DEPTH, MAX_NESTING};
