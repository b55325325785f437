//! The validated integrator: known answers, containment of references, failure behaviour.

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval};
use hadacert::ode::lohner::{integrate, SolverOptions};
use hadacert::ode::problems::{CrossEntropyFlow, Exponential, Lorenz, Quadratic};
use rug::{Float, Rational};
use std::time::Instant;

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

#[test]
fn exponential_known_answer() {
    // x' = x, x(0) = 1: x(3) = e^3.
    for prec in [53u32, 128, 256] {
        let x0 = vec![MpfrInterval::from_rational(&q(1, 1), prec)];
        let tr = integrate(&Exponential, &x0, &q(3, 1), &SolverOptions::default()).unwrap();
        let e3 = Float::with_val(prec + 64, 3).exp();
        let x = &tr.end()[0];
        assert!(
            x.contains_rational(&e3.to_rational().unwrap()),
            "prec {prec}: {x:?}"
        );
        assert!(
            x.width_upper() < 1e-6f64.min(2f64.powi(40 - prec as i32)) * 20.1,
            "prec {prec}: width {}",
            x.width_upper()
        );
    }
}

#[test]
fn quadratic_known_answer() {
    // x' = -x^2, x(0) = 2: x(t) = 2 / (1 + 2t).
    let x0 = vec![Ival::from_rational(&q(2, 1), 53)];
    let tr = integrate(&Quadratic, &x0, &q(10, 1), &SolverOptions::default()).unwrap();
    let exact = q(2, 21);
    assert!(tr.end()[0].contains_rational(&exact));
    assert!(
        tr.end()[0].width_upper() < 1e-12,
        "{}",
        tr.end()[0].width_upper()
    );
    // every step's range contains the exact solution at both ends of the step
    for s in &tr.steps {
        for t in [&s.t0, &s.t1] {
            let v = Rational::from(2) / (Rational::from(1) + Rational::from(2 * t.clone()));
            assert!(s.range[0].contains_rational(&v));
        }
    }
}

#[test]
fn full_order_jacobian_and_the_capd_step_rule_still_enclose() {
    // The C^1 Lohner option (Jacobian to full order, one jet for X and J) and CAPD's step rule
    // (no bound on the remainder over the a-priori box) take other steps, with the same
    // guarantees: exact solutions inside every end and range, a 160-bit reference inside.
    let variants = [
        SolverOptions {
            jacobian_order: usize::MAX,
            ..SolverOptions::default()
        },
        SolverOptions {
            remainder_factor: f64::INFINITY,
            ..SolverOptions::default()
        },
    ];
    let exact =
        |t: &Rational| Rational::from(2) / (Rational::from(1) + Rational::from(2 * t.clone()));
    let x0m: Vec<MpfrInterval> = (0..3)
        .map(|_| MpfrInterval::from_rational(&q(1, 1), 160))
        .collect();
    let reference = integrate(&Lorenz, &x0m, &q(2, 1), &SolverOptions::default()).unwrap();
    for opts in &variants {
        let x0 = vec![Ival::from_rational(&q(2, 1), 53)];
        let tr = integrate(&Quadratic, &x0, &q(10, 1), opts).unwrap();
        assert!(tr.end()[0].width_upper() < 1e-9, "{opts:?}: {:?}", tr.end());
        for s in &tr.steps {
            assert!(s.end[0].contains_rational(&exact(&s.t1)), "{opts:?}");
            for t in [&s.t0, &s.t1] {
                assert!(s.range[0].contains_rational(&exact(t)), "{opts:?}");
            }
        }
        let x0: Vec<Ival> = (0..3).map(|_| Ival::from_rational(&q(1, 1), 53)).collect();
        let tr = integrate(&Lorenz, &x0, &q(2, 1), opts).unwrap();
        for (a, b) in tr.end().iter().zip(reference.end()) {
            assert!(b.width_upper() < 1e-25, "{}", b.width_upper());
            assert!(a.width_upper() < 1e-4, "{opts:?}: {a:?}");
            let mid = b.lower_exact().unwrap();
            assert!(a.contains_rational(&mid), "{opts:?}: {a:?} misses {b:?}");
        }
    }
}

#[test]
fn lorenz_contains_reference_and_stays_narrow() {
    let x0: Vec<Ival> = (0..3).map(|_| Ival::from_rational(&q(1, 1), 53)).collect();
    let start = Instant::now();
    let tr = integrate(&Lorenz, &x0, &q(10, 1), &SolverOptions::default()).unwrap();
    let el = start.elapsed();
    let w = tr.end().iter().map(|x| x.width_upper()).fold(0.0, f64::max);
    eprintln!(
        "Lorenz inari T=10: {} steps, width {w:e}, {el:?}",
        tr.steps.len()
    );
    assert!(w < 1e-6, "width {w}");
    let x0m: Vec<MpfrInterval> = (0..3)
        .map(|_| MpfrInterval::from_rational(&q(1, 1), 160))
        .collect();
    let trm = integrate(&Lorenz, &x0m, &q(10, 1), &SolverOptions::default()).unwrap();
    for (a, b) in tr.end().iter().zip(trm.end()) {
        assert!(b.width_upper() < 1e-25, "{}", b.width_upper());
        let mid = b.lower_exact().unwrap();
        assert!(
            a.contains_rational(&mid),
            "inari {a:?} misses the 160-bit {b:?}"
        );
    }
}

#[test]
fn cross_entropy_flow_3d() {
    let x0 = vec![
        Ival::from_rational(&q(0, 1), 53),
        Ival::from_rational(&q(1, 2), 53),
        Ival::from_rational(&q(-1, 2), 53),
    ];
    let start = Instant::now();
    let tr = integrate(
        &CrossEntropyFlow(3),
        &x0,
        &q(10, 1),
        &SolverOptions::default(),
    )
    .unwrap();
    let w = tr.end().iter().map(|x| x.width_upper()).fold(0.0, f64::max);
    eprintln!(
        "CE flow inari T=10: {} steps, width {w:e}, {:?}",
        tr.steps.len(),
        start.elapsed()
    );
    assert!(w < 1e-11, "width {w}");
}

/// A non-validated reference: fixed-step Taylor series of order 30 at 512 bits, stepping from
/// the midpoint of each step's result (no a-priori enclosure, no remainder, no QR).
fn reference_solution<F: hadacert::ode::VectorField>(
    field: &F,
    x0: &[Rational],
    t_end: &Rational,
    steps: u32,
) -> Vec<Rational> {
    use hadacert::arith::Ring;
    use hadacert::ode::tape::record;
    use hadacert::ode::taylor::{horner, taylor_coefficients};
    let prec = 512;
    let h = MpfrInterval::from_rational(&Rational::from(t_end / steps), prec);
    let mut x: Vec<MpfrInterval> = x0
        .iter()
        .map(|q| MpfrInterval::from_rational(q, prec))
        .collect();
    for _ in 0..steps {
        let at: Vec<f64> = x.iter().map(|v| v.approx_f64()).collect();
        let tape = record(&at, |v| field.eval(v));
        let c = taylor_coefficients(&tape, &x, 30, prec).unwrap();
        x = c.iter().map(|ci| horner(ci, &h).mid_point()).collect();
    }
    x.iter().map(|v| v.lower_exact().unwrap()).collect()
}

#[test]
fn balanced_flow_enclosures_contain_a_high_precision_reference() {
    use hadacert::claim::schema::SplitMix64;
    use hadacert::spectral::flows::BalancedFlow;
    for (k, seed) in [(4usize, 1u64), (8, 2), (16, 3)] {
        let mut rng = SplitMix64(seed);
        let start: Vec<Rational> = (0..k)
            .map(|m| {
                if m == 0 {
                    Rational::new()
                } else {
                    Rational::from((1 + rng.below(300), 100))
                }
            })
            .collect();
        let t_end = Rational::from(4);
        let reference = reference_solution(&BalancedFlow(k), &start, &t_end, 256);
        let x_inari: Vec<Ival> = start.iter().map(|q| Ival::from_rational(q, 53)).collect();
        let tr = integrate(
            &BalancedFlow(k),
            &x_inari,
            &t_end,
            &SolverOptions::default(),
        )
        .unwrap();
        let x_mpfr: Vec<MpfrInterval> = start
            .iter()
            .map(|q| MpfrInterval::from_rational(q, 128))
            .collect();
        let trm = integrate(&BalancedFlow(k), &x_mpfr, &t_end, &SolverOptions::default()).unwrap();
        for m in 0..k {
            assert!(
                tr.end()[m].contains_rational(&reference[m]),
                "K={k} m={m}: inari {:?}",
                tr.end()[m]
            );
            assert!(
                trm.end()[m].contains_rational(&reference[m]),
                "K={k} m={m}: mpfr {:?}",
                trm.end()[m]
            );
            assert!(
                trm.end()[m].width_upper() < 1e-30,
                "K={k}: width {}",
                trm.end()[m].width_upper()
            );
        }
    }
}

#[test]
fn nc_ray_enclosure_agrees_with_the_closed_form() {
    use hadacert::spectral::flows::NcRayFlow;
    use hadacert::spectral::ncray::enclose_nc_ray_time;
    // l(t*) from l0 = 1, K = 4: the closed form T(1 -> l(t*)) must contain t* exactly.
    for (t_star, prec) in [(q(3, 1), 53u32), (q(50, 1), 53), (q(50, 1), 192)] {
        let x0 = vec![MpfrInterval::from_rational(&q(1, 1), prec)];
        let tr = integrate(&NcRayFlow(4), &x0, &t_star, &SolverOptions::default()).unwrap();
        let t = enclose_nc_ray_time(&x0[0], &tr.end()[0], 4);
        assert!(
            t.contains_rational(&t_star),
            "{t:?} should contain {t_star}"
        );
        assert!(t.width_upper() < 2f64.powi(30 - prec as i32) * 50.0);
    }
}

#[test]
fn a_step_floor_is_reported_not_hidden() {
    // x' = x^2 from 1 blows up at t = 1: integrating to t = 2 must fail with an error that
    // names the time, never return an enclosure past the blow-up.
    struct Blowup;
    impl hadacert::ode::VectorField for Blowup {
        fn dim(&self) -> usize {
            1
        }
        fn eval<S: hadacert::arith::Real>(&self, x: &[S]) -> Vec<S> {
            vec![x[0].clone() * &x[0]]
        }
    }
    let x0 = vec![Ival::from_rational(&q(1, 1), 53)];
    let err = integrate(
        &Blowup,
        &x0,
        &q(2, 1),
        &SolverOptions {
            min_step: 1e-6,
            ..SolverOptions::default()
        },
    )
    .unwrap_err();
    let msg = err.to_string();
    match err {
        hadacert::ode::lohner::IntegrationError::StepTooSmall { t, .. } => {
            assert!(t < 1.0 && t > 0.9, "{msg}")
        }
        hadacert::ode::lohner::IntegrationError::NotFinite { t } => assert!(t < 1.0, "{msg}"),
        other => panic!("unexpected error {other}"),
    }
}
