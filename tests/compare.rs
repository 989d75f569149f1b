//! `yibao compare`: two tiny policies compared and checked against figures
//! worked out by hand (tests/fixtures/compare/tiny/README.md); the sums of a
//! comparison reconciled with single-policy `run`s; reforms, compare files,
//! the rules side by side, and the errors a user can make. Snapshots of
//! comparisons of the shipped policies pin what a user sees.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{stderr, stdout, temp_dir, yibao, yibao_env};

const TINY: &str = "tests/fixtures/compare/tiny";
const EXAMPLES: [&str; 4] = [
    "--claims",
    "examples/claims.csv",
    "--institutions",
    "examples/institutions.csv",
];

fn tiny(extra: &[&str]) -> std::process::Output {
    let (a, b) = (format!("{TINY}/a.policy"), format!("{TINY}/b.policy"));
    let (c, i) = (
        format!("{TINY}/claims.csv"),
        format!("{TINY}/institutions.csv"),
    );
    let mut args = vec!["compare", &a, &b, "--claims", &c, "--institutions", &i];
    args.extend_from_slice(extra);
    let o = yibao(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Rows of CSV text, header included.
fn csv_of(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// `[value, baseline, delta, delta_pct]` of a figure in `compare --format csv`.
fn figure<'a>(
    rows: &'a [Vec<String>],
    section: &str,
    group: &str,
    measure: &str,
    policy: &str,
) -> &'a [String] {
    &rows
        .iter()
        .find(|r| r[0] == section && r[1] == group && r[2] == measure && r[3] == policy)
        .unwrap_or_else(|| panic!("no {section}/{group}/{measure}/{policy}"))[4..]
}

#[test]
fn tiny_comparison_matches_the_hand_computation() {
    let rows = csv_of(&stdout(&tiny(&["--format", "csv"])));
    assert_eq!(
        rows[0],
        [
            "section",
            "group",
            "measure",
            "policy",
            "value",
            "baseline",
            "delta",
            "delta_pct"
        ]
    );
    let f = |s, g, m, p| figure(&rows, s, g, m, p).to_vec();
    assert_eq!(
        f("totals", "", "total_cost", "b"),
        ["4830.55", "4830.55", "0.00", "0.00%"]
    );
    assert_eq!(f("totals", "", "eligible_cost", "a")[0], "4580.55");
    assert_eq!(f("totals", "", "fund_paid", "a")[0], "3280.44");
    assert_eq!(
        f("totals", "", "fund_paid", "b"),
        ["3031.39", "3280.44", "-249.05", "-7.59%"]
    );
    assert_eq!(
        f("totals", "", "serious_paid", "b"),
        ["180.00", "0.00", "+180.00", "—"]
    );
    assert_eq!(
        f("totals", "", "patient_paid", "b"),
        ["1619.16", "1550.11", "+69.05", "+4.45%"]
    );
    assert_eq!(
        f("totals", "", "patient_share", "b"),
        ["29.89%", "28.38%", "+1.51 pp", ""]
    );
    assert_eq!(f("totals", "", "reconciles", "b")[0], "holds");
    // C2 (general outpatient, 80.00): a pays nothing below its 100 deductible, b 30 × 70%.
    assert_eq!(
        f("by_visit_type", "outpatient_general", "fund_paid", "b"),
        ["21.00", "0.00", "+21.00", "—"]
    );
    // H2 is level 3: C3 + C4.
    assert_eq!(f("by_level", "3", "fund_paid", "a")[0], "2440.00");
    assert_eq!(f("by_level", "3", "fund_paid", "b")[0], "2205.00");
    assert_eq!(
        f("by_insured_type", "employee", "patient_paid", "b")[0],
        "394.00"
    );
    // a's clearing: H1 surplus, H2 overspend.
    for (m, v) in [
        ("unit_years", "2"),
        ("in_surplus", "1"),
        ("in_overspend", "1"),
        ("surplus", "159.56"),
        ("reserve", "15.96"),
        ("retained", "143.60"),
        ("overspend", "440.00"),
        ("fund_share", "100.00"),
        ("institution_share", "340.00"),
        ("clearing_balance", "-196.40"),
    ] {
        assert_eq!(f("ledger", "institution", m, "a")[0], v, "{m}");
        assert_eq!(f("ledger", "institution", m, "b")[0], "—", "{m}");
    }
    // Largest changes first.
    let tops: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r[0] == "top_institutions" && r[2] == "net")
        .map(|r| (r[1].clone(), r[6].clone()))
        .collect();
    assert_eq!(
        tops,
        [
            ("H2".to_string(), "+285.00".to_string()),
            ("H1".into(), "-157.65".into())
        ]
    );
    assert_eq!(
        f("top_institutions", "H2", "paid", "b"),
        ["2385.00", "2440.00", "-55.00", "-2.25%"]
    );
    assert_eq!(f("top_institutions", "H2", "clearing", "b")[2], "+340.00");
    let pats: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r[0] == "top_patients")
        .map(|r| (r[1].clone(), r[6].clone()))
        .collect();
    assert_eq!(
        pats,
        [
            ("P2 2025".to_string(), "+55.00".to_string()),
            ("P1 2025".into(), "+34.00".into()),
            ("P3 2025".into(), "-19.95".into())
        ]
    );
    assert_eq!(f("out_of_pocket", "", "p50", "a")[0], "360.00");
    assert_eq!(f("out_of_pocket", "", "max", "b")[0], "895.00");
}

#[test]
fn top_n_limits_the_lists() {
    let rows = csv_of(&stdout(&tiny(&["--format", "csv", "--top", "1"])));
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| r[0].starts_with("top_"))
        .map(|r| r[1].as_str())
        .collect();
    assert_eq!(ids, ["H2", "H2", "H2", "P2 2025"]);
}

/// `run --format csv` totals by visit type: visit_type → (claims, fund, serious, patient).
fn run_totals(policy: &str, sets: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["run", policy];
    args.extend_from_slice(&EXAMPLES);
    for s in sets {
        args.extend(["--set", s]);
    }
    args.extend(["--format", "csv"]);
    let o = yibao(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    csv_of(&stdout(&o))
}

#[test]
fn sums_reconcile_with_single_policy_runs() {
    let mut args = vec![
        "compare",
        "policies/r1.policy",
        "policies/bazhong.policy",
        "policies/leshan.policy",
        "bazhong+cap60w",
        "--set",
        "bazhong+cap60w:封顶线[resident]=60万元",
        "--format",
        "csv",
    ];
    args.extend_from_slice(&EXAMPLES);
    let o = yibao(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_of(&stdout(&o));
    let cases: [(&str, &str, &[&str]); 4] = [
        ("r1", "policies/r1.policy", &[]),
        ("bazhong", "policies/bazhong.policy", &[]),
        ("leshan", "policies/leshan.policy", &[]),
        (
            "bazhong+cap60w",
            "policies/bazhong.policy",
            &["封顶线[resident]=60万元"],
        ),
    ];
    for (label, policy, sets) in cases {
        let run = run_totals(policy, sets);
        let h = &run[0];
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let mut checked = 0;
        for r in &run[1..] {
            let (section, group) = if r[0] == "total" {
                ("totals", "")
            } else {
                ("by_visit_type", r[0].as_str())
            };
            for m in [
                "claims",
                "total_cost",
                "fund_paid",
                "serious_paid",
                "patient_paid",
            ] {
                let c = figure(&rows, section, group, m, label);
                assert_eq!(c[0], r[col(m)], "{label} {section} {group} {m}");
                checked += 1;
            }
        }
        assert_eq!(checked, 4 * 5, "{label}");
    }
    // Each breakdown's groups add up to the totals, for every amount and policy.
    for (label, _, _) in cases {
        for section in ["by_visit_type", "by_level", "by_insured_type"] {
            for m in [
                "claims",
                "total_cost",
                "fund_paid",
                "serious_paid",
                "patient_paid",
            ] {
                let fen = |v: &str| -> i64 { v.replace('.', "").parse().unwrap() };
                let sum: i64 = rows
                    .iter()
                    .filter(|r| r[0] == section && r[2] == m && r[3] == label)
                    .map(|r| fen(&r[4]))
                    .sum();
                let total = fen(&figure(&rows, "totals", "", m, label)[0]);
                assert_eq!(sum, total, "{label} {section} {m}");
            }
        }
    }
    // The reform moves money from serious illness to the fund.
    let f = |m| figure(&rows, "totals", "", m, "bazhong+cap60w").to_vec();
    assert!(f("fund_paid")[2].starts_with('+'), "{:?}", f("fund_paid"));
    assert!(f("serious_paid")[2].starts_with('-'));
}

#[test]
fn compare_file_gives_what_the_command_line_gives() {
    let file = stdout(&yibao(&["compare", &format!("{TINY}/compare.toml")]));
    let cli = stdout(&tiny(&[
        "b+c",
        "--set",
        "b+c:比例=75%",
        "--set",
        "起付线=60元",
        "--top",
        "2",
    ]));
    assert_eq!(file, cli);
    assert!(file.contains("乙市 (B)  b 比例=75%"), "{file}");
}

#[test]
fn a_global_set_reaches_every_policy() {
    // 起付线 = 0 in both: a pays 80% and b 70% of every eligible yuan.
    let rows = csv_of(&stdout(&tiny(&["--set", "起付线=0元", "--format", "csv"])));
    // a: 4580.55 × 80% per claim, rounded: 800 + 64 + 2240 + 360 + 200.44 = 3664.44.
    assert_eq!(figure(&rows, "totals", "", "fund_paid", "a")[0], "3664.44");
    // b: 700 + 56 + 1960 + 315 + 175.385→175.39 = 3206.39.
    assert_eq!(figure(&rows, "totals", "", "fund_paid", "b")[0], "3206.39");
}

#[test]
fn a_reform_without_overrides_warns_and_changes_nothing() {
    let o = tiny(&["a+same", "--format", "csv"]);
    assert!(
        stderr(&o).contains("reform `a+same` has no overrides"),
        "{}",
        stderr(&o)
    );
    let rows = csv_of(&stdout(&o));
    for r in rows.iter().filter(|r| r[3] == "a+same" && !r[6].is_empty()) {
        assert!(
            ["0", "0.00", "0.00 pp"].contains(&r[6].as_str()),
            "{r:?} should not change"
        );
    }
    assert!(!rows
        .iter()
        .any(|r| r[0].starts_with("top_") && r[3] == "a+same"));
}

#[test]
fn mistakes_are_explained() {
    let a = format!("{TINY}/a.policy");
    let cases: [(Vec<&str>, i32, &str); 7] = [
        (
            vec![
                "compare",
                &a,
                "nope+x",
                "--claims",
                "x",
                "--institutions",
                "y",
            ],
            2,
            "no policy listed before it is labelled `nope`",
        ),
        (
            vec!["compare", &a, "--set", "zz:起付线=1元", "--rules"],
            2,
            "no policy is labelled `zz`",
        ),
        (
            vec!["compare", &a, &a, "--rules"],
            2,
            "two policies are labelled `a`; label one yourself: `draft=",
        ),
        (
            vec!["compare", &a],
            2,
            "give --claims FILE and --institutions FILE",
        ),
        (
            vec![
                "compare",
                &a,
                "policies/r1.policy",
                "--set",
                "风险金比例=20%",
                "--rules",
            ],
            0,
            "",
        ),
        (
            vec![
                "compare",
                &a,
                "policies/bazhong.policy",
                "--set",
                "风险金比例=20%",
                "--rules",
            ],
            2,
            "--set 风险金比例=20% in `bazhong`: the policy has no parameter `风险金比例`",
        ),
        (
            vec!["compare", &a, "a+x", "--set", "a+x:比例=95", "--rules"],
            2,
            "a ratio of 95 would be 9500%",
        ),
    ];
    for (args, code, msg) in cases {
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn rules_side_by_side() {
    let (a, b) = (format!("{TINY}/a.policy"), format!("{TINY}/b.policy"));
    let o = yibao(&[
        "compare",
        "--rules",
        &a,
        &b,
        "b+c",
        "--set",
        "b+c:比例=75%",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_of(&stdout(&o));
    assert_eq!(rows[0], ["kind", "name", "key", "differs", "a", "b", "b+c"]);
    let row = |kind: &str, name: &str, key: &str| {
        rows.iter()
            .find(|r| r[0] == kind && r[1] == name && r[2] == key)
            .unwrap_or_else(|| panic!("{kind} {name} {key}"))[3..]
            .to_vec()
    };
    assert_eq!(
        row("param", "起付线", ""),
        ["true", "100元", "50元", "50元"]
    );
    assert_eq!(row("param", "比例", ""), ["true", "80%", "70%", "75%"]);
    assert_eq!(
        row("param", "大病起付", ""),
        ["true", "", "1000元", "1000元"]
    );
    assert_eq!(
        row("rule", "fund_paid.报销", "order"),
        ["false", "#1", "#1", "#1"]
    );
    assert_eq!(
        row("rule", "fund_paid.报销", "when"),
        ["false", "always", "always", "always"]
    );
    assert_eq!(
        row("settle", "年度清算", ""),
        ["true", "per institution per year", "", ""]
    );
    let text = stdout(&yibao(&["compare", "--rules", &a, &b]));
    assert!(
        text.contains("only in a: param 风险金比例, param 超支分担比例, settle 年度清算"),
        "{text}"
    );
    assert!(
        text.contains("only in b: param 大病起付, rule serious_paid.居民大病"),
        "{text}"
    );
}

/// The rows of `compare --rules base.policy OTHER.policy` marked as differing,
/// as (kind, name, key).
fn rules_differing(other: &str) -> Vec<(String, String, String)> {
    let dir = "tests/fixtures/compare/rules";
    let o = yibao(&[
        "compare",
        "--rules",
        &format!("{dir}/base.policy"),
        &format!("{dir}/{other}.policy"),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    csv_of(&stdout(&o))
        .into_iter()
        .skip(1)
        .filter(|r| r[3] == "true")
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect()
}

#[test]
fn rules_differ_by_body_condition_and_order() {
    let rule = |name: &str, key: &str| ("rule".to_string(), name.to_string(), key.to_string());
    // (a) 住院's first statement gains `* 90%`: that statement, nothing else.
    assert_eq!(rules_differing("body"), [rule("fund_paid.住院", "body #1")]);
    // (b) 住院 also applies to chronic outpatients: its condition.
    assert_eq!(rules_differing("cond"), [rule("fund_paid.住院", "when")]);
    // (c) the two rules swapped: the first whose condition holds applies, so both positions.
    assert_eq!(
        rules_differing("order"),
        [
            rule("fund_paid.住院", "order"),
            rule("fund_paid.门诊", "order")
        ]
    );
    // (d) spacing, line breaks, comments, needless parentheses, `"住院"` for `"inpatient"`: no difference.
    assert_eq!(rules_differing("spacing"), []);
}

#[test]
fn json_has_every_section() {
    let o = tiny(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids: Vec<&str> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "totals",
            "by_visit_type",
            "by_level",
            "by_insured_type",
            "ledger",
            "out_of_pocket"
        ]
    );
    assert_eq!(v["policies"][0]["baseline"], true);
    // Counts are JSON numbers (the five claims C1–C5 of claims.csv), amounts
    // exact strings, a figure a policy lacks null (b has no settle block).
    let totals = &v["sections"][0]["rows"];
    assert_eq!(totals[0]["measure"], "claims");
    assert_eq!(totals[0]["values"]["a"], 5);
    assert_eq!(totals[0]["delta"]["b"], 0);
    assert_eq!(totals[1]["measure"], "total_cost");
    // 1000.00 + 80.00 + 3000.00 + 500.00 + 250.55 = 4830.55
    assert_eq!(totals[1]["values"]["b"], "4830.55");
    let ledger = &v["sections"][4]["rows"][0];
    assert_eq!(ledger["measure"], "unit_years");
    assert_eq!(ledger["values"]["a"], 2, "H1 and H2 in 2025");
    assert!(ledger["values"]["b"].is_null(), "{ledger}");
    assert_eq!(
        v["top_changes"]["b"]["institutions"][0]["delta_net"],
        "285.00"
    );
    // a: P3 350.11 and P1 360.00 in [100, 500), P2 840.00 in [500, 1000).
    assert_eq!(v["patient_paid_histogram"]["bins"][1], "100–500");
    assert_eq!(v["patient_paid_histogram"]["patient_years"]["a"][1], 2);
    assert_eq!(v["patient_paid_histogram"]["patient_years"]["a"][2], 1);
}

#[test]
fn report_is_self_contained() {
    let dir = temp_dir("compare-report");
    let path = dir.join("report.html");
    let o = tiny(&["--report", path.to_str().unwrap()]);
    assert!(stderr(&o).contains("wrote"), "{}", stderr(&o));
    let html = std::fs::read_to_string(&path).unwrap();
    for id in ["chart-totals", "chart-oop", "chart-institutions"] {
        assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
    }
    // Nothing to fetch: no scripts, no links, no external addresses at all.
    for banned in [
        "<script", "<link", "http:", "https:", "url(", "@import", "<img",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
    // Five claims' stacked bars: fund and patient in both, serious in b only.
    assert_eq!(html.matches("<title>fund paid: ").count(), 2);
    assert_eq!(html.matches("<title>serious paid: ").count(), 1);
    assert!(html.contains("<title>serious paid: 180.00 (3.7%)</title>"));
    // Printable: an A4 page rule in a print stylesheet.
    assert!(html.contains("@media print") && html.contains("size: A4"));
}

/// The summary paragraph, from the hand figures of the tiny fixture
/// (tests/fixtures/compare/tiny/README.md): layers a 3280.44, b 3031.39 +
/// 180.00 = 3211.39, Δ −69.05 = −2.10% of 3280.44; fund Δ −249.05; patients
/// 1619.16 (+69.05); share of eligible 28.38% → 29.89%, shown 28.4% and
/// 29.9%; P3 pays 19.95 less, P1 34.00 and P2 55.00 more (89.00); p99 over
/// three patient-years is the largest: a 840.00, b 895.00; H2 gains, H1
/// loses. a clears institutions and b does not, so the fund's saving is the
/// layers' alone.
#[test]
fn the_report_summary_says_what_changes_in_either_language() {
    let dir = temp_dir("compare-report-summary");
    let (en, zh) = (dir.join("en.html"), dir.join("zh.html"));
    tiny(&["--report", en.to_str().unwrap(), "--lang", "en"]);
    tiny(&["--report", zh.to_str().unwrap(), "--lang", "zh"]);
    let en = std::fs::read_to_string(&en).unwrap();
    let zh = std::fs::read_to_string(&zh).unwrap();
    for part in [
        "<html lang=\"en\">",
        "b against a: the insurance pays 3,211.39 yuan in all (-69.05 yuan, -2.1%), of it the pooled fund (统筹基金) 3,031.39 yuan (-249.05 yuan).",
        "Patients pay 1,619.16 yuan (+69.05 yuan); their share of the eligible cost goes from 28.4% to 29.9%.",
        "Patient-years paying less: 1 (together 19.95 yuan); paying more: 2 (together 89.00 yuan); unchanged: 0.",
        "(p99) pay at least 895.00 yuan (baseline 840.00 yuan)",
        "Institutions receiving more: 1; less: 1; the same: 0.",
        "Leaving out the year-end clearing (the policies do not all clear institutions), the fund saves 69.05 yuan.",
        "<p class=\"warning\">Warning: `a` clears institutions at the year end and `b` does not",
        "rounded for reading",
    ] {
        assert!(en.contains(part), "the English report lacks {part:?}");
    }
    for part in [
        "<html lang=\"zh-CN\">",
        "<h2 id=\"summary\">摘要</h2>",
        "b与a相比：医保各项共支付3,211.39元（-69.05元，-2.1%），其中统筹基金支付3,031.39元（-249.05元）。",
        "政策范围内个人负担比例由28.4%变为29.9%。",
        "1个患者年负担减轻，共减少19.95元；2个加重，共增加89.00元；0个不变。",
        "1家机构所得增加，1家减少，0家不变。",
        "不计年终清算（各政策清算口径不一），医保基金节省69.05元。",
        // Layer titles and values from the data contract in Chinese.
        "<td>统筹基金</td>",
        "<td>大病保险</td>",
        "<td>住院</td>",
        "<td>居民</td>",
        "仅用于显示",
    ] {
        assert!(zh.contains(part), "the Chinese report lacks {part:?}");
    }
}

/// The drill-down lists every institution by its change, largest gain
/// first: H2 +285.00 (2100.00 → 2385.00), then H1 −157.65 (984.04 → 826.39);
/// −157.65 / 984.04 = −16.02% → −16.0%.
#[test]
fn the_report_lists_every_institution_by_its_change() {
    let dir = temp_dir("compare-report-drill");
    let html = dir.join("r.html");
    tiny(&["--report", html.to_str().unwrap()]);
    let text = std::fs::read_to_string(&html).unwrap();
    let table = &text[text.find("<table id=\"drill-down-table\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let h2 = table.find("<td>H2</td>").unwrap();
    let h1 = table.find("<td>H1</td>").unwrap();
    assert!(h2 < h1, "{table}");
    assert!(table.contains(
        "<td class=\"n\">2,100.00</td><td class=\"n\">2,385.00</td><td class=\"n up\">+285.00</td><td class=\"n up\">+13.6%</td>"
    ), "{table}");
    assert!(table.contains(
        "<td class=\"n\">984.04</td><td class=\"n\">826.39</td><td class=\"n down\">-157.65</td><td class=\"n down\">-16.0%</td>"
    ), "{table}");
}

/// `YIBAO_LANG` sets the default language; a value yibao does not write is
/// an error before anything is settled, not English.
#[test]
fn the_language_default_comes_from_yibao_lang() {
    let dir = temp_dir("compare-report-lang");
    let html = dir.join("r.html");
    let (a, b) = (format!("{TINY}/a.policy"), format!("{TINY}/b.policy"));
    let (c, i) = (
        format!("{TINY}/claims.csv"),
        format!("{TINY}/institutions.csv"),
    );
    let args = [
        "compare",
        &a,
        &b,
        "--claims",
        &c,
        "--institutions",
        &i,
        "--report",
        html.to_str().unwrap(),
    ];
    let o = yibao_env(&args, &[("YIBAO_LANG", "zh_CN.UTF-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("<h2 id=\"summary\">摘要</h2>"));
    let o = yibao_env(&args, &[("YIBAO_LANG", "fr")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("YIBAO_LANG=\"fr\" is not a language yibao writes"),
        "{}",
        stderr(&o)
    );
}

/// `compare` of r1, bazhong and leshan on the example claims, listing `top` changes.
fn three_regions(top: &str) -> (Vec<&str>, std::process::Output) {
    let mut args = vec![
        "compare",
        "policies/r1.policy",
        "policies/bazhong.policy",
        "policies/leshan.policy",
        "--top",
        top,
    ];
    args.extend_from_slice(&EXAMPLES);
    let o = yibao(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    (args, o)
}

#[test]
fn snapshot_of_shipped_regions_on_the_example_claims() {
    let (_, o) = three_regions("5");
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn snapshot_of_settlement_policies_compared() {
    let d = "tests/fixtures/settle/chengdu";
    let (c, i, s) = (
        format!("{d}/claims.csv"),
        format!("{d}/institutions.csv"),
        format!("{d}/assessments.csv"),
    );
    let o = yibao(&[
        "compare",
        "policies/chengdu.policy",
        "policies/guangyuan.policy",
        "chengdu+保证金10",
        "--set",
        "chengdu+保证金10:保证金比例=10%",
        "--claims",
        &c,
        "--institutions",
        &i,
        "--assessments",
        &s,
        "--top",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn snapshot_of_rules_compared() {
    let o = yibao(&[
        "compare",
        "--rules",
        "policies/suining.policy",
        "policies/guangyuan.policy",
        "policies/qingdao.policy",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn the_readme_shows_the_real_comparison() {
    let (args, o) = three_regions("3");
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(
        readme.contains(&stdout(&o)),
        "README.md's comparison is stale; paste the output of `yibao {}`",
        args.join(" ")
    );
}

/// A fee block's rules are compared like a layer's, as kind `fee rule`:
/// huaibei with its fixed fee cut to 90% differs in that rule's body only.
#[test]
fn fee_rules_are_compared() {
    let dir = temp_dir("compare-fee-rules");
    let base = std::fs::read_to_string(common::root().join("policies/huaibei.policy")).unwrap();
    let cut = base.replace(
        "    pay 定额表[claim.disease_code]\n",
        "    pay 定额表[claim.disease_code] * 90% round\n",
    );
    assert_ne!(base, cut);
    let other = dir.join("huaibei-cut.policy");
    std::fs::write(&other, cut).unwrap();
    let o = yibao(&[
        "compare",
        "--rules",
        common::root()
            .join("policies/huaibei.policy")
            .to_str()
            .unwrap(),
        other.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let differing: Vec<(String, String, String)> = csv_of(&stdout(&o))
        .into_iter()
        .skip(1)
        .filter(|r| r[3] == "true")
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(
        differing,
        [(
            "fee rule".to_string(),
            "病种定额.单病种".to_string(),
            "body #1".to_string()
        )]
    );
}

/// Comparing a policy that clears institutions at the year end with one
/// that does not warns that their institution nets are unlike; two that
/// both clear do not.
#[test]
fn an_unlike_institution_net_is_warned_of() {
    let data = [
        "--claims",
        "examples/claims.csv",
        "--institutions",
        "examples/institutions.csv",
    ];
    let run = |policies: &[&str]| {
        let mut a = vec!["compare"];
        a.extend(policies);
        a.extend(data);
        let o = yibao(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let e = run(&["policies/r1.policy", "policies/bazhong.policy"]);
    assert!(
        e.contains("warning: `r1` clears institutions at the year end and `bazhong` does not"),
        "{e}"
    );
    let e = run(&["policies/r1.policy", "policies/perdisease.policy"]);
    assert!(!e.contains("clears institutions"), "{e}");
}

/// `--out DIR` writes the full change tables, tidy, with the README's hand
/// figures (tests/fixtures/compare/tiny/README.md): every patient-year,
/// institution-year and group, under each policy, numbers as numbers.
#[test]
fn the_change_tables_hold_every_unit_with_the_hand_figures() {
    let out = temp_dir("compare-out");
    let o = tiny(&["--out", out.to_str().unwrap()]);
    // a clears institutions at the year end, b does not.
    assert!(
        stderr(&o).contains("warning: `a` clears institutions at the year end and `b` does not")
    );
    let rows = |f: &str| csv_of(&std::fs::read_to_string(out.join(f)).unwrap());
    let py = rows("patient_years.csv");
    assert_eq!(
        py[0],
        [
            "patient_id",
            "year",
            "claims",
            "policy",
            "patient_paid",
            "baseline_patient_paid",
            "delta"
        ]
    );
    // 3 patient-years × 2 policies.
    assert_eq!(py.len(), 1 + 6);
    let find = |t: &[Vec<String>], k: &[&str]| -> Vec<String> {
        t.iter()
            .find(|r| {
                k.iter()
                    .enumerate()
                    .all(|(i, v)| v.is_empty() || r[i] == *v)
            })
            .unwrap_or_else(|| panic!("no row {k:?}"))
            .clone()
    };
    // P1: a 280 + 80 = 360.00, b 335 + 59 = 394.00; P3: a 350.11, b 330.16.
    assert_eq!(
        find(&py, &["P1", "2025", "2", "b"])[4..],
        ["394.00", "360.00", "34.00"]
    );
    assert_eq!(
        find(&py, &["P3", "2025", "2", "b"])[4..],
        ["330.16", "350.11", "-19.95"]
    );
    assert_eq!(
        find(&py, &["P2", "2025", "1", "a"])[4..],
        ["840.00", "840.00", "0.00"]
    );
    // The deltas add up to the change in patient_paid: 34.00 + 55.00 − 19.95 = 69.05.
    let sum: rust_decimal::Decimal = py
        .iter()
        .skip(1)
        .filter(|r| r[3] == "b")
        .map(|r| r[6].parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(sum.to_string(), "69.05");

    let iy = rows("institution_years.csv");
    assert_eq!(
        iy[0],
        [
            "institution_id",
            "name",
            "level",
            "year",
            "policy",
            "paid",
            "clearing",
            "net",
            "baseline_net",
            "delta_net"
        ]
    );
    // H1: a 840.44 + 143.60 = 984.04; b 826.39 (no clearing): Δ −157.65.
    let h1b = find(&iy, &["H1", "", "", "2025", "b"]);
    assert_eq!(h1b[5..], ["826.39", "0.00", "826.39", "984.04", "-157.65"]);
    // H2 under a: 2440.00 paid, −340.00 institution_share.
    let h2a = find(&iy, &["H2", "", "3", "2025", "a"]);
    assert_eq!(h2a[5..8], ["2440.00", "-340.00", "2100.00"]);

    let g = rows("groups.csv");
    let all_b = find(&g, &["all", "", "b"]);
    // fund 3031.39 (Δ −249.05), patient 1619.16 (Δ +69.05), share 1369.16 / 4580.55.
    assert_eq!(all_b[6], "3031.39");
    assert_eq!(all_b[9], "1619.16");
    assert_eq!(all_b[12..], ["-249.05", "69.05"]);
    assert!(all_b[11].starts_with("0.2989"), "{}", all_b[11]);
    assert_eq!(find(&g, &["level", "3", "a"])[6], "2440.00");
    assert_eq!(find(&g, &["insured_type", "employee", "b"])[9], "394.00");
    // Age bands (C1, C2 are 50; C3 67; C4, C5 71) and ICD-10 chapters
    // (C1 J18 and C2 J06: X; C3 I63: IX; C4 E11: IV; C5 K35: XI).
    let age = find(&g, &["age_band", "45–59", "a"]);
    assert_eq!((age[3].as_str(), age[6].as_str()), ("2", "720.00"));
    // 2160.00 + 280.00 + 120.44
    assert_eq!(find(&g, &["age_band", "60–74", "a"])[6], "2560.44");
    assert_eq!(find(&g, &["age_band", "0–17", "a"])[3], "0");
    // b: 665.00 + 21.00 for chapter X.
    assert_eq!(find(&g, &["icd_chapter", "X (J00–J99)", "b"])[6], "686.00");
    assert_eq!(
        find(&g, &["icd_chapter", "IX (I00–I99)", "a"])[6],
        "2160.00"
    );
    assert_eq!(find(&g, &["icd_chapter", "unknown", "a"])[3], "0");
    // Winners and losers (README: P1 +34.00, P2 +55.00, P3 −19.95; H1 −157.65, H2 +285.00).
    let wl = rows("winners_losers.csv");
    assert_eq!(
        wl[0],
        [
            "policy",
            "unit",
            "breakdown",
            "value",
            "better_off",
            "gained",
            "worse_off",
            "lost",
            "unchanged"
        ]
    );
    assert_eq!(
        find(&wl, &["b", "patient_year", "all"])[4..],
        ["1", "19.95", "2", "89.00", "0"]
    );
    assert_eq!(
        find(&wl, &["b", "patient_year", "insured_type", "resident"])[4..],
        ["1", "19.95", "1", "55.00", "0"]
    );
    assert_eq!(
        find(&wl, &["b", "institution", "all"])[4..],
        ["1", "285.00", "1", "157.65", "0"]
    );
    assert_eq!(
        find(&wl, &["b", "institution", "level", "1"])[4..],
        ["0", "0.00", "1", "157.65", "0"]
    );
    assert!(stdout(&o).contains("b vs a: who is better or worse off"));
    // Every claim under each policy (README table): C3 a fund 2160.00,
    // patient 840.00; b fund 1925.00, serious 180.00, patient 895.00.
    let cl = rows("claims.csv");
    assert_eq!(cl.len(), 1 + 5 * 2);
    assert_eq!(
        cl[0],
        [
            "claim_id",
            "patient_id",
            "institution_id",
            "year",
            "policy",
            "fund_paid",
            "serious_paid",
            "other_paid",
            "patient_paid",
            "institution_borne",
            "delta_fund_paid",
            "delta_patient_paid"
        ]
    );
    assert_eq!(
        find(&cl, &["C3", "P2", "H2", "2025", "a"])[5..],
        ["2160.00", "0.00", "0.00", "840.00", "0.00", "0.00", "0.00"]
    );
    assert_eq!(
        find(&cl, &["C3", "P2", "H2", "2025", "b"])[5..],
        ["1925.00", "180.00", "0.00", "895.00", "0.00", "-235.00", "55.00"]
    );
    // C5: b 140.39 against a 120.44.
    assert_eq!(
        find(&cl, &["C5", "", "", "", "b"])[10..],
        ["19.95", "-19.95"]
    );
    assert!(out.join("manifest.json").exists());
    // Bands of one's own: 0–64 and 65+.
    let out2 = temp_dir("compare-out-bands");
    tiny(&["--out", out2.to_str().unwrap(), "--age-bands", "65"]);
    let g = csv_of(&std::fs::read_to_string(out2.join("groups.csv")).unwrap());
    assert_eq!(find(&g, &["age_band", "0–64", "a"])[3], "2");
    assert_eq!(find(&g, &["age_band", "65+", "a"])[3], "3");
}

/// The HTML report shows who is better or worse off (tiny fixture: two
/// patient-years pay 34.00 + 55.00 = 89.00 more, one 19.95 less).
#[test]
fn the_report_shows_winners_and_losers() {
    let dir = temp_dir("compare-report-winners");
    let html = dir.join("r.html");
    tiny(&["--report", html.to_str().unwrap()]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("b vs a: who is better or worse off"));
    assert!(text.contains(
        "<tr><td>patient-years (pay less = better)</td><td>all</td><td class=\"n\">1</td><td class=\"n\">19.95</td><td class=\"n\">2</td><td class=\"n\">89.00</td><td class=\"n\">0</td></tr>"
    ), "{text}");
}

/// groups.csv has a group per DRG present (claims without one are in none).
#[test]
fn the_change_tables_group_by_drg_when_present() {
    let dir = temp_dir("compare-out-drg");
    let text = std::fs::read_to_string(format!("{TINY}/claims.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // C1 (line 2) in ES1, C3 (line 4) in BR2: the drg_code column is last.
    for (i, drg) in [(1, "ES1"), (3, "BR2")] {
        lines[i].push_str(drg);
    }
    let claims = dir.join("claims.csv");
    std::fs::write(&claims, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    let (a, b) = (format!("{TINY}/a.policy"), format!("{TINY}/b.policy"));
    let o = yibao(&[
        "compare",
        &a,
        &b,
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        &format!("{TINY}/institutions.csv"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let g = csv_of(&std::fs::read_to_string(out.join("groups.csv")).unwrap());
    let drg: Vec<(String, String, String, String)> = g
        .iter()
        .filter(|r| r[0] == "drg")
        .map(|r| (r[1].clone(), r[2].clone(), r[3].clone(), r[6].clone()))
        .collect();
    // README: C3 a 2160.00, b 1925.00; C1 a 720.00, b 665.00 (sorted by code).
    let want = [
        ("BR2", "a", "1", "2160.00"),
        ("BR2", "b", "1", "1925.00"),
        ("ES1", "a", "1", "720.00"),
        ("ES1", "b", "1", "665.00"),
    ]
    .map(|(x, y, z, w)| (x.to_string(), y.to_string(), z.to_string(), w.to_string()));
    assert_eq!(drg, want);
}

/// The report's age-band and ICD-10 chapter tables, from the tiny fixture's
/// hand figures: ages 50 (P1: C1, C2), 67 (P2: C3) and 71 (P3: C4, C5); in
/// 45–59 patients pay a 280 + 80 = 360.00, b 335 + 59 = 394.00 (+34.00,
/// 34 / 360 = +9.4%); in 60–74 a 840 + 220 + 130.11 = 1,190.11, b 895 + 220 +
/// 110.16 = 1,225.16 (+35.05, +2.9%), the fund a 2160 + 280 + 120.44 =
/// 2,560.44, b 1925 + 280 + 140.39 = 2,345.39. C3 (I63) is chapter IX:
/// 840.00 → 895.00, +55.00, +6.5%.
#[test]
fn the_report_groups_by_age_band_and_icd_chapter() {
    let dir = temp_dir("compare-report-groups");
    let html = dir.join("r.html");
    tiny(&["--report", html.to_str().unwrap(), "--lang", "zh"]);
    let text = std::fs::read_to_string(&html).unwrap();
    for row in [
        "<tr><td>45–59</td><td class=\"n\">2</td><td class=\"n\">720.00</td><td class=\"n\">360.00</td><td class=\"n\">686.00</td><td class=\"n\">394.00</td><td class=\"n up\">+34.00</td><td class=\"n up\">+9.4%</td></tr>",
        "<tr><td>60–74</td><td class=\"n\">3</td><td class=\"n\">2,560.44</td><td class=\"n\">1,190.11</td><td class=\"n\">2,345.39</td><td class=\"n\">1,225.16</td><td class=\"n up\">+35.05</td><td class=\"n up\">+2.9%</td></tr>",
        "<tr><td>IX 循环系统疾病 (I00–I99)</td><td class=\"n\">1</td><td class=\"n\">2,160.00</td><td class=\"n\">840.00</td><td class=\"n\">1,925.00</td><td class=\"n\">895.00</td><td class=\"n up\">+55.00</td><td class=\"n up\">+6.5%</td></tr>",
    ] {
        assert!(text.contains(row), "missing {row}");
    }
    // Bands with no claims are left out.
    assert!(!text.contains("<tr><td>0–17</td>"));
}
