//! Which sums, differences and products may carry a quotient's rounding.
//!
//! The evaluator computes sums, differences and products exactly, and one
//! that a decimal cannot hold is an error. A quotient is different: it carries
//! 28 significant digits by nature until a `round` (docs/language.md,
//! "Exactness and whole fen"), and so does what is computed from it — `点值 =
//! 预算 / 总分值` and then `分值 * 点值` cannot be exact, and is not wrong. This
//! pass finds, once after checking, every operation with an operand that may
//! derive from a quotient not rounded since, through locals, accumulators,
//! outputs, ledger amounts, region values and `avg` aggregates; the evaluator
//! asks only when a result is not exact, which is rare, and then rounds these
//! as a decimal does instead of failing.

use crate::ir::{AccExpr, AggKind, Num, Part, Program, Stmt};
use crate::syntax::ast::BinOp;
use rustc_hash::FxHashSet;

/// The spans (start, end) of the operations that may round: [`Num::Bin`]
/// sums, differences and products and [`Num::Schedule`]s with an operand
/// from a quotient, and `+=` statements adding one.
pub(super) fn may_round(prog: &Program) -> FxHashSet<(u32, u32)> {
    let mut claims = Taint::default();
    let claim_stmts = || {
        prog.lets
            .iter()
            .chain(
                prog.layers
                    .iter()
                    .flat_map(|l| &l.rules)
                    .flat_map(|r| &r.body),
            )
            .chain(&prog.output_defs)
    };
    claims.settle(claim_stmts, &[]);
    let mut out = FxHashSet::default();
    for s in claim_stmts() {
        claims.mark_stmt(s, &mut out);
    }
    for r in prog.layers.iter().flat_map(|l| &l.rules) {
        if let Some(b) = &r.when {
            claims.mark_part(Part::Bool(b), &mut out);
        }
    }
    // Settle blocks: their own locals, the ledger and region values; each
    // block's aggregates range over claims.
    let aggs: Vec<Vec<bool>> = prog
        .settles
        .iter()
        .map(|b| {
            b.aggregates
                .iter()
                .map(|a| match a.kind {
                    AggKind::Count => false,
                    AggKind::Avg => true,
                    AggKind::Sum => a.arg.as_ref().is_some_and(|n| claims.num(n)),
                })
                .collect()
        })
        .collect();
    let mut units = Taint {
        accs: claims.accs.clone(),
        outputs: claims.outputs.clone(),
        ..Taint::default()
    };
    let blocks: Vec<(&[bool], &[Stmt])> = prog
        .settles
        .iter()
        .zip(&aggs)
        .map(|(b, a)| (a.as_slice(), b.body.as_slice()))
        .collect();
    loop {
        let mut changed = false;
        for (a, body) in &blocks {
            units.aggs = a.to_vec();
            changed |= units.pass(body.iter());
        }
        if !changed {
            break;
        }
    }
    for (b, (a, body)) in prog.settles.iter().zip(&blocks) {
        units.aggs = a.to_vec();
        for s in *body {
            units.mark_stmt(s, &mut out);
        }
        for agg in &b.aggregates {
            if let Some(n) = &agg.arg {
                claims.mark_num(n, &mut out);
            }
            if let Some(f) = &agg.filter {
                claims.mark_part(Part::Bool(f), &mut out);
            }
        }
    }
    out
}

/// Which slots of a frame may hold a value from a quotient not rounded since.
#[derive(Debug, Default)]
struct Taint {
    locals: Vec<bool>,
    accs: Vec<bool>,
    outputs: Vec<bool>,
    ledger: Vec<bool>,
    region: Vec<bool>,
    /// The current settle block's aggregates.
    aggs: Vec<bool>,
}

fn get(v: &[bool], i: u16) -> bool {
    v.get(usize::from(i)).copied().unwrap_or(false)
}

/// Marks slot `i`; whether that changed anything.
fn set(v: &mut Vec<bool>, i: u16) -> bool {
    let i = usize::from(i);
    if v.len() <= i {
        v.resize(i + 1, false);
    }
    !std::mem::replace(&mut v[i], true)
}

impl Taint {
    /// Runs `pass` over the statements until no slot changes (slots are only
    /// ever marked, so this ends).
    fn settle<'a, I: Iterator<Item = &'a Stmt>>(&mut self, stmts: impl Fn() -> I, aggs: &[bool]) {
        self.aggs = aggs.to_vec();
        while self.pass(stmts()) {}
    }

    /// Marks the slots the statements set from a quotient; whether any changed.
    fn pass<'a>(&mut self, stmts: impl Iterator<Item = &'a Stmt>) -> bool {
        let mut changed = false;
        for s in stmts {
            changed |= match s {
                Stmt::SetNum(i, n, _) if self.num(n) => set(&mut self.locals, *i),
                Stmt::AccAdd(i, n, _) if self.num(n) => set(&mut self.accs, *i),
                Stmt::SetOutput(i, n, _) if self.num(n) => set(&mut self.outputs, *i),
                Stmt::AccSet(i, AccExpr::Num(n), _) if self.num(n) => set(&mut self.accs, *i),
                Stmt::SetLedger(i, n, _) | Stmt::AddLedger(i, n, _) if self.num(n) => {
                    set(&mut self.ledger, *i)
                }
                Stmt::SetRegion(i, n, _) if self.num(n) => set(&mut self.region, *i),
                _ => false,
            };
        }
        changed
    }

    /// Whether the value may derive from a quotient not rounded since.
    fn num(&self, n: &Num) -> bool {
        match n {
            Num::Bin(BinOp::Div, ..) => true,
            Num::Bin(_, ab, _) => self.num(&ab.0) || self.num(&ab.1),
            Num::Local(i) => get(&self.locals, *i),
            Num::Acc(i) => get(&self.accs, *i),
            Num::Output(i) => get(&self.outputs, *i),
            Num::Ledger(i) => get(&self.ledger, *i),
            Num::Region(i) => get(&self.region, *i),
            Num::Agg(i) => get(&self.aggs, *i),
            Num::Prior(i, fallback) => get(&self.ledger, *i) || self.num(fallback),
            Num::Previous(x) => self.num(&x.fallback),
            Num::Neg(x) | Num::Schedule(_, x, _) => self.num(x),
            Num::Min(xs) | Num::Max(xs) => xs.iter().any(|x| self.num(x)),
            Num::Clamp(x, _) => self.num(&x.0) || self.num(&x.1) || self.num(&x.2),
            Num::If(x) => self.num(&x.1) || self.num(&x.2),
            // Rounded, read from the data or the policy's literals, or whole fen (payments).
            Num::Round(..)
            | Num::Const(_)
            | Num::Param(_)
            | Num::Claim(_)
            | Num::Inst(_)
            | Num::ClaimExtra(_)
            | Num::InstExtra(_)
            | Num::Layer(_)
            | Num::Remaining
            | Num::Fee
            | Num::Borne
            | Num::Lookup(..)
            | Num::Rate(..)
            | Num::DateDiff(_)
            | Num::DatePart(..)
            | Num::Age(_)
            | Num::Person(_)
            | Num::Contrib(_)
            | Num::Score(_)
            | Num::Interviews => false,
        }
    }

    fn mark_stmt(&self, s: &Stmt, out: &mut FxHashSet<(u32, u32)>) {
        match s {
            Stmt::SetBool(_, b, _) => self.mark_part(Part::Bool(b), out),
            Stmt::SetDate(..) | Stmt::SetText(..) | Stmt::SetBand(..) => {}
            Stmt::SetOutputVal(_, x, _) | Stmt::SetLedgerVal(_, x, _) => match x {
                crate::ir::ValX::Bool(b) => self.mark_part(Part::Bool(b), out),
                crate::ir::ValX::Date(_) | crate::ir::ValX::Text(_) => {}
            },
            Stmt::AccSet(_, v, _) => match v {
                AccExpr::Num(n) => self.mark_num(n, out),
                AccExpr::Bool(b) => self.mark_part(Part::Bool(b), out),
                AccExpr::Date(_) | AccExpr::Text(_) => {}
            },
            Stmt::AccAdd(i, n, span) | Stmt::AddLedger(i, n, span) => {
                let slot = match s {
                    Stmt::AccAdd(..) => get(&self.accs, *i),
                    _ => get(&self.ledger, *i),
                };
                if slot || self.num(n) {
                    out.insert((span.start, span.end));
                }
                self.mark_num(n, out);
            }
            Stmt::SetNum(_, n, _)
            | Stmt::Pay(n, _)
            | Stmt::SetOutput(_, n, _)
            | Stmt::SetLedger(_, n, _)
            | Stmt::SetContrib(_, n, _)
            | Stmt::SetRegion(_, n, _) => self.mark_num(n, out),
        }
    }

    fn mark_num(&self, n: &Num, out: &mut FxHashSet<(u32, u32)>) {
        match n {
            Num::Bin(op, ab, span) if *op != BinOp::Div && (self.num(&ab.0) || self.num(&ab.1)) => {
                out.insert((span.start, span.end));
            }
            Num::Schedule(_, x, span) if self.num(x) => {
                out.insert((span.start, span.end));
            }
            _ => {}
        }
        n.parts(&mut |p| self.mark_part(p, out));
    }

    fn mark_part(&self, p: Part<'_>, out: &mut FxHashSet<(u32, u32)>) {
        match p {
            Part::Num(n) => self.mark_num(n, out),
            Part::Bool(b) => b.parts(&mut |q| self.mark_part(q, out)),
            Part::Date(d) => d.parts(&mut |q| self.mark_part(q, out)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;

    /// The operators (by their text, the n-th occurrence) marked as may-round.
    fn marked(text: &str) -> Vec<String> {
        let (prog, _) = crate::compile(&SourceFile::new("t.policy", text)).unwrap();
        let mut spans: Vec<(u32, u32)> = prog.quotient_ops.iter().copied().collect();
        spans.sort();
        spans
            .iter()
            .map(|&(s, e)| {
                let line = text[..s as usize].matches('\n').count() + 1;
                format!("{line}:{}", &text[s as usize..e as usize])
            })
            .collect()
    }

    #[test]
    fn what_derives_from_a_quotient_through_lets_accumulators_and_outputs() {
        let text = "\
accumulator 比累计: ratio per patient per year
output 比: ratio
let 份 = claim.total_cost / 3
let 整 = claim.total_cost * 2 + claim.drug_cost
let 圆 = 份 round
layer fund_paid \"统筹\" {
  rule r {
    比累计 += claim.drug_cost / claim.total_cost
    比 = 比累计 * 2
    pay min(份 * 0.5 + 整 * 0.1 + 圆 * 0.1, remaining) round
  }
}
";
        // Line 4: exact data. Line 8: the `+=` adds a quotient (the statement's span).
        // Line 9: the accumulator holds quotients. Line 10: `份 * 0.5` and the sum it is in;
        // `整 * 0.1` and `圆 * 0.1` are exact, but the sums they join carry 份's digits.
        let m = marked(text);
        assert_eq!(
            m,
            [
                "8:比累计 += claim.drug_cost / claim.total_cost",
                "9:*",
                "10:*",
                "10:+",
                "10:+",
            ],
            "{m:?}"
        );
    }

    #[test]
    fn region_values_and_averages_from_quotients_carry_to_other_blocks() {
        let text = "\
layer fund_paid \"统筹\" {
  rule r {
    pay claim.total_cost * 50% round
  }
}
settle 全市 per region per year {
  let 总 = sum(claim.total_cost)
  let 点值 = if 总 > 0 then 100元 / 总 else 0
  let 均 = avg(claim.total_cost)
}
settle 清算 per institution per year {
  let 份 = sum(fund_paid)
  budget = 份 * 全市.点值 round
  routine_paid = 份 * 2 - 份
  surplus = max(budget - routine_paid, 0) + (全市.均 * 0) round
}
";
        // Line 13: 份 (a sum of payments) times the region's quotient. Line 14: exact.
        // Line 15: the average is a quotient; `-` is between exact amounts.
        let m = marked(text);
        assert_eq!(m, ["13:*", "15:+", "15:*"], "{m:?}");
    }
}
