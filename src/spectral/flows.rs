//! The reduced flows as [`VectorField`]s for the validated integrator.

use super::field::{
    enclose_balanced_field, enclose_balanced_field_on, enclose_unbalanced_field,
    enclose_unbalanced_field_on,
};
use super::ncray::enclose_nc_ray_field;
use super::transform::SpectralTransform;
use crate::arith::Real;
use crate::ode::VectorField;

/// Balanced flow `lambda' = (2/K) lambda (1 - s(lambda))`, state `lambda` (length K = 2^n).
pub struct BalancedFlow(pub usize);

impl VectorField for BalancedFlow {
    fn dim(&self) -> usize {
        self.0
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        enclose_balanced_field(x)
    }
}

/// Unbalanced flow, state `(a_0..a_{K-1}, b_0..b_{K-1})`.
pub struct UnbalancedFlow(pub usize);

impl VectorField for UnbalancedFlow {
    fn dim(&self) -> usize {
        2 * self.0
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        let (a, b) = x.split_at(self.0);
        let (da, db) = enclose_unbalanced_field(a, b);
        da.into_iter().chain(db).collect()
    }
}

/// The NC ray `l' = 2 l / (exp(l) + K - 1)`, state `l` (one dimension).
pub struct NcRayFlow(pub usize);

impl VectorField for NcRayFlow {
    fn dim(&self) -> usize {
        1
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        vec![enclose_nc_ray_field(&x[0], self.0)]
    }
}

/// The balanced flow on a finite abelian group (docs/math.md section 12.4), state `lambda`
/// (length K = |G|, paired); for `Z_2^n` the same numbers as [`BalancedFlow`].
pub struct GroupBalancedFlow(pub SpectralTransform);

impl VectorField for GroupBalancedFlow {
    fn dim(&self) -> usize {
        self.0.order()
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        enclose_balanced_field_on(&self.0, x)
    }
}

/// The unbalanced flow on a finite abelian group, state `(a, b)` (each paired).
pub struct GroupUnbalancedFlow(pub SpectralTransform);

impl VectorField for GroupUnbalancedFlow {
    fn dim(&self) -> usize {
        2 * self.0.order()
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        let (a, b) = x.split_at(self.0.order());
        let (da, db) = enclose_unbalanced_field_on(&self.0, a, b);
        da.into_iter().chain(db).collect()
    }
}
