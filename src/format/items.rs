//! Declarations: one blank line between them, except that consecutive `stage`,
//! `segment` and `include` lines written without a blank line stay grouped; a group of
//! stages is aligned as a table (names, then labels, then conditions).

use crate::ast::{
    ChannelDecl, ExperimentDecl, GroupDecl, Ident, Include, Item, MemberDecl, Module, PlaybookDecl, PolicyDecl, RuleDecl,
    SegmentDecl, StageCondition, StageDecl, StrLit, TestDecl,
};

use super::block::Block;
use super::literal::{author_quote, choose_quote, quoted};
use super::printer::{width, Printer, Sequence};

/// The column widths of an aligned group of stages.
#[derive(Debug, Clone, Copy, Default)]
struct StageColumns {
    name: usize,
    label: usize,
}

impl Printer<'_> {
    /// The whole file: every declaration and every comment.
    pub fn module(&mut self, module: &Module) {
        let columns = self.stage_columns(&module.items);
        let mut sequence = Sequence::new(0, false);
        let mut previous: Option<&Item> = None;
        for (item, columns) in module.items.iter().zip(columns) {
            let (start, end) = self.item_span(item);
            let joined = previous.is_some_and(|p| self.joined(p, item));
            let blank = self.gap(&mut sequence, start, !joined);
            self.line(blank);
            self.item(item, columns);
            self.entry_done(&mut sequence, end);
            self.leftovers(&mut sequence, end);
            previous = Some(item);
        }
        self.close(&mut sequence, usize::MAX);
    }

    /// Where a declaration starts and ends in the source, spaces and comments after it
    /// left out.
    fn item_span(&self, item: &Item) -> (usize, usize) {
        let span = item.span();
        let start = span.start as usize;
        (start, self.content_end(start, span.end as usize))
    }

    /// Where a declaration's text ends (its span may take in spaces and comments after it).
    fn end_of(&self, span: crate::diagnostics::Span) -> usize {
        self.content_end(span.start as usize, span.end as usize)
    }

    /// Whether `item` follows `previous` in the same group, without a blank line.
    fn joined(&self, previous: &Item, item: &Item) -> bool {
        let same_kind = matches!(
            (previous, item),
            (Item::Stage(_), Item::Stage(_))
                | (Item::Segment(_), Item::Segment(_))
                | (Item::Include(_), Item::Include(_))
        );
        same_kind && !self.source_has_blank_line(self.item_span(previous).1, self.item_span(item).0)
    }

    /// The alignment of each item that is a stage, computed over its group.
    fn stage_columns(&self, items: &[Item]) -> Vec<StageColumns> {
        let mut columns = vec![StageColumns::default(); items.len()];
        let mut group_start = 0;
        for index in 0..=items.len() {
            let continues = index > 0
                && index < items.len()
                && self.joined(&items[index - 1], &items[index])
                && matches!(items[index], Item::Stage(_));
            if continues {
                continue;
            }
            let mut widest = StageColumns::default();
            for item in &items[group_start..index] {
                if let Item::Stage(stage) = item {
                    widest.name = widest.name.max(width(&stage.name.name));
                    let label = stage
                        .label
                        .as_ref()
                        .map_or(0, |l| width(&label_text(self, l)));
                    widest.label = widest.label.max(label);
                }
            }
            for slot in &mut columns[group_start..index] {
                *slot = widest;
            }
            group_start = index;
        }
        columns
    }

    fn item(&mut self, item: &Item, columns: StageColumns) {
        match item {
            Item::Playbook(decl) => self.playbook(decl),
            Item::Include(decl) => self.include(decl),
            Item::Member(decl) => self.member(decl),
            Item::Channel(decl) => self.channel(decl),
            Item::Segment(decl) => self.segment(decl),
            Item::Stage(decl) => self.stage(decl, columns),
            Item::Rule(decl) => self.rule(decl),
            Item::Policy(decl) => self.policy(decl),
            Item::Test(decl) => self.test(decl),
            Item::Experiment(decl) => self.experiment(decl),
            Item::Group(decl) => self.group(decl),
        }
    }

    /// A label or name string: the author's quote unless the other spares an escape.
    pub fn label(&mut self, label: &StrLit) {
        self.inline_comments(label.span.start as usize);
        let text = label_text(self, label);
        self.text(&text);
    }

    /// ` {`, the clauses one per line, `}` (or ` {}` when empty).
    fn clause_block<T>(
        &mut self,
        header_end: usize,
        end: usize,
        clauses: &[T],
        span: impl Fn(&Printer, &T) -> (usize, usize),
        print: impl FnMut(&mut Self, &T),
    ) {
        self.text(" ");
        let block = Block {
            open: "{",
            close: "}",
            header_end,
            end,
            commas: false,
        };
        self.block(block, clauses, span, print);
    }

    fn playbook(&mut self, decl: &PlaybookDecl) {
        self.text("playbook ");
        self.label(&decl.name);
        let header_end = decl.name.span.end as usize;
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.clauses,
            |p, c| p.playbook_clause_span(c),
            |p, c| p.playbook_clause(c),
        );
    }

    fn include(&mut self, decl: &Include) {
        self.text("include ");
        self.label(&decl.path);
    }

    fn member(&mut self, decl: &MemberDecl) {
        self.text("member");
        let header_end = decl.span.start as usize + "member".len();
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.fields,
            |_, f| (f.span.start as usize, f.span.end as usize),
            |p, f| p.field_decl(f),
        );
    }

    fn channel(&mut self, decl: &ChannelDecl) {
        let header_end = self.named_header("channel", &decl.name, decl.label.as_ref());
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.clauses,
            |p, c| p.channel_clause_span(c),
            |p, c| p.channel_clause(c),
        );
    }

    /// `keyword name "label"` of a channel or rule; returns where the header ends in
    /// the source, so the block's comments can be placed after it.
    fn named_header(&mut self, keyword: &str, name: &Ident, label: Option<&StrLit>) -> usize {
        self.text(keyword);
        self.text(" ");
        self.inline_comments(name.span.start as usize);
        self.text(&name.name);
        match label {
            Some(label) => {
                self.text(" ");
                self.label(label);
                label.span.end as usize
            }
            None => name.span.end as usize,
        }
    }

    fn segment(&mut self, decl: &SegmentDecl) {
        self.text("segment ");
        self.inline_comments(decl.name.span.start as usize);
        self.text(&decl.name.name);
        let equals = self.keyword_start(decl.condition.span.start as usize, "=");
        self.inline_comments(equals);
        self.text(" = ");
        self.expr(&decl.condition);
    }

    fn stage(&mut self, decl: &StageDecl, columns: StageColumns) {
        self.text("stage ");
        self.inline_comments(decl.name.span.start as usize);
        self.text(&decl.name.name);
        let mut padding = columns.name.saturating_sub(width(&decl.name.name));
        if columns.label > 0 {
            match &decl.label {
                Some(label) => {
                    self.text(&" ".repeat(padding + 1));
                    self.label(label);
                    padding = columns
                        .label
                        .saturating_sub(width(&label_text(self, label)));
                }
                None => padding += columns.label + 1,
            }
        }
        self.text(&" ".repeat(padding));
        match &decl.condition {
            StageCondition::When(condition) => {
                let keyword = self.keyword_start(condition.span.start as usize, "when");
                self.inline_comments(keyword);
                self.text(" when ");
                self.expr(condition);
            }
            StageCondition::Otherwise(span) => {
                self.inline_comments(span.start as usize);
                self.text(" otherwise");
            }
        }
    }

    fn rule(&mut self, decl: &RuleDecl) {
        let header_end = self.named_header("rule", &decl.name, decl.label.as_ref());
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.clauses,
            |p, c| p.rule_clause_span(c),
            |p, c| p.rule_clause(c),
        );
    }

    /// `experiment name "label" {` with one `variant NAME P%` per line, the shares
    /// aligned.
    fn experiment(&mut self, decl: &ExperimentDecl) {
        let header_end = self.named_header("experiment", &decl.name, decl.label.as_ref());
        let widest = decl
            .variants
            .iter()
            .map(|v| width(&v.name.name))
            .max()
            .unwrap_or(0);
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.variants,
            |_, v| (v.span.start as usize, v.span.end as usize),
            |p, v| {
                p.text("variant ");
                p.inline_comments(v.name.span.start as usize);
                p.text(&v.name.name);
                p.text(&" ".repeat(widest - width(&v.name.name) + 1));
                p.text(&format!("{}%", super::literal::number_text(v.share)));
            },
        );
    }

    /// `group name "label" { cap N per D }`
    fn group(&mut self, decl: &GroupDecl) {
        let header_end = self.named_header("group", &decl.name, decl.label.as_ref());
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.caps,
            |_, cap| (cap.span.start as usize, cap.span.end as usize),
            |p, cap| p.cap("cap", cap),
        );
    }

    fn policy(&mut self, decl: &PolicyDecl) {
        self.text("policy");
        let header_end = decl.span.start as usize + "policy".len();
        self.clause_block(
            header_end,
            self.end_of(decl.span),
            &decl.clauses,
            |p, c| p.policy_clause_span(c),
            |p, c| p.policy_clause(c),
        );
    }

    fn test(&mut self, decl: &TestDecl) {
        self.text("test ");
        self.label(&decl.name);
        self.clause_block(
            decl.name.span.end as usize,
            self.end_of(decl.span),
            &decl.clauses,
            |p, c| p.test_clause_span(c),
            |p, c| p.test_clause(c),
        );
    }
}

/// A label as printed, quotes included.
fn label_text(printer: &Printer, label: &StrLit) -> String {
    let author = author_quote(printer.source, label.span.start as usize);
    let quote = choose_quote(author, std::iter::once(label.value.as_str()));
    quoted(&label.value, quote)
}
