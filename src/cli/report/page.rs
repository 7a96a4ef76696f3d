//! The report page: HTML with inline styles and inline SVG charts, nothing fetched and
//! nothing run (no script), so it opens offline, prints, and mails as one file. Labels
//! are Chinese first, then English.

use std::fmt::Write as _;

use siyu::{Diagnostic, Playbook, Reason, Severity, Summary};

use super::Invalid;

/// What the page shows.
pub(super) struct Report<'a> {
    pub playbook: &'a Playbook,
    pub as_of: &'a str,
    pub summary: &'a Summary,
    pub invalid: &'a [Invalid],
    /// With a ledger: the playbook's last runs, oldest first.
    pub runs: Option<&'a [siyu::RunInfo]>,
    /// The findings of `check --deep` at the report's as-of time.
    pub deep: &'a [Diagnostic],
}

/// Widths of a horizontal bar chart, in SVG units: the labels' column is at least
/// `LABEL_WIDTH`, wider when a label needs it ([`label_width`]).
const LABEL_WIDTH: u32 = 220;
const BAR_WIDTH: u32 = 460;
const VALUE_WIDTH: u32 = 140;
const ROW_HEIGHT: u32 = 26;

pub(in crate::cli) const STYLE: &str = r#"
body { font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif;
       margin: 0; background: #f6f7f9; color: #1f2328; }
header { background: #fe2c55; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 6px; font-size: 22px; }
header p { margin: 0; opacity: .9; }
main { max-width: 960px; margin: 0 auto; padding: 16px 24px 48px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px; margin: 16px 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.06); }
h2 { font-size: 17px; margin: 0 0 12px; }
h2 small { color: #656d76; font-weight: normal; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; }
.tile { flex: 1 1 120px; background: #fff; border-radius: 8px; padding: 12px 16px;
        box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.tile b { display: block; font-size: 24px; }
.tile span { color: #656d76; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font-size: 13px; fill: #1f2328; }
svg text.value { fill: #656d76; }
.legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
details summary { cursor: pointer; color: #656d76; margin: 8px 0; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
            vertical-align: -1px; border-radius: 2px; }
.none { color: #656d76; }
code { background: #f0f2f4; padding: 0 4px; border-radius: 3px; }
"#;

/// The page.
pub(super) fn draw(report: &Report<'_>) -> String {
    let summary = report.summary;
    let mut page = String::with_capacity(64 * 1024);
    let subtitle = format!(
        "运营报告 · Outreach report — 计划时间 as of {}",
        report.as_of
    );
    page_start(
        &mut page,
        report.playbook.name(),
        "运营报告 Report",
        &subtitle,
    );
    tiles(&mut page, summary);
    let stage_labels: Vec<(&str, &str)> = report.playbook.stage_labels().collect();
    let rule_labels: Vec<(&str, &str)> = report.playbook.rule_labels().collect();
    funnel(&mut page, summary, &stage_labels);
    channels(&mut page, summary);
    rules(&mut page, summary, &rule_labels);
    holdout(&mut page, summary, &stage_labels);
    super::variants::section(&mut page, report.playbook, summary, &stage_labels);
    if let Some(runs) = report.runs {
        super::runs::section(&mut page, runs);
    }
    checks(&mut page, report);
    invalid(&mut page, report);
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// The page's head and header: `title` (the playbook), `kind` (for the window's title)
/// and the subtitle under it.
pub(in crate::cli) fn page_start(page: &mut String, title: &str, kind: &str, subtitle: &str) {
    let title = escape(title);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {kind}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{title}</h1><p>{}</p></header>\n<main>\n",
        escape(subtitle)
    );
}

fn tiles(page: &mut String, summary: &Summary) {
    let touches: u64 = summary.channels().map(|(_, n)| n).sum();
    tile_row(
        page,
        &[
            (summary.members(), "读取会员 · members read"),
            (summary.planned(), "已计划 · planned"),
            (summary.invalid(), "无效数据 · invalid"),
            (summary.holdout(), "对照组 · held out"),
            (touches, "计划触达 · planned touches"),
        ],
    );
}

/// A row of tiles, each a number and its label.
pub(in crate::cli) fn tile_row(page: &mut String, tiles: &[(u64, &str)]) {
    page.push_str("<div class=\"tiles\">\n");
    for (value, label) in tiles {
        let _ = writeln!(
            page,
            "<div class=\"tile\"><b>{value}</b><span>{label}</span></div>"
        );
    }
    page.push_str("</div>\n");
}

/// `首购客 first_buyer`: a stage's or rule's label, then its name (the name alone when it
/// has no label of its own).
pub(super) fn labelled(labels: &[(&str, &str)], name: &str) -> String {
    match labels.iter().find(|(n, _)| *n == name) {
        Some((_, label)) if *label != name => format!("{label} {name}"),
        _ => name.to_string(),
    }
}

fn funnel(page: &mut String, summary: &Summary, labels: &[(&str, &str)]) {
    section_start(page, "阶段漏斗", "Funnel by stage", "funnel");
    let total = summary.planned().max(1);
    let rows: Vec<Row> = summary
        .stages()
        .filter(|(name, count)| *name != "null" || *count > 0)
        .map(|(name, count)| Row {
            label: if name == "null" {
                "（无阶段 · no stage）".to_string()
            } else {
                labelled(labels, name)
            },
            segments: vec![(count, "#fe2c55")],
            value: format!("{count} · {}", percent(count, total)),
        })
        .collect();
    bar_chart(page, &rows, "members per stage");
    page.push_str("</section>\n");
}

fn channels(page: &mut String, summary: &Summary) {
    section_start(page, "渠道触达", "Planned touches per channel", "channels");
    let rows: Vec<Row> = summary
        .channels()
        .map(|(name, count)| Row {
            label: name.to_string(),
            segments: vec![(count, "#25b8c8")],
            value: count.to_string(),
        })
        .collect();
    if rows.is_empty() {
        page.push_str("<p class=\"none\">没有渠道 · no channels declared</p>\n");
    } else {
        bar_chart(page, &rows, "planned touches per channel");
    }
    page.push_str("</section>\n");
}

/// The colour of each suppression reason, in [`Reason::ALL`] order.
fn reason_colour(reason: Reason) -> &'static str {
    match reason {
        Reason::Holdout => "#8c959f",
        Reason::Group => "#bf8700",
        Reason::GroupCap => "#953800",
        Reason::Consent => "#cf222e",
        Reason::RuleCap => "#8250df",
        Reason::ChannelCap => "#0969da",
        Reason::MemberCap => "#1a7f37",
        _ => "#57606a",
    }
}

/// A reason in Chinese, then its code.
fn reason_label(reason: Reason) -> String {
    let chinese = match reason {
        Reason::Holdout => "对照组",
        Reason::Group => "同组已发",
        Reason::GroupCap => "同组频次",
        Reason::Consent => "未授权",
        Reason::RuleCap => "规则频次",
        Reason::ChannelCap => "渠道频次",
        Reason::MemberCap => "会员频次",
        _ => "其他",
    };
    format!("{chinese} {}", reason.code())
}

fn rules(page: &mut String, summary: &Summary, labels: &[(&str, &str)]) {
    section_start(
        page,
        "规则触达",
        "Members reached and suppressed per rule",
        "rules",
    );
    page.push_str(
        "<p class=\"legend\"><span><i style=\"background:#2da44e\"></i>触达 reached</span>",
    );
    for reason in Reason::ALL {
        let _ = write!(
            page,
            "<span><i style=\"background:{}\"></i>{}</span>",
            reason_colour(reason),
            escape(&reason_label(reason))
        );
    }
    page.push_str("</p>\n");
    let mut rows = Vec::new();
    for (name, counts) in summary.rules() {
        rows.push(Row {
            label: labelled(labels, name),
            segments: vec![(counts.reached, "#2da44e")],
            value: format!("{} / {}", counts.reached, counts.fired),
        });
        let suppressed: u64 = Reason::ALL
            .iter()
            .map(|r| counts.suppressed_members(*r))
            .sum();
        rows.push(Row {
            label: String::new(),
            segments: Reason::ALL
                .iter()
                .map(|r| (counts.suppressed_members(*r), reason_colour(*r)))
                .collect(),
            value: format!("压下 held back {suppressed}"),
        });
    }
    if rows.is_empty() {
        page.push_str("<p class=\"none\">没有规则 · no rules</p>\n");
    } else {
        bar_chart(page, &rows, "members reached and suppressed per rule");
    }
    page.push_str(
        "<table>\n<tr><th>规则 rule</th><th class=\"n\">候选会员 candidates</th>\
         <th class=\"n\">触达会员 reached</th><th class=\"n\">计划动作 actions</th>\
         <th>压下会员（按原因）suppressed members by reason</th></tr>\n",
    );
    for (name, counts) in summary.rules() {
        let reasons: Vec<String> = Reason::ALL
            .iter()
            .filter(|r| counts.suppressed_members(**r) > 0)
            .map(|r| {
                format!(
                    "{} {}",
                    escape(&reason_label(*r)),
                    counts.suppressed_members(*r)
                )
            })
            .collect();
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td></tr>",
            escape(name),
            counts.fired,
            counts.reached,
            counts.planned,
            reasons.join("，")
        );
    }
    page.push_str("</table>\n</section>\n");
}

fn holdout(page: &mut String, summary: &Summary, labels: &[(&str, &str)]) {
    section_start(page, "对照组", "Held-out members per stage", "holdout");
    let rows: Vec<Row> = summary
        .holdout_stages()
        .filter(|(name, count)| *name != "null" || *count > 0)
        .map(|(name, count)| Row {
            label: if name == "null" {
                "（无阶段 · no stage）".to_string()
            } else {
                labelled(labels, name)
            },
            segments: vec![(count, "#8c959f")],
            value: count.to_string(),
        })
        .collect();
    bar_chart(page, &rows, "held-out members per stage");
    page.push_str("</section>\n");
}

fn checks(page: &mut String, report: &Report<'_>) {
    section_start(page, "检查", "Checks", "checks");
    // `check`'s warnings and `check --deep`'s, then the notes (overlapping stages, which
    // are often intended), folded away.
    let (notes, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) = report
        .playbook
        .warnings()
        .iter()
        .chain(report.deep)
        .partition(|d| d.severity == Severity::Note);
    if warnings.is_empty() {
        page.push_str("<p class=\"none\">无警告 · no warnings</p>\n");
    } else {
        check_table(page, report, &warnings);
    }
    if !notes.is_empty() {
        let _ = writeln!(
            page,
            "<details><summary>{} 条提示 · {} notes</summary>",
            notes.len(),
            notes.len()
        );
        check_table(page, report, &notes);
        page.push_str("</details>\n");
    }
    page.push_str("</section>\n");
}

/// Diagnostics as a table: place, code, message and help.
fn check_table(page: &mut String, report: &Report<'_>, diagnostics: &[&Diagnostic]) {
    page.push_str("<table>\n<tr><th>位置 place</th><th>代码 code</th><th>说明 message</th></tr>\n");
    for diagnostic in diagnostics {
        let json = diagnostic.to_json(report.playbook.sources());
        let help = json
            .help
            .as_deref()
            .map(|help| format!("<br><span class=\"none\">{}</span>", with_code(help)))
            .unwrap_or_default();
        let _ = writeln!(
            page,
            "<tr><td>{}:{}:{}</td><td><code>{}</code></td><td>{}{help}</td></tr>",
            escape(&json.file),
            json.line,
            json.column,
            escape(json.code),
            with_code(&json.message)
        );
    }
    page.push_str("</table>\n");
}

/// A diagnostic's words made safe for HTML, each `name` between backticks set as code.
fn with_code(text: &str) -> String {
    let parts: Vec<String> = text.split('`').map(escape).collect();
    if parts.len().is_multiple_of(2) {
        // An odd number of backticks: shown as written.
        return escape(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn invalid(page: &mut String, report: &Report<'_>) {
    section_start(page, "无效数据", "Invalid snapshots", "invalid");
    let count = report.summary.invalid();
    if count == 0 {
        page.push_str("<p class=\"none\">没有无效数据 · every snapshot was planned</p>\n");
    } else {
        let _ = writeln!(
            page,
            "<p>{count} 条会员数据无效，未计划 · {count} snapshots were invalid and got no plan; \
             the first {}:</p>",
            report.invalid.len()
        );
        page.push_str("<table>\n<tr><th class=\"n\">行 line</th><th>会员 member</th><th>原因 reason</th></tr>\n");
        for record in report.invalid {
            let _ = writeln!(
                page,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                record.line,
                record.member.as_deref().map(escape).unwrap_or_default(),
                escape(&record.error)
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("</section>\n");
}

pub(in crate::cli) fn section_start(page: &mut String, chinese: &str, english: &str, id: &str) {
    let _ = writeln!(
        page,
        "<section id=\"{id}\"><h2>{chinese} <small>· {english}</small></h2>"
    );
}

/// One row of a horizontal bar chart: its label, its stacked parts (value, colour) and
/// the text after the bar.
pub(in crate::cli) struct Row {
    pub label: String,
    pub segments: Vec<(u64, &'static str)>,
    pub value: String,
}

/// A horizontal bar chart as inline SVG, every bar scaled to the longest.
pub(in crate::cli) fn bar_chart(page: &mut String, rows: &[Row], title: &str) {
    let longest = rows
        .iter()
        .map(|row| row.segments.iter().map(|(v, _)| v).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let label_width = label_width(rows);
    let width = label_width + BAR_WIDTH + VALUE_WIDTH;
    let height = ROW_HEIGHT * rows.len() as u32 + 4;
    let _ = writeln!(
        page,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"100%\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        escape(title)
    );
    for (i, row) in rows.iter().enumerate() {
        let y = ROW_HEIGHT * i as u32 + 2;
        let middle = y + ROW_HEIGHT / 2 + 4;
        let _ = writeln!(
            page,
            "<text x=\"{}\" y=\"{middle}\" text-anchor=\"end\">{}</text>",
            label_width - 8,
            escape(&row.label)
        );
        let mut x = label_width as f64;
        for (value, colour) in &row.segments {
            if *value == 0 {
                continue;
            }
            let length = *value as f64 / longest as f64 * BAR_WIDTH as f64;
            let _ = writeln!(
                page,
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{colour}\" rx=\"2\">\
                 <title>{}: {value}</title></rect>",
                y + 4,
                length.max(1.0),
                ROW_HEIGHT - 8,
                escape(&row.label)
            );
            x += length;
        }
        let _ = writeln!(
            page,
            "<text class=\"value\" x=\"{:.1}\" y=\"{middle}\">{}</text>",
            x + 6.0,
            escape(&row.value)
        );
    }
    page.push_str("</svg>\n");
}

/// The width of the labels' column: enough for the longest label at 13px (a Chinese
/// character about 13 units wide, a Latin letter about 7.5), so that none is cut at the
/// chart's left edge; at least [`LABEL_WIDTH`].
fn label_width(rows: &[Row]) -> u32 {
    let longest = rows
        .iter()
        .map(|row| unicode_width::UnicodeWidthStr::width(row.label.as_str()))
        .max()
        .unwrap_or(0) as f64;
    ((longest * 6.8).ceil() as u32 + 16).max(LABEL_WIDTH)
}

pub(super) fn percent(part: u64, whole: u64) -> String {
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// Text made safe inside HTML and SVG.
pub(in crate::cli) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str) -> Row {
        Row {
            label: label.to_string(),
            segments: vec![(1, "#000")],
            value: String::new(),
        }
    }

    #[test]
    fn names_between_backticks_are_set_as_code() {
        assert_eq!(
            with_code("on `douyin_dm` <b>"),
            "on <code>douyin_dm</code> &lt;b&gt;"
        );
        assert_eq!(with_code("a ` alone"), "a ` alone");
    }

    #[test]
    fn the_label_column_fits_the_longest_label() {
        assert_eq!(label_width(&[row("新粉 new_fan")]), LABEL_WIDTH);
        // At 13px a Chinese character is about 13 units wide, a Latin letter about 7.
        let long = "短视频来源·同款推荐 free_video_source";
        let needed = 10 * 13 + 18 * 7;
        assert!(label_width(&[row("a"), row(long)]) >= needed);
        let mut page = String::new();
        bar_chart(&mut page, &[row(long)], "chart");
        let x = label_width(&[row(long)]) - 8;
        assert!(page.contains(&format!("<text x=\"{x}\"")), "{page}");
        assert!(
            x >= needed,
            "a label ending at {x} would start left of the chart"
        );
    }
}
