//! C4region and C5k4: `rate <= 0` on a region of balanced states, by the branch-and-bound
//! prover of [`crate::prove::region`] (dV/dt for C4region; the M1-M3 rates for C5k4).
//!
//! The certificate records the boxes processed and bisected, the deepest level, how many boxes
//! each argument closed (and the hull of those closed by a near-NC argument), the smallest
//! margin met by interval evaluation, and a refuting state if one was found.

use super::schema::Claim;
use super::{Evaluation, Params, RunContext};
use crate::arith::parse_exact;
use crate::arith::Enclosure;
use crate::cert::{margin_exact, Check, EnclosureRecord, Verdict};
use crate::prove::region::{prove_region, Argument, RegionBox, RunOptions};
use rug::Rational;

/// The `symmetry` field of a region claim: `None` (no reduction) or `"GL(n,2)"` with
/// `K = 2^n`, allowed only when every coordinate has the same bounds (the region is then
/// invariant) and the exact check of [`crate::prove::symmetry::check_invariance`] passes.
pub fn parse_symmetry(
    text: Option<&str>,
    k: usize,
    x_lo: &[Rational],
    x_hi: &[Rational],
) -> Result<bool, String> {
    let Some(text) = text else {
        return Ok(false);
    };
    if !(4..=crate::prove::symmetry::MAX_K).contains(&k) {
        return Err(format!("supported for K = 4 and K = 8 only (K = {k})"));
    }
    let n = k.trailing_zeros();
    let want = format!("GL({n},2)");
    if text != want {
        return Err(format!("must be {want:?} for K = {k}"));
    }
    let same = |v: &[Rational]| v.iter().all(|q| *q == v[0]);
    if x_lo.is_empty() || !same(x_lo) || !same(x_hi) {
        return Err(
            "needs the same normalised_lo and normalised_hi for every coordinate (an invariant \
             region)"
                .into(),
        );
    }
    crate::prove::symmetry::check_invariance(k)?;
    Ok(true)
}

fn show_box(b: &RegionBox) -> String {
    let l: Vec<String> = b
        .lambda
        .iter()
        .map(|e| format!("[{:e}, {:e}]", e[0], e[1]))
        .collect();
    format!("lambda_1.. = ({}), depth {}", l.join(", "), b.depth)
}

/// Evaluate a region claim on backend `T` at `prec` bits.
///
/// *proved*: every box closed; *refuted*: a state of the region with the rate certainly
/// positive (recorded exactly); *undecided*: boxes left at the depth limit, the budget ran out
/// (the first undecided boxes are listed) or the volume bookkeeping failed.
///
/// Margins: refuted, the lower end of the rate at the refuting state, rounded down; proved by
/// interval evaluation alone, `-largest upper end` of `rate / (1 - p(0))` over the boxes,
/// rounded down (exact from the f64 end); proved with boxes closed by a sign argument, `0` (they
/// prove `rate <= 0`, nothing strict), with a check saying so.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32, ctx: &RunContext) -> Evaluation {
    let Params::Region(region) = &claim.params else {
        unreachable!("validated kind")
    };
    let digest = super::claim_digest(&claim.spec);
    let id = claim.spec.id.clone();
    let progress = ctx
        .progress
        .as_ref()
        .map(|f| move |msg: &str| f(&format!("{id}: {msg}")));
    let opts = RunOptions {
        checkpoint: ctx.checkpoint_for(&claim.spec.id),
        resume: ctx.resume,
        record_leaves: false,
        stop_after_boxes: None,
        progress: progress.as_ref().map(|f| f as &(dyn Fn(&str) + Sync)),
    };
    let stats = match prove_region::<T>(region, prec, &digest, &opts) {
        Ok(s) => s,
        Err(e) => {
            return Evaluation {
                verdict: Verdict::Undecided,
                enclosures: vec![],
                checks: vec![Check {
                    name: "region run completed".into(),
                    passed: false,
                    detail: e.to_string(),
                }],
                margin: None,
                max_width: f64::INFINITY,
                series: vec![],
            }
        }
    };
    let rate = region.quantity.rate_name();
    let mut checks = vec![Check {
        name: format!(
            "branch and bound over the region: {rate} <= 0 (lambda_0 = 0, K = {})",
            region.k
        ),
        passed: stats.decided() == Some(true),
        detail: format!(
            "{} boxes processed, {} bisected, maximum depth {} (limit {}), {} undecided, {} \
             unprocessed (budget {})",
            stats.boxes,
            stats.bisected,
            stats.max_depth,
            region.max_depth,
            stats.undecided_count,
            stats.unprocessed,
            region.max_boxes
        ),
    }];
    for arg in [
        Argument::OffRegion,
        Argument::Natural,
        Argument::MeanValue,
        Argument::Termwise,
        Argument::Pairwise,
        Argument::Symmetric,
    ] {
        if let Some(n) = stats.closed.get(&arg) {
            let mut detail = format!("{n} boxes");
            if matches!(arg, Argument::Termwise | Argument::Pairwise) {
                detail.push_str(&format!(
                    " (allowed within max-norm distance {} of the uniform spectrum); hull of those \
                     boxes: {}",
                    region.nc_radius,
                    stats.nc_hull.as_ref().map_or("-".into(), show_box)
                ));
            }
            checks.push(Check {
                name: format!("closed by {}", arg.describe()),
                passed: true,
                detail,
            });
        }
    }
    if let Some(sym) = &stats.symmetry {
        checks.push(Check {
            name: "symmetry reduction: the region and the rate are invariant (exact check)".into(),
            passed: true,
            detail: sym.clone(),
        });
    }
    if let Some(why) = &stats.coverage_failure {
        checks.push(Check {
            name: "volume bookkeeping: the closed and the open boxes make up the root box (exact)"
                .into(),
            passed: false,
            detail: format!("{why}: the run does not account for the whole region"),
        });
    }
    for b in &stats.undecided {
        checks.push(Check {
            name: "undecided box at the depth limit".into(),
            passed: false,
            detail: show_box(b),
        });
    }
    let mut enclosures = Vec::new();
    if let Some(u) = stats.largest_upper {
        let value = T::from_f64(u, prec);
        enclosures.push(EnclosureRecord::from_enclosure(
            format!(
                "largest upper end of ({rate}) / (1 - p(0)) over the boxes closed by interval \
                 evaluation"
            ),
            &value,
        ));
    }
    let (verdict, margin) = match stats.decided() {
        Some(false) => {
            let w = stats.witness.as_ref().expect("refuted with a witness");
            enclosures.push(EnclosureRecord {
                name: format!("{rate} at the refuting state"),
                lower: w.rate[0].clone(),
                upper: w.rate[1].clone(),
            });
            checks.push(Check {
                name: format!("refuting state: {rate} certainly > 0 (lambda exact)"),
                passed: true,
                detail: format!(
                    "lambda = [{}], found in box {}",
                    w.lambda.join(", "),
                    show_box(&w.found_in)
                ),
            });
            // The lower end of the rate at the witness (a decimal rounded down), rounded down.
            let margin = parse_exact(&w.rate[0]).map(|q| margin_exact(&q)).ok();
            match margin {
                Some(m) => (Verdict::Refuted, Some(m)),
                None => {
                    checks.push(Check {
                        name: "refuting rate readable".into(),
                        passed: false,
                        detail: format!("lower end {:?} is not a decimal", w.rate[0]),
                    });
                    (Verdict::Undecided, None)
                }
            }
        }
        Some(true) => {
            let by_sign: u64 = [Argument::Termwise, Argument::Pairwise]
                .iter()
                .filter_map(|a| stats.closed.get(a))
                .sum();
            // -largest_upper, exactly (an f64 is a binary rational), rounded down.
            let cleared = stats
                .largest_upper
                .and_then(Rational::from_f64)
                .map(|u| margin_exact(&-u));
            if by_sign > 0 {
                checks.push(Check {
                    name: format!("closed by sign arguments: {rate} <= 0, no strict margin"),
                    passed: true,
                    detail: match &cleared {
                        Some(m) => format!(
                            "{by_sign} boxes closed by a sign argument (upper end <= 0, not \
                             < 0); on the boxes closed by interval evaluation ({rate}) / \
                             (1 - p(0)) <= -{m}"
                        ),
                        None => format!(
                            "every box holding states of the region ({by_sign}) closed by a \
                             sign argument (upper end <= 0, not < 0)"
                        ),
                    },
                });
                (Verdict::Proved, Some("0".to_string()))
            } else {
                // Every box with a state of the region was closed by interval evaluation (upper
                // end < 0): the margin is a lower bound on -(rate / (1 - p(0))) over the region.
                (
                    Verdict::Proved,
                    Some(cleared.unwrap_or_else(|| "0".to_string())),
                )
            }
        }
        None => (Verdict::Undecided, None),
    };
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width: 0.0,
        series: vec![],
    }
}
