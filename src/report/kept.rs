//! Input columns carried into `claims.csv` (`run --keep-columns`), so that an
//! analysis needs no join back to the input: the claims file's other
//! columns, the institution's, and the policy's declared extra columns.
//! Each is resolved once, before settling, to where its value lives.

use crate::data::{Claim, Claims, Extra, Institutions};
use crate::ir::Program;
use crate::schema::EnumKind;

/// Where a kept column's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    InsuredType,
    Retired,
    Age,
    AdmitDate,
    SelfPayCost,
    DrugCost,
    DiseaseCode,
    DrgCode,
    /// The institution's columns.
    InstitutionName,
    Level,
    Grade,
    AllianceId,
    /// A declared `field claim.X` column, by its index.
    ClaimExtra(usize),
    /// A declared `field institution.X` column, by its index.
    InstitutionExtra(usize),
}

/// The input columns that can be kept, by the name the data contract (or
/// the policy's `field`) gives them, in the order `all` keeps them.
fn keepable(prog: &Program) -> Vec<(String, Kept)> {
    let mut v: Vec<(String, Kept)> = [
        ("insured_type", Kept::InsuredType),
        ("retired", Kept::Retired),
        ("age", Kept::Age),
        ("admit_date", Kept::AdmitDate),
        ("self_pay_cost", Kept::SelfPayCost),
        ("drug_cost", Kept::DrugCost),
        ("disease_code", Kept::DiseaseCode),
        ("drg_code", Kept::DrgCode),
        ("institution_name", Kept::InstitutionName),
        ("level", Kept::Level),
        ("grade", Kept::Grade),
        ("alliance_id", Kept::AllianceId),
    ]
    .into_iter()
    .map(|(n, k)| (n.to_string(), k))
    .collect();
    v.extend(
        prog.claim_extras
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), Kept::ClaimExtra(i))),
    );
    v.extend(
        prog.inst_extras
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), Kept::InstitutionExtra(i))),
    );
    v
}

/// The columns of `--keep-columns LIST` (names separated by commas, or
/// `all`), with their header names; an error names what cannot be kept
/// and what can. `written` are the columns claims.csv has already.
pub fn resolve_kept(
    prog: &Program,
    list: &str,
    written: &[String],
) -> Result<Vec<(String, Kept)>, String> {
    let can = keepable(prog);
    let names = || {
        can.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wanted: Vec<&str> = if list.trim() == "all" {
        can.iter().map(|(n, _)| n.as_str()).collect()
    } else {
        list.split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect()
    };
    let mut out: Vec<(String, Kept)> = Vec::with_capacity(wanted.len());
    for name in wanted {
        if written.iter().any(|w| w == name) {
            if list.trim() == "all" {
                continue;
            }
            return Err(format!("--keep-columns: `{name}` is in claims.csv already"));
        }
        let Some((n, k)) = can.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "--keep-columns: `{name}` is not an input column yibao reads; it can keep {} (declare another with `field claim.NAME: TYPE`)",
                names()
            ));
        };
        if !out.iter().any(|(_, o)| o == k) {
            out.push((n.clone(), *k));
        }
    }
    Ok(out)
}

/// A kept column's value, borrowed from the inputs (no copy per claim).
pub(crate) enum KeptValue<'a> {
    Text(&'a str),
    Date(crate::date::Date),
    Money(rust_decimal::Decimal),
    Int(i64),
    /// A number of a declared column's type.
    Value(crate::check::types::Ty, rust_decimal::Decimal),
    Bool(bool),
    Absent,
}

/// A kept column's value for claim `i`.
pub(crate) fn kept_value<'a>(
    k: Kept,
    claims: &'a Claims,
    i: usize,
    c: &Claim,
    insts: &'a Institutions,
    prog: &Program,
) -> KeptValue<'a> {
    use KeptValue as V;
    let inst = insts.rows.get(c.institution as usize);
    let extra = |v: Option<&Extra>, arena: &'a crate::data::Arena, ty| match v {
        None => V::Absent,
        Some(Extra::Num(d)) => V::Value(ty, *d),
        Some(Extra::Text(t)) => V::Text(arena.get(*t)),
        Some(Extra::Date(d)) => V::Date(*d),
        Some(Extra::Bool(b)) => V::Bool(*b),
    };
    match k {
        Kept::InsuredType => V::Text(EnumKind::InsuredType.name_of(c.insured_type)),
        Kept::Retired => V::Bool(c.retired),
        Kept::Age => V::Int(i64::from(c.age)),
        Kept::AdmitDate => V::Date(c.admit),
        Kept::SelfPayCost => V::Money(c.self_pay_cost()),
        Kept::DrugCost => V::Money(c.drug_cost()),
        Kept::DiseaseCode => V::Text(claims.text(c.disease_code)),
        Kept::DrgCode => V::Text(claims.text(c.drg_code)),
        Kept::InstitutionName => inst.map_or(V::Absent, |x| V::Text(&x.name)),
        // Levels are written 1, 2, 3.
        Kept::Level => inst.map_or(V::Absent, |x| {
            EnumKind::Level
                .name_of(x.level)
                .parse()
                .map_or(V::Absent, V::Int)
        }),
        Kept::Grade => inst.map_or(V::Absent, |x| V::Text(EnumKind::Grade.name_of(x.grade))),
        Kept::AllianceId => inst.map_or(V::Absent, |x| V::Text(&x.alliance)),
        Kept::ClaimExtra(e) => {
            let ty = prog.claim_extras.get(e).map(|f| f.ty);
            let v = claims.extras.get(e).and_then(|col| col.get(i));
            ty.map_or(V::Absent, |ty| extra(v, &claims.arena, ty))
        }
        Kept::InstitutionExtra(e) => {
            let ty = prog.inst_extras.get(e).map(|f| f.ty);
            let v = inst.and_then(|x| x.extras.get(e));
            ty.map_or(V::Absent, |ty| extra(v, &insts.arena, ty))
        }
    }
}
