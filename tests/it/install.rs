//! Installing like a command-line tool: completion scripts, the manual page and the
//! version, each produced by the real binary and checked the way a shell or `man` uses it.

use std::process::Command;

use crate::support::Cebulk;

/// The commands and kinds every completion script must name.
const COMMANDS: [&str; 10] = [
    "import",
    "reference",
    "events",
    "check",
    "columns",
    "serve",
    "user",
    "key",
    "completions",
    "man",
];

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = Cebulk::new().args(["completions", shell]).run();
        run.code(0);
        for command in COMMANDS {
            assert!(
                run.stdout_text().contains(command),
                "{shell} script lacks {command}"
            );
        }
    }
}

#[test]
fn bash_zsh_and_fish_complete_the_seven_kinds() {
    for shell in ["bash", "zsh", "fish"] {
        let run = Cebulk::new().args(["completions", shell]).run();
        for kind in crate::support::KINDS {
            assert!(
                run.stdout_text().contains(kind),
                "{shell} script lacks {kind}"
            );
        }
    }
}

/// What bash offers after `line`, with cebulk's completion script loaded.
fn bash_completes(line: &str) -> String {
    let script = Cebulk::new()
        .args(["completions", "bash"])
        .run()
        .stdout_text();
    let words: Vec<&str> = line.split(' ').collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; \
         COMP_POINT=${{#COMP_LINE}}; _cebulk cebulk '{current}' '{previous}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = words.join(" "),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completes_a_command_and_a_kind() {
    assert_eq!(bash_completes("cebulk imp"), "import\n");
    assert_eq!(
        bash_completes("cebulk import --kind financial_s"),
        "financial_statements\n"
    );
}

/// The warnings groff gives when it renders `page` for a UTF-8 terminal and for a plain
/// ASCII one (none for a good page).
fn groff_warnings(page: &str) -> String {
    ["-Tutf8", "-Tascii"]
        .iter()
        .map(|device| groff_warnings_on(page, device))
        .collect()
}

/// The warnings groff gives when it renders `page` on `device`.
fn groff_warnings_on(page: &str, device: &str) -> String {
    use std::io::Write;
    let mut groff = Command::new("groff")
        .args(["-man", device, "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("groff runs (apt-get install groff-base)");
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `page` as `man` shows it, as plain text.
fn rendered(page: &str) -> String {
    use std::io::Write;
    let mut groff = Command::new("groff")
        .args(["-man", "-Tascii", "-P-cbou"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("groff runs");
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = groff.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_man_page_renders_without_warnings_and_holds_commands_examples_and_exit_statuses() {
    let page = Cebulk::new().arg("man").run().stdout_text();
    assert_eq!(groff_warnings(&page), "");
    let text = rendered(&page);
    for section in [
        "NAME",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "EXAMPLES",
        "EXIT STATUS",
        "ENVIRONMENT",
    ] {
        assert!(text.contains(section), "no {section} section:\n{text}");
    }
    for command in COMMANDS {
        assert!(
            text.contains(&format!("cebulk-{command}(1)")),
            "{command} missing:\n{text}"
        );
    }
    assert!(text.contains("CEBULK_STORE"));
    assert!(text.contains("store or I/O failure"));
}

#[test]
fn each_command_has_a_page_and_an_unknown_one_is_refused() {
    for command in COMMANDS {
        let page = Cebulk::new().args(["man", command]).run().stdout_text();
        assert_eq!(groff_warnings(&page), "", "{command}");
        assert!(rendered(&page).contains(&format!("cebulk-{command}")));
    }
    let import = rendered(&Cebulk::new().args(["man", "import"]).run().stdout_text());
    assert!(import.contains("--dry-run") && import.contains("EXIT STATUS"));
    let unknown = Cebulk::new().args(["man", "nosuch"]).run();
    unknown.code(2);
    assert!(
        unknown
            .stderr
            .contains("the commands are import, reference")
    );
}

#[test]
fn version_is_the_crate_version() {
    let run = Cebulk::new().arg("--version").run();
    run.code(0);
    let expected = format!("cebulk {}", env!("CARGO_PKG_VERSION"));
    assert!(
        run.stdout_text().starts_with(&expected),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn every_command_help_has_examples_and_import_help_the_exit_statuses() {
    for command in COMMANDS {
        let run = Cebulk::new().args([command, "--help"]).run();
        assert!(
            run.stdout_text().contains("Examples:\n  "),
            "{command}: {}",
            run.stdout_text()
        );
    }
    let import = Cebulk::new().args(["import", "--help"]).run().stdout_text();
    assert!(import.contains("Exit status:\n  0  every event processed"));
}
