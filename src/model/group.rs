//! Finite abelian groups `G = Z_{n_1} x ... x Z_{n_r}` as claim input, their real orthonormal
//! character basis `Q`, the transform `x -> Q^T x`, and the exact argument behind a *proved*
//! diagonalisation (docs/math.md section 12).
//!
//! Elements are mixed-radix tuples `(g_1, ..., g_r)`, `0 <= g_i < n_i`, stored as the index
//! `g = sum_i g_i * (n_{i+1} * ... * n_r)` (first factor most significant). Characters are
//! indexed the same way: `chi(g) = exp(2 pi i <chi, g>)` with `<chi, g> = sum_i chi_i g_i / n_i
//! (mod 1)`. For `G = Z_2^n` this is the Sylvester labelling: `<m, g> = popcount(m & g) / 2`.

use crate::arith::Real;
use rug::Rational;

/// Largest group order `K` accepted. The transform is `O(K^2)` (a dense sum per output, the
/// phases computed in integers, `16.8 * 10^6` interval multiply-adds per vector at `K = 4096`);
/// the `K x K` matrices of a claim have their own, smaller limit.
pub const MAX_GROUP_ORDER: usize = 4096;

/// Longest group description accepted, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 256;

/// Why a group description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// Nothing to parse.
    #[error("empty group (expected a product of cyclic factors such as `Z12`, `Z2^3`, `Z4xZ4`)")]
    Empty,
    /// The description is longer than [`MAX_DESCRIPTION_BYTES`].
    #[error("a group description of {0} bytes is too long (at most {MAX_DESCRIPTION_BYTES})")]
    TooLong(usize),
    /// A factor is not `Zn` or `Zn^e`.
    #[error(
        "factor `{0}` is not of the form `Zn` or `Zn^e` (integers n >= 2, e >= 1; factors \
         separated by `x`, as in `Z3xZ5` or `Z2^3`)"
    )]
    BadFactor(String),
    /// The order exceeds [`MAX_GROUP_ORDER`].
    #[error(
        "the order of `{0}` exceeds {MAX_GROUP_ORDER} (the O(K^2) character transform and the \
         K x K matrices of a claim are sized for it)"
    )]
    TooLarge(String),
}

/// A finite abelian group given as a product of cyclic factors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbelianGroup {
    moduli: Vec<usize>,
    /// Place value of each factor in the index (first factor most significant).
    place: Vec<usize>,
    order: usize,
    exponent: usize,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn small_int(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl AbelianGroup {
    /// Parse `"Z12"`, `"Z2^3"`, `"Z4xZ4"`, `"Z3 x Z5"`, `"Z4xZ2"`: cyclic factors `Zn` (n >= 2),
    /// optionally with an exponent `^e` (e copies), separated by `x`.
    pub fn parse(text: &str) -> Result<Self, GroupError> {
        if text.len() > MAX_DESCRIPTION_BYTES {
            return Err(GroupError::TooLong(text.len()));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(GroupError::Empty);
        }
        let mut moduli = Vec::new();
        let mut order = 1usize;
        for part in text.split('x') {
            let part = part.trim();
            let bad = || GroupError::BadFactor(part.to_string());
            let body = part.strip_prefix('Z').ok_or_else(bad)?;
            let (n, e) = match body.split_once('^') {
                Some((n, e)) => (small_int(n), small_int(e)),
                None => (small_int(body), Some(1)),
            };
            let (Some(n), Some(e)) = (n, e) else {
                return Err(bad());
            };
            if n < 2 || e < 1 {
                return Err(bad());
            }
            for _ in 0..e {
                order = order
                    .checked_mul(n)
                    .filter(|&k| k <= MAX_GROUP_ORDER)
                    .ok_or_else(|| GroupError::TooLarge(text.to_string()))?;
                moduli.push(n);
            }
        }
        Ok(Self::from_moduli(moduli))
    }

    /// The product of cyclic groups of the given orders (each >= 2, product <= the limit:
    /// checked by [`AbelianGroup::parse`], the public constructor).
    fn from_moduli(moduli: Vec<usize>) -> Self {
        let mut place = vec![1usize; moduli.len()];
        for i in (0..moduli.len().saturating_sub(1)).rev() {
            place[i] = place[i + 1] * moduli[i + 1];
        }
        let order = moduli.iter().product();
        let exponent = moduli.iter().fold(1, |l, &n| l / gcd(l, n) * n);
        AbelianGroup {
            moduli,
            place,
            order,
            exponent,
        }
    }

    /// The order `K = |G|`.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The orders `n_i` of the cyclic factors.
    pub fn moduli(&self) -> &[usize] {
        &self.moduli
    }

    /// The exponent `L = lcm(n_i)`: every pairing `<chi, g>` is a multiple of `1/L`.
    pub fn exponent(&self) -> usize {
        self.exponent
    }

    /// Canonical description, factors in order with repeated factors grouped (`Z2^3`,
    /// `Z4xZ2`).
    pub fn name(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.moduli.len() {
            let n = self.moduli[i];
            let run = self.moduli[i..].iter().take_while(|&&m| m == n).count();
            parts.push(if run == 1 {
                format!("Z{n}")
            } else {
                format!("Z{n}^{run}")
            });
            i += run;
        }
        parts.join("x")
    }

    /// The mixed-radix digits `(g_1, ..., g_r)` of the element with index `g < K`.
    pub fn digits(&self, g: usize) -> Vec<usize> {
        self.moduli
            .iter()
            .zip(&self.place)
            .map(|(&n, &p)| (g / p) % n)
            .collect()
    }

    /// The index of the element with digits `d` (each reduced mod its factor).
    pub fn index(&self, d: &[usize]) -> usize {
        d.iter()
            .zip(&self.moduli)
            .zip(&self.place)
            .map(|((&x, &n), &p)| (x % n) * p)
            .sum()
    }

    /// `g + h`, digit by digit mod `n_i`.
    pub fn add(&self, g: usize, h: usize) -> usize {
        let mut out = 0;
        for (&n, &p) in self.moduli.iter().zip(&self.place) {
            out += (((g / p) % n + (h / p) % n) % n) * p;
        }
        out
    }

    /// `-g`, digit by digit mod `n_i`.
    pub fn neg(&self, g: usize) -> usize {
        let mut out = 0;
        for (&n, &p) in self.moduli.iter().zip(&self.place) {
            out += ((n - (g / p) % n) % n) * p;
        }
        out
    }

    /// `g - h`.
    pub fn sub(&self, g: usize, h: usize) -> usize {
        self.add(g, self.neg(h))
    }

    /// The generators `e_i` (digit 1 in factor i, 0 elsewhere).
    pub fn generators(&self) -> Vec<usize> {
        self.place.clone()
    }

    /// `L <chi, g> mod L`, with `L` the exponent: `chi(g) = exp(2 pi i phase / L)`.
    pub fn phase(&self, chi: usize, g: usize) -> usize {
        let l = self.exponent;
        let mut acc = 0usize;
        for (&n, &p) in self.moduli.iter().zip(&self.place) {
            let (c, x) = ((chi / p) % n, (g / p) % n);
            acc = (acc + c * x % n * (l / n)) % l;
        }
        acc
    }
}

/// What column `m` of the real character basis `Q` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// A real character (`chi = conj chi`, values `+-1`): `sqrt(1/K) chi(g)`.
    Real {
        /// The character.
        chi: usize,
    },
    /// `sqrt(2/K) cos(2 pi <chi, g>)` for the smaller index `chi` of a pair `{chi, -chi}`.
    Cos {
        /// The character (the smaller index of its pair).
        chi: usize,
    },
    /// `sqrt(2/K) sin(2 pi <chi, g>)`, `chi` the smaller index of the pair; this column sits at
    /// index `-chi`.
    Sin {
        /// The character (the smaller index of its pair).
        chi: usize,
    },
}

impl Column {
    /// The character whose real or imaginary part the column is.
    pub fn character(self) -> usize {
        match self {
            Column::Real { chi } | Column::Cos { chi } | Column::Sin { chi } => chi,
        }
    }
}

/// The real orthonormal character basis of a group: column `m` belongs to character `m`
/// (a real character, or the cos / sin member of the pair `{m, -m}`).
#[derive(Clone, Debug)]
pub struct CharacterBasis {
    group: AbelianGroup,
    columns: Vec<Column>,
}

impl CharacterBasis {
    /// The basis of `group`: column `m` is [`Column::Real`] when `-m = m`, [`Column::Cos`]
    /// when `m < -m` and [`Column::Sin`] (of the character `-m`) when `m > -m`.
    pub fn new(group: &AbelianGroup) -> Self {
        let columns = (0..group.order())
            .map(|m| {
                let n = group.neg(m);
                if n == m {
                    Column::Real { chi: m }
                } else if m < n {
                    Column::Cos { chi: m }
                } else {
                    Column::Sin { chi: n }
                }
            })
            .collect();
        CharacterBasis {
            group: group.clone(),
            columns,
        }
    }

    /// The group.
    pub fn group(&self) -> &AbelianGroup {
        &self.group
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The number of pairs of complex-conjugate characters (each gives two columns).
    pub fn pairs(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| matches!(c, Column::Cos { .. }))
            .count()
    }

    /// Encloses `cos(2 pi j / L)` and `sin(2 pi j / L)`, `j = 0..L`, at `prec` bits.
    fn trig_table<T: Real>(&self, prec: u32) -> (Vec<T>, Vec<T>) {
        let l = self.group.exponent();
        (0..l)
            .map(|j| T::cos_sin_two_pi_rational(j as i64, l as u64, prec))
            .unzip()
    }

    /// Encloses the column scales `sqrt(1/K)` (real characters) and `sqrt(2/K)` (pairs).
    fn scales<T: Real>(&self, prec: u32) -> (T, T) {
        let k = self.group.order() as u64;
        (
            T::from_rational(&Rational::from((1, k)), prec).sqrt(),
            T::from_rational(&Rational::from((2, k)), prec).sqrt(),
        )
    }

    /// Encloses `Q` as a row-major `K x K` vector (`q[g * K + m]` = column m at element g), at
    /// `prec` bits. Guarantee: every entry encloses the exact value.
    pub fn enclose_matrix<T: Real>(&self, prec: u32) -> Vec<T> {
        let k = self.group.order();
        let (cos, sin) = self.trig_table::<T>(prec);
        let (s1, s2) = self.scales::<T>(prec);
        let mut q = Vec::with_capacity(k * k);
        for g in 0..k {
            for col in &self.columns {
                q.push(match *col {
                    Column::Real { chi } => s1.clone() * &cos[self.group.phase(chi, g)],
                    Column::Cos { chi } => s2.clone() * &cos[self.group.phase(chi, g)],
                    Column::Sin { chi } => s2.clone() * &sin[self.group.phase(chi, g)],
                });
            }
        }
        q
    }

    /// Encloses `Q^T x` (`x` indexed by group elements, length K), in `O(K^2)` multiply-adds
    /// (`K <= 4096`), the phases computed exactly in integers and the `L` values of cos and sin
    /// enclosed once. Guarantee: each output encloses the exact transform of every point of
    /// the inputs.
    pub fn transform<T: Real>(&self, x: &[T]) -> Vec<T> {
        assert_eq!(x.len(), self.group.order(), "one value per group element");
        let prec = crate::arith::working_prec(x);
        let (cos, sin) = self.trig_table::<T>(prec);
        let (s1, s2) = self.scales::<T>(prec);
        self.columns
            .iter()
            .map(|col| {
                let (table, scale, chi) = match *col {
                    Column::Real { chi } => (&cos, &s1, chi),
                    Column::Cos { chi } => (&cos, &s2, chi),
                    Column::Sin { chi } => (&sin, &s2, chi),
                };
                let mut acc = T::zero();
                for (g, v) in x.iter().enumerate() {
                    acc.add_product(v, &table[self.group.phase(chi, g)]);
                }
                acc * scale
            })
            .collect()
    }

    /// Encloses the character transform of a function `p` on the group, column by column:
    /// `s_m = sum_g p(g) cos(2 pi <chi, g>)` with `chi` the character of column m (so both
    /// columns of a pair get the same value, `Re sum_g p(g) conj chi(g)`). For a symmetric `p`
    /// this is the eigenvalue of the convolution with `p` on either column (docs/math.md
    /// section 12). `O(K^2)`.
    pub fn character_transform<T: Real>(&self, p: &[T]) -> Vec<T> {
        assert_eq!(p.len(), self.group.order(), "one value per group element");
        let prec = crate::arith::working_prec(p);
        let (cos, _) = self.trig_table::<T>(prec);
        self.columns
            .iter()
            .map(|col| {
                let chi = col.character();
                let mut acc = T::zero();
                for (g, v) in p.iter().enumerate() {
                    acc.add_product(v, &cos[self.group.phase(chi, g)]);
                }
                acc
            })
            .collect()
    }
}

/// The exact argument behind a *proved* diagonalisation on a group (docs/math.md section 12):
/// decided in exact rationals on the logits `Z_ij = f(i - j)` that the numerics then enclose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupArgument {
    /// `f(g) = f(-g)` for every g.
    pub symmetric_logits: bool,
    /// `Z_{i+h, j+h} = Z_ij` for every generator h and all i, j (hence for every h in G).
    pub invariant: bool,
    /// `Z_ij = Z_ji` for all i, j.
    pub symmetric_matrix: bool,
    /// What was checked, or the first violation of each part.
    pub detail: String,
}

impl GroupArgument {
    /// Every part holds: then `S` is G-invariant and symmetric and `Q^T S Q` is diagonal.
    pub fn holds(&self) -> bool {
        self.symmetric_logits && self.invariant && self.symmetric_matrix
    }
}

/// The exact logits `Z_ij = f(i - j)` (row-major, `K x K`).
pub fn exact_logits(group: &AbelianGroup, f: &[Rational]) -> Vec<Rational> {
    let k = group.order();
    let mut z = Vec::with_capacity(k * k);
    for i in 0..k {
        for j in 0..k {
            z.push(f[group.sub(i, j)].clone());
        }
    }
    z
}

/// Decide the exact argument on the logits `z = exact_logits(group, f)` (`O(K^2 r)` rational
/// comparisons, r the number of factors).
pub fn group_argument(group: &AbelianGroup, f: &[Rational], z: &[Rational]) -> GroupArgument {
    let k = group.order();
    let show = |g: usize| format!("{:?}", group.digits(g));
    let asym = (0..k).find(|&g| f[g] != f[group.neg(g)]);
    let mut parts = Vec::new();
    match asym {
        None => parts.push("f(g) = f(-g) for every g".to_string()),
        Some(g) => parts.push(format!(
            "f is not symmetric: f({}) = {} but f(-{}) = f({}) = {}",
            show(g),
            f[g],
            show(g),
            show(group.neg(g)),
            f[group.neg(g)]
        )),
    }
    let mut not_invariant = None;
    'outer: for h in group.generators() {
        for i in 0..k {
            for j in 0..k {
                let (a, b) = (group.add(i, h), group.add(j, h));
                if z[a * k + b] != z[i * k + j] {
                    not_invariant = Some((h, i, j));
                    break 'outer;
                }
            }
        }
    }
    match not_invariant {
        None => parts.push(format!(
            "Z is invariant under translation by each generator e_i (i = 1..{})",
            group.moduli().len()
        )),
        Some((h, i, j)) => parts.push(format!(
            "Z is not G-invariant: Z(i + h, j + h) != Z(i, j) at h = {}, i = {}, j = {}",
            show(h),
            show(i),
            show(j)
        )),
    }
    let not_symmetric = (0..k)
        .flat_map(|i| (0..i).map(move |j| (i, j)))
        .find(|&(i, j)| z[i * k + j] != z[j * k + i]);
    match not_symmetric {
        None => parts.push("Z = Z^T".to_string()),
        Some((i, j)) => parts.push(format!(
            "Z is not symmetric at (i, j) = ({}, {})",
            show(i),
            show(j)
        )),
    }
    GroupArgument {
        symmetric_logits: asym.is_none(),
        invariant: not_invariant.is_none(),
        symmetric_matrix: not_symmetric.is_none(),
        detail: parts.join("; "),
    }
}

/// `cos(2 pi j / L)`, `j = 0..L`, exactly, when every value is rational: by Niven's theorem
/// this happens exactly when the exponent `L` divides 4 or 6 (`L` in {2, 3, 4, 6}; values
/// `1, 1/2, 0, -1/2, -1`). `None` otherwise.
pub fn rational_cos_table(group: &AbelianGroup) -> Option<Vec<Rational>> {
    let l = group.exponent();
    if ![1, 2, 3, 4, 6].contains(&l) {
        return None;
    }
    Some(
        (0..l)
            .map(|j| {
                let r = Rational::from((j as u64, l as u64));
                match r.denom().to_u32() {
                    Some(1) => Rational::from(1),
                    Some(2) => Rational::from(-1),
                    Some(3) => Rational::from((-1, 2)),
                    Some(4) => Rational::new(),
                    _ => Rational::from((1, 2)), // 6: j / L = 1/6 or 5/6
                }
            })
            .collect(),
    )
}

/// The first column `m` whose spectral value differs from its conjugate partner's
/// (`lambda_m != lambda_{-m}`: the pairing condition fails), if any.
pub fn pairing_violation(group: &AbelianGroup, lambda: &[Rational]) -> Option<usize> {
    (0..group.order()).find(|&m| lambda[m] != lambda[group.neg(m)])
}

/// The exact logits `Z = Q diag(lambda) Q^T` (row-major `K x K`) of a spectrum on a group
/// whose cosines are rational ([`rational_cos_table`]; `None` otherwise). Every product of two
/// entries of one column of `Q` is rational there: `(2/K) cos a cos b = (1/K)(cos(a - b) +
/// cos(a + b))`, `(2/K) sin a sin b = (1/K)(cos(a - b) - cos(a + b))`, and a real character gives
/// `(1/K) chi(i - j)`. So `Z_ij = A(i - j) + B(i + j)` with
/// `A(g) = (1/K) sum_m c_m cos(2 pi <chi_m, g>)` (`c_m = lambda_m` for a real character and
/// `lambda_cos + lambda_sin` for a pair) and `B(g) = (1/K) sum_pairs (lambda_cos - lambda_sin)
/// cos(2 pi <chi, g>)`; `O(K^2)` rational operations. `B = 0` (G-invariance) exactly when the
/// pairing condition holds.
pub fn exact_logits_from_spectrum(
    basis: &CharacterBasis,
    lambda: &[Rational],
) -> Option<Vec<Rational>> {
    let group = basis.group();
    let cos = rational_cos_table(group)?;
    let k = group.order();
    let mut a = vec![Rational::new(); k];
    let mut b = vec![Rational::new(); k];
    for (m, col) in basis.columns().iter().enumerate() {
        let (ca, cb) = match *col {
            Column::Real { .. } => (lambda[m].clone(), Rational::new()),
            Column::Cos { chi } => {
                let partner = &lambda[group.neg(chi)];
                (
                    Rational::from(&lambda[m] + partner),
                    Rational::from(&lambda[m] - partner),
                )
            }
            Column::Sin { .. } => continue, // counted with its cos column
        };
        let chi = col.character();
        for g in 0..k {
            let c = &cos[group.phase(chi, g)];
            a[g] += Rational::from(&ca * c);
            if cb != 0 {
                b[g] += Rational::from(&cb * c);
            }
        }
    }
    let kq = Rational::from(k as u64);
    let mut z = Vec::with_capacity(k * k);
    for i in 0..k {
        for j in 0..k {
            z.push(Rational::from(&a[group.sub(i, j)] + &b[group.add(i, j)]) / &kq);
        }
    }
    Some(z)
}
