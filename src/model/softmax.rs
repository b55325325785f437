//! Softmax, log-sum-exp and the mean cross-entropy loss, generic over the backend.

use crate::arith::Real;

/// The log-sum-exp shift: the largest approximate entry, as an exact point of the backend.
///
/// Any shift `c` gives the same exact softmax (`exp(f_i - c) / sum_j exp(f_j - c)`); the shift is
/// a single value subtracted consistently from numerator and denominator, so interval
/// evaluation stays an enclosure whatever `c` is. The maximum keeps every exponent <= ~0, so
/// nothing overflows before a genuine overflow of the exact value.
fn lse_shift<T: Real>(f: &[T]) -> T {
    if crate::mutation::active(crate::mutation::Mutant::LseShiftDropped) {
        // mutant: no shift, exp(f_i) of large logits overflows
        return T::zero();
    }
    let prec = f.iter().map(|x| x.prec()).max().unwrap_or(53);
    let c = f
        .iter()
        .map(|x| x.approx_f64())
        .filter(|x| x.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    T::from_f64(if c.is_finite() { c } else { 0.0 }, prec)
}

/// Encloses `softmax(f)_i = exp(f_i) / sum_j exp(f_j)` for every i.
///
/// Guarantee (interval backends): each output encloses the exact softmax of every point vector
/// inside the inputs. Computed with a log-sum-exp shift, so large logits do not overflow.
/// `f` must be non-empty.
///
/// ```
/// use hadacert::arith::{Enclosure, Field, Ival};
/// use hadacert::model::softmax::enclose_softmax;
/// use rug::Rational;
/// let f: Vec<Ival> = [0, 1, 1000].iter().map(|&x| Ival::from_rational(&Rational::from(x), 53)).collect();
/// let p = enclose_softmax(&f);
/// assert!(p[2].contains_rational(&Rational::from(1)) || p[2].upper_f64() <= 1.0);
/// assert!(p[0].is_finite() && p[0].upper_f64() < 1e-400_f64.max(1e-300));
/// ```
pub fn enclose_softmax<T: Real>(f: &[T]) -> Vec<T> {
    let shift = lse_shift(f);
    let e: Vec<T> = f.iter().map(|x| (x.clone() - &shift).exp()).collect();
    let mut total = e[0].clone();
    for x in &e[1..] {
        total += x;
    }
    e.into_iter().map(|x| x / &total).collect()
}

/// In place: `f <- softmax(f)`, the same enclosures as [`enclose_softmax`] (the same shift,
/// the same operations in the same order: `exp(f_i - shift)`, their sum from the first, then
/// each divided by the sum), without the two vectors of temporaries (on MPFR: one allocation
/// per entry, for the exp, and none for the subtraction and division). `f` must be non-empty.
pub fn enclose_softmax_in_place<T: Real>(f: &mut [T]) {
    let shift = lse_shift(f);
    for x in f.iter_mut() {
        *x -= &shift;
        *x = x.exp();
    }
    let mut total = f[0].clone();
    for x in &f[1..] {
        total += x;
    }
    let mut scratch = T::zero();
    for x in f.iter_mut() {
        T::div_into(&mut scratch, x, &total);
        std::mem::swap(x, &mut scratch);
    }
}

/// Encloses `log sum_j exp(f_j)`, with the log-sum-exp shift. `f` must be non-empty.
pub fn enclose_log_sum_exp<T: Real>(f: &[T]) -> T {
    let shift = lse_shift(f);
    let mut total = (f[0].clone() - &shift).exp();
    for x in &f[1..] {
        total += (x.clone() - &shift).exp();
    }
    total.ln() + &shift
}
