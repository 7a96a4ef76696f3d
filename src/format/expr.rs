//! Expressions and templates as printed: spaces around binary operators, the author's
//! parentheses kept, and only the parentheses precedence requires added.
//!
//! The precedence table is the parser's (`src/syntax/expr.rs`): comparisons do not
//! chain, `??` and the arithmetic operators group to the left, and a prefix operator
//! (`not`, `-`) takes as its operand everything that binds tighter than itself, even
//! after a tighter operator (`a + not b == c` is `a + not (b == c)`). So an infix node
//! needs parentheses when it binds looser than its place, and a prefix node when an
//! operator binding tighter than it follows it in the text.

use crate::ast::{BinaryOp, Expr, ExprKind, Template, TemplatePart};

use super::literal::{
    author_quote, choose_quote, datetime_text, duration_text, escape_into, field_text,
    float_text, int_text, number_text, quoted, time_text, written_bare,
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

impl Precedence {
    /// The next tighter level.
    fn tighter(self) -> Precedence {
        use Precedence::*;
        match self {
            Lambda => Or,
            Or => And,
            And => Not,
            Not => Compare,
            Compare => Default,
            Default => Sum,
            Sum => Product,
            Product => Negate,
            Negate => Postfix,
            Postfix | Atom => Atom,
        }
    }
}

/// Where an expression is printed: how tightly the operator on its left binds into it,
/// and the operator that follows it in the text, if any.
#[derive(Debug, Clone, Copy)]
struct Place {
    left: Precedence,
    follows: Option<Precedence>,
}

impl Place {
    /// Alone between brackets, commas or at the end of a clause.
    const ALONE: Place = Place {
        left: Precedence::Lambda,
        follows: None,
    };
}

/// The level of a binary operator.
pub(crate) fn binary_precedence(op: BinaryOp) -> Precedence {
    match op {
        BinaryOp::Or => Precedence::Or,
        BinaryOp::And => Precedence::And,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge => Precedence::Compare,
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
    match expr.kind {
        ExprKind::Not(_) | ExprKind::Neg(_) | ExprKind::Lambda(..) => {
            place.follows.is_some_and(|next| next > own)
        }
        _ => own < place.left,
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
            self.expr_kind(expr, Place::ALONE.follows);
            self.text(")");
        } else {
            self.expr_kind(expr, place.follows);
        }
    }

    /// Prints the expression itself; `follows` is the operator after it in the text.
    fn expr_kind(&mut self, expr: &Expr, follows: Option<Precedence>) {
        let written = self.slice(expr.span.start as usize, expr.span.end as usize);
        let operand = |left: Precedence, follows: Option<Precedence>| Place { left, follows };
        match &expr.kind {
            ExprKind::Int(value) => self.text(&int_text(*value, written)),
            ExprKind::Float(value) => self.text(&float_text(*value, written)),
            ExprKind::Str(value) => {
                let author = author_quote(self.source, expr.span.start as usize);
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
                self.expr_at(base, operand(Precedence::Postfix, Some(Precedence::Postfix)));
                self.inline_comments(field.span.start as usize);
                self.text(".");
                let bare = written_bare(self.source, field.span.start as usize);
                self.text(&field_text(&field.name, bare));
            }
            ExprKind::Index(base, index) => {
                self.expr_at(base, operand(Precedence::Postfix, Some(Precedence::Postfix)));
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
                self.expr_at(body, operand(Precedence::Or, follows));
            }
            ExprKind::Not(inner) => {
                self.text("not ");
                self.expr_at(inner, operand(Precedence::Not, follows));
            }
            ExprKind::Neg(inner) => {
                self.text("-");
                self.expr_at(inner, operand(Precedence::Negate, follows));
            }
            ExprKind::Binary(op, left, right) => {
                let level = binary_precedence(*op);
                // Comparisons do not chain: both sides bind tighter.
                let left_level = if level == Precedence::Compare { level.tighter() } else { level };
                self.expr_at(left, operand(left_level, Some(level)));
                self.operator(op.symbol(), right);
                self.expr_at(right, operand(level.tighter(), follows));
            }
            ExprKind::In {
                needle,
                haystack,
                negated,
            } => {
                let compare = Precedence::Compare;
                self.expr_at(needle, operand(compare.tighter(), Some(compare)));
                self.operator(if *negated { "not in" } else { "in" }, haystack);
                self.expr_at(haystack, operand(compare.tighter(), follows));
            }
            ExprKind::IsNull { operand: inner, negated } => {
                let compare = Precedence::Compare;
                self.expr_at(inner, operand(compare.tighter(), Some(compare)));
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
