//! "Did you mean" suggestions: a bounded edit distance between names.

/// Names longer than this (in characters) get no suggestion: comparing two long names
/// costs the product of their lengths.
const MAX_SUGGESTION_LENGTH: usize = 100;

/// Names looked at for one suggestion; a playbook with more names in scope gets its
/// suggestions from the first ones, so that thousands of unknown names among thousands
/// of declared ones cannot take quadratic time.
const MAX_SUGGESTION_CANDIDATES: usize = 2_000;

/// A name within `max(1, len / 3)` edits of `name` (transpositions count as one), the
/// closest first; used for "did you mean" help.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let name_chars: Vec<char> = name.chars().collect();
    let length = name_chars.len();
    if length > MAX_SUGGESTION_LENGTH {
        return None;
    }
    let limit = (length / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates.into_iter().take(MAX_SUGGESTION_CANDIDATES) {
        // The distance is at least the difference in length (a char is at most 4 bytes).
        if candidate == name || candidate.len() > 4 * (length + limit) {
            continue;
        }
        let chars: Vec<char> = candidate.chars().collect();
        if chars.len().abs_diff(length) > limit {
            continue;
        }
        let within = best.map_or(limit, |(distance, _)| distance.saturating_sub(1));
        if let Some(distance) = bounded_distance(&name_chars, &chars, within) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The optimal string alignment distance of `a` and `b` when it is at most `limit`;
/// gives up as soon as every way through is longer.
fn bounded_distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    let width = b.len() + 1;
    // Rows i - 2, i - 1 and i of the table, in one buffer.
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows.iter_mut().skip(width).take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (older, rest) = rows.split_at_mut(width);
        let (previous, current) = rest.split_at_mut(width);
        current[0] = i;
        let mut row_best = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(older[j - 2] + 1);
            }
            current[j] = value;
            row_best = row_best.min(value);
        }
        if row_best > limit {
            return None;
        }
        // Row i becomes row i - 1, row i - 1 becomes row i - 2.
        rows.rotate_left(width);
    }
    let distance = rows[2 * width - 1];
    (distance <= limit).then_some(distance)
}

/// Optimal string alignment distance over characters: insertions, deletions,
/// substitutions and adjacent transpositions each cost one.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounded_distance_agrees_with_the_full_one() {
        let words = [
            "orders",
            "oders",
            "ordres",
            "spend",
            "spent",
            "tier",
            "tiers",
            "新粉",
            "新客",
            "",
            "a",
            "ab",
            "ba",
            "consent",
            "cosnent",
            "last_order_days",
        ];
        for a in words {
            for b in words {
                let full = edit_distance(a, b);
                let a_chars: Vec<char> = a.chars().collect();
                let b_chars: Vec<char> = b.chars().collect();
                for limit in 0..6 {
                    let bounded = bounded_distance(&a_chars, &b_chars, limit);
                    assert_eq!(bounded, (full <= limit).then_some(full), "{a} {b} {limit}");
                }
            }
        }
    }

    #[test]
    fn suggestions_take_the_first_closest_name_and_skip_long_ones() {
        assert_eq!(
            did_you_mean("oders", ["spend", "orders", "odors"]),
            Some("orders")
        );
        assert_eq!(did_you_mean("oders", ["odors", "orders"]), Some("odors"));
        assert_eq!(did_you_mean("tier", ["tier"]), None);
        let long = "a".repeat(MAX_SUGGESTION_LENGTH + 1);
        let near = format!("{long}b");
        assert_eq!(did_you_mean(&long, [near.as_str()]), None);
    }
}
