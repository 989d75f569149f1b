//! The parsed blocks put together: one arena of text, every line numbered
//! as in the file, every copy of a duplicated claim_id rejected, and the
//! rows in settlement order (patient id bytes, then discharge date, then
//! claim id bytes), the patients numbered in id order.
//!
//! Blocks are joined as they arrive, while later ones are still being
//! parsed; the order is then found by sorting packed keys in buckets of
//! patient-id ranges on several threads, and the rows are moved to it in
//! place (no second copy of them).

use super::{retain_unmarked, Claim, Claims, Segment};
use crate::data::records::{self, Lines, Next, Record};
use crate::data::{row_error, Arena, DataError, Extra, Input, RowError, TextRef};
use crate::par::run_jobs;

/// What the blocks joined so far bring besides their rows.
#[derive(Default)]
pub(super) struct Joined {
    /// Each row's patient id.
    patient_of: Vec<TextRef>,
    pub(super) errors: Vec<RowError>,
    /// The claim_id of each bad row as wide as the header, by its index in `errors`.
    bad_ids: Vec<(usize, String)>,
}

/// A row's settlement key, 24 bytes: the first 16 bytes of its patient id
/// (as two numbers that sort as the bytes do); then its discharge day (27
/// bits, days from 0000-03-01: every year 1–9999 fits), its patient id's
/// length (5 bits, past 15 bytes: 16) and its index (32 bits).
type Key = (u64, u64, u64);

/// The first 16 bytes of a text, zero-padded, as numbers that sort as the bytes do.
fn prefix16(s: &str) -> (u64, u64) {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    let x = u128::from_be_bytes(b);
    ((x >> 64) as u64, x as u64)
}

/// The key's last part: discharge day, patient id length, index.
fn day_len_index(c: &Claim, patient: TextRef, index: u32) -> u64 {
    const DAYS: u64 = (1 << 27) - 1;
    // Days from 0000-03-01 (day −719468 from 1970): every date a claim can hold is
    // between 0 and 3.7 million.
    let day = u64::try_from(i64::from(c.discharge.0) + 719_468).map_or(0, |d| d.min(DAYS));
    (day << 37) | (u64::from(patient.len.min(16)) << 32) | u64::from(index)
}

fn prefix_of(k: &Key) -> (u64, u64) {
    (k.0, k.1)
}

fn len_of(k: &Key) -> u64 {
    (k.2 >> 32) & 0x1F
}

fn day_of(k: &Key) -> u64 {
    k.2 >> 37
}

fn index_of(k: &Key) -> usize {
    (k.2 & 0xFFFF_FFFF) as usize
}

/// Rows per bucket of the settlement sort, about: their keys (24 bytes each)
/// fit a core's cache while they are sorted.
pub(super) const BUCKET: usize = 1 << 14;

impl Claims {
    /// Puts a block's rows after the ones before it: its text after theirs,
    /// its lines numbered on from theirs. Fails when the text no longer fits.
    pub(super) fn join(&mut self, seg: Segment, joined: &mut Joined) -> Result<(), String> {
        let by = self.arena.append(&seg.arena)?;
        let lines = self.line_count.lines;
        self.count_lines(&seg);
        self.rows.extend(seg.rows.into_iter().map(|mut c| {
            c.id = c.id.moved(by);
            c.disease_code = c.disease_code.moved(by);
            c.drg_code = c.drg_code.moved(by);
            c.line += lines;
            c
        }));
        joined
            .patient_of
            .extend(seg.patient_of.into_iter().map(|p| p.moved(by)));
        for (col, part) in self.extras.iter_mut().zip(seg.extras) {
            col.extend(part.into_iter().map(|v| match v {
                Extra::Text(t) => Extra::Text(t.moved(by)),
                v => v,
            }));
        }
        let before = joined.errors.len();
        joined
            .bad_ids
            .extend(seg.bad_ids.into_iter().map(|(i, id)| (i + before, id)));
        joined.errors.extend(seg.errors.into_iter().map(|mut e| {
            e.line += lines;
            e
        }));
        Ok(())
    }

    /// Counts a block's rows and lines after the ones before it.
    pub(super) fn count_lines(&mut self, seg: &Segment) {
        let lines = self.line_count.lines;
        self.rows_read += seg.rows_read;
        self.line_count.lines += seg.count.lines;
        self.line_count.blank += seg.count.blank;
        if self.line_count.first_blank.is_none() {
            self.line_count.first_blank = seg.count.first_blank.map(|l| l + lines);
        }
    }

    /// Once every block is joined: rejects the duplicates and puts the rows
    /// in settlement order; returns the row errors, in line order.
    pub(super) fn finish(
        &mut self,
        input: &Input,
        mut joined: Joined,
        threads: usize,
        bucket: usize,
    ) -> Result<Vec<RowError>, DataError> {
        let path = input.path();
        let format = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        self.line_count.check(path, self.rows_read)?;
        if u32::try_from(self.rows.len()).is_err() {
            return Err(format(format!(
                "{} claims in one file: at most {} can be settled in one run",
                self.rows.len(),
                u32::MAX
            )));
        }
        self.reject_duplicates(input, &mut joined)?;
        self.put_in_settlement_order(&joined.patient_of, threads, bucket)
            .map_err(format)?;
        Ok(joined.errors)
    }

    /// Rejects every copy of a claim_id that more than one row has, good
    /// rows and bad ones alike (see [`crate::data::duplicates`]): good copies
    /// leave the rows for the errors, with their fields read again from the
    /// file; bad copies' reasons say it too.
    fn reject_duplicates(&mut self, input: &Input, joined: &mut Joined) -> Result<(), DataError> {
        let n = self.rows.len();
        let Joined {
            patient_of,
            errors,
            bad_ids,
            ..
        } = joined;
        let dups = crate::data::duplicates::find(
            n + bad_ids.len(),
            |i| match self.rows.get(i) {
                Some(c) => self.text(c.id),
                None => bad_ids.get(i - n).map_or("", |b| b.1.as_str()),
            },
            |i| match self.rows.get(i) {
                Some(c) => c.line,
                None => bad_ids
                    .get(i - n)
                    .and_then(|b| errors.get(b.0))
                    .map_or(0, |e| e.line),
            },
            "claim_id",
        );
        if dups.is_empty() {
            return Ok(());
        }
        let mut marked = vec![false; n];
        let mut again = Vec::new();
        for (i, reason) in dups {
            match self.rows.get(i) {
                Some(c) => {
                    marked[i] = true;
                    again.push((c.line, reason));
                }
                None => {
                    if let Some(e) = bad_ids.get(i - n).and_then(|b| errors.get_mut(b.0)) {
                        e.reason = format!("{}; {reason}", e.reason);
                    }
                }
            }
        }
        retain_unmarked(&mut self.rows, &marked);
        for col in self.extras.iter_mut() {
            retain_unmarked(col, &marked);
        }
        retain_unmarked(patient_of, &marked);
        if !again.is_empty() {
            errors.extend(reread_rows(input, &again)?);
            errors.sort_by_key(|e| e.line);
        }
        Ok(())
    }

    /// Sorts the rows (and their extra columns) into settlement order and
    /// numbers the patients in id order; `patient_of[i]` is row `i`'s patient id.
    pub(super) fn put_in_settlement_order(
        &mut self,
        patient_of: &[TextRef],
        threads: usize,
        bucket: usize,
    ) -> Result<(), String> {
        let keyed = self.settlement_keys(patient_of, threads, bucket);
        // Patients in id order: a new one wherever the id changes. Equal packed
        // keys mean equal ids unless the ids are 16 bytes or more or differ in
        // length, so the texts are read only there.
        self.patients.clear();
        let mut patient_at: Vec<u32> = Vec::with_capacity(keyed.len());
        for (k, key) in keyed.iter().enumerate() {
            let new = match k.checked_sub(1).map(|j| &keyed[j]) {
                None => true,
                Some(was) if prefix_of(was) == prefix_of(key) => {
                    let (a, b) = (patient_of[index_of(key)], patient_of[index_of(was)]);
                    (len_of(key) != len_of(was) || len_of(key) >= 16)
                        && self.text(a) != self.text(b)
                }
                Some(_) => true,
            };
            if new {
                self.patients.push(patient_of[index_of(key)]);
            }
            patient_at.push((self.patients.len() - 1) as u32);
        }
        let order: Vec<u32> = keyed.iter().map(|k| index_of(k) as u32).collect();
        drop(keyed);
        permute(&mut self.rows, &order);
        for col in &mut self.extras {
            permute(col, &order);
        }
        for (c, p) in self.rows.iter_mut().zip(patient_at) {
            c.patient = p;
        }
        self.text_in_order(threads)
    }

    /// Rewrites the arena in settlement order: each claim's id and codes
    /// after the claim before it, then the patient ids in order, then any
    /// extra text columns. Every later pass reads the claims front to back,
    /// and now their text too, instead of a cache miss at a random place of
    /// the arena for every claim. The claims are rewritten in chunks on the
    /// threads, each into its own part of the new text.
    fn text_in_order(&mut self, threads: usize) -> Result<(), String> {
        let Claims {
            rows,
            arena,
            patients,
            extras,
            ..
        } = self;
        let old: &Arena = arena;
        let too_much = || "more than 4 GiB of claim text".to_string();
        let chunk = rows.len().div_ceil(threads.max(1) * 4).max(1);
        let sizes: Vec<usize> = rows
            .chunks(chunk)
            .map(|part| {
                part.iter()
                    .map(|c| (c.id.len + c.disease_code.len + c.drg_code.len) as usize)
                    .sum()
            })
            .collect();
        let claims_text: usize = sizes.iter().sum();
        // Every start below is under this; the old arena held at least as much.
        u32::try_from(claims_text).map_err(|_| too_much())?;
        let mut buf = vec![0u8; claims_text];
        let mut rest = buf.as_mut_slice();
        let mut at = 0usize;
        let mut jobs = Vec::with_capacity(sizes.len());
        for (part, size) in rows.chunks_mut(chunk).zip(&sizes) {
            let (here, after) = std::mem::take(&mut rest).split_at_mut(*size);
            rest = after;
            let base = at;
            at += size;
            jobs.push(move || {
                let mut used = 0usize;
                // `here` holds exactly the part's texts, so every copy fits.
                let mut put = |r: TextRef| {
                    let t = old.get(r).as_bytes();
                    here[used..used + t.len()].copy_from_slice(t);
                    let moved = TextRef {
                        start: (base + used) as u32,
                        len: t.len() as u32,
                    };
                    used += t.len();
                    moved
                };
                for c in part.iter_mut() {
                    c.id = put(c.id);
                    c.disease_code = put(c.disease_code);
                    c.drg_code = put(c.drg_code);
                }
            });
        }
        run_jobs(jobs, threads);
        // Whole texts of valid UTF-8, copied whole: valid UTF-8.
        let text = String::from_utf8(buf).map_err(|_| "claim text out of order".to_string())?;
        let mut text = Arena::from_text(text);
        for p in patients.iter_mut() {
            *p = text.push(old.get(*p))?;
        }
        for col in extras.iter_mut() {
            for v in col.iter_mut() {
                if let Extra::Text(t) = v {
                    *t = text.push(old.get(*t))?;
                }
            }
        }
        *arena = text;
        Ok(())
    }

    /// Every row's key, in settlement order. Sorted by (first 16 bytes of the
    /// patient id, discharge day, id length, index), then the runs the packed
    /// key cannot decide are sorted in full: patient ids of 16 bytes or
    /// more, or differing in length (ending in NULs), or one patient's
    /// claims on one day (by claim id).
    ///
    /// The keys are sorted in buckets of about `bucket` rows, each a range
    /// of patient-id prefixes, the ranges cut at an even sample of the rows'
    /// prefixes: each row's key is written straight into its bucket, and
    /// each bucket is sorted on its own, in cache, on the threads. One array
    /// of keys, no merge. Every row of a patient is in one bucket (the
    /// bucket is a function of the id), so later passes can take the
    /// buckets as units.
    fn settlement_keys(&self, patient_of: &[TextRef], threads: usize, bucket: usize) -> Vec<Key> {
        let n = self.rows.len();
        let prefix = |i: usize| prefix16(self.text(patient_of[i]));
        let wanted = (n / bucket.max(1)).max(1);
        let samples = (wanted * 8).min(n);
        let mut sample: Vec<(u64, u64)> = (0..samples)
            .map(|s| prefix((s as u128 * n as u128 / samples as u128) as usize))
            .collect();
        sample.sort_unstable();
        let mut cuts: Vec<(u64, u64)> = (1..wanted).map(|b| sample[b * samples / wanted]).collect();
        cuts.dedup();
        drop(sample);
        // Bucket b holds the prefixes from cuts[b − 1] (included) to cuts[b].
        // The prefix is read again when the key is written below: a second
        // front-to-back read of the text costs less than keeping 16 bytes a row.
        let bucket_of = |p: (u64, u64)| cuts.partition_point(|&c| c <= p);
        let buckets = cuts.len() + 1;
        let chunk = n.div_ceil(threads.max(1)).max(1);
        let chunks = n.div_ceil(chunk);

        // Each row's bucket, and how many rows of each chunk fall in each bucket.
        let mut bucket_at = vec![0u32; n];
        let mut counts = vec![vec![0u32; buckets]; chunks];
        let jobs = bucket_at
            .chunks_mut(chunk)
            .zip(counts.iter_mut())
            .enumerate()
            .map(|(j, (out, count))| {
                let bucket_of = &bucket_of;
                move || {
                    for (i, b) in out.iter_mut().enumerate() {
                        let at = bucket_of(prefix(j * chunk + i));
                        *b = at as u32;
                        count[at] += 1;
                    }
                }
            })
            .collect();
        run_jobs(jobs, threads);

        // The keys, bucket after bucket; within a bucket, chunk after chunk.
        let mut keyed: Vec<Key> = vec![(0, 0, 0); n];
        let mut places: Vec<Vec<&mut [Key]>> =
            (0..chunks).map(|_| Vec::with_capacity(buckets)).collect();
        let mut bounds = Vec::with_capacity(buckets + 1);
        let mut rest = keyed.as_mut_slice();
        bounds.push(0);
        for b in 0..buckets {
            for (place, count) in places.iter_mut().zip(&counts) {
                let (here, after) = std::mem::take(&mut rest).split_at_mut(count[b] as usize);
                place.push(here);
                rest = after;
            }
            bounds.push(n - rest.len());
        }
        drop(counts);
        let jobs = places
            .into_iter()
            .enumerate()
            .map(|(j, mut place)| {
                let (rows, pats, bucket_at) = (&self.rows, patient_of, &bucket_at);
                move || {
                    let mut next = vec![0usize; place.len()];
                    let end = ((j + 1) * chunk).min(n);
                    for i in j * chunk..end {
                        let b = bucket_at[i] as usize;
                        let (p, c) = (pats[i], &rows[i]);
                        let (hi, lo) = prefix16(self.text(p));
                        place[b][next[b]] = (hi, lo, day_len_index(c, p, i as u32));
                        next[b] += 1;
                    }
                }
            })
            .collect();
        run_jobs(jobs, threads);
        drop(bucket_at);

        // Each bucket sorted on its own.
        let mut jobs = Vec::with_capacity(buckets);
        let mut rest = keyed.as_mut_slice();
        for w in bounds.windows(2) {
            let (here, after) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
            rest = after;
            jobs.push(move || here.sort_unstable());
        }
        run_jobs(jobs, threads);

        let full = |a: &Key, b: &Key| {
            let (a, b) = (index_of(a), index_of(b));
            let (x, y) = (&self.rows[a], &self.rows[b]);
            self.text(patient_of[a])
                .as_bytes()
                .cmp(self.text(patient_of[b]).as_bytes())
                .then(x.discharge.cmp(&y.discharge))
                .then_with(|| self.text(x.id).as_bytes().cmp(self.text(y.id).as_bytes()))
        };
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            let mut undecided = len_of(&keyed[start]) >= 16;
            while end < keyed.len() && prefix_of(&keyed[end]) == prefix_of(&keyed[start]) {
                undecided |= len_of(&keyed[end]) != len_of(&keyed[start])
                    || day_of(&keyed[end]) == day_of(&keyed[end - 1]);
                end += 1;
            }
            if undecided {
                keyed[start..end].sort_unstable_by(full);
            }
            start = end;
        }
        keyed
    }
}

/// The rows at the lines of `bad` (with the reason for each, in line order),
/// read again from the file: only for rows found bad after reading, which are rare.
pub(super) fn reread_rows(
    input: &Input,
    bad: &[(u64, String)],
) -> Result<Vec<RowError>, DataError> {
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

/// Rows per bucket of [`permute`]: 16384 rows of about 100 bytes, a
/// region the caches hold while its rows are put in place.
const SPAN: usize = 1 << 14;

/// Rearranges `v` in place so that `v[k]` becomes the old `v[order[k]]`
/// (`order` a permutation), without a second copy of the rows.
///
/// Following the permutation's cycles through millions of rows touches a
/// random row at every step, each a cache and TLB miss. So the rows are
/// moved in two passes: first each into the bucket of [`SPAN`] places its
/// destination lies in (every bucket filled front to back, as an American
/// flag sort does: few places written at a time), then within each bucket
/// along the cycles, all in a region the caches hold.
fn permute<T>(v: &mut [T], order: &[u32]) {
    let n = v.len();
    // dest[i]: where the row now at i goes.
    let mut dest = vec![0u32; n];
    for (k, &o) in order.iter().enumerate() {
        dest[o as usize] = k as u32;
    }
    let buckets = n.div_ceil(SPAN);
    let end = |b: usize| ((b + 1) * SPAN).min(n);
    if buckets > 1 {
        // The next place of each bucket not yet holding one of its rows.
        let mut next: Vec<usize> = (0..buckets).map(|b| b * SPAN).collect();
        for b in 0..buckets {
            while next[b] < end(b) {
                let i = next[b];
                let t = dest[i] as usize / SPAN;
                if t == b {
                    next[b] += 1;
                } else {
                    // Row i to its bucket's next place; what was there, to i.
                    let j = next[t];
                    v.swap(i, j);
                    dest.swap(i, j);
                    next[t] += 1;
                }
            }
        }
    }
    for b in 0..buckets {
        for i in b * SPAN..end(b) {
            while dest[i] as usize != i {
                let d = dest[i] as usize;
                v.swap(i, d);
                dest.swap(i, d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_follows_every_cycle() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        // Cycles (0 3 5)(1 2) and the fixed point 4.
        let order = [3, 2, 1, 5, 4, 0];
        permute(&mut v, &order);
        let expected: Vec<char> = order
            .iter()
            .map(|&i| ['a', 'b', 'c', 'd', 'e', 'f'][i as usize])
            .collect();
        assert_eq!(v, expected);
        assert_eq!(v, vec!['d', 'c', 'b', 'f', 'e', 'a']);
    }

    #[test]
    fn permute_moves_rows_across_buckets_as_a_copy_would() {
        // More rows than three buckets hold; the order a scrambled
        // permutation (7919 is prime to n), and the reverse.
        let n = 3 * SPAN + 123;
        let scrambled: Vec<u32> = (0..n).map(|i| ((i * 7919) % n) as u32).collect();
        let reversed: Vec<u32> = (0..n as u32).rev().collect();
        for order in [scrambled, reversed] {
            let rows: Vec<u64> = (0..n as u64).map(|i| i * 10 + 1).collect();
            let copied: Vec<u64> = order.iter().map(|&o| rows[o as usize]).collect();
            let mut moved = rows.clone();
            permute(&mut moved, &order);
            assert_eq!(moved, copied);
        }
    }
}
