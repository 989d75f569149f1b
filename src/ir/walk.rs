//! Walks over the program's expressions and statements: what each reads
//! and sets, for the settle order and the exactness pass.

use super::*;

/// A value of a settle block that a statement may read: a local (`let`) or
/// a region value. Statements that read one run after the one that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Num(u16),
    Bool(u16),
    Date(u16),
    Region(u16),
    Text(u16),
}

impl Stmt {
    /// The local or region value this statement sets, if any.
    pub fn sets(&self) -> Option<Slot> {
        match self {
            Stmt::SetNum(i, ..) => Some(Slot::Num(*i)),
            Stmt::SetBool(i, ..) => Some(Slot::Bool(*i)),
            Stmt::SetDate(i, ..) => Some(Slot::Date(*i)),
            Stmt::SetRegion(i, ..) => Some(Slot::Region(*i)),
            Stmt::SetText(i, ..) => Some(Slot::Text(*i)),
            _ => None,
        }
    }

    /// The ledger column this statement sets or adds to, if any.
    pub fn ledger_write(&self) -> Option<u16> {
        match self {
            Stmt::SetLedger(c, ..) | Stmt::AddLedger(c, ..) | Stmt::SetLedgerVal(c, ..) => Some(*c),
            _ => None,
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Stmt::SetNum(_, _, s)
            | Stmt::SetBool(_, _, s)
            | Stmt::SetDate(_, _, s)
            | Stmt::Pay(_, s)
            | Stmt::AccAdd(_, _, s)
            | Stmt::AccSet(_, _, s)
            | Stmt::SetOutput(_, _, s)
            | Stmt::SetLedger(_, _, s)
            | Stmt::AddLedger(_, _, s)
            | Stmt::SetRegion(_, _, s)
            | Stmt::SetText(_, _, s)
            | Stmt::SetOutputVal(_, _, s)
            | Stmt::SetLedgerVal(_, _, s)
            | Stmt::SetContrib(_, _, s)
            | Stmt::SetBand(_, s) => *s,
        }
    }

    /// Every local and region value the statement reads.
    pub fn slots_read(&self, out: &mut Vec<Slot>) {
        match self {
            Stmt::SetBool(_, b, _) => b.slots_read(out),
            Stmt::SetDate(_, d, _)
            | Stmt::SetOutputVal(_, ValX::Date(d), _)
            | Stmt::SetLedgerVal(_, ValX::Date(d), _) => Part::Date(d).slots_read(out),
            Stmt::SetOutputVal(_, ValX::Bool(b), _) | Stmt::SetLedgerVal(_, ValX::Bool(b), _) => {
                b.slots_read(out)
            }
            Stmt::SetText(_, t, _)
            | Stmt::SetBand(t, _)
            | Stmt::SetOutputVal(_, ValX::Text(t), _)
            | Stmt::SetLedgerVal(_, ValX::Text(t), _) => t.slots_read(out),
            Stmt::AccSet(_, v, _) => match v {
                AccExpr::Num(n) => n.slots_read(out),
                AccExpr::Bool(b) => b.slots_read(out),
                AccExpr::Date(d) => Part::Date(d).slots_read(out),
                AccExpr::Text(t) => t.slots_read(out),
            },
            Stmt::SetNum(_, n, _)
            | Stmt::Pay(n, _)
            | Stmt::AccAdd(_, n, _)
            | Stmt::SetOutput(_, n, _)
            | Stmt::SetLedger(_, n, _)
            | Stmt::AddLedger(_, n, _)
            | Stmt::SetContrib(_, n, _)
            | Stmt::SetRegion(_, n, _) => n.slots_read(out),
        }
    }
}

/// A direct part of an expression, for walks over the tree.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    Num(&'a Num),
    Bool(&'a Bool),
    Date(&'a DateX),
}

impl Part<'_> {
    /// Every local and region value the part reads.
    fn slots_read(self, out: &mut Vec<Slot>) {
        match self {
            Part::Num(n) => n.slots_read(out),
            Part::Bool(b) => b.slots_read(out),
            Part::Date(DateX::Local(i)) => out.push(Slot::Date(*i)),
            Part::Date(d) => d.parts(&mut |p| p.slots_read(out)),
        }
    }
}

impl DateX {
    /// Calls `f` on each direct part of the date expression.
    pub fn parts(&self, f: &mut dyn FnMut(Part<'_>)) {
        match self {
            DateX::Shift(s) => {
                f(Part::Date(&s.date));
                f(Part::Num(&s.by));
            }
            DateX::MonthStart(d) | DateX::MonthEnd(d) | DateX::Prior(_, d) => f(Part::Date(d)),
            DateX::Previous(x) => {
                f(Part::Date(&x.field));
                f(Part::Date(&x.fallback));
            }
            DateX::Claim(_)
            | DateX::ClaimExtra(_)
            | DateX::InstExtra(_)
            | DateX::Param(_)
            | DateX::Local(_)
            | DateX::Const(_)
            | DateX::Output(_)
            | DateX::Ledger(_)
            | DateX::Person(_)
            | DateX::Acc(_) => {}
        }
    }
}

impl Num {
    /// Calls `f` on each direct part of the expression (aggregates' arguments
    /// are values of claims, kept apart, so they are not parts).
    pub fn parts(&self, f: &mut dyn FnMut(Part<'_>)) {
        match self {
            Num::Bin(_, ab, _) => {
                f(Part::Num(&ab.0));
                f(Part::Num(&ab.1));
            }
            Num::Neg(x)
            | Num::Round(x, ..)
            | Num::Schedule(_, x, _)
            | Num::Rate(_, x, _)
            | Num::Prior(_, x) => f(Part::Num(x)),
            Num::Min(xs) | Num::Max(xs) => xs.iter().for_each(|x| f(Part::Num(x))),
            Num::Clamp(x, _) => {
                f(Part::Num(&x.0));
                f(Part::Num(&x.1));
                f(Part::Num(&x.2));
            }
            Num::If(x) => {
                f(Part::Bool(&x.0));
                f(Part::Num(&x.1));
                f(Part::Num(&x.2));
            }
            Num::Lookup(_, keys, _) => {
                for k in keys {
                    match k {
                        Key::Num(n) => f(Part::Num(n)),
                        Key::Bool(b) => f(Part::Bool(b)),
                        Key::Code(_) | Key::Text(_) | Key::Choice(..) => {}
                    }
                }
            }
            Num::DateDiff(x) | Num::Age(x) => {
                f(Part::Date(&x.0));
                f(Part::Date(&x.1));
            }
            Num::DatePart(_, d) => f(Part::Date(d)),
            Num::Previous(x) => {
                f(Part::Num(&x.field));
                f(Part::Num(&x.fallback));
            }
            Num::Const(_)
            | Num::Param(_)
            | Num::Claim(_)
            | Num::Inst(_)
            | Num::ClaimExtra(_)
            | Num::InstExtra(_)
            | Num::Local(_)
            | Num::Acc(_)
            | Num::Layer(_)
            | Num::Output(_)
            | Num::Remaining
            | Num::Fee
            | Num::Borne
            | Num::Ledger(_)
            | Num::Agg(_)
            | Num::Region(_)
            | Num::Person(_)
            | Num::Contrib(_)
            | Num::Score(_)
            | Num::Interviews => {}
        }
    }

    /// Every local and region value the expression reads.
    pub fn slots_read(&self, out: &mut Vec<Slot>) {
        match self {
            Num::Local(i) => out.push(Slot::Num(*i)),
            Num::Region(i) => out.push(Slot::Region(*i)),
            n => n.parts(&mut |p| p.slots_read(out)),
        }
    }
}

impl Bool {
    /// Calls `f` on each direct part of the condition.
    pub fn parts(&self, f: &mut dyn FnMut(Part<'_>)) {
        match self {
            Bool::Not(b) | Bool::Prior(_, b) => f(Part::Bool(b)),
            Bool::And(bs) | Bool::Or(bs) => bs.iter().for_each(|b| f(Part::Bool(b))),
            Bool::CmpNum(_, ab) => {
                f(Part::Num(&ab.0));
                f(Part::Num(&ab.1));
            }
            Bool::CmpDate(_, ab) => {
                f(Part::Date(&ab.0));
                f(Part::Date(&ab.1));
            }
            Bool::BoolEq(ab) => {
                f(Part::Bool(&ab.0));
                f(Part::Bool(&ab.1));
            }
            Bool::Previous(x) => {
                f(Part::Bool(&x.field));
                f(Part::Bool(&x.fallback));
            }
            Bool::Const(_)
            | Bool::Retired
            | Bool::Suspended
            | Bool::ClaimTerminated
            | Bool::UnitTerminated
            | Bool::FeeApplied
            | Bool::ClaimExtra(_)
            | Bool::InstExtra(_)
            | Bool::Param(_)
            | Bool::Local(_)
            | Bool::CmpEnum(..)
            | Bool::EnumIn(..)
            | Bool::Output(_)
            | Bool::Ledger(_)
            | Bool::TextCmp(..)
            | Bool::TextEq(..)
            | Bool::TextIn(..)
            | Bool::Acc(_) => {}
        }
    }

    fn slots_read(&self, out: &mut Vec<Slot>) {
        match self {
            Bool::Local(i) => out.push(Slot::Bool(*i)),
            Bool::TextEq(t, _) | Bool::TextIn(t, _) => t.slots_read(out),
            Bool::TextCmp(_, ab) => {
                ab.0.slots_read(out);
                ab.1.slots_read(out);
            }
            b => b.parts(&mut |p| p.slots_read(out)),
        }
    }
}

impl TextX {
    /// Every local and region value the text reads.
    pub fn slots_read(&self, out: &mut Vec<Slot>) {
        match self {
            TextX::Local(i) => out.push(Slot::Text(*i)),
            TextX::If(x) => {
                x.0.slots_read(out);
                x.1.slots_read(out);
                x.2.slots_read(out);
            }
            TextX::Previous(x) => x.fallback.slots_read(out),
            TextX::Prior(_, x) => x.slots_read(out),
            _ => {}
        }
    }
}
