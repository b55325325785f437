//! The region prover (src/prove) and the scale-free rates it evaluates (src/spectral/rates.rs).

use hadacert::ode::dual::Dual;
use hadacert::spectral::field::enclose_balanced_field;
use hadacert::spectral::lyapunov::{enclose_lyapunov, enclose_m1, enclose_m2, enclose_m3};
use hadacert::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_v_rate,
};

/// SplitMix64, for reproducible test points.
fn splitmix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// `d/dt q(lambda(t))` along the balanced field, by forward-mode AD of the metric itself.
fn chain_rule(lambda: &[f64], q: impl Fn(&[Dual<f64>]) -> Dual<f64>) -> f64 {
    let dl = enclose_balanced_field(lambda);
    let x: Vec<Dual<f64>> = lambda
        .iter()
        .zip(&dl)
        .map(|(l, d)| Dual {
            value: *l,
            grad: vec![*d],
        })
        .collect();
    q(&x).partial(0)
}

#[test]
fn closed_form_rates_agree_with_the_chain_rule_along_the_field() {
    let mut seed = 7u64;
    for &k in &[4usize, 8, 16, 32] {
        for _ in 0..20 {
            let scale = 0.1 + 20.0 * splitmix(&mut seed);
            let lambda: Vec<f64> = (0..k)
                .map(|m| {
                    if m == 0 {
                        0.3 * splitmix(&mut seed)
                    } else {
                        scale * (0.05 + splitmix(&mut seed))
                    }
                })
                .collect();
            let close = |a: f64, b: f64, what: &str| {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "K={k} {what}: closed form {a} vs chain rule {b}"
                );
            };
            close(
                enclose_v_rate(&lambda),
                chain_rule(&lambda, |x| enclose_lyapunov(x)),
                "dV/dt",
            );
            close(
                enclose_m1_sq_rate(&lambda),
                chain_rule(&lambda, |x| {
                    let m = enclose_m1(x);
                    m.clone() * &m
                }),
                "d(M1^2)/dt",
            );
            close(
                enclose_m2_rate(&lambda),
                chain_rule(&lambda, |x| enclose_m2(x)),
                "dM2/dt",
            );
            close(
                enclose_m3_rate(&lambda),
                chain_rule(&lambda, |x| enclose_m3(x)),
                "dM3/dt",
            );
        }
    }
}

use hadacert::arith::{parse_exact, Enclosure, Field, Ival, MpfrInterval};
use hadacert::prove::region::{
    enclose_metric_rate_pairwise, enclose_v_rate_termwise, k4_pairs, prove_region, Argument,
    RateQuantity, Region, RegionError, RunOptions,
};
use rug::Rational;

fn q(s: &str) -> Rational {
    parse_exact(s).unwrap()
}

fn region(
    quantity: RateQuantity,
    k: usize,
    lo: &[&str],
    hi: &[&str],
    scale: [&str; 2],
    nc: &str,
) -> Region {
    Region {
        quantity,
        k,
        x_lo: lo.iter().map(|s| q(s)).collect(),
        x_hi: hi.iter().map(|s| q(s)).collect(),
        scale_lo: q(scale[0]),
        scale_hi: q(scale[1]),
        nc_radius: q(nc),
        max_depth: 60,
        max_boxes: 2_000_000,
    }
}

/// A K = 8 region around a state where M1 grows (found by an f64 search): the prover must
/// refuse it and return a state of the region where d(M1^2)/dt is certainly positive.
#[test]
fn prover_refuses_a_false_region_and_returns_the_offending_state() {
    let centre = [0.0032, 0.261, 0.0016, 0.241, 0.288, 0.202, 0.0019];
    let lo: Vec<String> = centre.iter().map(|c| format!("{}", c * 0.97)).collect();
    let hi: Vec<String> = centre.iter().map(|c| format!("{}", c * 1.03)).collect();
    let lo: Vec<&str> = lo.iter().map(|s| s.as_str()).collect();
    let hi: Vec<&str> = hi.iter().map(|s| s.as_str()).collect();
    let r = region(RateQuantity::M1, 8, &lo, &hi, ["42", "44"], "0");
    let stats = prove_region::<Ival>(&r, 53, "false-region", &RunOptions::default()).unwrap();
    assert_eq!(stats.decided(), Some(false), "{stats:?}");
    let w = stats.witness.expect("a refuting state");
    // The witness is a state of the region...
    let lambda: Vec<Rational> = w.lambda.iter().map(|s| q(s)).collect();
    assert_eq!(lambda[0], 0);
    let total = lambda[1..].iter().fold(Rational::new(), |a, b| a + b);
    assert!(total >= r.scale_lo && total <= r.scale_hi);
    for (m, l) in lambda[1..].iter().enumerate() {
        let x = Rational::from(l / &total);
        assert!(
            x >= r.x_lo[m] && x <= r.x_hi[m],
            "x_{} = {x} outside",
            m + 1
        );
    }
    // ...where an independent 256-bit evaluation, by the chain rule along the field, agrees
    // that M1^2 grows.
    let exact: Vec<MpfrInterval> = lambda
        .iter()
        .map(|l| MpfrInterval::from_rational(l, 256))
        .collect();
    let dl = enclose_balanced_field(&exact);
    let duals: Vec<Dual<MpfrInterval>> = exact
        .iter()
        .zip(&dl)
        .map(|(l, d)| Dual {
            value: l.clone(),
            grad: vec![d.clone()],
        })
        .collect();
    let m1 = enclose_m1(&duals);
    let rate = (m1.clone() * &m1).partial(0);
    assert!(
        rate.certainly_positive(),
        "chain-rule rate {:e}",
        rate.lower_f64()
    );
}

/// dV/dt <= 0 on a K = 4 region: closed by interval evaluation away from NC and by the
/// term-wise argument within the stated radius only.
#[test]
fn k4_v_region_is_proved_with_both_kinds_of_argument() {
    let r = region(
        RateQuantity::V,
        4,
        &["0.2"; 3],
        &["0.5"; 3],
        ["0.5", "1"],
        "0.05",
    );
    let stats = prove_region::<Ival>(&r, 53, "k4", &RunOptions::default()).unwrap();
    assert_eq!(stats.decided(), Some(true), "{stats:?}");
    assert!(stats.closed.get(&Argument::MeanValue).copied().unwrap_or(0) > 100);
    assert!(stats.closed.get(&Argument::Termwise).copied().unwrap_or(0) > 0);
    assert!(stats.largest_upper.is_some_and(|u| u < 0.0));
    // The term-wise boxes lie within the radius of the uniform spectrum (1/3).
    let hull = stats.nc_hull.expect("term-wise boxes");
    for e in &hull.lambda {
        assert!(e[0] > 0.0 && e[1] <= 1.0);
    }
}

/// Without the near-NC argument, boxes at NC cannot be closed: the run must end undecided
/// (at the depth limit), never proved.
#[test]
fn without_the_nc_argument_the_region_through_nc_is_undecided() {
    let mut r = region(
        RateQuantity::V,
        4,
        &["0.3"; 3],
        &["0.36"; 3],
        ["1", "2"],
        "0",
    );
    r.max_depth = 12;
    let stats = prove_region::<Ival>(&r, 53, "no-nc", &RunOptions::default()).unwrap();
    assert_eq!(stats.decided(), None, "{stats:?}");
    assert!(stats.undecided_count > 0 && !stats.undecided.is_empty());
}

/// Stopping after N boxes writes a checkpoint; resuming from it ends with exactly the
/// statistics of an uninterrupted run, on any number of threads.
#[test]
fn interrupted_run_resumes_to_the_same_result() {
    let r = region(
        RateQuantity::V,
        4,
        &["0.01"; 3],
        &["0.98"; 3],
        ["0.5", "2"],
        "0.1",
    );
    let full = prove_region::<Ival>(&r, 53, "resume", &RunOptions::default()).unwrap();
    assert_eq!(full.decided(), Some(true));
    assert!(full.boxes > 2000, "the test needs a run of several rounds");
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("region.checkpoint.json");
    let stopped = RunOptions {
        checkpoint: Some(cp.clone()),
        stop_after_boxes: Some(1000),
        progress: None,
    };
    match prove_region::<Ival>(&r, 53, "resume", &stopped) {
        Err(RegionError::Interrupted { boxes, .. }) => assert!(boxes >= 1000 && boxes < full.boxes),
        other => panic!("expected an interruption, got {other:?}"),
    }
    assert!(cp.exists());
    // A checkpoint of another claim is ignored (fresh start gives the same result too).
    let resume = RunOptions {
        checkpoint: Some(cp.clone()),
        stop_after_boxes: None,
        progress: None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let resumed = pool
        .install(|| prove_region::<Ival>(&r, 53, "resume", &resume))
        .unwrap();
    assert_eq!(resumed, full);
    assert!(!cp.exists(), "a finished run removes its checkpoint");
}

/// The near-NC enclosures contain the rate (chain rule, 256 bits) at random states, and their
/// upper ends are <= 0.
#[test]
fn near_nc_forms_contain_the_rate_and_are_never_positive() {
    assert!(k4_pairs(4).is_some());
    assert!(k4_pairs(8).is_none() && k4_pairs(16).is_none());
    let mut seed = 99u64;
    for &k in &[4usize, 8, 16] {
        for _ in 0..30 {
            let scale = 0.05 + 60.0 * splitmix(&mut seed);
            let spectrum: Vec<Rational> = (1..k)
                .map(|_| Rational::from_f64(scale * (0.02 + splitmix(&mut seed))).unwrap())
                .collect();
            let mut lambda = vec![Rational::new()];
            lambda.extend(spectrum.iter().cloned());
            let hi: Vec<MpfrInterval> = lambda
                .iter()
                .map(|l| MpfrInterval::from_rational(l, 256))
                .collect();
            let lo: Vec<Ival> = spectrum
                .iter()
                .map(|l| Ival::from_rational(l, 53))
                .collect();
            let v = enclose_v_rate(&hi);
            let tw = enclose_v_rate_termwise(&lo);
            assert!(tw.upper_f64() <= 0.0);
            assert!(
                tw.lower_f64() <= v.lower_f64() && v.upper_f64() <= tw.upper_f64(),
                "K={k}"
            );
            for quantity in [RateQuantity::M1, RateQuantity::M2, RateQuantity::M3] {
                let pw = enclose_metric_rate_pairwise(quantity, &lo);
                assert_eq!(pw.is_some(), k == 4);
                if let Some(pw) = pw {
                    let exact = quantity.enclose_rate(&hi);
                    assert!(pw.upper_f64() <= 0.0);
                    assert!(
                        pw.lower_f64() <= exact.lower_f64() && exact.upper_f64() <= pw.upper_f64(),
                        "{quantity:?}"
                    );
                }
            }
        }
    }
}

/// The rates divided by the off-target mass 1 - p(0) equal the rates over 1 - p(0) (f64, random
/// states with lambda_0 = 0, including large logits).
#[test]
fn rates_per_off_target_mass_agree_with_the_rates() {
    use hadacert::spectral::field::enclose_spectral_softmax;
    use hadacert::spectral::rates::{enclose_rate_per_off_target_mass, Rate};
    let mut seed = 3u64;
    for &k in &[4usize, 8, 16] {
        for _ in 0..20 {
            let scale = 0.1 + 30.0 * splitmix(&mut seed);
            let mut lambda = vec![0.0];
            lambda.extend((1..k).map(|_| scale * (0.05 + splitmix(&mut seed))));
            let q = 1.0 - enclose_spectral_softmax(&lambda).p[0];
            let r = |which| enclose_rate_per_off_target_mass(which, &lambda);
            let close = |a: f64, b: f64, what: &str| {
                assert!(
                    (a - b).abs() <= 1e-7 * (1e-300 + b.abs()),
                    "K={k} {what}: {a} vs {b}"
                );
            };
            close(r(Rate::V) * q, enclose_v_rate(&lambda), "V");
            close(r(Rate::M1Squared) * q, enclose_m1_sq_rate(&lambda), "M1");
            close(r(Rate::M2) * q, enclose_m2_rate(&lambda), "M2");
            close(r(Rate::M3) * q, enclose_m3_rate(&lambda), "M3");
        }
    }
}

/// Issue 18, section 4: every constant of the rates is built at the working precision, so an
/// MPFR-128 region proof needs about as many boxes as inari (with 2-bit constants the scaled
/// rate at an exact point was about 6e-2 wide and the same region stayed undecided after
/// 200 000 boxes). Also the scaled rate at an exact state is as narrow as 128 bits allow.
#[test]
fn mpfr_region_proof_needs_about_as_many_boxes_as_inari() {
    for quantity in [RateQuantity::V, RateQuantity::M1] {
        let mut r = region(
            quantity,
            4,
            &["0.05", "0.3", "0.3"],
            &["0.15", "0.6", "0.6"],
            ["1", "2"],
            "0",
        );
        r.max_boxes = 50_000;
        let inari = prove_region::<Ival>(&r, 53, "p-inari", &RunOptions::default()).unwrap();
        let mpfr = prove_region::<MpfrInterval>(&r, 128, "p-mpfr", &RunOptions::default()).unwrap();
        assert_eq!(inari.decided(), Some(true), "{quantity:?} inari: {inari:?}");
        assert_eq!(mpfr.decided(), Some(true), "{quantity:?} mpfr: {mpfr:?}");
        assert!(
            mpfr.boxes <= inari.boxes + inari.boxes / 4 + 8,
            "{quantity:?}: MPFR-128 needed {} boxes, inari {}",
            mpfr.boxes,
            inari.boxes
        );
        let state: Vec<MpfrInterval> = ["0", "1/10", "1/2", "2/5"]
            .iter()
            .map(|s| MpfrInterval::from_rational(&q(s), 128))
            .collect();
        let rate = quantity.enclose_scaled_rate(&state);
        assert!(
            rate.is_finite() && rate.width_upper() < 1e-30,
            "{quantity:?}: scaled rate at an exact state is {} wide",
            rate.width_upper()
        );
    }
}
