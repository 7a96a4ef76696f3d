//! The line editor's helper: Tab completion (commands, keywords, functions, and the
//! session's fields, segments, stages, rules, channels, experiments (and their variants
//! after `EXP.`) and member ids; file names after
//! `:load` and `:members`), hints (the rest of a unique name, a command's argument),
//! colouring by token, and the validator that keeps a bracket or block open across
//! lines.

use std::borrow::Cow;
use std::collections::BTreeSet;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;
use siyu::vocabulary;

use super::commands::{self, Argument};
use super::input::{self, TokenKind};
use super::session::Session;

/// The names completion offers, taken from the session after each input.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Top-level fields.
    pub fields: Vec<String>,
    /// Nested fields as dotted paths (`consent.dm`), and each experiment's variants
    /// (`first_coupon.minus20`).
    pub paths: Vec<String>,
    /// Segment names.
    pub segments: Vec<String>,
    /// Stage names.
    pub stages: Vec<String>,
    /// Rule names.
    pub rules: Vec<String>,
    /// Channel names.
    pub channels: Vec<String>,
    /// Experiment names.
    pub experiments: Vec<String>,
    /// Member ids.
    pub members: Vec<String>,
}

impl Vocabulary {
    /// The names of the session's playbook and members.
    pub fn of(session: &Session) -> Vocabulary {
        let playbook = session.playbook();
        let owned = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_string).collect();
        let mut paths = session.state().nested_field_paths();
        let mut experiments = Vec::new();
        for (experiment, _) in playbook.experiment_labels() {
            experiments.push(experiment.to_string());
            let variants = playbook.variants(experiment);
            paths.extend(variants.map(|(variant, _)| format!("{experiment}.{variant}")));
        }
        Vocabulary {
            fields: owned(&mut playbook.fields()),
            paths,
            segments: owned(&mut playbook.segments()),
            stages: owned(&mut playbook.stages()),
            rules: owned(&mut playbook.rules()),
            channels: owned(&mut playbook.channels()),
            experiments,
            members: owned(&mut session.members().ids()),
        }
    }

    /// Every name an expression or declaration may use here, with the keywords.
    fn words(&self) -> BTreeSet<&str> {
        let keywords = vocabulary::DECLARATION_KEYWORDS
            .iter()
            .chain(&vocabulary::CLAUSE_KEYWORDS)
            .chain(&vocabulary::EXPRESSION_KEYWORDS)
            .copied()
            .chain(vocabulary::VERBS.into_iter().map(siyu::Verb::name))
            .chain(vocabulary::function_names());
        let names = [
            &self.fields,
            &self.segments,
            &self.stages,
            &self.rules,
            &self.channels,
            &self.experiments,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str);
        let mut words: BTreeSet<&str> = keywords.collect();
        words.extend(names);
        words
    }
}

/// The editor's helper.
pub struct ReplHelper {
    /// What completion offers.
    pub vocabulary: Vocabulary,
    colour: bool,
    files: FilenameCompleter,
}

impl ReplHelper {
    /// A helper; `colour` turns colouring on.
    pub fn new(vocabulary: Vocabulary, colour: bool) -> Self {
        ReplHelper {
            vocabulary,
            colour,
            files: FilenameCompleter::new(),
        }
    }

    /// The candidates for the word ending at `pos`, with where it starts.
    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        if input::classify(line) == input::Kind::Command && !before.contains('\n') {
            return self.command_candidates(before);
        }
        let start = word_start(before);
        let word = &before[start..];
        if let Some(dot) = word.rfind('.') {
            let wanted = &word[..=dot];
            let names = self
                .vocabulary
                .paths
                .iter()
                .filter(|path| path.starts_with(word) && path.len() > wanted.len())
                .filter(|path| !path[wanted.len()..].contains('.'))
                .map(|path| path[wanted.len()..].to_string())
                .collect();
            return (start + dot + 1, names);
        }
        let (pool, narrowed): (Vec<&str>, bool) = match previous_word(before, start) {
            Some("via") => (
                self.vocabulary
                    .channels
                    .iter()
                    .map(String::as_str)
                    .collect(),
                true,
            ),
            Some("stage") => (
                self.vocabulary.stages.iter().map(String::as_str).collect(),
                true,
            ),
            Some("variant") => (
                self.vocabulary
                    .experiments
                    .iter()
                    .map(String::as_str)
                    .collect(),
                true,
            ),
            _ => (self.vocabulary.words().into_iter().collect(), false),
        };
        let names = pool
            .into_iter()
            .filter(|name| name.starts_with(word) && (narrowed || !word.is_empty()))
            .map(str::to_string)
            .collect();
        (start, names)
    }

    /// Candidates in a `:command` line: command names, then its argument.
    fn command_candidates(&self, before: &str) -> (usize, Vec<String>) {
        let Some(colon) = before.find(':') else {
            return (before.len(), Vec::new());
        };
        let body = &before[colon + 1..];
        let Some(space) = body.find(char::is_whitespace) else {
            let names = commands::COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(body))
                .map(|c| format!(":{}", c.name))
                .collect();
            return (colon, names);
        };
        let Some(command) = commands::find(&body[..space]) else {
            return (before.len(), Vec::new());
        };
        let argument_start =
            colon + 1 + space + (body[space..].len() - body[space..].trim_start().len());
        let typed = &before[argument_start..];
        let pool: Vec<&str> = match command.argument {
            Argument::Member => self.vocabulary.members.iter().map(String::as_str).collect(),
            Argument::Name => self.vocabulary.words().into_iter().collect(),
            Argument::DateTime => vec!["now"],
            Argument::None | Argument::File => Vec::new(),
        };
        let names = pool
            .into_iter()
            .filter(|name| name.starts_with(typed))
            .map(str::to_string)
            .collect();
        (argument_start, names)
    }

    fn colour_token(&self, kind: TokenKind, text: &str) -> Option<&'static str> {
        match kind {
            TokenKind::Command => Some("36"),
            TokenKind::Str { .. } => Some("32"),
            TokenKind::Number => Some("33"),
            TokenKind::Comment { .. } => Some("2"),
            TokenKind::Word
                if is_keyword(text) && !self.vocabulary.fields.iter().any(|f| f == text) =>
            {
                Some("35")
            }
            _ => None,
        }
    }
}

/// Where the word (letters, digits, `_`, `.`) before the cursor starts.
fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .find(|(_, c)| !(input::is_word_char(*c) || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The word before the one being completed, skipping spaces and commas (so that
/// `stage new_fan, act` completes a stage), but not across other names.
fn previous_word(before: &str, start: usize) -> Option<&str> {
    let tokens = input::scan(&before[..start]);
    let mut significant = tokens
        .iter()
        .rev()
        .filter(|t| t.kind != TokenKind::Space)
        .map(|t| (t.kind, &before[t.start..t.end]));
    let mut previous = significant.next()?;
    // `stage a, b, c`: walk back over `name ,` pairs.
    while previous.1 == "," {
        let (kind, _) = significant.next()?;
        if kind != TokenKind::Word {
            return None;
        }
        previous = significant.next()?;
    }
    (previous.0 == TokenKind::Word).then_some(previous.1)
}

fn is_keyword(word: &str) -> bool {
    vocabulary::DECLARATION_KEYWORDS.contains(&word)
        || vocabulary::CLAUSE_KEYWORDS.contains(&word)
        || vocabulary::EXPRESSION_KEYWORDS.contains(&word)
        || vocabulary::VERBS.iter().any(|verb| verb.name() == word)
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        context: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let _ = context;
        let (name, _) = input::split_command(line);
        let file_argument = input::classify(line) == input::Kind::Command
            && commands::find(name).is_some_and(|c| c.argument == Argument::File)
            && line[..pos].trim_start().contains(char::is_whitespace);
        if file_argument {
            return self.files.complete_path(line, pos);
        }
        let (start, names) = self.candidates(line, pos);
        let pairs = names
            .into_iter()
            .map(|name| Pair {
                display: name.clone(),
                replacement: name,
            })
            .collect();
        Ok((start, pairs))
    }
}

/// A hint shown after the cursor: the rest of a name (Right arrow takes it), or what a
/// command expects.
pub struct ReplHint {
    display: String,
    completion: Option<String>,
}

impl Hint for ReplHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Hinter for ReplHelper {
    type Hint = ReplHint;

    fn hint(&self, line: &str, pos: usize, _context: &Context<'_>) -> Option<ReplHint> {
        if pos < line.len() || line.trim().is_empty() {
            return None;
        }
        if input::classify(line) == input::Kind::Command {
            let (name, argument) = input::split_command(line);
            let command = commands::find(name)?;
            if argument.is_empty() && !command.usage.is_empty() && line.ends_with(name) {
                return Some(ReplHint {
                    display: format!(" {}", command.usage),
                    completion: None,
                });
            }
        }
        let (start, names) = self.candidates(line, pos);
        let typed = pos - start;
        match names.as_slice() {
            [only] if typed >= 2 && only.len() > typed => {
                let rest = only.get(typed..)?.to_string();
                Some(ReplHint {
                    display: rest.clone(),
                    completion: Some(rest),
                })
            }
            _ => None,
        }
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        let mut out = String::with_capacity(line.len() + 32);
        for token in input::scan(line) {
            let text = &line[token.start..token.end];
            match self.colour_token(token.kind, text) {
                Some(code) => {
                    out.push_str("\x1b[");
                    out.push_str(code);
                    out.push('m');
                    out.push_str(text);
                    out.push_str("\x1b[0m");
                }
                None => out.push_str(text),
            }
        }
        Cow::Owned(out)
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if self.colour && default {
            Cow::Owned(format!("\x1b[1;34m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

impl Validator for ReplHelper {
    fn validate(&self, context: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if input::is_complete(context.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl rustyline::Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ReplHelper {
        let vocabulary = Vocabulary {
            fields: vec!["days_since_follow".into(), "consent".into(), "spend".into()],
            paths: vec![
                "consent.dm".into(),
                "consent.wecom".into(),
                "first_coupon.minus20".into(),
                "first_coupon.minus30".into(),
            ],
            segments: vec!["high_value".into()],
            stages: vec!["new_fan".into(), "customer".into()],
            rules: vec!["invite_group".into()],
            channels: vec!["dm".into(), "wecom".into()],
            experiments: vec!["first_coupon".into()],
            members: vec!["w1".into(), "w2".into()],
        };
        ReplHelper::new(vocabulary, false)
    }

    fn complete(line: &str) -> (usize, Vec<String>) {
        helper().candidates(line, line.len())
    }

    #[test]
    fn names_keywords_and_commands_complete() {
        assert_eq!(
            complete("days_s"),
            (0, vec!["days_since_follow".to_string()])
        );
        assert_eq!(
            complete("spend > 1 an"),
            (10, vec!["and".into(), "any".into()])
        );
        assert_eq!(complete(":pl"), (0, vec![":plan".to_string()]));
        assert_eq!(complete(":member w"), (8, vec!["w1".into(), "w2".into()]));
        assert_eq!(complete("consent.w"), (8, vec!["wecom".to_string()]));
        // The cursor before the colon of a command.
        assert_eq!(helper().candidates(":", 0), (0, Vec::<String>::new()));
    }

    #[test]
    fn context_narrows_the_names() {
        let (_, names) = complete("rule r { then send \"x\" via ");
        assert_eq!(names, ["dm", "wecom"]);
        let (_, names) = complete("spend > ");
        assert!(names.is_empty());
        let (_, names) = complete("rule r { then send \"x\" via w");
        assert_eq!(names, ["wecom"]);
        let (_, names) = complete("rule r {\n stage new_fan, c");
        assert_eq!(names, ["customer"]);
    }

    #[test]
    fn experiments_and_their_variants_complete() {
        assert_eq!(complete("variant(fir"), (8, vec!["first_coupon".into()]));
        let (_, names) = complete("rule r {\n variant ");
        assert_eq!(names, ["first_coupon"]);
        assert_eq!(
            complete("rule r {\n variant first_coupon.m"),
            (31, vec!["minus20".into(), "minus30".into()])
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn completion_and_hints_never_fail(text in "\\PC{0,40}|[:a-z_. ,\n]{0,30}") {
            let helper = helper();
            let history = rustyline::history::MemHistory::new();
            let context = Context::new(&history);
            let boundaries = (0..=text.len()).filter(|i| text.is_char_boundary(*i));
            for pos in boundaries {
                let _ = helper.complete(&text, pos, &context);
                let _ = helper.hint(&text, pos, &context);
            }
            let _ = helper.highlight(&text, text.len());
        }
    }
}
