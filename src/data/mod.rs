//! Claim and institution data: files in, typed rows out.
//!
//! The engine sees only [`Claims`] and [`Institutions`], never CSV: a future
//! xlsx or Parquet reader fills the same structures. Every row that cannot be
//! used becomes a [`RowError`] with its line and reason; none is dropped.
//! Every physical line of a file is its header, a row or a blank line (see
//! [`LineCount`]): a record never spans lines.

mod agreements;
mod assessments;
mod blocks;
pub(crate) mod claims;
mod contrib_spill;
mod duplicates;
mod input;
pub(crate) mod institutions;
pub mod money;
mod persons;
mod records;
mod shown;
pub mod xlsx;

pub use agreements::{
    load_agreement_actions, AgreementAction, AgreementActions, AgreementBook, InstAgreement,
    Suspension, COLUMNS as AGREEMENT_COLUMNS,
};
pub use assessments::{
    load_assessments, load_assessments_from, Assessments, COLUMNS as ASSESSMENT_COLUMNS,
};
pub use claims::COLUMNS as CLAIM_COLUMNS;
pub use claims::{
    load_claims, load_claims_from, load_claims_with, load_claims_within, Budget, Claim, Claims,
    Loaded, Reading, Spill,
};
pub use contrib_spill::{spill_contributions, ContribParts};
pub use input::{Input, XLSX};
pub use institutions::COLUMNS as INSTITUTION_COLUMNS;
pub use institutions::{load_institutions, load_institutions_from, Institution, Institutions};
pub use persons::{
    load_contributions, load_persons, Contributions, Month, Person, PersonMonth, Persons,
    CONTRIBUTION_COLUMNS, PERSON_COLUMNS,
};
pub use records::{LineCount, MAX_LINE};
pub use shown::{escape, shown};

use crate::date::Date;
use rust_decimal::Decimal;
use std::path::PathBuf;

/// A slice of the shared text arena: keeps claims free of per-row allocations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextRef {
    start: u32,
    len: u32,
}

/// One arena of text for all claims.
#[derive(Debug, Default)]
pub struct Arena(String);

impl Arena {
    pub fn push(&mut self, s: &str) -> Result<TextRef, String> {
        let start =
            u32::try_from(self.0.len()).map_err(|_| "more than 4 GiB of claim text".to_string())?;
        let len = u32::try_from(s.len()).map_err(|_| "a field is too long".to_string())?;
        self.0.push_str(s);
        Ok(TextRef { start, len })
    }

    /// An arena holding `text`.
    pub(crate) fn from_text(text: String) -> Arena {
        Arena(text)
    }

    /// Bytes of text held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Empties the arena, keeping its buffer.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn get(&self, r: TextRef) -> &str {
        let start = r.start as usize;
        self.0.get(start..start + r.len as usize).unwrap_or("")
    }

    /// Puts `other`'s text after this arena's; returns how far its
    /// references move (see [`TextRef::moved`]).
    pub(crate) fn append(&mut self, other: &Arena) -> Result<u32, String> {
        let by = u32::try_from(self.0.len())
            .ok()
            .filter(|&n| u32::try_from(other.0.len()).is_ok_and(|m| n.checked_add(m).is_some()))
            .ok_or_else(|| "more than 4 GiB of claim text".to_string())?;
        self.0.push_str(&other.0);
        Ok(by)
    }
}

impl TextRef {
    /// The same text in an arena appended to another at `by` (see [`Arena::append`]).
    pub(crate) fn moved(self, by: u32) -> TextRef {
        TextRef {
            start: self.start + by,
            len: self.len,
        }
    }
}

/// The value of a column beyond the data contract.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extra {
    Num(Decimal),
    Text(TextRef),
    Date(Date),
    Bool(bool),
}

/// A row that was not settled, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: PathBuf,
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
    /// The row as read, for the reject file.
    pub raw: Vec<String>,
}

/// A problem with a whole file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}`: {message}")]
    Format { path: PathBuf, message: String },
}

/// The columns of a header, and the index of each wanted one: a file that
/// lacks one, or names a column twice (which copy holds the data would be a
/// guess), is refused. A non-UTF-8 header is named. Names are trimmed; empty
/// ones (a trailing comma) may repeat, as nothing can refer to them.
pub(crate) fn header_index(
    path: &std::path::Path,
    header: &records::Record,
    wanted: &[&str],
) -> Result<(Vec<String>, Vec<usize>), DataError> {
    let format = |message: String| DataError::Format {
        path: path.to_path_buf(),
        message,
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| {
            std::str::from_utf8(h)
                .map(|s| s.trim().to_string())
                .map_err(|_| format(encoding_message(h)))
        })
        .collect::<Result<_, _>>()?;
    let mut columns_of: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, n) in names.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
        columns_of.entry(n.as_str()).or_default().push(i + 1);
    }
    let mut repeated = Vec::new();
    for (i, n) in names.iter().enumerate() {
        match columns_of.get(n.as_str()) {
            Some(at) if at.len() > 1 && at[0] == i + 1 => {
                let cols: Vec<String> = at.iter().map(usize::to_string).collect();
                let times = match at.len() {
                    2 => "twice".to_string(),
                    k => format!("{k} times"),
                };
                repeated.push(format!(
                    "`{}` {times} (columns {})",
                    escape(n),
                    and_list(&cols)
                ));
            }
            _ => {}
        }
    }
    if !repeated.is_empty() {
        return Err(format(format!(
            "the header has {}: which copy holds the data cannot be told; rename or remove the others",
            repeated.join(", ")
        )));
    }
    // Every missing column at once, each with the nearest the file has.
    let mut idx = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for w in wanted {
        match names.iter().position(|n| n == w) {
            Some(i) => idx.push(i),
            None => missing.push(
                match crate::diagnostic::suggest(w, names.iter().map(String::as_str)) {
                    Some(s) => format!("`{w}` (is `{}` meant?)", escape(s)),
                    None => format!("`{w}`"),
                },
            ),
        }
    }
    match missing.len() {
        0 => {}
        1 if missing[0].contains("meant?") => {
            return Err(format(format!("the header has no column {}", missing[0])));
        }
        n => {
            let all: Vec<String> = wanted.iter().map(|c| format!("`{c}`")).collect();
            return Err(format(format!(
                "the header has no column{} {}; the file needs the columns {}",
                if n == 1 { "" } else { "s" },
                and_list(&missing),
                and_list(&all)
            )));
        }
    }
    Ok((names, idx))
}

/// "a", "a and b", "a, b and c".
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A coded column's value (canonical name or Chinese alias), or the reason
/// a row is rejected: "unknown visit_type `x` (expected "inpatient", …)".
pub(crate) fn coded(kind: crate::schema::EnumKind, column: &str, b: &[u8]) -> Result<u8, String> {
    kind.code_of_data(b).ok_or_else(|| {
        format!(
            "unknown {column} `{}` (expected {})",
            shown(b),
            kind.describe()
        )
    })
}

/// A row that cannot be used: its line, the reason, and its fields as read.
pub(crate) fn row_error(path: &std::path::Path, rec: &records::Record, reason: String) -> RowError {
    RowError {
        file: path.to_path_buf(),
        line: rec.line,
        reason,
        raw: rec.to_strings(),
    }
}

/// Names the likely encoding of bytes that are not UTF-8.
pub(crate) fn encoding_message(b: &[u8]) -> String {
    if b.starts_with(&[0xFF, 0xFE]) || b.starts_with(&[0xFE, 0xFF]) {
        return "text is UTF-16 but not valid UTF-16 throughout: save it as UTF-8 (CSV UTF-8) and run again".into();
    }
    let gbk_like = b
        .windows(2)
        .any(|w| (0x81..=0xFE).contains(&w[0]) && (0x40..=0xFE).contains(&w[1]));
    if gbk_like {
        "text is not UTF-8; it looks GBK/GB18030-encoded (as saved by Chinese spreadsheets) but is not valid GB18030 throughout either: save it as UTF-8 (CSV UTF-8) and run again".into()
    } else {
        "text is not UTF-8: save the file as UTF-8 and run again".into()
    }
}
