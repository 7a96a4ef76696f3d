//! The stable diagnostic codes, each declared once below: its variant, its constant
//! (used where a diagnostic is made: `codes::UNKNOWN_FIELD`), the code itself (which
//! names the stage that reports it), and what triggers it. [`Code::ALL`] lists them;
//! every one has an input under `tests/diagnostics/` named after its constant in lower
//! case, and a snapshot of how it is drawn.
//!
//! A new code is one more entry in the table, an input, and `cargo insta review`.

/// Declares the codes: the enum, its table, and a `&str` constant per code.
macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident => $name:ident = $code:literal, )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in the order of the table.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as diagnostics carry it: `siyu::check::unknown_field`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The name of its constant (`UNKNOWN_FIELD`).
            pub const fn constant(self) -> &'static str {
                match self {
                    $(Code::$variant => stringify!($name),)*
                }
            }

            /// What triggers it.
            pub fn doc(self) -> &'static str {
                match self {
                    $(Code::$variant => concat!($($doc, "\n"),*).trim_ascii(),)*
                }
            }

            /// The code spelled `text`, if there is one.
            pub fn named(text: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|code| code.as_str() == text)
            }
        }

        $(
            $(#[doc = $doc])*
            pub const $name: &str = Code::$variant.as_str();
        )*
    };
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every code, in the order of the table.
pub const ALL: &[Code] = Code::ALL;

codes! {
    /// A syntax error: `rule r { when spend >= }`.
    Syntax => SYNTAX = "siyu::syntax::unexpected",
    /// Expressions nested deeper than the limit: `((((…))))` 200 levels deep.
    TooDeep => TOO_DEEP = "siyu::syntax::too_deep",
    /// A playbook larger than the size limit.
    TooLarge => TOO_LARGE = "siyu::syntax::too_large",
    /// A bad literal: `2026-13-40`, `99999999999999999999`, `"\u{zz}"`.
    BadLiteral => BAD_LITERAL = "siyu::syntax::bad_literal",
    /// `include "missing.rules"` when the file does not exist.
    IncludeMissing => INCLUDE_MISSING = "siyu::check::include_missing",
    /// A file that cannot be read as UTF-8 text: a playbook saved as GBK, or an
    /// `include "folder"` that names a folder.
    Unreadable => UNREADABLE = "siyu::check::unreadable_file",
    /// `a.rules` includes `b.rules`, which includes `a.rules`.
    IncludeCycle => INCLUDE_CYCLE = "siyu::check::include_cycle",
    /// A `playbook` declaration inside an included file, or two in one playbook.
    PlaybookDecl => PLAYBOOK_DECL = "siyu::check::playbook_declaration",
    /// No `playbook` declaration in the file that is run.
    NoPlaybook => NO_PLAYBOOK = "siyu::check::no_playbook",
    /// Two declarations of one kind with one name: `rule a {…} rule a {…}`.
    Duplicate => DUPLICATE = "siyu::check::duplicate_name",
    /// A clause given twice in one block: `channel dm { window … window … }`.
    DuplicateClause => DUPLICATE_CLAUSE = "siyu::check::duplicate_clause",
    /// A field the schema does not declare: `when spned > 1`.
    UnknownField => UNKNOWN_FIELD = "siyu::check::unknown_field",
    /// A stage name that does not exist: `stage new_fna`.
    UnknownStage => UNKNOWN_STAGE = "siyu::check::unknown_stage",
    /// A channel name that does not exist: `via dn`.
    UnknownChannel => UNKNOWN_CHANNEL = "siyu::check::unknown_channel",
    /// A rule name that does not exist (in a test): `expect action invit`.
    UnknownRule => UNKNOWN_RULE = "siyu::check::unknown_rule",
    /// A function that does not exist: `lenght(tags)`.
    UnknownFunction => UNKNOWN_FUNCTION = "siyu::check::unknown_function",
    /// A verb that does not exist: `then mail "…"`.
    UnknownVerb => UNKNOWN_VERB = "siyu::check::unknown_verb",
    /// A type name that does not exist: `age: integer`.
    UnknownType => UNKNOWN_TYPE = "siyu::check::unknown_type",
    /// A reason that does not exist: `expect suppressed r reason capped`.
    UnknownReason => UNKNOWN_REASON = "siyu::check::unknown_reason",
    /// A touch verb without a channel: `then send "hi"`.
    MissingVia => MISSING_VIA = "siyu::check::missing_via",
    /// A non-touch verb with a channel: `then tag "vip" via dm`.
    UnexpectedVia => UNEXPECTED_VIA = "siyu::check::unexpected_via",
    /// `stage a otherwise` followed by another stage, or two `otherwise` stages.
    OtherwiseNotLast => OTHERWISE_NOT_LAST = "siyu::check::otherwise_not_last",
    /// `segment a = b` and `segment b = a`.
    SegmentCycle => SEGMENT_CYCLE = "siyu::check::segment_cycle",
    /// A segment named like a schema field.
    SegmentFieldClash => SEGMENT_FIELD_CLASH = "siyu::check::segment_field_clash",
    /// `matches(name, "[")`.
    BadRegex => BAD_REGEX = "siyu::check::bad_regex",
    /// A pattern given as something other than a string literal: `matches(a, b)`.
    RegexNotLiteral => REGEX_NOT_LITERAL = "siyu::check::regex_not_literal",
    /// `window 10:00-10:00`, `window 25:00-26:00`.
    BadWindow => BAD_WINDOW = "siyu::check::bad_window",
    /// A time of day out of range: `at 24:30`.
    BadTime => BAD_TIME = "siyu::check::bad_time",
    /// `cap 0 per 1d`, `cap 1 per 0d`, `holdout 150%`.
    BadNumber => BAD_NUMBER = "siyu::check::bad_number",
    /// `timezone "Mars/Olympus"`.
    BadTimezone => BAD_TIMEZONE = "siyu::check::bad_timezone",
    /// A type mismatch: `spend > "100"`, `not tier` where `tier` is an enum.
    TypeMismatch => TYPE_MISMATCH = "siyu::check::type_mismatch",
    /// A comparison of an enum with a value it cannot take: `tier == "diamond"`.
    UnknownEnumValue => UNKNOWN_ENUM_VALUE = "siyu::check::unknown_enum_value",
    /// A function given the wrong number of arguments: `len(a, b)`.
    Arity => ARITY = "siyu::check::wrong_argument_count",
    /// A lambda outside `any`, `all`, `count`, or a percentage inside an expression.
    Misplaced => MISPLACED = "siyu::check::misplaced",
    /// An unknown name in a test snapshot or expectation.
    BadTest => BAD_TEST = "siyu::check::bad_test",
    /// An experiment whose shares add up to more than 100%, a share of 0%, or a variant
    /// named `none` (the name of being in no variant).
    BadExperiment => BAD_EXPERIMENT = "siyu::check::bad_experiment",
    /// An experiment name that does not exist: `variant first_cupon.big`.
    UnknownExperiment => UNKNOWN_EXPERIMENT = "siyu::check::unknown_experiment",
    /// A variant its experiment does not have: `variant first_coupon.bigg`.
    UnknownVariant => UNKNOWN_VARIANT = "siyu::check::unknown_variant",
    /// A rule with both `stage` and `on enter`: `rule r { stage fan  on enter fan }`.
    StageAndOnEnter => STAGE_AND_ON_ENTER = "siyu::check::stage_and_on_enter",
    /// `stage_days` in a stage's condition (or a segment it uses): the days in the
    /// current stage cannot decide the stage.
    StageDaysInStage => STAGE_DAYS_IN_STAGE = "siyu::check::stage_days_in_stage",
    /// An empty playbook key: `key ""`.
    BadKey => BAD_KEY = "siyu::check::bad_key",
    /// Warning: no `member` block, so nothing is type-checked.
    NoSchema => NO_SCHEMA = "siyu::check::no_schema",
    /// Warning: a rule's quadrant guard never matches this playbook's quadrant.
    QuadrantNever => QUADRANT_NEVER = "siyu::check::quadrant_never_matches",
    /// Warning: a stage that can never be chosen.
    UnreachableStage => UNREACHABLE_STAGE = "siyu::check::unreachable_stage",
    /// Warning: a channel no rule uses.
    UnusedChannel => UNUSED_CHANNEL = "siyu::check::unused_channel",
    /// Warning: a segment nothing uses.
    UnusedSegment => UNUSED_SEGMENT = "siyu::check::unused_segment",
    /// Warning: an experiment no rule's `variant` clause and no `variant(…)` uses.
    UnusedExperiment => UNUSED_EXPERIMENT = "siyu::check::unused_experiment",
    /// Warning: a `group` declared with a cap that no rule's `group` clause names.
    UnusedGroup => UNUSED_GROUP = "siyu::check::unused_group",
    /// `check --deep` warning: proven that no valid snapshot reaches a stage.
    DeepUnreachableStage => DEEP_UNREACHABLE_STAGE = "siyu::deep::unreachable_stage",
    /// `check --deep` warning: proven that no valid snapshot makes a rule a candidate.
    DeepRuleNeverFires => DEEP_RULE_NEVER_FIRES = "siyu::deep::rule_never_fires",
    /// `check --deep` warning: a touch on a channel without `consent` while others have one.
    DeepTouchWithoutConsent => DEEP_TOUCH_WITHOUT_CONSENT = "siyu::deep::touch_without_consent",
    /// `check --deep` warning: an example member is planned more touches on a channel than
    /// its cap allows.
    DeepTouchBudget => DEEP_TOUCH_BUDGET = "siyu::deep::touch_budget",
    /// `check --deep` note: two stages both hold for an example member.
    DeepStageOverlap => DEEP_STAGE_OVERLAP = "siyu::deep::stage_overlap",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_documented_and_name_their_stage() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(code.as_str().starts_with("siyu::"), "{code}");
            assert!(!code.doc().is_empty(), "{code} has no description");
            assert_eq!(Code::named(code.as_str()), Some(*code));
        }
        assert_eq!(UNKNOWN_FIELD, Code::UnknownField.as_str());
    }
}
