//! Per-claim and per-institution-month result files.
//!
//! The standard columns come first in every policy, so results of different
//! regions line up: `fund_paid`, `serious_paid` (zero when the policy has no
//! such layer), any other layers, `patient_paid`, `institution_borne`, the
//! fee block's column (when the policy has one), then the policy's outputs.

use super::kept::{kept_value, Kept, KeptValue};
use super::{money, number, Encoded, Encoding, Field, Format};
use crate::check::types::Ty;
use crate::data::{Claims, Institutions};
use crate::eval::{Block, Summary, Totals};
use crate::ir::Program;
use crate::schema::EnumKind;
use rust_decimal::Decimal;
use std::io::Write;
use std::path::{Path, PathBuf};

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

    /// `fixed`, then every layer column, `patient_paid` and `institution_borne`.
    fn header(&self, fixed: &[&str]) -> Vec<String> {
        let mut h: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
        h.extend(self.layers.iter().map(|(n, _)| n.clone()));
        h.push("patient_paid".into());
        h.push("institution_borne".into());
        h
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

/// The lines of `claims.csv|json`, made from blocks of results (on the
/// settling threads, see [`crate::eval::settle_streamed`]).
pub struct ClaimLines<'a> {
    prog: &'a Program,
    cols: ResultColumns,
    claims: &'a Claims,
    insts: &'a Institutions,
    json: bool,
    header: Vec<String>,
    /// Input columns carried after the results (`--keep-columns`).
    kept: Vec<Kept>,
}

impl<'a> ClaimLines<'a> {
    pub fn new(
        prog: &'a Program,
        claims: &'a Claims,
        insts: &'a Institutions,
        format: Format,
    ) -> ClaimLines<'a> {
        let cols = ResultColumns::of(prog);
        let mut header = cols.header(&[
            "claim_id",
            "patient_id",
            "institution_id",
            "visit_type",
            "discharge_date",
            "year",
            "month",
            "total_cost",
        ]);
        header.extend(cols.fee.iter().cloned());
        header.extend(cols.outputs.iter().map(|(n, _)| n.clone()));
        if prog.has_agreements() {
            header.push("agreement".into());
        }
        ClaimLines {
            prog,
            cols,
            claims,
            insts,
            json: format == Format::Json,
            header,
            kept: Vec::new(),
        }
    }

    /// The columns claims.csv has without kept ones.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Carries these input columns after the results (see
    /// [`super::resolve_kept`]), named as given.
    pub fn keeping(mut self, kept: &[(String, Kept)]) -> ClaimLines<'a> {
        self.header.extend(kept.iter().map(|(n, _)| n.clone()));
        self.kept = kept.iter().map(|(_, k)| *k).collect();
        self
    }

    /// The lines of a block's claims, in order: CSV lines, or JSON objects
    /// each after its separator (the first claim of the run's after none).
    pub fn lines(&self, b: Block<'_>) -> Vec<u8> {
        let mut buf = Vec::with_capacity(b.len() * 160);
        if self.json {
            let mut rec = Typed(Vec::new());
            for k in 0..b.len() {
                rec.0.clear();
                self.fields(&mut rec, b, k);
                // Into a Vec: writing cannot fail.
                let _ = json_record(&mut buf, &self.header, &rec.0, b.before + b.start + k == 0);
            }
        } else {
            for k in 0..b.len() {
                self.fields(
                    &mut CsvLine {
                        buf: &mut buf,
                        first: true,
                    },
                    b,
                    k,
                );
                buf.push(b'\n');
            }
        }
        buf
    }

    /// The result fields of the block's `k`-th claim, in the order of the header.
    fn fields(&self, out: &mut impl Fields, b: Block<'_>, k: usize) {
        let (prog, claims, insts, cols) = (self.prog, self.claims, self.insts, &self.cols);
        let Some(c) = claims.rows.get(b.start + k) else {
            return;
        };
        let row = b.row(k);
        let at = |i: usize| row.get(i).copied().unwrap_or_default();
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
        out.money(c.total_cost());
        for (_, li) in &cols.layers {
            out.money(li.map_or(Decimal::ZERO, at));
        }
        out.money(at(b.shape.patient_col()));
        out.money(at(b.shape.borne_col()));
        if let Some(fc) = b.shape.fee_col() {
            out.money(at(fc));
        }
        let vals = b.vals_row(k);
        let inst = insts.rows.get(c.institution as usize);
        for (j, (_, ty)) in cols.outputs.iter().enumerate() {
            if ty.is_numeric() {
                out.value(*ty, at(b.shape.output_col(j)));
            } else {
                let v = vals.get(j).copied().unwrap_or_default();
                let shown = crate::eval::value::shown(v, j, prog, claims, insts, inst);
                out.field(Field::shown(shown));
            }
        }
        if prog.has_agreements() {
            let book = &insts.agreement;
            if book.terminated(c.institution, c.discharge) {
                out.text("terminated");
            } else if book.suspended(c.institution, c.discharge) {
                out.text("suspended");
            } else {
                out.field(Field::Absent);
            }
        }
        for &kc in &self.kept {
            match kept_value(kc, claims, b.start + k, c, insts, prog) {
                KeptValue::Text(t) => out.text(t),
                KeptValue::Date(d) => {
                    out.text(std::str::from_utf8(&d.iso_bytes()).unwrap_or_default())
                }
                KeptValue::Money(m) => out.money(m),
                KeptValue::Int(n) => out.int(n),
                KeptValue::Value(ty, d) => out.value(ty, d),
                KeptValue::Bool(x) => out.field(Field::Bool(x)),
                KeptValue::Absent => out.field(Field::Absent),
            }
        }
    }
}

/// `claims.csv|json` being written: the header, then blocks of
/// [`ClaimLines::lines`] in settlement order, then (JSON) the closing bracket.
pub struct ClaimsFile {
    out: Encoded<std::io::BufWriter<std::fs::File>>,
    path: PathBuf,
    json: bool,
}

impl ClaimsFile {
    /// `claims.csv` (in `enc`) or `claims.json` (UTF-8) in `dir`, its header written.
    pub fn create(
        dir: &Path,
        lines: &ClaimLines<'_>,
        enc: Encoding,
    ) -> std::io::Result<ClaimsFile> {
        std::fs::create_dir_all(dir)?;
        let ext = if lines.json { "json" } else { "csv" };
        let path = dir.join(format!("claims.{ext}"));
        let file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&path)?);
        let mut out = Encoded::new(file, if lines.json { Encoding::Utf8 } else { enc })?;
        if lines.json {
            out.write_all(b"[")?;
        } else {
            write_csv_line(&mut out, &lines.header)?;
        }
        Ok(ClaimsFile {
            out,
            path,
            json: lines.json,
        })
    }

    /// The next block's lines.
    pub fn put(&mut self, lines: &[u8]) -> std::io::Result<()> {
        self.out.write_all(lines)
    }

    /// Ends the file; its path.
    pub fn finish(mut self) -> std::io::Result<PathBuf> {
        if self.json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.finish()?.flush()?;
        Ok(self.path)
    }
}

/// Writes `institution_months.csv|json` into `dir`: a row per institution
/// and month with claims, by institution_id, year and month.
pub fn write_institution_months(
    dir: &Path,
    (format, enc): (Format, Encoding),
    prog: &Program,
    insts: &Institutions,
    summary: &Summary,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let cols = ResultColumns::of(prog);
    let json = format == Format::Json;
    let ext = if json { "json" } else { "csv" };
    let inst_path = dir.join(format!("institution_months.{ext}"));
    let header = cols.header(&[
        "institution_id",
        "name",
        "year",
        "month",
        "claims",
        "total_cost",
    ]);
    let mut rows = Rows::new(&inst_path, (json, enc), header)?;
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
    Ok(inst_path)
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
    out: Encoded<std::io::BufWriter<std::fs::File>>,
    header: Vec<String>,
    json: bool,
    first: bool,
    /// A CSV line being formatted (reused: no allocation per row).
    buf: Vec<u8>,
}

impl Rows {
    /// A file of rows: JSON (always UTF-8), or CSV in `enc`.
    pub(crate) fn new(
        path: &Path,
        (json, enc): (bool, Encoding),
        header: Vec<String>,
    ) -> std::io::Result<Rows> {
        let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        let mut out = Encoded::new(file, if json { Encoding::Utf8 } else { enc })?;
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
            buf: Vec::with_capacity(256),
        })
    }

    /// Whether the file is JSON (else CSV).
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    pub(crate) fn write(&mut self, rec: &[Field]) -> std::io::Result<()> {
        if self.json {
            json_record(&mut self.out, &self.header, rec, self.first)?;
        } else {
            // Each field straight into bytes, as `Field::text` writes it.
            let buf = &mut self.buf;
            buf.clear();
            for (i, f) in rec.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                match f {
                    Field::Text(s) => push_csv_text(buf, s),
                    Field::Money(d) => push_money(buf, *d),
                    Field::Int(n) => {
                        if *n < 0 {
                            buf.push(b'-');
                        }
                        push_digits(buf, u128::from(n.unsigned_abs()));
                    }
                    Field::Exact(d) => push_csv_text(buf, &super::number(*d)),
                    Field::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
                    Field::Absent => {}
                }
            }
            buf.push(b'\n');
            self.out.write_all(buf)?;
        }
        self.first = false;
        Ok(())
    }

    /// A CSV line formatted by the caller (ending in `\n`).
    pub(crate) fn write_csv_bytes(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.first = false;
        self.out.write_all(line)
    }

    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        if self.json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.finish()?.flush()
    }
}

/// One JSON object of a JSON array of rows, after its separator (none but
/// a line break before the first).
fn json_record(
    out: &mut impl Write,
    header: &[String],
    rec: &[Field],
    first: bool,
) -> std::io::Result<()> {
    let obj: serde_json::Map<String, serde_json::Value> = header
        .iter()
        .zip(rec)
        .map(|(k, v)| (k.clone(), v.json()))
        .collect();
    out.write_all(if first { b"\n" } else { b",\n" })?;
    serde_json::to_writer(out, &obj)?;
    Ok(())
}

/// A CSV field into bytes, quoted only when it holds a comma, a quote or a
/// line break.
pub(crate) fn push_csv_text(buf: &mut Vec<u8>, f: &str) {
    // A byte scan: every character that needs quoting is ASCII.
    if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for &b in f.as_bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(f.as_bytes());
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
