//! `siyu report` through the built binary: one self-contained page with every stage,
//! channel and rule, the invalid snapshots listed, a path that cannot be written refused
//! before any planning, and the page opened in a real headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Output;

mod support;
use support::{scratch, siyu, text};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn beauty() -> PathBuf {
    root().join("rules/beauty_fmcg.rules")
}

/// `siyu report` with an empty ledger (the beauty playbook reads members' histories).
fn report(playbook: &Path, members: &Path, out: &Path) -> Output {
    let ledger = scratch("report-ledger");
    siyu()
        .args(["report"])
        .arg(playbook)
        .arg("--ledger")
        .arg(support::empty_ledger(&ledger))
        .arg("--members")
        .arg(members)
        .args(["--as-of", AS_OF, "-o"])
        .arg(out)
        .output()
        .expect("siyu runs")
}

/// The names a playbook declares, from `siyu run`'s summary JSON.
fn declared(members: &Path, folder: &Path) -> serde_json::Value {
    let summary = folder.join("summary.json");
    let output = siyu()
        .arg("run")
        .arg(beauty())
        .arg("--ledger")
        .arg(folder.join("run-ledger.db"))
        .arg("--members")
        .arg(members)
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(folder.join("plans.jsonl"))
        .arg("--summary")
        .arg(&summary)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_str(&std::fs::read_to_string(summary).expect("summary")).expect("JSON")
}

#[test]
fn the_page_holds_every_stage_channel_and_rule_and_needs_no_network() {
    let folder = scratch("report-page");
    let members = root().join("examples/members.jsonl");
    let page = folder.join("report.html");
    let output = report(&beauty(), &members, &page);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("阶段漏斗") && html.contains("Funnel by stage"));
    let summary = declared(&members, &folder);
    for key in ["stages", "channels", "rules"] {
        let names = summary[key].as_object().expect("names");
        for name in names.keys().filter(|name| *name != "null") {
            // Alone, or after its label (`首购客 first_buyer`).
            let shown = html.contains(&format!(">{name}<")) || html.contains(&format!(" {name}<"));
            assert!(shown, "{key} `{name}` missing");
        }
    }
    for (stage, count) in summary["stages"].as_object().expect("stages") {
        if stage != "null" {
            assert!(html.contains(&format!(">{count} · ")), "count of {stage}");
        }
    }
    let members_read = summary["members"].as_u64().expect("members");
    assert!(html.contains(&format!("<b>{members_read}</b>")));
    // The checks: `check --deep`'s warnings (the shipped playbook's capped channels),
    // and its notes folded away.
    assert!(html.contains("<code>siyu::deep::touch_budget</code>"));
    let notes = html.find("<details><summary>").expect("the notes, folded");
    assert!(html[notes..].contains("<code>siyu::deep::stage_overlap</code>"));
    // Nothing is fetched: no script, no stylesheet or image by address. The one URL is
    // SVG's namespace name, which is never loaded.
    assert!(!html.contains("<script"));
    assert!(!html.contains(" src=") && !html.contains(" href="));
    let urls = html.matches("http").count();
    let namespaces = html.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(urls, namespaces);
}

#[test]
fn invalid_snapshots_are_counted_and_the_first_reasons_listed() {
    let folder = scratch("report-invalid");
    let sample = std::fs::read_to_string(root().join("examples/members.jsonl")).expect("sample");
    let mut members: String = sample.lines().take(50).map(|l| format!("{l}\n")).collect();
    members.push_str("{\"id\":\"broken\",\"orders\":\"many\"}\n");
    members.push_str("not json at all\n");
    let path = folder.join("members.jsonl");
    std::fs::write(&path, members).expect("members");
    let page = folder.join("report.html");
    let output = report(&beauty(), &path, &page);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(
        html.contains("<b>2</b><span>无效数据 · invalid</span>"),
        "{html}"
    );
    assert!(html.contains("2 snapshots were invalid"));
    assert!(html.contains("<td class=\"n\">51</td><td>broken</td>"));
    assert!(html.contains("<td class=\"n\">52</td>"));
    assert!(html.contains("malformed JSON"));
}

#[test]
fn a_page_that_cannot_be_written_is_refused_before_planning() {
    let folder = scratch("report-unwritable");
    let page = folder.join("no-such-folder/report.html");
    // The members file does not exist either: the page's path is checked first.
    let output = report(&beauty(), &folder.join("missing.jsonl"), &page);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(stderr.contains("report.html"), "{stderr}");
    assert!(!stderr.contains("missing.jsonl"), "{stderr}");
}

/// The shipped beauty playbook's stages and their labels, read from its source.
fn stage_labels() -> Vec<(String, String)> {
    let source = std::fs::read_to_string(beauty()).expect("playbook");
    let labels: Vec<(String, String)> = source
        .lines()
        .filter_map(|line| line.strip_prefix("stage "))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let name = words.next()?.to_string();
            let label = words
                .next()?
                .strip_prefix('"')?
                .strip_suffix('"')?
                .to_string();
            Some((name, label))
        })
        .collect();
    assert!(labels.len() >= 5, "the beauty playbook labels its stages");
    labels
}

/// The shipped libraries beside a playbook written into `folder`, for its includes.
fn copy_rules(folder: &Path) {
    fn copy(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).expect("folder") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                std::fs::create_dir_all(&target).expect("folder");
                copy(&entry.path(), &target);
            } else if !target.exists() {
                std::fs::copy(entry.path(), target).expect("copy");
            }
        }
    }
    copy(&root().join("rules"), folder);
}

/// The Chromium to open pages with: `SIYU_CHROMIUM`, or one on the `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SIYU_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name))
        })
        .find(|candidate| candidate.is_file())
}

/// Opens `page` in headless Chromium: the rendered DOM, the console messages, and a
/// screenshot written to `screenshot`.
fn open_in_browser(browser: &Path, page: &Path, screenshot: &Path) -> (String, Vec<String>) {
    let profile = scratch("chromium-profile");
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1100,2600",
    ];
    let url = format!("file://{}", page.display());
    let run = |extra: &str| {
        std::process::Command::new(browser)
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(extra)
            .arg(&url)
            .output()
            .expect("chromium runs")
    };
    let dom = run("--dump-dom");
    assert!(dom.status.success(), "{}", text(&dom.stderr));
    let shot = run(&format!("--screenshot={}", screenshot.display()));
    assert!(shot.status.success(), "{}", text(&shot.stderr));
    let console = text(&dom.stderr)
        .lines()
        .chain(text(&shot.stderr).lines())
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (text(&dom.stdout), console)
}

/// `SIYU_BLESS=1 cargo test --test report` writes the screenshot shown in the README and
/// docs/report.md: the top of the beauty playbook's page, 1000 by 1500 pixels. The page
/// is in Chinese first, so a Chinese font must be installed (Debian: `fonts-noto-cjk`).
fn bless_screenshot(browser: &Path, page: &Path) {
    let fonts = std::process::Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .map(|output| output.stdout)
        .unwrap_or_default();
    assert!(
        !fonts.is_empty(),
        "no Chinese font: install one (Debian: fonts-noto-cjk) before taking the screenshot"
    );
    let profile = scratch("chromium-profile");
    let shot = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg("--window-size=1000,1500")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!(
            "--screenshot={}",
            root().join("docs/report.png").display()
        ))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(shot.status.success(), "{}", text(&shot.stderr));
}

#[test]
fn the_page_opens_in_a_real_browser_with_no_console_errors() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED the_page_opens_in_a_real_browser_with_no_console_errors: \
             no chromium found (set SIYU_CHROMIUM or install Debian's chromium)"
        );
        return;
    };
    let folder = scratch("report-browser");
    let members = root().join("examples/members.jsonl");
    let page = folder.join("report.html");
    let output = report(&beauty(), &members, &page);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let screenshot = folder.join("report.png");
    let (dom, console) = open_in_browser(&browser, &page, &screenshot);
    assert!(console.is_empty(), "console messages: {console:?}");
    for (name, label) in stage_labels() {
        assert!(
            dom.contains(&format!(">{label} {name}</text>")),
            "stage `{name}` with its label `{label}`"
        );
    }
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    if std::env::var_os("SIYU_BLESS").is_some() {
        bless_screenshot(&browser, &page);
    }

    // The diff page, in the same style, opens as cleanly.
    let changed = folder.join("changed.rules");
    let source = std::fs::read_to_string(beauty()).expect("playbook");
    let edited = source.replace("when orders >= 2\n", "when orders >= 3\n");
    assert_ne!(edited, source);
    copy_rules(&folder);
    std::fs::write(&changed, edited).expect("edited playbook");
    let diff_page = folder.join("diff.html");
    let output = siyu()
        .arg("diff")
        .arg(beauty())
        .arg(&changed)
        .arg("--ledger")
        .arg(support::empty_ledger(&folder))
        .arg("--members")
        .arg(&members)
        .args(["--as-of", AS_OF, "--quiet", "--html"])
        .arg(&diff_page)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let (dom, console) = open_in_browser(&browser, &diff_page, &folder.join("diff.png"));
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(dom.contains(">repeat_buyer → active_fan</text>"), "{dom}");

    // The console check is not vacuous: a page with a script error is caught.
    let broken = folder.join("broken.html");
    std::fs::write(&broken, "<p>x</p><script>notAFunction();</script>").expect("page");
    let (_, console) = open_in_browser(&browser, &broken, &folder.join("broken.png"));
    assert!(
        console.iter().any(|line| line.contains("notAFunction")),
        "{console:?}"
    );
}
