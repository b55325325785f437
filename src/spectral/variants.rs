//! The reduced flows with parameters (docs/math.md section 13): weight decay `beta`, label
//! smoothing `eps` and a temperature `tau` on the logits. Built on
//! [`enclose_spectral_softmax`], generic over [`Real`] (so one path for every backend, the
//! tape recorder and the Taylor/dual arithmetic of the integrator).
//!
//! With `y_0 = 1`, `y_m = 1 - eps` (m != 0), `s^tau = Had softmax(f / tau)`:
//!
//! * unbalanced: `a_m' = (1/(K tau)) (y_m - s^tau_m) b_m - beta a_m`, `b_m'` likewise;
//! * balanced: `lambda_m' = (2/(K tau)) lambda_m (y_m - s^tau_m) - 2 beta lambda_m`;
//! * NC ray (`lambda_0 = 0`, `lambda_m = l`): `l' = 2 l (K / (e^{l/tau} + K - 1) - eps) /
//!   (K tau) - 2 beta l`.
//!
//! With the default parameters (`beta = 0`, `eps = 0`, `tau = 1`) every function here calls the
//! built-in field of [`super::field`] / [`super::ncray`] itself, so the enclosures are identical.

use super::field::{enclose_balanced_field, enclose_spectral_softmax, enclose_unbalanced_field};
use super::ncray::enclose_nc_ray_field;
use crate::arith::{working_prec, Real};
use crate::model::logits::div_by_order;
use crate::ode::VectorField;
use rug::Rational;

/// The parameters of a flow, exact. `Default` is the built-in flow.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowParams {
    /// Weight decay `beta >= 0`: `W' = -grad_W L - beta W`, `H' = -grad_H L - beta H`.
    pub weight_decay: Rational,
    /// Label smoothing `0 <= eps < 1`: the target of sample k is `(1 - eps) e_k + (eps/K) 1`.
    pub label_smoothing: Rational,
    /// Temperature `tau > 0`: the loss is the cross-entropy of `softmax(Z / tau)`.
    pub temperature: Rational,
}

impl Default for FlowParams {
    fn default() -> Self {
        FlowParams {
            weight_decay: Rational::new(),
            label_smoothing: Rational::new(),
            temperature: Rational::from(1),
        }
    }
}

/// Largest accepted weight decay and temperature (and smallest temperature is its inverse):
/// keeps the constants of the field in a range the integrator's step control handles.
pub const MAX_FLOW_PARAMETER: u32 = 1000;

impl FlowParams {
    /// The built-in flow (no parameter set).
    pub fn is_plain(&self) -> bool {
        *self == FlowParams::default()
    }

    /// Check the ranges: `0 <= beta <= 1000`, `0 <= eps < 1`, `1/1000 <= tau <= 1000`. The error
    /// names the field and the range.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let max = Rational::from(MAX_FLOW_PARAMETER);
        if self.weight_decay < 0 || self.weight_decay > max {
            return Err((
                "weight_decay",
                format!(
                    "= {}: must be in [0, {MAX_FLOW_PARAMETER}] (W' = -grad L - beta W)",
                    self.weight_decay
                ),
            ));
        }
        if self.label_smoothing < 0 || self.label_smoothing >= 1 {
            return Err((
                "label_smoothing",
                format!(
                    "= {}: must be in [0, 1) (target (1 - eps) e_k + eps/K)",
                    self.label_smoothing
                ),
            ));
        }
        if self.temperature < Rational::from((1, MAX_FLOW_PARAMETER)) || self.temperature > max {
            return Err((
                "temperature",
                format!(
                    "= {}: must be in [1/{MAX_FLOW_PARAMETER}, {MAX_FLOW_PARAMETER}] (softmax(Z / tau))",
                    self.temperature
                ),
            ));
        }
        Ok(())
    }

    /// The parameters as a phrase for certificates: `weight decay beta = 1/100, label smoothing
    /// eps = 0, temperature tau = 1` (only the set ones; empty when plain).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.weight_decay != 0 {
            parts.push(format!("weight decay beta = {}", self.weight_decay));
        }
        if self.label_smoothing != 0 {
            parts.push(format!("label smoothing eps = {}", self.label_smoothing));
        }
        if self.temperature != 1 {
            parts.push(format!("temperature tau = {}", self.temperature));
        }
        parts.join(", ")
    }

    /// The pieces of the formulas: the coefficient `(2/K)` (`tau` substituted), the target
    /// `1` or `y_m`, the argument suffix of `s` and the definition of `y`.
    fn pieces(&self, two: bool) -> (String, &'static str, String, String) {
        let num = if two { "2" } else { "1" };
        let coef = if self.temperature == 1 {
            format!("({num}/K)")
        } else {
            format!("({num}/(K * {}))", self.temperature)
        };
        let (y, ywhere) = if self.label_smoothing == 0 {
            ("1", String::new())
        } else {
            (
                "y_m",
                format!(", y_0 = 1, y_m = 1 - {} for m != 0", self.label_smoothing),
            )
        };
        let tau = if self.temperature == 1 {
            String::new()
        } else {
            format!(" / {}", self.temperature)
        };
        (coef, y, tau, ywhere)
    }

    /// The balanced field as a formula with the parameters substituted (the built-in text
    /// when plain).
    pub fn balanced_formula(&self) -> String {
        if self.is_plain() {
            return "lambda' = (2/K) lambda (1 - s)".into();
        }
        let (coef, y, tau, ywhere) = self.pieces(true);
        let decay = if self.weight_decay == 0 {
            String::new()
        } else {
            format!(" - 2 ({}) lambda_m", self.weight_decay)
        };
        format!("lambda_m' = {coef} lambda_m ({y} - s_m(lambda{tau})){decay}{ywhere}")
    }

    /// The unbalanced field as a formula with the parameters substituted (the built-in text
    /// when plain).
    pub fn unbalanced_formula(&self) -> String {
        if self.is_plain() {
            return "a' = (1/K)(1 - s) b, b' = (1/K)(1 - s) a".into();
        }
        let (coef, y, tau, ywhere) = self.pieces(false);
        let (da, db) = if self.weight_decay == 0 {
            (String::new(), String::new())
        } else {
            (
                format!(" - ({}) a_m", self.weight_decay),
                format!(" - ({}) b_m", self.weight_decay),
            )
        };
        format!(
            "a_m' = {coef} ({y} - s_m(a * b{tau})) b_m{da}, \
             b_m' = {coef} ({y} - s_m(a * b{tau})) a_m{db}{ywhere}"
        )
    }
}

/// The common rate `rho_m = (y_m - s^tau_m) / (K tau)` of the reduced fields, m = 0..K-1
/// (`lambda` the product spectrum). `y_0 - s_0` is computed like any entry (an enclosure
/// containing 0), as in the built-in fields.
fn rates<T: Real>(lambda: &[T], params: &FlowParams) -> Vec<T> {
    let k = lambda.len();
    let p = working_prec(lambda);
    let tempered: Vec<T> = if params.temperature == 1 {
        lambda.to_vec()
    } else {
        let inv = T::from_rational(&Rational::from(params.temperature.recip_ref()), p);
        lambda.iter().map(|l| l.clone() * &inv).collect()
    };
    let sp = enclose_spectral_softmax(&tempered);
    let one = T::one();
    let smoothed = T::one() - &T::from_rational(&params.label_smoothing, p);
    let inv_tau = (params.temperature != 1)
        .then(|| T::from_rational(&Rational::from(params.temperature.recip_ref()), p));
    sp.s.iter()
        .enumerate()
        .map(|(m, s)| {
            let y = if m == 0 || params.label_smoothing == 0 {
                &one
            } else {
                &smoothed
            };
            let r = div_by_order(y.clone() - s, k);
            match &inv_tau {
                Some(i) => r * i,
                None => r,
            }
        })
        .collect()
}

/// Encloses the balanced field with parameters,
/// `lambda_m' = (2/(K tau)) lambda_m (y_m - s^tau_m) - 2 beta lambda_m`.
pub fn enclose_balanced_field_with<T: Real>(lambda: &[T], params: &FlowParams) -> Vec<T> {
    if params.is_plain() {
        return enclose_balanced_field(lambda);
    }
    let p = working_prec(lambda);
    let beta = (params.weight_decay != 0).then(|| T::from_rational(&params.weight_decay, p));
    rates(lambda, params)
        .into_iter()
        .zip(lambda)
        .map(|(r, l)| {
            let d = (l.clone() * &r).mul_pow2(1);
            match &beta {
                Some(b) => d - &(l.clone() * b).mul_pow2(1),
                None => d,
            }
        })
        .collect()
}

/// Encloses the unbalanced field with parameters,
/// `a_m' = (1/(K tau)) (y_m - s^tau_m) b_m - beta a_m`, `b_m' = (1/(K tau)) (y_m - s^tau_m) a_m -
/// beta b_m`, with `s^tau = s(a * b / tau)`.
pub fn enclose_unbalanced_field_with<T: Real>(
    a: &[T],
    b: &[T],
    params: &FlowParams,
) -> (Vec<T>, Vec<T>) {
    if params.is_plain() {
        return enclose_unbalanced_field(a, b);
    }
    assert_eq!(a.len(), b.len(), "a and b must have the same length");
    let p = working_prec(a).max(working_prec(b));
    let lambda: Vec<T> = a.iter().zip(b).map(|(x, y)| x.clone() * y).collect();
    let rate = rates(&lambda, params);
    let beta = (params.weight_decay != 0).then(|| T::from_rational(&params.weight_decay, p));
    let step = |r: &T, other: &T, own: &T| {
        let d = r.clone() * other;
        match &beta {
            Some(bt) => d - &(own.clone() * bt),
            None => d,
        }
    };
    let a_dot = rate
        .iter()
        .zip(b.iter().zip(a))
        .map(|(r, (y, x))| step(r, y, x))
        .collect();
    let b_dot = rate
        .iter()
        .zip(a.iter().zip(b))
        .map(|(r, (x, y))| step(r, x, y))
        .collect();
    (a_dot, b_dot)
}

/// Encloses the NC-ray field with parameters,
/// `l' = (2 l / tau) (1 / (e^{l/tau} + K - 1) - eps / K) - 2 beta l` (docs/math.md section 13.4).
pub fn enclose_nc_ray_field_with<T: Real>(l: &T, k: usize, params: &FlowParams) -> T {
    if params.is_plain() {
        return enclose_nc_ray_field(l, k);
    }
    let p = l.prec();
    let inv_tau = T::from_rational(&Rational::from(params.temperature.recip_ref()), p);
    let lt = l.clone() * &inv_tau;
    let share = T::one() / (lt.exp() + &T::from_i64(k as i64 - 1, p));
    let eps_k = T::from_rational(&Rational::from(&params.label_smoothing / k as u32), p);
    let mut d = (lt * &(share - &eps_k)).mul_pow2(1);
    if params.weight_decay != 0 {
        d -= (l.clone() * &T::from_rational(&params.weight_decay, p)).mul_pow2(1);
    }
    d
}

/// Balanced flow with parameters, state `lambda` (length K = 2^n).
pub struct BalancedFlowWith(pub usize, pub FlowParams);

impl VectorField for BalancedFlowWith {
    fn dim(&self) -> usize {
        self.0
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        enclose_balanced_field_with(x, &self.1)
    }
}

/// Unbalanced flow with parameters, state `(a_0..a_{K-1}, b_0..b_{K-1})`.
pub struct UnbalancedFlowWith(pub usize, pub FlowParams);

impl VectorField for UnbalancedFlowWith {
    fn dim(&self) -> usize {
        2 * self.0
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        let (a, b) = x.split_at(self.0);
        let (da, db) = enclose_unbalanced_field_with(a, b, &self.1);
        da.into_iter().chain(db).collect()
    }
}

/// The NC ray with parameters, state `l` (one dimension).
pub struct NcRayFlowWith(pub usize, pub FlowParams);

impl VectorField for NcRayFlowWith {
    fn dim(&self) -> usize {
        1
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        vec![enclose_nc_ray_field_with(&x[0], self.0, &self.1)]
    }
}

/// The fixed point of the NC ray with weight decay `beta` (no smoothing, `tau = 1`):
/// `1/(e^l + K - 1) = beta`, so `l* = ln(1/beta - K + 1)`, which exists (`l* > 0`) exactly when
/// `0 < beta < 1/K`. Returns the exact argument `1/beta - K + 1` of the logarithm (> 1), or None.
pub fn nc_ray_decay_fixed_point_argument(beta: &Rational, k: usize) -> Option<Rational> {
    if *beta <= 0 || Rational::from(beta * k as u32) >= 1 {
        return None;
    }
    Some(Rational::from(beta.recip_ref()) - Rational::from(k as u32 - 1))
}
