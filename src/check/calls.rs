//! Function calls: the signatures of the language's functions, their arguments'
//! types, the lambdas of `any`, `all` and `count`, and the literal patterns of
//! `matches`, compiled here so a bad one is found before any member is read.

use super::exprs::{a, string_literal, unparen, ExprChecker};
use super::types::{suggestion, Type};
use crate::ast::{Expr, ExprKind, Ident};
use crate::diagnostics::{codes, Diagnostic, Span};
use crate::vocabulary::{self, Arg, Function, Returns};


/// The largest compiled pattern `matches` accepts, in bytes.
pub(crate) const REGEX_SIZE_LIMIT: usize = crate::limits::MAX_REGEX_BYTES;

/// Whether a value of type `ty` may be passed where `arg` is wanted.
fn accepts(arg: Arg, ty: &Type) -> bool {
    ty.is_open()
        || match arg {
            Arg::Number => ty.is_number(),
            Arg::Text | Arg::Pattern => ty.is_text(),
            Arg::TextOrList => ty.is_text() || matches!(ty, Type::List(_)),
            Arg::Duration => *ty == Type::Duration,
            Arg::List => matches!(ty, Type::List(_)),
            Arg::Condition | Arg::Experiment => true,
        }
}

/// What is wanted, in words.
fn words(arg: Arg) -> &'static str {
    match arg {
        Arg::Number => "a number",
        Arg::Text | Arg::Pattern => "a string",
        Arg::TextOrList => "a list or a string",
        Arg::Duration => "a duration",
        Arg::List => "a list",
        _ => "a condition",
    }
}

impl ExprChecker<'_, '_, '_> {
    /// The type of `function(args…)`.
    pub fn call(&mut self, function: &Ident, args: &[Expr], span: Span) -> Type {
        let name = function.name.as_str();
        let Some(signature) = vocabulary::function_named(name) else {
            self.unknown_function(function);
            self.loose_args(args);
            return Type::Unknown;
        };
        let arity = signature.arity();
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
            return result_without_args(signature);
        }
        match signature.args {
            [Arg::List, Arg::Condition] => self.quantifier(signature, args),
            [_, Arg::Pattern] => self.matches(args),
            [Arg::Experiment] => self.variant(args),
            _ => self.plain(signature, args),
        }
    }

    fn unknown_function(&mut self, function: &Ident) {
        let mut diagnostic = Diagnostic::error(
            codes::UNKNOWN_FUNCTION,
            format!("unknown function `{}`", function.name),
            function.span,
        )
        .with_label("no such function");
        diagnostic = match suggestion(&function.name, vocabulary::function_names()) {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic.with_help(format!("the functions are {}", every_function())),
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
    fn plain(&mut self, signature: &Function, args: &[Expr]) -> Type {
        let name = signature.name;
        let types: Vec<Type> = args.iter().map(|arg| self.expr(arg)).collect();
        let mut fits = true;
        for ((arg, ty), want) in args.iter().zip(&types).zip(signature.args) {
            if !accepts(*want, ty) {
                fits = false;
                self.wrong_argument(name, arg, ty, words(*want));
            }
        }
        let first = types.first().cloned().unwrap_or(Type::Unknown);
        match signature.returns {
            Returns::Int => Type::Int,
            Returns::Text => Type::String,
            Returns::Bool => Type::Bool,
            Returns::SameNumber if fits && first.is_number() => first,
            Returns::WiderNumber if fits => {
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
    fn quantifier(&mut self, signature: &Function, args: &[Expr]) -> Type {
        let name = signature.name;
        let result = result_without_args(signature);
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
    /// `variant(EXP)`: the argument names an experiment.
    fn variant(&mut self, args: &[Expr]) -> Type {
        match args.first().map(|a| (&a.kind, a.span)) {
            Some((ExprKind::Name(name), span)) => {
                let ident = Ident {
                    name: name.clone(),
                    span,
                };
                use super::experiments::{experiment_name, Place};
                experiment_name(&ident, Place::Playbook, self.names, self.cx);
            }
            Some((_, span)) => self.cx.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "`variant` takes the name of an experiment",
                    span,
                )
                .with_label("not an experiment's name")
                .with_help("write the experiment's name: `variant(first_coupon)`"),
            ),
            None => {}
        }
        Type::String
    }

    fn matches(&mut self, args: &[Expr]) -> Type {
        let (Some(text), Some(pattern)) = (args.first(), args.get(1)) else {
            return Type::Bool;
        };
        let text_type = self.expr(text);
        if !accepts(Arg::Text, &text_type) {
            self.wrong_argument("matches", text, &text_type, words(Arg::Text));
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
fn result_without_args(signature: &Function) -> Type {
    match signature.returns {
        Returns::Int => Type::Int,
        Returns::Text => Type::String,
        Returns::Bool => Type::Bool,
        _ => Type::Unknown,
    }
}

/// How a function is called, for help lines.
fn usage(name: &str) -> &'static str {
    vocabulary::function_named(name).map_or("", |function| function.usage)
}

/// "`len`, `lower`, … and `count`".
fn every_function() -> String {
    let names: Vec<String> = vocabulary::function_names()
        .map(|name| format!("`{name}`"))
        .collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}
