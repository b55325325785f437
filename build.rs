//! Build id: an FNV-1a 64-bit hash of the sources that make up this build (every file under
//! `src/`, sorted by path, then `Cargo.toml`, `Cargo.lock` and this file), exported to the crate
//! as the environment variable `HADACERT_BUILD_ID` (16 hex digits). Region checkpoints and
//! certificates record it, so state left by another build (even one with the same version
//! string) is never taken for this build's. Std only.

use std::path::{Path, PathBuf};

fn fnv1a64(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let mut sources = Vec::new();
    files_under(&root.join("src"), &mut sources);
    sources.sort();
    for name in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        sources.push(root.join(name));
    }
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in &sources {
        // The path (relative, with `/`) and the length frame each file's bytes, so moving
        // bytes between files changes the id.
        let rel = p.strip_prefix(&root).unwrap_or(p);
        let rel = rel.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(p).unwrap_or_default();
        h = fnv1a64(h, rel.as_bytes());
        h = fnv1a64(h, &[0]);
        h = fnv1a64(h, &(bytes.len() as u64).to_le_bytes());
        h = fnv1a64(h, &bytes);
        println!("cargo:rerun-if-changed={}", p.display());
    }
    // A file added to or removed from src/ changes the directory listings.
    println!("cargo:rerun-if-changed={}", root.join("src").display());
    println!("cargo:rustc-env=HADACERT_BUILD_ID={h:016x}");
}
