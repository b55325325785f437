//! C6: exponential slowdown on the NC ray (MATH.md section 8), certified three ways:
//! 1. the closed form `T(l0 -> L) = (1/2)[Ei(L) - Ei(l0) + (K-1) ln(L/l0)]` (MPFR `eint`),
//!    with the ratio `T / (exp(L) / (2L))` whose limit is 1;
//! 2. the validated integrator on the ray: at exact times t*, the closed form evaluated over
//!    the enclosure of `l(t*)` must contain t* (and the enclosure must be narrow);
//! 3. the margin bound `1 - s_m <= 2 (K-1) exp(-gamma)` at every step of a certified balanced
//!    trajectory.

use super::schema::{Claim, Flow};
use super::trajectory::{integrate_flow, series_of};
use super::{all_of, Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::ode::lohner::SolverOptions;
use crate::spectral::field::enclose_spectral_softmax;
use crate::spectral::ncray::{enclose_margin_bound, enclose_nc_ray_time};
use rug::Rational;

/// Evaluate a C6 claim on backend `T` at `prec` bits.
///
/// Decision rule: *proved* when every table entry is finite with relative width at most
/// `width_bound`, every t* is contained in the closed form over the integrator's enclosure of
/// `l(t*)`, and the margin bound holds certainly at every step; *refuted* when a t* is
/// certainly outside, or the margin bound is certainly violated; *undecided* otherwise.
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
    let bound = claim.width_bound.to_f64();
    let mut enclosures = Vec::new();
    let mut checks = Vec::new();
    let mut max_width: f64 = 0.0;

    // Route 1: the table.
    let l0_t = T::from_rational(l0, prec);
    let mut table_ok = Some(true);
    for &k in ks {
        for l in ls {
            let big_l = T::from_rational(l, prec);
            let t = enclose_nc_ray_time(&l0_t, &big_l, k);
            // exp(L) / (2L)
            let asym = big_l.exp() / &big_l.mul_pow2(1);
            let ratio = t.clone() / &asym;
            let rel = t.width_upper() / t.lower_f64().abs().max(f64::MIN_POSITIVE);
            max_width = max_width.max(rel);
            if !(t.is_finite() && ratio.is_finite() && rel <= bound) {
                table_ok = all_of(table_ok, None);
            }
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
    checks.push(Check {
        name: "route 1: closed form enclosed, relative width <= width_bound".into(),
        passed: table_ok == Some(true),
        detail: format!(
            "{} entries, largest relative width {max_width:.3e}",
            ks.len() * ls.len()
        ),
    });

    // Route 2: the integrator on the ray, segment by segment to each t*.
    let mut ray_ok = Some(true);
    let mut ray_detail = Vec::new();
    let mut l_now = vec![T::from_rational(ray_l0, prec)];
    let mut t_now = Rational::new();
    let ray_l0_t = T::from_rational(ray_l0, prec);
    let mut ray_series = Vec::new();
    for t_star in ray_times {
        let span = Rational::from(t_star - &t_now);
        match integrate_flow(Flow::NcRay, *ray_k, &l_now, &span, &opts) {
            Err(e) => {
                ray_ok = all_of(ray_ok, None);
                ray_detail.push(format!("t* = {t_star}: {e}"));
                break;
            }
            Ok(tr) => {
                let l_end = tr.end()[0].clone();
                let t_closed = enclose_nc_ray_time(&ray_l0_t, &l_end, *ray_k);
                let rel = l_end.width_upper() / l_end.lower_f64().abs().max(f64::MIN_POSITIVE);
                max_width = max_width.max(rel);
                let verdict = if !t_closed.is_finite() {
                    None
                } else if t_closed.contains_rational(t_star) {
                    Some(rel <= bound)
                } else {
                    Some(false)
                };
                if verdict == Some(false)
                    && t_closed.is_finite()
                    && !t_closed.contains_rational(t_star)
                {
                    ray_ok = Some(false);
                } else {
                    ray_ok = all_of(
                        ray_ok,
                        if verdict == Some(true) {
                            Some(true)
                        } else {
                            None
                        },
                    );
                }
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
    checks.push(Check {
        name: "route 2: closed form over the integrator's l(t*) contains t*".into(),
        passed: ray_ok == Some(true),
        detail: ray_detail.join("; "),
    });

    // Route 3: the margin bound along a certified balanced trajectory.
    let k = start.len();
    let x0: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let mut margin_ok = Some(true);
    let margin_detail;
    let mut smallest_gap = f64::INFINITY;
    let mut balanced_series = Vec::new();
    match integrate_flow(Flow::Balanced, k, &x0, horizon, &opts) {
        Err(e) => {
            margin_ok = None;
            margin_detail = e.to_string();
        }
        Ok(tr) => {
            for state in tr.steps.iter().map(|s| &s.end) {
                let sp = enclose_spectral_softmax(state);
                let mut gamma = sp.f[0].clone() - &sp.f[1];
                for g in 2..k {
                    gamma = gamma.min(&(sp.f[0].clone() - &sp.f[g]));
                }
                let bound_m = enclose_margin_bound(&gamma, k);
                for s in &sp.s[1..] {
                    let gap = bound_m.clone() - &(T::one() - s);
                    if gap.certainly_positive() {
                        smallest_gap = smallest_gap.min(gap.lower_f64());
                    } else if gap.certainly_negative() {
                        margin_ok = Some(false);
                    } else {
                        margin_ok = all_of(margin_ok, None);
                    }
                }
            }
            margin_detail = format!(
                "K = {k}, {} step ends, smallest gap {smallest_gap:.3e}",
                tr.steps.len()
            );
            balanced_series.extend(series_of("loss", Flow::Balanced, k, &tr));
        }
    }
    checks.push(Check {
        name: "route 3: 1 - s_m <= 2 (K-1) exp(-gamma) at every step end".into(),
        passed: margin_ok == Some(true),
        detail: margin_detail,
    });

    let all = all_of(all_of(table_ok, ray_ok), margin_ok);
    let verdict = match all {
        Some(true) => Verdict::Proved,
        Some(false) => Verdict::Refuted,
        None => Verdict::Undecided,
    };
    let mut series = ray_series;
    series.extend(balanced_series);
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin: (verdict == Verdict::Proved)
            .then(|| format!("{:.6e}", (bound - max_width).max(0.0))),
        max_width,
        series,
    }
}
