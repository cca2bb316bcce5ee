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

/// Run the committed bash completion for the words `line` (the last one is
/// being completed) with this build's piar first on PATH; returns COMPREPLY.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = crate::support::piar_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; \
         _piar_job_names piar '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        repo.join("completions/piar").display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .env("PATH", path)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_job_names_after_verbs_that_take_one() {
    let name = unique("compl");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    let names = Piar::new().args(["list", "--names"]).run().success();
    assert!(names.stdout.lines().any(|l| l == name), "{}", names.stdout);
    let prefix = &name[..name.len() - 2];
    for verb in ["show", "rm", "logs", "pause"] {
        let got = bash_complete(&["piar", verb, prefix]);
        assert!(got.contains(&name), "piar {verb} {prefix}<TAB>: {got:?}");
    }
    // Not after a verb without a job name, nor in the second position.
    assert!(!bash_complete(&["piar", "list", prefix]).contains(&name));
    assert!(!bash_complete(&["piar", "show", &name, prefix]).contains(&name));
    // Options still come from clap's completion.
    assert!(bash_complete(&["piar", "show", "--"]).contains(&"--json".to_string()));
    Piar::new().args(["rm", &name]).run().success();
}
