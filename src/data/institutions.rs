//! `institutions.csv` → [`Institutions`]. Institutions are few, so any bad
//! row fails the load, listed with its line and reason.

use super::money::{parse_count, parse_decimal, parse_money, trim};
use super::records::{self, LineCount, Lines, Next, Record};
use super::{escape, header_index, row_error, shown, Arena, DataError, Extra, RowError};
use crate::check::types::Ty;
use crate::date::Date;
use crate::ir::ExtraField;
use crate::schema::EnumKind;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Institution {
    pub id: String,
    pub name: String,
    pub level: u8,
    pub grade: u8,
    pub alliance: String,
    pub annual_budget: Decimal,
    pub prior_year_monthly_avg: Decimal,
    pub enrolled: Decimal,
    pub extras: Vec<Extra>,
}

#[derive(Debug, Default)]
pub struct Institutions {
    pub rows: Vec<Institution>,
    pub by_id: HashMap<String, u32>,
    /// Text of extra columns.
    pub arena: Arena,
    /// The encoding the file was decoded from, when it was not UTF-8.
    pub decoded_from: Option<&'static str>,
    /// The file's physical lines: the header, the rows, blank lines.
    pub line_count: LineCount,
    /// The agreement actions (`--agreements`), by institution; empty without them.
    pub agreement: super::AgreementBook,
}

impl Institutions {
    pub fn index_of(&self, id: &[u8]) -> Option<u32> {
        std::str::from_utf8(id)
            .ok()
            .and_then(|s| self.by_id.get(s.trim()).copied())
    }
}

/// The contract's columns, in the contract's order.
pub const COLUMNS: &[&str] = &[
    "institution_id",
    "name",
    "level",
    "grade",
    "alliance_id",
    "annual_budget",
    "prior_year_monthly_avg",
    "enrolled",
];

pub fn load_institutions(
    path: &Path,
    extras: &[ExtraField],
) -> Result<Institutions, (DataError, Vec<RowError>)> {
    load_institutions_from(&super::Input::file(path), extras)
}

/// [`load_institutions`] from any [`super::Input`]: a file, or bytes in memory.
pub fn load_institutions_from(
    input: &super::Input,
    extras: &[ExtraField],
) -> Result<Institutions, (DataError, Vec<RowError>)> {
    let path = input.path();
    let mut wanted: Vec<&str> = COLUMNS.to_vec();
    wanted.extend(extras.iter().map(|e| e.name.as_str()));
    let mut file = open_small_csv(input, &wanted)?;

    let mut out = Institutions {
        decoded_from: file.decoded_from,
        ..Institutions::default()
    };
    let mut errors = Vec::new();
    // Where each id was first read, to name it in a duplicate's reason.
    let mut first_line: Vec<u64> = Vec::new();
    let mut rec = Record::default();
    while file.next(&mut rec, &mut errors)? {
        match parse_row(&rec, &file.idx, file.width, extras, &mut out.arena) {
            Ok(inst) => {
                if let Some(&i) = out.by_id.get(&inst.id) {
                    let first = first_line.get(i as usize).copied().unwrap_or(0);
                    errors.push(row_error(
                        path,
                        &rec,
                        format!(
                            "duplicate institution_id `{}`: also on line {first}",
                            escape(&inst.id)
                        ),
                    ));
                    continue;
                }
                let i = u32::try_from(out.rows.len()).unwrap_or(u32::MAX);
                out.by_id.insert(inst.id.clone(), i);
                out.rows.push(inst);
                first_line.push(rec.line);
            }
            Err(reason) => errors.push(row_error(path, &rec, reason)),
        }
    }
    out.line_count = file.finish().map_err(|e| (e, vec![]))?;
    all_or_nothing(path, out, errors, "institution")
}

/// A small CSV file (institutions, assessments) opened for reading: its
/// lines, the header's width, and the index of each wanted column.
pub(crate) struct SmallCsv {
    path: std::path::PathBuf,
    lines: Lines,
    names: Vec<String>,
    pub width: usize,
    pub idx: Vec<usize>,
    pub decoded_from: Option<&'static str>,
    rows: u64,
}

impl SmallCsv {
    /// Reads the next record into `rec`; false at the end. A line that is
    /// no record goes to `errors`.
    pub(crate) fn next(
        &mut self,
        rec: &mut Record,
        errors: &mut Vec<RowError>,
    ) -> Result<bool, (DataError, Vec<RowError>)> {
        loop {
            let next = self.lines.next(rec).map_err(|source| {
                (
                    DataError::Io {
                        path: self.path.clone(),
                        source,
                    },
                    vec![],
                )
            })?;
            match next {
                Next::End => return Ok(false),
                Next::Record => {
                    self.rows += 1;
                    return Ok(true);
                }
                Next::Bad(e) => {
                    self.rows += 1;
                    errors.push(row_error(&self.path, rec, e.reason(&self.names)));
                }
            }
        }
    }

    /// The header's column names, trimmed.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Rows read so far (header excluded), good and bad.
    pub(crate) fn rows_read(&self) -> u64 {
        self.rows
    }

    /// The lines read, checked: every one is the header, a row or blank.
    pub(crate) fn finish(self) -> Result<LineCount, DataError> {
        let count = self.lines.count();
        count.check(&self.path, self.rows)?;
        Ok(count)
    }
}

pub(crate) fn open_small_csv(
    input: &super::Input,
    wanted: &[&str],
) -> Result<SmallCsv, (DataError, Vec<RowError>)> {
    let path = input.path();
    let (lines, header, decoded_from) = records::open(input).map_err(|e| (e, vec![]))?;
    let (names, idx) = header_index(path, &header, wanted).map_err(|e| (e, vec![]))?;
    Ok(SmallCsv {
        path: path.to_path_buf(),
        lines,
        names,
        width: header.len(),
        idx,
        decoded_from,
        rows: 0,
    })
}

/// A small file loads whole or not at all: any bad row fails it, listed.
pub(crate) fn all_or_nothing<T>(
    path: &Path,
    out: T,
    errors: Vec<RowError>,
    what: &str,
) -> Result<T, (DataError, Vec<RowError>)> {
    if errors.is_empty() {
        return Ok(out);
    }
    let n = errors.len();
    Err((
        DataError::Format {
            path: path.to_path_buf(),
            message: format!("{n} bad {what} row{}", if n == 1 { "" } else { "s" }),
        },
        errors,
    ))
}

fn parse_row(
    rec: &Record,
    idx: &[usize],
    width: usize,
    extras: &[ExtraField],
    arena: &mut Arena,
) -> Result<Institution, String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| rec.get(idx[i]).unwrap_or(b"");
    let text = |i: usize| -> Result<String, String> {
        std::str::from_utf8(trim(field(i)))
            .map(str::to_string)
            .map_err(|_| format!("`{}`: {}", COLUMNS[i], super::encoding_message(field(i))))
    };
    let en = |i: usize, kind: EnumKind| {
        kind.code_of_data(trim(field(i))).ok_or_else(|| {
            format!(
                "{} `{}` is not one of {}",
                COLUMNS[i],
                shown(field(i)),
                kind.describe()
            )
        })
    };
    let money = |i: usize| {
        parse_money(field(i)).map_err(|r| format!("{} `{}`: {r}", COLUMNS[i], shown(field(i))))
    };
    let id = text(0)?;
    if id.is_empty() {
        return Err("institution_id is empty".into());
    }
    let mut row_extras = Vec::with_capacity(extras.len());
    for (k, e) in extras.iter().enumerate() {
        row_extras.push(parse_extra(
            rec.get(idx[COLUMNS.len() + k]).unwrap_or(b""),
            e,
            arena,
        )?);
    }
    Ok(Institution {
        id,
        name: text(1)?,
        level: en(2, EnumKind::Level)?,
        grade: en(3, EnumKind::Grade)?,
        alliance: text(4)?,
        annual_budget: money(5)?,
        prior_year_monthly_avg: money(6)?,
        enrolled: Decimal::from(
            parse_count(field(7)).map_err(|r| format!("enrolled `{}`: {r}", shown(field(7))))?,
        ),
        extras: row_extras,
    })
}

/// Parses a value of a policy-declared extra column by its declared type.
pub(crate) fn parse_extra(
    b: &[u8],
    field: &ExtraField,
    arena: &mut Arena,
) -> Result<Extra, String> {
    let why = |r: &str| format!("{} `{}`: {r}", field.name, shown(b));
    match field.ty {
        Ty::Money => parse_money(b).map(Extra::Num).map_err(why),
        Ty::Count => parse_count(b)
            .map(|n| Extra::Num(Decimal::from(n)))
            .map_err(why),
        Ty::Date => Date::parse(trim(b))
            .map(Extra::Date)
            .ok_or_else(|| why("not a date (YYYY-MM-DD)")),
        Ty::Bool => crate::schema::bool_of_data(trim(b))
            .map(Extra::Bool)
            .ok_or_else(|| why("not `true` or `false` (是 or 否)")),
        Ty::Text => {
            let s = std::str::from_utf8(trim(b)).map_err(|_| why("not UTF-8"))?;
            if let Some(values) = &field.values {
                if !values.iter().any(|v| v == s) {
                    let listed: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                    return Err(why(&format!("not one of {}", listed.join(", "))));
                }
            }
            arena.push(s).map(Extra::Text)
        }
        _ => parse_decimal(b).map(Extra::Num).map_err(why),
    }
}
