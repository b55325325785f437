//! The full model of docs/math.md section 1: logits `Z = W H`, the mean cross-entropy loss and its
//! gradient flow in `(W, H)`, as nalgebra matrices of any backend.
//!
//! Convention: the loss is the *mean* over the K samples, `L = (1/K) sum_k [lse(Z_:k) - Z_kk]`,
//! so `dL/dZ = (S - I) / K`. The summed loss would multiply time by K.

use super::logits::{div_by_order, enclose_column_softmax};
use super::softmax::enclose_log_sum_exp;
use crate::arith::Real;
use nalgebra::DMatrix;

/// Encloses the mean cross-entropy loss `(1/K) sum_k [log sum_j exp(Z_jk) - Z_kk]` of a K x K
/// logit matrix (one sample per class, sample k labelled k).
pub fn enclose_mean_ce_loss<T: Real>(z: &DMatrix<T>) -> T {
    let k = z.ncols();
    let mut total = T::zero();
    for j in 0..k {
        let col: Vec<T> = z.column(j).iter().cloned().collect();
        total += enclose_log_sum_exp(&col) - &z[(j, j)];
    }
    div_by_order(total, k)
}

/// Encloses the gradient-flow vector field `(W', H') = (-(1/K)(S - I) H^T, -(1/K) W^T (S - I))`
/// at `W` (K x d) and `H` (d x K), with `S` the column softmax of `W H`.
///
/// Guarantee: every entry encloses the exact entry for every point of the input enclosures.
pub fn enclose_gradient_flow<T: Real>(w: &DMatrix<T>, h: &DMatrix<T>) -> (DMatrix<T>, DMatrix<T>) {
    let k = w.nrows();
    let z = w * h;
    let mut g = enclose_column_softmax(&z);
    for i in 0..k {
        g[(i, i)] -= T::one();
    }
    let g = g.map(|x| div_by_order(x, k));
    if crate::mutation::active(crate::mutation::Mutant::GradientSign) {
        // mutant: the gradient itself instead of minus the gradient (ascent, not descent)
        return (&g * h.transpose(), w.transpose() * &g);
    }
    let w_dot = -(&g * h.transpose());
    let h_dot = -(w.transpose() * &g);
    (w_dot, h_dot)
}
