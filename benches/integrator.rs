//! Validated integration benchmark (issue 3): the balanced spectral flow and two reference
//! problems of the validated-ODE field. Run: `cargo bench --bench integrator`.
//!
//! Prints, per configuration: steps, Taylor order, wall time, final enclosure width, and the
//! width against t (so the wrapping effect is visible).
//!
//! `HADACERT_BENCH_ONLY="<substring>|<substring>"` runs only the rows whose label contains one;
//! `HADACERT_BENCH_OPTS="order=25,tol=1e-14,jac=25,rem=inf,coarse=both,reps=5"` overrides the options of every row
//! run (for sweeps; `reps` runs each row that many times and reports the median time; `coarse`
//! is `none`, `apriori`, `jacobian` or `both`: `SolverOptions::coarse_apriori` / `coarse_jacobian`).
//!
//! The MPFR rows marked "coarse" run with both mixed-precision options on (the a-priori box and
//! the Jacobian in inari, `ode::lohner` module docs, "Mixed precision"); the unmarked rows are
//! the defaults, which the claims use.

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval};
use hadacert::ode::lohner::{integrate, SolverOptions, Trajectory};
use hadacert::ode::problems::{CrossEntropyFlow, Lorenz};
use hadacert::ode::VectorField;
use hadacert::spectral::flows::BalancedFlow;
use rug::Rational;
use std::time::{Duration, Instant};

fn max_width<T: Enclosure>(x: &[T]) -> f64 {
    x.iter().map(|v| v.width_upper()).fold(0.0, f64::max)
}

fn run<T: Enclosure, F: VectorField>(
    label: &str,
    field: &F,
    x0: &[T],
    horizon: i64,
    opts: &SolverOptions,
    rows: &mut Vec<String>,
) -> Option<Trajectory<T>> {
    if let Ok(only) = std::env::var("HADACERT_BENCH_ONLY") {
        if !only.split('|').any(|o| label.contains(o)) {
            return None;
        }
    }
    let (opts, reps, label) = match std::env::var("HADACERT_BENCH_OPTS") {
        Ok(spec) => {
            let (o, reps) = overrides(opts, &spec);
            (o, reps, format!("{label} [{spec}]"))
        }
        Err(_) => (opts.clone(), 1, label.to_string()),
    };
    let label = label.as_str();
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..reps {
        let start = Instant::now();
        let r = integrate(field, x0, &Rational::from(horizon), &opts);
        times.push(start.elapsed());
        result = Some(r);
    }
    times.sort();
    let elapsed = times[times.len() / 2];
    let result = result.expect("reps >= 1");
    match result {
        Ok(tr) => {
            let w = max_width(tr.end());
            println!(
                "{label}: {} steps, order {}, {:.3} s, final width {w:.3e}",
                tr.steps.len(),
                tr.order,
                secs(elapsed)
            );
            let n = tr.steps.len();
            let picks: Vec<usize> = (1..=8).map(|i| (i * n / 8).max(1) - 1).collect();
            let profile: Vec<String> = picks
                .iter()
                .map(|&i| {
                    format!(
                        "t={:.1}: {:.1e}",
                        tr.steps[i].t1.to_f64(),
                        max_width(&tr.steps[i].end)
                    )
                })
                .collect();
            println!("    width vs t: {}", profile.join(", "));
            rows.push(format!(
                "| {label} | {} | {} | {:.3} | {w:.2e} |",
                tr.steps.len(),
                tr.order,
                secs(elapsed)
            ));
            Some(tr)
        }
        Err(e) => {
            println!("{label}: FAILED after {:.3} s: {e}", secs(elapsed));
            rows.push(format!(
                "| {label} | failed | - | {:.3} | - |",
                secs(elapsed)
            ));
            None
        }
    }
}

/// Options overridden from `order=..,tol=..,jac=..,reps=..`; returns them and the repetitions.
fn overrides(base: &SolverOptions, spec: &str) -> (SolverOptions, usize) {
    let mut o = base.clone();
    let mut reps = 1;
    for kv in spec.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .expect("HADACERT_BENCH_OPTS: key=value pairs");
        match k.trim() {
            "order" => o.order = Some(v.parse().expect("order")),
            "tol" => o.tolerance = Some(v.parse().expect("tol")),
            "jac" => o.jacobian_order = v.parse().expect("jac"),
            "rem" => o.remainder_factor = v.parse().expect("rem"),
            "coarse" => {
                let (b, j) = match v.trim() {
                    "none" => (false, false),
                    "apriori" => (true, false),
                    "jacobian" => (false, true),
                    "both" => (true, true),
                    other => {
                        panic!("HADACERT_BENCH_OPTS: coarse={other} (none|apriori|jacobian|both)")
                    }
                };
                o.coarse_apriori = b;
                o.coarse_jacobian = j;
            }
            "reps" => reps = v.parse::<usize>().expect("reps").max(1),
            other => panic!("HADACERT_BENCH_OPTS: unknown key {other}"),
        }
    }
    (o, reps)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn start_k8() -> Vec<Rational> {
    [0, 10, 30, 55, 80, 120, 200, 300]
        .iter()
        .map(|&n| Rational::from((n, 100)))
        .collect()
}

fn random_start(k: usize, seed: u64) -> Vec<Rational> {
    let mut rng = hadacert::claim::schema::SplitMix64(seed);
    (0..k)
        .map(|m| {
            if m == 0 {
                Rational::new()
            } else {
                Rational::from((10 + rng.below(291), 100))
            }
        })
        .collect()
}

fn conv<T: Field>(v: &[Rational], prec: u32) -> Vec<T> {
    v.iter().map(|q| T::from_rational(q, prec)).collect()
}

fn main() {
    println!(
        "threads: {} (rayon default), machine: {} cores",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut rows = vec![
        "| problem | steps | order | time (s) | final width |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    let default = SolverOptions::default();
    let coarse = SolverOptions {
        coarse_apriori: true,
        coarse_jacobian: true,
        ..SolverOptions::default()
    };
    let s8 = start_k8();
    run(
        "balanced K=8 T=100 inari",
        &BalancedFlow(8),
        &conv::<Ival>(&s8, 53),
        100,
        &default,
        &mut rows,
    );
    run(
        "balanced K=8 T=100 mpfr-128",
        &BalancedFlow(8),
        &conv::<MpfrInterval>(&s8, 128),
        100,
        &default,
        &mut rows,
    );
    run(
        "balanced K=8 T=100 mpfr-128 coarse",
        &BalancedFlow(8),
        &conv::<MpfrInterval>(&s8, 128),
        100,
        &coarse,
        &mut rows,
    );
    let tuned = SolverOptions {
        tolerance: Some(1e-55),
        order: Some(60),
        ..SolverOptions::default()
    };
    run(
        "balanced K=8 T=100 mpfr-256 (tol 1e-55, order 60)",
        &BalancedFlow(8),
        &conv::<MpfrInterval>(&s8, 256),
        100,
        &tuned,
        &mut rows,
    );
    let tuned_coarse = SolverOptions {
        coarse_apriori: true,
        coarse_jacobian: true,
        ..tuned.clone()
    };
    run(
        "balanced K=8 T=100 mpfr-256 coarse (tol 1e-55, order 60)",
        &BalancedFlow(8),
        &conv::<MpfrInterval>(&s8, 256),
        100,
        &tuned_coarse,
        &mut rows,
    );
    if std::env::var("HADACERT_BENCH_FULL").is_ok() {
        run(
            "balanced K=8 T=100 mpfr-256 (defaults)",
            &BalancedFlow(8),
            &conv::<MpfrInterval>(&s8, 256),
            100,
            &default,
            &mut rows,
        );
    }
    let s64 = random_start(64, 64);
    run(
        "balanced K=64 T=10 inari",
        &BalancedFlow(64),
        &conv::<Ival>(&s64, 53),
        10,
        &default,
        &mut rows,
    );
    run(
        "balanced K=64 T=10 mpfr-128",
        &BalancedFlow(64),
        &conv::<MpfrInterval>(&s64, 128),
        10,
        &default,
        &mut rows,
    );
    let s1024 = random_start(1024, 1024);
    let light = SolverOptions::default();
    run(
        "balanced K=1024 T=10 inari (box set, n > 64)",
        &BalancedFlow(1024),
        &conv::<Ival>(&s1024, 53),
        10,
        &light,
        &mut rows,
    );
    let ones: Vec<Rational> = vec![Rational::from(1); 3];
    run(
        "Lorenz (1,1,1) T=10 inari",
        &Lorenz,
        &conv::<Ival>(&ones, 53),
        10,
        &default,
        &mut rows,
    );
    run(
        "Lorenz (1,1,1) T=10 mpfr-128",
        &Lorenz,
        &conv::<MpfrInterval>(&ones, 128),
        10,
        &default,
        &mut rows,
    );
    run(
        "Lorenz (1,1,1) T=10 mpfr-128 coarse",
        &Lorenz,
        &conv::<MpfrInterval>(&ones, 128),
        10,
        &coarse,
        &mut rows,
    );
    let z0 = vec![
        Rational::new(),
        Rational::from((1, 2)),
        Rational::from((-1, 2)),
    ];
    run(
        "CE flow z'=e0-softmax(z) T=10 inari",
        &CrossEntropyFlow(3),
        &conv::<Ival>(&z0, 53),
        10,
        &default,
        &mut rows,
    );
    let tight = SolverOptions {
        order: Some(25),
        tolerance: Some(1e-14),
        ..SolverOptions::default()
    };
    run(
        "CE flow T=10 inari (order 25, tol 1e-14)",
        &CrossEntropyFlow(3),
        &conv::<Ival>(&z0, 53),
        10,
        &tight,
        &mut rows,
    );
    run(
        "Lorenz (1,1,1) T=10 inari (order 25, tol 1e-14)",
        &Lorenz,
        &conv::<Ival>(&ones, 53),
        10,
        &tight,
        &mut rows,
    );
    println!();
    for r in rows {
        println!("{r}");
    }
}
