//! Checking a playbook with declarations typed on top of it, as the REPL does. The
//! checks themselves are the ones [`super::check_sources`] runs; what this adds is how a
//! typed declaration meets one that is already there.
//!
//! **A typed declaration replaces, in place, the declaration of the same kind and name
//! that came before it** (from the playbook's files or typed earlier): a rule, segment,
//! stage, channel or test by name; the `playbook`, `member` and `policy` declarations,
//! of which there is one, by kind. Replacing in place keeps a redefined stage where the
//! old one stood, since stage order decides which stage a member is in. Declarations
//! that name nothing already there come after the playbook's, in the order they were
//! typed. Two declarations of one name typed in the same input are still a duplicate,
//! and `include`s never replace anything.

use crate::ast::Item;
use crate::diagnostics::{FileId, SourceMap};

use super::{check_loaded, load, Checked};

/// Checks `root` (and its includes) with the declarations of the `typed` files on top,
/// each typed declaration replacing the one of the same kind and name before it.
///
/// # Panics
/// If `root` or an id in `typed` is not a file of `sources`.
pub fn check_session(mut sources: SourceMap, root: FileId, typed: &[FileId]) -> Checked {
    let mut loaded = load::load(&mut sources, root, typed);
    let items = overlay(std::mem::take(&mut loaded.items), typed);
    check_loaded(sources, root, loaded, items)
}

/// What a declaration replaces: its kind and, for named kinds, its name.
fn key(item: &Item) -> Option<(&'static str, &str)> {
    match item {
        Item::Playbook(_) => Some(("playbook", "")),
        Item::Member(_) => Some(("member", "")),
        Item::Policy(_) => Some(("policy", "")),
        Item::Include(_) => None,
        Item::Channel(decl) => Some(("channel", &decl.name.name)),
        Item::Segment(decl) => Some(("segment", &decl.name.name)),
        Item::Stage(decl) => Some(("stage", &decl.name.name)),
        Item::Rule(decl) => Some(("rule", &decl.name.name)),
        Item::Test(decl) => Some(("test", &decl.name.value)),
        Item::Experiment(decl) => Some(("experiment", &decl.name.name)),
        Item::Group(decl) => Some(("group", &decl.name.name)),
    }
}

/// The declarations with each typed one put in the place of the one it replaces.
fn overlay(items: Vec<Item>, typed: &[FileId]) -> Vec<Item> {
    let mut result: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        let file = item.span().file;
        let replaced = if typed.contains(&file) {
            key(&item).and_then(|wanted| {
                result
                    .iter()
                    .position(|old| old.span().file != file && key(old) == Some(wanted))
            })
        } else {
            None
        };
        match replaced.and_then(|index| result.get_mut(index)) {
            Some(slot) => *slot = item,
            None => result.push(item),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    fn session(root: &str, typed: &[&str]) -> Checked {
        let mut sources = SourceMap::new();
        let root = sources.add(SourceFile::new("<root>", None, root));
        let typed: Vec<FileId> = typed
            .iter()
            .enumerate()
            .map(|(i, text)| sources.add(SourceFile::new(format!("<repl:{i}>"), None, *text)))
            .collect();
        check_session(sources, root, &typed)
    }

    fn stage_names(checked: &Checked) -> Vec<String> {
        checked
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Stage(stage) => Some(stage.name.name.clone()),
                _ => None,
            })
            .collect()
    }

    const ROOT: &str = r#"
        playbook "p" {}
        member { id: string, orders: int }
        stage buyer when orders >= 1
        stage fan otherwise
        rule r { then tag "x" }
    "#;

    #[test]
    fn a_redefined_stage_keeps_its_place() {
        let checked = session(ROOT, &["stage buyer when orders >= 2"]);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        assert_eq!(stage_names(&checked), ["buyer", "fan"]);
        let buyer = checked.items.iter().find_map(|item| match item {
            Item::Stage(stage) if stage.name.name == "buyer" => Some(stage),
            _ => None,
        });
        assert_eq!(buyer.map(|s| s.span.file), Some(FileId(1)));
    }

    #[test]
    fn a_rule_typed_twice_is_replaced_not_duplicated() {
        let checked = session(
            ROOT,
            &["rule r { then tag \"y\" }", "rule r { then tag \"z\" }"],
        );
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let rules = checked
            .items
            .iter()
            .filter(|item| matches!(item, Item::Rule(_)))
            .count();
        assert_eq!(rules, 1);
    }

    #[test]
    fn a_new_declaration_comes_after_the_playbook() {
        let checked = session(ROOT, &["segment loyal = orders >= 3"]);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        assert!(matches!(checked.items.last(), Some(Item::Segment(_))));
    }

    #[test]
    fn two_of_one_name_in_one_input_are_still_a_duplicate() {
        let checked = session(ROOT, &["segment a = orders > 1\nsegment a = orders > 2"]);
        assert!(checked
            .diagnostics
            .iter()
            .any(|d| d.code == crate::diagnostics::codes::DUPLICATE));
    }

    #[test]
    fn typed_errors_point_into_the_typed_file() {
        let checked = session(ROOT, &["segment a = ordres > 1"]);
        let error = checked.diagnostics.iter().find(|d| d.is_error());
        assert_eq!(error.map(|d| d.span.file), Some(FileId(1)));
        assert_eq!(
            error.and_then(|d| d.help.clone()).as_deref(),
            Some("did you mean `orders`?")
        );
    }
}
