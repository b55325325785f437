//! Certificates: the JSON record of one claim's verdict, with the exact inputs, the enclosures
//! that decided it (decimal strings rounded outward) and provenance.
//!
//! Architecture invariant: a [`Verdict`] of `proved` or `refuted` is produced only by the
//! claim evaluators from values of a type implementing [`crate::arith::Enclosure`] (see
//! [`EnclosureRecord::from_enclosure`]); f64 has no such implementation.

use crate::arith::{Enclosure, Field, MpfrInterval, Real};
use rug::Rational;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Identifies the build: an FNV-1a 64-bit hash (16 hex digits) of every file under `src/`,
/// `Cargo.toml`, `Cargo.lock` and `build.rs`, computed by `build.rs`. Two builds from different
/// sources have different ids even when their version strings agree.
pub const BUILD_ID: &str = env!("HADACERT_BUILD_ID");

/// The answer to a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Rigorous enclosures show the statement holds.
    Proved,
    /// Rigorous enclosures show the statement fails.
    Refuted,
    /// The enclosures were too wide (or not finite) to decide: says nothing about the claim.
    Undecided,
    /// Not certified: the claim was simulated, and the certificate reports approximations
    /// (no enclosures). Only the C8 evaluator ([`crate::claim::empirical`]) produces it, and it
    /// produces nothing else.
    Empirical,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Proved => "proved",
            Verdict::Refuted => "refuted",
            Verdict::Undecided => "undecided",
            Verdict::Empirical => "empirical",
        })
    }
}

/// An enclosure as stored in a certificate: ends as decimal strings, the lower rounded down and
/// the upper rounded up, so the stored interval contains the computed one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnclosureRecord {
    /// What is enclosed.
    pub name: String,
    /// Lower end, rounded down.
    pub lower: String,
    /// Upper end, rounded up.
    pub upper: String,
}

/// Significant decimal digits that show a `prec`-bit enclosure without losing information.
pub fn digits_for_precision(prec: u32) -> usize {
    ((prec as f64) * std::f64::consts::LOG10_2).ceil() as usize + 2
}

impl EnclosureRecord {
    /// Record an enclosure with enough digits for its precision (outward rounded).
    pub fn from_enclosure<T: Enclosure>(name: impl Into<String>, x: &T) -> Self {
        let digits = digits_for_precision(x.prec().min(4096));
        let (lower, upper) = if x.is_finite() {
            x.to_decimal_bounds(digits)
        } else {
            (format!("{}", x.lower_f64()), format!("{}", x.upper_f64()))
        };
        EnclosureRecord {
            name: name.into(),
            lower: keep_readable(lower, false),
            upper: keep_readable(upper, true),
        }
    }
}

/// Significant digits of a margin.
pub const MARGIN_DIGITS: usize = 7;

/// A margin from the enclosure of a *slack* (how far the deciding quantity clears its
/// threshold, oriented so that a positive slack is what decided): its lower end rounded down to
/// [`MARGIN_DIGITS`] significant digits. Guarantee: the returned decimal is `<=` every point of
/// `slack`, so it is a lower bound on the true slack. `None` when `slack` is not finite.
pub fn margin_lower<T: Enclosure>(slack: &T) -> Option<String> {
    slack
        .is_finite()
        .then(|| keep_readable(slack.to_decimal_bounds(MARGIN_DIGITS).0, false))
}

/// A margin from an exact rational slack, rounded down to [`MARGIN_DIGITS`] significant digits.
/// Guarantee: the returned decimal is `<= q`.
pub fn margin_exact(q: &Rational) -> String {
    // A 128-bit enclosure of q, then its lower end rounded down: never above q.
    margin_lower(&MpfrInterval::from_rational(q, 128)).unwrap_or_else(|| "0".into())
}

/// An f64 upper bound written as a decimal that is still an upper bound: `x` rounded up to 17
/// significant digits (`{x:e}` prints the shortest round-trip decimal, which can lie below `x`).
/// Guarantee: the returned decimal is `>= x`; `inf` for a non-finite `x`.
pub fn decimal_upper(x: f64) -> String {
    if !x.is_finite() {
        return "inf".into();
    }
    keep_readable(MpfrInterval::from_f64(x, 64).to_decimal_bounds(17).1, true)
}

/// Largest decimal exponent (of the leading digit) written into a certificate; readers accept
/// up to [`crate::report::digits::MAX_EXPONENT`] for the last digit.
pub const MAX_WRITTEN_EXPONENT: i64 = 999_000;

/// The decimal exponent of the leading non-zero digit of a decimal string (`None` for zero,
/// `inf`, `nan` or anything unparsable).
fn leading_exponent(s: &str) -> Option<i64> {
    let t = s.trim_start_matches(['-', '+']);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int_digits = int_part.trim_start_matches('0');
    if !int_digits.is_empty() {
        return Some(exp + int_digits.len() as i64 - 1);
    }
    let zeros = frac_part.len() - frac_part.trim_start_matches('0').len();
    if zeros == frac_part.len() {
        return None;
    }
    Some(exp - zeros as i64 - 1)
}

/// Widens an end whose decimal exponent would leave the readable range outward to a readable
/// one (an MPFR enclosure can end at 1e-323228497): the written interval only grows, so it
/// still contains the computed one.
fn keep_readable(s: String, upper: bool) -> String {
    let Some(e) = leading_exponent(&s) else {
        return s;
    };
    let negative = s.starts_with('-');
    let (tiny, huge) = (e < -MAX_WRITTEN_EXPONENT, e > MAX_WRITTEN_EXPONENT);
    let word = |w: &str| w.to_string();
    match (upper, negative, tiny, huge) {
        (true, false, true, _) => format!("1e-{MAX_WRITTEN_EXPONENT}"),
        (true, true, true, _) => word("0"),
        (true, false, _, true) => word("inf"),
        (true, true, _, true) => format!("-1e{MAX_WRITTEN_EXPONENT}"),
        (false, false, true, _) => word("0"),
        (false, true, true, _) => format!("-1e-{MAX_WRITTEN_EXPONENT}"),
        (false, false, _, true) => format!("1e{MAX_WRITTEN_EXPONENT}"),
        (false, true, _, true) => word("-inf"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_ends_are_widened_outward_to_readable_ones() {
        assert_eq!(leading_exponent("2.38e-323228497"), Some(-323228497));
        assert_eq!(leading_exponent("-0.00123"), Some(-3));
        assert_eq!(leading_exponent("123.4e5"), Some(7));
        assert_eq!(leading_exponent("0"), None);
        let up = keep_readable("2.38e-323228497".into(), true);
        assert_eq!(up, "1e-999000");
        assert_eq!(keep_readable("2.38e-323228497".into(), false), "0");
        assert_eq!(keep_readable("-2.38e-323228497".into(), true), "0");
        assert_eq!(
            keep_readable("-2.38e-323228497".into(), false),
            "-1e-999000"
        );
        assert_eq!(keep_readable("2.38e323228497".into(), true), "inf");
        assert_eq!(keep_readable("2.38e323228497".into(), false), "1e999000");
        assert_eq!(keep_readable("-2.38e323228497".into(), false), "-inf");
        assert_eq!(keep_readable("-2.38e323228497".into(), true), "-1e999000");
        assert_eq!(keep_readable("1.5e-300".into(), false), "1.5e-300");
    }
}

/// One sub-check of a certificate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Numbers or positions behind the result.
    pub detail: String,
}

/// One step of precision escalation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EscalationStep {
    /// Precision in bits.
    pub precision_bits: u32,
    /// The largest width among the deciding enclosures, rounded up.
    pub max_width: String,
    /// The verdict at this precision.
    pub verdict: Verdict,
}

/// The certificate of one claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Claim id from the claim file.
    pub id: String,
    /// Claim family (`C1`, `C1r`, `C2`, ...).
    pub claim: String,
    /// The statement that was decided, in words.
    pub statement: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict the claim file expects.
    pub expect: Verdict,
    /// Backend name (`inari`, `mpfr`).
    pub backend: String,
    /// Working precision in bits (53 for inari) at which the verdict was reached.
    pub precision_bits: u32,
    /// The loss and time convention.
    pub loss_convention: String,
    /// The exact inputs, as written in the claim file (decimal or rational strings).
    pub inputs: serde_json::Value,
    /// The exact values the inputs expand to (generated vectors included), as decimal or
    /// rational strings; vectors longer than 64 entries are given by count and digest only.
    pub exact_inputs: serde_json::Value,
    /// The enclosures that decided the verdict.
    pub enclosures: Vec<EnclosureRecord>,
    /// How far the deciding quantity is from the decision threshold (decimal, rounded towards
    /// the safe side); `None` when undecided.
    pub margin: Option<String>,
    /// Sub-checks.
    pub checks: Vec<Check>,
    /// Precision escalation steps (one step when no escalation was requested).
    pub escalation: Vec<EscalationStep>,
    /// The claim file the claim came from (relative path as given).
    pub source: String,
    /// Digest of the claim's parameters and the crate version (resume uses it).
    pub claim_digest: String,
    /// hadacert version that produced the certificate.
    pub crate_version: String,
    /// The [`BUILD_ID`] of the build that produced the certificate (redacted in snapshots);
    /// empty in certificates written before it was recorded. `certify --resume` reuses only
    /// certificates of this build.
    #[serde(default)]
    pub build_id: String,
    /// Wall-clock time of the evaluation in milliseconds (redacted in snapshots).
    pub elapsed_ms: u64,
    /// Certified time series (trajectory claims): enclosures over consecutive time intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<Series>,
}

/// Enclosures of one quantity along a certified trajectory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// What is enclosed (`V`, `loss`, `lambda_3`, ...).
    pub name: String,
    /// One point per integration step.
    pub points: Vec<SeriesPoint>,
}

/// The enclosure of a quantity over the whole time interval `[t0, t1]` (one integration step),
/// and at its end time `t1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Step start time (exact decimal or rational, e.g. `77905481523622621/36028797018963968`).
    pub t0: String,
    /// Step end time (exact decimal or rational).
    pub t1: String,
    /// Lower end over [t0, t1], rounded down.
    pub lower: String,
    /// Upper end over [t0, t1], rounded up.
    pub upper: String,
    /// Lower end at t1, rounded down.
    pub end_lower: String,
    /// Upper end at t1, rounded up.
    pub end_upper: String,
}

/// The loss convention written into every certificate.
pub const LOSS_CONVENTION: &str =
    "mean cross-entropy L = (1/K) sum_k [log sum_j exp(Z_jk) - Z_kk]; gradient flow of L (summed loss = time scaled by K)";

/// Write `cert` as pretty JSON to `dir/<id>.json` atomically: a temporary file in the same
/// folder is written, flushed to disk and renamed over the target, so a reader sees either the
/// old file or the complete new one.
pub fn write_atomic(dir: &Path, cert: &Certificate) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let target = dir.join(format!("{}.json", file_stem(&cert.id)));
    let tmp = dir.join(format!(
        ".{}.json.tmp-{}",
        file_stem(&cert.id),
        std::process::id()
    ));
    let text = serde_json::to_string_pretty(cert).map_err(std::io::Error::other)?;
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &target)?;
    Ok(target)
}

/// Read a certificate; `None` if missing or not a complete, valid certificate.
pub fn read_certificate(path: &Path) -> Option<Certificate> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// A claim id made safe as a file name (ids are validated to `[A-Za-z0-9._-]`, so this is the
/// identity on valid ids).
pub fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
