//! The checked program: what the evaluator runs.
//!
//! Invariant: no name is left unresolved. Parameters, tables, schedules,
//! accumulators, locals, layers, outputs and fields are all slots or enum
//! variants, and every expression is already split by type (numeric,
//! condition, date, text), so evaluation never looks up a string or checks a
//! type. Spans are kept only to say where a runtime error comes from.

use crate::check::types::Ty;
use crate::date::Date;
use crate::schema::{ClaimField, EnumKind, InstField, PersonField};
use crate::source::Span;
use crate::syntax::ast::{BinOp, CmpOp, RoundMode};
use rust_decimal::Decimal;

mod agreement;
mod contrib;
mod walk;
pub use agreement::Agreement;
pub use contrib::Contribute;
pub use walk::{Part, Slot};

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
    /// The `fee` block: what a case is paid at, evaluated after the
    /// top-level `let`s and before the layers (its `source` is the title).
    pub fee: Option<Layer>,
    /// Dates on which something comes into or goes out of force, ascending
    /// and distinct. Epoch `e` is the days from `bounds[e-1]` (inclusive) to
    /// `bounds[e]` (exclusive); epoch 0 is everything before `bounds[0]`.
    pub bounds: Vec<Date>,
    /// Names declared in dated versions (`from … until …`).
    pub versions: Vec<Versions>,
    /// Named ledger amounts beyond the standard ones.
    pub ledger_extras: Vec<Output>,
    /// Settle blocks, in file order.
    pub settles: Vec<Settle>,
    /// The order settle statements run in, per unit kind and period kind:
    /// every statement after those that set what it reads (see
    /// [`crate::check`]'s `order`), so each ledger amount read is its final
    /// value for the unit and period.
    pub settle_order: Vec<SettleGroup>,
    /// Values computed by `per region` settle blocks, by slot.
    pub region_values: Vec<String>,
    /// Local slots needed by the largest frame, per kind.
    pub n_num_locals: usize,
    pub n_bool_locals: usize,
    pub n_date_locals: usize,
    /// The operations, by span (start, end), with an operand that may derive
    /// from a quotient not rounded since: sums, differences and products,
    /// schedules applied, `+=`. They are computed as a decimal can (28 to 29
    /// significant digits); every other is exact or an error. See
    /// [`Program::may_round`].
    pub quotient_ops: rustc_hash::FxHashSet<(u32, u32)>,
    /// Text local slots needed by the largest frame.
    pub n_text_locals: usize,
    /// The texts a policy writes that a `let`, an output or a ledger amount
    /// may hold ([`TextX::Pool`]): kept once, so holding one is an index.
    pub texts: Vec<String>,
    /// Outputs defined at top level (`output x: money = expr`), in file
    /// order: computed for every claim after the layers.
    pub output_defs: Vec<Stmt>,
    /// The claim fields `previous(claim.x, …)` reads, by slot: what a state
    /// file carries of each patient's last claim.
    pub previous: Vec<PrevField>,
    /// `contribute` blocks, in file order: the `per month` ones and the
    /// `at retirement` ones (see [`Contribute::at_retirement`]).
    pub contributes: Vec<Contribute>,
    /// `agreement` blocks, in file order (no two in force on one day).
    pub agreements: Vec<Agreement>,
    /// The policy's enumerations (`enum 档次 { … }`), by id: what
    /// `choice: Some(id)` on a parameter, output, accumulator, ledger amount
    /// or extra field, and [`Dim::Choice`], refer to.
    pub enums: Vec<Enumeration>,
}

/// `enum 档次 { "高档", "低档" }`: a text type with a closed set of values.
/// A value of it is kept as its text; the checker proves every value set,
/// compared or looked up is one of these.
#[derive(Debug, Clone)]
pub struct Enumeration {
    pub name: String,
    /// In the order written: a value's code is its index.
    pub values: Vec<String>,
    pub span: Span,
}

impl Enumeration {
    /// The code of `text`, if it is one of the values.
    pub fn code_of(&self, text: &str) -> Option<usize> {
        self.values.iter().position(|v| v == text)
    }

    /// `"高档", "低档"`, for messages.
    pub fn describe(&self) -> String {
        self.values
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A claim field read on the patient's previous claim.
#[derive(Debug, Clone)]
pub struct PrevField {
    /// The column, as in the claims file (`discharge_date`).
    pub name: String,
    pub ty: Ty,
}

/// `previous(claim.x, fallback)`: `field` read on the patient's previous
/// claim (the preceding row of the same patient in settlement order, or the
/// opening state's last claim), else `fallback`.
#[derive(Debug, Clone)]
pub struct Prev<X> {
    /// Into [`Program::previous`].
    pub slot: u16,
    pub field: X,
    pub fallback: X,
    pub span: Span,
}

/// The days a declaration is in force, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    /// `None`: in force from `from` on.
    pub until: Option<Date>,
}

impl From<&crate::syntax::ast::InForce> for Period {
    fn from(f: &crate::syntax::ast::InForce) -> Period {
        Period {
            from: f.from,
            until: f.until,
        }
    }
}

impl Period {
    /// Whether a new version in force `p` shares a day with any of `seen`
    /// (an undated declaration is in force every day).
    pub fn clashes(seen: &[Option<Period>], p: Option<Period>) -> bool {
        seen.iter().any(|q| match (q, p) {
            (Some(q), Some(p)) => q.overlaps(&p),
            _ => true,
        })
    }

    pub fn contains(&self, d: Date) -> bool {
        d >= self.from && self.until.is_none_or(|u| d <= u)
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        self.until.is_none_or(|u| other.from <= u) && other.until.is_none_or(|u| self.from <= u)
    }
}

/// A reference to a parameter, table or schedule: one declaration, or
/// dated versions of one name (an index into [`Program::versions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    Fixed(u16),
    Dated(u16),
}

/// The dated versions of one name.
#[derive(Debug, Clone)]
pub struct Versions {
    pub name: String,
    /// `(in force, slot)`, ascending by date.
    pub versions: Vec<(Period, u16)>,
    /// For each epoch, the slot of the version in force.
    pub by_epoch: Vec<Option<u16>>,
}

impl Program {
    /// Layer `i`, or the fee block for `i == layers.len()`: traces, applied
    /// rules and coverage number the fee block after the layers.
    pub fn payer(&self, i: usize) -> Option<&Layer> {
        self.layers.get(i).or_else(|| {
            (i == self.layers.len())
                .then_some(self.fee.as_ref())
                .flatten()
        })
    }

    /// The layers, then the fee block if there is one (see [`Program::payer`]).
    pub fn payers(&self) -> impl Iterator<Item = &Layer> {
        self.layers.iter().chain(self.fee.as_ref())
    }

    /// 1 if the policy has a fee block, else 0: its column in the results.
    pub fn n_fee(&self) -> usize {
        usize::from(self.fee.is_some())
    }

    /// Width of a claim's result row: the layers, `patient_paid`,
    /// `institution_borne`, the fee (if any), then the outputs.
    pub fn stride(&self) -> usize {
        self.layers.len() + 2 + self.n_fee() + self.outputs.len()
    }

    /// Whether the operation at `span` may round (see [`Program::quotient_ops`]).
    pub fn may_round(&self, span: Span) -> bool {
        self.quotient_ops.contains(&(span.start, span.end))
    }

    /// The epoch a day falls in (see [`Program::bounds`]).
    pub fn epoch(&self, d: Date) -> usize {
        self.bounds.partition_point(|b| *b <= d)
    }

    /// The first day of an epoch (`None` for epoch 0, which has no start).
    pub fn epoch_start(&self, e: usize) -> Option<Date> {
        e.checked_sub(1).and_then(|i| self.bounds.get(i).copied())
    }
}

/// What a settle block is run for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    Institution,
    /// 医共体: the institutions sharing an `alliance_id`.
    Alliance,
    /// The whole region (统筹地区): every institution.
    Region,
    /// One patient (参保人), over their claims at every institution: blocks
    /// `per patient per year` set the patient ledger's declared amounts.
    Patient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    Month,
    Year,
}

/// The statements of every block of one unit kind and period kind, in the
/// order they run.
#[derive(Debug, Clone)]
pub struct SettleGroup {
    pub unit: UnitKind,
    pub period: PeriodKind,
    /// `(block, statement)` indices into [`Program::settles`] and its body.
    pub stmts: Vec<(u16, u16)>,
    /// The ledger columns some statement of the group sets.
    pub writes: Vec<u16>,
}

/// A settle block: statements run once per unit and period.
#[derive(Debug, Clone)]
pub struct Settle {
    pub name: String,
    pub title: Option<String>,
    pub unit: UnitKind,
    pub period: PeriodKind,
    /// The block applies to a period when it is in force on the period's last day.
    pub in_force: Option<Period>,
    pub aggregates: Vec<Aggregate>,
    pub body: Vec<Stmt>,
    /// For each statement of `body`, the ledger amounts it reads (outside
    /// `prior`), where.
    pub reads: Vec<Vec<(u16, Span)>>,
    /// The policy text the block encodes (`cite "第二十条"`).
    pub cite: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Sum,
    Count,
    /// `sum ÷ count`, 0 when nothing is counted.
    Avg,
}

/// What an aggregate ranges over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOver {
    /// The claims settled at the unit in the period.
    Claims,
    /// The unit's institutions (for values of `institution` only).
    Institutions,
}

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub kind: AggKind,
    pub over: AggOver,
    pub arg: Option<Num>,
    pub filter: Option<Bool>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub in_force: Option<Period>,
    /// The article of the notice it comes from (`cite`).
    pub cite: Option<String>,
    pub ty: Ty,
    /// The enumeration a text parameter is one of ([`Program::enums`]).
    pub choice: Option<u16>,
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
    pub in_force: Option<Period>,
    pub cite: Option<String>,
    pub ty: Ty,
    pub dims: Vec<Dim>,
    /// Cells indexed by the mixed-radix key code when every dimension is an enum.
    pub dense: Option<Vec<Option<Decimal>>>,
    /// Rows for tables with open keys, searched in order.
    pub rows: Vec<(Vec<KeyValue>, Decimal)>,
    pub default: Option<Decimal>,
    /// The rows as written, for explanations and coverage: each row's span.
    pub row_spans: Vec<Span>,
    /// For each dense cell, the written row that gives it (`None`: no row).
    pub dense_rows: Vec<Option<u16>>,
    /// For each open row in `rows`, its written row.
    pub open_rows: Vec<u16>,
    /// The written `else` row.
    pub default_row: Option<u16>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Enum(EnumKind),
    Text,
    Num,
    /// `true` / `false`, coded 1 / 0 (a closed key, like an enum).
    Bool,
    /// A declared enumeration ([`Program::enums`]) of `n` values, coded by
    /// their index.
    Choice {
        id: u16,
        n: u16,
    },
}

impl Dim {
    /// How many keys a closed dimension has (`None`: open, text or numbers).
    pub fn size(self) -> Option<usize> {
        match self {
            Dim::Enum(k) => Some(k.count()),
            Dim::Bool => Some(2),
            Dim::Choice { n, .. } => Some(usize::from(n)),
            Dim::Text | Dim::Num => None,
        }
    }

    /// A closed dimension's key `code` as written (`"resident"`, `true`,
    /// `"高档"`); `enums` are the program's enumerations.
    pub fn code_name(self, code: usize, enums: &[Enumeration]) -> String {
        if let Dim::Choice { id, .. } = self {
            return enums
                .get(usize::from(id))
                .and_then(|e| e.values.get(code))
                .cloned()
                .unwrap_or_else(|| code.to_string());
        }
        let code = u8::try_from(code).unwrap_or(u8::MAX);
        match self {
            Dim::Enum(k) => k.name_of(code).to_string(),
            Dim::Bool => (code == 1).to_string(),
            Dim::Text | Dim::Num | Dim::Choice { .. } => code.to_string(),
        }
    }
}

/// A table row's key, one per dimension. `Eq` and `Hash` agree for numbers
/// written with different scales (`1` and `1.0` are one key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    pub in_force: Option<Period>,
    pub cite: Option<String>,
    pub kind: ScheduleKind,
    /// Ascending, contiguous: `(from, to, rate)`; `to` is `None` for the open last segment.
    pub segments: Vec<(Decimal, Option<Decimal>, Decimal)>,
    /// Where each segment is written.
    pub segment_spans: Vec<Span>,
    pub input: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Accumulator {
    pub name: String,
    pub ty: Ty,
    /// How long a value is kept.
    pub scope: AccScope,
    /// The value before any rule sets it (`default …`); without one a
    /// number starts at 0, and the checker refuses to read a text, date or
    /// condition before the same rule has set it.
    pub default: Option<ParamValue>,
    /// The enumeration a text accumulator is one of.
    pub choice: Option<u16>,
    pub span: Span,
}

/// How long an accumulator keeps its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccScope {
    /// `per patient per year`: reset at each patient and calendar year of
    /// discharge_date.
    PatientYear,
    /// `per patient`: kept over the patient's claims of the whole run (and
    /// carried from one run to the next by state files).
    Patient,
}

impl Accumulator {
    /// Whether the value is carried past a year end (patient memory).
    pub fn whole_run(&self) -> bool {
        self.scope == AccScope::Patient
    }
}

/// A value assigned to an accumulator with `NAME = expr`, by its type.
#[derive(Debug, Clone)]
pub enum AccExpr {
    Num(Num),
    Bool(Bool),
    Date(DateX),
    Text(TextX),
}

#[derive(Debug, Clone)]
pub struct ExtraField {
    pub name: String,
    pub ty: Ty,
    /// For a column of an enumeration's type: its values, which every row
    /// must hold one of (the enumeration is [`ExtraField::choice`]).
    pub values: Option<Vec<String>>,
    pub choice: Option<u16>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub ty: Ty,
    /// The enumeration a text output or ledger amount is one of.
    pub choice: Option<u16>,
    /// `default LIT`: the value where nothing sets it (otherwise 0 for a
    /// number, absent for a text, bool or date).
    pub default: Option<ParamValue>,
    /// Computed at top level after the layers (`output x: T = expr`).
    pub defined: bool,
}

impl Output {
    /// A number, kept as a `Decimal` in the results; a text, bool or date
    /// is kept as a value that may be absent.
    pub fn is_numeric(&self) -> bool {
        self.ty.is_numeric()
    }
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
    /// When the rule is in force, as written (`None`: always).
    pub period: Option<Period>,
    /// For dated rules, whether the rule is in force in each epoch.
    pub in_force: Option<Vec<bool>>,
    pub when: Option<Bool>,
    pub body: Vec<Stmt>,
    /// The policy text the rule encodes (`cite "第十二条"`).
    pub cite: Option<String>,
    pub span: Span,
}

/// A statement; its span covers the whole statement as written.
#[derive(Debug, Clone)]
pub enum Stmt {
    SetNum(u16, Num, Span),
    SetBool(u16, Bool, Span),
    SetDate(u16, DateX, Span),
    Pay(Num, Span),
    AccAdd(u16, Num, Span),
    /// `acc = expr`: an accumulator of any type set.
    AccSet(u16, AccExpr, Span),
    SetOutput(u16, Num, Span),
    /// `budget = …` in a settle block: a ledger amount (standard or declared).
    SetLedger(u16, Num, Span),
    AddLedger(u16, Num, Span),
    /// A `let` of a `per region` block, kept for the blocks after it.
    SetRegion(u16, Num, Span),
    /// A text `let`.
    SetText(u16, TextX, Span),
    /// `base = …` in a contribute block: a standard amount
    /// ([`crate::schema::contrib`]).
    SetContrib(u16, Num, Span),
    /// `band = …` in a contribute block.
    SetBand(TextX, Span),
    /// `out = expr` for a text, bool or date output.
    SetOutputVal(u16, ValX, Span),
    /// `达标 = expr` in a settle block: a declared text, bool or date ledger
    /// amount (its column), kept coded in the row (see `eval::ledger::typed`).
    SetLedgerVal(u16, ValX, Span),
}

/// A text, bool or date expression, for what an output holds.
#[derive(Debug, Clone)]
pub enum ValX {
    Bool(Bool),
    Date(DateX),
    Text(TextX),
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
    Param(Ref),
    Claim(ClaimField),
    Inst(InstField),
    ClaimExtra(u16),
    InstExtra(u16),
    Local(u16),
    Acc(u16),
    Layer(u16),
    Output(u16),
    /// What the claim's cost (or its fee) leaves after the layers before
    /// the current one.
    Remaining,
    /// The fee of the `fee` block (0 where no rule of it applies).
    Fee,
    /// `institution_borne`: total_cost − the fee where one applies, else 0.
    Borne,
    Bin(BinOp, Box<(Num, Num)>, Span),
    Neg(Box<Num>),
    Min(Vec<Num>),
    Max(Vec<Num>),
    Clamp(Box<(Num, Num, Num)>, Span),
    If(Box<(Bool, Num, Num)>),
    Round(Box<Num>, Rounding, Span),
    Lookup(Ref, Vec<Key>, Span),
    Schedule(Ref, Box<Num>, Span),
    /// The rate of the segment an amount falls in: `rate(schedule, x)`.
    Rate(Ref, Box<Num>, Span),
    DateDiff(Box<(DateX, DateX)>),
    /// `year(d)`, `month(d)`, `day(d)`: a part of a date, a count.
    DatePart(DatePart, Box<DateX>),
    /// A ledger amount of the current unit and period.
    Ledger(u16),
    /// An aggregate of the current settle block.
    Agg(u16),
    /// A value of a `per region` block.
    Region(u16),
    /// `prior(x, fallback)`: ledger amount `x` of the unit's previous year.
    Prior(u16, Box<Num>),
    /// `assessment.score` of the unit and year.
    Score(Span),
    /// `agreement.interviews`: the institution's interviews (约谈) in the year.
    Interviews,
    /// `previous(claim.x, fallback)` of a number.
    Previous(Box<Prev<Num>>),
    /// `person.x`, `contribution.x`, `retirement.x` of a number.
    Person(PersonField),
    /// A standard amount of the current contribute block.
    Contrib(u16),
    /// `age(birth, day)`: whole years completed on `day` (周岁).
    Age(Box<(DateX, DateX)>),
}

#[derive(Debug, Clone)]
pub enum Key {
    Code(EnumX),
    Text(TextX),
    Num(Num),
    /// A condition, keying a `Dim::Bool`.
    Bool(Bool),
    /// A text proved one of enumeration `.1`'s values, keying a `Dim::Choice`.
    Choice(TextX, u16),
}

/// An enumerated field, read as its code.
#[derive(Debug, Clone, Copy)]
pub enum EnumX {
    InsuredType,
    VisitType,
    Level,
    Grade,
    Sex,
    Category,
    Const(u8),
}

#[derive(Debug, Clone)]
pub enum TextX {
    /// A text accumulator.
    Acc(u16),
    Claim(ClaimField),
    Inst(InstField),
    ClaimExtra(u16),
    InstExtra(u16),
    Param(Ref),
    Const(String),
    /// A text of [`Program::texts`].
    Pool(u32),
    Local(u16),
    /// A text output (its default where no rule set it).
    Output(u16),
    If(Box<(Bool, TextX, TextX)>),
    /// `previous(claim.x, fallback)` of a text.
    Previous(Box<Prev<TextX>>),
    /// A declared text ledger amount of the current unit and period (column).
    Ledger(u16),
    /// `prior(amount, fallback)` of a text ledger amount.
    Prior(u16, Box<TextX>),
    /// `person.person_id`, `contribution.employer_id`.
    Person(PersonField),
    /// `band` of the current contribute block.
    Band,
}

#[derive(Debug, Clone)]
pub enum DateX {
    /// A date accumulator.
    Acc(u16),
    Claim(ClaimField),
    ClaimExtra(u16),
    InstExtra(u16),
    Param(Ref),
    Local(u16),
    Const(Date),
    /// A date output (its default where no rule set it).
    Output(u16),
    /// `d + 15天`, `d - 1个月`.
    Shift(Box<DateShift>),
    /// `month_start(d)`: the first day of d's month.
    MonthStart(Box<DateX>),
    /// `month_end(d)`: the last day of d's month.
    MonthEnd(Box<DateX>),
    /// `previous(claim.x, fallback)` of a date.
    Previous(Box<Prev<DateX>>),
    /// A declared date ledger amount of the current unit and period (column).
    Ledger(u16),
    /// `prior(amount, fallback)` of a date ledger amount.
    Prior(u16, Box<DateX>),
    /// `person.birth_date`, `contribution.month`, `retirement.month`.
    Person(PersonField),
}

/// Which part of a date `year`, `month` or `day` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Month,
    Day,
}

impl DatePart {
    /// The function's name as written.
    pub fn name(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::Month => "month",
            DatePart::Day => "day",
        }
    }
}

/// A date moved by a whole number of days or months. Months clamp at the
/// month's end: 2025-01-31 + 1个月 is 2025-02-28.
#[derive(Debug, Clone)]
pub struct DateShift {
    pub date: DateX,
    /// The count of days or months (checked whole when the claim is run).
    pub by: Num,
    pub months: bool,
    /// `d - n`: moved back.
    pub back: bool,
    /// The `+` or `-`, for runtime errors.
    pub span: Span,
}

/// A condition.
#[derive(Debug, Clone)]
pub enum Bool {
    Const(bool),
    Retired,
    ClaimExtra(u16),
    InstExtra(u16),
    Param(Ref),
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
    /// A condition accumulator.
    Acc(u16),
    BoolEq(Box<(Bool, Bool)>),
    /// A bool output (its default where no rule set it).
    Output(u16),
    /// Two texts compared: `档 == claim.ward`.
    TextCmp(CmpOp, Box<(TextX, TextX)>),
    /// `previous(claim.x, fallback)` of a condition.
    Previous(Box<Prev<Bool>>),
    /// A declared bool ledger amount of the current unit and period (column).
    Ledger(u16),
    /// `applied(FEE)`: whether a rule of the fee block applied to the claim.
    FeeApplied,
    /// `prior(amount, fallback)` of a bool ledger amount.
    Prior(u16, Box<Bool>),
    /// `claim.suspended`: discharged while its institution's payments were suspended.
    Suspended,
    /// `claim.terminated`: discharged on or after its institution's termination.
    ClaimTerminated,
    /// `agreement.terminated`: the unit's agreement ended on or before the period's last day.
    UnitTerminated,
}
