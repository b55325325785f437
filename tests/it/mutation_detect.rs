//! Tests written to close gaps found by the mutation checks (`scripts/mutants.sh`).
//!
//! Gap: with the Lagrange remainder `h^p x_p(B)` of the validated integrator applied as
//! `h^(p+1) x_p(B)` (mutant `taylor-remainder-order`), every test in `tests/it/ode.rs` still passed.
//! At the default tolerance (`2^(8 - bits)` times the state's scale) the truncation error of a
//! step is buried under the enclosure's width, so dropping most of it never excludes the exact
//! solution. Here the tolerance is loose and the order low, so the remainder is the largest
//! part of every step's error, and every step is checked against an exact rational solution
//! (`x' = -x^2, y' = -2xy` from `(2, 1)`: `x = 2/(1 + 2t)`, `y = 1/(1 + 2t)^2`), on inari and
//! MPFR, through Lohner's QR representation, from a point and from a box. (The plain-box path,
//! `n > lohner_max_dim`, wraps too much at these tolerances to make a sharp test.)

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real};
use hadacert::ode::lohner::{integrate, SolverOptions};
use hadacert::ode::problems::Quadratic;
use hadacert::ode::VectorField;
use rug::Rational;

/// `x' = -x^2`, `y' = -2 x y`: from `(x0, y0)` the solution is `x0/(1 + x0 t)`,
/// `y0/(1 + x0 t)^2`, rational at rational times, and `y` depends on `x` (non-diagonal Jacobian).
struct QuadraticPair;

impl VectorField for QuadraticPair {
    fn dim(&self) -> usize {
        2
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        let two_xy = (x[0].clone() * &x[1]).mul_pow2(1);
        vec![-(x[0].clone() * &x[0]), -two_xy]
    }
}

/// The exact solution from `(x0, y0)` at time `t`.
fn exact_pair(x0: &Rational, y0: &Rational, t: &Rational) -> [Rational; 2] {
    let d = Rational::from(1) + Rational::from(x0 * t);
    let x = Rational::from(x0 / &d);
    let y = y0 / Rational::from(&d * &d);
    [x, y]
}

fn options(order: usize, tol: f64) -> SolverOptions {
    SolverOptions {
        order: Some(order),
        jacobian_order: 2,
        tolerance: Some(tol),
        ..SolverOptions::default()
    }
}

/// Integrates `field` from `x0` to `t_end` and checks every step: its end contains the exact
/// solution at `t1`, its range contains the exact solution at `t0` and `t1`, and the end is
/// narrower than 1% of the solution (so the containment is not won by a vacuous enclosure).
fn check_steps<T: Enclosure, F: VectorField>(
    field: &F,
    x0: &[T],
    t_end: &Rational,
    opts: &SolverOptions,
    exact: impl Fn(&Rational) -> Vec<Rational>,
    what: &str,
) {
    let tr = integrate(field, x0, t_end, opts)
        .unwrap_or_else(|e| panic!("{what}: integration failed: {e:?}"));
    assert_eq!(tr.end_time(), *t_end, "{what}");
    assert!(tr.steps.len() >= 5, "{what}: only {} steps", tr.steps.len());

    for (n, s) in tr.steps.iter().enumerate() {
        let at_t1 = exact(&s.t1);
        for (i, (e, v)) in s.end.iter().zip(&at_t1).enumerate() {
            assert!(
                e.contains_rational(v),
                "{what}: step {n} (t = {}) component {i}: {e:?} misses the exact {}",
                s.t1,
                v.to_f64()
            );
            assert!(
                e.width_upper() < 1e-2 * v.to_f64().abs(),
                "{what}: step {n} component {i}: width {} around {}",
                e.width_upper(),
                v.to_f64()
            );
        }
        for t in [&s.t0, &s.t1] {
            for (i, (r, v)) in s.range.iter().zip(exact(t)).enumerate() {
                assert!(
                    r.contains_rational(&v),
                    "{what}: step {n} range of component {i} misses the exact value at t = {t}"
                );
            }
        }
    }
}

#[test]
fn loose_tolerance_low_order_steps_enclose_the_exact_scalar_solution() {
    let two = Rational::from(2);
    let t_end = Rational::from(10);
    let exact = |t: &Rational| vec![exact_pair(&two, &Rational::from(1), t)[0].clone()];
    for (order, tol) in [(4, 1e-3), (6, 1e-4), (8, 1e-8)] {
        let opts = options(order, tol);
        let what = format!("x' = -x^2, order {order}, tolerance {tol:e}");
        check_steps(
            &Quadratic,
            &[Ival::from_rational(&two, 53)],
            &t_end,
            &opts,
            exact,
            &format!("inari, {what}"),
        );
        check_steps(
            &Quadratic,
            &[MpfrInterval::from_rational(&two, 128)],
            &t_end,
            &opts,
            exact,
            &format!("MPFR-128, {what}"),
        );
    }
}

#[test]
fn loose_tolerance_steps_enclose_the_exact_coupled_solution_from_a_point_and_a_box() {
    let (x0, y0) = (Rational::from(2), Rational::from(1));
    let t_end = Rational::from(5);
    let exact = |t: &Rational| exact_pair(&x0, &y0, t).to_vec();
    // from a box around (2, 1) the exact solution from its point (2, 1) must stay inside
    let radius = Rational::from((1, 1_000_000));
    let boxed = |c: &Rational| {
        MpfrInterval::from_rational(&Rational::from(c - &radius), 128).hull(
            &MpfrInterval::from_rational(&Rational::from(c + &radius), 128),
        )
    };
    for (order, tol) in [(5, 1e-4), (8, 1e-7)] {
        let opts = options(order, tol);
        let what = format!("order {order}, tolerance {tol:e}");
        check_steps(
            &QuadraticPair,
            &[Ival::from_rational(&x0, 53), Ival::from_rational(&y0, 53)],
            &t_end,
            &opts,
            exact,
            &format!("inari point, {what}"),
        );
        check_steps(
            &QuadraticPair,
            &[
                MpfrInterval::from_rational(&x0, 128),
                MpfrInterval::from_rational(&y0, 128),
            ],
            &t_end,
            &opts,
            exact,
            &format!("MPFR-128 point, {what}"),
        );
        check_steps(
            &QuadraticPair,
            &[boxed(&x0), boxed(&y0)],
            &t_end,
            &opts,
            exact,
            &format!("MPFR-128 box, {what}"),
        );
    }
}
