//! Time derivatives of V and of the metrics M1-M3 along the balanced flow, in closed scale-free
//! form (docs/math.md sections 6-7). Written once over [`Real`]; the region prover
//! ([`crate::prove`]) evaluates them on boxes, and on dual numbers for mean-value forms.
//!
//! Notation: `lambda` has length K (mode 0 first), `x = lambda_{m!=0} / sum_{m'!=0} lambda_m'`
//! (the normalised spectrum), `s = Had softmax(Had lambda / K)`. Along the balanced flow
//! `lambda_m' = (2/K) lambda_m (1 - s_m)`, so
//!
//! * `x_m' = (2/K) x_m (sbar - s_m)` with `sbar = sum_j x_j s_j`;
//! * `dV/dt = (2/K) (mean_{m!=0} s_m - sbar) = (2/K) (rbar - mean_{m!=0} r_m)`, `r = 1 - s`;
//! * `d(M1^2)/dt = d(sum x_m^2)/dt = (4/K) sum_m x_m^2 (sbar - s_m)`;
//! * `dM3/dt = (2/K) sum_m x_m (sbar - s_m) ln x_m`;
//! * `dM2/dt = -(A' - A B' / (2B)) / (sqrt(K-1) sqrt(B))`, `A = sum_{m!=0} lambda_m`,
//!   `B = sum_m lambda_m^2` (all K modes).
//!
//! `s` does not depend on `lambda_0` (it shifts every logit `f(g)` by `lambda_0 / K`), so V and
//! M1, M3 rates do not either. Each function is tested against the chain rule along
//! [`crate::spectral::field::enclose_balanced_field`] (tests/it/soundness.rs, tests/it/region.rs).
//! Guarantee (for interval types): the result encloses the exact rate at every point of the
//! inputs; needs `lambda_m > 0` for m != 0 (ln x_m in M3).

use super::transform::SpectralTransform;
use crate::arith::{working_prec, Real};
use crate::model::logits::div_by_order;
use crate::model::softmax::enclose_softmax;

/// Encloses `r_m = 1 - s_m` for every m, computed as `r_m = q - t_m` with
/// `q = 1 - p(0) = sum_{g!=0} p(g)` (a sum of positive terms) and `t = Had (0, p(1), ...)`, so
/// the absolute error is relative to `q`, not to 1: the rates stay resolvable when the logits
/// are large and `1 - s_m` is exponentially small. (`r_0 = 0` exactly.)
pub fn enclose_one_minus_s_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> Vec<T> {
    let (q, t) = off_target(tr, lambda);
    let mut r: Vec<T> = t.into_iter().map(|tm| q.clone() - &tm).collect();
    r[0] = T::zero();
    r
}

/// `(q, t)`: `q = 1 - p(0)` and `t_m = sum_{g!=0} p(g) chi_m(g)`.
fn off_target<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> (T, Vec<T>) {
    let f = tr.logits(lambda);
    let mut p = enclose_softmax(&f);
    let mut q = T::zero();
    for pg in &p[1..] {
        q += pg;
    }
    p[0] = T::zero();
    tr.apply(&mut p);
    (q, p)
}

/// `(x, delta, dbar)` for m != 0: the normalised spectrum, the centred
/// `delta_m = r_m - mean_{m'!=0} r_m' = -(t_m + q / (K-1))` (exact algebra: the mean of `r`
/// over m != 0 is `q K / (K-1)`), and `dbar = sum x_m delta_m`; then `sbar - s_m = delta_m -
/// dbar`. Centring removes the common part of `r` (about 1 for small logits), whose enclosure
/// width would otherwise not shrink with the scale of `lambda`.
fn centred<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> (Vec<T>, Vec<T>, T) {
    let k = lambda.len();
    let (q, t) = off_target(tr, lambda);
    let share = q / T::from_i64(k as i64 - 1, working_prec(&lambda));
    let delta: Vec<T> = t[1..].iter().map(|tm| -(tm.clone() + &share)).collect();
    let mut total = lambda[1].clone();
    for l in &lambda[2..] {
        total += l;
    }
    let x: Vec<T> = lambda[1..].iter().map(|l| l.clone() / &total).collect();
    let mut dbar = T::zero();
    for (xm, dm) in x.iter().zip(&delta) {
        dbar.add_product(xm, dm);
    }
    (x, delta, dbar)
}

/// Encloses `dV/dt = (2/K)(mean_{m!=0} s_m - sum_{m!=0} x_m s_m) = (2/K) sum_m x_m delta_m`
/// (balanced flow).
pub fn enclose_v_rate_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> T {
    let (_, _, dbar) = centred(tr, lambda);
    div_by_order(dbar, lambda.len()).mul_pow2(1)
}

/// Encloses `d(M1^2)/dt = d(sum_{m!=0} x_m^2)/dt = (4/K) sum_m x_m^2 (sbar - s_m)
/// = (4/K) sum_m x_m (x_m - 1/(K-1)) (delta_m - dbar)` (balanced flow). M1 >= 0, so
/// `dM1/dt = d(M1^2)/dt / (2 M1)` has the same sign wherever M1 > 0.
pub fn enclose_m1_sq_rate_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> T {
    let k = lambda.len();
    let (x, delta, dbar) = centred(tr, lambda);
    let u = T::one() / T::from_i64(k as i64 - 1, working_prec(&lambda));
    let mut acc = T::zero();
    for (xm, dm) in x.iter().zip(&delta) {
        acc += xm.clone() * &(xm.clone() - &u) * &(dm.clone() - &dbar);
    }
    div_by_order(acc, k).mul_pow2(2)
}

/// Encloses `dM2/dt` for `M2 = 1 - A / (sqrt(K-1) sqrt(B))`, `A = sum_{m!=0} lambda_m`,
/// `B = sum_m lambda_m^2` (balanced flow, all K modes in B):
/// `dM2/dt = -(A' - A B' / (2B)) / (sqrt(K-1) sqrt(B))`, with the common part of `r = 1 - s`
/// cancelled exactly: `A' - A B'/(2B) = (2/K)(sum_{m!=0} lambda_m delta_m - (A/B)(sum_{m!=0}
/// lambda_m^2 delta_m - lambda_0^2 rbar))`, `rbar = q K/(K-1)`.
pub fn enclose_m2_rate_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> T {
    let k = lambda.len();
    let p = working_prec(&lambda);
    let (q, t) = off_target(tr, lambda);
    let share = q.clone() / T::from_i64(k as i64 - 1, p);
    let rbar = q + &share;
    let (mut a, mut b) = (T::zero(), lambda[0].clone() * &lambda[0]);
    let (mut first, mut second) = (T::zero(), -(lambda[0].clone() * &lambda[0] * &rbar));
    for (l, tm) in lambda[1..].iter().zip(&t[1..]) {
        let dm = -(tm.clone() + &share);
        a += l;
        b.add_product(l, l);
        first.add_product(l, &dm);
        second += l.clone() * l * &dm;
    }
    let inner = div_by_order(first - &(a * &second / &b), k).mul_pow2(1);
    -(inner / (T::from_i64(k as i64 - 1, p).sqrt() * b.sqrt()))
}

/// Encloses `dM3/dt = (2/K) sum_{m!=0} x_m (sbar - s_m) ln x_m
/// = (2/K) sum_m x_m (delta_m - dbar) ln((K-1) x_m)` for `M3 = KL(x || u)` (balanced flow).
pub fn enclose_m3_rate_on<T: Real>(tr: &SpectralTransform, lambda: &[T]) -> T {
    let k = lambda.len();
    let (x, delta, dbar) = centred(tr, lambda);
    let k1 = T::from_i64(k as i64 - 1, working_prec(&lambda));
    let mut acc = T::zero();
    for (xm, dm) in x.iter().zip(&delta) {
        acc += xm.clone() * &(dm.clone() - &dbar) * &(xm.clone() * &k1).ln();
    }
    div_by_order(acc, k).mul_pow2(1)
}

/// Which rate [`enclose_rate_per_off_target_mass`] encloses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// dV/dt.
    V,
    /// d(M1^2)/dt.
    M1Squared,
    /// dM2/dt.
    M2,
    /// dM3/dt.
    M3,
}

/// The rate of V, M1 (as `d(M1^2)/dt`), M2 or M3 *divided by the off-target mass*
/// `q = 1 - p(0) > 0`, for a state with `lambda_0 = 0`: the same sign as the rate itself.
///
/// Every rate above is linear in `delta = -(t + q/(K-1))`, and `delta / q = -(that + 1/(K-1))`
/// with `that_m = sum_{g!=0} rho_g chi_m(g)`, `rho = softmax(f(1), ..., f(K-1))` (the softmax
/// restricted to the off-target group elements, docs/math.md section 6). `f(0)` drops out: for large
/// logits the exponentially small factor `q` is gone and what remains varies slowly over a box,
/// which is what a branch and bound needs. (M2 is linear in `delta` only when `lambda_0 = 0`.)
///
/// Guarantee: encloses `rate / (1 - p(0))` at every point of the inputs (`lambda_0` must be 0;
/// `lambda_m > 0` for m != 0).
pub fn enclose_rate_per_off_target_mass_on<T: Real>(
    tr: &SpectralTransform,
    rate: Rate,
    lambda: &[T],
) -> T {
    let k = lambda.len();
    let prec = working_prec(&lambda);
    // Two buffers for the whole evaluation (the region prover calls this once or twice per
    // box): the logits' buffer becomes rho and then delta in place, the softmax's becomes x.
    // The same interval operations in the same order as with a vector per step.
    let mut rho = tr.logits(lambda);
    let mut x = enclose_softmax(&rho[1..]);
    rho[0] = T::zero();
    for (r, s) in rho[1..].iter_mut().zip(x.iter_mut()) {
        std::mem::swap(r, s);
    }
    tr.apply(&mut rho);
    let share = T::one() / T::from_i64(k as i64 - 1, prec);
    for tm in rho[1..].iter_mut() {
        *tm = -(tm.clone() + &share);
    }
    let delta = &rho[1..];
    let mut total = lambda[1].clone();
    for l in &lambda[2..] {
        total += l;
    }
    for (xm, l) in x.iter_mut().zip(&lambda[1..]) {
        *xm = l.clone() / &total;
    }
    let mut dbar = T::zero();
    for (xm, dm) in x.iter().zip(delta) {
        dbar.add_product(xm, dm);
    }
    match rate {
        Rate::V => div_by_order(dbar, k).mul_pow2(1),
        Rate::M1Squared => {
            let mut acc = T::zero();
            for (xm, dm) in x.iter().zip(delta) {
                acc += xm.clone() * &(xm.clone() - &share) * &(dm.clone() - &dbar);
            }
            div_by_order(acc, k).mul_pow2(2)
        }
        Rate::M2 => {
            // dM2/dt = -(2/K)(sum x delta - sum x^2 delta / sum x^2) / (sqrt(K-1) ||x||)
            let (mut sq, mut sq_delta) = (T::zero(), T::zero());
            for (xm, dm) in x.iter().zip(delta) {
                sq.add_product(xm, xm);
                sq_delta += xm.clone() * xm * dm;
            }
            let inner = dbar - &(sq_delta / &sq);
            let k1 = T::from_i64(k as i64 - 1, prec);
            -(div_by_order(inner, k).mul_pow2(1) / (k1.sqrt() * sq.sqrt()))
        }
        Rate::M3 => {
            let k1 = T::from_i64(k as i64 - 1, prec);
            let mut acc = T::zero();
            for (xm, dm) in x.iter().zip(delta) {
                acc += xm.clone() * &(dm.clone() - &dbar) * &(xm.clone() * &k1).ln();
            }
            div_by_order(acc, k).mul_pow2(1)
        }
    }
}

/// [`enclose_one_minus_s_on`] for `G = Z_2^n` (the Walsh-Hadamard transform, `K = lambda.len()`).
pub fn enclose_one_minus_s<T: Real>(lambda: &[T]) -> Vec<T> {
    enclose_one_minus_s_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_v_rate_on`] for `G = Z_2^n` (the Walsh-Hadamard transform, `K = lambda.len()`).
pub fn enclose_v_rate<T: Real>(lambda: &[T]) -> T {
    enclose_v_rate_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_m1_sq_rate_on`] for `G = Z_2^n` (the Walsh-Hadamard transform, `K = lambda.len()`).
pub fn enclose_m1_sq_rate<T: Real>(lambda: &[T]) -> T {
    enclose_m1_sq_rate_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_m2_rate_on`] for `G = Z_2^n` (the Walsh-Hadamard transform, `K = lambda.len()`).
pub fn enclose_m2_rate<T: Real>(lambda: &[T]) -> T {
    enclose_m2_rate_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_m3_rate_on`] for `G = Z_2^n` (the Walsh-Hadamard transform, `K = lambda.len()`).
pub fn enclose_m3_rate<T: Real>(lambda: &[T]) -> T {
    enclose_m3_rate_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_rate_per_off_target_mass_on`] for `G = Z_2^n`.
pub fn enclose_rate_per_off_target_mass<T: Real>(rate: Rate, lambda: &[T]) -> T {
    enclose_rate_per_off_target_mass_on(&SpectralTransform::sylvester(lambda.len()), rate, lambda)
}
