//! `contribute` blocks in the checked program.

use super::{Period, Program, Stmt};
use crate::date::Date;
use crate::source::Span;

/// A `contribute` block: statements run once per person and contribution
/// month (`per month`), or once per person at the retirement month.
#[derive(Debug, Clone)]
pub struct Contribute {
    pub name: String,
    pub title: Option<String>,
    pub at_retirement: bool,
    /// The block applies to a month when it is in force on the month's first day.
    pub in_force: Option<Period>,
    pub body: Vec<Stmt>,
    /// Whether the block sets `age` (for the output; `band` is absent
    /// unless set).
    pub sets_age: bool,
    pub cite: Option<String>,
    pub span: Span,
}

impl Program {
    /// Whether the policy has contribution rules.
    pub fn has_contributions(&self) -> bool {
        !self.contributes.is_empty()
    }

    /// The block of the kind that is in force on `day`, and its index.
    pub fn contribute_on(&self, at_retirement: bool, day: Date) -> Option<(u16, &Contribute)> {
        self.contributes
            .iter()
            .enumerate()
            .find(|(_, c)| {
                c.at_retirement == at_retirement && c.in_force.is_none_or(|p| p.contains(day))
            })
            .map(|(i, c)| (u16::try_from(i).unwrap_or(u16::MAX), c))
    }
}
