//! Lowering of pest pairs into the syntax tree: one `lower_*` per grammar rule of the
//! declarations (expressions, templates and data literals are in `expr.rs`).
//!
//! The grammar has already accepted the text, so a pair has the children its rule
//! promises; where one is missing all the same, the lowering gives up on that piece
//! quietly rather than panicking. Problems only the lowering can see (a bad escape, a
//! number too large, `via` given twice) become diagnostics, and the declaration is
//! still kept, with the bad piece replaced by a neutral value.

use pest::iterators::Pair;

use super::grammar::Rule;
use super::literal::{self, LiteralError};
use crate::ast::*;
use crate::diagnostics::{codes, Diagnostic, FileId, Span};

/// The children of a pair, comments left out.
pub fn significant<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| p.as_rule() != Rule::COMMENT)
}

/// The first child of a pair with the given rule.
fn child<'i>(pair: &Pair<'i, Rule>, rule: Rule) -> Option<Pair<'i, Rule>> {
    significant(pair.clone()).find(|p| p.as_rule() == rule)
}

/// Turns the pairs of one declaration (or one expression) into the tree; collects the
/// problems it finds and the comments inside.
pub struct Lowerer {
    /// The file the spans point into.
    pub file: FileId,
    /// Where the parsed slice starts in the file.
    pub offset: usize,
    /// Problems found while lowering.
    pub diagnostics: Vec<Diagnostic>,
    /// Comments found inside the declaration.
    pub comments: Vec<Comment>,
}

impl Lowerer {
    /// A lowerer for a slice starting at byte `offset` of `file`.
    pub fn new(file: FileId, offset: usize) -> Self {
        Lowerer {
            file,
            offset,
            diagnostics: Vec::new(),
            comments: Vec::new(),
        }
    }

    /// The span of a pair, in the whole file.
    pub fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(
            self.file,
            self.offset + span.start(),
            self.offset + span.end(),
        )
    }

    /// Records a syntax problem.
    pub fn syntax_error(&mut self, message: impl Into<String>, span: Span) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(codes::SYNTAX, message, span));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// Records a bad literal at `span` (narrowed to the part that is wrong).
    pub fn bad_literal(&mut self, error: LiteralError, span: Span) {
        let place = match error.within {
            Some(range) => Span {
                file: span.file,
                start: span.start + range.start as u32,
                end: (span.start + range.end as u32).min(span.end),
            },
            None => span,
        };
        let mut diagnostic = Diagnostic::error(codes::BAD_LITERAL, error.message, place);
        diagnostic.help = error.help;
        self.diagnostics.push(diagnostic);
    }

    /// `item`: one declaration; returns it and how many bytes of the slice it used.
    pub fn lower_item(&mut self, item: Pair<'_, Rule>) -> Option<(Item, usize)> {
        let declaration = significant(item).next()?;
        for comment in declaration.clone().into_inner().flatten() {
            if comment.as_rule() == Rule::COMMENT {
                let span = self.span(&comment);
                self.comments.push(Comment {
                    text: comment.as_str().to_string(),
                    block: comment.as_str().starts_with("/*"),
                    span,
                });
            }
        }
        let end = declaration.as_span().end();
        let lowered = match declaration.as_rule() {
            Rule::playbook_decl => Item::Playbook(self.lower_playbook_decl(declaration)?),
            Rule::include_decl => Item::Include(self.lower_include_decl(declaration)?),
            Rule::member_decl => Item::Member(self.lower_member_decl(declaration)),
            Rule::channel_decl => Item::Channel(self.lower_channel_decl(declaration)?),
            Rule::segment_decl => Item::Segment(self.lower_segment_decl(declaration)?),
            Rule::stage_decl => Item::Stage(self.lower_stage_decl(declaration)?),
            Rule::rule_decl => Item::Rule(self.lower_rule_decl(declaration)?),
            Rule::policy_decl => Item::Policy(self.lower_policy_decl(declaration)),
            Rule::test_decl => Item::Test(self.lower_test_decl(declaration)?),
            Rule::experiment_decl => Item::Experiment(self.lower_experiment_decl(declaration)?),
            Rule::group_decl => Item::Group(self.lower_group_decl(declaration)?),
            _ => return None,
        };
        Some((lowered, end))
    }

    // ----- names and strings -----

    /// `ident`
    pub fn lower_ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    /// `string`: a plain string with its escapes resolved.
    pub fn lower_string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&pair);
        let raw = significant(pair).next().map_or("", |inner| inner.as_str());
        let value = match literal::unescape(raw) {
            Ok(value) => value,
            Err(error) => {
                let inside = Span {
                    start: span.start + 1,
                    end: span.end.saturating_sub(1).max(span.start + 1),
                    ..span
                };
                self.bad_literal(error, inside);
                raw.to_string()
            }
        };
        StrLit { value, span }
    }

    /// `field_key`: a name or a string used as a name.
    pub fn lower_field_key(&mut self, pair: Pair<'_, Rule>) -> Ident {
        if pair.as_rule() == Rule::string {
            let text = self.lower_string(pair);
            Ident {
                name: text.value,
                span: text.span,
            }
        } else {
            self.lower_ident(pair)
        }
    }

    fn lower_label(&mut self, pair: Pair<'_, Rule>) -> Option<StrLit> {
        significant(pair)
            .next()
            .map(|string| self.lower_string(string))
    }

    // ----- playbook, include -----

    /// `playbook_decl`
    fn lower_playbook_decl(&mut self, pair: Pair<'_, Rule>) -> Option<PlaybookDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut clauses = Vec::new();
        for part in significant(pair) {
            match part.as_rule() {
                Rule::string => name = Some(self.lower_string(part)),
                Rule::quadrant_clause => {
                    clauses.push(PlaybookClause::Quadrant(self.lower_quadrant_clause(part)))
                }
                Rule::timezone_clause => {
                    let zone = child(&part, Rule::string)?;
                    clauses.push(PlaybookClause::Timezone(self.lower_string(zone)));
                }
                Rule::key_clause => {
                    let clause_span = self.span(&part);
                    let key = child(&part, Rule::string)?;
                    clauses.push(PlaybookClause::Key(self.lower_string(key), clause_span));
                }
                _ => {}
            }
        }
        Some(PlaybookDecl {
            name: name?,
            clauses,
            span,
        })
    }

    /// `quadrant_clause`
    fn lower_quadrant_clause(&mut self, pair: Pair<'_, Rule>) -> QuadrantSpec {
        let span = self.span(&pair);
        let mut spec = QuadrantSpec {
            online: None,
            frequency: None,
            span,
        };
        for axis in significant(pair).filter(|p| p.as_rule() == Rule::quadrant_axis) {
            let axis_span = self.span(&axis);
            let mut parts = significant(axis);
            let (Some(which), Some(level)) = (parts.next(), parts.next()) else {
                continue;
            };
            let level = if level.as_rule() == Rule::kw_high {
                Level::High
            } else {
                Level::Low
            };
            let slot = if which.as_rule() == Rule::kw_online {
                &mut spec.online
            } else {
                &mut spec.frequency
            };
            if slot.is_some() {
                let word = which.as_str().to_string();
                self.syntax_error(
                    format!("`{word}` is given twice in one `quadrant` clause"),
                    axis_span,
                )
                .help = Some("give each axis once: `quadrant online high, frequency low`".into());
            } else {
                *slot = Some((level, axis_span));
            }
        }
        spec
    }

    /// `include_decl`
    fn lower_include_decl(&mut self, pair: Pair<'_, Rule>) -> Option<Include> {
        let span = self.span(&pair);
        let path = self.lower_string(child(&pair, Rule::string)?);
        Some(Include { path, span })
    }

    // ----- member schema -----

    /// `member_decl`
    fn lower_member_decl(&mut self, pair: Pair<'_, Rule>) -> MemberDecl {
        let span = self.span(&pair);
        let fields = self.lower_field_decls(pair);
        MemberDecl { fields, span }
    }

    fn lower_field_decls(&mut self, pair: Pair<'_, Rule>) -> Vec<FieldDecl> {
        significant(pair)
            .filter(|p| p.as_rule() == Rule::field_decl)
            .filter_map(|field| self.lower_field_decl(field))
            .collect()
    }

    /// `field_decl`
    fn lower_field_decl(&mut self, pair: Pair<'_, Rule>) -> Option<FieldDecl> {
        let span = self.span(&pair);
        let mut parts = significant(pair);
        let name = self.lower_field_key(parts.next()?);
        let ty = self.lower_type_expr(parts.next()?)?;
        Some(FieldDecl { name, ty, span })
    }

    /// `type_expr`: a type, perhaps made optional by `?`.
    fn lower_type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut parts = significant(pair);
        let atom = parts.next()?;
        let atom_span = self.span(&atom);
        let kind = match atom.as_rule() {
            Rule::list_type => {
                TypeKind::List(Box::new(self.lower_type_expr(significant(atom).next()?)?))
            }
            Rule::object_type => TypeKind::Object(self.lower_field_decls(atom)),
            Rule::enum_type => TypeKind::Enum(
                significant(atom)
                    .map(|string| self.lower_string(string))
                    .collect(),
            ),
            _ => match atom.as_str() {
                "int" => TypeKind::Int,
                "float" => TypeKind::Float,
                "bool" => TypeKind::Bool,
                "string" => TypeKind::String,
                "date" => TypeKind::Date,
                "datetime" => TypeKind::DateTime,
                other => TypeKind::Unknown(other.to_string()),
            },
        };
        let inner = TypeExpr {
            kind,
            span: atom_span,
        };
        Some(match parts.next() {
            Some(_) => TypeExpr {
                kind: TypeKind::Optional(Box::new(inner)),
                span,
            },
            None => inner,
        })
    }

    // ----- channel -----

    /// `channel_decl`
    fn lower_channel_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ChannelDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut label = None;
        let mut clauses = Vec::new();
        for part in significant(pair) {
            match part.as_rule() {
                Rule::ident => name = Some(self.lower_ident(part)),
                Rule::label => label = self.lower_label(part),
                Rule::consent_clause => {
                    let condition = self.lower_expr(child(&part, Rule::expr)?);
                    clauses.push(ChannelClause::Consent(condition));
                }
                Rule::window_clause => {
                    clauses.push(ChannelClause::Window(self.lower_window_clause(part)?))
                }
                Rule::cap_clause => clauses.push(ChannelClause::Cap(self.lower_cap_clause(part)?)),
                _ => {}
            }
        }
        Some(ChannelDecl {
            name: name?,
            label,
            clauses,
            span,
        })
    }

    /// `window_clause`
    fn lower_window_clause(&mut self, pair: Pair<'_, Rule>) -> Option<Window> {
        let span = self.span(&pair);
        let mut times = significant(pair).filter(|p| p.as_rule() == Rule::time_of_day);
        let start = self.lower_time_of_day(times.next()?);
        let end = self.lower_time_of_day(times.next()?);
        Some(Window { start, end, span })
    }

    /// `cap_clause` and `max_touches_clause`: `N per DURATION`.
    fn lower_cap_clause(&mut self, pair: Pair<'_, Rule>) -> Option<Cap> {
        let span = self.span(&pair);
        let count = child(&pair, Rule::count)?;
        let count_span = self.span(&count);
        let count = match literal::integer(count.as_str()) {
            Ok(count) => count,
            Err(error) => {
                self.bad_literal(error, count_span);
                0
            }
        };
        let per = self.lower_duration(child(&pair, Rule::duration)?);
        Some(Cap { count, per, span })
    }

    /// `time_of_day`
    pub fn lower_time_of_day(&mut self, pair: Pair<'_, Rule>) -> TimeOfDay {
        let span = self.span(&pair);
        let (hour, minute) = literal::time_of_day(pair.as_str()).unwrap_or_else(|error| {
            self.bad_literal(error, span);
            (0, 0)
        });
        TimeOfDay { hour, minute, span }
    }

    /// `duration`
    pub fn lower_duration(&mut self, pair: Pair<'_, Rule>) -> DurationLit {
        let span = self.span(&pair);
        let (amount, unit) = literal::duration(pair.as_str()).unwrap_or_else(|error| {
            self.bad_literal(error, span);
            (0, DurationUnit::Seconds)
        });
        DurationLit { amount, unit, span }
    }

    // ----- segment, stage -----

    /// `segment_decl`
    fn lower_segment_decl(&mut self, pair: Pair<'_, Rule>) -> Option<SegmentDecl> {
        let span = self.span(&pair);
        let name = self.lower_ident(child(&pair, Rule::ident)?);
        let condition = self.lower_expr(child(&pair, Rule::expr)?);
        Some(SegmentDecl {
            name,
            condition,
            span,
        })
    }

    /// `stage_decl`
    fn lower_stage_decl(&mut self, pair: Pair<'_, Rule>) -> Option<StageDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut label = None;
        let mut condition = None;
        for part in significant(pair) {
            match part.as_rule() {
                Rule::ident => name = Some(self.lower_ident(part)),
                Rule::label => label = self.lower_label(part),
                Rule::when_clause => {
                    let expr = child(&part, Rule::expr)?;
                    condition = Some(StageCondition::When(self.lower_expr(expr)));
                }
                Rule::otherwise => condition = Some(StageCondition::Otherwise(self.span(&part))),
                _ => {}
            }
        }
        Some(StageDecl {
            name: name?,
            label,
            condition: condition?,
            span,
        })
    }

    // ----- rule -----

    /// `rule_decl`
    fn lower_rule_decl(&mut self, pair: Pair<'_, Rule>) -> Option<RuleDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut label = None;
        let mut clauses = Vec::new();
        for part in significant(pair) {
            let part_span = self.span(&part);
            let clause = match part.as_rule() {
                Rule::ident => {
                    name = Some(self.lower_ident(part));
                    continue;
                }
                Rule::label => {
                    label = self.lower_label(part);
                    continue;
                }
                Rule::stages_clause => {
                    let stages = significant(part)
                        .filter(|p| p.as_rule() == Rule::ident)
                        .map(|p| self.lower_ident(p))
                        .collect();
                    RuleClause::Stage(stages, part_span)
                }
                Rule::on_enter_clause => {
                    let stages = significant(part)
                        .filter(|p| p.as_rule() == Rule::ident)
                        .map(|p| self.lower_ident(p))
                        .collect();
                    RuleClause::OnEnter(stages, part_span)
                }
                Rule::quadrant_clause => RuleClause::Quadrant(self.lower_quadrant_clause(part)),
                Rule::when_clause => RuleClause::When(self.lower_expr(child(&part, Rule::expr)?)),
                Rule::then_clause => RuleClause::Then(self.lower_then_clause(part)?),
                Rule::priority_clause => {
                    let number = child(&part, Rule::signed_int)?;
                    let number_span = self.span(&number);
                    let priority = literal::integer(number.as_str()).unwrap_or_else(|error| {
                        self.bad_literal(error, number_span);
                        0
                    });
                    RuleClause::Priority(priority, part_span)
                }
                Rule::cap_clause => RuleClause::Cap(self.lower_cap_clause(part)?),
                Rule::group_clause => {
                    RuleClause::Group(self.lower_ident(child(&part, Rule::ident)?), part_span)
                }
                Rule::variant_clause => {
                    let mut refs = Vec::new();
                    for reference in significant(part).filter(|p| p.as_rule() == Rule::variant_ref) {
                        let ref_span = self.span(&reference);
                        let mut names = significant(reference)
                            .filter(|p| p.as_rule() == Rule::ident)
                            .map(|p| self.lower_ident(p));
                        if let (Some(experiment), Some(variant)) = (names.next(), names.next()) {
                            refs.push(VariantRef {
                                experiment,
                                variant,
                                span: ref_span,
                            });
                        }
                    }
                    RuleClause::Variant(refs, part_span)
                }
                _ => continue,
            };
            clauses.push(clause);
        }
        Some(RuleDecl {
            name: name?,
            label,
            clauses,
            span,
        })
    }

    /// `then_clause`
    fn lower_then_clause(&mut self, pair: Pair<'_, Rule>) -> Option<Action> {
        let span = self.span(&pair);
        let verb = self.lower_ident(child(&pair, Rule::verb)?);
        let template = self.lower_template(child(&pair, Rule::template)?);
        let mut action = Action {
            verb,
            template,
            via: None,
            at: None,
            with: Vec::new(),
            span,
        };
        let mut seen: Vec<(Rule, Span)> = Vec::new();
        for option in significant(pair) {
            let rule = option.as_rule();
            if !matches!(rule, Rule::via_option | Rule::at_option | Rule::with_option) {
                continue;
            }
            let option_span = self.span(&option);
            if let Some((_, first)) = seen.iter().find(|(r, _)| *r == rule) {
                let first = *first;
                let word = option
                    .as_str()
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                self.syntax_error(
                    format!("`{word}` is given twice in one action"),
                    option_span,
                )
                .labels
                .push(crate::diagnostics::Label {
                    message: "first given here".into(),
                    span: first,
                });
                continue;
            }
            seen.push((rule, option_span));
            match rule {
                Rule::via_option => {
                    action.via = Some(self.lower_ident(child(&option, Rule::ident)?))
                }
                Rule::at_option => {
                    action.at = Some(self.lower_time_of_day(child(&option, Rule::time_of_day)?))
                }
                _ => action.with = self.lower_with_option(option),
            }
        }
        Some(action)
    }

    /// `with_option`: `with { key: EXPR, … }`
    fn lower_with_option(&mut self, pair: Pair<'_, Rule>) -> Vec<(Ident, Expr)> {
        let mut entries = Vec::new();
        for entry in significant(pair).filter(|p| p.as_rule() == Rule::with_entry) {
            let mut parts = significant(entry);
            let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            let key = self.lower_field_key(key);
            entries.push((key, self.lower_expr(value)));
        }
        entries
    }

    // ----- policy -----

    /// `policy_decl`
    fn lower_policy_decl(&mut self, pair: Pair<'_, Rule>) -> PolicyDecl {
        let span = self.span(&pair);
        let mut clauses = Vec::new();
        for part in significant(pair) {
            match part.as_rule() {
                Rule::max_touches_clause => {
                    if let Some(cap) = self.lower_cap_clause(part) {
                        clauses.push(PolicyClause::MaxTouches(cap));
                    }
                }
                Rule::holdout_clause => {
                    if let Some(holdout) = self.lower_holdout_clause(part) {
                        clauses.push(holdout);
                    }
                }
                _ => {}
            }
        }
        PolicyDecl { clauses, span }
    }

    /// `group_decl`
    fn lower_group_decl(&mut self, pair: Pair<'_, Rule>) -> Option<GroupDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut label = None;
        let mut caps = Vec::new();
        for part in significant(pair) {
            match part.as_rule() {
                Rule::ident => name = Some(self.lower_ident(part)),
                Rule::label => label = self.lower_label(part),
                Rule::cap_clause => caps.extend(self.lower_cap_clause(part)),
                _ => {}
            }
        }
        Some(GroupDecl {
            name: name?,
            label,
            caps,
            span,
        })
    }

    /// `experiment_decl`
    fn lower_experiment_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ExperimentDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut label = None;
        let mut variants = Vec::new();
        for part in significant(pair) {
            match part.as_rule() {
                Rule::ident => name = Some(self.lower_ident(part)),
                Rule::label => label = self.lower_label(part),
                Rule::variant_decl => {
                    let variant_span = self.span(&part);
                    let variant = self.lower_ident(child(&part, Rule::ident)?);
                    let percent = child(&part, Rule::percent)?;
                    let share_span = self.span(&percent);
                    let number = percent.as_str().trim_end_matches('%');
                    let share = literal::float(number).unwrap_or_else(|error| {
                        self.bad_literal(error, share_span);
                        0.0
                    });
                    variants.push(VariantDecl {
                        name: variant,
                        share,
                        share_span,
                        span: variant_span,
                    });
                }
                _ => {}
            }
        }
        Some(ExperimentDecl {
            name: name?,
            label,
            variants,
            span,
        })
    }

    /// `holdout_clause`: `holdout P%`
    fn lower_holdout_clause(&mut self, pair: Pair<'_, Rule>) -> Option<PolicyClause> {
        let span = self.span(&pair);
        let percent = child(&pair, Rule::percent)?;
        let percent_span = self.span(&percent);
        let number = percent.as_str().trim_end_matches('%');
        let value = literal::float(number).unwrap_or_else(|error| {
            self.bad_literal(error, percent_span);
            0.0
        });
        Some(PolicyClause::Holdout(value, span))
    }

    // ----- test -----

    /// `test_decl`
    fn lower_test_decl(&mut self, pair: Pair<'_, Rule>) -> Option<TestDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut clauses = Vec::new();
        for part in significant(pair) {
            if part.as_rule() == Rule::string {
                name = Some(self.lower_string(part));
            } else if let Some(clause) = self.lower_test_clause(part) {
                clauses.push(clause);
            }
        }
        Some(TestDecl {
            name: name?,
            clauses,
            span,
        })
    }

    /// One clause of a test block.
    fn lower_test_clause(&mut self, pair: Pair<'_, Rule>) -> Option<TestClause> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let idents: Vec<Ident> = significant(pair.clone())
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.lower_ident(p))
            .collect();
        let mut idents = idents.into_iter();
        Some(match rule {
            Rule::as_of_clause => {
                TestClause::AsOf(self.lower_datetime(child(&pair, Rule::datetime)?))
            }
            Rule::test_member_clause => {
                TestClause::Member(self.lower_data_value(child(&pair, Rule::data_object)?))
            }
            Rule::expect_stage => TestClause::ExpectStage(idents.next(), span),
            Rule::expect_action => TestClause::ExpectAction {
                rule: idents.next()?,
                via: match child(&pair, Rule::via_option) {
                    Some(via) => Some(self.lower_ident(child(&via, Rule::ident)?)),
                    None => None,
                },
                at: match child(&pair, Rule::at_option) {
                    Some(at) => Some(self.lower_time_of_day(child(&at, Rule::time_of_day)?)),
                    None => None,
                },
                span,
            },
            Rule::expect_no_action => TestClause::ExpectNoAction(idents.next()?, span),
            Rule::expect_suppressed => TestClause::ExpectSuppressed {
                rule: idents.next()?,
                reason: idents.next()?,
                span,
            },
            Rule::expect_holdout => {
                TestClause::ExpectHoldout(child(&pair, Rule::kw_true).is_some(), span)
            }
            Rule::expect_invalid => TestClause::ExpectInvalid(span),
            Rule::previous_stage_clause => TestClause::PreviousStage {
                stage: idents.next(),
                since: child(&pair, Rule::datetime).map(|since| self.lower_datetime(since)),
                span,
            },
            Rule::expect_variant => TestClause::ExpectVariant {
                experiment: idents.next()?,
                variant: idents.next()?,
                span,
            },
            _ => return None,
        })
    }

    /// `datetime`
    pub fn lower_datetime(&mut self, pair: Pair<'_, Rule>) -> DateTimeLit {
        let span = self.span(&pair);
        let (timestamp, offset) = literal::datetime(pair.as_str()).unwrap_or_else(|error| {
            self.bad_literal(error, span);
            (jiff::Timestamp::UNIX_EPOCH, jiff::tz::Offset::UTC)
        });
        DateTimeLit {
            timestamp,
            offset,
            span,
        }
    }
}
