//! Deterministic tests of the model: Hadamard constructions and equivalence transforms, the
//! Walsh-Hadamard transform, the exact logits, the XOR structure check, the spectral softmax,
//! and the full-matrix gradient flow and loss against the reduced spectral dynamics.
//!
//! Random inputs come from a fixed-seed generator, so every run checks the same cases.

use hadacert::arith::{Enclosure, Exact, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::model::gradient::{enclose_gradient_flow, enclose_mean_ce_loss};
use hadacert::model::hadamard::{Equivalence, HadamardError, HadamardMatrix, MAX_ORDER};
use hadacert::model::logits::{enclose_column_softmax, enclose_logits, enclose_rotated};
use hadacert::model::softmax::{enclose_log_sum_exp, enclose_softmax};
use hadacert::model::structure::{check_xor_structure, diagonalisation_argument};
use hadacert::model::wht::fwht;
use hadacert::spectral::field::{
    enclose_balanced_field, enclose_spectral_loss, enclose_spectral_softmax,
    enclose_unbalanced_field,
};
use nalgebra::{DMatrix, DVector};
use rug::Rational;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// splitmix64: a tiny deterministic generator (no extra dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn perm(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            p.swap(i, j);
        }
        p
    }
    /// Random indices in 0..n (possibly repeated: a repeated flip cancels).
    fn flips(&mut self, n: usize) -> Vec<usize> {
        let m = self.below(n + 1);
        (0..m).map(|_| self.below(n)).collect()
    }
    fn rational(&mut self) -> Rational {
        Rational::from((self.range(-40, 40), self.range(1, 12)))
    }
    fn rationals(&mut self, n: usize) -> Vec<Rational> {
        (0..n).map(|_| self.rational()).collect()
    }
}

fn sylvester_sign(i: usize, j: usize) -> i8 {
    if (i & j).count_ones() % 2 == 0 {
        1
    } else {
        -1
    }
}

/// Independent check of `H H^T = K I`.
fn gram_is_k_identity(h: &HadamardMatrix) -> bool {
    let k = h.order();
    (0..k).all(|i| {
        (0..k).all(|j| {
            let dot: i64 = (0..k).map(|l| (h.get(i, l) * h.get(j, l)) as i64).sum();
            dot == if i == j { k as i64 } else { 0 }
        })
    })
}

/// Dense exact logits `Z = H diag(lambda) H^T / K`, by hand.
fn dense_logits(h: &HadamardMatrix, lambda: &[Rational]) -> Vec<Vec<Rational>> {
    let k = h.order();
    (0..k)
        .map(|i| {
            (0..k)
                .map(|l| {
                    let mut acc = Rational::new();
                    for (j, lam) in lambda.iter().enumerate() {
                        acc += Rational::from(lam * (h.get(i, j) * h.get(l, j)) as i32);
                    }
                    acc / k as u32
                })
                .collect()
        })
        .collect()
}

fn exact_logits(h: &HadamardMatrix, lambda: &[Rational]) -> Vec<Vec<Rational>> {
    let lam: Vec<Exact> = lambda.iter().map(|q| Exact::new(q.clone())).collect();
    let z = enclose_logits(h, &lam);
    (0..h.order())
        .map(|i| {
            (0..h.order())
                .map(|j| z[(i, j)].clone().checked().unwrap())
                .collect()
        })
        .collect()
}

/// The new matrix of an equivalence, entry by entry from its definition (column signs, column
/// permutation, row signs, row permutation).
fn apply_by_definition(h: &HadamardMatrix, eq: &Equivalence) -> Vec<i8> {
    let k = h.order();
    let sign = |flips: &[usize], i: usize| -> i8 {
        if flips.iter().filter(|&&x| x == i).count() % 2 == 0 {
            1
        } else {
            -1
        }
    };
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
    let mut out = Vec::with_capacity(k * k);
    for i in 0..k {
        for j in 0..k {
            let (oi, oj) = (rp(i), cp(j));
            out.push(h.get(oi, oj) * sign(&eq.row_flip, oi) * sign(&eq.col_flip, oj));
        }
    }
    out
}

fn random_equivalence(rng: &mut Rng, k: usize) -> Equivalence {
    Equivalence {
        row_perm: if rng.below(4) == 0 {
            Vec::new()
        } else {
            rng.perm(k)
        },
        row_flip: rng.flips(k),
        col_perm: if rng.below(4) == 0 {
            Vec::new()
        } else {
            rng.perm(k)
        },
        col_flip: rng.flips(k),
    }
}

/// Independent scan for `Z_ij = Z_{0, i XOR j}` on the rows as given (an index >= K is a
/// violation), in the same order as the crate: the first violation, if any.
fn xor_violation(z: &[Vec<Rational>]) -> Option<(usize, usize)> {
    let k = z.len();
    for i in 0..k {
        for j in 0..k {
            let x = i ^ j;
            if x >= k || z[i][j] != z[0][x] {
                return Some((i, j));
            }
        }
    }
    None
}

fn is_prime(n: usize) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

type M = MpfrInterval;
const P: u32 = 128;

fn mi(q: &Rational) -> M {
    M::from_rational(q, P)
}

// ---------------------------------------------------------------------------------------------
// Hadamard constructions
// ---------------------------------------------------------------------------------------------

#[test]
fn sylvester_orders_1_to_256() {
    let mut built = 0;
    for k in 1..=256usize {
        match HadamardMatrix::sylvester(k) {
            Ok(h) => {
                assert!(k.is_power_of_two(), "sylvester({k}) should be an error");
                built += 1;
                assert_eq!(h.order(), k);
                assert_eq!(h.entries().len(), k * k);
                for i in 0..k {
                    for j in 0..k {
                        assert_eq!(h.get(i, j), sylvester_sign(i, j), "K={k} ({i},{j})");
                        assert_eq!(h.entries()[i * k + j], h.get(i, j));
                    }
                }
                assert!(h.is_hadamard(), "K={k}");
                assert!(gram_is_k_identity(&h), "K={k}");
                let ff = h.fast_form().expect("Sylvester has the trivial fast form");
                let id: Vec<usize> = (0..k).collect();
                assert_eq!(ff.row_perm, id);
                assert_eq!(ff.col_perm, id);
                assert!(ff.row_sign.iter().chain(&ff.col_sign).all(|&s| s == 1));
                assert!(h.fast_form_consistent());
            }
            Err(e) => {
                assert!(!k.is_power_of_two(), "sylvester({k}) failed: {e}");
                assert_eq!(e, HadamardError::NotPowerOfTwo(k));
            }
        }
    }
    assert_eq!(built, 9); // 1, 2, 4, ..., 256
    assert_eq!(
        HadamardMatrix::sylvester(0),
        Err(HadamardError::NotPowerOfTwo(0))
    );
    assert_eq!(
        HadamardMatrix::sylvester(12),
        Err(HadamardError::NotPowerOfTwo(12))
    );
    assert_eq!(
        HadamardMatrix::sylvester(2 * MAX_ORDER),
        Err(HadamardError::TooLarge(2 * MAX_ORDER))
    );
}

#[test]
fn paley_matrices_are_hadamard() {
    for q in [3usize, 7, 11, 19, 23, 31, 43] {
        let h = HadamardMatrix::paley(q).unwrap_or_else(|e| panic!("paley({q}): {e}"));
        let n = q + 1;
        assert_eq!(h.order(), n);
        assert!(h.entries().iter().all(|&x| x == 1 || x == -1), "q={q}");
        assert!(h.is_hadamard(), "paley({q})");
        assert!(gram_is_k_identity(&h), "paley({q})");
        assert!(h.fast_form().is_none(), "Paley matrices have no fast form");
        assert!(h.fast_form_consistent());
        // Paley type I: H = I + S with S skew-symmetric, first row all +1.
        for i in 0..n {
            assert_eq!(h.get(i, i), 1);
            assert_eq!(h.get(0, i), 1);
            for j in 0..n {
                if i != j {
                    assert_eq!(h.get(i, j), -h.get(j, i), "q={q} ({i},{j})");
                }
            }
        }
    }
}

#[test]
fn paley_rejects_bad_primes() {
    for q in [0usize, 1, 2, 5, 9, 13, 15, 17, 21, 27, 35] {
        assert_eq!(
            HadamardMatrix::paley(q),
            Err(HadamardError::BadPaleyPrime(q)),
            "paley({q})"
        );
    }
    let big = (MAX_ORDER..).find(|&q| q % 4 == 3 && is_prime(q)).unwrap();
    assert_eq!(
        HadamardMatrix::paley(big),
        Err(HadamardError::TooLarge(big + 1))
    );
}

// ---------------------------------------------------------------------------------------------
// Equivalence transforms and exact logits
// ---------------------------------------------------------------------------------------------

#[test]
fn transforms_keep_hadamard_and_fast_form_and_exact_logits() {
    let mut rng = Rng(0x5eed_0001);
    for k in [1usize, 2, 4, 8, 16, 32] {
        let base = HadamardMatrix::sylvester(k).unwrap();
        for trial in 0..8 {
            let eq = random_equivalence(&mut rng, k);
            let h = base.transform(&eq).unwrap();
            assert_eq!(
                h.entries(),
                &apply_by_definition(&base, &eq)[..],
                "K={k} {eq:?}"
            );
            assert!(h.is_hadamard() && gram_is_k_identity(&h), "K={k} {eq:?}");
            assert!(
                h.fast_form().is_some(),
                "K={k}: transforms keep the fast form"
            );
            assert!(h.fast_form_consistent(), "K={k} {eq:?}");
            let lam = rng.rationals(k);
            assert_eq!(
                exact_logits(&h, &lam),
                dense_logits(&h, &lam),
                "K={k} {eq:?}"
            );

            // A second transform composes with the first.
            let eq2 = random_equivalence(&mut rng, k);
            let h2 = h.transform(&eq2).unwrap();
            assert_eq!(h2.entries(), &apply_by_definition(&h, &eq2)[..]);
            assert!(
                h2.is_hadamard() && h2.fast_form_consistent(),
                "K={k} trial {trial}"
            );
            assert_eq!(
                exact_logits(&h2, &lam),
                dense_logits(&h2, &lam),
                "K={k} {eq2:?}"
            );
        }
    }
}

#[test]
fn transformed_paley_uses_dense_logits() {
    let mut rng = Rng(0x5eed_0002);
    for q in [3usize, 11, 19] {
        let base = HadamardMatrix::paley(q).unwrap();
        let k = base.order();
        for _ in 0..4 {
            let eq = random_equivalence(&mut rng, k);
            let h = base.transform(&eq).unwrap();
            assert_eq!(h.entries(), &apply_by_definition(&base, &eq)[..]);
            assert!(h.is_hadamard() && h.fast_form().is_none());
            let lam = rng.rationals(k);
            assert_eq!(exact_logits(&h, &lam), dense_logits(&h, &lam), "q={q}");
        }
    }
}

#[test]
fn exact_logits_of_sylvester_match_dense_and_are_not_trivial() {
    let h = HadamardMatrix::sylvester(4).unwrap();
    let lam: Vec<Rational> = [1, 2, 3, 4].iter().map(|&x| Rational::from(x)).collect();
    let z = exact_logits(&h, &lam);
    // Z_00 = mean(lambda) = 5/2, Z_01 = (1 - 2 + 3 - 4)/4 = -1/2.
    assert_eq!(z[0][0], Rational::from((5, 2)));
    assert_eq!(z[0][1], Rational::from((-1, 2)));
    assert_eq!(z, dense_logits(&h, &lam));
}

#[test]
fn bad_equivalences_are_errors() {
    let h = HadamardMatrix::sylvester(8).unwrap();
    let p = HadamardMatrix::paley(7).unwrap();
    let bad_perm = |field: &'static str| HadamardError::BadPermutation { field, order: 8 };
    let cases: Vec<(Equivalence, HadamardError)> = vec![
        (
            Equivalence {
                row_perm: vec![0, 1, 2, 3, 4, 5, 6],
                ..Default::default()
            },
            bad_perm("row_perm"),
        ),
        (
            Equivalence {
                row_perm: vec![0, 1, 2, 3, 4, 5, 6, 7, 0],
                ..Default::default()
            },
            bad_perm("row_perm"),
        ),
        (
            Equivalence {
                row_perm: vec![0, 1, 2, 3, 4, 5, 6, 6],
                ..Default::default()
            },
            bad_perm("row_perm"),
        ),
        (
            Equivalence {
                row_perm: vec![0, 1, 2, 3, 4, 5, 6, 8],
                ..Default::default()
            },
            bad_perm("row_perm"),
        ),
        (
            Equivalence {
                col_perm: vec![1, 1, 2, 3, 4, 5, 6, 7],
                ..Default::default()
            },
            bad_perm("col_perm"),
        ),
        (
            Equivalence {
                col_perm: vec![7, 6, 5],
                ..Default::default()
            },
            bad_perm("col_perm"),
        ),
        (
            Equivalence {
                row_flip: vec![0, 8],
                ..Default::default()
            },
            HadamardError::IndexOutOfRange {
                field: "row_flip",
                index: 8,
                order: 8,
            },
        ),
        (
            Equivalence {
                col_flip: vec![3, 100, 9],
                ..Default::default()
            },
            HadamardError::IndexOutOfRange {
                field: "col_flip",
                index: 100,
                order: 8,
            },
        ),
    ];
    for (eq, err) in cases {
        assert_eq!(h.transform(&eq), Err(err.clone()), "{eq:?}");
        assert_eq!(p.transform(&eq), Err(err), "Paley 8, {eq:?}");
    }
    // Valid corner cases: the identity, and a flip listed twice (it cancels).
    assert_eq!(h.transform(&Equivalence::default()).unwrap(), h);
    let twice = Equivalence {
        row_flip: vec![3, 3],
        col_flip: vec![5, 5],
        ..Default::default()
    };
    assert_eq!(h.transform(&twice).unwrap().entries(), h.entries());
}

/// `enclose_rotated` (fast path for transformed Sylvester matrices, dense for Paley) equals
/// `H^T S H / K` computed by hand, exactly, for arbitrary (non-symmetric) rational S.
#[test]
fn rotated_matches_dense_exact() {
    let mut rng = Rng(0x5eed_000a);
    let mut mats: Vec<HadamardMatrix> = Vec::new();
    for k in [1usize, 2, 4, 8, 16] {
        let h = HadamardMatrix::sylvester(k).unwrap();
        mats.push(h.clone());
        for _ in 0..4 {
            mats.push(h.transform(&random_equivalence(&mut rng, k)).unwrap());
        }
    }
    for q in [3usize, 11] {
        let h = HadamardMatrix::paley(q).unwrap();
        let k = h.order();
        mats.push(h.transform(&random_equivalence(&mut rng, k)).unwrap());
        mats.push(h);
    }
    for h in &mats {
        let k = h.order();
        let s: Vec<Vec<Rational>> = (0..k).map(|_| rng.rationals(k)).collect();
        let sm = DMatrix::from_fn(k, k, |i, j| Exact::new(s[i][j].clone()));
        let rot = enclose_rotated(h, sm);
        for m in 0..k {
            for n in 0..k {
                let mut acc = Rational::new();
                for (i, row) in s.iter().enumerate() {
                    for (j, sij) in row.iter().enumerate() {
                        acc += Rational::from(sij * (h.get(i, m) * h.get(j, n)) as i32);
                    }
                }
                assert_eq!(
                    rot[(m, n)].clone().checked().unwrap(),
                    acc / k as u32,
                    "K={k} ({m},{n}) {:?}",
                    h.fast_form()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XOR structure
// ---------------------------------------------------------------------------------------------

const SYLVESTER_COORDS: &str = "rows labelled by the Sylvester rows of the fast form";
const ROWS_AS_GIVEN: &str = "rows as given";

#[test]
fn xor_structure_of_sylvester_and_row_permuted_sylvester() {
    let mut rng = Rng(0x5eed_0003);
    for k in [1usize, 2, 4, 8, 16, 32, 64] {
        let h = HadamardMatrix::sylvester(k).unwrap();
        let lam = rng.rationals(k);
        let r = check_xor_structure(&h, &lam);
        assert!(r.holds && r.first_violation.is_none(), "K={k}: {r:?}");
        assert_eq!(r.coordinates, SYLVESTER_COORDS);
        // The statement itself, on the exact logits.
        assert_eq!(xor_violation(&exact_logits(&h, &lam)), None, "K={k}");

        // Rows (and columns) permuted, columns flipped: still holds in Sylvester coordinates,
        // i.e. Z(i, l) = f(pi(i) XOR pi(l)) with pi the row permutation.
        let eq = Equivalence {
            row_perm: rng.perm(k),
            col_perm: rng.perm(k),
            col_flip: rng.flips(k),
            row_flip: Vec::new(),
        };
        let hp = h.transform(&eq).unwrap();
        let r = check_xor_structure(&hp, &lam);
        assert!(r.holds, "K={k} {eq:?}: {r:?}");
        assert_eq!(r.coordinates, SYLVESTER_COORDS);
        let z = exact_logits(&hp, &lam);
        let mut inv = vec![0; k];
        for (i, &a) in eq.row_perm.iter().enumerate() {
            inv[a] = i;
        }
        let zs: Vec<Vec<Rational>> = (0..k)
            .map(|a| (0..k).map(|b| z[inv[a]][inv[b]].clone()).collect())
            .collect();
        assert_eq!(xor_violation(&zs), None, "K={k}: Sylvester coordinates");
    }
}

#[test]
fn xor_structure_fails_for_paley() {
    let mut rng = Rng(0x5eed_0004);
    for q in [11usize, 19] {
        let h = HadamardMatrix::paley(q).unwrap();
        let k = h.order();
        for _ in 0..3 {
            let lam = rng.rationals(k);
            let r = check_xor_structure(&h, &lam);
            assert!(!r.holds, "Paley {k}: {r:?}");
            assert_eq!(r.coordinates, ROWS_AS_GIVEN);
            assert!(r.first_violation.is_some());
            assert_eq!(r.first_violation, xor_violation(&exact_logits(&h, &lam)));
        }
        // Even lambda = c * 1 (Z = c I, which is XOR-invariant) fails: K = 12, 20 is not a group
        // order for XOR (i XOR j can leave 0..K).
        let lam = vec![Rational::from(3); k];
        assert!(!check_xor_structure(&h, &lam).holds, "Paley {k}, constant");
    }
    // The check is genuine on Paley matrices: order 4 with constant lambda (Z = c I) holds.
    let h4 = HadamardMatrix::paley(3).unwrap();
    let r = check_xor_structure(&h4, &vec![Rational::from((7, 3)); 4]);
    assert!(r.holds, "{r:?}");
    assert_eq!(r.coordinates, ROWS_AS_GIVEN);
}

/// `Q^T S Q` (with `Q = H / sqrt(K)`) of the logits `H diag(lambda) H^T / K`, at 128 bits.
fn rotated_softmax(h: &HadamardMatrix, lam: &[Rational]) -> DMatrix<M> {
    let l: Vec<M> = lam.iter().map(mi).collect();
    let z = enclose_logits(h, &l);
    enclose_rotated(h, enclose_column_softmax(&z))
}

fn is_diagonal(m: &DMatrix<M>) -> bool {
    (0..m.nrows()).all(|i| {
        (0..m.ncols())
            .all(|j| i == j || (m[(i, j)].contains_zero() && m[(i, j)].width_upper() < 1e-30))
    })
}

/// Row sign flips: the logits as given lose the XOR structure (and `check_xor_structure`,
/// which checks the logits as given with rows labelled by the fast form, says so), and
/// `Q^T S Q` stops being diagonal, unless the flip pattern is a character `chi_c` (then
/// `D_r Had = Had P` is a column permutation of `Had`).
#[test]
fn row_sign_flips_keep_the_reported_structure_but_break_diagonalisation() {
    let k = 8;
    let h = HadamardMatrix::sylvester(k).unwrap();
    let lam: Vec<Rational> = (0..k as i64)
        .map(|m| Rational::from((2 * m - 5, 3)))
        .collect();

    // Baseline: Q^T S Q = diag(s) for Sylvester.
    let rot = rotated_softmax(&h, &lam);
    assert!(is_diagonal(&rot));
    let s = enclose_spectral_softmax(&lam.iter().map(mi).collect::<Vec<_>>()).s;
    for m in 0..k {
        assert!(rot[(m, m)].intersect(&s[m]).is_some(), "m={m}");
    }

    // One row flipped: not a character.
    let eq = Equivalence {
        row_flip: vec![3],
        ..Default::default()
    };
    let hf = h.transform(&eq).unwrap();
    assert!(hf.is_hadamard() && hf.fast_form_consistent());
    let r = check_xor_structure(&hf, &lam);
    assert!(
        !r.holds,
        "a row flip that is not a character breaks the structure: {r:?}"
    );
    assert_eq!(r.coordinates, SYLVESTER_COORDS);
    assert_eq!(r.first_violation, xor_violation(&exact_logits(&hf, &lam)));
    // The un-flipped logits D Z D keep it:
    let z = exact_logits(&hf, &lam);
    let rho = |i: usize| if i == 3 { -1 } else { 1 };
    let unflipped: Vec<Vec<Rational>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| Rational::from(&z[i][j] * (rho(i) * rho(j))))
                .collect()
        })
        .collect();
    assert_eq!(xor_violation(&unflipped), None);
    // The logits as given are not XOR-structured,
    assert!(xor_violation(&z).is_some());
    // and the softmax is no longer diagonalised by Q: an off-diagonal entry is certainly non-zero.
    let rot = rotated_softmax(&hf, &lam);
    let off_diagonal_nonzero = (0..k).any(|i| {
        (0..k).any(|j| {
            i != j && (rot[(i, j)].certainly_positive() || rot[(i, j)].certainly_negative())
        })
    });
    assert!(
        off_diagonal_nonzero,
        "row flip kept Q^T S Q diagonal: {rot:?}"
    );

    // Flipping the rows where chi_5 = -1 is a column permutation of Had: everything is kept,
    // even the XOR structure of the logits as given.
    let chi: Vec<usize> = (0..k).filter(|&a| sylvester_sign(a, 5) < 0).collect();
    let hc = h
        .transform(&Equivalence {
            row_flip: chi,
            ..Default::default()
        })
        .unwrap();
    assert!(check_xor_structure(&hc, &lam).holds);
    assert_eq!(xor_violation(&exact_logits(&hc, &lam)), None);
    assert!(is_diagonal(&rotated_softmax(&hc, &lam)));
}

/// Row permutations and column permutations/flips keep `Q^T S Q` diagonal, with diagonal
/// `s(mu)[col_perm[m]]` where `mu[col_perm[j]] = lambda_j`.
#[test]
fn row_permutations_keep_diagonalisation() {
    let mut rng = Rng(0x5eed_0005);
    for k in [4usize, 8, 16] {
        let h = HadamardMatrix::sylvester(k).unwrap();
        let lam = rng.rationals(k);
        let eq = Equivalence {
            row_perm: rng.perm(k),
            col_perm: rng.perm(k),
            col_flip: rng.flips(k),
            row_flip: Vec::new(),
        };
        let hp = h.transform(&eq).unwrap();
        let rot = rotated_softmax(&hp, &lam);
        assert!(is_diagonal(&rot), "K={k} {eq:?}");
        let mut mu = vec![Rational::new(); k];
        for (j, l) in lam.iter().enumerate() {
            mu[eq.col_perm[j]] = l.clone();
        }
        let s = enclose_spectral_softmax(&mu.iter().map(mi).collect::<Vec<_>>()).s;
        for m in 0..k {
            let d = &rot[(m, m)];
            assert!(d.width_upper() < 1e-30);
            assert!(
                d.intersect(&s[eq.col_perm[m]]).is_some(),
                "K={k} m={m}: {d:?} vs {:?}",
                s[eq.col_perm[m]]
            );
        }
    }
}

/// The exact argument of C1 holds exactly when the row signs are +-a character, and agrees with
/// the numerics: when it holds, every off-diagonal enclosure of `Q^T S Q` contains 0 and the
/// diagonal meets `s~[col_perm[m] ^ c]`; when it fails (generic lambda), some off-diagonal
/// entry is certainly non-zero, so the numerics refute diagonality.
#[test]
fn diagonalisation_argument_is_exactly_the_character_condition() {
    let mut rng = Rng(0x5eed_0018);
    let (mut held, mut failed) = (0, 0);
    for round in 0..120 {
        let k = 1usize << (1 + round % 5); // 2..32
        let h = HadamardMatrix::sylvester(k).unwrap();
        let lam = rng.rationals(k);
        // Half the cases: row flips of a character chi_c (possibly with a global flip);
        // the other half: arbitrary flips.
        let c = rng.below(k);
        let global = rng.below(2) == 1;
        let row_flip: Vec<usize> = if round % 2 == 0 {
            (0..k)
                .filter(|&r| (sylvester_sign(r, c) < 0) != global)
                .collect()
        } else {
            rng.flips(k)
        };
        let eq = Equivalence {
            row_flip: row_flip.clone(),
            row_perm: rng.perm(k),
            col_perm: rng.perm(k),
            col_flip: rng.flips(k),
        };
        let ht = h.transform(&eq).unwrap();
        let arg = diagonalisation_argument(&ht);
        // Independent decision: the net sign of each Sylvester row is +-chi_{c'} for some c'.
        let mut sign = vec![1i8; k];
        for &r in &row_flip {
            sign[r] = -sign[r];
        }
        let is_character = (0..k).any(|cc| {
            let rel = |r: usize| sign[r] * sign[0];
            (0..k).all(|r| rel(r) == sylvester_sign(r, cc))
        });
        assert_eq!(arg.holds, is_character, "K={k} flips {row_flip:?}: {arg:?}");
        if round % 2 == 0 {
            assert!(
                arg.holds && arg.character == Some(c),
                "K={k} c={c}: {arg:?}"
            );
        }
        let rot = rotated_softmax(&ht, &lam);
        if arg.holds {
            held += 1;
            assert!(is_diagonal(&rot), "K={k} {eq:?}");
            let c = arg.character.unwrap();
            let mut mu = vec![Rational::new(); k];
            for (j, l) in lam.iter().enumerate() {
                mu[eq.col_perm[j] ^ c] = l.clone();
            }
            let s = enclose_spectral_softmax(&mu.iter().map(mi).collect::<Vec<_>>()).s;
            for m in 0..k {
                assert!(
                    rot[(m, m)].intersect(&s[eq.col_perm[m] ^ c]).is_some(),
                    "K={k} m={m}"
                );
            }
        } else {
            failed += 1;
            let refuted = (0..k).any(|i| {
                (0..k).any(|j| {
                    i != j && (rot[(i, j)].certainly_positive() || rot[(i, j)].certainly_negative())
                })
            });
            assert!(
                refuted,
                "K={k}: no exact argument, yet nothing refutes it: {eq:?}"
            );
        }
    }
    assert!(held >= 60 && failed >= 20, "held {held}, failed {failed}");
    // Paley matrices have no Sylvester form: never an exact argument.
    assert!(!diagonalisation_argument(&HadamardMatrix::paley(11).unwrap()).holds);
}

/// Issue 18, section 1: at large logits the off-diagonal entries of `Q^T S Q` for a Paley
/// matrix or a non-character row flip are far below inari's rounding error, so every
/// off-diagonal enclosure contains 0. That must leave the claim undecided, never proved.
#[test]
fn c1_large_logits_without_exact_argument_are_not_proved() {
    use hadacert::cert::Verdict;
    use hadacert::claim::{certify, parse_claims};
    let text = r#"
[[claim]]
id = "paley-40"
kind = "C1r"
expect = "undecided"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "paley", q = 11 }
lambda = { kind = "progression", start = "40", step = "0", len = 12 }

[[claim]]
id = "flip-40"
kind = "C1r"
expect = "undecided"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "sylvester", order = 8, transform = { row_flip = [1, 2] } }
lambda = { kind = "progression", start = "40", step = "0", len = 8 }

[[claim]]
id = "character-40"
kind = "C1r"
expect = "proved"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "sylvester", order = 8, transform = { row_flip = [1, 2, 5, 6] } }
lambda = { kind = "progression", start = "40", step = "0", len = 8 }
"#;
    for claim in parse_claims(text, std::path::Path::new("c1.toml")).unwrap() {
        let cert = certify(&claim);
        let every_contains_zero = cert
            .checks
            .iter()
            .any(|c| c.name == "every off-diagonal enclosure contains 0" && c.passed);
        assert!(
            every_contains_zero,
            "{}: the enclosures should all contain 0",
            cert.id
        );
        let want = if cert.id == "character-40" {
            Verdict::Proved
        } else {
            Verdict::Undecided
        };
        assert_eq!(cert.verdict, want, "{}: {:?}", cert.id, cert.checks);
    }
}

// ---------------------------------------------------------------------------------------------
// Walsh-Hadamard transform
// ---------------------------------------------------------------------------------------------

#[test]
fn fwht_twice_is_k_times_identity() {
    let mut rng = Rng(0x5eed_0006);
    for n in 0..=10 {
        let k = 1usize << n;
        for _ in 0..4 {
            let x: Vec<i64> = (0..k).map(|_| rng.range(-1_000_000, 1_000_000)).collect();
            let mut y = x.clone();
            fwht(&mut y);
            if k <= 64 {
                // Once: the dense product Had x.
                for (a, ya) in y.iter().enumerate() {
                    let dense: i64 = (0..k).map(|c| sylvester_sign(a, c) as i64 * x[c]).sum();
                    assert_eq!(*ya, dense, "K={k} a={a}");
                }
            }
            fwht(&mut y);
            let kx: Vec<i64> = x.iter().map(|v| v * k as i64).collect();
            assert_eq!(y, kx, "K={k}");
        }
    }
}

#[test]
#[should_panic(expected = "power-of-two")]
fn fwht_rejects_other_lengths() {
    let mut x = vec![1i64; 12];
    fwht(&mut x);
}

// ---------------------------------------------------------------------------------------------
// Spectral softmax
// ---------------------------------------------------------------------------------------------

fn check_s0_contains_one<T: Enclosure>(prec: u32, lam: &[Rational]) {
    let l: Vec<T> = lam.iter().map(|q| T::from_rational(q, prec)).collect();
    let sp = enclose_spectral_softmax(&l);
    assert!(
        sp.s[0].contains_rational(&Rational::from(1)),
        "{}: s_0 = {:?}",
        T::BACKEND,
        sp.s[0]
    );
    assert!(sp.s[0].width_upper() < 1e-9, "{:?}", sp.s[0]);
    // The other s_m are in [-1, 1] (and not all equal to 1).
    for s in &sp.s[1..] {
        assert!(
            s.lower_f64() >= -1.0 - 1e-9 && s.upper_f64() <= 1.0 + 1e-9,
            "{s:?}"
        );
    }
}

#[test]
fn spectral_s0_is_one() {
    let mut rng = Rng(0x5eed_0007);
    for n in 1..=8 {
        let k = 1usize << n;
        let mut lam = rng.rationals(k);
        check_s0_contains_one::<Ival>(53, &lam);
        check_s0_contains_one::<M>(64, &lam);
        check_s0_contains_one::<M>(P, &lam);
        // Large logits.
        for l in lam.iter_mut() {
            *l *= 250;
        }
        check_s0_contains_one::<Ival>(53, &lam);
        check_s0_contains_one::<M>(P, &lam);
    }
}

#[test]
fn spectral_softmax_f64_matches_dense_characters() {
    let mut rng = Rng(0x5eed_0008);
    for n in 1..=8 {
        let k = 1usize << n;
        for _ in 0..3 {
            let lam: Vec<f64> = rng.rationals(k).iter().map(|q| q.to_f64()).collect();
            let sp = enclose_spectral_softmax(&lam);
            // Dense: f(g) = (1/K) sum_m chi_m(g) lambda_m, p = softmax(f),
            // s_m = sum_g p(g) chi_m(g).
            let f: Vec<f64> = (0..k)
                .map(|g| {
                    (0..k)
                        .map(|m| sylvester_sign(m, g) as f64 * lam[m])
                        .sum::<f64>()
                        / k as f64
                })
                .collect();
            let fmax = f.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = f.iter().map(|x| (x - fmax).exp()).collect();
            let tot: f64 = e.iter().sum();
            let p: Vec<f64> = e.iter().map(|x| x / tot).collect();
            for g in 0..k {
                assert!(
                    (sp.f[g] - f[g]).abs() <= 1e-12 * (1.0 + f[g].abs()),
                    "K={k} f"
                );
                assert!((sp.p[g] - p[g]).abs() <= 1e-13, "K={k} p");
            }
            for m in 0..k {
                let s: f64 = (0..k).map(|g| p[g] * sylvester_sign(m, g) as f64).sum();
                assert!(
                    (sp.s[m] - s).abs() <= 1e-12,
                    "K={k} m={m}: {} vs {s}",
                    sp.s[m]
                );
            }
            assert!((sp.s[0] - 1.0).abs() <= 1e-13);

            // Balanced field (2/K) lambda (1 - s), unbalanced field with lambda = a b (a = 1),
            // loss -ln p(0).
            let s_dense: Vec<f64> = (0..k)
                .map(|m| (0..k).map(|g| p[g] * sylvester_sign(m, g) as f64).sum())
                .collect();
            let bal = enclose_balanced_field(&lam);
            let ones = vec![1.0; k];
            let (da, db) = enclose_unbalanced_field(&ones, &lam);
            for m in 0..k {
                let rate = (1.0 - s_dense[m]) / k as f64;
                let scale = 1e-12 * (1.0 + lam[m].abs());
                assert!(
                    (bal[m] - 2.0 * rate * lam[m]).abs() <= scale,
                    "K={k} balanced m={m}"
                );
                assert!((da[m] - rate * lam[m]).abs() <= scale, "K={k} a' m={m}");
                assert!((db[m] - rate).abs() <= 1e-12, "K={k} b' m={m}");
            }
            let loss = enclose_spectral_loss(&lam);
            assert!(
                (loss - (-p[0].ln())).abs() <= 1e-10 * (1.0 + loss.abs()),
                "K={k} loss"
            );
        }
    }
}

/// Softmax and log-sum-exp against closed forms computed without the crate's shift logic.
#[test]
fn softmax_and_lse_closed_forms() {
    for &(x, n) in &[(1000i64, 2usize), (-1000, 3), (7, 5), (0, 8), (-20000, 1)] {
        // lse of n equal entries x is x + ln n; softmax is 1/n.
        let f = vec![M::from_i64(x, P); n];
        let lse = enclose_log_sum_exp(&f);
        let closed = M::from_i64(x, P) + M::from_i64(n as i64, P).ln();
        assert!(lse.width_upper() < 1e-30 * (1.0 + x.abs() as f64));
        assert!(
            lse.intersect(&closed).is_some(),
            "x={x} n={n}: {lse:?} vs {closed:?}"
        );
        for p in enclose_softmax(&f) {
            assert!(p.contains_rational(&Rational::from((1, n as u32))), "{p:?}");
        }
    }
    // Two logits a, b: p_0 = 1 / (1 + exp(b - a)), lse = a + ln(1 + exp(b - a)).
    let mut rng = Rng(0x5eed_000b);
    for _ in 0..50 {
        let a = rng.rational() * 50;
        let b = rng.rational() * 50;
        let f = vec![mi(&a), mi(&b)];
        let e = mi(&Rational::from(&b - &a)).exp();
        let p0 = (M::from_i64(1, P) + &e).recip();
        let lse_closed = mi(&a) + (M::from_i64(1, P) + &e).ln();
        let p = enclose_softmax(&f);
        assert!(
            p[0].width_upper() < 1e-30 && p[0].intersect(&p0).is_some(),
            "{a} {b}"
        );
        let lse = enclose_log_sum_exp(&f);
        assert!(
            lse.width_upper() < 1e-28 && lse.intersect(&lse_closed).is_some(),
            "{a} {b}"
        );
        // f64: the same closed forms.
        let (af, bf) = (a.to_f64(), b.to_f64());
        let pf = enclose_softmax(&[af, bf]);
        assert!((pf[0] - 1.0 / (1.0 + (bf - af).exp())).abs() <= 1e-14);
        let lf = enclose_log_sum_exp(&[af, bf]);
        let lf_closed = af.max(bf) + (-(af - bf).abs()).exp().ln_1p();
        assert!(
            (lf - lf_closed).abs() <= 1e-12 * (1.0 + lf.abs()),
            "{lf} vs {lf_closed}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Full-matrix gradient flow and loss vs the spectral reduction
// ---------------------------------------------------------------------------------------------

/// W = Q diag(a) R^T (K x d), H = R diag(b) Q^T (d x K), Q = Had / sqrt(K), R a coordinate
/// embedding of R^K in R^d, d = K + 2. Then Z = W H = Q diag(a b) Q^T and
/// Q^T W' R = diag(a'), R^T H' Q = diag(b') with (a', b') the unbalanced spectral field.
fn check_gradient_flow(k: usize, a: &[Rational], b: &[Rational]) {
    let sqrt_k = (k as f64).sqrt() as i64;
    assert_eq!((sqrt_k * sqrt_k) as usize, k, "K must be a square");
    let d = k + 2;
    let had = HadamardMatrix::sylvester(k).unwrap();
    let zero = M::from_i64(0, P);
    let one = M::from_i64(1, P);
    let q = DMatrix::from_fn(k, k, |i, j| {
        mi(&Rational::from((had.get(i, j) as i64, sqrt_k)))
    });
    // Embedding: coordinate m of R^K goes to coordinate d - 1 - m of R^d (0 and 1 unused).
    let emb: Vec<usize> = (0..k).map(|m| d - 1 - m).collect();
    let mut seen = vec![false; d];
    for &e in &emb {
        assert!(!seen[e], "embedding must be injective");
        seen[e] = true;
    }
    let r = DMatrix::from_fn(d, k, |j, m| {
        if emb[m] == j {
            one.clone()
        } else {
            zero.clone()
        }
    });
    let av: Vec<M> = a.iter().map(mi).collect();
    let bv: Vec<M> = b.iter().map(mi).collect();
    let da = DMatrix::from_diagonal(&DVector::from_vec(av.clone()));
    let db = DMatrix::from_diagonal(&DVector::from_vec(bv.clone()));
    let w = &q * da * r.transpose();
    let h = &r * db * q.transpose();
    assert_eq!((w.nrows(), w.ncols(), h.nrows(), h.ncols()), (k, d, d, k));

    // Sanity: Z = W H is the logits of lambda = a b.
    let lam: Vec<M> = av.iter().zip(&bv).map(|(x, y)| x.clone() * y).collect();
    let z = &w * &h;
    let z_ref = enclose_logits(&had, &lam);
    for (x, y) in z.iter().zip(z_ref.iter()) {
        assert!(x.intersect(y).is_some(), "{x:?} vs {y:?}");
    }

    let (w_dot, h_dot) = enclose_gradient_flow(&w, &h);
    assert_eq!((w_dot.nrows(), w_dot.ncols()), (k, d));
    assert_eq!((h_dot.nrows(), h_dot.ncols()), (d, k));
    let qwr = q.transpose() * &w_dot * &r;
    let rhq = r.transpose() * &h_dot * &q;
    let (a_dot, b_dot) = enclose_unbalanced_field(&av, &bv);
    let mut nonzero = 0;
    for (name, m, field) in [("Q^T W' R", &qwr, &a_dot), ("R^T H' Q", &rhq, &b_dot)] {
        for i in 0..k {
            for j in 0..k {
                let x = &m[(i, j)];
                assert!(x.width_upper() < 1e-30, "{name} ({i},{j}) too wide: {x:?}");
                if i == j {
                    assert!(
                        x.intersect(&field[i]).is_some(),
                        "K={k} {name} ({i},{i}) = {x:?} vs field {:?}",
                        field[i]
                    );
                    if x.certainly_positive() || x.certainly_negative() {
                        nonzero += 1;
                    }
                } else {
                    assert!(x.contains_zero(), "K={k} {name} ({i},{j}) = {x:?}");
                }
            }
        }
    }
    // The diagonal is not trivially zero (s_0 = 1 makes entry 0 vanish; the others do not).
    assert!(
        nonzero >= 2 * (k - 1) - 2,
        "only {nonzero} non-zero diagonal entries"
    );

    // W' has zero columns outside the embedding, H' zero rows.
    for j in (0..d).filter(|j| !seen[*j]) {
        for i in 0..k {
            assert!(w_dot[(i, j)].contains_zero() && h_dot[(j, i)].contains_zero());
        }
    }

    // Loss: mean cross-entropy of W H = spectral loss of a b.
    let loss = enclose_mean_ce_loss(&z);
    let spectral = enclose_spectral_loss(&lam);
    assert!(loss.width_upper() < 1e-30 && spectral.width_upper() < 1e-30);
    assert!(loss.certainly_positive());
    assert!(
        loss.intersect(&spectral).is_some(),
        "K={k}: loss {loss:?} vs spectral {spectral:?}"
    );
}

#[test]
fn gradient_flow_k4_matches_unbalanced_field() {
    let a: Vec<Rational> = [(3, 2), (-1, 3), (2, 5), (1, 1)]
        .iter()
        .map(|&p| Rational::from(p))
        .collect();
    let b: Vec<Rational> = [(1, 1), (7, 4), (-2, 3), (1, 2)]
        .iter()
        .map(|&p| Rational::from(p))
        .collect();
    check_gradient_flow(4, &a, &b);
}

#[test]
fn gradient_flow_k16_matches_unbalanced_field() {
    let mut rng = Rng(0x5eed_0009);
    for _ in 0..3 {
        let a = rng.rationals(16);
        let b = rng.rationals(16);
        check_gradient_flow(16, &a, &b);
    }
}

#[test]
fn mean_ce_loss_of_uniform_logits_is_log_k() {
    // lambda = 0: Z = 0, S = 1/K, L = ln K exactly; both loss functions agree.
    for k in [2usize, 4, 8] {
        let z = DMatrix::from_fn(k, k, |_, _| M::from_i64(0, P));
        let loss = enclose_mean_ce_loss(&z);
        let ln_k = M::from_i64(k as i64, P).ln();
        assert!(loss.intersect(&ln_k).is_some(), "{loss:?}");
        assert!(loss.width_upper() < 1e-30);
        let spectral = enclose_spectral_loss(&vec![M::from_i64(0, P); k]);
        assert!(spectral.intersect(&ln_k).is_some());
        // And a sample with a larger own logit has a smaller loss.
        let z2 = DMatrix::from_fn(k, k, |i, j| M::from_i64(if i == j { 1 } else { 0 }, P));
        assert!(enclose_mean_ce_loss(&z2).certainly_lt(&loss));
    }
}

/// The structured C1 path (`enclose_rotated_xor` of `p = softmax(f)`, docs/math.md section 3)
/// and the dense path (Z, column softmax, `Had S Had / K` as full matrices) enclose the same
/// exact matrix: every entry of one meets the other, the off-diagonal entries contain 0 and the
/// diagonal meets `s = Had softmax(f)`.
#[test]
fn structured_c1_path_agrees_with_the_dense_path() {
    let k = 16;
    let mut rng = Rng(7);
    let lam: Vec<Ival> = (0..k)
        .map(|_| Ival::from_rational(&Rational::from((rng.below(301) as i64, 100)), 53))
        .collect();
    let had = HadamardMatrix::sylvester(k).unwrap();
    let sp = enclose_spectral_softmax(&lam);
    let r = hadacert::model::logits::enclose_rotated_xor(&sp.p);
    let z = enclose_logits(&had, &lam);
    let s = enclose_column_softmax(&z);
    let m = enclose_rotated(&had, s);
    for i in 0..k {
        for j in 0..k {
            assert!(r[(i, j)].is_finite(), "({i}, {j})");
            assert!(r[(i, j)].intersect(&m[(i, j)]).is_some(), "({i}, {j})");
            if i != j {
                assert!(r[(i, j)].contains_zero(), "({i}, {j})");
            }
        }
        assert!(r[(i, i)].intersect(&sp.s[i]).is_some(), "diagonal {i}");
        assert!(!r[(i, i)].contains_zero(), "diagonal {i}");
    }
}

/// The transform path of `enclose_logits` / `enclose_column_softmax_in_place` /
/// `enclose_rotated` against the construction it replaced, written out here: the logits by K
/// column transforms of the signed `mu` (`Had diag(mu) Had`), a transpose, the row signs and
/// permutation, then `div_by_order` entry by entry; the softmax column by column with
/// `enclose_softmax`; the rotation by column transforms, two transposes and `div_by_order`.
/// The enclosures must be identical end for end (the new path shares one transform `F = Had mu`
/// with `(Had diag(mu) Had)(a, b) = F(a XOR b)` and scales in place), on inari and MPFR, for
/// Sylvester itself and for an equivalence transform with row signs that are not a character.
#[test]
fn transform_path_equals_the_column_by_column_construction() {
    use hadacert::model::logits::{div_by_order, enclose_column_softmax_in_place};
    fn reference<T: Real>(h: &HadamardMatrix, lam: &[T]) -> (DMatrix<T>, DMatrix<T>, DMatrix<T>) {
        let k = h.order();
        let ff = h.fast_form().expect("fast form");
        let had = HadamardMatrix::sylvester(k).unwrap();
        let mut mu = vec![T::zero(); k];
        for (j, l) in lam.iter().enumerate() {
            mu[ff.col_perm[j]] = l.clone();
        }
        let mut yt = DMatrix::from_fn(k, k, |c, a| {
            if had.get(a, c) > 0 {
                mu[c].clone()
            } else {
                -mu[c].clone()
            }
        });
        for j in 0..k {
            fwht(yt.column_mut(j).as_mut_slice());
        }
        let y = yt.transpose();
        let z = DMatrix::from_fn(k, k, |i, l| {
            let (a, b) = (ff.row_perm[i], ff.row_perm[l]);
            let v = div_by_order(y[(a, b)].clone(), k);
            if ff.row_sign[a] * ff.row_sign[b] > 0 {
                v
            } else {
                -v
            }
        });
        let mut s = z.clone();
        for j in 0..k {
            let p = enclose_softmax(z.column(j).as_slice());
            s.column_mut(j).as_mut_slice().clone_from_slice(&p);
        }
        let mut inv = vec![0usize; k];
        for (i, &a) in ff.row_perm.iter().enumerate() {
            inv[a] = i;
        }
        let mut t = DMatrix::from_fn(k, k, |a, b| {
            let v = s[(inv[a], inv[b])].clone();
            if ff.row_sign[a] * ff.row_sign[b] > 0 {
                v
            } else {
                -v
            }
        });
        for _ in 0..2 {
            for j in 0..k {
                fwht(t.column_mut(j).as_mut_slice());
            }
            t = t.transpose();
        }
        let r = DMatrix::from_fn(k, k, |m, n| {
            let (cm, cn) = (ff.col_perm[m], ff.col_perm[n]);
            let v = div_by_order(t[(cm, cn)].clone(), k);
            if ff.col_sign[cm] * ff.col_sign[cn] > 0 {
                v
            } else {
                -v
            }
        });
        (z, s, r)
    }
    fn check<T: Enclosure>(h: &HadamardMatrix, lam: &[Rational], prec: u32, what: &str) {
        let l: Vec<T> = lam.iter().map(|q| T::from_rational(q, prec)).collect();
        let (z_ref, s_ref, r_ref) = reference(h, &l);
        let z = enclose_logits(h, &l);
        let mut s = z.clone();
        enclose_column_softmax_in_place(&mut s);
        let r = enclose_rotated(h, s.clone());
        let k = h.order();
        for j in 0..k {
            for i in 0..k {
                for (name, a, b) in [
                    ("logits", &z, &z_ref),
                    ("softmax", &s, &s_ref),
                    ("rotated", &r, &r_ref),
                ] {
                    let (x, y) = (&a[(i, j)], &b[(i, j)]);
                    assert!(
                        x.lower_exact() == y.lower_exact() && x.upper_exact() == y.upper_exact(),
                        "{what}: {name} ({i}, {j}) differs: {x:?} vs {y:?}"
                    );
                    assert!(x.is_finite(), "{what}: {name} ({i}, {j}) not finite");
                }
            }
        }
        // Not vacuous: some off-diagonal logit is an inexact enclosure.
        assert!((0..k).any(|i| z[(i, (i + 1) % k)].width_upper() > 0.0));
    }
    let mut rng = Rng(20261202);
    for k in [2usize, 8, 32] {
        let lam: Vec<Rational> = (0..k)
            .map(|_| Rational::from(((rng.next() % 601) as i64 - 300, 7)))
            .collect();
        let h = HadamardMatrix::sylvester(k).unwrap();
        let flipped = h
            .transform(&Equivalence {
                row_perm: (0..k).rev().collect(),
                row_flip: vec![k - 1],
                col_perm: (0..k).map(|j| (j + 1) % k).collect(),
                col_flip: vec![0],
            })
            .unwrap();
        for (hm, name) in [(&h, "sylvester"), (&flipped, "transformed")] {
            check::<Ival>(hm, &lam, 53, &format!("inari K = {k} {name}"));
            check::<MpfrInterval>(hm, &lam, 128, &format!("mpfr K = {k} {name}"));
        }
    }
}
