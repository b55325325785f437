//! C4region and C5k4: `rate <= 0` on a region of balanced states, by the branch-and-bound
//! prover of [`crate::prove::region`] (dV/dt for C4region; the M1-M3 rates for C5k4).
//!
//! The certificate records the boxes processed and bisected, the deepest level, how many boxes
//! each argument closed (and the hull of those closed by a near-NC argument), the smallest
//! margin met by interval evaluation, and a refuting state if one was found.

use super::schema::Claim;
use super::{Evaluation, Params, RunContext};
use crate::arith::Enclosure;
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::prove::region::{prove_region, Argument, RegionBox, RunOptions};

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
/// positive (recorded exactly); *undecided*: boxes left at the depth limit or the budget ran out
/// (the first undecided boxes are listed).
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
            (Verdict::Refuted, Some(w.rate[0].clone()))
        }
        Some(true) => (
            Verdict::Proved,
            Some(match stats.largest_upper {
                Some(u) => format!(
                    "{:.6e} (of ({rate}) / (1 - p(0)), boxes closed by interval evaluation)",
                    -u
                ),
                None => "0 (every box closed by a sign argument)".into(),
            }),
        ),
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
