//! The exact part of claim A: with rational `lambda`, the logits `Z = H diag(lambda) H^T / K`
//! of a Sylvester matrix satisfy `Z_ij = Z_{0, i XOR j}` (MATH.md section 3). Checked in exact
//! integer arithmetic after clearing denominators; no rounding is involved.

use super::hadamard::HadamardMatrix;
use super::wht::fwht;
use rug::{Integer, Rational};

/// Outcome of the exact XOR-structure check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct XorStructure {
    /// `Z_ij` depends only on `i XOR j` (in Sylvester coordinates for transformed matrices).
    pub holds: bool,
    /// The first (i, j) where it fails, if any.
    pub first_violation: Option<(usize, usize)>,
    /// Which coordinates were used: `"rows as given"` or `"Sylvester coordinates of the fast form"`.
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
            // Y = Had diag(mu) Had in Sylvester coordinates, by two transforms per row.
            let mut mu = vec![Integer::new(); k];
            for (j, v) in n.iter().enumerate() {
                mu[ff.col_perm[j]] = v.clone();
            }
            let had = HadamardMatrix::sylvester(k).expect("fast form implies power of two");
            (0..k)
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
/// For a matrix with a fast form (a Sylvester matrix up to permutations and sign flips) the
/// check first verifies entrywise that the matrix equals its fast form, then checks the
/// structure in Sylvester coordinates; for other matrices it checks `Z_ij = Z_{0, i XOR j}` on
/// the rows as given (an index `i XOR j >= K` is a violation).
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
        "Sylvester coordinates of the fast form"
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
    for i in 0..k {
        for j in 0..k {
            let x = i ^ j;
            if x >= k || z[i][j] != z[0][x] {
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
