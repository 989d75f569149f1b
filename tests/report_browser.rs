//! The `compare --report` page in a real browser: headless Chromium opens the
//! file, and the screenshot must show every chart drawn — the colours of the
//! payers' bars, of each policy in the histogram, of the shaded high-cost
//! tail and of the surplus bars, each over a real area — and the rendered DOM
//! must hold the charts' SVG, the Chinese headings and the summary. Printed
//! to PDF, the report must come out on A4 pages with its Chinese drawn in a
//! CJK font (the PDF embeds it), not as boxes.
//!
//! Chromium and the font are Debian's `chromium` and `fonts-noto-cjk`, which
//! `.ci/run` installs (and fails without). Elsewhere, without Chromium, the
//! test says so and passes, unless `YIBAO_REQUIRE_BROWSER=1` (set by `.ci/run`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("YIBAO_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `page` with `args`; returns stdout. Killed after a minute.
fn headless(chrome: &Path, profile: &Path, page: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(format!("file://{}", page.display()))
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start chromium");
    // Read the output while it runs: a DOM larger than the pipe's buffer
    // would otherwise block chromium's writes and it would never finish.
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = reader.join().expect("chromium output");
    String::from_utf8_lossy(&out).into_owned()
}

fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

#[test]
fn the_report_draws_its_charts_in_chromium() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var("YIBAO_REQUIRE_BROWSER").is_err(),
            "YIBAO_REQUIRE_BROWSER is set but no Chromium was found"
        );
        eprintln!(
            "SKIPPED the_report_draws_its_charts_in_chromium: no Chromium on PATH \
             (install Debian's `chromium` package, or set YIBAO_CHROMIUM; .ci/run installs it)"
        );
        return;
    };
    let dir = common::temp_dir("report-browser");
    let page = dir.join("report.html");
    let o = common::yibao(&[
        "compare",
        "policies/r1.policy",
        "policies/bazhong.policy",
        "policies/leshan.policy",
        "bazhong+cap60w",
        "--set",
        "bazhong+cap60w:封顶线[resident]=60万元",
        "--claims",
        "examples/claims.csv",
        "--institutions",
        "examples/institutions.csv",
        "--report",
        page.to_str().unwrap(),
        "--lang",
        "zh",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));

    // The DOM as the browser built it: the charts are SVG with their bars in it.
    let dom = headless(&chrome, &dir.join("profile-dom"), &page, &["--dump-dom"]);
    // Payer segments: r1, bazhong and the reform 3 each, leshan 2 (no serious illness);
    // ten bins; r1's surplus and overspend.
    // The tail: the same ten bins on a log scale; the change of each of the
    // three policies against r1 in (at most) nine bins, some of them empty.
    for (id, min) in [
        ("chart-totals", 11),
        ("chart-oop", 10),
        ("chart-tail", 10),
        ("chart-change-1", 4),
        ("chart-change-3", 4),
        ("chart-institutions", 2),
    ] {
        let at = dom
            .find(&format!("<svg id=\"{id}\""))
            .unwrap_or_else(|| panic!("no svg #{id} in the rendered DOM"));
        let end = dom[at..].find("</svg>").expect("closed svg") + at;
        let bars = dom[at..end].matches("<rect class=\"bar\"").count();
        assert!(
            bars >= min,
            "#{id} has {bars} bars, expected at least {min}"
        );
    }

    // The Chinese prose, as the browser holds it.
    for text in [
        "<h1 id=\"title\">医保支付政策测算报告：r1 对比 bazhong 对比 leshan 对比 bazhong+cap60w</h1>",
        ">摘要</h2>",
        ">费用由谁支付</h2>",
        ">高额个人负担</h2>",
        ">分机构明细</h2>",
        "bazhong与r1相比：医保各项共支付",
        "个患者年负担减轻",
        "基本医疗保险统筹基金",
        "仅用于显示",
    ] {
        assert!(dom.contains(text), "the rendered DOM lacks {text:?}");
    }

    // Printed: A4 pages (595.3 × 841.9 pt, Chromium rounds to within a
    // point), and the Chinese set in a CJK font the PDF embeds.
    let pdf = dir.join("report.pdf");
    headless(
        &chrome,
        &dir.join("profile-pdf"),
        &page,
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = std::fs::read(&pdf).expect("pdf written");
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<&str> = text
        .match_indices("/MediaBox [")
        .map(|(i, _)| {
            let rest = &text[i + 11..];
            &rest[..rest.find(']').unwrap_or(0)]
        })
        .collect();
    assert!(
        boxes.len() >= 2,
        "the report prints on several pages: {boxes:?}"
    );
    for b in &boxes {
        let v: Vec<f64> = b
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        assert!(
            v.len() == 4 && (v[2] - 595.3).abs() < 1.5 && (v[3] - 841.9).abs() < 1.5,
            "a page that is not A4: [{b}]"
        );
    }
    assert!(
        text.contains("CJK") || text.contains("Hei") || text.contains("Song"),
        "the PDF embeds no CJK font: the Chinese would print as boxes (install fonts-noto-cjk)"
    );

    // The picture: each chart colour covers a real area.
    let shot = dir.join("shot.png");
    headless(
        &chrome,
        &dir.join("profile-shot"),
        &page,
        &[
            "--window-size=1200,4200",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("screenshot written"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "colour screenshot");
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3);
    let count = |hex: &str| pixels.iter().filter(|p| near(**p, rgb(hex))).count();
    let white = count("#ffffff");
    assert!(
        white < pixels.len() * 95 / 100,
        "the screenshot is nearly blank ({white} of {} pixels white)",
        pixels.len()
    );
    use yibao::report::html::{OVERSPEND_COLOUR, PAYER_COLOURS, POLICY_COLOURS, SURPLUS_COLOUR};
    let wanted = [
        ("fund_paid bars", PAYER_COLOURS[0], 20_000),
        ("serious_paid bars", PAYER_COLOURS[1], 1_000),
        ("patient_paid bars", PAYER_COLOURS[3], 10_000),
        ("histogram bars of r1", POLICY_COLOURS[0], 2_000),
        ("histogram bars of bazhong", POLICY_COLOURS[1], 2_000),
        ("histogram bars of leshan", POLICY_COLOURS[2], 2_000),
        ("histogram bars of bazhong+cap60w", POLICY_COLOURS[3], 2_000),
        (
            "r1's surplus bar and the change charts' green bars",
            SURPLUS_COLOUR,
            6_000,
        ),
        ("the change charts' red bars", OVERSPEND_COLOUR, 6_000),
        ("the shaded high-cost tail", "#fdecea", 10_000),
    ];
    for (what, colour, at_least) in wanted {
        let n = count(colour);
        assert!(
            n >= at_least,
            "{what} ({colour}): {n} pixels, expected at least {at_least}"
        );
    }
}
