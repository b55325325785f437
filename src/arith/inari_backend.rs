//! The inari backend: IEEE 1788 intervals with f64 endpoints and hardware directed rounding.
//!
//! [`Ival`] is a newtype so that it can implement `num_traits::Zero/One` (nalgebra needs them)
//! and the crate's traits. The ends of `exp`, `exp_m1`, `ln` and `ln_1p` come from CORE-MATH's
//! correctly rounded f64 functions called with the rounding mode set toward -inf for the lower
//! end and toward +inf for the upper end ([`super::cr_elementary`], where the argument is
//! written out), tens of nanoseconds per end; they are exactly the ends of inari's own `exp`
//! and `ln` and of this backend's fallback (used when the floating-point control register is
//! not in its default round-to-nearest state), which evaluate each end by MPFR at 53 bits with
//! directed rounding, about 1.4 us per end. `Ei` always goes through MPFR.

use super::cr_elementary as cr;
use super::mpfr::{round_down, round_up};
use super::{Enclosure, Field, Real, Ring};
use inari::Interval;
use rug::float::Round;
use rug::{Float, Rational};
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// An inari interval; encloses a real number with f64 ends (53 bits).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ival(pub Interval);

const ENTIRE: Ival = Ival(Interval::ENTIRE);

fn from_ends(lo: f64, hi: f64) -> Ival {
    match Interval::try_from((lo, hi)) {
        Ok(x) => Ival(x),
        // lo > hi or NaN: no information. ENTIRE never certifies.
        Err(_) => ENTIRE,
    }
}

/// lower end of `f(x)` rounded down to f64, via MPFR at 53 bits.
fn mpfr_down(x: f64, f: impl Fn(&mut Float, Round) -> std::cmp::Ordering) -> f64 {
    let mut y = Float::with_val(53, x);
    if f(&mut y, Round::Down) == std::cmp::Ordering::Greater {
        y.next_down();
    }
    y.to_f64_round(Round::Down)
}

fn mpfr_up(x: f64, f: impl Fn(&mut Float, Round) -> std::cmp::Ordering) -> f64 {
    let mut y = Float::with_val(53, x);
    if f(&mut y, Round::Up) == std::cmp::Ordering::Less {
        y.next_up();
    }
    y.to_f64_round(Round::Up)
}

impl Ival {
    /// Encloses `[lo, hi]` (both exact f64). Returns the entire line if `lo > hi` or NaN.
    pub fn new(lo: f64, hi: f64) -> Self {
        from_ends(lo, hi)
    }

    /// Apply a non-decreasing function, with MPFR evaluating each end in the outward direction.
    fn monotone_up(self, f: impl Fn(&mut Float, Round) -> std::cmp::Ordering + Copy) -> Self {
        if self.0.is_empty() {
            return self;
        }
        from_ends(mpfr_down(self.0.inf(), f), mpfr_up(self.0.sup(), f))
    }

    /// Apply a non-decreasing function on `[a, b]` (the caller has cut the argument to the
    /// function's closed domain): CORE-MATH in the directed modes ([`super::cr_elementary`])
    /// in the default floating-point environment, MPFR (`f`, directed rounding) otherwise; both
    /// give the same ends, `RD(f(a))` and `RU(f(b))`.
    fn monotone_cr(
        a: f64,
        b: f64,
        fun: cr::Fun,
        f: impl Fn(&mut Float, Round) -> std::cmp::Ordering + Copy,
    ) -> Self {
        match cr::ends(fun, a, b) {
            Some((lo, hi)) => from_ends(lo, hi),
            None => from_ends(mpfr_down(a, f), mpfr_up(b, f)),
        }
    }
}

impl num_traits::Zero for Ival {
    fn zero() -> Self {
        Ival(inari::const_interval!(0.0, 0.0))
    }
    fn is_zero(&self) -> bool {
        self.0 == inari::const_interval!(0.0, 0.0)
    }
}

impl num_traits::One for Ival {
    fn one() -> Self {
        Ival(inari::const_interval!(1.0, 1.0))
    }
}

macro_rules! ival_ops {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl $tr<Ival> for Ival {
            type Output = Ival;
            #[inline]
            fn $f(self, rhs: Ival) -> Ival { Ival($tr::$f(self.0, rhs.0)) }
        }
        impl<'a> $tr<&'a Ival> for Ival {
            type Output = Ival;
            #[inline]
            fn $f(self, rhs: &'a Ival) -> Ival { Ival($tr::$f(self.0, rhs.0)) }
        }
        impl $tra<Ival> for Ival {
            #[inline]
            fn $fa(&mut self, rhs: Ival) { self.0 = $tr::$f(self.0, rhs.0); }
        }
        impl<'a> $tra<&'a Ival> for Ival {
            #[inline]
            fn $fa(&mut self, rhs: &'a Ival) { self.0 = $tr::$f(self.0, rhs.0); }
        }
    )*};
}

ival_ops! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
}

/// A quotient: inari divides by an exact [0, 0] to EMPTY, which a later hull would drop; the
/// crate's no-information result is ENTIRE (not finite, never certifies, kept by a hull), as
/// the `Field::recip` contract says (an interval containing 0 gives an unbounded enclosure).
#[inline]
fn quotient(q: Interval) -> Ival {
    if q.is_empty() {
        ENTIRE_NAN
    } else {
        Ival(q)
    }
}

/// `n / d`: as [`quotient`], and a divisor that may be 0 never gives a finite result. (inari
/// answers `[0, 0] / d = [0, 0]` for every `d` other than `[0, 0]`, also when `d` contains 0,
/// a finite enclosure of a quotient that may be undefined; the MPFR backend gives no
/// information there, and so does this one now. Every other quotient by such a `d` is already
/// unbounded and is kept as inari computes it.)
#[inline]
fn divide(n: Interval, d: Interval) -> Ival {
    let q = n / d;
    if d.contains(0.0) && q.is_common_interval() {
        ENTIRE_NAN
    } else {
        quotient(q)
    }
}

impl Div<Ival> for Ival {
    type Output = Ival;
    #[inline]
    fn div(self, rhs: Ival) -> Ival {
        divide(self.0, rhs.0)
    }
}

impl<'a> Div<&'a Ival> for Ival {
    type Output = Ival;
    #[inline]
    fn div(self, rhs: &'a Ival) -> Ival {
        divide(self.0, rhs.0)
    }
}

impl Neg for Ival {
    type Output = Ival;
    #[inline]
    fn neg(self) -> Ival {
        Ival(-self.0)
    }
}

impl Ring for Ival {
    fn prec(&self) -> u32 {
        53
    }
    fn from_i64(n: i64, _prec: u32) -> Self {
        if n.unsigned_abs() <= 1 << 53 {
            // Every integer of magnitude <= 2^53 is an f64: the point interval, exactly.
            let x = n as f64;
            return from_ends(x, x);
        }
        from_ends(
            round_down(53, n).to_f64_round(Round::Down),
            round_up(53, n).to_f64_round(Round::Up),
        )
    }
    fn mul_pow2(&self, k: i32) -> Self {
        if (-1022..=1023).contains(&k) {
            // 2^k is an exact normal f64 here: one exact-scale interval multiplication.
            let two_k = 2f64.powi(k);
            return *self * from_ends(two_k, two_k);
        }
        let two_k = from_ends(
            round_down(53, Float::with_val(2, 1) << k).to_f64_round(Round::Down),
            round_up(53, Float::with_val(2, 1) << k).to_f64_round(Round::Up),
        );
        *self * two_k
    }
    fn approx_f64(&self) -> f64 {
        self.0.mid()
    }
}

impl Field for Ival {
    fn from_rational(q: &Rational, _prec: u32) -> Self {
        from_ends(
            round_down(53, q).to_f64_round(Round::Down),
            round_up(53, q).to_f64_round(Round::Up),
        )
    }
    fn recip(&self) -> Self {
        quotient(self.0.recip())
    }
}

impl Real for Ival {
    fn exp(&self) -> Self {
        if self.0.is_empty() {
            return *self;
        }
        Ival::monotone_cr(self.0.inf(), self.0.sup(), cr::Fun::Exp, |x, r| {
            x.exp_round(r)
        })
    }
    fn exp_m1(&self) -> Self {
        if self.0.is_empty() {
            return *self;
        }
        let (a, b) = (self.0.inf(), self.0.sup());
        Ival::monotone_cr(a, b, cr::Fun::ExpM1, |x, r| x.exp_m1_round(r))
    }
    fn ln(&self) -> Self {
        // The part of the argument in [0, +inf]; no positive point: no information.
        if self.0.is_empty() || self.0.sup() <= 0.0 {
            return ENTIRE_NAN;
        }
        let (a, b) = (self.0.inf().max(0.0), self.0.sup());
        Ival::monotone_cr(a, b, cr::Fun::Ln, |x, r| x.ln_round(r))
    }
    fn ln_1p(&self) -> Self {
        // The part of the argument in [-1, +inf]; no point above -1: no information.
        if self.0.is_empty() || self.0.sup() <= -1.0 {
            return ENTIRE_NAN;
        }
        let (a, b) = (self.0.inf().max(-1.0), self.0.sup());
        Ival::monotone_cr(a, b, cr::Fun::Ln1p, |x, r| x.ln_1p_round(r))
    }
    fn sqrt(&self) -> Self {
        let y = self.0.sqrt();
        if y.is_empty() {
            ENTIRE_NAN
        } else {
            Ival(y)
        }
    }
    fn ei(&self) -> Self {
        if self.0.is_empty() {
            return ENTIRE_NAN;
        }
        let (a, b) = (self.0.inf(), self.0.sup());
        if a > 0.0 {
            self.monotone_up(|x, r| x.eint_round(r))
        } else if b < 0.0 {
            from_ends(
                mpfr_down(b, |x, r| x.eint_round(r)),
                mpfr_up(a, |x, r| x.eint_round(r)),
            )
        } else {
            let mut hi = f64::NEG_INFINITY;
            for x in [a, b] {
                if x != 0.0 {
                    hi = hi.max(mpfr_up(x, |y, r| y.eint_round(r)));
                }
            }
            from_ends(f64::NEG_INFINITY, hi)
        }
    }
    fn from_f64(x: f64, _prec: u32) -> Self {
        from_ends(x, x)
    }
    /// Encloses: the 53-bit MPFR enclosure (directed rounding), whose ends are f64 values.
    fn cos_sin_two_pi_rational(p: i64, q: u64, _prec: u32) -> (Self, Self) {
        let (c, s) = super::MpfrInterval::cos_sin_two_pi_rational(p, q, 53);
        let ival = |x: &super::MpfrInterval| from_ends(x.lower_f64(), x.upper_f64());
        (ival(&c), ival(&s))
    }
}

/// An empty-domain result: inari's EMPTY would be dropped silently by later operations, so the
/// crate uses ENTIRE, which is sound and never certifies.
const ENTIRE_NAN: Ival = ENTIRE;

impl Enclosure for Ival {
    const BACKEND: &'static str = "inari";
    fn subset(&self, other: &Self) -> bool {
        self.is_finite() && other.is_finite() && self.0.subset(other.0)
    }
    fn mid_point(&self) -> Self {
        let m = if self.is_finite() { self.0.mid() } else { 0.0 };
        from_ends(m, m)
    }
    fn hull(&self, other: &Self) -> Self {
        Ival(self.0.convex_hull(other.0))
    }
    fn max(&self, other: &Self) -> Self {
        Ival(self.0.max(other.0))
    }
    fn min(&self, other: &Self) -> Self {
        Ival(self.0.min(other.0))
    }
    fn abs(&self) -> Self {
        Ival(self.0.abs())
    }

    fn lower_f64(&self) -> f64 {
        if self.0.is_empty() {
            f64::NAN
        } else {
            self.0.inf()
        }
    }
    fn upper_f64(&self) -> f64 {
        if self.0.is_empty() {
            f64::NAN
        } else {
            self.0.sup()
        }
    }
    fn is_finite(&self) -> bool {
        !self.0.is_empty() && self.0.inf().is_finite() && self.0.sup().is_finite()
    }
    fn contains_rational(&self, q: &Rational) -> bool {
        self.is_finite() && *q >= self.0.inf() && *q <= self.0.sup()
    }
    fn lower_exact(&self) -> Option<Rational> {
        if self.is_finite() {
            Rational::from_f64(self.0.inf())
        } else {
            None
        }
    }
    fn upper_exact(&self) -> Option<Rational> {
        if self.is_finite() {
            Rational::from_f64(self.0.sup())
        } else {
            None
        }
    }
    fn width_upper(&self) -> f64 {
        if self.is_finite() {
            self.0.wid()
        } else {
            f64::INFINITY
        }
    }
    fn mag_upper(&self) -> f64 {
        if self.is_finite() {
            self.0.mag()
        } else {
            f64::INFINITY
        }
    }
    fn to_decimal_bounds(&self, digits: usize) -> (String, String) {
        let lo = Float::with_val(53, self.lower_f64());
        let hi = Float::with_val(53, self.upper_f64());
        (
            lo.to_string_radix_round(10, Some(digits), Round::Down),
            hi.to_string_radix_round(10, Some(digits), Round::Up),
        )
    }
    fn intersect(&self, other: &Self) -> Option<Self> {
        let x = self.0.intersection(other.0);
        if x.is_empty() || !self.is_finite() || !other.is_finite() {
            None
        } else {
            Some(Ival(x))
        }
    }
    /// inari is already the coarse type: both conversions are the identity (a copy), so an
    /// integration with coarse parts on inari computes exactly what it computes without them.
    type Coarse = Ival;
    fn to_coarse(&self) -> Ival {
        *self
    }
    fn from_coarse(c: &Ival, _prec: u32) -> Self {
        *c
    }
}
