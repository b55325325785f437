//! Which Hadamard matrices diagonalise the softmax for every spectrum (docs/math.md section 14).
//!
//! Everything here is exact integer work on the +-1 entries: the closure criterion on the
//! normalised columns, equivalence invariants (the 4-profile and a 2-rank), block switching, and
//! the named constructions (Sylvester, Paley I, Paley II, switched Sylvester matrices of order
//! 16). Columns and rows are held as bit masks (bit `a` set when the entry is -1), so the order
//! is limited to [`MAX_SCOPE_ORDER`].

use super::hadamard::{HadamardError, HadamardMatrix};
use std::collections::{BTreeMap, HashSet};

/// Largest order handled here (rows and columns are `u64` masks).
pub const MAX_SCOPE_ORDER: usize = 64;

/// Why a construction or a switching is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The order is outside `1..=MAX_SCOPE_ORDER`.
    #[error("order {0} is outside 1..={MAX_SCOPE_ORDER} (rows and columns are 64-bit masks)")]
    Order(usize),
    /// A construction's parameters are invalid.
    #[error(transparent)]
    Hadamard(#[from] HadamardError),
    /// An unknown basis name.
    #[error("unknown basis `{0}`: expected sylvester:K, paley1:q (q = 3 mod 4 prime), paley2:q (q = 1 mod 4 prime) or switched16:1, switched16:2, switched16:3, switched16:3t")]
    UnknownName(String),
    /// A block switching would break `H H^T = K I`.
    #[error("switching rows {rows:?} x columns {cols:?} is not allowed: row {inside} and row {outside} have a non-zero inner product {dot} on those columns")]
    BadSwitch {
        /// The rows of the block.
        rows: Vec<usize>,
        /// The columns of the block.
        cols: Vec<usize>,
        /// A row of the block...
        inside: usize,
        /// ...and a row outside it...
        outside: usize,
        /// ...whose inner product on the block's columns is not 0.
        dot: i64,
    },
    /// An index out of range in a switching.
    #[error("switching index {0} out of range 0..{1}")]
    Index(usize, usize),
}

fn check_order(h: &HadamardMatrix) -> Result<usize, ScopeError> {
    let k = h.order();
    if k == 0 || k > MAX_SCOPE_ORDER {
        return Err(ScopeError::Order(k));
    }
    Ok(k)
}

/// Row `a` as a mask: bit `j` set when `H_aj = -1`.
fn row_masks(h: &HadamardMatrix) -> Vec<u64> {
    let k = h.order();
    (0..k)
        .map(|a| {
            (0..k)
                .filter(|&j| h.get(a, j) < 0)
                .fold(0u64, |m, j| m | 1 << j)
        })
        .collect()
}

/// The normalised columns as masks: column `j` divided entrywise by its row-0 entry
/// (`n_j(a) = H_aj / H_0j`), bit `a` set when `n_j(a) = -1` (bit 0 is never set).
pub fn normalised_column_masks(h: &HadamardMatrix) -> Vec<u64> {
    let k = h.order();
    (0..k)
        .map(|j| {
            (0..k)
                .filter(|&a| h.get(a, j) * h.get(0, j) < 0)
                .fold(0u64, |m, a| m | 1 << a)
        })
        .collect()
}

/// Where closure fails: the normalised columns `j`, `k` whose entrywise product `u` is not a
/// normalised column (`j = k` when no column is constant, `u` = all ones), with the non-zero
/// coefficients `(N^T u)_p` (at least two: docs/math.md section 14, Lemma 14.3).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosureFailure {
    /// First column of the pair.
    pub j: usize,
    /// Second column of the pair.
    pub k: usize,
    /// The non-zero entries `(p, (N^T u)_p)`, in increasing `p`.
    pub coefficients: Vec<(usize, i64)>,
}

/// The exact closure check of docs/math.md section 14.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Closure {
    /// The normalised columns are closed under the entrywise product.
    pub closed: bool,
    /// The constant normalised column (all +1), if there is one.
    pub constant_column: Option<usize>,
    /// When closed: columns whose products give every normalised column (a basis of the group
    /// `(Z_2)^n` over GF(2), n = log2 K).
    pub generators: Vec<usize>,
    /// When not closed: the first failing pair.
    pub failure: Option<ClosureFailure>,
}

/// Decide exactly whether the normalised columns of `h` are closed under the entrywise
/// product (up to sign: after the normalisation every column has +1 in row 0, so a product is
/// +-(a column) only as +(that column)). O(K^2) mask operations after an O(K^2) setup.
///
/// ```
/// use hadacert::model::{hadamard::HadamardMatrix, hadamard_scope::closure};
/// assert!(closure(&HadamardMatrix::sylvester(8).unwrap()).unwrap().closed);
/// assert!(!closure(&HadamardMatrix::paley(11).unwrap()).unwrap().closed);
/// ```
pub fn closure(h: &HadamardMatrix) -> Result<Closure, ScopeError> {
    let order = check_order(h)?;
    let cols = normalised_column_masks(h);
    let set: HashSet<u64> = cols.iter().copied().collect();
    let constant_column = cols.iter().position(|&m| m == 0);
    let fail = |j: usize, k: usize| {
        let u = cols[j] ^ cols[k];
        // (N^T u)_p = sum_a n_p(a) u(a) = K - 2 popcount(n_p XOR u).
        let coefficients = cols
            .iter()
            .enumerate()
            .map(|(p, &m)| (p, order as i64 - 2 * (m ^ u).count_ones() as i64))
            .filter(|&(_, c)| c != 0)
            .collect();
        Closure {
            closed: false,
            constant_column,
            generators: vec![],
            failure: Some(ClosureFailure { j, k, coefficients }),
        }
    };
    if constant_column.is_none() {
        return Ok(fail(0, 0));
    }
    for j in 0..order {
        for k in j + 1..order {
            if !set.contains(&(cols[j] ^ cols[k])) {
                return Ok(fail(j, k));
            }
        }
    }
    // Closed: a GF(2) basis of the masks (the group (Z_2)^n).
    let mut basis: Vec<u64> = Vec::new();
    let mut generators = Vec::new();
    for (j, &m) in cols.iter().enumerate() {
        let mut r = m;
        for &b in &basis {
            r = r.min(r ^ b);
        }
        if r != 0 {
            basis.push(r);
            basis.sort_unstable_by(|a, b| b.cmp(a));
            generators.push(j);
        }
    }
    Ok(Closure {
        closed: true,
        constant_column,
        generators,
        failure: None,
    })
}

/// The normalised form: columns multiplied by their row-0 entry, then rows by their column-0
/// entry, so that row 0 and column 0 are all +1 (an equivalent matrix).
pub fn normalise(h: &HadamardMatrix) -> Result<HadamardMatrix, ScopeError> {
    let k = h.order();
    let mut e = vec![0i8; k * k];
    for a in 0..k {
        for j in 0..k {
            e[a * k + j] = h.get(a, j) * h.get(0, j) * h.get(a, 0) * h.get(0, 0);
        }
    }
    Ok(HadamardMatrix::from_entries(k, e)?)
}

/// Negate the block `rows x cols` of `h`. Allowed exactly when every row of the block is
/// orthogonal, on `cols`, to every row outside it (then `H H^T = K I` is kept: docs/math.md
/// section 14); otherwise an error names a violating pair.
pub fn switch_block(
    h: &HadamardMatrix,
    rows: &[usize],
    cols: &[usize],
) -> Result<HadamardMatrix, ScopeError> {
    let k = h.order();
    if let Some(&i) = rows.iter().chain(cols).find(|&&i| i >= k) {
        return Err(ScopeError::Index(i, k));
    }
    let inside: HashSet<usize> = rows.iter().copied().collect();
    let colset: HashSet<usize> = cols.iter().copied().collect();
    for &i in rows {
        for o in (0..k).filter(|o| !inside.contains(o)) {
            let dot: i64 = colset
                .iter()
                .map(|&j| (h.get(i, j) * h.get(o, j)) as i64)
                .sum();
            if dot != 0 {
                return Err(ScopeError::BadSwitch {
                    rows: rows.to_vec(),
                    cols: cols.to_vec(),
                    inside: i,
                    outside: o,
                    dot,
                });
            }
        }
    }
    let mut e = h.entries().to_vec();
    for &i in &inside {
        for &j in &colset {
            e[i * k + j] = -e[i * k + j];
        }
    }
    Ok(HadamardMatrix::from_entries(k, e)?)
}

/// Equivalence invariants (unchanged by row and column permutations and negations).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Invariants {
    /// The 4-profile: for every set of 4 distinct rows, `|sum_j H_aj H_bj H_cj H_dj|`; the map
    /// value -> number of 4-sets (empty for K < 4).
    pub profile: BTreeMap<u64, u64>,
    /// The pair profile: for every pair of rows, the number of 4-sets containing it with
    /// `|sum| = K`; the map count -> number of pairs. It separates the two order-16 classes
    /// with the same 4-profile and 2-rank (transposes of each other).
    pub pair_profile: BTreeMap<u64, u64>,
    /// The GF(2) rank of the (0,1) matrix `(J - H')/2` of the normalised form `H'`, computed
    /// as `rank span{r_a + r_0, 1} - 1` (r_a the rows of `(J - H)/2`), which no equivalence
    /// changes.
    pub two_rank: usize,
}

impl Invariants {
    /// `profile` as text: `|sum| = 16: 140, 0: 1680`.
    pub fn profile_text(&self) -> String {
        if self.profile.is_empty() {
            return "none (K < 4)".into();
        }
        self.profile
            .iter()
            .rev()
            .map(|(v, n)| format!("{v}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Compute the [`Invariants`] of `h` (O(K^4 / 24) mask operations for the profile).
pub fn invariants(h: &HadamardMatrix) -> Result<Invariants, ScopeError> {
    let k = check_order(h)?;
    let rows = row_masks(h);
    let mut profile = BTreeMap::new();
    let mut pairs = vec![0u64; k * k];
    for a in 0..k {
        for b in a + 1..k {
            let ab = rows[a] ^ rows[b];
            for c in b + 1..k {
                let abc = ab ^ rows[c];
                for (d, &rd) in rows.iter().enumerate().skip(c + 1) {
                    let s = (k as i64 - 2 * (abc ^ rd).count_ones() as i64).unsigned_abs();
                    *profile.entry(s).or_insert(0u64) += 1;
                    if s == k as u64 {
                        for (x, y) in [(a, b), (a, c), (a, d), (b, c), (b, d), (c, d)] {
                            pairs[x * k + y] += 1;
                        }
                    }
                }
            }
        }
    }
    let mut pair_profile = BTreeMap::new();
    for a in 0..k {
        for b in a + 1..k {
            *pair_profile.entry(pairs[a * k + b]).or_insert(0u64) += 1;
        }
    }
    let ones = if k == 64 { u64::MAX } else { (1u64 << k) - 1 };
    let mut basis: Vec<u64> = Vec::new();
    for v in rows
        .iter()
        .map(|&r| r ^ rows[0])
        .chain(std::iter::once(ones))
    {
        let mut r = v;
        for &b in &basis {
            r = r.min(r ^ b);
        }
        if r != 0 {
            basis.push(r);
            basis.sort_unstable_by(|a, b| b.cmp(a));
        }
    }
    Ok(Invariants {
        profile,
        pair_profile,
        two_rank: basis.len() - 1,
    })
}

/// The block switchings (columns, rows) that turn `Had_16` into the representatives
/// `switched16:1..3`, applied in order (each is checked by [`switch_block`]). Found by a seeded
/// search over allowed 4 x 4 switchings; each step lowers the number of 4-sets with
/// `|sum| = 16` (140 -> 76 -> 44 -> 28), so the four matrices lie in four different classes.
pub const SWITCHINGS_16: [([usize; 4], [usize; 4]); 3] = [
    ([0, 3, 9, 10], [0, 4, 11, 15]),
    ([0, 3, 4, 7], [3, 4, 8, 15]),
    ([8, 9, 10, 11], [8, 11, 12, 15]),
];

/// A named construction and its description.
#[derive(Clone, Debug)]
pub struct NamedBasis {
    /// The matrix, normalised (row 0 and column 0 all +1) except for `sylvester:K`, which is
    /// already.
    pub matrix: HadamardMatrix,
    /// Short description for reports (`Paley I, q = 11`).
    pub description: String,
}

/// Build a named basis: `sylvester:K`, `paley1:q`, `paley2:q`, `switched16:s` (s = 1, 2, 3
/// switchings of `Had_16`), `switched16:3t` (the transpose of `switched16:3`). Paley matrices are returned normalised, so that they have a constant
/// column and pass the first-order test of section 14.
///
/// ```
/// use hadacert::model::hadamard_scope::named;
/// let b = named("paley2:13").unwrap();
/// assert_eq!(b.matrix.order(), 28);
/// assert!(b.matrix.is_hadamard());
/// ```
pub fn named(name: &str) -> Result<NamedBasis, ScopeError> {
    let unknown = || ScopeError::UnknownName(name.to_string());
    let (family, arg) = name.split_once(':').ok_or_else(unknown)?;
    let n: usize = arg
        .trim()
        .trim_end_matches('t')
        .parse()
        .map_err(|_| unknown())?;
    if arg.trim().ends_with('t') && (family.trim() != "switched16" || n != 3) {
        return Err(unknown());
    }
    let check = |h: HadamardMatrix| -> Result<HadamardMatrix, ScopeError> {
        check_order(&h)?;
        Ok(h)
    };
    let (matrix, description) = match family.trim() {
        "sylvester" => {
            if n > MAX_SCOPE_ORDER {
                return Err(ScopeError::Order(n));
            }
            (
                check(HadamardMatrix::sylvester(n)?)?,
                "Sylvester".to_string(),
            )
        }
        "paley1" => {
            if n + 1 > MAX_SCOPE_ORDER {
                return Err(ScopeError::Order(n + 1));
            }
            (
                normalise(&HadamardMatrix::paley(n)?)?,
                format!("Paley I, q = {n}"),
            )
        }
        "paley2" => {
            if 2 * (n + 1) > MAX_SCOPE_ORDER {
                return Err(ScopeError::Order(2 * (n + 1)));
            }
            (
                normalise(&HadamardMatrix::paley2(n)?)?,
                format!("Paley II, q = {n}"),
            )
        }
        "switched16" => {
            if !(1..=SWITCHINGS_16.len()).contains(&n) {
                return Err(unknown());
            }
            let transposed = arg.trim().ends_with('t');
            let mut h = HadamardMatrix::sylvester(16)?;
            for (cols, rows) in &SWITCHINGS_16[..n] {
                h = switch_block(&h, rows, cols)?;
            }
            if transposed {
                h = transpose(&h)?;
            }
            (
                normalise(&h)?,
                format!(
                    "{}Sylvester 16 after {n} block switching{}",
                    if transposed { "transpose of " } else { "" },
                    if n > 1 { "s" } else { "" }
                ),
            )
        }
        _ => return Err(unknown()),
    };
    Ok(NamedBasis {
        matrix,
        description,
    })
}

/// The transpose (again Hadamard: `H^T H = K I` follows from `H H^T = K I`).
pub fn transpose(h: &HadamardMatrix) -> Result<HadamardMatrix, ScopeError> {
    let k = h.order();
    let e = (0..k * k).map(|x| h.get(x % k, x / k)).collect();
    Ok(HadamardMatrix::from_entries(k, e)?)
}

/// Parse a matrix given row by row as strings of `+` and `-` (one string per row).
pub fn from_sign_rows(rows: &[String]) -> Result<HadamardMatrix, ScopeError> {
    let k = rows.len();
    if k == 0 || k > MAX_SCOPE_ORDER {
        return Err(ScopeError::Order(k));
    }
    let mut e = Vec::with_capacity(k * k);
    for (i, r) in rows.iter().enumerate() {
        let signs: Vec<i8> = r
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '+' => Ok(1),
                '-' => Ok(-1),
                other => Err(ScopeError::Hadamard(HadamardError::BadEntries(format!(
                    "row {i} has `{other}`: write each row as a string of + and -"
                )))),
            })
            .collect::<Result<_, _>>()?;
        if signs.len() != k {
            return Err(ScopeError::Hadamard(HadamardError::BadEntries(format!(
                "row {i} has {} entries but there are {k} rows",
                signs.len()
            ))));
        }
        e.extend(signs);
    }
    Ok(HadamardMatrix::from_entries(k, e)?)
}

/// The equivalence class, where an invariant decides it: `Some("Sylvester")` when the columns
/// are closed (section 14, Theorem 14.2), the order-16 classes by their number of 4-sets with
/// `|sum| = 16` and 2-rank, the unique class of order 12, and `None` otherwise.
pub fn class_label(order: usize, closed: bool, inv: &Invariants) -> Option<String> {
    if closed {
        return Some(format!(
            "Sylvester (characters of (Z_2)^{})",
            order.trailing_zeros()
        ));
    }
    let full = inv.profile.get(&(order as u64)).copied().unwrap_or(0);
    match (order, full, inv.two_rank) {
        (12, ..) => Some("the unique class of order 12".into()),
        (16, 140, 4) => Some(
            "the Sylvester class up to Hadamard equivalence, with row signs that are no \
             character"
                .into(),
        ),
        (16, 76, 5) => Some("order-16 class A (of switched16:1)".into()),
        (16, 44, 6) => Some("order-16 class B (of switched16:2)".into()),
        (16, 28, 7) => match inv.pair_profile.get(&3) {
            Some(56) => Some("order-16 class C (of switched16:3)".into()),
            _ if inv.pair_profile.get(&7) == Some(&8) => {
                Some("order-16 class D (of switched16:3t, the transpose of switched16:3)".into())
            }
            _ => None,
        },
        _ => None,
    }
}
