//! Property-based soundness suite for the enclosure backends and the model built on them.
//!
//! For random *exact* rational inputs, every primitive and composite is evaluated
//!
//! * on the backend under test (inari `Ival`, `MpfrInterval` at 64 and 128 bits), and
//! * on `MpfrInterval` at 1024 bits (the reference).
//!
//! The reference must be narrow (width <= 1e-250 * max(|midpoint|, scale), where `scale` is the
//! natural magnitude of a quantity that may cancel to 0), so its exact midpoint is within
//! 1e-250 (relative) of the true value; the backend's enclosure must contain that midpoint.
//! Operations whose exact value is rational (+, -, *, /, recip, abs, max, min, mul_pow2, the
//! Walsh-Hadamard transform, the logits) are also checked against the exact rational value.
//!
//! Inputs include adversarial cases: logits up to 1e4 in magnitude, nearly equal entries
//! (differences down to 1e-35), tiny values (~1e-30), subnormals and values near 1e308 (where an
//! inari result may be unbounded only if the exact value overflows f64), interval inputs (the
//! result must contain the value at a random point of the inputs), and non-finite enclosures
//! (which must never certify a sign).
//!
//! The suite is written once (`soundness_suite!`) and instantiated per backend.
//!
//! Default case counts (150-1000 per property) keep `cargo test --release --test soundness`
//! around 20 s on two cores. Heavier profile: `PROPTEST_CASES=20000 cargo test --release --test
//! soundness` sets the case count of every property (about 20 minutes on two cores;
//! `PROPTEST_CASES=2000` takes about 2 minutes). Failures are persisted to
//! `tests/proptest-regressions/soundness.txt` and replayed first on the next run.

// One-element input slices are written `&[x.clone()]` for uniformity with the multi-input ops.
#![allow(clippy::cloned_ref_to_slice_refs)]

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::model::hadamard::{Equivalence, HadamardMatrix};
use hadacert::model::logits::{enclose_column_softmax, enclose_logits, enclose_rotated};
use hadacert::model::softmax::{enclose_log_sum_exp, enclose_softmax};
use hadacert::model::wht::fwht;
use hadacert::spectral::field::{
    enclose_balanced_field, enclose_spectral_loss, enclose_spectral_softmax,
    enclose_unbalanced_field,
};
use num_traits::{One, Zero};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};
use rug::{Float, Integer, Rational};

/// The reference backend and its precision.
type R = MpfrInterval;
const RP: u32 = 1024;

const PERSIST: &str = "tests/proptest-regressions/soundness.txt";

/// Case count: `PROPTEST_CASES` overrides every property's default.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(PERSIST))),
        ..ProptestConfig::default()
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

/// The exact midpoint of a 1024-bit reference enclosure, after checking it is narrow:
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
        "{}: the 1024-bit reference is too wide to be meaningful: {:?}",
        what,
        r
    );
    Ok(mid)
}

// ---------------------------------------------------------------------------------------------
// Operations, written once and evaluated on any backend
// ---------------------------------------------------------------------------------------------

/// An operation from a vector of inputs to groups of outputs (each group is checked with its own
/// cancellation scale).
trait Op {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>>;
    /// Exact values of the groups that have a rational value (None = not rational).
    fn exact(&self, _q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        Vec::new()
    }
}

macro_rules! op {
    ($name:ident, |$x:ident| $body:expr) => {
        struct $name;
        impl Op for $name {
            fn eval<U: Enclosure>(&self, $x: &[U]) -> Vec<Vec<U>> {
                vec![vec![$body]]
            }
        }
    };
    ($name:ident, |$x:ident| $body:expr, exact |$q:ident| $ex:expr) => {
        struct $name;
        impl Op for $name {
            fn eval<U: Enclosure>(&self, $x: &[U]) -> Vec<Vec<U>> {
                vec![vec![$body]]
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
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        vec![vec![x[0].mul_pow2(self.0)]]
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
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        vec![enclose_softmax(x)]
    }
}

fn exact_fwht(q: &[Rational]) -> Vec<Rational> {
    let mut v = q.to_vec();
    fwht(&mut v);
    v
}

struct Fwht;
impl Op for Fwht {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        let mut v = x.to_vec();
        fwht(&mut v);
        vec![v]
    }
    fn exact(&self, q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        vec![Some(exact_fwht(q))]
    }
}

/// `f`, `p` and `s` of the spectral softmax.
struct Spectral;
impl Op for Spectral {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        let sp = enclose_spectral_softmax(x);
        vec![sp.f, sp.p, sp.s]
    }
    fn exact(&self, q: &[Rational]) -> Vec<Option<Vec<Rational>>> {
        let k = q.len() as u32;
        let f = exact_fwht(q).into_iter().map(|x| x / k).collect();
        vec![Some(f)]
    }
}

struct Balanced;
impl Op for Balanced {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        vec![enclose_balanced_field(x)]
    }
}

/// Input `a ++ b`; outputs `a'`, `b'`.
struct Unbalanced;
impl Op for Unbalanced {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        let (a, b) = x.split_at(x.len() / 2);
        let (da, db) = enclose_unbalanced_field(a, b);
        vec![da, db]
    }
}

/// Logits `Z`, column softmax `S` and rotated softmax `H^T S H / K` of a Hadamard matrix.
struct Pipeline(HadamardMatrix);
impl Op for Pipeline {
    fn eval<U: Enclosure>(&self, x: &[U]) -> Vec<Vec<U>> {
        let z = enclose_logits(&self.0, x);
        let s = enclose_column_softmax(&z);
        let rot = enclose_rotated(&self.0, s.clone());
        vec![
            z.iter().cloned().collect(),
            s.iter().cloned().collect(),
            rot.iter().cloned().collect(),
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
// Checkers
// ---------------------------------------------------------------------------------------------

fn compare<T: Enclosure>(
    low: &[Vec<T>],
    refv: &[Vec<R>],
    scales: &[Rational],
) -> Result<(), TestCaseError> {
    compare_ext(low, refv, scales, false)
}

/// `allow_f64_overflow`: an inari result may be unbounded (sound, never certifies) exactly when
/// the true value is beyond the f64 range, and then only on the side of that value.
fn compare_ext<T: Enclosure>(
    low: &[Vec<T>],
    refv: &[Vec<R>],
    scales: &[Rational],
    allow_f64_overflow: bool,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(low.len(), refv.len());
    prop_assert_eq!(low.len(), scales.len(), "one scale per output group");
    for (g, ((l, r), scale)) in low.iter().zip(refv).zip(scales).enumerate() {
        prop_assert_eq!(l.len(), r.len());
        for (i, (x, y)) in l.iter().zip(r).enumerate() {
            let what = format!("group {g}, entry {i}");
            let mid = reference_point(y, scale, &what)?;
            if allow_f64_overflow && T::BACKEND == "inari" && !x.is_finite() {
                let max = Rational::from_f64(f64::MAX).unwrap();
                if mid > max {
                    prop_assert!(
                        x.upper_f64() == f64::INFINITY && x.lower_f64() >= f64::MAX,
                        "{}: {:?}",
                        what,
                        x
                    );
                    continue;
                }
                if mid < -max {
                    prop_assert!(
                        x.lower_f64() == f64::NEG_INFINITY && x.upper_f64() <= -f64::MAX,
                        "{}: {:?}",
                        what,
                        x
                    );
                    continue;
                }
            }
            prop_assert!(
                x.contains_rational(&mid),
                "{} ({} backend): {:?} does not contain the 1024-bit value {} (reference {:?})",
                what,
                T::BACKEND,
                x,
                mid.to_f64(),
                y
            );
        }
    }
    Ok(())
}

fn check_exact<T: Enclosure>(
    low: &[Vec<T>],
    exact: &[Option<Vec<Rational>>],
) -> Result<(), TestCaseError> {
    for (g, (l, e)) in low.iter().zip(exact).enumerate() {
        if let Some(e) = e {
            prop_assert_eq!(l.len(), e.len());
            for (i, (x, q)) in l.iter().zip(e).enumerate() {
                prop_assert!(
                    x.contains_rational(q),
                    "group {}, entry {} ({}): {:?} misses the exact value {}",
                    g,
                    i,
                    T::BACKEND,
                    x,
                    q
                );
            }
        }
    }
    Ok(())
}

/// Point inputs: the backend encloses the exact inputs at `prec`; the reference at 1024 bits.
fn check_point<T: Enclosure, O: Op>(
    op: &O,
    prec: u32,
    q: &[Rational],
    scales: &[Rational],
) -> Result<(), TestCaseError> {
    let low_in: Vec<T> = q.iter().map(|x| T::from_rational(x, prec)).collect();
    for (x, v) in low_in.iter().zip(q) {
        prop_assert!(x.contains_rational(v), "from_rational({v}) = {x:?}");
    }
    let ref_in: Vec<R> = q.iter().map(|x| R::from_rational(x, RP)).collect();
    let low = op.eval(&low_in);
    compare(&low, &op.eval(&ref_in), scales)?;
    check_exact(&low, &op.exact(q))
}

/// Point inputs near the ends of the f64 range (subnormals, ~1e300): inari may overflow, but
/// only where the exact value does.
fn check_point_extreme<T: Enclosure, O: Op>(
    op: &O,
    prec: u32,
    q: &[Rational],
    scales: &[Rational],
) -> Result<(), TestCaseError> {
    let low_in: Vec<T> = q.iter().map(|x| T::from_rational(x, prec)).collect();
    for (x, v) in low_in.iter().zip(q) {
        prop_assert!(
            x.contains_rational(v),
            "from_rational({}) = {:?}",
            v.to_f64(),
            x
        );
    }
    let ref_in: Vec<R> = q.iter().map(|x| R::from_rational(x, RP)).collect();
    let low = op.eval(&low_in);
    compare_ext(&low, &op.eval(&ref_in), scales, true)?;
    let ex = op.exact(q);
    for (g, (l, e)) in low.iter().zip(&ex).enumerate() {
        if let Some(e) = e {
            for (x, v) in l.iter().zip(e) {
                prop_assert!(
                    !x.is_finite() || x.contains_rational(v),
                    "group {}: {:?} misses the exact value {}",
                    g,
                    x,
                    v.to_f64()
                );
            }
        }
    }
    Ok(())
}

/// Interval inputs: the backend gets `hull(lo_i, hi_i)`; the reference is evaluated at the point
/// `pt_i` inside it.
fn check_interval<T: Enclosure, O: Op>(
    op: &O,
    prec: u32,
    boxes: &[(Rational, Rational, Rational)],
    scales: &[Rational],
) -> Result<(), TestCaseError> {
    let low_in: Vec<T> = boxes
        .iter()
        .map(|(lo, hi, _)| T::from_rational(lo, prec).hull(&T::from_rational(hi, prec)))
        .collect();
    let pts: Vec<Rational> = boxes.iter().map(|b| b.2.clone()).collect();
    for (x, v) in low_in.iter().zip(&pts) {
        prop_assert!(x.contains_rational(v), "hull does not contain {v}: {x:?}");
    }
    let ref_in: Vec<R> = pts.iter().map(|x| R::from_rational(x, RP)).collect();
    let low = op.eval(&low_in);
    compare(&low, &op.eval(&ref_in), scales)?;
    check_exact(&low, &op.exact(&pts))
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

fn ei_arg() -> impl Strategy<Value = Rational> + Clone {
    exp_arg().prop_filter("Ei needs x != 0", |q| !q.is_zero())
}

/// Arguments of ln_1p: x > -1, including points close to -1 (>= 1e-12 away, so the input
/// enclosure at 53 bits stays > -1; closer points are tested in `ln_1p_near_minus_one`) and
/// near 0.
fn ln1p_arg() -> impl Strategy<Value = Rational> + Clone {
    prop_oneof![
        2 => pos_rat(),
        2 => (1i64..=999_999).prop_map(|n| rat(n, 1_000_000) - 1u32),
        1 => rat_tiny(),
        1 => (1i64..=9_999, 12i32..=16).prop_map(|(n, e)| Rational::from(n) * pow10(-e) - 1u32),
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

/// Vectors of logits: moderate, large, nearly equal (differences ~1e-15..1e-35) or tiny.
fn logit_vec(len: usize) -> impl Strategy<Value = Vec<Rational>> + Clone {
    prop_oneof![
        3 => prop::collection::vec(moderate(), len),
        2 => prop::collection::vec(large(), len),
        2 => (moderate(), prop::collection::vec(-1_000i64..=1_000, len), 15i32..=35).prop_map(
            |(b, ds, e)| ds.into_iter().map(|d| Rational::from(d) * pow10(-e) + &b).collect()
        ),
        1 => prop::collection::vec(rat_tiny(), len),
    ]
}

/// Power-of-two length 2..=2^max_log.
fn pow2_vec(max_log: u32) -> impl Strategy<Value = Vec<Rational>> {
    (1u32..=max_log).prop_flat_map(|n| logit_vec(1 << n))
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
    vec![maxabs(lam), Rational::new(), Rational::from(1)]
}

/// Scales of the spectral groups: f (max |lambda|), p (relative), s (|s_m| <= 1).
fn spectral_scales(lam: &[Rational]) -> Vec<Rational> {
    vec![maxabs(lam), Rational::new(), Rational::from(1)]
}

fn plus_one(q: Rational) -> Rational {
    q + 1u32
}

fn points(boxes: &[(Rational, Rational, Rational)]) -> Vec<Rational> {
    boxes.iter().map(|b| b.2.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// The per-backend suite
// ---------------------------------------------------------------------------------------------

macro_rules! soundness_suite {
    ($name:ident, $T:ty, $prec:expr) => {
        mod $name {
            use super::*;
            type B = $T;
            const P: u32 = $prec;
            fn z() -> Rational {
                Rational::new()
            }

            proptest! {
                #![proptest_config(config(1000))]

                #[test]
                fn add(x in any_rat(), y in any_rat()) {
                    check_point::<B, _>(&Add, P, &[x.clone(), y.clone()], &[sumabs(&[x, y])])?;
                }

                #[test]
                fn sub_nearly_equal(x in any_rat(), t in rat_tiny()) {
                    let y = Rational::from(&x + &t);
                    check_point::<B, _>(&Sub, P, &[x.clone(), y.clone()], &[sumabs(&[x, y])])?;
                }

                #[test]
                fn sub(x in any_rat(), y in any_rat()) {
                    check_point::<B, _>(&Sub, P, &[x.clone(), y.clone()], &[sumabs(&[x, y])])?;
                }

                #[test]
                fn mul(x in any_rat(), y in any_rat()) {
                    check_point::<B, _>(&Mul, P, &[x, y], &[z()])?;
                }

                #[test]
                fn div(x in any_rat(), y in nonzero_rat()) {
                    check_point::<B, _>(&Div, P, &[x, y], &[z()])?;
                }

                #[test]
                fn neg_abs_recip(x in nonzero_rat()) {
                    check_point::<B, _>(&Neg, P, &[x.clone()], &[z()])?;
                    check_point::<B, _>(&Abs, P, &[x.clone()], &[z()])?;
                    check_point::<B, _>(&Recip, P, &[x], &[z()])?;
                }

                #[test]
                fn max_min(x in any_rat(), y in any_rat()) {
                    check_point::<B, _>(&Max, P, &[x.clone(), y.clone()], &[z()])?;
                    check_point::<B, _>(&Min, P, &[x, y], &[z()])?;
                }

                #[test]
                fn hull_contains_both(x in any_rat(), y in any_rat()) {
                    let h = B::from_rational(&x, P).hull(&B::from_rational(&y, P));
                    prop_assert!(h.contains_rational(&x) && h.contains_rational(&y), "{:?}", h);
                    let (lo, hi) = (x.clone().min(y.clone()), x.max(y));
                    // The hull is the smallest interval: it does not reach 1% of the span
                    // (plus rounding) beyond the ends.
                    let slack = Rational::from(&hi - &lo) / 100u32
                        + Rational::from(lo.abs_ref()).max(Rational::from(hi.abs_ref())) * pow10(-15);
                    prop_assert!(h.lower_exact().unwrap() >= Rational::from(&lo - &slack), "{:?}", h);
                    prop_assert!(h.upper_exact().unwrap() <= Rational::from(&hi + &slack), "{:?}", h);
                }

                #[test]
                fn mul_pow2(x in any_rat(), k in -200i32..=200) {
                    check_point::<B, _>(&MulPow2(k), P, &[x], &[z()])?;
                }

                #[test]
                fn sqrt(x in any_rat()) {
                    check_point::<B, _>(&Sqrt, P, &[x.abs()], &[z()])?;
                }

                #[test]
                fn exp(x in exp_arg()) {
                    check_point::<B, _>(&Exp, P, &[x], &[z()])?;
                }

                #[test]
                fn exp_m1(x in exp_arg()) {
                    check_point::<B, _>(&ExpM1, P, &[x], &[z()])?;
                }

                #[test]
                fn ln(x in pos_rat()) {
                    check_point::<B, _>(&Ln, P, &[x], &[z()])?;
                }

                #[test]
                fn ln_1p(x in ln1p_arg()) {
                    check_point::<B, _>(&Ln1p, P, &[x], &[z()])?;
                }

                /// Within 2^-prec of -1 the input enclosure reaches -1 and the result is
                /// unbounded below (sound, never certifies); otherwise it must be finite.
                #[test]
                fn ln_1p_near_minus_one(n in 1i64..=9_999, e in 16i32..=40) {
                    let q = Rational::from(n) * pow10(-e) - 1u32;
                    let xb = B::from_rational(&q, P);
                    let y = xb.ln_1p();
                    let r = R::from_rational(&q, RP).ln_1p();
                    let mid = reference_point(&r, &Rational::new(), "ln_1p")?;
                    if xb.lower_exact().unwrap() > -1 {
                        prop_assert!(y.contains_rational(&mid), "{:?} misses {}", y, mid.to_f64());
                    } else {
                        prop_assert!(!y.is_finite() && y.lower_f64() == f64::NEG_INFINITY, "{:?}", y);
                        let hi = Rational::from_f64(y.upper_f64()).unwrap();
                        prop_assert!(hi >= mid, "upper end {:?} below {}", y, mid.to_f64());
                        // The upper end is still informative: ln_1p of the input's upper end,
                        // about ln(2^-P).
                        prop_assert!(y.upper_f64() <= -0.5 * P as f64, "{:?}", y);
                    }
                }

                #[test]
                fn ei(x in ei_arg()) {
                    check_point::<B, _>(&Ei, P, &[x], &[z()])?;
                }

                #[test]
                fn extreme_magnitudes(
                    x in rat_extreme(),
                    y in rat_extreme_nonzero().prop_filter("nonzero", |q| !q.is_zero()),
                    t in rat_subnormal(),
                    k in -120i32..=120,
                ) {
                    let sc = [sumabs(&[x.clone(), y.clone()])];
                    let xy = [x.clone(), y.clone()];
                    check_point_extreme::<B, _>(&Add, P, &xy, &sc)?;
                    check_point_extreme::<B, _>(&Sub, P, &xy, &sc)?;
                    check_point_extreme::<B, _>(&Mul, P, &xy, &[z()])?;
                    check_point_extreme::<B, _>(&Div, P, &xy, &[z()])?;
                    check_point_extreme::<B, _>(&Max, P, &xy, &[z()])?;
                    check_point_extreme::<B, _>(&Min, P, &xy, &[z()])?;
                    check_point_extreme::<B, _>(&Recip, P, &[y.clone()], &[z()])?;
                    check_point_extreme::<B, _>(&MulPow2(k), P, &[x.clone()], &[z()])?;
                    let ax = [Rational::from(y.abs_ref())];
                    check_point_extreme::<B, _>(&Abs, P, &[y.clone()], &[z()])?;
                    check_point_extreme::<B, _>(&Sqrt, P, &ax, &[z()])?;
                    check_point_extreme::<B, _>(&Ln, P, &ax, &[z()])?;
                    check_point_extreme::<B, _>(&Ln1p, P, &ax, &[z()])?;
                    // Subnormal arguments: exp_m1(t) ~ t, ln_1p(t) ~ t, Ei(t) ~ gamma + ln|t|.
                    let tt = [t.clone()];
                    check_point_extreme::<B, _>(&ExpM1, P, &tt, &[z()])?;
                    check_point_extreme::<B, _>(&Ln1p, P, &tt, &[z()])?;
                    check_point_extreme::<B, _>(&Exp, P, &tt, &[z()])?;
                    check_point_extreme::<B, _>(&Ei, P, &tt, &[z()])?;
                    check_point_extreme::<B, _>(&Sqrt, P, &[t.abs()], &[z()])?;
                }

                #[test]
                fn ei_negative(x in ei_arg()) {
                    let x = -x.abs();
                    check_point::<B, _>(&Ei, P, &[x], &[z()])?;
                }
            }

            proptest! {
                #![proptest_config(config(300))]

                #[test]
                fn softmax(f in (1usize..=24).prop_flat_map(logit_vec)) {
                    let n = f.len();
                    check_point::<B, _>(&Softmax, P, &f, &[z()])?;
                    // The 1024-bit probabilities sum to 1 (sanity of the reference itself).
                    let refv: Vec<R> = f.iter().map(|x| R::from_rational(x, RP)).collect();
                    let total = enclose_softmax(&refv).into_iter().fold(R::zero(), |a, b| a + b);
                    prop_assert!(total.contains_rational(&Rational::from(1)), "n = {}: {:?}", n, total);
                }

                #[test]
                fn log_sum_exp(f in (1usize..=24).prop_flat_map(logit_vec)) {
                    let s = plus_one(maxabs(&f));
                    check_point::<B, _>(&LogSumExp, P, &f, &[s])?;
                }

                #[test]
                fn walsh_hadamard(x in pow2_vec(6)) {
                    let s = sumabs(&x);
                    check_point::<B, _>(&Fwht, P, &x, &[s])?;
                }

                #[test]
                fn walsh_hadamard_any_inputs(x in (1u32..=6).prop_flat_map(|n| prop::collection::vec(any_rat(), 1usize << n))) {
                    let s = sumabs(&x);
                    check_point::<B, _>(&Fwht, P, &x, &[s])?;
                }

                #[test]
                fn spectral_softmax(lam in pow2_vec(6)) {
                    check_point::<B, _>(&Spectral, P, &lam, &spectral_scales(&lam))?;
                    // s_0 = sum_g p(g) = 1.
                    let low: Vec<B> = lam.iter().map(|x| B::from_rational(x, P)).collect();
                    let s0 = &enclose_spectral_softmax(&low).s[0];
                    prop_assert!(s0.contains_rational(&Rational::from(1)), "s_0 = {:?}", s0);
                }

                #[test]
                fn balanced_field(lam in pow2_vec(6)) {
                    check_point::<B, _>(&Balanced, P, &lam, &[maxabs(&lam)])?;
                }

                #[test]
                fn unbalanced_field(ab in (1u32..=5).prop_flat_map(|n| (logit_vec(1 << n), logit_vec(1 << n)))) {
                    let (a, b) = ab;
                    let s = maxabs(&a).max(maxabs(&b));
                    let x: Vec<Rational> = a.into_iter().chain(b).collect();
                    check_point::<B, _>(&Unbalanced, P, &x, &[s.clone(), s])?;
                }

                #[test]
                fn spectral_loss(lam in pow2_vec(6)) {
                    let s = plus_one(maxabs(&lam));
                    check_point::<B, _>(&SpectralLoss, P, &lam, &[s])?;
                }

                #[test]
                fn logits_softmax_rotated((h, lam) in hadamard_case()) {
                    check_point::<B, _>(&Pipeline(h), P, &lam, &pipeline_scales(&lam))?;
                }
            }

            // Inputs that are intervals: the result must contain the value at every point of
            // the inputs, here the 1024-bit value at a random point.
            proptest! {
                #![proptest_config(config(500))]

                #[test]
                fn interval_primitives(
                    a in widen(exp_arg()),
                    b in widen(nonzero_rat()),
                    c in widen(pos_rat()),
                    d in widen(ln1p_arg()),
                    e in widen(ei_arg()),
                ) {
                    check_interval::<B, _>(&Exp, P, &[a.clone()], &[z()])?;
                    check_interval::<B, _>(&ExpM1, P, &[a.clone()], &[z()])?;
                    check_interval::<B, _>(&Recip, P, &[b.clone()], &[z()])?;
                    check_interval::<B, _>(&Mul, P, &[a.clone(), b.clone()], &[z()])?;
                    check_interval::<B, _>(&Div, P, &[a.clone(), b.clone()], &[z()])?;
                    check_interval::<B, _>(&Add, P, &[a.clone(), b.clone()], &[sumabs(&points(&[a.clone(), b.clone()]))])?;
                    check_interval::<B, _>(&Sub, P, &[a.clone(), b.clone()], &[sumabs(&points(&[a.clone(), b.clone()]))])?;
                    check_interval::<B, _>(&Max, P, &[a.clone(), b.clone()], &[z()])?;
                    check_interval::<B, _>(&Min, P, &[a.clone(), b.clone()], &[z()])?;
                    check_interval::<B, _>(&Abs, P, &[b.clone()], &[z()])?;
                    check_interval::<B, _>(&Sqrt, P, &[c.clone()], &[z()])?;
                    check_interval::<B, _>(&Ln, P, &[c], &[Rational::from(1)])?;
                    check_interval::<B, _>(&Ln1p, P, &[d], &[z()])?;
                    check_interval::<B, _>(&Ei, P, &[e], &[z()])?;
                }

                #[test]
                fn interval_straddling_zero(x in widen(Just(Rational::new())), k in -20i32..=20) {
                    // [0, d] with d ~ 1e-6: abs, sqrt, exp, mul_pow2 around 0.
                    check_interval::<B, _>(&Abs, P, &[x.clone()], &[z()])?;
                    check_interval::<B, _>(&Sqrt, P, &[x.clone()], &[z()])?;
                    check_interval::<B, _>(&Exp, P, &[x.clone()], &[z()])?;
                    check_interval::<B, _>(&MulPow2(k), P, &[x], &[z()])?;
                }
            }

            proptest! {
                #![proptest_config(config(150))]

                #[test]
                fn interval_softmax_and_lse(boxes in (1usize..=16).prop_flat_map(widen_vec)) {
                    let pts = points(&boxes);
                    check_interval::<B, _>(&Softmax, P, &boxes, &[z()])?;
                    check_interval::<B, _>(&LogSumExp, P, &boxes, &[plus_one(maxabs(&pts))])?;
                }

                #[test]
                fn interval_spectral(boxes in (1u32..=5).prop_flat_map(|n| widen_vec(1 << n))) {
                    let pts = points(&boxes);
                    check_interval::<B, _>(&Fwht, P, &boxes, &[sumabs(&pts)])?;
                    check_interval::<B, _>(&Spectral, P, &boxes, &spectral_scales(&pts))?;
                    check_interval::<B, _>(&Balanced, P, &boxes, &[maxabs(&pts)])?;
                    check_interval::<B, _>(&SpectralLoss, P, &boxes, &[plus_one(maxabs(&pts))])?;
                }

                #[test]
                fn interval_logits((h, boxes) in hadamard_case().prop_flat_map(|(h, _)| {
                    let k = h.order();
                    (Just(h), widen_vec(k))
                })) {
                    let pts = points(&boxes);
                    check_interval::<B, _>(&Pipeline(h), P, &boxes, &pipeline_scales(&pts))?;
                }

                /// A non-finite enclosure never certifies anything, even when every one of its
                /// points has the sign in question.
                #[test]
                fn non_finite_never_certifies(x in pos_rat(), y in nonzero_rat()) {
                    let xb = B::from_rational(&x, P);
                    let up = xb.hull(&B::from_f64(f64::INFINITY, P)); // [x, +inf] or wider
                    let down = (-xb.clone()).hull(&B::from_f64(f64::NEG_INFINITY, P));
                    let around0 = B::from_rational(&(-x.clone()), P).hull(&xb);
                    let cases = [
                        ("[x, inf]", up.clone()),
                        ("[-inf, -x]", down.clone()),
                        ("[x, inf] + y", up.clone() + &B::from_rational(&y, P)),
                        ("[x, inf] * x", up.clone() * &xb),
                        ("exp([x, inf])", up.exp()),
                        ("1 / [-x, x]", around0.recip()),
                        ("y / [-x, x]", B::from_rational(&y, P) / &around0),
                        ("ln(-x)", B::from_rational(&(-x.clone()), P).ln()),
                        ("sqrt(-x)", B::from_rational(&(-x.clone()), P).sqrt()),
                        ("ln_1p(-1 - x)", B::from_rational(&(-x.clone() - 1u32), P).ln_1p()),
                        ("ei([-x, x])", around0.ei()),
                        ("nan", B::from_f64(f64::NAN, P)),
                    ];
                    for (what, v) in cases {
                        prop_assert!(!v.is_finite(), "{} should not be finite: {:?}", what, v);
                        prop_assert!(!v.certainly_positive(), "{} certainly positive: {:?}", what, v);
                        prop_assert!(!v.certainly_negative(), "{} certainly negative: {:?}", what, v);
                        prop_assert!(!v.contains_rational(&x), "{}: contains_rational on a non-finite enclosure", what);
                        prop_assert!(v.lower_exact().is_none() && v.upper_exact().is_none());
                        prop_assert!(v.width_upper() == f64::INFINITY && v.mag_upper() == f64::INFINITY);
                        prop_assert!(!v.certainly_lt(&xb) && !xb.certainly_lt(&v));
                        prop_assert_eq!(v.compare_lt(&xb), hadacert::arith::Certainty::Undecided);
                        prop_assert_eq!(xb.compare_lt(&v), hadacert::arith::Certainty::Undecided);
                        prop_assert!(v.intersect(&xb).is_none());
                    }
                    // The finite counterparts do certify (so the assertions above can fail).
                    prop_assert!(xb.certainly_positive() && (-xb.clone()).certainly_negative());
                }
            }
        }
    };
}

soundness_suite!(inari, Ival, 53);
soundness_suite!(mpfr64, MpfrInterval, 64);
soundness_suite!(mpfr128, MpfrInterval, 128);

// ---------------------------------------------------------------------------------------------
// Overflow behaviour of the two backends
// ---------------------------------------------------------------------------------------------

#[test]
fn inari_exp_of_huge_argument_is_not_finite() {
    let x = Ival::from_rational(&Rational::from(1_000_000), 53);
    let y = x.exp();
    assert_eq!(y.upper_f64(), f64::INFINITY, "{y:?}");
    assert!(!y.is_finite());
    assert!(!y.certainly_positive(), "{y:?}");
    assert!(!y.certainly_negative());
    // Still an enclosure: the lower end is a valid (huge) lower bound.
    assert!(y.lower_f64() >= f64::MAX, "{y:?}");
    // Softmax of such logits still works thanks to the shift.
    let f: Vec<Ival> = [0i64, 1_000_000]
        .iter()
        .map(|&n| Ival::from_rational(&Rational::from(n), 53))
        .collect();
    let p = enclose_softmax(&f);
    assert!(p.iter().all(|x| x.is_finite()), "{p:?}");
    assert!(p[1].contains_rational(&Rational::from(1)) || p[1].upper_f64() <= 1.0);
    assert!(p[1].lower_f64() > 0.99);
}

#[test]
fn mpfr128_exp_of_huge_argument_is_finite() {
    let q = Rational::from(1_000_000);
    let y = MpfrInterval::from_rational(&q, 128).exp();
    assert!(y.is_finite(), "{y:?}");
    assert!(y.certainly_positive());
    let r = MpfrInterval::from_rational(&q, RP).exp();
    let mid = reference_point(&r, &Rational::new(), "exp(1e6)").unwrap();
    assert!(y.contains_rational(&mid));
    // exp(1e6) = 10^434294.48...: check the exponent of the enclosure.
    let lo = Float::with_val(128, y.lo());
    assert_eq!(lo.clone().log10().to_f64().floor(), 434_294.0);
    let rel = Rational::from(y.upper_exact().unwrap() - y.lower_exact().unwrap()) / &mid;
    assert!(rel < pow10(-30), "relative width {}", rel.to_f64());
    // The f64 conversions of a finite but out-of-range enclosure are outward.
    assert_eq!(y.upper_f64(), f64::INFINITY);
    assert_eq!(y.lower_f64(), f64::MAX);
}

#[test]
fn one_and_zero_are_exact_identities() {
    // zero()/one() at low precision must not lower the precision of a 1024-bit computation.
    let x = R::from_rational(&rat(1, 3), RP);
    let y = (x.clone() + R::zero()) * R::one();
    assert_eq!(y.prec(), RP);
    assert_eq!(y, x);
}
