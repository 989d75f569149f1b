//! Per-claim and per-institution-month result files.
//!
//! The standard columns come first in every policy, so results of different
//! regions line up: `fund_paid`, `serious_paid` (zero when the policy has no
//! such layer), any other layers, `patient_paid`, `institution_borne`, the
//! fee block's column (when the policy has one), then the policy's outputs.

use super::{money, number, Field, Format};
use crate::check::types::Ty;
use crate::data::{Claims, Institutions};
use crate::eval::{Settlement, Totals};
use crate::ir::Program;
use crate::schema::EnumKind;
use rust_decimal::Decimal;
use std::io::Write;
use std::path::Path;

/// Standard layers every result file has, whether or not a policy defines them.
pub const STANDARD_LAYERS: &[&str] = &["fund_paid", "serious_paid"];

/// Where each result column comes from.
#[derive(Debug, Clone)]
pub struct ResultColumns {
    /// (column name, layer index if the policy has that layer)
    pub layers: Vec<(String, Option<usize>)>,
    pub outputs: Vec<(String, Ty)>,
    /// The fee block's name, when the policy has one.
    pub fee: Option<String>,
}

impl ResultColumns {
    pub fn of(prog: &Program) -> ResultColumns {
        let mut layers: Vec<(String, Option<usize>)> = STANDARD_LAYERS
            .iter()
            .map(|s| (s.to_string(), prog.layers.iter().position(|l| l.name == *s)))
            .collect();
        for (i, l) in prog.layers.iter().enumerate() {
            if !STANDARD_LAYERS.contains(&l.name.as_str()) {
                layers.push((l.name.clone(), Some(i)));
            }
        }
        let outputs = prog
            .outputs
            .iter()
            .map(|o| (o.name.clone(), o.ty))
            .collect();
        ResultColumns {
            layers,
            outputs,
            fee: prog.fee.as_ref().map(|f| f.name.clone()),
        }
    }

    pub fn layer_values(&self, t: &Totals) -> Vec<String> {
        self.layer_fields(t).iter().map(Field::text).collect()
    }

    /// What each layer column paid in `t` (zero for a standard layer the policy lacks).
    pub fn layer_fields(&self, t: &Totals) -> Vec<Field> {
        self.layers
            .iter()
            .map(|(_, i)| {
                Field::Money(i.and_then(|i| t.layers.get(i)).copied().unwrap_or_default())
            })
            .collect()
    }
}

/// Writes `claims.csv|json` and `institution_months.csv|json` into `dir`.
pub fn write_results(
    dir: &Path,
    format: Format,
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    s: &Settlement,
    threads: usize,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let summary = &s.summary;
    std::fs::create_dir_all(dir)?;
    let cols = ResultColumns::of(prog);
    let json = format == Format::Json;
    let ext = if json { "json" } else { "csv" };
    let claims_path = dir.join(format!("claims.{ext}"));
    let inst_path = dir.join(format!("institution_months.{ext}"));

    let mut header: Vec<String> = [
        "claim_id",
        "patient_id",
        "institution_id",
        "visit_type",
        "discharge_date",
        "year",
        "month",
        "total_cost",
    ]
    .map(String::from)
    .to_vec();
    header.extend(cols.layers.iter().map(|(n, _)| n.clone()));
    header.push("patient_paid".into());
    header.push("institution_borne".into());
    header.extend(cols.fee.iter().cloned());
    header.extend(cols.outputs.iter().map(|(n, _)| n.clone()));

    if json {
        let mut rows = Rows::new(&claims_path, json, header)?;
        let mut rec = Typed(Vec::new());
        for k in 0..s.len() {
            rec.0.clear();
            claim_fields(&mut rec, prog, &cols, claims, insts, s, k);
            rows.write(&rec.0)?;
        }
        rows.finish()?;
    } else {
        write_claims_csv(
            &claims_path,
            &header,
            prog,
            &cols,
            claims,
            insts,
            s,
            threads,
        )?;
    }

    let mut header: Vec<String> = [
        "institution_id",
        "name",
        "year",
        "month",
        "claims",
        "total_cost",
    ]
    .map(String::from)
    .to_vec();
    header.extend(cols.layers.iter().map(|(n, _)| n.clone()));
    header.push("patient_paid".into());
    header.push("institution_borne".into());
    let mut rows = Rows::new(&inst_path, json, header)?;
    let mut rec: Vec<Field> = Vec::new();
    // By institution_id, year and month: the same rows in any order of the file.
    let mut cells: Vec<(&str, i32, u32, u32, &Totals)> = summary
        .by_institution_month
        .iter()
        .map(|(&(ii, y, m), t)| {
            let id = insts.rows.get(ii as usize).map_or("", |i| i.id.as_str());
            (id, y, m, ii, t)
        })
        .collect();
    cells.sort_by(|a, b| (a.0.as_bytes(), a.1, a.2).cmp(&(b.0.as_bytes(), b.1, b.2)));
    for (_, y, m, ii, t) in cells {
        let inst = insts.rows.get(ii as usize);
        rec.clear();
        rec.push(inst.map_or(String::new(), |i| i.id.clone()).into());
        rec.push(inst.map_or(String::new(), |i| i.name.clone()).into());
        rec.push(Field::count(y));
        rec.push(Field::count(m));
        rec.push(Field::count(t.claims));
        rec.push(Field::Money(t.total_cost));
        rec.extend(cols.layer_fields(t));
        rec.push(Field::Money(t.patient_paid));
        rec.push(Field::Money(t.institution_borne));
        rows.write(&rec)?;
    }
    rows.finish()?;
    Ok(vec![claims_path, inst_path])
}

/// Claims per block when formatting `claims.csv` in parallel: big enough to
/// keep threads busy, small enough that the blocks in flight stay a few MB.
const BLOCK: usize = 1 << 14;

/// Writes `claims.csv` in settlement order. Block `b` of claims is formatted
/// by thread `b % threads` and handed to this thread over that thread's own
/// channel; this thread takes the blocks in order (0, 1, 2, … round the
/// channels) and writes them while the others format the next ones. So the
/// bytes are the same for any number of threads, and memory stays a few
/// blocks per thread (each channel holds at most two).
#[expect(
    clippy::too_many_arguments,
    reason = "the data of one file, passed down"
)]
fn write_claims_csv(
    path: &Path,
    header: &[String],
    prog: &Program,
    cols: &ResultColumns,
    claims: &Claims,
    insts: &Institutions,
    s: &Settlement,
    threads: usize,
) -> std::io::Result<()> {
    let mut out = std::fs::File::create(path)?;
    let mut head = Vec::new();
    write_csv_line(&mut head, header)?;
    out.write_all(&head)?;
    let threads = crate::eval::threads_for(threads).max(1);
    let n = s.len();
    let blocks = n.div_ceil(BLOCK);
    std::thread::scope(|scope| {
        let mut from_worker = Vec::with_capacity(threads);
        // Emptied buffers go back to their thread, so each reuses a few.
        let mut to_worker = Vec::with_capacity(threads);
        for t in 0..threads {
            let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
            let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
            from_worker.push(full_rx);
            to_worker.push(empty_tx);
            std::thread::Builder::new()
                .spawn_scoped(scope, move || {
                    for b in (t..blocks).step_by(threads) {
                        let mut buf = empty_rx.try_recv().unwrap_or_default();
                        buf.clear();
                        for k in b * BLOCK..((b + 1) * BLOCK).min(n) {
                            claim_line(&mut buf, prog, cols, claims, insts, s, k);
                        }
                        // The writer stopped (a write failed): nothing more to do.
                        if full_tx.send(buf).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| {
                    std::io::Error::other(format!("cannot start a formatting thread ({e})"))
                })?;
        }
        for b in 0..blocks {
            let t = b % threads;
            let buf = from_worker[t].recv().map_err(|_| {
                std::io::Error::other("a formatting thread stopped before its block (a bug in yibao: please report it)")
            })?;
            out.write_all(&buf)?;
            // A worker that has finished no longer takes buffers back.
            let _ = to_worker[t].send(buf);
        }
        Ok::<(), std::io::Error>(())
    })?;
    out.flush()
}

/// Where a row's fields go: a CSV line, or typed fields for JSON.
trait Fields {
    fn text(&mut self, s: &str);
    fn money(&mut self, d: Decimal);
    /// An output of type `ty`.
    fn value(&mut self, ty: Ty, d: Decimal);
    /// A whole number (a year, a month): a JSON number.
    fn int(&mut self, n: i64);
    /// A text, bool or date output, or an absent one.
    fn field(&mut self, f: Field);
}

/// Fields appended to a CSV line.
struct CsvLine<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl CsvLine<'_> {
    fn sep(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.buf.push(b',');
        }
    }
}

impl Fields for CsvLine<'_> {
    fn text(&mut self, f: &str) {
        self.sep();
        // A byte scan: every character that needs quoting is ASCII.
        if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            self.buf.push(b'"');
            self.buf
                .extend_from_slice(f.replace('"', "\"\"").as_bytes());
            self.buf.push(b'"');
        } else {
            self.buf.extend_from_slice(f.as_bytes());
        }
    }

    fn money(&mut self, d: Decimal) {
        self.sep();
        push_money(self.buf, d);
    }

    fn value(&mut self, ty: Ty, d: Decimal) {
        if ty == Ty::Money {
            self.money(d);
        } else {
            self.text(&number(d));
        }
    }

    fn int(&mut self, n: i64) {
        // Digits need no quoting: straight into the line, no String.
        self.sep();
        if n < 0 {
            self.buf.push(b'-');
        }
        push_digits(self.buf, u128::from(n.unsigned_abs()));
    }

    fn field(&mut self, f: Field) {
        self.text(&f.text());
    }
}

struct Typed(Vec<Field>);

impl Fields for Typed {
    fn text(&mut self, s: &str) {
        self.0.push(s.into());
    }

    fn money(&mut self, d: Decimal) {
        self.0.push(Field::Money(d));
    }

    fn value(&mut self, ty: Ty, d: Decimal) {
        self.0.push(Field::of(ty, d));
    }

    fn int(&mut self, n: i64) {
        self.0.push(Field::Int(n));
    }

    fn field(&mut self, f: Field) {
        self.0.push(f);
    }
}

/// One claim's result line, CSV, with its newline.
fn claim_line(
    buf: &mut Vec<u8>,
    prog: &Program,
    cols: &ResultColumns,
    claims: &Claims,
    insts: &Institutions,
    s: &Settlement,
    k: usize,
) {
    claim_fields(
        &mut CsvLine { buf, first: true },
        prog,
        cols,
        claims,
        insts,
        s,
        k,
    );
    buf.push(b'\n');
}

/// One claim's result fields, in the order of the header.
fn claim_fields(
    out: &mut impl Fields,
    prog: &Program,
    cols: &ResultColumns,
    claims: &Claims,
    insts: &Institutions,
    s: &Settlement,
    k: usize,
) {
    let c = &claims.rows[k];
    let row = s.row(k);
    out.text(claims.text(c.id));
    out.text(claims.text(claims.patients[c.patient as usize]));
    out.text(
        insts
            .rows
            .get(c.institution as usize)
            .map_or("", |i| i.id.as_str()),
    );
    out.text(EnumKind::VisitType.name_of(c.visit_type));
    let date = c.discharge.iso_bytes();
    out.text(std::str::from_utf8(&date).unwrap_or_default());
    // The settlement period: the year and month of discharge.
    let (year, month) = c.discharge.year_month();
    out.int(i64::from(year));
    out.int(i64::from(month));
    out.money(c.total_cost);
    for (_, li) in &cols.layers {
        out.money(li.map_or(Decimal::ZERO, |i| row[i]));
    }
    out.money(row[s.patient_col()]);
    out.money(row[s.borne_col()]);
    if let Some(fc) = s.fee_col() {
        out.money(row[fc]);
    }
    let vals = s.vals_row(k);
    let inst = insts.rows.get(c.institution as usize);
    for (j, (_, ty)) in cols.outputs.iter().enumerate() {
        if ty.is_numeric() {
            out.value(*ty, row[s.output_col(j)]);
        } else {
            let v = vals.get(j).copied().unwrap_or_default();
            let shown = crate::eval::value::shown(v, j, prog, claims, insts, inst);
            out.field(Field::shown(shown));
        }
    }
}

/// [`money`] straight into bytes: whole fen without going through a String.
pub(crate) fn push_money(buf: &mut Vec<u8>, d: Decimal) {
    match crate::eval::fen(d) {
        Some(f) => {
            if f < 0 {
                buf.push(b'-');
            }
            let a = f.unsigned_abs();
            // In 64 bits when it fits (every real amount): no 128-bit division.
            let (yuan, cents) = match u64::try_from(a) {
                Ok(a) => (u128::from(a / 100), (a % 100) as u8),
                Err(_) => (a / 100, (a % 100) as u8),
            };
            push_digits(buf, yuan);
            buf.extend_from_slice(&[b'.', b'0' + cents / 10, b'0' + cents % 10]);
        }
        None => buf.extend_from_slice(money(d).as_bytes()),
    }
}

/// The decimal digits of `n`. Nearly every amount fits 64 bits, where
/// division by 10 is a multiply; 128-bit division is a library call per
/// digit, so it only peels the low digits off until the rest fits 64 bits.
fn push_digits(buf: &mut Vec<u8>, mut n: u128) {
    let mut tmp = [0u8; 40];
    let mut i = tmp.len();
    let mut small = loop {
        match u64::try_from(n) {
            Ok(small) => break small,
            Err(_) => {
                i -= 1;
                tmp[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
    };
    loop {
        i -= 1;
        tmp[i] = b'0' + (small % 10) as u8;
        small /= 10;
        if small == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// A CSV or JSON-array writer of typed rows: in JSON counts are numbers,
/// amounts strings (so they keep every digit exactly), see [`Field`].
pub(crate) struct Rows {
    out: std::io::BufWriter<std::fs::File>,
    header: Vec<String>,
    json: bool,
    first: bool,
}

impl Rows {
    pub(crate) fn new(path: &Path, json: bool, header: Vec<String>) -> std::io::Result<Rows> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        if json {
            out.write_all(b"[")?;
        } else {
            write_csv_line(&mut out, &header)?;
        }
        Ok(Rows {
            out,
            header,
            json,
            first: true,
        })
    }

    pub(crate) fn write(&mut self, rec: &[Field]) -> std::io::Result<()> {
        if self.json {
            let obj: serde_json::Map<String, serde_json::Value> = self
                .header
                .iter()
                .zip(rec)
                .map(|(k, v)| (k.clone(), v.json()))
                .collect();
            self.out
                .write_all(if self.first { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &obj)?;
        } else {
            let text: Vec<String> = rec.iter().map(Field::text).collect();
            write_csv_line(&mut self.out, &text)?;
        }
        self.first = false;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        if self.json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()
    }
}

/// One CSV line, quoting only fields that need it.
pub(crate) fn write_csv_line(out: &mut impl Write, rec: &[String]) -> std::io::Result<()> {
    for (i, f) in rec.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_field(out, f)?;
    }
    out.write_all(b"\n")
}

/// One CSV field, quoted only when it holds a comma, a quote or a line break.
fn write_csv_field(out: &mut impl Write, f: &str) -> std::io::Result<()> {
    if f.contains([',', '"', '\n', '\r']) {
        out.write_all(b"\"")?;
        out.write_all(f.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(f.as_bytes())
    }
}

#[cfg(test)]
mod digits_tests {
    use super::push_digits;

    #[test]
    fn digits_on_both_sides_of_64_bits() {
        for n in [
            0,
            7,
            10,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            u128::MAX,
        ] {
            let mut buf = Vec::new();
            push_digits(&mut buf, n);
            assert_eq!(String::from_utf8_lossy(&buf), n.to_string());
        }
    }
}
