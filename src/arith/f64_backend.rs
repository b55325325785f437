//! The f64 backend: round-to-nearest, for search and speed. It implements [`Real`] but not
//! [`super::Enclosure`], so the type system keeps it out of every verdict.

use super::{Field, Real, Ring};
use rug::{Float, Rational};

impl Ring for f64 {
    fn prec(&self) -> u32 {
        53
    }
    fn from_i64(n: i64, _prec: u32) -> Self {
        n as f64
    }
    fn mul_pow2(&self, k: i32) -> Self {
        self * 2f64.powi(k)
    }
    fn approx_f64(&self) -> f64 {
        *self
    }
}

impl Field for f64 {
    /// Rounds to nearest (through a 53-bit MPFR rounding): an approximation, not an enclosure.
    fn from_rational(q: &Rational, _prec: u32) -> Self {
        Float::with_val(53, q).to_f64()
    }
    fn recip(&self) -> Self {
        1.0 / self
    }
}

impl Real for f64 {
    fn exp(&self) -> Self {
        f64::exp(*self)
    }
    fn exp_m1(&self) -> Self {
        f64::exp_m1(*self)
    }
    fn ln(&self) -> Self {
        f64::ln(*self)
    }
    fn ln_1p(&self) -> Self {
        f64::ln_1p(*self)
    }
    fn sqrt(&self) -> Self {
        f64::sqrt(*self)
    }
    fn ei(&self) -> Self {
        Float::with_val(53, *self).eint().to_f64()
    }
    fn from_f64(x: f64, _prec: u32) -> Self {
        x
    }
    /// Approximates (round to nearest; never certifies): `p / q` reduced mod 1 exactly first.
    fn cos_sin_two_pi_rational(p: i64, q: u64, _prec: u32) -> (Self, Self) {
        if q == 0 {
            return (f64::NAN, f64::NAN);
        }
        let r = Rational::from((p, q));
        let r = Rational::from(&r - r.clone().floor());
        let t = std::f64::consts::TAU * r.to_f64();
        (t.cos(), t.sin())
    }
}
