//! The names a playbook declares, by kind, and the duplicates among them.
//!
//! Names are unique within their kind (channels, segments, stages, rules, tests) across
//! every included file; a second declaration is one `DUPLICATE` diagnostic at the second
//! place, with a label on the first. The first declaration is the one the rest of the
//! checker resolves against. The `member` schema and the `policy` may each appear once;
//! the `playbook` once, in the file that is run.

use std::collections::HashSet;
use std::rc::Rc;

use indexmap::IndexMap;

use super::types::{schema_of, ObjectType};
use super::Context;
use crate::ast::{
    ChannelDecl, ExperimentDecl, GroupDecl, Item, MemberDecl, PlaybookDecl, PolicyDecl, RuleDecl,
    SegmentDecl, StageDecl, TestDecl,
};
use crate::diagnostics::{codes, Diagnostic, FileId, Span};

/// Every declaration, by kind and name.
pub(super) struct Names<'a> {
    /// The file that is run.
    pub root: FileId,
    /// The root file's `playbook`, if it has one.
    pub playbook: Option<&'a PlaybookDecl>,
    /// The `member` block, if any.
    pub member: Option<&'a MemberDecl>,
    /// The schema it declares.
    pub schema: Option<Rc<ObjectType>>,
    /// Channels by name (the first of each name).
    pub channels: IndexMap<&'a str, &'a ChannelDecl>,
    /// Segments by name.
    pub segments: IndexMap<&'a str, &'a SegmentDecl>,
    /// Stages by name.
    pub stages: IndexMap<&'a str, &'a StageDecl>,
    /// Every stage in order, duplicates included (order decides which is chosen).
    pub stage_order: Vec<&'a StageDecl>,
    /// Rules by name.
    pub rules: IndexMap<&'a str, &'a RuleDecl>,
    /// The `policy` block, if any.
    pub policy: Option<&'a PolicyDecl>,
    /// Experiments by name.
    pub experiments: IndexMap<&'a str, &'a ExperimentDecl>,
    /// Declared groups (`group name { cap … }`) by name.
    pub groups: IndexMap<&'a str, &'a GroupDecl>,
    /// Declarations lost to syntax errors, as far as their first line shows.
    pub lost: Lost,
}

/// What a syntax error may have cost: the parser drops a declaration it cannot read,
/// so a name declared there would be reported as unknown, and a channel it used as
/// unused. The first line of each declaration in a file with syntax errors tells which
/// names those were; they are treated as declared, and the warnings that depend on
/// seeing every declaration are not given.
#[derive(Default)]
pub(super) struct Lost {
    /// Whether any file had a syntax error.
    pub any: bool,
    /// `(keyword, name)` of declarations that did not parse.
    pub names: HashSet<(String, String)>,
    /// A `member` block did not parse.
    pub member: bool,
    /// A `playbook` declaration did not parse.
    pub playbook: bool,
}

impl Lost {
    /// Whether a declaration `keyword name` may have been lost.
    pub fn has(&self, keyword: &str, name: &str) -> bool {
        self.names
            .contains(&(keyword.to_string(), name.to_string()))
    }
}

impl<'a> Names<'a> {
    /// Collects the declarations of `items`, reporting duplicates and misplaced
    /// `playbook` declarations, and builds the schema.
    pub fn collect(items: &'a [Item], root: FileId, cx: &mut Context) -> Names<'a> {
        let mut names = Names {
            root,
            playbook: None,
            member: None,
            schema: None,
            channels: IndexMap::new(),
            segments: IndexMap::new(),
            stages: IndexMap::new(),
            stage_order: Vec::new(),
            rules: IndexMap::new(),
            policy: None,
            experiments: IndexMap::new(),
            groups: IndexMap::new(),
            lost: Lost::default(),
        };
        let mut tests: IndexMap<&'a str, &'a TestDecl> = IndexMap::new();
        for item in items {
            match item {
                Item::Playbook(decl) => names.playbook_decl(decl, cx),
                Item::Include(_) => {}
                Item::Member(decl) => match names.member {
                    Some(first) => cx.push(once_only("the `member` schema", decl.span, first.span)),
                    None => {
                        names.member = Some(decl);
                        names.schema = Some(schema_of(decl, cx));
                    }
                },
                Item::Channel(decl) => declare(
                    &mut names.channels,
                    "channel",
                    &decl.name.name,
                    decl,
                    cx,
                    |d| d.name.span,
                ),
                Item::Segment(decl) => declare(
                    &mut names.segments,
                    "segment",
                    &decl.name.name,
                    decl,
                    cx,
                    |d| d.name.span,
                ),
                Item::Stage(decl) => {
                    names.stage_order.push(decl);
                    declare(&mut names.stages, "stage", &decl.name.name, decl, cx, |d| {
                        d.name.span
                    })
                }
                Item::Rule(decl) => {
                    declare(&mut names.rules, "rule", &decl.name.name, decl, cx, |d| {
                        d.name.span
                    })
                }
                Item::Policy(decl) => match names.policy {
                    Some(first) => cx.push(once_only("the `policy`", decl.span, first.span)),
                    None => names.policy = Some(decl),
                },
                Item::Test(decl) => declare(&mut tests, "test", &decl.name.value, decl, cx, |d| {
                    d.name.span
                }),
                Item::Experiment(decl) => declare(
                    &mut names.experiments,
                    "experiment",
                    &decl.name.name,
                    decl,
                    cx,
                    |d| d.name.span,
                ),
                Item::Group(decl) => declare(
                    &mut names.groups,
                    "group",
                    &decl.name.name,
                    decl,
                    cx,
                    |d| d.name.span,
                ),
            }
        }
        names.lost = lost(&names, cx);
        names
    }

    fn playbook_decl(&mut self, decl: &'a PlaybookDecl, cx: &mut Context) {
        if decl.span.file != self.root {
            cx.push(
                Diagnostic::error(
                    codes::PLAYBOOK_DECL,
                    "an included file cannot declare a `playbook`",
                    decl.name.span,
                )
                .with_label("declared in an included file")
                .with_help(
                    "only the file that is run declares the playbook; remove this declaration",
                ),
            );
            return;
        }
        match self.playbook {
            Some(first) => cx.push(
                Diagnostic::error(
                    codes::PLAYBOOK_DECL,
                    "a playbook declares `playbook` only once",
                    decl.name.span,
                )
                .with_label("second declaration")
                .with_secondary("first declared here", first.name.span)
                .with_help("merge the two `playbook` blocks"),
            ),
            None => self.playbook = Some(decl),
        }
    }

    /// The schema's field names, for "did you mean".
    pub fn field_names(&self) -> Vec<&str> {
        self.schema
            .as_deref()
            .map(|s| s.names().collect())
            .unwrap_or_default()
    }
}

/// Records a declaration by name, or reports it as a duplicate of the first.
fn declare<'a, T>(
    table: &mut IndexMap<&'a str, &'a T>,
    kind: &str,
    name: &'a str,
    decl: &'a T,
    cx: &mut Context,
    name_span: impl Fn(&T) -> Span,
) {
    match table.get(name) {
        Some(first) => cx.push(
            Diagnostic::error(
                codes::DUPLICATE,
                format!("{kind} `{name}` is declared twice"),
                name_span(decl),
            )
            .with_label("declared again here")
            .with_secondary("first declared here", name_span(first))
            .with_help(format!(
                "{kind} names must be unique; rename or remove one of them"
            )),
        ),
        None => {
            table.insert(name, decl);
        }
    }
}

/// A block that may appear once (`member`, `policy`), reported at its keyword.
fn once_only(what: &str, second: Span, first: Span) -> Diagnostic {
    let keyword = |span: Span| Span {
        end: span.end.min(span.start + 6),
        ..span
    };
    Diagnostic::error(
        codes::DUPLICATE,
        format!("{what} is declared twice"),
        keyword(second),
    )
    .with_label("declared again here")
    .with_secondary("first declared here", keyword(first))
    .with_help(format!(
        "a playbook has at most one; merge them into {what}"
    ))
}

/// The declarations written in files with syntax errors that are not among those
/// parsed.
fn lost(names: &Names, cx: &Context) -> Lost {
    let mut lost = Lost {
        any: !cx.broken_files.is_empty() || cx.include_missing,
        ..Lost::default()
    };
    for &file in &cx.broken_files {
        let text = &cx.sources.get(file).text;
        for line in text.lines() {
            let mut words = line.trim_start().splitn(2, char::is_whitespace);
            let keyword = words.next().unwrap_or_default();
            let rest = words.next().unwrap_or_default().trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let known = match keyword {
                "member" => {
                    lost.member |= names.member.is_none();
                    continue;
                }
                "playbook" => {
                    lost.playbook |= names.playbook.is_none();
                    continue;
                }
                "segment" => names.segments.contains_key(name.as_str()),
                "stage" => names.stages.contains_key(name.as_str()),
                "channel" => names.channels.contains_key(name.as_str()),
                "rule" => names.rules.contains_key(name.as_str()),
                "experiment" => names.experiments.contains_key(name.as_str()),
                _ => continue,
            };
            if !known && !name.is_empty() {
                lost.names.insert((keyword.to_string(), name));
            }
        }
    }
    lost
}
