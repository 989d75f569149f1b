//! Claims files larger than memory (docs/scale.md, "Spilling").
//!
//! While the file is read (its blocks parsed on the threads, as ever), each
//! good row goes in a compact binary form to the partition file of its
//! patient-id range, and every row with a claim_id goes with its line to the
//! id file of its id's hash: duplicates are then found across the whole
//! file, an id file at a time. Bad rows stay row errors, as they do in
//! memory. A partition that came out bigger than its share is split again
//! by a sample of its patient ids. The partitions are then loaded one at a
//! time, in id order, each as [`Claims`] in settlement order: one after
//! another they are the file's claims in settlement order, as
//! [`super::load_claims`] gives them at once. The cuts only balance the
//! partitions; they never change the order, so the results are the same
//! bytes for any budget.

use super::{order::Joined, read, Claim, Claims, Layout, Segment};
use crate::data::{Arena, DataError, Extra, Input, RowError, TextRef};
use crate::date::Date;
use rust_decimal::Decimal;
use rustc_hash::FxHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// How much memory claims may take, and where they spill beyond it.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Bytes of memory the claims of a run may take, about.
    pub bytes: u64,
    /// The folder the partition files go in (a fresh folder inside it,
    /// removed when the run ends).
    pub dir: PathBuf,
}

impl Budget {
    /// Bytes of memory a claims file of `size` bytes takes when read whole,
    /// about: its rows (80 bytes a claim), their text, and the keys and
    /// places of the settlement sort, against some 110 bytes a line.
    pub fn needed(size: u64) -> u64 {
        size.saturating_mul(3) / 2
    }

    /// Whether a claims file of `size` bytes is spilled.
    pub fn spills(&self, size: u64) -> bool {
        Budget::needed(size) > self.bytes
    }

    /// Bytes of partition file a partition may hold: half the budget, so
    /// that the other half holds the settlement's buffers and the sample.
    fn share(&self) -> u64 {
        (self.bytes / 2).max(1)
    }
}

/// Partition files open at once, at most (and id files as many).
const MOST_PARTS: usize = 256;
/// Rows read before the first cuts are chosen from their patient ids.
pub(super) const SAMPLE_ROWS: usize = 1 << 16;
/// Patient ids each partition keeps as a sample, to be split again by.
const RESERVOIR: usize = 1024;
/// A row's discharge year in an id file when the row is bad.
const BAD: i32 = i32::MIN;

/// A claims file spilled to partitions; the folder goes when this does.
#[derive(Debug)]
pub struct Spill {
    dir: PathBuf,
    /// In settlement order.
    parts: Vec<PathBuf>,
    /// Lines of good rows rejected as copies of a claim_id, sorted.
    dups: Vec<u64>,
    /// The first and last discharge year of the claims kept.
    pub years: Option<(i32, i32)>,
    /// The file's rows read, lines, header and encoding: a [`Claims`]
    /// without rows.
    pub head: Claims,
    /// Bytes written to the spill folder.
    pub spilled: u64,
    n_extras: usize,
    threads: usize,
    bucket: usize,
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Spill {
    /// Partitions, in settlement order.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The folder the partitions are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Partition `k`'s claims, in settlement order, the patients numbered
    /// from 0 in id order.
    pub fn load(&self, k: usize) -> Result<Claims, DataError> {
        let path = self.parts.get(k).cloned().unwrap_or_default();
        let io = |source| DataError::Io {
            path: path.clone(),
            source,
        };
        let corrupt = || DataError::Format {
            path: path.clone(),
            message:
                "a spilled partition is damaged (was the spill folder changed during the run?)"
                    .into(),
        };
        let bytes = std::fs::read(&path).map_err(io)?;
        let mut claims = Claims {
            extras: vec![Vec::new(); self.n_extras],
            ..Claims::default()
        };
        let mut patient_of = Vec::new();
        let mut at = Bytes(&bytes);
        while !at.0.is_empty() {
            let len = at.u32().ok_or_else(corrupt)? as usize;
            let rec = at.take(len).ok_or_else(corrupt)?;
            let (claim, patient) = decode_row(rec, &mut claims, self.n_extras)
                .ok_or_else(corrupt)?
                .map_err(|message| DataError::Format {
                    path: path.clone(),
                    message,
                })?;
            if self.dups.binary_search(&claim.line).is_ok() {
                for col in claims.extras.iter_mut() {
                    col.pop();
                }
                continue;
            }
            claims.rows.push(claim);
            patient_of.push(patient);
        }
        drop(bytes);
        if u32::try_from(claims.rows.len()).is_err() {
            return Err(corrupt());
        }
        claims
            .put_in_settlement_order(&patient_of, self.threads, self.bucket)
            .map_err(|message| DataError::Format { path, message })?;
        Ok(claims)
    }
}

/// Reads the claims file as [`super::load_claims_with`] does, spilling its
/// rows to partitions in `budget.dir` instead of holding them; returns the
/// partitions and the row errors, in line order.
pub(super) fn spill(
    input: &Input,
    layout: &Layout,
    mut head: Claims,
    blocks: &mut crate::data::blocks::Blocks,
    how: &super::Reading,
    budget: &Budget,
) -> Result<(Spill, Vec<RowError>), DataError> {
    let path = input.path();
    let (threads, bucket) = (crate::eval::threads_for(how.threads), how.bucket);
    let size = input.size().unwrap_or(u64::MAX);
    let parts = usize::try_from(Budget::needed(size) / budget.share() + 1)
        .unwrap_or(MOST_PARTS)
        .clamp(2, MOST_PARTS);
    let dir = fresh_dir(&budget.dir).map_err(|source| DataError::Io {
        path: budget.dir.clone(),
        source,
    })?;
    let n_extras = layout.extras.len();
    // From here the folder is removed however the reading ends.
    let mut spill = Spill {
        dir,
        parts: Vec::new(),
        dups: Vec::new(),
        years: None,
        head: Claims::default(),
        spilled: 0,
        n_extras,
        threads,
        bucket,
    };
    let mut router = Router::new(&spill.dir, parts, how.sample)?;
    let mut joined = Joined::default();
    read::parse_all(blocks, layout, threads, &mut |seg| {
        router.take(seg, &mut head, &mut joined, &spill.dir)
    })?;
    router.cut_if_not_yet(&spill.dir)?;
    head.line_count.check(path, head.rows_read)?;

    let Router {
        files,
        ids,
        mut years,
        ..
    } = router;
    let mut files = files
        .into_iter()
        .map(|f| f.close())
        .collect::<Result<Vec<_>, _>>()?;
    let ids = ids
        .into_iter()
        .map(|f| f.close())
        .collect::<Result<Vec<_>, _>>()?;
    spill.spilled = files.iter().chain(&ids).map(|f| f.bytes).sum();

    // Duplicates, an id file at a time: every copy of an id is in one.
    let mut errors = joined.errors;
    let mut again = Vec::new();
    for f in &ids {
        for (line, year, reason) in duplicates_in(&f.path)? {
            if year == BAD {
                if let Ok(i) = errors.binary_search_by_key(&line, |e| e.line) {
                    let e = &mut errors[i];
                    e.reason = format!("{}; {reason}", e.reason);
                }
            } else {
                if let Some(n) = years.get_mut(&year) {
                    *n -= 1;
                }
                spill.dups.push(line);
                again.push((line, reason));
            }
        }
        let _ = std::fs::remove_file(&f.path);
    }
    spill.dups.sort_unstable();
    if !again.is_empty() {
        again.sort_by_key(|a| a.0);
        errors.extend(super::order::reread_rows(input, &again)?);
        errors.sort_by_key(|e| e.line);
    }
    let kept = || years.iter().filter(|(_, n)| **n > 0).map(|(y, _)| *y);
    spill.years = kept().min().zip(kept().max());

    // Partitions bigger than their share split again, until each fits or
    // holds one patient.
    let mut k = 0;
    while k < files.len() {
        let f = &files[k];
        let distinct = {
            let mut s: Vec<&[u8]> = f.sample.iter().map(Vec::as_slice).collect();
            s.sort_unstable();
            s.dedup();
            s.len()
        };
        if f.bytes <= budget.share().saturating_mul(2) || distinct < 2 {
            k += 1;
            continue;
        }
        let into = usize::try_from(f.bytes / budget.share() + 1)
            .unwrap_or(MOST_PARTS)
            .clamp(2, MOST_PARTS);
        let split = split_again(f, into, &spill.dir)?;
        spill.spilled += split.iter().map(|f| f.bytes).sum::<u64>();
        let old = files.remove(k);
        let _ = std::fs::remove_file(&old.path);
        for (j, s) in split.into_iter().enumerate() {
            files.insert(k + j, s);
        }
    }
    spill.parts = files.into_iter().map(|f| f.path).collect();
    spill.head = head;
    Ok((spill, errors))
}

/// A new folder inside `base` for one run's partitions.
fn fresh_dir(base: &Path) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = base.join(format!("yibao-spill-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(base)?;
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

/// A partition (or id) file being written, with a sample of the patient
/// ids it holds.
struct PartFile {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    bytes: u64,
    sample: Vec<Vec<u8>>,
    seen: u64,
    /// The sample's random numbers: a fixed sequence, so that the same file
    /// splits the same way every run.
    rng: u64,
}

/// A partition (or id) file written whole.
struct Closed {
    path: PathBuf,
    bytes: u64,
    sample: Vec<Vec<u8>>,
}

impl PartFile {
    fn create(path: PathBuf) -> Result<PartFile, DataError> {
        let file = std::fs::File::create(&path).map_err(|source| DataError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(PartFile {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            bytes: 0,
            sample: Vec::new(),
            seen: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
        })
    }

    fn io(&self, source: std::io::Error) -> DataError {
        DataError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes a record (its length, then its bytes).
    fn put(&mut self, rec: &[u8]) -> Result<(), DataError> {
        let len = u32::try_from(rec.len()).map_err(|_| DataError::Format {
            path: self.path.clone(),
            message: "a claim row of more than 4 GiB".into(),
        })?;
        let written = self
            .out
            .write_all(&len.to_le_bytes())
            .and_then(|_| self.out.write_all(rec));
        written.map_err(|e| self.io(e))?;
        self.bytes += 4 + rec.len() as u64;
        Ok(())
    }

    /// Offers a patient id to the sample (reservoir sampling).
    fn offer(&mut self, patient: &[u8]) {
        self.seen += 1;
        if self.sample.len() < RESERVOIR {
            self.sample.push(patient.to_vec());
            return;
        }
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let j = self.rng % self.seen;
        if let Some(slot) = usize::try_from(j).ok().and_then(|j| self.sample.get_mut(j)) {
            slot.clear();
            slot.extend_from_slice(patient);
        }
    }

    fn close(mut self) -> Result<Closed, DataError> {
        self.out.flush().map_err(|e| self.io(e))?;
        Ok(Closed {
            path: self.path,
            bytes: self.bytes,
            sample: self.sample,
        })
    }
}

/// Where the rows go while the file is read.
struct Router {
    /// Rows held until the first cuts are chosen.
    pending: Vec<Segment>,
    pending_rows: usize,
    /// Rows to hold before cutting.
    sample: usize,
    /// Patient ids where each partition after the first begins.
    cuts: Option<Vec<Vec<u8>>>,
    parts: usize,
    files: Vec<PartFile>,
    ids: Vec<PartFile>,
    /// Good rows per discharge year.
    years: BTreeMap<i32, u64>,
    rec: Vec<u8>,
}

impl Router {
    fn new(dir: &Path, parts: usize, sample: usize) -> Result<Router, DataError> {
        let ids = (0..parts)
            .map(|k| PartFile::create(dir.join(format!("ids-{k}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Router {
            pending: Vec::new(),
            pending_rows: 0,
            sample,
            cuts: None,
            parts,
            files: Vec::new(),
            ids,
            years: BTreeMap::new(),
            rec: Vec::new(),
        })
    }

    /// Numbers a parsed block's lines on from the ones before it (as
    /// joining does in memory), keeps its errors and routes its rows.
    fn take(
        &mut self,
        mut seg: Segment,
        head: &mut Claims,
        joined: &mut Joined,
        dir: &Path,
    ) -> Result<(), DataError> {
        let lines = head.line_count.lines;
        for c in seg.rows.iter_mut() {
            c.line += lines;
        }
        for (i, id) in std::mem::take(&mut seg.bad_ids) {
            let line = seg.errors.get(i).map_or(0, |e| e.line) + lines;
            id_record(&mut self.rec, line, BAD, &id);
            self.ids[id_file(&id, self.parts)].put(&self.rec)?;
        }
        joined.errors.extend(seg.errors.drain(..).map(|mut e| {
            e.line += lines;
            e
        }));
        head.count_lines(&seg);
        if self.cuts.is_some() {
            return self.route(&seg);
        }
        self.pending_rows += seg.rows.len();
        self.pending.push(seg);
        if self.pending_rows >= self.sample {
            self.cut(dir)?;
        }
        Ok(())
    }

    fn cut_if_not_yet(&mut self, dir: &Path) -> Result<(), DataError> {
        if self.cuts.is_none() {
            self.cut(dir)?;
        }
        Ok(())
    }

    /// Chooses the cuts from the patient ids of the rows held, opens the
    /// partitions and routes the rows held.
    fn cut(&mut self, dir: &Path) -> Result<(), DataError> {
        let mut sample: Vec<&[u8]> = self
            .pending
            .iter()
            .flat_map(|s| s.patient_of.iter().map(|&p| s.arena.get(p).as_bytes()))
            .collect();
        sample.sort_unstable();
        let cuts = cuts_of(&sample, self.parts);
        self.files = (0..=cuts.len())
            .map(|k| PartFile::create(dir.join(format!("part-{k}"))))
            .collect::<Result<Vec<_>, _>>()?;
        self.cuts = Some(cuts);
        for seg in std::mem::take(&mut self.pending) {
            self.route(&seg)?;
        }
        Ok(())
    }

    /// Each good row to its partition, its id to its id file.
    fn route(&mut self, seg: &Segment) -> Result<(), DataError> {
        let cuts = self.cuts.as_deref().unwrap_or_default();
        let mut extras = Vec::with_capacity(seg.extras.len());
        for (i, c) in seg.rows.iter().enumerate() {
            let patient = seg.arena.get(seg.patient_of[i]);
            extras.clear();
            extras.extend(seg.extras.iter().filter_map(|col| col.get(i)));
            encode_row(&mut self.rec, c, &seg.arena, patient, &extras);
            let k = cuts.partition_point(|cut| cut.as_slice() <= patient.as_bytes());
            let file = &mut self.files[k];
            file.put(&self.rec)?;
            file.offer(patient.as_bytes());
            let id = seg.arena.get(c.id);
            let year = c.discharge.year();
            *self.years.entry(year).or_default() += 1;
            id_record(&mut self.rec, c.line, year, id);
            self.ids[id_file(id, self.parts)].put(&self.rec)?;
        }
        Ok(())
    }
}

/// Up to `parts − 1` cuts at even places of a sorted sample of patient ids,
/// each distinct and above the least; at least one when the sample holds
/// two ids. Split by them, the rows the sample came from leave no part
/// empty: each part is smaller than the whole.
fn cuts_of(sorted: &[&[u8]], parts: usize) -> Vec<Vec<u8>> {
    let n = sorted.len();
    let Some(&least) = sorted.first() else {
        return Vec::new();
    };
    let mut cuts: Vec<Vec<u8>> = Vec::new();
    for b in 1..parts {
        let Some(&c) = sorted.get(b * n / parts) else {
            continue;
        };
        if c > least && cuts.last().is_none_or(|last| last.as_slice() < c) {
            cuts.push(c.to_vec());
        }
    }
    if cuts.is_empty() {
        // Most of the sample is the least id: cut just above it.
        cuts.extend(sorted.iter().find(|&&c| c > least).map(|c| c.to_vec()));
    }
    cuts
}

/// Splits a partition file into `into` by cuts from its sample, in order.
fn split_again(f: &Closed, into: usize, dir: &Path) -> Result<Vec<Closed>, DataError> {
    let mut sample: Vec<&[u8]> = f.sample.iter().map(Vec::as_slice).collect();
    sample.sort_unstable();
    let cuts = cuts_of(&sample, into);
    let name = f
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut out = (0..=cuts.len())
        .map(|k| PartFile::create(dir.join(format!("{name}.{k}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let io = |source| DataError::Io {
        path: f.path.clone(),
        source,
    };
    let corrupt = || DataError::Format {
        path: f.path.clone(),
        message: "a spilled partition is damaged (was the spill folder changed during the run?)"
            .into(),
    };
    let mut input = BufReader::with_capacity(1 << 16, std::fs::File::open(&f.path).map_err(io)?);
    let mut rec = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io(e)),
        }
        rec.resize(u32::from_le_bytes(len) as usize, 0);
        input.read_exact(&mut rec).map_err(io)?;
        let patient = patient_of_record(&rec).ok_or_else(corrupt)?;
        let k = cuts.partition_point(|cut| cut.as_slice() <= patient);
        out[k].put(&rec)?;
        out[k].offer(patient);
    }
    out.into_iter().map(PartFile::close).collect()
}

/// The id file of a claim_id.
fn id_file(id: &str, files: usize) -> usize {
    let mut h = FxHasher::default();
    id.hash(&mut h);
    // Not the hash's low bits: the duplicate search sorts by the hash.
    ((h.finish() >> 32) % files.max(1) as u64) as usize
}

/// An id file's record: the line, the discharge year ([`BAD`] for a bad
/// row) and the claim_id.
fn id_record(rec: &mut Vec<u8>, line: u64, year: i32, id: &str) {
    rec.clear();
    rec.extend_from_slice(&line.to_le_bytes());
    rec.extend_from_slice(&year.to_le_bytes());
    rec.extend_from_slice(id.as_bytes());
}

/// The copies of claim_ids in an id file: (line, year, reason), as
/// [`crate::data::duplicates::find`] gives them over the whole file.
fn duplicates_in(path: &Path) -> Result<Vec<(u64, i32, String)>, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = || DataError::Format {
        path: path.to_path_buf(),
        message: "a spilled id file is damaged (was the spill folder changed during the run?)"
            .into(),
    };
    let mut entries: Vec<(u64, i32, &str)> = Vec::new();
    let mut at = Bytes(&bytes);
    while !at.0.is_empty() {
        let len = at.u32().ok_or_else(corrupt)? as usize;
        let mut rec = Bytes(at.take(len).ok_or_else(corrupt)?);
        let line = rec.u64().ok_or_else(corrupt)?;
        let year = rec.i32().ok_or_else(corrupt)?;
        let id = std::str::from_utf8(rec.0).map_err(|_| corrupt())?;
        entries.push((line, year, id));
    }
    let found = crate::data::duplicates::find(
        entries.len(),
        |i| entries[i].2,
        |i| entries[i].0,
        "claim_id",
    );
    Ok(found
        .into_iter()
        .map(|(i, reason)| (entries[i].0, entries[i].1, reason))
        .collect())
}

/// A row in a partition file: its numbers, then its texts (length, bytes),
/// then its extra columns (a tag, then the value).
fn encode_row(rec: &mut Vec<u8>, c: &Claim, arena: &Arena, patient: &str, extras: &[&Extra]) {
    rec.clear();
    rec.extend_from_slice(&c.line.to_le_bytes());
    rec.extend_from_slice(&c.institution.to_le_bytes());
    rec.extend_from_slice(&[c.insured_type, c.visit_type, u8::from(c.retired)]);
    rec.extend_from_slice(&c.age.to_le_bytes());
    rec.extend_from_slice(&c.admit.0.to_le_bytes());
    rec.extend_from_slice(&c.discharge.0.to_le_bytes());
    for fen in [c.total_cost_fen, c.self_pay_cost_fen, c.drug_cost_fen] {
        rec.extend_from_slice(&fen.to_le_bytes());
    }
    // The patient first: splitting again reads only it.
    for t in [
        patient,
        arena.get(c.id),
        arena.get(c.disease_code),
        arena.get(c.drg_code),
    ] {
        put_text(rec, t);
    }
    for e in extras {
        match e {
            Extra::Num(d) => {
                rec.push(0);
                rec.extend_from_slice(&d.serialize());
            }
            Extra::Text(t) => {
                rec.push(1);
                put_text(rec, arena.get(*t));
            }
            Extra::Date(d) => {
                rec.push(2);
                rec.extend_from_slice(&d.0.to_le_bytes());
            }
            Extra::Bool(b) => {
                rec.push(3);
                rec.push(u8::from(*b));
            }
        }
    }
}

/// Bytes of a row's numbers, before its texts.
const NUMBERS: usize = 8 + 4 + 3 + 4 + 4 + 4 + 3 * 8;

fn put_text(rec: &mut Vec<u8>, t: &str) {
    // Texts come from one line of under 4 GiB.
    rec.extend_from_slice(&(t.len() as u32).to_le_bytes());
    rec.extend_from_slice(t.as_bytes());
}

/// The patient id of a partition file's row.
fn patient_of_record(rec: &[u8]) -> Option<&[u8]> {
    let mut at = Bytes(rec.get(NUMBERS..)?);
    let len = at.u32()? as usize;
    at.take(len)
}

/// A partition file's row as a claim, its texts and extra columns pushed
/// onto `claims`; `None` when the bytes are not a row, `Some(Err)` when the
/// text no longer fits.
fn decode_row(
    rec: &[u8],
    claims: &mut Claims,
    n_extras: usize,
) -> Option<Result<(Claim, TextRef), String>> {
    let mut at = Bytes(rec);
    let line = at.u64()?;
    let institution = at.u32()?;
    let small = at.take(3)?;
    let (insured_type, visit_type, retired) = (small[0], small[1], small[2] == 1);
    let age = at.u32()?;
    let admit = Date(at.i32()?);
    let discharge = Date(at.i32()?);
    let (total, self_pay, drug) = (at.i64()?, at.i64()?, at.i64()?);
    let mut texts = [TextRef::default(); 4];
    for t in texts.iter_mut() {
        let len = at.u32()? as usize;
        let s = std::str::from_utf8(at.take(len)?).ok()?;
        *t = match claims.arena.push(s) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
    }
    for k in 0..n_extras {
        let tag = at.take(1)?[0];
        let v = match tag {
            0 => Extra::Num(Decimal::deserialize(at.take(16)?.try_into().ok()?)),
            1 => {
                let len = at.u32()? as usize;
                let s = std::str::from_utf8(at.take(len)?).ok()?;
                match claims.arena.push(s) {
                    Ok(r) => Extra::Text(r),
                    Err(e) => return Some(Err(e)),
                }
            }
            2 => Extra::Date(Date(at.i32()?)),
            3 => Extra::Bool(at.take(1)?[0] == 1),
            _ => return None,
        };
        claims.extras.get_mut(k)?.push(v);
    }
    let [patient, id, disease_code, drg_code] = texts;
    Some(Ok((
        Claim {
            id,
            patient: 0,
            institution,
            insured_type,
            visit_type,
            retired,
            age,
            admit,
            discharge,
            total_cost_fen: total,
            self_pay_cost_fen: self_pay,
            drug_cost_fen: drug,
            disease_code,
            drg_code,
            line,
        },
        patient,
    )))
}

/// Bytes read front to back.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (here, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(here)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_split_any_sample_of_two_ids_or_more() {
        let ids =
            |v: &[&'static str]| -> Vec<&'static [u8]> { v.iter().map(|s| s.as_bytes()).collect() };
        // Mostly one id: the quantiles all fall on it, yet one cut is made.
        let mostly_a = ids(&["a", "a", "a", "a", "a", "a", "b"]);
        assert_eq!(cuts_of(&mostly_a, 2), vec![b"b".to_vec()]);
        assert_eq!(cuts_of(&mostly_a, 8), vec![b"b".to_vec()]);
        // Even: cuts at the quantiles, distinct, none at the least.
        let even = ids(&["a", "b", "c", "d", "e", "f", "g", "h"]);
        assert_eq!(
            cuts_of(&even, 4),
            vec![b"c".to_vec(), b"e".to_vec(), b"g".to_vec()]
        );
        // One id, or none: nothing to cut.
        assert!(cuts_of(&ids(&["a", "a"]), 4).is_empty());
        assert!(cuts_of(&[], 4).is_empty());
    }
}
