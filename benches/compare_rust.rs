//! hadacert side of the comparison with Arb (python-flint) and mpmath (issue 7).
//!
//! Run through `bash benches/compare.sh` (which also runs `benches/compare.py` on the same inputs
//! and prints the ratio table), or alone with `cargo bench --bench compare_rust`.
//!
//! Prints one JSON object per line on stdout (human notes go to stderr). Every line has
//! `section`, `backend`, the timings in seconds or ns, widths, and `load1` (the 1-minute load
//! average when the measurement started: another engineer may be using the second core).
//!
//! Inputs (reproduced exactly by `benches/compare.py`):
//! * C1: `lambda_m = n_m / 100`, `n_m = SplitMix64(K).below(301)`, Sylvester `Had_K`; backends
//!   `f64` / `inari` / `mpfr` time the dense path (logits, the K^2 exps of the column softmax,
//!   rotation: what Arb's side computes), `inari-claim` / `mpfr-claim` the C1 claim's own path
//!   end to end (`claim::diagonalise::evaluate`: the exact argument, K exps, `Had S' Had / K` by
//!   transforms, the off-diagonal scan);
//! * vector field: state i (0 <= i < N) is the i-th block of K draws of
//!   `SplitMix64(1_000_000 + K).below(301) / 100`;
//! * C6: `T(1 -> L)` for K in {2, 4, 8, 16, 64, 256, 1024}, L in {2, 5, 10, 20, 50, 100};
//! * integration: balanced K = 8 from (0, 0.1, 0.3, 0.55, 0.8, 1.2, 2, 3) to T = 10 and 100;
//! * WHT: `fwht` on `Vec<f64>` for K = 2^10 .. 2^20, against two streaming-copy probes: 128 MiB
//!   arrays (DRAM) and a copy of the same working set (8K bytes, in cache up to 2^20 here).
//!
//! * elementary functions (section `elem`, not in `compare.py`): ns per call of the inari
//!   backend's `exp` / `exp_m1` / `ln` / `ln_1p` on point intervals (two ends, CORE-MATH in the
//!   directed modes), of inari's own `exp` / `ln` (MPFR ends) and of one CORE-MATH call to
//!   nearest, on 4096 arguments from `SplitMix64(7)`.
//!
//! Environment: `HADACERT_COMPARE_ONLY=c1,field,ei,ode,wht,elem` restricts the sections.

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::claim::schema::SplitMix64;
use hadacert::model::hadamard::HadamardMatrix;
use hadacert::model::logits::{enclose_column_softmax_in_place, enclose_logits, enclose_rotated};
use hadacert::model::wht::fwht;
use hadacert::ode::lohner::{integrate, SolverOptions};
use hadacert::spectral::field::enclose_balanced_field;
use hadacert::spectral::flows::BalancedFlow;
use hadacert::spectral::ncray::enclose_nc_ray_time;
use nalgebra::DMatrix;
use rug::Rational;
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

const BITS: u32 = 128;

fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn emit(mut v: Value) {
    v["load1_end"] = json!(load1());
    println!("{v}");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn wanted(section: &str) -> bool {
    match std::env::var("HADACERT_COMPARE_ONLY") {
        Ok(s) if !s.is_empty() => s.split(',').any(|x| x.trim() == section),
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------------
// C1.

fn c1_lambda(k: usize) -> Vec<Rational> {
    let mut rng = SplitMix64(k as u64);
    (0..k)
        .map(|_| Rational::from((rng.below(301), 100u64)))
        .collect()
}

fn offdiag_width<T: Enclosure>(m: &DMatrix<T>) -> (f64, f64, bool) {
    let k = m.nrows();
    let (mut w, mut g, mut z) = (0.0f64, 0.0f64, true);
    for j in 0..k {
        for i in 0..k {
            if i != j {
                let x = &m[(i, j)];
                w = w.max(x.width_upper());
                g = g.max(x.mag_upper());
                z &= x.contains_zero();
            }
        }
    }
    (w, g, z)
}

fn c1_once<T: Real>(had: &HadamardMatrix, lam: &[T]) -> (f64, DMatrix<T>) {
    let t = Instant::now();
    let mut s = enclose_logits(had, lam);
    enclose_column_softmax_in_place(&mut s);
    let m = enclose_rotated(had, s);
    (t.elapsed().as_secs_f64(), m)
}

fn c1_case<T: Enclosure>(name: &str, k: usize, prec: u32) {
    let load = load1();
    let had = HadamardMatrix::sylvester(k).unwrap();
    let lam: Vec<T> = c1_lambda(k)
        .iter()
        .map(|q| T::from_rational(q, prec))
        .collect();
    let reps = if k <= 256 { 5 } else { 3 };
    let mut times = Vec::new();
    let mut stats = (0.0, 0.0, false);
    for _ in 0..reps {
        let (t, m) = c1_once(&had, &lam);
        times.push(t);
        stats = offdiag_width(&m);
    }
    emit(json!({
        "section": "c1", "backend": name, "k": k, "bits": prec, "reps": reps,
        "time_s": median(times.clone()), "time_min_s": times.iter().cloned().fold(f64::INFINITY, f64::min),
        "max_offdiag_width": stats.0, "max_offdiag_mag": stats.1, "all_offdiag_contain_0": stats.2,
        "threads": rayon::current_num_threads(), "load1": load,
    }));
}

fn c1_claim_case<T: Enclosure>(name: &str, k: usize, prec: u32) {
    let load = load1();
    let (backend, extra, bound) = if T::BACKEND == "mpfr" {
        ("mpfr", format!("precision_bits = {prec}\n"), "1e-30")
    } else {
        ("inari", String::new(), "1e-12")
    };
    let toml = format!(
        "[[claim]]\nid = \"compare-c1-K{k}\"\nkind = \"C1\"\nexpect = \"proved\"\nbackend = \"{backend}\"\n{extra}width_bound = \"{bound}\"\nmatrix = {{ family = \"sylvester\", order = {k} }}\nlambda = {{ kind = \"random\", seed = {k}, max_numerator = 300, denominator = 100, len = {k} }}\n"
    );
    let claim =
        hadacert::claim::registry::parse_claims(&toml, std::path::Path::new("compare.toml"))
            .expect("compare claim parses")
            .remove(0);
    let reps = if k <= 256 { 5 } else { 3 };
    let mut times = Vec::new();
    let mut width = f64::NAN;
    let mut verdict = String::new();
    for _ in 0..reps {
        let t = Instant::now();
        let ev = hadacert::claim::diagonalise::evaluate::<T>(&claim, prec);
        times.push(t.elapsed().as_secs_f64());
        width = ev.max_width;
        verdict = format!("{:?}", ev.verdict);
    }
    emit(json!({
        "section": "c1", "backend": name, "k": k, "bits": prec, "reps": reps,
        "time_s": median(times.clone()), "time_min_s": times.iter().cloned().fold(f64::INFINITY, f64::min),
        "max_offdiag_width": width, "verdict": verdict,
        "threads": rayon::current_num_threads(), "load1": load,
    }));
}

fn c1_f64(k: usize) {
    let load = load1();
    let had = HadamardMatrix::sylvester(k).unwrap();
    let lam: Vec<f64> = c1_lambda(k).iter().map(|q| q.to_f64()).collect();
    let mut times = Vec::new();
    let mut mag = 0.0f64;
    for _ in 0..5 {
        let (t, m) = c1_once(&had, &lam);
        times.push(t);
        mag = (0..k)
            .flat_map(|j| (0..k).map(move |i| (i, j)))
            .filter(|(i, j)| i != j)
            .map(|ij| m[ij].abs())
            .fold(0.0, f64::max);
    }
    emit(json!({
        "section": "c1", "backend": "f64", "k": k, "bits": 53, "reps": 5,
        "time_s": median(times), "max_offdiag_mag": mag,
        "threads": rayon::current_num_threads(), "load1": load,
    }));
}

// ---------------------------------------------------------------------------------------------
// Vector field.

fn field_states(k: usize, n: usize) -> Vec<Vec<u64>> {
    let mut rng = SplitMix64(1_000_000 + k as u64);
    (0..n)
        .map(|_| (0..k).map(|_| rng.below(301)).collect())
        .collect()
}

/// Times `enclose_balanced_field` over `n` states (each once, repeated in rounds until at least
/// `min_s` seconds); returns ns per evaluation, the widest output width (enclosures only) and
/// the sum over states of the component-1 midpoint (a checksum the Python side reproduces).
fn field_case<T: Real>(name: &str, k: usize, n: usize, prec: u32, width: fn(&T) -> f64) {
    let load = load1();
    let states: Vec<Vec<T>> = field_states(k, n)
        .iter()
        .map(|s| {
            s.iter()
                .map(|&x| T::from_rational(&Rational::from((x, 100u64)), prec))
                .collect()
        })
        .collect();
    // One checked round.
    let mut w = 0.0f64;
    let mut checksum = 0.0f64;
    for s in &states {
        let out = enclose_balanced_field(s);
        w = out.iter().map(width).fold(w, f64::max);
        checksum += out[1].approx_f64();
    }
    let min_s = 0.3;
    let mut rounds = 0usize;
    let t = Instant::now();
    loop {
        for s in &states {
            black_box(enclose_balanced_field(black_box(s)));
        }
        rounds += 1;
        if t.elapsed().as_secs_f64() >= min_s {
            break;
        }
    }
    let total = t.elapsed().as_secs_f64();
    emit(json!({
        "section": "field", "backend": name, "k": k, "bits": prec, "states": n, "rounds": rounds,
        "ns_per_eval": total * 1e9 / (rounds * n) as f64, "max_width": w, "checksum_out1": checksum,
        "threads": 1, "load1": load,
    }));
}

// ---------------------------------------------------------------------------------------------
// C6: Ei and the slowdown table.

const C6_KS: [usize; 7] = [2, 4, 8, 16, 64, 256, 1024];
const C6_LS: [i64; 6] = [2, 5, 10, 20, 50, 100];

fn ei_table() {
    let load = load1();
    let l0 = MpfrInterval::from_rational(&Rational::from(1), BITS);
    let ls: Vec<MpfrInterval> = C6_LS
        .iter()
        .map(|&l| MpfrInterval::from_rational(&Rational::from(l), BITS))
        .collect();
    let table = || -> Vec<MpfrInterval> {
        C6_KS
            .iter()
            .flat_map(|&k| ls.iter().map(move |l| (k, l)))
            .map(|(k, l)| enclose_nc_ray_time(&l0, l, k))
            .collect()
    };
    let first = table();
    let mut rounds = 0usize;
    let t = Instant::now();
    while rounds < 20 || t.elapsed().as_secs_f64() < 0.3 {
        black_box(table());
        rounds += 1;
    }
    let per_table = t.elapsed().as_secs_f64() / rounds as f64;
    let widths: Vec<f64> = first.iter().map(|x| x.width_upper()).collect();
    let rel: Vec<f64> = first
        .iter()
        .map(|x| x.width_upper() / x.approx_f64().abs())
        .collect();
    let mids: Vec<String> = first
        .iter()
        .map(|x| {
            let (lo, hi) = x.to_decimal_bounds(45);
            format!("{lo}|{hi}")
        })
        .collect();
    // Ei alone, on the 6 + 1 arguments.
    let mut r2 = 0usize;
    let t2 = Instant::now();
    while r2 < 50 || t2.elapsed().as_secs_f64() < 0.2 {
        for l in &ls {
            black_box(l.ei());
        }
        black_box(l0.ei());
        r2 += 1;
    }
    let ei_ns = t2.elapsed().as_secs_f64() * 1e9 / (r2 * 7) as f64;
    emit(json!({
        "section": "ei", "backend": "mpfr", "bits": BITS, "entries": first.len(),
        "time_per_table_s": per_table, "ns_per_ei": ei_ns,
        "max_width": widths.iter().cloned().fold(0.0, f64::max),
        "max_rel_width": rel.iter().cloned().fold(0.0, f64::max),
        "widths": widths, "bounds": mids, "ks": C6_KS, "ls": C6_LS, "load1": load,
    }));
}

// ---------------------------------------------------------------------------------------------
// Integration.

fn ode_case<T: Enclosure>(name: &str, prec: u32, horizon: i64) {
    let load = load1();
    let start: Vec<T> = [0, 10, 30, 55, 80, 120, 200, 300]
        .iter()
        .map(|&n| T::from_rational(&Rational::from((n, 100)), prec))
        .collect();
    let t = Instant::now();
    let r = integrate(
        &BalancedFlow(8),
        &start,
        &Rational::from(horizon),
        &SolverOptions::default(),
    );
    let secs = t.elapsed().as_secs_f64();
    match r {
        Ok(tr) => {
            let end = tr.end();
            let bounds: Vec<String> = end
                .iter()
                .map(|x| {
                    let (lo, hi) = x.to_decimal_bounds(45);
                    format!("{lo}|{hi}")
                })
                .collect();
            emit(json!({
                "section": "ode", "backend": name, "bits": prec, "horizon": horizon,
                "time_s": secs, "steps": tr.steps.len(), "order": tr.order,
                "max_width": end.iter().map(|x| x.width_upper()).fold(0.0, f64::max),
                "end_bounds": bounds, "load1": load,
            }));
        }
        Err(e) => emit(json!({
            "section": "ode", "backend": name, "bits": prec, "horizon": horizon,
            "time_s": secs, "error": e.to_string(), "load1": load,
        })),
    }
}

// ---------------------------------------------------------------------------------------------
// WHT against the bandwidth floor.

/// Streaming bandwidth estimates (GB/s, 1e9 bytes): `copy` (read 8N + write 8N),
/// `add` (c = a + b: read 16N + write 8N), on 2^24 doubles (128 MiB per array), best of 5.
fn bandwidth() -> (f64, f64) {
    let n = 1usize << 24;
    let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let b: Vec<f64> = (0..n).map(|i| (i as f64) * 0.5).collect();
    let mut c = vec![0.0f64; n];
    let mut copy = 0.0f64;
    let mut add = 0.0f64;
    for _ in 0..5 {
        let t = Instant::now();
        c.copy_from_slice(black_box(&a));
        black_box(&mut c);
        copy = copy.max(16.0 * n as f64 / t.elapsed().as_secs_f64() / 1e9);
        let t = Instant::now();
        for ((ci, ai), bi) in c.iter_mut().zip(black_box(&a)).zip(black_box(&b)) {
            *ci = ai + bi;
        }
        black_box(&mut c);
        add = add.max(24.0 * n as f64 / t.elapsed().as_secs_f64() / 1e9);
    }
    (copy, add)
}

fn wht_section() {
    let load = load1();
    let (copy, add) = bandwidth();
    emit(
        json!({"section": "bandwidth", "copy_gbs": copy, "add_gbs": add, "array_bytes": 8u64 << 24, "load1": load}),
    );
    for e in 10..=20u32 {
        let k = 1usize << e;
        // Zeros: the transform grows a vector by sqrt(K) per application, so repeated transforms
        // of anything else overflow; additions of zeros cost the same as any other (no denormals).
        let mut x: Vec<f64> = vec![0.0; k];
        let mut times = Vec::new();
        let target_reps = ((1usize << 24) / k).clamp(5, 4096);
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..target_reps {
                fwht(black_box(&mut x));
            }
            times.push(t.elapsed().as_secs_f64() / target_reps as f64);
        }
        let t = times.iter().cloned().fold(f64::INFINITY, f64::min);
        // Streaming copy of the same working set (8K bytes read + 8K written = one pass's traffic).
        let src: Vec<f64> = vec![1.0; k];
        let mut dst: Vec<f64> = vec![0.0; k];
        let mut copy_same = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..target_reps {
                dst.copy_from_slice(black_box(&src));
                black_box(&mut dst);
            }
            copy_same = copy_same.min(t.elapsed().as_secs_f64() / target_reps as f64);
        }
        let passes = e as f64;
        let bytes = 16.0 * k as f64 * passes;
        let floor_s = bytes / (copy * 1e9);
        emit(json!({
            "section": "wht", "k": k, "log2k": e, "time_s": t, "ns_per_add": t * 1e9 / (k as f64 * passes),
            "achieved_gbs_per_pass": bytes / t / 1e9, "floor_s_at_copy_bw": floor_s,
            "ratio_to_floor": t / floor_s, "working_set_bytes": 8 * k, "load1": load,
            "copy_same_set_gbs": 16.0 * k as f64 / copy_same / 1e9,
            "ratio_to_same_set_copy_floor": t / (passes * copy_same),
        }));
    }
}

fn main() {
    eprintln!(
        "compare_rust: rayon threads {}, profile {}",
        rayon::current_num_threads(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimised"
        }
    );
    emit(
        json!({"section": "meta", "rayon_threads": rayon::current_num_threads(), "load1": load1(),
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get())}),
    );
    if wanted("c1") {
        for k in [64usize, 256, 1024] {
            eprintln!("c1 K = {k}");
            c1_f64(k);
            c1_case::<Ival>("inari", k, 53);
            c1_case::<MpfrInterval>("mpfr", k, BITS);
            c1_claim_case::<Ival>("inari-claim", k, 53);
            c1_claim_case::<MpfrInterval>("mpfr-claim", k, BITS);
        }
    }
    if wanted("field") {
        for k in [16usize, 256] {
            eprintln!("field K = {k}");
            field_case::<f64>("f64", k, 10_000, 53, |_| 0.0);
            field_case::<Ival>("inari", k, 10_000, 53, |x| x.width_upper());
            let n = if k <= 16 { 10_000 } else { 2_000 };
            field_case::<MpfrInterval>("mpfr", k, n, BITS, |x| x.width_upper());
        }
    }
    if wanted("ei") {
        eprintln!("ei");
        ei_table();
    }
    if wanted("ode") {
        for h in [10i64, 100] {
            eprintln!("ode T = {h}");
            ode_case::<Ival>("inari", 53, h);
            ode_case::<MpfrInterval>("mpfr", BITS, h);
        }
    }
    if wanted("wht") {
        eprintln!("wht");
        wht_section();
    }
    if wanted("elem") {
        eprintln!("elem");
        elem_section();
    }
}

/// Median ns per call of `f` over `xs` (11 rounds).
fn ns_per_call(xs: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let rounds: Vec<f64> = (0..11)
        .map(|_| {
            let t = Instant::now();
            let mut acc = 0.0;
            for &x in xs {
                acc += f(black_box(x));
            }
            black_box(acc);
            t.elapsed().as_secs_f64() * 1e9 / xs.len() as f64
        })
        .collect();
    median(rounds)
}

fn elem_section() {
    let mut rng = SplitMix64(7);
    let unit: Vec<f64> = (0..4096)
        .map(|_| rng.below(1 << 30) as f64 / (1u64 << 30) as f64)
        .collect();
    let exp_args: Vec<f64> = unit.iter().map(|u| -20.0 + 40.0 * u).collect();
    let ln_args: Vec<f64> = unit.iter().map(|u| 1e-3 + 100.0 * u).collect();
    let load = load1();
    let point = |x: f64| Ival::new(x, x);
    let rows: Vec<(&str, &str, f64)> = vec![
        (
            "exp",
            "hadacert inari (directed CORE-MATH, 2 ends)",
            ns_per_call(&exp_args, |x| point(x).exp().upper_f64()),
        ),
        (
            "exp_m1",
            "hadacert inari (directed CORE-MATH, 2 ends)",
            ns_per_call(&exp_args, |x| point(x).exp_m1().upper_f64()),
        ),
        (
            "ln",
            "hadacert inari (directed CORE-MATH, 2 ends)",
            ns_per_call(&ln_args, |x| point(x).ln().upper_f64()),
        ),
        (
            "ln_1p",
            "hadacert inari (directed CORE-MATH, 2 ends)",
            ns_per_call(&ln_args, |x| point(x).ln_1p().upper_f64()),
        ),
        (
            "exp",
            "inari's own (MPFR, 2 ends)",
            ns_per_call(&exp_args, |x| {
                inari::Interval::try_from((x, x)).unwrap().exp().sup()
            }),
        ),
        (
            "ln",
            "inari's own (MPFR, 2 ends)",
            ns_per_call(&ln_args, |x| {
                inari::Interval::try_from((x, x)).unwrap().ln().sup()
            }),
        ),
        (
            "exp",
            "CORE-MATH to nearest (1 call)",
            ns_per_call(&exp_args, core_math::exp),
        ),
        (
            "ln",
            "CORE-MATH to nearest (1 call)",
            ns_per_call(&ln_args, core_math::log),
        ),
        ("exp", "std f64 (1 call)", ns_per_call(&exp_args, f64::exp)),
    ];
    for (f, route, ns) in rows {
        emit(
            json!({"section": "elem", "function": f, "route": route, "ns_per_call": ns, "load1": load}),
        );
    }
}
