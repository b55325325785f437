//! The neural-collapse ray (docs/math.md section 8): `lambda_m = l` for every m != 0, `lambda_0 = 0`.

use crate::arith::Real;

/// Encloses the NC-ray field `l' = 2 l / (exp(l) + K - 1)`.
pub fn enclose_nc_ray_field<T: Real>(l: &T, k: usize) -> T {
    let p = l.prec();
    l.mul_pow2(1) / (l.exp() + &T::from_i64(k as i64 - 1, p))
}

/// Encloses the time to grow from `l0` to `big_l` on the NC ray,
/// `T(l0 -> L) = (1/2) [Ei(L) - Ei(l0) + (K - 1) ln(L / l0)]` (needs `0 < l0`, `0 < L`).
///
/// ```
/// use hadacert::arith::{Enclosure, Field, MpfrInterval};
/// use hadacert::spectral::ncray::enclose_nc_ray_time;
/// use rug::Rational;
/// let t = enclose_nc_ray_time(&MpfrInterval::from_rational(&Rational::from(1), 128),
///                             &MpfrInterval::from_rational(&Rational::from(5), 128), 2);
/// // Arb: [19.94979772594067053711283009634521023296 +/- 3.82e-39]
/// assert!(t.lower_f64() <= 19.949797725940671 && 19.94979772594067 <= t.upper_f64());
/// ```
pub fn enclose_nc_ray_time<T: Real>(l0: &T, big_l: &T, k: usize) -> T {
    let p = l0.prec();
    (big_l.ei() - l0.ei() + T::from_i64(k as i64 - 1, p) * (big_l.clone() / l0).ln()).mul_pow2(-1)
}

/// Encloses the loss on the ray, `log(1 + (K - 1) exp(-l))`.
pub fn enclose_nc_ray_loss<T: Real>(l: &T, k: usize) -> T {
    (T::from_i64(k as i64 - 1, l.prec()) * (-l.clone()).exp()).ln_1p()
}

/// Encloses the margin bound `2 (K - 1) exp(-gamma)` on `1 - s_m` (docs/math.md section 8), with
/// `gamma = min_{g != 0} (f(0) - f(g))` the logit margin.
pub fn enclose_margin_bound<T: Real>(gamma: &T, k: usize) -> T {
    (T::from_i64(2 * (k as i64 - 1), gamma.prec())) * (-gamma.clone()).exp()
}
