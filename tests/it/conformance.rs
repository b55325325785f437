//! Operation-level conformance suite for the enclosure backends, in the manner of the IEEE 1788
//! test suites (issue 18, section 6).
//!
//! Every operation of the traits `Ring`, `Field`, `Real` and `Enclosure` runs on inari (`Ival`)
//! and on `MpfrInterval` at 53, 113 and 256 bits, on operands of every *class*, each generated
//! explicitly (so that no sign case can go untested, unlike the point and sign-definite boxes of
//! `tests/it/soundness.rs`):
//!
//! | class | operands |
//! |---|---|
//! | `positive`, `negative` | `0 < a < b`, `a < b < 0`, magnitudes 1e-4..1e4 |
//! | `straddling` | `a < 0 < b`, both asymmetries (`-a > b` and `-a < b`) |
//! | `zero-lower`, `zero-upper` | `[0, d]`, `[-d, 0]` |
//! | `point` | `[0, 0]`, positive and negative points |
//! | `tiny`, `huge` | magnitudes 1e-300..1e-30 and 1e30..1e300 (exp family: 10..1e4), each sign case |
//! | `unbounded` | `[a, +inf)`, `(-inf, b]` (both signs), `[0, +inf)`, `(-inf, 0]`, the whole line |
//!
//! Binary operations run on every ordered pair of classes. The generated rational ends are
//! rounded outward to each backend's format, and the backend's exact ends are the operand. Checks:
//!
//! * **containment**: at sample points of the operands (both ends, 0 when inside, interior
//!   rationals, far points of unbounded operands) the exact result (rational arithmetic for
//!   `+ - * /`, `add_product`, `butterfly`, `mul_pow2`, `neg`, `recip`, `abs`, `min`, `max`, `hull`,
//!   `intersect`; a 2048-bit MPFR evaluation with directed rounding, independent of the crate's
//!   MPFR backend, for `sqrt exp exp_m1 ln ln_1p ei`) lies in the computed enclosure;
//! * **tightness**: the computed ends lie within a few ulps (of the backend's format, including
//!   its overflow and underflow) outside the exact interval result given by the endpoint
//!   formulas (for `*` the min and max of the four endpoint products, `0 * inf = 0`), computed
//!   in rationals or at 2048 bits for the monotone functions; a wrong endpoint pair fails here
//!   even when it still happens to contain the sample points;
//! * **domain edges**: `ln` of an argument touching or crossing 0, `ln_1p` at -1, `Ei` of an
//!   argument containing 0, division by and reciprocal of an argument containing 0 give a
//!   not-finite (unbounded) enclosure, never a finite one that could certify; `sqrt` encloses
//!   the square root on the part `x >= 0` of its argument (the trait's contract) and gives a
//!   not-finite result when there is none;
//! * conversions `from_rational`, `from_f64`, `from_i64` and the predicate `subset` exactly.
//!
//! Generation is deterministic (SplitMix64, fixed seeds, nothing persisted). Case counts:
//! `HADACERT_CONFORMANCE_CASES = N` (default 12) sets the cases per ordered class pair of each
//! binary operation; unary operations get 5 N cases per class (`Ei`, slow at 2048 bits: N).
//! Default run: `cargo test --release --test it -- conformance::` (about 8 s of CPU).

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::claim::schema::SplitMix64;
use rug::float::{Round, Special};
use rug::{Float, Integer, Rational};
use std::cmp::Ordering;

/// Reference precision for the transcendental functions.
const RP: u32 = 2048;

/// MPFR precisions under test (inari is always tested too).
const MPFR_PRECS: [u32; 3] = [53, 113, 256];

/// Ulps allowed outside the exact result: correctly rounded arithmetic needs one.
const ULPS_ARITH: u32 = 2;
/// Ulps allowed for the elementary functions (MPFR, correctly rounded in the outward direction).
const ULPS_FUNC: u32 = 4;

fn cases_per_pair() -> usize {
    std::env::var("HADACERT_CONFORMANCE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12usize)
        .max(1)
}

fn cases_per_class() -> usize {
    5 * cases_per_pair()
}

// ---------------------------------------------------------------------------------------------
// Extended reals
// ---------------------------------------------------------------------------------------------

/// An end of an interval: a rational, an infinity, or NaN (never ordered).
#[derive(Clone, Debug, PartialEq)]
enum Ext {
    NegInf,
    Fin(Rational),
    PosInf,
    Nan,
}

use Ext::{Fin, Nan, NegInf, PosInf};

impl Ext {
    fn rank(&self) -> i32 {
        match self {
            NegInf => 0,
            Fin(_) => 1,
            PosInf => 2,
            Nan => 3,
        }
    }
    fn cmp(&self, o: &Ext) -> Option<Ordering> {
        match (self, o) {
            (Nan, _) | (_, Nan) => None,
            (Fin(a), Fin(b)) => Some(a.cmp(b)),
            _ => Some(self.rank().cmp(&o.rank())),
        }
    }
    fn le(&self, o: &Ext) -> bool {
        matches!(self.cmp(o), Some(Ordering::Less | Ordering::Equal))
    }
    fn lt(&self, o: &Ext) -> bool {
        self.cmp(o) == Some(Ordering::Less)
    }
    fn neg(&self) -> Ext {
        match self {
            NegInf => PosInf,
            PosInf => NegInf,
            Fin(q) => Fin(Rational::from(-q)),
            Nan => Nan,
        }
    }
    fn is_zero(&self) -> bool {
        matches!(self, Fin(q) if q.is_zero())
    }
    fn sign(&self) -> Ordering {
        match self {
            NegInf => Ordering::Less,
            PosInf => Ordering::Greater,
            Fin(q) => q.cmp0(),
            Nan => panic!("sign of NaN"),
        }
    }
    fn min(a: Ext, b: Ext) -> Ext {
        if b.lt(&a) {
            b
        } else {
            a
        }
    }
    fn max(a: Ext, b: Ext) -> Ext {
        if a.lt(&b) {
            b
        } else {
            a
        }
    }
}

impl std::fmt::Display for Ext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NegInf => write!(f, "-inf"),
            PosInf => write!(f, "+inf"),
            Nan => write!(f, "NaN"),
            Fin(q) => write!(f, "{:e}", Float::with_val(64, q)),
        }
    }
}

fn show(x: &(Ext, Ext)) -> String {
    format!("[{}, {}]", x.0, x.1)
}

/// `a + b` (never `inf - inf` here: lower ends are never `+inf`, upper ends never `-inf`).
fn ext_add(a: &Ext, b: &Ext) -> Ext {
    match (a, b) {
        (Fin(x), Fin(y)) => Fin(Rational::from(x + y)),
        (NegInf, PosInf) | (PosInf, NegInf) | (Nan, _) | (_, Nan) => Nan,
        (NegInf, _) | (_, NegInf) => NegInf,
        _ => PosInf,
    }
}

/// `a * b` with `0 * inf = 0` (the interval-product convention).
fn ext_mul(a: &Ext, b: &Ext) -> Ext {
    match (a, b) {
        (Fin(x), Fin(y)) => Fin(Rational::from(x * y)),
        _ if a.is_zero() || b.is_zero() => Fin(Rational::new()),
        _ if (a.sign() == Ordering::Less) == (b.sign() == Ordering::Less) => PosInf,
        _ => NegInf,
    }
}

/// `a / b` for `b != 0` with `x / inf = 0`; `inf / inf` gives None (no endpoint formula).
fn ext_div(a: &Ext, b: &Ext) -> Option<Ext> {
    match (a, b) {
        (Fin(x), Fin(y)) => Some(Fin(Rational::from(x / y))),
        (Fin(_), _) => Some(Fin(Rational::new())),
        (_, Fin(y)) => Some(
            if (a.sign() == Ordering::Less) == (y.cmp0() == Ordering::Less) {
                PosInf
            } else {
                NegInf
            },
        ),
        _ => None,
    }
}

/// `x` is in `[lo, hi]` (false with a NaN end).
fn within(r: &(Ext, Ext), x: &Ext) -> bool {
    r.0.le(x) && x.le(&r.1)
}

fn pow10(e: i32) -> Rational {
    let p = Rational::from(Integer::from(Integer::u_pow_u(10, e.unsigned_abs())));
    if e >= 0 {
        p
    } else {
        p.recip()
    }
}

fn pow2(e: i32) -> Rational {
    let one = Rational::from(1);
    if e >= 0 {
        one << e as u32
    } else {
        one >> e.unsigned_abs()
    }
}

/// `floor(log2 |q|)` (q != 0), up to one (a 64-bit rounding may round |q| up to a power of 2).
fn log2_floor(q: &Rational) -> i32 {
    Float::with_val(64, q).get_exp().expect("nonzero finite") - 1
}

// ---------------------------------------------------------------------------------------------
// Backends: exact ends and the number format
// ---------------------------------------------------------------------------------------------

/// What the suite needs of a backend beyond the crate's traits: exact ends and its format.
trait Backend: Enclosure {
    /// Encloses `[lo, hi]` (ends rounded outward to the format).
    fn build(lo: &Ext, hi: &Ext, prec: u32) -> Self;
    /// The exact ends (NaN when an end is NaN or the interval is empty).
    fn ends(&self) -> (Ext, Ext);
    /// The largest number of the format `<= q` (may be `-inf` below the range).
    fn fmt_down(q: &Rational, prec: u32) -> Ext;
    /// The smallest number of the format `>= q` (may be `+inf` above the range).
    fn fmt_up(q: &Rational, prec: u32) -> Ext;
    /// An upper bound on the spacing of the format near `q`.
    fn ulp(q: &Rational, prec: u32) -> Rational;
}

fn f64_ext(x: f64) -> Ext {
    if x.is_nan() {
        Nan
    } else if x == f64::INFINITY {
        PosInf
    } else if x == f64::NEG_INFINITY {
        NegInf
    } else {
        Fin(Rational::from_f64(x).unwrap())
    }
}

fn float_ext(x: &Float) -> Ext {
    if x.is_nan() {
        Nan
    } else if x.is_infinite() {
        if x.is_sign_negative() {
            NegInf
        } else {
            PosInf
        }
    } else {
        Fin(x.to_rational().unwrap())
    }
}

fn f64_down(q: &Rational) -> f64 {
    Float::with_val_round(53, q, Round::Down)
        .0
        .to_f64_round(Round::Down)
}

fn f64_up(q: &Rational) -> f64 {
    Float::with_val_round(53, q, Round::Up)
        .0
        .to_f64_round(Round::Up)
}

impl Backend for Ival {
    fn build(lo: &Ext, hi: &Ext, _prec: u32) -> Self {
        let l = match lo {
            Fin(q) => f64_down(q),
            NegInf => f64::NEG_INFINITY,
            _ => panic!("lower end {lo}"),
        };
        let h = match hi {
            Fin(q) => f64_up(q),
            PosInf => f64::INFINITY,
            _ => panic!("upper end {hi}"),
        };
        Ival::new(l, h)
    }
    fn ends(&self) -> (Ext, Ext) {
        if self.0.is_empty() {
            return (Nan, Nan);
        }
        (f64_ext(self.0.inf()), f64_ext(self.0.sup()))
    }
    fn fmt_down(q: &Rational, _prec: u32) -> Ext {
        f64_ext(f64_down(q))
    }
    fn fmt_up(q: &Rational, _prec: u32) -> Ext {
        f64_ext(f64_up(q))
    }
    fn ulp(q: &Rational, _prec: u32) -> Rational {
        let tiny = pow2(-1074);
        if q.is_zero() {
            return tiny;
        }
        pow2(log2_floor(q).min(1023) - 51).max(tiny)
    }
}

impl Backend for MpfrInterval {
    fn build(lo: &Ext, hi: &Ext, prec: u32) -> Self {
        let l = match lo {
            Fin(q) => Float::with_val_round(prec, q, Round::Down).0,
            NegInf => Float::with_val(prec, Special::NegInfinity),
            _ => panic!("lower end {lo}"),
        };
        let h = match hi {
            Fin(q) => Float::with_val_round(prec, q, Round::Up).0,
            PosInf => Float::with_val(prec, Special::Infinity),
            _ => panic!("upper end {hi}"),
        };
        MpfrInterval::from_bounds(&l, &h, prec)
    }
    fn ends(&self) -> (Ext, Ext) {
        (float_ext(self.lo()), float_ext(self.hi()))
    }
    fn fmt_down(q: &Rational, prec: u32) -> Ext {
        float_ext(&Float::with_val_round(prec, q, Round::Down).0)
    }
    fn fmt_up(q: &Rational, prec: u32) -> Ext {
        float_ext(&Float::with_val_round(prec, q, Round::Up).0)
    }
    fn ulp(q: &Rational, prec: u32) -> Rational {
        if q.is_zero() {
            return Rational::new();
        }
        pow2(log2_floor(q) + 2 - prec as i32)
    }
}

/// Run `$body` with `B` bound to every backend and `prec` to its precision.
macro_rules! for_each_backend {
    (|$B:ident, $P:ident| $body:block) => {{
        #[allow(clippy::clone_on_copy, clippy::op_ref)]
        {
            type $B = Ival;
            let $P: u32 = 53;
            $body
        }
        #[allow(clippy::op_ref)]
        for $P in MPFR_PRECS {
            type $B = MpfrInterval;
            $body
        }
    }};
}

fn backend_name<T: Backend>(prec: u32) -> String {
    format!("{}-{prec}", T::BACKEND)
}

// ---------------------------------------------------------------------------------------------
// Failure collection
// ---------------------------------------------------------------------------------------------

/// Counts checks and keeps the first failures; `finish` panics if any check failed.
struct Report {
    what: &'static str,
    checks: u64,
    failures: u64,
    first: Vec<String>,
    /// Operands seen per (class name): proves the generator reached every class.
    seen: std::collections::BTreeMap<&'static str, u64>,
}

impl Report {
    fn new(what: &'static str) -> Self {
        Report {
            what,
            checks: 0,
            failures: 0,
            first: Vec::new(),
            seen: Default::default(),
        }
    }
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.failures += 1;
            if self.first.len() < 12 {
                self.first.push(msg());
            }
        }
    }
    fn finish(self, classes: &[&'static str]) {
        eprintln!(
            "{}: {} checks, {} failures; operands per class {:?}",
            self.what, self.checks, self.failures, self.seen
        );
        for c in classes {
            assert!(
                self.seen.get(c).copied().unwrap_or(0) > 0,
                "{}: no operand of class {c} was generated",
                self.what
            );
        }
        assert!(self.checks > 0, "{}: nothing was checked", self.what);
        assert!(
            self.failures == 0,
            "{}: {} of {} checks failed; first failures:\n  {}",
            self.what,
            self.failures,
            self.checks,
            self.first.join("\n  ")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Operand classes and generators
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    Positive,
    Negative,
    Straddling,
    ZeroLower,
    ZeroUpper,
    Point,
    Tiny,
    Huge,
    Unbounded,
}

const CLASSES: [Class; 9] = [
    Class::Positive,
    Class::Negative,
    Class::Straddling,
    Class::ZeroLower,
    Class::ZeroUpper,
    Class::Point,
    Class::Tiny,
    Class::Huge,
    Class::Unbounded,
];

/// Names of the fine classes an operand is counted under (the generator's variants).
const FINE_CLASSES: [&str; 16] = [
    "positive",
    "negative",
    "straddling (-a > b)",
    "straddling (-a < b)",
    "[0, d]",
    "[-d, 0]",
    "[0, 0]",
    "positive point",
    "negative point",
    "tiny",
    "huge",
    "[a, +inf)",
    "(-inf, b]",
    "[0, +inf)",
    "(-inf, 0]",
    "(-inf, +inf)",
];

/// Magnitude ranges (decimal exponents) of a family of operations.
#[derive(Clone, Copy)]
struct Scale {
    normal: (i32, i32),
    tiny: (i32, i32),
    huge: (i32, i32),
    /// Decimal exponent of the farthest sample point of an unbounded operand.
    far: i32,
}

/// Rational operations: the whole f64 range and beyond.
const FULL: Scale = Scale {
    normal: (-4, 3),
    tiny: (-300, -30),
    huge: (30, 300),
    far: 300,
};

/// The exp family (exp, exp_m1, Ei): `huge` up to 1e4 (beyond inari's overflow at 709.78).
const EXP_ARGS: Scale = Scale {
    normal: (-4, 1),
    tiny: (-300, -30),
    huge: (1, 3),
    far: 3,
};

/// A random magnitude `m 10^e`, `m` in `[1, 10)`, `e` in `range`: non-dyadic (rounded by every
/// backend) three times in four, a small integer times `10^e` otherwise.
fn magnitude(rng: &mut SplitMix64, range: (i32, i32)) -> Rational {
    let e = range.0 + rng.below((range.1 - range.0 + 1) as u64) as i32;
    let m = if rng.below(4) == 0 {
        Rational::from(1 + rng.below(9))
    } else {
        Rational::from((1_000_000 + rng.below(9_000_000) as i64, 1_000_000))
    };
    m * pow10(e)
}

/// Two distinct magnitudes in `range`, sorted.
fn two_magnitudes(rng: &mut SplitMix64, range: (i32, i32)) -> (Rational, Rational) {
    loop {
        let a = magnitude(rng, range);
        let b = magnitude(rng, range);
        match a.cmp(&b) {
            Ordering::Less => return (a, b),
            Ordering::Greater => return (b, a),
            Ordering::Equal => continue,
        }
    }
}

/// A generated operand: its rational ends and the name of its fine class.
struct Spec {
    lo: Ext,
    hi: Ext,
    fine: &'static str,
}

/// An operand of class `c`; `variant` cycles through the class's sub-cases.
fn gen(c: Class, variant: usize, rng: &mut SplitMix64, s: Scale) -> Spec {
    let fin = |q: Rational| Fin(q);
    let neg = |q: Rational| Fin(-q);
    match c {
        Class::Positive => {
            let (a, b) = two_magnitudes(rng, s.normal);
            Spec {
                lo: fin(a),
                hi: fin(b),
                fine: "positive",
            }
        }
        Class::Negative => {
            let (a, b) = two_magnitudes(rng, s.normal);
            Spec {
                lo: neg(b),
                hi: neg(a),
                fine: "negative",
            }
        }
        Class::Straddling => {
            let (small, big) = two_magnitudes(rng, s.normal);
            if variant % 2 == 0 {
                Spec {
                    lo: neg(big),
                    hi: fin(small),
                    fine: "straddling (-a > b)",
                }
            } else {
                Spec {
                    lo: neg(small),
                    hi: fin(big),
                    fine: "straddling (-a < b)",
                }
            }
        }
        Class::ZeroLower => Spec {
            lo: fin(Rational::new()),
            hi: fin(magnitude(rng, s.normal)),
            fine: "[0, d]",
        },
        Class::ZeroUpper => Spec {
            lo: neg(magnitude(rng, s.normal)),
            hi: fin(Rational::new()),
            fine: "[-d, 0]",
        },
        Class::Point => match variant % 3 {
            0 => Spec {
                lo: fin(Rational::new()),
                hi: fin(Rational::new()),
                fine: "[0, 0]",
            },
            1 => {
                let m = magnitude(rng, s.normal);
                Spec {
                    lo: fin(m.clone()),
                    hi: fin(m),
                    fine: "positive point",
                }
            }
            _ => {
                let m = magnitude(rng, s.normal);
                Spec {
                    lo: neg(m.clone()),
                    hi: neg(m),
                    fine: "negative point",
                }
            }
        },
        Class::Tiny | Class::Huge => {
            let (range, fine) = if c == Class::Tiny {
                (s.tiny, "tiny")
            } else {
                (s.huge, "huge")
            };
            let (a, b) = two_magnitudes(rng, range);
            let (lo, hi) = match variant % 3 {
                0 => (fin(a), fin(b)),
                1 => (neg(b), neg(a)),
                _ => (neg(a), fin(b)),
            };
            Spec { lo, hi, fine }
        }
        Class::Unbounded => {
            let m = magnitude(rng, s.normal);
            let (lo, hi, fine) = match variant % 7 {
                0 => (fin(m), PosInf, "[a, +inf)"),
                1 => (neg(m), PosInf, "[a, +inf)"),
                2 => (NegInf, neg(m), "(-inf, b]"),
                3 => (NegInf, fin(m), "(-inf, b]"),
                4 => (fin(Rational::new()), PosInf, "[0, +inf)"),
                5 => (NegInf, fin(Rational::new()), "(-inf, 0]"),
                _ => (NegInf, PosInf, "(-inf, +inf)"),
            };
            Spec { lo, hi, fine }
        }
    }
}

/// Sample points of an operand with exact ends `x`: the finite ends, 0 when inside, two
/// interior rationals (non-dyadic), and far points on an unbounded side.
fn samples(x: &(Ext, Ext), rng: &mut SplitMix64, s: Scale) -> Vec<Rational> {
    let mut out = Vec::new();
    let interior = |rng: &mut SplitMix64| Rational::from((1 + rng.below(1008) as i64, 1009));
    let far = |rng: &mut SplitMix64| {
        let e = rng.below(s.far.max(0) as u64 + 1) as i32;
        magnitude(rng, (e.min(s.far), e.min(s.far)))
    };
    match x {
        (Fin(a), Fin(b)) => {
            out.push(a.clone());
            if a != b {
                out.push(b.clone());
                let w = Rational::from(b - a);
                for _ in 0..2 {
                    out.push(a + &w * interior(rng));
                }
            }
        }
        (Fin(a), PosInf) => {
            out.push(a.clone());
            out.push(a + far(rng));
            out.push(a + interior(rng));
        }
        (NegInf, Fin(b)) => {
            out.push(b.clone());
            out.push(b - far(rng));
            out.push(b - interior(rng));
        }
        (NegInf, PosInf) => {
            out.push(far(rng));
            out.push(-far(rng));
        }
        _ => panic!("operand {}", show(x)),
    }
    if x.0.lt(&Fin(Rational::new())) && Fin(Rational::new()).lt(&x.1) {
        out.push(Rational::new());
    }
    out
}

/// One operand on backend `T`: the enclosure, its exact ends and its sample points. Checks that
/// the built operand encloses the generated ends and keeps its class.
fn operand<T: Backend>(
    spec: &Spec,
    prec: u32,
    rng: &mut SplitMix64,
    s: Scale,
    rep: &mut Report,
) -> (T, (Ext, Ext), Vec<Rational>) {
    let x = T::build(&spec.lo, &spec.hi, prec);
    let e = x.ends();
    rep.check(e.0.le(&spec.lo) && spec.hi.le(&e.1), || {
        format!(
            "{}: building {} gave {}",
            backend_name::<T>(prec),
            show(&(spec.lo.clone(), spec.hi.clone())),
            show(&e)
        )
    });
    // Rounding outward never changes the sign class.
    let zero = Fin(Rational::new());
    rep.check(
        e.0.cmp(&zero) == spec.lo.cmp(&zero) && e.1.cmp(&zero) == spec.hi.cmp(&zero),
        || {
            format!(
                "{}: {} changed sign when built",
                backend_name::<T>(prec),
                spec.fine
            )
        },
    );
    *rep.seen.entry(spec.fine).or_default() += 1;
    let pts = samples(&e, rng, s);
    (x, e, pts)
}

fn fine_names() -> Vec<&'static str> {
    FINE_CLASSES.to_vec()
}

// ---------------------------------------------------------------------------------------------
// Tightness
// ---------------------------------------------------------------------------------------------

/// The result `got` contains the exact interval `[l, h]` and its ends are within `slack` (plus
/// the format's rounding, overflow included) outside it.
fn check_tight<T: Backend>(
    rep: &mut Report,
    got: &(Ext, Ext),
    exact: &(Ext, Ext),
    slack: (&Rational, &Rational),
    prec: u32,
    what: &dyn Fn() -> String,
) {
    check_tight_vs::<T>(rep, got, exact, exact, slack, prec, what)
}

/// `got` contains the exact interval `exact`, and its ends are within `slack` (plus the format's
/// rounding) outside `reference` (the exact result, or the exact result of the computation
/// with its documented intermediate roundings).
fn check_tight_vs<T: Backend>(
    rep: &mut Report,
    got: &(Ext, Ext),
    exact: &(Ext, Ext),
    reference: &(Ext, Ext),
    slack: (&Rational, &Rational),
    prec: u32,
    what: &dyn Fn() -> String,
) {
    let contains = got.0.le(&exact.0) && exact.1.le(&got.1);
    let (l, h) = reference;
    let lo_min = match l {
        Fin(q) => T::fmt_down(&Rational::from(q - slack.0), prec),
        other => other.clone(),
    };
    let hi_max = match h {
        Fin(q) => T::fmt_up(&Rational::from(q + slack.1), prec),
        other => other.clone(),
    };
    let tight = lo_min.le(&got.0) && got.1.le(&hi_max);
    rep.check(contains && tight, || {
        format!(
            "{}: {}: got {}, exact {} ({})",
            backend_name::<T>(prec),
            what(),
            show(got),
            show(exact),
            if contains {
                "not tight"
            } else {
                "does not contain the exact result"
            }
        )
    });
}

/// `k` ulps of the format at a finite end (0 at an infinite one).
fn ulps<T: Backend>(k: u32, e: &Ext, prec: u32) -> Rational {
    match e {
        Fin(q) => T::ulp(q, prec) * Rational::from(k),
        _ => Rational::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Binary operations
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    AddProduct,
    Butterfly,
    Min,
    Max,
    Hull,
    Intersect,
    Subset,
}

/// The exact interval result of `x op y` from the endpoint formulas; None where there is none
/// (division by an interval containing 0, inf / inf).
fn binary_exact(op: BinOp, x: &(Ext, Ext), y: &(Ext, Ext)) -> Option<(Ext, Ext)> {
    let (a1, a2) = x;
    let (b1, b2) = y;
    match op {
        BinOp::Add => Some((ext_add(a1, b1), ext_add(a2, b2))),
        BinOp::Sub => Some((ext_add(a1, &b2.neg()), ext_add(a2, &b1.neg()))),
        BinOp::Mul => {
            let c = [
                ext_mul(a1, b1),
                ext_mul(a1, b2),
                ext_mul(a2, b1),
                ext_mul(a2, b2),
            ];
            let lo = c.iter().cloned().reduce(Ext::min).unwrap();
            let hi = c.iter().cloned().reduce(Ext::max).unwrap();
            Some((lo, hi))
        }
        BinOp::Div => {
            let zero = Fin(Rational::new());
            if b1.le(&zero) && zero.le(b2) {
                return None;
            }
            let mut c = Vec::new();
            for a in [a1, a2] {
                for b in [b1, b2] {
                    c.push(ext_div(a, b)?);
                }
            }
            let lo = c.iter().cloned().reduce(Ext::min).unwrap();
            let hi = c.iter().cloned().reduce(Ext::max).unwrap();
            Some((lo, hi))
        }
        BinOp::Min => Some((
            Ext::min(a1.clone(), b1.clone()),
            Ext::min(a2.clone(), b2.clone()),
        )),
        BinOp::Max => Some((
            Ext::max(a1.clone(), b1.clone()),
            Ext::max(a2.clone(), b2.clone()),
        )),
        BinOp::Hull => Some((
            Ext::min(a1.clone(), b1.clone()),
            Ext::max(a2.clone(), b2.clone()),
        )),
        BinOp::Intersect => {
            let lo = Ext::max(a1.clone(), b1.clone());
            let hi = Ext::min(a2.clone(), b2.clone());
            lo.le(&hi).then_some((lo, hi))
        }
        BinOp::AddProduct | BinOp::Butterfly | BinOp::Subset => unreachable!(),
    }
}

fn binary_point(op: BinOp, p: &Rational, q: &Rational) -> Option<Rational> {
    Some(match op {
        BinOp::Add => Rational::from(p + q),
        BinOp::Sub => Rational::from(p - q),
        BinOp::Mul => Rational::from(p * q),
        BinOp::Div => {
            if q.is_zero() {
                return None;
            }
            Rational::from(p / q)
        }
        BinOp::Min => p.clone().min(q.clone()),
        BinOp::Max => p.clone().max(q.clone()),
        _ => unreachable!(),
    })
}

fn bounded(x: &(Ext, Ext)) -> bool {
    matches!(x, (Fin(_), Fin(_)))
}

/// Runs `op` on every ordered pair of classes on every backend.
fn check_binary(ops: &[BinOp], what: &'static str, seed: u64) {
    let mut rep = Report::new(what);
    let n = cases_per_pair();
    for (ci, &cx) in CLASSES.iter().enumerate() {
        for (cj, &cy) in CLASSES.iter().enumerate() {
            for case in 0..n {
                let case_seed = seed ^ ((ci as u64) << 40) ^ ((cj as u64) << 32) ^ case as u64;
                let mut g = SplitMix64(case_seed);
                let sx = gen(cx, case, &mut g, FULL);
                let sy = gen(cy, case / 2 + case % 2 * 3, &mut g, FULL);
                // a third operand for add_product (the accumulator), of a rotating class
                let sz = gen(
                    CLASSES[(ci + cj + case) % CLASSES.len()],
                    case,
                    &mut g,
                    FULL,
                );
                for_each_backend!(|B, prec| {
                    let mut g = SplitMix64(case_seed.wrapping_mul(3));
                    let (x, xe, xs) = operand::<B>(&sx, prec, &mut g, FULL, &mut rep);
                    let (y, ye, ys) = operand::<B>(&sy, prec, &mut g, FULL, &mut rep);
                    for &op in ops {
                        binary_case::<B>(op, prec, &x, &xe, &xs, &y, &ye, &ys, &sz, &mut rep);
                    }
                });
            }
        }
    }
    rep.finish(&fine_names());
}

#[allow(clippy::too_many_arguments)]
fn binary_case<T: Backend>(
    op: BinOp,
    prec: u32,
    x: &T,
    xe: &(Ext, Ext),
    xs: &[Rational],
    y: &T,
    ye: &(Ext, Ext),
    ys: &[Rational],
    sz: &Spec,
    rep: &mut Report,
) {
    let what = || format!("{} {op:?} {}", show(xe), show(ye));
    match op {
        BinOp::Subset => {
            let exact = bounded(xe) && bounded(ye) && ye.0.le(&xe.0) && xe.1.le(&ye.1);
            let got = x.subset(y);
            rep.check(got == exact, || {
                format!(
                    "{}: {}: subset {got}, exact {exact}",
                    backend_name::<T>(prec),
                    what()
                )
            });
        }
        BinOp::Intersect => {
            let exact = binary_exact(op, xe, ye);
            match (x.intersect(y), exact) {
                (Some(r), Some(e)) => {
                    let z = Rational::new();
                    check_tight::<T>(rep, &r.ends(), &e, (&z, &z), prec, &what);
                }
                (Some(r), None) => rep.check(false, || {
                    format!(
                        "{}: {}: disjoint operands intersect in {}",
                        backend_name::<T>(prec),
                        what(),
                        show(&r.ends())
                    )
                }),
                // Disjoint: None. Overlapping but not finite: the backends answer None too
                // (documented "None when disjoint"; see the report of issue 18).
                (None, e) => rep.check(e.is_none() || !(bounded(xe) && bounded(ye)), || {
                    format!(
                        "{}: {}: overlapping operands gave None",
                        backend_name::<T>(prec),
                        what()
                    )
                }),
            }
        }
        BinOp::Hull => {
            let r = x.hull(y).ends();
            for p in xs.iter().chain(ys) {
                rep.check(within(&r, &Fin(p.clone())), || {
                    format!("{}: {}: hull misses {p}", backend_name::<T>(prec), what())
                });
            }
            let z = Rational::new();
            check_tight::<T>(
                rep,
                &r,
                &binary_exact(op, xe, ye).unwrap(),
                (&z, &z),
                prec,
                &what,
            );
        }
        BinOp::AddProduct => {
            let mut g = SplitMix64(xs.len() as u64 * 31 + ys.len() as u64);
            let (acc, ae, az) = operand::<T>(sz, prec, &mut g, FULL, rep);
            let mut r = acc.clone();
            r.add_product(x, y);
            let re = r.ends();
            for a in &az {
                for p in xs {
                    for q in ys {
                        let v = a + Rational::from(p * q);
                        rep.check(within(&re, &Fin(v.clone())), || {
                            format!(
                                "{}: {} + {} * {}: {} misses the exact value {} at ({a}, {p}, {q})",
                                backend_name::<T>(prec),
                                show(&ae),
                                show(xe),
                                show(ye),
                                show(&re),
                                Fin(v)
                            )
                        });
                    }
                }
            }
            let m = binary_exact(BinOp::Mul, xe, ye).unwrap();
            let exact = (ext_add(&ae.0, &m.0), ext_add(&ae.1, &m.1));
            // the product is rounded outward to the format, then the sum
            let round = |e: &Ext, down: bool| match e {
                Fin(q) if down => T::fmt_down(q, prec),
                Fin(q) => T::fmt_up(q, prec),
                other => other.clone(),
            };
            let reference = (
                ext_add(&ae.0, &round(&m.0, true)),
                ext_add(&ae.1, &round(&m.1, false)),
            );
            let sl = ulps::<T>(ULPS_ARITH, &reference.0, prec);
            let sh = ulps::<T>(ULPS_ARITH, &reference.1, prec);
            let wa = || format!("{} + {} * {}", show(&ae), show(xe), show(ye));
            check_tight_vs::<T>(rep, &re, &exact, &reference, (&sl, &sh), prec, &wa);
        }
        BinOp::Butterfly => {
            // (x, y) <- (x + y, x - y): each end as tight as `+` and `-`, and the very same
            // enclosures (the trait's contract; the MPFR override works in place)
            let (mut a, mut b) = (x.clone(), y.clone());
            Ring::butterfly(&mut a, &mut b);
            for (got, sub_op, want) in [
                (&a, BinOp::Add, x.clone() + y),
                (&b, BinOp::Sub, x.clone() - y),
            ] {
                let re = got.ends();
                rep.check(re == want.ends(), || {
                    format!(
                        "{}: {}: butterfly {sub_op:?} end {} differs from the operator's {}",
                        backend_name::<T>(prec),
                        what(),
                        show(&re),
                        show(&want.ends())
                    )
                });
                for p in xs {
                    for q in ys {
                        if let Some(v) = binary_point(sub_op, p, q) {
                            rep.check(within(&re, &Fin(v.clone())), || {
                                format!(
                                    "{}: {}: butterfly {sub_op:?} {} misses the exact value {} at ({p}, {q})",
                                    backend_name::<T>(prec),
                                    what(),
                                    show(&re),
                                    Fin(v)
                                )
                            });
                        }
                    }
                }
                let exact = binary_exact(sub_op, xe, ye).unwrap();
                let sl = ulps::<T>(ULPS_ARITH, &exact.0, prec);
                let sh = ulps::<T>(ULPS_ARITH, &exact.1, prec);
                check_tight::<T>(rep, &re, &exact, (&sl, &sh), prec, &what);
            }
        }
        _ => {
            let r = match op {
                BinOp::Add => x.clone() + y,
                BinOp::Sub => x.clone() - y,
                BinOp::Mul => x.clone() * y,
                BinOp::Div => x.clone() / y,
                BinOp::Min => x.min(y),
                BinOp::Max => x.max(y),
                _ => unreachable!(),
            };
            let re = r.ends();
            for p in xs {
                for q in ys {
                    if let Some(v) = binary_point(op, p, q) {
                        rep.check(within(&re, &Fin(v.clone())), || {
                            format!(
                                "{}: {}: {} misses the exact value {} at ({p}, {q})",
                                backend_name::<T>(prec),
                                what(),
                                show(&re),
                                Fin(v)
                            )
                        });
                    }
                }
            }
            let zero = Fin(Rational::new());
            if op == BinOp::Div && ye.0.le(&zero) && zero.le(&ye.1) {
                // domain edge: a divisor that may be 0 gives no finite enclosure
                rep.check(!r.is_finite(), || {
                    format!(
                        "{}: {}: division by an interval containing 0 gave the finite {}",
                        backend_name::<T>(prec),
                        what(),
                        show(&re)
                    )
                });
                return;
            }
            if op == BinOp::Div && !bounded(xe) {
                // inf / inf has no endpoint formula: containment only
                return;
            }
            let exact = binary_exact(op, xe, ye).unwrap();
            let k = if matches!(op, BinOp::Min | BinOp::Max) {
                0
            } else {
                ULPS_ARITH
            };
            let sl = ulps::<T>(k, &exact.0, prec);
            let sh = ulps::<T>(k, &exact.1, prec);
            check_tight::<T>(rep, &re, &exact, (&sl, &sh), prec, &what);
        }
    }
}

#[test]
fn add_and_sub_on_every_class_pair() {
    check_binary(&[BinOp::Add, BinOp::Sub], "add/sub", 0xA11);
}

#[test]
fn butterfly_on_every_class_pair() {
    check_binary(&[BinOp::Butterfly], "butterfly", 0xB77);
}

#[test]
fn mul_on_every_class_pair() {
    check_binary(&[BinOp::Mul], "mul", 0x3B1);
}

#[test]
fn add_product_on_every_class_pair() {
    check_binary(&[BinOp::AddProduct], "add_product", 0xADD);
}

#[test]
fn div_on_every_class_pair() {
    check_binary(&[BinOp::Div], "div", 0xD1F);
}

#[test]
fn min_max_hull_intersect_subset_on_every_class_pair() {
    check_binary(
        &[
            BinOp::Min,
            BinOp::Max,
            BinOp::Hull,
            BinOp::Intersect,
            BinOp::Subset,
        ],
        "min/max/hull/intersect/subset",
        0x5E7,
    );
}

// ---------------------------------------------------------------------------------------------
// Unary operations and elementary functions
// ---------------------------------------------------------------------------------------------

/// The elementary functions, evaluated for reference directly with `rug` at 2048 bits.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fun {
    Sqrt,
    Exp,
    ExpM1,
    Ln,
    Ln1p,
    Ei,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum UnOp {
    Neg,
    Abs,
    Recip,
    MulPow2,
    F(Fun),
}

/// An enclosure `[lo, hi]` of `f(x)` at 2048 bits, `x` exact: one evaluation rounded down
/// (ternary value checked), and `hi` the next 2048-bit number above when it was inexact (MPFR
/// rounds correctly, so `f(x)` lies strictly between the two).
fn f_round(f: Fun, x: &Float) -> (Ext, Ext) {
    if x.is_infinite() {
        let neg = x.is_sign_negative();
        let v = match (f, neg) {
            (Fun::Exp | Fun::Ei, true) => Fin(Rational::new()),
            (Fun::ExpM1, true) => Fin(Rational::from(-1)),
            (_, false) => PosInf,
            _ => Nan,
        };
        return (v.clone(), v);
    }
    let mut y = Float::with_val(RP, x);
    assert_eq!(y, *x, "reference argument not exact");
    let o = match f {
        Fun::Sqrt => y.sqrt_round(Round::Down),
        Fun::Exp => y.exp_round(Round::Down),
        Fun::ExpM1 => y.exp_m1_round(Round::Down),
        Fun::Ln => y.ln_round(Round::Down),
        Fun::Ln1p => y.ln_1p_round(Round::Down),
        Fun::Ei => y.eint_round(Round::Down),
    };
    if o == Ordering::Greater {
        y.next_down();
    }
    let lo = float_ext(&y);
    if o == Ordering::Equal || y.is_infinite() {
        return (lo.clone(), lo);
    }
    y.next_up();
    (lo, float_ext(&y))
}

fn ext_float(e: &Ext) -> Float {
    match e {
        Fin(q) => Float::with_val(RP, q),
        NegInf => Float::with_val(RP, Special::NegInfinity),
        PosInf => Float::with_val(RP, Special::Infinity),
        Nan => Float::with_val(RP, Special::Nan),
    }
}

/// `f` at an exact end (at most 256 bits, so exact at 2048), rounded down or up.
fn f_end(f: Fun, e: &Ext, r: Round) -> Ext {
    let (lo, hi) = f_round(f, &ext_float(e));
    if r == Round::Down {
        lo
    } else {
        hi
    }
}

/// An enclosure of `f(q)` at a rational point of its domain (None outside it).
fn f_at(f: Fun, q: &Rational) -> Option<(Ext, Ext)> {
    let defined = match f {
        Fun::Sqrt => *q >= 0,
        Fun::Ln => *q > 0,
        Fun::Ln1p => *q > -1,
        Fun::Ei => *q != 0,
        Fun::Exp | Fun::ExpM1 => true,
    };
    if !defined {
        return None;
    }
    let qd = Float::with_val_round(RP, q, Round::Down).0;
    let qu = Float::with_val_round(RP, q, Round::Up).0;
    if qd == qu {
        return Some(f_round(f, &qd));
    }
    // Ei is decreasing on (-inf, 0); everything else is increasing on its domain
    let (at_lo, at_hi) = if f == Fun::Ei && *q < 0 {
        (qu, qd)
    } else {
        (qd, qu)
    };
    Some((f_round(f, &at_lo).0, f_round(f, &at_hi).1))
}

/// Lower bound of the exact lower end and upper bound of the exact upper end of `f(x)` from
/// the endpoint formulas (monotone pieces); None where the argument has no point of the
/// domain (or, for Ei, is `[0, 0]`): the result must then be not finite.
fn f_exact(f: Fun, x: &(Ext, Ext)) -> Option<(Ext, Ext)> {
    let (lo, hi) = x;
    let zero = Fin(Rational::new());
    let minus_one = Fin(Rational::from(-1));
    match f {
        Fun::Sqrt => {
            if hi.lt(&zero) {
                return None;
            }
            let l = Ext::max(lo.clone(), zero);
            Some((f_end(f, &l, Round::Down), f_end(f, hi, Round::Up)))
        }
        Fun::Exp | Fun::ExpM1 => Some((f_end(f, lo, Round::Down), f_end(f, hi, Round::Up))),
        Fun::Ln | Fun::Ln1p => {
            let edge = if f == Fun::Ln { zero } else { minus_one };
            if hi.le(&edge) {
                return None;
            }
            let l = if edge.lt(lo) {
                f_end(f, lo, Round::Down)
            } else {
                NegInf
            };
            Some((l, f_end(f, hi, Round::Up)))
        }
        Fun::Ei => {
            if zero.lt(lo) {
                Some((f_end(f, lo, Round::Down), f_end(f, hi, Round::Up)))
            } else if hi.lt(&zero) {
                Some((f_end(f, hi, Round::Down), f_end(f, lo, Round::Up)))
            } else if lo.is_zero() && hi.is_zero() {
                None
            } else {
                let mut h = NegInf;
                if lo.lt(&zero) {
                    h = Ext::max(h, f_end(f, lo, Round::Up));
                }
                if zero.lt(hi) {
                    h = Ext::max(h, f_end(f, hi, Round::Up));
                }
                Some((NegInf, h))
            }
        }
    }
}

fn apply_fun<T: Backend>(f: Fun, x: &T) -> T {
    match f {
        Fun::Sqrt => x.sqrt(),
        Fun::Exp => x.exp(),
        Fun::ExpM1 => x.exp_m1(),
        Fun::Ln => x.ln(),
        Fun::Ln1p => x.ln_1p(),
        Fun::Ei => x.ei(),
    }
}

fn unary_case<T: Backend>(
    op: UnOp,
    k: i32,
    prec: u32,
    x: &T,
    xe: &(Ext, Ext),
    xs: &[Rational],
    rep: &mut Report,
) {
    let name = backend_name::<T>(prec);
    let what = || match op {
        UnOp::MulPow2 => format!("mul_pow2({}, {k})", show(xe)),
        _ => format!("{op:?} {}", show(xe)),
    };
    let zero = Fin(Rational::new());
    let r = match op {
        UnOp::Neg => -x.clone(),
        UnOp::Abs => x.abs(),
        UnOp::Recip => x.recip(),
        UnOp::MulPow2 => x.mul_pow2(k),
        UnOp::F(f) => apply_fun(f, x),
    };
    let re = r.ends();
    // containment at the sample points
    for p in xs {
        let exact: Option<(Ext, Ext)> = match op {
            UnOp::Neg => Some((Fin(Rational::from(-p)), Fin(Rational::from(-p)))),
            UnOp::Abs => {
                let a = Fin(Rational::from(p.abs_ref()));
                Some((a.clone(), a))
            }
            UnOp::Recip => (!p.is_zero()).then(|| {
                let v = Fin(Rational::from(p.recip_ref()));
                (v.clone(), v)
            }),
            UnOp::MulPow2 => {
                let v = Fin(p * pow2(k));
                Some((v.clone(), v))
            }
            UnOp::F(f) => f_at(f, p),
        };
        if let Some(v) = exact {
            rep.check(re.0.le(&v.0) && v.1.le(&re.1), || {
                format!(
                    "{name}: {}: {} misses the exact value {} at {p}",
                    what(),
                    show(&re),
                    show(&v)
                )
            });
        }
    }
    // endpoint formulas
    let (a, b) = xe;
    let exact = match op {
        UnOp::Neg => Some((b.neg(), a.neg())),
        UnOp::Abs => Some(if zero.le(a) {
            (a.clone(), b.clone())
        } else if b.le(&zero) {
            (b.neg(), a.neg())
        } else {
            (zero.clone(), Ext::max(a.neg(), b.clone()))
        }),
        UnOp::Recip => {
            if a.le(&zero) && zero.le(b) {
                None
            } else {
                let one = Fin(Rational::from(1));
                Some((ext_div(&one, b).unwrap(), ext_div(&one, a).unwrap()))
            }
        }
        UnOp::MulPow2 => {
            let s = Fin(pow2(k));
            Some((ext_mul(a, &s), ext_mul(b, &s)))
        }
        UnOp::F(f) => f_exact(f, xe),
    };
    let Some(exact) = exact else {
        // domain edge: no point of the domain (or an interval containing 0 for recip)
        rep.check(!r.is_finite(), || {
            format!(
                "{name}: {}: expected a not-finite enclosure, got {}",
                what(),
                show(&re)
            )
        });
        rep.check(!r.certainly_positive() && !r.certainly_negative(), || {
            format!(
                "{name}: {}: a not-finite enclosure certifies a sign",
                what()
            )
        });
        return;
    };
    if matches!(exact.0, NegInf) || matches!(exact.1, PosInf) {
        rep.check(!r.is_finite(), || {
            format!(
                "{name}: {}: unbounded exact result, finite enclosure {}",
                what(),
                show(&re)
            )
        });
    }
    let k_ulps = match op {
        UnOp::Neg | UnOp::Abs | UnOp::MulPow2 => 0,
        UnOp::Recip => ULPS_ARITH,
        UnOp::F(_) => ULPS_FUNC,
    };
    if op == UnOp::MulPow2 && T::BACKEND == "inari" && !(-1022..=1023).contains(&k) {
        // 2^k is not an f64: inari multiplies by an enclosure of it ([f64::MAX, +inf] or
        // [0, 2^-1074]), "exact unless the exponent range is left": containment only (the
        // crate never scales by such k).
        rep.check(re.0.le(&exact.0) && exact.1.le(&re.1), || {
            format!(
                "{name}: {}: {} misses the exact {}",
                what(),
                show(&re),
                show(&exact)
            )
        });
        return;
    }
    let sl = ulps::<T>(k_ulps, &exact.0, prec);
    let sh = ulps::<T>(k_ulps, &exact.1, prec);
    check_tight::<T>(rep, &re, &exact, (&sl, &sh), prec, &what);
}

fn check_unary(ops: &[UnOp], scale: Scale, n: usize, what: &'static str, seed: u64) {
    let mut rep = Report::new(what);
    for (ci, &c) in CLASSES.iter().enumerate() {
        for case in 0..n {
            let case_seed = seed ^ ((ci as u64) << 40) ^ case as u64;
            let mut g = SplitMix64(case_seed);
            let spec = gen(c, case, &mut g, scale);
            let k = match g.below(8) {
                0 => 1100,
                1 => -1100,
                _ => g.below(401) as i32 - 200,
            };
            for_each_backend!(|B, prec| {
                let mut g = SplitMix64(case_seed.wrapping_mul(5));
                let (x, xe, xs) = operand::<B>(&spec, prec, &mut g, scale, &mut rep);
                for &op in ops {
                    unary_case::<B>(op, k, prec, &x, &xe, &xs, &mut rep);
                }
            });
        }
    }
    rep.finish(&fine_names());
}

#[test]
fn neg_abs_recip_mul_pow2_on_every_class() {
    check_unary(
        &[UnOp::Neg, UnOp::Abs, UnOp::Recip, UnOp::MulPow2],
        FULL,
        cases_per_class(),
        "neg/abs/recip/mul_pow2",
        0x4E6,
    );
}

#[test]
fn sqrt_ln_ln_1p_on_every_class() {
    check_unary(
        &[UnOp::F(Fun::Sqrt), UnOp::F(Fun::Ln), UnOp::F(Fun::Ln1p)],
        FULL,
        cases_per_class(),
        "sqrt/ln/ln_1p",
        0x5C7,
    );
}

#[test]
fn exp_exp_m1_on_every_class() {
    check_unary(
        &[UnOp::F(Fun::Exp), UnOp::F(Fun::ExpM1)],
        EXP_ARGS,
        cases_per_class(),
        "exp/exp_m1",
        0xE4F,
    );
}

#[test]
fn ei_on_every_class() {
    // MPFR's Ei is slow at 2048 bits (milliseconds for 30 < |x| < 1000): fewer cases
    check_unary(&[UnOp::F(Fun::Ei)], EXP_ARGS, cases_per_pair(), "ei", 0xE1);
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

#[test]
fn from_rational_f64_i64_are_tight() {
    let mut rep = Report::new("from_rational/from_f64/from_i64");
    let n = cases_per_class();
    let mut g = SplitMix64(0xC0);
    // rationals of every class, and beyond the f64 range (overflow, subnormals, underflow)
    let mut rats: Vec<Rational> = Vec::new();
    for &c in &CLASSES {
        for case in 0..n {
            let s = gen(c, case, &mut g, FULL);
            for e in [s.lo, s.hi] {
                if let Fin(q) = e {
                    rats.push(q);
                }
            }
        }
    }
    for e in [-1080, -1074, -1070, -1030, -1022, 1023, 1024, 1100] {
        for _ in 0..4 {
            let m = Rational::from((1 + g.below(1 << 40) as i64, 1i64 << 39));
            rats.push(&m * pow2(e));
            rats.push(-(&m * pow2(e)));
        }
    }
    rats.push(Rational::from_f64(f64::MAX).unwrap());
    rats.push(Rational::from_f64(f64::MAX).unwrap() + 1u32);
    // f64 values: random bit patterns (every exponent, subnormals) and the special ones
    let mut floats: Vec<f64> = (0..n * 20)
        .map(|_| f64::from_bits(g.next_u64()))
        .filter(|x| x.is_finite())
        .collect();
    floats.extend([
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        0.1,
    ]);
    let mut ints: Vec<i64> = (0..n * 4)
        .map(|i| (g.next_u64() >> (i % 64)) as i64)
        .collect();
    ints.extend([
        0,
        1,
        -1,
        i64::MIN,
        i64::MAX,
        (1 << 53) + 1,
        -(1 << 53) - 1,
        1 << 62,
    ]);
    for_each_backend!(|B, prec| {
        let name = backend_name::<B>(prec);
        for q in &rats {
            let r = B::from_rational(q, prec);
            let e = (Fin(q.clone()), Fin(q.clone()));
            let u = ulps::<B>(1, &e.0, prec);
            let what = || format!("from_rational({})", Fin(q.clone()));
            check_tight::<B>(&mut rep, &r.ends(), &e, (&u, &u), prec, &what);
            // tightest: exactly the format's neighbours of q
            rep.check(
                r.ends() == (B::fmt_down(q, prec), B::fmt_up(q, prec)),
                || {
                    format!(
                        "{name}: {}: {} is not the tightest enclosure",
                        what(),
                        show(&r.ends())
                    )
                },
            );
        }
        for &x in &floats {
            let r = B::from_f64(x, prec);
            let e = f64_ext(x);
            rep.check(r.ends() == (e.clone(), e.clone()), || {
                format!(
                    "{name}: from_f64({x:e}) = {} is not the point",
                    show(&r.ends())
                )
            });
        }
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let r = B::from_f64(x, prec);
            rep.check(!r.is_finite(), || {
                format!("{name}: from_f64({x}) = {} is finite", show(&r.ends()))
            });
        }
        for &n in &ints {
            let r = B::from_i64(n, prec);
            let q = Rational::from(n);
            let e = (Fin(q.clone()), Fin(q.clone()));
            let u = ulps::<B>(1, &e.0, prec);
            check_tight::<B>(&mut rep, &r.ends(), &e, (&u, &u), prec, &|| {
                format!("from_i64({n})")
            });
            rep.check(
                r.ends() == (B::fmt_down(&q, prec), B::fmt_up(&q, prec)),
                || {
                    format!(
                        "{name}: from_i64({n}) = {} is not the tightest enclosure",
                        show(&r.ends())
                    )
                },
            );
        }
        *rep.seen.entry("conversions").or_default() += 1;
    });
    rep.finish(&["conversions"]);
}

// ---------------------------------------------------------------------------------------------
// Domain edges, spelled out
// ---------------------------------------------------------------------------------------------

/// Every documented domain edge gives a not-finite enclosure, which certifies nothing.
#[test]
fn domain_edges_never_give_a_finite_enclosure() {
    let mut rep = Report::new("domain edges");
    let q = |n: i64| Fin(Rational::from(n));
    let iv = |a: i64, b: i64| (q(a), q(b));
    for_each_backend!(|B, prec| {
        let name = backend_name::<B>(prec);
        let mk = |x: &(Ext, Ext)| B::build(&x.0, &x.1, prec);
        let mut edge = |what: String, r: B| {
            rep.check(
                !r.is_finite() && !r.certainly_positive() && !r.certainly_negative(),
                || {
                    format!(
                        "{name}: {what} = {} (finite, or certifies a sign)",
                        show(&r.ends())
                    )
                },
            );
        };
        for x in [iv(0, 1), iv(-1, 1), iv(-1, 0), iv(0, 0), iv(-2, -1)] {
            edge(format!("ln {}", show(&x)), mk(&x).ln());
        }
        for x in [iv(-1, 1), iv(-2, -1), iv(-3, 2)] {
            edge(format!("ln_1p {}", show(&x)), mk(&x).ln_1p());
        }
        for x in [iv(-2, -1), iv(-1, -1)] {
            edge(format!("sqrt {}", show(&x)), mk(&x).sqrt());
        }
        for x in [iv(0, 1), iv(-1, 0), iv(-1, 1), iv(0, 0)] {
            edge(format!("ei {}", show(&x)), mk(&x).ei());
            edge(format!("recip {}", show(&x)), mk(&x).recip());
            for num in [iv(1, 2), iv(-2, -1), iv(-1, 1), iv(0, 0)] {
                edge(format!("{} / {}", show(&num), show(&x)), mk(&num) / mk(&x));
            }
        }
        // the lower end of ln at an argument touching 0 is -inf, the upper end is ln(hi)
        let r = mk(&iv(0, 1)).ln().ends();
        rep.check(r.0 == NegInf && r.1 == Fin(Rational::new()), || {
            format!("{name}: ln [0, 1] = {}", show(&r))
        });
        // sqrt encloses the square root on the part x >= 0 of its argument
        let r = mk(&iv(-1, 4)).sqrt().ends();
        rep.check(r == iv(0, 2), || {
            format!("{name}: sqrt [-1, 4] = {}", show(&r))
        });
        *rep.seen.entry("edges").or_default() += 1;
    });
    rep.finish(&["edges"]);
}

/// `cos_sin_two_pi_rational` (the characters of the cyclic groups, docs/math.md section 12) on
/// inari and on MPFR at 53, 113 and 256 bits: every turn `p / q` with `q <= 24`, `|p| <= 50`.
/// Containment of a 2048-bit MPFR evaluation (independent of the crate's octant reduction: the
/// angle `2 pi p / q` itself), widths of at most 8 ulps, and the exact points: at turns that are
/// multiples of 1/4, cos and sin are 0 or +-1 exactly (cos 0 = 1, cos(pi/2) = 0, cos(pi) = -1,
/// cos(3 pi/2) = 0, and the sines), so the enclosure must be that exact point.
#[test]
fn cos_sin_two_pi_rational_contains_2048_bit_reference_and_exact_points() {
    fn check<T: Enclosure>(prec: u32, name: &str, failures: &mut Vec<String>) {
        let ulp = Rational::from((1, 1u64)) >> (prec as i32 - 1);
        for q in 1u64..=24 {
            for p in -50i64..=50 {
                let (c, s) = T::cos_sin_two_pi_rational(p, q, prec);
                let turn = Rational::from((p, q));
                let four = Rational::from(&turn * 4u32);
                if *four.denom() == 1 {
                    let k = four.numer().mod_u(4);
                    let (ce, se) = [(1, 0), (0, 1), (-1, 0), (0, -1)][k as usize];
                    for (x, e, what) in [(&c, ce, "cos"), (&s, se, "sin")] {
                        let exact = Rational::from(e);
                        if x.lower_exact() != Some(exact.clone()) || x.upper_exact() != Some(exact)
                        {
                            failures
                                .push(format!("{name}: {what}(2 pi {p}/{q}) is not exactly {e}"));
                        }
                    }
                    continue;
                }
                let angle = Float::with_val(RP, rug::float::Constant::Pi) * 2u32 * &turn;
                let refs = [
                    Float::with_val(RP, angle.cos_ref()),
                    Float::with_val(RP, angle.sin_ref()),
                ];
                for (x, r, what) in [(&c, &refs[0], "cos"), (&s, &refs[1], "sin")] {
                    let r = r.to_rational().unwrap();
                    if !x.contains_rational(&r) {
                        failures.push(format!("{name}: {what}(2 pi {p}/{q}) misses the reference"));
                    }
                    let w = Rational::from(&x.upper_exact().unwrap() - &x.lower_exact().unwrap());
                    if w > Rational::from(&ulp * 8u32) {
                        failures.push(format!("{name}: {what}(2 pi {p}/{q}) is wider than 8 ulps"));
                    }
                }
            }
            // q = 0 gives no information
            let (c, s) = T::cos_sin_two_pi_rational(1, 0, prec);
            if c.is_finite() || s.is_finite() {
                failures.push(format!("{name}: q = 0 gave a finite enclosure"));
            }
        }
    }
    let mut failures = Vec::new();
    check::<Ival>(53, "inari", &mut failures);
    for prec in MPFR_PRECS {
        check::<MpfrInterval>(prec, &format!("mpfr{prec}"), &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
