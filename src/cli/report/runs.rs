//! The report's time series, when a ledger is given: the playbook's last runs, with
//! planned touches per channel and members per stage drawn as lines over the runs'
//! as-of dates (inline SVG, like the rest of the page).

use std::fmt::Write as _;

use indexmap::IndexMap;
use siyu::RunInfo;

use super::page::{escape, section_start};

/// The most runs drawn.
pub(super) const LAST_RUNS: usize = 30;

/// Line colours, one per series, in order.
const COLOURS: [&str; 8] = [
    "#fe2c55", "#0969da", "#1a7f37", "#8250df", "#bf8700", "#cf222e", "#57606a", "#0a7ea4",
];

const WIDTH: u32 = 820;
const HEIGHT: u32 = 220;
const LEFT: u32 = 60;
const BOTTOM: u32 = 30;

/// The section: what each run planned, oldest first.
pub(super) fn section(page: &mut String, runs: &[RunInfo]) {
    section_start(page, "历次运行", "The last runs (ledger)", "runs");
    if runs.is_empty() {
        page.push_str("<p class=\"none\">账本中还没有这个剧本的运行 · The ledger holds no run of this playbook yet.</p>\n</section>\n");
        return;
    }
    let dates: Vec<String> = runs
        .iter()
        .map(|run| run.as_of.chars().take(10).collect())
        .collect();
    let summaries: Vec<serde_json::Value> = runs
        .iter()
        .map(|run| serde_json::from_str(&run.summary).unwrap_or_default())
        .collect();
    let channels = series(&summaries, "channels", |v| {
        v.get("planned").and_then(|p| p.as_u64())
    });
    let stages = series(&summaries, "stages", serde_json::Value::as_u64);
    page.push_str("<h3>渠道计划触达 · Planned touches per channel</h3>\n");
    lines(
        page,
        &dates,
        &channels,
        "planned touches per channel over the runs",
    );
    page.push_str("<h3>各阶段会员 · Members per stage</h3>\n");
    lines(page, &dates, &stages, "members per stage over the runs");
    page.push_str("<table><tr><th>run</th><th>as of</th><th class=\"n\">members</th><th class=\"n\">planned</th><th class=\"n\">invalid</th><th>source</th></tr>\n");
    for run in runs {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            run.run,
            escape(&run.as_of),
            run.members,
            run.planned,
            run.invalid,
            escape(&run.source_hash)
        );
    }
    page.push_str("</table>\n</section>\n");
}

/// The values of each name of a summary's map, run by run (0 where a run lacks it).
fn series(
    summaries: &[serde_json::Value],
    field: &str,
    value: impl Fn(&serde_json::Value) -> Option<u64>,
) -> IndexMap<String, Vec<u64>> {
    let mut out: IndexMap<String, Vec<u64>> = IndexMap::new();
    for (index, summary) in summaries.iter().enumerate() {
        let Some(map) = summary.get(field).and_then(|m| m.as_object()) else {
            continue;
        };
        for (name, entry) in map {
            let values = out
                .entry(name.clone())
                .or_insert_with(|| vec![0; summaries.len()]);
            values[index] = value(entry).unwrap_or(0);
        }
    }
    out
}

/// A line chart: one line per series over the runs, a legend under it.
fn lines(page: &mut String, dates: &[String], series: &IndexMap<String, Vec<u64>>, title: &str) {
    let highest = series.values().flatten().copied().max().unwrap_or(0).max(1);
    let plot_width = (WIDTH - LEFT - 20) as f64;
    let plot_height = (HEIGHT - BOTTOM - 10) as f64;
    let step = if dates.len() > 1 {
        plot_width / (dates.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| LEFT as f64 + step * i as f64;
    let y = |v: u64| 10.0 + plot_height * (1.0 - v as f64 / highest as f64);
    let _ = writeln!(
        page,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        escape(title)
    );
    let _ = writeln!(
        page,
        "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#d0d7de\"/>\
         <text class=\"value\" x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{highest}</text>\
         <text class=\"value\" x=\"{2}\" y=\"{0:.1}\" text-anchor=\"end\">0</text>",
        y(0),
        WIDTH - 20,
        LEFT - 6,
        y(highest) + 4.0
    );
    let label_every = dates.len().div_ceil(8).max(1);
    for (i, date) in dates.iter().enumerate() {
        if i % label_every == 0 || i + 1 == dates.len() {
            let _ = writeln!(
                page,
                "<text class=\"value\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(i),
                HEIGHT - 8,
                escape(date)
            );
        }
    }
    for (index, (name, values)) in series.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = writeln!(
            page,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            points.join(" "),
            escape(name)
        );
        for (i, v) in values.iter().enumerate() {
            let _ = writeln!(
                page,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{} {}: {v}</title></circle>",
                x(i),
                y(*v),
                escape(name),
                escape(&dates[i])
            );
        }
    }
    page.push_str("</svg>\n<p class=\"legend\">");
    for (index, name) in series.keys().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let _ = write!(
            page,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            escape(name)
        );
    }
    page.push_str("</p>\n");
}
