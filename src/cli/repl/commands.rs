//! The `:commands`: their table (names, arguments, one line of help, used by `:help`,
//! completion and hints) and what each one does to the session.

use siyu::did_you_mean;

use super::session::{Flow, Session};

/// What a command's argument is, for completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    /// No argument.
    None,
    /// A file path.
    File,
    /// A member id.
    Member,
    /// A date-time.
    DateTime,
    /// A declared name.
    Name,
}

/// One command.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Its name, without the colon.
    pub name: &'static str,
    /// How its argument is written in `:help` (empty for none).
    pub usage: &'static str,
    /// What kind of argument it takes.
    pub argument: Argument,
    /// One line of help.
    pub help: &'static str,
}

/// Every command, in the order `:help` lists them.
pub const COMMANDS: [Command; 18] = [
    command(
        "load",
        "[FILE]",
        Argument::File,
        "load a playbook (again); declarations typed so far stay where they still check",
    ),
    command(
        "members",
        "FILE",
        Argument::File,
        "read member snapshots (JSON Lines or .csv) and pick the first",
    ),
    command(
        "member",
        "[ID]",
        Argument::Member,
        "pick the current member by id, or show the current one",
    ),
    command(
        "stage",
        "",
        Argument::None,
        "the current member's stage, and the conditions tried",
    ),
    command(
        "plan",
        "",
        Argument::None,
        "the current member's plan: actions planned and suppressed",
    ),
    command(
        "explain",
        "",
        Argument::None,
        "how the current member's plan came about, step by step",
    ),
    command(
        "run",
        "",
        Argument::None,
        "plan every loaded member and show the summary",
    ),
    command(
        "asof",
        "[DATETIME]",
        Argument::DateTime,
        "set the as-of time (RFC 3339, or `now`), or show it",
    ),
    command(
        "ledger",
        "[LOCATION]",
        Argument::File,
        "read members' histories from a ledger (an SQLite file or a postgres:// URL), or show which",
    ),
    command(
        "rules",
        "",
        Argument::None,
        "the rules of the session's playbook",
    ),
    command("stages", "", Argument::None, "the stages, in order"),
    command("segments", "", Argument::None, "the segments"),
    command("channels", "", Argument::None, "the channels"),
    command("fields", "", Argument::None, "the member fields"),
    command(
        "show",
        "NAME",
        Argument::Name,
        "the source of a declaration",
    ),
    command(
        "save",
        "FILE",
        Argument::File,
        "write the session's playbook, formatted, to FILE (`:save!` overwrites)",
    ),
    command("help", "", Argument::None, "this list"),
    command("quit", "", Argument::None, "leave (Ctrl-D does too)"),
];

const fn command(
    name: &'static str,
    usage: &'static str,
    argument: Argument,
    help: &'static str,
) -> Command {
    Command {
        name,
        usage,
        argument,
        help,
    }
}

/// Other spellings that are accepted.
const ALIASES: [(&str, &str); 4] = [
    ("q", "quit"),
    ("exit", "quit"),
    ("h", "help"),
    ("?", "help"),
];

/// The command of this name (or alias).
pub fn find(name: &str) -> Option<&'static Command> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, full)| *full);
    COMMANDS.iter().find(|c| c.name == name)
}

/// Runs `:name argument`.
pub fn run(session: &mut Session, name: &str, argument: &str) -> Flow {
    if name == "save!" {
        if argument.is_empty() {
            session.fail("`:save!` needs an argument: `:save! FILE`");
        } else {
            session.save(argument, true);
        }
        return Flow::Continue;
    }
    let Some(command) = find(name) else {
        let names = COMMANDS.iter().map(|c| c.name);
        let hint = match did_you_mean(name, names) {
            Some(close) => format!("did you mean `:{close}`?"),
            None => "`:help` lists the commands".to_string(),
        };
        session.fail(&format!("unknown command `:{name}`; {hint}"));
        return Flow::Continue;
    };
    if command.argument == Argument::None && !argument.is_empty() {
        session.fail(&format!("`:{}` takes no argument", command.name));
        return Flow::Continue;
    }
    let required = !command.usage.is_empty() && !command.usage.starts_with('[');
    if required && argument.is_empty() {
        session.fail(&format!(
            "`:{}` needs an argument: `:{} {}`",
            command.name, command.name, command.usage
        ));
        return Flow::Continue;
    }
    match command.name {
        "load" => session.load(argument),
        "members" => session.read_members(argument),
        "member" if argument.is_empty() => session.show_member(),
        "member" => session.pick_member(argument),
        "stage" => session.show_stage(),
        "plan" => session.show_plan(),
        "explain" => session.show_explain(),
        "run" => session.run_all(),
        "asof" if argument.is_empty() => session.show_as_of(),
        "asof" => session.set_as_of(argument),
        "ledger" if argument.is_empty() => session.show_ledger(),
        "ledger" => session.set_ledger(argument),
        "rules" => session.list_rules(),
        "stages" => session.list_stages(),
        "segments" => session.list_segments(),
        "channels" => session.list_channels(),
        "fields" => session.list_fields(),
        "show" => session.show_declaration(argument),
        "save" => session.save(argument, false),
        "help" => session.say(&help()),
        _ => return Flow::Quit,
    }
    Flow::Continue
}

/// The text of `:help`.
pub fn help() -> String {
    let mut out = String::from(
        "Type an expression to see its value for the current member (`spend >= 2000`),\n\
         or a declaration (`segment`, `stage`, `rule`, `channel`, …) to add it to the\n\
         session's playbook; a declaration of a name already there replaces it.\n\
         An open bracket or block continues on the next line.\n\n",
    );
    let width = COMMANDS
        .iter()
        .map(|c| c.name.len() + c.usage.len() + 2)
        .max()
        .unwrap_or(0);
    for command in COMMANDS {
        let head = if command.usage.is_empty() {
            format!(":{}", command.name)
        } else {
            format!(":{} {}", command.name, command.usage)
        };
        out.push_str(&format!("  {head:width$}  {}\n", command.help));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_names_are_found() {
        assert_eq!(find("q").map(|c| c.name), Some("quit"));
        assert_eq!(find("plan").map(|c| c.name), Some("plan"));
        assert!(find("plna").is_none());
    }

    #[test]
    fn help_lists_every_command() {
        let text = help();
        for command in COMMANDS {
            assert!(text.contains(&format!(":{}", command.name)));
        }
    }
}
