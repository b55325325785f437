//! C4region and C5k4: `rate <= 0` on a region of balanced states, by the branch-and-bound
//! prover of [`crate::prove::region`] (dV/dt for C4region; the M1-M3 rates for C5k4).
//!
//! The certificate records the boxes processed and bisected, the deepest level, how many boxes
//! each argument closed (and the hull of those closed by a near-NC argument), the smallest
//! margin met by interval evaluation, and a refuting state if one was found.
//!
//! Kind `expression-region`: the same region description and prover with a quantity of the claim
//! language ([`crate::expr`]): `expression = "lhs REL rhs"` (REL one of `< <= > >=`, e.g.
//! `d/dt V <= 0`), decided on `D = lhs - rhs` (or `rhs - lhs` for `>`, `>=`) by the natural and
//! mean-value forms, the gradient over the box variables by dual numbers (with `d/dt`, dual
//! numbers over the box variables each carrying a tangent seeded with the balanced field
//! evaluated on them). The near-NC sign arguments are proved for the built-in rates only, so they
//! are never used here: `nc_radius` is instead a ball around the uniform spectrum that the claim
//! excludes (stated in the certificate; boxes inside it are closed as *excluded*, a refuting
//! state must lie outside it). Without it, boxes near NC where `D` vanishes stay undecided. The
//! symmetry reduction is refused (the invariance of an expression is not checked).

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::{
    exact, expand_vector, ClaimError, ClaimSpec, Ctx, FieldHelp, Need, VectorSpec,
};
use super::Claim;
use super::{Evaluation, Params, RunContext};
use crate::arith::parse_exact;
use crate::arith::Enclosure;
use crate::cert::{margin_exact, Check, EnclosureRecord, Verdict};
use crate::expr::{self, BinOp, Expr, Rel, StateKind};
use crate::prove::region::{prove_region, Argument, RegionBox, RegionExpression, RunOptions};
use rug::Rational;
use std::path::Path;

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
pub fn evaluate<T: Enclosure + expr::Scalar>(
    claim: &Claim,
    prec: u32,
    ctx: &RunContext,
) -> Evaluation {
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
    let (rate, claimed) = match &region.expression {
        Some(e) => ("D", if e.strict { "D < 0" } else { "D <= 0" }),
        None => (region.quantity.rate_name(), ""),
    };
    let mut checks = vec![Check {
        name: match &region.expression {
            Some(e) => format!(
                "branch and bound over the region: {claimed}, D the quantity of `{}` (lambda_0 = \
                 0, K = {}; normalised: {})",
                e.text, region.k, e.normalised
            ),
            None => format!(
                "branch and bound over the region: {rate} <= 0 (lambda_0 = 0, K = {})",
                region.k
            ),
        },
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
        Argument::Excluded,
    ] {
        if let Some(n) = stats.closed.get(&arg) {
            let mut detail = format!("{n} boxes");
            if arg == Argument::Excluded {
                detail.push_str(&format!(
                    " (the claim excludes the states within max-norm distance {} of the uniform \
                     spectrum: no rate is claimed there and no sign argument is used)",
                    region.nc_radius
                ));
            }
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
    // What boxes are decided on: the built-in rate divided by 1 - p(0), or D itself.
    let decided_on = if region.expression.is_some() {
        "D".to_string()
    } else {
        format!("({rate}) / (1 - p(0))")
    };
    if let Some(u) = stats.largest_upper {
        let value = T::from_f64(u, prec);
        enclosures.push(EnclosureRecord::from_enclosure(
            format!(
                "largest upper end of {decided_on} over the boxes closed by interval evaluation"
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

// ---- schema: fields, validation, certificate text ----

/// The statement written into C4region certificates.
pub const STATEMENT: &str = "dV/dt <= 0 at every balanced state of the region (lambda_0 = 0, normalised spectrum in the box, scale sum_{m!=0} lambda_m in the interval), V = KL(u || lambda~), by branch and bound";
/// The statement written into C5k4 certificates of M4 (the NC ball is excluded).
pub const STATEMENT_C5K4_M4: &str = "M4 = log(max lambda_m / min lambda_m) does not increase (both one-sided derivatives < 0) at every balanced state of the region (lambda_0 = 0, normalised spectrum in the box, scale in the interval) at max-norm distance > nc_radius from the uniform spectrum, by branch and bound";
/// The statement written into C5k4 certificates.
pub const STATEMENT_C5K4: &str = "the rate of the metric (M1 through d(M1^2)/dt, M2 or M3) is <= 0 at every balanced state of the region (lambda_0 = 0, normalised spectrum in the box, scale in the interval), by branch and bound";

pub const FIELDS: &[FieldHelp] = &[
    (
        "k",
        Need::Required,
        "the number of classes K (a power of two in 4..=64)",
    ),
    (
        "quantity",
        Need::Required,
        "C4region: `V`; C5k4: `M1` (as d(M1^2)/dt), `M2`, `M3`, or `M4` (one-sided derivatives, \
         the nc_radius ball excluded): the quantity whose rate is certified <= 0 on the region",
    ),
    (
        "normalised_lo",
        Need::Required,
        "lower corner of the box of the normalised spectrum, m = 1..K-1 (exact, > 0)",
    ),
    (
        "normalised_hi",
        Need::Required,
        "upper corner of that box (exact, <= 1)",
    ),
    (
        "scale",
        Need::Required,
        "[lo, hi] of the scale sum_{m!=0} lambda_m (exact strings, > 0)",
    ),
    (
        "nc_radius",
        Need::Optional,
        "boxes within this max-norm distance of NC may be closed by the sign arguments (default \
         0: interval evaluation only)",
    ),
    (
        "max_depth",
        Need::Optional,
        "deepest bisection level (default 60)",
    ),
    (
        "symmetry",
        Need::Optional,
        "\"GL(n,2)\" (K = 2^n): search a fundamental domain of the mode permutations only (needs \
         the same bounds for every coordinate; exact check recorded)",
    ),
    (
        "max_boxes",
        Need::Optional,
        "most boxes processed before *undecided* (default 10^7)",
    ),
    (
        "width_bound",
        Need::Optional,
        "not compared: a region proof decides signs box by box",
    ),
];

/// Largest K of a region claim (the box has K dimensions).
pub const MAX_REGION_K: usize = 64;
/// Largest `max_boxes` of a region claim.
pub const MAX_REGION_BOXES: u64 = 1_000_000_000;
/// Largest `max_depth` of a region claim.
pub const MAX_REGION_DEPTH: u32 = 200;

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    use crate::prove::region::{RateQuantity, Region};
    let k = spec
        .k
        .ok_or_else(|| ctx.err("k", "missing: the number of classes K"))?;
    if !k.is_power_of_two() || !(4..=MAX_REGION_K).contains(&k) {
        return Err(ctx.err(
            "k",
            format!("K = {k}: must be a power of two in 4..={MAX_REGION_K}"),
        ));
    }
    let quantity = match spec.quantity.as_deref() {
        Some("V") => RateQuantity::V,
        Some("M1") => RateQuantity::M1,
        Some("M2") => RateQuantity::M2,
        Some("M3") => RateQuantity::M3,
        Some("M4") => RateQuantity::M4,
        Some(other) => {
            return Err(ctx.err(
                "quantity",
                format!("unknown quantity `{other}` (V, M1, M2, M3 or M4)"),
            ))
        }
        None => return Err(ctx.err("quantity", "missing (V, M1, M2, M3 or M4)")),
    };
    if spec.kind == "C4region" && quantity != RateQuantity::V {
        return Err(ctx.err("quantity", "C4region certifies V; use C5k4 for M1-M3"));
    }
    if spec.kind == "C5k4" && quantity == RateQuantity::V {
        return Err(ctx.err("quantity", "C5k4 certifies M1-M3; use C4region for V"));
    }
    let RegionFields {
        x_lo,
        x_hi,
        scale_lo,
        scale_hi,
        nc_radius,
        max_depth,
        max_boxes,
    } = region_fields(spec, file, ctx, k)?;
    let symmetry = super::region::parse_symmetry(spec.symmetry.as_deref(), k, &x_lo, &x_hi)
        .map_err(|m| ctx.err("symmetry", m))?;
    Ok(Params::Region(Region {
        symmetry,
        quantity,
        k,
        x_lo,
        x_hi,
        scale_lo,
        scale_hi,
        nc_radius,
        max_depth,
        max_boxes,
        expression: None,
    }))
}

/// The region description shared by the region kinds (validated, exact).
struct RegionFields {
    x_lo: Vec<Rational>,
    x_hi: Vec<Rational>,
    scale_lo: Rational,
    scale_hi: Rational,
    nc_radius: Rational,
    max_depth: u32,
    max_boxes: u64,
}

fn region_fields(
    spec: &ClaimSpec,
    file: &Path,
    ctx: &Ctx,
    k: usize,
) -> Result<RegionFields, ClaimError> {
    let corner = |field: &str, v: &Option<VectorSpec>| -> Result<Vec<Rational>, ClaimError> {
        let v = v.as_ref().ok_or_else(|| ctx.err(field, "missing"))?;
        let q = expand_vector(v, field, file, &spec.id)?;
        if q.len() != k - 1 {
            return Err(ctx.err(
                field,
                format!("has length {} but K - 1 = {}", q.len(), k - 1),
            ));
        }
        if q.iter().any(|x| *x <= 0 || *x > 1) {
            return Err(ctx.err(field, "every entry must be in (0, 1]"));
        }
        Ok(q)
    };
    let x_lo = corner("normalised_lo", &spec.normalised_lo)?;
    let x_hi = corner("normalised_hi", &spec.normalised_hi)?;
    if x_lo.iter().zip(&x_hi).any(|(a, b)| a > b) {
        return Err(ctx.err("normalised_hi", "must be >= normalised_lo entry by entry"));
    }
    let sum_lo = x_lo.iter().fold(Rational::new(), |a, b| a + b);
    let sum_hi = x_hi.iter().fold(Rational::new(), |a, b| a + b);
    if sum_lo > 1 || sum_hi < 1 {
        return Err(ctx.err(
            "normalised_lo",
            "the box misses the simplex (need sum lo <= 1 <= sum hi)",
        ));
    }
    let scale = spec
        .scale
        .as_ref()
        .ok_or_else(|| ctx.err("scale", "missing: [lo, hi] of sum_{m!=0} lambda_m"))?;
    if scale.len() != 2 {
        return Err(ctx.err("scale", "must be [lo, hi]"));
    }
    let scale_lo = exact(ctx, "scale", &scale[0])?;
    let scale_hi = exact(ctx, "scale", &scale[1])?;
    if scale_lo <= 0 || scale_hi < scale_lo {
        return Err(ctx.err("scale", "need 0 < lo <= hi"));
    }
    if scale_hi > 1_000_000 || scale_lo < Rational::from((1, 1_000_000)) {
        return Err(ctx.err("scale", "must lie in [1e-6, 1e6]"));
    }
    let nc_radius = match spec.nc_radius.as_deref() {
        Some(t) => {
            let r = exact(ctx, "nc_radius", t)?;
            if r < 0 || r > 1 {
                return Err(ctx.err("nc_radius", "must be in [0, 1]"));
            }
            r
        }
        None => Rational::new(),
    };
    let max_depth = spec.max_depth.unwrap_or(60);
    if !(1..=MAX_REGION_DEPTH).contains(&max_depth) {
        return Err(ctx.err("max_depth", format!("must be in 1..={MAX_REGION_DEPTH}")));
    }
    let max_boxes = spec.max_boxes.unwrap_or(10_000_000);
    if !(1..=MAX_REGION_BOXES).contains(&max_boxes) {
        return Err(ctx.err("max_boxes", format!("must be in 1..={MAX_REGION_BOXES}")));
    }
    Ok(RegionFields {
        x_lo,
        x_hi,
        scale_lo,
        scale_hi,
        nc_radius,
        max_depth,
        max_boxes,
    })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Region(r) = params else {
        return serde_json::Value::Null;
    };
    if let Some(e) = &r.expression {
        return serde_json::json!({
            "K": r.k,
            "expression": e.text,
            "normalised": e.normalised,
            "normalised_lo": exact_vector(&r.x_lo),
            "normalised_hi": exact_vector(&r.x_hi),
            "scale": [r.scale_lo.to_string(), r.scale_hi.to_string()],
            "excluded_nc_radius": r.nc_radius.to_string(),
            "lambda_0": "0",
        });
    }
    serde_json::json!({
        "K": r.k,
        "quantity": r.quantity.rate_name(),
        "normalised_lo": exact_vector(&r.x_lo),
        "normalised_hi": exact_vector(&r.x_hi),
        "scale": [r.scale_lo.to_string(), r.scale_hi.to_string()],
        "nc_radius": r.nc_radius.to_string(),
        "lambda_0": "0",
    })
}

/// The registry entry of kind C4region (V on a region).
pub const ENTRY: KindEntry = KindEntry {
    name: "C4region",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate, ctx),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};

/// The registry entry of kind C5k4 (M1-M3 on a region).
pub const ENTRY_C5K4: KindEntry = KindEntry {
    name: "C5k4",
    statement: |c| match &c.params {
        Params::Region(r) if r.quantity == crate::prove::region::RateQuantity::M4 => {
            STATEMENT_C5K4_M4.into()
        }
        _ => STATEMENT_C5K4.into(),
    },
    ..ENTRY
};

// ---- kind expression-region: a claim-language quantity on a region ----

/// The fields of kind `expression-region`.
pub const FIELDS_EXPR: &[FieldHelp] = &[
    (
        "k",
        Need::Required,
        "the number of classes K (4 or 8: the gradient over the K - 1 box variables is held \
         inline)",
    ),
    (
        "expression",
        Need::Required,
        "the relation `lhs REL rhs`, REL one of < <= > >=, in the claim language (README, \
         Expressions), e.g. \"d/dt V <= 0\"; d/dt along the balanced flow",
    ),
    (
        "normalised_lo",
        Need::Required,
        "lower corner of the box of the normalised spectrum, m = 1..K-1 (exact, > 0)",
    ),
    (
        "normalised_hi",
        Need::Required,
        "upper corner of that box (exact, <= 1)",
    ),
    (
        "scale",
        Need::Required,
        "[lo, hi] of the scale sum_{m!=0} lambda_m (exact strings, > 0)",
    ),
    (
        "nc_radius",
        Need::Optional,
        "the claim excludes the states within this max-norm distance of the uniform spectrum \
         (default 0: nothing excluded). No sign argument is proved for a language quantity, so \
         near NC, where D vanishes, boxes stay undecided unless excluded",
    ),
    (
        "max_depth",
        Need::Optional,
        "deepest bisection level (default 60)",
    ),
    (
        "max_boxes",
        Need::Optional,
        "most boxes processed before *undecided* (default 10^7)",
    ),
    (
        "symmetry",
        Need::Optional,
        "refused: the invariance of an expression under the mode permutations is not checked",
    ),
    (
        "width_bound",
        Need::Optional,
        "not compared: a region proof decides signs box by box",
    ),
];

/// Validate an `expression-region` claim: the region as for C4region, then the relation
/// (parsed, normalised and compiled for this K on the balanced state before anything runs).
pub fn validate_expr(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    let k = spec
        .k
        .ok_or_else(|| ctx.err("k", "missing: the number of classes K"))?;
    if k != 4 && k != 8 {
        return Err(ctx.err(
            "k",
            format!("K = {k}: an expression-region claim supports K = 4 or K = 8"),
        ));
    }
    if spec.symmetry.is_some() {
        return Err(ctx.err(
            "symmetry",
            "not available for a claim-language quantity: the reduction needs the quantity's \
             invariance under the mode permutations, which is proved for the built-in rates only \
             (remove `symmetry`)",
        ));
    }
    let text = spec
        .expression
        .as_deref()
        .ok_or_else(|| ctx.err("expression", "missing (e.g. \"d/dt V <= 0\")"))?;
    let e_err = |e: expr::ExprError| ctx.err("expression", e.one_line());
    let relation = expr::parse_relation(text).map_err(e_err)?;
    let lhs = expr::normalise(&relation.lhs, k);
    let rhs = expr::normalise(&relation.rhs, k);
    let (a, b) = match relation.rel {
        Rel::Lt | Rel::Le => (lhs.clone(), rhs.clone()),
        Rel::Gt | Rel::Ge => (rhs.clone(), lhs.clone()),
    };
    // D = a - b (exactly a when b is the number 0).
    let d = match &b {
        Expr::Num(q) if *q == 0 => a,
        _ => Expr::Bin(BinOp::Sub, Box::new(a), Box::new(b)),
    };
    let program = expr::compile(&[&d], k, StateKind::Balanced, text).map_err(e_err)?;
    let RegionFields {
        x_lo,
        x_hi,
        scale_lo,
        scale_hi,
        nc_radius,
        max_depth,
        max_boxes,
    } = region_fields(spec, file, ctx, k)?;
    Ok(Params::Region(crate::prove::region::Region {
        symmetry: false,
        // Not used: the expression is the quantity.
        quantity: crate::prove::region::RateQuantity::V,
        k,
        x_lo,
        x_hi,
        scale_lo,
        scale_hi,
        nc_radius,
        max_depth,
        max_boxes,
        expression: Some(RegionExpression {
            text: text.to_string(),
            normalised: format!(
                "D = {d}, claimed {} 0",
                if matches!(relation.rel, Rel::Lt | Rel::Gt) {
                    "<"
                } else {
                    "<="
                }
            ),
            strict: matches!(relation.rel, Rel::Lt | Rel::Gt),
            program,
        }),
    }))
}

/// The statement of an `expression-region` certificate.
fn statement_expr(claim: &Claim) -> String {
    let Params::Region(r) = &claim.params else {
        return String::new();
    };
    let Some(e) = &r.expression else {
        return String::new();
    };
    let ddt = match (e.program.needs_tangent(), e.program.closed_forms()) {
        (false, 0) => String::new(),
        (true, 0) => ", d/dt along the balanced flow (docs/math.md (4.2)) by dual numbers seeded \
                      with its vector field"
            .to_string(),
        _ => format!(
            ", d/dt along the balanced flow (docs/math.md (4.2)) by {}",
            e.program.ddt_method().unwrap_or_default()
        ),
    };
    let excluded = if r.nc_radius > 0 {
        format!(
            ", except the states within max-norm distance {} of the uniform spectrum (excluded by \
             the claim)",
            r.nc_radius
        )
    } else {
        String::new()
    };
    format!(
        "{} at every balanced state of the region (K = {}, lambda_0 = 0, normalised spectrum in \
         the box, scale sum_{{m!=0}} lambda_m in the interval){excluded}{ddt}, by branch and bound \
         on {}",
        e.text, r.k, e.normalised
    )
}

/// The registry entry of kind `expression-region` (a claim-language quantity on a region).
pub const ENTRY_EXPR: KindEntry = KindEntry {
    name: "expression-region",
    fields: FIELDS_EXPR,
    validate: validate_expr,
    evaluate: backends!(evaluate, ctx),
    statement: statement_expr,
    exact_inputs,
};
