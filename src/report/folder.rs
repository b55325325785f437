//! Reading a folder of certificates strictly: every `*.json` file must be a complete, valid
//! certificate, or the error names the file and says what is wrong.
//!
//! "Valid" is checked beyond parsing: the file is named after the id, every enclosure end is a
//! decimal (or an infinity or NaN, for enclosures that are not finite) and `lower <= upper`, and
//! series points are ordered in time. A hand-edited or truncated certificate is refused, never
//! reported on.

use super::digits::{parse_decimal, Bound};
use crate::cert::{file_stem, Certificate};
use std::path::{Path, PathBuf};

/// A certificate as read from disk, with its file and exact bytes.
#[derive(Clone, Debug)]
pub struct LoadedCertificate {
    /// The file it was read from.
    pub path: PathBuf,
    /// The file's bytes, unchanged (merge copies them).
    pub bytes: Vec<u8>,
    /// The parsed certificate.
    pub cert: Certificate,
}

/// A certificate file that cannot be used: the file and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadCertificate {
    /// The offending file (or folder).
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for BadCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for BadCertificate {}

/// Every `*.json` file directly in `dir`, sorted by file name (hidden and temporary files,
/// which start with `.`, are skipped).
pub fn certificate_files(dir: &Path) -> Result<Vec<PathBuf>, BadCertificate> {
    let bad = |reason: String| BadCertificate {
        path: dir.to_path_buf(),
        reason,
    };
    if !dir.is_dir() {
        return Err(bad("no such folder".into()));
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| bad(e.to_string()))? {
        let p = entry.map_err(|e| bad(e.to_string()))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_file() && name.ends_with(".json") && !name.starts_with('.') {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// Read and validate one certificate file.
pub fn read_strict(path: &Path) -> Result<LoadedCertificate, BadCertificate> {
    let bad = |reason: String| BadCertificate {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    let cert: Certificate = serde_json::from_str(text).map_err(|e| {
        let what = if e.is_eof() {
            "truncated (the JSON ends early)"
        } else {
            "not a valid certificate"
        };
        bad(format!("{what}: {e}"))
    })?;
    validate(&cert, path).map_err(bad)?;
    Ok(LoadedCertificate {
        path: path.to_path_buf(),
        bytes,
        cert,
    })
}

/// Read every certificate of a folder, sorted by file name; the first bad file stops it.
pub fn read_folder(dir: &Path) -> Result<Vec<LoadedCertificate>, BadCertificate> {
    certificate_files(dir)?
        .iter()
        .map(|p| read_strict(p))
        .collect()
}

fn check_pair(what: &str, lower: &str, upper: &str) -> Result<(), String> {
    let lo = parse_decimal(lower).map_err(|e| format!("{what}: lower: {e}"))?;
    let hi = parse_decimal(upper).map_err(|e| format!("{what}: upper: {e}"))?;
    match (&lo, &hi) {
        (Bound::Finite(l), Bound::Finite(h)) if l > h => {
            Err(format!("{what}: lower {lower} is above upper {upper}"))
        }
        (Bound::PosInf, _) | (_, Bound::NegInf) => {
            Err(format!("{what}: [{lower}, {upper}] is empty"))
        }
        _ => Ok(()),
    }
}

/// The checks beyond parsing (see the module docs).
pub fn validate(cert: &Certificate, path: &Path) -> Result<(), String> {
    if cert.id.is_empty() {
        return Err("empty id".into());
    }
    let expected = format!("{}.json", file_stem(&cert.id));
    if path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        return Err(format!(
            "file name does not match the certificate id `{}` (expected {expected})",
            cert.id
        ));
    }
    check_verdict_consistency(cert)?;
    for e in &cert.enclosures {
        check_pair(&format!("enclosure `{}`", e.name), &e.lower, &e.upper)?;
    }
    for s in &cert.series {
        let mut last_t1: Option<rug::Rational> = None;
        for (i, p) in s.points.iter().enumerate() {
            let what = format!("series `{}` point {i}", s.name);
            check_pair(&what, &p.lower, &p.upper)?;
            check_pair(&format!("{what} (end)"), &p.end_lower, &p.end_upper)?;
            let t0 = finite(&p.t0).map_err(|e| format!("{what}: t0: {e}"))?;
            let t1 = finite(&p.t1).map_err(|e| format!("{what}: t1: {e}"))?;
            if t0 > t1 {
                return Err(format!("{what}: t0 {} is after t1 {}", p.t0, p.t1));
            }
            if let Some(prev) = &last_t1 {
                if *prev > t0 {
                    return Err(format!(
                        "{what}: starts at {} before the previous step ends",
                        p.t0
                    ));
                }
            }
            last_t1 = Some(t1);
        }
    }
    Ok(())
}

/// The verdict agrees with the rest of the certificate, as every evaluator writes it: *proved*
/// and *refuted* have a margin; *undecided* has none;
/// *empirical* belongs to C8 and only to C8; the last escalation step reached the verdict
/// (unless a missed target width turned it into *undecided*). This catches a hand-edited
/// verdict; a consistent forgery needs recomputation (`regress`).
pub fn check_verdict_consistency(cert: &Certificate) -> Result<(), String> {
    use crate::cert::Verdict;
    let bad = |why: &str| Err(format!("verdict `{}` inconsistent: {why}", cert.verdict));
    let simulation = crate::claim::registry::entry(&cert.claim).is_some_and(|e| e.is_simulation());
    if (cert.verdict == Verdict::Empirical) != simulation {
        return bad(
            "`empirical` is the verdict of simulations (C8, C5-group-search) and only of them",
        );
    }
    match cert.verdict {
        Verdict::Proved if cert.margin.is_none() => return bad("a proved claim records a margin"),
        Verdict::Refuted if cert.margin.is_none() => {
            return bad("a refuted claim records a margin")
        }
        Verdict::Undecided if cert.margin.is_some() => {
            return bad("an undecided claim records no margin")
        }
        _ => {}
    }
    let width_missed = cert
        .checks
        .iter()
        .any(|c| c.name == "target width met" && !c.passed);
    if let Some(last) = cert.escalation.last() {
        if last.verdict != cert.verdict && !(width_missed && cert.verdict == Verdict::Undecided) {
            return bad(&format!(
                "the last escalation step reached `{}`",
                last.verdict
            ));
        }
    }
    Ok(())
}

fn finite(s: &str) -> Result<rug::Rational, String> {
    match parse_decimal(s)? {
        Bound::Finite(q) => Ok(q),
        _ => Err(format!("`{s}` is not finite")),
    }
}
