//! Per-claim and per-institution-month result files.
//!
//! The standard columns come first in every policy, so results of different
//! regions line up: `fund_paid`, `serious_paid` (zero when the policy has no
//! such layer), any other layers, `patient_paid`, then the policy's outputs.

use super::{money, number, Format};
use crate::check::types::Ty;
use crate::data::{Claims, Institutions};
use crate::eval::{Settlement, Summary, Totals};
use crate::ir::Program;
use crate::schema::EnumKind;
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
        ResultColumns { layers, outputs }
    }

    pub fn layer_values(&self, t: &Totals) -> Vec<String> {
        self.layers
            .iter()
            .map(|(_, i)| {
                i.and_then(|i| t.layers.get(i))
                    .map_or("0.00".into(), |v| money(*v))
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
    summary: &Summary,
) -> std::io::Result<Vec<std::path::PathBuf>> {
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
        "total_cost",
    ]
    .map(String::from)
    .to_vec();
    header.extend(cols.layers.iter().map(|(n, _)| n.clone()));
    header.push("patient_paid".into());
    header.extend(cols.outputs.iter().map(|(n, _)| n.clone()));

    let mut rows = Rows::new(&claims_path, json, header)?;
    let mut rec: Vec<String> = Vec::new();
    for (k, &ci) in s.order.iter().enumerate() {
        let c = &claims.rows[ci as usize];
        let row = s.row(k);
        rec.clear();
        rec.push(claims.text(c.id).to_string());
        rec.push(claims.text(claims.patients[c.patient as usize]).to_string());
        rec.push(
            insts
                .rows
                .get(c.institution as usize)
                .map_or(String::new(), |i| i.id.clone()),
        );
        rec.push(EnumKind::VisitType.name_of(c.visit_type).to_string());
        rec.push(c.discharge.to_string());
        rec.push(money(c.total_cost));
        for (_, li) in &cols.layers {
            rec.push(li.map_or("0.00".into(), |i| money(row[i])));
        }
        rec.push(money(row[s.n_layers]));
        for (j, (_, ty)) in cols.outputs.iter().enumerate() {
            let v = row[s.n_layers + 1 + j];
            rec.push(if *ty == Ty::Money {
                money(v)
            } else {
                number(v)
            });
        }
        rows.write(&rec)?;
    }
    rows.finish()?;

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
    let mut rows = Rows::new(&inst_path, json, header)?;
    for (&(ii, y, m), t) in &summary.by_institution_month {
        let inst = insts.rows.get(ii as usize);
        rec.clear();
        rec.push(inst.map_or(String::new(), |i| i.id.clone()));
        rec.push(inst.map_or(String::new(), |i| i.name.clone()));
        rec.push(y.to_string());
        rec.push(m.to_string());
        rec.push(t.claims.to_string());
        rec.push(money(t.total_cost));
        rec.extend(cols.layer_values(t));
        rec.push(money(t.patient_paid));
        rows.write(&rec)?;
    }
    rows.finish()?;
    Ok(vec![claims_path, inst_path])
}

/// A CSV or JSON-array writer of string rows (amounts stay strings in JSON,
/// so they keep every fen exactly).
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

    pub(crate) fn write(&mut self, rec: &[String]) -> std::io::Result<()> {
        if self.json {
            let obj: serde_json::Map<String, serde_json::Value> = self
                .header
                .iter()
                .zip(rec)
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            self.out
                .write_all(if self.first { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut self.out, &obj)?;
        } else {
            write_csv_line(&mut self.out, rec)?;
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
        if f.contains([',', '"', '\n', '\r']) {
            out.write_all(b"\"")?;
            out.write_all(f.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(f.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}
