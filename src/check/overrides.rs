//! `--set` overrides: a parameter (`门诊封顶=3000元`) or one table cell
//! (`封顶线[resident]=60万元`, `住院比例[employee, 3]=88%`, `起付线[else]=300元`)
//! replaced by a value written as in a policy, checked against the declared
//! type. Dated declarations are overridden in every version.

use super::literal::literal_value;
use crate::diagnostic::suggest;
use crate::ir::{Dim, KeyValue, ParamValue, Program, Table};
use rust_decimal::Decimal;

/// Applies `name = value` to the checked program.
pub fn apply_override(prog: &mut Program, name: &str, value: &str) -> Result<(), String> {
    let name = name.trim();
    if let Some((table, keys)) = name.strip_suffix(']').and_then(|n| n.split_once('[')) {
        return override_cell(prog, table.trim(), keys, value);
    }
    if !prog.params.iter().any(|p| p.name == name) {
        let names: Vec<&str> = prog.params.iter().map(|p| p.name.as_str()).collect();
        let table_hint = prog
            .tables
            .iter()
            .any(|t| t.name == name)
            .then(|| format!("; `{name}` is a table: set one cell, e.g. `{name}[KEY]=VALUE`"));
        let hint = match (table_hint, suggest(name, names.iter().copied())) {
            (Some(h), _) => h,
            (None, Some(s)) => format!("; did you mean `{s}`?"),
            (None, None) if names.is_empty() => "; the policy has no parameters".into(),
            (None, None) => format!("; the parameters are {}", quoted(&names)),
        };
        return Err(format!("the policy has no parameter `{name}`{hint}"));
    }
    let lit = crate::syntax::parse_literal(value)?;
    let enums = prog.enums.clone();
    for param in prog.params.iter_mut().filter(|p| p.name == name) {
        let v = literal_value(&lit, param.ty, name).map_err(message)?;
        // A parameter of an enumeration takes one of its values only.
        if let (Some(e), ParamValue::Text(t)) =
            (param.choice.and_then(|id| enums.get(usize::from(id))), &v)
        {
            if e.code_of(t).is_none() {
                return Err(format!(
                    "`{name}` is a {}, and \"{t}\" is not one of its values ({})",
                    e.name,
                    e.describe()
                ));
            }
        }
        param.value = v;
    }
    Ok(())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn message(d: crate::diagnostic::Diagnostic) -> String {
    match d.help {
        Some(h) => format!("{} ({h})", d.message),
        None => d.message,
    }
}

/// Where a cell lives in a table.
enum Cell {
    Dense(usize),
    Row(usize),
    Else,
}

fn override_cell(prog: &mut Program, name: &str, keys: &str, value: &str) -> Result<(), String> {
    if !prog.tables.iter().any(|t| t.name == name) {
        let names: Vec<&str> = prog.tables.iter().map(|t| t.name.as_str()).collect();
        let hint = match suggest(name, names.iter().copied()) {
            Some(s) => format!("; did you mean `{s}`?"),
            None if names.is_empty() => "; the policy has no tables".into(),
            None => format!("; the tables are {}", quoted(&names)),
        };
        return Err(format!("the policy has no table `{name}`{hint}"));
    }
    let lit = crate::syntax::parse_literal(value)?;
    let enums = prog.enums.clone();
    for table in prog.tables.iter_mut().filter(|t| t.name == name) {
        let v = match literal_value(&lit, table.ty, name).map_err(message)? {
            ParamValue::Num(v) => v,
            _ => return Err(format!("table `{name}` holds numbers")),
        };
        match find_cell(table, keys, &enums)? {
            Cell::Dense(i) => {
                if let Some(c) = table.dense.as_mut().and_then(|d| d.get_mut(i)) {
                    *c = Some(v);
                }
            }
            Cell::Row(i) => {
                if let Some(r) = table.rows.get_mut(i) {
                    r.1 = v;
                }
            }
            Cell::Else => table.default = Some(v),
        }
    }
    Ok(())
}

fn find_cell(t: &Table, keys: &str, enums: &[crate::ir::Enumeration]) -> Result<Cell, String> {
    let name = &t.name;
    if keys.trim() == "else" {
        return match t.default {
            Some(_) => Ok(Cell::Else),
            None => Err(format!("table `{name}` has no `else` row to set")),
        };
    }
    let parts: Vec<&str> = keys.split(',').map(str::trim).collect();
    if parts.len() != t.dims.len() {
        return Err(format!(
            "table `{name}` is keyed by {} value{}, `[{keys}]` gives {}",
            t.dims.len(),
            if t.dims.len() == 1 { "" } else { "s" },
            parts.len()
        ));
    }
    let mut key = Vec::with_capacity(parts.len());
    for (raw, dim) in parts.iter().zip(&t.dims) {
        let text = raw.trim_matches('"');
        key.push(match dim {
            Dim::Enum(k) => k.code_of(text).map(KeyValue::Code).ok_or_else(|| {
                format!(
                    "`{text}` is not {} value; the values are {}",
                    super::types::article_for(k.field_name()),
                    k.describe()
                )
            })?,
            Dim::Num => text
                .replace('_', "")
                .parse::<Decimal>()
                .map(KeyValue::Num)
                .map_err(|_| format!("`{text}` is not a number"))?,
            Dim::Text => KeyValue::Text(text.to_string()),
            Dim::Bool => match text {
                "true" => KeyValue::Code(1),
                "false" => KeyValue::Code(0),
                _ => return Err(format!("`{text}` is not `true` or `false`")),
            },
            Dim::Choice { id, .. } => {
                let e = enums
                    .get(usize::from(*id))
                    .ok_or_else(|| format!("table `{name}` has an unknown key"))?;
                e.code_of(text)
                    .and_then(|c| u8::try_from(c).ok())
                    .map(KeyValue::Code)
                    .ok_or_else(|| {
                        format!(
                            "\"{text}\" is not a {}; the values are {}",
                            e.name,
                            e.describe()
                        )
                    })?
            }
        });
    }
    if t.dense.is_some() {
        let mut i = 0usize;
        for (k, d) in key.iter().zip(&t.dims) {
            if let (KeyValue::Code(c), Some(size)) = (k, d.size()) {
                i = i * size + *c as usize;
            }
        }
        return Ok(Cell::Dense(i));
    }
    t.rows
        .iter()
        .position(|(k, _)| *k == key)
        .map(Cell::Row)
        .ok_or_else(|| {
            format!(
                "table `{name}` has no row `[{keys}]`; an override changes a cell, it does not add one"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(src: &str) -> Program {
        let file = crate::source::SourceFile::new("t.policy", src);
        crate::compile(&file).map(|(p, _)| p).unwrap()
    }

    const SRC: &str = "param 门诊封顶: money = 2000元\n\
        table 封顶线: money by claim.insured_type = { \"职工\": 30万元, \"居民\": 20万元 }\n\
        table 比例: ratio by claim.insured_type, institution.level = { (\"employee\", 1): 90%, else: 80% }\n\
        table 病种: money by claim.disease_code = { \"C34\": 5000元 }\n\
        layer fund_paid { rule r { pay 封顶线[claim.insured_type] * 比例[claim.insured_type, institution.level] + 病种[claim.disease_code] round } }";

    #[test]
    fn sets_parameters_and_cells() {
        let mut p = prog(SRC);
        apply_override(&mut p, "门诊封顶", "3000元").unwrap();
        assert_eq!(p.params[0].value, ParamValue::Num(Decimal::from(3000)));
        apply_override(&mut p, "封顶线[resident]", "60万元").unwrap();
        apply_override(&mut p, "封顶线[\"职工\"]", "40万元").unwrap();
        let cells = p.tables[0].dense.clone().unwrap();
        assert_eq!(
            cells,
            vec![Some(Decimal::from(400_000)), Some(Decimal::from(600_000))]
        );
        apply_override(&mut p, "比例[resident, 3]", "85%").unwrap();
        apply_override(&mut p, "比例[else]", "70%").unwrap();
        let t = &p.tables[1];
        assert_eq!(t.dense.as_ref().unwrap()[5], Some(Decimal::new(85, 2)));
        assert_eq!(t.default, Some(Decimal::new(70, 2)));
        apply_override(&mut p, "病种[C34]", "6000元").unwrap();
        assert_eq!(p.tables[2].rows[0].1, Decimal::from(6000));
    }

    #[test]
    fn bad_overrides_say_why() {
        let mut p = prog(SRC);
        let e = |p: &mut Program, n: &str, v: &str| apply_override(p, n, v).unwrap_err();
        assert!(e(&mut p, "封顶线", "1元").contains("is a table: set one cell"));
        assert!(e(&mut p, "封顶线[retired]", "1元").contains("not an insured_type value"));
        assert!(e(&mut p, "封顶线[employee, 1]", "1元").contains("keyed by 1 value"));
        assert!(e(&mut p, "封顶[employee]", "1元").contains("did you mean `封顶线`"));
        assert!(e(&mut p, "封顶线[employee]", "95%").contains("is money"));
        assert!(e(&mut p, "病种[C35]", "1元").contains("does not add one"));
        assert!(e(&mut p, "封顶线[else]", "1元").contains("no `else` row"));
        // The checker proved payments whole fen on whole-fen money: an
        // override may not bring fractions of a fen in.
        assert!(e(&mut p, "门诊封顶", "2000.005元").contains("a whole number of fen"));
        assert!(e(&mut p, "封顶线[employee]", "0.001元").contains("a whole number of fen"));
    }
}
