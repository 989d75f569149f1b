//! The person a contribute block is run for: what `person.x`,
//! `contribution.x` and `retirement.x` read, ages, and the shortfall at
//! retirement.

use super::{Cur, Frame};
use crate::date::Date;
use rust_decimal::Decimal;

/// A person being settled by a contribute block: the person, and the
/// contribution month (`per month`) or the retirement (`at retirement`).
pub(crate) struct PersonCur<'a> {
    pub persons: &'a crate::data::Persons,
    pub person: &'a crate::data::Person,
    pub contribs: &'a crate::data::Contributions,
    pub row: Option<&'a crate::data::PersonMonth>,
    /// The retirement month, and the employee and flexible months in the
    /// file before it.
    pub retirement: Option<(crate::data::Month, u32)>,
}

impl PersonCur<'_> {
    pub(crate) fn num(&self, f: crate::schema::PersonField) -> Decimal {
        use crate::schema::PersonField as P;
        let p = self.person;
        let in_file = self.retirement.map_or(0, |r| r.1);
        match f {
            P::DeemedMonths => Decimal::from(p.deemed_months),
            P::PriorPaidMonths => Decimal::from(p.prior_paid_months),
            P::Wage => self
                .row
                .map_or(Decimal::ZERO, |r| Decimal::new(r.wage_fen, 2)),
            P::MonthsInFile => Decimal::from(in_file),
            P::PaidMonths => Decimal::from(u64::from(p.prior_paid_months) + u64::from(in_file)),
            P::CountedMonths => Decimal::from(
                u64::from(p.deemed_months) + u64::from(p.prior_paid_months) + u64::from(in_file),
            ),
            _ => Decimal::ZERO,
        }
    }

    pub(crate) fn date(&self, f: crate::schema::PersonField) -> Date {
        use crate::schema::PersonField as P;
        let month = match f {
            P::BirthDate => return self.person.birth,
            P::Month => self.row.map(|r| r.month),
            _ => self.retirement.map(|r| r.0),
        };
        month.and_then(|m| m.first_day()).unwrap_or_default()
    }

    pub(crate) fn text(&self, f: crate::schema::PersonField) -> &str {
        use crate::schema::PersonField as P;
        match (f, self.row) {
            (P::EmployerId, Some(r)) => self.contribs.text(r.employer),
            (P::PersonId, _) => self.persons.text(self.person.id),
            _ => "",
        }
    }
}

/// The whole years completed on `day` by someone born on `birth` (周岁):
/// one more on each birthday (a 29 February birthday counts from 1 March in
/// other years); negative before the birth.
pub(crate) fn age_on(birth: Date, day: Date) -> i32 {
    let (by, bm, bd) = birth.ymd();
    let (y, m, d) = day.ymd();
    let years = y - by;
    if (m, d) < (bm, bd) {
        years - 1
    } else {
        years
    }
}

/// max(required_months − counted, required_paid_months − paid, 0), from
/// the frame's requirements and the person at retirement.
pub(super) fn shortfall(f: &Frame, cur: &Cur) -> Decimal {
    use crate::schema::contrib as C;
    use crate::schema::PersonField as P;
    let Some(pm) = cur.pm else {
        return Decimal::ZERO;
    };
    let total = f.contrib[C::REQUIRED_MONTHS as usize] - pm.num(P::CountedMonths);
    let paid = f.contrib[C::REQUIRED_PAID_MONTHS as usize] - pm.num(P::PaidMonths);
    total.max(paid).max(Decimal::ZERO)
}
