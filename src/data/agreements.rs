//! `agreement_actions.csv` → [`AgreementActions`]: what the agency did to an
//! institution under its agreement (协议管理: 约谈 interview, 暂停拨付
//! suspend, 解除协议 terminate), each from a day and until a day or
//! open-ended. Like institutions, the file is small, so any bad row fails
//! the load, listed with its line.

use super::institutions::{all_or_nothing, open_small_csv};
use super::money::trim;
use super::records::Record;
use super::{coded, encoding_message, row_error, shown, DataError, Institutions, RowError};
use crate::date::Date;
use crate::schema::EnumKind;

/// One action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementAction {
    /// Index into [`Institutions::rows`].
    pub institution: u32,
    /// Code of [`EnumKind::AgreementAction`].
    pub action: u8,
    /// First day in force.
    pub from: Date,
    /// Last day in force; `None`: open-ended.
    pub until: Option<Date>,
    /// 违规事由, may be empty.
    pub reason: String,
    pub line: u64,
}

/// The actions, by institution (file order), then first day.
#[derive(Debug, Default)]
pub struct AgreementActions {
    pub rows: Vec<AgreementAction>,
    pub decoded_from: Option<&'static str>,
}

impl AgreementActions {
    /// An institution's actions, by first day.
    pub fn of(&self, institution: u32) -> &[AgreementAction] {
        let lo = self.rows.partition_point(|a| a.institution < institution);
        let hi = self.rows.partition_point(|a| a.institution <= institution);
        &self.rows[lo..hi]
    }
}

pub const COLUMNS: &[&str] = &["institution_id", "action", "from", "until", "reason"];

/// Reads the actions against the institutions; any bad row fails the load.
pub fn load_agreement_actions(
    input: &super::Input,
    insts: &Institutions,
) -> Result<AgreementActions, (DataError, Vec<RowError>)> {
    let path = input.path();
    let mut file = open_small_csv(input, COLUMNS)?;
    let mut out = AgreementActions {
        decoded_from: file.decoded_from,
        ..AgreementActions::default()
    };
    let mut errors = Vec::new();
    let mut rec = Record::default();
    while file.next(&mut rec, &mut errors)? {
        match parse_row(&rec, &file.idx, file.width, insts) {
            Ok(a) => out.rows.push(a),
            Err(reason) => errors.push(row_error(path, &rec, reason)),
        }
    }
    file.finish().map_err(|e| (e, vec![]))?;
    out.rows.sort_by_key(|a| (a.institution, a.from, a.line));
    errors.extend(consistency(path, &out.rows, insts));
    errors.sort_by_key(|e| e.line);
    all_or_nothing(path, out, errors, "agreement action")
}

fn parse_row(
    rec: &Record,
    idx: &[usize],
    width: usize,
    insts: &Institutions,
) -> Result<AgreementAction, String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| trim(rec.get(idx[i]).unwrap_or(b""));
    let shown = |i: usize| shown(field(i));
    let institution = insts.index_of(field(0)).ok_or_else(|| {
        format!(
            "institution_id `{}` is not in the institutions file",
            shown(0)
        )
    })?;
    let action = coded(EnumKind::AgreementAction, "action", field(1))?;
    let date = |i: usize| {
        Date::parse(field(i))
            .ok_or_else(|| format!("{} `{}` is not a date (YYYY-MM-DD)", COLUMNS[i], shown(i)))
    };
    let from = date(2)?;
    let until = match field(3) {
        b"" => None,
        _ => Some(date(3)?),
    };
    if let Some(u) = until.filter(|u| *u < from) {
        return Err(format!("until {u} is before from {from}"));
    }
    if let (TERMINATE, Some(u)) = (action, until) {
        return Err(format!(
            "a termination has no last day (until {u}): leave until empty"
        ));
    }
    let reason = std::str::from_utf8(field(4))
        .map_err(|_| format!("reason: {}", encoding_message(field(4))))?
        .to_string();
    Ok(AgreementAction {
        institution,
        action,
        from,
        until,
        reason,
        line: rec.line,
    })
}

const SUSPEND: u8 = 1;
const TERMINATE: u8 = 2;

/// What one institution's actions are, read together: its suspensions do
/// not overlap, nor share a month (a month's held money belongs to one
/// suspension); it is terminated at most once, and nothing is suspended
/// from the termination on.
fn consistency(
    path: &std::path::Path,
    rows: &[AgreementAction],
    insts: &Institutions,
) -> Vec<RowError> {
    let mut out = Vec::new();
    let name = |i: u32| insts.rows.get(i as usize).map_or("?", |r| r.id.as_str());
    let mut err = |line: u64, reason: String| {
        out.push(RowError {
            file: path.to_path_buf(),
            line,
            reason,
            raw: Vec::new(),
        })
    };
    let mut i = 0;
    while i < rows.len() {
        let inst = rows[i].institution;
        let end = i + rows[i..].partition_point(|a| a.institution == inst);
        let mine = &rows[i..end];
        let terminations: Vec<&AgreementAction> =
            mine.iter().filter(|a| a.action == TERMINATE).collect();
        for t in terminations.iter().skip(1) {
            err(
                t.line,
                format!(
                    "{} is terminated a second time (first on line {}); nothing records it being designated again",
                    name(inst),
                    terminations[0].line
                ),
            );
        }
        let mut last: Option<&AgreementAction> = None;
        for s in mine.iter().filter(|a| a.action == SUSPEND) {
            if let Some(t) = terminations.first().filter(|t| s.from >= t.from) {
                err(
                    s.line,
                    format!(
                        "a suspension of {} from {}, after its termination on {} (line {})",
                        name(inst),
                        s.from,
                        t.from,
                        t.line
                    ),
                );
            }
            if let Some(p) = last {
                match p.until {
                    None => err(s.line, format!("{}'s suspension on line {} is open-ended, so this one overlaps it; give that one its `until`", name(inst), p.line)),
                    Some(u) if u >= s.from => err(s.line, format!("overlaps {}'s suspension on line {} ({} to {u})", name(inst), p.line, p.from)),
                    Some(u) if u.year_month() == s.from.year_month() => err(s.line, format!("starts in the month {}'s suspension on line {} ends ({u}): a month's held money is released with one suspension; merge them", name(inst), p.line)),
                    _ => {}
                }
            }
            last = Some(s);
        }
        i = end;
    }
    out
}

/// The actions of every institution as the engine reads them while
/// settling: empty when the run has no agreement actions.
#[derive(Debug, Clone, Default)]
pub struct AgreementBook {
    /// By institution index.
    pub by_inst: Vec<InstAgreement>,
}

/// One institution's suspensions, termination and interviews.
#[derive(Debug, Clone, Default)]
pub struct InstAgreement {
    /// By first day; they neither overlap nor share a month.
    pub suspensions: Vec<Suspension>,
    /// The day the agreement ends, and the line of the action.
    pub terminated: Option<(Date, u64)>,
    /// The interviews' first days, in order.
    pub interviews: Vec<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspension {
    pub from: Date,
    pub until: Option<Date>,
    pub line: u64,
}

impl AgreementBook {
    pub fn new(actions: &AgreementActions, n_insts: usize) -> AgreementBook {
        let mut by_inst = vec![InstAgreement::default(); n_insts];
        for a in &actions.rows {
            let Some(b) = by_inst.get_mut(a.institution as usize) else {
                continue;
            };
            match a.action {
                SUSPEND => b.suspensions.push(Suspension {
                    from: a.from,
                    until: a.until,
                    line: a.line,
                }),
                TERMINATE => {
                    b.terminated.get_or_insert((a.from, a.line));
                }
                _ => b.interviews.push(a.from),
            }
        }
        AgreementBook { by_inst }
    }

    /// Whether the institution's payments are suspended on `day`.
    pub fn suspended(&self, inst: u32, day: Date) -> bool {
        self.by_inst.get(inst as usize).is_some_and(|b| {
            b.suspensions
                .iter()
                .any(|s| s.from <= day && s.until.is_none_or(|u| day <= u))
        })
    }

    /// The day the institution's agreement ends, if it is terminated.
    pub fn terminated_on(&self, inst: u32) -> Option<Date> {
        self.by_inst
            .get(inst as usize)
            .and_then(|b| b.terminated.map(|t| t.0))
    }

    /// Whether care at the institution on `day` is no longer paid by the fund.
    pub fn terminated(&self, inst: u32, day: Date) -> bool {
        self.terminated_on(inst).is_some_and(|t| day >= t)
    }

    /// The institution's interviews in `year`.
    pub fn interviews_in(&self, inst: u32, year: i32) -> u32 {
        self.by_inst.get(inst as usize).map_or(0, |b| {
            b.interviews
                .iter()
                .filter(|d| d.year_month().0 == year)
                .count() as u32
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::data::{load_institutions_from, Input};

    fn insts() -> Institutions {
        let text = "institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled\n\
                    H1,A,1,A,,100.00,10.00,5\nH2,B,2,B,,100.00,10.00,5\n";
        load_institutions_from(&Input::bytes("i.csv", text.as_bytes().to_vec()), &[]).unwrap()
    }

    fn load(rows: &str) -> Result<AgreementActions, (DataError, Vec<RowError>)> {
        let text = format!("institution_id,action,from,until,reason\n{rows}");
        load_agreement_actions(&Input::bytes("a.csv", text.into_bytes()), &insts())
    }

    #[test]
    fn actions_are_kept_by_institution_then_day() {
        let a = load(
            "H2,terminate,2025-07-01,,违规\n\
             H1,suspend,2025-03-01,2025-05-31,\n\
             H1,interview,2025-01-10,2025-01-10,问询\n",
        )
        .unwrap();
        let h1: Vec<(&str, String)> = a
            .of(0)
            .iter()
            .map(|x| {
                (
                    EnumKind::AgreementAction.name_of(x.action),
                    x.from.to_string(),
                )
            })
            .collect();
        assert_eq!(
            h1,
            [
                ("interview", "2025-01-10".to_string()),
                ("suspend", "2025-03-01".to_string())
            ]
        );
        let h2 = &a.of(1)[0];
        assert_eq!((h2.until, h2.reason.as_str()), (None, "违规"));
    }

    #[test]
    fn any_bad_row_fails_the_load_with_its_line_and_reason() {
        let (_, errors) = load(
            "H9,suspend,2025-03-01,,\n\
             H1,warn,2025-03-01,,\n\
             H1,suspend,2025-03-01,2025-02-28,\n\
             H1,suspend,2025-02-30,,\n",
        )
        .unwrap_err();
        let reasons: Vec<(u64, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (2, "institution_id `H9` is not in the institutions file"),
                (
                    3,
                    "unknown action `warn` (expected \"interview\", \"suspend\", \"terminate\")"
                ),
                (4, "until 2025-02-28 is before from 2025-03-01"),
                (5, "from `2025-02-30` is not a date (YYYY-MM-DD)"),
            ]
        );
    }
}
