//! Claim A (docs/math.md section 3): the logits `Z = H diag(lambda) H^T / K`, their column softmax
//! `S`, and the rotated softmax `H^T S H / K = Q^T S Q`.
//!
//! For Sylvester matrices and their equivalence transforms everything uses Walsh-Hadamard
//! transforms on rows and columns (O(K^2 log K)); other Hadamard matrices (Paley) use dense
//! products (O(K^3), only for small K).

use super::hadamard::HadamardMatrix;
use super::softmax::enclose_softmax;
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

/// Apply `Had` to every column of a square matrix (columns are contiguous), in parallel.
fn wht_columns<T: Field>(m: &mut DMatrix<T>) {
    let k = m.nrows();
    m.as_mut_slice().par_chunks_mut(k).for_each(|col| fwht(col));
}

/// Encloses `Had M Had` for a square matrix M (Had is symmetric), in O(K^2 log K).
fn wht_both_sides<T: Field>(m: DMatrix<T>) -> DMatrix<T> {
    let mut m = m;
    wht_columns(&mut m); // Had M
    m.transpose_mut(); // M^T Had
    wht_columns(&mut m); // Had M^T Had = (Had M Had)^T
    m.transpose_mut();
    m
}

/// Scale every entry by `1/K` in place, in parallel.
fn scale_by_order<T: Field>(m: &mut DMatrix<T>, k: usize) {
    m.as_mut_slice()
        .par_iter_mut()
        .for_each(|x| *x = div_by_order(x.clone(), k));
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
            // mu[c_j] = lambda_j; Y1(a, c) = Had(a, c) mu_c; Y = Y1 Had / K.
            let mut mu = vec![T::zero(); k];
            for (j, l) in lambda.iter().enumerate() {
                mu[ff.col_perm[j]] = l.clone();
            }
            let had = HadamardMatrix::sylvester(k).expect("fast form implies a power of two");
            // Column a of Y1^T is (Had(a, c) mu_c)_c; transforming the columns gives
            // Had Y1^T = (Y1 Had)^T = Y^T.
            let mut yt = DMatrix::from_fn(k, k, |c, a| {
                if had.get(a, c) > 0 {
                    mu[c].clone()
                } else {
                    -mu[c].clone()
                }
            });
            wht_columns(&mut yt);
            yt.transpose_mut();
            let y = yt;
            if is_plain(ff) {
                y
            } else {
                DMatrix::from_fn(k, k, |i, l| {
                    let (a, b) = (ff.row_perm[i], ff.row_perm[l]);
                    let v = y[(a, b)].clone();
                    if ff.row_sign[a] * ff.row_sign[b] > 0 {
                        v
                    } else {
                        -v
                    }
                })
            }
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
pub fn enclose_column_softmax<T: Real>(z: &DMatrix<T>) -> DMatrix<T> {
    let k = z.nrows();
    let mut s = z.clone();
    s.as_mut_slice().par_chunks_mut(k).for_each(|col| {
        let p = enclose_softmax(col);
        col.clone_from_slice(&p);
    });
    s
}

/// Encloses `H^T S H / K` (= `Q^T S Q` with `Q = H / sqrt(K)`), in O(K^2 log K) for matrices
/// with a fast form.
pub fn enclose_rotated<T: Field>(h: &HadamardMatrix, s: DMatrix<T>) -> DMatrix<T> {
    let k = h.order();
    let m = match h.fast_form() {
        Some(ff) if is_plain(ff) => wht_both_sides(s),
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
            let y = wht_both_sides(sp);
            DMatrix::from_fn(k, k, |m, n| {
                let (cm, cn) = (ff.col_perm[m], ff.col_perm[n]);
                let v = y[(cm, cn)].clone();
                if ff.col_sign[cm] * ff.col_sign[cn] > 0 {
                    v
                } else {
                    -v
                }
            })
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
    m.as_mut_slice().par_chunks_mut(k).for_each(|col| {
        fwht(col); // column of Had S'^T Had
        for x in col.iter_mut() {
            *x = div_by_order(x.clone(), k);
        }
    });
    m
}
