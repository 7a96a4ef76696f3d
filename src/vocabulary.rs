//! The language's vocabulary, each list written once: the functions (name, arity,
//! signature, how a call is written, a line of documentation), the action verbs and the
//! keywords. The checker, the compiler, the REPL's completion and colouring, and the
//! reference in `docs/language.md` all read these tables; the evaluator has one arm per
//! function. Adding a function is a row of [`FUNCTIONS`] (with its [`Builtin`]) and its
//! arm in the evaluator. The grammar (`grammar/playbook.pest`) remains the authority on syntax.

use crate::plan::Verb;

/// What an argument of a function must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Arg {
    /// An `int` or a `float`.
    Number,
    /// A `string`.
    Text,
    /// A `string` or a list.
    TextOrList,
    /// A `duration`.
    Duration,
    /// A list.
    List,
    /// A condition on each item of the list: `x => …`.
    Condition,
    /// A string literal: a regular expression, compiled before any member is read.
    Pattern,
    /// The name of an `experiment`.
    Experiment,
}

/// What a function gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Returns {
    /// An `int`.
    Int,
    /// A `string`.
    Text,
    /// A `bool`.
    Bool,
    /// The type of its (numeric) argument.
    SameNumber,
    /// `int` when both arguments are, `float` otherwise.
    WiderNumber,
}

/// Which function a row of [`FUNCTIONS`] is: what the compiler puts in a call and the
/// evaluator dispatches on (one arm each). `matches`, `variant` and the quantifiers are
/// compiled into their own nodes (a compiled pattern, an experiment, a condition per
/// item).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Builtin {
    /// `len`
    Len,
    /// `lower`
    Lower,
    /// `upper`
    Upper,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `matches`
    Matches,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `abs`
    Abs,
    /// `round`
    Round,
    /// `days`
    Days,
    /// `variant`
    Variant,
    /// `any`
    Any,
    /// `all`
    All,
    /// `count`
    Count,
}

/// One function of the expression language.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Function {
    /// Its name.
    pub name: &'static str,
    /// Which function it is, for the compiler and the evaluator.
    pub builtin: Builtin,
    /// What each argument must be (the arity is the length).
    pub args: &'static [Arg],
    /// What it gives.
    pub returns: Returns,
    /// How a call is written, for help lines.
    pub usage: &'static str,
    /// What it does, in one line.
    pub doc: &'static str,
}

impl Function {
    /// How many arguments it takes.
    pub fn arity(&self) -> usize {
        self.args.len()
    }
}

/// The functions, in the order the documentation lists them.
pub const FUNCTIONS: &[Function] = &[
    function(
        "len",
        Builtin::Len,
        &[Arg::TextOrList],
        Returns::Int,
        "len(tags)",
        "the number of characters of a string, or of items of a list",
    ),
    function(
        "lower",
        Builtin::Lower,
        &[Arg::Text],
        Returns::Text,
        "lower(city)",
        "the string in lower case",
    ),
    function(
        "upper",
        Builtin::Upper,
        &[Arg::Text],
        Returns::Text,
        "upper(city)",
        "the string in upper case",
    ),
    function(
        "starts_with",
        Builtin::StartsWith,
        &[Arg::Text, Arg::Text],
        Returns::Bool,
        "starts_with(city, \"杭\")",
        "whether the first string starts with the second",
    ),
    function(
        "ends_with",
        Builtin::EndsWith,
        &[Arg::Text, Arg::Text],
        Returns::Bool,
        "ends_with(city, \"州\")",
        "whether the first string ends with the second",
    ),
    function(
        "matches",
        Builtin::Matches,
        &[Arg::Text, Arg::Pattern],
        Returns::Bool,
        "matches(city, \"^杭\")",
        "whether the regular expression (a string literal) matches somewhere in the string",
    ),
    function(
        "min",
        Builtin::Min,
        &[Arg::Number, Arg::Number],
        Returns::WiderNumber,
        "min(orders, 10)",
        "the smaller of two numbers",
    ),
    function(
        "max",
        Builtin::Max,
        &[Arg::Number, Arg::Number],
        Returns::WiderNumber,
        "max(orders, 1)",
        "the larger of two numbers",
    ),
    function(
        "abs",
        Builtin::Abs,
        &[Arg::Number],
        Returns::SameNumber,
        "abs(x)",
        "the number without its sign",
    ),
    function(
        "round",
        Builtin::Round,
        &[Arg::Number],
        Returns::Int,
        "round(spend)",
        "the nearest integer, halves away from zero",
    ),
    function(
        "days",
        Builtin::Days,
        &[Arg::Duration],
        Returns::Int,
        "days(now - followed_at)",
        "the whole days in a duration, rounded toward zero",
    ),
    function(
        "variant",
        Builtin::Variant,
        &[Arg::Experiment],
        Returns::Text,
        "variant(first_coupon)",
        "the member's variant of an experiment, or `\"none\"` when in none of its variants",
    ),
    function(
        "any",
        Builtin::Any,
        &[Arg::List, Arg::Condition],
        Returns::Bool,
        "any(tags, t => t == \"vip\")",
        "whether the condition holds for some item of the list",
    ),
    function(
        "all",
        Builtin::All,
        &[Arg::List, Arg::Condition],
        Returns::Bool,
        "all(tags, t => t != \"blocked\")",
        "whether the condition holds for every item of the list",
    ),
    function(
        "count",
        Builtin::Count,
        &[Arg::List, Arg::Condition],
        Returns::Int,
        "count(tags, t => starts_with(t, \"vip\"))",
        "how many items of the list the condition holds for",
    ),
];

const fn function(
    name: &'static str,
    builtin: Builtin,
    args: &'static [Arg],
    returns: Returns,
    usage: &'static str,
    doc: &'static str,
) -> Function {
    Function {
        name,
        builtin,
        args,
        returns,
        usage,
        doc,
    }
}

/// The function named `name`.
pub fn function_named(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

/// The function names, in order.
pub fn function_names() -> impl Iterator<Item = &'static str> + Clone {
    FUNCTIONS.iter().map(|function| function.name)
}

/// The verbs of a `then` action, touches first.
pub const VERBS: [Verb; 7] = Verb::ALL;

/// Declaration keywords: an input starting with one (followed by a name, a string or a
/// block) is a declaration.
pub const DECLARATION_KEYWORDS: [&str; 11] = [
    "playbook",
    "include",
    "member",
    "channel",
    "segment",
    "stage",
    "rule",
    "policy",
    "test",
    "experiment",
    "group",
];

/// Clause keywords.
pub const CLAUSE_KEYWORDS: [&str; 25] = [
    "quadrant",
    "online",
    "frequency",
    "high",
    "low",
    "timezone",
    "consent",
    "window",
    "cap",
    "per",
    "when",
    "otherwise",
    "then",
    "via",
    "at",
    "with",
    "priority",
    "group",
    "max_touches",
    "holdout",
    "variant",
    "key",
    "on",
    "enter",
    "since",
];

/// The member's stage at the latest earlier run, as the ledger remembers it (a string,
/// or null when the member was never seen or there is no ledger).
pub const PREVIOUS_STAGE: &str = "previous_stage";
/// The whole days since the member entered its current stage (0 on the day it
/// entered; null without a ledger).
pub const STAGE_DAYS: &str = "stage_days";
/// The names an expression may read from the ledger.
pub const HISTORY_NAMES: [&str; 2] = [PREVIOUS_STAGE, STAGE_DAYS];

/// Words reserved inside expressions.
pub const EXPRESSION_KEYWORDS: [&str; 11] = [
    "and", "or", "not", "in", "is", "null", "true", "false", "now", "today", "member",
];

/// The keywords of a `test` block.
pub const TEST_KEYWORDS: [&str; 8] = [
    "as_of",
    "expect",
    "action",
    "no",
    "suppressed",
    "reason",
    "invalid",
    "previous",
];
