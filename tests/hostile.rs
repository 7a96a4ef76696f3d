//! Hostile input: thousands of damaged playbooks through check and format, thousands of
//! damaged snapshot lines through `plan_lines`. Nothing panics, nothing hangs, and
//! every non-blank line read is accounted for: planned + invalid = lines read.
//!
//! The damage is drawn from a small fixed-seed generator, so every run sees the same
//! inputs and a failure can be replayed.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use siyu::check::check_source;
use siyu::format::format_source;
use siyu::{AsOf, InputFormat, PlanOptions, Playbook, StreamItem};

/// How long a batch may take before it counts as hung: far beyond what any batch
/// needs, so it only ever fires on a real hang.
const HANG_GUARD: Duration = Duration::from_secs(300);

const PLAYBOOKS: &[&str] = &[
    include_str!("playbooks/complete_example.rules"),
    include_str!("hostile/typed.rules"),
    include_str!("hostile/loose.rules"),
    include_str!("golden/worked/playbook.rules"),
    include_str!("golden/templates/playbook.rules"),
    include_str!("golden/lambdas_segments/playbook.rules"),
    include_str!("golden/dates/playbook.rules"),
    include_str!("../rules/beauty_fmcg.rules"),
    include_str!("../rules/auto_dealer.rules"),
    include_str!("../rules/electronics.rules"),
    include_str!("../rules/restaurant_local.rules"),
    include_str!("../rules/common.rules"),
];

const TYPED_LINES: &str = include_str!("hostile/typed.jsonl");
const LOOSE_LINES: &str = include_str!("hostile/loose.jsonl");

/// SplitMix64: small, fast, and the same on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Runs `work` on its own thread (with an ordinary 2 MiB stack, like a host's) and
/// fails the test if it panics or does not finish.
fn guarded<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let _ = sender.send(work());
        })
        .expect("thread starts");
    match receiver.recv_timeout(HANG_GUARD) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: did not finish (hang)"),
    }
}

// ---------------------------------------------------------------------------------
// Playbooks

/// Pieces of the language to drop into a playbook.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "'",
    "{{",
    "}}",
    "=>",
    "??",
    "not ",
    " in ",
    "//",
    "/*",
    "*/",
    "\n",
    ",",
    ":",
    "member.",
    "now",
    "today",
    "99999999999999999999",
    "1e400",
    "24:60",
    "0d",
    "5%",
    "-",
    "stage x otherwise\n",
    "segment s = s\n",
    "rule r { then send \"{",
    "include \"missing.rules\"\n",
    "include \"/dev/zero\"\n",
    "matches(city, \"(\")",
    "matches(city, \"\\\\w{1000}{1000}\")",
    "any(tags, t => t.x[0])",
    "当",
    "\u{feff}",
    "window 22:00-02:00",
    "cap 0 per 0d",
    "holdout 150%",
    "at 25:00",
    "\\u{110000}",
];

fn char_floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One damaged version of a playbook.
fn damage_playbook(random: &mut Random, base: &str) -> String {
    let mut text = base.to_string();
    for _ in 0..=random.below(4) {
        let at = char_floor(&text, random.below(text.len() + 1));
        match random.below(8) {
            0 => text.truncate(at),
            1 => {
                // A byte flipped: often not UTF-8 any more, read as a lossy file would be.
                let mut bytes = text.into_bytes();
                if let Some(byte) = bytes.get_mut(at) {
                    *byte ^= 1 << random.below(8);
                }
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            2 => {
                let bracket = *random.pick(&["(", "[", "{", "not ", "-", "any(x, y => "]);
                text.insert_str(at, &bracket.repeat(1 + random.below(200)));
            }
            3 => {
                let end = char_floor(&text, at + random.below(60));
                text.replace_range(at..end, "");
            }
            4 => {
                let end = char_floor(&text, at + random.below(80));
                let copy = text[at..end].to_string();
                text.insert_str(at, &copy);
            }
            _ => {
                let piece = *random.pick(PIECES);
                text.insert_str(at, piece);
            }
        }
    }
    text
}

/// Checks, renders and formats one text; what the formatter prints must format to
/// itself.
fn check_and_format(text: &str) {
    let folder = Path::new("/nonexistent-siyu-hostile/playbook.rules");
    let checked = check_source("hostile.rules", Some(folder), text);
    for diagnostic in &checked.diagnostics {
        let file = checked.sources.get(diagnostic.span.file);
        assert!(
            diagnostic.span.end as usize <= file.text.len(),
            "{diagnostic:?}"
        );
        assert!(!diagnostic.message.is_empty());
        let json = diagnostic.to_json(&checked.sources);
        serde_json::to_string(&json).expect("a diagnostic serialises");
    }
    if !checked.has_errors() {
        if let Ok(playbook) = Playbook::from_checked(&checked) {
            let as_of = as_of();
            let _ = playbook.plan(&serde_json::json!({"id": "h"}), as_of);
        }
    }
    if let Ok(formatted) = format_source(text) {
        let again = format_source(&formatted).expect("formatted text parses");
        assert_eq!(formatted, again, "formatting is idempotent");
    }
}

/// The declarations of the playbooks above, each with its comments: short texts that
/// are quick to check, so that many can be damaged.
fn declarations() -> Vec<String> {
    let mut declarations = Vec::new();
    for playbook in PLAYBOOKS {
        let mut current = String::new();
        for line in playbook.lines() {
            let starts = line.starts_with(|c: char| c.is_alphabetic());
            if starts && !current.trim().is_empty() {
                declarations.push(std::mem::take(&mut current));
            }
            current.push_str(line);
            current.push('\n');
        }
        declarations.push(current);
    }
    declarations
}

/// Damages `count` texts: mostly runs of one to three declarations, sometimes a whole
/// playbook.
fn damaged_playbooks(seed: u64, count: usize) {
    guarded("damaged playbooks", move || {
        let declarations = declarations();
        let mut random = Random(seed);
        for _ in 0..count {
            let base = if random.below(40) == 0 {
                random.pick(PLAYBOOKS).to_string()
            } else {
                let first = random.below(declarations.len());
                let last = (first + 1 + random.below(3)).min(declarations.len());
                declarations[first..last].concat()
            };
            let text = damage_playbook(&mut random, &base);
            check_and_format(&text);
        }
    });
}

#[test]
fn thousands_of_damaged_playbooks_are_checked_and_formatted_without_panicking() {
    damaged_playbooks(1, 1_000);
}

#[test]
fn thousands_more_damaged_playbooks_are_checked_and_formatted_without_panicking() {
    damaged_playbooks(2, 1_000);
}

#[test]
fn extreme_playbooks_are_refused_in_plain_words() {
    let deep = |open: &str, close: &str| {
        format!(
            "playbook \"p\" {{}}\nsegment s = {}x{}\n",
            open.repeat(100_000),
            close.repeat(100_000)
        )
    };
    let cases = [
        deep("(", ")"),
        deep("[", "]"),
        deep("not ", ""),
        deep("-", ""),
        deep("any(l, v => ", ")"),
        format!("segment s = {}", vec!["x > 1"; 2_000].join(" or ")),
        format!("rule r {{ then send \"{}\" }}", "{".repeat(100_000)),
        format!("/*{}", "/*".repeat(100_000)),
        "{".repeat(200_000),
    ];
    for text in cases {
        let checked = guarded("an extreme playbook", move || {
            check_and_format(&text);
            check_source("extreme.rules", None, &text)
        });
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(!errors.is_empty());
        assert!(
            errors.iter().all(|d| !d.message.contains('\n')),
            "{errors:?}"
        );
    }
}

// ---------------------------------------------------------------------------------
// Snapshot lines

fn as_of() -> AsOf {
    AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of")
}

fn playbook(name: &str, text: &str) -> Playbook {
    Playbook::from_source(name, text).expect("the playbook compiles")
}

/// Values of every kind and size to put where a field's value was.
fn hostile_value(random: &mut Random) -> String {
    match random.below(16) {
        0 => "null".into(),
        1 => "true".into(),
        2 => "1e400".into(),
        3 => "-1e400".into(),
        4 => "99999999999999999999".into(),
        5 => "-9223372036854775809".into(),
        6 => "18446744073709551616".into(),
        7 => "0.1e-400".into(),
        8 => format!("{}1{}", "[".repeat(200), "]".repeat(200)),
        9 => format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        10 => format!("{}1{}", "{\"a\":".repeat(500), "}".repeat(500)),
        11 => "\"\\ud800\"".into(),
        12 => "\"2026-02-30\"".into(),
        13 => format!("\"{}\"", "长".repeat(random.below(5_000))),
        14 => "{\"rule\": 5, \"channel\": [], \"at\": \"yesterday\"}".into(),
        _ => format!("[{}]", vec!["{}"; random.below(50)].join(",")),
    }
}

/// One damaged snapshot line (without its line break).
fn damage_line(random: &mut Random, base: &[u8]) -> Vec<u8> {
    let mut line = base.to_vec();
    match random.below(9) {
        0 => line.truncate(random.below(line.len() + 1)),
        1 => {
            for _ in 0..=random.below(3) {
                let at = random.below(line.len());
                if let Some(byte) = line.get_mut(at) {
                    *byte = random.next() as u8;
                }
            }
        }
        2 => {
            // A value replaced: after some `:`, up to the next `,` or `}`.
            let colons: Vec<usize> = (0..line.len()).filter(|&i| line[i] == b':').collect();
            if !colons.is_empty() {
                let start = *random.pick(&colons) + 1;
                let end = (start..line.len())
                    .find(|&i| line[i] == b',' || line[i] == b'}')
                    .unwrap_or(line.len());
                let value = hostile_value(random);
                line.splice(start..end, value.into_bytes());
            }
        }
        3 => {
            let at = random.below(line.len() + 1);
            let junk: Vec<u8> = (0..random.below(40)).map(|_| random.next() as u8).collect();
            line.splice(at..at, junk);
        }
        4 => {
            let at = random.below(line.len() + 1);
            const BAD: [&[u8]; 3] = [b"\xff\xfe", b"\xc3", b"\xed\xa0\x80"];
            let bad = *random.pick(&BAD);
            line.splice(at..at, bad.iter().copied());
        }
        5 => {
            let value = hostile_value(random);
            let key = random.pick(&["tags", "touches", "profile", "a", "x", "orders", "id"]);
            let extra = format!("{{\"{key}\":{value},");
            line.splice(0..1.min(line.len()), extra.into_bytes());
        }
        6 => {
            line = (0..random.below(200))
                .map(|_| random.next() as u8)
                .collect()
        }
        7 => {
            let at = random.below(line.len() + 1);
            line.splice(at..at, b"\r".iter().copied());
        }
        _ => {}
    }
    // A line break inside would make two lines; the reader splits on it too, but the
    // accounting below counts lines the same way, so keep it only sometimes.
    if random.below(4) != 0 {
        line.retain(|&b| b != b'\n');
    }
    line
}

/// The numbers of the non-blank lines of an input, as the reader counts them.
fn non_blank_lines(data: &[u8]) -> Vec<u64> {
    if data.is_empty() {
        return Vec::new();
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let mut numbers = Vec::new();
    for (index, line) in body.split(|b| *b == b'\n').enumerate() {
        let line = if index == 0 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        if !line.iter().all(u8::is_ascii_whitespace) {
            numbers.push(index as u64 + 1);
        }
    }
    numbers
}

/// Plans an input and checks the accounting: one item per non-blank line, error
/// records on the lines they name, planned + invalid = lines read.
fn plan_and_account(
    playbook: &Playbook,
    data: &[u8],
    threads: usize,
    as_of: AsOf,
) -> Vec<StreamItem> {
    let expected = non_blank_lines(data);
    let options = PlanOptions::default().threads(threads);
    let items: Vec<StreamItem> = playbook.plan_lines(data, as_of, options).collect();
    assert_eq!(items.len(), expected.len(), "one item per non-blank line");
    let mut summary = playbook.summary();
    for (item, line) in items.iter().zip(&expected) {
        match item {
            Ok(plan) => summary.add_plan(plan),
            Err(record) => {
                assert_eq!(record.line, *line, "{record:?}");
                assert!(!record.error.is_empty());
                assert!(!record.error.contains('\n'), "{}", record.error);
                summary.add_invalid();
            }
        }
    }
    assert_eq!(summary.members(), expected.len() as u64);
    assert_eq!(summary.planned() + summary.invalid(), summary.members());
    items
}

fn damaged_snapshots(seed: u64, playbook: Playbook, base: String, count: usize) {
    guarded("damaged snapshots", move || {
        let bases: Vec<&[u8]> = base.lines().map(str::as_bytes).collect();
        let mut random = Random(seed);
        let mut data = Vec::new();
        let mut lines = 0;
        while lines < count {
            let base = *random.pick(&bases);
            data.extend(damage_line(&mut random, base));
            data.extend_from_slice(if random.below(5) == 0 { b"\r\n" } else { b"\n" });
            if random.below(10) == 0 {
                data.extend_from_slice(b"  \n");
            }
            lines += 1;
            if data.len() > 2 << 20 || lines % 250 == 0 || lines == count {
                // Sometimes at the edges of time, where send times run out of dates.
                let as_of = match random.below(4) {
                    0 => AsOf::parse("0000-01-01T00:00:00Z").expect("as-of"),
                    1 => AsOf::parse("9999-12-30T21:59:59Z").expect("as-of"),
                    _ => as_of(),
                };
                let inline = plan_and_account(&playbook, &data, 1, as_of);
                let parallel = plan_and_account(&playbook, &data, 3, as_of);
                assert_eq!(inline, parallel, "plans do not depend on the thread count");
                data.clear();
            }
        }
    });
}

#[test]
fn thousands_of_damaged_snapshots_with_a_schema_are_all_accounted_for() {
    let playbook = playbook("typed.rules", include_str!("hostile/typed.rules"));
    damaged_snapshots(11, playbook, TYPED_LINES.into(), 3_000);
}

#[test]
fn thousands_of_damaged_snapshots_without_a_schema_are_all_accounted_for() {
    let playbook = playbook("loose.rules", include_str!("hostile/loose.rules"));
    damaged_snapshots(12, playbook, LOOSE_LINES.into(), 3_000);
}

#[test]
fn thousands_of_damaged_snapshots_through_a_shipped_playbook_are_all_accounted_for() {
    let playbook = Playbook::from_file("rules/beauty_fmcg.rules").expect("compiles");
    let members = std::fs::read_to_string("examples/members.jsonl").expect("members");
    let base: Vec<&str> = members.lines().take(200).collect();
    damaged_snapshots(14, playbook, base.join("\n"), 3_000);
}

#[test]
fn random_bytes_are_all_accounted_for() {
    guarded("random bytes", || {
        let playbook = playbook("typed.rules", include_str!("hostile/typed.rules"));
        let mut random = Random(13);
        for _ in 0..200 {
            let data: Vec<u8> = (0..random.below(4_000))
                .map(|_| match random.below(8) {
                    0 => b'\n',
                    1 => b'{',
                    2 => b'"',
                    _ => random.next() as u8,
                })
                .collect();
            plan_and_account(&playbook, &data, 1, as_of());
            let csv = PlanOptions::default().threads(1).format(InputFormat::Csv);
            let _ = playbook.plan_lines(&data[..], as_of(), csv).count();
        }
    });
}
