//! The `fee` block: what a case is paid at (按病种定额, DRG 费率法), decided
//! after the top-level `let`s and before the layers, which then share it.
//! Its rules are checked with the layers' (`rules.rs`), numbered after them.

use super::{Checker, Global};
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::syntax::ast::{self, Item};

impl Checker {
    /// Declares the fee block: at most one, written before every layer.
    pub(super) fn declare_fee(&mut self, l: &ast::LayerDecl, policy: &ast::Policy) {
        let fees: Vec<&ast::LayerDecl> = policy
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Fee(f) => Some(f),
                _ => None,
            })
            .collect();
        if let Some(first) = fees.first().filter(|f| !std::ptr::eq(**f, l)) {
            self.error(
                Diagnostic::error("the policy has two `fee` blocks")
                    .at(l.name.span)
                    .label("a second fee")
                    .note(first.name.span, "the first is")
                    .help("a claim is paid at one fee: put every rule in one `fee` block (the first rule that applies sets it)"),
            );
            self.refuse(&l.name);
            return;
        }
        let layer_before = policy.items.iter().find_map(|i| match i {
            Item::Layer(x) if x.name.span.start < l.name.span.start => Some(x),
            _ => None,
        });
        if let Some(layer) = layer_before {
            self.error(
                Diagnostic::error(format!("fee `{}` is written after a layer", l.name.name))
                    .at(l.name.span)
                    .label("after the layers")
                    .note(layer.name.span, format!("layer `{}` is", layer.name.name))
                    .help("the fee is decided before any layer pays, and the layers share it: move the `fee` block above the first `layer`"),
            );
        }
        self.define(&l.name, Global::Fee);
        self.prog.fee = Some(ir::Layer {
            name: l.name.name.clone(),
            source: l.source.as_ref().map(|s| s.value.clone()),
            rules: vec![],
        });
    }
}

/// Whether a layer's payment is more than the fee whenever a fee (above 0)
/// applies, as written: `FEE + c` or `FEE * r` with a constant `c > 0` or
/// `r > 1` (through `max`, and `round` of a sum). Such a layer could never
/// pay on a claim with a fee; anything subtler is caught per claim (a
/// payment above what is left of the fee stops the run).
pub(super) fn exceeds_fee(n: &ir::Num) -> bool {
    use crate::syntax::ast::BinOp;
    use ir::Num;
    use rust_decimal::Decimal;
    let positive = |x: &Num, above: Decimal| matches!(x, Num::Const(c) if *c > above);
    match n {
        Num::Bin(BinOp::Add, ab, _) => {
            (matches!(ab.0, Num::Fee) && positive(&ab.1, Decimal::ZERO))
                || (matches!(ab.1, Num::Fee) && positive(&ab.0, Decimal::ZERO))
        }
        Num::Bin(BinOp::Mul, ab, _) => {
            (matches!(ab.0, Num::Fee) && positive(&ab.1, Decimal::ONE))
                || (matches!(ab.1, Num::Fee) && positive(&ab.0, Decimal::ONE))
        }
        // A sum of whole fen rounded to the fen is unchanged.
        Num::Round(x, r, _) => {
            r.dp == Some(2) && matches!(**x, Num::Bin(BinOp::Add, ..)) && exceeds_fee(x)
        }
        Num::Max(xs) => xs.iter().any(exceeds_fee),
        _ => false,
    }
}
