//! Stages, channels and rules compiled into integer-indexed tables.

use std::collections::HashMap;
use std::sync::Arc;

use super::expr::{Node, Scope};
use super::program::{
    ActionSpec, CapLimit, Channel, DayWindow, Rule, Stage, Template, TemplatePiece,
};
use super::schema::Layout;
use crate::ast::{self, ChannelClause, Item, Level, RuleClause, StageCondition, TemplatePart};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};
use crate::plan::Verb;

/// The tables being built.
#[derive(Default)]
pub(super) struct Tables {
    pub stages: Vec<Stage>,
    pub stage_ids: HashMap<String, (u32, Span)>,
    pub channels: Vec<Channel>,
    pub channel_ids: HashMap<String, (u32, Span)>,
    pub rules: Vec<Rule>,
    pub groups: Vec<Arc<str>>,
    /// Each group's declared cap, aligned with `groups`.
    pub group_caps: Vec<Option<CapLimit>>,
}

impl Tables {
    /// Reports expressions whose evaluation (segments expanded) would be too deep.
    pub(super) fn check_depths(&self, segments: &[usize], limit: usize, out: &mut Vec<Diagnostic>) {
        let mut nodes: Vec<&Node> = Vec::new();
        for stage in &self.stages {
            nodes.extend(stage.condition.as_ref());
        }
        for channel in &self.channels {
            nodes.extend(channel.consent.as_ref());
        }
        for rule in &self.rules {
            nodes.extend(rule.when.as_ref());
            for action in &rule.actions {
                for piece in &action.template.parts {
                    if let TemplatePiece::Expr(node) = piece {
                        nodes.push(node);
                    }
                }
                nodes.extend(action.args.iter().map(|(_, node)| node));
            }
        }
        for node in nodes {
            if node.depth_with(segments) > limit {
                out.push(Diagnostic::error(
                    codes::TOO_DEEP,
                    "this condition is nested too deeply (segments included)",
                    node.span,
                ));
            }
        }
    }
}

fn duplicate(kind: &str, name: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::error(
        codes::DUPLICATE,
        format!("{kind} `{}` is declared twice", name.name),
        name.span,
    )
    .with_secondary("first declared here", first)
}

/// A declaration's label, or its name when it has none.
pub(super) fn label(label: &Option<ast::StrLit>, name: &ast::Ident) -> Arc<str> {
    Arc::from(
        label
            .as_ref()
            .map_or(name.name.as_str(), |l| l.value.as_str()),
    )
}

/// Compiles the stages, in order.
pub(super) fn stages(
    items: &[Item],
    tables: &mut Tables,
    layout: &mut Layout,
    segments: &HashMap<String, u32>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut otherwise: Option<Span> = None;
    for item in items {
        let Item::Stage(decl) = item else { continue };
        if let Some((_, first)) = tables.stage_ids.get(&decl.name.name) {
            diagnostics.push(duplicate("stage", &decl.name, *first));
            continue;
        }
        if let Some(previous) = otherwise {
            diagnostics.push(
                Diagnostic::error(
                    codes::OTHERWISE_NOT_LAST,
                    format!(
                        "stage `{}` comes after an `otherwise` stage",
                        decl.name.name
                    ),
                    decl.name.span,
                )
                .with_secondary("`otherwise` is here", previous),
            );
        }
        let condition = match &decl.condition {
            StageCondition::When(expr) => Scope::new(layout, segments, diagnostics).compile(expr),
            StageCondition::Otherwise(span) => {
                otherwise = Some(*span);
                None
            }
        };
        let id = tables.stages.len() as u32;
        tables
            .stage_ids
            .insert(decl.name.name.clone(), (id, decl.name.span));
        tables.stages.push(Stage {
            name: Arc::from(decl.name.name.as_str()),
            label: label(&decl.label, &decl.name),
            condition,
            span: decl.name.span,
        });
    }
}

/// Compiles the channels.
pub(super) fn channels(
    items: &[Item],
    tables: &mut Tables,
    layout: &mut Layout,
    segments: &HashMap<String, u32>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for item in items {
        let Item::Channel(decl) = item else { continue };
        if let Some((_, first)) = tables.channel_ids.get(&decl.name.name) {
            diagnostics.push(duplicate("channel", &decl.name, *first));
            continue;
        }
        let mut channel = Channel {
            name: Arc::from(decl.name.name.as_str()),
            consent: None,
            window: None,
            cap: None,
            span: decl.name.span,
        };
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        for clause in &decl.clauses {
            let (keyword, span) = match clause {
                ChannelClause::Consent(expr) => ("consent", expr.span),
                ChannelClause::Window(window) => ("window", window.span),
                ChannelClause::Cap(cap) => ("cap", cap.span),
            };
            if let Some(first) = seen.insert(keyword, span) {
                diagnostics.push(duplicate_clause(keyword, span, first));
                continue;
            }
            match clause {
                ChannelClause::Consent(expr) => {
                    channel.consent = Scope::new(layout, segments, diagnostics).compile(expr);
                }
                ChannelClause::Window(window) => channel.window = day_window(window, diagnostics),
                ChannelClause::Cap(cap) => channel.cap = cap_limit(cap, diagnostics),
            }
        }
        let id = tables.channels.len() as u32;
        tables
            .channel_ids
            .insert(decl.name.name.clone(), (id, decl.name.span));
        tables.channels.push(channel);
    }
}

fn duplicate_clause(keyword: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error(
        codes::DUPLICATE_CLAUSE,
        format!("`{keyword}` is given twice"),
        span,
    )
    .with_secondary("first given here", first)
}

fn time_of_day(time: &ast::TimeOfDay, diagnostics: &mut Vec<Diagnostic>) -> Option<u32> {
    if time.hour > 23 || time.minute > 59 {
        diagnostics.push(Diagnostic::error(
            codes::BAD_TIME,
            format!("{}:{:02} is not a time of day", time.hour, time.minute),
            time.span,
        ));
        return None;
    }
    Some(time.hour * 3600 + time.minute * 60)
}

fn day_window(window: &ast::Window, diagnostics: &mut Vec<Diagnostic>) -> Option<DayWindow> {
    let start = time_of_day(&window.start, diagnostics);
    let end = time_of_day(&window.end, diagnostics);
    let (start, end) = (start?, end?);
    if start == end {
        diagnostics.push(Diagnostic::error(
            codes::BAD_WINDOW,
            "a window's start and end must differ",
            window.span,
        ));
        return None;
    }
    Some(DayWindow::new(start, end))
}

/// `cap N per DURATION`: both must be positive.
pub(super) fn cap_limit(cap: &ast::Cap, diagnostics: &mut Vec<Diagnostic>) -> Option<CapLimit> {
    let seconds = cap.per.seconds();
    if cap.count < 1 || seconds < 1 {
        diagnostics.push(Diagnostic::error(
            codes::BAD_NUMBER,
            "a cap needs at least one touch over a positive duration",
            cap.span,
        ));
        return None;
    }
    Some(CapLimit {
        count: cap.count,
        seconds,
        span: cap.span,
    })
}

/// Compiles the rules, in declaration order.
pub(super) fn rules(
    items: &[Item],
    tables: &mut Tables,
    layout: &mut Layout,
    segments: &HashMap<String, u32>,
    quadrant: &(Option<Level>, Option<Level>),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut rule_spans: HashMap<String, Span> = HashMap::new();
    for item in items {
        let Item::Rule(decl) = item else { continue };
        if let Some(first) = rule_spans.get(&decl.name.name) {
            diagnostics.push(duplicate("rule", &decl.name, *first));
            continue;
        }
        rule_spans.insert(decl.name.name.clone(), decl.name.span);
        let mut compiler = RuleCompiler {
            tables,
            layout,
            segments,
            diagnostics,
        };
        if let Some(rule) = compiler.rule(decl, quadrant) {
            tables.rules.push(rule);
        }
    }
    group_caps(items, tables, diagnostics);
}

/// The caps of declared groups that some rule uses, aligned with `tables.groups`.
fn group_caps(items: &[Item], tables: &mut Tables, diagnostics: &mut Vec<Diagnostic>) {
    tables.group_caps = vec![None; tables.groups.len()];
    for item in items {
        let Item::Group(decl) = item else { continue };
        let Some(index) = tables.groups.iter().position(|g| **g == *decl.name.name) else {
            continue;
        };
        if let (Some(cap), Some(slot)) = (decl.caps.first(), tables.group_caps.get_mut(index)) {
            *slot = cap_limit(cap, diagnostics);
        }
    }
}

struct RuleCompiler<'a> {
    tables: &'a mut Tables,
    layout: &'a mut Layout,
    segments: &'a HashMap<String, u32>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl RuleCompiler<'_> {
    fn compile(&mut self, expr: &ast::Expr) -> Option<Node> {
        Scope::new(self.layout, self.segments, self.diagnostics).compile(expr)
    }

    fn rule(
        &mut self,
        decl: &ast::RuleDecl,
        quadrant: &(Option<Level>, Option<Level>),
    ) -> Option<Rule> {
        let errors_before = self.diagnostics.len();
        let mut rule = Rule {
            name: Arc::from(decl.name.name.as_str()),
            label: label(&decl.label, &decl.name),
            stages: None,
            active: true,
            when: None,
            actions: Vec::new(),
            priority: 0,
            cap: None,
            group: None,
            variants: Vec::new(),
            on_enter: false,
            span: decl.name.span,
        };
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        for clause in &decl.clauses {
            let keyword = match clause {
                RuleClause::Stage(..) => "stage",
                RuleClause::Quadrant(_) => "quadrant",
                RuleClause::When(_) => "when",
                RuleClause::Then(_) => "then",
                RuleClause::Priority(..) => "priority",
                RuleClause::Cap(_) => "cap",
                RuleClause::Group(..) => "group",
                RuleClause::Variant(..) => "variant",
                // `on enter` sets the stages: given with `stage`, it is one too many.
                RuleClause::OnEnter(..) => "stage",
            };
            let span = clause_span(clause);
            if keyword != "then" {
                if let Some(first) = seen.insert(keyword, span) {
                    self.diagnostics
                        .push(duplicate_clause(keyword, span, first));
                    continue;
                }
            }
            self.clause(clause, &mut rule, quadrant);
        }
        (self.diagnostics.len() == errors_before).then_some(rule)
    }

    fn clause(
        &mut self,
        clause: &RuleClause,
        rule: &mut Rule,
        quadrant: &(Option<Level>, Option<Level>),
    ) {
        match clause {
            RuleClause::Stage(names, _) | RuleClause::OnEnter(names, _) => {
                rule.on_enter = matches!(clause, RuleClause::OnEnter(..));
                let mut ids = Vec::with_capacity(names.len());
                for name in names {
                    match self.tables.stage_ids.get(&name.name) {
                        Some((id, _)) => ids.push(*id),
                        None => {
                            let known = self.tables.stage_ids.keys().map(String::as_str);
                            let help = did_you_mean(&name.name, known);
                            self.unknown(
                                codes::UNKNOWN_STAGE,
                                "stage",
                                name,
                                help.map(str::to_string),
                            );
                        }
                    }
                }
                rule.stages = Some(ids);
            }
            RuleClause::Quadrant(spec) => rule.active = super::quadrant_matches(spec, quadrant),
            RuleClause::When(expr) => rule.when = self.compile(expr),
            RuleClause::Then(action) => {
                if let Some(action) = self.action(action) {
                    rule.actions.push(action);
                }
            }
            RuleClause::Priority(priority, _) => rule.priority = *priority,
            RuleClause::Cap(cap) => rule.cap = cap_limit(cap, self.diagnostics),
            RuleClause::Group(name, _) => {
                let groups = &mut self.tables.groups;
                let id = match groups.iter().position(|g| **g == *name.name) {
                    Some(id) => id,
                    None => {
                        groups.push(Arc::from(name.name.as_str()));
                        groups.len() - 1
                    }
                };
                rule.group = Some(id as u32);
            }
            RuleClause::Variant(refs, _) => {
                for reference in refs {
                    let experiments = &self.layout.experiments;
                    let found = experiments
                        .iter()
                        .position(|(name, _)| **name == *reference.experiment.name)
                        .and_then(|e| {
                            let variants = &experiments[e].1;
                            let v = variants
                                .iter()
                                .position(|name| **name == *reference.variant.name)?;
                            Some((e as u16, v as u16))
                        });
                    match found {
                        Some(pair) => rule.variants.push(pair),
                        None => self.diagnostics.push(Diagnostic::error(
                            codes::UNKNOWN_VARIANT,
                            format!(
                                "no variant `{}.{}`",
                                reference.experiment.name, reference.variant.name
                            ),
                            reference.span,
                        )),
                    }
                }
            }
        }
    }

    fn unknown(
        &mut self,
        code: &'static str,
        kind: &str,
        name: &ast::Ident,
        close: Option<String>,
    ) {
        let mut diagnostic = Diagnostic::error(
            code,
            format!("there is no {kind} `{}`", name.name),
            name.span,
        );
        if let Some(close) = close {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
        }
        self.diagnostics.push(diagnostic);
    }

    fn action(&mut self, action: &ast::Action) -> Option<ActionSpec> {
        let Some(verb) = Verb::from_name(&action.verb.name) else {
            let known = Verb::ALL.into_iter().map(Verb::name);
            let help = did_you_mean(&action.verb.name, known).map(str::to_string);
            self.unknown(codes::UNKNOWN_VERB, "verb", &action.verb, help);
            return None;
        };
        let channel = match (&action.via, verb.is_touch()) {
            (None, true) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::MISSING_VIA,
                        format!("`{verb}` needs a channel"),
                        action.span,
                    )
                    .with_help(format!("add `via CHANNEL` after the text of `{verb}`")),
                );
                return None;
            }
            (Some(via), false) => {
                self.diagnostics.push(Diagnostic::error(
                    codes::UNEXPECTED_VIA,
                    format!("`{verb}` does not go through a channel"),
                    via.span,
                ));
                return None;
            }
            (None, false) => None,
            (Some(via), true) => match self.tables.channel_ids.get(&via.name) {
                Some((id, _)) => Some(*id),
                None => {
                    let known = self.tables.channel_ids.keys().map(String::as_str);
                    let help = did_you_mean(&via.name, known).map(str::to_string);
                    self.unknown(codes::UNKNOWN_CHANNEL, "channel", via, help);
                    return None;
                }
            },
        };
        let at = match &action.at {
            Some(time) => Some(time_of_day(time, self.diagnostics)?),
            None => None,
        };
        let template = self.template(&action.template)?;
        let mut args = Vec::with_capacity(action.with.len());
        for (key, expr) in &action.with {
            args.push((Arc::from(key.name.as_str()), self.compile(expr)?));
        }
        Some(ActionSpec {
            verb,
            template,
            channel,
            at,
            args,
            span: action.span,
        })
    }

    fn template(&mut self, template: &ast::Template) -> Option<Template> {
        let mut parts = Vec::with_capacity(template.parts.len());
        for part in &template.parts {
            match part {
                TemplatePart::Text(text) => parts.push(TemplatePiece::Text(text.as_str().into())),
                TemplatePart::Expr(expr) => parts.push(TemplatePiece::Expr(self.compile(expr)?)),
            }
        }
        let constant = parts
            .iter()
            .all(|part| matches!(part, TemplatePiece::Text(_)))
            .then(|| {
                let text: String = parts
                    .iter()
                    .filter_map(|part| match part {
                        TemplatePiece::Text(text) => Some(&**text),
                        TemplatePiece::Expr(_) => None,
                    })
                    .collect();
                Arc::from(text)
            });
        Some(Template { constant, parts })
    }
}

fn clause_span(clause: &RuleClause) -> Span {
    match clause {
        RuleClause::Stage(_, span)
        | RuleClause::OnEnter(_, span)
        | RuleClause::Priority(_, span)
        | RuleClause::Group(_, span)
        | RuleClause::Variant(_, span) => *span,
        RuleClause::Quadrant(spec) => spec.span,
        RuleClause::When(expr) => expr.span,
        RuleClause::Then(action) => action.span,
        RuleClause::Cap(cap) => cap.span,
    }
}
