//! The terminal loop: rustyline with the REPL's helper, the history file, the prompt
//! naming the current member, Ctrl-C and Ctrl-D.

use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, EditMode, Editor};

use super::helper::{ReplHelper, Vocabulary};
use super::session::{Flow, Session};
use crate::cli::EXIT_OK;

/// Entries kept in the history file.
const HISTORY_SIZE: usize = 2000;

/// Runs the session on the terminal; `None` when the line editor cannot start (the
/// caller then reads standard input line by line).
pub fn run(session: &mut Session, colour: bool) -> Option<i32> {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_dups(true)
        .ok()?
        .history_ignore_space(true)
        .max_history_size(HISTORY_SIZE)
        .ok()?
        .completion_type(CompletionType::List)
        .edit_mode(EditMode::Emacs)
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> = Editor::with_config(config).ok()?;
    editor.set_helper(Some(ReplHelper::new(Vocabulary::of(session), colour)));
    let history = history_path();
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    session.say("siyu repl · `:help` lists the commands · Ctrl-D leaves");
    loop {
        let prompt = match session.current_id() {
            Some(id) => format!("siyu {id}> "),
            None => "siyu> ".to_string(),
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let flow = session.handle(&line);
                if let Some(helper) = editor.helper_mut() {
                    helper.vocabulary = Vocabulary::of(session);
                }
                if flow == Flow::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => {
                session.fail(&format!("cannot read the terminal: {error}"));
                break;
            }
        }
    }
    if let Some(path) = &history {
        save_history(&mut editor, path, session);
    }
    Some(EXIT_OK)
}

fn save_history(
    editor: &mut Editor<ReplHelper, FileHistory>,
    path: &PathBuf,
    session: &mut Session,
) {
    if let Some(folder) = path.parent() {
        let _ = std::fs::create_dir_all(folder);
    }
    if let Err(error) = editor.save_history(path) {
        session.note(&format!(
            "the history could not be saved to `{}`: {error}",
            path.display()
        ));
    }
}

/// `$SIYU_HISTORY`, else `$XDG_STATE_HOME/siyu/history`, else `~/.siyu_history`.
fn history_path() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(path) = set("SIYU_HISTORY") {
        return Some(PathBuf::from(path));
    }
    if let Some(state) = set("XDG_STATE_HOME") {
        return Some(PathBuf::from(state).join("siyu").join("history"));
    }
    set("HOME").map(|home| PathBuf::from(home).join(".siyu_history"))
}
