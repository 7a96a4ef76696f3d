//! `siyu fmt` through the built binary: rewriting in place, `--check`, folders, syntax
//! errors and missing files.

use std::path::{Path, PathBuf};
use std::process::Output;

const MESSY: &str = "segment  big=spend>=2000   // big spenders\nstage a when big\n";
const TIDY: &str = "segment big = spend >= 2000 // big spenders\n\nstage a when big\n";
const BROKEN: &str = "rule r {\n  when spend >=\n}\n";

mod support;

/// A fresh folder for one test, removed when dropped.
struct Folder(support::Scratch);

impl Folder {
    fn new(name: &str) -> Folder {
        Folder(support::scratch(&format!("fmt-{name}")))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder");
        }
        std::fs::write(&path, text).expect("a file");
        path
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("the folder")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

fn siyu(args: &[&Path]) -> Output {
    support::siyu()
        .arg("fmt")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("readable")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn rewrites_a_file_in_place_and_leaves_no_temporary_file() {
    let folder = Folder::new("rewrite");
    let file = folder.write("a.rules", MESSY);
    let output = siyu(&[&file]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(read(&file), TIDY);
    assert_eq!(folder.entries(), ["a.rules"]);
    assert!(
        stderr(&output).contains("reformatted"),
        "{}",
        stderr(&output)
    );

    let again = siyu(&[&file]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(read(&file), TIDY);
    assert!(
        stderr(&again).is_empty(),
        "nothing to say when nothing changed"
    );
}

#[test]
fn check_changes_nothing_and_exits_1_when_a_file_would_change() {
    let folder = Folder::new("check");
    let messy = folder.write("messy.rules", MESSY);
    let tidy = folder.write("tidy.rules", TIDY);
    let output = siyu(&[Path::new("--check"), &messy, &tidy]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(&messy), MESSY, "--check never writes");
    let said = stderr(&output);
    assert!(said.contains("messy.rules"), "{said}");
    assert!(!said.contains("tidy.rules"), "{said}");

    let clean = siyu(&[Path::new("--check"), &tidy]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
}

#[test]
fn a_syntax_error_is_reported_and_the_file_left_untouched() {
    let folder = Folder::new("broken");
    let broken = folder.write("broken.rules", BROKEN);
    let messy = folder.write("messy.rules", MESSY);
    let output = siyu(&[&broken, &messy]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(&broken), BROKEN);
    assert_eq!(read(&messy), TIDY, "the other files are still formatted");
    let said = stderr(&output);
    assert!(said.contains("siyu::syntax::"), "{said}");
    assert!(said.contains("broken.rules"), "{said}");
    assert!(!said.contains("\u{1b}["), "no colour with NO_COLOR: {said}");

    let checked = siyu(&[Path::new("--check"), &broken]);
    assert_eq!(checked.status.code(), Some(1));
    assert_eq!(read(&broken), BROKEN);
}

#[test]
fn a_missing_file_exits_2() {
    let folder = Folder::new("missing");
    let messy = folder.write("messy.rules", MESSY);
    let missing = folder.0.join("nowhere.rules");
    let output = siyu(&[&missing, &messy]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nowhere.rules"));
    assert_eq!(read(&messy), TIDY);
}

#[test]
fn no_file_at_all_is_a_usage_error() {
    let output = siyu(&[]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_folder_stands_for_every_rules_file_under_it() {
    let folder = Folder::new("folder");
    let top = folder.write("top.rules", MESSY);
    let nested = folder.write("deeper/nested.rules", MESSY);
    let other = folder.write("deeper/notes.txt", MESSY);
    let checked = siyu(&[Path::new("--check"), &folder.0]);
    assert_eq!(checked.status.code(), Some(1));
    let said = stderr(&checked);
    assert!(
        said.contains("top.rules") && said.contains("nested.rules"),
        "{said}"
    );
    assert!(!said.contains("notes.txt"), "{said}");

    let output = siyu(&[&folder.0]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(read(&top), TIDY);
    assert_eq!(read(&nested), TIDY);
    assert_eq!(read(&other), MESSY);
}
