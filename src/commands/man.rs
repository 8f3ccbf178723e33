//! `cebulk man [COMMAND]`: the manual page in roff, generated from the command line's
//! definition, with the examples, exit statuses and environment of [`crate::cli::help`].

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::args::Args;
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::help::{self, Example};
use crate::report::destination::{ReportError, print};

/// Prints the page of cebulk, or of its command `command`.
pub fn run(command: Option<&str>) -> Result<u8, Fatal> {
    let page = page(command)?;
    print(&page)?;
    Ok(EXIT_OK)
}

/// The page, in roff.
pub fn page(command: Option<&str>) -> Result<Vec<u8>, Fatal> {
    let root = Args::command();
    let (cmd, examples): (clap::Command, Vec<Example>) = match command {
        None => (root, help::ALL_EXAMPLES.concat()),
        Some(name) => {
            let Some(sub) = root.find_subcommand(name).cloned() else {
                let names: Vec<String> = root
                    .get_subcommands()
                    .map(|s| s.get_name().to_owned())
                    .collect();
                return Err(Fatal::Usage(format!(
                    "cebulk has no command {name:?}; the commands are {}",
                    names.join(", ")
                )));
            };
            let examples = match name {
                "import" => help::IMPORT_EXAMPLES,
                "reference" => help::REFERENCE_EXAMPLES,
                "events" => help::EVENTS_EXAMPLES,
                "check" => help::CHECK_EXAMPLES,
                "columns" => help::COLUMNS_EXAMPLES,
                "serve" => help::SERVE_EXAMPLES,
                "user" => help::USER_EXAMPLES,
                "key" => help::KEY_EXAMPLES,
                "completions" => help::COMPLETIONS_EXAMPLES,
                "man" => help::MAN_EXAMPLES,
                _ => &[],
            };
            let sub = sub
                .name(format!("cebulk-{name}"))
                .version(env!("CEBULK_VERSION"))
                .after_help(None::<&str>);
            (sub, examples.to_vec())
        }
    };
    // The text after --help is shown by the sections below, in roff.
    let cmd = cmd.after_help(None::<&str>);
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    let io = |source| Fatal::Report(ReportError::writing("the manual page", source));
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).map_err(io)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).map_err(io)?;
    }
    let mut roff = Roff::new();
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for (what, command) in &examples {
            if !what.is_empty() {
                roff.control("TP", []);
                roff.text([roman(*what)]);
            }
            roff.control("EX", []);
            roff.text([roman(format!("$ {command}"))]);
            roff.control("EE", []);
        }
    }
    if command.is_none() || command == Some("import") {
        roff.control("SH", ["EXIT STATUS"]);
        for (code, meaning) in help::EXIT_STATUSES {
            roff.control("TP", []);
            roff.text([bold(*code)]);
            roff.text([roman(*meaning)]);
        }
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in help::ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*meaning)]);
    }
    roff.to_writer(&mut out).map_err(io)?;
    man.render_version_section(&mut out).map_err(io)?;
    Ok(ascii_roff(&out))
}

/// `page` with every character outside ASCII written as roff's `\[uXXXX]`, so that groff
/// reads it whatever its input encoding. An ellipsis is three dots, which groff's ASCII
/// device has no glyph for otherwise (`\&` keeps a dot at a line's start from being read as a
/// request).
fn ascii_roff(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if c == '\u{2026}' {
            out.push_str("\\&...");
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out.into_bytes()
}
