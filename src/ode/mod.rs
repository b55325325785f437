//! Validated integration of autonomous ODEs `x' = F(x)` (the interval Taylor-series method).
//!
//! * [`tape`] records a generic vector field once as elementary operations;
//! * [`taylor`] computes Taylor coefficients of the solution over that tape (automatic
//!   differentiation with the classical recurrences for +, -, *, /, exp, ln, sqrt; the
//!   Walsh-Hadamard transform is a sequence of + and -);
//! * [`dual`] adds Jacobians with respect to the initial condition;
//! * [`lohner`] is the validated step: a-priori enclosure by Picard iteration with inflation,
//!   Lagrange remainder of order p over it, Lohner's QR set representation against the
//!   wrapping effect, and automatic order and step size.
//!
//! Architecture invariant: generic over the numeric traits, no I/O. A step that cannot be
//! validated is retried with a smaller step; below a floor the integrator stops with an error
//! that carries the time, the step and the last enclosure. It never returns a non-enclosure.

pub mod dual;
pub mod lohner;
pub mod tape;
pub mod taylor;

use crate::arith::Real;

/// An autonomous vector field `F: R^n -> R^n`, written once for every scalar type.
pub trait VectorField: Sync {
    /// The dimension n.
    fn dim(&self) -> usize;
    /// `F(x)`: an enclosure for interval types, an approximation for f64, a recording for
    /// [`tape::Rec`], a Taylor/dual evaluation inside the integrator.
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S>;
}

/// Test problems with known solutions and the reference problems of the validated-ODE field.
pub mod problems {
    use super::VectorField;
    use crate::arith::Real;

    /// `x' = x` (solution `x0 e^t`).
    pub struct Exponential;
    impl VectorField for Exponential {
        fn dim(&self) -> usize {
            1
        }
        fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
            vec![x[0].clone()]
        }
    }

    /// `x' = -x^2` (solution `x0 / (1 + x0 t)`).
    pub struct Quadratic;
    impl VectorField for Quadratic {
        fn dim(&self) -> usize {
            1
        }
        fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
            vec![-(x[0].clone() * &x[0])]
        }
    }

    /// The Lorenz system with sigma = 10, rho = 28, beta = 8/3.
    pub struct Lorenz;
    impl VectorField for Lorenz {
        fn dim(&self) -> usize {
            3
        }
        fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
            let p = x[0].prec();
            let sigma = S::from_i64(10, p);
            let rho = S::from_i64(28, p);
            let beta = S::from_rational(&rug::Rational::from((8, 3)), p);
            vec![
                sigma * (x[1].clone() - &x[0]),
                x[0].clone() * (rho - &x[2]) - &x[1],
                x[0].clone() * &x[1] - &(beta * &x[2]),
            ]
        }
    }

    /// One-layer cross-entropy flow `z' = e_0 - softmax(z)` in n dimensions.
    pub struct CrossEntropyFlow(pub usize);
    impl VectorField for CrossEntropyFlow {
        fn dim(&self) -> usize {
            self.0
        }
        fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
            let p = crate::model::softmax::enclose_softmax(x);
            p.into_iter()
                .enumerate()
                .map(|(i, pi)| if i == 0 { S::one() - &pi } else { -pi })
                .collect()
        }
    }
}
