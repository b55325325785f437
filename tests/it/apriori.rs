//! The a-priori enclosure of every validated step, checked directly (issue 18, section 6).
//!
//! A validated Taylor step rests on the a-priori enclosure `B` of `ode::lohner`: the inclusion
//! `X + [0, h] F(B) ⊆ B` (X the box the step starts from, h = t1 - t0) proves that every
//! solution from X exists on `[t0, t1]` and stays in B, and the Lagrange remainder is bounded
//! over B. Weakening that inclusion test to a mere overlap (mutant `apriori-overlap-only`) once
//! passed every ode and mutation test. Here, for every step the integrator returns, the test
//! recomputes `X + [0, h] F(B)` on the same backend from the step's record (`start_box`,
//! `apriori`, `t0`, `t1`) and checks the inclusion exactly (`Enclosure::subset`: exact end
//! comparisons), together with the bookkeeping around it: consecutive times, X inside the
//! previous step's end box (or the initial set), X and the step's range inside B.
//!
//! The fields: linear growth `x' = x`, the logistic `x' = x (1 - x)`, `x' = -x^2`, the Lorenz
//! system and balanced spectral flows at K = 4 and 8, on inari and MPFR-128, at the default
//! tolerance and at loose tolerances with large steps (where the first Picard iterate is not
//! yet inside the inflated box, so a test that accepted an overlap would take steps the
//! inclusion does not justify).

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real};
use hadacert::ode::lohner::{integrate, SolverOptions};
use hadacert::ode::problems::{Exponential, Lorenz, Quadratic};
use hadacert::ode::VectorField;
use hadacert::spectral::flows::BalancedFlow;
use rug::Rational;

/// The logistic field `x' = x (1 - x)`.
struct Logistic;

impl VectorField for Logistic {
    fn dim(&self) -> usize {
        1
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        let one = S::from_i64(1, x[0].prec());
        vec![x[0].clone() * &(one - &x[0])]
    }
}

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

fn loose(order: usize, tol: f64) -> SolverOptions {
    SolverOptions {
        order: Some(order),
        jacobian_order: 2,
        tolerance: Some(tol),
        ..SolverOptions::default()
    }
}

/// `[lo, hi]` in decimal, rounded outward.
fn show<T: Enclosure>(x: &T) -> String {
    let (lo, hi) = x.to_decimal_bounds(17);
    format!("[{lo}, {hi}]")
}

/// Integrates and checks the a-priori enclosure of every step; returns the number of steps.
fn check_steps<T: Enclosure, F: VectorField>(
    field: &F,
    x0: &[T],
    t_end: &Rational,
    opts: &SolverOptions,
    what: &str,
) -> usize {
    let tr = integrate(field, x0, t_end, opts)
        .unwrap_or_else(|e| panic!("{what}: integration failed: {e}"));
    assert_eq!(tr.end_time(), *t_end, "{what}");
    assert!(!tr.steps.is_empty(), "{what}: no step");
    let n = field.dim();
    let prec = x0.iter().map(|x| x.prec()).max().unwrap();
    let mut prev_end: &[T] = x0;
    let mut prev_t1 = Rational::new();
    for (k, s) in tr.steps.iter().enumerate() {
        let at = format!("{what}: step {k} (t = {:.6})", s.t0.to_f64());
        assert_eq!(s.start_box.len(), n, "{at}");
        assert_eq!(s.apriori.len(), n, "{at}");
        assert_eq!(s.t0, prev_t1, "{at}: steps not consecutive");
        let h = Rational::from(&s.t1 - &s.t0);
        assert!(h > 0, "{at}: step {h}");
        // [0, h] at the working precision, as the integrator encloses it
        let hbox = T::from_i64(0, prec).hull(&T::from_rational(&h, prec));
        let fb = field.eval(&s.apriori);
        for i in 0..n {
            let (x, b) = (&s.start_box[i], &s.apriori[i]);
            let image = x.clone() + &(hbox.clone() * &fb[i]);
            assert!(
                image.subset(b),
                "{at}, component {i}: X + [0, h] F(B) = {} is not inside B = {} (h = {:e}, X = {})",
                show(&image),
                show(b),
                h.to_f64(),
                show(x)
            );
            assert!(
                x.subset(b),
                "{at}, component {i}: X = {} not inside B = {}",
                show(x),
                show(b)
            );
            assert!(
                s.range[i].subset(b),
                "{at}, component {i}: range {} not inside B = {}",
                show(&s.range[i]),
                show(b)
            );
            assert!(
                x.subset(&prev_end[i]),
                "{at}, component {i}: X = {} not inside the previous end {}",
                show(x),
                show(&prev_end[i])
            );
        }
        prev_end = &s.end;
        prev_t1 = s.t1.clone();
    }
    tr.steps.len()
}

#[test]
fn every_step_of_the_scalar_fields_satisfies_the_apriori_inclusion() {
    let cases: [(&str, SolverOptions); 4] = [
        ("default", SolverOptions::default()),
        ("order 4, tolerance 1e-2", loose(4, 1e-2)),
        ("order 3, tolerance 1e-1", loose(3, 1e-1)),
        ("order 6, tolerance 1e-4", loose(6, 1e-4)),
    ];
    for (label, opts) in &cases {
        for prec in [53u32, 128] {
            macro_rules! run {
                ($T:ty, $name:expr) => {{
                    let mk = |v: &Rational| vec![<$T>::from_rational(v, prec)];
                    let b = $name;
                    check_steps(
                        &Exponential,
                        &mk(&q(1, 1)),
                        &q(3, 1),
                        opts,
                        &format!("{b}, x' = x, {label}"),
                    );
                    check_steps(
                        &Logistic,
                        &mk(&q(1, 10)),
                        &q(10, 1),
                        opts,
                        &format!("{b}, logistic, {label}"),
                    );
                    check_steps(
                        &Quadratic,
                        &mk(&q(2, 1)),
                        &q(10, 1),
                        opts,
                        &format!("{b}, x' = -x^2, {label}"),
                    );
                    // from a box: the image of a wide start set
                    let boxed = vec![<$T>::from_rational(&q(9, 100), prec)
                        .hull(&<$T>::from_rational(&q(11, 100), prec))];
                    check_steps(
                        &Logistic,
                        &boxed,
                        &q(6, 1),
                        opts,
                        &format!("{b}, logistic from a box, {label}"),
                    );
                }};
            }
            if prec == 53 {
                run!(Ival, "inari");
            }
            run!(MpfrInterval, format!("MPFR-{prec}"));
        }
    }
}

#[test]
fn every_step_of_the_lorenz_and_balanced_flows_satisfies_the_apriori_inclusion() {
    // (options, Lorenz horizon, balanced horizon: at loose tolerances the wrapping grows fast)
    let cases: [(&str, SolverOptions, Rational, Rational); 2] = [
        ("default", SolverOptions::default(), q(1, 1), q(4, 1)),
        ("order 4, tolerance 1e-2", loose(4, 1e-2), q(1, 5), q(1, 1)),
    ];
    for (label, opts, t_lorenz, t_end) in &cases {
        let lorenz: Vec<Ival> = (0..3).map(|_| Ival::from_rational(&q(1, 1), 53)).collect();
        check_steps(
            &Lorenz,
            &lorenz,
            t_lorenz,
            opts,
            &format!("inari, Lorenz, {label}"),
        );
        for (k, start) in [(4usize, [0, 70, 150, 230]), (8, [0, 40, 80, 120])] {
            // lambda_0 = 0 and lambda_m spread over (0, 2.5]
            let lam: Vec<Rational> = (0..k)
                .map(|m| q(start[m % 4] + 10 * (m / 4) as i64, 100))
                .collect();
            let xi: Vec<Ival> = lam.iter().map(|v| Ival::from_rational(v, 53)).collect();
            check_steps(
                &BalancedFlow(k),
                &xi,
                t_end,
                opts,
                &format!("inari, balanced K = {k}, {label}"),
            );
            let xm: Vec<MpfrInterval> = lam
                .iter()
                .map(|v| MpfrInterval::from_rational(v, 128))
                .collect();
            check_steps(
                &BalancedFlow(k),
                &xm,
                t_end,
                opts,
                &format!("MPFR-128, balanced K = {k}, {label}"),
            );
        }
    }
}
