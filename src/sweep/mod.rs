//! Sweeps beyond one machine: sharding the claims of a run (`certify --shard i/n`) and merging
//! the shards' certificate folders (`hadacert merge`) into the folder a single run gives.
//!
//! **Shards.** Claim ids are sorted (byte order); shard `i/n` (1-based: `1 <= i <= n`, as
//! Slurm's `SLURM_ARRAY_TASK_ID` with `--array=1-n`) takes the ids at sorted positions `p` with
//! `p mod n = i - 1`. The share depends only on the set of ids, not on file order, threads or
//! machine, and the `n` shards partition the claims.
//!
//! **Merge.** Certificates are copied byte for byte (each written atomically), so the merged
//! folder holds exactly the files a single run writes (only `elapsed_ms`, the measured time,
//! differs between runs). The same id in two shards is accepted once if the two certificates
//! are equal apart from `elapsed_ms`, and is a conflict otherwise; with the expected ids (from
//! the claim files) every missing or unexpected certificate is reported. Nothing is written when
//! there is a conflict or a gap.
//!
//! Architecture invariant: this module reads certificates through [`crate::report::folder`]
//! and never evaluates a claim.

use crate::report::folder::{certificate_files, read_folder, BadCertificate, LoadedCertificate};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Shard `index` of `count` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    /// Number of shards, at least 1.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}`: a shard is i/n with 1 <= i <= n (1-based), e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// For each id, whether it belongs to this shard (see the module docs).
    pub fn members<S: AsRef<str>>(&self, ids: &[S]) -> Vec<bool> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| ids[a].as_ref().cmp(ids[b].as_ref()).then(a.cmp(&b)));
        let mut member = vec![false; ids.len()];
        for (pos, &i) in order.iter().enumerate() {
            member[i] = pos % self.count == self.index - 1;
        }
        member
    }
}

/// Why a merge did not happen.
#[derive(Debug)]
pub enum MergeError {
    /// A certificate file (or folder) cannot be used: exit 2.
    Bad(BadCertificate),
    /// The output folder cannot be written or holds stray certificates: exit 2.
    Output(String),
    /// Conflicting duplicates, missing or unexpected certificates: exit 1. Nothing was written.
    Inconsistent(Vec<String>),
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeError::Bad(b) => write!(f, "{b}"),
            MergeError::Output(s) => f.write_str(s),
            MergeError::Inconsistent(v) => {
                write!(
                    f,
                    "{} problem(s); nothing written:\n  {}",
                    v.len(),
                    v.join("\n  ")
                )
            }
        }
    }
}

/// What a merge did.
#[derive(Clone, Debug, Default)]
pub struct MergeSummary {
    /// Certificates written.
    pub written: usize,
    /// Duplicates accepted (equal apart from `elapsed_ms`): id and the two files.
    pub duplicates: Vec<String>,
}

fn same_apart_from_time(a: &LoadedCertificate, b: &LoadedCertificate) -> bool {
    let mut x = a.cert.clone();
    let mut y = b.cert.clone();
    x.elapsed_ms = 0;
    y.elapsed_ms = 0;
    x == y
}

fn first_difference(a: &LoadedCertificate, b: &LoadedCertificate) -> String {
    let (x, y) = (&a.cert, &b.cert);
    if x.verdict != y.verdict {
        format!("verdicts {} and {}", x.verdict, y.verdict)
    } else if x.claim_digest != y.claim_digest {
        "made from different claims (digests differ)".into()
    } else if x.enclosures != y.enclosures {
        "enclosures differ".into()
    } else {
        "contents differ".into()
    }
}

/// Merge the certificate folders `shards` into `out` (see the module docs). With `expected`,
/// every expected id must be present and no other.
pub fn merge(
    shards: &[PathBuf],
    out: &Path,
    expected: Option<&[String]>,
) -> Result<MergeSummary, MergeError> {
    let mut merged: BTreeMap<String, LoadedCertificate> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut summary = MergeSummary::default();
    for dir in shards {
        for l in read_folder(dir).map_err(MergeError::Bad)? {
            match merged.get(&l.cert.id) {
                None => {
                    merged.insert(l.cert.id.clone(), l);
                }
                Some(prev) if same_apart_from_time(prev, &l) => summary.duplicates.push(format!(
                    "{}: in {} and {} (equal apart from elapsed_ms; kept the first)",
                    l.cert.id,
                    prev.path.display(),
                    l.path.display()
                )),
                Some(prev) => problems.push(format!(
                    "conflict: {} is in {} and {}, {}",
                    l.cert.id,
                    prev.path.display(),
                    l.path.display(),
                    first_difference(prev, &l)
                )),
            }
        }
    }
    if let Some(ids) = expected {
        let want: std::collections::BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        for id in &want {
            if !merged.contains_key(*id) {
                problems.push(format!(
                    "missing: no shard has a certificate for claim {id}"
                ));
            }
        }
        for id in merged.keys() {
            if !want.contains(id.as_str()) {
                problems.push(format!(
                    "unexpected: {} ({}) is not a claim of the given claim files",
                    id,
                    merged[id].path.display()
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(MergeError::Inconsistent(problems));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| MergeError::Output(format!("{}: {e}", out.display())))?;
    let names: std::collections::BTreeSet<String> = merged
        .values()
        .filter_map(|l| l.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let existing = certificate_files(out).map_err(MergeError::Bad)?;
    let stray: Vec<String> = existing
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !names.contains(n))
        .collect();
    if !stray.is_empty() {
        return Err(MergeError::Output(format!(
            "{} already holds certificates that no shard has ({}); merge into an empty folder",
            out.display(),
            stray.join(", ")
        )));
    }
    for l in merged.values() {
        let name = l.path.file_name().expect("read_folder yields files");
        copy_atomic(&l.bytes, &out.join(name))
            .map_err(|e| MergeError::Output(format!("{}: {e}", out.join(name).display())))?;
        summary.written += 1;
    }
    Ok(summary)
}

/// Write `bytes` to `target` atomically (temporary file in the same folder, fsync, rename).
fn copy_atomic(bytes: &[u8], target: &Path) -> std::io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_syntax() {
        assert_eq!(
            "2/3".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 3 }
        );
        for bad in ["0/3", "4/3", "1/0", "x/2", "2", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_by_sorted_id() {
        let ids = ["d", "a", "c", "b", "e"];
        let take = |i| {
            let m = Shard { index: i, count: 2 }.members(&ids);
            ids.iter()
                .zip(m)
                .filter(|(_, m)| *m)
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
        };
        assert_eq!(take(1), ["a", "c", "e"]);
        assert_eq!(take(2), ["d", "b"]);
        assert!(Shard { index: 1, count: 1 }
            .members(&ids)
            .iter()
            .all(|m| *m));
    }
}
