//! The report's experiments section (实验分组): per experiment, each variant's declared
//! share and what was planned for its members (members, held out, with an action,
//! actions), its members by stage as one stacked bar per variant, and a table of
//! members per stage and touches per channel, one column per variant. A playbook without experiments has no such section.

use std::fmt::Write as _;

use siyu::{Playbook, Summary, VariantCounts};

use super::page::{bar_chart, escape, labelled, percent, section_start, Row};

/// Stage colours, in declaration order (repeating after the last).
const STAGE_COLOURS: [&str; 8] = [
    "#fe2c55", "#25b8c8", "#8250df", "#bf8700", "#1a7f37", "#0969da", "#cf222e", "#57606a",
];

/// The colour of the no-stage part of a bar.
const NO_STAGE: &str = "#d0d7de";

/// The section, when the playbook has experiments.
pub(super) fn section(
    page: &mut String,
    playbook: &Playbook,
    summary: &Summary,
    stage_labels: &[(&str, &str)],
) {
    if summary.experiments().next().is_none() {
        return;
    }
    section_start(page, "实验分组", "Experiments by variant", "experiments");
    let experiment_labels: Vec<(&str, &str)> = playbook.experiment_labels().collect();
    for (experiment, variants) in summary.experiments() {
        let _ = writeln!(
            page,
            "<h3>{}</h3>",
            escape(&labelled(&experiment_labels, experiment))
        );
        let shares: Vec<(&str, f64)> = playbook.variants(experiment).collect();
        counts_table(page, summary, &variants, &shares);
        stage_bars(page, summary, experiment, &variants, stage_labels);
        cross_table(page, summary, &variants, stage_labels);
    }
    page.push_str("</section>\n");
}

/// The variants shown: every declared one, and `none` when it has members.
fn shown<'a>(
    variants: &'a [(&'a str, &'a VariantCounts)],
) -> Vec<&'a (&'a str, &'a VariantCounts)> {
    let last = variants.len().saturating_sub(1);
    variants
        .iter()
        .enumerate()
        .filter(|(index, (_, counts))| *index < last || counts.members > 0)
        .map(|(_, variant)| variant)
        .collect()
}

fn counts_table(
    page: &mut String,
    summary: &Summary,
    variants: &[(&str, &VariantCounts)],
    shares: &[(&str, f64)],
) {
    page.push_str(
        "<table>\n<tr><th>分组 variant</th><th class=\"n\">设定占比 declared</th>\
         <th class=\"n\">会员 members</th><th class=\"n\">对照组 held out</th>\
         <th class=\"n\">有动作会员 with action</th><th class=\"n\">计划动作 actions</th></tr>\n",
    );
    let declared: f64 = shares.iter().map(|(_, share)| share).sum();
    let planned = summary.planned().max(1);
    for (variant, counts) in shown(variants) {
        let share = shares
            .iter()
            .find(|(name, _)| name == variant)
            .map_or(100.0 - declared, |(_, share)| *share);
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td class=\"n\">{}%</td><td class=\"n\">{} · {}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(variant),
            round2(share),
            counts.members,
            percent(counts.members, planned),
            counts.holdout,
            counts.members_with_action,
            counts.actions
        );
    }
    page.push_str("</table>\n");
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn stage_bars(
    page: &mut String,
    summary: &Summary,
    experiment: &str,
    variants: &[(&str, &VariantCounts)],
    stage_labels: &[(&str, &str)],
) {
    let stages: Vec<&str> = summary.stages().map(|(name, _)| name).collect();
    let colour = |index: usize| match stages.get(index) {
        Some(&"null") => NO_STAGE,
        _ => STAGE_COLOURS[index % STAGE_COLOURS.len()],
    };
    page.push_str("<p class=\"legend\">");
    for (index, stage) in stages.iter().enumerate() {
        let used = shown(variants)
            .iter()
            .any(|(_, counts)| counts.stages.get(index).is_some_and(|n| *n > 0));
        if *stage == "null" && !used {
            continue;
        }
        let _ = write!(
            page,
            "<span><i style=\"background:{}\"></i>{}</span>",
            colour(index),
            escape(&stage_name(stage_labels, stage))
        );
    }
    page.push_str("</p>\n");
    let rows: Vec<Row> = shown(variants)
        .into_iter()
        .map(|(variant, counts)| Row {
            label: variant.to_string(),
            segments: counts
                .stages
                .iter()
                .enumerate()
                .map(|(index, n)| (*n, colour(index)))
                .collect(),
            value: format!("{} 会员 members", counts.members),
        })
        .collect();
    bar_chart(page, &rows, &format!("members of {experiment} by stage"));
}

/// Members per stage (with the share of the variant's members), then touches per
/// channel, one column per variant.
fn cross_table(
    page: &mut String,
    summary: &Summary,
    variants: &[(&str, &VariantCounts)],
    stage_labels: &[(&str, &str)],
) {
    let shown = shown(variants);
    page.push_str("<table>\n<tr><th>阶段 stage</th>");
    for (variant, _) in &shown {
        let _ = write!(
            page,
            "<th class=\"n\"><code>{}</code></th>",
            escape(variant)
        );
    }
    page.push_str("</tr>\n");
    for (index, (stage, total)) in summary.stages().enumerate() {
        if stage == "null" && total == 0 {
            continue;
        }
        let cells = shown.iter().map(|(_, counts)| {
            let count = counts.stages.get(index).copied().unwrap_or(0);
            format!("{count} · {}", percent(count, counts.members.max(1)))
        });
        table_row(page, &stage_name(stage_labels, stage), cells);
    }
    let _ = writeln!(
        page,
        "<tr><th colspan=\"{}\">渠道触达 touches per channel</th></tr>",
        shown.len() + 1
    );
    for (index, channel) in summary.channel_names().enumerate() {
        let cells = shown
            .iter()
            .map(|(_, counts)| counts.channels.get(index).copied().unwrap_or(0).to_string());
        table_row(page, channel, cells);
    }
    page.push_str("</table>\n");
}

fn table_row(page: &mut String, label: &str, cells: impl Iterator<Item = String>) {
    let _ = write!(page, "<tr><td>{}</td>", escape(label));
    for cell in cells {
        let _ = write!(page, "<td class=\"n\">{cell}</td>");
    }
    page.push_str("</tr>\n");
}

fn stage_name(stage_labels: &[(&str, &str)], stage: &str) -> String {
    if stage == "null" {
        "（无阶段 · no stage）".to_string()
    } else {
        labelled(stage_labels, stage)
    }
}
