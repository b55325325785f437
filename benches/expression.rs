//! Cost of the claim language against the built-in Rust path (issue 15): V, M2 and dV/dt at the
//! C4 pointwise states (K = 4, 8: 0, 1/2, 1, ...; K = 16: 0, 1/3, ...), on inari and MPFR at 128
//! bits, and the region prover's per-box work (value and gradient over the K - 1 box
//! variables) for `(dV/dt) / (1 - p(0))` at K = 4 and 8. Run: `cargo bench --bench expression`.
//!
//! The expression path is the compiled program with a register file reused across evaluations
//! ([`hadacert::expr::Evaluator`]). `d/dt V` and `d/dt M2` along the built-in flow compile to
//! the closed forms of `spectral::rates` (identical enclosures, asserted here); the general path
//! (other flows, compound expressions) seeds the state as dual numbers `DualN<_, 1>` with the
//! balanced field, measured on `d/dt V` with the closed form switched off and on the chain rule
//! written out, against the built-in chain rule with the field. Prints a Markdown table: ns of
//! this thread's CPU time per evaluation (best of 5 runs of about 0.2 s wall each; CPU time, so
//! that the other processes of a shared machine do not count) and the ratio expression /
//! built-in.

use hadacert::arith::{Enclosure, Ival, MpfrInterval};
use hadacert::expr::eval::{seed_with_flow, value_and_gradient};
use hadacert::expr::{compile, normalise, parse_expr, Evaluator, Program, Scalar, StateKind};
use hadacert::ode::dual::DualN;
use hadacert::prove::region::{gradient_on_box, RateQuantity};
use hadacert::spectral::field::enclose_balanced_field;
use hadacert::spectral::lyapunov::{enclose_lyapunov, enclose_lyapunov_rate, enclose_m2};
use hadacert::spectral::rates::{enclose_m2_rate, enclose_v_rate};
use rug::Rational;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// CPU time of this thread in ns (`/proc/thread-self/schedstat`, Linux), so that other
/// processes on a shared machine do not count; wall time where that file is missing.
fn cpu_ns(start: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or_else(|| start.elapsed().as_nanos() as f64)
}

fn ns_per_call(mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    let origin = Instant::now();
    for _ in 0..5 {
        let start = Instant::now();
        let cpu0 = cpu_ns(origin);
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(200) {
            for _ in 0..16 {
                f();
            }
            n += 16;
        }
        let mut spent = cpu_ns(origin) - cpu0;
        if spent <= 0.0 {
            spent = start.elapsed().as_nanos() as f64;
        }
        best = best.min(spent / n as f64);
    }
    best
}

fn program(text: &str, k: usize) -> Program {
    let e = normalise(&parse_expr(text).unwrap(), k);
    compile(&[&e], k, StateKind::Balanced, text).unwrap()
}

/// The region prover's per-box work at K = N + 1: the built-in `gradient_on_box` against the
/// language's `value_and_gradient` for the same quantity, on a box around the state: `d/dt V`
/// by dual numbers (`DualN<DualN<T, N>, 1>`), the closed form `enclose_v_rate` divided by the
/// language's own `1 - p(0)` (the compilation before the rule for this shape, reproduced by
/// writing the denominator `1 - p(0) + 0`), and the whole quotient as one closed form, the rate
/// per off-target mass (now: the built-in's kernel, identical enclosures, asserted).
fn region_row<T: Enclosure + Scalar, const N: usize>(
    backend: &str,
    prec: u32,
    x: &[T],
    row: &mut impl FnMut(&str, f64, f64),
) {
    let k = N + 1;
    let prog = program("d/dt V / (1 - p(0))", k);
    assert_eq!(prog.closed_forms(), 1);
    let dual = prog.clone().without_closed_forms();
    let divided = program("d/dt V / (1 - p(0) + 0)", k);
    assert_eq!(divided.closed_forms(), 1);
    let spectrum: Vec<T> = x[1..]
        .iter()
        .map(|e| {
            let w = T::from_rational(&Rational::from((1, 1000)), prec);
            (e.clone() - &w).hull(&(e.clone() + &w))
        })
        .collect();
    let (bv, bg) = gradient_on_box(RateQuantity::V, &spectrum);
    let (ev, eg) = value_and_gradient::<T, N>(&prog, &spectrum, 0, prec).unwrap();
    let (dv, _) = value_and_gradient::<T, N>(&dual, &spectrum, 0, prec).unwrap();
    let (qv, _) = value_and_gradient::<T, N>(&divided, &spectrum, 0, prec).unwrap();
    assert!(
        bv.is_finite() && ev.is_finite() && dv.is_finite() && qv.is_finite(),
        "{backend}: finite box values"
    );
    assert!(
        ev == bv && eg[..] == bg[..],
        "{backend}: identical box enclosures"
    );
    let b = ns_per_call(|| {
        black_box(gradient_on_box(RateQuantity::V, black_box(&spectrum)));
    });
    let before = ns_per_call(|| {
        black_box(value_and_gradient::<T, N>(&dual, black_box(&spectrum), 0, prec).unwrap());
    });
    let quotient = ns_per_call(|| {
        black_box(value_and_gradient::<T, N>(&divided, black_box(&spectrum), 0, prec).unwrap());
    });
    let now = ns_per_call(|| {
        black_box(value_and_gradient::<T, N>(&prog, black_box(&spectrum), 0, prec).unwrap());
    });
    row(
        "region box: value + gradient of (dV/dt)/(1 - p(0)), d/dt V by duals",
        b,
        before,
    );
    row(
        "region box: value + gradient of (dV/dt)/(1 - p(0)), closed form / own 1 - p(0)",
        b,
        quotient,
    );
    row(
        "region box: value + gradient of (dV/dt)/(1 - p(0)), one closed form: now",
        b,
        now,
    );
}

fn rows<T: Enclosure + Scalar>(backend: &str, prec: u32, k: usize, out: &mut Vec<String>) {
    let step = if k == 16 { 3 } else { 2 };
    let x: Vec<T> = (0..k)
        .map(|m| T::from_rational(&Rational::from((m as i64, step)), prec))
        .collect();
    let mut row = |name: &str, builtin: f64, expr: f64| {
        out.push(format!(
            "| {name} | {backend} | {k} | {builtin:.0} | {expr:.0} | {:.2} |",
            expr / builtin
        ))
    };
    for (name, builtin) in [
        ("V", enclose_lyapunov::<T> as fn(&[T]) -> T),
        ("M2", enclose_m2::<T> as fn(&[T]) -> T),
    ] {
        let prog = program(name, k);
        let mut ev = Evaluator::<T>::new(&prog);
        ev.run(&prog, &x, prec).unwrap();
        assert_eq!(*ev.output(&prog, 0), builtin(&x), "identical enclosures");
        let b = ns_per_call(|| {
            black_box(builtin(black_box(&x)));
        });
        let e = ns_per_call(|| {
            ev.run(&prog, black_box(&x), prec).unwrap();
            black_box(ev.output(&prog, 0));
        });
        row(name, b, e);
    }
    // d/dt of a built-in along the built-in flow: its closed form (identical enclosures).
    for (name, text, builtin) in [
        (
            "dV/dt (d/dt V, closed form)",
            "d/dt V",
            enclose_v_rate::<T> as fn(&[T]) -> T,
        ),
        (
            "dM2/dt (d/dt M2, closed form)",
            "d/dt M2",
            enclose_m2_rate::<T> as fn(&[T]) -> T,
        ),
    ] {
        let prog = program(text, k);
        assert_eq!(prog.closed_forms(), 1);
        let mut ev = Evaluator::<T>::new(&prog);
        ev.run(&prog, &x, prec).unwrap();
        assert_eq!(*ev.output(&prog, 0), builtin(&x), "identical enclosures");
        let b = ns_per_call(|| {
            black_box(builtin(black_box(&x)));
        });
        let e = ns_per_call(|| {
            ev.run(&prog, black_box(&x), prec).unwrap();
            black_box(ev.output(&prog, 0));
        });
        row(name, b, e);
    }
    // The general dual path (other flows, compound expressions): against the built-in chain
    // rule of V with the balanced field, both including the field.
    let builtin_rate = ns_per_call(|| {
        let v = enclose_balanced_field(black_box(&x));
        black_box(enclose_lyapunov_rate(&x, &v));
    });
    for (label, text) in [
        ("dV/dt (d/dt V by dual numbers)", "d/dt V"),
        (
            "dV/dt (chain rule written out, dual numbers)",
            "sum(m != 0, d/dt(lambda_m)) / sum(m != 0, lambda_m) \
             - mean(m != 0, d/dt(lambda_m) / lambda_m)",
        ),
    ] {
        let prog = program(text, k).without_closed_forms();
        assert!(prog.needs_tangent() && prog.closed_forms() == 0);
        let mut ev = Evaluator::<DualN<T, 1>>::new(&prog);
        let dual = ns_per_call(|| {
            let seeded = seed_with_flow(&prog, black_box(&x), prec).unwrap();
            ev.run(&prog, &seeded, prec).unwrap();
            black_box(ev.output(&prog, 0));
        });
        row(label, builtin_rate, dual);
    }
    match k {
        4 => region_row::<T, 3>(backend, prec, &x, &mut row),
        8 => region_row::<T, 7>(backend, prec, &x, &mut row),
        _ => {}
    }
}

fn main() {
    let mut out = vec![
        "| quantity | backend | K | built-in ns | expression ns | ratio |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    for k in [4, 8, 16] {
        rows::<Ival>("inari", 53, k, &mut out);
        rows::<MpfrInterval>("mpfr 128", 128, k, &mut out);
    }
    println!("{}", out.join("\n"));
}
