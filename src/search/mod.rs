//! f64 search for balanced starts where a distance-to-NC metric grows (docs/math.md section 7, C5).
//!
//! Nothing here certifies anything: the search proposes a start, written as a C5 claim with
//! short exact decimals, and [`crate::claim::counterexample`] certifies it with enclosures.
//!
//! # What is maximised
//!
//! For a metric M in {M1, M2, M3, M4} and K classes, the *scale-free rate*
//! `(dM/dt) / M = d ln M / dt` at `t = 0` along the balanced flow, over balanced starts
//! `lambda_0 = 0`, `lambda_m in [LAMBDA_MIN, LAMBDA_MAX]` (m != 0). The rates are the closed
//! forms of [`crate::spectral::rates`] evaluated in f64 (`dM1/dt = d(M1^2)/dt / (2 M1)`);
//! `dM4/dt = (2/K)(r_max - r_min)`, `r = 1 - s`, at the (unique) largest and smallest mode.
//!
//! # How (deterministic for a seed)
//!
//! [`restarts`] random starts in `ln lambda`, drawn from SplitMix64 streams seeded with
//! `seed * 1000003 + restart index`; from each, a coordinate pattern search in `ln lambda` (each
//! coordinate and the common scale moved by `+- step`, first improvement kept; the step halves
//! after a sweep without improvement, down to `1e-4`). Restarts run in parallel (rayon) but
//! each is a pure function of its seed, and the best is picked in restart order (ties to the
//! earlier), so the result does not depend on the number of threads. The best start is then
//! rounded to 2, 3 or 4 significant digits, keeping the shortest rounding whose rate is still
//! at least [`KEEP_FRACTION`] of the optimum (for M4, the largest and smallest modes are moved
//! one unit of their last digit apart from the rest, so that they stay unique); a plain f64 RK4
//! run of the flow from it proposes the horizon (past the time where M falls back below M(0)
//! when that happens early enough, and at most [`horizon_cap`]).
//!
//! The optimum sits at the edge of the box (small modes at `LAMBDA_MIN`): M keeps growing for
//! a long time from there. [`returning`] (`hadacert search --return-within T`) instead raises
//! the optimum's small modes until M also comes back below M(0) before T, so that a certificate
//! can show the rise and the fall.
//!
//! Determinism is per platform: the search uses the platform's `exp` and `ln` (a different
//! libm could round an ulp differently and, in principle, end elsewhere); the stored claims
//! record the seed and the command, and `tests/it/c5.rs` re-runs every one.

use crate::arith::parse_exact;
use crate::claim::counterexample::Metric;
use crate::claim::schema::SplitMix64;
use crate::spectral::field::enclose_balanced_field;
use crate::spectral::lyapunov::{enclose_lyapunov, enclose_m1, enclose_m2, enclose_m3};
use crate::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_one_minus_s,
};
use rayon::prelude::*;
use rug::Rational;

/// Smallest `lambda_m` (m != 0) the search visits.
pub const LAMBDA_MIN: f64 = 0.05;
/// Largest `lambda_m` the search visits.
pub const LAMBDA_MAX: f64 = 20.0;
/// A rounded start is kept when its scale-free rate is at least this fraction of the optimum.
pub const KEEP_FRACTION: f64 = 0.9;
/// Longest horizon the search proposes.
pub const MAX_HORIZON: f64 = 200.0;
/// A metric value at most this is the NC direction up to rounding: a positive rate there is
/// rounding noise, never a proposal.
pub const NC_LEVEL: f64 = 1e-9;
/// Step of the f64 RK4 run that proposes the horizon.
pub const RK4_STEP: f64 = 1.0 / 64.0;

/// Number of random restarts for K (fewer for large K, where one evaluation costs more).
pub fn restarts(k: usize) -> usize {
    match k {
        0..=8 => 32,
        9..=16 => 24,
        17..=32 => 16,
        _ => 12,
    }
}

/// The index of the largest and of the smallest `lambda_m`, m != 0, or None when either is
/// not unique (M4 has no derivative there).
pub fn extreme_modes(lambda: &[f64]) -> Option<(usize, usize)> {
    extreme_modes_with(lambda, |m| m)
}

/// The largest and the smallest `lambda_m` (m != 0, f64) when each is attained only by one mode
/// and its partner `partner(m)` (the identity: strictly unique; on a group, the conjugate
/// partner, whose mode stays equal along the flow, docs/math.md section 12.4), and the two
/// extremes are not partners of each other; else None. The first index attaining each extreme
/// is returned. f64, for the search only: a certificate decides it again by enclosures
/// ([`crate::claim::counterexample::certain_extremes_paired`]).
pub fn extreme_modes_with(
    lambda: &[f64],
    partner: impl Fn(usize) -> usize,
) -> Option<(usize, usize)> {
    let (mut imax, mut imin) = (1, 1);
    for m in 2..lambda.len() {
        if lambda[m] > lambda[imax] {
            imax = m;
        }
        if lambda[m] < lambda[imin] {
            imin = m;
        }
    }
    let unique =
        |i: usize| (1..lambda.len()).all(|m| m == i || m == partner(i) || lambda[m] != lambda[i]);
    (unique(imax) && unique(imin) && imax != imin && partner(imax) != imin).then_some((imax, imin))
}

/// The metric at `lambda` (f64, approximate).
pub fn metric_value(metric: Metric, lambda: &[f64]) -> f64 {
    match metric {
        Metric::M1 => enclose_m1(lambda),
        Metric::M2 => enclose_m2(lambda),
        Metric::M3 => enclose_m3(lambda),
        Metric::M4 => {
            let rest = &lambda[1..];
            let mx = rest.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let mn = rest.iter().cloned().fold(f64::INFINITY, f64::min);
            (mx / mn).ln()
        }
    }
}

/// `dM/dt` at `lambda` along the balanced flow (f64, approximate; NaN for M4 at a tie).
pub fn metric_rate(metric: Metric, lambda: &[f64]) -> f64 {
    match metric {
        Metric::M1 => enclose_m1_sq_rate(lambda) / (2.0 * enclose_m1(lambda)),
        Metric::M2 => enclose_m2_rate(lambda),
        Metric::M3 => enclose_m3_rate(lambda),
        Metric::M4 => match extreme_modes(lambda) {
            Some((imax, imin)) => {
                let r = enclose_one_minus_s(lambda);
                2.0 * (r[imax] - r[imin]) / lambda.len() as f64
            }
            None => f64::NAN,
        },
    }
}

/// `(dM/dt) / M` at `lambda` (f64, approximate); `-inf` where it is not defined (M = 0, a tie
/// for M4, a not-finite value), so the search never prefers such a point.
pub fn scale_free_rate(metric: Metric, lambda: &[f64]) -> f64 {
    let v = metric_rate(metric, lambda) / metric_value(metric, lambda);
    if v.is_finite() {
        v
    } else {
        f64::NEG_INFINITY
    }
}

fn to_lambda(y: &[f64]) -> Vec<f64> {
    std::iter::once(0.0)
        .chain(y.iter().map(|v| v.exp()))
        .collect()
}

fn uniform(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// One restart: a random start in `ln lambda`, then the coordinate pattern search. Returns the
/// local optimum `(ln lambda_{1..K-1}, rate)`.
fn local_search(metric: Metric, k: usize, seed: u64) -> (Vec<f64>, f64) {
    let (lo, hi) = (LAMBDA_MIN.ln(), LAMBDA_MAX.ln());
    let mut rng = SplitMix64(seed);
    // a random scale, then random log-offsets around it (within the box)
    let centre = -1.0 + 4.0 * uniform(&mut rng);
    let mut y: Vec<f64> = (1..k)
        .map(|_| (centre + 6.0 * (uniform(&mut rng) - 0.5)).clamp(lo, hi))
        .collect();
    let f = |y: &[f64]| scale_free_rate(metric, &to_lambda(y));
    let mut best = f(&y);
    let mut step = 1.0;
    let mut evals = 0usize;
    let budget = 4000 * k;
    while step >= 1e-4 && evals < budget {
        let mut improved = false;
        // coordinates 0..k-1 are ln lambda_1..ln lambda_{K-1}; coordinate k-1 is the scale
        for c in 0..k {
            for sign in [1.0, -1.0] {
                let mut trial = y.clone();
                if c + 1 < k {
                    trial[c] = (trial[c] + sign * step).clamp(lo, hi);
                } else {
                    for v in trial.iter_mut() {
                        *v = (*v + sign * step).clamp(lo, hi);
                    }
                }
                let v = f(&trial);
                evals += 1;
                if v > best {
                    best = v;
                    y = trial;
                    improved = true;
                    break;
                }
            }
        }
        if !improved {
            step *= 0.5;
        }
    }
    (y, best)
}

/// `x` rounded to `digits` significant decimal digits, as a plain decimal string.
pub fn round_decimal(x: f64, digits: usize) -> String {
    let sci = format!("{:.*e}", digits.saturating_sub(1), x);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits_only: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits_only = digits_only.trim_end_matches('0');
    let digits_only = if digits_only.is_empty() {
        "0"
    } else {
        digits_only
    };
    // value = 0.d1d2d3... * 10^(exp + 1)
    let point = exp + 1;
    let n = digits_only.len() as i32;
    if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits_only)
    } else if point >= n {
        format!("{}{}", digits_only, "0".repeat((point - n) as usize))
    } else {
        let (a, b) = digits_only.split_at(point as usize);
        format!("{a}.{b}")
    }
}

/// An f64 sketch of the trajectory from `lambda` (RK4, step [`RK4_STEP`], not validated):
/// where M peaks and where it falls back below `M(0)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sketch {
    /// Time of the largest `M(t)` seen.
    pub t_peak: f64,
    /// `max M(t) / M(0)`.
    pub peak_ratio: f64,
    /// First time after the peak with `M(t) < M(0)` (None: not before `t_max`).
    pub t_back: Option<f64>,
    /// `V(t_peak) / V(0)`.
    pub v_ratio_at_peak: f64,
}

/// RK4 sketch of the balanced flow from `lambda` up to `t_max` (approximate only).
pub fn sketch(metric: Metric, lambda: &[f64], t_max: f64) -> Sketch {
    let m0 = metric_value(metric, lambda);
    let v0 = enclose_lyapunov(lambda);
    let mut x = lambda.to_vec();
    let h = RK4_STEP;
    let n = (t_max / h).ceil() as usize;
    let mut out = Sketch {
        t_peak: 0.0,
        peak_ratio: 1.0,
        t_back: None,
        v_ratio_at_peak: 1.0,
    };
    let axpy = |x: &[f64], d: &[f64], a: f64| -> Vec<f64> {
        x.iter().zip(d).map(|(xi, di)| xi + a * di).collect()
    };
    for i in 1..=n {
        let k1 = enclose_balanced_field(&x);
        let k2 = enclose_balanced_field(&axpy(&x, &k1, h / 2.0));
        let k3 = enclose_balanced_field(&axpy(&x, &k2, h / 2.0));
        let k4 = enclose_balanced_field(&axpy(&x, &k3, h));
        for m in 0..x.len() {
            x[m] += h / 6.0 * (k1[m] + 2.0 * k2[m] + 2.0 * k3[m] + k4[m]);
        }
        let t = i as f64 * h;
        let ratio = metric_value(metric, &x) / m0;
        if ratio > out.peak_ratio {
            out.peak_ratio = ratio;
            out.t_peak = t;
            out.v_ratio_at_peak = enclose_lyapunov(&x) / v0;
        }
        if out.t_peak > 0.0 && ratio < 1.0 {
            out.t_back = Some(t);
            break;
        }
    }
    out
}

/// A proposed counterexample: the search's optimum, its short rounding, and a horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The metric.
    pub metric: Metric,
    /// K.
    pub k: usize,
    /// The seed of the search.
    pub seed: u64,
    /// The optimum before rounding (`lambda_0 = 0` first).
    pub raw: Vec<f64>,
    /// Its scale-free rate.
    pub raw_rate: f64,
    /// Significant digits of the rounding kept.
    pub digits: usize,
    /// The rounded start as exact decimal strings (`"0"` first).
    pub start: Vec<String>,
    /// The scale-free rate at the rounded start (f64).
    pub rate: f64,
    /// The RK4 sketch from the rounded start.
    pub sketch: Sketch,
    /// The proposed horizon (an exact decimal string).
    pub horizon: String,
    /// `Some(T)`: found by [`returning`] (M comes back below M(0) before T in the sketch).
    pub within: Option<f64>,
}

impl Found {
    /// The command that reproduces this result.
    pub fn command(&self) -> String {
        let mut c = format!(
            "hadacert search --metric {} --k {} --seed {}",
            self.metric.name(),
            self.k,
            self.seed
        );
        if let Some(t) = self.within {
            c.push_str(&format!(" --return-within {t}"));
        }
        c
    }
}

/// Largest K of a search.
///
/// A search costs about 5x per doubling of K. Measured in release (M1, seed 1, on 2 cores
/// shared with other jobs): K = 128 4.8 s, 256 23 s, 512 121 s; K = 1024 would take about
/// 10 minutes. The C5 claim it proposes at K = 512 certifies in about 5 s
/// ([`crate::claim::counterexample::MAX_COUNTEREXAMPLE_K`]).
pub const MAX_SEARCH_K: usize = 512;

fn bad_k_message(k: usize) -> String {
    let range = format!("a power of two in 4..={MAX_SEARCH_K}");
    if k > MAX_SEARCH_K {
        format!(
            "K = {k} exceeds the limit {MAX_SEARCH_K} of the search ({range}): its cost grows \
             about 5x per doubling of K (measured: 23 s at K = 256, 121 s at K = 512 on 2 cores)"
        )
    } else {
        format!("K = {k}: must be {range}")
    }
}

/// Why the search did not propose a start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// K out of range.
    #[error("{}", bad_k_message(*.0))]
    BadK(usize),
    /// The best scale-free rate found is not positive, or only at the NC direction (where
    /// every metric is 0 up to rounding).
    #[error("no start with d{metric}/dt > 0 found at K = {k}: the largest (d{metric}/dt)/{metric} seen is {best:e}, at {metric} = {at:e} (seed {seed}, {restarts} restarts)")]
    NotFound {
        /// The metric.
        metric: Metric,
        /// K.
        k: usize,
        /// Seed.
        seed: u64,
        /// Restarts tried.
        restarts: usize,
        /// The best scale-free rate found.
        best: f64,
        /// The metric at that point.
        at: f64,
    },
    /// `within` out of range.
    #[error("--return-within {0}: must be in (0, 200]")]
    BadWithin(f64),
    /// No raised start both grows and returns in time.
    #[error("no start with d{metric}/dt > 0 at K = {k} and {metric} back below {metric}(0) before t = {within} (f64 sketch) among the search's start (seed {seed}) with its small modes raised by 1.1^i, i <= 60")]
    NoReturn {
        /// The metric.
        metric: Metric,
        /// K.
        k: usize,
        /// Seed.
        seed: u64,
        /// The time limit.
        within: f64,
    },
    /// Rounding to 4 digits already loses the growth.
    #[error("the optimum (rate {raw:e}) does not survive rounding to 4 significant digits")]
    RoundingLoses {
        /// The optimum's rate.
        raw: f64,
    },
}

/// The best `(ln lambda, rate)` over every restart (restart order breaks ties), without
/// rounding; used by [`search`] and by the K = 4 check.
pub fn optimise(metric: Metric, k: usize, seed: u64) -> Result<(Vec<f64>, f64), SearchError> {
    if !k.is_power_of_two() || !(4..=MAX_SEARCH_K).contains(&k) {
        return Err(SearchError::BadK(k));
    }
    let results: Vec<(Vec<f64>, f64)> = (0..restarts(k) as u64)
        .into_par_iter()
        .map(|i| local_search(metric, k, seed.wrapping_mul(1_000_003).wrapping_add(i)))
        .collect();
    let mut best = results[0].clone();
    for r in results.into_iter().skip(1) {
        if r.1 > best.1 {
            best = r;
        }
    }
    Ok((to_lambda(&best.0), best.1))
}

/// Search, round and sketch (see the module documentation).
pub fn search(metric: Metric, k: usize, seed: u64) -> Result<Found, SearchError> {
    let (raw, raw_rate) = optimise(metric, k, seed)?;
    let at = metric_value(metric, &raw);
    // (NaN compares false: a NaN rate or value is "not found")
    let positive = raw_rate > 0.0 && at > NC_LEVEL;
    if !positive {
        return Err(SearchError::NotFound {
            metric,
            k,
            seed,
            restarts: restarts(k),
            best: raw_rate,
            at,
        });
    }
    let extremes = extreme_modes(&raw);
    for digits in 2..=4 {
        let mut start: Vec<String> = std::iter::once("0".to_string())
            .chain(raw[1..].iter().map(|x| round_decimal(*x, digits)))
            .collect();
        if metric == Metric::M4 {
            // keep the optimum's largest and smallest modes unique after rounding
            if let Some((imax, imin)) = extremes {
                start[imax] = bump(&start[imax], digits, 1.0);
                start[imin] = bump(&start[imin], digits, -1.0);
            }
        }
        let lambda: Vec<f64> = start
            .iter()
            .map(|s| parse_exact(s).map(|q| q.to_f64()).unwrap_or(f64::NAN))
            .collect();
        let rate = scale_free_rate(metric, &lambda);
        if rate >= KEEP_FRACTION * raw_rate && rate > 0.0 {
            let sketch = sketch(metric, &lambda, MAX_HORIZON);
            let horizon = propose_horizon(&sketch, k);
            return Ok(Found {
                metric,
                k,
                seed,
                raw,
                raw_rate,
                digits,
                start,
                rate,
                sketch,
                horizon,
                within: None,
            });
        }
    }
    Err(SearchError::RoundingLoses { raw: raw_rate })
}

/// The longest horizon proposed for K: validated integration costs grow with K (Lohner's QR
/// form is O(K^3) per step), and the certificates of every shipped claim run in CI.
pub fn horizon_cap(k: usize) -> f64 {
    match k {
        0..=8 => 100.0,
        9..=16 => 50.0,
        17..=32 => 20.0,
        _ => 10.0,
    }
}

/// `x` (a decimal string with at most `digits` significant digits) moved by `sign` units of
/// its last significant digit, re-rounded to `digits` digits (a positive result).
fn bump(x: &str, digits: usize, sign: f64) -> String {
    let v = parse_exact(x).map(|q| q.to_f64()).unwrap_or(f64::NAN);
    let unit = 10f64.powi(v.abs().log10().floor() as i32 - digits as i32 + 1);
    let moved = v + sign * unit;
    if moved > 0.0 {
        round_decimal(moved, digits)
    } else {
        x.to_string()
    }
}

/// Largest factor tried by [`returning`] is `RETURN_FACTOR^RETURN_STEPS`.
pub const RETURN_FACTOR: f64 = 1.1;
/// Number of factors tried by [`returning`].
pub const RETURN_STEPS: i32 = 60;

/// A start where M grows at t = 0 *and* comes back below M(0) before `within` (in the f64
/// sketch), so that a certificate can show both t1 and t2. The largest-rate start of
/// [`search`] keeps growing for a long time (its small modes, at the edge of the box, take
/// long to catch up); here its small modes (those below 1, the geometric middle of the box)
/// are raised by the factors `RETURN_FACTOR^i`, i = 1..=RETURN_STEPS, and rounded to 2
/// significant digits. Among the factors where `dM/dt > 0` still holds and the sketch comes back
/// below M(0) before `within`, the one with the largest peak `M/M(0)` is kept (the smaller
/// factor on ties). Deterministic for a seed, like [`search`].
pub fn returning(metric: Metric, k: usize, seed: u64, within: f64) -> Result<Found, SearchError> {
    if !(within > 0.0 && within <= MAX_HORIZON) {
        return Err(SearchError::BadWithin(within));
    }
    let base = search(metric, k, seed)?;
    let base_lambda: Vec<f64> = exact_start(&base).iter().map(|q| q.to_f64()).collect();
    let candidates: Vec<Option<(Vec<String>, f64, Sketch)>> = (1..=RETURN_STEPS)
        .into_par_iter()
        .map(|i| {
            let f = RETURN_FACTOR.powi(i);
            let start: Vec<String> = base_lambda
                .iter()
                .zip(&base.start)
                .map(|(&x, text)| {
                    if x > 0.0 && x < 1.0 {
                        round_decimal(x * f, 2)
                    } else {
                        text.clone()
                    }
                })
                .collect();
            let lambda: Vec<f64> = start
                .iter()
                .map(|s| parse_exact(s).map(|q| q.to_f64()).unwrap_or(f64::NAN))
                .collect();
            let rate = scale_free_rate(metric, &lambda);
            let positive = rate > 0.0 && metric_value(metric, &lambda) > NC_LEVEL;
            if !positive {
                return None;
            }
            let sketch = sketch(metric, &lambda, within);
            sketch.t_back.is_some().then_some((start, rate, sketch))
        })
        .collect();
    let mut best: Option<(Vec<String>, f64, Sketch)> = None;
    for c in candidates.into_iter().flatten() {
        if best
            .as_ref()
            .map_or(true, |b| c.2.peak_ratio > b.2.peak_ratio)
        {
            best = Some(c);
        }
    }
    let Some((start, rate, sketch)) = best else {
        return Err(SearchError::NoReturn {
            metric,
            k,
            seed,
            within,
        });
    };
    let horizon = propose_horizon(&sketch, k);
    Ok(Found {
        start,
        rate,
        sketch,
        horizon,
        within: Some(within),
        ..base
    })
}

/// A round horizon past the sketch's return time (x 1.25), or, when M does not come back
/// below M(0) within [`MAX_HORIZON`], past the peak (x 2); at most [`horizon_cap`].
pub fn propose_horizon(s: &Sketch, k: usize) -> String {
    let target = match s.t_back {
        Some(t) => 1.25 * t,
        None => 2.0 * s.t_peak,
    }
    .min(horizon_cap(k));
    let nice = [
        1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 150.0,
        200.0,
    ];
    let h = nice
        .iter()
        .copied()
        .find(|&h| h >= target)
        .unwrap_or(MAX_HORIZON);
    format!("{h}")
}

/// The start as exact rationals.
pub fn exact_start(found: &Found) -> Vec<Rational> {
    found
        .start
        .iter()
        .map(|s| parse_exact(s).expect("rounded decimals parse"))
        .collect()
}

/// The C5 claim (TOML) for `found`, with id `C5-<metric>-K<k>` unless given.
pub fn claim_toml(found: &Found, id: Option<&str>, backend: &str) -> String {
    let id = id.map_or_else(
        || {
            let suffix = if found.within.is_some() {
                "-returns"
            } else {
                ""
            };
            format!("C5-{}-K{}{suffix}", found.metric.name(), found.k)
        },
        str::to_string,
    );
    let how = match found.within {
        None => format!(
            "optimum {:.4e}, rounded to {} digits",
            found.raw_rate, found.digits
        ),
        Some(t) => format!(
            "the search's optimum with its small modes raised until {} returns before t = {t}",
            found.metric.name()
        ),
    };
    let values: Vec<String> = found.start.iter().map(|s| format!("\"{s}\"")).collect();
    let s = &found.sketch;
    let back = s
        .t_back
        .map_or(format!("not before t = {MAX_HORIZON}"), |t| {
            format!("at t ~ {t:.2}")
        });
    let peak = if s.t_peak + RK4_STEP >= MAX_HORIZON {
        format!("still grows at t = {MAX_HORIZON}")
    } else {
        format!("peaks at t ~ {:.2}", s.t_peak)
    };
    format!(
        "# Found by `{command}` (f64, not certified):\n\
         # (d{m}/dt)/{m} = {rate:.4e} at t = 0 ({how});\n\
         # RK4 sketch: {m} {peak} ({m}/{m}(0) ~ {pr:.4}, V/V(0) ~ {vr:.4} there), back below {m}(0) {back}.\n\
         [[claim]]\n\
         id = \"{id}\"\n\
         kind = \"C5\"\n\
         expect = \"proved\"\n\
         backend = \"{backend}\"\n\
         quantity = \"{m}\"\n\
         k = {k}\n\
         seed = {seed}\n\
         start = {{ kind = \"list\", values = [{vals}] }}\n\
         horizon = \"{h}\"\n\
         note = \"{command}\"\n",
        m = found.metric.name(),
        k = found.k,
        seed = found.seed,
        rate = found.rate,
        command = found.command(),
        pr = s.peak_ratio,
        vr = s.v_ratio_at_peak,
        vals = values.join(", "),
        h = found.horizon,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_short_and_exact() {
        assert_eq!(round_decimal(0.069812, 2), "0.07");
        assert_eq!(round_decimal(0.069812, 3), "0.0698");
        assert_eq!(round_decimal(11.23, 3), "11.2");
        assert_eq!(round_decimal(1234.5, 2), "1200");
        assert_eq!(round_decimal(9.96, 2), "10");
        assert_eq!(round_decimal(0.001, 2), "0.001");
    }

    #[test]
    fn extreme_modes_need_uniqueness() {
        assert_eq!(extreme_modes(&[0.0, 1.0, 3.0, 2.0]), Some((2, 1)));
        assert_eq!(extreme_modes(&[0.0, 3.0, 3.0, 2.0]), None);
        assert_eq!(extreme_modes(&[0.0, 1.0, 3.0, 1.0]), None);
    }
}
