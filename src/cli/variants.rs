//! The summary table's part for experiments: per experiment, one row per variant (then
//! `none`) with its members, held-out members, members with an action, actions and
//! touches per channel, then its members per stage, one column per variant. A playbook
//! without experiments prints nothing here.

use std::fmt::Write as _;

use siyu::{Summary, VariantCounts};

/// Appends the experiments' rows to `out`; `width` is the name column's width of the
/// rest of the table.
pub(super) fn table(out: &mut String, summary: &Summary, width: usize) {
    for (experiment, variants) in summary.experiments() {
        let label = label_width(summary, experiment, &variants, width);
        counts(out, summary, experiment, &variants, label);
        stages(out, summary, experiment, &variants, label);
    }
}

/// The width of the label column: room for every row's label, and never narrower than
/// the rest of the table's `experiment ` plus its name column.
fn label_width(
    summary: &Summary,
    experiment: &str,
    variants: &[(&str, &VariantCounts)],
    width: usize,
) -> usize {
    let indented = variants
        .iter()
        .map(|(name, _)| *name)
        .chain(summary.stages().map(|(name, _)| name))
        .map(|name| 2 + name.chars().count());
    indented
        .chain([
            "experiment ".len() + experiment.chars().count(),
            "stage by ".len() + experiment.chars().count(),
            "experiment ".len() + width,
        ])
        .max()
        .unwrap_or(0)
}

fn counts(
    out: &mut String,
    summary: &Summary,
    experiment: &str,
    variants: &[(&str, &VariantCounts)],
    label: usize,
) {
    let _ = writeln!(
        out,
        "{:label$}  {:>8}  {:>8}  {:>11}  {:>8}  touches per channel",
        format!("experiment {experiment}"),
        "members",
        "held out",
        "with action",
        "actions"
    );
    for (variant, counts) in variants {
        let channels: Vec<String> = summary
            .channel_names()
            .zip(&counts.channels)
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let row = format!(
            "{:label$}  {:>8}  {:>8}  {:>11}  {:>8}  {}",
            format!("  {variant}"),
            counts.members,
            counts.holdout,
            counts.members_with_action,
            counts.actions,
            channels.join(", ")
        );
        let _ = writeln!(out, "{}", row.trim_end());
    }
}

fn stages(
    out: &mut String,
    summary: &Summary,
    experiment: &str,
    variants: &[(&str, &VariantCounts)],
    label: usize,
) {
    let columns: Vec<usize> = variants
        .iter()
        .map(|(name, _)| name.chars().count().max(8))
        .collect();
    let mut header = format!("{:label$}", format!("stage by {experiment}"));
    for ((name, _), column) in variants.iter().zip(&columns) {
        let _ = write!(header, "  {name:>column$}");
    }
    let _ = writeln!(out, "{header}");
    for (index, (stage, _)) in summary.stages().enumerate() {
        let mut row = format!("{:label$}", format!("  {stage}"));
        for ((_, counts), column) in variants.iter().zip(&columns) {
            let count = counts.stages.get(index).copied().unwrap_or(0);
            let _ = write!(row, "  {count:>column$}");
        }
        let _ = writeln!(out, "{row}");
    }
}
