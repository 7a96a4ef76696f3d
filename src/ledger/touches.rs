//! The recent touches a member's ledger row keeps, as one text value: one line per
//! touch, `id<TAB>as_of<TAB>at<TAB>rule<TAB>channel`, the id in hexadecimal, the times
//! in seconds, and a tab, a line break or a backslash in a name written `\t`, `\n`,
//! `\\`. Kept are the touches planned by the runs of the last
//! [`super::HistoryQuery::keep`] seconds whose delivery did not fail: enough for the
//! longest cap of the playbook, and for 30 days at least.

use std::sync::Arc;

use super::history::StoredTouch;
use super::ids::{hex, parse_hex};

/// Writes touches as the row's text.
pub(crate) fn encode<'a>(touches: impl Iterator<Item = &'a StoredTouch>) -> String {
    let mut out = String::new();
    for touch in touches {
        out.push_str(&String::from_utf8_lossy(&hex(touch.id)));
        out.push('\t');
        out.push_str(&touch.as_of.to_string());
        out.push('\t');
        out.push_str(&touch.at.as_second().to_string());
        out.push('\t');
        escape(touch.rule.as_deref().unwrap_or(""), &mut out);
        out.push('\t');
        escape(touch.channel.as_deref().unwrap_or(""), &mut out);
        out.push('\n');
    }
    out
}

/// Reads the row's text back; a line that cannot be read is left out.
pub(crate) fn decode(text: &str, out: &mut Vec<StoredTouch>) {
    for line in text.lines() {
        let mut fields = line.split('\t');
        let parsed = (|| {
            let id = parse_hex(fields.next()?)?;
            let as_of = fields.next()?.parse().ok()?;
            let at = super::timestamp(fields.next()?.parse().ok()?);
            let rule = unescape(fields.next()?);
            let channel = unescape(fields.next()?);
            Some(StoredTouch {
                id,
                as_of,
                rule: (!rule.is_empty()).then(|| Arc::from(rule)),
                channel: (!channel.is_empty()).then(|| Arc::from(channel)),
                at,
            })
        })();
        out.extend(parsed);
    }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touches_read_back_as_written() {
        let touches = vec![
            StoredTouch {
                id: 0xdead_beef,
                as_of: 1_795_568_400,
                rule: Some(Arc::from("a\tb\\c\nd")),
                channel: Some(Arc::from("抖音私信")),
                at: super::super::timestamp(1_795_572_000),
            },
            StoredTouch {
                id: u64::MAX,
                as_of: 5,
                rule: Some(Arc::from("r")),
                channel: None,
                at: super::super::timestamp(7),
            },
        ];
        let text = encode(touches.iter());
        let mut back = Vec::new();
        decode(&text, &mut back);
        assert_eq!(back, touches);
        decode("not\ta touch\n", &mut back);
        assert_eq!(back.len(), 2);
    }
}
