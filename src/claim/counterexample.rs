//! C5: certified counterexamples to the monotonicity of the metrics M1-M4 along the balanced
//! flow (docs/math.md section 7): from an exact balanced start (`lambda_0 = 0`, `lambda_m > 0`),
//! a metric M grows while the Lyapunov function V falls.
//!
//! What is certified (generic over [`Enclosure`]; the start is exact):
//!
//! * (a) `dM/dt(0) > 0` and `dV/dt(0) < 0`. Each rate is enclosed twice: by the closed forms
//!   of [`crate::spectral::rates`] (`dM1/dt = d(M1^2)/dt / (2 M1)`; `dM4/dt = (2/K)(r_max -
//!   r_min)`, `r = 1 - s`, at the largest and smallest mode, which must be certainly unique),
//!   and by the chain rule along [`enclose_balanced_field`] (dual numbers through the metric
//!   itself; for M4, `lambda_max'/lambda_max - lambda_min'/lambda_min`). Both enclose the same
//!   number, so they must intersect (a check), and the intersection is what decides.
//! * (b) with the validated integrator ([`integrate`] on [`BalancedFlow`]): the first step end
//!   `t1` where `M(t1) > M(0)` and `V(t1) < V(0)` (both certain), and the first later step end
//!   `t2` where `M(t2) < M(0)` certainly, if there is one within the horizon. Nothing is
//!   claimed beyond the horizon (never divergence).
//! * (c) the series `M(t)/M(0)` and `V(t)/V(0)` (enclosure over each step and at its end,
//!   merged to at most 40 points).
//! * a *radius of validity* of (a): the largest `rho = 2^-j` (j = 1..40) such that every
//!   balanced start with `lambda_0 = 0` and `|lambda_m / start_m - 1| <= rho` (m != 0) has
//!   `dM/dt > 0` at t = 0, shown by the mean-value form `rate(c) + grad rate(box) . (box - c)`
//!   (gradient enclosed over the box by dual numbers) intersected with the plain interval
//!   evaluation of the rate on the box. It says nothing about the trajectory part, which is
//!   certified for the exact start only.
//!
//! Verdict: *proved* iff (a) and (b, t1) hold; *undecided* otherwise, with the reason in the
//! checks (a rate certainly of the wrong sign is said so there; C5 never answers *refuted*).
//! The t2 and radius checks are informative: they record what was found (or that nothing
//! was) and never decide the verdict.

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::{
    expand_vector, horizon, tolerance, ClaimError, ClaimSpec, Ctx, FieldHelp, Need,
};
use super::trajectory::{decide_negative, decide_positive, Decision, MAX_SERIES_POINTS};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{Enclosure, Real};
use crate::cert::{Check, EnclosureRecord, Series, SeriesPoint, Verdict};
use crate::model::logits::div_by_order;
use crate::ode::dual::Dual;
use crate::ode::lohner::{integrate, SolverOptions, Trajectory};
use crate::spectral::field::enclose_balanced_field_on;
use crate::spectral::flows::{BalancedFlow, GroupBalancedFlow};
use crate::spectral::lyapunov::{
    enclose_lyapunov, enclose_lyapunov_rate, enclose_m1, enclose_m2, enclose_m3, enclose_m4,
};
use crate::spectral::rates::{
    enclose_m1_sq_rate_on, enclose_m2_rate_on, enclose_m3_rate_on, enclose_one_minus_s_on,
    enclose_v_rate_on,
};
use crate::spectral::transform::SpectralTransform;
use rug::Rational;
use std::path::Path;

/// A distance-to-NC metric of docs/math.md section 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// `||lambda~ - u||_2`.
    M1,
    /// Cosine distance of Z to the simplex ETF.
    M2,
    /// `KL(lambda~ || u)`.
    M3,
    /// `ln(max_{m!=0} lambda_m / min_{m!=0} lambda_m)`.
    M4,
}

impl Metric {
    /// `"M1"` ... `"M4"`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::M1 => "M1",
            Metric::M2 => "M2",
            Metric::M3 => "M3",
            Metric::M4 => "M4",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "M1" => Ok(Metric::M1),
            "M2" => Ok(Metric::M2),
            "M3" => Ok(Metric::M3),
            "M4" => Ok(Metric::M4),
            other => Err(format!("unknown metric `{other}` (M1, M2, M3 or M4)")),
        }
    }
}

/// Encloses the metric at `lambda` (M4 by max/min of the enclosures).
pub fn enclose_metric<T: Enclosure>(metric: Metric, lambda: &[T]) -> T {
    match metric {
        Metric::M1 => enclose_m1(lambda),
        Metric::M2 => enclose_m2(lambda),
        Metric::M3 => enclose_m3(lambda),
        Metric::M4 => enclose_m4(lambda),
    }
}

/// The modes `(i_max, i_min)` (m != 0) whose enclosures are certainly above, respectively
/// below, every other mode's; None when the enclosures do not single them out.
pub fn certain_extremes<T: Enclosure>(lambda: &[T]) -> Option<(usize, usize)> {
    certain_extremes_paired(lambda, |m| m)
}

/// [`certain_extremes`] up to a pairing of the modes: `i_max` is certainly above every mode
/// other than itself and its partner `partner(i_max)`, likewise `i_min` below (the smallest
/// index of such a pair is returned). For a paired state (`lambda_m = lambda_{partner(m)}`
/// exactly, a property the reduced flow keeps, docs/math.md section 12.4) the largest and the
/// smallest values are then attained by one pair each along the trajectory near `t = 0`, so
/// `M4 = ln lambda_{i_max} - ln lambda_{i_min}` there and `dM4/dt` is defined by those two
/// modes. With `partner(m) = m` (real characters, `Z_2^n`) this is [`certain_extremes`].
pub fn certain_extremes_paired<T: Enclosure>(
    lambda: &[T],
    partner: impl Fn(usize) -> usize,
) -> Option<(usize, usize)> {
    let k = lambda.len();
    let pick = |above: bool| {
        (1..k).find(|&i| {
            (1..k).all(|m| {
                m == i
                    || m == partner(i)
                    || if above {
                        lambda[m].certainly_lt(&lambda[i])
                    } else {
                        lambda[i].certainly_lt(&lambda[m])
                    }
            })
        })
    };
    let (imax, imin) = (pick(true)?, pick(false)?);
    (imax != imin && partner(imax) != imin).then_some((imax, imin))
}

/// The rate whose sign decides (a) and the radius, by the closed forms: `d(M1^2)/dt` for M1,
/// `dM/dt` otherwise; M4 at the given extreme modes. Generic over [`Real`] so that it also runs
/// on dual numbers.
pub fn sign_rate<T: Real>(metric: Metric, lambda: &[T], extremes: Option<(usize, usize)>) -> T {
    sign_rate_on(
        &SpectralTransform::sylvester(lambda.len()),
        metric,
        lambda,
        extremes,
    )
}

/// [`sign_rate`] on the finite abelian group of `tr` (docs/math.md section 12.4).
pub fn sign_rate_on<T: Real>(
    tr: &SpectralTransform,
    metric: Metric,
    lambda: &[T],
    extremes: Option<(usize, usize)>,
) -> T {
    match metric {
        Metric::M1 => enclose_m1_sq_rate_on(tr, lambda),
        Metric::M2 => enclose_m2_rate_on(tr, lambda),
        Metric::M3 => enclose_m3_rate_on(tr, lambda),
        Metric::M4 => {
            let (imax, imin) = extremes.expect("M4 needs its extreme modes");
            let r = enclose_one_minus_s_on(tr, lambda);
            div_by_order(r[imax].clone() - &r[imin], lambda.len()).mul_pow2(1)
        }
    }
}

/// The rates at one state, each enclosed by the closed form and by the chain rule.
#[derive(Clone, Debug)]
pub struct InitialRates<T> {
    /// `dM/dt`, closed form.
    pub closed: T,
    /// `dM/dt`, chain rule along the field.
    pub chain: T,
    /// Their intersection (None when disjoint: an inconsistency).
    pub rate: Option<T>,
    /// `d(M1^2)/dt` (closed form), M1 only.
    pub m1_sq: Option<T>,
    /// `dV/dt`, closed form.
    pub v_closed: T,
    /// `dV/dt`, chain rule along the field.
    pub v_chain: T,
    /// Their intersection.
    pub v_rate: Option<T>,
    /// M at the state.
    pub m: T,
    /// V at the state.
    pub v: T,
}

/// `d/dt q(lambda(t))` along the balanced field, by dual numbers through `q`.
fn chain_rule<T: Enclosure>(
    tr: &SpectralTransform,
    lambda: &[T],
    q: impl Fn(&[Dual<T>]) -> Dual<T>,
) -> T {
    let dl = enclose_balanced_field_on(tr, lambda);
    let x: Vec<Dual<T>> = lambda
        .iter()
        .zip(dl)
        .map(|(l, d)| Dual {
            value: l.clone(),
            grad: vec![d],
        })
        .collect();
    q(&x).partial(0)
}

/// Encloses the rates of M and V at `lambda` twice (closed form and chain rule). For M4 the
/// extreme modes must be certainly unique (else `Err` says so).
pub fn enclose_initial_rates<T: Enclosure>(
    metric: Metric,
    lambda: &[T],
) -> Result<InitialRates<T>, String> {
    enclose_initial_rates_on(&SpectralTransform::sylvester(lambda.len()), metric, lambda)
}

/// [`enclose_initial_rates`] on the finite abelian group of `tr` (`lambda` paired).
pub fn enclose_initial_rates_on<T: Enclosure>(
    tr: &SpectralTransform,
    metric: Metric,
    lambda: &[T],
) -> Result<InitialRates<T>, String> {
    let extremes = if metric == Metric::M4 {
        // unique up to the conjugate partner: `lambda` is paired (checked exactly where the
        // claim is validated), and the flow keeps the pairing (docs/math.md section 12.4)
        Some(certain_extremes_paired(lambda, |m| tr.partner(m)).ok_or(
            "M4: the largest or the smallest lambda_m is not certainly unique (up to its \
                 conjugate partner), so dM4/dt is not defined by one pair of modes",
        )?)
    } else {
        None
    };
    let m = enclose_metric(metric, lambda);
    let (closed, m1_sq) = match metric {
        Metric::M1 => {
            let sq = enclose_m1_sq_rate_on(tr, lambda);
            (sq.clone() / &m.mul_pow2(1), Some(sq))
        }
        _ => (sign_rate_on(tr, metric, lambda, extremes), None),
    };
    let chain = match metric {
        Metric::M1 => chain_rule(tr, lambda, enclose_m1),
        Metric::M2 => chain_rule(tr, lambda, enclose_m2),
        Metric::M3 => chain_rule(tr, lambda, enclose_m3),
        Metric::M4 => {
            let (imax, imin) = extremes.expect("set above");
            let dl = enclose_balanced_field_on(tr, lambda);
            dl[imax].clone() / &lambda[imax] - &(dl[imin].clone() / &lambda[imin])
        }
    };
    let v_closed = enclose_v_rate_on(tr, lambda);
    let v_chain = enclose_lyapunov_rate(lambda, &enclose_balanced_field_on(tr, lambda));
    Ok(InitialRates {
        rate: closed.intersect(&chain),
        v_rate: v_closed.intersect(&v_chain),
        closed,
        chain,
        m1_sq,
        v_closed,
        v_chain,
        m,
        v: enclose_lyapunov(lambda),
    })
}

/// Encloses the sign rate ([`sign_rate`]) over the box `lambda_m in start_m [1 - rho, 1 + rho]`
/// (m != 0, `lambda_0 = 0`): the mean-value form around the start, intersected with the plain
/// interval evaluation on the box. None when M4's extremes are not certainly unique on the box.
pub fn enclose_rate_on_box<T: Enclosure>(metric: Metric, start: &[T], rho: &T) -> Option<T> {
    let k = start.len();
    let spread = (-rho.clone()).hull(rho);
    let boxed: Vec<T> = start
        .iter()
        .enumerate()
        .map(|(m, c)| {
            if m == 0 {
                c.clone()
            } else {
                // `1` at the working precision (`T::one()` may carry fewer bits)
                c.clone() * &(T::from_i64(1, c.prec()) + &spread)
            }
        })
        .collect();
    let extremes = if metric == Metric::M4 {
        let e = certain_extremes(&boxed)?;
        // the same pair must be the extremes at the start
        (certain_extremes(start) == Some(e)).then_some(e)?;
        Some(e)
    } else {
        None
    };
    let natural = sign_rate(metric, &boxed, extremes);
    // mean value: rate(box) in rate(start) + sum_m d rate/d lambda_m (box) (box_m - start_m)
    let n = k - 1;
    let duals: Vec<Dual<T>> = boxed
        .iter()
        .enumerate()
        .map(|(m, b)| {
            if m == 0 {
                Dual {
                    value: b.clone(),
                    grad: vec![T::zero(); n],
                }
            } else {
                Dual::variable(b.clone(), m - 1, n)
            }
        })
        .collect();
    let grad = sign_rate(metric, &duals, extremes);
    let mut mv = sign_rate(metric, start, extremes);
    for m in 1..k {
        mv += grad.partial(m - 1) * &(boxed[m].clone() - &start[m]);
    }
    // both enclose the same rates: a finite pair that does not intersect is an inconsistency
    // and certifies nothing
    match (natural.is_finite(), mv.is_finite()) {
        (true, true) => natural.intersect(&mv),
        (true, false) => Some(natural),
        (false, true) => Some(mv),
        (false, false) => None,
    }
}

/// The largest `rho = 2^-j`, j = 1..=40, whose box has the sign rate certainly positive.
pub fn radius_of_validity<T: Enclosure>(metric: Metric, start: &[T]) -> Option<(u32, T)> {
    (1..=40u32).find_map(|j| {
        let rho = T::from_i64(1, start[0].prec()).mul_pow2(-(j as i32));
        enclose_rate_on_box(metric, start, &rho)
            .filter(|r| r.certainly_positive())
            .map(|r| (j, r))
    })
}

/// Decision rule of the M4 uniqueness condition: *proved* when the enclosures single out one
/// largest and one smallest mode m != 0 ([`certain_extremes`]; slack: the smaller certain
/// separation from the runner-up); *undecided* otherwise (overlapping or touching enclosures
/// of two candidate modes, not-finite enclosures). Never *refuted*: enclosures cannot show two
/// modes equal.
pub fn decide_m4_uniqueness<T: Enclosure>(lambda: &[T]) -> Decision {
    let Some((imax, imin)) = certain_extremes(lambda) else {
        return Decision::undecided();
    };
    let k = lambda.len();
    let gaps = (1..k)
        .filter(|&m| m != imax)
        .map(|m| decide_positive(&(lambda[imax].clone() - &lambda[m])));
    let gaps_min = (1..k)
        .filter(|&m| m != imin)
        .map(|m| decide_positive(&(lambda[m].clone() - &lambda[imin])));
    match Decision::all(gaps.chain(gaps_min)) {
        Some(d) if d.verdict == Verdict::Proved => d,
        // a single mode m != 0 (K = 2) is trivially unique
        None => Decision::proved(Rational::new()),
        Some(_) => Decision::undecided(),
    }
}

/// Decision rule of part (a) at t = 0: `dM/dt(0) > 0`, `dV/dt(0) < 0` and `M(0) > 0`, from
/// the intersections of the closed-form and chain-rule enclosures (`None`: they are disjoint,
/// an inconsistency, which decides nothing). *Proved* when all three hold certainly; *refuted*
/// when a rate has certainly the wrong sign (or touches 0 from the wrong side, e.g. `dM/dt(0)`
/// in `[-d, 0]`); *undecided* otherwise. Slack: the smallest of the three when proved.
pub fn decide_initial_rates<T: Enclosure>(
    rate: Option<&T>,
    v_rate: Option<&T>,
    m0: &T,
) -> Decision {
    let (Some(rate), Some(v_rate)) = (rate, v_rate) else {
        return Decision::undecided();
    };
    decide_positive(rate)
        .and(decide_negative(v_rate))
        .and(decide_positive(m0))
}

/// Decision rule of t1 at one step end: `M(t1) > M(0)` and `V(t1) < V(0)`, both certain
/// (`M(t1) - M(0)` and `V(0) - V(t1)` enclosed certainly positive). *Refuted* (at this step
/// end) when either certainly fails; *undecided* when an enclosure overlaps or touches the one
/// at t = 0, or is not finite. Slack: the smaller difference when proved.
pub fn decide_t1<T: Enclosure>(m0: &T, v0: &T, m_t: &T, v_t: &T) -> Decision {
    let mut up = decide_positive(&(m_t.clone() - m0));
    if crate::mutation::active(crate::mutation::Mutant::C5PossiblyAbove)
        && up.verdict == Verdict::Undecided
    {
        // the slip: M(t1) only possibly above M(0) (the enclosures overlap)
        up = Decision::proved(Rational::new());
    }
    up.and(decide_positive(&(v0.clone() - v_t)))
}

/// The first step end (index into `ms`, `vs`) where [`decide_t1`] proves the t1 condition.
pub fn find_t1<T: Enclosure>(m0: &T, v0: &T, ms: &[T], vs: &[T]) -> Option<usize> {
    (0..ms.len().min(vs.len()))
        .find(|&i| decide_t1(m0, v0, &ms[i], &vs[i]).verdict == Verdict::Proved)
}

/// Decision rule of t2 at one step end: `M(t2) < M(0)` certainly (`M(0) - M(t2)` enclosed
/// certainly positive); *refuted* when `M(t2) >= M(0)` certainly; *undecided* otherwise.
pub fn decide_t2<T: Enclosure>(m0: &T, m_t: &T) -> Decision {
    decide_positive(&(m0.clone() - m_t))
}

/// The first step end at index >= `from` where [`decide_t2`] proves the t2 condition.
pub fn find_t2<T: Enclosure>(m0: &T, ms: &[T], from: usize) -> Option<usize> {
    (from..ms.len()).find(|&j| decide_t2(m0, &ms[j]).verdict == Verdict::Proved)
}

/// C5's verdict from its parts: *proved* iff part (a) is proved and a t1 was found; *undecided*
/// otherwise (C5 never answers *refuted*: the reason, e.g. a rate certainly of the wrong sign,
/// is written in the checks).
pub fn c5_verdict(part_a: &Decision, t1_found: bool) -> Verdict {
    if part_a.verdict == Verdict::Proved && t1_found {
        Verdict::Proved
    } else {
        Verdict::Undecided
    }
}

fn bounds_of<T: Enclosure>(x: &T) -> (String, String) {
    if x.is_finite() {
        x.to_decimal_bounds(17)
    } else {
        (format!("{}", x.lower_f64()), format!("{}", x.upper_f64()))
    }
}

/// The series of `q(x) / q0` along `tr` (enclosure over each step and at its end), merged to
/// at most [`MAX_SERIES_POINTS`] points (hull over merged steps, end of the last).
pub fn ratio_series<T: Enclosure>(
    name: &str,
    tr: &Trajectory<T>,
    q0: &T,
    q: impl Fn(&[T]) -> T,
) -> Series {
    let per = tr.steps.len().div_ceil(MAX_SERIES_POINTS).max(1);
    let points = tr
        .steps
        .chunks(per)
        .map(|chunk| {
            let over = chunk
                .iter()
                .map(|s| q(&s.range) / q0)
                .reduce(|a, b| a.hull(&b))
                .expect("chunks are not empty");
            let last = &chunk[chunk.len() - 1];
            let (lower, upper) = bounds_of(&over);
            let (end_lower, end_upper) = bounds_of(&(q(&last.end) / q0));
            SeriesPoint {
                t0: chunk[0].t0.to_string(),
                t1: last.t1.to_string(),
                lower,
                upper,
                end_lower,
                end_upper,
            }
        })
        .collect();
    Series {
        name: name.to_string(),
        points,
    }
}

/// The lower end of `x` as a decimal with `digits` significant digits, rounded down (a lower
/// bound; `-inf`/`NaN` text when not finite).
fn lower_text<T: Enclosure>(x: &T, digits: usize) -> String {
    if x.is_finite() {
        x.to_decimal_bounds(digits).0
    } else {
        format!("{}", x.lower_f64())
    }
}

/// The upper end of `x`, rounded up.
fn upper_text<T: Enclosure>(x: &T, digits: usize) -> String {
    if x.is_finite() {
        x.to_decimal_bounds(digits).1
    } else {
        format!("{}", x.upper_f64())
    }
}

/// `t` as a short decimal (display only; the exact time is recorded beside it).
fn approx_time(t: &Rational) -> String {
    format!("{:.6}", t.to_f64())
}

/// Evaluate a C5 claim on backend `T` at `prec` bits (see the module documentation).
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Counterexample {
        metric,
        k,
        start,
        horizon,
        tolerance,
        ..
    } = &claim.params
    else {
        unreachable!("validated kind")
    };
    let (metric, k) = (*metric, *k);
    let name = metric.name();
    let x0: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let mut enclosures = Vec::new();
    let mut checks = Vec::new();
    let mut max_width = 0.0f64;

    // (a) the rates at t = 0
    let tr = super::group::flow_transform(claim, k);
    let grouped = claim.spec.group.is_some();
    checks.extend(super::group::flow_group_check(claim, k));
    let rates = match enclose_initial_rates_on(&tr, metric, &x0) {
        Ok(r) => Some(r),
        Err(reason) => {
            checks.push(Check {
                name: format!("d{name}/dt(0) > 0 and dV/dt(0) < 0"),
                passed: false,
                detail: reason,
            });
            None
        }
    };
    let mut part_a = Decision::undecided();
    let mut margin = None;
    if let Some(r) = &rates {
        let rate = r.rate.clone().unwrap_or_else(|| r.closed.clone());
        let v_rate = r.v_rate.clone().unwrap_or_else(|| r.v_closed.clone());
        enclosures.push(EnclosureRecord::from_enclosure(
            format!("d{name}/dt(0)"),
            &rate,
        ));
        enclosures.push(EnclosureRecord::from_enclosure("dV/dt(0)", &v_rate));
        enclosures.push(EnclosureRecord::from_enclosure(format!("{name}(0)"), &r.m));
        enclosures.push(EnclosureRecord::from_enclosure("V(0)", &r.v));
        enclosures.push(EnclosureRecord::from_enclosure(
            format!("d{name}/dt(0), closed form"),
            &r.closed,
        ));
        enclosures.push(EnclosureRecord::from_enclosure(
            format!("d{name}/dt(0), chain rule along the field"),
            &r.chain,
        ));
        if let Some(sq) = &r.m1_sq {
            enclosures.push(EnclosureRecord::from_enclosure(
                "d(M1^2)/dt(0), closed form",
                sq,
            ));
        }
        enclosures.push(EnclosureRecord::from_enclosure(
            "dV/dt(0), closed form",
            &r.v_closed,
        ));
        enclosures.push(EnclosureRecord::from_enclosure(
            "dV/dt(0), chain rule along the field",
            &r.v_chain,
        ));
        max_width = max_width.max(rate.width_upper()).max(v_rate.width_upper());
        let consistent = r.rate.is_some() && r.v_rate.is_some();
        checks.push(Check {
            name: "closed forms and chain rule agree (their enclosures intersect)".into(),
            passed: consistent,
            detail: format!(
                "d{name}/dt: widths {:.3e} (closed), {:.3e} (chain); dV/dt: {:.3e}, {:.3e}",
                r.closed.width_upper(),
                r.chain.width_upper(),
                r.v_closed.width_upper(),
                r.v_chain.width_upper()
            ),
        });
        let m_rule = if consistent {
            decide_positive(&rate)
        } else {
            Decision::undecided()
        };
        let m_up = m_rule.verdict == Verdict::Proved;
        checks.push(Check {
            name: format!("d{name}/dt(0) > 0"),
            passed: m_up,
            detail: match m_rule.verdict {
                Verdict::Proved => format!("lower bound {}", lower_text(&rate, 7)),
                Verdict::Refuted if rate.certainly_negative() => format!(
                    "certainly negative (upper bound {}): {name} decreases at this start",
                    upper_text(&rate, 7)
                ),
                Verdict::Refuted => format!(
                    "certainly not positive (upper bound {}): {name} does not increase at this \
                     start",
                    upper_text(&rate, 7)
                ),
                _ => "undecided: the enclosure contains 0 or is not finite".into(),
            },
        });
        let v_rule = if consistent {
            decide_negative(&v_rate)
        } else {
            Decision::undecided()
        };
        checks.push(Check {
            name: "dV/dt(0) < 0".into(),
            passed: v_rule.verdict == Verdict::Proved,
            detail: format!("upper bound {}", upper_text(&v_rate, 7)),
        });
        part_a = decide_initial_rates(r.rate.as_ref(), r.v_rate.as_ref(), &r.m);
        if part_a.verdict == Verdict::Proved {
            // the margin of dM/dt(0) > 0, the headline of the claim
            margin = m_rule.margin();
        }
        // radius of validity of (a)
        if m_up && grouped {
            // the box around the start holds unpaired states, off the reduced flow of G
            checks.push(Check {
                name: "radius of validity of (a)".into(),
                passed: true,
                detail: "not computed on a group: the box |lambda_m / start_m - 1| <= rho holds \
                         unpaired states, where the reduced field is not the gradient flow (the \
                         exact start is still certified)"
                    .into(),
            });
        } else if m_up {
            match radius_of_validity(metric, &x0) {
                Some((j, r)) => {
                    let what = if metric == Metric::M1 {
                        "d(M1^2)/dt".to_string()
                    } else {
                        format!("d{name}/dt")
                    };
                    enclosures.push(EnclosureRecord::from_enclosure(
                        format!("{what} over the box of relative radius 2^-{j}"),
                        &r,
                    ));
                    checks.push(Check {
                        name: "radius of validity of (a)".into(),
                        passed: true,
                        detail: format!(
                            "rho = 2^-{j}: every balanced start with lambda_0 = 0 and \
                             |lambda_m / start_m - 1| <= rho (m != 0) has d{name}/dt > 0 at \
                             t = 0 (mean-value form on the box; lower bound {}); the \
                             trajectory part is certified for the exact start only",
                            lower_text(&r, 7)
                        ),
                    });
                }
                // informative: the verdict does not depend on it
                None => checks.push(Check {
                    name: "radius of validity of (a)".into(),
                    passed: true,
                    detail: "none: no box of relative radius 2^-j, j <= 40, has the rate \
                             certainly positive (the exact start is still certified)"
                        .into(),
                }),
            }
        }
    }

    // (b), (c) along the validated trajectory
    let opts = SolverOptions {
        tolerance: *tolerance,
        ..SolverOptions::default()
    };
    let mut series = Vec::new();
    let mut part_b = false;
    let integrated = if grouped {
        integrate(&GroupBalancedFlow(tr.clone()), &x0, horizon, &opts)
    } else {
        integrate(&BalancedFlow(k), &x0, horizon, &opts)
    };
    match integrated {
        Err(e) => checks.push(Check {
            name: "validated integration reached the horizon".into(),
            passed: false,
            detail: e.to_string(),
        }),
        Ok(tr) => {
            checks.push(Check {
                name: "validated integration reached the horizon".into(),
                passed: true,
                detail: format!(
                    "{} steps, Taylor order {}, horizon {horizon}",
                    tr.steps.len(),
                    tr.order
                ),
            });
            let m0 = enclose_metric(metric, &x0);
            let v0 = enclose_lyapunov(&x0);
            let ms: Vec<T> = tr
                .steps
                .iter()
                .map(|s| enclose_metric(metric, &s.end))
                .collect();
            let vs: Vec<T> = tr.steps.iter().map(|s| enclose_lyapunov(&s.end)).collect();
            let i1 = find_t1(&m0, &v0, &ms, &vs);
            match i1 {
                Some(i) => {
                    let t1 = &tr.steps[i].t1;
                    part_b = true;
                    enclosures.push(EnclosureRecord::from_enclosure(
                        "t1",
                        &T::from_rational(t1, prec),
                    ));
                    enclosures.push(EnclosureRecord::from_enclosure(
                        format!("{name}(t1)"),
                        &ms[i],
                    ));
                    enclosures.push(EnclosureRecord::from_enclosure("V(t1)", &vs[i]));
                    enclosures.push(EnclosureRecord::from_enclosure(
                        format!("{name}(t1) - {name}(0)"),
                        &(ms[i].clone() - &m0),
                    ));
                    checks.push(Check {
                        name: format!(
                            "t1: first step end with {name}(t1) > {name}(0) and V(t1) < V(0)"
                        ),
                        passed: true,
                        detail: format!(
                            "t1 = {t1} (~ {}), step {} of {}",
                            approx_time(t1),
                            i + 1,
                            ms.len()
                        ),
                    });
                    // informative: recorded when found; the verdict does not depend on it
                    let t2_name = format!(
                        "t2 (informative): first later step end with {name}(t2) < {name}(0), \
                         if within the horizon"
                    );
                    let i2 = find_t2(&m0, &ms, i + 1);
                    match i2 {
                        Some(j) => {
                            let t2 = &tr.steps[j].t1;
                            enclosures.push(EnclosureRecord::from_enclosure(
                                "t2",
                                &T::from_rational(t2, prec),
                            ));
                            enclosures.push(EnclosureRecord::from_enclosure(
                                format!("{name}(t2)"),
                                &ms[j],
                            ));
                            checks.push(Check {
                                name: t2_name.clone(),
                                passed: true,
                                detail: format!("t2 = {t2} (~ {})", approx_time(t2)),
                            });
                        }
                        None => checks.push(Check {
                            name: t2_name.clone(),
                            passed: true,
                            detail: format!(
                                "none within the horizon {horizon}: {name} does not certainly \
                                 fall back below {name}(0) by then (nothing is claimed beyond it)"
                            ),
                        }),
                    }
                    // the largest certified lower bound of M(t)/M(0) at a step end
                    let mut best: Option<(usize, T)> = None;
                    for (j, m) in ms.iter().enumerate() {
                        let r = m.clone() / &m0;
                        if r.is_finite()
                            && best
                                .as_ref()
                                .map_or(true, |(_, b)| r.lower_f64() > b.lower_f64())
                        {
                            best = Some((j, r));
                        }
                    }
                    if let Some((j, ratio)) = best {
                        let lo = lower_text(&ratio, 10);
                        checks.push(Check {
                            name: format!("largest certified {name}(t)/{name}(0) at a step end"),
                            passed: true,
                            detail: format!(
                                "at least {lo} at t = {} (~ {})",
                                tr.steps[j].t1,
                                approx_time(&tr.steps[j].t1)
                            ),
                        });
                    }
                }
                None => checks.push(Check {
                    name: format!(
                        "t1: first step end with {name}(t1) > {name}(0) and V(t1) < V(0)"
                    ),
                    passed: false,
                    detail: "no step end within the horizon certainly has both".into(),
                }),
            }
            if m0.certainly_positive() && v0.certainly_positive() {
                series.push(ratio_series(
                    &format!("{name}(t)/{name}(0)"),
                    &tr,
                    &m0,
                    |x| enclose_metric(metric, x),
                ));
                series.push(ratio_series("V(t)/V(0)", &tr, &v0, |x| enclose_lyapunov(x)));
            }
        }
    }
    let verdict = c5_verdict(&part_a, part_b);
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin: if verdict == Verdict::Proved {
            margin
        } else {
            None
        },
        max_width,
        series,
    }
}

// ---- schema: fields, validation, certificate text ----

/// The statement written into certificates.
pub const STATEMENT: &str = "non-monotone metric: from the exact balanced start (lambda_0 = 0), the metric (quantity: M1, M2, M3 or M4 of docs/math.md section 7) grows while V = KL(u || lambda~) falls: dM/dt(0) > 0 and dV/dt(0) < 0, and along the validated trajectory of the balanced flow some step end t1 has M(t1) > M(0) and V(t1) < V(0); the step end t2 where M falls back below M(0) is recorded if it lies within the horizon";

pub const FIELDS: &[FieldHelp] = &[
    (
        "quantity",
        Need::Required,
        "the metric that grows: `M1`, `M2`, `M3` or `M4`",
    ),
    (
        "k",
        Need::Required,
        "the number of classes K (a power of two in 4..=512)",
    ),
    (
        "start",
        Need::Required,
        "the balanced start lambda (length K, lambda_0 = 0, the rest > 0)",
    ),
    ("horizon", Need::Required, "the time horizon T (exact)"),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1)",
    ),
    (
        "seed",
        Need::Optional,
        "seed of the `hadacert search` that proposed the start (provenance)",
    ),
    (
        "group",
        Need::Optional,
        "a finite abelian group of order K (\"Z5\", \"Z4xZ2\", \"Z3xZ3\"; K <= 64): the flow \
         on its real character basis (docs/math.md section 12.4), the state paired; default \
         Z2^n (Sylvester)",
    ),
    (
        "width_bound",
        Need::Optional,
        "not compared: C5 decides by signs and certain comparisons",
    ),
];

/// Largest K of a C5 claim.
///
/// The validated integrator keeps Lohner's QR form up to dimension 64 and box form above.
/// Measured in release with inari (the M1 claim `hadacert search --k K --seed 1` proposes, on 2
/// cores shared with other jobs): K = 128 1.0 s, 256 2.2 s (10 s with the horizon raised from 10
/// to 100), 512 4.9 s to T = 10. Beyond 512 the search that proposes the starts becomes the cost
/// ([`crate::search::MAX_SEARCH_K`]), and a hand-written start at K = 1024 would have 1023
/// modes to write out.
pub const MAX_COUNTEREXAMPLE_K: usize = 512;
/// Why [`MAX_COUNTEREXAMPLE_K`] is where it is, for the error message.
const COUNTEREXAMPLE_K_COST: &str = "the validated trajectory runs in box form above K = 64 and \
     costs about 2x per doubling of K (measured: 2.2 s at K = 256 and 4.9 s at K = 512 to T = 10 \
     with inari on 2 cores), and `hadacert search`, which proposes the starts, about 5x (121 s at \
     K = 512)";

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    use super::counterexample::Metric;
    let metric: Metric = match spec.quantity.as_deref() {
        Some(q) => q.parse().map_err(|e: String| ctx.err("quantity", e))?,
        None => return Err(ctx.err("quantity", "missing (M1, M2, M3 or M4)")),
    };
    let k = spec
        .k
        .ok_or_else(|| ctx.err("k", "missing: the number of classes K"))?;
    if (spec.group.is_none() && !k.is_power_of_two()) || !(4..=MAX_COUNTEREXAMPLE_K).contains(&k) {
        let range = format!("a power of two in 4..={MAX_COUNTEREXAMPLE_K}");
        return Err(ctx.err(
            "k",
            if k > MAX_COUNTEREXAMPLE_K {
                format!(
                    "K = {k} exceeds the limit {MAX_COUNTEREXAMPLE_K} for C5 claims ({range}): \
                     {COUNTEREXAMPLE_K_COST}"
                )
            } else {
                format!("K = {k}: must be {range}")
            },
        ));
    }
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing: the balanced start lambda"))?;
    let start = expand_vector(start_spec, "start", file, &spec.id)?;
    if start.len() != k {
        return Err(ctx.err("start", format!("has length {} but k = {k}", start.len())));
    }
    super::group::validate_flow_group(spec, file, k, &start, &["start"])?;
    validate_c5_start(ctx, &start, metric, |m| m)?;
    Ok(Params::Counterexample {
        metric,
        k,
        start,
        horizon: horizon(spec, ctx)?,
        tolerance: tolerance(spec, ctx)?,
        seed: spec.seed,
    })
}

/// The checks every C5 start shares, exactly: `lambda_0 = 0`, every other `lambda_m > 0`, and
/// for M4 the largest and the smallest `lambda_m` each attained by one mode only, up to its
/// `partner` (the identity on Z2^n; on a group the conjugate partner, whose mode stays equal to
/// it along the flow, docs/math.md section 12.4), so that M4 = ln(max/min) has a derivative.
pub(super) fn validate_c5_start(
    ctx: &Ctx,
    start: &[Rational],
    metric: Metric,
    partner: impl Fn(usize) -> usize,
) -> Result<(), ClaimError> {
    let k = start.len();
    if start.first().is_some_and(|l| *l != 0) {
        return Err(ctx.err(
            "start",
            "a balanced start has lambda_0 = 0 (mode 0 is frozen and the metrics ignore it)",
        ));
    }
    if let Some(m) = (1..k).find(|&m| start[m] <= 0) {
        return Err(ctx.err(
            "start",
            format!(
                "lambda_{m} = {}: every lambda_m, m != 0, must be > 0",
                start[m]
            ),
        ));
    }
    if metric != Metric::M4 {
        return Ok(());
    }
    for (what, v) in [
        ("largest", start[1..].iter().max()),
        ("smallest", start[1..].iter().min()),
    ] {
        let Some(v) = v else { continue };
        let at: Vec<usize> = (1..k).filter(|&m| &start[m] == v).collect();
        if at.iter().any(|&m| m != at[0] && m != partner(at[0])) {
            let how = if partner(at[0]) == at[0] {
                "is not unique"
            } else {
                "is attained by more than one mode and its conjugate partner"
            };
            return Err(ctx.err(
                "start",
                format!(
                    "the {what} lambda_m ({v}) {how}: M4 = ln(max/min) has no derivative there"
                ),
            ));
        }
    }
    Ok(())
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Counterexample {
        metric,
        k,
        start,
        horizon,
        seed,
        ..
    } = params
    else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": k,
        "quantity": metric.name(),
        "start": exact_vector(start),
        "horizon": horizon.to_string(),
        "seed": seed,
    })
}

/// The registry entry of kind C5.
pub const ENTRY: KindEntry = KindEntry {
    name: "C5",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};
