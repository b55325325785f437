//! Finite abelian groups (issue 16, docs/math.md section 12): parsing and group laws, the real
//! character basis and its transform, and the `group-diagonalise` claim kind (decision rule,
//! agreement with C1 on `Z2^n`, bad input).

use hadacert::arith::{parse_exact, Enclosure, Field, Ival, MpfrInterval, Ring};
use hadacert::cert::{Certificate, Verdict};
use hadacert::claim::parse_claims;
use hadacert::model::group::{AbelianGroup, CharacterBasis, Column, GroupError};
use hadacert::model::wht::fwht;
use rug::Rational;
use std::path::Path;

#[test]
fn groups_parse_with_order_factors_and_exponent() {
    for (text, moduli, k, l, name) in [
        ("Z2^3", vec![2, 2, 2], 8, 2, "Z2^3"),
        ("Z12", vec![12], 12, 12, "Z12"),
        ("Z4xZ4", vec![4, 4], 16, 4, "Z4^2"),
        ("Z3xZ5", vec![3, 5], 15, 15, "Z3xZ5"),
        (" Z4 x Z2 ", vec![4, 2], 8, 4, "Z4xZ2"),
        ("Z2xZ2^2", vec![2, 2, 2], 8, 2, "Z2^3"),
        ("Z6xZ4", vec![6, 4], 24, 12, "Z6xZ4"),
        ("Z4096", vec![4096], 4096, 4096, "Z4096"),
    ] {
        let g = AbelianGroup::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(g.moduli(), &moduli[..], "{text}");
        assert_eq!(g.order(), k, "{text}");
        assert_eq!(g.exponent(), l, "{text}");
        assert_eq!(g.name(), name, "{text}");
        // the canonical name parses back to the same group
        assert_eq!(AbelianGroup::parse(&g.name()).unwrap(), g);
    }
}

#[test]
fn bad_group_strings_are_errors_with_reasons() {
    let long = "Z2x".repeat(200);
    for text in [
        "",
        "  ",
        "Z",
        "Z1",
        "Z0",
        "Y3",
        "z3",
        "Z3x",
        "xZ3",
        "Z3xxZ5",
        "Z-3",
        "Z+3",
        "Z2^0",
        "Z2^",
        "Z^2",
        "Z2^3^2",
        "Z 3",
        "Z3.0",
        "Z99999999999",
        "Z12345",
        "Z2^13",
        "Z4096xZ2",
        "Z64xZ64xZ2",
        "Z٣",
        long.as_str(),
    ] {
        let e = AbelianGroup::parse(text).expect_err(text);
        let msg = e.to_string();
        assert!(!msg.is_empty());
        match text {
            "" | "  " => assert_eq!(e, GroupError::Empty),
            "Z2^13" | "Z4096xZ2" | "Z64xZ64xZ2" | "Z12345" => {
                assert!(
                    matches!(e, GroupError::TooLarge(_)) || matches!(e, GroupError::BadFactor(_)),
                    "{text}: {msg}"
                );
                if text != "Z12345" {
                    assert!(msg.contains("4096"), "{text}: {msg}");
                }
            }
            t if t.len() > 256 => assert!(matches!(e, GroupError::TooLong(_))),
            _ => assert!(matches!(e, GroupError::BadFactor(_)), "{text}: {msg}"),
        }
    }
}

#[test]
fn group_laws_hold_on_every_element() {
    for text in ["Z3", "Z12", "Z4xZ2", "Z2^3", "Z3xZ5", "Z4xZ4", "Z6xZ4"] {
        let g = AbelianGroup::parse(text).unwrap();
        let k = g.order();
        for a in 0..k {
            assert_eq!(g.index(&g.digits(a)), a);
            assert_eq!(g.add(a, 0), a);
            assert_eq!(g.add(a, g.neg(a)), 0, "{text}: a + (-a)");
            assert_eq!(g.neg(g.neg(a)), a);
            for b in 0..k {
                assert_eq!(g.add(a, b), g.add(b, a), "{text}: commutative");
                assert_eq!(g.sub(g.add(a, b), b), a, "{text}: (a + b) - b");
                // the pairing is bilinear and symmetric: chi_a(b) = chi_b(a)
                assert_eq!(g.phase(a, b), g.phase(b, a));
                for c in [1 % k, k - 1, k / 2] {
                    assert_eq!(g.add(g.add(a, b), c), g.add(a, g.add(b, c)));
                    let l = g.exponent();
                    assert_eq!(g.phase(a, g.add(b, c)), (g.phase(a, b) + g.phase(a, c)) % l);
                }
            }
        }
        // the digits are mixed radix with the first factor most significant
        let last = g.digits(k - 1);
        assert_eq!(last, g.moduli().iter().map(|n| n - 1).collect::<Vec<_>>());
    }
    // Z2^n: the pairing is the Sylvester one, popcount(m & g) mod 2
    let g = AbelianGroup::parse("Z2^4").unwrap();
    for m in 0..16usize {
        for x in 0..16usize {
            assert_eq!(g.phase(m, x), (m & x).count_ones() as usize % 2);
        }
    }
}

fn dense_qtq<T: Enclosure>(q: &[T], k: usize) -> Vec<T> {
    let mut out = vec![T::zero(); k * k];
    for a in 0..k {
        for b in 0..k {
            for g in 0..k {
                out[a * k + b].add_product(&q[g * k + a], &q[g * k + b]);
            }
        }
    }
    out
}

fn basis_is_orthonormal_on<T: Enclosure>(prec: u32, max_width: f64) {
    for text in [
        "Z3", "Z5", "Z8", "Z12", "Z4xZ2", "Z2^3", "Z3xZ5", "Z4xZ4", "Z6xZ4",
    ] {
        let g = AbelianGroup::parse(text).unwrap();
        let k = g.order();
        let basis = CharacterBasis::new(&g);
        let q = basis.enclose_matrix::<T>(prec);
        let qtq = dense_qtq(&q, k);
        for a in 0..k {
            for b in 0..k {
                let x = &qtq[a * k + b];
                assert!(
                    x.contains_rational(&Rational::from(u32::from(a == b))),
                    "{text}: (Q^T Q)_{a}{b} = [{}, {}]",
                    x.lower_f64(),
                    x.upper_f64()
                );
                assert!(
                    x.width_upper() < max_width,
                    "{text}: width {}",
                    x.width_upper()
                );
            }
        }
        // columns: real characters are +-1/sqrt(K); pairs sit at m and -m
        let pairs = basis.pairs();
        let reals = basis
            .columns()
            .iter()
            .filter(|c| matches!(c, Column::Real { .. }))
            .count();
        assert_eq!(reals + 2 * pairs, k);
        for (m, col) in basis.columns().iter().enumerate() {
            match *col {
                Column::Real { chi } => assert_eq!(g.neg(chi), chi),
                Column::Cos { chi } => assert!(chi == m && g.neg(m) > m),
                Column::Sin { chi } => assert!(chi == g.neg(m) && chi < m),
            }
        }
    }
}

#[test]
fn character_basis_is_orthonormal_on_both_backends() {
    basis_is_orthonormal_on::<Ival>(53, 1e-13);
    basis_is_orthonormal_on::<MpfrInterval>(128, 1e-34);
    // numbers of real characters: Z8 has 2, Z4xZ2 has 4, Z2^3 has 8; Z3xZ5 has 1
    for (text, reals) in [
        ("Z8", 2),
        ("Z4xZ2", 4),
        ("Z2^3", 8),
        ("Z3xZ5", 1),
        ("Z12", 2),
    ] {
        let basis = CharacterBasis::new(&AbelianGroup::parse(text).unwrap());
        assert_eq!(basis.columns().len() - 2 * basis.pairs(), reals, "{text}");
    }
}

#[test]
fn z2n_basis_is_the_sylvester_matrix_over_sqrt_k() {
    let g = AbelianGroup::parse("Z2^3").unwrap();
    let q = CharacterBasis::new(&g).enclose_matrix::<MpfrInterval>(128);
    for x in 0..8usize {
        for m in 0..8usize {
            let e = &q[x * 8 + m];
            let sign = if (m & x).count_ones() % 2 == 0 { 1 } else { -1 };
            // e = sign / sqrt(8): sign * e > 0 and e^2 contains 1/8
            assert!((e.clone() * MpfrInterval::from_i64(sign, 128)).certainly_positive());
            assert!((e.clone() * e).contains_rational(&Rational::from((1, 8))));
        }
    }
}

#[test]
fn transform_agrees_with_the_dense_matrix_and_recovers_x() {
    let mut seed = 0x9e37_79b9_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        Rational::from(((seed % 601) as i64 - 300, 100))
    };
    for text in ["Z5", "Z12", "Z4xZ2", "Z3xZ5", "Z4xZ4"] {
        let g = AbelianGroup::parse(text).unwrap();
        let k = g.order();
        let basis = CharacterBasis::new(&g);
        let xs: Vec<Rational> = (0..k).map(|_| next()).collect();
        let x: Vec<MpfrInterval> = xs
            .iter()
            .map(|q| MpfrInterval::from_rational(q, 128))
            .collect();
        let y = basis.transform(&x);
        let q = basis.enclose_matrix::<MpfrInterval>(128);
        for m in 0..k {
            let mut d = MpfrInterval::from_i64(0, 128);
            for (gi, v) in x.iter().enumerate() {
                d.add_product(&q[gi * k + m], v);
            }
            assert!(y[m].intersect(&d).is_some(), "{text}: column {m}");
            assert!(y[m].width_upper() < 1e-33);
        }
        // Q is orthogonal: Q (Q^T x) encloses x
        for (gi, xq) in xs.iter().enumerate() {
            let mut back = MpfrInterval::from_i64(0, 128);
            for m in 0..k {
                back.add_product(&q[gi * k + m], &y[m]);
            }
            assert!(back.contains_rational(xq), "{text}: Q Q^T x at {gi}");
        }
    }
}

fn claim_text(id: &str, backend: &str, group: &str, logits: &[String], expect: &str) -> String {
    let values: Vec<String> = logits.iter().map(|v| format!("\"{v}\"")).collect();
    let prec = if backend == "mpfr" {
        "precision_bits = 128\nwidth_bound = \"1e-30\"\n"
    } else {
        "width_bound = \"1e-12\"\n"
    };
    format!(
        "[[claim]]\nid = \"{id}\"\nkind = \"group-diagonalise\"\nexpect = \"{expect}\"\n\
         backend = \"{backend}\"\n{prec}group = \"{group}\"\n\
         logits = {{ kind = \"list\", values = [{}] }}\n",
        values.join(", ")
    )
}

fn certify_text(text: &str) -> Vec<Certificate> {
    crate::common::certify_text_as(text, "tests/it/groups.rs")
}

fn check<'a>(c: &'a Certificate, prefix: &str) -> &'a hadacert::cert::Check {
    c.checks
        .iter()
        .find(|x| x.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("{}: no check `{prefix}`", c.id))
}

fn strings(v: &[Rational]) -> Vec<String> {
    v.iter().map(|q| q.to_string()).collect()
}

#[test]
fn symmetric_logits_are_proved_on_both_backends() {
    // Z6: pairs {1, 5}, {2, 4}; real characters 0 and 3
    let f = strings(&[
        Rational::from(2),
        Rational::from((1, 2)),
        Rational::from((-1, 3)),
        Rational::from((7, 4)),
        Rational::from((-1, 3)),
        Rational::from((1, 2)),
    ]);
    let text = claim_text("z6-mpfr", "mpfr", "Z6", &f, "proved")
        + &claim_text("z6-inari", "inari", "Z6", &f, "proved");
    for c in certify_text(&text) {
        assert_eq!(c.verdict, Verdict::Proved, "{}: {:#?}", c.id, c.checks);
        assert!(c.checks.iter().all(|x| x.passed), "{}", c.id);
        assert!(c.margin.is_some());
        assert_eq!(c.exact_inputs["conjugate_pairs"], 2);
        // the diagonal: s_0 = 1 (contains 1), the cos and sin columns of a pair (m, -m) share
        // the value: their enclosures intersect
        let diag = |m: usize| {
            let e = c
                .enclosures
                .iter()
                .find(|e| e.name == format!("(Q^T S Q)_{m}{m}"))
                .unwrap();
            (
                parse_exact(&e.lower).unwrap(),
                parse_exact(&e.upper).unwrap(),
            )
        };
        let (lo, hi) = diag(0);
        assert!(lo <= 1 && hi >= 1);
        for (a, b) in [(1, 5), (2, 4)] {
            let (x, y) = (diag(a), diag(b));
            assert!(x.0 <= y.1 && y.0 <= x.1, "{}: columns {a}, {b}", c.id);
        }
    }
}

#[test]
fn non_symmetric_logits_are_refuted_and_tiny_asymmetry_is_not_proved() {
    let f = strings(&[0, 1, 0, 0, 0].map(Rational::from));
    for c in certify_text(&claim_text("z5-asym", "inari", "Z5", &f, "refuted")) {
        assert_eq!(c.verdict, Verdict::Refuted);
        assert!(!check(&c, "exact argument").passed);
        assert!(check(&c, "exact argument").detail.contains("not symmetric"));
        assert!(c.margin.is_some());
        assert!(c.enclosures[0].name.contains("excluding 0"));
    }
    // An asymmetry of 1e-40 is invisible to 53-bit enclosures: every off-diagonal contains 0,
    // yet the exact argument fails, so the verdict is undecided, never proved.
    let mut f: Vec<Rational> = [3, 1, 2, 2, 1].map(Rational::from).to_vec();
    f[1] += parse_exact("1e-40").unwrap();
    for c in certify_text(&claim_text(
        "z5-tiny",
        "inari",
        "Z5",
        &strings(&f),
        "undecided",
    )) {
        assert_eq!(c.verdict, Verdict::Undecided);
        assert!(!check(&c, "exact argument").passed);
        assert!(check(&c, "every off-diagonal enclosure contains 0").passed);
        assert!(c.margin.is_none());
    }
}

#[test]
fn sylvester_group_agrees_with_c1_on_the_same_lambda() {
    // lambda on Z2^3; the logits on the group are f = Had lambda / 8, exact.
    let lambda: Vec<Rational> = [0, 37, 120, 250, 3, 99, 180, 41]
        .iter()
        .map(|&n| Rational::from((n, 100)))
        .collect();
    let mut f = lambda.clone();
    fwht(&mut f);
    let f: Vec<Rational> = f.into_iter().map(|x| x / 8u32).collect();
    let values: Vec<String> = lambda.iter().map(|q| format!("\"{q}\"")).collect();
    let c1 = format!(
        "[[claim]]\nid = \"c1\"\nkind = \"C1\"\nexpect = \"proved\"\nbackend = \"mpfr\"\n\
         precision_bits = 128\nwidth_bound = \"1e-30\"\n\
         matrix = {{ family = \"sylvester\", order = 8 }}\n\
         lambda = {{ kind = \"list\", values = [{}] }}\n",
        values.join(", ")
    );
    let text = c1 + &claim_text("g", "mpfr", "Z2^3", &strings(&f), "proved");
    let certs = certify_text(&text);
    assert_eq!(certs.len(), 2);
    for c in &certs {
        assert_eq!(c.verdict, Verdict::Proved, "{}", c.id);
    }
    for m in 0..8 {
        let get = |c: &Certificate| {
            let e = c
                .enclosures
                .iter()
                .find(|e| e.name == format!("(Q^T S Q)_{m}{m}"))
                .unwrap();
            (
                parse_exact(&e.lower).unwrap(),
                parse_exact(&e.upper).unwrap(),
            )
        };
        let (a, b) = (get(&certs[0]), get(&certs[1]));
        assert!(
            a.0 <= b.1 && b.0 <= a.1,
            "diagonal {m}: C1 {a:?}, group {b:?}"
        );
        // and they are thin enough that agreement means something
        assert!(Rational::from(&a.1 - &a.0) < Rational::from((1, 10u128.pow(30))));
    }
}

#[test]
fn bad_group_claims_are_errors_naming_the_field() {
    let ok = claim_text(
        "x",
        "inari",
        "Z3",
        &strings(&[1, 0, 0].map(Rational::from)),
        "proved",
    );
    for (from, to, field, needle) in [
        (
            "group = \"Z3\"",
            "group = \"Z3x\"",
            "group",
            "not of the form",
        ),
        (
            "group = \"Z3\"",
            "group = \"Z512\"",
            "group",
            "at most K = 256",
        ),
        ("group = \"Z3\"", "group = \"Z4\"", "logits", "has length 3"),
        ("group = \"Z3\"\n", "", "group", "missing"),
        (
            "logits = ",
            "matrix = { family = \"sylvester\", order = 4 }\nlogits = ",
            "matrix",
            "does not apply",
        ),
        (
            "logits = ",
            "lambda = { kind = \"list\", values = [\"0\", \"1\", \"1\"] }\nlogits = ",
            "lambda",
            "not both",
        ),
        ("\"1\"", "\"one\"", "logits.values[0]", ""),
        (
            "kind = \"list\", values = [\"1\", \"0\", \"0\"]",
            "kind = \"list\", values = []",
            "logits",
            "",
        ),
    ] {
        let text = ok.replacen(from, to, 1);
        assert_ne!(text, ok, "{from}");
        let e = parse_claims(&text, Path::new("x.toml")).expect_err(&text);
        assert_eq!(e.field, field, "{text}: {e}");
        assert!(e.message.contains(needle), "{e}");
    }
    let no_logits = ok.replacen("logits = ", "a = ", 1);
    assert!(parse_claims(&no_logits, Path::new("x.toml")).is_err());
}

fn spectrum_claim(id: &str, group: &str, lambda: &[Rational], expect: &str) -> String {
    claim_text(id, "mpfr", group, &strings(lambda), expect).replacen("logits = ", "lambda = ", 1)
}

fn diagonal(c: &Certificate, m: usize) -> (Rational, Rational) {
    let e = c
        .enclosures
        .iter()
        .find(|e| e.name == format!("(Q^T S Q)_{m}{m}"))
        .unwrap_or_else(|| panic!("{}: no diagonal {m}", c.id));
    (
        parse_exact(&e.lower).unwrap(),
        parse_exact(&e.upper).unwrap(),
    )
}

#[test]
fn paired_spectra_are_proved_and_agree_with_their_logits() {
    let q = |n: i32| Rational::from((n, 4));
    for (group, lambda) in [
        ("Z3", vec![q(0), q(5), q(5)]),
        ("Z6", vec![q(1), q(7), q(3), q(9), q(3), q(7)]),
        (
            "Z4xZ2",
            vec![q(0), q(2), q(6), q(3), q(4), q(1), q(6), q(3)],
        ),
    ] {
        let g = AbelianGroup::parse(group).unwrap();
        // the example spectra are paired: lambda_m = lambda_(-m)
        assert!(
            (0..g.order()).all(|m| lambda[m] == lambda[g.neg(m)]),
            "{group}"
        );
        let spec = certify_text(&spectrum_claim("s", group, &lambda, "proved"));
        assert_eq!(
            spec[0].verdict,
            Verdict::Proved,
            "{group}: {:#?}",
            spec[0].checks
        );
        assert!(check(&spec[0], "exact argument")
            .detail
            .contains("every conjugate pair"));
        // the logits f = Z_g0 it records, given as logits, give the same diagonal
        let f: Vec<String> = spec[0].exact_inputs["logits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let logit = certify_text(&claim_text("f", "mpfr", group, &f, "proved"));
        assert_eq!(logit[0].verdict, Verdict::Proved);
        for m in 0..g.order() {
            let (a, b) = (diagonal(&spec[0], m), diagonal(&logit[0], m));
            assert!(a.0 <= b.1 && b.0 <= a.1, "{group}: diagonal {m}");
        }
    }
    // Z2^3: f = Had lambda / 8 exactly
    let lambda: Vec<Rational> = [0, 3, 1, 4, 1, 5, 9, 2].map(q).to_vec();
    let c = &certify_text(&spectrum_claim("s8", "Z2^3", &lambda, "proved"))[0];
    let mut f = lambda.clone();
    fwht(&mut f);
    let expect: Vec<String> = f
        .iter()
        .map(|x| Rational::from(x / 8u32).to_string())
        .collect();
    assert_eq!(c.exact_inputs["logits"], serde_json::json!(expect));
}

#[test]
fn an_unpaired_spectrum_fails_the_exact_argument_and_is_not_proved() {
    // Z4: column 1 is the cos and column 3 the sin of the character 1; lambda_1 != lambda_3
    let lambda: Vec<Rational> = [0, 2, 1, 0].map(Rational::from).to_vec();
    let c = &certify_text(&spectrum_claim("u", "Z4", &lambda, "refuted"))[0];
    let arg = check(c, "exact argument");
    assert!(!arg.passed);
    assert!(
        arg.detail.contains("pairing condition fails"),
        "{}",
        arg.detail
    );
    assert!(arg.detail.contains("not G-invariant"), "{}", arg.detail);
    assert_eq!(c.verdict, Verdict::Refuted, "{:#?}", c.checks);
    // a group with irrational cosines takes logits only
    let e = parse_claims(
        &spectrum_claim("v", "Z5", &[1, 0, 0, 0, 0].map(Rational::from), "proved"),
        Path::new("x.toml"),
    )
    .expect_err("Z5 has irrational cosines");
    assert_eq!(e.field, "lambda");
    assert!(e.message.contains("Niven"), "{e}");
}

// ---- the reduced flow on a group (issue 16, docs/math.md section 12.4) ----

use hadacert::claim::counterexample::Metric;
use hadacert::claim::group::c5_group_row;
use hadacert::model::gradient::enclose_gradient_flow;
use hadacert::spectral::field::{enclose_balanced_field, enclose_balanced_field_on};
use hadacert::spectral::field::{enclose_spectral_softmax_on, enclose_unbalanced_field_on};
use hadacert::spectral::rates::{enclose_v_rate, enclose_v_rate_on};
use hadacert::spectral::transform::{CharacterTable, SpectralTransform};
use nalgebra::DMatrix;
use std::sync::Arc;

/// xorshift64 (deterministic).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The dense cosine transform of a group, forced even for `Z2^n` (where
/// [`SpectralTransform::of_group`] picks the butterflies).
fn dense(group: &str) -> SpectralTransform {
    let g = AbelianGroup::parse(group).unwrap();
    SpectralTransform::Characters(Arc::new(CharacterTable::new(CharacterBasis::new(&g))))
}

/// A random paired vector (`v_m = v_{-m}`) of rationals `n / 64`, `n` in `1..=256`,
/// `v_0 = first`.
fn paired(tr: &SpectralTransform, seed: &mut u64, first: i64) -> Vec<Rational> {
    let k = tr.order();
    let mut v = vec![Rational::from(first); k];
    for m in 1..k {
        let n = tr.partner(m);
        v[m] = if n < m {
            v[n].clone()
        } else {
            Rational::from((1 + (xorshift(seed) % 256) as i64, 64))
        };
    }
    v
}

#[test]
fn dense_transform_on_z2n_equals_the_wht_exactly_and_within_enclosures() {
    let mut seed = 0x9e37_79b9_u64;
    for n in 1..=5u32 {
        let k = 1usize << n;
        let tr = dense(&format!("Z2^{n}"));
        // integers: every cosine is +-1 exactly, so the MPFR enclosure is the exact WHT
        let ints: Vec<i64> = (0..k)
            .map(|_| (xorshift(&mut seed) % 41) as i64 - 20)
            .collect();
        let mut want = ints.clone();
        fwht(&mut want);
        let x: Vec<MpfrInterval> = ints
            .iter()
            .map(|&v| MpfrInterval::from_i64(v, 128))
            .collect();
        let got = tr.transformed(&x);
        for m in 0..k {
            let w = Rational::from(want[m]);
            assert_eq!(got[m].lower_exact(), Some(w.clone()), "Z2^{n}, m = {m}");
            assert_eq!(got[m].upper_exact(), Some(w), "Z2^{n}, m = {m}");
        }
        // rationals on inari: the dense and the butterfly enclosures meet the exact WHT
        let q: Vec<Rational> = (0..k)
            .map(|_| Rational::from(((xorshift(&mut seed) % 2001) as i64 - 1000, 77)))
            .collect();
        let mut exact = q.clone();
        fwht(&mut exact);
        let xi: Vec<Ival> = q.iter().map(|v| Ival::from_rational(v, 53)).collect();
        let a = tr.transformed(&xi);
        let b = SpectralTransform::sylvester(k).transformed(&xi);
        for m in 0..k {
            for e in [&a[m], &b[m]] {
                assert!(
                    e.lower_exact().unwrap() <= exact[m] && exact[m] <= e.upper_exact().unwrap()
                );
                assert!(e.width_upper() < 1e-12);
            }
        }
    }
}

#[test]
fn sylvester_field_is_unchanged_by_the_transform_abstraction() {
    // of_group on Z2^n is the butterfly transform: the same operations, the same endpoints
    let lambda: Vec<Ival> = [0, 3, 1, 4, 1, 5, 9, 2]
        .iter()
        .map(|&v| Ival::from_i64(v, 53))
        .collect();
    let tr = SpectralTransform::parse("Z2^3").unwrap();
    assert!(matches!(tr, SpectralTransform::Walsh(8)));
    let a = enclose_balanced_field(&lambda);
    let b = enclose_balanced_field_on(&tr, &lambda);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.lower_exact(), x.upper_exact()),
            (y.lower_exact(), y.upper_exact())
        );
    }
    let (v1, v2) = (enclose_v_rate(&lambda), enclose_v_rate_on(&tr, &lambda));
    assert_eq!(v1.lower_exact(), v2.lower_exact());
}

#[test]
fn group_field_agrees_with_the_full_matrix_gradient() {
    // W = Q diag(a), H = diag(b) Q^T (R = I): Q^T W' and H' Q are diag(a'), diag(b') of (4.1)
    let mut seed = 12345u64;
    for group in ["Z5", "Z6", "Z4xZ2", "Z3xZ3", "Z12"] {
        let g = AbelianGroup::parse(group).unwrap();
        let tr = SpectralTransform::of_group(&g);
        let k = g.order();
        for _ in 0..2 {
            let a = paired(&tr, &mut seed, 1);
            let b = paired(&tr, &mut seed, 1);
            let at: Vec<MpfrInterval> = a
                .iter()
                .map(|q| MpfrInterval::from_rational(q, 128))
                .collect();
            let bt: Vec<MpfrInterval> = b
                .iter()
                .map(|q| MpfrInterval::from_rational(q, 128))
                .collect();
            let qv = CharacterBasis::new(&g).enclose_matrix::<MpfrInterval>(128);
            let q = DMatrix::from_fn(k, k, |i, j| qv[i * k + j].clone());
            let zero = MpfrInterval::from_i64(0, 128);
            let da = DMatrix::from_fn(
                k,
                k,
                |i, j| if i == j { at[i].clone() } else { zero.clone() },
            );
            let db = DMatrix::from_fn(
                k,
                k,
                |i, j| if i == j { bt[i].clone() } else { zero.clone() },
            );
            let w = &q * da;
            let h = db * q.transpose();
            let (wd, hd) = enclose_gradient_flow(&w, &h);
            let rw = q.transpose() * wd;
            let rh = hd * &q;
            let (ad, bd) = enclose_unbalanced_field_on(&tr, &at, &bt);
            for i in 0..k {
                for j in 0..k {
                    for (mat, red) in [(&rw, &ad), (&rh, &bd)] {
                        let x = &mat[(i, j)];
                        assert!(x.width_upper() < 1e-25, "{group}: width at ({i}, {j})");
                        if i == j {
                            assert!(x.intersect(&red[i]).is_some(), "{group}: diagonal {i}");
                            assert!(red[i].width_upper() < 1e-25);
                        } else {
                            assert!(x.contains_zero(), "{group}: off-diagonal ({i}, {j})");
                        }
                    }
                }
            }
            // and s is the diagonal of Q^T S Q: both members of a pair share s
            let lam: Vec<MpfrInterval> = at.iter().zip(&bt).map(|(x, y)| x.clone() * y).collect();
            let sp = enclose_spectral_softmax_on(&tr, &lam);
            for m in 0..k {
                assert!(sp.s[m].intersect(&sp.s[tr.partner(m)]).is_some());
            }
        }
    }
}

fn flow_claim(kind_fields: &str) -> String {
    format!("[[claim]]\nid = \"t\"\nbackend = \"inari\"\n{kind_fields}\n")
}

#[test]
fn unpaired_states_and_wrong_orders_are_errors_naming_the_field() {
    for (fields, field, needle) in [
        (
            "kind = \"trajectory\"\nexpect = \"proved\"\nwidth_bound = \"1\"\nflow = \"balanced\"\n\
             group = \"Z5\"\nhorizon = \"1\"\ndecreasing = [\"V\"]\n\
             start = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"2\", \"3\"] }",
            "start",
            "not paired",
        ),
        (
            "kind = \"C4\"\nexpect = \"proved\"\nwidth_bound = \"1\"\nflow = \"unbalanced\"\n\
             group = \"Z6\"\n\
             start = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"3\", \"2\", \"1\"] }\n\
             start_b = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"3\", \"2\", \"5\"] }",
            "start_b",
            "not paired",
        ),
        (
            "kind = \"C4\"\nexpect = \"proved\"\nwidth_bound = \"1\"\nflow = \"balanced\"\n\
             group = \"Z6\"\nstart = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"2\", \"1\"] }",
            "group",
            "order 6",
        ),
        (
            "kind = \"C5\"\nexpect = \"proved\"\nquantity = \"M1\"\nk = 5\nhorizon = \"1\"\n\
             group = \"Z5\"\nstart = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"1\", \"2\"] }",
            "start",
            "not paired",
        ),
        (
            "kind = \"trajectory\"\nexpect = \"proved\"\nwidth_bound = \"1\"\nflow = \"balanced\"\n\
             group = \"Z5\"\nhorizon = \"1\"\ndecreasing = [\"loss\"]\n\
             start = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"2\", \"1\"] }",
            "bounds",
            "loss",
        ),
        (
            // without a group, K = 5 is still refused (Sylvester needs a power of two)
            "kind = \"C4\"\nexpect = \"proved\"\nwidth_bound = \"1\"\nflow = \"balanced\"\n\
             start = { kind = \"list\", values = [\"0\", \"1\", \"2\", \"2\", \"1\"] }",
            "start",
            "power of two",
        ),
    ] {
        let e = parse_claims(&flow_claim(fields), Path::new("tests/it/groups.rs"))
            .err()
            .unwrap_or_else(|| panic!("accepted: {fields}"));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }
}

#[test]
fn v_decreases_along_a_z5_trajectory_and_pointwise_on_several_groups() {
    let text = flow_claim(
        "kind = \"trajectory\"\nexpect = \"proved\"\nwidth_bound = \"1e-6\"\nflow = \"balanced\"\n\
         group = \"Z5\"\nhorizon = \"4\"\ndecreasing = [\"V\"]\n\
         start = { kind = \"list\", values = [\"0\", \"1\", \"3\", \"3\", \"1\"] }",
    );
    let c = &certify_text(&text)[0];
    assert_eq!(c.verdict, Verdict::Proved, "{:#?}", c.checks);
    assert!(check(c, "group G = Z5").passed);
    assert!(c.statement.contains("G = Z5"));
    for (group, start) in [
        ("Z6", "[\"0\", \"1\", \"5/2\", \"4\", \"5/2\", \"1\"]"),
        (
            "Z3xZ3",
            "[\"0\", \"1\", \"1\", \"2\", \"3\", \"4\", \"2\", \"4\", \"3\"]",
        ),
        (
            "Z12",
            "[\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"5\", \"4\", \"3\", \"2\", \"1\"]",
        ),
    ] {
        let text = flow_claim(&format!(
            "kind = \"C4\"\nexpect = \"proved\"\nwidth_bound = \"1e-10\"\nflow = \"balanced\"\n\
             group = \"{group}\"\nstart = {{ kind = \"list\", values = {start} }}"
        ));
        let c = &certify_text(&text)[0];
        assert_eq!(c.verdict, Verdict::Proved, "{group}: {:#?}", c.checks);
    }
}

#[test]
fn c5_group_search_certifies_what_it_finds() {
    // Z2^3 is the Sylvester K = 8 case, where M1 is known to grow at first (proofs-data/c5)
    for (group, metric) in [
        ("Z2^3", Metric::M1),
        ("Z8", Metric::M1),
        ("Z4xZ2", Metric::M3),
    ] {
        let g = AbelianGroup::parse(group).unwrap();
        let row = c5_group_row(&g, metric, 400, 7);
        if let Some(start) = &row.start {
            // the start is paired with lambda_0 = 0, and the verdict is decided on it
            let tr = SpectralTransform::of_group(&g);
            assert_eq!(start[0], 0);
            assert!(tr.pairing_violation(start).is_none());
            assert_ne!(row.verdict.as_ref().unwrap().0, Verdict::Refuted, "{group}");
        }
        if group == "Z2^3" {
            assert_eq!(
                row.verdict.as_ref().map(|v| v.0),
                Some(Verdict::Proved),
                "{row:?}"
            );
        }
    }
    // M4 on Z3 (one conjugate pair, M4 = 0): not searched; on Z7 searched up to the pairing
    let row = c5_group_row(&AbelianGroup::parse("Z3").unwrap(), Metric::M4, 10, 1);
    assert!(row.skipped.is_some() && row.start.is_none());
    let row = c5_group_row(&AbelianGroup::parse("Z7").unwrap(), Metric::M4, 10, 1);
    assert!(row.skipped.is_none() && row.samples > 0, "{row:?}");
}

/// The groups of the C5-by-group table (docs/math.md section 12.5), in file order.
fn c5_table_groups() -> Vec<String> {
    let mut groups: Vec<String> = (3..=32).map(|k| format!("Z{k}")).collect();
    groups.extend(
        [
            "Z4xZ2", "Z2^3", "Z2xZ6", "Z4xZ4", "Z2xZ8", "Z2^2xZ4", "Z2^4",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    groups
}

/// The seed and budget of the shipped table (docs/math.md section 12.5).
const C5_TABLE_SEED: u64 = 2026;

/// The id of the cell (`^` is not allowed in ids: `Z2^3` -> `Z2pow3`).
fn c5_cell_id(group: &str, metric: Metric, search: bool) -> String {
    let g = group.replace('^', "pow");
    if search {
        format!("c5g-{g}-{metric}-search")
    } else {
        format!("c5g-{g}-{metric}")
    }
}

/// The claim file `proofs-data/groups/c5-table.toml`, generated: for every group and metric,
/// the seeded f64 search (budget 4000, seed 2026); a found start becomes a `C5-group` claim
/// (its `expect` the verdict certified at that start now), no start (or a metric not searched)
/// a `C5-group-search` claim (empirical).
fn c5_table_file() -> String {
    use hadacert::claim::c5_group::SEARCH_BUDGET;
    use hadacert::claim::group::c5_group_search;
    let mut out = String::from(
        "# The C5-by-group table (docs/math.md section 12.5), one claim per cell.\n\
         # GENERATED by `cargo test --release --test it -- --ignored c5_group_table_file`\n\
         # (HADACERT_WRITE_C5_TABLE=1 rewrites this file; without it the test compares): for\n\
         # every group and metric the seeded f64 search of docs/math.md section 12.5 (budget\n\
         # 4000 evaluations, seed 2026) looks for a paired start with lambda_0 = 0, dM/dt(0) > 0\n\
         # and dV/dt(0) < 0. A start it found (exact, 3 digits) is a `C5-group` claim, decided\n\
         # on inari pointwise at t = 0; where it found none (or the metric is not searched) the\n\
         # cell is a `C5-group-search` claim, which reruns the search: empirical, not certified.\n",
    );
    for g in c5_table_groups() {
        let group = AbelianGroup::parse(&g).unwrap();
        let g = group.name();
        for metric in [Metric::M1, Metric::M2, Metric::M3, Metric::M4] {
            let search = c5_group_search(&group, metric, SEARCH_BUDGET, C5_TABLE_SEED);
            let text = match &search.start {
                Some(start) => {
                    let values: Vec<String> = start.iter().map(|q| format!("\"{q}\"")).collect();
                    let body = |expect: &str| {
                        format!(
                            "\n[[claim]]\nid = \"{}\"\nkind = \"C5-group\"\nexpect = \
                             \"{expect}\"\nbackend = \"inari\"\ngroup = \"{g}\"\nquantity = \
                             \"{metric}\"\nseed = {C5_TABLE_SEED}\nstart = {{ kind = \"list\", \
                             values = [{}] }}\n",
                            c5_cell_id(&g, metric, false),
                            values.join(", ")
                        )
                    };
                    let verdict = certify_text(&body("proved"))[0].verdict;
                    body(&verdict.to_string())
                }
                None => format!(
                    "\n[[claim]]\nid = \"{}\"\nkind = \"C5-group-search\"\nexpect = \
                     \"empirical\"\nbackend = \"f64\"\ngroup = \"{g}\"\nquantity = \
                     \"{metric}\"\nseed = {C5_TABLE_SEED}\n",
                    c5_cell_id(&g, metric, true)
                ),
            };
            out.push_str(&text);
        }
    }
    out
}

/// Regenerates (`HADACERT_WRITE_C5_TABLE=1`) or checks `proofs-data/groups/c5-table.toml`
/// (run by hand: the full search takes a while; `cargo test --release --test it --
/// --ignored c5_group_table_file`).
#[test]
#[ignore]
fn c5_group_table_file() {
    let path = crate::common::root().join("proofs-data/groups/c5-table.toml");
    let text = c5_table_file();
    if std::env::var_os("HADACERT_WRITE_C5_TABLE").is_some() {
        std::fs::write(&path, &text).unwrap();
    } else {
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

/// The report's C5-by-group table is drawn from the certificates: certify the cells of a few
/// groups of the shipped file and check that each cell names its certificate and says what
/// the certificate says (the certified rates' signs, the search's outcome rerun here).
#[test]
fn c5_groups_table_is_drawn_from_the_certificates() {
    use hadacert::claim::c5_group::SEARCH_BUDGET;
    use hadacert::claim::group::c5_group_search;
    use hadacert::report::tables::c5_groups_table;
    let path = crate::common::root().join("proofs-data/groups/c5-table.toml");
    let claims = hadacert::claim::load_file(&path).unwrap();
    // Z4 (no start for any metric), Z7 (odd: M4 searched up to the pairing), Z4xZ2 (K = 8)
    let wanted = ["Z4", "Z7", "Z4xZ2"];
    let certs: Vec<Certificate> = claims
        .iter()
        .filter(|c| wanted.contains(&c.spec.group.as_deref().unwrap_or("")))
        .map(hadacert::claim::certify)
        .collect();
    assert_eq!(certs.len(), 12);
    let table = c5_groups_table(&certs).unwrap();
    let md = table.to_markdown();
    let metric_col = |m: &str| table.columns.iter().position(|c| c.key == m).unwrap();
    let mut certified = 0;
    for c in &certs {
        assert_eq!(c.verdict, c.expect, "{}", c.id);
        let g = c.exact_inputs["group"].as_str().unwrap();
        let m: Metric = c.exact_inputs["quantity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let row = table
            .rows
            .iter()
            .find(|r| r[0].csv == g)
            .unwrap_or_else(|| panic!("no row {g}"));
        let cell = &row[metric_col(m.name())].text;
        assert!(cell.contains(&format!("`{}`", c.id)), "{cell}");
        if c.claim == "C5-group" {
            // the cell says certified exactly when the certificate's rates have the signs
            let lower = |name: &str| {
                let e = c.enclosures.iter().find(|e| e.name == name).unwrap();
                parse_exact(&e.lower).unwrap()
            };
            let upper = |name: &str| {
                let e = c.enclosures.iter().find(|e| e.name == name).unwrap();
                parse_exact(&e.upper).unwrap()
            };
            let grows = lower(&format!("d{m}/dt(0)")) > 0
                && upper("dV/dt(0)") < 0
                && lower(&format!("{m}(0)")) > 0;
            assert_eq!(grows, c.verdict == Verdict::Proved, "{}", c.id);
            assert_eq!(cell.starts_with("grows, certified"), grows, "{cell}");
            certified += usize::from(grows);
        } else {
            assert_eq!(c.claim, "C5-group-search");
            assert_eq!(c.verdict, Verdict::Empirical);
            // the search rerun here: the cell reports its outcome
            let group = AbelianGroup::parse(g).unwrap();
            let search = c5_group_search(&group, m, SEARCH_BUDGET, C5_TABLE_SEED);
            let words = if search.skipped.is_some() {
                "not searched"
            } else if search.start.is_none() {
                "no start found"
            } else {
                "f64 start only"
            };
            assert!(cell.starts_with(words), "{} {cell}", c.id);
        }
    }
    // Z7 and Z4xZ2 grow at first in M1-M3 (docs/math.md section 12.5), Z4 in none
    assert_eq!(certified, 6, "{md}");
    let z4 = table.rows.iter().find(|r| r[0].csv == "Z4").unwrap();
    assert!(
        z4[2..].iter().all(|c| c.text.starts_with("no start found")),
        "{md}"
    );
    // odd cyclic groups are searched for M4 too (extremes unique up to the conjugate partner)
    let z7 = table.rows.iter().find(|r| r[0].csv == "Z7").unwrap();
    assert!(
        !z7[metric_col("M4")].text.starts_with("not searched"),
        "{md}"
    );
    // the LaTeX table numbers the 12 certificates and lists them under it
    let tex = table.to_latex();
    assert!(
        tex.contains(
            "[12]~\\texttt{c5g-\\allowbreak{}Z4xZ2-\\allowbreak{}M4-\\allowbreak{}search}"
        ),
        "{tex}"
    );
}

/// M4's extremes on a group are unique up to the conjugate partner (docs/math.md section 12.4):
/// on `Z7` a paired state whose largest value sits on one pair singles out that pair, a tie
/// between two different pairs does not, and on `Z_2^n` (every character real) the paired
/// version is the strict one.
#[test]
fn m4_extremes_are_unique_up_to_the_conjugate_partner() {
    use hadacert::claim::counterexample::{certain_extremes, certain_extremes_paired};
    let tr = SpectralTransform::of_group(&AbelianGroup::parse("Z7").unwrap());
    let iv = |v: &[i64]| -> Vec<Ival> { v.iter().map(|&x| Ival::from_i64(x, 53)).collect() };
    // pairs (1, 6), (2, 5), (3, 4): largest on (2, 5), smallest on (3, 4)
    let paired = iv(&[0, 3, 9, 1, 1, 9, 3]);
    assert_eq!(certain_extremes(&paired), None);
    assert_eq!(
        certain_extremes_paired(&paired, |m| tr.partner(m)),
        Some((2, 3))
    );
    // two different pairs tie at the top: no single pair, no derivative
    let tied = iv(&[0, 9, 9, 1, 1, 9, 9]);
    assert_eq!(certain_extremes_paired(&tied, |m| tr.partner(m)), None);
    // Z_2^3: partner(m) = m, the same answer as the strict rule
    let syl = SpectralTransform::of_group(&AbelianGroup::parse("Z2^3").unwrap());
    let x = iv(&[0, 4, 7, 2, 5, 1, 3, 6]);
    assert_eq!(
        certain_extremes_paired(&x, |m| syl.partner(m)),
        certain_extremes(&x)
    );
    assert_eq!(certain_extremes(&x), Some((2, 5)));
}
