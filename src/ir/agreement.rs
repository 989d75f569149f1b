//! `agreement` blocks in the checked program: what agreement actions
//! (暂停拨付 suspension, 解除协议 termination) do to payment.

use super::{Period, Program};
use crate::date::Date;
use crate::source::Span;

/// `agreement NAME { release_after = 1个月  reapply_after = 36个月 }`.
#[derive(Debug, Clone)]
pub struct Agreement {
    pub name: String,
    pub title: Option<String>,
    /// A suspension is governed by the block in force on its last day, a
    /// termination by the one in force on its first.
    pub in_force: Option<Period>,
    /// Held money is paid in the month this many months after the month a
    /// suspension ends (0: that month itself).
    pub release_after: u32,
    /// A terminated institution may apply again this many months after the
    /// termination day.
    pub reapply_after: u32,
    pub cite: Option<String>,
    pub span: Span,
}

impl Program {
    /// Whether the policy says what agreement actions do.
    pub fn has_agreements(&self) -> bool {
        !self.agreements.is_empty()
    }

    /// The agreement block in force on `day`.
    pub fn agreement_on(&self, day: Date) -> Option<&Agreement> {
        self.agreements
            .iter()
            .find(|a| a.in_force.is_none_or(|p| p.contains(day)))
    }
}
