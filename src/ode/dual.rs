//! First-order forward-mode automatic differentiation: a value with its gradient with respect
//! to the n initial conditions. Used as the coefficient type of Taylor arithmetic, it gives
//! the Jacobians `d x_k / d x_0` of the Taylor coefficients (enclosures, for interval `T`).

use crate::arith::{Field, Real, Ring};
use rug::Rational;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// `value + sum_i grad_i dx_i`. An empty gradient means all zeros (constants).
#[derive(Clone, Debug, PartialEq)]
pub struct Dual<T> {
    /// The value.
    pub value: T,
    /// The gradient (empty for constants).
    pub grad: Vec<T>,
}

impl<T: Real> Dual<T> {
    /// The i-th of n independent variables, with value `value`.
    pub fn variable(value: T, i: usize, n: usize) -> Self {
        let p = value.prec();
        let grad = (0..n).map(|j| T::from_i64((i == j) as i64, p)).collect();
        Dual { value, grad }
    }

    fn constant(value: T) -> Self {
        Dual {
            value,
            grad: Vec::new(),
        }
    }

    /// `self` with gradient scaled by `d` (chain rule for a unary function with derivative d).
    fn chain(value: T, grad: &[T], d: &T) -> Self {
        Dual {
            value,
            grad: grad.iter().map(|g| g.clone() * d).collect(),
        }
    }

    /// Gradient component i (0 for constants).
    pub fn partial(&self, i: usize) -> T {
        self.grad
            .get(i)
            .cloned()
            .unwrap_or_else(|| T::from_i64(0, self.value.prec()))
    }
}

fn combine<T: Real>(
    a: &[T],
    b: &[T],
    f: impl Fn(&T, &T) -> T,
    one_sided: impl Fn(&T, bool) -> T,
) -> Vec<T> {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Vec::new(),
        (false, true) => a.iter().map(|x| one_sided(x, true)).collect(),
        (true, false) => b.iter().map(|y| one_sided(y, false)).collect(),
        (false, false) => a.iter().zip(b).map(|(x, y)| f(x, y)).collect(),
    }
}

impl<T: Real> num_traits::Zero for Dual<T> {
    fn zero() -> Self {
        Dual::constant(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.value.is_zero() && self.grad.iter().all(|g| g.is_zero())
    }
}

impl<T: Real> num_traits::One for Dual<T> {
    fn one() -> Self {
        Dual::constant(T::one())
    }
}

// The binary operations work in place on `self` (the assignments below); each computes the
// same enclosures, in the same order, as the value-and-gradient formulas written in its
// comment, which are those of `combine`: an empty gradient is a constant's, a one-sided
// gradient is copied, scaled or negated, never added to zeros.

impl<'a, T: Real> AddAssign<&'a Dual<T>> for Dual<T> {
    /// `value + rhs.value`; gradient `x + y` (one-sided: the varying side's gradient).
    fn add_assign(&mut self, rhs: &'a Dual<T>) {
        match (self.grad.is_empty(), rhs.grad.is_empty()) {
            (_, true) => {}
            (true, false) => self.grad = rhs.grad.clone(),
            (false, false) => {
                self.grad.truncate(rhs.grad.len());
                for (x, y) in self.grad.iter_mut().zip(&rhs.grad) {
                    *x += y;
                }
            }
        }
        self.value += &rhs.value;
    }
}

impl<'a, T: Real> SubAssign<&'a Dual<T>> for Dual<T> {
    /// `value - rhs.value`; gradient `x - y` (one-sided: `x`, or `-y`).
    fn sub_assign(&mut self, rhs: &'a Dual<T>) {
        match (self.grad.is_empty(), rhs.grad.is_empty()) {
            (_, true) => {}
            (true, false) => self.grad = rhs.grad.iter().map(|y| -y.clone()).collect(),
            (false, false) => {
                self.grad.truncate(rhs.grad.len());
                for (x, y) in self.grad.iter_mut().zip(&rhs.grad) {
                    *x -= y;
                }
            }
        }
        self.value -= &rhs.value;
    }
}

impl<'a, T: Real> MulAssign<&'a Dual<T>> for Dual<T> {
    /// `a b` with `a = self.value`, `b = rhs.value`; gradient `x b + y a` (one-sided: `x b`,
    /// or `y a`), every term with the old `a`.
    fn mul_assign(&mut self, rhs: &'a Dual<T>) {
        let (a, b) = (&self.value, &rhs.value);
        match (self.grad.is_empty(), rhs.grad.is_empty()) {
            (true, true) => {}
            (false, true) => {
                for x in self.grad.iter_mut() {
                    *x *= b;
                }
            }
            (true, false) => self.grad = rhs.grad.iter().map(|y| y.clone() * a).collect(),
            (false, false) => {
                self.grad.truncate(rhs.grad.len());
                for (x, y) in self.grad.iter_mut().zip(&rhs.grad) {
                    *x *= b;
                    x.add_product(y, a);
                }
            }
        }
        self.value *= &rhs.value;
    }
}

macro_rules! by_assign {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl<'a, T: Real> $tr<&'a Dual<T>> for Dual<T> {
            type Output = Dual<T>;
            fn $f(mut self, rhs: &'a Dual<T>) -> Dual<T> {
                $tra::$fa(&mut self, rhs);
                self
            }
        }
    )*};
}

by_assign! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
}

/// `out` resized to `n` entries (new entries cloned from `proto`; their values are then
/// overwritten by the caller).
fn fit<T: Clone>(out: &mut Vec<T>, n: usize, proto: &T) {
    if out.len() > n {
        out.truncate(n);
    } else if out.len() < n {
        out.resize(n, proto.clone());
    }
}

/// `out <- src` entry by entry, in `out`'s storage.
fn grad_assign<T: Real>(out: &mut Vec<T>, src: &[T]) {
    fit(out, src.len(), &src[0]);
    for (o, g) in out.iter_mut().zip(src) {
        T::assign(o, g);
    }
}

impl<'a, T: Real> Div<&'a Dual<T>> for Dual<T> {
    type Output = Dual<T>;
    fn div(self, rhs: &'a Dual<T>) -> Dual<T> {
        // (a/b)' = (a' - (a/b) b') / b
        let q = self.value.clone() / &rhs.value;
        let grad = combine(
            &self.grad,
            &rhs.grad,
            |x, y| (x.clone() - &(q.clone() * y)) / &rhs.value,
            |x, left| {
                if left {
                    x.clone() / &rhs.value
                } else {
                    -(q.clone() * x) / &rhs.value
                }
            },
        );
        Dual { value: q, grad }
    }
}

macro_rules! owned_forwarding {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl<T: Real> $tr<Dual<T>> for Dual<T> {
            type Output = Dual<T>;
            fn $f(self, rhs: Dual<T>) -> Dual<T> { $tr::$f(self, &rhs) }
        }
        impl<T: Real> $tra<Dual<T>> for Dual<T> {
            fn $fa(&mut self, rhs: Dual<T>) { $tra::$fa(self, &rhs); }
        }
    )*};
}

owned_forwarding! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
}

impl<T: Real> Div<Dual<T>> for Dual<T> {
    type Output = Dual<T>;
    fn div(self, rhs: Dual<T>) -> Dual<T> {
        self / &rhs
    }
}

impl<T: Real> Neg for Dual<T> {
    type Output = Dual<T>;
    fn neg(self) -> Dual<T> {
        Dual {
            value: -self.value,
            grad: self.grad.into_iter().map(|g| -g).collect(),
        }
    }
}

impl<T: Real> Ring for Dual<T> {
    /// The same enclosures as `*self += a.clone() * b`: the product's gradient terms (`x b +
    /// y a` as [`Ring::add_product_pair`], one-sided `x b` or `y a` as [`Ring::add_product`])
    /// added into `self`'s gradient in place (copied when `self` is a constant), then
    /// `value += a.value b.value`.
    fn add_product(&mut self, a: &Self, b: &Self) {
        let (av, bv) = (&a.value, &b.value);
        match (a.grad.is_empty(), b.grad.is_empty()) {
            (true, true) => {}
            _ if self.grad.is_empty() => {
                self.grad = combine(
                    &a.grad,
                    &b.grad,
                    |x, y| x.clone() * bv + &(y.clone() * av),
                    |x, left| if left { x.clone() * bv } else { x.clone() * av },
                );
            }
            (false, true) => {
                self.grad.truncate(a.grad.len());
                for (g, x) in self.grad.iter_mut().zip(&a.grad) {
                    g.add_product(x, bv);
                }
            }
            (true, false) => {
                self.grad.truncate(b.grad.len());
                for (g, y) in self.grad.iter_mut().zip(&b.grad) {
                    g.add_product(y, av);
                }
            }
            (false, false) => {
                let n = a.grad.len().min(b.grad.len());
                self.grad.truncate(n);
                for ((g, x), y) in self.grad.iter_mut().zip(&a.grad).zip(&b.grad) {
                    g.add_product_pair(x, bv, y, av);
                }
            }
        }
        self.value.add_product(av, bv);
    }
    /// Value and gradient entries copied into `out`'s storage.
    fn assign(out: &mut Self, src: &Self) {
        T::assign(&mut out.value, &src.value);
        fit(&mut out.grad, src.grad.len(), &src.value);
        for (o, g) in out.grad.iter_mut().zip(&src.grad) {
            T::assign(o, g);
        }
    }
    /// The same enclosures as `a.clone() + b`, into `out`'s storage.
    fn add_into(out: &mut Self, a: &Self, b: &Self) {
        T::add_into(&mut out.value, &a.value, &b.value);
        match (a.grad.is_empty(), b.grad.is_empty()) {
            (true, true) => out.grad.clear(),
            (false, true) => grad_assign(&mut out.grad, &a.grad),
            (true, false) => grad_assign(&mut out.grad, &b.grad),
            (false, false) => {
                fit(&mut out.grad, a.grad.len().min(b.grad.len()), &a.value);
                for ((o, x), y) in out.grad.iter_mut().zip(&a.grad).zip(&b.grad) {
                    T::add_into(o, x, y);
                }
            }
        }
    }
    /// The same enclosures as `a.clone() - b`, into `out`'s storage.
    fn sub_into(out: &mut Self, a: &Self, b: &Self) {
        T::sub_into(&mut out.value, &a.value, &b.value);
        match (a.grad.is_empty(), b.grad.is_empty()) {
            (true, true) => out.grad.clear(),
            (false, true) => grad_assign(&mut out.grad, &a.grad),
            (true, false) => {
                fit(&mut out.grad, b.grad.len(), &b.value);
                for (o, y) in out.grad.iter_mut().zip(&b.grad) {
                    T::neg_into(o, y);
                }
            }
            (false, false) => {
                fit(&mut out.grad, a.grad.len().min(b.grad.len()), &a.value);
                for ((o, x), y) in out.grad.iter_mut().zip(&a.grad).zip(&b.grad) {
                    T::sub_into(o, x, y);
                }
            }
        }
    }
    /// The same enclosures as `a.clone() * b` (gradient `x b + y a`, one-sided `x b` or
    /// `y a`), into `out`'s storage.
    fn mul_into(out: &mut Self, a: &Self, b: &Self) {
        let (av, bv) = (&a.value, &b.value);
        match (a.grad.is_empty(), b.grad.is_empty()) {
            (true, true) => out.grad.clear(),
            (false, true) => {
                fit(&mut out.grad, a.grad.len(), av);
                for (o, x) in out.grad.iter_mut().zip(&a.grad) {
                    T::mul_into(o, x, bv);
                }
            }
            (true, false) => {
                fit(&mut out.grad, b.grad.len(), av);
                for (o, y) in out.grad.iter_mut().zip(&b.grad) {
                    T::mul_into(o, y, av);
                }
            }
            (false, false) => {
                fit(&mut out.grad, a.grad.len().min(b.grad.len()), av);
                for ((o, x), y) in out.grad.iter_mut().zip(&a.grad).zip(&b.grad) {
                    T::mul_into(o, x, bv);
                    o.add_product(y, av);
                }
            }
        }
        T::mul_into(&mut out.value, av, bv);
    }
    fn prec(&self) -> u32 {
        self.value.prec()
    }
    fn from_i64(n: i64, prec: u32) -> Self {
        Dual::constant(T::from_i64(n, prec))
    }
    fn mul_pow2(&self, k: i32) -> Self {
        Dual {
            value: self.value.mul_pow2(k),
            grad: self.grad.iter().map(|g| g.mul_pow2(k)).collect(),
        }
    }
    fn approx_f64(&self) -> f64 {
        self.value.approx_f64()
    }
}

impl<T: Real> Field for Dual<T> {
    fn from_rational(q: &Rational, prec: u32) -> Self {
        Dual::constant(T::from_rational(q, prec))
    }
    fn recip(&self) -> Self {
        Dual::from_i64(1, self.prec()) / self
    }
}

impl<T: Real> Real for Dual<T> {
    fn exp(&self) -> Self {
        let v = self.value.exp();
        Dual::chain(v.clone(), &self.grad, &v)
    }
    fn exp_m1(&self) -> Self {
        let d = self.value.exp();
        Dual::chain(self.value.exp_m1(), &self.grad, &d)
    }
    fn ln(&self) -> Self {
        let d = self.value.recip();
        Dual::chain(self.value.ln(), &self.grad, &d)
    }
    fn ln_1p(&self) -> Self {
        let d = (T::one() + &self.value).recip();
        Dual::chain(self.value.ln_1p(), &self.grad, &d)
    }
    fn sqrt(&self) -> Self {
        let v = self.value.sqrt();
        let d = v.mul_pow2(1).recip();
        Dual::chain(v, &self.grad, &d)
    }
    fn ei(&self) -> Self {
        let d = self.value.exp() / &self.value;
        Dual::chain(self.value.ei(), &self.grad, &d)
    }
    fn from_f64(x: f64, prec: u32) -> Self {
        Dual::constant(T::from_f64(x, prec))
    }
    fn cos_sin_two_pi_rational(p: i64, q: u64, prec: u32) -> (Self, Self) {
        let (c, s) = T::cos_sin_two_pi_rational(p, q, prec);
        (Dual::constant(c), Dual::constant(s))
    }
}

/// [`Dual`] with a gradient of fixed length `N` held inline (no allocation per operation):
/// the region prover's gradients over the K - 1 box variables (`N = 3` at K = 4, `N = 7` at
/// K = 8). Every operation computes exactly what the same operation on [`Dual`] computes (the
/// same interval operations in the same order, constants without a gradient included), so the
/// enclosures are identical; `tests/it/region.rs` checks that on random boxes.
#[derive(Clone, Debug, PartialEq)]
pub struct DualN<T, const N: usize> {
    /// The value.
    pub value: T,
    /// The gradient; meaningful only when `varies` (a constant's gradient is all zeros and is
    /// never read, as [`Dual`]'s empty gradient).
    pub grad: [T; N],
    /// False for constants (the empty gradient of [`Dual`]).
    pub varies: bool,
}

impl<T: Real, const N: usize> DualN<T, N> {
    /// The i-th of the N independent variables, with value `value`.
    pub fn variable(value: T, i: usize) -> Self {
        let p = value.prec();
        let (zero, one) = (T::from_i64(0, p), T::from_i64(1, p));
        let grad = std::array::from_fn(|j| if i == j { one.clone() } else { zero.clone() });
        DualN {
            value,
            grad,
            varies: true,
        }
    }

    fn constant(value: T) -> Self {
        DualN {
            value,
            grad: std::array::from_fn(|_| T::zero()),
            varies: false,
        }
    }

    fn chain(value: T, grad: &[T; N], varies: bool, d: &T) -> Self {
        if !varies {
            return Self::constant(value);
        }
        DualN {
            value,
            grad: std::array::from_fn(|i| grad[i].clone() * d),
            varies: true,
        }
    }

    /// Gradient component i (0 for constants).
    pub fn partial(&self, i: usize) -> T {
        if self.varies {
            self.grad[i].clone()
        } else {
            T::from_i64(0, self.value.prec())
        }
    }

    /// `(a, b)` combined as [`Dual`]'s `combine`: `f` when both vary, `one_sided(x, left)` when
    /// only one does.
    fn combine(
        a: &Self,
        b: &Self,
        f: impl Fn(&T, &T) -> T,
        one_sided: impl Fn(&T, bool) -> T,
    ) -> ([T; N], bool) {
        match (a.varies, b.varies) {
            (false, false) => (std::array::from_fn(|_| T::zero()), false),
            (true, false) => (std::array::from_fn(|i| one_sided(&a.grad[i], true)), true),
            (false, true) => (std::array::from_fn(|i| one_sided(&b.grad[i], false)), true),
            (true, true) => (std::array::from_fn(|i| f(&a.grad[i], &b.grad[i])), true),
        }
    }
}

impl<T: Real, const N: usize> num_traits::Zero for DualN<T, N> {
    fn zero() -> Self {
        DualN::constant(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.value.is_zero() && (!self.varies || self.grad.iter().all(|g| g.is_zero()))
    }
}

impl<T: Real, const N: usize> num_traits::One for DualN<T, N> {
    fn one() -> Self {
        DualN::constant(T::one())
    }
}

impl<'a, T: Real, const N: usize> Add<&'a DualN<T, N>> for DualN<T, N> {
    type Output = DualN<T, N>;
    fn add(self, rhs: &'a DualN<T, N>) -> DualN<T, N> {
        let (grad, varies) = Self::combine(&self, rhs, |x, y| x.clone() + y, |x, _| x.clone());
        DualN {
            value: self.value + &rhs.value,
            grad,
            varies,
        }
    }
}

impl<'a, T: Real, const N: usize> Sub<&'a DualN<T, N>> for DualN<T, N> {
    type Output = DualN<T, N>;
    fn sub(self, rhs: &'a DualN<T, N>) -> DualN<T, N> {
        let (grad, varies) = Self::combine(
            &self,
            rhs,
            |x, y| x.clone() - y,
            |x, left| if left { x.clone() } else { -x.clone() },
        );
        DualN {
            value: self.value - &rhs.value,
            grad,
            varies,
        }
    }
}

impl<'a, T: Real, const N: usize> Mul<&'a DualN<T, N>> for DualN<T, N> {
    type Output = DualN<T, N>;
    fn mul(self, rhs: &'a DualN<T, N>) -> DualN<T, N> {
        let (a, b) = (&self.value, &rhs.value);
        let (grad, varies) = Self::combine(
            &self,
            rhs,
            |x, y| x.clone() * b + &(y.clone() * a),
            |x, left| if left { x.clone() * b } else { x.clone() * a },
        );
        DualN {
            value: self.value.clone() * &rhs.value,
            grad,
            varies,
        }
    }
}

impl<'a, T: Real, const N: usize> Div<&'a DualN<T, N>> for DualN<T, N> {
    type Output = DualN<T, N>;
    fn div(self, rhs: &'a DualN<T, N>) -> DualN<T, N> {
        let q = self.value.clone() / &rhs.value;
        let (grad, varies) = Self::combine(
            &self,
            rhs,
            |x, y| (x.clone() - &(q.clone() * y)) / &rhs.value,
            |x, left| {
                if left {
                    x.clone() / &rhs.value
                } else {
                    -(q.clone() * x) / &rhs.value
                }
            },
        );
        DualN {
            value: q,
            grad,
            varies,
        }
    }
}

macro_rules! owned_forwarding_n {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl<T: Real, const N: usize> $tr<DualN<T, N>> for DualN<T, N> {
            type Output = DualN<T, N>;
            fn $f(self, rhs: DualN<T, N>) -> DualN<T, N> { $tr::$f(self, &rhs) }
        }
        impl<T: Real, const N: usize> $tra<DualN<T, N>> for DualN<T, N> {
            fn $fa(&mut self, rhs: DualN<T, N>) { *self = $tr::$f(self.clone(), &rhs); }
        }
        impl<'a, T: Real, const N: usize> $tra<&'a DualN<T, N>> for DualN<T, N> {
            fn $fa(&mut self, rhs: &'a DualN<T, N>) { *self = $tr::$f(self.clone(), rhs); }
        }
    )*};
}

owned_forwarding_n! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
}

impl<T: Real, const N: usize> Div<DualN<T, N>> for DualN<T, N> {
    type Output = DualN<T, N>;
    fn div(self, rhs: DualN<T, N>) -> DualN<T, N> {
        self / &rhs
    }
}

impl<T: Real, const N: usize> Neg for DualN<T, N> {
    type Output = DualN<T, N>;
    fn neg(self) -> DualN<T, N> {
        let varies = self.varies;
        DualN {
            value: -self.value,
            grad: self.grad.map(|g| -g),
            varies,
        }
    }
}

impl<T: Real, const N: usize> Ring for DualN<T, N> {
    fn prec(&self) -> u32 {
        self.value.prec()
    }
    fn from_i64(n: i64, prec: u32) -> Self {
        DualN::constant(T::from_i64(n, prec))
    }
    fn mul_pow2(&self, k: i32) -> Self {
        DualN {
            value: self.value.mul_pow2(k),
            grad: std::array::from_fn(|i| self.grad[i].mul_pow2(k)),
            varies: self.varies,
        }
    }
    fn approx_f64(&self) -> f64 {
        self.value.approx_f64()
    }
}

impl<T: Real, const N: usize> Field for DualN<T, N> {
    fn from_rational(q: &Rational, prec: u32) -> Self {
        DualN::constant(T::from_rational(q, prec))
    }
    fn recip(&self) -> Self {
        DualN::from_i64(1, self.prec()) / self
    }
}

impl<T: Real, const N: usize> Real for DualN<T, N> {
    fn exp(&self) -> Self {
        let v = self.value.exp();
        DualN::chain(v.clone(), &self.grad, self.varies, &v)
    }
    fn exp_m1(&self) -> Self {
        let d = self.value.exp();
        DualN::chain(self.value.exp_m1(), &self.grad, self.varies, &d)
    }
    fn ln(&self) -> Self {
        let d = self.value.recip();
        DualN::chain(self.value.ln(), &self.grad, self.varies, &d)
    }
    fn ln_1p(&self) -> Self {
        let d = (T::one() + &self.value).recip();
        DualN::chain(self.value.ln_1p(), &self.grad, self.varies, &d)
    }
    fn sqrt(&self) -> Self {
        let v = self.value.sqrt();
        let d = v.mul_pow2(1).recip();
        DualN::chain(v, &self.grad, self.varies, &d)
    }
    fn ei(&self) -> Self {
        let d = self.value.exp() / &self.value;
        DualN::chain(self.value.ei(), &self.grad, self.varies, &d)
    }
    fn from_f64(x: f64, prec: u32) -> Self {
        DualN::constant(T::from_f64(x, prec))
    }
}
