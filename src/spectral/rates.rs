//! Time derivatives of V and of the metrics M1-M3 along the balanced flow, in closed scale-free
//! form (MATH.md sections 6-7). Written once over [`Real`]; the region prover
//! ([`crate::prove`]) evaluates them on boxes, and on dual numbers for mean-value forms.
//!
//! Notation: `lambda` has length K (mode 0 first), `x = lambda_{m!=0} / sum_{m'!=0} lambda_m'`
//! (the normalised spectrum), `s = Had softmax(Had lambda / K)`. Along the balanced flow
//! `lambda_m' = (2/K) lambda_m (1 - s_m)`, so
//!
//! * `x_m' = (2/K) x_m (sbar - s_m)` with `sbar = sum_j x_j s_j`;
//! * `dV/dt = (2/K) (mean_{m!=0} s_m - sbar)`;
//! * `d(M1^2)/dt = d(sum x_m^2)/dt = (4/K) sum_m x_m^2 (sbar - s_m)`;
//! * `dM3/dt = (2/K) sum_m x_m (sbar - s_m) ln x_m`;
//! * `dM2/dt = -(A' - A B' / (2B)) / (sqrt(K-1) sqrt(B))`, `A = sum_{m!=0} lambda_m`,
//!   `B = sum_m lambda_m^2` (all K modes).
//!
//! `s` does not depend on `lambda_0` (it shifts every logit `f(g)` by `lambda_0 / K`), so V and
//! M1, M3 rates do not either. Each function is tested against the chain rule along
//! [`crate::spectral::field::enclose_balanced_field`] (tests/soundness.rs, tests/region.rs).
//! Guarantee (for interval types): the result encloses the exact rate at every point of the
//! inputs; needs `lambda_m > 0` for m != 0 (ln x_m in M3).

use super::field::enclose_spectral_softmax;
use crate::arith::Real;
use crate::model::logits::div_by_order;

/// `(x, s, sbar)`: the normalised spectrum (m != 0), `s` (m != 0) and `sbar = sum x_m s_m`.
fn normalised_with_s<T: Real>(lambda: &[T]) -> (Vec<T>, Vec<T>, T) {
    let sp = enclose_spectral_softmax(lambda);
    let mut total = lambda[1].clone();
    for l in &lambda[2..] {
        total += l;
    }
    let x: Vec<T> = lambda[1..].iter().map(|l| l.clone() / &total).collect();
    let s: Vec<T> = sp.s[1..].to_vec();
    let mut sbar = T::zero();
    for (xm, sm) in x.iter().zip(&s) {
        sbar.add_product(xm, sm);
    }
    (x, s, sbar)
}

/// Encloses `dV/dt = (2/K)(mean_{m!=0} s_m - sum_{m!=0} x_m s_m)` (balanced flow).
pub fn enclose_v_rate<T: Real>(lambda: &[T]) -> T {
    let k = lambda.len();
    let (_, s, sbar) = normalised_with_s(lambda);
    let mut mean = T::zero();
    for sm in &s {
        mean += sm;
    }
    let mean = mean / T::from_i64(k as i64 - 1, lambda[0].prec());
    div_by_order(mean - &sbar, k).mul_pow2(1)
}

/// Encloses `d(M1^2)/dt = d(sum_{m!=0} x_m^2)/dt = (4/K) sum_m x_m^2 (sbar - s_m)` (balanced
/// flow). M1 >= 0, so `dM1/dt = d(M1^2)/dt / (2 M1)` has the same sign wherever M1 > 0.
pub fn enclose_m1_sq_rate<T: Real>(lambda: &[T]) -> T {
    let k = lambda.len();
    let (x, s, sbar) = normalised_with_s(lambda);
    let mut acc = T::zero();
    for (xm, sm) in x.iter().zip(&s) {
        acc += xm.clone() * xm * &(sbar.clone() - sm);
    }
    div_by_order(acc, k).mul_pow2(2)
}

/// Encloses `dM2/dt` for `M2 = 1 - A / (sqrt(K-1) sqrt(B))`, `A = sum_{m!=0} lambda_m`,
/// `B = sum_m lambda_m^2` (balanced flow, all K modes in B).
pub fn enclose_m2_rate<T: Real>(lambda: &[T]) -> T {
    let k = lambda.len();
    let p = lambda[0].prec();
    let sp = enclose_spectral_softmax(lambda);
    let (mut a, mut da, mut b, mut db) = (T::zero(), T::zero(), T::zero(), T::zero());
    for (m, (l, sm)) in lambda.iter().zip(&sp.s).enumerate() {
        // lambda_m' = (2/K) lambda_m (1 - s_m)
        let dl = div_by_order(l.clone() * &(T::one() - sm), k).mul_pow2(1);
        if m != 0 {
            a += l;
            da += &dl;
        }
        b.add_product(l, l);
        db += (l.clone() * &dl).mul_pow2(1);
    }
    let inner = da - &(a * &db / &b.clone().mul_pow2(1));
    -(inner / (T::from_i64(k as i64 - 1, p).sqrt() * b.sqrt()))
}

/// Encloses `dM3/dt = (2/K) sum_{m!=0} x_m (sbar - s_m) ln x_m` for
/// `M3 = KL(x || u) = sum x_m ln((K-1) x_m)` (balanced flow).
pub fn enclose_m3_rate<T: Real>(lambda: &[T]) -> T {
    let k = lambda.len();
    let (x, s, sbar) = normalised_with_s(lambda);
    let mut acc = T::zero();
    for (xm, sm) in x.iter().zip(&s) {
        acc += xm.clone() * &(sbar.clone() - sm) * &xm.ln();
    }
    div_by_order(acc, k).mul_pow2(1)
}
