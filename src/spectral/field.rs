//! Spectral softmax and reduced vector fields (docs/math.md sections 3-4, and section 12 for a
//! general finite abelian group).
//!
//! Every function is written once over a [`SpectralTransform`] (`*_on`); the functions without
//! the suffix are the Sylvester case `G = Z_2^n`, `K = lambda.len()`.

use super::transform::SpectralTransform;
use crate::arith::Real;
use crate::model::logits::div_by_order;
use crate::model::softmax::{enclose_log_sum_exp, enclose_softmax};

/// The spectral picture of a state `lambda` (length K).
#[derive(Clone, Debug)]
pub struct SpectralSoftmax<T> {
    /// `f = C lambda / K`: the logits as a function on the group (`Z_ij = f(i - j)`; for
    /// `Z_2^n`, `C = Had` and `Z_ij = f(i XOR j)`).
    pub f: Vec<T>,
    /// `p = softmax(f)`.
    pub p: Vec<T>,
    /// `s = C p`: the eigenvalues of the softmax matrix `S = Q diag(s) Q^T`.
    pub s: Vec<T>,
}

/// Encloses the logits on the group, `f = Had lambda / K` (`Z_ij = f(i XOR j)`), by one
/// Walsh-Hadamard transform. Guarantee: each entry encloses the exact value for every point of
/// the inputs.
pub fn enclose_group_logits<T: Real>(lambda: &[T]) -> Vec<T> {
    enclose_group_logits_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// Encloses the logits on the group of `tr`, `f = C lambda / K`.
pub fn enclose_group_logits_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> Vec<T> {
    tr.logits(lambda)
}

/// Encloses `f`, `p` and `s` for the state `lambda` (K = `lambda.len()`, a power of two),
/// in O(K log K).
///
/// Guarantee: each component encloses the exact value for every point of the inputs.
pub fn enclose_spectral_softmax<T: Real>(lambda: &[T]) -> SpectralSoftmax<T> {
    enclose_spectral_softmax_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_spectral_softmax`] on the group of `tr` (`lambda` paired).
pub fn enclose_spectral_softmax_on<T: Real>(
    tr: &SpectralTransform,
    lambda: &[T],
) -> SpectralSoftmax<T> {
    let f = tr.logits(lambda);
    let p = enclose_softmax(&f);
    let s = tr.transformed(&p);
    SpectralSoftmax { f, p, s }
}

/// Encloses the balanced field `lambda_m' = (2/K) lambda_m (1 - s_m(lambda))`.
pub fn enclose_balanced_field<T: Real>(lambda: &[T]) -> Vec<T> {
    enclose_balanced_field_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_balanced_field`] on the group of `tr`.
pub fn enclose_balanced_field_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> Vec<T> {
    let k = lambda.len();
    let sp = enclose_spectral_softmax_on(tr, lambda);
    lambda
        .iter()
        .zip(&sp.s)
        .map(|(l, s)| {
            let one_minus_s = T::one() - s;
            div_by_order(l.clone() * &one_minus_s, k).mul_pow2(1)
        })
        .collect()
}

/// Encloses the unbalanced field `a_m' = (1/K)(1 - s_m) b_m`, `b_m' = (1/K)(1 - s_m) a_m`
/// with `s = s(a * b)` (elementwise product).
pub fn enclose_unbalanced_field<T: Real>(a: &[T], b: &[T]) -> (Vec<T>, Vec<T>) {
    enclose_unbalanced_field_on(&SpectralTransform::sylvester(a.len()), a, b)
}

/// [`enclose_unbalanced_field`] on the group of `tr`.
pub fn enclose_unbalanced_field_on<T: Real>(
    tr: &SpectralTransform,
    a: &[T],
    b: &[T],
) -> (Vec<T>, Vec<T>) {
    let k = a.len();
    assert_eq!(b.len(), k, "a and b must have the same length");
    let lambda: Vec<T> = a.iter().zip(b).map(|(x, y)| x.clone() * y).collect();
    let sp = enclose_spectral_softmax_on(tr, &lambda);
    let rate: Vec<T> = sp.s.iter().map(|s| div_by_order(T::one() - s, k)).collect();
    let a_dot = rate.iter().zip(b).map(|(r, y)| r.clone() * y).collect();
    let b_dot = rate.iter().zip(a).map(|(r, x)| r.clone() * x).collect();
    (a_dot, b_dot)
}

/// Encloses the loss on the spectral manifold, `L = -log p(0) = lse(f) - f(0)` (mean
/// cross-entropy convention of docs/math.md section 1).
pub fn enclose_spectral_loss<T: Real>(lambda: &[T]) -> T {
    enclose_spectral_loss_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_spectral_loss`] on the group of `tr`.
pub fn enclose_spectral_loss_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> T {
    let f = tr.logits(lambda);
    enclose_log_sum_exp(&f) - &f[0]
}
