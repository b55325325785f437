//! Which Hadamard matrices diagonalise the softmax (docs/math.md section 14): the
//! constructions, the equivalence invariants, the exact closure criterion, and the decision
//! rule of the `hadamard-scope` kind.

use hadacert::arith::{Enclosure, Ival, MpfrInterval};
use hadacert::cert::Verdict;
use hadacert::claim::hadamard_scope::decide;
use hadacert::model::hadamard::{Equivalence, HadamardMatrix};
use hadacert::model::hadamard_scope::{
    class_label, closure, from_sign_rows, invariants, named, switch_block, transpose, Invariants,
    ScopeError,
};
use rug::Rational;

/// A small deterministic generator (xorshift64*), for seeded equivalences.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }
    fn subset(&mut self, n: usize) -> Vec<usize> {
        (0..n).filter(|_| self.next() & 1 == 1).collect()
    }
}

const NON_SYLVESTER: [(&str, usize); 9] = [
    ("paley1:11", 12),
    ("paley2:5", 12),
    ("switched16:1", 16),
    ("switched16:2", 16),
    ("switched16:3", 16),
    ("switched16:3t", 16),
    ("paley1:19", 20),
    ("paley1:23", 24),
    ("paley2:13", 28),
];

#[test]
fn every_construction_is_hadamard() {
    for (name, k) in NON_SYLVESTER {
        let b = named(name).unwrap();
        assert_eq!(b.matrix.order(), k, "{name}");
        assert!(b.matrix.is_hadamard(), "{name}: H H^T != K I");
        // Normalised: row 0 and column 0 all +1.
        assert!((0..k).all(|i| b.matrix.get(0, i) == 1 && b.matrix.get(i, 0) == 1));
    }
    for q in [5, 13, 17] {
        let h = HadamardMatrix::paley2(q).unwrap();
        assert_eq!(h.order(), 2 * (q + 1));
        assert!(h.is_hadamard(), "Paley II q = {q}");
    }
    for k in [16, 32] {
        assert!(named(&format!("sylvester:{k}"))
            .unwrap()
            .matrix
            .is_hadamard());
    }
    // Paley II needs q = 1 mod 4 (q = 7 would give order 16, but 7 = 3 mod 4).
    assert!(HadamardMatrix::paley2(7).is_err());
    assert!(named("paley1:13").is_err());
    assert!(named("switched16:4").is_err());
    assert!(named("switched16:2t").is_err());
    assert!(named("paley1:63").is_err()); // order 64 is fine, 63 is not prime
    assert!(matches!(
        named("sylvester:128"),
        Err(ScopeError::Order(128))
    ));
}

#[test]
fn switching_checks_its_condition() {
    let s = HadamardMatrix::sylvester(16).unwrap();
    // Rows {0, 4, 11, 15} on columns {0, 3, 9, 10}: allowed (the first switching).
    let h = switch_block(&s, &[0, 4, 11, 15], &[0, 3, 9, 10]).unwrap();
    assert!(h.is_hadamard());
    assert_ne!(h, s);
    // One row on two columns: rows 0 and 1 have inner product 1 * 1 + 1 * (-1) = 0 on
    // {0, 1} but rows 0 and 2 have 1 + 1 = 2.
    let e = switch_block(&s, &[0], &[0, 1]).unwrap_err();
    assert!(matches!(e, ScopeError::BadSwitch { dot: 2, .. }), "{e}");
    assert!(matches!(
        switch_block(&s, &[16], &[0]),
        Err(ScopeError::Index(16, 16))
    ));
}

fn random_equivalence(h: &HadamardMatrix, rng: &mut XorShift) -> HadamardMatrix {
    let k = h.order();
    let eq = Equivalence {
        row_perm: rng.permutation(k),
        row_flip: rng.subset(k),
        col_perm: rng.permutation(k),
        col_flip: rng.subset(k),
    };
    h.transform(&eq).unwrap()
}

fn signature(inv: &Invariants) -> String {
    format!("{:?} {} {:?}", inv.profile, inv.two_rank, inv.pair_profile)
}

#[test]
fn invariants_are_equivalence_invariants_and_separate_the_order_16_classes() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut matrices = vec![("sylvester:16", HadamardMatrix::sylvester(16).unwrap())];
    for name in [
        "switched16:1",
        "switched16:2",
        "switched16:3",
        "switched16:3t",
    ] {
        matrices.push((name, named(name).unwrap().matrix));
    }
    let mut signatures = Vec::new();
    let mut labels = Vec::new();
    for (name, h) in &matrices {
        let inv = invariants(h).unwrap();
        // 1820 = C(16, 4) sets of 4 rows; 120 pairs.
        assert_eq!(inv.profile.values().sum::<u64>(), 1820, "{name}");
        assert_eq!(inv.pair_profile.values().sum::<u64>(), 120, "{name}");
        for _ in 0..3 {
            let g = random_equivalence(h, &mut rng);
            assert_eq!(invariants(&g).unwrap(), inv, "{name}: not invariant");
        }
        let closed = closure(h).unwrap().closed;
        labels.push(class_label(16, closed, &inv).expect("every order-16 class is labelled"));
        signatures.push(signature(&inv));
    }
    // Sylvester: 140 4-sets of rows multiply to a constant row, 2-rank 4.
    let syl = invariants(&matrices[0].1).unwrap();
    assert_eq!(syl.profile.get(&16), Some(&140));
    assert_eq!(syl.two_rank, 4);
    let full: Vec<u64> = matrices
        .iter()
        .map(|(_, h)| invariants(h).unwrap().profile[&16])
        .collect();
    assert_eq!(full, [140, 76, 44, 28, 28]);
    // Five different signatures and labels: five different equivalence classes, which by
    // Hall's classification are all of them.
    for i in 0..signatures.len() {
        for j in i + 1..signatures.len() {
            assert_ne!(signatures[i], signatures[j], "{i} and {j}");
            assert_ne!(labels[i], labels[j]);
        }
    }
    // switched16:3t is the transpose of switched16:3 (an inequivalent one).
    let t = transpose(&named("switched16:3").unwrap().matrix).unwrap();
    assert_eq!(signature(&invariants(&t).unwrap()), signatures[4]);
}

#[test]
fn closure_holds_for_sylvester_under_the_allowed_operations() {
    let mut rng = XorShift(12345);
    for k in [2usize, 4, 8, 16, 32, 64] {
        let s = HadamardMatrix::sylvester(k).unwrap();
        for _ in 0..4 {
            // Row permutations, column permutations and negations, and row negations forming a
            // character chi_c (rows r with popcount(r & c) odd), then a global sign.
            let c = rng.below(k);
            let mut row_flip: Vec<usize> =
                (0..k).filter(|r| (r & c).count_ones() % 2 == 1).collect();
            if rng.next() & 1 == 1 {
                row_flip = (0..k).filter(|r| !row_flip.contains(r)).collect();
            }
            let eq = Equivalence {
                row_flip,
                col_perm: rng.permutation(k),
                col_flip: rng.subset(k),
                ..Default::default()
            };
            let h = s
                .transform(&eq)
                .unwrap()
                .transform(&Equivalence {
                    row_perm: rng.permutation(k),
                    ..Default::default()
                })
                .unwrap();
            let cl = closure(&h).unwrap();
            assert!(cl.closed, "K = {k}, c = {c}");
            assert_eq!(cl.generators.len(), k.trailing_zeros() as usize);
        }
        if k >= 4 {
            // One row negated: not a character, so not closed.
            let h = s
                .transform(&Equivalence {
                    row_flip: vec![1 + rng.below(k - 1)],
                    ..Default::default()
                })
                .unwrap();
            assert!(!closure(&h).unwrap().closed, "K = {k}");
        }
    }
}

#[test]
fn closure_fails_for_every_non_sylvester_matrix_and_its_equivalents() {
    let mut rng = XorShift(777);
    for (name, _) in NON_SYLVESTER {
        let h = named(name).unwrap().matrix;
        let cl = closure(&h).unwrap();
        assert!(!cl.closed, "{name}");
        let f = cl.failure.unwrap();
        // Lemma 14.3: the product of the failing pair has at least two non-zero coefficients.
        assert!(f.coefficients.len() >= 2, "{name}");
        for _ in 0..3 {
            assert!(!closure(&random_equivalence(&h, &mut rng)).unwrap().closed);
        }
    }
    // As constructed (not normalised), Paley I has no constant column.
    let p = HadamardMatrix::paley(11).unwrap();
    assert_eq!(closure(&p).unwrap().constant_column, None);
}

#[test]
fn inline_rows() {
    let rows: Vec<String> = ["++++", "+-+-", "++--", "+--+"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let h = from_sign_rows(&rows).unwrap();
    assert!(h.is_hadamard());
    assert!(closure(&h).unwrap().closed);
    assert!(from_sign_rows(&["+-".to_string()]).is_err());
    assert!(from_sign_rows(&["+x".to_string(), "++".to_string()]).is_err());
    assert!(from_sign_rows(&[]).is_err());
}

fn decide_on<T: Enclosure>(prec: u32) {
    let q = |a: i64, b: i64| T::from_rational(&Rational::from((a, b)), prec);
    let contains = q(-1, 1000).hull(&q(1, 1000));
    let positive = q(1, 1000).hull(&q(2, 1000));
    // A synthetic enclosure containing 0 never refutes, however many there are.
    let zeros = vec![contains.clone(); 5];
    assert_eq!(decide(true, false, true, &zeros), Verdict::Undecided);
    // One excluding 0 refutes a matrix that is not closed...
    let mut one = zeros.clone();
    one.push(positive.clone());
    assert_eq!(decide(true, false, true, &one), Verdict::Refuted);
    // ...but contradicts a closed one: undecided, never refuted or proved.
    assert_eq!(decide(true, true, true, &one), Verdict::Undecided);
    // Closed and consistent: proved, only when the width bound is met and H is Hadamard.
    assert_eq!(decide(true, true, true, &zeros), Verdict::Proved);
    assert_eq!(decide(true, true, false, &zeros), Verdict::Undecided);
    assert_eq!(decide(false, true, true, &zeros), Verdict::Undecided);
    assert_eq!(decide(false, false, true, &one), Verdict::Undecided);
}

#[test]
fn decision_rule_never_refutes_from_an_enclosure_containing_zero() {
    decide_on::<Ival>(53);
    decide_on::<MpfrInterval>(128);
}
