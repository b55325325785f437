//! Hadamard matrices as exact integer data: Sylvester, Paley, and equivalence transforms.
//!
//! Matrices are never scaled by `1/sqrt(K)`: every computation uses the integer matrix and an
//! exact division by `K` (docs/math.md section 2), so no square root is rounded.

use serde::{Deserialize, Serialize};

/// A square matrix with entries +-1, stored row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HadamardMatrix {
    order: usize,
    entries: Vec<i8>,
    /// Set when the matrix is a Sylvester matrix up to an equivalence that keeps the fast path
    /// valid (see [`FastForm`]).
    fast: Option<FastForm>,
}

/// `H = P_r D_r Had_K D_c P_c`, with `P` permutations and `D` sign flips. Then
/// `H diag(x) H^T = P_r D_r Had diag(x') Had D_r P_r^T` with `x' = P_c x`, so Walsh-Hadamard
/// transforms apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastForm {
    /// `row_perm[i]` = the row of `D_r Had D_c P_c` placed at row `i`.
    pub row_perm: Vec<usize>,
    /// Sign applied to row `row_perm[i]` of Had before the permutation.
    pub row_sign: Vec<i8>,
    /// `col_perm[j]` = the column of `Had D_c` placed at column `j`.
    pub col_perm: Vec<usize>,
    /// Sign applied to column `col_perm[j]` of Had.
    pub col_sign: Vec<i8>,
}

/// Equivalence transforms of a Hadamard matrix, as data (applied in this order: column signs,
/// column permutation, row signs, row permutation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalence {
    /// New row `i` is old row `row_perm[i]` (empty = identity).
    #[serde(default)]
    pub row_perm: Vec<usize>,
    /// Old rows whose sign is flipped.
    #[serde(default)]
    pub row_flip: Vec<usize>,
    /// New column `j` is old column `col_perm[j]` (empty = identity).
    #[serde(default)]
    pub col_perm: Vec<usize>,
    /// Old columns whose sign is flipped.
    #[serde(default)]
    pub col_flip: Vec<usize>,
}

/// Why a matrix request is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HadamardError {
    /// Sylvester needs K = 2^n.
    #[error("Sylvester order must be a power of two >= 1, got {0}")]
    NotPowerOfTwo(usize),
    /// Paley needs a prime q = 3 mod 4.
    #[error("Paley construction needs a prime q with q = 3 (mod 4), got {0}")]
    BadPaleyPrime(usize),
    /// A permutation is not a bijection of 0..K.
    #[error("`{field}` is not a permutation of 0..{order}")]
    BadPermutation { field: &'static str, order: usize },
    /// An index is out of range.
    #[error("`{field}` has index {index}, out of range 0..{order}")]
    IndexOutOfRange {
        field: &'static str,
        index: usize,
        order: usize,
    },
    /// Too large for this tool.
    #[error("order {0} exceeds the limit {MAX_ORDER}")]
    TooLarge(usize),
    /// Paley II needs a prime q = 1 mod 4.
    #[error("Paley II construction needs a prime q with q = 1 (mod 4), got {0}")]
    BadPaley2Prime(usize),
    /// Entries given row by row are not a square array of +-1.
    #[error("matrix entries: {0}")]
    BadEntries(String),
    /// Internal: a transformed matrix does not equal its composed Sylvester form (the fast
    /// paths would compute with another matrix). Checked in every build, never assumed.
    #[error("internal error: the transformed matrix of order {0} differs from its Sylvester form")]
    InconsistentFastForm(usize),
}

/// Largest matrix order accepted (dense K x K storage of enclosures must fit in memory).
pub const MAX_ORDER: usize = 8192;

fn popcount_sign(x: usize) -> i8 {
    if x.count_ones() % 2 == 0 {
        1
    } else {
        -1
    }
}

fn is_prime(q: usize) -> bool {
    q >= 2 && (2..).take_while(|d| d * d <= q).all(|d| q % d != 0)
}

/// The quadratic character of `a` modulo the odd prime `q` (0 for `a = 0 mod q`), by Euler's
/// criterion.
pub fn quadratic_character(a: usize, q: usize) -> i8 {
    let a = a % q;
    if a == 0 {
        return 0;
    }
    let (mut base, mut e, mut r) = (a as u64, ((q - 1) / 2) as u64, 1u64);
    while e > 0 {
        if e & 1 == 1 {
            r = r * base % q as u64;
        }
        base = base * base % q as u64;
        e >>= 1;
    }
    if r == 1 {
        1
    } else {
        -1
    }
}

fn check_perm(p: &[usize], order: usize, field: &'static str) -> Result<(), HadamardError> {
    if p.is_empty() {
        return Ok(());
    }
    let mut seen = vec![false; order];
    if p.len() != order {
        return Err(HadamardError::BadPermutation { field, order });
    }
    for &i in p {
        if i >= order || seen[i] {
            return Err(HadamardError::BadPermutation { field, order });
        }
        seen[i] = true;
    }
    Ok(())
}

fn check_indices(v: &[usize], order: usize, field: &'static str) -> Result<(), HadamardError> {
    match v.iter().find(|&&i| i >= order) {
        Some(&index) => Err(HadamardError::IndexOutOfRange {
            field,
            index,
            order,
        }),
        None => Ok(()),
    }
}

impl HadamardMatrix {
    /// The Sylvester matrix `Had_K`, `(Had_K)_{ij} = (-1)^popcount(i & j)`.
    ///
    /// ```
    /// use hadacert::model::hadamard::HadamardMatrix;
    /// let h = HadamardMatrix::sylvester(4).unwrap();
    /// assert_eq!(h.get(3, 3), 1);   // popcount(3) = 2
    /// assert_eq!(h.get(1, 3), -1);
    /// assert!(h.is_hadamard());
    /// ```
    pub fn sylvester(order: usize) -> Result<Self, HadamardError> {
        if !order.is_power_of_two() {
            return Err(HadamardError::NotPowerOfTwo(order));
        }
        if order > MAX_ORDER {
            return Err(HadamardError::TooLarge(order));
        }
        let entries = (0..order * order)
            .map(|k| popcount_sign((k / order) & (k % order)))
            .collect();
        let id: Vec<usize> = (0..order).collect();
        Ok(HadamardMatrix {
            order,
            entries,
            fast: Some(FastForm {
                row_perm: id.clone(),
                row_sign: vec![1; order],
                col_perm: id,
                col_sign: vec![1; order],
            }),
        })
    }

    /// The Paley (type I) Hadamard matrix of order `q + 1` for a prime `q = 3 (mod 4)`:
    /// `H = I + S` with `S` the skew Jacobsthal-bordered matrix (same construction as the Arb
    /// reference script).
    pub fn paley(q: usize) -> Result<Self, HadamardError> {
        if !is_prime(q) || q % 4 != 3 {
            return Err(HadamardError::BadPaleyPrime(q));
        }
        if q + 1 > MAX_ORDER {
            return Err(HadamardError::TooLarge(q + 1));
        }
        let n = q + 1;
        let chi = |a: usize| -> i8 {
            let a = a % q;
            if a == 0 {
                return 0;
            }
            // Euler's criterion with modular exponentiation.
            let (mut base, mut e, mut r) = (a as u64, ((q - 1) / 2) as u64, 1u64);
            while e > 0 {
                if e & 1 == 1 {
                    r = r * base % q as u64;
                }
                base = base * base % q as u64;
                e >>= 1;
            }
            if r == 1 {
                1
            } else {
                -1
            }
        };
        let mut h = vec![0i8; n * n];
        for j in 1..n {
            h[j] = 1;
            h[j * n] = -1;
        }
        for i in 0..q {
            for j in 0..q {
                h[(i + 1) * n + j + 1] = chi(j + q - i);
            }
        }
        for i in 0..n {
            h[i * n + i] += 1;
        }
        Ok(HadamardMatrix {
            order: n,
            entries: h,
            fast: None,
        })
    }

    /// A matrix from its entries, row-major (`order * order` values, each +1 or -1). It has no
    /// fast form; whether it is Hadamard is not assumed (check [`Self::is_hadamard`]).
    pub fn from_entries(order: usize, entries: Vec<i8>) -> Result<Self, HadamardError> {
        if order == 0 {
            return Err(HadamardError::BadEntries("order 0".into()));
        }
        if order > MAX_ORDER {
            return Err(HadamardError::TooLarge(order));
        }
        if entries.len() != order * order {
            return Err(HadamardError::BadEntries(format!(
                "{} entries for order {order} (need {})",
                entries.len(),
                order * order
            )));
        }
        if let Some(i) = entries.iter().position(|&e| e != 1 && e != -1) {
            return Err(HadamardError::BadEntries(format!(
                "entry ({}, {}) is {}, not +1 or -1",
                i / order,
                i % order,
                entries[i]
            )));
        }
        Ok(HadamardMatrix {
            order,
            entries,
            fast: None,
        })
    }

    /// The Paley type II Hadamard matrix of order `2(q + 1)` for a prime `q = 1 (mod 4)`
    /// (docs/math.md section 13): with `chi` the quadratic character mod q, the symmetric
    /// conference matrix `C` of order `q + 1` (`C_00 = 0`, `C_0j = C_j0 = 1`,
    /// `C_{i+1, j+1} = chi(j - i)`), `H = C (x) [[1, -1], [-1, -1]] + I (x) [[1, 1], [1, -1]]`.
    pub fn paley2(q: usize) -> Result<Self, HadamardError> {
        if !is_prime(q) || q % 4 != 1 {
            return Err(HadamardError::BadPaley2Prime(q));
        }
        let n = q + 1;
        if 2 * n > MAX_ORDER {
            return Err(HadamardError::TooLarge(2 * n));
        }
        let mut c = vec![0i8; n * n];
        for j in 1..n {
            c[j] = 1;
            c[j * n] = 1;
        }
        for i in 0..q {
            for j in 0..q {
                c[(i + 1) * n + j + 1] = quadratic_character(j + q - i, q);
            }
        }
        let a = [[1i8, -1], [-1, -1]];
        let b = [[1i8, 1], [1, -1]];
        let m = 2 * n;
        let mut h = vec![0i8; m * m];
        for i in 0..n {
            for j in 0..n {
                for (x, (ra, rb)) in a.iter().zip(b.iter()).enumerate() {
                    for y in 0..2 {
                        let v = c[i * n + j] * ra[y] + if i == j { rb[y] } else { 0 };
                        h[(2 * i + x) * m + 2 * j + y] = v;
                    }
                }
            }
        }
        Self::from_entries(m, h)
    }

    /// Apply an equivalence transform (the result is again Hadamard). If `self` has a fast form,
    /// the result keeps one, so Walsh-Hadamard transforms still apply.
    pub fn transform(&self, eq: &Equivalence) -> Result<Self, HadamardError> {
        let n = self.order;
        check_perm(&eq.row_perm, n, "row_perm")?;
        check_perm(&eq.col_perm, n, "col_perm")?;
        check_indices(&eq.row_flip, n, "row_flip")?;
        check_indices(&eq.col_flip, n, "col_flip")?;
        let mut col_sign = vec![1i8; n];
        for &j in &eq.col_flip {
            col_sign[j] = -col_sign[j];
        }
        let mut row_sign = vec![1i8; n];
        for &i in &eq.row_flip {
            row_sign[i] = -row_sign[i];
        }
        let rp = |i: usize| {
            if eq.row_perm.is_empty() {
                i
            } else {
                eq.row_perm[i]
            }
        };
        let cp = |j: usize| {
            if eq.col_perm.is_empty() {
                j
            } else {
                eq.col_perm[j]
            }
        };
        let mut entries = vec![0i8; n * n];
        for i in 0..n {
            for j in 0..n {
                let (oi, oj) = (rp(i), cp(j));
                entries[i * n + j] = self.get(oi, oj) * row_sign[oi] * col_sign[oj];
            }
        }
        let fast = self.fast.as_ref().map(|f| {
            // Compose: old = P_r D_r Had D_c P_c; new = P'_r D'_r old D'_c P'_c.
            let mut row_perm = vec![0; n];
            let mut rs = vec![0i8; n];
            for i in 0..n {
                let oi = rp(i);
                row_perm[i] = f.row_perm[oi];
                rs[f.row_perm[oi]] = f.row_sign[f.row_perm[oi]] * row_sign[oi];
            }
            let mut col_perm = vec![0; n];
            let mut cs = vec![0i8; n];
            for j in 0..n {
                let oj = cp(j);
                col_perm[j] = f.col_perm[oj];
                cs[f.col_perm[oj]] = f.col_sign[f.col_perm[oj]] * col_sign[oj];
            }
            FastForm {
                row_perm,
                row_sign: rs,
                col_perm,
                col_sign: cs,
            }
        });
        let out = HadamardMatrix {
            order: n,
            entries,
            fast,
        };
        // The fast paths (logits, rotation, the exact argument) compute with the composed form:
        // verify it entrywise in every build (O(K^2)), so a refutation or proof can never rest
        // on a different matrix.
        if !out.fast_form_consistent() {
            return Err(HadamardError::InconsistentFastForm(n));
        }
        Ok(out)
    }

    /// The order K.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Entry (i, j), +-1.
    pub fn get(&self, i: usize, j: usize) -> i8 {
        self.entries[i * self.order + j]
    }

    /// The fast form, when the matrix is an equivalence transform of Sylvester's.
    pub fn fast_form(&self) -> Option<&FastForm> {
        self.fast.as_ref()
    }

    /// Exact check that `H H^T = K I` (integer arithmetic, O(K^3)).
    pub fn is_hadamard(&self) -> bool {
        let n = self.order;
        (0..n).all(|i| {
            (0..n).all(|j| {
                let dot: i64 = (0..n)
                    .map(|k| (self.get(i, k) * self.get(j, k)) as i64)
                    .sum();
                dot == if i == j { n as i64 } else { 0 }
            })
        })
    }

    /// Entries as i64 (for exact computations).
    pub fn entries(&self) -> &[i8] {
        &self.entries
    }

    /// Entrywise check that the matrix equals its fast form (true when it has none).
    pub fn fast_form_consistent(&self) -> bool {
        let Some(f) = &self.fast else { return true };
        let n = self.order;
        (0..n).all(|i| {
            (0..n).all(|j| {
                let r = f.row_perm[i];
                let c = f.col_perm[j];
                self.get(i, j) == popcount_sign(r & c) * f.row_sign[r] * f.col_sign[c]
            })
        })
    }
}
