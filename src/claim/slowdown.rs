//! C6: exponential slowdown on the NC ray (docs/math.md section 8), certified three ways:
//! 1. the closed form `T(l0 -> L) = (1/2)[Ei(L) - Ei(l0) + (K-1) ln(L/l0)]` (MPFR `eint`),
//!    with the ratio `T / (exp(L) / (2L))` whose limit is 1;
//! 2. the validated integrator on the ray: at exact times t*, the closed form evaluated over
//!    the enclosure of `l(t*)` must contain t* (and the enclosure must be narrow);
//! 3. the margin bound `1 - s_m <= 2 (K-1) exp(-gamma)` at every step of a certified balanced
//!    trajectory.

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::Flow;
use super::schema::{
    exact, expand_vector, horizon, tolerance, trajectory_k_message, ClaimError, ClaimSpec, Ctx,
    FieldHelp, Need, MAX_HORIZON, MAX_TRAJECTORY_K,
};
use super::trajectory::{decide_positive, Decision};
use super::trajectory::{integrate_flow, series_of};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{Enclosure, Field, MpfrInterval};
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::ode::lohner::SolverOptions;
use crate::spectral::field::enclose_spectral_softmax_on;
use crate::spectral::ncray::{enclose_margin_bound, enclose_nc_ray_time};
use rug::Rational;
use std::path::Path;

/// The relative width `(upper - lower) / min |x|` of an enclosure, exactly (None when it is not
/// finite, or contains 0 while having a positive width: an unbounded relative width; 0 for a
/// point).
pub fn relative_width_exact<T: Enclosure>(x: &T) -> Option<Rational> {
    if !x.is_finite() {
        return None;
    }
    let (lo, hi) = (x.lower_exact()?, x.upper_exact()?);
    let width = Rational::from(&hi - &lo);
    if width == 0 {
        return Some(width);
    }
    let mig = if lo > 0 {
        lo
    } else if hi < 0 {
        -hi
    } else {
        return None;
    };
    Some(width / mig)
}

/// An f64 at or above the exact `q` (for `max_width`, which is reported rounded up).
fn f64_up(q: &Rational) -> f64 {
    MpfrInterval::from_rational(q, 64).upper_f64()
}

/// The relative width of `x` rounded up to f64 (+inf when unbounded).
fn relative_width_up<T: Enclosure>(x: &T) -> f64 {
    relative_width_exact(x).map_or(f64::INFINITY, |r| f64_up(&r))
}

/// Width gate: *proved* when the relative width of `x` is at most `bound` (compared exactly;
/// slack `bound - width`), *undecided* otherwise (a wide enclosure shows nothing either way).
pub fn decide_relative_width<T: Enclosure>(x: &T, bound: &Rational) -> Decision {
    match relative_width_exact(x) {
        Some(w) if w <= *bound => Decision::proved(Rational::from(bound - &w)),
        _ => Decision::undecided(),
    }
}

/// Decision rule of a route-1 table entry: *proved* when the enclosure `t` of
/// `T(l0 -> L)` and that of its ratio to `exp(L) / (2L)` are finite and `t` has relative width
/// at most `bound` (exactly); *undecided* otherwise. Never *refuted*: the table entries are
/// enclosures of a closed form, with no threshold to fail.
pub fn decide_table_entry<T: Enclosure>(t: &T, ratio: &T, bound: &Rational) -> Decision {
    if !ratio.is_finite() {
        return Decision::undecided();
    }
    decide_relative_width(t, bound)
}

/// Decision rule of a route-2 ray time: `t_closed` encloses the closed-form time over the
/// integrator's enclosure `l_end` of `l(t*)`, so it must contain the exact `t*`. *Refuted*
/// when `t_closed` is finite and excludes `t*` (slack: the distance from `t*` to it);
/// *proved* when it contains `t*` and `l_end` passes the width gate (relative width at most
/// `bound`, exactly: containment alone is always expected, the gate is what makes it a
/// consistency check); *undecided* otherwise (not finite, or too wide).
pub fn decide_ray_time<T: Enclosure>(
    t_closed: &T,
    t_star: &Rational,
    l_end: &T,
    bound: &Rational,
) -> Decision {
    let (Some(lo), Some(hi)) = (t_closed.lower_exact(), t_closed.upper_exact()) else {
        return Decision::undecided();
    };
    if !t_closed.is_finite() {
        return Decision::undecided();
    }
    if *t_star < lo {
        return Decision::refuted(Rational::from(&lo - t_star));
    }
    if *t_star > hi {
        return Decision::refuted(Rational::from(t_star - &hi));
    }
    decide_relative_width(l_end, bound)
}

/// Decision rule of the route-3 margin bound `1 - s_m <= bound_m` (`bound_m` encloses
/// `2 (K-1) exp(-gamma)`, `s` encloses `s_m`) at one state: the gap `bound_m - (1 - s)` is
/// enclosed; *proved* when certainly > 0 (the strict form; slack: its lower end), *refuted*
/// when certainly < 0 (slack: minus its upper end), *undecided* otherwise (straddling,
/// touching 0, not finite).
pub fn decide_margin_bound<T: Enclosure>(bound_m: &T, s: &T) -> Decision {
    let one = T::from_i64(1, s.prec().max(bound_m.prec()));
    let gap = bound_m.clone() - &(one - s);
    match decide_positive(&gap) {
        d if d.verdict != Verdict::Refuted => d,
        // upper end exactly 0: 1 - s_m >= bound everywhere, but = is allowed by `<=`
        _ => match gap.upper_exact() {
            Some(hi) if hi < 0 => Decision::refuted(-hi),
            _ => Decision::undecided(),
        },
    }
}

/// Evaluate a C6 claim on backend `T` at `prec` bits.
///
/// Decision rule: the conjunction of [`decide_table_entry`] over the table,
/// [`decide_ray_time`] over the ray times and [`decide_margin_bound`] at every step end of the
/// balanced trajectory: *proved* when every table entry is finite with relative width at most
/// `width_bound`, every t* is contained in the closed form over the integrator's enclosure of
/// `l(t*)` (itself at most `width_bound` wide, relative), and the margin bound holds certainly
/// at every step end; *refuted* when a t* is certainly outside, or the margin bound is
/// certainly violated; *undecided* otherwise. Width gates are compared exactly. Margin: the
/// smallest slack of all of them (the largest violation when refuted), rounded down.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Slowdown {
        ks,
        l0,
        ls,
        ray_k,
        ray_l0,
        ray_times,
        start,
        horizon,
        tolerance,
    } = &claim.params
    else {
        unreachable!("validated kind")
    };
    let opts = SolverOptions {
        tolerance: *tolerance,
        ..SolverOptions::default()
    };
    let bound = &claim.width_bound;
    let mut enclosures = Vec::new();
    let mut checks = Vec::new();
    let mut max_width: f64 = 0.0;

    // Route 1: the table.
    let l0_t = T::from_rational(l0, prec);
    let mut table = Vec::new();
    for &k in ks {
        for l in ls {
            let big_l = T::from_rational(l, prec);
            let t = enclose_nc_ray_time(&l0_t, &big_l, k);
            // exp(L) / (2L)
            let asym = big_l.exp() / &big_l.mul_pow2(1);
            let ratio = t.clone() / &asym;
            max_width = max_width.max(relative_width_up(&t));
            table.push(decide_table_entry(&t, &ratio, bound));
            enclosures.push(EnclosureRecord::from_enclosure(
                format!("T(K={k}: {l0} -> {l})"),
                &t,
            ));
            enclosures.push(EnclosureRecord::from_enclosure(
                format!("T / (exp(L)/(2L)) (K={k}, L={l})"),
                &ratio,
            ));
        }
    }
    let table_ok = Decision::all(table).unwrap_or_else(Decision::undecided);
    checks.push(Check {
        name: "route 1: closed form enclosed, relative width <= width_bound".into(),
        passed: table_ok.verdict == Verdict::Proved,
        detail: format!(
            "{} entries, largest relative width {max_width:.3e}",
            ks.len() * ls.len()
        ),
    });

    // Route 2: the integrator on the ray, segment by segment to each t*.
    let mut ray = Vec::new();
    let mut ray_detail = Vec::new();
    let mut l_now = vec![T::from_rational(ray_l0, prec)];
    let mut t_now = Rational::new();
    let ray_l0_t = T::from_rational(ray_l0, prec);
    let mut ray_series = Vec::new();
    for t_star in ray_times {
        let span = Rational::from(t_star - &t_now);
        match integrate_flow(Flow::NcRay, *ray_k, &l_now, &span, &opts) {
            Err(e) => {
                ray.push(Decision::undecided());
                ray_detail.push(format!("t* = {t_star}: {e}"));
                break;
            }
            Ok(tr) => {
                let l_end = tr.end()[0].clone();
                let t_closed = enclose_nc_ray_time(&ray_l0_t, &l_end, *ray_k);
                let rel = relative_width_up(&l_end);
                max_width = max_width.max(rel);
                ray.push(decide_ray_time(&t_closed, t_star, &l_end, bound));
                enclosures.push(EnclosureRecord::from_enclosure(
                    format!("l({t_star}) on the NC ray, K={ray_k}"),
                    &l_end,
                ));
                enclosures.push(EnclosureRecord::from_enclosure(
                    format!("closed-form T({ray_l0} -> l({t_star}))"),
                    &t_closed,
                ));
                ray_detail.push(format!(
                    "t* = {t_star}: {} steps, relative width {rel:.2e}",
                    tr.steps.len()
                ));
                if let Some(mut s) = series_of("l", Flow::NcRay, *ray_k, &tr) {
                    // The segment starts at t_now: shift its (exact) times onto the global clock.
                    let shift = |t: &str| {
                        t.parse::<Rational>()
                            .map_or_else(|_| t.to_string(), |q| (q + &t_now).to_string())
                    };
                    for p in &mut s.points {
                        p.t0 = shift(&p.t0);
                        p.t1 = shift(&p.t1);
                    }
                    ray_series.push(s);
                }
                l_now = vec![l_end];
                t_now = t_star.clone();
            }
        }
    }
    let ray_ok = Decision::all(ray).unwrap_or_else(Decision::undecided);
    checks.push(Check {
        name: "route 2: t* lies in the closed form over the integrator's l(t*), which is at most \
               width_bound wide (relative): consistent with the closed form"
            .into(),
        passed: ray_ok.verdict == Verdict::Proved,
        detail: ray_detail.join("; "),
    });

    // Route 3: the margin bound along a certified balanced trajectory.
    let k = start.len();
    let x0: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let mut gaps = Vec::new();
    let margin_detail;
    let mut balanced_series = Vec::new();
    let group_tr = super::group::flow_transform(claim, k);
    match super::trajectory::integrate_claim_flow(
        claim,
        Flow::Balanced,
        k,
        &x0,
        horizon,
        &opts,
        &crate::spectral::variants::FlowParams::default(),
    ) {
        Err(e) => {
            gaps.push(Decision::undecided());
            margin_detail = e.to_string();
        }
        Ok(tr) => {
            for state in tr.steps.iter().map(|s| &s.end) {
                let sp = enclose_spectral_softmax_on(&group_tr, state);
                let mut gamma = sp.f[0].clone() - &sp.f[1];
                for g in 2..k {
                    gamma = gamma.min(&(sp.f[0].clone() - &sp.f[g]));
                }
                let bound_m = enclose_margin_bound(&gamma, k);
                for s in &sp.s[1..] {
                    gaps.push(decide_margin_bound(&bound_m, s));
                }
            }
            let steps = tr.steps.len();
            let all_gaps = Decision::all(gaps.iter().cloned());
            margin_detail = match all_gaps.as_ref().map(|d| (d.verdict, d.margin())) {
                Some((Verdict::Proved, Some(m))) => {
                    format!("K = {k}, {steps} step ends, smallest gap at least {m}")
                }
                Some((Verdict::Refuted, Some(m))) => {
                    format!("K = {k}, {steps} step ends: certainly violated, by at least {m}")
                }
                _ => format!("K = {k}, {steps} step ends: undecided"),
            };
            if claim.spec.group.is_none() {
                // the spectral loss of the series is written for Z2^n
                balanced_series.extend(series_of("loss", Flow::Balanced, k, &tr));
            }
        }
    }
    let margin_ok = Decision::all(gaps).unwrap_or_else(Decision::undecided);
    checks.push(Check {
        name: "route 3: 1 - s_m <= 2 (K-1) exp(-gamma) at every step end".into(),
        passed: margin_ok.verdict == Verdict::Proved,
        detail: margin_detail,
    });

    let all = table_ok.and(ray_ok).and(margin_ok);
    let verdict = all.verdict;
    let mut series = ray_series;
    series.extend(balanced_series);
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin: all.margin(),
        max_width,
        series,
    }
}

// ---- schema: fields, validation, certificate text ----

/// The statement written into certificates.
pub const STATEMENT: &str = "exponential slowdown on the NC ray: T(l0 -> L) = (1/2)[Ei(L) - Ei(l0) + (K-1) ln(L/l0)] agrees with the validated flow, and 1 - s_m <= 2(K-1) exp(-gamma) along a certified trajectory";

/// Largest number of entries `|ks| x |ls|` of a C6 slowdown table.
pub const MAX_SLOWDOWN_ENTRIES: usize = 10_000;
/// Largest number of `ray_times` of a C6 claim.
pub const MAX_RAY_TIMES: usize = 1_000;

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted relative width of a table entry and of the \
         enclosure of l(t*)",
    ),
    ("ks", Need::Required, "class counts K of the slowdown table"),
    ("l0", Need::Required, "start l0 of the table (exact)"),
    (
        "ls",
        Need::Required,
        "targets L of the table (exact strings)",
    ),
    (
        "ray_k",
        Need::Required,
        "K of the integrator check on the NC ray",
    ),
    (
        "ray_l0",
        Need::Required,
        "start of the integrator check on the NC ray (exact)",
    ),
    (
        "ray_times",
        Need::Required,
        "increasing exact times t* checked against the closed form",
    ),
    (
        "start",
        Need::Required,
        "balanced start on which the margin bound is checked",
    ),
    (
        "horizon",
        Need::Required,
        "the time horizon T of that trajectory (exact)",
    ),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1)",
    ),
    (
        "group",
        Need::Optional,
        "the finite abelian group of the margin-bound trajectory (order = length of `start`, \
         K <= 64; docs/math.md section 12.4), the start paired; default Z2^n (Sylvester)",
    ),
];

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    let ks = spec.ks.clone().ok_or_else(|| ctx.err("ks", "missing"))?;
    if ks.is_empty() || ks.iter().any(|&k| !(2..=1 << 20).contains(&k)) {
        return Err(ctx.err("ks", "must be a non-empty list of K in 2..=2^20"));
    }
    let positive = |field: &str, t: &str| -> Result<Rational, ClaimError> {
        let q = exact(ctx, field, t)?;
        if q <= 0 || q > 10_000 {
            return Err(ctx.err(field, "must be in (0, 10000]"));
        }
        Ok(q)
    };
    let l0 = positive(
        "l0",
        spec.l0.as_deref().ok_or_else(|| ctx.err("l0", "missing"))?,
    )?;
    let ls_text = spec.ls.clone().ok_or_else(|| ctx.err("ls", "missing"))?;
    if ks.len().saturating_mul(ls_text.len()) > MAX_SLOWDOWN_ENTRIES {
        return Err(ctx.err(
            "ls",
            format!(
                "the table has |ks| x |ls| = {} x {} entries: at most {MAX_SLOWDOWN_ENTRIES}",
                ks.len(),
                ls_text.len()
            ),
        ));
    }
    let ls = ls_text
        .iter()
        .enumerate()
        .map(|(i, t)| positive(&format!("ls[{i}]"), t))
        .collect::<Result<Vec<_>, _>>()?;
    let ray_k = spec.ray_k.ok_or_else(|| ctx.err("ray_k", "missing"))?;
    if !(2..=1 << 20).contains(&ray_k) {
        return Err(ctx.err("ray_k", "must be in 2..=2^20"));
    }
    let ray_l0 = positive(
        "ray_l0",
        spec.ray_l0
            .as_deref()
            .ok_or_else(|| ctx.err("ray_l0", "missing"))?,
    )?;
    let times_text = spec
        .ray_times
        .clone()
        .ok_or_else(|| ctx.err("ray_times", "missing"))?;
    let mut ray_times = Vec::new();
    if times_text.len() > MAX_RAY_TIMES {
        return Err(ctx.err(
            "ray_times",
            format!("{} times: at most {MAX_RAY_TIMES}", times_text.len()),
        ));
    }
    for (i, t) in times_text.iter().enumerate() {
        let q = exact(ctx, &format!("ray_times[{i}]"), t)?;
        if q <= 0 || q > MAX_HORIZON || ray_times.last().is_some_and(|p: &Rational| q <= *p) {
            return Err(ctx.err(
                &format!("ray_times[{i}]"),
                format!("times must increase within (0, {MAX_HORIZON}]"),
            ));
        }
        ray_times.push(q);
    }
    let start = expand_vector(
        spec.start
            .as_ref()
            .ok_or_else(|| ctx.err("start", "missing: balanced start for the margin bound"))?,
        "start",
        file,
        &spec.id,
    )?;
    if (spec.group.is_none() && !start.len().is_power_of_two())
        || start.len() < 2
        || start.len() > MAX_TRAJECTORY_K
    {
        return Err(ctx.err("start", trajectory_k_message(start.len(), 2)));
    }
    super::group::validate_flow_group(spec, file, start.len(), &start, &["start"])?;
    Ok(Params::Slowdown {
        ks,
        l0,
        ls,
        ray_k,
        ray_l0,
        ray_times,
        start,
        horizon: horizon(spec, ctx)?,
        tolerance: tolerance(spec, ctx)?,
    })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Slowdown {
        start,
        horizon,
        ray_times,
        ..
    } = params
    else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "start": exact_vector(start),
        "horizon": horizon.to_string(),
        "ray_times": ray_times.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
    })
}

/// The registry entry of kind C6.
pub const ENTRY: KindEntry = KindEntry {
    name: "C6",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};
