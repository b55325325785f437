//! The reduced flows as [`VectorField`]s for the validated integrator.

use super::field::{enclose_balanced_field, enclose_unbalanced_field};
use super::ncray::enclose_nc_ray_field;
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
