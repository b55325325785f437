//! The report manifest: `DIR/.hadacert-report.json` lists every file `hadacert report --out DIR`
//! wrote, so that a later report into the same folder replaces exactly its own previous output
//! (no stale `C6.tex` survives next to a new `C1.tex`) and never deletes a file it did not write.
//!
//! Rules ([`prepare`]):
//! * a missing or empty folder is used as it is (created if missing);
//! * a folder with a manifest: every file the manifest lists is removed (folders it emptied too),
//!   then the new report is written and a new manifest lists its files;
//! * a non-empty folder without a manifest, or with one that cannot be read or that lists a path
//!   outside the folder, is refused with an error and nothing in it is touched.

use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

/// File name of the manifest inside the report folder.
pub const MANIFEST_NAME: &str = ".hadacert-report.json";

/// What the manifest holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `hadacert report`.
    pub tool: String,
    /// hadacert version that wrote the report.
    pub version: String,
    /// Every file written, relative to the report folder, `/`-separated, sorted.
    pub files: Vec<String>,
}

const TOOL: &str = "hadacert report";

/// A manifest path as a path below `out`, or an error for anything that could leave the folder
/// (absolute paths, `..`, empty names).
fn inside(out: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if rel.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "{}: the manifest lists `{rel}`, which is not a file inside the report folder; \
             refusing to touch the folder (remove it or choose another --out)",
            out.join(MANIFEST_NAME).display()
        ));
    }
    Ok(out.join(p))
}

fn read(out: &Path) -> Result<Option<Manifest>, String> {
    let path = out.join(MANIFEST_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{}: not a hadacert report manifest ({e}); refusing to touch {} (remove it or \
             choose another --out)",
            path.display(),
            out.display()
        )
    })?;
    if m.tool != TOOL {
        return Err(format!(
            "{}: written by `{}`, not by `{TOOL}`; refusing to touch {}",
            path.display(),
            m.tool,
            out.display()
        ));
    }
    Ok(Some(m))
}

/// Make `out` ready for a new report: create it if missing; if it holds a previous report
/// (a manifest), remove the files that manifest lists; refuse a non-empty folder without one.
/// Returns the files removed. All paths of the manifest are checked before anything is removed.
pub fn prepare(out: &Path) -> Result<Vec<PathBuf>, String> {
    if out.exists() && !out.is_dir() {
        return Err(format!("{}: exists and is not a folder", out.display()));
    }
    if !out.exists() {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        return Ok(Vec::new());
    }
    let Some(manifest) = read(out)? else {
        let mut entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{}: the folder is not empty and holds no {MANIFEST_NAME}, so it was not written \
                 by `hadacert report`; refusing to write into it (nothing was deleted). Choose a \
                 new or empty folder for --out",
                out.display()
            ));
        }
        return Ok(Vec::new());
    };
    let paths = manifest
        .files
        .iter()
        .map(|f| inside(out, f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut removed = Vec::new();
    for p in &paths {
        match std::fs::symlink_metadata(p) {
            Ok(meta) if meta.is_file() => {
                std::fs::remove_file(p).map_err(|e| format!("{}: {e}", p.display()))?;
                removed.push(p.clone());
            }
            // a folder or link now at a listed name was not written by us: left alone
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", p.display())),
        }
    }
    // Folders the old report created (e.g. `plots/`), removed only if now empty.
    let mut dirs: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| d != out)
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    dirs.dedup();
    for d in dirs {
        let _ = std::fs::remove_dir(&d); // fails (and is left) when not empty
    }
    let path = out.join(MANIFEST_NAME);
    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(removed)
}

/// Write the manifest of a report that wrote `files` (paths below `out`).
pub fn write(out: &Path, files: &[PathBuf]) -> Result<PathBuf, String> {
    let mut rel: Vec<String> = files
        .iter()
        .map(|f| {
            let r = f
                .strip_prefix(out)
                .map_err(|_| format!("{}: written outside the report folder", f.display()))?;
            Ok(r.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"))
        })
        .collect::<Result<_, String>>()?;
    rel.sort();
    rel.dedup();
    let m = Manifest {
        tool: TOOL.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        files: rel,
    };
    let path = out.join(MANIFEST_NAME);
    let text = serde_json::to_string_pretty(&m).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_are_refused() {
        let out = Path::new("/tmp/x");
        assert!(inside(out, "../etc/passwd").is_err());
        assert!(inside(out, "/etc/passwd").is_err());
        assert!(inside(out, "").is_err());
        assert!(inside(out, "./a").is_err());
        assert_eq!(inside(out, "plots/a.svg").unwrap(), out.join("plots/a.svg"));
    }
}
