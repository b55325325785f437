//! Cost of the claim language against the built-in Rust path (issue 15): V, M2 and dV/dt at the
//! C4 pointwise states (K = 8: 0, 1/2, 1, ...; K = 16: 0, 1/3, ...), on inari and MPFR at 128
//! bits. Run: `cargo bench --bench expression`.
//!
//! The expression path is the compiled program with a reused register file
//! ([`hadacert::expr::Evaluator`]); for `d/dt V` the state is seeded as dual numbers with the
//! balanced field, which both paths compute. Prints a Markdown table: ns per evaluation
//! (best of 5 runs of about 0.2 s each) and the ratio expression / built-in.

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval};
use hadacert::expr::{compile, normalise, parse_expr, Evaluator, Program, Scalar, StateKind};
use hadacert::ode::dual::Dual;
use hadacert::spectral::field::enclose_balanced_field;
use hadacert::spectral::lyapunov::{enclose_lyapunov, enclose_lyapunov_rate, enclose_m2};
use rug::Rational;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn ns_per_call(mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(200) {
            for _ in 0..16 {
                f();
            }
            n += 16;
        }
        best = best.min(start.elapsed().as_nanos() as f64 / n as f64);
    }
    best
}

fn program(text: &str, k: usize) -> Program {
    let e = normalise(&parse_expr(text).unwrap(), k);
    compile(&[&e], k, StateKind::Balanced, text).unwrap()
}

fn rows<T: Enclosure + Scalar>(backend: &str, prec: u32, k: usize, out: &mut Vec<String>) {
    let step = if k == 8 { 2 } else { 3 };
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
    let prog = program("d/dt V", k);
    let mut ev = Evaluator::<Dual<T>>::new(&prog);
    let b = ns_per_call(|| {
        let v = enclose_balanced_field(black_box(&x));
        black_box(enclose_lyapunov_rate(&x, &v));
    });
    let e = ns_per_call(|| {
        let v = enclose_balanced_field(black_box(&x));
        let seeded: Vec<Dual<T>> = x
            .iter()
            .zip(v)
            .map(|(x, d)| Dual {
                value: x.clone(),
                grad: vec![d],
            })
            .collect();
        ev.run(&prog, &seeded, prec).unwrap();
        black_box(ev.output(&prog, 0));
    });
    row("dV/dt (d/dt V, dual numbers)", b, e);
    let chain = "sum(m != 0, d/dt(lambda_m)) / sum(m != 0, lambda_m) \
                 - mean(m != 0, d/dt(lambda_m) / lambda_m)";
    let prog = program(chain, k);
    let mut ev = Evaluator::<Dual<T>>::new(&prog);
    let e = ns_per_call(|| {
        let v = enclose_balanced_field(black_box(&x));
        let seeded: Vec<Dual<T>> = x
            .iter()
            .zip(v)
            .map(|(x, d)| Dual {
                value: x.clone(),
                grad: vec![d],
            })
            .collect();
        ev.run(&prog, &seeded, prec).unwrap();
        black_box(ev.output(&prog, 0));
    });
    let field = enclose_balanced_field(&x);
    assert_eq!(
        ev.output(&prog, 0).value,
        enclose_lyapunov_rate(&x, &field),
        "identical enclosures"
    );
    row("dV/dt (chain rule written out)", b, e);
}

fn main() {
    let mut out = vec![
        "| quantity | backend | K | built-in ns | expression ns | ratio |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    for k in [8, 16] {
        rows::<Ival>("inari", 53, k, &mut out);
        rows::<MpfrInterval>("mpfr 128", 128, k, &mut out);
    }
    println!("{}", out.join("\n"));
}
