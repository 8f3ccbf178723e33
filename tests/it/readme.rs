//! The README's examples are true: every ```console block is run, command by command, in a
//! fresh directory holding the repository's `fixtures/`, with `cebulk` on the PATH, and each
//! command's standard output must be exactly the lines the README shows under it (as
//! just's `tests/readme.rs` does for its README).

use std::path::Path;
use std::process::Command;

use crate::support::crate_path;

/// One command of a console block and the output shown under it.
struct Example {
    command: String,
    output: String,
    line: usize,
}

/// The console blocks of `text`, each a list of examples.
fn console_blocks(text: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut block: Option<Vec<Example>> = None;
    for (index, line) in text.lines().enumerate() {
        match &mut block {
            None if line.trim_end() == "```console" => block = Some(Vec::new()),
            None => {}
            Some(examples) if line.starts_with("```") => {
                blocks.push(std::mem::take(examples));
                block = None;
            }
            Some(examples) => match line.strip_prefix("$ ") {
                Some(command) => examples.push(Example {
                    command: command.to_owned(),
                    output: String::new(),
                    line: index + 1,
                }),
                None => {
                    let example = examples.last_mut().unwrap_or_else(|| {
                        panic!("README.md:{}: output before any $ command", index + 1)
                    });
                    example.output.push_str(line);
                    example.output.push('\n');
                }
            },
        }
    }
    assert!(block.is_none(), "README.md: a console block is not closed");
    blocks
}

#[test]
fn every_console_example_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(crate_path("README.md")).unwrap();
    let blocks = console_blocks(&readme);
    assert!(blocks.len() >= 5, "the README's examples were not found");
    let binary = Path::new(env!("CARGO_BIN_EXE_cebulk"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for block in blocks {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(crate_path("fixtures"), dir.path().join("fixtures")).unwrap();
        for example in block {
            assert!(
                example.command.starts_with("cebulk "),
                "README.md:{}: only cebulk commands are run: {}",
                example.line,
                example.command
            );
            let out = Command::new("sh")
                .args(["-c", &example.command])
                .current_dir(dir.path())
                .env("PATH", &path)
                .env_remove("CEBULK_STORE")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout == example.output,
                "README.md:{}: `{}` printed\n{stdout}\nwhere the README shows\n{}\n(stderr: {})",
                example.line,
                example.command,
                example.output,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
