//! Arithmetic backends behind one set of traits.
//!
//! The model code (`model/`, `spectral/`) is written once against these traits and runs on every
//! backend:
//!
//! | type | trait level | rounding | may certify? |
//! |------|-------------|----------|--------------|
//! | [`f64`] | [`Real`] | to nearest | never: no [`Enclosure`] impl |
//! | [`Ival`] (inari `Interval`, 53 bits) | [`Enclosure`] | outward | yes |
//! | [`MpfrInterval`] (two `rug::Float`, any precision) | [`Enclosure`] | outward | yes |
//! | [`Exact`] (`rug::Rational`) | [`Field`] | none (exact) | structure checks |
//!
//! Vocabulary used in every doc comment below:
//! * *encloses*: the returned set contains the exact mathematical value for every exact input
//!   contained in the arguments (outward/directed rounding on every endpoint);
//! * *approx*: no bound at all (f64 and the `approx_*` functions);
//! * predicates on enclosures are *certain* (`certainly_*`: true for every point of the set) or
//!   *possible* (`possibly_*`); enclosures do not implement `PartialOrd`.
//!
//! Architecture invariant: this module is the only place in the crate that names `inari` or
//! `rug::Float`; everything above it is generic. `rug::Rational` appears outside only as the type
//! of exact inputs.

mod cr_elementary;
mod decimal;
mod ei;
mod exact;
mod f64_backend;
mod inari_backend;
mod mpfr;

pub use decimal::{exact_decimal, parse_exact, ExactParseError};
pub use exact::{DivisionByZero, Exact};
pub use inari_backend::Ival;
pub use mpfr::{MpfrInterval, MAX_PRECISION_BITS, MIN_PRECISION_BITS};

use rug::Rational;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// Commutative ring operations, exact or enclosing depending on the backend.
///
/// Binary operations on values of different precision produce the larger precision. `zero()` and
/// `one()` (from `num_traits`) are exact at any precision, so nalgebra can use them as identities.
pub trait Ring:
    Clone
    + Debug
    + PartialEq
    + Send
    + Sync
    + 'static
    + num_traits::Zero
    + num_traits::One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + for<'a> Add<&'a Self, Output = Self>
    + for<'a> Sub<&'a Self, Output = Self>
    + for<'a> Mul<&'a Self, Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + for<'a> AddAssign<&'a Self>
    + for<'a> SubAssign<&'a Self>
    + for<'a> MulAssign<&'a Self>
{
    /// Working precision in bits (53 for f64 and inari, `u32::MAX` for exact rationals).
    fn prec(&self) -> u32;
    /// The integer `n` at precision `prec`; encloses `n` (exact when `n` fits in `prec` bits).
    fn from_i64(n: i64, prec: u32) -> Self;
    /// `self * 2^k`; encloses the exact product (exact unless the exponent range is left).
    fn mul_pow2(&self, k: i32) -> Self;
    /// Approximate value (midpoint for intervals), for display and search only: never certifies.
    fn approx_f64(&self) -> f64;
    /// `self += a * b`, enclosing; backends override it to avoid temporaries in hot loops.
    fn add_product(&mut self, a: &Self, b: &Self) {
        *self += a.clone() * b;
    }
    /// The Walsh-Hadamard butterfly `(a, b) <- (a + b, a - b)`, each enclosing; the results are
    /// the same enclosures as `a.clone() + b` and `a.clone() - b`. Backends override it to avoid
    /// the temporary.
    fn butterfly(a: &mut Self, b: &mut Self) {
        let diff = a.clone() - &*b;
        *a += &*b;
        *b = diff;
    }
    /// `self += a * b + c * d`, enclosing: the same enclosure as
    /// `{ let mut t = a.clone() * b; t.add_product(c, d); *self += &t }` (the two products
    /// rounded outward and summed, then the sum added). Backends override it to avoid the
    /// temporary.
    fn add_product_pair(&mut self, a: &Self, b: &Self, c: &Self, d: &Self) {
        let mut t = a.clone() * b;
        t.add_product(c, d);
        *self += &t;
    }
    /// `out <- src`, an exact copy (the same value and precision as `src.clone()`); backends
    /// override it to reuse `out`'s storage. The previous value of `out` is never read.
    fn assign(out: &mut Self, src: &Self) {
        out.clone_from(src);
    }
    /// `out <- a + b`, enclosing: the same enclosure as `a.clone() + b`, written into `out`
    /// (whose previous value is never read); backends override it to reuse `out`'s storage.
    fn add_into(out: &mut Self, a: &Self, b: &Self) {
        *out = a.clone() + b;
    }
    /// `out <- a - b`, enclosing: the same enclosure as `a.clone() - b` (see [`Ring::add_into`]).
    fn sub_into(out: &mut Self, a: &Self, b: &Self) {
        *out = a.clone() - b;
    }
    /// `out <- a * b`, enclosing: the same enclosure as `a.clone() * b` (see [`Ring::add_into`]).
    fn mul_into(out: &mut Self, a: &Self, b: &Self) {
        *out = a.clone() * b;
    }
    /// `out <- -a`, exact on every backend here: the same value as `-a.clone()`.
    fn neg_into(out: &mut Self, a: &Self) {
        *out = -a.clone();
    }
    /// `out <- a * 2^k`, enclosing: the same enclosure as `a.mul_pow2(k)`.
    fn mul_pow2_into(out: &mut Self, a: &Self, k: i32) {
        *out = a.mul_pow2(k);
    }
}

/// The working precision of a computation on `xs`: the largest precision among them (53 when
/// empty). Constants of a computation are built at this precision, never at the precision of
/// whichever input comes first: `zero()` and `one()` carry only 2 bits on MPFR (they are exact,
/// so arithmetic with them is exact, but a constant such as `K - 1` built at their precision
/// would be rounded to 2 bits).
pub fn working_prec<T: Ring>(xs: &[T]) -> u32 {
    if crate::mutation::active(crate::mutation::Mutant::ConstantAtTwoBits) {
        // Injected bug (test builds with `--features mutation` only): the first input's precision.
        return xs.first().map_or(53, |x| x.prec());
    }
    xs.iter().map(|x| x.prec()).max().unwrap_or(53)
}

/// Division and exact rational inputs.
pub trait Field:
    Ring + std::ops::Div<Output = Self> + for<'a> std::ops::Div<&'a Self, Output = Self>
{
    /// Encloses the exact rational `q` at precision `prec`: interval backends round the lower end
    /// down and the upper end up; `f64` rounds to nearest (approx); `Exact` is exact.
    fn from_rational(q: &Rational, prec: u32) -> Self;
    /// `1 / self`, enclosing (an interval containing 0 gives an unbounded enclosure).
    fn recip(&self) -> Self;
    /// `out <- a / b`, enclosing: the same enclosure as `a.clone() / b`, written into `out`
    /// (whose previous value is never read); backends override it to reuse `out`'s storage.
    fn div_into(out: &mut Self, a: &Self, b: &Self) {
        *out = a.clone() / b;
    }
}

/// Real functions needed by the model. Interval backends enclose every result; f64 approximates.
pub trait Real: Field {
    /// Encloses `exp(x)`.
    fn exp(&self) -> Self;
    /// Encloses `exp(x) - 1`, accurate near 0.
    fn exp_m1(&self) -> Self;
    /// Encloses `ln(x)` on the part of the argument where it is defined (`x > 0`);
    /// an argument with no positive point gives a not-finite result (never certifies).
    fn ln(&self) -> Self;
    /// Encloses `ln(1 + x)` on `x > -1`, accurate near 0.
    fn ln_1p(&self) -> Self;
    /// Encloses `sqrt(x)` on `x >= 0`.
    fn sqrt(&self) -> Self;
    /// Encloses the exponential integral `Ei(x)` (principal value), defined for `x != 0`;
    /// an argument containing 0 gives an enclosure unbounded below.
    fn ei(&self) -> Self;
    /// Encloses the f64 value `x` exactly when `prec >= 53`, outward otherwise.
    fn from_f64(x: f64, prec: u32) -> Self;
    /// Encloses `(cos(2 pi p / q), sin(2 pi p / q))` at precision `prec` (the characters of
    /// the cyclic groups, docs/math.md section 12). `q = 0` gives no information. The default
    /// gives no information (not-finite values, which never certify); the f64 backend
    /// approximates, the interval backends enclose (exact octant reduction of `p / q` in
    /// rationals, then MPFR with directed rounding on the monotone range `[0, pi / 4]`).
    fn cos_sin_two_pi_rational(p: i64, q: u64, prec: u32) -> (Self, Self) {
        let _ = (p, q);
        (
            Self::from_f64(f64::NAN, prec),
            Self::from_f64(f64::NAN, prec),
        )
    }
}

/// Three-valued comparison result of two enclosures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// True for every pair of points in the enclosures.
    Certainly,
    /// False for every pair of points.
    CertainlyNot,
    /// The enclosures are too wide to decide.
    Undecided,
}

/// Rigorous enclosures: only types implementing this trait can produce a verdict.
///
/// An enclosure that is not finite (an infinite endpoint or NaN) answers every `certainly_*`
/// question with `false`, so it can never prove or refute anything.
pub trait Enclosure: Real {
    /// Short backend name used in certificates (`"inari"`, `"mpfr"`).
    const BACKEND: &'static str;
    /// Lower end rounded down to f64 (NaN for a not-finite enclosure).
    fn lower_f64(&self) -> f64;
    /// Upper end rounded up to f64.
    fn upper_f64(&self) -> f64;
    /// Both ends are finite numbers (no infinity, no NaN).
    fn is_finite(&self) -> bool;
    /// The enclosure contains the exact rational `q`.
    fn contains_rational(&self, q: &Rational) -> bool;
    /// The lower end as an exact rational (None when not finite).
    fn lower_exact(&self) -> Option<Rational>;
    /// The upper end as an exact rational (None when not finite).
    fn upper_exact(&self) -> Option<Rational>;
    /// An upper bound on the width, rounded up to f64 (+inf when not finite).
    fn width_upper(&self) -> f64;
    /// An upper bound on `max |x|` over the enclosure, rounded up (+inf when not finite).
    fn mag_upper(&self) -> f64;
    /// Lower and upper ends as decimal strings with `digits` significant digits, the lower one
    /// rounded down and the upper one rounded up, so the printed interval still encloses.
    fn to_decimal_bounds(&self, digits: usize) -> (String, String);
    /// Intersection of two enclosures of the same quantity (None when disjoint).
    fn intersect(&self, other: &Self) -> Option<Self>;

    /// Encloses every value of `self` and `other` (convex hull).
    fn hull(&self, other: &Self) -> Self;
    /// Encloses `max(x, y)` for every x in `self`, y in `other`.
    fn max(&self, other: &Self) -> Self;
    /// Encloses `min(x, y)` for every x in `self`, y in `other`.
    fn min(&self, other: &Self) -> Self;
    /// Encloses `|x|`.
    fn abs(&self) -> Self;
    /// Every point of `self` lies in `other` (exact comparison of the ends; false if either is
    /// not finite).
    fn subset(&self, other: &Self) -> bool;
    /// A single point of the working precision near the middle of the enclosure, as a thin
    /// enclosure (the exact point itself; used as a centre, never as a bound).
    fn mid_point(&self) -> Self;

    /// A cheaper enclosure type for quantities whose width dwarfs the working precision's
    /// rounding (mixed precision in the validated integrator,
    /// [`crate::ode::lohner::SolverOptions::coarse_apriori`] and `coarse_jacobian`): [`Ival`]
    /// for both backends (inari on MPFR; the identity on inari).
    type Coarse: Enclosure;
    /// Encloses `self` in the coarse type: every point of `self` lies in the result (ends
    /// rounded outward; a not-finite `self` gives a not-finite result, never certifying).
    fn to_coarse(&self) -> Self::Coarse;
    /// The coarse enclosure `c` at precision `prec`, exactly when `prec` is at least the
    /// coarse precision (53 bits): the same set, no rounding. Below that the ends are rounded
    /// outward, so the result still encloses `c`. A not-finite `c` stays not finite.
    fn from_coarse(c: &Self::Coarse, prec: u32) -> Self;

    /// Every point is > 0.
    fn certainly_positive(&self) -> bool {
        self.is_finite() && self.lower_f64() > 0.0
    }
    /// Every point is < 0.
    fn certainly_negative(&self) -> bool {
        self.is_finite() && self.upper_f64() < 0.0
    }
    /// The enclosure is finite and contains 0. A not-finite enclosure answers `false` here, so
    /// `!contains_zero()` does *not* mean "excludes 0": use `certainly_positive` /
    /// `certainly_negative` (or check `is_finite`) for that.
    fn contains_zero(&self) -> bool {
        self.contains_rational(&Rational::new())
    }
    /// Every point of `self` is < every point of `other`.
    fn certainly_lt(&self, other: &Self) -> bool {
        self.is_finite() && other.is_finite() && (other.clone() - self).certainly_positive()
    }
    /// Three-valued `self < other`.
    fn compare_lt(&self, other: &Self) -> Certainty {
        if self.certainly_lt(other) {
            Certainty::Certainly
        } else if self.is_finite() && other.is_finite() && (self.clone() - other).lower_f64() >= 0.0
        {
            Certainty::CertainlyNot
        } else {
            Certainty::Undecided
        }
    }
}

/// A runtime choice of backend, as written in claim files and certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// Plain f64: search and comparison only, never certifies.
    F64,
    /// inari intervals (53-bit endpoints, outward rounding).
    Inari,
    /// MPFR intervals at the claim's precision.
    Mpfr,
}

impl BackendKind {
    /// Name used in certificates and tables.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::F64 => "f64",
            BackendKind::Inari => "inari",
            BackendKind::Mpfr => "mpfr",
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f64" => Ok(BackendKind::F64),
            "inari" => Ok(BackendKind::Inari),
            "mpfr" => Ok(BackendKind::Mpfr),
            other => Err(format!(
                "unknown backend `{other}` (expected f64, inari or mpfr)"
            )),
        }
    }
}
