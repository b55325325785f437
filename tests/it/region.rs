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
        symmetry: false,
        expression: None,
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
        ..RunOptions::default()
    };
    match prove_region::<Ival>(&r, 53, "resume", &stopped) {
        Err(RegionError::Interrupted { boxes, .. }) => assert!(boxes >= 1000 && boxes < full.boxes),
        other => panic!("expected an interruption, got {other:?}"),
    }
    assert!(cp.exists());
    hadacert::prove::region::validate_checkpoint_file::<Ival>(&r, 53, "resume", &cp)
        .expect("the checkpoint of an interrupted run passes validation");
    let resume = RunOptions {
        checkpoint: Some(cp.clone()),
        resume: true,
        ..RunOptions::default()
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

/// The exact volume of a box (f64 ends are exact binary numbers).
fn exact_volume(b: &hadacert::prove::region::RegionBox) -> Rational {
    b.lambda
        .iter()
        .map(|e| Rational::from_f64(e[1]).unwrap() - Rational::from_f64(e[0]).unwrap())
        .fold(Rational::from(1), |a, w| a * w)
}

/// Checks that `boxes` tile `root`: each lies inside it with positive volume, no two share an
/// interior point, and their volumes add up to the root's (exact rationals; comparisons of f64
/// ends are exact). Sort and sweep along lambda_1: only boxes whose lambda_1 ranges overlap can
/// share an interior point.
fn assert_tiles(
    what: &str,
    root: &hadacert::prove::region::RegionBox,
    boxes: &[&hadacert::prove::region::RegionBox],
) {
    let mut total = Rational::new();
    for b in boxes {
        assert_eq!(b.lambda.len(), root.lambda.len(), "{what}");
        for (e, r) in b.lambda.iter().zip(&root.lambda) {
            assert!(
                r[0] <= e[0] && e[0] < e[1] && e[1] <= r[1],
                "{what}: box {b:?} not inside the root box {root:?} with positive width"
            );
        }
        total += exact_volume(b);
    }
    assert_eq!(
        total,
        exact_volume(root),
        "{what}: the leaves and the open boxes do not make up the root box's volume \
         ({} boxes, volume {} of {})",
        boxes.len(),
        total.to_f64(),
        exact_volume(root).to_f64()
    );
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| boxes[a].lambda[0][0].total_cmp(&boxes[b].lambda[0][0]));
    for (n, &i) in order.iter().enumerate() {
        let a = boxes[i];
        for &j in &order[n + 1..] {
            let b = boxes[j];
            if b.lambda[0][0] >= a.lambda[0][1] {
                break;
            }
            let interiors_meet = a
                .lambda
                .iter()
                .zip(&b.lambda)
                .all(|(p, q)| p[0] < q[1] && q[0] < p[1]);
            assert!(!interiors_meet, "{what}: boxes {a:?} and {b:?} overlap");
        }
    }
}

/// Issue 18, section 6: the leaves of a run (closed, off-region, undecided and refuting boxes)
/// and the boxes left open tile the root box, checked exactly and independently of the prover's
/// own bookkeeping: for proved, undecided (depth limit and budget) and refuted regions.
#[test]
fn leaves_and_open_boxes_tile_the_root_box_exactly() {
    use hadacert::prove::region::root_box;
    let proved = region(
        RateQuantity::V,
        4,
        &["0.2"; 3],
        &["0.5"; 3],
        ["0.5", "1"],
        "0.05",
    );
    let mut depth_limited = region(
        RateQuantity::V,
        4,
        &["0.3"; 3],
        &["0.36"; 3],
        ["1", "2"],
        "0",
    );
    depth_limited.max_depth = 9;
    let mut budget = region(
        RateQuantity::M1,
        4,
        &["0.05"; 3],
        &["0.9"; 3],
        ["0.1", "10"],
        "0",
    );
    budget.max_boxes = 1500;
    let pairwise = region(
        RateQuantity::M3,
        4,
        &["0.28"; 3],
        &["0.4"; 3],
        ["0.5", "1"],
        "0.08",
    );
    // K = 4 has no refutable rate (V and M1-M3 do not increase there): the refuted region is
    // a K = 8 one around the state of
    // `prover_refuses_a_false_region_and_returns_the_offending_state`, wide enough below it
    // that the root box's centre does not refute (a few hundred boxes).
    let centre = [0.0032, 0.261, 0.0016, 0.241, 0.288, 0.202, 0.0019];
    let lo: Vec<String> = centre.iter().map(|c| format!("{}", c * 0.5)).collect();
    let hi: Vec<String> = centre.iter().map(|c| format!("{}", c * 1.03)).collect();
    let lo: Vec<&str> = lo.iter().map(|s| s.as_str()).collect();
    let hi: Vec<&str> = hi.iter().map(|s| s.as_str()).collect();
    let refuted = region(RateQuantity::M1, 8, &lo, &hi, ["42", "44"], "0");
    let cases = [
        ("proved (mean-value and term-wise)", proved, Some(true)),
        ("proved (pairwise)", pairwise, Some(true)),
        ("undecided at the depth limit", depth_limited, None),
        ("undecided, budget exhausted", budget, None),
        ("refuted", refuted, Some(false)),
    ];
    let opts = RunOptions {
        record_leaves: true,
        ..RunOptions::default()
    };
    for (what, r, expected) in &cases {
        let stats = prove_region::<Ival>(r, 53, what, &opts).unwrap();
        // First the independent check, then the prover's own verdict and bookkeeping.
        let all: Vec<_> = stats.leaves.iter().chain(&stats.open).collect();
        assert_tiles(what, &root_box(r), &all);
        assert_eq!(stats.decided(), *expected, "{what}: {stats:?}");
        assert!(stats.coverage_failure.is_none(), "{what}");
        let n = stats.leaves.len() as u64;
        assert!(n >= 1 && n + stats.bisected == stats.boxes, "{what}");
        assert!(stats.boxes < 20_000, "{what}: {} boxes", stats.boxes);
        if *expected == Some(true) {
            assert!(stats.open.is_empty(), "{what}");
        }
        assert!(
            stats.boxes > 100,
            "{what}: {} boxes, too few to test the tiling",
            stats.boxes
        );
        if what.contains("budget") {
            assert!(!stats.open.is_empty(), "{what}: the budget left boxes open");
        }
        // The prover's own bookkeeping says the same.
        let closed: Rational = stats.closed_volume.parse().unwrap();
        let leaves: Rational = stats.leaves.iter().map(exact_volume).sum();
        assert_eq!(closed, leaves, "{what}");
    }
}

/// A small K = 4 region, its interrupted run's checkpoint, and the uninterrupted result.
fn interrupted(
    dir: &std::path::Path,
) -> (
    Region,
    std::path::PathBuf,
    hadacert::prove::region::RegionStats,
) {
    let r = region(
        RateQuantity::V,
        4,
        &["0.01"; 3],
        &["0.98"; 3],
        ["0.5", "2"],
        "0.1",
    );
    let full = prove_region::<Ival>(&r, 53, "cp", &RunOptions::default()).unwrap();
    assert_eq!(full.decided(), Some(true));
    let cp = dir.join("cp.checkpoint.json");
    let stopped = RunOptions {
        checkpoint: Some(cp.clone()),
        stop_after_boxes: Some(1000),
        ..RunOptions::default()
    };
    assert!(matches!(
        prove_region::<Ival>(&r, 53, "cp", &stopped),
        Err(RegionError::Interrupted { .. })
    ));
    (r, cp, full)
}

/// Issue 18, section 3: a checkpoint is untrusted input. Each tampered or foreign copy of a
/// genuine checkpoint fails the named check, and a run resumed from it starts from the root box
/// and ends with the uninterrupted result; without `resume` even a genuine checkpoint is not
/// read.
#[test]
fn tampered_or_foreign_checkpoints_are_discarded() {
    use hadacert::prove::region::validate_checkpoint_file;
    let dir = tempfile::tempdir().unwrap();
    let (r, cp, full) = interrupted(dir.path());
    let genuine: serde_json::Value = serde_json::from_slice(&std::fs::read(&cp).unwrap()).unwrap();
    validate_checkpoint_file::<Ival>(&r, 53, "cp", &cp).expect("the genuine checkpoint");
    // Another claim, backend or precision than the one asking.
    let err = validate_checkpoint_file::<Ival>(&r, 53, "other", &cp).unwrap_err();
    assert!(err.contains("another claim"), "{err}");
    let err = validate_checkpoint_file::<MpfrInterval>(&r, 53, "cp", &cp).unwrap_err();
    assert!(err.contains("another backend"), "{err}");
    let err = validate_checkpoint_file::<Ival>(&r, 64, "cp", &cp).unwrap_err();
    assert!(err.contains("another precision"), "{err}");

    type Edit = fn(&mut serde_json::Value);
    let edits: Vec<(&str, Edit, &str)> = vec![
        (
            "another build",
            |v| v["build_id"] = "0".into(),
            "another build",
        ),
        (
            "no build id (an older build)",
            |v| {
                v.as_object_mut().unwrap().remove("build_id");
            },
            "another build",
        ),
        (
            "another backend",
            |v| v["backend"] = "mpfr".into(),
            "another backend",
        ),
        (
            "another precision",
            |v| v["precision_bits"] = 128.into(),
            "another precision",
        ),
        (
            "the issue's planted state",
            |v| {
                v["stack"] = serde_json::json!([]);
                v["stats"] =
                    serde_json::to_value(hadacert::prove::region::RegionStats::default()).unwrap();
            },
            "is not a rational",
        ),
        (
            "a stack box dropped",
            |v| {
                v["stack"].as_array_mut().unwrap().pop();
            },
            "is not the root volume",
        ),
        (
            "a stack box widened beyond the root",
            |v| v["stack"][0]["lambda"][0][1] = 1e6.into(),
            "leaves the root box",
        ),
        (
            "a stack box without volume",
            |v| {
                let lo = v["stack"][0]["lambda"][1][0].clone();
                v["stack"][0]["lambda"][1][1] = lo;
            },
            "no positive width",
        ),
        (
            "a count forged",
            |v| {
                let n = v["stats"]["bisected"].as_u64().unwrap();
                v["stats"]["bisected"] = (n + 1).into();
            },
            "closed + bisected + undecided + refuting",
        ),
        (
            "an empty stack with the root volume closed and nothing processed",
            |v| {
                let root = v["root_volume"].clone();
                v["stack"] = serde_json::json!([]);
                v["stats"] =
                    serde_json::to_value(hadacert::prove::region::RegionStats::default()).unwrap();
                v["stats"]["closed_volume"] = root;
            },
            "no box processed",
        ),
        (
            "a witness that does not refute",
            |v| {
                let b = v["stack"][0].clone();
                let n = v["stats"]["boxes"].as_u64().unwrap();
                v["stats"]["boxes"] = (n + 1).into();
                v["stats"]["refuting"] = 1.into();
                // The uniform state: dV/dt = 0 there, not certainly positive.
                v["stats"]["witness"] = serde_json::json!({
                    "lambda": ["0", "1/3", "1/3", "1/3"],
                    "rate": ["1", "2"],
                    "found_in": b,
                });
            },
            "witness: the rate there is not certainly positive",
        ),
        (
            "a witness outside the region",
            |v| {
                let b = v["stack"][0].clone();
                let n = v["stats"]["boxes"].as_u64().unwrap();
                v["stats"]["boxes"] = (n + 1).into();
                v["stats"]["refuting"] = 1.into();
                v["stats"]["witness"] = serde_json::json!({
                    "lambda": ["0", "100", "1", "1"],
                    "rate": ["1", "2"],
                    "found_in": b,
                });
            },
            "witness: the scale is outside the region",
        ),
    ];
    // The exact root volume, for the edit that forges it.
    let root_volume = exact_volume(&hadacert::prove::region::root_box(&r)).to_string();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for (what, edit, failed) in edits {
        let mut v = genuine.clone();
        v["root_volume"] = root_volume.clone().into();
        edit(&mut v);
        v.as_object_mut().unwrap().remove("root_volume");
        let path = dir.path().join("edited.checkpoint.json");
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let err = validate_checkpoint_file::<Ival>(&r, 53, "cp", &path).expect_err(what);
        assert!(err.contains(failed), "{what}: {err}");
        let opts = RunOptions {
            checkpoint: Some(path.clone()),
            resume: true,
            ..RunOptions::default()
        };
        let resumed = pool
            .install(|| prove_region::<Ival>(&r, 53, "cp", &opts))
            .unwrap();
        assert_eq!(resumed, full, "{what}: not the uninterrupted result");
    }

    // Without `resume` a genuine checkpoint is ignored: the run starts from the root box (the
    // statistics of an uninterrupted run, a marker planted in the checkpoint is not seen).
    let mut marked = genuine.clone();
    let n = marked["stats"]["boxes"].as_u64().unwrap();
    marked["stats"]["boxes"] = (n + 1).into();
    let off = marked["stats"]["closed"]["OffRegion"].as_u64().unwrap_or(0);
    marked["stats"]["closed"]["OffRegion"] = (off + 1).into();
    std::fs::write(&cp, serde_json::to_vec(&marked).unwrap()).unwrap();
    validate_checkpoint_file::<Ival>(&r, 53, "cp", &cp).expect("a consistent marker");
    let ignore = RunOptions {
        checkpoint: Some(cp.clone()),
        ..RunOptions::default()
    };
    assert_eq!(prove_region::<Ival>(&r, 53, "cp", &ignore).unwrap(), full);
    // ...and with `resume` it is read (the marker shows).
    std::fs::write(&cp, serde_json::to_vec(&marked).unwrap()).unwrap();
    let resume = RunOptions {
        checkpoint: Some(cp.clone()),
        resume: true,
        ..RunOptions::default()
    };
    let resumed = prove_region::<Ival>(&r, 53, "cp", &resume).unwrap();
    assert_eq!(resumed.boxes, full.boxes + 1);
    assert_eq!(resumed.decided(), Some(true));
}

/// Issue 18, section 3 (regression): the planted checkpoint of the report (empty stack, zero
/// boxes, default statistics, the claim's digest, and here this build's identifiers too) for
/// the shipped false claim c5k4-k8-m1-refuted is discarded on resume: the run is refuted, as
/// an uninterrupted run is, never proved with "0 boxes processed".
#[test]
fn a_planted_checkpoint_cannot_prove_the_refuted_k8_claim() {
    use hadacert::prove::region::{backend_name, RegionStats};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let claims =
        hadacert::claim::load_file(&root.join("proofs-data/c5k4/k8-m1-refuted.toml")).unwrap();
    let claim = &claims[0];
    let hadacert::claim::Params::Region(r) = &claim.params else {
        panic!("a region claim")
    };
    let digest = hadacert::claim::claim_digest(&claim.spec);
    let uninterrupted = prove_region::<Ival>(r, 53, &digest, &RunOptions::default()).unwrap();
    assert_eq!(uninterrupted.decided(), Some(false));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("planted.checkpoint.json");
    let planted = serde_json::json!({
        "claim_digest": digest,
        "backend": backend_name::<Ival>(),
        "precision_bits": 53,
        "build_id": hadacert::cert::BUILD_ID,
        "stack": [],
        "stats": RegionStats::default(),
    });
    for resume in [false, true] {
        std::fs::write(&path, serde_json::to_vec(&planted).unwrap()).unwrap();
        let opts = RunOptions {
            checkpoint: Some(path.clone()),
            resume,
            ..RunOptions::default()
        };
        let stats = prove_region::<Ival>(r, 53, &digest, &opts).unwrap();
        assert_eq!(stats.decided(), Some(false), "resume {resume}: {stats:?}");
        assert_eq!(stats, uninterrupted, "resume {resume}");
    }
}

/// The inline-gradient dual numbers the prover uses at K = 4 and K = 8 (`DualN`) give exactly
/// the enclosures of the allocating `Dual` (value and every partial), on random boxes of every
/// rate, inari and MPFR.
#[test]
fn inline_dual_gradients_equal_the_allocating_ones() {
    use hadacert::prove::region::{gradient_on_box, RateQuantity};
    fn check<T: Enclosure>(k: usize, seed: &mut u64, prec: u32) {
        for quantity in [
            RateQuantity::V,
            RateQuantity::M1,
            RateQuantity::M2,
            RateQuantity::M3,
        ] {
            for _ in 0..25 {
                let scale = 0.01 + 50.0 * splitmix(seed);
                let spectrum: Vec<T> = (1..k)
                    .map(|_| {
                        let lo = scale * (0.01 + splitmix(seed));
                        let hi = lo * (1.0 + 0.3 * splitmix(seed));
                        T::from_f64(lo, prec).hull(&T::from_f64(hi, prec))
                    })
                    .collect();
                let (value, partials) = gradient_on_box(quantity, &spectrum);
                let n = k - 1;
                let mut lambda = vec![Dual {
                    value: T::from_f64(0.0, prec),
                    grad: vec![],
                }];
                lambda.extend(
                    spectrum
                        .iter()
                        .enumerate()
                        .map(|(i, e)| Dual::variable(e.clone(), i, n)),
                );
                let r = quantity.enclose_scaled_rate(&lambda);
                assert_eq!(value, r.value, "{quantity:?} K = {k}");
                assert!(value.is_finite());
                for (i, p) in partials.iter().enumerate() {
                    assert_eq!(*p, r.partial(i), "{quantity:?} K = {k}, partial {i}");
                }
            }
        }
    }
    let mut seed = 91u64;
    for k in [4, 8] {
        check::<Ival>(k, &mut seed, 53);
        check::<MpfrInterval>(k, &mut seed, 128);
    }
}

/// The symmetry reduction (src/prove/symmetry.rs): the rates take the same value at a state
/// and at each of its 168 images under GL(3,2) at K = 8 (and 6 at K = 4): the enclosures at
/// `lambda` and at `(sigma lambda)_m = lambda_{A m}` intersect, at random states, for every
/// rate; a permutation that is not linear (swapping two modes only) moves the rate.
#[test]
fn rates_are_invariant_under_the_automorphisms_of_the_group() {
    use hadacert::prove::symmetry::automorphisms;
    let mut seed = 5u64;
    for k in [4usize, 8] {
        let maps = automorphisms(k);
        for _ in 0..3 {
            let scale = 0.5 + 10.0 * splitmix(&mut seed);
            let mut lambda = vec![q("0")];
            lambda.extend((1..k).map(|_| {
                let v = (scale * (0.05 + splitmix(&mut seed)) * 1e6).round() as i64;
                Rational::from((v, 1_000_000))
            }));
            for quantity in [
                RateQuantity::V,
                RateQuantity::M1,
                RateQuantity::M2,
                RateQuantity::M3,
            ] {
                let at = |l: &[Rational]| {
                    let e: Vec<MpfrInterval> = l
                        .iter()
                        .map(|v| MpfrInterval::from_rational(v, 256))
                        .collect();
                    quantity.enclose_rate(&e)
                };
                let base = at(&lambda);
                assert!(base.width_upper() < 1e-60, "{quantity:?}");
                for a in &maps {
                    let image: Vec<Rational> = (0..k).map(|m| lambda[a[m]].clone()).collect();
                    assert!(
                        at(&image).intersect(&base).is_some(),
                        "{quantity:?} K = {k}, map {a:?}"
                    );
                }
                if k == 8 {
                    // Swapping modes 1 and 2 only is not a group automorphism at K = 8.
                    let mut swapped = lambda.clone();
                    swapped.swap(1, 2);
                    let moved = at(&swapped);
                    if quantity == RateQuantity::V {
                        assert!(moved.intersect(&base).is_none(), "{quantity:?}");
                    }
                }
            }
        }
    }
}

/// A symmetric K = 4 region proved on the fundamental domain: same verdict as the full search,
/// far fewer boxes, the symmetry check recorded, and the leaves still tile the root box.
#[test]
fn symmetry_reduction_proves_the_region_with_fewer_boxes() {
    let mut r = region(
        RateQuantity::V,
        4,
        &["0.1"; 3],
        &["0.8"; 3],
        ["0.5", "4"],
        "0.05",
    );
    let full = prove_region::<Ival>(&r, 53, "sym", &RunOptions::default()).unwrap();
    r.symmetry = true;
    let opts = RunOptions {
        record_leaves: true,
        ..RunOptions::default()
    };
    let reduced = prove_region::<Ival>(&r, 53, "sym", &opts).unwrap();
    assert_eq!(full.decided(), Some(true));
    assert_eq!(
        reduced.decided(),
        Some(true),
        "{:?}",
        reduced.coverage_failure
    );
    assert!(reduced
        .symmetry
        .as_deref()
        .unwrap()
        .starts_with("GL(2,2): 6 "));
    assert!(
        reduced
            .closed
            .get(&Argument::Symmetric)
            .copied()
            .unwrap_or(0)
            > 0
    );
    assert!(
        reduced.boxes * 3 < full.boxes,
        "{} boxes reduced, {} full",
        reduced.boxes,
        full.boxes
    );
    let root = hadacert::prove::region::root_box(&r);
    let volume: Rational = reduced.leaves.iter().map(exact_volume).sum();
    assert_eq!(volume, exact_volume(&root));
    // Not invariant (one coordinate's bounds differ): no reduction, whatever the flag says.
    r.x_hi[2] = q("0.7");
    let asym = prove_region::<Ival>(&r, 53, "sym2", &RunOptions::default()).unwrap();
    assert!(asym.symmetry.is_none() && !asym.closed.contains_key(&Argument::Symmetric));
}

/// The `symmetry` field: accepted only as `GL(n,2)` for K = 2^n in {4, 8} with the same bounds
/// for every coordinate; anything else is an error naming the field, never a panic.
#[test]
fn symmetry_field_is_checked_when_the_claim_is_read() {
    use hadacert::claim::parse_claims;
    let lo16 = vec!["\"0.01\""; 15].join(", ");
    let claim = |k: usize, lo: &str, sym: &str| {
        let n = k - 1;
        format!(
            "[[claim]]\nid = \"s\"\nkind = \"C4region\"\nexpect = \"proved\"\nbackend = \"inari\"\n\
             quantity = \"V\"\nk = {k}\nnormalised_lo = {{ kind = \"list\", values = [{lo}] }}\n\
             normalised_hi = {{ kind = \"progression\", start = \"0.5\", step = \"0\", len = {n} }}\n\
             scale = [\"1\", \"2\"]\nsymmetry = \"{sym}\"\n"
        )
    };
    let path = std::path::Path::new("sym.toml");
    assert!(parse_claims(&claim(4, "\"0.1\", \"0.1\", \"0.1\"", "GL(2,2)"), path).is_ok());
    for (k, lo, sym) in [
        (4, "\"0.1\", \"0.1\", \"0.1\"", "GL(3,2)"),
        (4, "\"0.1\", \"0.1\", \"0.1\"", "S3"),
        (4, "\"0.1\", \"0.2\", \"0.1\"", "GL(2,2)"),
        (16, lo16.as_str(), "GL(4,2)"),
    ] {
        let e = parse_claims(&claim(k, lo, sym), path).unwrap_err();
        assert!(e.to_string().contains("symmetry"), "{e}");
    }
}

/// Issue 17, M4: at random K = 8 states the single candidate pair of `enclose_m4_pairs` on the
/// point box is the (largest, smallest) pair, and its enclosure of `dM4/dt / (1 - p(0))`
/// intersects `(2/K)(r_i - r_j) / q` computed from `1 - s` directly (`q = sum_{m!=0} r_m / K`,
/// docs/math.md section 7).
#[test]
fn m4_pair_rate_matches_one_minus_s_at_points() {
    use hadacert::arith::{Real, Ring};
    use hadacert::prove::region::enclose_m4_pairs;
    use hadacert::spectral::rates::enclose_one_minus_s;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..200 {
        let scale = 0.1 + 10.0 * next();
        let spectrum: Vec<f64> = (0..7).map(|_| scale * (0.05 + next())).collect();
        let point = hadacert::prove::region::RegionBox {
            lambda: spectrum.iter().map(|&c| [c, c]).collect(),
            depth: 0,
        };
        let pairs = enclose_m4_pairs::<Ival>(&point, &spectrum, 53).expect("distinct modes");
        assert_eq!(pairs.len(), 1, "{spectrum:?}");
        let (i, j, rate) = &pairs[0];
        let max = (0..7).fold(0, |b, m| if spectrum[m] > spectrum[b] { m } else { b });
        let min = (0..7).fold(0, |b, m| if spectrum[m] < spectrum[b] { m } else { b });
        assert_eq!((*i, *j), (max + 1, min + 1));
        let mut lambda = vec![Ival::from_f64(0.0, 53)];
        lambda.extend(spectrum.iter().map(|&c| Ival::from_f64(c, 53)));
        let r = enclose_one_minus_s(&lambda);
        let mut sum = r[1].clone();
        for v in &r[2..] {
            sum += v;
        }
        let direct = (r[*i].clone() - &r[*j]).mul_pow2(1) / &sum;
        assert!(
            rate.intersect(&direct).is_some(),
            "{spectrum:?}: {rate:?} vs {direct:?}"
        );
    }
}

/// Issue 17, M4: at K = 16 near a start where a C5 claim certifies that M4 grows
/// (proofs-data/c5/k16.toml), the M4 region prover refutes non-increase with an exact state
/// (unique extremes, rate certainly > 0).
#[test]
fn m4_region_prover_refutes_near_a_k16_growth_start() {
    let start = [
        0.087, 11.0, 11.0, 0.0871, 0.0871, 0.0871, 0.0871, 11.0, 11.0, 11.0, 11.0, 0.0871, 11.1,
        0.0871, 0.0871,
    ];
    let s: f64 = start.iter().sum();
    let lo: Vec<String> = start.iter().map(|c| format!("{}", c / s * 0.999)).collect();
    let hi: Vec<String> = start.iter().map(|c| format!("{}", c / s * 1.001)).collect();
    let lo: Vec<&str> = lo.iter().map(|s| s.as_str()).collect();
    let hi: Vec<&str> = hi.iter().map(|s| s.as_str()).collect();
    let (slo, shi) = (format!("{}", s * 0.999), format!("{}", s * 1.001));
    let mut r = region(RateQuantity::M4, 16, &lo, &hi, [&slo, &shi], "0");
    r.max_boxes = 2_000;
    let stats = prove_region::<Ival>(&r, 53, "m4-k16", &RunOptions::default()).unwrap();
    assert_eq!(stats.decided(), Some(false), "{stats:?}");
    let w = stats.witness.expect("a refuting state");
    assert!(parse_exact(&w.rate[0]).unwrap() > 0, "{w:?}");
}
