//! The clauses inside declaration blocks, one per line, and a rule's `then` actions.

use crate::ast::{
    Action, Cap, ChannelClause, Expr, Ident, PlaybookClause, PolicyClause, QuadrantSpec,
    RuleClause, TestClause, TimeOfDay, Window,
};

use super::block::Block;
use super::literal::{
    datetime_text, duration_text, key_text, number_text, time_text, written_bare,
};
use super::printer::Printer;

impl Printer<'_> {
    /// Where a playbook clause starts and ends in the source.
    pub fn playbook_clause_span(&self, clause: &PlaybookClause) -> (usize, usize) {
        match clause {
            PlaybookClause::Quadrant(spec) => (spec.span.start as usize, spec.span.end as usize),
            PlaybookClause::Timezone(zone) => {
                let end = zone.span.end as usize;
                (
                    self.keyword_start(zone.span.start as usize, "timezone"),
                    end,
                )
            }
            PlaybookClause::Key(_, span) => (span.start as usize, span.end as usize),
        }
    }

    /// A clause of the `playbook` block.
    pub fn playbook_clause(&mut self, clause: &PlaybookClause) {
        match clause {
            PlaybookClause::Quadrant(spec) => self.quadrant(spec),
            PlaybookClause::Timezone(zone) => {
                self.text("timezone ");
                self.label(zone);
            }
            PlaybookClause::Key(key, _) => {
                self.text("key ");
                self.label(key);
            }
        }
    }

    /// `quadrant online high, frequency low` (either axis may be missing).
    fn quadrant(&mut self, spec: &QuadrantSpec) {
        self.text("quadrant");
        let axes = [("online", spec.online), ("frequency", spec.frequency)];
        let mut first = true;
        for (axis, value) in axes {
            let Some((level, span)) = value else { continue };
            self.inline_comments(span.start as usize);
            self.text(if first { " " } else { ", " });
            first = false;
            let level = match level {
                crate::ast::Level::High => "high",
                crate::ast::Level::Low => "low",
            };
            self.text(&format!("{axis} {level}"));
        }
    }

    /// Where a channel clause starts and ends in the source.
    pub fn channel_clause_span(&self, clause: &ChannelClause) -> (usize, usize) {
        match clause {
            ChannelClause::Consent(expr) => {
                let end = expr.span.end as usize;
                (self.keyword_start(expr.span.start as usize, "consent"), end)
            }
            ChannelClause::Window(window) => (window.span.start as usize, window.span.end as usize),
            ChannelClause::Cap(cap) => (cap.span.start as usize, cap.span.end as usize),
        }
    }

    /// A clause of a `channel` block.
    pub fn channel_clause(&mut self, clause: &ChannelClause) {
        match clause {
            ChannelClause::Consent(expr) => self.keyword_expr("consent", expr),
            ChannelClause::Window(window) => self.window(window),
            ChannelClause::Cap(cap) => self.cap("cap", cap),
        }
    }

    fn keyword_expr(&mut self, keyword: &str, expr: &Expr) {
        self.text(keyword);
        self.text(" ");
        self.expr(expr);
    }

    fn window(&mut self, window: &Window) {
        self.text("window ");
        self.time(&window.start);
        let dash = self.keyword_start(window.end.span.start as usize, "-");
        self.inline_comments(dash);
        self.text("-");
        self.time(&window.end);
    }

    fn time(&mut self, time: &TimeOfDay) {
        self.inline_comments(time.span.start as usize);
        self.text(&time_text(time));
    }

    pub(super) fn cap(&mut self, keyword: &str, cap: &Cap) {
        self.text(&format!("{keyword} {}", cap.count));
        self.keyword("per", cap.per.span.start as usize);
        self.text(&duration_text(&cap.per));
    }

    /// ` keyword ` before the node at `next`: the comments written before the keyword
    /// come before it, those after it stay after it.
    fn keyword(&mut self, keyword: &str, next: usize) {
        let start = self.keyword_start(next, keyword);
        self.inline_comments(start);
        self.text(&format!(" {keyword} "));
    }

    fn name(&mut self, ident: &Ident) {
        self.inline_comments(ident.span.start as usize);
        self.text(&ident.name);
    }

    /// Where a rule clause starts and ends in the source.
    pub fn rule_clause_span(&self, clause: &RuleClause) -> (usize, usize) {
        let span = match clause {
            RuleClause::Stage(_, span)
            | RuleClause::OnEnter(_, span)
            | RuleClause::Priority(_, span)
            | RuleClause::Group(_, span)
            | RuleClause::Variant(_, span) => *span,
            RuleClause::Quadrant(spec) => spec.span,
            RuleClause::Cap(cap) => cap.span,
            RuleClause::Then(action) => action.span,
            RuleClause::When(expr) => {
                let end = expr.span.end as usize;
                return (self.keyword_start(expr.span.start as usize, "when"), end);
            }
        };
        (span.start as usize, span.end as usize)
    }

    /// A clause of a `rule` block.
    pub fn rule_clause(&mut self, clause: &RuleClause) {
        match clause {
            RuleClause::Stage(stages, _) | RuleClause::OnEnter(stages, _) => {
                self.text(match clause {
                    RuleClause::OnEnter(..) => "on enter",
                    _ => "stage",
                });
                for (index, stage) in stages.iter().enumerate() {
                    self.text(if index == 0 { " " } else { ", " });
                    self.name(stage);
                }
            }
            RuleClause::Quadrant(spec) => self.quadrant(spec),
            RuleClause::When(expr) => self.keyword_expr("when", expr),
            RuleClause::Then(action) => self.action(action),
            RuleClause::Priority(priority, _) => self.text(&format!("priority {priority}")),
            RuleClause::Cap(cap) => self.cap("cap", cap),
            RuleClause::Group(group, _) => {
                self.text("group ");
                self.name(group);
            }
            RuleClause::Variant(refs, _) => {
                self.text("variant");
                for (index, reference) in refs.iter().enumerate() {
                    self.text(if index == 0 { " " } else { ", " });
                    self.name(&reference.experiment);
                    self.text(".");
                    self.name(&reference.variant);
                }
            }
        }
    }

    /// `then VERB "template" [via CHANNEL] [at HH:MM] [with { key: EXPR, … }]`
    fn action(&mut self, action: &Action) {
        self.text("then ");
        self.name(&action.verb);
        self.text(" ");
        self.template(&action.template);
        let mut last = action.template.span.end as usize;
        if let Some(via) = &action.via {
            self.keyword("via", via.span.start as usize);
            self.name(via);
            last = via.span.end as usize;
        }
        if let Some(at) = &action.at {
            self.keyword("at", at.span.start as usize);
            self.time(at);
            last = at.span.end as usize;
        }
        if !action.with.is_empty() {
            self.with_block(action, last);
        }
    }

    /// ` with { key: EXPR, … }`: on one line when it fits or holds one argument, else
    /// one argument per line.
    fn with_block(&mut self, action: &Action, header_end: usize) {
        let end = action.span.end as usize;
        self.text(" with ");
        let single = action.with.len() == 1 && !self.has_comment_within(header_end, end);
        if single || self.fits_flat(header_end, end, |p| p.with_flat(&action.with)) {
            self.with_flat(&action.with);
            return;
        }
        let block = Block {
            open: "{",
            close: "}",
            header_end,
            end,
            commas: true,
        };
        self.block(
            block,
            &action.with,
            |_, (key, value)| (key.span.start as usize, value.span.end as usize),
            |p, (key, value)| p.argument(key, value),
        );
    }

    fn with_flat(&mut self, arguments: &[(Ident, Expr)]) {
        self.text("{ ");
        for (index, (key, value)) in arguments.iter().enumerate() {
            if index > 0 {
                self.text(", ");
            }
            self.argument(key, value);
        }
        self.text(" }");
    }

    fn argument(&mut self, key: &Ident, value: &Expr) {
        self.inline_comments(key.span.start as usize);
        let bare = written_bare(self.source, key.span.start as usize);
        self.text(&key_text(&key.name, bare));
        self.text(": ");
        self.expr(value);
    }

    /// A clause of the `policy` block.
    pub fn policy_clause_span(&self, clause: &PolicyClause) -> (usize, usize) {
        let span = match clause {
            PolicyClause::MaxTouches(cap) => cap.span,
            PolicyClause::Holdout(_, span) => *span,
        };
        (span.start as usize, span.end as usize)
    }

    /// A clause of the `policy` block.
    pub fn policy_clause(&mut self, clause: &PolicyClause) {
        match clause {
            PolicyClause::MaxTouches(cap) => self.cap("max_touches", cap),
            PolicyClause::Holdout(share, _) => {
                self.text(&format!("holdout {}%", number_text(*share)));
            }
        }
    }

    /// Where a test clause starts and ends in the source.
    pub fn test_clause_span(&self, clause: &TestClause) -> (usize, usize) {
        let span = match clause {
            TestClause::AsOf(datetime) => {
                let end = datetime.span.end as usize;
                return (
                    self.keyword_start(datetime.span.start as usize, "as_of"),
                    end,
                );
            }
            TestClause::Member(data) => {
                let end = data.span.end as usize;
                return (self.keyword_start(data.span.start as usize, "member"), end);
            }
            TestClause::ExpectStage(_, span)
            | TestClause::ExpectNoAction(_, span)
            | TestClause::ExpectHoldout(_, span)
            | TestClause::ExpectInvalid(span)
            | TestClause::ExpectAction { span, .. }
            | TestClause::ExpectVariant { span, .. }
            | TestClause::PreviousStage { span, .. }
            | TestClause::ExpectSuppressed { span, .. } => *span,
        };
        (span.start as usize, span.end as usize)
    }

    /// A clause of a `test` block.
    pub fn test_clause(&mut self, clause: &TestClause) {
        match clause {
            TestClause::AsOf(datetime) => {
                self.text("as_of ");
                self.inline_comments(datetime.span.start as usize);
                self.text(&datetime_text(datetime));
            }
            TestClause::Member(data) => {
                self.text("member ");
                self.data(data);
            }
            TestClause::ExpectStage(stage, _) => {
                self.text("expect stage ");
                match stage {
                    Some(stage) => self.name(stage),
                    None => self.text("null"),
                }
            }
            TestClause::ExpectAction { rule, via, at, .. } => {
                self.text("expect action ");
                self.name(rule);
                if let Some(via) = via {
                    self.keyword("via", via.span.start as usize);
                    self.name(via);
                }
                if let Some(at) = at {
                    self.keyword("at", at.span.start as usize);
                    self.time(at);
                }
            }
            TestClause::ExpectNoAction(rule, _) => {
                self.text("expect no action ");
                self.name(rule);
            }
            TestClause::PreviousStage { stage, since, .. } => {
                self.text("previous stage ");
                match stage {
                    Some(stage) => self.name(stage),
                    None => self.text("null"),
                }
                if let Some(since) = since {
                    self.keyword("since", since.span.start as usize);
                    self.inline_comments(since.span.start as usize);
                    self.text(&datetime_text(since));
                }
            }
            TestClause::ExpectVariant {
                experiment,
                variant,
                ..
            } => {
                self.text("expect variant ");
                self.name(experiment);
                self.text(" ");
                self.name(variant);
            }
            TestClause::ExpectSuppressed { rule, reason, .. } => {
                self.text("expect suppressed ");
                self.name(rule);
                self.keyword("reason", reason.span.start as usize);
                self.name(reason);
            }
            TestClause::ExpectHoldout(holdout, _) => {
                self.text(if *holdout {
                    "expect holdout true"
                } else {
                    "expect holdout false"
                });
            }
            TestClause::ExpectInvalid(_) => self.text("expect invalid"),
        }
    }
}
