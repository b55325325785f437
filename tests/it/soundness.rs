//! Property-based soundness suite: every primitive and composite of the model, on every
//! enclosure backend, must contain the value computed at 2048 bits.
//!
//! For random *exact* rational inputs, each case is evaluated once on the reference, MPFR
//! intervals at 2048 bits, and then on every backend under test: inari (`Ival`, f64 ends) and
//! `MpfrInterval` at 53, 64, 113 and 256 bits. The reference must be narrow (width <= 1e-250 *
//! max(|midpoint|, scale), `scale` being the natural magnitude of a quantity that may cancel to
//! 0), so its exact midpoint is within 1e-250 (relative) of the true value; every backend's
//! enclosure must contain that midpoint. Operations whose exact value is rational (+, -, *, /,
//! recip, abs, max, min, mul_pow2, the Walsh-Hadamard transform, `f = Had lambda / K`, the
//! logits) are also checked against the exact rational value (the transform by its O(K^2)
//! definition, independently of `fwht`). A backend may return a not-finite enclosure (which
//! never certifies anything) only where the property says so: inari for values beyond the f64
//! range (`Mode::F64Range`: unbounded on the side of the true value only) and inari at states
//! with |lambda_m| outside [1e-100, 1e100], where an intermediate such as lambda^2 leaves the
//! f64 range (`Mode::InariMayLoseFiniteness`); MPFR must always be finite.
//!
//! The rates of `spectral::rates` (dV/dt, d(M1^2)/dt, dM2/dt, dM3/dt in closed form) are also
//! checked against the chain rule (dual numbers with value lambda_m and derivative lambda_m'
//! from `enclose_balanced_field`): their 2048-bit values must agree to 1e-250.
//!
//! Adversarial inputs: logits and exp arguments up to 1e6 (exp overflows f64 beyond 709.78),
//! values near the ends of the f64 range (subnormals, 1e+-300), lambda_m down to 1e-300 and
//! mixed scales 1e-300..1e6, nearly equal entries (differences down to 1e-35: catastrophic
//! cancellation in V, M1, M3, M4 and every rate), K up to 1024 with differences down to 1e-35,
//! interval inputs (the result must contain the value at a random point of the inputs),
//! non-finite enclosures (which must never certify a sign).
//!
//! What runs where (every property checks all five backends against the 2048-bit reference):
//!
//! | property | default cases | inputs |
//! |---|---:|---|
//! | `add_sub`, `sub_nearly_equal`, `mul`, `div`, `neg_abs_recip`, `max_min`, `hull_contains_both`, `mul_pow2`, `sqrt`, `exp_and_exp_m1`, `ln`, `ln_1p`, `ln_1p_near_minus_one`, `ei` (both signs) | 10^4 each | rationals 1e-34..1e25, exp arguments -750..700 |
//! | `exp_family_huge_arguments` (exp, exp_m1) | 10^4 | \|x\| <= 1e6, both sides of the f64 thresholds |
//! | `extreme_magnitudes` (+ - * / max min recip mul_pow2 abs sqrt ln ln_1p exp exp_m1 Ei) | 10^4 | subnormals, 1e-330..1e308 |
//! | `softmax_and_log_sum_exp` | 10^4 | 1-16 logits up to 1e6, nearly equal, tiny |
//! | `walsh_hadamard_any_inputs` | 10^4 | K = 2..64 |
//! | `spectral_softmax_and_field` (WHT, f, p, s, balanced field; s_0 = 1) | 10^4 | K = 2..16, any-sign lambda |
//! | `unbalanced_field`, `spectral_loss` | 10^4 each | K = 2..16 |
//! | `dynamics` (field, V, M1-M4, dV/dt three ways, d(M1^2)/dt, dM2/dt, dM3/dt two ways, dM4/dt) | 10^4 | K = 2, 4, 8, lambda_m > 0 |
//! | `medium_k` (softmax, lse, WHT, spectral, field, loss, dynamics) | 400 | K = 16, 32, 64 |
//! | `large_k_tiny_differences` (the same) | 24 | K = 256, 512, 1024 |
//! | `logits_softmax_rotated` (Z, S, H^T S H / K) | 1000 | Sylvester 2-8, Paley 4 and 12, equivalence transforms |
//! | `interval_*` (primitives, straddling 0, softmax/lse, spectral, dynamics, logits) | 1000-2000 | boxes around points |
//! | `non_finite_never_certifies` | 1000 | |
//! | `thread_pools_of_2_and_8` | 300 per pool | all of the above at one case, see below |
//!
//! So every primitive named in issue 8 (exp, ln, exp_m1, ln_1p, sqrt, division, Ei, softmax,
//! log-sum-exp, Walsh-Hadamard transform, balanced vector field, dV/dt, M1-M4 and their time
//! derivatives) gets at least 10^4 cases on each of the five backends by default.
//!
//! Concurrency (`thread_pools_of_2_and_8`): the properties of 300 cases run inside rayon pools
//! of 2 and of 8 threads while two plain threads keep evaluating the f64 versions of the same
//! primitives and composites; every f64 result (on the pool's workers right after their interval
//! work, and on the plain threads) and the inari enclosures of the field and of two rates are
//! bit-identical to a single-threaded run on a fresh thread, and f64 `+ - * / sqrt` equal MPFR's
//! round-to-nearest results (so no thread ever computes in a directed rounding mode).
//! `tests/it/determinism.rs` covers certificates across thread counts.
//!
//! Case counts: `PROPTEST_CASES=N` sets every 10^4 property to N cases and scales every other
//! default by N / 10^4 (at least 1 case). Default run: `cargo test --release --test it -- soundness::`
//! (about 205 s of CPU, measured: about 2 minutes on two otherwise idle cores). Heavy profile
//! (nightly): `PROPTEST_CASES=100000 cargo test --release --test it -- soundness::` (10^5 cases per
//! primitive and backend; ten times the default work, about 35 minutes of CPU). Failures are
//! persisted to
//! `tests/proptest-regressions/soundness.txt` and replayed first on the next run (not when
//! `HADACERT_MUTANT` is set: a mutant's failures are expected).

// One-element input slices are written `&[x.clone()]` for uniformity with the multi-input ops.
#![allow(clippy::cloned_ref_to_slice_refs)]

use hadacert::arith::{Certainty, Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::model::hadamard::{Equivalence, HadamardMatrix};
use hadacert::model::logits::{enclose_column_softmax, enclose_logits, enclose_rotated};
use hadacert::model::softmax::{enclose_log_sum_exp, enclose_softmax};
use hadacert::model::wht::fwht;
use hadacert::ode::dual::Dual;
use hadacert::spectral::field::{
    enclose_balanced_field, enclose_spectral_loss, enclose_spectral_softmax,
    enclose_unbalanced_field,
};
use hadacert::spectral::lyapunov::{
    enclose_lyapunov, enclose_lyapunov_rate, enclose_m1, enclose_m2, enclose_m3, enclose_m4,
    normalised,
};
use hadacert::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_v_rate,
};
use num_traits::{One, Zero};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};
use rug::{Integer, Rational};

/// The reference backend and its precision.
type R = MpfrInterval;
const RP: u32 = 2048;

/// The MPFR precisions under test (inari, 53 bits with f64 ends, is always tested too).
const MPFR_PRECS: [u32; 4] = [53, 64, 113, 256];

const PERSIST: &str = "tests/proptest-regressions/soundness.txt";

/// Cases of every per-primitive property in the default run.
const BASE_CASES: u64 = 10_000;

type Check = Result<(), TestCaseError>;

/// The case count of a property whose default is `default`: `PROPTEST_CASES = N` scales every
/// default by `N / 10^4` (so `N` is the count of each per-primitive property), at least 1.
fn case_count(default: u32) -> u32 {
    let n: u64 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(BASE_CASES);
    (default as u64 * n)
        .div_ceil(BASE_CASES)
        .clamp(1, u32::MAX as u64) as u32
}

/// The config of a property. Failures are persisted, except under a mutant
/// (`HADACERT_MUTANT`, `scripts/mutants.sh`), whose failures are expected and are not
/// regressions.
fn config(default: u32) -> ProptestConfig {
    let persist = std::env::var_os("HADACERT_MUTANT").is_none();
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: case_count(default),
        failure_persistence: persist
            .then(|| Box::new(FileFailurePersistence::Direct(PERSIST)) as Box<_>),
        rng_seed: crate::common::proptest_seed(&base),
        ..base
    }
}

// ---------------------------------------------------------------------------------------------
// Exact helpers
// ---------------------------------------------------------------------------------------------

fn pow10(e: i32) -> Rational {
    let p = Rational::from(Integer::from(Integer::u_pow_u(10, e.unsigned_abs())));
    if e >= 0 {
        p
    } else {
        p.recip()
    }
}

fn rat(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

fn z() -> Rational {
    Rational::new()
}

fn one() -> Rational {
    Rational::from(1)
}

fn maxabs(q: &[Rational]) -> Rational {
    q.iter()
        .map(|x| Rational::from(x.abs_ref()))
        .max()
        .unwrap_or_default()
}

fn sumabs(q: &[Rational]) -> Rational {
    q.iter()
        .fold(Rational::new(), |acc, x| acc + Rational::from(x.abs_ref()))
}

fn plus_one(q: Rational) -> Rational {
    q + 1u32
}

/// The exact midpoint of a 2048-bit reference enclosure, after checking it is narrow:
/// `width <= 1e-250 * max(|mid|, scale)`.
fn reference_point(r: &R, scale: &Rational, what: &str) -> Result<Rational, TestCaseError> {
    prop_assert!(r.is_finite(), "{what}: reference not finite: {r:?}");
    prop_assert_eq!(r.prec(), RP, "{}: reference lost precision", what);
    let lo = r.lower_exact().unwrap();
    let hi = r.upper_exact().unwrap();
    let mid = Rational::from(&lo + &hi) / 2u32;
    let width = hi - lo;
    let mag = Rational::from(mid.abs_ref()).max(scale.clone());
    prop_assert!(
        width <= mag * pow10(-250),
        "{}: the 2048-bit reference is too wide to be meaningful: {:?}",
        what,
        r
    );
    Ok(mid)
}

// ---------------------------------------------------------------------------------------------
// Operations, written once and evaluated on any backend
// ---------------------------------------------------------------------------------------------

/// An operation from a vector of inputs to named groups of outputs (each group is checked with
/// its own cancellation scale).
trait Op: Sync {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)>;
    /// Exact values of the groups that have a rational value (None = not rational).
    fn exact(&self, _q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        Vec::new()
    }
}

macro_rules! op {
    ($name:ident, |$x:ident| $body:expr) => {
        struct $name;
        impl Op for $name {
            fn eval<U: Enclosure>(&self, $x: &[U]) -> Vec<(&'static str, Vec<U>)> {
                vec![(stringify!($name), vec![$body])]
            }
        }
    };
    ($name:ident, |$x:ident| $body:expr, exact |$q:ident| $ex:expr) => {
        struct $name;
        impl Op for $name {
            fn eval<U: Enclosure>(&self, $x: &[U]) -> Vec<(&'static str, Vec<U>)> {
                vec![(stringify!($name), vec![$body])]
            }
            fn exact(&self, $q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
                vec![Some(vec![$ex])]
            }
        }
    };
}

op!(
    Add,
    |x| x[0].clone() + &x[1],
    exact | q | Rational::from(&q[0] + &q[1])
);
op!(
    Sub,
    |x| x[0].clone() - &x[1],
    exact | q | Rational::from(&q[0] - &q[1])
);
op!(
    Mul,
    |x| x[0].clone() * &x[1],
    exact | q | Rational::from(&q[0] * &q[1])
);
op!(
    Div,
    |x| x[0].clone() / &x[1],
    exact | q | Rational::from(&q[0] / &q[1])
);
op!(Neg, |x| -x[0].clone(), exact | q | Rational::from(-&q[0]));
op!(Recip, |x| x[0].recip(), exact | q | q[0].clone().recip());
op!(
    Abs,
    |x| x[0].abs(),
    exact | q | Rational::from(q[0].abs_ref())
);
op!(
    Max,
    |x| x[0].max(&x[1]),
    exact | q | q[0].clone().max(q[1].clone())
);
op!(
    Min,
    |x| x[0].min(&x[1]),
    exact | q | q[0].clone().min(q[1].clone())
);
op!(Sqrt, |x| x[0].sqrt());
op!(Exp, |x| x[0].exp());
op!(ExpM1, |x| x[0].exp_m1());
op!(Ln, |x| x[0].ln());
op!(Ln1p, |x| x[0].ln_1p());
op!(Ei, |x| x[0].ei());
op!(LogSumExp, |x| enclose_log_sum_exp(x));
op!(SpectralLoss, |x| enclose_spectral_loss(x));

struct MulPow2(i32);
impl Op for MulPow2 {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        vec![("mul_pow2", vec![x[0].mul_pow2(self.0)])]
    }
    fn exact(&self, q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        let two_k = if self.0 >= 0 {
            Rational::from(Integer::from(1) << self.0 as u32)
        } else {
            Rational::from((1, Integer::from(1) << self.0.unsigned_abs()))
        };
        vec![Some(vec![Rational::from(&q[0] * &two_k)])]
    }
}

struct Softmax;
impl Op for Softmax {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        vec![("softmax", enclose_softmax(x))]
    }
}

/// `Had q` by its definition, `(Had q)_i = sum_j (-1)^popcount(i & j) q_j`, in O(K^2) exact
/// rational arithmetic (independent of `fwht`).
fn exact_fwht(q: &[Rational]) -> Vec<Rational> {
    (0..q.len())
        .map(|i| {
            q.iter().enumerate().fold(Rational::new(), |acc, (j, x)| {
                if (i & j).count_ones() % 2 == 0 {
                    acc + x
                } else {
                    acc - x
                }
            })
        })
        .collect()
}

struct Fwht;
impl Op for Fwht {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        let mut v = x.to_vec();
        fwht(&mut v);
        vec![("Had x", v)]
    }
    fn exact(&self, q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        vec![Some(exact_fwht(q))]
    }
}

/// `f`, `p` and `s` of the spectral softmax.
struct Spectral;
impl Op for Spectral {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        let sp = enclose_spectral_softmax(x);
        vec![("f", sp.f), ("p", sp.p), ("s", sp.s)]
    }
    fn exact(&self, q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        let k = q.len() as u32;
        let f = exact_fwht(q).into_iter().map(|x| x / k).collect();
        vec![Some(f)]
    }
}

struct Balanced;
impl Op for Balanced {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        vec![("balanced field", enclose_balanced_field(x))]
    }
}

/// Input `a ++ b`; outputs `a'`, `b'`.
struct Unbalanced;
impl Op for Unbalanced {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        let (a, b) = x.split_at(x.len() / 2);
        let (da, db) = enclose_unbalanced_field(a, b);
        vec![("a'", da), ("b'", db)]
    }
}

/// `M1^2 = sum_{m!=0} (lambda~_m - 1/(K-1))^2`: `enclose_m1` without the square root, so that
/// its derivative exists where M1 = 0.
fn m1_sq<T: Real>(lambda: &[T]) -> T {
    let nt = normalised(lambda);
    let p = lambda[0].prec();
    let u = T::from_i64(1, p) / T::from_i64(nt.len() as i64, p);
    let mut acc = T::zero();
    for x in &nt {
        let d = x.clone() - &u;
        acc += d.clone() * &d;
    }
    acc
}

/// The balanced dynamics at a state `lambda` (`lambda_m > 0` for m != 0): the vector field, V,
/// M1-M4, and their time derivatives along the field, each computed two ways: the closed forms
/// of `spectral::rates` (and `enclose_lyapunov_rate` for V) and the chain rule by dual numbers (value `lambda_m`, derivative `lambda_m'` from the enclosed field).
/// `m4_modes`: the unique argmax and argmin over m != 0 of the exact state, if unique (then
/// `dM4/dt = d ln(lambda_max / lambda_min)/dt` there).
struct Dynamics {
    m4_modes: Option<(usize, usize)>,
}

impl Dynamics {
    fn new(lam: &[Rational]) -> Self {
        let rest = &lam[1..];
        let unique = |v: &Rational| rest.iter().filter(|x| *x == v).count() == 1;
        let mx = rest.iter().max().unwrap();
        let mn = rest.iter().min().unwrap();
        let m4_modes = (unique(mx) && unique(mn)).then(|| {
            (
                1 + rest.iter().position(|x| x == mx).unwrap(),
                1 + rest.iter().position(|x| x == mn).unwrap(),
            )
        });
        Dynamics { m4_modes }
    }
    /// One cancellation scale per group: the field scales with max |lambda|; every other group
    /// is O(1) or cancels to 0 in absolute terms.
    fn scales(&self, lam: &[Rational]) -> Vec<Rational> {
        let n = 15 + self.m4_modes.is_some() as usize;
        let mut v = vec![maxabs(lam)];
        v.resize(n, one());
        v
    }
}

impl Op for Dynamics {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        let field = enclose_balanced_field(x);
        let duals: Vec<Dual<U>> = x
            .iter()
            .zip(&field)
            .map(|(l, d)| Dual {
                value: l.clone(),
                grad: vec![d.clone()],
            })
            .collect();
        let rate = |d: Dual<U>| vec![d.partial(0)];
        let mut out = vec![
            ("V", vec![enclose_lyapunov(x)]),
            ("M1", vec![enclose_m1(x)]),
            ("M2", vec![enclose_m2(x)]),
            ("M3", vec![enclose_m3(x)]),
            ("M4", vec![enclose_m4(x)]),
            (
                "dV/dt (enclose_lyapunov_rate)",
                vec![enclose_lyapunov_rate(x, &field)],
            ),
            ("dV/dt (enclose_v_rate)", vec![enclose_v_rate(x)]),
            ("dV/dt (dual)", rate(enclose_lyapunov(&duals))),
            (
                "d(M1^2)/dt (enclose_m1_sq_rate)",
                vec![enclose_m1_sq_rate(x)],
            ),
            ("d(M1^2)/dt (dual)", rate(m1_sq(&duals))),
            ("dM2/dt (enclose_m2_rate)", vec![enclose_m2_rate(x)]),
            ("dM2/dt (dual)", rate(enclose_m2(&duals))),
            ("dM3/dt (enclose_m3_rate)", vec![enclose_m3_rate(x)]),
            ("dM3/dt (dual)", rate(enclose_m3(&duals))),
        ];
        if let Some((i, j)) = self.m4_modes {
            out.push(("dM4/dt (dual)", rate((duals[i].clone() / &duals[j]).ln())));
        }
        out.insert(0, ("balanced field", field));
        out
    }
}

/// Logits `Z`, column softmax `S` and rotated softmax `H^T S H / K` of a Hadamard matrix.
struct Pipeline(HadamardMatrix);
impl Op for Pipeline {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<(&'static str, Vec<U>)> {
        let z = enclose_logits(&self.0, x);
        let s = enclose_column_softmax(&z);
        let rot = enclose_rotated(&self.0, s.clone());
        vec![
            ("Z", z.iter().cloned().collect()),
            ("S", s.iter().cloned().collect()),
            ("H^T S H / K", rot.iter().cloned().collect()),
        ]
    }
    fn exact(&self, q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        // Column-major like nalgebra's storage: Z_il = sum_j H_ij lambda_j H_lj / K.
        let h = &self.0;
        let k = h.order();
        let mut z = Vec::with_capacity(k * k);
        for l in 0..k {
            for i in 0..k {
                let mut acc = Rational::new();
                for (j, lam) in q.iter().enumerate() {
                    let sign = h.get(i, j) * h.get(l, j);
                    if sign > 0 {
                        acc += lam;
                    } else {
                        acc -= lam;
                    }
                }
                z.push(acc / k as u32);
            }
        }
        vec![Some(z)]
    }
}

// ---------------------------------------------------------------------------------------------
// Checkers: one 2048-bit reference per case, then every backend against it
// ---------------------------------------------------------------------------------------------

/// What a backend may return besides a finite enclosure of the reference.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Every backend returns a finite enclosure containing the reference value.
    Strict,
    /// Inputs near the ends of the f64 range: an inari result may be unbounded only when the
    /// exact value is beyond the f64 range, and then only on the side of that value.
    F64Range,
    /// Intermediate quantities may leave the f64 range although the result does not (e.g.
    /// `lambda^2` underflows for `lambda ~ 1e-300`): an inari result may be not finite (it then
    /// never certifies anything); MPFR results must stay finite.
    InariMayLoseFiniteness,
}

/// The reference midpoints of every group.
struct Reference {
    names: Vec<&'static str>,
    mids: Vec<Vec<Rational>>,
}

fn reference<O: Op>(
    op: &O,
    pts: &[Rational],
    scales: &[Rational],
) -> Result<Reference, TestCaseError> {
    let ref_in: Vec<R> = pts.iter().map(|x| R::from_rational(x, RP)).collect();
    let groups = op.eval(&ref_in);
    prop_assert_eq!(groups.len(), scales.len(), "one scale per output group");
    let mut names = Vec::new();
    let mut mids = Vec::new();
    for ((name, vals), scale) in groups.iter().zip(scales) {
        let mut m = Vec::with_capacity(vals.len());
        for (i, r) in vals.iter().enumerate() {
            m.push(reference_point(r, scale, &format!("{name}[{i}]"))?);
        }
        names.push(*name);
        mids.push(m);
    }
    Ok(Reference { names, mids })
}

/// Compare one backend's groups with the reference (and the exact values, where rational).
fn compare<T: Enclosure>(
    got: &[(&'static str, Vec<T>)],
    refv: &Reference,
    exact: &[Option<Vec<Rational>>],
    mode: Mode,
) -> Check {
    let backend = format!(
        "{} at {} bits",
        T::BACKEND,
        got.first()
            .map_or(0, |g| g.1.first().map_or(0, |x| x.prec()))
    );
    prop_assert_eq!(got.len(), refv.mids.len());
    let max = Rational::from_f64(f64::MAX).unwrap();
    for (g, ((name, vals), mids)) in got.iter().zip(&refv.mids).enumerate() {
        prop_assert_eq!(*name, refv.names[g]);
        prop_assert_eq!(vals.len(), mids.len(), "{}: length", name);
        let ex = exact.get(g).and_then(|e| e.as_ref());
        for (i, (x, mid)) in vals.iter().zip(mids).enumerate() {
            if !x.is_finite() {
                let inari = T::BACKEND == "inari";
                let allowed = match mode {
                    Mode::Strict => false,
                    Mode::InariMayLoseFiniteness => inari,
                    Mode::F64Range if inari && *mid > max => {
                        x.upper_f64() == f64::INFINITY && x.lower_f64() >= f64::MAX
                    }
                    Mode::F64Range if inari && *mid < -max.clone() => {
                        x.lower_f64() == f64::NEG_INFINITY && x.upper_f64() <= -f64::MAX
                    }
                    Mode::F64Range => false,
                };
                prop_assert!(
                    allowed,
                    "{}[{}] ({}, {:?}): not finite: {:?} (the 2048-bit value is {:e})",
                    name,
                    i,
                    backend,
                    mode,
                    x,
                    mid.to_f64()
                );
                // A not-finite enclosure never certifies a sign.
                prop_assert!(!x.certainly_positive() && !x.certainly_negative());
                continue;
            }
            prop_assert!(
                x.contains_rational(mid),
                "{}[{}] ({}): {:?} does not contain the 2048-bit value {:e}",
                name,
                i,
                backend,
                x,
                mid.to_f64()
            );
            if let Some(e) = ex {
                prop_assert!(
                    x.contains_rational(&e[i]),
                    "{}[{}] ({}): {:?} misses the exact value {}",
                    name,
                    i,
                    backend,
                    x,
                    e[i]
                );
            }
        }
    }
    Ok(())
}

/// Point inputs: each backend encloses the exact inputs at its precision.
fn eval_point<T: Enclosure, O: Op>(
    op: &O,
    prec: u32,
    q: &[Rational],
) -> Result<Vec<(&'static str, Vec<T>)>, TestCaseError> {
    let inp: Vec<T> = q.iter().map(|x| T::from_rational(x, prec)).collect();
    for (x, v) in inp.iter().zip(q) {
        prop_assert!(
            x.contains_rational(v),
            "from_rational({:e}) = {:?}",
            v.to_f64(),
            x
        );
    }
    Ok(op.eval(&inp))
}

/// Point inputs on inari and MPFR at 53, 64, 113 and 256 bits against one 2048-bit reference.
fn check_all<O: Op>(op: &O, q: &[Rational], scales: &[Rational], mode: Mode) -> Check {
    check_all_ref(op, q, scales, mode).map(|_| ())
}

/// `check_all`, returning the reference for further checks.
fn check_all_ref<O: Op>(
    op: &O,
    q: &[Rational],
    scales: &[Rational],
    mode: Mode,
) -> Result<Reference, TestCaseError> {
    let refv = reference(op, q, scales)?;
    let exact = op.exact(q);
    compare(&eval_point::<Ival, O>(op, 53, q)?, &refv, &exact, mode)?;
    for p in MPFR_PRECS {
        compare(
            &eval_point::<MpfrInterval, O>(op, p, q)?,
            &refv,
            &exact,
            mode,
        )?;
    }
    Ok(refv)
}

/// Interval inputs: each backend gets `hull(lo_i, hi_i)`; the reference is evaluated at the
/// point `pt_i` inside it.
fn eval_interval<T: Enclosure, O: Op>(
    op: &O,
    prec: u32,
    boxes: &[(Rational, Rational, Rational)],
) -> Result<Vec<(&'static str, Vec<T>)>, TestCaseError> {
    let inp: Vec<T> = boxes
        .iter()
        .map(|(lo, hi, _)| T::from_rational(lo, prec).hull(&T::from_rational(hi, prec)))
        .collect();
    for (x, b) in inp.iter().zip(boxes) {
        prop_assert!(
            x.contains_rational(&b.2),
            "hull does not contain {}: {:?}",
            b.2,
            x
        );
    }
    Ok(op.eval(&inp))
}

fn check_all_interval<O: Op>(
    op: &O,
    boxes: &[(Rational, Rational, Rational)],
    scales: &[Rational],
) -> Check {
    let pts = points(boxes);
    let refv = reference(op, &pts, scales)?;
    let exact = op.exact(&pts);
    compare(
        &eval_interval::<Ival, O>(op, 53, boxes)?,
        &refv,
        &exact,
        Mode::Strict,
    )?;
    for p in MPFR_PRECS {
        compare(
            &eval_interval::<MpfrInterval, O>(op, p, boxes)?,
            &refv,
            &exact,
            Mode::Strict,
        )?;
    }
    Ok(())
}

/// Run `$body` with `B` bound to every backend and `prec` to its precision. (The body is
/// written for both types; `Ival` is `Copy`, so its `clone()` calls are redundant there.)
macro_rules! for_each_backend {
    (|$B:ident, $P:ident| $body:block) => {{
        #[allow(clippy::clone_on_copy, clippy::op_ref)]
        {
            type $B = Ival;
            let $P: u32 = 53;
            $body
        }
        for $P in MPFR_PRECS {
            type $B = MpfrInterval;
            $body
        }
    }};
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// n/d with |n| <= 10^4, 1 <= d <= 1000.
fn rat_frac() -> impl Strategy<Value = Rational> + Clone {
    (-10_000i64..=10_000, 1i64..=1_000).prop_map(|(n, d)| rat(n, d))
}

/// Short decimals n * 10^e.
fn rat_dec() -> impl Strategy<Value = Rational> + Clone {
    (-99_999i64..=99_999, -8i32..=3).prop_map(|(n, e)| Rational::from(n) * pow10(e))
}

/// Tiny values around 1e-30.
fn rat_tiny() -> impl Strategy<Value = Rational> + Clone {
    (-9_999i64..=9_999, 26i32..=34).prop_map(|(n, e)| Rational::from(n) * pow10(-e))
}

/// Huge values around 1e20.
fn rat_huge() -> impl Strategy<Value = Rational> + Clone {
    (-9_999i64..=9_999, 15i32..=25).prop_map(|(n, e)| Rational::from(n) * pow10(e))
}

/// Values near the ends of the f64 range: subnormals and underflow (1e-330..1e-300) and
/// huge finite values (up to ~1e308), either sign.
fn rat_extreme() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![
        (-9_999i64..=9_999, 300i32..=330).prop_map(|(n, e)| Rational::from(n) * pow10(-e)),
        rat_huge_f64(),
    ]
}

/// Like `rat_extreme` but never below the smallest subnormal, so that the inari enclosure of the
/// input excludes 0 (divisors, arguments of ln and sqrt).
fn rat_extreme_nonzero() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![rat_subnormal(), rat_huge_f64()]
}

fn rat_huge_f64() -> impl Strategy<Value = Rational> + Clone {
    (-9_999i64..=9_999, 290i32..=304).prop_map(|(n, e)| Rational::from(n) * pow10(e))
}

/// Subnormal-sized values >= 1e-323 in magnitude (so the inari enclosure excludes 0).
fn rat_subnormal() -> impl Strategy<Value = Rational> + Clone {
    (-9_999i64..=9_999, 308i32..=323)
        .prop_map(|(n, e)| Rational::from(n) * pow10(-e))
        .prop_filter("nonzero", |q| !q.is_zero())
}

fn any_rat() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![
        3 => rat_frac(),
        3 => rat_dec(),
        2 => rat_tiny(),
        1 => rat_huge(),
    ]
}

fn nonzero_rat() -> impl Strategy<Value = Rational> + Clone {
    any_rat().prop_filter("nonzero", |q| !q.is_zero())
}

fn pos_rat() -> impl Strategy<Value = Rational> + Clone {
    nonzero_rat().prop_map(|q| q.abs())
}

/// Arguments of exp-like functions whose values fit in f64 (inari), including deep underflow.
fn exp_arg() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![
        3 => (-7_500i64..=7_000, 1i64..=10).prop_map(|(n, d)| rat(n, 10 * d)),
        2 => (-99_999i64..=99_999, -8i32..=-3).prop_map(|(n, e)| Rational::from(n) * pow10(e)),
        1 => rat_tiny(),
    ]
}

/// Arguments of exp-like functions up to 1e6 in magnitude, mostly beyond the f64 overflow
/// threshold (709.78) and underflow threshold (-745.13).
fn exp_arg_huge() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![
        (-1_000_000i64..=1_000_000, 1i64..=7).prop_map(|(n, d)| rat(n, d)),
        (-20_000i64..=20_000, 1i64..=20).prop_map(|(n, d)| rat(n, d)),
        (709_000i64..=710_000).prop_map(|n| rat(n, 1_000)),
        (-746_000i64..=-744_000).prop_map(|n| rat(n, 1_000)),
    ]
}

fn ei_arg() -> impl Strategy<Value = Rational> + Clone {
    exp_arg().prop_filter("Ei needs x != 0", |q| !q.is_zero())
}

/// Arguments of ln_1p: x > -1, including points close to -1 (>= 1e-15 away, several ulps of
/// the f64 grid there (2^-53 ~ 1.1e-16), so the input enclosure at 53 bits stays > -1: 1e-16
/// away, the enclosure reaches -1 and ln_1p is rightly -inf there; closer points are tested in
/// `ln_1p_near_minus_one`) and near 0.
fn ln1p_arg() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![
        2 => pos_rat(),
        2 => (1i64..=999_999).prop_map(|n| rat(n, 1_000_000) - 1u32),
        1 => rat_tiny(),
        1 => (1i64..=9_999, 12i32..=15).prop_map(|(n, e)| Rational::from(n) * pow10(-e) - 1u32),
    ]
}

/// Logits / spectral states of magnitude <= 500.
fn moderate() -> impl Strategy<Value = Rational> + Clone {
    (-500i64..=500, 1i64..=50).prop_map(|(n, d)| rat(n, d))
}

/// Large logits, up to 1e4 in magnitude.
fn large() -> impl Strategy<Value = Rational> + Clone {
    (-10_000i64..=10_000, 1i64..=3).prop_map(|(n, d)| rat(n, d))
}

/// Huge logits, up to 1e6 in magnitude (exp of such a logit overflows f64).
fn huge_logit() -> impl Strategy<Value = Rational> + Clone {
    (-1_000_000i64..=1_000_000, 1i64..=3).prop_map(|(n, d)| rat(n, d))
}

/// `base + d_i 10^-e`: entries nearly equal (differences ~1e-12..1e-35).
fn nearly_equal<S: Strategy<Value = Rational> + Clone>(
    base: S,
    len: usize,
) -> impl Strategy<Value = Vec<Rational>> + Clone {
    (
        base,
        prop::collection::vec(-1_000i64..=1_000, len),
        12i32..=35,
    )
        .prop_map(|(b, ds, e)| {
            ds.into_iter()
                .map(|d| Rational::from(d) * pow10(-e) + &b)
                .collect()
        })
}

/// Vectors of logits: moderate, large, huge (to 1e6), nearly equal (around a moderate or a
/// huge base) or tiny.
fn logit_vec(len: usize) -> impl Strategy<Value = Vec<Rational>> + Clone {
    prop_oneof![
        3 => prop::collection::vec(moderate(), len),
        2 => prop::collection::vec(large(), len),
        1 => prop::collection::vec(huge_logit(), len),
        2 => nearly_equal(moderate(), len),
        1 => nearly_equal(huge_logit(), len),
        1 => prop::collection::vec(rat_tiny(), len),
    ]
}

/// Power-of-two length 2..=2^max_log.
fn pow2_vec(max_log: u32) -> impl Strategy<Value = Vec<Rational>> {
    (1u32..=max_log).prop_flat_map(|n| logit_vec(1 << n))
}

/// A positive spectral value of the given class (the entries m != 0 of a state).
fn positive_vec(len: usize) -> impl Strategy<Value = Vec<Rational>> + Clone {
    let moderate_pos = (1i64..=500, 1i64..=50).prop_map(|(n, d)| rat(n, d));
    prop_oneof![
        // moderate, O(1e-2..1e2)
        3 => prop::collection::vec(moderate_pos.clone(), len),
        // large, up to 1e6
        2 => prop::collection::vec((1i64..=1_000_000, 1i64..=3).prop_map(|(n, d)| rat(n, d)), len),
        // nearly equal: catastrophic cancellation in V, M1, M3, M4 and every rate
        3 => nearly_equal(moderate_pos, len),
        1 => nearly_equal((1i64..=1_000_000).prop_map(|n| rat(n, 1)), len),
        // tiny, down to 1e-300 (squares underflow f64)
        1 => prop::collection::vec((1i64..=9_999, 290i32..=304).prop_map(|(n, e)| Rational::from(n) * pow10(-e)), len),
        // mixed scales 1e-300..1e6: M4 up to ~700
        1 => prop::collection::vec((1i64..=9_999, -304i32..=2).prop_map(|(n, e)| Rational::from(n) * pow10(e)), len),
    ]
}

/// A balanced state of length `len`: `lambda_0` zero, moderate (any sign) or like the rest;
/// `lambda_m > 0` for m != 0.
fn dyn_state(len: usize) -> impl Strategy<Value = Vec<Rational>> {
    (
        prop_oneof![Just(None), moderate().prop_map(Some), Just(Some(one()))],
        positive_vec(len),
        any::<bool>(),
    )
        .prop_map(|(l0, mut v, keep)| {
            if let Some(l0) = l0 {
                v[0] = l0;
            } else if !keep {
                v[0] = z();
            }
            v
        })
}

/// K = 2^n for n in `range` (uniform in n).
fn pow2(range: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = usize> + Clone {
    range.prop_map(|n| 1usize << n)
}

/// The mode of a dynamics case: inari may lose finiteness when some |lambda_m| leaves
/// [1e-100, 1e100] (its square leaves the f64 range).
fn dyn_mode(lam: &[Rational]) -> Mode {
    let lo = pow10(-100);
    let hi = pow10(100);
    let ok = lam.iter().all(|x| {
        let a = Rational::from(x.abs_ref());
        a.is_zero() || (a >= lo && a <= hi)
    });
    if ok {
        Mode::Strict
    } else {
        Mode::InariMayLoseFiniteness
    }
}

/// An interval `[lo, hi]` around a point `pt` generated by `base`: width relative to the
/// point (<= ~1e-2 |q|, or absolute ~1e-6 near 0), so a sign-definite point gives a sign-definite
/// interval.
fn widen<S: Strategy<Value = Rational>>(
    base: S,
) -> impl Strategy<Value = (Rational, Rational, Rational)> {
    (base, 1i64..=9, 3i32..=15, 0i64..=1_000).prop_map(|(q, n, e, u)| {
        let mag = if q.is_zero() {
            pow10(-6)
        } else {
            Rational::from(q.abs_ref())
        };
        let d = mag * Rational::from(n) * pow10(-e - 1);
        let hi = Rational::from(&q + &d);
        let pt = &q + &d * rat(u, 1_000);
        (q, hi, pt)
    })
}

fn widen_vec(len: usize) -> impl Strategy<Value = Vec<(Rational, Rational, Rational)>> {
    prop::collection::vec(widen(moderate()), len)
}

fn points(boxes: &[(Rational, Rational, Rational)]) -> Vec<Rational> {
    boxes.iter().map(|b| b.2.clone()).collect()
}

fn hadamard_case() -> impl Strategy<Value = (HadamardMatrix, Vec<Rational>)> {
    let eq8 = (
        Just((0..8).collect::<Vec<usize>>()).prop_shuffle(),
        Just((0..8).collect::<Vec<usize>>()).prop_shuffle(),
        prop::collection::vec(0usize..8, 0..5),
        prop::collection::vec(0usize..8, 0..5),
    )
        .prop_map(|(row_perm, col_perm, row_flip, col_flip)| {
            HadamardMatrix::sylvester(8)
                .unwrap()
                .transform(&Equivalence {
                    row_perm,
                    row_flip,
                    col_perm,
                    col_flip,
                })
                .unwrap()
        });
    prop_oneof![
        Just(HadamardMatrix::sylvester(2).unwrap()),
        Just(HadamardMatrix::sylvester(4).unwrap()),
        Just(HadamardMatrix::sylvester(8).unwrap()),
        Just(HadamardMatrix::paley(3).unwrap()),
        Just(HadamardMatrix::paley(11).unwrap()),
        eq8,
    ]
    .prop_flat_map(|h| {
        let k = h.order();
        (Just(h), logit_vec(k))
    })
}

/// Scales of the pipeline groups: Z (cancels: max |lambda|), S (relative), rotated (<= 1).
fn pipeline_scales(lam: &[Rational]) -> Vec<Rational> {
    vec![maxabs(lam), Rational::new(), one()]
}

/// Scales of the spectral groups: f (max |lambda|), p (relative), s (|s_m| <= 1).
fn spectral_scales(lam: &[Rational]) -> Vec<Rational> {
    vec![maxabs(lam), Rational::new(), one()]
}

/// Large K (256, 512, 1024), entries `base + d_m 10^-e` with tiny differences; `lambda_0` zero
/// or moderate.
fn large_k_state() -> impl Strategy<Value = Vec<Rational>> {
    (8u32..=10).prop_flat_map(|n| {
        let k = 1usize << n;
        (
            prop_oneof![Just(z()), moderate()],
            nearly_equal((1i64..=300, 1i64..=100).prop_map(|(a, b)| rat(a, b)), k),
        )
            .prop_map(|(l0, mut v)| {
                v[0] = l0;
                v
            })
    })
}

// ---------------------------------------------------------------------------------------------
// Property bodies (shared by the proptest properties and the thread-pool runs)
// ---------------------------------------------------------------------------------------------

fn p_add_sub(x: &Rational, y: &Rational) -> Check {
    let sc = [sumabs(&[x.clone(), y.clone()])];
    check_all(&Add, &[x.clone(), y.clone()], &sc, Mode::Strict)?;
    check_all(&Sub, &[x.clone(), y.clone()], &sc, Mode::Strict)
}

fn p_exp_family(x: &Rational) -> Check {
    check_all(&Exp, &[x.clone()], &[z()], Mode::Strict)?;
    check_all(&ExpM1, &[x.clone()], &[z()], Mode::Strict)
}

fn p_dynamics(lam: &[Rational]) -> Check {
    let op = Dynamics::new(lam);
    let refv = check_all_ref(&op, lam, &op.scales(lam), dyn_mode(lam))?;
    // The closed forms of `spectral::rates` agree with the chain rule: their 2048-bit values
    // coincide to 1e-250 (a wrong formula, however soundly evaluated, fails here).
    let value = |name: &str| {
        let g = refv.names.iter().position(|n| *n == name).unwrap();
        refv.mids[g][0].clone()
    };
    for (closed, chain) in [
        ("dV/dt (enclose_v_rate)", "dV/dt (dual)"),
        ("dV/dt (enclose_lyapunov_rate)", "dV/dt (dual)"),
        ("d(M1^2)/dt (enclose_m1_sq_rate)", "d(M1^2)/dt (dual)"),
        ("dM2/dt (enclose_m2_rate)", "dM2/dt (dual)"),
        ("dM3/dt (enclose_m3_rate)", "dM3/dt (dual)"),
    ] {
        let (a, b) = (value(closed), value(chain));
        let tol = Rational::from(a.abs_ref()).max(one()) * pow10(-250);
        prop_assert!(
            Rational::from(&a - &b).abs() <= tol,
            "{} = {:e} but {} = {:e}",
            closed,
            a.to_f64(),
            chain,
            b.to_f64()
        );
    }
    Ok(())
}

fn p_softmax_lse(f: &[Rational]) -> Check {
    check_all(&Softmax, f, &[z()], Mode::Strict)?;
    check_all(&LogSumExp, f, &[plus_one(maxabs(f))], Mode::Strict)
}

fn p_spectral(lam: &[Rational]) -> Check {
    check_all(&Fwht, lam, &[sumabs(lam)], Mode::Strict)?;
    check_all(&Spectral, lam, &spectral_scales(lam), Mode::Strict)?;
    check_all(&Balanced, lam, &[maxabs(lam)], Mode::Strict)
}

// ---------------------------------------------------------------------------------------------
// Properties: primitives (10^4 cases each by default)
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn add_sub(x in any_rat(), y in any_rat()) {
        p_add_sub(&x, &y)?;
    }

    #[test]
    fn sub_nearly_equal(x in any_rat(), t in rat_tiny()) {
        let y = Rational::from(&x + &t);
        check_all(&Sub, &[x.clone(), y.clone()], &[sumabs(&[x, y])], Mode::Strict)?;
    }

    #[test]
    fn mul(x in any_rat(), y in any_rat()) {
        check_all(&Mul, &[x, y], &[z()], Mode::Strict)?;
    }

    #[test]
    fn div(x in any_rat(), y in nonzero_rat()) {
        check_all(&Div, &[x, y], &[z()], Mode::Strict)?;
    }

    #[test]
    fn neg_abs_recip(x in nonzero_rat()) {
        check_all(&Neg, &[x.clone()], &[z()], Mode::Strict)?;
        check_all(&Abs, &[x.clone()], &[z()], Mode::Strict)?;
        check_all(&Recip, &[x], &[z()], Mode::Strict)?;
    }

    #[test]
    fn max_min(x in any_rat(), y in any_rat()) {
        check_all(&Max, &[x.clone(), y.clone()], &[z()], Mode::Strict)?;
        check_all(&Min, &[x, y], &[z()], Mode::Strict)?;
    }

    #[test]
    fn hull_contains_both(x in any_rat(), y in any_rat()) {
        let (lo, hi) = (x.clone().min(y.clone()), x.clone().max(y.clone()));
        // The hull is the smallest interval: it does not reach 1% of the span (plus
        // rounding) beyond the ends.
        let slack = Rational::from(&hi - &lo) / 100u32
            + Rational::from(lo.abs_ref()).max(Rational::from(hi.abs_ref())) * pow10(-15);
        for_each_backend!(|B, prec| {
            let h = B::from_rational(&x, prec).hull(&B::from_rational(&y, prec));
            prop_assert!(h.contains_rational(&x) && h.contains_rational(&y), "{:?}", h);
            prop_assert!(h.lower_exact().unwrap() >= Rational::from(&lo - &slack), "{:?}", h);
            prop_assert!(h.upper_exact().unwrap() <= Rational::from(&hi + &slack), "{:?}", h);
        });
    }

    #[test]
    fn mul_pow2(x in any_rat(), k in -200i32..=200) {
        check_all(&MulPow2(k), &[x], &[z()], Mode::Strict)?;
    }

    #[test]
    fn sqrt(x in any_rat()) {
        check_all(&Sqrt, &[x.abs()], &[z()], Mode::Strict)?;
    }

    #[test]
    fn exp_and_exp_m1(x in exp_arg()) {
        p_exp_family(&x)?;
    }

    /// Arguments up to 1e6: inari overflows to `[f64::MAX, +inf]` exactly when the value does.
    #[test]
    fn exp_family_huge_arguments(x in exp_arg_huge()) {
        check_all(&Exp, &[x.clone()], &[z()], Mode::F64Range)?;
        check_all(&ExpM1, &[x], &[z()], Mode::F64Range)?;
    }

    #[test]
    fn ln(x in pos_rat()) {
        check_all(&Ln, &[x], &[z()], Mode::Strict)?;
    }

    #[test]
    fn ln_1p(x in ln1p_arg()) {
        check_all(&Ln1p, &[x], &[z()], Mode::Strict)?;
    }

    /// Within 2^-prec of -1 the input enclosure reaches -1 and the result is unbounded below
    /// (sound, never certifies); otherwise it must be finite.
    #[test]
    fn ln_1p_near_minus_one(n in 1i64..=9_999, e in 16i32..=40) {
        let q = Rational::from(n) * pow10(-e) - 1u32;
        let r = R::from_rational(&q, RP).ln_1p();
        let mid = reference_point(&r, &Rational::new(), "ln_1p")?;
        for_each_backend!(|B, prec| {
            let xb = B::from_rational(&q, prec);
            let y = xb.ln_1p();
            if xb.lower_exact().unwrap() > -1 {
                prop_assert!(y.contains_rational(&mid), "{} bits: {:?} misses {}", prec, y, mid.to_f64());
            } else {
                prop_assert!(!y.is_finite() && y.lower_f64() == f64::NEG_INFINITY, "{:?}", y);
                let hi = Rational::from_f64(y.upper_f64()).unwrap();
                prop_assert!(hi >= mid, "upper end {:?} below {}", y, mid.to_f64());
                // The upper end is still informative: ln_1p of the input's upper end, about
                // ln(2^-prec).
                prop_assert!(y.upper_f64() <= -0.5 * prec as f64, "{:?}", y);
            }
        });
    }

    #[test]
    fn ei(x in ei_arg(), negative in any::<bool>()) {
        let x = if negative { -x.abs() } else { x };
        check_all(&Ei, &[x], &[z()], Mode::Strict)?;
    }

    #[test]
    fn extreme_magnitudes(
        x in rat_extreme(),
        y in rat_extreme_nonzero().prop_filter("nonzero", |q| !q.is_zero()),
        t in rat_subnormal(),
        k in -120i32..=120,
    ) {
        let m = Mode::F64Range;
        let sc = [sumabs(&[x.clone(), y.clone()])];
        let xy = [x.clone(), y.clone()];
        check_all(&Add, &xy, &sc, m)?;
        check_all(&Sub, &xy, &sc, m)?;
        check_all(&Mul, &xy, &[z()], m)?;
        check_all(&Div, &xy, &[z()], m)?;
        check_all(&Max, &xy, &[z()], m)?;
        check_all(&Min, &xy, &[z()], m)?;
        check_all(&Recip, &[y.clone()], &[z()], m)?;
        check_all(&MulPow2(k), &[x.clone()], &[z()], m)?;
        let ax = [Rational::from(y.abs_ref())];
        check_all(&Abs, &[y.clone()], &[z()], m)?;
        check_all(&Sqrt, &ax, &[z()], m)?;
        check_all(&Ln, &ax, &[z()], m)?;
        check_all(&Ln1p, &ax, &[z()], m)?;
        // Subnormal arguments: exp_m1(t) ~ t, ln_1p(t) ~ t, Ei(t) ~ gamma + ln|t|.
        let tt = [t.clone()];
        check_all(&ExpM1, &tt, &[z()], m)?;
        check_all(&Ln1p, &tt, &[z()], m)?;
        check_all(&Exp, &tt, &[z()], m)?;
        check_all(&Ei, &tt, &[z()], m)?;
        check_all(&Sqrt, &[t.abs()], &[z()], m)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Properties: composites (10^4 cases each by default)
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn softmax_and_log_sum_exp(f in (1usize..=16).prop_flat_map(logit_vec)) {
        p_softmax_lse(&f)?;
        // The 2048-bit probabilities sum to 1 (sanity of the reference itself).
        let refv: Vec<R> = f.iter().map(|x| R::from_rational(x, RP)).collect();
        let total = enclose_softmax(&refv).into_iter().fold(R::zero(), |a, b| a + b);
        prop_assert!(total.contains_rational(&one()), "n = {}: {:?}", f.len(), total);
    }

    #[test]
    fn walsh_hadamard_any_inputs(x in (1u32..=6).prop_flat_map(|n| prop::collection::vec(any_rat(), 1usize << n))) {
        check_all(&Fwht, &x, &[sumabs(&x)], Mode::Strict)?;
    }

    /// The Walsh-Hadamard transform, `f`, `p`, `s` and the balanced field of any-sign states.
    #[test]
    fn spectral_softmax_and_field(lam in pow2_vec(4)) {
        p_spectral(&lam)?;
        // s_0 = sum_g p(g) = 1.
        for_each_backend!(|B, prec| {
            let low: Vec<B> = lam.iter().map(|x| B::from_rational(x, prec)).collect();
            let s0 = &enclose_spectral_softmax(&low).s[0];
            prop_assert!(s0.contains_rational(&one()), "s_0 = {:?}", s0);
        });
    }

    #[test]
    fn unbalanced_field(ab in (1u32..=4).prop_flat_map(|n| (logit_vec(1 << n), logit_vec(1 << n)))) {
        let (a, b) = ab;
        let s = maxabs(&a).max(maxabs(&b));
        let x: Vec<Rational> = a.into_iter().chain(b).collect();
        check_all(&Unbalanced, &x, &[s.clone(), s], Mode::Strict)?;
    }

    #[test]
    fn spectral_loss(lam in pow2_vec(4)) {
        check_all(&SpectralLoss, &lam, &[plus_one(maxabs(&lam))], Mode::Strict)?;
    }

    /// Field, V, M1-M4, dV/dt (three closed forms and the chain rule), d(M1^2)/dt, dM2/dt,
    /// dM3/dt (closed form and chain rule) and dM4/dt (chain rule) at positive states.
    #[test]
    fn dynamics(lam in pow2(1..=3).prop_flat_map(dyn_state)) {
        p_dynamics(&lam)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Properties with other case counts. proptest's `PROPTEST_CASES` overrides the count of every
// `proptest!` property, so these run through `run_property`, which scales their default by
// `PROPTEST_CASES / 10^4` instead.
// ---------------------------------------------------------------------------------------------

/// Run `test` on `case_count(default)` cases of `strategy` (failures persisted and shrunk as in
/// `proptest!`).
fn run_property<S: Strategy>(
    name: &'static str,
    default: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Check,
) {
    let mut cfg = config(default);
    cfg.source_file = Some(file!());
    cfg.test_name = Some(name);
    let mut runner = TestRunner::new(cfg);
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}\n{runner}");
    }
}

#[test]
fn logits_softmax_rotated() {
    run_property(
        "logits_softmax_rotated",
        1_000,
        hadamard_case(),
        |(h, lam)| check_all(&Pipeline(h), &lam, &pipeline_scales(&lam), Mode::Strict),
    );
}

/// K = 16, 32, 64: softmax and log-sum-exp of K logits, the WHT, spectral softmax, balanced
/// field and loss of any-sign states, and the dynamics of positive states.
#[test]
fn medium_k() {
    let s = pow2(4..=6).prop_flat_map(|k| (logit_vec(k), dyn_state(k)));
    run_property("medium_k", 400, s, |(f, lam)| {
        p_softmax_lse(&f)?;
        p_spectral(&f)?;
        check_all(&SpectralLoss, &f, &[plus_one(maxabs(&f))], Mode::Strict)?;
        p_dynamics(&lam)
    });
}

/// K = 256, 512, 1024 with differences down to 1e-35: WHT, spectral softmax, field, loss and
/// the whole dynamics.
#[test]
fn large_k_tiny_differences() {
    run_property("large_k_tiny_differences", 24, large_k_state(), |lam| {
        p_spectral(&lam)?;
        check_all(&SpectralLoss, &lam, &[plus_one(maxabs(&lam))], Mode::Strict)?;
        p_dynamics(&lam)
    });
}

// Interval inputs: the result contains the value at every point of the inputs, here the
// 2048-bit value at a random point.

#[test]
fn interval_primitives() {
    let s = (
        widen(exp_arg()),
        widen(nonzero_rat()),
        widen(pos_rat()),
        widen(ln1p_arg()),
        widen(ei_arg()),
    );
    run_property("interval_primitives", 1_000, s, |(a, b, c, d, e)| {
        let ab = [a.clone(), b.clone()];
        let sab = [sumabs(&points(&ab))];
        check_all_interval(&Exp, &[a.clone()], &[z()])?;
        check_all_interval(&ExpM1, &[a.clone()], &[z()])?;
        check_all_interval(&Recip, &[b.clone()], &[z()])?;
        check_all_interval(&Mul, &ab, &[z()])?;
        check_all_interval(&Div, &ab, &[z()])?;
        check_all_interval(&Add, &ab, &sab)?;
        check_all_interval(&Sub, &ab, &sab)?;
        check_all_interval(&Max, &ab, &[z()])?;
        check_all_interval(&Min, &ab, &[z()])?;
        check_all_interval(&Abs, &[b], &[z()])?;
        check_all_interval(&Sqrt, &[c.clone()], &[z()])?;
        check_all_interval(&Ln, &[c], &[one()])?;
        check_all_interval(&Ln1p, &[d], &[z()])?;
        check_all_interval(&Ei, &[e], &[z()])
    });
}

#[test]
fn interval_straddling_zero() {
    let s = (widen(Just(Rational::new())), -20i32..=20);
    run_property("interval_straddling_zero", 2_000, s, |(x, k)| {
        // [0, d] with d ~ 1e-6: abs, sqrt, exp, mul_pow2 around 0.
        check_all_interval(&Abs, &[x.clone()], &[z()])?;
        check_all_interval(&Sqrt, &[x.clone()], &[z()])?;
        check_all_interval(&Exp, &[x.clone()], &[z()])?;
        check_all_interval(&MulPow2(k), &[x], &[z()])
    });
}

#[test]
fn interval_softmax_and_lse() {
    run_property(
        "interval_softmax_and_lse",
        1_000,
        (1usize..=16).prop_flat_map(widen_vec),
        |boxes| {
            let pts = points(&boxes);
            check_all_interval(&Softmax, &boxes, &[z()])?;
            check_all_interval(&LogSumExp, &boxes, &[plus_one(maxabs(&pts))])
        },
    );
}

#[test]
fn interval_spectral() {
    run_property(
        "interval_spectral",
        1_000,
        (1u32..=4).prop_flat_map(|n| widen_vec(1 << n)),
        |boxes| {
            let pts = points(&boxes);
            check_all_interval(&Fwht, &boxes, &[sumabs(&pts)])?;
            check_all_interval(&Spectral, &boxes, &spectral_scales(&pts))?;
            check_all_interval(&Balanced, &boxes, &[maxabs(&pts)])?;
            check_all_interval(&SpectralLoss, &boxes, &[plus_one(maxabs(&pts))])
        },
    );
}

/// Boxes around positive states: field, V, M1-M4 and every rate.
#[test]
fn interval_dynamics() {
    let positive = (1i64..=500, 1i64..=50).prop_map(|(n, d)| rat(n, d));
    let s = pow2(1..=4).prop_flat_map(move |k| prop::collection::vec(widen(positive.clone()), k));
    run_property("interval_dynamics", 1_000, s, |boxes| {
        let pts = points(&boxes);
        let op = Dynamics::new(&pts);
        check_all_interval(&op, &boxes, &op.scales(&pts))
    });
}

#[test]
fn interval_logits() {
    let s = hadamard_case().prop_flat_map(|(h, _)| {
        let k = h.order();
        (Just(h), widen_vec(k))
    });
    run_property("interval_logits", 1_000, s, |(h, boxes)| {
        let pts = points(&boxes);
        check_all_interval(&Pipeline(h), &boxes, &pipeline_scales(&pts))
    });
}

/// A non-finite enclosure never certifies anything, even when every one of its points has the
/// sign in question.
#[test]
fn non_finite_never_certifies() {
    run_property(
        "non_finite_never_certifies",
        1_000,
        (pos_rat(), nonzero_rat()),
        |(x, y)| {
            for_each_backend!(|B, prec| {
                let xb = B::from_rational(&x, prec);
                let up = xb.hull(&B::from_f64(f64::INFINITY, prec)); // [x, inf] or wider
                let down = (-xb.clone()).hull(&B::from_f64(f64::NEG_INFINITY, prec));
                let around0 = B::from_rational(&(-x.clone()), prec).hull(&xb);
                let cases = [
                    ("[x, inf]", up.clone()),
                    ("[-inf, -x]", down.clone()),
                    ("[x, inf] + y", up.clone() + &B::from_rational(&y, prec)),
                    ("[x, inf] * x", up.clone() * &xb),
                    ("exp([x, inf])", up.exp()),
                    ("1 / [-x, x]", around0.recip()),
                    ("y / [-x, x]", B::from_rational(&y, prec) / &around0),
                    ("ln(-x)", B::from_rational(&(-x.clone()), prec).ln()),
                    ("sqrt(-x)", B::from_rational(&(-x.clone()), prec).sqrt()),
                    (
                        "ln_1p(-1 - x)",
                        B::from_rational(&(-x.clone() - 1u32), prec).ln_1p(),
                    ),
                    ("ei([-x, x])", around0.ei()),
                    ("nan", B::from_f64(f64::NAN, prec)),
                ];
                for (what, v) in cases {
                    prop_assert!(!v.is_finite(), "{} should not be finite: {:?}", what, v);
                    prop_assert!(
                        !v.certainly_positive(),
                        "{} certainly positive: {:?}",
                        what,
                        v
                    );
                    prop_assert!(
                        !v.certainly_negative(),
                        "{} certainly negative: {:?}",
                        what,
                        v
                    );
                    prop_assert!(
                        !v.contains_rational(&x),
                        "{}: contains_rational on a non-finite enclosure",
                        what
                    );
                    prop_assert!(v.lower_exact().is_none() && v.upper_exact().is_none());
                    prop_assert!(
                        v.width_upper() == f64::INFINITY && v.mag_upper() == f64::INFINITY
                    );
                    prop_assert!(!v.certainly_lt(&xb) && !xb.certainly_lt(&v));
                    prop_assert_eq!(v.compare_lt(&xb), Certainty::Undecided);
                    prop_assert_eq!(xb.compare_lt(&v), Certainty::Undecided);
                    prop_assert!(v.intersect(&xb).is_none());
                }
                // The finite counterparts do certify (so the assertions above can fail).
                prop_assert!(xb.certainly_positive() && (-xb.clone()).certainly_negative());
            });
            Ok(())
        },
    );
}

#[test]
fn one_and_zero_are_exact_identities() {
    // zero()/one() at low precision must not lower the precision of a 2048-bit computation.
    let x = R::from_rational(&rat(1, 3), RP);
    let y = (x.clone() + R::zero()) * R::one();
    assert_eq!(y.prec(), RP);
    assert_eq!(y, x);
}

// ---------------------------------------------------------------------------------------------
// Concurrency: the properties inside rayon pools of 2 and 8 threads, with f64 code running on
// other threads at the same time
// ---------------------------------------------------------------------------------------------

/// `n` cases of `strategy` from proptest's deterministic RNG (the same on every run).
fn sample<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// A concurrency case: a positive state (dynamics, spectral, softmax) and five scalars
/// (x: exp argument, y: nonzero, t: positive, u: ln_1p argument, e: Ei argument).
type ThreadCase = (
    Vec<Rational>,
    (Rational, Rational, Rational, Rational, Rational),
);

fn thread_cases(n: usize) -> Vec<ThreadCase> {
    let s = (
        pow2(1..=3).prop_flat_map(dyn_state),
        (exp_arg(), nonzero_rat(), pos_rat(), ln1p_arg(), ei_arg()),
    );
    sample(s, n)
}

/// Every soundness property of one case, on every backend.
fn check_thread_case((lam, (x, y, t, u, e)): &ThreadCase) -> Check {
    p_dynamics(lam)?;
    p_spectral(lam)?;
    p_softmax_lse(lam)?;
    p_add_sub(x, y)?;
    p_exp_family(x)?;
    check_all(&Div, &[x.clone(), y.clone()], &[z()], Mode::Strict)?;
    check_all(&Sqrt, &[t.clone()], &[z()], Mode::Strict)?;
    check_all(&Ln, &[t.clone()], &[z()], Mode::Strict)?;
    check_all(&Ln1p, &[u.clone()], &[z()], Mode::Strict)?;
    check_all(&Ei, &[e.clone()], &[z()], Mode::Strict)
}

/// f64 results of the primitives and composites at a case, as bit patterns, plus the bits of
/// the inari enclosures of the field and of dV/dt (interval results must not depend on the
/// thread either). Also checks that `+ - * / sqrt` round to nearest (they equal MPFR's
/// correctly rounded 53-bit results wherever those are normal f64 numbers).
fn fingerprint((lam, (x, y, t, u, e)): &ThreadCase) -> Vec<u64> {
    let f = |q: &Rational| f64::from_rational(q, 53);
    let lf: Vec<f64> = lam.iter().map(f).collect();
    let (xf, yf, tf, uf, ef) = (f(x), f(y), f(t), f(u), f(e));
    let mut out: Vec<f64> = vec![
        xf.exp(),
        xf.exp_m1(),
        tf.ln(),
        uf.ln_1p(),
        tf.sqrt(),
        xf / yf,
        Real::ei(&ef),
    ];
    for a in lf.iter().chain([xf, yf, tf].iter()) {
        for b in [xf, yf, tf, lf[1]] {
            let nearest = |r: rug::Float| {
                let v = r.to_f64();
                (v.is_finite() && (v == 0.0 || v.abs() >= f64::MIN_POSITIVE)).then_some(v)
            };
            let fa = rug::Float::with_val(53, *a);
            for (got, want) in [
                (a + b, nearest(fa.clone() + b)),
                (a - b, nearest(fa.clone() - b)),
                (a * b, nearest(fa.clone() * b)),
                (a / b, nearest(fa.clone() / b)),
                (a.abs().sqrt(), nearest(fa.clone().abs().sqrt())),
            ] {
                if let Some(w) = want {
                    assert_eq!(
                        got.to_bits(),
                        w.to_bits(),
                        "f64 arithmetic does not round to nearest on this thread: {a:e}, {b:e}"
                    );
                }
                out.push(got);
            }
        }
    }
    let mut h = lf.clone();
    fwht(&mut h);
    out.extend(h);
    out.extend(enclose_softmax(&lf));
    out.push(enclose_log_sum_exp(&lf));
    let field = enclose_balanced_field(&lf);
    out.extend(field.iter().copied());
    out.extend([
        enclose_spectral_loss(&lf),
        enclose_lyapunov(&lf),
        enclose_lyapunov_rate(&lf, &field),
        enclose_m1(&lf),
        enclose_m2(&lf),
        enclose_m3(&lf),
        enclose_v_rate(&lf),
        enclose_m1_sq_rate(&lf),
        enclose_m2_rate(&lf),
        enclose_m3_rate(&lf),
    ]);
    let mut bits: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
    let li: Vec<Ival> = lam.iter().map(|q| Ival::from_rational(q, 53)).collect();
    let fi = enclose_balanced_field(&li);
    for v in fi
        .iter()
        .chain([enclose_lyapunov_rate(&li, &fi), enclose_m3_rate(&li)].iter())
    {
        bits.extend([v.lower_f64().to_bits(), v.upper_f64().to_bits()]);
    }
    bits
}

/// The soundness properties run inside rayon pools of 2 and 8 threads (inari switches the
/// rounding mode around its operations on every worker), while two plain threads keep
/// evaluating the f64 workload: every f64 result, on the workers and on the plain threads, and
/// every inari enclosure of the fingerprint is bit-identical to a single-threaded run on a fresh
/// thread, and `+ - * / sqrt` round to nearest everywhere.
#[test]
fn thread_pools_of_2_and_8() {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let cases = thread_cases(case_count(300) as usize);
    // Single-threaded reference, on a thread that has run nothing else.
    let reference: Vec<Vec<u64>> = std::thread::scope(|s| {
        s.spawn(|| cases.iter().map(fingerprint).collect())
            .join()
            .unwrap()
    });
    for threads in [2, 8] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let done = AtomicBool::new(false);
        let rounds = AtomicUsize::new(0);
        let result = std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| loop {
                    for (c, r) in cases.iter().zip(&reference) {
                        assert_eq!(
                            &fingerprint(c),
                            r,
                            "f64 results changed on a plain thread while the {threads}-thread pool ran"
                        );
                    }
                    rounds.fetch_add(1, Ordering::SeqCst);
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                });
            }
            let result: Result<Vec<Vec<u64>>, String> = pool.install(|| {
                cases
                    .par_iter()
                    .map(|c| {
                        check_thread_case(c).map_err(|e| format!("{e} at {c:?}"))?;
                        // f64 and inari on the same worker, right after the interval work.
                        Ok(fingerprint(c))
                    })
                    .collect()
            });
            // Rounds of the f64 threads completed while the pool was running.
            let overlapping = rounds.load(Ordering::SeqCst);
            done.store(true, Ordering::SeqCst);
            (result, overlapping)
        });
        let (result, overlapping) = result;
        let fingerprints = result.unwrap_or_else(|e| panic!("{threads} threads: {e}"));
        assert!(
            overlapping >= 1,
            "the f64 threads finished no round while the {threads}-thread pool ran"
        );
        for (i, (a, b)) in fingerprints.iter().zip(&reference).enumerate() {
            assert_eq!(a, b, "case {i}: results on the {threads}-thread pool differ from the single-threaded run");
        }
        assert_eq!(fingerprints.len(), cases.len());
    }
}
