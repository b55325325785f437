//! C8 (docs/math.md section 10), the empirical claim: the full-matrix gradient flow from a small random
//! Gaussian initialisation, simulated (never certified). Deterministic sampling, the f64 and MPFR
//! runs against each other, the measurements on known matrices, the qualitative behaviour the
//! paper reports, the certificate (always `empirical`), and bad claim files.

use hadacert::arith::{MpfrInterval, Real};
use hadacert::cert::Verdict;
use hadacert::claim::empirical::{
    exact_time, initial_digest, initial_matrices, measure, nearest_f64, portable_ln, sample_steps,
    simulate, Gaussian, Run, MAX_SERIES_POINTS, SERIES_NAMES,
};
use hadacert::claim::schema::SplitMix64;
use hadacert::claim::KNOWN_KINDS;
use hadacert::claim::{certify, parse_claims};
use hadacert::model::hadamard::HadamardMatrix;
use nalgebra::DMatrix;
use rug::Rational;
use std::path::Path;

fn q(text: &str) -> Rational {
    hadacert::arith::parse_exact(text).unwrap()
}

/// f64 and MPFR runs must agree to this (|f64 - mpfr| / max(1, |mpfr|) at every sample).
const F64_MPFR_AGREEMENT: f64 = 1e-12;

// ---------------------------------------------------------------- deterministic sampling

#[test]
fn portable_ln_is_accurate() {
    let mut xs = vec![
        1.0,
        0.5,
        2.0,
        std::f64::consts::SQRT_2,
        0.999_999_999,
        1.000_000_001,
        2f64.powi(-53),
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE / 1024.0, // subnormal
        f64::from_bits(1),          // smallest subnormal
        1e300,
        f64::MAX,
    ];
    let mut rng = SplitMix64(7);
    for _ in 0..20_000 {
        // Uniform in (0, 1] and log-uniform over a wide range.
        xs.push(((rng.next_u64() >> 11) + 1) as f64 * 2f64.powi(-53));
        xs.push(f64::from_bits(rng.below(0x7fe0_0000_0000_0000) + 1));
    }
    for x in xs {
        let reference = MpfrInterval::from_f64(x, 200).ln();
        let r = hadacert::arith::Ring::approx_f64(&reference);
        let got = portable_ln(x);
        let err = (got - r).abs();
        assert!(
            err <= 4.0 * f64::EPSILON * r.abs() || err == 0.0,
            "portable_ln({x:e}) = {got:e}, MPFR {r:e}, error {err:e}"
        );
    }
}

#[test]
fn gaussian_stream_is_pinned_and_standard_normal() {
    // Bit patterns pinned: the stream uses IEEE + - * / and sqrt only, so it is the same on
    // every machine. A change here changes every C8 start.
    let mut g = Gaussian::new(1);
    let first: Vec<u64> = (0..4).map(|_| g.sample().to_bits()).collect();
    let mut again = Gaussian::new(1);
    let second: Vec<u64> = (0..4).map(|_| again.sample().to_bits()).collect();
    assert_eq!(first, second);
    let (w, h) = initial_matrices(4, 1, &q("0.1"));
    assert_eq!(initial_digest(&w, &h), "22a5606b811d1271");

    let n = 200_000;
    let mut g = Gaussian::new(12345);
    let (mut s1, mut s2, mut s4, mut within1) = (0.0, 0.0, 0.0, 0usize);
    for _ in 0..n {
        let z = g.sample();
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
        within1 += (z.abs() < 1.0) as usize;
    }
    let nf = n as f64;
    let (mean, var, kurt) = (s1 / nf, s2 / nf, s4 / nf);
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((var - 1.0).abs() < 0.01, "variance {var}");
    assert!((kurt - 3.0).abs() < 0.06, "fourth moment {kurt}");
    let frac = within1 as f64 / nf;
    assert!((frac - 0.682_689).abs() < 0.005, "P(|z| < 1) = {frac}");
}

#[test]
fn init_scale_is_rounded_to_nearest() {
    assert_eq!(nearest_f64(&q("0.1")), 0.1);
    assert_eq!(nearest_f64(&q("1/3")), 1.0 / 3.0);
    assert_eq!(nearest_f64(&q("2")), 2.0);
    assert_eq!(nearest_f64(&q("1e-3")), 1e-3);
}

#[test]
fn times_are_exact() {
    assert_eq!(exact_time(&q("0.5"), 3), "1.5");
    assert_eq!(exact_time(&q("2"), 32), "64");
    assert_eq!(exact_time(&q("0.125"), 1), "0.125");
    assert_eq!(exact_time(&q("1/3"), 2), "2/3");
    assert_eq!(exact_time(&q("0.05"), 1), "0.05");
    let s = sample_steps(200);
    assert_eq!(
        (s.len(), s[0], *s.last().unwrap()),
        (MAX_SERIES_POINTS, 0, 200)
    );
    assert_eq!(sample_steps(3), vec![0, 1, 2, 3]);
}

// ---------------------------------------------------------------- measurements

/// Q = Had / sqrt(K) as an f64 matrix.
fn q_matrix(k: usize) -> DMatrix<f64> {
    let had = HadamardMatrix::sylvester(k).unwrap();
    let s = (k as f64).sqrt();
    DMatrix::from_fn(k, k, |i, j| had.get(i, j) as f64 / s)
}

#[test]
fn measurements_at_known_matrices() {
    let k = 8;
    let had = HadamardMatrix::sylvester(k).unwrap();
    // Z = c P (neural collapse): diagonal in the Hadamard basis, ETF distance 0, V = 0.
    let p = DMatrix::from_fn(k, k, |i, j| (i == j) as u8 as f64 - 1.0 / k as f64);
    let s = measure(&p.scale(3.0), &DMatrix::identity(k, k), &had);
    assert!(s.offdiag_mass < 1e-15, "{}", s.offdiag_mass);
    assert!(s.etf_cosine_distance.abs() < 1e-15);
    assert!(s.v.unwrap().abs() < 1e-15);
    assert!(s.diag[0].abs() < 1e-15 && s.diag[1..].iter().all(|d| (d - 3.0).abs() < 1e-14));
    // Z = I: not NC (mode 0 is not 0), still diagonal.
    let s = measure(
        &DMatrix::<f64>::identity(k, k),
        &DMatrix::identity(k, k),
        &had,
    );
    assert_eq!(s.v, Some(0.0));
    let expect = 1.0 - (k as f64 - 1.0) / ((k as f64).sqrt() * (k as f64 - 1.0).sqrt());
    assert!((s.etf_cosine_distance - expect).abs() < 1e-15);
    assert!(s.offdiag_mass < 1e-15);
    // A perturbation off NC: off-diagonal mass appears.
    let mut z = p.clone();
    z[(0, 0)] = -5.0;
    let s = measure(&z, &DMatrix::identity(k, k), &had);
    assert!(s.offdiag_mass > 0.1);
    // A matrix whose rotated form is purely off-diagonal.
    let qm = q_matrix(k);
    let mut r = DMatrix::<f64>::zeros(k, k);
    r[(1, 2)] = 1.0;
    let s = measure(&(&qm * r * qm.transpose()), &DMatrix::identity(k, k), &had);
    assert!((s.offdiag_mass - 1.0).abs() < 1e-15);
    assert_eq!(s.v, None);
}

#[test]
fn a_start_on_the_spectral_manifold_stays_diagonal() {
    // W = Q diag(a) Q^T, H = Q diag(b) Q^T (section 4, R = Q): the simulated flow keeps Q^T Z Q
    // diagonal up to rounding, and the loss falls.
    let k = 8;
    let qm = q_matrix(k);
    let a = DMatrix::from_diagonal(&nalgebra::DVector::from_fn(k, |m, _| 0.1 + 0.05 * m as f64));
    let b = DMatrix::from_diagonal(&nalgebra::DVector::from_fn(k, |m, _| 0.3 - 0.02 * m as f64));
    let w = &qm * a * qm.transpose();
    let h = &qm * b * qm.transpose();
    let run = simulate::<f64>(&w, &h, &q("0.5"), 100, &sample_steps(100), 53).unwrap();
    for s in &run.samples {
        assert!(s.offdiag_mass < 1e-13, "t = {}: {}", s.step, s.offdiag_mass);
    }
    assert!(run.samples.last().unwrap().loss < run.samples[0].loss);
}

// ---------------------------------------------------------------- the simulation

fn run_f64(k: usize, seed: u64, horizon: u64, step: &str) -> Run {
    let (w, h) = initial_matrices(k, seed, &q("0.1"));
    let st = q(step);
    let n = (Rational::from(horizon) / &st).numer().to_u64().unwrap();
    simulate::<f64>(&w, &h, &st, n, &sample_steps(n), 53).unwrap()
}

#[test]
fn a_fixed_seed_gives_the_same_run() {
    let a = run_f64(8, 3, 20, "0.5");
    let b = run_f64(8, 3, 20, "0.5");
    assert_eq!(a.samples, b.samples);
    let c = run_f64(8, 4, 20, "0.5");
    assert_ne!(a.samples[0], c.samples[0], "another seed, another start");
}

#[test]
fn f64_and_mpfr_runs_agree() {
    for (k, n) in [(4usize, 40u64), (8, 20)] {
        let (w, h) = initial_matrices(k, 2, &q("0.1"));
        let st = q("0.5");
        let at = sample_steps(n);
        let a = simulate::<f64>(&w, &h, &st, n, &at, 53).unwrap();
        let b = simulate::<MpfrInterval>(&w, &h, &st, n, &at, 128).unwrap();
        let mut worst = 0.0f64;
        for (x, y) in a.samples.iter().zip(&b.samples) {
            for name in SERIES_NAMES {
                match (x.quantity(name), y.quantity(name)) {
                    (Some(p), Some(r)) => worst = worst.max((p - r).abs() / r.abs().max(1.0)),
                    (None, None) => {}
                    _ => panic!("{name} defined in one run only at step {}", x.step),
                }
            }
            for (p, r) in x.diag.iter().zip(&y.diag) {
                worst = worst.max((p - r).abs() / r.abs().max(1.0));
            }
        }
        println!("K = {k}: f64 vs MPFR-128 largest scaled difference {worst:.2e}");
        assert!(worst <= F64_MPFR_AGREEMENT, "K = {k}: {worst:e}");
        assert!(worst > 0.0, "the runs are genuinely different computations");
    }
}

#[test]
fn loss_decreases_and_the_approach_to_nc_is_reported() {
    for (k, horizon) in [(4usize, 100u64), (8, 100), (16, 64)] {
        let run = run_f64(k, 1, horizon, "1");
        let s = &run.samples;
        for pair in s.windows(2) {
            assert!(
                pair[1].loss < pair[0].loss,
                "K = {k}: loss rises from step {} to {}",
                pair[0].step,
                pair[1].step
            );
        }
        let (first, last) = (&s[0], s.last().unwrap());
        assert!(
            last.loss < first.loss / 10.0,
            "K = {k}: the loss falls by 10x"
        );
        // Reported, not asserted: the approach to NC is slow (see the C8 certificates).
        println!(
            "K = {k}, T = {horizon}: loss {:.3e} -> {:.3e}; off-diagonal mass {:.3} -> {:.3}; \
             ETF cosine distance {:.3} -> {:.3}; V(T) = {:?}; ||Z|| {:.3} -> {:.2}",
            first.loss,
            last.loss,
            first.offdiag_mass,
            last.offdiag_mass,
            first.etf_cosine_distance,
            last.etf_cosine_distance,
            last.v,
            first.z_norm,
            last.z_norm
        );
    }
}

#[test]
fn a_state_that_is_not_finite_stops_both_runs() {
    let (mut w, h) = initial_matrices(4, 1, &q("0.1"));
    w[(1, 2)] = f64::NAN;
    let f = simulate::<f64>(&w, &h, &q("0.5"), 5, &[0, 5], 53).unwrap_err();
    let m = simulate::<MpfrInterval>(&w, &h, &q("0.5"), 5, &[0, 5], 64).unwrap_err();
    assert_eq!((f.step, f.time.as_str()), (1, "0.5"));
    assert_eq!(f, m, "the MPFR run must not turn NaN into a midpoint");
    assert!(f.to_string().contains("not finite after step 1 (t = 0.5)"));
}

// ---------------------------------------------------------------- the certificate

const GOOD: &str = r#"
[[claim]]
id = "c8-small"
kind = "C8"
expect = "empirical"
backend = "f64"
precision_bits = 96
k = 4
seed = 5
init_scale = "0.1"
horizon = "20"
step = "0.5"
agreement = "1e-12"
step_agreement = "1e-4"
"#;

#[test]
fn the_certificate_is_empirical_and_says_it_is_not_certified() {
    let claims = parse_claims(GOOD, Path::new("good.toml")).unwrap();
    let c = certify(&claims[0]);
    assert_eq!(c.verdict, Verdict::Empirical);
    assert_eq!(c.expect, Verdict::Empirical);
    assert_eq!(c.verdict.to_string(), "empirical");
    assert_eq!(
        serde_json::to_value(c.verdict).unwrap(),
        serde_json::json!("empirical")
    );
    assert_eq!((c.backend.as_str(), c.precision_bits), ("f64", 53));
    assert!(c.margin.is_none() && c.escalation.is_empty());
    assert!(c.statement.contains("NOT CERTIFIED") && c.statement.contains("NOT enclosures"));
    assert!(c.checks[0].name.starts_with("NOT CERTIFIED"));
    assert!(c.checks.iter().all(|ch| ch.passed), "{:#?}", c.checks);
    assert!(!c.enclosures.is_empty());
    for e in &c.enclosures {
        assert!(e.name.contains("(not certified)"), "{}", e.name);
        assert_eq!(e.lower, e.upper);
    }
    let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, SERIES_NAMES);
    for s in &c.series {
        assert!(!s.points.is_empty() && s.points.len() <= MAX_SERIES_POINTS);
        for p in &s.points {
            assert_eq!(p.t0, p.t1);
            assert!(p.lower == p.upper && p.upper == p.end_lower && p.end_lower == p.end_upper);
        }
    }
    assert_eq!(c.series[0].points.last().unwrap().t1, "20");
    assert_eq!(c.exact_inputs["steps"], 40);
    // The same claim certified again gives the same certificate (timing aside).
    let mut again = certify(&claims[0]);
    again.elapsed_ms = c.elapsed_ms;
    assert_eq!(again, c);
}

#[test]
fn c8_is_a_known_kind() {
    assert!(KNOWN_KINDS.contains(&"C8"));
}

// ---------------------------------------------------------------- bad claim files

/// Parse `text` as `bad.toml`, expect an error, and check it names the file, id and field.
fn check(text: &str, id: &str, field: &str, says: &str) {
    let err = parse_claims(text, Path::new("bad.toml")).expect_err("must be rejected");
    let msg = err.to_string();
    assert_eq!(err.file, Path::new("bad.toml"));
    assert_eq!(err.id, id, "wrong id in: {msg}");
    assert_eq!(err.field, field, "wrong field in: {msg}");
    assert!(
        msg.contains("bad.toml") && msg.contains(says),
        "message `{msg}` should mention `{says}`"
    );
}

fn with(line_from: &str, line_to: &str) -> String {
    assert!(
        GOOD.contains(line_from),
        "fixture line `{line_from}` not found"
    );
    GOOD.replace(line_from, line_to)
}

fn without(line: &str) -> String {
    with(&format!("{line}\n"), "")
}

#[test]
fn the_fixture_is_valid() {
    assert_eq!(parse_claims(GOOD, Path::new("good.toml")).unwrap().len(), 1);
}

#[test]
fn backend_must_be_f64_for_c8_only() {
    for b in ["inari", "mpfr"] {
        check(
            &with("backend = \"f64\"", &format!("backend = \"{b}\"")),
            "c8-small",
            "backend",
            "C8 is a simulation, not a certificate: backend must be `f64`",
        );
    }
    // Every other kind still refuses f64.
    let c2 = r#"
[[claim]]
id = "c2"
kind = "C2"
expect = "proved"
backend = "f64"
width_bound = "1e-10"
a = { kind = "list", values = ["1", "2"] }
b = { kind = "list", values = ["1", "2"] }
embedding = { kind = "coordinate", dim = 2 }
"#;
    check(c2, "c2", "backend", "f64 never certifies");
    let traj = r#"
[[claim]]
id = "t"
kind = "trajectory"
expect = "proved"
backend = "f64"
width_bound = "1e-6"
flow = "balanced"
start = { kind = "list", values = ["0", "1"] }
horizon = "1"
bounds = [{ quantity = "loss", at = "end", below = "1" }]
"#;
    check(traj, "t", "backend", "f64 never certifies");
}

#[test]
fn expect_is_empirical_for_c8_and_only_for_c8() {
    for v in ["proved", "refuted", "undecided"] {
        check(
            &with("expect = \"empirical\"", &format!("expect = \"{v}\"")),
            "c8-small",
            "expect",
            "expect must be `empirical`",
        );
    }
    let c1 = r#"
[[claim]]
id = "c1"
kind = "C1"
expect = "empirical"
backend = "mpfr"
width_bound = "1e-10"
matrix = { family = "sylvester", order = 2 }
lambda = { kind = "list", values = ["0", "1"] }
"#;
    check(c1, "c1", "expect", "only C8 claims are empirical");
}

#[test]
fn missing_c8_fields() {
    for field in [
        "k",
        "seed",
        "init_scale",
        "horizon",
        "step",
        "agreement",
        "step_agreement",
    ] {
        let line = GOOD
            .lines()
            .find(|l| l.starts_with(&format!("{field} =")))
            .unwrap();
        check(&without(line), "c8-small", field, "missing");
    }
}

#[test]
fn certification_fields_do_not_apply_to_c8() {
    for (field, line) in [
        ("width_bound", "width_bound = \"1e-10\""),
        ("target_width", "target_width = \"1e-10\""),
        ("max_precision_bits", "max_precision_bits = 256"),
    ] {
        check(
            &with("k = 4\n", &format!("k = 4\n{line}\n")),
            "c8-small",
            field,
            "does not apply to C8",
        );
    }
}

#[test]
fn bad_c8_values() {
    for k in ["12", "1", "0", "128"] {
        check(
            &with("k = 4\n", &format!("k = {k}\n")),
            "c8-small",
            "k",
            "K must be a power of two in 2..=64",
        );
    }
    for s in ["\"0\"", "\"-0.1\"", "\"11\""] {
        check(
            &with("init_scale = \"0.1\"", &format!("init_scale = {s}")),
            "c8-small",
            "init_scale",
            "must be in (0, 10]",
        );
    }
    check(
        &with("init_scale = \"0.1\"", "init_scale = \"abc\""),
        "c8-small",
        "init_scale",
        "abc",
    );
    check(
        &with("step = \"0.5\"", "step = \"0.3\""),
        "c8-small",
        "step",
        "must divide the horizon: horizon / step = 200/3",
    );
    check(
        &with("step = \"0.5\"", "step = \"0\""),
        "c8-small",
        "step",
        "must be in (0, 10]",
    );
    check(
        &with("horizon = \"20\"", "horizon = \"100000\"")
            .replace("step = \"0.5\"", "step = \"0.01\""),
        "c8-small",
        "step",
        "at most 1000000",
    );
    check(
        &with("horizon = \"20\"", "horizon = \"-1\""),
        "c8-small",
        "horizon",
        "must be in (0,",
    );
    for a in ["\"0\"", "\"1\"", "\"2\""] {
        check(
            &with("agreement = \"1e-12\"", &format!("agreement = {a}")),
            "c8-small",
            "agreement",
            "must be in (0, 1)",
        );
        check(
            &with(
                "step_agreement = \"1e-4\"",
                &format!("step_agreement = {a}"),
            ),
            "c8-small",
            "step_agreement",
            "must be in (0, 1)",
        );
    }
    check(
        &with("precision_bits = 96", "precision_bits = 8"),
        "c8-small",
        "precision_bits",
        "must be in 16..=65536",
    );
}

#[test]
fn c8_numbers_are_typed() {
    // Bare floats are refused (they would already be rounded); seeds are integers.
    check(
        &with("init_scale = \"0.1\"", "init_scale = 0.1"),
        "c8-small",
        "init_scale",
        "invalid type",
    );
    check(
        &with("seed = 5", "seed = -1"),
        "c8-small",
        "seed",
        "invalid value",
    );
    check(&with("k = 4", "k = \"4\""), "c8-small", "k", "invalid type");
}
