//! The parsed blocks put together: one arena of text, every line numbered
//! as in the file, every copy of a duplicated claim_id rejected, and the
//! rows in settlement order (patient id bytes, then discharge date, then
//! claim id bytes), the patients numbered in id order.
//!
//! The rows are never put in file order first: their order is found by
//! sorting packed keys on several threads, and each row is then copied once,
//! from its block straight to its place.

use super::{Claim, Claims, Segment};
use crate::data::records::{self, Lines, Next, Record};
use crate::data::{row_error, Arena, DataError, Extra, Input, RowError, TextRef};
use crate::par::{run_jobs, sort_distinct};

/// Where a block's rows go in the whole file.
struct Place {
    /// The index, among all good rows, of the block's first.
    row: usize,
    /// How far the block's text moves (see [`Arena::append`]).
    text: u32,
    /// The lines before the block.
    lines: u64,
}

/// Every good row of the file, by its index among them in file order.
struct Rows<'a> {
    segs: &'a [Segment],
    places: &'a [Place],
    arena: &'a Arena,
}

/// A row's place among all good rows in file order, from its [`spot`].
fn index(rows: &Rows, at: u64) -> usize {
    rows.places[(at >> 32) as usize].row + (at & 0xFFFF_FFFF) as usize
}

/// A row's settlement key: the first 16 bytes of its patient id (as a
/// number that sorts as the bytes do); its discharge day and its patient
/// id's length (past 15 bytes: 16); where it is ([`Rows::at`]).
type Key = (u128, u64, u64);

/// The key's middle part: discharge day, then patient id length.
fn day_len(c: &Claim, patient: TextRef) -> u64 {
    let day = (i64::from(c.discharge.0) - i64::from(i32::MIN)) as u64;
    (day << 32) | u64::from(patient.len.min(16))
}

/// Where a row is: its block in the high half, its index there in the low.
fn spot(seg: usize, i: usize) -> u64 {
    ((seg as u64) << 32) | i as u64
}

impl Rows<'_> {
    /// The block and index of the row at `at` (a [`spot`]).
    fn at(&self, at: u64) -> (&Segment, &Place, usize) {
        let s = (at >> 32) as usize;
        (&self.segs[s], &self.places[s], (at & 0xFFFF_FFFF) as usize)
    }

    fn claim(&self, g: u64) -> &Claim {
        let (seg, _, i) = self.at(g);
        &seg.rows[i]
    }

    fn id(&self, g: u64) -> &str {
        let (seg, place, i) = self.at(g);
        self.arena.get(seg.rows[i].id.moved(place.text))
    }

    fn patient(&self, g: u64) -> TextRef {
        let (seg, place, i) = self.at(g);
        seg.patient_of[i].moved(place.text)
    }

    fn line(&self, g: u64) -> u64 {
        let (seg, place, i) = self.at(g);
        seg.rows[i].line + place.lines
    }

    /// Row `g` as it is kept: its text references and line moved.
    fn placed(&self, g: u64, patient: u32) -> Claim {
        let (seg, place, i) = self.at(g);
        let mut c = seg.rows[i].clone();
        c.id = c.id.moved(place.text);
        c.disease_code = c.disease_code.moved(place.text);
        c.drg_code = c.drg_code.moved(place.text);
        c.line += place.lines;
        c.patient = patient;
        c
    }

    fn extra(&self, col: usize, g: u64) -> Extra {
        let (seg, place, i) = self.at(g);
        match seg.extras[col][i] {
            Extra::Text(t) => Extra::Text(t.moved(place.text)),
            v => v,
        }
    }
}

/// The first 16 bytes of a text, zero-padded, as a number that sorts as the bytes do.
fn prefix16(s: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

impl Claims {
    /// Puts the blocks' rows together (see the module docs); returns the row
    /// errors, in line order.
    pub(super) fn assemble(
        &mut self,
        input: &Input,
        mut segs: Vec<Segment>,
        threads: usize,
    ) -> Result<Vec<RowError>, DataError> {
        let path = input.path();
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        let mut places = Vec::with_capacity(segs.len());
        let mut errors: Vec<RowError> = Vec::new();
        // The claim_id of each bad row as wide as the header, by its index in `errors`.
        let mut bad_ids: Vec<(usize, String)> = Vec::new();
        let mut n = 0;
        for seg in &mut segs {
            let text = self.arena.append(&seg.arena).map_err(format)?;
            seg.arena = Arena::default();
            let lines = self.line_count.lines;
            places.push(Place {
                row: n,
                text,
                lines,
            });
            n += seg.rows.len();
            bad_ids.extend(seg.bad_ids.drain(..).map(|(i, id)| (i + errors.len(), id)));
            errors.extend(seg.errors.drain(..).map(|mut e| {
                e.line += lines;
                e
            }));
            self.rows_read += seg.rows_read;
            self.line_count.lines += seg.count.lines;
            self.line_count.blank += seg.count.blank;
            if self.line_count.first_blank.is_none() {
                self.line_count.first_blank = seg.count.first_blank.map(|l| l + lines);
            }
        }
        self.line_count.check(path, self.rows_read)?;
        if u32::try_from(n).is_err() {
            return Err(format(format!(
                "{n} claims in one file: at most {} can be settled in one run",
                u32::MAX
            )));
        }
        let rows = Rows {
            segs: &segs,
            places: &places,
            arena: &self.arena,
        };
        let dropped = reject_duplicates(input, &rows, n, &mut errors, &bad_ids)?;
        let keyed = settlement_order(&rows, n, &dropped, threads);
        let (patients, patient_at) = number_patients(&rows, &keyed);

        let mut out: Vec<Claim> = match keyed.first() {
            Some(k) => vec![rows.claim(k.2).clone(); keyed.len()],
            None => Vec::new(),
        };
        let chunk = keyed.len().div_ceil(threads.max(1)).max(1);
        let jobs = out
            .chunks_mut(chunk)
            .zip(keyed.chunks(chunk).zip(patient_at.chunks(chunk)))
            .map(|(out, (keys, pats))| {
                let rows = &rows;
                move || {
                    for (o, (k, &p)) in out.iter_mut().zip(keys.iter().zip(pats)) {
                        *o = rows.placed(k.2, p);
                    }
                }
            })
            .collect();
        run_jobs(jobs, threads);
        let extras: Vec<Vec<Extra>> = (0..self.extras.len())
            .map(|col| keyed.iter().map(|k| rows.extra(col, k.2)).collect())
            .collect();
        self.rows = out;
        self.extras = extras;
        self.patients = patients;
        Ok(errors)
    }
}

/// Marks every good row whose claim_id another row has too (good or bad;
/// see [`crate::data::duplicates`]): the good copies are read again from
/// the file for their errors, the bad copies' reasons say it too. Returns
/// the marks by row (empty when no row is marked).
fn reject_duplicates(
    input: &Input,
    rows: &Rows,
    n: usize,
    errors: &mut Vec<RowError>,
    bad_ids: &[(usize, String)],
) -> Result<Vec<bool>, DataError> {
    let spots: Vec<u64> = (0..rows.segs.len())
        .flat_map(|s| (0..rows.segs[s].rows.len()).map(move |i| spot(s, i)))
        .collect();
    let dups = crate::data::duplicates::find(
        n + bad_ids.len(),
        |i| match spots.get(i) {
            Some(&at) => rows.id(at),
            None => bad_ids.get(i - n).map_or("", |b| b.1.as_str()),
        },
        |i| match spots.get(i) {
            Some(&at) => rows.line(at),
            None => bad_ids
                .get(i - n)
                .and_then(|b| errors.get(b.0))
                .map_or(0, |e| e.line),
        },
        "claim_id",
    );
    if dups.is_empty() {
        return Ok(Vec::new());
    }
    let mut marked = vec![false; n];
    let mut again = Vec::new();
    for (i, reason) in dups {
        if let Some(&at) = spots.get(i) {
            marked[i] = true;
            again.push((rows.line(at), reason));
        } else if let Some(e) = bad_ids.get(i - n).and_then(|b| errors.get_mut(b.0)) {
            e.reason = format!("{}; {reason}", e.reason);
        }
    }
    if !again.is_empty() {
        errors.extend(reread_rows(input, &again)?);
        errors.sort_by_key(|e| e.line);
    }
    Ok(marked)
}

/// The keys of the rows not `dropped`, in settlement order.
fn settlement_order(rows: &Rows, n: usize, dropped: &[bool], threads: usize) -> Vec<Key> {
    // Sort by (first 16 bytes of the patient id, discharge day, id length),
    // then put right the runs the packed key cannot decide: patient ids of
    // 16 bytes or more, or ending in NULs, or one patient's claims on one
    // day (by claim id).
    let mut keyed: Vec<Key> = vec![(0, 0, 0); n];
    let mut rest = keyed.as_mut_slice();
    let mut jobs = Vec::with_capacity(rows.segs.len());
    for (s, seg) in rows.segs.iter().enumerate() {
        let (mine, after) = rest.split_at_mut(seg.rows.len());
        rest = after;
        let text = rows.places[s].text;
        jobs.push(move || {
            for (i, (k, (c, &p))) in mine
                .iter_mut()
                .zip(seg.rows.iter().zip(&seg.patient_of))
                .enumerate()
            {
                *k = (
                    prefix16(rows.arena.get(p.moved(text))),
                    day_len(c, p),
                    spot(s, i),
                );
            }
        });
    }
    run_jobs(jobs, threads);
    if !dropped.is_empty() {
        keyed.retain(|k| !dropped[index(rows, k.2)]);
    }
    sort_distinct(&mut keyed, threads);
    let text = |at: u64| rows.arena.get(rows.patient(at));
    let full = |&(_, _, a): &Key, &(_, _, b): &Key| {
        let (x, y) = (rows.claim(a), rows.claim(b));
        text(a)
            .as_bytes()
            .cmp(text(b).as_bytes())
            .then(x.discharge.cmp(&y.discharge))
            .then_with(|| rows.id(a).as_bytes().cmp(rows.id(b).as_bytes()))
    };
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        let len = |k: &Key| k.1 & 0xFFFF_FFFF;
        let day = |k: &Key| k.1 >> 32;
        let mut undecided = len(&keyed[start]) >= 16;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            undecided |=
                len(&keyed[end]) != len(&keyed[start]) || day(&keyed[end]) == day(&keyed[end - 1]);
            end += 1;
        }
        if undecided {
            keyed[start..end].sort_unstable_by(full);
        }
        start = end;
    }
    keyed
}

/// The patients in id order (a new one wherever the id changes), and each
/// key's patient. Equal packed keys mean equal ids except in the runs sorted
/// in full, so the texts are read only there and for each new patient.
fn number_patients(rows: &Rows, keyed: &[Key]) -> (Vec<TextRef>, Vec<u32>) {
    let mut patients = Vec::new();
    let mut patient_at: Vec<u32> = Vec::with_capacity(keyed.len());
    for (k, key) in keyed.iter().enumerate() {
        let (prefix, g) = (key.0, key.2);
        let new = match k.checked_sub(1).map(|j| keyed[j]) {
            None => true,
            Some((q, l, h)) if q == prefix => {
                let (len, was) = (key.1 & 0xFFFF_FFFF, l & 0xFFFF_FFFF);
                (len != was || len >= 16)
                    && rows.arena.get(rows.patient(g)) != rows.arena.get(rows.patient(h))
            }
            Some(_) => true,
        };
        if new {
            patients.push(rows.patient(g));
        }
        patient_at.push((patients.len() - 1) as u32);
    }
    (patients, patient_at)
}

/// The rows at the lines of `bad` (with the reason for each, in line order),
/// read again from the file: only for rows found bad after reading, which are rare.
fn reread_rows(input: &Input, bad: &[(u64, String)]) -> Result<Vec<RowError>, DataError> {
    let path = input.path();
    let (mut lines, _, _): (Lines, _, _) = records::open(input)?;
    let mut rec = Record::default();
    let mut out = Vec::with_capacity(bad.len());
    let mut next = bad.iter().peekable();
    while let Some((line, reason)) = next.peek() {
        let read = lines.next(&mut rec).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if read == Next::End {
            break;
        }
        if rec.line == *line {
            out.push(row_error(path, &rec, reason.clone()));
            next.next();
        }
    }
    Ok(out)
}
