//! The one transform of the reduced flow (docs/math.md sections 2, 4 and 12): for a finite
//! abelian group `G` of order `K` and its real character basis `Q`, the symmetric matrix
//!
//! ```text
//! C_mg = cos(2 pi <chi_m, g>)        (m a column of Q, g an element of G)
//! ```
//!
//! takes the spectrum to the logits, `f = C lambda / K`, and the softmax to the eigenvalues of
//! `S`, `s = C p` (for paired `lambda`, section 12.3). `C` is symmetric because `<m, g> =
//! <g, m>` and cos is even (a sin column's character `-m` has the same cosines as `m`). For
//! `G = Z_2^n`, `C = Had_K` and [`SpectralTransform::Walsh`] applies it by the butterfly
//! transform in `K log2 K` additions (exactly the operations used before this abstraction, so
//! every Sylvester number is unchanged); for any other group
//! [`SpectralTransform::Characters`] applies it densely: for each output the inputs are summed
//! into the `floor(L/2) + 1` classes of equal `cos(2 pi j / L)` (`L` the exponent; `j` and
//! `L - j` share a class) and each class sum is multiplied once by its enclosed cosine. Cost:
//! `K^2` additions and `K (L/2 + 1)` multiplications per vector, `K <= 4096` (the group limit);
//! the class table (`K^2` entries) is built once per transform.
//!
//! Generic over [`Real`] (interval backends, f64, dual numbers and the tape of the validated
//! integrator, which records the cosines as backend-enclosed constants). Guarantee on an
//! interval backend: every output encloses the exact value for every point of the inputs.

use crate::arith::Real;
use crate::model::group::{AbelianGroup, CharacterBasis, GroupError};
use crate::model::logits::div_by_order;
use crate::model::wht::fwht;
use rug::Rational;
use std::sync::Arc;

/// The cosine table of a non-Sylvester group: `class[m * K + g]` is the class `min(j, L - j)`
/// of the phase `j = L <m, g> mod L`.
#[derive(Debug)]
pub struct CharacterTable {
    basis: CharacterBasis,
    class: Vec<u32>,
    classes: usize,
}

impl CharacterTable {
    /// The table of `basis` (`O(K^2 r)` integer operations, `r` the number of factors).
    pub fn new(basis: CharacterBasis) -> Self {
        let g = basis.group();
        let (k, l) = (g.order(), g.exponent());
        let mut class = Vec::with_capacity(k * k);
        for m in 0..k {
            for x in 0..k {
                let j = g.phase(m, x);
                class.push(j.min(l - j) as u32);
            }
        }
        CharacterTable {
            classes: l / 2 + 1,
            basis,
            class,
        }
    }

    /// The character basis.
    pub fn basis(&self) -> &CharacterBasis {
        &self.basis
    }
}

/// The transform `x -> C x` of a group (see the module documentation).
#[derive(Clone, Debug)]
pub enum SpectralTransform {
    /// `G = Z_2^n`, `C = Had_K` (the Walsh-Hadamard butterflies), `K = 2^n`.
    Walsh(usize),
    /// Any other finite abelian group: the dense cosine transform.
    Characters(Arc<CharacterTable>),
}

impl SpectralTransform {
    /// The Sylvester transform of order `k` (a power of two: checked when it is applied).
    pub fn sylvester(k: usize) -> Self {
        SpectralTransform::Walsh(k)
    }

    /// The transform of `group`: [`SpectralTransform::Walsh`] when every factor is `Z2` (the
    /// character basis is then Sylvester's, docs/math.md section 12.1), the cosine table
    /// otherwise.
    pub fn of_group(group: &AbelianGroup) -> Self {
        if group.moduli().iter().all(|&n| n == 2) {
            SpectralTransform::Walsh(group.order())
        } else {
            SpectralTransform::Characters(Arc::new(CharacterTable::new(CharacterBasis::new(group))))
        }
    }

    /// Parse a group description (`"Z5"`, `"Z4xZ2"`, `"Z2^3"`) and build its transform.
    pub fn parse(text: &str) -> Result<Self, GroupError> {
        AbelianGroup::parse(text).map(|g| Self::of_group(&g))
    }

    /// The order `K`.
    pub fn order(&self) -> usize {
        match self {
            SpectralTransform::Walsh(k) => *k,
            SpectralTransform::Characters(t) => t.basis.group().order(),
        }
    }

    /// The group's canonical name (`Z2^n` for the Walsh transform).
    pub fn group_name(&self) -> String {
        match self {
            SpectralTransform::Walsh(k) => format!("Z2^{}", k.trailing_zeros()),
            SpectralTransform::Characters(t) => t.basis.group().name(),
        }
    }

    /// The partner column `-m` of column `m` (`m` itself for a real character; always `m`
    /// for `Z_2^n`).
    pub fn partner(&self, m: usize) -> usize {
        match self {
            SpectralTransform::Walsh(_) => m,
            SpectralTransform::Characters(t) => t.basis.group().neg(m),
        }
    }

    /// `x <- C x` in place (`x.len()` must be `K`).
    pub fn apply<T: Real>(&self, x: &mut [T]) {
        match self {
            SpectralTransform::Walsh(_) => fwht(x),
            SpectralTransform::Characters(t) => {
                let k = t.basis.group().order();
                assert_eq!(x.len(), k, "one value per group element");
                let l = t.basis.group().exponent();
                let prec = crate::arith::working_prec(x);
                let cos: Vec<T> = (0..t.classes)
                    .map(|j| T::cos_sin_two_pi_rational(j as i64, l as u64, prec).0)
                    .collect();
                let out: Vec<T> = (0..k)
                    .map(|m| {
                        let row = &t.class[m * k..(m + 1) * k];
                        let mut bucket: Vec<Option<T>> = vec![None; t.classes];
                        for (v, &c) in x.iter().zip(row) {
                            let b = &mut bucket[c as usize];
                            *b = Some(match b.take() {
                                None => v.clone(),
                                Some(acc) => acc + v,
                            });
                        }
                        let mut acc = T::zero();
                        for (b, c) in bucket.into_iter().zip(&cos) {
                            if let Some(b) = b {
                                acc.add_product(&b, c);
                            }
                        }
                        acc
                    })
                    .collect();
                for (dst, v) in x.iter_mut().zip(out) {
                    *dst = v;
                }
            }
        }
    }

    /// `C x` (a copy).
    pub fn transformed<T: Real>(&self, x: &[T]) -> Vec<T> {
        let mut y = x.to_vec();
        self.apply(&mut y);
        y
    }

    /// The logits on the group, `f = C lambda / K` (`Z_ij = f(i - j)` for a paired
    /// `lambda`).
    pub fn logits<T: Real>(&self, lambda: &[T]) -> Vec<T> {
        let k = lambda.len();
        self.transformed(lambda)
            .into_iter()
            .map(|x| div_by_order(x, k))
            .collect()
    }

    /// The first column `m` with `v_m != v_{-m}` (the pairing condition of docs/math.md
    /// section 12.3 fails), decided exactly.
    pub fn pairing_violation(&self, v: &[Rational]) -> Option<usize> {
        (0..v.len()).find(|&m| m < v.len() && v[m] != v[self.partner(m)])
    }
}
