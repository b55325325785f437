//! The exact part of claim A: with rational `lambda`, the logits `Z = H diag(lambda) H^T / K`
//! of a Sylvester matrix satisfy `Z_ij = Z_{0, i XOR j}` (MATH.md section 3). Checked in exact
//! integer arithmetic after clearing denominators; no rounding is involved.

use super::hadamard::HadamardMatrix;
use super::wht::fwht;
use rug::{Integer, Rational};

/// Outcome of the exact XOR-structure check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct XorStructure {
    /// `Z_ij` depends only on `label(i) XOR label(j)` (labels: the Sylvester rows of the fast form).
    pub holds: bool,
    /// The first (i, j) where it fails, if any.
    pub first_violation: Option<(usize, usize)>,
    /// Which labelling was used: `"rows as given"` or `"rows labelled by the Sylvester rows of the fast form"`.
    pub coordinates: String,
}

/// Exact integers `D * Z * K` with `D` the common denominator of `lambda`.
fn integer_logits(h: &HadamardMatrix, lambda: &[Rational]) -> Vec<Vec<Integer>> {
    let k = h.order();
    let mut den = Integer::from(1);
    for l in lambda {
        den.lcm_mut(l.denom());
    }
    let n: Vec<Integer> = lambda
        .iter()
        .map(|l| Integer::from(l.numer() * (den.clone() / l.denom())))
        .collect();
    match h.fast_form() {
        Some(ff) => {
            // Y = Had diag(mu) Had in Sylvester coordinates, by one transform per row; then
            // the logits as given: Z(i, l) = rho(r_i) rho(r_l) Y(r_i, r_l).
            let mut mu = vec![Integer::new(); k];
            for (j, v) in n.iter().enumerate() {
                mu[ff.col_perm[j]] = v.clone();
            }
            let had = HadamardMatrix::sylvester(k).expect("fast form implies power of two");
            let y: Vec<Vec<Integer>> = (0..k)
                .map(|a| {
                    let mut row: Vec<Integer> = (0..k)
                        .map(|c| {
                            if had.get(a, c) > 0 {
                                mu[c].clone()
                            } else {
                                Integer::from(-&mu[c])
                            }
                        })
                        .collect();
                    fwht(&mut row);
                    row
                })
                .collect();
            (0..k)
                .map(|i| {
                    (0..k)
                        .map(|l| {
                            let (a, b) = (ff.row_perm[i], ff.row_perm[l]);
                            let v = y[a][b].clone();
                            if ff.row_sign[a] * ff.row_sign[b] > 0 {
                                v
                            } else {
                                -v
                            }
                        })
                        .collect()
                })
                .collect()
        }
        None => (0..k)
            .map(|i| {
                (0..k)
                    .map(|l| {
                        let mut acc = Integer::new();
                        for (j, v) in n.iter().enumerate() {
                            if h.get(i, j) * h.get(l, j) > 0 {
                                acc += v
                            } else {
                                acc -= v
                            }
                        }
                        acc
                    })
                    .collect()
            })
            .collect(),
    }
}

/// Decide exactly whether the logits have the XOR (group-translation) structure.
///
/// The logits are those of the matrix as given (row signs and permutations included). For a
/// matrix with a fast form (a Sylvester matrix up to permutations and sign flips) the check
/// first verifies entrywise that the matrix equals its fast form, then checks
/// `Z_ij = Z_{i0, j'}` with rows labelled by the Sylvester row they come from (`i0` labelled 0,
/// `j'` labelled `label(i) XOR label(j)`): a row permutation keeps the structure, a sign flip of
/// rows that is not a character breaks it. For other matrices it checks `Z_ij = Z_{0, i XOR j}`
/// on the rows as given (an index `i XOR j >= K` is a violation).
///
/// ```
/// use hadacert::model::{hadamard::HadamardMatrix, structure::check_xor_structure};
/// use rug::Rational;
/// let lam: Vec<Rational> = (0..8).map(|m| Rational::from((m, 2))).collect();
/// assert!(check_xor_structure(&HadamardMatrix::sylvester(8).unwrap(), &lam).holds);
/// let lam12: Vec<Rational> = (1..=12).map(|m| Rational::from((m, 4))).collect();
/// assert!(!check_xor_structure(&HadamardMatrix::paley(11).unwrap(), &lam12).holds);
/// ```
pub fn check_xor_structure(h: &HadamardMatrix, lambda: &[Rational]) -> XorStructure {
    let k = h.order();
    let coordinates = if h.fast_form().is_some() {
        "rows labelled by the Sylvester rows of the fast form"
    } else {
        "rows as given"
    };
    let fail = |i, j| XorStructure {
        holds: false,
        first_violation: Some((i, j)),
        coordinates: coordinates.into(),
    };
    if h.fast_form().is_some() && !h.fast_form_consistent() {
        return fail(0, 0);
    }
    let z = integer_logits(h, lambda);
    // Row labels: the Sylvester row each row of H comes from (identity without a fast form).
    let label: Vec<usize> = match h.fast_form() {
        Some(ff) => ff.row_perm.clone(),
        None => (0..k).collect(),
    };
    let mut row_of = vec![usize::MAX; k];
    for (i, &a) in label.iter().enumerate() {
        row_of[a] = i;
    }
    for i in 0..k {
        for j in 0..k {
            let x = label[i] ^ label[j];
            if x >= k || z[i][j] != z[row_of[0]][row_of[x]] {
                return fail(i, j);
            }
        }
    }
    XorStructure {
        holds: true,
        first_violation: None,
        coordinates: coordinates.into(),
    }
}
