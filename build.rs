//! Sets `CEBULK_VERSION` for `--version`: the crate's version and, when the build runs in
//! a git checkout, the commit it was built from.

use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    let full = match commit {
        Some(commit) => format!("{version} (commit {commit})"),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=CEBULK_VERSION={full}");
    // A new commit changes HEAD or the ref it points to.
    for (what, file) in [
        ("--git-dir", "HEAD"),
        ("--git-common-dir", "refs/heads"),
        ("--git-common-dir", "packed-refs"),
    ] {
        if let Ok(out) = Command::new("git").args(["rev-parse", what]).output()
            && out.status.success()
        {
            let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            println!("cargo:rerun-if-changed={dir}/{file}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
