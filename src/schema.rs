//! The data contract (`shared/data-contract.md`) as code: the claim and
//! institution fields a policy may name, their types, and the values of the
//! enumerated fields with their Chinese aliases.
//!
//! The checker resolves `claim.x` / `institution.x` against these tables and
//! the loader parses columns by them, so the two can never disagree.

use crate::check::types::Ty;

/// A field with a closed set of values, stored as a small code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnumKind {
    InsuredType,
    VisitType,
    Level,
    Grade,
    /// persons.csv `sex`.
    Sex,
    /// contributions.csv `category`.
    Category,
    /// agreement_actions.csv `action`.
    AgreementAction,
}

/// A bool as data files write it: `true` / `false`, or 是 / 否.
pub fn bool_of_data(bytes: &[u8]) -> Option<bool> {
    match bytes {
        b"true" => Some(true),
        b"false" => Some(false),
        _ if bytes == "是".as_bytes() => Some(true),
        _ if bytes == "否".as_bytes() => Some(false),
        _ => None,
    }
}

impl EnumKind {
    /// The values in code order: (canonical spelling, aliases).
    pub fn values(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            EnumKind::InsuredType => &[("employee", &["职工"]), ("resident", &["居民"])],
            EnumKind::VisitType => &[
                ("inpatient", &["住院"]),
                ("outpatient_chronic", &["门诊慢特病"]),
                ("outpatient_general", &["门诊统筹"]),
            ],
            EnumKind::Level => &[("1", &["一级"]), ("2", &["二级"]), ("3", &["三级"])],
            EnumKind::Grade => &[("A", &[]), ("B", &[]), ("C", &[])],
            EnumKind::Sex => &[("male", &["男"]), ("female", &["女"])],
            EnumKind::Category => &[
                ("employee", &["在职职工"]),
                ("flexible", &["灵活就业人员"]),
                ("retired", &["退休人员"]),
            ],
            EnumKind::AgreementAction => &[
                ("interview", &["约谈"]),
                ("suspend", &["暂停拨付"]),
                ("terminate", &["解除协议"]),
            ],
        }
    }

    /// The code of a value written in a policy (canonical name or alias).
    pub fn code_of(self, text: &str) -> Option<u8> {
        self.values()
            .iter()
            .position(|(name, aliases)| *name == text || aliases.contains(&text))
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The code of a value read from data: as in a policy, the canonical
    /// name or its Chinese one (住院 is inpatient in a file as in a rule).
    pub fn code_of_data(self, bytes: &[u8]) -> Option<u8> {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| self.code_of(t))
    }

    pub fn name_of(self, code: u8) -> &'static str {
        self.values().get(code as usize).map_or("?", |v| v.0)
    }

    /// The field this set of values belongs to, as written in a policy.
    pub fn field_name(self) -> &'static str {
        match self {
            EnumKind::InsuredType => "insured_type",
            EnumKind::VisitType => "visit_type",
            EnumKind::Level => "level",
            EnumKind::Grade => "grade",
            EnumKind::Sex => "sex",
            EnumKind::Category => "category",
            EnumKind::AgreementAction => "action",
        }
    }

    /// How many values the field has.
    pub fn count(self) -> usize {
        self.values().len()
    }

    pub fn describe(self) -> String {
        self.values()
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A claim column of the data contract (and one derived field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimField {
    ClaimId,
    PatientId,
    InsuredType,
    Retired,
    Age,
    InstitutionId,
    VisitType,
    AdmitDate,
    DischargeDate,
    TotalCost,
    SelfPayCost,
    DrugCost,
    DiseaseCode,
    DrgCode,
    /// discharge_date − admit_date, in days (derived, not a column)
    LengthOfStay,
}

pub const CLAIM_FIELDS: &[(&str, ClaimField, Ty)] = &[
    ("claim_id", ClaimField::ClaimId, Ty::Text),
    ("patient_id", ClaimField::PatientId, Ty::Text),
    (
        "insured_type",
        ClaimField::InsuredType,
        Ty::Enum(EnumKind::InsuredType),
    ),
    ("retired", ClaimField::Retired, Ty::Bool),
    ("age", ClaimField::Age, Ty::Count),
    ("institution_id", ClaimField::InstitutionId, Ty::Text),
    (
        "visit_type",
        ClaimField::VisitType,
        Ty::Enum(EnumKind::VisitType),
    ),
    ("admit_date", ClaimField::AdmitDate, Ty::Date),
    ("discharge_date", ClaimField::DischargeDate, Ty::Date),
    ("total_cost", ClaimField::TotalCost, Ty::Money),
    ("self_pay_cost", ClaimField::SelfPayCost, Ty::Money),
    ("drug_cost", ClaimField::DrugCost, Ty::Money),
    ("disease_code", ClaimField::DiseaseCode, Ty::Text),
    ("drg_code", ClaimField::DrgCode, Ty::Text),
    ("length_of_stay", ClaimField::LengthOfStay, Ty::Days),
];

/// An institution column of the data contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstField {
    InstitutionId,
    Name,
    Level,
    Grade,
    AllianceId,
    AnnualBudget,
    PriorYearMonthlyAvg,
    Enrolled,
}

pub const INST_FIELDS: &[(&str, InstField, Ty)] = &[
    ("institution_id", InstField::InstitutionId, Ty::Text),
    ("name", InstField::Name, Ty::Text),
    ("level", InstField::Level, Ty::Enum(EnumKind::Level)),
    ("grade", InstField::Grade, Ty::Enum(EnumKind::Grade)),
    ("alliance_id", InstField::AllianceId, Ty::Text),
    ("annual_budget", InstField::AnnualBudget, Ty::Money),
    (
        "prior_year_monthly_avg",
        InstField::PriorYearMonthlyAvg,
        Ty::Money,
    ),
    ("enrolled", InstField::Enrolled, Ty::Count),
];

/// The standard institution ledger: the amounts every policy's settlement
/// fills (zero when unused), so that regions can be compared column by
/// column. Each is a settle-block name; `clearing_balance` is computed by
/// yibao from the others (see [`crate::eval::ledger`]).
pub mod ledger {
    pub const BUDGET: u16 = 0;
    pub const PREPAID: u16 = 1;
    pub const ROUTINE_PAID: u16 = 2;
    pub const WITHHELD: u16 = 3;
    pub const WITHHOLD_RETURNED: u16 = 4;
    pub const DEDUCTIONS: u16 = 5;
    pub const SURPLUS: u16 = 6;
    pub const RESERVE: u16 = 7;
    pub const RETAINED: u16 = 8;
    pub const OVERSPEND: u16 = 9;
    pub const FUND_SHARE: u16 = 10;
    pub const INSTITUTION_SHARE: u16 = 11;
    pub const CLEARING_BALANCE: u16 = 12;
    pub const RESERVE_USED: u16 = 13;
    pub const RESERVE_OPENING: u16 = 14;
    pub const RESERVE_CLOSING: u16 = 15;
    /// 暂停拨付暂扣: what a month block holds back from an institution
    /// under suspension (set by the policy, month rows; the year sums them).
    pub const HELD: u16 = 16;
    /// Held money paid out in the month the agreement block says (computed).
    pub const RELEASED: u16 = 17;
    /// Held money kept by the fund at a termination (computed).
    pub const FORFEITED: u16 = 18;
    /// Held money neither released nor forfeited at the period's end (computed).
    pub const HELD_CLOSING: u16 = 19;
    /// The agreement columns: written only for a policy with `agreement` blocks.
    pub const AGREEMENT: [u16; 4] = [HELD, RELEASED, FORFEITED, HELD_CLOSING];

    /// What `clearing_balance` is computed from: `withhold_returned +
    /// retained − institution_share − deductions − prepaid`.
    pub const CLEARING_INPUTS: [u16; 5] = [
        WITHHOLD_RETURNED,
        RETAINED,
        INSTITUTION_SHARE,
        DEDUCTIONS,
        PREPAID,
    ];

    /// What `reserve_closing` is computed from besides `reserve_opening`
    /// (known before the year's blocks run): `reserve − reserve_used`.
    pub const RESERVE_CLOSING_INPUTS: [u16; 2] = [RESERVE, RESERVE_USED];

    /// The amounts yibao computes, which no statement may set.
    pub const COMPUTED: [u16; 6] = [
        CLEARING_BALANCE,
        RESERVE_OPENING,
        RESERVE_CLOSING,
        RELEASED,
        FORFEITED,
        HELD_CLOSING,
    ];

    /// The amounts `col` is computed from (within its period), if computed.
    pub fn computed_from(col: u16) -> Option<&'static [u16]> {
        match col {
            CLEARING_BALANCE => Some(&CLEARING_INPUTS),
            RESERVE_CLOSING => Some(&RESERVE_CLOSING_INPUTS),
            RESERVE_OPENING | RELEASED | FORFEITED | HELD_CLOSING => Some(&[]),
            _ => None,
        }
    }

    /// Amounts paid month by month when a month block sets them: a year row
    /// must then be the sum of its months.
    pub const MONTHLY_CASH: [u16; 3] = [ROUTINE_PAID, WITHHELD, HELD];

    /// `(name, 中文, meaning)`, in column order; the index is the constant above.
    pub const COLUMNS: &[(&str, &str, &str)] = &[
        (
            "budget",
            "预算总额",
            "the year's budget or entitlement (总额, capitation, points × point value)",
        ),
        (
            "prepaid",
            "预付金",
            "paid in advance at the start of the year, recovered at the clearing",
        ),
        (
            "routine_paid",
            "日常结算",
            "what routine (monthly) settlement owed the institution",
        ),
        (
            "withheld",
            "质量保证金",
            "the part of routine payments held back",
        ),
        (
            "withhold_returned",
            "保证金返还",
            "withheld money returned after assessment",
        ),
        (
            "deductions",
            "扣款",
            "deductions, e.g. from indicator controls",
        ),
        (
            "surplus",
            "结余",
            "budget − actual spending, when below budget",
        ),
        (
            "reserve",
            "风险金",
            "the part of the surplus set aside as risk reserve",
        ),
        (
            "retained",
            "结余留用",
            "the part of the surplus the institution keeps (paid to it)",
        ),
        (
            "overspend",
            "超支",
            "actual spending − budget, when above budget",
        ),
        (
            "fund_share",
            "基金分担",
            "the part of the overspend the fund bears",
        ),
        (
            "institution_share",
            "机构分担",
            "the part of the overspend the institution bears (clawed back)",
        ),
        (
            "clearing_balance",
            "清算差额",
            "what the fund still owes (+) or claws back (−) at the year end",
        ),
        (
            "reserve_used",
            "风险金使用",
            "the part of the overspend the unit's risk reserve absorbs",
        ),
        (
            "reserve_opening",
            "期初风险金",
            "the unit's risk reserve carried from the previous year (its reserve_closing)",
        ),
        (
            "reserve_closing",
            "期末风险金",
            "the risk reserve carried to the next year: reserve_opening + reserve − reserve_used",
        ),
        (
            "held",
            "暂停拨付",
            "payment held back from an institution while its payments are suspended",
        ),
        (
            "released",
            "暂扣返还",
            "held money paid out, in the month the agreement block says",
        ),
        (
            "forfeited",
            "暂扣没收",
            "held money the fund keeps because the agreement was terminated first",
        ),
        (
            "held_closing",
            "期末暂扣",
            "held money neither released nor forfeited at the period's end, carried on",
        ),
    ];
}

/// A value of a person or a contribution month that a `contribute` block
/// reads: `person.x` (persons.csv), `contribution.x` (the month's row of
/// contributions.csv), `retirement.x` (what the engine counts at the
/// retirement month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonField {
    PersonId,
    Sex,
    BirthDate,
    DeemedMonths,
    PriorPaidMonths,
    /// The contribution month, as its first day.
    Month,
    Category,
    Wage,
    EmployerId,
    /// The retirement month, as its first day.
    RetirementMonth,
    /// employee and flexible months in the file before the retirement month.
    MonthsInFile,
    /// prior_paid_months + months_in_file (实际缴费月数).
    PaidMonths,
    /// deemed_months + paid_months (累计缴费月数).
    CountedMonths,
}

/// `person.x`: (name, 中文, field, type).
pub const PERSON_FIELDS: &[(&str, PersonField, Ty)] = &[
    ("person_id", PersonField::PersonId, Ty::Text),
    ("sex", PersonField::Sex, Ty::Enum(EnumKind::Sex)),
    ("birth_date", PersonField::BirthDate, Ty::Date),
    ("deemed_months", PersonField::DeemedMonths, Ty::Months),
    (
        "prior_paid_months",
        PersonField::PriorPaidMonths,
        Ty::Months,
    ),
];

/// `contribution.x`, in a `per month` block.
pub const CONTRIBUTION_FIELDS: &[(&str, PersonField, Ty)] = &[
    ("month", PersonField::Month, Ty::Date),
    (
        "category",
        PersonField::Category,
        Ty::Enum(EnumKind::Category),
    ),
    ("wage", PersonField::Wage, Ty::Money),
    ("employer_id", PersonField::EmployerId, Ty::Text),
];

/// `retirement.x`, in an `at retirement` block.
pub const RETIREMENT_FIELDS: &[(&str, PersonField, Ty)] = &[
    ("month", PersonField::RetirementMonth, Ty::Date),
    ("months_in_file", PersonField::MonthsInFile, Ty::Months),
    ("paid_months", PersonField::PaidMonths, Ty::Months),
    ("counted_months", PersonField::CountedMonths, Ty::Months),
];

/// The standard amounts of `contribute` blocks: what every region's
/// contribution rules fill, so regions compare column by column.
pub mod contrib {
    use crate::check::types::Ty;

    pub const BASE: u16 = 0;
    pub const EMPLOYER: u16 = 1;
    pub const EMPLOYEE: u16 = 2;
    pub const TO_ACCOUNT: u16 = 3;
    /// employer + employee − to_account (computed).
    pub const TO_POOL: u16 = 4;
    pub const AGE: u16 = 5;
    /// A text (kept apart from the numbers).
    pub const BAND: u16 = 6;
    pub const REQUIRED_MONTHS: u16 = 7;
    pub const REQUIRED_PAID_MONTHS: u16 = 8;
    /// max(required_months − counted, required_paid_months − paid, 0) (computed).
    pub const SHORTFALL: u16 = 9;
    /// `lifetime_eligible`: shortfall = 0 (computed, a condition).
    pub const ELIGIBLE: u16 = 10;
    pub const LUMP_SUM: u16 = 11;

    /// Where an amount belongs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Block {
        Month,
        Retirement,
    }

    /// (name, 中文, type, block, must be set, computed).
    pub const AMOUNTS: &[(&str, &str, Ty, Block, bool, bool)] = &[
        ("base", "缴费基数", Ty::Money, Block::Month, true, false),
        ("employer", "单位缴费", Ty::Money, Block::Month, true, false),
        ("employee", "个人缴费", Ty::Money, Block::Month, true, false),
        (
            "to_account",
            "划入个人账户",
            Ty::Money,
            Block::Month,
            true,
            false,
        ),
        (
            "to_pool",
            "划入统筹基金",
            Ty::Money,
            Block::Month,
            false,
            true,
        ),
        ("age", "年龄", Ty::Count, Block::Month, false, false),
        ("band", "划入档次", Ty::Text, Block::Month, false, false),
        (
            "required_months",
            "应缴月数",
            Ty::Months,
            Block::Retirement,
            true,
            false,
        ),
        (
            "required_paid_months",
            "应实缴月数",
            Ty::Months,
            Block::Retirement,
            true,
            false,
        ),
        (
            "shortfall",
            "缺缴月数",
            Ty::Months,
            Block::Retirement,
            false,
            true,
        ),
        (
            "lifetime_eligible",
            "享受终身待遇",
            Ty::Bool,
            Block::Retirement,
            false,
            true,
        ),
        (
            "lump_sum",
            "一次性补缴",
            Ty::Money,
            Block::Retirement,
            true,
            false,
        ),
    ];

    /// An amount by its name (English or Chinese).
    pub fn by_name(name: &str) -> Option<u16> {
        AMOUNTS
            .iter()
            .position(|a| a.0 == name || a.1 == name)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// How many numeric slots a frame keeps (every amount has one; band's and
    /// eligible's are unused).
    pub const SLOTS: usize = AMOUNTS.len();
}
