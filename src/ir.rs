//! The checked program: what the evaluator runs.
//!
//! Invariant: no name is left unresolved. Parameters, tables, schedules,
//! accumulators, locals, layers, outputs and fields are all slots or enum
//! variants, and every expression is already split by type (numeric,
//! condition, date, text), so evaluation never looks up a string or checks a
//! type. Spans are kept only to say where a runtime error comes from.

use crate::check::types::Ty;
use crate::date::Date;
use crate::schema::{ClaimField, EnumKind, InstField};
use crate::source::Span;
use crate::syntax::ast::{BinOp, CmpOp, RoundMode};
use rust_decimal::Decimal;

#[derive(Debug, Clone, Default)]
pub struct Program {
    pub region: Option<String>,
    pub code: Option<String>,
    pub notice: Option<String>,
    pub meta: Vec<(String, String)>,
    pub params: Vec<Param>,
    pub tables: Vec<Table>,
    pub schedules: Vec<Schedule>,
    pub accumulators: Vec<Accumulator>,
    /// Columns beyond the data contract that the policy reads.
    pub claim_extras: Vec<ExtraField>,
    pub inst_extras: Vec<ExtraField>,
    pub outputs: Vec<Output>,
    /// Top-level `let`s, evaluated for every claim before the layers.
    pub lets: Vec<Stmt>,
    pub layers: Vec<Layer>,
    /// Local slots needed by the largest frame, per kind.
    pub n_num_locals: usize,
    pub n_bool_locals: usize,
    pub n_date_locals: usize,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    pub value: ParamValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Num(Decimal),
    Date(Date),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub ty: Ty,
    pub dims: Vec<Dim>,
    /// Cells indexed by the mixed-radix key code when every dimension is an enum.
    pub dense: Option<Vec<Option<Decimal>>>,
    /// Rows for tables with open keys, searched in order.
    pub rows: Vec<(Vec<KeyValue>, Decimal)>,
    pub default: Option<Decimal>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Enum(EnumKind),
    Text,
    Num,
}

#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    Code(u8),
    Text(String),
    Num(Decimal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleKind {
    /// 超额累进: each segment's rate applies to the part of the amount inside it.
    Marginal,
    /// 全额: the rate of the band the amount falls in applies to the whole amount.
    Whole,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub kind: ScheduleKind,
    /// Ascending, contiguous: `(from, to, rate)`; `to` is `None` for the open last segment.
    pub segments: Vec<(Decimal, Option<Decimal>, Decimal)>,
    pub input: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Accumulator {
    pub name: String,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ExtraField {
    pub name: String,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub ty: Ty,
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    /// The fund that pays this layer (资金来源), e.g. "统筹基金".
    pub source: Option<String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub when: Option<Bool>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    SetNum(u16, Num),
    SetBool(u16, Bool),
    SetDate(u16, DateX),
    Pay(Num, Span),
    AccAdd(u16, Num, Span),
    SetOutput(u16, Num),
}

#[derive(Debug, Clone, Copy)]
pub struct Rounding {
    pub step: Decimal,
    /// `Some(dp)` when the step is 10^-dp, the common fast case.
    pub dp: Option<u32>,
    pub mode: RoundMode,
}

/// A numeric expression (money, ratio, count, days, months).
#[derive(Debug, Clone)]
pub enum Num {
    Const(Decimal),
    Param(u16),
    Claim(ClaimField),
    Inst(InstField),
    ClaimExtra(u16),
    InstExtra(u16),
    Local(u16),
    Acc(u16),
    Layer(u16),
    Output(u16),
    /// What the claim's cost leaves after the layers before the current one.
    Remaining,
    Bin(BinOp, Box<(Num, Num)>, Span),
    Neg(Box<Num>),
    Min(Vec<Num>),
    Max(Vec<Num>),
    Clamp(Box<(Num, Num, Num)>, Span),
    If(Box<(Bool, Num, Num)>),
    Round(Box<Num>, Rounding, Span),
    Lookup(u16, Vec<Key>, Span),
    Schedule(u16, Box<Num>, Span),
    DateDiff(Box<(DateX, DateX)>),
}

#[derive(Debug, Clone)]
pub enum Key {
    Code(EnumX),
    Text(TextX),
    Num(Num),
}

/// An enumerated field, read as its code.
#[derive(Debug, Clone, Copy)]
pub enum EnumX {
    InsuredType,
    VisitType,
    Level,
    Grade,
    Const(u8),
}

#[derive(Debug, Clone)]
pub enum TextX {
    Claim(ClaimField),
    Inst(InstField),
    ClaimExtra(u16),
    InstExtra(u16),
    Param(u16),
    Const(String),
}

#[derive(Debug, Clone)]
pub enum DateX {
    Claim(ClaimField),
    ClaimExtra(u16),
    InstExtra(u16),
    Param(u16),
    Local(u16),
    Const(Date),
}

/// A condition.
#[derive(Debug, Clone)]
pub enum Bool {
    Const(bool),
    Retired,
    ClaimExtra(u16),
    InstExtra(u16),
    Param(u16),
    Local(u16),
    Not(Box<Bool>),
    And(Vec<Bool>),
    Or(Vec<Bool>),
    CmpNum(CmpOp, Box<(Num, Num)>),
    CmpDate(CmpOp, Box<(DateX, DateX)>),
    CmpEnum(CmpOp, EnumX, u8),
    /// The enum's code is one of the set bits.
    EnumIn(EnumX, u32),
    TextEq(TextX, String),
    TextIn(TextX, Vec<String>),
    BoolEq(Box<(Bool, Bool)>),
}
