//! Regression checks: fresh certificates against pinned ones.
//!
//! A fresh folder passes when it has the same set of ids as the pinned folder (with
//! `pinned_only`: every pinned id; fresh ids that are not pinned are listed, not compared) and,
//! for every id,
//! the same verdict, the same claim inputs, every pinned enclosure (matched by name) still
//! present, every fresh enclosure intersecting its pinned namesake, and no width grown by more
//! than the width factor `F` (`fresh width <= F * pinned width`, compared exactly). Series
//! (trajectory certificates) are compared step by step in the same way, on the same time grid.
//! An enclosure that only the fresh certificate has is a note, not a regression; timings,
//! versions and digests are not compared.
//!
//! All comparisons are exact (`rug::Rational` from the stored decimal strings). An end that is
//! NaN counts as unbounded (a not-finite enclosure says nothing).

use super::digits::{parse_decimal, round_bound, Bound, Direction};
use super::folder::{read_folder, BadCertificate, LoadedCertificate};
use crate::cert::Certificate;
use rug::Rational;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

/// Most step-level findings listed per series before the rest are counted.
const MAX_STEP_FINDINGS: usize = 5;

/// An interval end on the extended line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ext {
    NegInf,
    Fin(Rational),
    PosInf,
}

fn end(s: &str, is_lower: bool) -> Ext {
    match parse_decimal(s) {
        Ok(Bound::Finite(q)) => Ext::Fin(q),
        Ok(Bound::NegInf) => Ext::NegInf,
        Ok(Bound::PosInf) => Ext::PosInf,
        // NaN (validated files have no other case): unbounded on that side.
        _ if is_lower => Ext::NegInf,
        _ => Ext::PosInf,
    }
}

fn width(lo: &Ext, hi: &Ext) -> Option<Rational> {
    match (lo, hi) {
        (Ext::Fin(l), Ext::Fin(h)) => Some(Rational::from(h - l)),
        _ => None,
    }
}

fn show_width(w: &Option<Rational>) -> String {
    match w {
        Some(w) => round_bound(w, Direction::Up, 3).to_text(),
        None => "inf".into(),
    }
}

/// What is wrong with one interval of the fresh certificate, if anything.
fn compare_interval(
    what: &str,
    pinned: (&str, &str),
    fresh: (&str, &str),
    factor: &Rational,
) -> Option<String> {
    let (pl, ph) = (end(pinned.0, true), end(pinned.1, false));
    let (fl, fh) = (end(fresh.0, true), end(fresh.1, false));
    let lo = (&pl).max(&fl);
    let hi = (&ph).min(&fh);
    let lines = |headline: String, widths: bool| {
        let (pw, fw) = (width(&pl, &ph), width(&fl, &fh));
        let (pws, fws) = if widths {
            (
                format!("  width {}", show_width(&pw)),
                format!("  width {}", show_width(&fw)),
            )
        } else {
            (String::new(), String::new())
        };
        format!(
            "{headline}\n      pinned [{}, {}]{pws}\n      fresh  [{}, {}]{fws}",
            pinned.0, pinned.1, fresh.0, fresh.1
        )
    };
    if lo > hi {
        return Some(lines(
            format!("{what}: no longer intersects the pinned enclosure"),
            false,
        ));
    }
    let grown = match (width(&pl, &ph), width(&fl, &fh)) {
        (_, None) if !matches!((&pl, &ph), (Ext::Fin(_), Ext::Fin(_))) => None,
        (Some(_), None) => Some("is no longer finite".to_string()),
        (Some(pw), Some(fw)) if fw > Rational::from(factor * &pw) => Some(if pw == 0 {
            "widened from a point".to_string()
        } else {
            let ratio = Rational::from(&fw / &pw);
            format!(
                "widened {}x (more than the allowed {}x)",
                round_bound(&ratio, Direction::Down, 3).to_text(),
                round_bound(factor, Direction::Down, 6).to_text()
            )
        }),
        _ => None,
    };
    grown.map(|g| lines(format!("{what}: {g}"), true))
}

/// The findings for one id.
#[derive(Clone, Debug, Default)]
pub struct CertDiff {
    /// Claim id.
    pub id: String,
    /// Regressions, each a readable (possibly multi-line) text.
    pub regressions: Vec<String>,
    /// Differences that are not regressions.
    pub notes: Vec<String>,
}

/// The outcome of a comparison.
#[derive(Clone, Debug, Default)]
pub struct RegressReport {
    /// Certificates compared (ids present on both sides).
    pub compared: usize,
    /// Enclosures (and series steps) compared.
    pub enclosures: usize,
    /// Ids pinned but missing from the fresh folder.
    pub missing: Vec<String>,
    /// Ids in the fresh folder but not pinned.
    pub unpinned: Vec<String>,
    /// Per-id findings (only ids with something to say).
    pub diffs: Vec<CertDiff>,
    /// Compare only the pinned ids: unpinned fresh ids are listed, not regressions.
    pub pinned_only: bool,
}

/// Most ids named on the one summary line of the unpinned ids (all with `--verbose`).
const MAX_UNPINNED_NAMED: usize = 10;
/// Most findings named on the one line of a certificate (all with `--verbose`).
const MAX_FINDINGS_NAMED: usize = 3;

impl RegressReport {
    /// Number of regressions (missing ids included, and unpinned ids unless
    /// [`RegressReport::pinned_only`]).
    pub fn regressions(&self) -> usize {
        self.missing.len()
            + if self.pinned_only {
                0
            } else {
                self.unpinned.len()
            }
            + self
                .diffs
                .iter()
                .map(|d| d.regressions.len())
                .sum::<usize>()
    }

    /// The complete diff (`--verbose`): one block per id with regressions, every finding with
    /// both intervals, then every note, then the summary line.
    pub fn render(&self, factor: &Rational) -> String {
        self.render_with(factor, true)
    }

    /// The short diff (the default): one line per certificate (its findings' headlines, at
    /// most three named), the unpinned ids of a `--pinned-only` comparison on one line, then
    /// the summary line.
    pub fn summary(&self, factor: &Rational) -> String {
        self.render_with(factor, false)
    }

    fn render_with(&self, factor: &Rational, verbose: bool) -> String {
        let mut out = String::new();
        for id in &self.missing {
            out.push_str(&format!(
                "REGRESSION {id}: pinned, but missing from the fresh certificates\n"
            ));
        }
        if self.pinned_only {
            if !self.unpinned.is_empty() {
                let shown = if verbose {
                    self.unpinned.len()
                } else {
                    MAX_UNPINNED_NAMED
                };
                let mut names = self
                    .unpinned
                    .iter()
                    .take(shown)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if self.unpinned.len() > shown {
                    names.push_str(&format!(
                        ", ... ({} more; --verbose lists them)",
                        self.unpinned.len() - shown
                    ));
                }
                out.push_str(&format!(
                    "not pinned, not compared ({} certificate(s)): {names}\n",
                    self.unpinned.len()
                ));
            }
        } else {
            for id in &self.unpinned {
                out.push_str(&format!(
                    "REGRESSION {id}: fresh certificate with no pinned counterpart (pin it or drop \
                     it, or compare with --pinned-only)\n"
                ));
            }
        }
        for d in self.diffs.iter().filter(|d| !d.regressions.is_empty()) {
            if verbose {
                out.push_str(&format!("REGRESSION {}:\n", d.id));
                for r in &d.regressions {
                    out.push_str(&format!("  - {r}\n"));
                }
            } else {
                let heads: Vec<&str> = d
                    .regressions
                    .iter()
                    .take(MAX_FINDINGS_NAMED)
                    .map(|r| r.lines().next().unwrap_or(""))
                    .collect();
                let more = d.regressions.len().saturating_sub(MAX_FINDINGS_NAMED);
                out.push_str(&format!(
                    "REGRESSION {}: {}{}\n",
                    d.id,
                    heads.join("; "),
                    if more > 0 {
                        format!("; and {more} more (--verbose lists them)")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        for d in self.diffs.iter().filter(|d| !d.notes.is_empty()) {
            if verbose {
                for n in &d.notes {
                    out.push_str(&format!("note {}: {n}\n", d.id));
                }
            } else {
                out.push_str(&format!("note {}: {}\n", d.id, d.notes.join("; ")));
            }
        }
        let f = round_bound(factor, Direction::Down, 6).to_text();
        let unpinned_note = if self.pinned_only && !self.unpinned.is_empty() {
            format!(
                "; {} unpinned certificate(s) not compared",
                self.unpinned.len()
            )
        } else {
            String::new()
        };
        if self.regressions() == 0 {
            out.push_str(&format!(
                "regress: ok: {} certificates, {} enclosures compared; verdicts equal, every \
                 enclosure intersects its pinned one, widths within {f}x{unpinned_note}\n",
                self.compared, self.enclosures
            ));
        } else {
            let ids = self.missing.len()
                + if self.pinned_only {
                    0
                } else {
                    self.unpinned.len()
                }
                + self
                    .diffs
                    .iter()
                    .filter(|d| !d.regressions.is_empty())
                    .count();
            out.push_str(&format!(
                "regress: FAILED: {} regression(s) in {ids} certificate(s); {} certificates compared (width factor {f}){unpinned_note}\n",
                self.regressions(),
                self.compared
            ));
        }
        out
    }
}

/// Compare two folders (read strictly: an unreadable, truncated or invalid file is an error
/// naming it).
pub fn compare_folders(
    pinned: &Path,
    fresh: &Path,
    factor: &Rational,
) -> Result<RegressReport, BadCertificate> {
    let p = read_folder(pinned)?;
    let f = read_folder(fresh)?;
    Ok(compare(&p, &f, factor))
}

/// [`compare_folders`], comparing only the pinned ids when `pinned_only` (the fresh ids that
/// are not pinned are then listed, not counted as regressions; a pinned id missing from the
/// fresh folder still is one).
pub fn compare_folders_with(
    pinned: &Path,
    fresh: &Path,
    factor: &Rational,
    pinned_only: bool,
) -> Result<RegressReport, BadCertificate> {
    let mut report = compare_folders(pinned, fresh, factor)?;
    report.pinned_only = pinned_only;
    Ok(report)
}

/// Compare loaded certificates.
pub fn compare(
    pinned: &[LoadedCertificate],
    fresh: &[LoadedCertificate],
    factor: &Rational,
) -> RegressReport {
    let pmap: BTreeMap<&str, &Certificate> = pinned
        .iter()
        .map(|l| (l.cert.id.as_str(), &l.cert))
        .collect();
    let fmap: BTreeMap<&str, &Certificate> = fresh
        .iter()
        .map(|l| (l.cert.id.as_str(), &l.cert))
        .collect();
    let mut report = RegressReport::default();
    for id in pmap.keys() {
        if !fmap.contains_key(id) {
            report.missing.push(id.to_string());
        }
    }
    for id in fmap.keys() {
        if !pmap.contains_key(id) {
            report.unpinned.push(id.to_string());
        }
    }
    for (id, p) in &pmap {
        let Some(f) = fmap.get(id) else { continue };
        report.compared += 1;
        let (diff, n) = compare_one(p, f, factor);
        report.enclosures += n;
        if !diff.regressions.is_empty() || !diff.notes.is_empty() {
            report.diffs.push(diff);
        }
    }
    report
}

/// Key enclosures by (name, occurrence) so repeated names still pair up in order.
fn keyed(c: &Certificate) -> BTreeMap<(String, usize), (&str, &str)> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    c.enclosures
        .iter()
        .map(|e| {
            let n = seen.entry(e.name.as_str()).or_default();
            *n += 1;
            ((e.name.clone(), *n), (e.lower.as_str(), e.upper.as_str()))
        })
        .collect()
}

fn label((name, n): &(String, usize)) -> String {
    if *n == 1 {
        format!("enclosure `{name}`")
    } else {
        format!("enclosure `{name}` (occurrence {n})")
    }
}

fn compare_one(p: &Certificate, f: &Certificate, factor: &Rational) -> (CertDiff, usize) {
    let mut d = CertDiff {
        id: p.id.clone(),
        ..CertDiff::default()
    };
    let mut count = 0;
    if p.verdict != f.verdict {
        d.regressions.push(format!(
            "verdict changed: pinned {}, fresh {}",
            p.verdict, f.verdict
        ));
    }
    if p.claim != f.claim {
        d.regressions.push(format!(
            "claim family changed: pinned {}, fresh {}",
            p.claim, f.claim
        ));
    }
    if p.inputs != f.inputs {
        d.regressions.push(
            "claim inputs differ from the pinned ones (the claim changed: re-pin it deliberately)"
                .into(),
        );
    }
    if p.precision_bits != f.precision_bits {
        d.notes.push(format!(
            "verdict reached at {} bits (pinned: {})",
            f.precision_bits, p.precision_bits
        ));
    }
    let (pe, fe) = (keyed(p), keyed(f));
    for (key, pv) in &pe {
        match fe.get(key) {
            None => d.regressions.push(format!(
                "{}: pinned, but missing from the fresh certificate",
                label(key)
            )),
            Some(fv) => {
                count += 1;
                if let Some(r) = compare_interval(&label(key), *pv, *fv, factor) {
                    d.regressions.push(r);
                }
            }
        }
    }
    for key in fe.keys().filter(|k| !pe.contains_key(*k)) {
        d.notes.push(format!("{} is new (not pinned)", label(key)));
    }
    // Series pair up by (name, occurrence), like enclosures: a certificate may hold several
    // series of the same quantity.
    let occurrence = |series: &[crate::cert::Series], k: usize| {
        series[..k]
            .iter()
            .filter(|s| s.name == series[k].name)
            .count()
    };
    for (k, ps) in p.series.iter().enumerate() {
        let n = occurrence(&p.series, k);
        let found = (0..f.series.len())
            .find(|&j| f.series[j].name == ps.name && occurrence(&f.series, j) == n);
        let Some(fs) = found.map(|j| &f.series[j]) else {
            d.regressions.push(format!(
                "series `{}`{}: pinned, but missing from the fresh certificate",
                ps.name,
                if n > 0 {
                    format!(" (occurrence {})", n + 1)
                } else {
                    String::new()
                }
            ));
            continue;
        };
        if ps.points.len() != fs.points.len() {
            d.regressions.push(format!(
                "series `{}`: {} steps, pinned {}",
                ps.name,
                fs.points.len(),
                ps.points.len()
            ));
            continue;
        }
        let mut findings = Vec::new();
        for (i, (pp, fp)) in ps.points.iter().zip(&fs.points).enumerate() {
            let same_t = |a: &str, b: &str| {
                parse_decimal(a).ok() == parse_decimal(b).ok() && parse_decimal(a).is_ok()
            };
            if !same_t(&pp.t0, &fp.t0) || !same_t(&pp.t1, &fp.t1) {
                findings.push(format!(
                    "series `{}` step {i}: time grid changed: pinned [{}, {}], fresh [{}, {}]",
                    ps.name, pp.t0, pp.t1, fp.t0, fp.t1
                ));
                break;
            }
            count += 2;
            let what = format!("series `{}` step {i} [t = {}, {}]", ps.name, pp.t0, pp.t1);
            if let Some(r) = compare_interval(
                &what,
                (&pp.lower, &pp.upper),
                (&fp.lower, &fp.upper),
                factor,
            ) {
                findings.push(r);
            }
            if let Some(r) = compare_interval(
                &format!("{what} at t1"),
                (&pp.end_lower, &pp.end_upper),
                (&fp.end_lower, &fp.end_upper),
                factor,
            ) {
                findings.push(r);
            }
        }
        let extra = findings.len().saturating_sub(MAX_STEP_FINDINGS);
        d.regressions
            .extend(findings.into_iter().take(MAX_STEP_FINDINGS));
        if extra > 0 {
            d.regressions.push(format!(
                "series `{}`: {extra} more step regression(s)",
                ps.name
            ));
        }
    }
    for (j, fs) in f.series.iter().enumerate() {
        let n = occurrence(&f.series, j);
        if !(0..p.series.len())
            .any(|k| p.series[k].name == fs.name && occurrence(&p.series, k) == n)
        {
            d.notes
                .push(format!("series `{}` is new (not pinned)", fs.name));
        }
    }
    (d, count)
}

/// Parse a width factor (an exact decimal or rational `p/q`, at least 1).
pub fn parse_factor(s: &str) -> Result<Rational, String> {
    let q = if let Some((n, d)) = s.split_once('/') {
        let n: rug::Integer = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a number"))?;
        let d: rug::Integer = d
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a number"))?;
        if d == 0 {
            return Err(format!("`{s}`: zero denominator"));
        }
        Rational::from((n, d))
    } else {
        match parse_decimal(s)? {
            Bound::Finite(q) => q,
            _ => return Err(format!("`{s}` is not finite")),
        }
    };
    if q.cmp(&Rational::from(1)) == Ordering::Less {
        return Err(format!("the width factor must be at least 1, got {s}"));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: i32) -> Rational {
        Rational::from(x)
    }

    #[test]
    fn intervals() {
        assert!(compare_interval("x", ("1", "2"), ("1.5", "2.5"), &f(4)).is_none());
        let r = compare_interval("x", ("1", "2"), ("2.5", "3"), &f(4)).unwrap();
        assert!(
            r.contains("no longer intersects") && r.contains("pinned [1, 2]"),
            "{r}"
        );
        let r = compare_interval("x", ("1", "1.1"), ("0", "2"), &f(4)).unwrap();
        assert!(r.contains("widened 20x"), "{r}");
        assert!(compare_interval("x", ("1", "1.1"), ("1", "1.4"), &f(4)).is_none());
        assert!(compare_interval("x", ("1", "1.1"), ("1", "1.41"), &f(4)).is_some());
        assert!(compare_interval("x", ("1", "2"), ("-inf", "2"), &f(4)).is_some());
        assert!(compare_interval("x", ("-inf", "2"), ("NaN", "NaN"), &f(4)).is_none());
        assert!(compare_interval("x", ("1", "1"), ("1", "1"), &f(4)).is_none());
        assert!(compare_interval("x", ("1", "1"), ("1", "1.1"), &f(4))
            .unwrap()
            .contains("from a point"));
    }

    #[test]
    fn summary_is_one_line_per_certificate_and_pinned_only_lists_the_rest() {
        let finding = |what: &str| format!("{what}: no longer intersects\n      pinned [1, 2]");
        let mut report = RegressReport {
            compared: 2,
            enclosures: 9,
            missing: vec!["gone".into()],
            unpinned: (0..12).map(|i| format!("extra-{i:02}")).collect(),
            diffs: vec![CertDiff {
                id: "moved".into(),
                regressions: (0..5)
                    .map(|i| finding(&format!("enclosure `e{i}`")))
                    .collect(),
                notes: vec!["a".into(), "b".into()],
            }],
            pinned_only: false,
        };
        let one = Rational::from(4);
        // Strict: each unpinned id is a regression.
        assert_eq!(report.regressions(), 1 + 12 + 5);
        let short = report.summary(&one);
        let moved: Vec<&str> = short.lines().filter(|l| l.contains("moved")).collect();
        assert_eq!(moved.len(), 2, "{short}");
        assert!(
            moved[0].starts_with("REGRESSION moved: enclosure `e0`: no longer intersects; ")
                && moved[0].ends_with("; and 2 more (--verbose lists them)"),
            "{short}"
        );
        assert_eq!(moved[1], "note moved: a; b");
        assert!(!short.contains("pinned [1, 2]"), "{short}");
        assert!(short.contains("compare with --pinned-only"), "{short}");
        let full = report.render(&one);
        assert_eq!(full.matches("pinned [1, 2]").count(), 5, "{full}");
        // Pinned only: the unpinned ids are one line, not regressions; a missing pinned id is.
        report.pinned_only = true;
        assert_eq!(report.regressions(), 1 + 5);
        let short = report.summary(&one);
        assert!(!short.contains("REGRESSION extra"), "{short}");
        let line: Vec<&str> = short.lines().filter(|l| l.contains("extra-")).collect();
        assert_eq!(line.len(), 1, "{short}");
        assert!(
            line[0].starts_with("not pinned, not compared (12 certificate(s)): extra-00, ")
                && line[0].contains("extra-09, ... (2 more")
                && !line[0].contains("extra-10"),
            "{short}"
        );
        assert!(report.render(&one).contains("extra-11"));
        assert!(
            short.contains("REGRESSION gone: pinned, but missing"),
            "{short}"
        );
        assert!(
            short.ends_with("; 12 unpinned certificate(s) not compared\n"),
            "{short}"
        );
    }

    #[test]
    fn factors() {
        assert_eq!(parse_factor("4").unwrap(), f(4));
        assert_eq!(parse_factor("2.5").unwrap(), Rational::from((5, 2)));
        assert_eq!(parse_factor("3/2").unwrap(), Rational::from((3, 2)));
        assert!(parse_factor("0.5").is_err());
        assert!(parse_factor("x").is_err());
    }
}
