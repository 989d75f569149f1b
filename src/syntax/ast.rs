//! The abstract syntax tree: what the text says, before any name is resolved.
//!
//! Every node carries a [`Span`]; spans are ignored by `==`, so trees compare
//! by meaning.

use crate::date::Date;
use crate::source::Span;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// 元
    Yuan,
    /// 万元 (the value is already multiplied by 10,000)
    WanYuan,
    /// % (the value is already divided by 100)
    Percent,
    /// 天
    Days,
    /// 个月
    Months,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LitKind {
    /// A number, scaled by its unit if it has one.
    Number {
        value: Decimal,
        unit: Option<Unit>,
    },
    Date(Date),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub kind: LitKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Region {
        name: Text,
        code: Option<Text>,
        span: Span,
    },
    Notice(Text),
    Meta {
        key: Ident,
        value: Text,
    },
    Param(ParamDecl),
    Table(TableDecl),
    Schedule(ScheduleDecl),
    Accumulator(AccumulatorDecl),
    Field(FieldDecl),
    Output(OutputDecl),
    Let(LetDecl),
    Layer(LayerDecl),
    /// `ledger NAME: money` — a named amount added to the ledger.
    Ledger(OutputDecl),
    Settle(SettleDecl),
    /// `fee NAME ["title"] { rules }` — what a case is paid at, before the
    /// layers (a fixed fee per disease, a DRG weight × rate); the title is
    /// kept in `source`.
    Fee(LayerDecl),
    /// `enum NAME { "a", "b" }` — a type: a text that is one of the values.
    Enum(EnumDecl),
    /// `contribute NAME ["title"] per month|at retirement [from ..] { stmts }`
    Contribute(ContributeDecl),
    /// `agreement NAME ["title"] [from ..] [cite ..] { settings }`
    Agreement(AgreementDecl),
}

/// `agreement NAME ["title"] [from ..] [cite ..] { release_after = 1个月 … }`:
/// what agreement actions (暂停拨付, 解除协议) do to payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementDecl {
    pub name: Ident,
    pub title: Option<Text>,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `contribute NAME ["title"] per month|at retirement [from ..] [cite ..] { stmts }`:
/// contribution rules, run per person and month, or once at retirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributeDecl {
    pub name: Ident,
    pub title: Option<Text>,
    /// `at WHEN` (true) or `per WHEN` (false).
    pub at: bool,
    pub when: Ident,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `enum 档次 { "高档", "低档" }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDecl {
    pub name: Ident,
    pub values: Vec<Text>,
    pub span: Span,
}

/// `from D [until D]`: the days a declaration is in force, both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    pub from: Date,
    pub until: Option<Date>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: Ident,
    pub value: Literal,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// keyed by the values of a field, e.g. `institution.level`
    Field { object: Ident, field: Ident },
    /// keyed by an open type, e.g. `text`
    Type(Ident),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDecl {
    pub name: Ident,
    pub ty: Ident,
    pub keys: Vec<KeyKind>,
    pub rows: Vec<TableRow>,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// `None` for the `else` row.
    pub key: Option<Vec<Literal>>,
    pub value: Literal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleDecl {
    pub name: Ident,
    pub kind: Option<Ident>,
    pub segments: Vec<Segment>,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub from: Literal,
    pub to: Option<Literal>,
    pub rate: Literal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccumulatorDecl {
    pub name: Ident,
    pub ty: Ident,
    pub scope: Vec<Ident>,
    /// `default VALUE`: the value before any rule sets it.
    pub default: Option<Literal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    pub object: Ident,
    pub field: Ident,
    pub ty: Ident,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDecl {
    pub name: Ident,
    pub ty: Ident,
    /// `default LIT`: what the claim (or ledger row) holds where nothing sets it.
    pub default: Option<Literal>,
    /// `= expr`: an output computed for every claim after the layers.
    pub value: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetDecl {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDecl {
    pub name: Ident,
    pub source: Option<Text>,
    pub rules: Vec<RuleDecl>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDecl {
    pub name: Ident,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
    pub when: Option<Expr>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `settle NAME ["title"] per UNIT per PERIOD [from ..] { stmts }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleDecl {
    pub name: Ident,
    pub title: Option<Text>,
    pub scope: Vec<Ident>,
    pub in_force: Option<InForce>,
    pub cite: Option<Text>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Let(LetDecl),
    Pay { value: Expr, span: Span },
    AccAdd { acc: Ident, value: Expr },
    OutputSet { output: Ident, value: Expr },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// As written in a policy.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength in the grammar: `+ -` 5, `* /` 6 (higher binds tighter).
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// As written in a policy.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundMode {
    /// 四舍五入: half away from zero (the default).
    HalfUp,
    /// banker's rounding
    HalfEven,
    /// toward zero (舍去)
    Down,
    /// away from zero (进位)
    Up,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Literal),
    Name(Ident),
    Field {
        object: Ident,
        field: Ident,
    },
    Call {
        func: Ident,
        args: Vec<Expr>,
        /// `sum(x when cond)`: the claims an aggregate ranges over.
        filter: Option<Box<Expr>>,
    },
    Lookup {
        table: Ident,
        args: Vec<Expr>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Cmp {
        op: CmpOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Round {
        value: Box<Expr>,
        step: Option<Literal>,
        mode: RoundMode,
        suffix: Span,
    },
}
