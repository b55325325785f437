//! Exact rational arithmetic (`rug::Rational`) for structure checks: no rounding at all, and no
//! transcendental functions.

use super::{Field, Ring};
use rug::Rational;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// An exact rational number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Exact(pub Rational);

impl num_traits::Zero for Exact {
    fn zero() -> Self {
        Exact(Rational::new())
    }
    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl num_traits::One for Exact {
    fn one() -> Self {
        Exact(Rational::from(1))
    }
}

macro_rules! exact_ops {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl $tr<Exact> for Exact {
            type Output = Exact;
            fn $f(self, rhs: Exact) -> Exact { Exact($tr::$f(self.0, rhs.0)) }
        }
        impl<'a> $tr<&'a Exact> for Exact {
            type Output = Exact;
            fn $f(self, rhs: &'a Exact) -> Exact { Exact($tr::$f(self.0, &rhs.0)) }
        }
        impl $tra<Exact> for Exact {
            fn $fa(&mut self, rhs: Exact) { $tra::$fa(&mut self.0, rhs.0); }
        }
        impl<'a> $tra<&'a Exact> for Exact {
            fn $fa(&mut self, rhs: &'a Exact) { $tra::$fa(&mut self.0, &rhs.0); }
        }
    )*};
}

exact_ops! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
}

impl Div<Exact> for Exact {
    type Output = Exact;
    /// Exact division; dividing by zero panics in rug, so callers check (structure checks only
    /// divide by powers of two).
    fn div(self, rhs: Exact) -> Exact {
        Exact(self.0 / rhs.0)
    }
}

impl<'a> Div<&'a Exact> for Exact {
    type Output = Exact;
    fn div(self, rhs: &'a Exact) -> Exact {
        Exact(self.0 / &rhs.0)
    }
}

impl Neg for Exact {
    type Output = Exact;
    fn neg(self) -> Exact {
        Exact(-self.0)
    }
}

impl Ring for Exact {
    fn prec(&self) -> u32 {
        u32::MAX
    }
    fn from_i64(n: i64, _prec: u32) -> Self {
        Exact(Rational::from(n))
    }
    fn mul_pow2(&self, k: i32) -> Self {
        let mut q = self.0.clone();
        if k >= 0 {
            q <<= k as u32;
        } else {
            q >>= k.unsigned_abs();
        }
        Exact(q)
    }
    fn approx_f64(&self) -> f64 {
        self.0.to_f64()
    }
}

impl Field for Exact {
    fn from_rational(q: &Rational, _prec: u32) -> Self {
        Exact(q.clone())
    }
    /// Exact reciprocal; the reciprocal of 0 is reported as 0 (callers never divide by zero).
    fn recip(&self) -> Self {
        if self.0.is_zero() {
            Exact(Rational::new())
        } else {
            Exact(self.0.clone().recip())
        }
    }
}
