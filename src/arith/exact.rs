//! Exact rational arithmetic (`rug::Rational`) for structure checks: no rounding at all, and no
//! transcendental functions.
//!
//! A rational has no infinity, so a division by zero cannot give a number: it gives the
//! *undefined* value (like NaN, it propagates through every operation and equals nothing,
//! itself included), and [`Exact::value`] / [`Exact::checked`] report it as an error. Nothing
//! panics and nothing silently becomes 0.

use super::{Field, Ring};
use rug::Rational;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// An exact rational number, or *undefined* (the result of a division by zero).
#[derive(Clone, Debug, Default)]
pub struct Exact(Option<Rational>);

/// A division by zero happened somewhere in an exact computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("exact arithmetic: division by zero")]
pub struct DivisionByZero;

impl Exact {
    /// The exact rational `q`.
    pub fn new(q: Rational) -> Self {
        Exact(Some(q))
    }
    /// The value, or `None` if a division by zero produced it.
    pub fn value(&self) -> Option<&Rational> {
        self.0.as_ref()
    }
    /// The value, or the error of a division by zero.
    pub fn checked(self) -> Result<Rational, DivisionByZero> {
        self.0.ok_or(DivisionByZero)
    }
    fn lift2(
        a: Option<Rational>,
        b: Option<&Rational>,
        f: impl FnOnce(Rational, &Rational) -> Rational,
    ) -> Exact {
        match (a, b) {
            (Some(a), Some(b)) => Exact(Some(f(a, b))),
            _ => Exact(None),
        }
    }
}

impl PartialEq for Exact {
    /// Equal values; *undefined* equals nothing (like NaN).
    fn eq(&self, other: &Self) -> bool {
        matches!((&self.0, &other.0), (Some(a), Some(b)) if a == b)
    }
}

impl num_traits::Zero for Exact {
    fn zero() -> Self {
        Exact::new(Rational::new())
    }
    fn is_zero(&self) -> bool {
        self.0.as_ref().is_some_and(|q| q.is_zero())
    }
}

impl num_traits::One for Exact {
    fn one() -> Self {
        Exact::new(Rational::from(1))
    }
}

macro_rules! exact_ops {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl $tr<Exact> for Exact {
            type Output = Exact;
            fn $f(self, rhs: Exact) -> Exact { Exact::lift2(self.0, rhs.0.as_ref(), |a, b| $tr::$f(a, b)) }
        }
        impl<'a> $tr<&'a Exact> for Exact {
            type Output = Exact;
            fn $f(self, rhs: &'a Exact) -> Exact { Exact::lift2(self.0, rhs.0.as_ref(), |a, b| $tr::$f(a, b)) }
        }
        impl $tra<Exact> for Exact {
            fn $fa(&mut self, rhs: Exact) { *self = $tr::$f(std::mem::take(self), rhs); }
        }
        impl<'a> $tra<&'a Exact> for Exact {
            fn $fa(&mut self, rhs: &'a Exact) { *self = $tr::$f(std::mem::take(self), rhs); }
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
    /// Exact division; a zero divisor gives *undefined*.
    fn div(self, rhs: Exact) -> Exact {
        self / &rhs
    }
}

impl<'a> Div<&'a Exact> for Exact {
    type Output = Exact;
    fn div(self, rhs: &'a Exact) -> Exact {
        match rhs.0.as_ref() {
            Some(d) if !d.is_zero() => Exact::lift2(self.0, Some(d), |a, b| a / b),
            _ => Exact(None),
        }
    }
}

impl Neg for Exact {
    type Output = Exact;
    fn neg(self) -> Exact {
        Exact(self.0.map(|q| -q))
    }
}

impl Ring for Exact {
    fn prec(&self) -> u32 {
        u32::MAX
    }
    fn from_i64(n: i64, _prec: u32) -> Self {
        Exact::new(Rational::from(n))
    }
    fn mul_pow2(&self, k: i32) -> Self {
        Exact(self.0.as_ref().map(|q| {
            let mut q = q.clone();
            if k >= 0 {
                q <<= k as u32;
            } else {
                q >>= k.unsigned_abs();
            }
            q
        }))
    }
    fn approx_f64(&self) -> f64 {
        self.0.as_ref().map_or(f64::NAN, |q| q.to_f64())
    }
}

impl Field for Exact {
    fn from_rational(q: &Rational, _prec: u32) -> Self {
        Exact::new(q.clone())
    }
    /// Exact reciprocal; the reciprocal of 0 is *undefined* ([`Exact::checked`] reports it).
    ///
    /// ```
    /// use hadacert::arith::{Exact, Field};
    /// use rug::Rational;
    /// assert_eq!(Exact::new(Rational::from(4)).recip().checked(), Ok(Rational::from((1, 4))));
    /// assert!(Exact::new(Rational::new()).recip().checked().is_err());
    /// ```
    fn recip(&self) -> Self {
        <Exact as num_traits::One>::one() / self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::{One, Zero};

    #[test]
    fn division_by_zero_is_undefined_and_propagates() {
        let x = Exact::new(Rational::from((3, 2)));
        let undefined = x.clone() / Exact::zero();
        assert_eq!(undefined.clone().checked(), Err(DivisionByZero));
        assert_ne!(undefined, undefined.clone());
        assert!((undefined.clone() + &x).value().is_none());
        assert!((x.clone() * &undefined).value().is_none());
        assert!((-undefined.mul_pow2(3)).value().is_none());
        assert_eq!(
            (x.clone() / Exact::one()).checked(),
            Ok(Rational::from((3, 2)))
        );
        assert_eq!(Exact::zero().recip().checked(), Err(DivisionByZero));
    }
}
