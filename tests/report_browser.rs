//! The `compare --report` page in a real browser: headless Chromium opens the
//! file, and the screenshot must show every chart drawn — the colours of the
//! payers' bars, of each policy in the histogram and of the surplus bars,
//! each over a real area — and the rendered DOM must hold the charts' SVG.
//!
//! Chromium is Debian's `chromium` package, which `.ci/run` installs when it
//! is missing. Where there is no Chromium the test says so and passes, unless
//! `YIBAO_REQUIRE_BROWSER=1` (set by `.ci/run` once it has installed it).
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
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));

    // The DOM as the browser built it: the charts are SVG with their bars in it.
    let dom = headless(&chrome, &dir.join("profile-dom"), &page, &["--dump-dom"]);
    // Payer segments: r1, bazhong and the reform 3 each, leshan 2 (no serious illness);
    // ten bins; r1's surplus and overspend.
    for (id, min) in [
        ("chart-totals", 11),
        ("chart-oop", 10),
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

    // The picture: each chart colour covers a real area.
    let shot = dir.join("shot.png");
    headless(
        &chrome,
        &dir.join("profile-shot"),
        &page,
        &[
            "--window-size=1200,1500",
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
    use yibao::report::html::{PAYER_COLOURS, POLICY_COLOURS, SURPLUS_COLOUR};
    let wanted = [
        ("fund_paid bars", PAYER_COLOURS[0], 20_000),
        ("serious_paid bars", PAYER_COLOURS[1], 1_000),
        ("patient_paid bars", PAYER_COLOURS[3], 10_000),
        ("histogram bars of r1", POLICY_COLOURS[0], 2_000),
        ("histogram bars of bazhong", POLICY_COLOURS[1], 2_000),
        ("histogram bars of leshan", POLICY_COLOURS[2], 2_000),
        ("histogram bars of bazhong+cap60w", POLICY_COLOURS[3], 2_000),
        ("r1's surplus bar", SURPLUS_COLOUR, 3_000),
    ];
    for (what, colour, at_least) in wanted {
        let n = count(colour);
        assert!(
            n >= at_least,
            "{what} ({colour}): {n} pixels, expected at least {at_least}"
        );
    }
}
