//! `persons.csv` and `contributions.csv` → [`Persons`] and
//! [`Contributions`]: the insured people and what they contributed each
//! month (data contract, "persons.csv", "contributions.csv"), for
//! contribution rules.
//!
//! Both are read with the same care as claims: every row read is kept or
//! rejected with its line and reason, in any of the encodings claims may
//! have; every copy of a person_id (persons) or of a person and month
//! (contributions) that more than one row has is rejected, naming the
//! others' lines; a contribution of a person the persons file lacks is
//! rejected. Rows are compact (text in an arena, amounts in integer fen) and
//! kept in settlement order: persons by id (bytes), their months in order.

use super::institutions::open_small_csv;
use super::money::{parse_count, parse_money, trim};
use super::records::{LineCount, Record};
use super::{coded, encoding_message, row_error, shown, Arena, DataError, RowError, TextRef};
use crate::date::Date;
use crate::schema::EnumKind;

/// One insured person.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: TextRef,
    /// Code of [`EnumKind::Sex`].
    pub sex: u8,
    pub birth: Date,
    /// 视同缴费月数: months deemed paid before personal accounts existed.
    pub deemed_months: u32,
    /// 实际缴费月数 before the first month in contributions.csv.
    pub prior_paid_months: u32,
    /// Line in the source file, for messages.
    pub line: u64,
}

/// The good rows of a persons file, by person id (bytes).
#[derive(Debug, Default)]
pub struct Persons {
    pub rows: Vec<Person>,
    pub arena: Arena,
    /// Rows read (header excluded), good and bad.
    pub rows_read: u64,
    /// The file's physical lines: the header, the rows read, blank lines.
    pub line_count: LineCount,
    /// The file's header, for the reject file.
    pub header: Vec<String>,
    /// The encoding the file was decoded from, when it was not UTF-8.
    pub decoded_from: Option<&'static str>,
}

impl Persons {
    pub fn text(&self, r: TextRef) -> &str {
        self.arena.get(r)
    }

    /// The index of the person with this id (by binary search: the rows are
    /// in id order).
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.rows
            .binary_search_by(|p| self.text(p.id).as_bytes().cmp(id.as_bytes()))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// A month as a number: `year × 12 + month − 1`, so that months sort and
/// subtract as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        let m = i32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
        year.checked_mul(12)?.checked_add(m - 1).map(Month)
    }

    /// `YYYY-MM`.
    pub fn parse(b: &[u8]) -> Option<Month> {
        if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            return None;
        }
        let num = |r: &[u8]| r.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
        Month::new(i32::try_from(num(&b[..4])).ok()?, num(&b[5..]))
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1–12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month's first day.
    pub fn first_day(self) -> Option<Date> {
        Date::from_ymd(self.year(), self.month(), 1)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// One person's contribution for one month.
#[derive(Debug, Clone)]
pub struct PersonMonth {
    /// Index into [`Persons::rows`].
    pub person: u32,
    pub month: Month,
    /// Code of [`EnumKind::Category`].
    pub category: u8,
    /// 申报工资, in whole fen.
    pub wage_fen: i64,
    /// Empty for flexible workers and retirees.
    pub employer: TextRef,
    pub line: u64,
}

/// The good rows of a contributions file, by person (in id order), then month.
#[derive(Debug, Default)]
pub struct Contributions {
    pub rows: Vec<PersonMonth>,
    pub arena: Arena,
    pub rows_read: u64,
    pub line_count: LineCount,
    pub header: Vec<String>,
    pub decoded_from: Option<&'static str>,
}

impl Contributions {
    pub fn text(&self, r: TextRef) -> &str {
        self.arena.get(r)
    }

    /// Each person's months: `(person, rows)` for every person with any, in
    /// person order.
    pub fn by_person(&self) -> impl Iterator<Item = (u32, &[PersonMonth])> {
        self.rows
            .chunk_by(|a, b| a.person == b.person)
            .map(|run| (run[0].person, run))
    }

    /// A person's retirement month: the first whose category is `retired`.
    pub fn retirement(months: &[PersonMonth]) -> Option<Month> {
        let retired = EnumKind::Category.code_of_data(b"retired");
        months
            .iter()
            .find(|m| Some(m.category) == retired)
            .map(|m| m.month)
    }
}

pub const PERSON_COLUMNS: &[&str] = &[
    "person_id",
    "sex",
    "birth_date",
    "deemed_months",
    "prior_paid_months",
];

pub const CONTRIBUTION_COLUMNS: &[&str] =
    &["person_id", "month", "category", "wage", "employer_id"];

/// Reads every row of a persons file; good rows become persons, bad rows
/// row errors (`rows_read == rows.len() + errors.len()`), in line order.
pub fn load_persons(input: &super::Input) -> Result<(Persons, Vec<RowError>), DataError> {
    let path = input.path();
    let mut file = open_small_csv(input, PERSON_COLUMNS).map_err(|(e, _)| e)?;
    let mut out = Persons {
        decoded_from: file.decoded_from,
        header: file.names().to_vec(),
        ..Persons::default()
    };
    let mut errors = Vec::new();
    let mut rec = Record::default();
    while file.next(&mut rec, &mut errors).map_err(|(e, _)| e)? {
        match person_row(&rec, &file.idx, file.width, &mut out.arena) {
            Ok(p) => out.rows.push(p),
            Err(reason) => errors.push(row_error(path, &rec, reason)),
        }
    }
    out.rows_read = file.rows_read();
    out.line_count = file.finish()?;
    let rows = std::mem::take(&mut out.rows);
    out.rows = reject_copies(input, rows, &mut errors, "person_id", |p| {
        (out.arena.get(p.id).to_string(), p.line)
    })?;
    let arena = &out.arena;
    out.rows
        .sort_by(|a, b| arena.get(a.id).as_bytes().cmp(arena.get(b.id).as_bytes()));
    Ok((out, errors))
}

/// Reads every row of a contributions file against the persons; as
/// [`load_persons`], and a row of a person `persons` lacks is rejected.
pub fn load_contributions(
    input: &super::Input,
    persons: &Persons,
) -> Result<(Contributions, Vec<RowError>), DataError> {
    let path = input.path();
    let mut file = open_small_csv(input, CONTRIBUTION_COLUMNS).map_err(|(e, _)| e)?;
    let mut out = Contributions {
        decoded_from: file.decoded_from,
        header: file.names().to_vec(),
        ..Contributions::default()
    };
    let mut errors = Vec::new();
    let mut rec = Record::default();
    let mut last = None;
    while file.next(&mut rec, &mut errors).map_err(|(e, _)| e)? {
        match contribution_row(
            &rec,
            &file.idx,
            file.width,
            persons,
            &mut out.arena,
            &mut last,
        ) {
            Ok(c) => out.rows.push(c),
            Err(reason) => errors.push(row_error(path, &rec, reason)),
        }
    }
    out.rows_read = file.rows_read();
    out.line_count = file.finish()?;
    dedupe(input, persons, &mut out, &mut errors)?;
    Ok((out, errors))
}

/// Puts the rows in (person, month) order and rejects every copy of a
/// person+month, by the numeric key: no text per row, so a province's file
/// costs its rows and nothing more.
pub(super) fn dedupe(
    input: &super::Input,
    persons: &Persons,
    out: &mut Contributions,
    errors: &mut Vec<RowError>,
) -> Result<(), DataError> {
    out.rows
        .sort_unstable_by_key(|c| (c.person, c.month, c.line));
    let mut copies: Vec<(u64, String)> = Vec::new();
    for run in out
        .rows
        .chunk_by(|a, b| (a.person, a.month) == (b.person, b.month))
        .filter(|r| r.len() > 1)
    {
        let key = format!(
            "{} {}",
            persons
                .rows
                .get(run[0].person as usize)
                .map_or("", |p| persons.text(p.id)),
            run[0].month
        );
        for c in run {
            let others = run.iter().filter(|o| o.line != c.line).map(|o| o.line);
            copies.push((
                c.line,
                super::duplicates::reason("person_id and month", &key, others, run.len() - 1),
            ));
        }
    }
    if !copies.is_empty() {
        let dup: std::collections::HashSet<u64> = copies.iter().map(|c| c.0).collect();
        out.rows.retain(|c| !dup.contains(&c.line));
        copies.sort_by_key(|a| a.0);
        errors.extend(super::claims::reread(input, &copies)?);
        errors.sort_by_key(|e| e.line);
    }
    Ok(())
}

/// Rejects every copy of a key more than one row has (see
/// [`super::duplicates`]): the copies leave `rows` for `errors`, their
/// fields read again from the file, and the errors are put in line order.
fn reject_copies<T>(
    input: &super::Input,
    rows: Vec<T>,
    errors: &mut Vec<RowError>,
    what: &str,
    key: impl Fn(&T) -> (String, u64),
) -> Result<Vec<T>, DataError> {
    let keys: Vec<(String, u64)> = rows.iter().map(key).collect();
    let dups = super::duplicates::find(keys.len(), |i| keys[i].0.as_str(), |i| keys[i].1, what);
    if dups.is_empty() {
        return Ok(rows);
    }
    let mut copy = vec![false; rows.len()];
    let mut again = Vec::with_capacity(dups.len());
    for (i, reason) in dups {
        copy[i] = true;
        again.push((keys[i].1, reason));
    }
    again.sort_by_key(|a| a.0);
    errors.extend(super::claims::reread(input, &again)?);
    errors.sort_by_key(|e| e.line);
    Ok(rows
        .into_iter()
        .zip(copy)
        .filter(|(_, c)| !c)
        .map(|(r, _)| r)
        .collect())
}

fn person_row(
    rec: &Record,
    idx: &[usize],
    width: usize,
    arena: &mut Arena,
) -> Result<Person, String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| trim(rec.get(idx[i]).unwrap_or(b""));
    let shown = |i: usize| shown(field(i));
    let id = std::str::from_utf8(field(0))
        .map_err(|_| format!("person_id: {}", encoding_message(field(0))))?;
    if id.is_empty() {
        return Err("person_id is empty".into());
    }
    let sex = coded(EnumKind::Sex, "sex", field(1))?;
    let birth = Date::parse(field(2))
        .ok_or_else(|| format!("birth_date `{}` is not a date (YYYY-MM-DD)", shown(2)))?;
    let count = |i: usize| {
        parse_count(field(i)).map_err(|r| format!("{} `{}`: {r}", PERSON_COLUMNS[i], shown(i)))
    };
    let (deemed_months, prior_paid_months) = (count(3)?, count(4)?);
    Ok(Person {
        id: arena.push(id)?,
        sex,
        birth,
        deemed_months,
        prior_paid_months,
        line: rec.line,
    })
}

pub(super) fn contribution_row(
    rec: &Record,
    idx: &[usize],
    width: usize,
    persons: &Persons,
    arena: &mut Arena,
    last: &mut Option<u32>,
) -> Result<PersonMonth, String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| trim(rec.get(idx[i]).unwrap_or(b""));
    let shown = |i: usize| shown(field(i));
    let text = |i: usize| {
        std::str::from_utf8(field(i)).map_err(|_| {
            format!(
                "{}: {}",
                CONTRIBUTION_COLUMNS[i],
                encoding_message(field(i))
            )
        })
    };
    let id = text(0)?;
    if id.is_empty() {
        return Err("person_id is empty".into());
    }
    // Files come grouped by person: the last person found is tried first.
    let person = match *last {
        Some(i)
            if persons
                .rows
                .get(i as usize)
                .is_some_and(|p| persons.text(p.id) == id) =>
        {
            i
        }
        _ => persons
            .index_of(id)
            .ok_or_else(|| format!("person_id `{}` is not in the persons file", shown(0)))?,
    };
    *last = Some(person);
    let month = Month::parse(field(1))
        .ok_or_else(|| format!("month `{}` is not a month (YYYY-MM)", shown(1)))?;
    let kind = EnumKind::Category;
    let category = coded(kind, "category", field(2))?;
    let wage = parse_money(field(3)).map_err(|r| format!("wage `{}`: {r}", shown(3)))?;
    let wage_fen = super::money::to_fen(wage)
        .ok_or_else(|| format!("wage `{}` is not a whole number of fen", shown(3)))?;
    let employer = text(4)?;
    match kind.name_of(category) {
        "retired" if wage_fen != 0 => {
            return Err(format!(
                "wage `{}` on a retired row: retirees' rows carry a wage of 0.00",
                shown(3)
            ))
        }
        "employee" if employer.is_empty() => {
            return Err("employer_id is empty on an employee row".into())
        }
        "flexible" | "retired" if !employer.is_empty() => {
            return Err(format!(
                "employer_id `{}` on a {} row: flexible workers and retirees have none",
                shown(4),
                kind.name_of(category)
            ))
        }
        _ => {}
    }
    Ok(PersonMonth {
        person,
        month,
        category,
        wage_fen,
        employer: arena.push(employer)?,
        line: rec.line,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::data::Input;

    const PERSONS: &str = "person_id,sex,birth_date,deemed_months,prior_paid_months\n";
    const CONTRIBUTIONS: &str = "person_id,month,category,wage,employer_id\n";

    fn persons(rows: &str) -> (Persons, Vec<RowError>) {
        load_persons(&Input::bytes(
            "persons.csv",
            format!("{PERSONS}{rows}").into_bytes(),
        ))
        .unwrap()
    }

    /// A persons file saved by a Chinese spreadsheet (GB18030) is decoded,
    /// and says so.
    #[test]
    fn a_gb18030_persons_file_is_decoded() {
        let text = format!("{PERSONS}张三,male,1970-01-01,0,0\n");
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let (p, errors) = load_persons(&Input::bytes("persons.csv", bytes.into_owned())).unwrap();
        assert!(errors.is_empty());
        assert_eq!(p.text(p.rows[0].id), "张三");
        assert!(p.decoded_from.is_some_and(|e| e.starts_with("GB")));
    }

    #[test]
    fn months_count_as_numbers_and_print_as_written() {
        let m = Month::parse(b"2024-12").unwrap();
        assert_eq!((m.year(), m.month()), (2024, 12));
        assert_eq!(Month::parse(b"2025-01").unwrap().0 - m.0, 1);
        assert_eq!(m.to_string(), "2024-12");
        assert_eq!(m.first_day(), Date::from_ymd(2024, 12, 1));
        for bad in [
            "2024-13",
            "2024-00",
            "2024-1",
            "24-01",
            "2024/01",
            "2024-01-01",
            "２０２４-01",
        ] {
            assert_eq!(Month::parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn persons_are_kept_in_id_order_and_every_bad_row_is_named() {
        let (p, errors) = persons(
            "P2,female,1980-02-29,120,36\n\
             P10,male,1990-01-01,0,0\n\
             P3,other,1990-01-01,0,0\n\
             P4,male,1990-02-30,0,0\n\
             P5,male,1990-01-01,-1,0\n\
             ,male,1990-01-01,0,0\n\
             P1,male,1961-07-15,0,300\n",
        );
        let ids: Vec<&str> = p.rows.iter().map(|r| p.text(r.id)).collect();
        assert_eq!(ids, ["P1", "P10", "P2"]);
        assert_eq!(p.rows_read, 7);
        let reasons: Vec<(u64, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons[0],
            (4, "unknown sex `other` (expected \"male\", \"female\")")
        );
        assert_eq!(
            reasons[1],
            (5, "birth_date `1990-02-30` is not a date (YYYY-MM-DD)")
        );
        assert!(
            reasons[2].1.starts_with("deemed_months `-1`"),
            "{reasons:?}"
        );
        assert_eq!(reasons[3], (7, "person_id is empty"));
        assert_eq!(p.index_of("P2"), Some(2));
        assert_eq!(p.index_of("P9"), None);
        let p2 = &p.rows[2];
        assert_eq!((p2.deemed_months, p2.prior_paid_months), (120, 36));
    }

    #[test]
    fn every_copy_of_a_person_or_a_person_month_is_rejected_naming_the_others() {
        let (p, errors) = persons(
            "A,male,1970-01-01,0,0\n\
             B,female,1975-01-01,0,0\n\
             A,male,1970-01-01,0,0\n",
        );
        assert_eq!(p.rows.len(), 1);
        let reasons: Vec<(u64, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (2, "duplicate person_id `A`: also on line 4"),
                (4, "duplicate person_id `A`: also on line 2")
            ]
        );
        let text = format!(
            "{CONTRIBUTIONS}B,2024-01,employee,5000.00,E1\n\
             B,2024-02,employee,5000.00,E1\n\
             B,2024-01,flexible,4000.00,\n"
        );
        let (c, errors) =
            load_contributions(&Input::bytes("c.csv", text.into_bytes()), &p).unwrap();
        assert_eq!(c.rows.len(), 1);
        assert_eq!(c.rows[0].month, Month::parse(b"2024-02").unwrap());
        let reasons: Vec<(u64, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (
                    2,
                    "duplicate person_id and month `B 2024-01`: also on line 4"
                ),
                (
                    4,
                    "duplicate person_id and month `B 2024-01`: also on line 2"
                )
            ]
        );
        assert_eq!(errors[1].raw[2], "flexible");
    }

    #[test]
    fn contributions_follow_the_contract_and_find_the_retirement_month() {
        let (p, _) = persons("P1,male,1960-03-10,120,200\nP2,female,1985-06-01,0,0\n");
        let text = format!(
            "{CONTRIBUTIONS}P1,2024-04,retired,0.00,\n\
             P1,2024-02,employee,15537.00,E1\n\
             P1,2024-03,employee,20000.50,E1\n\
             P1,2024-05,retired,0.00,\n\
             P2,2024-01,flexible,3107.00,\n\
             P3,2024-01,flexible,3107.00,\n\
             P2,2024-13,flexible,3107.00,\n\
             P2,2024-02,student,3107.00,\n\
             P2,2024-03,flexible,3107.001,\n\
             P2,2024-04,retired,10.00,\n\
             P2,2024-05,employee,3107.00,\n\
             P2,2024-06,flexible,3107.00,E9\n"
        );
        let (c, errors) =
            load_contributions(&Input::bytes("c.csv", text.into_bytes()), &p).unwrap();
        assert_eq!(c.rows_read, 12);
        assert_eq!(c.rows.len() + errors.len(), 12);
        let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons[0], "person_id `P3` is not in the persons file");
        assert_eq!(reasons[1], "month `2024-13` is not a month (YYYY-MM)");
        assert!(
            reasons[2].starts_with("unknown category `student`"),
            "{reasons:?}"
        );
        assert!(reasons[3].starts_with("wage `3107.001`"), "{reasons:?}");
        assert_eq!(
            reasons[4],
            "wage `10.00` on a retired row: retirees' rows carry a wage of 0.00"
        );
        assert_eq!(reasons[5], "employer_id is empty on an employee row");
        assert_eq!(
            reasons[6],
            "employer_id `E9` on a flexible row: flexible workers and retirees have none"
        );
        // P1's months in order, then P2's; P1 retired in 2024-04.
        let months: Vec<(u32, String)> = c
            .rows
            .iter()
            .map(|r| (r.person, r.month.to_string()))
            .collect();
        assert_eq!(
            months,
            [
                (0, "2024-02".into()),
                (0, "2024-03".into()),
                (0, "2024-04".into()),
                (0, "2024-05".into()),
                (1, "2024-01".into())
            ]
        );
        assert_eq!(c.rows[1].wage_fen, 2_000_050);
        let by: Vec<(u32, Option<Month>)> = c
            .by_person()
            .map(|(p, m)| (p, Contributions::retirement(m)))
            .collect();
        assert_eq!(by, [(0, Month::parse(b"2024-04")), (1, None)]);
    }
}
