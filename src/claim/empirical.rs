//! C8 (docs/math.md section 10): the gradient flow of the full matrices `(W, H)` from a small random
//! Gaussian initialisation, which is *not* on the spectral manifold, **simulated, not
//! certified**.
//!
//! Nothing in this file is an enclosure. The flow `W' = -(1/K)(S - I) H^T`,
//! `H' = -(1/K) W^T (S - I)` (d = K) is integrated by the classical fixed-step Runge-Kutta method
//! of order 4 twice from the same initial matrices: in f64 (the recorded run) and with MPFR at the
//! claim's `precision_bits` used only as a high-precision number (every state is collapsed to the
//! midpoint of its interval after each step, so the intervals carry no meaning and are discarded).
//! A third run, f64 with half the step, estimates the discretisation error. The certificate's
//! verdict is [`Verdict::Empirical`], whatever happens; this evaluator is the only producer of
//! that verdict, and it produces no other.
//!
//! Why RK4: the flow is smooth and not stiff at the scales of the shipped claims (the Jacobian of
//! the field is of the order of `|Z| / K`), so an explicit fourth-order method with a fixed step
//! is accurate and cheap; a fixed step makes the runs at two precisions take exactly the same
//! steps, so their difference is rounding error only, and halving the step isolates the
//! discretisation error.
//!
//! Reported along the run (at most [`MAX_SERIES_POINTS`] sample times, each a point sample:
//! `t0 = t1`, `lower = upper = end_lower = end_upper` = the approximate value, **not** an
//! enclosure):
//! * `loss`: the mean cross-entropy;
//! * `offdiag_mass`: `||offdiag(Q^T Z Q)||_F / ||Q^T Z Q||_F` (0 on the spectral manifold);
//! * `V`: the Lyapunov function of [`enclose_lyapunov`] on the diagonal of `Q^T Z Q`, only at
//!   the samples where every diagonal entry m != 0 is positive;
//! * `etf_cosine_distance`: `1 - <Z, P> / (||Z||_F ||P||_F)`, `P = I - (1/K) 1 1^T`;
//! * `z_norm`: `||Z||_F`.
//!
//! The initial matrices are deterministic on every IEEE-754 machine: Gaussians from the polar form
//! of the Box-Muller transform on [`SplitMix64`], with a logarithm written here in `+ - * /` only
//! ([`portable_ln`]), since the platform `ln` may differ in the last bit between C libraries. The
//! simulation itself calls the platform `exp` in its f64 run, so its last digits may differ between
//! C libraries; the MPFR run is correctly rounded everywhere.

use super::registry::{Evaluator, KindEntry};
use super::schema::SplitMix64;
use super::schema::{exact, horizon, ClaimError, ClaimSpec, Ctx, FieldHelp, Need};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{Enclosure, MpfrInterval, Real};
use crate::cert::{Check, EnclosureRecord, Series, SeriesPoint, Verdict};
use crate::model::gradient::{enclose_gradient_flow, enclose_mean_ce_loss};
use crate::model::hadamard::HadamardMatrix;
use crate::model::logits::enclose_rotated;
use crate::spectral::lyapunov::enclose_lyapunov;
use nalgebra::DMatrix;
use rug::Rational;
use std::path::Path;

/// Most sample times per series (the start and the horizon included).
pub const MAX_SERIES_POINTS: usize = 40;
/// Largest K a C8 claim accepts (dense O(K^3) products, also in MPFR).
pub const MAX_EMPIRICAL_K: usize = 64;
/// Largest number of RK4 steps a C8 claim accepts.
pub const MAX_EMPIRICAL_STEPS: u64 = 1_000_000;
/// Significant digits of every value written to a C8 certificate.
pub const DIGITS: usize = 10;

/// `ln(x)` for finite `x > 0`, approx (a few ulps), computed with IEEE `+ - * /` only so that it
/// gives the same bits on every machine (no platform `ln`, no fused multiply-add).
///
/// `x = m 2^e` with `m` in `[sqrt(1/2), sqrt(2))`; `ln m = 2 atanh(t)`, `t = (m - 1)/(m + 1)`,
/// `|t| <= 0.172`, summed to 16 odd terms (the next term is below `1e-26`); `ln x = e ln 2 + ln m`
/// with `ln 2` split in two parts so that `e ln 2` is accurate.
pub fn portable_ln(x: f64) -> f64 {
    assert!(x.is_finite() && x > 0.0, "portable_ln needs a finite x > 0");
    // Scale subnormals into the normal range (exact).
    let (x, mut e) = if x < f64::MIN_POSITIVE {
        (x * 2f64.powi(64), -64i64)
    } else {
        (x, 0i64)
    };
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut poly = 0.0;
    for n in (0..16).rev() {
        poly = poly * t2 + 1.0 / (2 * n + 1) as f64;
    }
    // ln 2 = LN2_HI + LN2_LO; LN2_HI has 32 significant bits, so e * LN2_HI is exact (|e| < 1100).
    const LN2_HI: f64 = 0.693_147_180_369_123_8; // 0x3fe62e42fee00000
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10; // 0x3dea39ef35793c76
    let ef = e as f64;
    ef * LN2_HI + (2.0 * t * poly + ef * LN2_LO)
}

/// Standard normal samples: the polar form of the Box-Muller transform (Marsaglia) on a
/// [`SplitMix64`] stream, approx, bit-identical on every IEEE-754 machine.
///
/// Each accepted pair `(v1, v2)` uniform in the unit disc (`s = v1^2 + v2^2` in `(0, 1)`) gives
/// the two independent normals `v1 f`, `v2 f` with `f = sqrt(-2 ln(s) / s)`; the second is kept
/// for the next call.
pub struct Gaussian {
    rng: SplitMix64,
    spare: Option<f64>,
}

impl Gaussian {
    /// A stream seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Gaussian {
            rng: SplitMix64(seed),
            spare: None,
        }
    }

    /// Uniform in `[-1, 1)` on the grid `2^-52 Z` (exact).
    fn uniform_pm1(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * 2f64.powi(-52) - 1.0
    }

    /// The next standard normal sample.
    pub fn sample(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let v1 = self.uniform_pm1();
            let v2 = self.uniform_pm1();
            let s = v1 * v1 + v2 * v2;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * portable_ln(s) / s).sqrt();
                self.spare = Some(v2 * f);
                return v1 * f;
            }
        }
    }
}

/// The f64 nearest a positive rational `q` (ties to even), decided exactly.
pub fn nearest_f64(q: &Rational) -> f64 {
    assert!(*q > 0, "nearest_f64 needs q > 0");
    let a = q.to_f64(); // rounds towards zero
    let b = f64::from_bits(a.to_bits() + 1);
    let (Some(qa), Some(qb)) = (Rational::from_f64(a), Rational::from_f64(b)) else {
        return a;
    };
    let below = Rational::from(q - &qa);
    let above = Rational::from(&qb - q);
    match below.cmp(&above) {
        std::cmp::Ordering::Less => a,
        std::cmp::Ordering::Greater => b,
        std::cmp::Ordering::Equal => {
            if a.to_bits() % 2 == 0 {
                a
            } else {
                b
            }
        }
    }
}

/// The initial matrices of a C8 claim: `W` (K x K) then `H` (K x K), row by row, each entry
/// `scale * N(0, 1)` from [`Gaussian`] seeded with `seed`, `scale` the f64 nearest `init_scale`.
/// Every entry is an f64, i.e. an exact dyadic rational: both runs start from exactly these.
pub fn initial_matrices(
    k: usize,
    seed: u64,
    init_scale: &Rational,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let scale = nearest_f64(init_scale);
    let mut g = Gaussian::new(seed);
    let w = DMatrix::from_row_iterator(k, k, (0..k * k).map(|_| scale * g.sample()));
    let h = DMatrix::from_row_iterator(k, k, (0..k * k).map(|_| scale * g.sample()));
    (w, h)
}

/// FNV-1a digest of the bits of the initial matrices (W then H, row by row, little-endian), so a
/// certificate pins the exact start.
pub fn initial_digest(w: &DMatrix<f64>, h: &DMatrix<f64>) -> String {
    let mut bytes = Vec::with_capacity(8 * (w.len() + h.len()));
    for m in [w, h] {
        for i in 0..m.nrows() {
            for j in 0..m.ncols() {
                bytes.extend_from_slice(&m[(i, j)].to_bits().to_le_bytes());
            }
        }
    }
    format!("{:016x}", super::fnv1a64(&bytes))
}

/// A number the simulation runs on: approximate arithmetic (f64), or an MPFR interval used only
/// as a high-precision number (collapsed to its midpoint after every step; a not-finite value
/// stays not finite, so that the run stops).
pub trait SimNumber: Real {
    /// The value the next step starts from (the midpoint for an interval; the value for f64).
    fn settle(&self) -> Self;
    /// The value is a finite number.
    fn finite(&self) -> bool;
}

impl SimNumber for f64 {
    fn settle(&self) -> Self {
        *self
    }
    fn finite(&self) -> bool {
        self.is_finite()
    }
}

impl SimNumber for MpfrInterval {
    fn settle(&self) -> Self {
        // `mid_point` of a not-finite interval is 0: keep it not finite, so the run stops.
        if self.is_finite() {
            self.mid_point()
        } else {
            self.clone()
        }
    }
    fn finite(&self) -> bool {
        self.is_finite()
    }
}

/// The quantities recorded at one sample time (approx).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Step index n (time `n * step`).
    pub step: u64,
    /// Mean cross-entropy loss.
    pub loss: f64,
    /// `||offdiag(Q^T Z Q)||_F / ||Q^T Z Q||_F`.
    pub offdiag_mass: f64,
    /// V of the diagonal of `Q^T Z Q`, when every entry m != 0 is positive.
    pub v: Option<f64>,
    /// `1 - <Z, P> / (||Z||_F ||P||_F)`.
    pub etf_cosine_distance: f64,
    /// `||Z||_F`.
    pub z_norm: f64,
    /// The diagonal of `Q^T Z Q`.
    pub diag: Vec<f64>,
}

impl Sample {
    /// The scalar quantities by series name (`V` is `None` where it is not defined).
    pub fn quantity(&self, name: &str) -> Option<f64> {
        match name {
            "loss" => Some(self.loss),
            "offdiag_mass" => Some(self.offdiag_mass),
            "V" => self.v,
            "etf_cosine_distance" => Some(self.etf_cosine_distance),
            "z_norm" => Some(self.z_norm),
            _ => None,
        }
    }
}

/// The series a C8 certificate records, in order.
pub const SERIES_NAMES: [&str; 5] = ["loss", "offdiag_mass", "V", "etf_cosine_distance", "z_norm"];

/// A simulated run: the samples, in time order.
#[derive(Clone, Debug)]
pub struct Run {
    /// One sample per requested step index.
    pub samples: Vec<Sample>,
}

/// The simulation left the finite numbers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the state is not finite after step {step} (t = {time})")]
pub struct SimError {
    /// The step after which it happened.
    pub step: u64,
    /// Its time, as an exact decimal or rational.
    pub time: String,
}

/// Measure the recorded quantities of the state `(W, H)` (approx).
pub fn measure<T: SimNumber>(w: &DMatrix<T>, h: &DMatrix<T>, had: &HadamardMatrix) -> Sample {
    let k = w.nrows();
    let prec = w[(0, 0)].prec();
    let z = w * h;
    let loss = enclose_mean_ce_loss(&z);
    let r = enclose_rotated(had, z.clone());
    let mut off = T::zero();
    let mut all = T::zero();
    let mut z2 = T::zero();
    let mut trace = T::zero();
    let mut sum = T::zero();
    for i in 0..k {
        for j in 0..k {
            let sq = r[(i, j)].clone() * &r[(i, j)];
            if i != j {
                off += &sq;
            }
            all += sq;
            z2 += z[(i, j)].clone() * &z[(i, j)];
            sum += &z[(i, j)];
        }
        trace += &z[(i, i)];
    }
    let kt = T::from_i64(k as i64, prec);
    let z_norm = z2.sqrt();
    let inner = trace - sum / &kt;
    let etf = T::one() - inner / (z_norm.clone() * T::from_i64(k as i64 - 1, prec).sqrt());
    let diag: Vec<T> = (0..k).map(|m| r[(m, m)].clone()).collect();
    let v = diag[1..]
        .iter()
        .all(|x| x.approx_f64() > 0.0)
        .then(|| enclose_lyapunov(&diag).approx_f64());
    Sample {
        step: 0,
        loss: loss.approx_f64(),
        offdiag_mass: (off / all).sqrt().approx_f64(),
        v,
        etf_cosine_distance: etf.approx_f64(),
        z_norm: z_norm.approx_f64(),
        diag: diag.iter().map(|x| x.approx_f64()).collect(),
    }
}

/// `a + c b`, entry by entry.
fn axpy<T: SimNumber>(a: &DMatrix<T>, c: &T, b: &DMatrix<T>) -> DMatrix<T> {
    a.zip_map(b, |x, y| x + y * c)
}

/// One classical RK4 step of the gradient flow with step `dt` (`half` = dt/2, `sixth` = dt/6),
/// settled.
fn rk4_step<T: SimNumber>(
    w: &DMatrix<T>,
    h: &DMatrix<T>,
    dt: &T,
    half: &T,
    sixth: &T,
) -> (DMatrix<T>, DMatrix<T>) {
    let (k1w, k1h) = enclose_gradient_flow(w, h);
    let (k2w, k2h) = enclose_gradient_flow(&axpy(w, half, &k1w), &axpy(h, half, &k1h));
    let (k3w, k3h) = enclose_gradient_flow(&axpy(w, half, &k2w), &axpy(h, half, &k2h));
    let (k4w, k4h) = enclose_gradient_flow(&axpy(w, dt, &k3w), &axpy(h, dt, &k3h));
    (
        combine(w, sixth, [&k1w, &k2w, &k3w, &k4w]),
        combine(h, sixth, [&k1h, &k2h, &k3h, &k4h]),
    )
}

/// `x + sixth (k1 + 2 k2 + 2 k3 + k4)`, settled.
fn combine<T: SimNumber>(x: &DMatrix<T>, sixth: &T, k: [&DMatrix<T>; 4]) -> DMatrix<T> {
    let slope = k[0].zip_map(k[1], |a, b| a + b.mul_pow2(1));
    let slope = slope.zip_map(k[2], |a, b| a + b.mul_pow2(1));
    let slope = slope.zip_map(k[3], |a, b| a + b);
    axpy(x, sixth, &slope).map(|v| v.settle())
}

/// Simulate the flow from `(w0, h0)` with `n_steps` RK4 steps of size `step` on backend `T` at
/// `prec` bits, sampling at the (increasing) step indices `sample_at` (each <= n_steps).
///
/// Approx: no error bound of any kind. Fails when the state stops being finite.
pub fn simulate<T: SimNumber>(
    w0: &DMatrix<f64>,
    h0: &DMatrix<f64>,
    step: &Rational,
    n_steps: u64,
    sample_at: &[u64],
    prec: u32,
) -> Result<Run, SimError> {
    let k = w0.nrows();
    let had = HadamardMatrix::sylvester(k).expect("validated: K is a power of two");
    let mut w: DMatrix<T> = w0.map(|x| T::from_f64(x, prec));
    let mut h: DMatrix<T> = h0.map(|x| T::from_f64(x, prec));
    let dt = T::from_rational(step, prec).settle();
    let half = dt.mul_pow2(-1);
    let sixth = (dt.clone() / T::from_i64(6, prec)).settle();
    let mut samples = Vec::with_capacity(sample_at.len());
    let mut next = sample_at.iter().peekable();
    for n in 0..=n_steps {
        if n > 0 {
            (w, h) = rk4_step(&w, &h, &dt, &half, &sixth);
            if !w.iter().chain(h.iter()).all(|x| x.finite()) {
                return Err(SimError {
                    step: n,
                    time: exact_time(step, n),
                });
            }
        }
        if next.peek() == Some(&&n) {
            next.next();
            let mut s = measure(&w, &h, &had);
            s.step = n;
            samples.push(s);
        }
    }
    Ok(Run { samples })
}

/// Up to [`MAX_SERIES_POINTS`] step indices from 0 to `n_steps`, evenly spread, both ends
/// included.
pub fn sample_steps(n_steps: u64) -> Vec<u64> {
    let m = MAX_SERIES_POINTS as u64 - 1;
    let mut v: Vec<u64> = (0..=m).map(|i| i * n_steps / m).collect();
    v.dedup();
    v
}

/// `n * step` as an exact decimal when it has one (`12.5`), else as a rational (`25/3`).
pub fn exact_time(step: &Rational, n: u64) -> String {
    crate::arith::exact_decimal(&Rational::from(step * n))
}

/// An approximate value as written to a C8 certificate ([`DIGITS`] significant digits).
pub fn approx_text(x: f64) -> String {
    format!("{:.*e}", DIGITS - 1, x)
}

/// Largest `|a - b| / max(1, |b|)` over the samples both runs have, per quantity, and overall.
fn disagreement(a: &Run, b: &Run) -> (f64, Vec<(String, f64)>) {
    let mut per = Vec::new();
    let mut worst = 0.0f64;
    for name in SERIES_NAMES {
        let mut d = 0.0f64;
        for (x, y) in a.samples.iter().zip(&b.samples) {
            match (x.quantity(name), y.quantity(name)) {
                (Some(p), Some(q)) => d = d.max(scaled_diff(p, q)),
                (None, None) => {}
                // Defined in one run only (a diagonal entry at the sign boundary): no agreement.
                _ => d = f64::INFINITY,
            }
        }
        worst = worst.max(d);
        per.push((name.to_string(), d));
    }
    (worst, per)
}

fn scaled_diff(p: f64, q: f64) -> f64 {
    let d = (p - q).abs() / q.abs().max(1.0);
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

fn per_text(per: &[(String, f64)]) -> String {
    per.iter()
        .map(|(n, d)| format!("{n} {d:.2e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn first_last(run: &Run, name: &str) -> String {
    let vals: Vec<f64> = run
        .samples
        .iter()
        .filter_map(|s| s.quantity(name))
        .collect();
    match (vals.first(), vals.last()) {
        (Some(a), Some(b)) => format!("{name} {a:.4e} -> {b:.4e}"),
        _ => format!("{name} undefined"),
    }
}

/// Evaluate a C8 claim: simulate, compare, report. The verdict is always
/// [`Verdict::Empirical`].
pub fn evaluate(claim: &Claim) -> Evaluation {
    let Params::Empirical {
        k,
        seed,
        init_scale,
        horizon,
        step,
        n_steps,
        precision_bits,
        agreement,
        step_agreement,
    } = &claim.params
    else {
        unreachable!("validated kind")
    };
    let (w0, h0) = initial_matrices(*k, *seed, init_scale);
    let at = sample_steps(*n_steps);
    // The tolerances as written in the claim file (validated to be present).
    let agreement_text = claim.spec.agreement.clone().unwrap_or_default();
    let step_agreement_text = claim.spec.step_agreement.clone().unwrap_or_default();
    let mut checks = vec![Check {
        name: "NOT CERTIFIED: non-validated fixed-step RK4 simulation".into(),
        passed: true,
        detail: format!(
            "every series value and every final value is an approximation with no error bound \
             (lower = upper is NOT an enclosure); {n_steps} RK4 steps of {} to T = {horizon}; \
             f64 run recorded, MPFR-{precision_bits} run (midpoint after each step) and f64 \
             half-step run for comparison only",
            exact_time(step, 1)
        ),
    }];
    let main = simulate::<f64>(&w0, &h0, step, *n_steps, &at, 53);
    let run = match main {
        Ok(run) => {
            checks.push(Check {
                name: "f64 run finite to the horizon".into(),
                passed: true,
                detail: format!("{} samples", run.samples.len()),
            });
            run
        }
        Err(e) => {
            checks.push(Check {
                name: "f64 run finite to the horizon".into(),
                passed: false,
                detail: e.to_string(),
            });
            return Evaluation {
                verdict: Verdict::Empirical,
                enclosures: vec![],
                checks,
                margin: None,
                max_width: 0.0,
                series: vec![],
            };
        }
    };
    let mpfr = simulate::<MpfrInterval>(&w0, &h0, step, *n_steps, &at, *precision_bits);
    checks.push(match &mpfr {
        Ok(m) => {
            let (worst, per) = disagreement(&run, m);
            Check {
                name: format!(
                    "f64 and MPFR-{precision_bits} runs agree within {agreement_text} (|f64 - mpfr| / max(1, |mpfr|) at every sample)"
                ),
                passed: worst <= agreement.to_f64(),
                detail: format!("largest {worst:.2e}: {}", per_text(&per)),
            }
        }
        Err(e) => Check {
            name: format!("f64 and MPFR-{precision_bits} runs agree within {agreement_text}"),
            passed: false,
            detail: format!("MPFR run: {e}"),
        },
    });
    let half_step = Rational::from(step / 2u32);
    let fine_at: Vec<u64> = at.iter().map(|n| 2 * n).collect();
    checks.push(
        match simulate::<f64>(&w0, &h0, &half_step, 2 * n_steps, &fine_at, 53) {
            Ok(fine) => {
                let (worst, per) = disagreement(&run, &fine);
                Check {
                    name: format!(
                        "RK4 step halving changes no sample by more than {step_agreement_text} (|h - h/2| / max(1, |h/2|))"
                    ),
                    passed: worst <= step_agreement.to_f64(),
                    detail: format!("largest {worst:.2e}: {}", per_text(&per)),
                }
            }
            Err(e) => Check {
                name: format!("RK4 step halving within {step_agreement_text}"),
                passed: false,
                detail: format!("half-step run: {e}"),
            },
        },
    );
    let losses: Vec<f64> = run.samples.iter().map(|s| s.loss).collect();
    let rises = losses.windows(2).filter(|p| p[1] >= p[0]).count();
    checks.push(Check {
        name: "loss decreases from each sample to the next (gradient flow)".into(),
        passed: rises == 0,
        detail: format!(
            "{} -> {}; {rises} non-decreasing step(s)",
            approx_text(losses[0]),
            approx_text(*losses.last().unwrap_or(&losses[0]))
        ),
    });
    let first = &run.samples[0];
    let last = run.samples.last().unwrap_or(first);
    let v_from = run.samples.iter().find(|s| s.v.is_some());
    checks.push(Check {
        name: "approach to NC (reported, not asserted): off-diagonal mass and ETF distance lower at T than at 0".into(),
        passed: last.offdiag_mass < first.offdiag_mass
            && last.etf_cosine_distance < first.etf_cosine_distance,
        detail: format!(
            "{}; {}; {}; {}; V defined from t = {}",
            first_last(&run, "offdiag_mass"),
            first_last(&run, "etf_cosine_distance"),
            first_last(&run, "V"),
            first_last(&run, "z_norm"),
            v_from.map_or("never".into(), |s| exact_time(step, s.step)),
        ),
    });
    let mut enclosures = Vec::new();
    let mut record = |name: String, x: f64| {
        let text = approx_text(x);
        enclosures.push(EnclosureRecord {
            name,
            lower: text.clone(),
            upper: text,
        });
    };
    for name in SERIES_NAMES {
        if let Some(x) = last.quantity(name) {
            record(format!("approx {name}(T) (not certified)"), x);
        }
    }
    for (m, x) in last.diag.iter().enumerate() {
        record(format!("approx (Q^T Z Q)_{m}{m}(T) (not certified)"), *x);
    }
    let series = SERIES_NAMES
        .iter()
        .map(|name| Series {
            name: name.to_string(),
            points: run
                .samples
                .iter()
                .filter_map(|s| {
                    let x = approx_text(s.quantity(name)?);
                    let t = exact_time(step, s.step);
                    Some(SeriesPoint {
                        t0: t.clone(),
                        t1: t,
                        lower: x.clone(),
                        upper: x.clone(),
                        end_lower: x.clone(),
                        end_upper: x,
                    })
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    Evaluation {
        verdict: Verdict::Empirical,
        enclosures,
        checks,
        margin: None,
        max_width: 0.0,
        series,
    }
}

// ---- schema: fields, validation, certificate text ----

/// The statement written into certificates.
pub const STATEMENT: &str = "EMPIRICAL, NOT CERTIFIED: the gradient flow of the full matrices (W, H) (d = K) from a small random Gaussian initialisation, off the spectral manifold, approaches NC; simulated with fixed-step RK4 in f64 (checked against an MPFR run and a half-step run): every number recorded is an approximation, and the series and final values (lower = upper) are NOT enclosures";

/// Largest work of a C8 simulation, `steps x K^3 x ceil(precision_bits / 64)` (the shipped
/// K = 16 claim is 2^18, about 1.5 s; the limit is about half an hour).
pub const MAX_EMPIRICAL_WORK: u128 = 1 << 28;

pub const FIELDS: &[FieldHelp] = &[
    ("k", Need::Required, "K = d (a power of two in 2..=64)"),
    (
        "seed",
        Need::Required,
        "seed of the Gaussian initialisation (SplitMix64)",
    ),
    (
        "init_scale",
        Need::Required,
        "standard deviation of every initial entry (exact, in (0, 10])",
    ),
    ("horizon", Need::Required, "the time horizon T (exact)"),
    (
        "step",
        Need::Required,
        "the fixed RK4 step (exact; must divide the horizon)",
    ),
    (
        "agreement",
        Need::Required,
        "largest accepted |f64 - mpfr| / max(1, |mpfr|) over the samples (exact, in (0, 1))",
    ),
    (
        "step_agreement",
        Need::Required,
        "largest accepted change of a sample when the step is halved (exact, in (0, 1))",
    ),
];

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    use super::empirical::{MAX_EMPIRICAL_K, MAX_EMPIRICAL_STEPS};
    for (field, present) in [
        ("width_bound", spec.width_bound.is_some()),
        ("target_width", spec.target_width.is_some()),
        ("max_precision_bits", spec.max_precision_bits.is_some()),
    ] {
        if present {
            return Err(ctx.err(
                field,
                "does not apply to C8: a simulation has no enclosures to bound or escalate",
            ));
        }
    }
    let missing = |field: &str| ctx.err(field, "missing (required by kind C8)");
    let k = spec.k.ok_or_else(|| missing("k"))?;
    if !k.is_power_of_two() || !(2..=MAX_EMPIRICAL_K).contains(&k) {
        return Err(ctx.err(
            "k",
            format!("is {k}: K must be a power of two in 2..={MAX_EMPIRICAL_K} (Sylvester Q)"),
        ));
    }
    let seed = spec.seed.ok_or_else(|| missing("seed"))?;
    let in_range = |field: &str, text: Option<&str>, max: i32| -> Result<Rational, ClaimError> {
        let q = exact(ctx, field, text.ok_or_else(|| missing(field))?)?;
        if q <= 0 || q > max {
            return Err(ctx.err(field, format!("must be in (0, {max}]")));
        }
        Ok(q)
    };
    let init_scale = in_range("init_scale", spec.init_scale.as_deref(), 10)?;
    let horizon = horizon(spec, ctx)?;
    let step = in_range("step", spec.step.as_deref(), 10)?;
    let ratio = Rational::from(&horizon / &step);
    if *ratio.denom() != 1 {
        return Err(ctx.err(
            "step",
            format!("must divide the horizon: horizon / step = {ratio} is not an integer"),
        ));
    }
    let n_steps = ratio
        .numer()
        .to_u64()
        .filter(|n| *n <= MAX_EMPIRICAL_STEPS)
        .ok_or_else(|| {
            ctx.err(
                "step",
                format!("horizon / step = {ratio} steps: at most {MAX_EMPIRICAL_STEPS}"),
            )
        })?;
    let work =
        u128::from(n_steps) * (k as u128).pow(3) * u128::from(spec.precision_bits.div_ceil(64));
    if work > MAX_EMPIRICAL_WORK {
        return Err(ctx.err(
            "step",
            format!(
                "{n_steps} steps at K = {k} and {} bits are {work} units of work (steps x K^3 x \
                 ceil(bits / 64)): at most {MAX_EMPIRICAL_WORK}; use a larger step, a shorter \
                 horizon, a smaller K or a lower precision",
                spec.precision_bits
            ),
        ));
    }
    let below_one = |field: &str, text: Option<&str>| -> Result<Rational, ClaimError> {
        let q = exact(ctx, field, text.ok_or_else(|| missing(field))?)?;
        if q <= 0 || q >= 1 {
            return Err(ctx.err(field, "must be in (0, 1)"));
        }
        Ok(q)
    };
    Ok(Params::Empirical {
        k,
        seed,
        init_scale,
        horizon,
        step,
        n_steps,
        precision_bits: spec.precision_bits,
        agreement: below_one("agreement", spec.agreement.as_deref())?,
        step_agreement: below_one("step_agreement", spec.step_agreement.as_deref())?,
    })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Empirical {
        k,
        seed,
        init_scale,
        horizon,
        step,
        n_steps,
        ..
    } = params
    else {
        return serde_json::Value::Null;
    };
    let (w, h) = initial_matrices(*k, *seed, init_scale);
    serde_json::json!({
        "K": k,
        "d": k,
        "seed": seed,
        "init_scale": init_scale.to_string(),
        "init_scale_f64": format!("{:e}", nearest_f64(init_scale)),
        "init_fnv1a64": initial_digest(&w, &h),
        "horizon": horizon.to_string(),
        "step": step.to_string(),
        "steps": n_steps,
    })
}

/// The registry entry of kind C8: a simulation, evaluated by [`evaluate`] before any backend.
pub const ENTRY: KindEntry = KindEntry {
    name: "C8",
    fields: FIELDS,
    validate,
    evaluate: Evaluator::Simulate(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};
