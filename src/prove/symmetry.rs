//! The symmetry of the region rates: the automorphisms of `G = (Z_2)^n` (`K = 2^n`), the
//! group `GL(n, 2)` (order 6 at K = 4, 168 at K = 8), permute the K - 1 non-zero modes, and the
//! rates of V and M1-M3 are invariant under that permutation; a region invariant under it is
//! then proved by proving it on a fundamental domain.
//!
//! # The argument (each step checked exactly by [`check_invariance`], integers only)
//!
//! 1. Every invertible linear map `A` of `(Z_2)^n` gives a permutation `sigma(m) = A m` of the
//!    mode labels with `sigma(0) = 0`; all of them are listed (their number is the number of
//!    ordered bases, `prod_i (2^n - 2^i)`, and they are pairwise distinct).
//! 2. For each `sigma` there is a permutation `tau` of the group elements, `tau(0) = 0`, with
//!    `chi_{sigma(m)}(g) = chi_m(tau(g))` for all m, g (`chi_m(g) = (-1)^{popcount(m & g)}`,
//!    the Sylvester characters of [`crate::model::wht::fwht`]); checked on the character table.
//! 3. For a listed `A` write `(sigma lambda)_m = lambda_{A m}`. Step 2 for `A^{-1}` (the list
//!    is closed under inverses) gives `chi_{A^{-1} m}(g) = chi_m(tau(g))`, so the logits are
//!    permuted, `f_{sigma lambda}(g) = (1/K) sum_m lambda_m chi_{A^{-1} m}(g) = f_lambda(tau(g))`
//!    with `tau(0) = 0`; hence `p` and the off-target softmax `rho` are permuted by `tau`, and
//!    `s_m = sum_g p(g) chi_m(g)` becomes `s_{A m}` (the same identity read backwards): `s`,
//!    `r = 1 - s`, `x` and `delta` are permuted exactly as `lambda` (docs/math.md section 6).
//!    Every rate of [`crate::spectral::rates`] is a symmetric function of the pairs
//!    `(x_m, delta_m)`, m != 0 (sums over m of one expression, and `dbar = sum_m x_m delta_m`):
//!    it takes the same value at `lambda` and `sigma lambda`. So do the one-sided derivatives
//!    of M4 (max / min over the largest and smallest modes of `(2/K)(r_i - r_j)`): M4 is a
//!    symmetric function of the modes and `r` is permuted as `lambda`.
//! 4. Fundamental domain: with `e_i = 2^i`, the states where `lambda_{e_i} >= lambda_m` for every
//!    `m` outside `span(e_1, ..., e_{i-1})` (m != e_i), i = 1..n. Every state has an image there:
//!    take `b_1 = argmax_{m != 0} lambda_m`, `b_i = argmax` of `lambda` outside
//!    `span(b_1..b_{i-1})`; the `b_i` are a basis, the map `A e_i = b_i` is in the list (step
//!    1: all of `GL(n, 2)`), and `(sigma lambda)_m = lambda_{A m}` lies in the domain because
//!    `A` maps `span(e_1..e_{i-1})` onto `span(b_1..b_{i-1})`.
//! 5. The region is invariant when every coordinate has the same bounds (checked exactly on
//!    the claim's rationals by the caller); the scale `sum lambda` is invariant.
//!
//! So a box holding no state of the domain (some pair `lambda_a >= lambda_b` of the domain
//! fails on the whole box: `hi_a < lo_b`) holds only images of domain states, which the other
//! boxes cover: it is closed without evaluation (argument `symmetric image`).

/// Largest K for which [`check_invariance`] runs (the group and the check grow like 2^(n^2)).
pub const MAX_K: usize = 8;

/// The character `chi_m(g) = (-1)^{popcount(m & g)}`.
fn chi(m: usize, g: usize) -> i64 {
    if (m & g).count_ones() % 2 == 0 {
        1
    } else {
        -1
    }
}

/// `n` with `k = 2^n`, for a power of two `k >= 2`.
fn log2(k: usize) -> Option<u32> {
    (k >= 2 && k.is_power_of_two()).then(|| k.trailing_zeros())
}

/// The mode permutations `m -> A m` of every invertible linear map `A` of `(Z_2)^n`,
/// `K = 2^n`, as tables of length K (`table[m] = A m`). Empty unless K is a power of two >= 2.
pub fn automorphisms(k: usize) -> Vec<Vec<usize>> {
    let Some(n) = log2(k) else {
        return Vec::new();
    };
    let n = n as usize;
    let mut out = Vec::new();
    // Columns c_0..c_{n-1} (the images of e_i = 2^i), each chosen outside the span of the
    // previous ones.
    fn extend(k: usize, n: usize, cols: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        let image = |m: usize, cols: &[usize]| {
            (0..cols.len())
                .filter(|&i| m >> i & 1 == 1)
                .fold(0, |acc, i| acc ^ cols[i])
        };
        if cols.len() == n {
            out.push((0..k).map(|m| image(m, cols)).collect());
            return;
        }
        let span: Vec<usize> = (0..1usize << cols.len()).map(|m| image(m, cols)).collect();
        for c in 1..k {
            if !span.contains(&c) {
                cols.push(c);
                extend(k, n, cols, out);
                cols.pop();
            }
        }
    }
    extend(k, n, &mut Vec::new(), &mut out);
    out
}

/// The pairs `(a, b)` (mode labels) of the fundamental domain of step 4 of the module docs:
/// `lambda_a >= lambda_b` for each.
pub fn fundamental_domain(k: usize) -> Vec<(usize, usize)> {
    let Some(n) = log2(k) else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for i in 0..n as usize {
        let e = 1usize << i;
        // span(e_1..e_{i-1}) = the labels below 2^i.
        for m in e + 1..k {
            pairs.push((e, m));
        }
    }
    pairs
}

/// What [`check_invariance`] established, for the certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetryCheck {
    /// The group's name, `GL(n,2)`.
    pub group: String,
    /// Its order (the number of mode permutations checked).
    pub order: usize,
    /// The domain's pairs `lambda_a >= lambda_b`.
    pub domain: Vec<(usize, usize)>,
}

impl SymmetryCheck {
    /// One line for the certificate.
    pub fn describe(&self) -> String {
        let pairs: Vec<String> = self
            .domain
            .iter()
            .map(|(a, b)| format!("l{a}>=l{b}"))
            .collect();
        format!(
            "{}: {} mode permutations m -> A m (all invertible A, pairwise distinct, fixing 0), \
             each with a permutation tau of G (tau(0) = 0) such that chi_(A m)(g) = chi_m(tau g) \
             for all m, g (checked exactly on the character table); the rates are symmetric \
             functions of the pairs (x_m, delta_m); fundamental domain {}",
            self.group,
            self.order,
            pairs.join(", ")
        )
    }
}

/// Checks steps 1, 2 and the group part of step 4 of the module docs exactly for `K = k`:
/// the list of [`automorphisms`] has `prod_i (2^n - 2^i)` distinct entries, each a bijection of
/// the labels fixing 0 and linear (`A(m ^ m') = A m ^ A m'`), each with a `tau` as in step 2
/// (found by search, unique, a bijection fixing 0), and the list is closed under inverses.
/// Returns what was checked, or the first failure.
pub fn check_invariance(k: usize) -> Result<SymmetryCheck, String> {
    let n = log2(k).ok_or_else(|| format!("K = {k} is not a power of two >= 2"))?;
    if k > MAX_K {
        // |GL(4,2)| = 20160 maps, each checked on a K x K x K table: kept out of claim parsing.
        return Err(format!("the symmetry check is done for K <= {MAX_K} only"));
    }
    let maps = automorphisms(k);
    let order: usize = (0..n).map(|i| k - (1usize << i)).product();
    if maps.len() != order {
        return Err(format!(
            "{} linear maps listed, GL({n},2) has {order}",
            maps.len()
        ));
    }
    let mut sorted = maps.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != maps.len() {
        return Err("two listed maps coincide".into());
    }
    for a in &maps {
        let mut seen = vec![false; k];
        for &v in a {
            if v >= k || std::mem::replace(&mut seen[v], true) {
                return Err(format!("{a:?} is not a permutation of the labels"));
            }
        }
        if a[0] != 0 {
            return Err(format!("{a:?} moves 0"));
        }
        for m in 0..k {
            for m2 in 0..k {
                if a[m ^ m2] != a[m] ^ a[m2] {
                    return Err(format!("{a:?} is not linear"));
                }
            }
        }
        // tau(g): the unique h with chi_{A m}(g) = chi_m(h) for all m.
        let mut tau = Vec::with_capacity(k);
        for g in 0..k {
            let hs: Vec<usize> = (0..k)
                .filter(|&h| (0..k).all(|m| chi(a[m], g) == chi(m, h)))
                .collect();
            if hs.len() != 1 {
                return Err(format!("{a:?}: {} group elements match g = {g}", hs.len()));
            }
            tau.push(hs[0]);
        }
        let mut seen = vec![false; k];
        for &h in &tau {
            if std::mem::replace(&mut seen[h], true) {
                return Err(format!("{a:?}: tau is not a bijection"));
            }
        }
        if tau[0] != 0 {
            return Err(format!("{a:?}: tau moves 0"));
        }
        let mut inverse = vec![0; k];
        for (m, &v) in a.iter().enumerate() {
            inverse[v] = m;
        }
        if sorted.binary_search(&inverse).is_err() {
            return Err(format!("the inverse of {a:?} is not listed"));
        }
    }
    Ok(SymmetryCheck {
        group: format!("GL({n},2)"),
        order,
        domain: fundamental_domain(k),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_order_6_and_168_pass_the_exact_check() {
        assert_eq!(check_invariance(4).unwrap().order, 6);
        let c8 = check_invariance(8).unwrap();
        assert_eq!(c8.order, 168);
        let mut want: Vec<(usize, usize)> = (2..8).map(|m| (1, m)).collect();
        want.extend((3..8).map(|m| (2, m)));
        want.extend((5..8).map(|m| (4, m)));
        assert_eq!(c8.domain, want);
        assert_eq!(
            check_invariance(4).unwrap().domain,
            vec![(1, 2), (1, 3), (2, 3)]
        );
        assert!(check_invariance(6).is_err());
        assert!(check_invariance(16).is_err());
    }
}
