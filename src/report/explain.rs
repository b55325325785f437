//! `hadacert explain`: one certificate in words, made from the certificate alone.
//!
//! It says what was decided (the statement), the verdict and the checks that decided it, the
//! key enclosures in certified digits ([`super::digits`]), the margin, and, for an *undecided*
//! verdict, the causes it can read off the evidence and what to try next. The causes are read
//! from the recorded checks and enclosures only: nothing is recomputed, so an explanation can
//! never say more than the certificate.

use super::digits::certified_digits;
use crate::cert::{Certificate, Verdict};
use std::fmt::Write;

/// Most enclosures listed in full (the rest are counted).
pub const MAX_ENCLOSURES_SHOWN: usize = 10;

/// What the evidence of an *undecided* certificate points at, with what to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// What the evidence shows.
    pub finding: String,
    /// What to try.
    pub suggestion: String,
}

fn is_infinite(end: &str) -> bool {
    let t = end.trim_start_matches(['-', '+']).to_ascii_lowercase();
    t == "inf" || t == "infinity" || t == "nan"
}

/// The causes an undecided (or mismatching) certificate shows, most specific first.
pub fn causes(cert: &Certificate) -> Vec<Cause> {
    let mut out = Vec::new();
    let failed: Vec<&crate::cert::Check> = cert.checks.iter().filter(|c| !c.passed).collect();
    let has = |needle: &str| {
        failed
            .iter()
            .any(|c| c.name.contains(needle) || c.detail.contains(needle))
    };
    let infinite: Vec<&str> = cert
        .enclosures
        .iter()
        .filter(|e| is_infinite(&e.lower) || is_infinite(&e.upper))
        .map(|e| e.name.as_str())
        .collect();
    let v_infinite = infinite.iter().any(|n| {
        let n = n.trim_start();
        n.starts_with("V(") || n.starts_with("V ") || n == "V" || n.starts_with("V=")
    });
    if v_infinite {
        out.push(Cause {
            finding: "V is not finite: V = log(mean lambda) - mean log lambda is +infinity when a \
                      mode is 0, and a mode that starts at 0 stays 0 (its field component is a \
                      multiple of it), so V stays infinite along the whole trajectory"
                .into(),
            suggestion: "this is degenerate, not a precision problem: state the bound on the \
                         non-zero modes, or start with every mode m != 0 positive"
                .into(),
        });
    } else if !infinite.is_empty() {
        out.push(Cause {
            finding: format!(
                "{} enclosure(s) are not finite ({}): a not-finite enclosure never decides \
                 anything",
                infinite.len(),
                infinite
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            suggestion: if cert.backend == "inari" {
                "exp overflows f64 beyond about 709: try --backend mpfr, whose exponent range is \
                 far larger"
                    .into()
            } else {
                "check the inputs for a quantity that is infinite at the state (log 0, a \
                 division by 0); more precision does not help an infinite value"
                    .into()
            },
        });
    }
    if has("exact argument") && cert.claim.starts_with("C1") {
        out.push(Cause {
            finding: "no exact argument for \"diagonal\": the matrix is not Sylvester's up to \
                      the operations that keep the property, and enclosures alone show only \
                      |off-diagonal| <= b, never = 0"
                .into(),
            suggestion: "this claim can only be refuted: more precision (--backend mpfr --prec \
                         256) may show an off-diagonal entry certainly non-zero"
                .into(),
        });
    }
    if has("undecided box") || has("depth limit") {
        out.push(Cause {
            finding: "boxes were left undecided at the depth limit (the rate is too close to 0 \
                      there for interval evaluation)"
                .into(),
            suggestion: "raise max_depth, split the region so the hard part is a claim of its \
                         own, or, near NC where the rate is exactly 0, allow a sign argument \
                         there (nc_radius)"
                .into(),
        });
    }
    if has("budget") || has("unprocessed") {
        out.push(Cause {
            finding: "the box budget ran out before every box was processed".into(),
            suggestion: "raise max_boxes (an interrupted run resumes with --resume)".into(),
        });
    }
    if has("width") {
        out.push(Cause {
            finding: "an enclosure was wider than the claim's width bound".into(),
            suggestion: precision_suggestion(cert),
        });
    }
    if has("integrat") || has("step") && has("floor") {
        out.push(Cause {
            finding: "the validated integration did not reach the horizon".into(),
            suggestion: "a tighter tolerance or a shorter horizon; on MPFR, more precision".into(),
        });
    }
    if out.is_empty() && cert.verdict == Verdict::Undecided {
        out.push(Cause {
            finding: match failed.first() {
                Some(c) => format!(
                    "the deciding enclosure straddles the threshold: {}{}",
                    c.name,
                    if c.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", c.detail)
                    }
                ),
                None => "the enclosures were too wide to decide".into(),
            },
            suggestion: precision_suggestion(cert),
        });
    }
    out
}

fn precision_suggestion(cert: &Certificate) -> String {
    if cert.backend == "inari" {
        "more precision: --backend mpfr --prec 128 (inari is fixed at 53 bits)".into()
    } else {
        format!(
            "more precision: --prec {} (or a target_width with max_precision_bits to escalate)",
            cert.precision_bits.saturating_mul(2)
        )
    }
}

fn show_enclosure(lower: &str, upper: &str) -> String {
    match certified_digits(lower, upper, Some(16)) {
        Ok(d) if !(is_infinite(lower) || is_infinite(upper)) => {
            format!("{}    [{lower}, {upper}]", d.to_text())
        }
        _ => format!("[{lower}, {upper}]"),
    }
}

/// The explanation of one certificate, as plain text.
///
/// ```
/// use hadacert::claim::{certify, parse_claims};
/// use hadacert::report::explain::explain;
/// let text = r#"
/// [[claim]]
/// id = "c4"
/// kind = "C4"
/// expect = "proved"
/// backend = "inari"
/// width_bound = "1e-12"
/// flow = "balanced"
/// start = { kind = "list", values = ["0", "1", "2", "3"] }
/// "#;
/// let claim = &parse_claims(text, std::path::Path::new("c4.toml")).unwrap()[0];
/// let out = explain(&certify(claim));
/// assert!(out.contains("verdict: proved") && out.contains("dV/dt"));
/// ```
pub fn explain(cert: &Certificate) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({}, from {})", cert.id, cert.claim, cert.source);
    let _ = writeln!(s, "statement: {}", cert.statement);
    let expect = if cert.verdict == cert.expect {
        "as the claim file expects".to_string()
    } else {
        format!("MISMATCH: the claim file expects {}", cert.expect)
    };
    let _ = writeln!(
        s,
        "verdict: {} ({expect}), {} at {} bits",
        cert.verdict, cert.backend, cert.precision_bits
    );
    if cert.escalation.len() > 1 {
        let steps: Vec<String> = cert
            .escalation
            .iter()
            .map(|e| {
                format!(
                    "{} bits: {} (widest {})",
                    e.precision_bits, e.verdict, e.max_width
                )
            })
            .collect();
        let _ = writeln!(s, "precision escalation: {}", steps.join("; "));
    }
    if cert.verdict == Verdict::Empirical {
        let _ = writeln!(
            s,
            "NOT CERTIFIED: a simulation; its numbers are approximations, not enclosures"
        );
    }
    match &cert.margin {
        Some(m) => {
            let _ = writeln!(
                s,
                "margin (a lower bound, rounded down, on how far the deciding quantity clears \
                 its threshold): {m}"
            );
        }
        None => {
            let _ = writeln!(s, "margin: none (nothing was decided)");
        }
    }
    let (passed, failed): (Vec<_>, Vec<_>) = cert.checks.iter().partition(|c| c.passed);
    let line = |c: &crate::cert::Check| {
        if c.detail.is_empty() {
            c.name.clone()
        } else {
            format!("{}: {}", c.name, c.detail)
        }
    };
    match cert.verdict {
        Verdict::Proved => {
            let _ = writeln!(s, "decided by: every check passed");
        }
        Verdict::Refuted => {
            let _ = writeln!(s, "decided by: the checks that certainly fail");
        }
        _ => {
            let _ = writeln!(s, "not decided: the checks that did not pass");
        }
    }
    for c in if cert.verdict == Verdict::Proved {
        &passed
    } else {
        &failed
    } {
        let _ = writeln!(s, "  {} {}", if c.passed { "+" } else { "-" }, line(c));
    }
    if cert.verdict != Verdict::Proved && !passed.is_empty() {
        let _ = writeln!(s, "checks that passed:");
        for c in &passed {
            let _ = writeln!(s, "  + {}", line(c));
        }
    }
    if !cert.enclosures.is_empty() {
        let _ = writeln!(
            s,
            "key enclosures (certified digits: every digit shown is proved, the last to +-1; \
             then the stored ends):"
        );
        for e in cert.enclosures.iter().take(MAX_ENCLOSURES_SHOWN) {
            let _ = writeln!(s, "  {} = {}", e.name, show_enclosure(&e.lower, &e.upper));
        }
        if cert.enclosures.len() > MAX_ENCLOSURES_SHOWN {
            let _ = writeln!(
                s,
                "  ... and {} more in the certificate",
                cert.enclosures.len() - MAX_ENCLOSURES_SHOWN
            );
        }
    }
    if cert.verdict == Verdict::Undecided || cert.verdict != cert.expect {
        let found = causes(cert);
        if !found.is_empty() {
            let _ = writeln!(s, "why, and what to try:");
            for c in found {
                let _ = writeln!(s, "  - {}\n    try: {}", c.finding, c.suggestion);
            }
        }
    }
    s
}
