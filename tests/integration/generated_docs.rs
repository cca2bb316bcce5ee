//! The man pages and completions committed under `man/` and `completions/` are exactly what
//! `piar generate` produces from this binary: this test fails when they are stale.
//! Regenerate with `scripts/gen-docs`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{Piar, unique};

/// Hand-written pages that live next to the generated ones.
const HAND_WRITTEN: &[&str] = &["piar.toml.5", "README.md"];

fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.expect("dir entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path()).expect("read generated file");
            (name, bytes)
        })
        .filter(|(name, _)| !HAND_WRITTEN.contains(&name.as_str()))
        .collect()
}

fn assert_same(what: &str, committed: &Path, generated: &Path) {
    let want = read_dir(generated);
    let have = read_dir(committed);
    assert!(!want.is_empty(), "piar generated no {what}");
    let want_names: Vec<_> = want.keys().collect();
    let have_names: Vec<_> = have.keys().collect();
    assert_eq!(
        have_names,
        want_names,
        "{what}: the files in {} differ from what piar generates; run scripts/gen-docs",
        committed.display()
    );
    for (name, bytes) in &want {
        assert!(
            have[name] == *bytes,
            "{what}: {}/{name} is stale; run scripts/gen-docs",
            committed.display()
        );
    }
}

#[test]
fn committed_man_pages_and_completions_are_current() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(unique("piar-gen"));
    let man = tmp.join("man");
    let comp = tmp.join("completions");
    let listed = Piar::new()
        .arg("generate")
        .arg("man")
        .arg(&man)
        .run()
        .success();
    assert!(listed.stdout.contains("piar.1") && listed.stdout.contains("piar-submit.1"));
    for shell in ["bash", "zsh", "fish"] {
        Piar::new()
            .args(["generate", "completions", shell])
            .arg(&comp)
            .run()
            .success();
    }
    assert_same("man pages", &repo.join("man"), &man);
    assert_same("completions", &repo.join("completions"), &comp);
    // The bash script completes the visible verbs and hides the internal ones.
    let bash = String::from_utf8(std::fs::read(comp.join("piar")).expect("bash completion"))
        .expect("utf-8");
    for verb in [
        "submit", "list", "show", "run", "logs", "pause", "resume", "rm",
    ] {
        assert!(bash.contains(verb), "bash completion lacks {verb}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
