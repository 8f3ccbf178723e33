//! The source layout keeps its promises (docs/design.md): no cycle between the top-level
//! modules of `src/`, and the lower layers know nothing of the layers above them or of the
//! tools at the edges (clap in `domain/`, SQLite in `judge/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::crate_path;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of each top-level module (`lib.rs` and `main.rs` apart): its files without
/// comments or test modules.
fn modules() -> BTreeMap<String, Vec<(PathBuf, String)>> {
    let src = PathBuf::from(crate_path("src"));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules: BTreeMap<String, Vec<(PathBuf, String)>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Comments may name any module (a doc link is no dependency); test modules too.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .map(|line| format!("{line}\n"))
            .collect();
        modules.entry(top).or_default().push((file, code));
    }
    modules
}

/// The top-level modules each module's code names through `crate::`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (name, files) in &modules {
        let mut uses = BTreeSet::new();
        for (_, code) in files {
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let target: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if modules.contains_key(&target) && target != *name {
                    uses.insert(target);
                }
            }
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

#[test]
fn no_cycle_between_top_level_modules() {
    let graph = dependencies();
    assert!(graph.len() >= 8, "the layout was not found: {graph:?}");
    for start in graph.keys() {
        let mut stack: Vec<(&String, Vec<&String>)> = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((module, path)) = stack.pop() {
            for next in &graph[module] {
                let mut longer = path.clone();
                longer.push(next);
                assert!(
                    next != start,
                    "a cycle between modules: {}",
                    longer
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(" -> ")
                );
                if seen.insert(next) {
                    stack.push((next, longer));
                }
            }
        }
    }
}

/// The files of `module` that name any of `words`, with the word.
fn naming(module: &str, words: &[&str]) -> Vec<String> {
    let modules = modules();
    let mut found = Vec::new();
    for (file, code) in modules.get(module).into_iter().flatten() {
        for word in words {
            if code.contains(word) {
                found.push(format!("{} names {word}", file.display()));
            }
        }
    }
    found
}

#[test]
fn the_domain_depends_on_nothing_of_cebulk_and_knows_no_edge() {
    let graph = dependencies();
    assert_eq!(
        graph.get("domain"),
        Some(&BTreeSet::new()),
        "domain must depend on no other module"
    );
    let found = naming(
        "domain",
        &["clap", "rusqlite", "axum", "hyper", "crate::cli"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_judge_is_free_of_the_store_and_of_sqlite() {
    let graph = dependencies();
    let judge = &graph["judge"];
    for lower in judge {
        assert!(
            ["domain", "json", "input", "reference"].contains(&lower.as_str()),
            "judge depends on {lower}"
        );
    }
    let found = naming("judge", &["rusqlite", "clap", "crate::store"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn every_module_file_says_what_it_holds() {
    let mut files = Vec::new();
    rust_files(Path::new(&crate_path("src")), &mut files);
    let undocumented: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .collect();
    assert!(undocumented.is_empty(), "no //! doc: {undocumented:#?}");
}
