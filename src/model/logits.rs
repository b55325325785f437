//! Claim A (docs/math.md section 3): the logits `Z = H diag(lambda) H^T / K`, their column softmax
//! `S`, and the rotated softmax `H^T S H / K = Q^T S Q`.
//!
//! For Sylvester matrices and their equivalence transforms everything uses Walsh-Hadamard
//! transforms on rows and columns (O(K^2 log K)); other Hadamard matrices (Paley) use dense
//! products (O(K^3), only for small K).

use super::hadamard::HadamardMatrix;
#[allow(unused_imports)] // named in the doc comments
use super::softmax::enclose_softmax;
use super::softmax::enclose_softmax_in_place;
use super::wht::fwht;
use crate::arith::{Field, Real};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Multiply by `1/K` (exact scaling for powers of two; an enclosing division otherwise).
pub fn div_by_order<T: Field>(x: T, k: usize) -> T {
    if k.is_power_of_two() {
        x.mul_pow2(-(k.trailing_zeros() as i32))
    } else {
        let p = x.prec();
        x / T::from_i64(k as i64, p)
    }
}

/// Multiplication by `1/K` in place, without allocating: the same enclosure as
/// [`div_by_order`], entry by entry.
///
/// For a power of two `K = 2^s` the scaling is exact (barring the exponent range), and each
/// backend uses its cheapest exact form: inari multiplies by the exact point `[2^-s, 2^-s]`
/// (which is what its `mul_pow2` does, without rebuilding the point per entry), every other
/// backend uses `Ring::mul_pow2_into` into a scratch that is then swapped in (MPFR: no
/// allocation). Other orders divide by `K` as `div_by_order` does.
struct OrderScale<T> {
    k: usize,
    /// `Some(s)` when `K = 2^s`.
    shift: Option<i32>,
    /// The exact point `2^-s` (used by inari only).
    factor: Option<T>,
}

impl<T: Field> OrderScale<T> {
    fn new(k: usize) -> Self {
        let shift = k.is_power_of_two().then(|| k.trailing_zeros() as i32);
        let factor = shift.map(|s| T::from_i64(1, 53).mul_pow2(-s));
        OrderScale { k, shift, factor }
    }

    /// `x <- x / K`, enclosing (`scratch` is overwritten).
    #[inline]
    fn apply(&self, x: &mut T, scratch: &mut T) {
        match (self.shift, &self.factor) {
            (Some(s), Some(f)) => {
                let xa: &mut dyn std::any::Any = x;
                if let (Some(xi), Some(fi)) = (
                    xa.downcast_mut::<crate::arith::Ival>(),
                    (f as &dyn std::any::Any).downcast_ref::<crate::arith::Ival>(),
                ) {
                    // `Ival::mul_pow2(-s)` is exactly this product by the exact point 2^-s.
                    *xi *= fi;
                } else {
                    T::mul_pow2_into(scratch, x, -s);
                    std::mem::swap(x, scratch);
                }
            }
            _ => *x = div_by_order(std::mem::replace(x, T::zero()), self.k),
        }
    }

    /// Scale every entry of `xs`.
    fn apply_all(&self, xs: &mut [T]) {
        let mut scratch = T::zero();
        for x in xs.iter_mut() {
            self.apply(x, &mut scratch);
        }
    }
}

/// Apply `Had` to every column of a square matrix (columns are contiguous), in parallel;
/// with `scale`, every entry is then divided by `K` in the same pass.
fn wht_columns<T: Field>(m: &mut DMatrix<T>, scale: Option<&OrderScale<T>>) {
    let k = m.nrows();
    m.as_mut_slice().par_chunks_mut(k).for_each(|col| {
        fwht(col);
        if let Some(sc) = scale {
            sc.apply_all(col);
        }
    });
}

/// Encloses `Had M Had / K` for a square matrix M (Had is symmetric), in O(K^2 log K), in
/// place: the columns are transformed, the matrix transposed in place, the columns transformed
/// again and scaled in the same pass, and the matrix transposed back.
fn wht_both_sides_scaled<T: Field>(m: DMatrix<T>) -> DMatrix<T> {
    let mut m = m;
    let scale = OrderScale::new(m.nrows());
    wht_columns(&mut m, None); // Had M
    m.transpose_mut(); // M^T Had
    wht_columns(&mut m, Some(&scale)); // Had M^T Had / K = (Had M Had / K)^T
    m.transpose_mut();
    m
}

/// Scale every entry by `1/K` in place, in parallel, without allocating.
fn scale_by_order<T: Field>(m: &mut DMatrix<T>, k: usize) {
    let scale = OrderScale::new(k);
    m.as_mut_slice()
        .par_chunks_mut(k.max(1))
        .for_each(|col| scale.apply_all(col));
}

/// Identity permutations and no sign flips: the matrix is Sylvester's itself.
fn is_plain(ff: &super::hadamard::FastForm) -> bool {
    ff.row_perm.iter().enumerate().all(|(i, &a)| i == a)
        && ff.col_perm.iter().enumerate().all(|(j, &c)| j == c)
        && ff.row_sign.iter().all(|&s| s > 0)
        && ff.col_sign.iter().all(|&s| s > 0)
}

fn dense_int<T: Field>(h: &HadamardMatrix, prec: u32) -> DMatrix<T> {
    let k = h.order();
    DMatrix::from_fn(k, k, |i, j| T::from_i64(h.get(i, j) as i64, prec))
}

/// Encloses the logits `Z = H diag(lambda) H^T / K` entry by entry.
///
/// Guarantee: every entry encloses the exact `Z_ij` for every point of the `lambda` enclosures.
pub fn enclose_logits<T: Field>(h: &HadamardMatrix, lambda: &[T]) -> DMatrix<T> {
    let k = h.order();
    assert_eq!(
        lambda.len(),
        k,
        "lambda has length {} but the matrix has order {k}",
        lambda.len()
    );
    let prec = lambda.iter().map(|x| x.prec()).max().unwrap_or(53);
    let z = match h.fast_form() {
        Some(ff) => {
            // mu[c_j] = lambda_j and Z(i, l) = rho(a) rho(b) (Had diag(mu) Had)(a, b) / K with
            // (a, b) = (row_perm[i], row_perm[l]). Since Had(a, c) Had(b, c) = Had(a XOR b, c),
            // (Had diag(mu) Had)(a, b) = F(a XOR b) with F = Had mu, an exact identity for every
            // point mu: so F / K is enclosed once (one transform of length K) and every entry of
            // Z is +-F(a XOR b) / K (negation is exact). These are the same enclosures as the
            // K column transforms of the signed mu did: a butterfly of sign-flipped inputs is the
            // sign-flipped (and, for the flipped bit, swapped) butterfly, exactly.
            let mut f = vec![T::zero(); k];
            for (j, l) in lambda.iter().enumerate() {
                f[ff.col_perm[j]] = l.clone();
            }
            fwht(&mut f);
            OrderScale::new(k).apply_all(&mut f);
            let data: Vec<T> = (0..k * k)
                .into_par_iter()
                .map(|idx| {
                    // entry (i, l) of the column-major Z is at i + K l
                    let (a, b) = (ff.row_perm[idx % k], ff.row_perm[idx / k]);
                    let v = f[a ^ b].clone();
                    if ff.row_sign[a] * ff.row_sign[b] > 0 {
                        v
                    } else {
                        -v
                    }
                })
                .collect();
            return DMatrix::from_vec(k, k, data);
        }
        None => {
            let hm = dense_int::<T>(h, prec);
            let d = DMatrix::from_fn(
                k,
                k,
                |i, j| if i == j { lambda[i].clone() } else { T::zero() },
            );
            &hm * d * hm.transpose()
        }
    };
    let mut z = z;
    scale_by_order(&mut z, k);
    z
}

/// Encloses the column softmax `S_ij = exp(Z_ij) / sum_l exp(Z_lj)`, columns in parallel.
/// The same enclosures as [`enclose_column_softmax_in_place`] on a copy of `z`.
pub fn enclose_column_softmax<T: Real>(z: &DMatrix<T>) -> DMatrix<T> {
    let mut s = z.clone();
    enclose_column_softmax_in_place(&mut s);
    s
}

/// Replaces every column of `z` by the enclosure of its softmax (columns in parallel, each by
/// [`crate::model::softmax::enclose_softmax_in_place`], the same enclosures as
/// [`enclose_softmax`]): one K x K matrix is held, not two.
pub fn enclose_column_softmax_in_place<T: Real>(z: &mut DMatrix<T>) {
    let k = z.nrows();
    if k == 0 {
        return;
    }
    z.as_mut_slice()
        .par_chunks_mut(k)
        .for_each(|col| enclose_softmax_in_place(col));
}

/// Encloses `H^T S H / K` (= `Q^T S Q` with `Q = H / sqrt(K)`), in O(K^2 log K) for matrices
/// with a fast form.
pub fn enclose_rotated<T: Field>(h: &HadamardMatrix, s: DMatrix<T>) -> DMatrix<T> {
    let k = h.order();
    let m = match h.fast_form() {
        Some(ff) if is_plain(ff) => return wht_both_sides_scaled(s),
        Some(ff) => {
            // S'(a, b) = rho(a) rho(b) S(i_a, i_b) with row_perm[i_a] = a.
            let mut inv = vec![0usize; k];
            for (i, &a) in ff.row_perm.iter().enumerate() {
                inv[a] = i;
            }
            let sp = DMatrix::from_fn(k, k, |a, b| {
                let v = s[(inv[a], inv[b])].clone();
                if ff.row_sign[a] * ff.row_sign[b] > 0 {
                    v
                } else {
                    -v
                }
            });
            drop(s);
            let y = wht_both_sides_scaled(sp);
            return DMatrix::from_fn(k, k, |m, n| {
                let (cm, cn) = (ff.col_perm[m], ff.col_perm[n]);
                let v = y[(cm, cn)].clone();
                if ff.col_sign[cm] * ff.col_sign[cn] > 0 {
                    v
                } else {
                    -v
                }
            });
        }
        None => {
            let prec = s.iter().map(|x| x.prec()).max().unwrap_or(53);
            let hm = dense_int::<T>(h, prec);
            hm.transpose() * s * hm
        }
    };
    let mut m = m;
    scale_by_order(&mut m, k);
    m
}

/// Encloses `Had S' Had / K` for the XOR-convolution `S'_ab = g(a XOR b)` (Sylvester
/// coordinates, `g.len() = K` a power of two), without ever forming `S'` separately: column b of
/// `S'` is written straight from `g` and transformed (`Had S'`), the matrix is transposed in
/// place and its columns are transformed again (`Had S'^T Had`), each K log K, columns in
/// parallel. One K x K matrix is held at a time.
///
/// Guarantee (interval backends): entry (x, y) encloses the exact `(Had S'_true Had)_{xy} / K`
/// for the exact `g` inside the inputs. The exact `S'` is symmetric (`a XOR b = b XOR a`) and
/// its entry (a, b) lies in the same interval `g(a XOR b)` as entry (b, a), so it is a point of
/// the interval matrix `S'^T` as well, and the double transform of `S'^T` encloses
/// `Had S' Had` (no final transpose is needed). Used by C1 only when the exact argument of
/// [`crate::model::structure::diagonalisation_argument`] gives `S_ij = p(label(i) XOR
/// label(j))` exactly.
pub fn enclose_rotated_xor<T: Field>(g: &[T]) -> DMatrix<T> {
    let k = g.len();
    assert!(
        k.is_power_of_two(),
        "enclose_rotated_xor needs a power-of-two length, got {k}"
    );
    // Entry (a, b) of the column-major S' is at a + K b.
    let mut data: Vec<T> = (0..k * k)
        .into_par_iter()
        .map(|idx| g[(idx % k) ^ (idx / k)].clone())
        .collect();
    data.par_chunks_mut(k).for_each(|col| fwht(col)); // the columns of Had S'
    let mut m = DMatrix::from_vec(k, k, data);
    m.transpose_mut(); // S'^T Had
    let scale = OrderScale::new(k);
    wht_columns(&mut m, Some(&scale)); // the columns of Had S'^T Had / K
    m
}
