//! The exact part of claim A: with rational `lambda`, the logits `Z = H diag(lambda) H^T / K`
//! of a Sylvester matrix satisfy `Z_ij = Z_{0, i XOR j}` (docs/math.md section 3). Checked in exact
//! integer arithmetic after clearing denominators; no rounding is involved.

use super::hadamard::HadamardMatrix;
use super::wht::{fwht, WhtElement};
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

/// The integer arithmetic of [`integer_logits`]: `rug::Integer`, or `i64` when no intermediate
/// value can leave its range (then both give the same exact integers).
trait ExactInt:
    Clone
    + PartialEq
    + Default
    + WhtElement
    + std::ops::Neg<Output = Self>
    + for<'a> std::ops::AddAssign<&'a Self>
    + for<'a> std::ops::SubAssign<&'a Self>
{
}
impl ExactInt for Integer {}
impl ExactInt for i64 {}

/// Exact integers `D * Z * K` with `D` the common denominator of `lambda`.
///
/// Every entry computed (the transforms' intermediates included) is a signed sum of the `K`
/// integers `n_j`, so its absolute value is at most `sum_j |n_j|`; when that fits in `i64` with
/// room (below `2^62`) the work is done in `i64`, exactly, and otherwise in `rug::Integer`.
fn integer_logits(h: &HadamardMatrix, lambda: &[Rational]) -> Logits {
    let mut den = Integer::from(1);
    for l in lambda {
        den.lcm_mut(l.denom());
    }
    let n: Vec<Integer> = lambda
        .iter()
        .map(|l| Integer::from(l.numer() * (den.clone() / l.denom())))
        .collect();
    let total = n
        .iter()
        .fold(Integer::new(), |acc, x| acc + x.clone().abs());
    if total < (Integer::from(1) << 62) {
        let small: Vec<i64> = n.iter().map(|x| x.to_i64().expect("below 2^62")).collect();
        Logits::Small(integer_logits_in(h, &small))
    } else {
        Logits::Big(integer_logits_in(h, &n))
    }
}

/// The exact integer logits, in whichever integer type computed them.
enum Logits {
    Small(Vec<Vec<i64>>),
    Big(Vec<Vec<Integer>>),
}

/// The first (i, j) with `z[i][j] != z[row_of[0]][row_of[label(i) XOR label(j)]]`.
fn first_xor_violation<N: PartialEq>(
    z: &[Vec<N>],
    label: &[usize],
    row_of: &[usize],
) -> Option<(usize, usize)> {
    let k = z.len();
    for i in 0..k {
        for j in 0..k {
            let x = label[i] ^ label[j];
            if x >= k || z[i][j] != z[row_of[0]][row_of[x]] {
                return Some((i, j));
            }
        }
    }
    None
}

fn integer_logits_in<N: ExactInt>(h: &HadamardMatrix, n: &[N]) -> Vec<Vec<N>> {
    let k = h.order();
    match h.fast_form() {
        Some(ff) => {
            // Y = Had diag(mu) Had in Sylvester coordinates, by one transform per row; then
            // the logits as given: Z(i, l) = rho(r_i) rho(r_l) Y(r_i, r_l).
            let mut mu = vec![N::default(); k];
            for (j, v) in n.iter().enumerate() {
                mu[ff.col_perm[j]] = v.clone();
            }
            let had = HadamardMatrix::sylvester(k).expect("fast form implies power of two");
            let y: Vec<Vec<N>> = (0..k)
                .map(|a| {
                    let mut row: Vec<N> = (0..k)
                        .map(|c| {
                            if had.get(a, c) > 0 {
                                mu[c].clone()
                            } else {
                                -mu[c].clone()
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
                        let mut acc = N::default();
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
    let violation = match &z {
        Logits::Small(z) => first_xor_violation(z, &label, &row_of),
        Logits::Big(z) => first_xor_violation(z, &label, &row_of),
    };
    if let Some((i, j)) = violation {
        return fail(i, j);
    }
    XorStructure {
        holds: true,
        first_violation: None,
        coordinates: coordinates.into(),
    }
}

/// The exact argument behind a *proved* C1 verdict (docs/math.md section 3).
///
/// Enclosures can show `|(Q^T S Q)_ij| <= b`, never `= 0`. "Diagonal" is proved only by this
/// argument, decided in exact integer arithmetic:
///
/// 1. the matrix equals `P_r D_r Had D_c P_c` entrywise (its recorded Sylvester form: row
///    permutation `P_r`, row signs `D_r`, column signs `D_c`, column permutation `P_c`);
/// 2. the row signs are a character up to one global sign: `rho(r) rho(0) = (-1)^popcount(r & c)`
///    for one `c` and every Sylvester row `r`.
///
/// Then `D_r Had = +-Had Pi_c` (`Pi_c` permutes columns by `j -> j XOR c`), so
/// `Z = P_r Y P_r^T` with `Y_ab = f~(a XOR b)`, the column softmax is `P_r S' P_r^T` with
/// `S'_ab = p~(a XOR b)`, and the characters (the columns of `Had`) diagonalise every such
/// XOR-convolution: `Q^T S Q = P_c^T D_c diag(s) D_c P_c` exactly, for every real `lambda`.
/// Row signs that are not a character break step 2 (and the property: a row flip of a single
/// class does not diagonalise S even when `Z = cI` is unchanged).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiagonalisationArgument {
    /// Both steps hold.
    pub holds: bool,
    /// The character `c` of the row signs, when step 2 holds. In Sylvester coordinates the
    /// logits are `f~ = Had mu~ / K` with `mu~_{i XOR c} = mu_i`, and diagonal entry m is
    /// `s~_{col_perm[m] XOR c}`.
    pub character: Option<usize>,
    /// What was checked, or which step fails and where.
    pub detail: String,
}

/// Decide the exact argument of [`DiagonalisationArgument`] for `h` (O(K^2) integer work).
///
/// ```
/// use hadacert::model::{hadamard::{Equivalence, HadamardMatrix}, structure::diagonalisation_argument};
/// let h = HadamardMatrix::sylvester(8).unwrap();
/// assert!(diagonalisation_argument(&h).holds);
/// // Flipping rows 1 and 2 is not a character: no exact argument.
/// let flip = Equivalence { row_flip: vec![1, 2], ..Default::default() };
/// assert!(!diagonalisation_argument(&h.transform(&flip).unwrap()).holds);
/// // Flipping the rows r with popcount(r & 3) odd is the character chi_3: still diagonal.
/// let chi3 = Equivalence { row_flip: vec![1, 2, 5, 6], ..Default::default() };
/// let arg = diagonalisation_argument(&h.transform(&chi3).unwrap());
/// assert!(arg.holds && arg.character == Some(3));
/// ```
pub fn diagonalisation_argument(h: &HadamardMatrix) -> DiagonalisationArgument {
    let fail = |detail: String| DiagonalisationArgument {
        holds: false,
        character: None,
        detail,
    };
    let Some(ff) = h.fast_form() else {
        return fail(
            "no Sylvester form: the matrix is not built from Sylvester's by the operations that \
             keep the property, so no exact argument applies (enclosures alone can only bound \
             the off-diagonal entries)"
                .into(),
        );
    };
    if !h.fast_form_consistent() {
        return fail("the matrix differs entrywise from its recorded Sylvester form".into());
    }
    let k = h.order();
    let sigma = |r: usize| ff.row_sign[r] * ff.row_sign[0];
    let c = (0..k.trailing_zeros() as usize)
        .filter(|&i| sigma(1 << i) < 0)
        .fold(0usize, |c, i| c | (1 << i));
    let chi = |r: usize| if (r & c).count_ones() % 2 == 0 { 1 } else { -1 };
    if let Some(r) = (0..k).find(|&r| sigma(r) != chi(r)) {
        return fail(format!(
            "the row signs are not a character: Sylvester row {r} has relative sign {} but the \
             only candidate character chi_{c} gives {}",
            sigma(r),
            chi(r)
        ));
    }
    DiagonalisationArgument {
        holds: true,
        character: Some(c),
        detail: format!(
            "H = P_r D_r Had D_c P_c checked entrywise; row signs = +-chi_{c} (a character), so \
             Z_ij = f(label(i) XOR label(j)) for every lambda and Q^T S Q is exactly diagonal"
        ),
    }
}
