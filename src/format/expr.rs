//! Expressions and templates as printed: spaces around binary operators, the author's
//! parentheses kept, and only the parentheses precedence requires added.
//!
//! The precedence table is the parser's (`src/syntax/expr.rs`), applied the way a Pratt
//! parser applies it. An operator applies where the operator open on its left binds
//! looser than it; a prefix operator (`not`, `-`) takes as its operand everything that
//! binds tighter than itself, even after a tighter operator (`a + not b == c` is
//! `a + not (b == c)`); postfix operators apply left to right (`a is null * 2` is
//! `(a is null) * 2`); comparisons do not chain. So a node needs parentheses when:
//!
//! - it is infix or postfix and the operator open on its left binds at least as tightly;
//! - it is infix or prefix and the operator after it binds tighter, so that it would
//!   take that operator in;
//! - it is a comparison directly under a comparison.
//!
//! A tree read from a playbook never needs a parenthesis the author did not write, so
//! this only adds parentheses to trees built otherwise.

use crate::ast::{BinaryOp, Expr, ExprKind, Template, TemplatePart};

use super::literal::{
    author_quote, choose_quote, datetime_text, duration_text, escape_into, field_text, float_text,
    int_text, number_text, other, quoted, time_text, written_bare,
};
use super::printer::Printer;

/// How tightly an expression binds, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Precedence {
    /// `x => body`
    Lambda,
    /// `or`
    Or,
    /// `and`
    And,
    /// `not`
    Not,
    /// `== != < <= > >= in, not in, is null, is not null`
    Compare,
    /// `??`
    Default,
    /// `+ -`
    Sum,
    /// `* / %`
    Product,
    /// unary `-`
    Negate,
    /// `a.b`, `a[i]`
    Postfix,
    /// literals, names, calls, lists, parentheses
    Atom,
}

/// Where an expression is printed: the operator open on its left and the operator
/// after it, if any, and whether it is an operand of a comparison.
#[derive(Debug, Clone, Copy)]
struct Place {
    left: Option<Precedence>,
    follows: Option<Precedence>,
    under_comparison: bool,
}

impl Place {
    /// Alone between brackets, commas or at the end of a clause.
    const ALONE: Place = Place {
        left: None,
        follows: None,
        under_comparison: false,
    };
}

/// Whether an expression is a comparison (which may not be an operand of another).
fn is_comparison(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Binary(op, ..) => binary_precedence(*op) == Precedence::Compare,
        ExprKind::In { .. } | ExprKind::IsNull { .. } => true,
        _ => false,
    }
}

/// The level of a binary operator.
pub(crate) fn binary_precedence(op: BinaryOp) -> Precedence {
    match op {
        BinaryOp::Or => Precedence::Or,
        BinaryOp::And => Precedence::And,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            Precedence::Compare
        }
        BinaryOp::Default => Precedence::Default,
        BinaryOp::Add | BinaryOp::Sub => Precedence::Sum,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => Precedence::Product,
    }
}

/// The level of an expression.
pub(crate) fn precedence(expr: &Expr) -> Precedence {
    match &expr.kind {
        ExprKind::Lambda(..) => Precedence::Lambda,
        ExprKind::Binary(op, ..) => binary_precedence(*op),
        ExprKind::Not(_) => Precedence::Not,
        ExprKind::In { .. } | ExprKind::IsNull { .. } => Precedence::Compare,
        ExprKind::Neg(_) => Precedence::Negate,
        ExprKind::Field(..) | ExprKind::Index(..) => Precedence::Postfix,
        _ => Precedence::Atom,
    }
}

/// Whether `expr` printed at `place` needs parentheses to read back as itself.
fn needs_parentheses(expr: &Expr, place: Place) -> bool {
    let own = precedence(expr);
    let applies_too_late = place.left.is_some_and(|left| own <= left);
    let takes_next_in = place.follows.is_some_and(|next| next > own);
    let chained = place.under_comparison && is_comparison(expr);
    chained
        || match expr.kind {
            ExprKind::Binary(..) | ExprKind::In { .. } => applies_too_late || takes_next_in,
            ExprKind::Field(..) | ExprKind::Index(..) | ExprKind::IsNull { .. } => applies_too_late,
            ExprKind::Not(_) | ExprKind::Neg(_) => takes_next_in,
            _ => false,
        }
}

impl Printer<'_> {
    /// Prints an expression that stands alone (a clause's condition, an argument).
    pub fn expr(&mut self, expr: &Expr) {
        self.expr_at(expr, Place::ALONE);
    }

    fn expr_at(&mut self, expr: &Expr, place: Place) {
        self.inline_comments(expr.span.start as usize);
        if needs_parentheses(expr, place) {
            self.text("(");
            self.expr_kind(expr, Place::ALONE);
            self.text(")");
        } else {
            self.expr_kind(expr, place);
        }
    }

    /// Prints the expression itself, at `place`.
    fn expr_kind(&mut self, expr: &Expr, place: Place) {
        let written = self.slice(expr.span.start as usize, expr.span.end as usize);
        // The place of an operand: `left` is the operator open on its left.
        let operand = |left: Option<Precedence>, follows: Option<Precedence>| Place {
            left,
            follows,
            under_comparison: is_comparison(expr),
        };
        match &expr.kind {
            ExprKind::Int(value) => self.text(&int_text(*value, written)),
            ExprKind::Float(value) => self.text(&float_text(*value, written)),
            ExprKind::Str(value) => {
                let author = match self.template_quote {
                    Some(template) => other(template),
                    None => author_quote(self.source, expr.span.start as usize),
                };
                let quote = choose_quote(author, std::iter::once(value.as_str()));
                self.text(&quoted(value, quote));
            }
            ExprKind::Bool(value) => self.text(if *value { "true" } else { "false" }),
            ExprKind::Null => self.text("null"),
            ExprKind::Duration(duration) => self.text(&duration_text(duration)),
            ExprKind::Date(date) => self.text(&date.to_string()),
            ExprKind::DateTime(datetime) => self.text(&datetime_text(datetime)),
            ExprKind::Time(time) => self.text(&time_text(time)),
            ExprKind::Percent(value) => self.text(&format!("{}%", number_text(*value))),
            ExprKind::List(items) => {
                self.text("[");
                self.comma_separated(items);
                self.inline_comments(expr.span.end as usize);
                self.text("]");
            }
            ExprKind::Name(name) => self.text(name),
            ExprKind::MemberField(field) => {
                self.text("member.");
                self.inline_comments(field.span.start as usize);
                let bare = written_bare(self.source, field.span.start as usize);
                self.text(&field_text(&field.name, bare));
            }
            ExprKind::Now => self.text("now"),
            ExprKind::Today => self.text("today"),
            ExprKind::Field(base, field) => {
                self.expr_at(base, operand(place.left, Some(Precedence::Postfix)));
                self.inline_comments(field.span.start as usize);
                self.text(".");
                let bare = written_bare(self.source, field.span.start as usize);
                self.text(&field_text(&field.name, bare));
            }
            ExprKind::Index(base, index) => {
                self.expr_at(base, operand(place.left, Some(Precedence::Postfix)));
                self.inline_comments(index.span.start as usize);
                self.text("[");
                self.expr(index);
                self.inline_comments(expr.span.end as usize);
                self.text("]");
            }
            ExprKind::Call(function, arguments) => {
                self.text(&function.name);
                self.text("(");
                self.comma_separated(arguments);
                self.inline_comments(expr.span.end as usize);
                self.text(")");
            }
            ExprKind::Lambda(parameter, body) => {
                self.text(&parameter.name);
                self.inline_comments(body.span.start as usize);
                self.text(" => ");
                self.expr(body);
            }
            ExprKind::Not(inner) => {
                self.text("not ");
                self.expr_at(inner, operand(Some(Precedence::Not), place.follows));
            }
            ExprKind::Neg(inner) => {
                self.text("-");
                self.expr_at(inner, operand(Some(Precedence::Negate), place.follows));
            }
            ExprKind::Binary(op, left, right) => {
                let level = binary_precedence(*op);
                self.expr_at(left, operand(place.left, Some(level)));
                self.operator(op.symbol(), right);
                self.expr_at(right, operand(Some(level), place.follows));
            }
            ExprKind::In {
                needle,
                haystack,
                negated,
            } => {
                let compare = Some(Precedence::Compare);
                self.expr_at(needle, operand(place.left, compare));
                self.operator(if *negated { "not in" } else { "in" }, haystack);
                self.expr_at(haystack, operand(compare, place.follows));
            }
            ExprKind::IsNull {
                operand: inner,
                negated,
            } => {
                self.expr_at(inner, operand(place.left, Some(Precedence::Compare)));
                self.inline_comments(expr.span.end as usize);
                self.text(if *negated { " is not null" } else { " is null" });
            }
            ExprKind::Paren(inner) => {
                self.text("(");
                self.expr(inner);
                self.inline_comments(expr.span.end as usize);
                self.text(")");
            }
        }
    }

    /// ` op ` before `right`: comments written before the operator come before it,
    /// those after it stay after it.
    fn operator(&mut self, symbol: &str, right: &Expr) {
        let last_word = symbol.rsplit(' ').next().unwrap_or(symbol);
        let start = self.keyword_start(right.span.start as usize, last_word);
        self.inline_comments(start);
        self.text(&format!(" {symbol} "));
    }

    /// `a, b, c` (the brackets are the caller's).
    fn comma_separated(&mut self, items: &[Expr]) {
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.text(",");
                self.inline_comments(item.span.start as usize);
                self.text(" ");
            }
            self.expr(item);
        }
    }

    /// A template: its text re-escaped, its `{expr}` parts printed in place. No comment
    /// is printed inside it; one written there follows the template.
    pub fn template(&mut self, template: &Template) {
        self.inline_comments(template.span.start as usize);
        let author = author_quote(self.source, template.span.start as usize);
        let texts = template.parts.iter().filter_map(|part| match part {
            TemplatePart::Text(text) => Some(text.as_str()),
            TemplatePart::Expr(_) => None,
        });
        let quote = choose_quote(author, texts);
        let mut text = String::from(quote);
        for part in &template.parts {
            match part {
                TemplatePart::Text(literal) => escape_into(&mut text, literal, quote, true),
                TemplatePart::Expr(expr) => {
                    let mut inner = self.measuring();
                    inner.template_quote = Some(quote);
                    inner.expr(expr);
                    text.push('{');
                    text.push_str(inner.output());
                    text.push('}');
                }
            }
        }
        text.push(quote);
        self.text(&text);
        self.inline_comments(template.span.end as usize);
    }
}
