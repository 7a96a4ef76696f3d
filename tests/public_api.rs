//! The public surface, listed in `tests/public_api.txt` so that any change to it shows
//! in review: every name `src/api.rs` re-exports and every public item of the public
//! modules (`testing`, `vocabulary`), each type with its public fields, variants and
//! methods (the first line of each signature). `SIYU_BLESS=1 cargo test --test public_api` rewrites the list.
//!
//! The listing is read from the source text: items under `#[cfg(feature = "internals")]`
//! are left out, since they are not part of the public API; items under another
//! feature (`#[cfg(feature = "arrow")]`) are listed with the feature named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, except the command line's.
fn library_files() -> Vec<(PathBuf, String)> {
    let mut pending = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                if !path.ends_with("cli") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                files.push((path, text));
            }
        }
    }
    files.sort();
    files
}

/// The feature an attribute line gates on (`#[cfg(feature = "arrow")]`), if any.
fn gating_feature(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("#[cfg(feature = \"")?;
    rest.split('"').next()
}

/// The names `src/api.rs` re-exports (`pub use crate::x::{A, b};`), each with the
/// module it comes from (`x`, `eval/trace`) and the feature the re-export needs.
fn exported_names(api: &str) -> Vec<(String, String, Option<String>)> {
    let mut names = Vec::new();
    let code: Vec<&str> = api
        .lines()
        .filter(|l| !l.trim().starts_with("//"))
        .collect();
    for statement in code.join("\n").split(';') {
        let mut feature = None;
        let mut statement = statement.trim();
        while statement.starts_with("#[") {
            let (attribute, rest) = statement.split_once('\n').unwrap_or((statement, ""));
            feature = feature.or(gating_feature(attribute).map(String::from));
            statement = rest.trim();
        }
        let Some(rest) = statement.strip_prefix("pub use crate::") else {
            continue;
        };
        let (module, list) = match rest.find('{') {
            Some(open) => (
                rest[..open].trim_end_matches("::"),
                &rest[open + 1..rest.rfind('}').unwrap_or(rest.len())],
            ),
            None => rest.rsplit_once("::").unwrap_or(("", rest)),
        };
        let module = module.replace("::", "/");
        names.extend(
            list.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| (n.to_string(), module.clone(), feature.clone())),
        );
    }
    names
}

/// The files of a module: its own file and, for a folder, everything under it.
fn module_files(module: &str, files: &[(PathBuf, String)]) -> Vec<(PathBuf, String)> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let own = src.join(format!("{module}.rs"));
    let folder = src.join(module);
    files
        .iter()
        .filter(|(path, _)| *path == own || path.starts_with(&folder))
        .cloned()
        .collect()
}

/// One line per public item of `name` (its definition, its fields or variants, its
/// methods), found in `files`, with the methods of its `impl` blocks in `others` too
/// (a feature's module may add methods to a type).
fn describe(name: &str, files: &[(PathBuf, String)], others: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files.iter().chain(others) {
        let own = files.iter().any(|(p, _)| p == path);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            // Types declared inside a macro (`Code`) are indented.
            let trimmed = match line.trim_start() {
                t if t.starts_with("pub struct ") || t.starts_with("pub enum ") => t.trim_end(),
                _ => line.trim_end(),
            };
            let defines = [
                "pub struct ",
                "pub enum ",
                "pub fn ",
                "pub type ",
                "pub const ",
            ]
            .iter()
            .any(|kind| {
                trimmed.strip_prefix(kind).is_some_and(|rest| {
                    rest.starts_with(name)
                        && !rest[name.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            });
            if own && defines && !internal(&lines, i) {
                out.push(signature(&lines, i));
                if trimmed.starts_with("pub struct ") || trimmed.starts_with("pub enum ") {
                    out.extend(members(&lines, i, trimmed.starts_with("pub enum ")));
                }
            }
            let opens_impl = (trimmed.starts_with("impl ") || trimmed.starts_with("impl<"))
                && impl_target(trimmed) == Some(name);
            if opens_impl && !internal(&lines, i) {
                let feature = feature(&lines, i);
                out.extend(methods(&lines, i).into_iter().map(|method| match feature {
                    Some(feature) => format!("{method}  [feature {feature}]"),
                    None => method,
                }));
            }
        }
    }
    out
}

/// The feature the item at line `i` is compiled with, when it needs one.
fn feature<'a>(lines: &[&'a str], i: usize) -> Option<&'a str> {
    lines[..i]
        .iter()
        .rev()
        .take_while(|l| {
            let l = l.trim();
            l.starts_with("#[") || l.starts_with("///")
        })
        .find_map(|l| gating_feature(l))
}

/// Whether the item at line `i` is only compiled with the `internals` feature.
fn internal(lines: &[&str], i: usize) -> bool {
    feature(lines, i) == Some("internals")
}

/// The type an `impl` line implements methods for (`None` for trait impls).
fn impl_target(line: &str) -> Option<&str> {
    if line.contains(" for ") {
        return None;
    }
    let rest = line.strip_prefix("impl")?;
    let rest = match rest.strip_prefix('<') {
        Some(generic) => &generic[generic.find('>')? + 1..],
        None => rest,
    };
    let rest = rest.trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The first line of a signature, without its body's brace.
fn signature(lines: &[&str], i: usize) -> String {
    let line = lines[i].trim();
    line.trim_end_matches('{').trim_end().to_string()
}

/// The public fields (or the variants) of the struct or enum opened at line `i`.
fn members(lines: &[&str], i: usize, variants: bool) -> Vec<String> {
    let mut out = Vec::new();
    if !lines[i].trim_end().ends_with('{') {
        return out;
    }
    let mut depth = 0i32;
    for line in &lines[i..] {
        let trimmed = line.trim();
        if depth == 1 && !trimmed.starts_with("//") && !trimmed.starts_with("#[") {
            let shown = if variants {
                trimmed.chars().next().is_some_and(char::is_uppercase)
            } else {
                trimmed.starts_with("pub ")
            };
            if shown {
                out.push(format!("    {}", trimmed.trim_end_matches('{').trim_end()));
            }
        }
        depth += braces(line);
        if depth <= 0 && line.contains('}') {
            break;
        }
    }
    out
}

/// How much a line opens (`{`) more than it closes (`}`); comments (doc examples are
/// full of braces) count for nothing.
fn braces(line: &str) -> i32 {
    if line.trim_start().starts_with("//") {
        return 0;
    }
    line.matches('{').count() as i32 - line.matches('}').count() as i32
}

/// The public methods of the `impl` block opened at line `i`.
fn methods(lines: &[&str], i: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    for line in &lines[i..] {
        let trimmed = line.trim();
        if depth == 1 && trimmed.starts_with("pub fn ") {
            out.push(format!("    {}", trimmed.trim_end_matches('{').trim_end()));
        }
        depth += braces(line);
        if depth <= 0 && line.contains('}') {
            break;
        }
    }
    out
}

/// The modules `src/lib.rs` declares `pub mod` (outside the `internals` feature).
const PUBLIC_MODULES: [&str; 2] = ["testing", "vocabulary"];

/// The whole listing.
fn surface() -> String {
    let files = library_files();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let api = std::fs::read_to_string(root.join("src/api.rs")).expect("src/api.rs");
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, module, feature) in exported_names(&api) {
        let own = module_files(&module, &files);
        let section = match feature {
            Some(feature) => format!("siyu::{name}  [feature {feature}]"),
            None => format!("siyu::{name}"),
        };
        let others: Vec<_> = files.iter().filter(|f| !own.contains(f)).cloned().collect();
        sections.insert(section, describe(&name, &own, &others));
    }
    // The codes are declared by a macro: list them as they are.
    if let Some(lines) = sections.get_mut("siyu::Code") {
        for code in siyu::Code::ALL {
            lines.push(format!("    {code:?} = {:?}", code.as_str()));
        }
    }
    for module in PUBLIC_MODULES {
        let own: Vec<(PathBuf, String)> = module_files(module, &files);
        for (_, text) in &own {
            for line in text.lines() {
                for kind in ["pub struct ", "pub enum ", "pub fn ", "pub const "] {
                    if let Some(rest) = line.strip_prefix(kind) {
                        let end = rest
                            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len());
                        let name = &rest[..end];
                        sections
                            .insert(format!("siyu::{module}::{name}"), describe(name, &own, &[]));
                    }
                }
            }
        }
    }
    let mut listing = String::new();
    for (path, lines) in sections {
        listing.push_str(&path);
        listing.push('\n');
        for line in lines {
            listing.push_str("  ");
            listing.push_str(&line);
            listing.push('\n');
        }
    }
    listing
}

#[test]
fn the_public_surface_is_the_listed_one() {
    let listed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/public_api.txt");
    let actual = surface();
    if std::env::var_os("SIYU_BLESS").is_some() {
        std::fs::write(&listed, &actual).expect("tests/public_api.txt is writable");
        return;
    }
    let expected = std::fs::read_to_string(&listed).unwrap_or_default();
    assert!(
        actual == expected,
        "the public API changed: review the difference, then run \
         `SIYU_BLESS=1 cargo test --test public_api`\n--- listed\n{expected}\n--- now\n{actual}"
    );
}

#[test]
fn every_exported_name_is_found() {
    let files = library_files();
    let api = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api.rs"))
        .expect("src/api.rs");
    let names = exported_names(&api);
    assert!(names.len() > 30, "src/api.rs re-exports the public API");
    for (name, module, _) in names {
        assert!(
            !describe(&name, &module_files(&module, &files), &[]).is_empty(),
            "`{name}` is re-exported but its definition was not found"
        );
    }
}

#[test]
fn every_public_module_is_listed() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';'))
        .collect();
    assert_eq!(declared, PUBLIC_MODULES, "src/lib.rs's `pub mod`s");
}
