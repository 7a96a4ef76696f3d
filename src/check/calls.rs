//! Function calls: the signatures of the language's functions, their arguments'
//! types, the lambdas of `any`, `all` and `count`, and the literal patterns of
//! `matches`, compiled here so a bad one is found before any member is read.

use super::exprs::{a, string_literal, unparen, ExprChecker};
use super::types::{suggestion, Type};
use crate::ast::{Expr, ExprKind, Ident};
use crate::diagnostics::{codes, Diagnostic, Span};

/// The functions and how many arguments each takes.
const FUNCTIONS: &[(&str, usize)] = &[
    ("len", 1),
    ("lower", 1),
    ("upper", 1),
    ("starts_with", 2),
    ("ends_with", 2),
    ("matches", 2),
    ("min", 2),
    ("max", 2),
    ("abs", 1),
    ("round", 1),
    ("days", 1),
    ("any", 2),
    ("all", 2),
    ("count", 2),
];

/// The largest compiled pattern `matches` accepts, in bytes.
pub(crate) const REGEX_SIZE_LIMIT: usize = crate::limits::MAX_REGEX_BYTES;

/// What an argument must be.
#[derive(Clone, Copy)]
enum Want {
    Number,
    Text,
    TextOrList,
    Duration,
}

impl Want {
    fn accepts(self, ty: &Type) -> bool {
        ty.is_open()
            || match self {
                Want::Number => ty.is_number(),
                Want::Text => ty.is_text(),
                Want::TextOrList => ty.is_text() || matches!(ty, Type::List(_)),
                Want::Duration => *ty == Type::Duration,
            }
    }

    fn words(self) -> &'static str {
        match self {
            Want::Number => "a number",
            Want::Text => "a string",
            Want::TextOrList => "a list or a string",
            Want::Duration => "a duration",
        }
    }
}

impl ExprChecker<'_, '_, '_> {
    /// The type of `function(args…)`.
    pub fn call(&mut self, function: &Ident, args: &[Expr], span: Span) -> Type {
        let name = function.name.as_str();
        let Some(&(_, arity)) = FUNCTIONS.iter().find(|(n, _)| *n == name) else {
            self.unknown_function(function);
            self.loose_args(args);
            return Type::Unknown;
        };
        if args.len() != arity {
            let plural = if arity == 1 { "" } else { "s" };
            self.cx.push(
                Diagnostic::error(
                    codes::ARITY,
                    format!(
                        "`{name}` takes {arity} argument{plural}, found {}",
                        args.len()
                    ),
                    span,
                )
                .with_label(format!("{} given", args.len()))
                .with_help(format!("write `{}`", usage(name))),
            );
            self.loose_args(args);
            return result_without_args(name);
        }
        match name {
            "any" | "all" | "count" => self.quantifier(name, args),
            "matches" => self.matches(args),
            _ => self.plain(name, args),
        }
    }

    fn unknown_function(&mut self, function: &Ident) {
        let mut diagnostic = Diagnostic::error(
            codes::UNKNOWN_FUNCTION,
            format!("unknown function `{}`", function.name),
            function.span,
        )
        .with_label("no such function");
        diagnostic = match suggestion(&function.name, FUNCTIONS.iter().map(|(n, _)| *n)) {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic.with_help(
                "the functions are `len`, `lower`, `upper`, `starts_with`, `ends_with`, \
                 `matches`, `min`, `max`, `abs`, `round`, `days`, `any`, `all` and `count`",
            ),
        };
        self.cx.push(diagnostic);
    }

    /// Checks arguments of a call that is already wrong, so mistakes inside are found;
    /// a lambda there is not reported as misplaced.
    fn loose_args(&mut self, args: &[Expr]) {
        for arg in args {
            match &unparen(arg).kind {
                ExprKind::Lambda(param, body) => self.lambda_body(param, Type::Unknown, body),
                _ => {
                    self.expr(arg);
                }
            }
        }
    }

    /// Functions of plain values.
    fn plain(&mut self, name: &str, args: &[Expr]) -> Type {
        let types: Vec<Type> = args.iter().map(|arg| self.expr(arg)).collect();
        let wants: &[Want] = match name {
            "len" => &[Want::TextOrList],
            "lower" | "upper" => &[Want::Text],
            "starts_with" | "ends_with" => &[Want::Text, Want::Text],
            "min" | "max" => &[Want::Number, Want::Number],
            "abs" | "round" => &[Want::Number],
            _ => &[Want::Duration],
        };
        let mut fits = true;
        for ((arg, ty), want) in args.iter().zip(&types).zip(wants) {
            if !want.accepts(ty) {
                fits = false;
                self.wrong_argument(name, arg, ty, want.words());
            }
        }
        let first = types.first().cloned().unwrap_or(Type::Unknown);
        match name {
            "len" | "round" | "days" => Type::Int,
            "lower" | "upper" => Type::String,
            "starts_with" | "ends_with" => Type::Bool,
            "abs" if fits && first.is_number() => first,
            "min" | "max" if fits => {
                let second = types.get(1).cloned().unwrap_or(Type::Unknown);
                match (&first, &second) {
                    (Type::Int, Type::Int) => Type::Int,
                    (f, s) if f.is_number() && s.is_number() => Type::Float,
                    _ => Type::Unknown,
                }
            }
            _ => Type::Unknown,
        }
    }

    fn wrong_argument(&mut self, name: &str, arg: &Expr, ty: &Type, wanted: &str) {
        let message = format!(
            "`{name}` needs {wanted}, but {} is {}",
            self.cx.quote(arg.span),
            a(ty)
        );
        self.cx.push(
            Diagnostic::error(codes::TYPE_MISMATCH, message, arg.span)
                .with_label(format!("{ty}"))
                .with_help(format!("write `{}`", usage(name))),
        );
    }

    /// `any(list, x => cond)`, `all(…)`, `count(…)`.
    fn quantifier(&mut self, name: &str, args: &[Expr]) -> Type {
        let result = result_without_args(name);
        let (Some(list), Some(lambda)) = (args.first(), args.get(1)) else {
            return result;
        };
        let list_type = self.expr(list);
        let item = match &list_type {
            Type::List(item) => (**item).clone(),
            Type::Unknown | Type::Null => Type::Unknown,
            other => {
                self.wrong_argument(name, list, other, "a list");
                Type::Unknown
            }
        };
        match &unparen(lambda).kind {
            ExprKind::Lambda(param, body) => self.lambda_body(param, item, body),
            _ => {
                self.expr(lambda);
                self.cx.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("the second argument of `{name}` must be a condition on each item"),
                        lambda.span,
                    )
                    .with_label("not of the form `x => …`")
                    .with_help(format!("write `{}`", usage(name))),
                );
            }
        }
        result
    }

    /// `matches(text, "pattern")`: the pattern must be a literal and must compile.
    fn matches(&mut self, args: &[Expr]) -> Type {
        let (Some(text), Some(pattern)) = (args.first(), args.get(1)) else {
            return Type::Bool;
        };
        let text_type = self.expr(text);
        if !Want::Text.accepts(&text_type) {
            self.wrong_argument("matches", text, &text_type, Want::Text.words());
        }
        let Some(source) = string_literal(pattern) else {
            self.expr(pattern);
            self.cx.push(
                Diagnostic::error(
                    codes::REGEX_NOT_LITERAL,
                    "the pattern of `matches` must be written as a string literal",
                    pattern.span,
                )
                .with_label("not a literal")
                .with_help("patterns are checked before any member is read; write e.g. `matches(city, \"^杭\")`"),
            );
            return Type::Bool;
        };
        if let Err(error) = compile_pattern(source) {
            self.cx.push(
                Diagnostic::error(
                    codes::BAD_REGEX,
                    format!("invalid pattern: {error}"),
                    pattern.span,
                )
                .with_label("does not compile")
                .with_help("the pattern syntax is that of the `regex` crate (no look-around, no back-references)"),
            );
        }
        Type::Bool
    }
}

/// Compiles a `matches` pattern as evaluation will; the error is one plain line.
pub(crate) fn compile_pattern(source: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(limit) => {
                format!("the pattern is too large (over {limit} bytes compiled)")
            }
            regex::Error::Syntax(text) => text
                .lines()
                .rev()
                .find_map(|line| line.strip_prefix("error: "))
                .unwrap_or("the pattern does not compile")
                .to_string(),
            _ => "the pattern does not compile".to_string(),
        })
}

/// The type a function gives whatever its arguments.
fn result_without_args(name: &str) -> Type {
    match name {
        "len" | "round" | "days" | "count" => Type::Int,
        "lower" | "upper" => Type::String,
        "starts_with" | "ends_with" | "matches" | "any" | "all" => Type::Bool,
        _ => Type::Unknown,
    }
}

/// How a function is called, for help lines.
fn usage(name: &str) -> &'static str {
    match name {
        "len" => "len(tags)",
        "lower" => "lower(city)",
        "upper" => "upper(city)",
        "starts_with" => "starts_with(city, \"杭\")",
        "ends_with" => "ends_with(city, \"州\")",
        "matches" => "matches(city, \"^杭\")",
        "min" => "min(orders, 10)",
        "max" => "max(orders, 1)",
        "abs" => "abs(x)",
        "round" => "round(spend)",
        "days" => "days(now - followed_at)",
        "any" => "any(tags, t => t == \"vip\")",
        "all" => "all(tags, t => t != \"blocked\")",
        _ => "count(tags, t => starts_with(t, \"vip\"))",
    }
}
