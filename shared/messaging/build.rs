//! Embeds every file under `templates/` into the binary, so that a language or a message is
//! added by adding files: nothing to list by hand.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a compiled script is reused when
    // the checkout (or its target directory) moves, and would then look where it no longer is.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest_dir).join("templates");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for language in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        println!("cargo:rerun-if-changed={}", language.path().display());
        for file in std::fs::read_dir(language.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.is_file() {
                let name = format!(
                    "{}/{}",
                    language.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                files.push((name, path.display().to_string()));
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Every template file, by its path under `templates/`.\npub(crate) const TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in files {
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("templates.rs");
    if let Err(err) = std::fs::write(&target, out) {
        panic!("writing {}: {err}", target.display());
    }
}
