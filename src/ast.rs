//! The syntax tree of a playbook: plain data with byte spans, nothing clever.
//!
//! The parser (`syntax`) builds it, the checker (`check`) reads it, the compiler
//! (`compile`) turns it into what evaluation runs, and the formatter (`format`) prints
//! it back. Clauses keep the order in which they were written, duplicates included, so
//! that the checker can report them and the formatter can keep the author's order.

use crate::diagnostics::Span;

/// A name as written, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name, without quotes.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal with its escapes resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    /// The text after escapes are resolved.
    pub value: String,
    /// The literal, quotes included.
    pub span: Span,
}

/// One parsed file: its declarations in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The declarations in the order they were written.
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `playbook "name" { … }`
    Playbook(PlaybookDecl),
    /// `include "path.rules"`
    Include(Include),
    /// `member { … }`
    Member(MemberDecl),
    /// `channel name "label" { … }`
    Channel(ChannelDecl),
    /// `segment name = EXPR`
    Segment(SegmentDecl),
    /// `stage name "label" when EXPR | otherwise`
    Stage(StageDecl),
    /// `rule name "label" { … }`
    Rule(RuleDecl),
    /// `experiment name "label" { variant NAME P% … }`
    Experiment(ExperimentDecl),
    /// `group name "label" { cap N per DURATION }`
    Group(GroupDecl),
    /// `policy { … }`
    Policy(PolicyDecl),
    /// `test "name" { … }`
    Test(TestDecl),
}

impl Item {
    /// The span of the whole declaration.
    pub fn span(&self) -> Span {
        match self {
            Item::Playbook(d) => d.span,
            Item::Include(d) => d.span,
            Item::Member(d) => d.span,
            Item::Channel(d) => d.span,
            Item::Segment(d) => d.span,
            Item::Stage(d) => d.span,
            Item::Rule(d) => d.span,
            Item::Policy(d) => d.span,
            Item::Test(d) => d.span,
            Item::Experiment(d) => d.span,
            Item::Group(d) => d.span,
        }
    }
}

/// `playbook "name" { quadrant …  timezone "…" }`
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookDecl {
    /// The playbook's name (it seeds the holdout hash).
    pub name: StrLit,
    /// The clauses in source order.
    pub clauses: Vec<PlaybookClause>,
    /// The whole declaration.
    pub span: Span,
}

/// A clause of the `playbook` block.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaybookClause {
    /// `quadrant online high, frequency high`
    Quadrant(QuadrantSpec),
    /// `timezone "+08:00"`
    Timezone(StrLit),
    /// `key "lumi-2026"` (the span covers the clause)
    Key(StrLit, Span),
}

/// High or low, on one of the two quadrant axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Level {
    /// `high`
    High,
    /// `low`
    Low,
}

/// A quadrant: either axis may be left out (a rule's guard often names one).
#[derive(Debug, Clone, PartialEq)]
pub struct QuadrantSpec {
    /// `online high|low` (线上化程度).
    pub online: Option<(Level, Span)>,
    /// `frequency high|low` (消费频次).
    pub frequency: Option<(Level, Span)>,
    /// The whole clause, keyword included.
    pub span: Span,
}

/// `include "path.rules"`
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// The path, relative to the including file.
    pub path: StrLit,
    /// The whole declaration.
    pub span: Span,
}

/// `member { field: type, … }`: the snapshot schema.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberDecl {
    /// The declared fields in source order.
    pub fields: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `name: type` in a `member` block or a nested object type.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// The field's name (a string key is allowed too; its value is the name).
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// The whole field declaration.
    pub span: Span,
}

/// A type in the `member` block.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    /// What kind of type.
    pub kind: TypeKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of type a schema may declare.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// `int`
    Int,
    /// `float` (an `int` is accepted too)
    Float,
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `date`, from a `YYYY-MM-DD` string
    Date,
    /// `datetime`, from an RFC 3339 string
    DateTime,
    /// `[T]`
    List(Box<TypeExpr>),
    /// `{ f: T, … }`
    Object(Vec<FieldDecl>),
    /// `"a" | "b"`: a string enum
    Enum(Vec<StrLit>),
    /// `T?`: may be null or missing
    Optional(Box<TypeExpr>),
    /// A name that is not a known type, kept so the checker can report it.
    Unknown(String),
}

/// `channel name "label" { consent EXPR  window HH:MM-HH:MM  cap N per D }`
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDecl {
    /// The channel's name, used after `via`.
    pub name: Ident,
    /// The optional label (defaults to the name).
    pub label: Option<StrLit>,
    /// The clauses in source order.
    pub clauses: Vec<ChannelClause>,
    /// The whole declaration.
    pub span: Span,
}

/// A clause of a `channel` block.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelClause {
    /// `consent EXPR`: what must be true before a touch on this channel.
    Consent(Expr),
    /// `window HH:MM-HH:MM`
    Window(Window),
    /// `cap N per DURATION`
    Cap(Cap),
}

/// A time of day as written (`19:30`); the checker validates the ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    /// Hour as written (valid: 0 to 23).
    pub hour: u32,
    /// Minute as written (valid: 0 to 59).
    pub minute: u32,
    /// Where it was written.
    pub span: Span,
}

/// `HH:MM-HH:MM`: includes its start, excludes its end, may cross midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Opening time.
    pub start: TimeOfDay,
    /// Closing time (`00:00` is midnight).
    pub end: TimeOfDay,
    /// The clause, keyword included.
    pub span: Span,
}

/// The unit a duration was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`
    Days,
    /// `w`
    Weeks,
}

impl DurationUnit {
    /// How many seconds one unit is.
    pub fn seconds(self) -> i64 {
        match self {
            DurationUnit::Seconds => 1,
            DurationUnit::Minutes => 60,
            DurationUnit::Hours => 3_600,
            DurationUnit::Days => 86_400,
            DurationUnit::Weeks => 604_800,
        }
    }

    /// The suffix used in the language.
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Seconds => "s",
            DurationUnit::Minutes => "m",
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
            DurationUnit::Weeks => "w",
        }
    }
}

/// A duration literal (`7d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationLit {
    /// The number as written.
    pub amount: i64,
    /// The unit as written.
    pub unit: DurationUnit,
    /// Where it was written.
    pub span: Span,
}

impl DurationLit {
    /// The length in seconds (saturating).
    pub fn seconds(&self) -> i64 {
        self.amount.saturating_mul(self.unit.seconds())
    }
}

/// `cap N per DURATION` (also `max_touches N per DURATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// At most this many touches …
    pub count: i64,
    /// … within this window before the as-of time.
    pub per: DurationLit,
    /// The clause, keyword included.
    pub span: Span,
}

/// `segment name = EXPR`
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDecl {
    /// The segment's name.
    pub name: Ident,
    /// Its condition.
    pub condition: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `stage name "label" when EXPR` or `stage name "label" otherwise`
#[derive(Debug, Clone, PartialEq)]
pub struct StageDecl {
    /// The stage's name.
    pub name: Ident,
    /// The optional label.
    pub label: Option<StrLit>,
    /// `when EXPR` or `otherwise`.
    pub condition: StageCondition,
    /// The whole declaration.
    pub span: Span,
}

/// How a stage admits a member.
#[derive(Debug, Clone, PartialEq)]
pub enum StageCondition {
    /// `when EXPR`
    When(Expr),
    /// `otherwise` (the span of the keyword)
    Otherwise(Span),
}

/// `rule name "label" { clauses }`
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    /// The rule's name.
    pub name: Ident,
    /// The optional label.
    pub label: Option<StrLit>,
    /// The clauses in source order.
    pub clauses: Vec<RuleClause>,
    /// The whole declaration.
    pub span: Span,
}

/// A clause of a `rule` block.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleClause {
    /// `stage s1, s2` (the span covers the clause)
    Stage(Vec<Ident>, Span),
    /// `quadrant online low`
    Quadrant(QuadrantSpec),
    /// `when EXPR`
    When(Expr),
    /// `then VERB "template" [via C] [at HH:MM] [with { … }]`
    Then(Action),
    /// `priority N` (the span covers the clause)
    Priority(i64, Span),
    /// `cap N per DURATION`
    Cap(Cap),
    /// `group NAME` (the span covers the clause)
    Group(Ident, Span),
    /// `variant EXP.VARIANT, …`: only members assigned to one of these variants.
    Variant(Vec<VariantRef>, Span),
    /// `on enter s1, s2`: only in the run where the member enters one of these stages
    /// (the span covers the clause).
    OnEnter(Vec<Ident>, Span),
}

/// `group name "label" { cap N per DURATION }`: an exclusive group's cap over runs.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDecl {
    /// The group's name, as rules name it in their `group` clause.
    pub name: Ident,
    /// The optional label.
    pub label: Option<StrLit>,
    /// The `cap` clauses in source order (one is allowed; the checker reports more).
    pub caps: Vec<Cap>,
    /// The whole declaration.
    pub span: Span,
}

/// `first_coupon.big` in a `variant` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRef {
    /// The experiment.
    pub experiment: Ident,
    /// The variant of it.
    pub variant: Ident,
    /// Both names and the dot.
    pub span: Span,
}

/// `experiment name "label" { variant NAME P% … }`: an A/B split.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentDecl {
    /// The experiment's name (it seeds the assignment hash).
    pub name: Ident,
    /// The optional label.
    pub label: Option<StrLit>,
    /// The variants in declaration order.
    pub variants: Vec<VariantDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `variant big 50%`
#[derive(Debug, Clone, PartialEq)]
pub struct VariantDecl {
    /// The variant's name.
    pub name: Ident,
    /// Its share, in percent as written (`50` for `50%`).
    pub share: f64,
    /// The percentage as written.
    pub share_span: Span,
    /// The whole clause.
    pub span: Span,
}

/// One `then` action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The verb as written (`send`, `tag`, …); the checker validates it.
    pub verb: Ident,
    /// The message or label, with `{expr}` interpolation.
    pub template: Template,
    /// `via CHANNEL`
    pub via: Option<Ident>,
    /// `at HH:MM`
    pub at: Option<TimeOfDay>,
    /// `with { key: EXPR, … }`: the action's args, in source order.
    pub with: Vec<(Ident, Expr)>,
    /// The whole clause, `then` included.
    pub span: Span,
}

/// A string with `{expr}` interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Literal text and expressions, in order.
    pub parts: Vec<TemplatePart>,
    /// The literal, quotes included.
    pub span: Span,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text, escapes and `{{`/`}}` already resolved.
    Text(String),
    /// `{expr}`
    Expr(Expr),
}

/// `policy { max_touches N per DURATION  holdout P% }`
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDecl {
    /// The clauses in source order.
    pub clauses: Vec<PolicyClause>,
    /// The whole declaration.
    pub span: Span,
}

/// A clause of the `policy` block.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyClause {
    /// `max_touches N per DURATION`
    MaxTouches(Cap),
    /// `holdout P%` (the percentage as written, and the clause's span)
    Holdout(f64, Span),
}

/// `test "name" { … }`
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// The test's name.
    pub name: StrLit,
    /// The clauses in source order.
    pub clauses: Vec<TestClause>,
    /// The whole declaration.
    pub span: Span,
}

/// A clause of a `test` block.
#[derive(Debug, Clone, PartialEq)]
pub enum TestClause {
    /// `as_of DATETIME`
    AsOf(DateTimeLit),
    /// `member { … }`: a snapshot literal.
    Member(DataValue),
    /// `expect stage NAME` (`None` for `expect stage null`)
    ExpectStage(Option<Ident>, Span),
    /// `expect action RULE [via CHANNEL] [at HH:MM]`
    ExpectAction {
        /// The rule that must have a planned action.
        rule: Ident,
        /// The channel the action must use.
        via: Option<Ident>,
        /// The local time the action must be planned at.
        at: Option<TimeOfDay>,
        /// The clause.
        span: Span,
    },
    /// `expect no action RULE`
    ExpectNoAction(Ident, Span),
    /// `expect suppressed RULE reason REASON`
    ExpectSuppressed {
        /// The rule that must have a suppression.
        rule: Ident,
        /// The reason as written; the checker validates it.
        reason: Ident,
        /// The clause.
        span: Span,
    },
    /// `expect holdout true|false`
    ExpectHoldout(bool, Span),
    /// `expect invalid`
    ExpectInvalid(Span),
    /// `previous stage STAGE [since DATETIME]`: the member's stage at the latest earlier
    /// run (`None` for `previous stage null`), and since when it was in it.
    PreviousStage {
        /// The stage, or `None` for `null`.
        stage: Option<Ident>,
        /// When the member entered it.
        since: Option<DateTimeLit>,
        /// The whole clause.
        span: Span,
    },
    /// `expect variant EXP VARIANT`
    ExpectVariant {
        /// The experiment.
        experiment: Ident,
        /// The variant expected (`none` for no variant).
        variant: Ident,
        /// The whole clause.
        span: Span,
    },
}

/// A date-time literal in RFC 3339 (`2026-11-25T09:00:00+08:00`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateTimeLit {
    /// The instant.
    pub timestamp: jiff::Timestamp,
    /// The offset it was written with.
    pub offset: jiff::tz::Offset,
    /// Where it was written.
    pub span: Span,
}

/// A data literal (a test's snapshot): JSON-like, keys as names or strings.
#[derive(Debug, Clone, PartialEq)]
pub struct DataValue {
    /// The value.
    pub kind: DataKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of data literal.
#[derive(Debug, Clone, PartialEq)]
pub enum DataKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer (a leading `-` allowed).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (dates and date-times are written as strings, as in JSON).
    Str(String),
    /// `[ … ]`
    List(Vec<DataValue>),
    /// `{ key: value, … }`
    Object(Vec<(Ident, DataValue)>),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// Binary operators, in the language's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `??`
    Default,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl BinaryOp {
    /// The operator as written in a playbook.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Default => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `42`, `10_000`
    Int(i64),
    /// `3.5`
    Float(f64),
    /// `"text"` or `'text'`
    Str(String),
    /// `true` / `false`
    Bool(bool),
    /// `null`
    Null,
    /// `30m`, `7d`
    Duration(DurationLit),
    /// `2026-11-25`
    Date(jiff::civil::Date),
    /// `2026-11-25T09:00:00+08:00`
    DateTime(DateTimeLit),
    /// `19:30`
    Time(TimeOfDay),
    /// `5%` (only where a clause asks for one; the checker rejects it elsewhere)
    Percent(f64),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// A bare name: a segment if one has that name, else a member field, else a lambda
    /// parameter in scope.
    Name(String),
    /// `member.x`: always the field.
    MemberField(Ident),
    /// `now`
    Now,
    /// `today`
    Today,
    /// `a.b`
    Field(Box<Expr>, Ident),
    /// `a[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `f(x, y)`
    Call(Ident, Vec<Expr>),
    /// `x => cond`, only as an argument of `any`, `all`, `count`.
    Lambda(Ident, Box<Expr>),
    /// `not x`
    Not(Box<Expr>),
    /// `-x`
    Neg(Box<Expr>),
    /// `a OP b`
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x in list` (`negated`: `x not in list`)
    In {
        /// The value looked for.
        needle: Box<Expr>,
        /// The list or string looked in.
        haystack: Box<Expr>,
        /// `not in`
        negated: bool,
    },
    /// `x is null` (`negated`: `x is not null`)
    IsNull {
        /// The value tested.
        operand: Box<Expr>,
        /// `is not null`
        negated: bool,
    },
    /// `( x )`: kept so the formatter can keep the author's parentheses.
    Paren(Box<Expr>),
}

/// A comment, kept beside the tree (not in it) so the formatter can put it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The whole comment, `//` or `/*`…`*/` included.
    pub text: String,
    /// `/* … */` rather than `// …`.
    pub block: bool,
    /// Where it was written.
    pub span: Span,
}
