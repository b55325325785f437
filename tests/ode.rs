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
