//! A contributions file larger than the memory budget: its good rows are
//! written, in a compact binary form, to part files by person — part `k`
//! holds the persons whose index (their place in id order) falls in the
//! `k`-th of equal ranges — and the parts are read back one at a time, in
//! person order. Every row of a person is in one part, so duplicates are
//! found within it and a person is settled whole; the parts together are
//! the file read whole, in the same order, so the results are the same
//! bytes for any budget.

use super::claims::Budget;
use super::institutions::open_small_csv;
use super::persons::{contribution_row, dedupe, CONTRIBUTION_COLUMNS};
use super::records::{LineCount, Record};
use super::{
    row_error, Arena, Contributions, DataError, Input, Month, PersonMonth, Persons, RowError,
};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Part files open at once, at most.
const MOST_PARTS: u64 = 256;

/// The parts of a contributions file, on disk; removed when dropped.
pub struct ContribParts {
    dir: PathBuf,
    parts: Vec<PathBuf>,
    pub rows_read: u64,
    pub line_count: LineCount,
    pub header: Vec<String>,
    pub decoded_from: Option<&'static str>,
    /// Bytes written to the part files.
    pub spilled: u64,
}

impl Drop for ContribParts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl ContribParts {
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Part `k`'s rows, in (person, month) order, copies of a person+month
    /// rejected (their rows read again from `input`).
    pub fn load(
        &self,
        k: usize,
        input: &Input,
        persons: &Persons,
    ) -> Result<(Contributions, Vec<RowError>), DataError> {
        let path = self.parts.get(k).ok_or_else(|| DataError::Format {
            path: input.path().to_path_buf(),
            message: format!("internal error: no part {k}"),
        })?;
        let io = |source| DataError::Io {
            path: path.clone(),
            source,
        };
        let mut r = BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut out = Contributions {
            header: self.header.clone(),
            decoded_from: self.decoded_from,
            ..Contributions::default()
        };
        let mut head = [0u8; 33];
        let mut text = Vec::new();
        loop {
            match r.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(e)),
            }
            let u32_at =
                |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
            let u64_at = |i: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&head[i..i + 8]);
                u64::from_le_bytes(b)
            };
            let len = u32_at(29) as usize;
            text.resize(len, 0);
            r.read_exact(&mut text).map_err(io)?;
            let employer = std::str::from_utf8(&text).unwrap_or("");
            let employer = out
                .arena
                .push(employer)
                .map_err(|message| DataError::Format {
                    path: input.path().to_path_buf(),
                    message,
                })?;
            out.rows.push(PersonMonth {
                person: u32_at(0),
                month: Month(u32_at(4) as i32),
                category: head[8],
                wage_fen: u64_at(9) as i64,
                employer,
                line: u64_at(17),
            });
            let _ = u32_at(25); // reserved
        }
        let mut errors = Vec::new();
        dedupe(input, persons, &mut out, &mut errors)?;
        Ok((out, errors))
    }
}

/// Reads a contributions file into parts of about half the budget each;
/// returns the parts and the bad rows (in line order).
pub fn spill_contributions(
    input: &Input,
    persons: &Persons,
    budget: &Budget,
) -> Result<(ContribParts, Vec<RowError>), DataError> {
    let path = input.path();
    let size = input.size().unwrap_or(0);
    let share = (budget.bytes / 2).max(1);
    let n = Budget::needed(size).div_ceil(share).clamp(1, MOST_PARTS);
    let dir = fresh_dir(&budget.dir).map_err(|source| DataError::Io {
        path: budget.dir.clone(),
        source,
    })?;
    let mut parts = ContribParts {
        dir: dir.clone(),
        parts: (0..n)
            .map(|k| dir.join(format!("part-{k:03}.bin")))
            .collect(),
        rows_read: 0,
        line_count: LineCount::default(),
        header: Vec::new(),
        decoded_from: None,
        spilled: 0,
    };
    let io = |p: &Path, source| DataError::Io {
        path: p.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for p in &parts.parts {
        files.push(BufWriter::new(
            std::fs::File::create(p).map_err(|e| io(p, e))?,
        ));
    }
    let mut file = open_small_csv(input, CONTRIBUTION_COLUMNS).map_err(|(e, _)| e)?;
    parts.decoded_from = file.decoded_from;
    parts.header = file.names().to_vec();
    let mut errors = Vec::new();
    let mut rec = Record::default();
    let mut arena = Arena::default();
    let persons_n = persons.rows.len().max(1) as u64;
    let mut buf = Vec::with_capacity(64);
    let mut last = None;
    while file.next(&mut rec, &mut errors).map_err(|(e, _)| e)? {
        // One row's employer at a time: the arena is emptied for each.
        arena.clear();
        match contribution_row(&rec, &file.idx, file.width, persons, &mut arena, &mut last) {
            Ok(c) => {
                let k = (u64::from(c.person) * n / persons_n).min(n - 1) as usize;
                let employer = arena.get(c.employer).as_bytes();
                buf.clear();
                buf.extend_from_slice(&c.person.to_le_bytes());
                buf.extend_from_slice(&(c.month.0 as u32).to_le_bytes());
                buf.push(c.category);
                buf.extend_from_slice(&(c.wage_fen as u64).to_le_bytes());
                buf.extend_from_slice(&c.line.to_le_bytes());
                buf.extend_from_slice(&0u32.to_le_bytes());
                buf.extend_from_slice(&(employer.len() as u32).to_le_bytes());
                buf.extend_from_slice(employer);
                parts.spilled += buf.len() as u64;
                let (w, p) = (&mut files[k], &parts.parts[k]);
                w.write_all(&buf).map_err(|e| io(p, e))?;
            }
            Err(reason) => errors.push(row_error(path, &rec, reason)),
        }
    }
    parts.rows_read = file.rows_read();
    parts.line_count = file.finish()?;
    for (w, p) in files.into_iter().zip(&parts.parts) {
        w.into_inner().map_err(|e| io(p, e.into_error()))?;
    }
    Ok((parts, errors))
}

/// A new folder inside `base` for one run's parts.
fn fresh_dir(base: &Path) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = base.join(format!("yibao-contrib-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(base)?;
    std::fs::create_dir(&dir)?;
    Ok(dir)
}
