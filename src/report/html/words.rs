//! The report's labels in either language: measures, sections, groups and
//! the values of enumerated fields (Chinese from the data contract's aliases,
//! so 住院 is the same word here as in a policy or a claims file).

use crate::compare::Outcome;
use crate::lang::Lang;
use crate::schema::{ledger, EnumKind};

/// The name of a measure of the figures tables. Layers take the title the
/// policies give them (`layer fund_paid "基本医疗保险统筹基金"`) in Chinese.
pub fn measure(lang: Lang, name: &str, outcomes: &[Outcome]) -> String {
    let layer_title = |i: usize| {
        outcomes
            .iter()
            .find_map(|o| o.layer_titles.get(i).cloned().flatten())
    };
    if lang == Lang::En {
        return match name {
            "patient_share" => "patient share of eligible cost".into(),
            "eligible_cost" => "eligible cost".into(),
            "total_cost" => "total cost".into(),
            "unit_years" => "unit-years".into(),
            "in_surplus" => "unit-years in surplus".into(),
            "in_overspend" => "unit-years in overspend".into(),
            "patient_years" => "patient-years".into(),
            "p50" => "median".into(),
            other => other.replace('_', " "),
        };
    }
    let fixed = match name {
        "claims" => "结算人次",
        "total_cost" => "医疗总费用",
        "eligible_cost" => "政策范围内费用",
        "fund_paid" => return layer_title(0).unwrap_or_else(|| "统筹基金支付".into()),
        "serious_paid" => return layer_title(1).unwrap_or_else(|| "大病保险支付".into()),
        "other_paid" => "其他支付",
        "patient_paid" => "个人负担",
        "patient_share" => "政策范围内个人负担比例",
        "reconciles" => "收支核对",
        "unit_years" => "单位年数",
        "in_surplus" => "结余单位年",
        "in_overspend" => "超支单位年",
        "patient_years" => "患者年数",
        "p50" => "中位数",
        "p90" => "P90",
        "p99" => "P99",
        "max" => "最高",
        other => {
            return ledger::COLUMNS
                .iter()
                .find(|c| c.0 == other)
                .map_or_else(|| other.to_string(), |c| c.1.to_string())
        }
    };
    fixed.to_string()
}

/// The title of a figures section, by its id.
pub fn section(lang: Lang, id: &str, fallback: &str) -> String {
    let zh = match id {
        "totals" => "总体",
        "by_visit_type" => "按就诊类型",
        "by_level" => "按医疗机构等级",
        "by_insured_type" => "按参保类型",
        "ledger" => "机构清算（各单位年合计；各政策均为零的项目不列）",
        "out_of_pocket" => "患者年个人负担",
        _ => "",
    };
    if lang == Lang::Zh && !zh.is_empty() {
        return zh.into();
    }
    fallback.to_string()
}

/// A value of a group column: an enumerated value (`inpatient`) or a unit
/// kind (`institution`).
pub fn group_value(lang: Lang, column: &str, value: &str) -> String {
    if lang == Lang::En {
        return value.to_string();
    }
    if column == "unit" {
        return match value {
            "institution" => "定点医疗机构",
            "alliance" => "医共体",
            "region" => "统筹地区",
            other => other,
        }
        .to_string();
    }
    enum_value(column, value)
}

/// The Chinese of an enumerated value, where the data contract has one.
pub fn enum_value(column: &str, value: &str) -> String {
    let kind = [EnumKind::VisitType, EnumKind::Level, EnumKind::InsuredType]
        .into_iter()
        .find(|k| k.field_name() == column);
    kind.and_then(|k| {
        k.code_of(value)
            .and_then(|c| k.values().get(c as usize))
            .and_then(|v| v.1.first())
    })
    .map_or_else(|| value.to_string(), |z| (*z).to_string())
}

/// The name of a group column.
pub fn group_column(lang: Lang, column: &str) -> String {
    match (lang, column) {
        (Lang::Zh, "visit_type") => "就诊类型".into(),
        (Lang::Zh, "level") => "机构等级".into(),
        (Lang::Zh, "insured_type") => "参保类型".into(),
        (Lang::Zh, "unit") => "结算单位".into(),
        (_, c) => c.replace('_', " "),
    }
}

/// The names of the ICD-10 chapters, in [`crate::compare::groups::CHAPTERS`]
/// order: (English, 中文), as WHO and the national edition (GB/T 14396) title them.
const CHAPTER_NAMES: [(&str, &str); 22] = [
    (
        "Certain infectious and parasitic diseases",
        "某些传染病和寄生虫病",
    ),
    ("Neoplasms", "肿瘤"),
    (
        "Diseases of the blood and immune mechanism",
        "血液及造血器官疾病和某些涉及免疫机制的疾患",
    ),
    (
        "Endocrine, nutritional and metabolic diseases",
        "内分泌、营养和代谢疾病",
    ),
    ("Mental and behavioural disorders", "精神和行为障碍"),
    ("Diseases of the nervous system", "神经系统疾病"),
    ("Diseases of the eye and adnexa", "眼和附器疾病"),
    ("Diseases of the ear and mastoid process", "耳和乳突疾病"),
    ("Diseases of the circulatory system", "循环系统疾病"),
    ("Diseases of the respiratory system", "呼吸系统疾病"),
    ("Diseases of the digestive system", "消化系统疾病"),
    (
        "Diseases of the skin and subcutaneous tissue",
        "皮肤和皮下组织疾病",
    ),
    (
        "Diseases of the musculoskeletal system and connective tissue",
        "肌肉骨骼系统和结缔组织疾病",
    ),
    ("Diseases of the genitourinary system", "泌尿生殖系统疾病"),
    (
        "Pregnancy, childbirth and the puerperium",
        "妊娠、分娩和产褥期",
    ),
    (
        "Certain conditions originating in the perinatal period",
        "起源于围生期的某些情况",
    ),
    (
        "Congenital malformations and chromosomal abnormalities",
        "先天性畸形、变形和染色体异常",
    ),
    (
        "Symptoms, signs and abnormal findings",
        "症状、体征和临床与实验室异常所见",
    ),
    (
        "Injury, poisoning and other consequences of external causes",
        "损伤、中毒和外因的某些其他后果",
    ),
    (
        "External causes of morbidity and mortality",
        "疾病和死亡的外因",
    ),
    (
        "Factors influencing health status and contact with health services",
        "影响健康状态和与保健机构接触的因素",
    ),
    ("Codes for special purposes", "用于特殊目的的编码"),
];

/// An ICD-10 chapter as the report shows it: `X 呼吸系统疾病 (J00–J99)`;
/// codes in no chapter as `unknown` / `无法归类`.
pub fn chapter(lang: Lang, i: usize) -> String {
    match (
        crate::compare::groups::CHAPTERS.get(i),
        CHAPTER_NAMES.get(i),
    ) {
        (Some((c, lo, hi)), Some((en, zh))) => format!("{c} {} ({lo}–{hi})", lang.pick(en, zh)),
        _ => lang.pick("unknown", "无法归类").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_from_the_contract() {
        assert_eq!(group_value(Lang::Zh, "visit_type", "inpatient"), "住院");
        assert_eq!(group_value(Lang::Zh, "insured_type", "resident"), "居民");
        assert_eq!(group_value(Lang::Zh, "level", "3"), "三级");
        assert_eq!(group_value(Lang::En, "level", "3"), "3");
        assert_eq!(measure(Lang::Zh, "retained", &[]), "结余留用");
        assert_eq!(measure(Lang::Zh, "fund_paid", &[]), "统筹基金支付");
        assert_eq!(measure(Lang::En, "fund_paid", &[]), "fund paid");
        assert_eq!(chapter(Lang::Zh, 9), "X 呼吸系统疾病 (J00–J99)");
        assert_eq!(chapter(Lang::En, 1), "II Neoplasms (C00–D48)");
        assert_eq!(chapter(Lang::Zh, 22), "无法归类");
    }
}
