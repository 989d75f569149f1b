//! `yibao compare`'s plan: what to compare, from the command line or a TOML
//! compare file — the policies and reforms (labels, bases, overrides), the
//! data files, and the output settings.

use super::CompareArgs;
use crate::cli::shared::{parse_month, parse_years, split_set, toml_value};
use crate::report::Format;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A TOML compare file; relative paths are relative to it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareFile {
    claims: Option<PathBuf>,
    institutions: Option<PathBuf>,
    assessments: Option<PathBuf>,
    persons: Option<PathBuf>,
    contributions: Option<PathBuf>,
    agreements: Option<PathBuf>,
    top: Option<usize>,
    format: Option<Format>,
    report: Option<PathBuf>,
    lang: Option<crate::lang::Lang>,
    reject_file: Option<PathBuf>,
    /// Overrides for every policy.
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    policy: Vec<PolicyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyEntry {
    /// A policy file, or
    path: Option<PathBuf>,
    /// the label of a policy listed before, for a reform.
    base: Option<String>,
    label: Option<String>,
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Source {
    File(PathBuf),
    /// A copy of the policy at this index, with its overrides.
    Reform(usize),
}

#[derive(Debug)]
pub(super) struct Spec {
    pub(super) label: String,
    pub(super) source: Source,
    pub(super) sets: Vec<(String, String)>,
}

/// Everything a comparison needs, from flags or a compare file.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) specs: Vec<Spec>,
    pub(super) global_sets: Vec<(String, String)>,
    pub(super) claims: Option<PathBuf>,
    pub(super) institutions: Option<PathBuf>,
    pub(super) assessments: Option<PathBuf>,
    pub(super) persons: Option<PathBuf>,
    pub(super) contributions: Option<PathBuf>,
    pub(super) agreements: Option<PathBuf>,
    pub(super) age_bands: Vec<u32>,
    /// Keep every claim's amounts (for `--out`'s claims.csv).
    pub(super) keep_claims: bool,
    pub(super) top: usize,
    pub(super) format: Format,
    pub(super) report: Option<PathBuf>,
    pub(super) lang: Option<crate::lang::Lang>,
    pub(super) reject_file: Option<PathBuf>,
    pub(super) rules: bool,
    pub(super) threads: usize,
    pub(super) scope: crate::eval::Scope,
}

/// The label a spec of a file gets by default: its file stem.
fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Reads the positional policy arguments: files, LABEL=FILE, reforms BASE+NAME.
fn specs_of(args: &[String]) -> Result<Vec<Spec>, String> {
    let mut specs: Vec<Spec> = Vec::new();
    for a in args {
        let path = Path::new(a);
        let spec = if path.is_file() {
            Spec {
                label: stem(path),
                source: Source::File(path.to_path_buf()),
                sets: vec![],
            }
        } else if let Some((label, file)) =
            a.split_once('=').filter(|(_, f)| Path::new(f).is_file())
        {
            Spec {
                label: label.trim().to_string(),
                source: Source::File(PathBuf::from(file)),
                sets: vec![],
            }
        } else if let Some(base) = reform_base(&specs, a) {
            Spec {
                label: a.clone(),
                source: Source::Reform(base),
                sets: vec![],
            }
        } else if a.contains('+') && !a.ends_with(".policy") {
            let labels: Vec<String> = specs.iter().map(|s| format!("`{}`", s.label)).collect();
            return Err(format!(
                "`{a}` names a reform, but no policy listed before it is labelled `{}`{}",
                a.split('+').next().unwrap_or(""),
                if labels.is_empty() {
                    "; list the base policy first, e.g. `policies/bazhong.policy bazhong+cap60w`"
                        .into()
                } else {
                    format!(" (the labels are {})", labels.join(", "))
                }
            ));
        } else {
            Spec {
                label: stem(path),
                source: Source::File(path.to_path_buf()),
                sets: vec![],
            }
        };
        specs.push(spec);
    }
    Ok(specs)
}

/// The earlier spec a reform `BASE+NAME` is based on: the longest label that,
/// followed by `+`, starts the name.
fn reform_base(specs: &[Spec], name: &str) -> Option<usize> {
    specs
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            name.strip_prefix(s.label.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('+'))
        })
        .max_by_key(|(_, s)| s.label.len())
        .map(|(i, _)| i)
}

pub(super) fn plan(args: CompareArgs) -> Result<Plan, String> {
    let toml_file = match args.policies.as_slice() {
        [one] if one.ends_with(".toml") => Some(PathBuf::from(one)),
        _ => None,
    };
    let mut plan = match toml_file {
        Some(path) => plan_of_file(&path)?,
        None => Plan {
            specs: specs_of(&args.policies)?,
            global_sets: vec![],
            claims: None,
            institutions: None,
            assessments: None,
            persons: None,
            contributions: None,
            agreements: None,
            age_bands: crate::compare::groups::AGE_BANDS.to_vec(),
            keep_claims: false,
            top: 10,
            format: Format::Table,
            report: None,
            lang: None,
            reject_file: None,
            rules: false,
            threads: 0,
            scope: crate::eval::Scope::default(),
        },
    };
    plan.rules = args.rules;
    plan.threads = crate::cli::shared::threads(args.data.threads);
    plan.scope = crate::eval::Scope {
        years: args.data.year.as_deref().map(parse_years).transpose()?,
        through: args.data.through.as_deref().map(parse_month).transpose()?,
        provisional: args.data.provisional,
    };
    if plan.scope.provisional && plan.scope.through.is_none() {
        return Err("--provisional goes with --through YYYY-MM (a year cut short)".into());
    }
    for s in &args.set {
        let (k, v) = split_set(s)?;
        match k.split_once(':').filter(|(l, _)| !l.contains('[')) {
            Some((label, name)) => {
                let spec = plan
                    .specs
                    .iter_mut()
                    .find(|sp| sp.label == label.trim())
                    .ok_or_else(|| {
                        format!("--set `{s}`: no policy is labelled `{}`", label.trim())
                    })?;
                spec.sets.push((name.trim().to_string(), v));
            }
            None => plan.global_sets.push((k, v)),
        }
    }
    plan.claims = args.data.claims.or(plan.claims);
    plan.institutions = args.data.institutions.or(plan.institutions);
    plan.assessments = args.data.assessments.or(plan.assessments);
    plan.persons = args.data.persons.or(plan.persons);
    plan.contributions = args.data.contributions.or(plan.contributions);
    plan.agreements = args.data.agreements.or(plan.agreements);
    if let Some(a) = &args.age_bands {
        plan.age_bands = crate::compare::groups::parse_age_bands(a)?;
    }
    plan.top = args.top.unwrap_or(plan.top);
    plan.format = args.format.unwrap_or(plan.format);
    plan.report = args.report.or(plan.report);
    plan.lang = Some(crate::lang::Lang::resolve(args.lang.or(plan.lang))?);
    plan.reject_file = args.data.reject_file.or(plan.reject_file);
    let mut seen: Vec<&str> = Vec::new();
    for s in &plan.specs {
        if seen.contains(&s.label.as_str()) {
            return Err(format!(
                "two policies are labelled `{}`; label one yourself: `draft={}`",
                s.label,
                match &s.source {
                    Source::File(p) => p.display().to_string(),
                    Source::Reform(_) => s.label.clone(),
                }
            ));
        }
        seen.push(&s.label);
    }
    Ok(plan)
}

fn plan_of_file(path: &Path) -> Result<Plan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let f: CompareFile = toml::from_str(&text).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut specs: Vec<Spec> = Vec::new();
    for (i, e) in f.policy.into_iter().enumerate() {
        let sets = e.set.into_iter().map(|(k, v)| (k, toml_value(v))).collect();
        let (label, source) = match (e.path, e.base) {
            (Some(p), None) => (e.label.unwrap_or_else(|| stem(&p)), Source::File(rel(p))),
            (None, Some(b)) => {
                let at = specs.iter().position(|s| s.label == b).ok_or_else(|| {
                    format!(
                        "`{}`: policy {}: no policy before it is labelled `{b}`",
                        path.display(),
                        i + 1
                    )
                })?;
                (e.label.unwrap_or_else(|| format!("{b}+{}", i + 1)), Source::Reform(at))
            }
            _ => {
                return Err(format!(
                    "`{}`: policy {}: give either `path` (a policy file) or `base` (the label of a policy before it)",
                    path.display(),
                    i + 1
                ))
            }
        };
        specs.push(Spec {
            label,
            source,
            sets,
        });
    }
    if specs.is_empty() {
        return Err(format!(
            "`{}`: no policies; add [[policy]] entries with `path = \"...\"`",
            path.display()
        ));
    }
    Ok(Plan {
        specs,
        global_sets: f.set.into_iter().map(|(k, v)| (k, toml_value(v))).collect(),
        claims: f.claims.map(rel),
        institutions: f.institutions.map(rel),
        assessments: f.assessments.map(rel),
        persons: f.persons.map(rel),
        contributions: f.contributions.map(rel),
        agreements: f.agreements.map(rel),
        age_bands: crate::compare::groups::AGE_BANDS.to_vec(),
        keep_claims: false,
        top: f.top.unwrap_or(10),
        format: f.format.unwrap_or(Format::Table),
        report: f.report.map(rel),
        lang: f.lang,
        reject_file: f.reject_file.map(rel),
        rules: false,
        threads: 0,
        scope: crate::eval::Scope::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(label: &str) -> Spec {
        Spec {
            label: label.into(),
            source: Source::File(PathBuf::from(format!("{label}.policy"))),
            sets: vec![],
        }
    }

    #[test]
    fn a_reform_takes_the_longest_label_before_it() {
        let specs = vec![spec("bazhong"), spec("bazhong+cap")];
        assert_eq!(reform_base(&specs, "bazhong+cap+ded"), Some(1));
        assert_eq!(reform_base(&specs, "bazhong+x"), Some(0));
        assert_eq!(reform_base(&specs, "bazhong+"), None);
        assert_eq!(reform_base(&specs, "bazhongx+y"), None);
        assert_eq!(reform_base(&specs, "leshan+y"), None);
    }
}
