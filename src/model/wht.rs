//! The fast Walsh-Hadamard transform: `x <- Had_K x` in K log2 K additions, in place.
//!
//! `Had_K` is the Sylvester matrix with entries `(-1)^popcount(i & j)` (docs/math.md section 2). The
//! transform is generic over [`WhtElement`]: the interval backends (each butterfly encloses
//! `a + b` and `a - b`), f64, exact rationals, dual numbers and integers.

use crate::arith::Ring;

/// What the transform runs on: one butterfly `(a, b) <- (a + b, a - b)`.
///
/// Every [`Ring`] (the enclosure backends, f64, exact rationals, dual numbers) uses
/// [`Ring::butterfly`], which encloses `a + b` and `a - b` exactly as `+` and `-` do (the MPFR
/// backend without a temporary); machine integers, `rug::Integer` and `rug::Rational` are exact.
pub trait WhtElement {
    /// `(a, b) <- (a + b, a - b)`.
    fn butterfly(a: &mut Self, b: &mut Self);
}

impl<T: Ring> WhtElement for T {
    fn butterfly(a: &mut Self, b: &mut Self) {
        <T as Ring>::butterfly(a, b);
    }
}

macro_rules! machine_integer_butterfly {
    ($($t:ty),*) => {$(
        impl WhtElement for $t {
            fn butterfly(a: &mut Self, b: &mut Self) {
                let diff = *a - *b;
                *a += *b;
                *b = diff;
            }
        }
    )*};
}

machine_integer_butterfly!(i32, i64, i128, isize);

impl WhtElement for rug::Integer {
    fn butterfly(a: &mut Self, b: &mut Self) {
        let diff = rug::Integer::from(&*a - &*b);
        *a += &*b;
        *b = diff;
    }
}

impl WhtElement for rug::Rational {
    fn butterfly(a: &mut Self, b: &mut Self) {
        let diff = rug::Rational::from(&*a - &*b);
        *a += &*b;
        *b = diff;
    }
}

/// Apply `Had_K` (unnormalised) to `x` in place; `x.len()` must be a power of two.
///
/// Guarantee on an interval backend: every output encloses the exact transform of every vector
/// of points inside the inputs (each butterfly is an enclosing `+` and `-`).
///
/// ```
/// use hadacert::model::wht::fwht;
/// let mut x = vec![1i64, 0, 0, 0];
/// fwht(&mut x);
/// assert_eq!(x, vec![1, 1, 1, 1]);
/// let mut y = vec![1i64, 2, 3, 4];
/// fwht(&mut y);
/// assert_eq!(y, vec![10, -2, -4, 0]);
/// ```
pub fn fwht<T: WhtElement>(x: &mut [T]) {
    let n = x.len();
    assert!(
        n.is_power_of_two(),
        "fwht needs a power-of-two length, got {n}"
    );
    let mut h = 1;
    while h < n {
        if crate::mutation::active(crate::mutation::Mutant::WhtOffByOne) && 2 * h == n {
            // mutant: the last butterfly level skipped
            break;
        }
        for block in x.chunks_mut(2 * h) {
            let (left, right) = block.split_at_mut(h);
            for (a, b) in left.iter_mut().zip(right.iter_mut()) {
                // (a, b) <- (a + b, a - b), without a temporary where the backend allows
                T::butterfly(a, b);
            }
        }
        h *= 2;
    }
}

/// `log2(K)` for a power of two `K`.
pub fn log2_exact(k: usize) -> Option<u32> {
    if k.is_power_of_two() {
        Some(k.trailing_zeros())
    } else {
        None
    }
}
