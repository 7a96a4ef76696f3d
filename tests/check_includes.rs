//! Includes: relative paths at every level, missing files, cycles, a file included
//! twice, library files checked alone, and the REPL's extra files.

use std::path::Path;

use siyu::ast::Item;
use siyu::check::{check_file, check_source, check_sources};
use siyu::diagnostics::{codes, SourceFile};

fn names_of(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Channel(d) => Some(format!("channel {}", d.name.name)),
            Item::Segment(d) => Some(format!("segment {}", d.name.name)),
            Item::Stage(d) => Some(format!("stage {}", d.name.name)),
            Item::Rule(d) => Some(format!("rule {}", d.name.name)),
            Item::Member(_) => Some("member".to_string()),
            Item::Playbook(_) => Some("playbook".to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn nested_includes_resolve_relative_to_each_file_and_splice_in_order() {
    let checked = check_file(Path::new("tests/playbooks/nested/main.rules"));
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert_eq!(
        names_of(&checked.items),
        [
            "playbook",
            "segment repeat_buyer",
            "channel wecom",
            "member",
            "stage loyal",
            "stage fan",
            "rule thanks"
        ]
    );
    assert!(!checked.items.iter().any(|i| matches!(i, Item::Include(_))));
    let names: Vec<&str> = checked
        .sources
        .files()
        .map(|(_, f)| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "tests/playbooks/nested/main.rules",
            "tests/playbooks/nested/lib/channels.rules",
            "tests/playbooks/nested/shared/segments.rules",
            "tests/playbooks/nested/shared/schema.rules",
        ],
        "each file read once, named by a tidy relative path"
    );
    assert_eq!(checked.comments.len(), 4, "comments of every file");
}

#[test]
fn a_missing_include_points_at_the_include() {
    let checked = check_file(Path::new("tests/playbooks/includes/missing.rules"));
    let missing: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::INCLUDE_MISSING)
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(
        checked.sources.slice(missing[0].span),
        "include \"not_here.rules\""
    );
    let help = missing[0].help.as_deref().unwrap_or_default();
    assert!(
        help.contains("tests/playbooks/includes/not_here.rules"),
        "{help}"
    );
    assert!(checked.has_errors());
}

#[test]
fn an_include_cycle_is_named_and_reported_once() {
    let checked = check_file(Path::new("tests/playbooks/includes/cycle_root.rules"));
    let cycles: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::INCLUDE_CYCLE)
        .collect();
    assert_eq!(cycles.len(), 1, "{:#?}", checked.diagnostics);
    assert!(
        cycles[0].message.contains("cycle_one.rules` → `tests/playbooks/includes/cycle_two.rules` → `tests/playbooks/includes/cycle_one.rules"),
        "{}",
        cycles[0].message
    );
    let file = checked.sources.get(cycles[0].span.file);
    assert!(file.name.ends_with("cycle_two.rules"));
    // Both files' declarations are still there, each once.
    assert_eq!(
        names_of(&checked.items),
        ["playbook", "segment two", "segment one", "member"]
    );
}

#[test]
fn a_file_that_includes_itself_is_a_cycle() {
    let dir = std::env::temp_dir().join(format!("siyu-self-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("self.rules");
    std::fs::write(
        &path,
        "playbook \"p\" {}\ninclude \"self.rules\"\nmember { id: string }\n",
    )
    .expect("write");
    let checked = check_file(&path);
    let _ = std::fs::remove_dir_all(&dir);
    let found: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(found, [codes::INCLUDE_CYCLE]);
}

#[test]
fn a_library_checked_alone_gets_one_warning() {
    let checked = check_file(Path::new("tests/playbooks/includes/library.rules"));
    let found: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(found, [codes::NO_PLAYBOOK]);
    assert!(!checked.has_errors());
    let common = check_file(Path::new("tests/playbooks/common.rules"));
    assert!(!common.has_errors(), "{:#?}", common.diagnostics);
}

#[test]
fn a_library_of_shared_rules_is_not_an_error() {
    let checked = check_source(
        "loose.rules",
        None,
        "member { id: string, orders: int }\nstage buyer when orders >= 1\n",
    );
    let found: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(found, [codes::NO_PLAYBOOK]);
    assert!(!checked.has_errors());
}

#[test]
fn a_playbook_in_an_included_file_is_an_error() {
    let checked = check_file(Path::new("tests/diagnostics/playbook_decl.rules"));
    let decl = checked
        .diagnostics
        .iter()
        .find(|d| d.code == codes::PLAYBOOK_DECL)
        .expect("PLAYBOOK_DECL");
    assert!(checked
        .sources
        .get(decl.span.file)
        .name
        .ends_with("has_playbook.rules"));
}

#[test]
fn without_a_path_includes_resolve_from_the_current_directory() {
    let text = "playbook \"p\" {}\ninclude \"tests/playbooks/nested/shared/schema.rules\"\nstage loyal when repeat_buyer\n";
    let checked = check_source("<text>", None, text);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert_eq!(
        names_of(&checked.items),
        ["playbook", "segment repeat_buyer", "member", "stage loyal"]
    );
}

#[test]
fn extra_files_are_checked_with_the_playbook_without_reading_it_again() {
    let first = check_file(Path::new("tests/playbooks/nested/main.rules"));
    let files_before = first.sources.files().count();
    let mut sources = first.sources;
    let typed = sources.add(SourceFile::new(
        "<repl 1>",
        None,
        "rule again { stage loyl  then tag \"x\" }\nsegment repeat_buyer = orders > 5\n",
    ));
    let checked = check_sources(sources, first.root, &[typed]);
    assert_eq!(
        checked.sources.files().count(),
        files_before + 1,
        "no file read twice"
    );
    let found: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(found, [codes::UNKNOWN_STAGE, codes::DUPLICATE]);
    assert_eq!(checked.items.len(), first.items.len() + 2);
}

#[test]
fn an_expression_typed_by_hand_is_checked_against_the_playbook() {
    let checked = check_file(Path::new("tests/playbooks/complete_example.rules"));
    let check = |text: &str| {
        let mut sources = checked.sources.clone();
        let file = sources.add(SourceFile::new("<repl>", None, text));
        let expression = siyu::syntax::parse_expression(text, file).expect("an expression");
        siyu::check::check_expression(&checked, &sources, &expression)
            .iter()
            .map(|d| d.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(check("spend >= 2000 and high_value"), Vec::<&str>::new());
    assert_eq!(check("len(tags) + orders"), Vec::<&str>::new());
    assert_eq!(check("spned"), [codes::UNKNOWN_FIELD]);
    assert_eq!(check("tier == \"diamond\""), [codes::UNKNOWN_ENUM_VALUE]);
    assert_eq!(check("spend > \"100\""), [codes::TYPE_MISMATCH]);
}
