//! Benchmark of the C1 computation (docs/math.md section 3): logits `Z = Had diag(lambda) Had / K`,
//! column softmax `S`, rotation `Had S Had / K`, all through Walsh-Hadamard transforms
//! (O(K^2 log K)), on the f64, inari and MPFR-interval backends.
//!
//! Run with `cargo bench --bench c1_diagonalisation` (plain `fn main`, no criterion).
//!
//! What is measured per configuration:
//! * `logits`   = `enclose_logits(&had, &lambda)`;
//! * `softmax`  = `enclose_column_softmax_in_place(&mut z)` (S in Z's storage, as in `claim::diagonalise`);
//! * `rotation` = `enclose_rotated(&had, s)`;
//! * `total`    = the sum of the three; the off-diagonal scan (widths, |.|, contains 0) is timed
//!   separately (`scan`) and is not part of `total`.
//! Cases with K <= 1024 are repeated 3 times (per-stage medians, and the median of the totals);
//! larger ones run once. `lambda_m = n_m / 100`, `n_m = SplitMix64(K).below(301)`, as in the
//! shipped claims (`proofs-data/c1/sylvester.toml`).
//!
//! Extra sections: a dense O(K^3) alternative (nalgebra products of the dense Hadamard matrix)
//! at K = 256 on inari, and "hot-spot probes" on the MPFR backend that time the individual
//! ingredients of the model code (WHT butterflies, transposes, clones, divisions, scaling) against
//! allocation-free equivalents written directly on `rug::Float`, to locate where the time goes.
//!
//! Environment knobs: `HADACERT_BENCH_MPFR4096=force|skip` overrides the automatic decision for the
//! K = 4096 MPFR run (default: run it only if the CPU-time and peak-RSS estimates extrapolated from
//! K = 1024 fit the budgets below);
//! `HADACERT_BENCH_NO_PROBES=1` skips the probes; `HADACERT_BENCH_LOGITS_STEPS=K` runs only a
//! step-by-step timing of `enclose_logits` on MPFR at order K (and nothing else).

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::claim::schema::SplitMix64;
use hadacert::model::hadamard::HadamardMatrix;
use hadacert::model::logits::{
    div_by_order, enclose_column_softmax, enclose_column_softmax_in_place, enclose_logits,
    enclose_rotated,
};
use hadacert::model::wht::fwht;
use nalgebra::DMatrix;
use rayon::prelude::*;
use rug::float::Round;
use rug::ops::{AddAssignRound, DivAssignRound, SubFromRound};
use rug::{Assign, Float, Rational};
use std::cmp::Ordering;
use std::time::{Duration, Instant};

/// Wall-clock budget for the single K = 4096 MPFR run (estimated from K = 1024).
const MPFR4096_TIME_BUDGET_S: f64 = 180.0;
/// Peak-RSS budget for the K = 4096 MPFR run.
const MPFR4096_MEM_BUDGET_GIB: f64 = 12.0;
const MPFR_BITS: u32 = 128;
const GIB: f64 = (1u64 << 30) as f64;

// ---------------------------------------------------------------------------------------------
// Process memory helpers (Linux /proc).

/// Reset the peak-RSS counter (VmHWM) of this process (Linux >= 4.0). Returns false if refused.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn peak_rss_gib() -> f64 {
    proc_status_kib("VmHWM:").map_or(f64::NAN, |k| k as f64 * 1024.0 / GIB)
}

fn rss_gib() -> f64 {
    proc_status_kib("VmRSS:").map_or(f64::NAN, |k| k as f64 * 1024.0 / GIB)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn malloc_trim(pad: usize) -> i32;
    fn clock_gettime(clk_id: i32, tp: *mut Timespec) -> i32;
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// Give freed heap back to the OS (glibc), so that RSS before a run is not inflated by the
/// previous configuration's freed-but-retained matrices.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        malloc_trim(0);
    }
}

/// CPU time (user + system, all threads) of this process, in seconds
/// (`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`).
fn process_cpu_s() -> f64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut ts = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // CLOCK_PROCESS_CPUTIME_ID = 2 on Linux.
        if unsafe { clock_gettime(2, &mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    f64::NAN
}

/// 1-minute load average (other processes on the machine disturb the timings).
fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn meminfo_gib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(f64::NAN, |k| k as f64 * 1024.0 / GIB)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/// `lambda_m = n_m / 100`, `n_m = SplitMix64(K).below(301)`: the shipped C1 claims.
fn lambda_rationals(k: usize) -> Vec<Rational> {
    let mut rng = SplitMix64(k as u64);
    (0..k)
        .map(|_| Rational::from((rng.below(301), 100u64)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Off-diagonal scan.

#[derive(Clone, Copy, Debug)]
struct OffDiag {
    /// Largest `width_upper` over i != j (None for f64: no enclosure).
    max_width: Option<f64>,
    /// Largest `mag_upper` over i != j (for f64: the largest |m_ij|, approx).
    max_mag: f64,
    /// Every off-diagonal enclosure contains 0 (None for f64).
    all_contain_zero: Option<bool>,
    /// Every off-diagonal enclosure is finite (None for f64).
    all_finite: Option<bool>,
}

fn scan_enclosure<T: Enclosure>(m: &DMatrix<T>) -> OffDiag {
    let k = m.nrows();
    let (w, g, z, f) = m
        .as_slice()
        .par_chunks(k)
        .enumerate()
        .map(|(j, col)| {
            let mut acc = (0.0f64, 0.0f64, true, true);
            for (i, x) in col.iter().enumerate() {
                if i == j {
                    continue;
                }
                acc.3 &= x.is_finite();
                acc.0 = acc.0.max(x.width_upper());
                acc.1 = acc.1.max(x.mag_upper());
                acc.2 &= x.contains_zero();
            }
            acc
        })
        .reduce(
            || (0.0, 0.0, true, true),
            |a, b| (a.0.max(b.0), a.1.max(b.1), a.2 && b.2, a.3 && b.3),
        );
    OffDiag {
        max_width: Some(w),
        max_mag: g,
        all_contain_zero: Some(z),
        all_finite: Some(f),
    }
}

fn scan_f64(m: &DMatrix<f64>) -> OffDiag {
    let k = m.nrows();
    let g = m
        .as_slice()
        .par_chunks(k)
        .enumerate()
        .map(|(j, col)| {
            col.iter()
                .enumerate()
                .filter(|&(i, _)| i != j)
                .fold(0.0f64, |a, (_, x)| a.max(x.abs()))
        })
        .reduce(|| 0.0, f64::max);
    OffDiag {
        max_width: None,
        max_mag: g,
        all_contain_zero: None,
        all_finite: None,
    }
}

// ---------------------------------------------------------------------------------------------
// One run of the C1 pipeline.

#[derive(Clone, Copy, Debug)]
struct Sample {
    logits: f64,
    softmax: f64,
    rotation: f64,
    scan: f64,
    drop_result: f64,
    stats: OffDiag,
    rss_before_gib: f64,
    peak_rss_gib: f64,
    /// Process CPU time during logits + softmax + rotation, divided by their wall time.
    cpu_per_wall: f64,
    /// Process CPU time during logits + softmax + rotation (s).
    cpu_s: f64,
    /// Process CPU time of each stage (s).
    stage_cpu: [f64; 3],
}

impl Sample {
    fn total(&self) -> f64 {
        self.logits + self.softmax + self.rotation
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn run_c1<T: Real>(
    had: &HadamardMatrix,
    lambda: &[Rational],
    prec: u32,
    scan: fn(&DMatrix<T>) -> OffDiag,
) -> Sample {
    let lam: Vec<T> = lambda.iter().map(|q| T::from_rational(q, prec)).collect();
    trim_heap();
    let rss_before = rss_gib();
    let rss_reset = reset_peak_rss();

    let c0 = process_cpu_s();
    let t0 = Instant::now();
    let mut s = enclose_logits(had, &lam);
    let t1 = Instant::now();
    let c1 = process_cpu_s();
    enclose_column_softmax_in_place(&mut s);
    let t2 = Instant::now();
    let c2 = process_cpu_s();
    let m = enclose_rotated(had, s);
    let t3 = Instant::now();
    let c3 = process_cpu_s();
    let stats = scan(&m);
    let t4 = Instant::now();
    let peak = if rss_reset { peak_rss_gib() } else { f64::NAN };
    drop(m);
    let t5 = Instant::now();
    Sample {
        logits: secs(t1 - t0),
        softmax: secs(t2 - t1),
        rotation: secs(t3 - t2),
        scan: secs(t4 - t3),
        drop_result: secs(t5 - t4),
        stats,
        rss_before_gib: rss_before,
        peak_rss_gib: peak,
        cpu_per_wall: (c3 - c0) / secs(t3 - t0),
        cpu_s: c3 - c0,
        stage_cpu: [c1 - c0, c2 - c1, c3 - c2],
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    v[v.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// Results table.

struct Row {
    k: usize,
    backend: &'static str,
    bits: u32,
    reps: usize,
    logits: f64,
    softmax: f64,
    rotation: f64,
    total: f64,
    scan: f64,
    cpu_per_wall: f64,
    cpu_s: f64,
    rss_before_gib: f64,
    peak_rss_gib: f64,
    load1: f64,
    stats: Option<OffDiag>,
    note: String,
}

fn fmt_opt_e(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| format!("{v:.3e}"))
}

fn fmt_opt_b(x: Option<bool>) -> String {
    x.map_or("n/a".into(), |v| if v { "yes".into() } else { "NO".into() })
}

fn print_table(rows: &[Row], threads: usize) {
    println!();
    println!("## C1 timing table (rayon threads = {threads}; times in seconds; median of reps)");
    println!();
    println!("cpu s = process CPU seconds over the three stages; cpu/wall = that / total (2.0 = both cores busy; lower = serial sections or other jobs); peak RSS = peak during the run (RSS before the run in parentheses); load1 = 1-minute load average when the configuration started (other jobs on the machine).");
    println!();
    println!(
        "| K | backend | bits | reps | logits | softmax | rotation | total | scan | cpu s | cpu/wall | peak RSS GiB (before) | load1 | max off-diag width | max off-diag abs | all off-diag contain 0 | note |"
    );
    println!(
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---|"
    );
    for r in rows {
        if let Some(st) = r.stats {
            println!(
                "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} | {} | {:.1} | {} | {:.3e} | {} | {} |",
                r.k,
                r.backend,
                r.bits,
                r.reps,
                r.logits,
                r.softmax,
                r.rotation,
                r.total,
                r.scan,
                r.cpu_s,
                r.cpu_per_wall,
                if r.peak_rss_gib.is_nan() { "-".to_string() } else { format!("{:.2} ({:.2})", r.peak_rss_gib, r.rss_before_gib) },
                r.load1,
                fmt_opt_e(st.max_width),
                st.max_mag,
                fmt_opt_b(st.all_contain_zero),
                r.note
            );
        } else {
            println!(
                "| {} | {} | {} | 0 | - | - | - | - | - | - | - | - | {:.1} | - | - | - | {} |",
                r.k, r.backend, r.bits, r.load1, r.note
            );
        }
    }
    println!();
}

fn bench_config<T: Real>(
    backend: &'static str,
    k: usize,
    prec: u32,
    scan: fn(&DMatrix<T>) -> OffDiag,
    note: &str,
) -> Row {
    let had = HadamardMatrix::sylvester(k).expect("power of two");
    let lambda = lambda_rationals(k);
    let reps = if k <= 1024 { 3 } else { 1 };
    let load = load1();
    println!("--- K = {k}, backend = {backend}, bits = {prec}, reps = {reps} (load1 {load:.2})");
    let mut samples = Vec::with_capacity(reps);
    for r in 0..reps {
        let s = run_c1::<T>(&had, &lambda, prec, scan);
        println!(
            "    rep {}: logits {:.3} s, softmax {:.3} s, rotation {:.3} s, total {:.3} s (cpu {:.3} + {:.3} + {:.3} = {:.3} s, cpu/wall {:.2}) | scan {:.3} s, drop(result) {:.3} s | RSS before {:.2} GiB, peak {:.2} GiB",
            r + 1,
            s.logits,
            s.softmax,
            s.rotation,
            s.total(),
            s.stage_cpu[0],
            s.stage_cpu[1],
            s.stage_cpu[2],
            s.cpu_s,
            s.cpu_per_wall,
            s.scan,
            s.drop_result,
            s.rss_before_gib,
            s.peak_rss_gib
        );
        samples.push(s);
    }
    let med = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
    let row = Row {
        k,
        backend,
        bits: prec,
        reps,
        logits: med(|s| s.logits),
        softmax: med(|s| s.softmax),
        rotation: med(|s| s.rotation),
        total: med(|s| s.total()),
        scan: med(|s| s.scan),
        cpu_per_wall: med(|s| s.cpu_per_wall),
        cpu_s: med(|s| s.cpu_s),
        rss_before_gib: samples
            .iter()
            .map(|s| s.rss_before_gib)
            .fold(f64::NAN, f64::max),
        peak_rss_gib: samples
            .iter()
            .map(|s| s.peak_rss_gib)
            .fold(f64::NAN, f64::max),
        load1: load,
        stats: Some(samples[0].stats),
        note: note.to_string(),
    };
    // Enclosure results are deterministic: check the repetitions agree.
    for s in &samples[1..] {
        assert_eq!(
            format!("{:?}", s.stats),
            format!("{:?}", samples[0].stats),
            "repetitions disagree"
        );
    }
    let st = samples[0].stats;
    println!(
        "    median: logits {:.3} s, softmax {:.3} s, rotation {:.3} s, total {:.3} s; max off-diag width {}, max off-diag |.| {:.3e}, all off-diag contain 0: {}, all finite: {}",
        row.logits,
        row.softmax,
        row.rotation,
        row.total,
        fmt_opt_e(st.max_width),
        st.max_mag,
        fmt_opt_b(st.all_contain_zero),
        fmt_opt_b(st.all_finite)
    );
    row
}

// ---------------------------------------------------------------------------------------------
// Dense O(K^3) alternative (inari).

fn dense_alternative_inari(k: usize) -> (Row, String) {
    println!("--- dense O(K^3) alternative: K = {k}, inari (nalgebra DMatrix<Ival> products, single-threaded)");
    let had = HadamardMatrix::sylvester(k).unwrap();
    let lambda = lambda_rationals(k);
    let lam: Vec<Ival> = lambda.iter().map(|q| Ival::from_rational(q, 53)).collect();
    let reps = 3;
    let load = load1();
    let mut samples = Vec::new();
    let mut agree = String::new();
    for r in 0..reps {
        let c0 = process_cpu_s();
        let t0 = Instant::now();
        let hm: DMatrix<Ival> =
            DMatrix::from_fn(k, k, |i, j| Ival::from_f64(had.get(i, j) as f64, 53));
        let d = DMatrix::from_fn(
            k,
            k,
            |i, j| if i == j { lam[i] } else { Ival::new(0.0, 0.0) },
        );
        let z = (&hm * d * hm.transpose()).map(|x| div_by_order(x, k));
        let t1 = Instant::now();
        let s = enclose_column_softmax(&z);
        let t2 = Instant::now();
        let m = (hm.transpose() * &s * &hm).map(|x| div_by_order(x, k));
        let t3 = Instant::now();
        let c3 = process_cpu_s();
        let stats = scan_enclosure(&m);
        let t4 = Instant::now();
        if r == 0 {
            // Consistency with the WHT path: both enclose the same exact matrix, so every pair of
            // entries must intersect.
            let zw = enclose_logits(&had, &lam);
            let mw = enclose_rotated(&had, enclose_column_softmax(&zw));
            let disjoint = m
                .iter()
                .zip(mw.iter())
                .filter(|(a, b)| a.intersect(b).is_none())
                .count();
            let wd = stats.max_width.unwrap();
            let ww = scan_enclosure(&mw).max_width.unwrap();
            agree = format!(
                "dense vs WHT: {disjoint} of {} entry pairs disjoint (must be 0); max off-diag width dense {wd:.3e} vs WHT {ww:.3e}",
                k * k
            );
            println!("    {agree}");
        }
        let s = Sample {
            logits: secs(t1 - t0),
            softmax: secs(t2 - t1),
            rotation: secs(t3 - t2),
            scan: secs(t4 - t3),
            drop_result: 0.0,
            stats,
            rss_before_gib: f64::NAN,
            peak_rss_gib: f64::NAN,
            cpu_per_wall: (c3 - c0) / secs(t3 - t0),
            cpu_s: c3 - c0,
            stage_cpu: [f64::NAN; 3],
        };
        println!(
            "    rep {}: logits {:.3} s, softmax {:.3} s, rotation {:.3} s, total {:.3} s",
            r + 1,
            s.logits,
            s.softmax,
            s.rotation,
            s.total()
        );
        samples.push(s);
    }
    let med = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
    (
        Row {
            k,
            backend: "inari-dense",
            bits: 53,
            reps,
            logits: med(|s| s.logits),
            softmax: med(|s| s.softmax),
            rotation: med(|s| s.rotation),
            total: med(|s| s.total()),
            scan: med(|s| s.scan),
            cpu_per_wall: med(|s| s.cpu_per_wall),
            cpu_s: med(|s| s.cpu_s),
            rss_before_gib: f64::NAN,
            peak_rss_gib: f64::NAN,
            load1: load,
            stats: Some(samples[0].stats),
            note: "dense H D H^T and H^T S H (nalgebra, 1 thread)".into(),
        },
        agree,
    )
}

// ---------------------------------------------------------------------------------------------
// Hot-spot probes on the MPFR backend: crate code vs allocation-free rug code doing the same
// directed-rounding arithmetic.

type Raw = (Float, Float);

fn to_raw(x: &MpfrInterval) -> Raw {
    (x.lo().clone(), x.hi().clone())
}

#[inline]
fn fix_down(x: &mut Float, dir: Ordering) {
    if dir == Ordering::Greater {
        x.next_down();
    }
}

#[inline]
fn fix_up(x: &mut Float, dir: Ordering) {
    if dir == Ordering::Less {
        x.next_up();
    }
}

/// In-place, allocation-free WHT butterfly on raw interval pairs: (a, b) <- (a + b, a - b),
/// with the same directed rounding (and ternary check) as the crate's `MpfrInterval`.
fn fwht_raw(x: &mut [Raw], scratch: &mut Raw) {
    let n = x.len();
    let mut h = 1;
    while h < n {
        for block in x.chunks_mut(2 * h) {
            let (left, right) = block.split_at_mut(h);
            for (a, b) in left.iter_mut().zip(right.iter_mut()) {
                scratch.0.assign(&a.0);
                scratch.1.assign(&a.1);
                let d = a.0.add_assign_round(&b.0, Round::Down);
                fix_down(&mut a.0, d);
                let d = a.1.add_assign_round(&b.1, Round::Up);
                fix_up(&mut a.1, d);
                // new b.lo = a.lo - b.hi (down), new b.hi = a.hi - b.lo (up)
                let d = b.1.sub_from_round(&scratch.0, Round::Down);
                fix_down(&mut b.1, d);
                let d = b.0.sub_from_round(&scratch.1, Round::Up);
                fix_up(&mut b.0, d);
                std::mem::swap(&mut b.0, &mut b.1);
            }
        }
        h *= 2;
    }
}

/// Wall and process-CPU time of one probe.
#[derive(Clone, Copy)]
struct Tm {
    wall: f64,
    cpu: f64,
}

impl std::fmt::Display for Tm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} s (cpu {:.3} s)", self.wall, self.cpu)
    }
}

/// Run `f`, returning its result with the wall and process-CPU time it took. Probes print both:
/// other jobs on the machine stretch wall times, CPU time is closer to the work done.
fn time<R>(f: impl FnOnce() -> R) -> (R, Tm) {
    let c = process_cpu_s();
    let t = Instant::now();
    let r = f();
    let wall = t.elapsed().as_secs_f64();
    (
        r,
        Tm {
            wall,
            cpu: process_cpu_s() - c,
        },
    )
}

fn probes_mpfr(k: usize) {
    println!();
    println!("## Hot-spot probes: MPFR {MPFR_BITS} bits, K = {k} (one pass over a K x K matrix each; \"rayon\" = over columns as in the crate, \"1 thread\" = as the crate does it)");
    let prec = MPFR_BITS;
    let had = HadamardMatrix::sylvester(k).unwrap();
    let lambda = lambda_rationals(k);
    let lam: Vec<MpfrInterval> = lambda
        .iter()
        .map(|q| MpfrInterval::from_rational(q, prec))
        .collect();
    let z = enclose_logits(&had, &lam);

    // (1) WHT of every column: crate fwht vs in-place raw butterflies.
    let mut a = z.clone();
    let (_, t_fwht) = time(|| a.as_mut_slice().par_chunks_mut(k).for_each(|c| fwht(c)));
    let mut raw: Vec<Raw> = z.iter().map(to_raw).collect();
    let (_, t_fwht_raw) = time(|| {
        raw.par_chunks_mut(k).for_each_init(
            || (Float::new(prec), Float::new(prec)),
            |s, c| fwht_raw(c, s),
        )
    });
    let same = a
        .iter()
        .zip(raw.iter())
        .all(|(x, r)| x.lo() == &r.0 && x.hi() == &r.1);
    println!(
        "  [wht]   fwht on all K columns (rayon): crate {t_fwht}; allocation-free in-place butterfly on rug::Float {t_fwht_raw}: x{:.1} less CPU; identical endpoints: {same}",
        t_fwht.cpu / t_fwht_raw.cpu
    );
    drop(raw);

    // (2) Transposes: clone-based `transpose()` (2 in enclose_logits, 2 in enclose_rotated) vs
    // swap-based `transpose_mut()`.
    let (t_mat, t_tr) = time(|| a.transpose());
    drop(t_mat);
    let (_, t_trm) = time(|| a.transpose_mut());
    println!("  [tr]    transpose() (1 thread, clones K^2 intervals = 2 K^2 Float allocations): {t_tr}; transpose_mut() (swaps): {t_trm}");
    let (_, t_drop) = time(|| drop(a));
    let (pc, t_from_fn) = time(|| DMatrix::from_fn(k, k, |i, j| z[(i, j)].clone()));
    drop(pc);
    let (c, t_clone) = time(|| z.clone());
    drop(c);
    println!("  [copy]  drop of a K x K matrix (1 thread): {t_drop}; DMatrix::from_fn permutation copy (1 thread): {t_from_fn}; clone(): {t_clone}");

    // (3) The 1/K scaling `map(div_by_order)`.
    let (c, t_map) = time(|| z.map(|x| div_by_order(x, k)));
    let mut raw: Vec<Raw> = z.iter().map(to_raw).collect();
    let sh = -(k.trailing_zeros() as i32);
    let (_, t_map_raw) = time(|| {
        raw.par_iter_mut().for_each(|(lo, hi)| {
            *lo <<= sh;
            *hi <<= sh;
        })
    });
    let same = c
        .iter()
        .zip(raw.iter())
        .all(|(x, r)| x.lo() == &r.0 && x.hi() == &r.1);
    drop(c);
    drop(raw);
    println!("  [scale] z.map(div_by_order) (1 thread, new matrix): {t_map}; in-place exponent shift (rayon): {t_map_raw}; identical: {same}");

    // (4) Softmax ingredients.
    let (s, t_soft) = time(|| enclose_column_softmax(&z));
    drop(s);
    let (e, t_exp) = time(|| {
        let mut e = z.clone();
        e.as_mut_slice().par_chunks_mut(k).for_each(|col| {
            let c = col
                .iter()
                .map(|x| x.approx_f64())
                .fold(f64::NEG_INFINITY, f64::max);
            let shift = MpfrInterval::from_f64(c, prec);
            for x in col.iter_mut() {
                *x = (x.clone() - &shift).exp();
            }
        });
        e
    });
    let totals: Vec<MpfrInterval> = e
        .as_slice()
        .chunks(k)
        .map(|col| {
            let mut t = col[0].clone();
            for x in &col[1..] {
                t += x;
            }
            t
        })
        .collect();
    let (_, t_div) = time(|| {
        let mut q = e.clone();
        q.as_mut_slice()
            .par_chunks_mut(k)
            .enumerate()
            .for_each(|(j, col)| {
                for x in col.iter_mut() {
                    *x = x.clone() / &totals[j];
                }
            });
        q
    });
    let mut raw: Vec<Raw> = e.iter().map(to_raw).collect();
    let raw_tot: Vec<Raw> = totals.iter().map(to_raw).collect();
    assert!(raw.iter().all(|r| r.0.is_sign_positive()));
    assert!(raw_tot
        .iter()
        .all(|r| r.0.is_sign_positive() && !r.0.is_zero()));
    let (_, t_div_raw) = time(|| {
        raw.par_chunks_mut(k).enumerate().for_each(|(j, col)| {
            let (tlo, thi) = &raw_tot[j];
            for (lo, hi) in col.iter_mut() {
                // positive / positive: [lo / thi, hi / tlo], 2 divisions, no allocation.
                let d = lo.div_assign_round(thi, Round::Down);
                fix_down(lo, d);
                let d = hi.div_assign_round(tlo, Round::Up);
                fix_up(hi, d);
            }
        })
    });
    println!("  [soft]  enclose_column_softmax (rayon): {t_soft}");
    println!("  [soft]    clone + shift + exp(x - shift) per entry (rayon, 2 MPFR exp per entry): {t_exp}");
    println!("  [soft]    clone + x / total per entry (rayon, crate Div: 4 end pairs x 2 roundings = 8 MPFR divisions + 8 Float allocations): {t_div}");
    println!("  [soft]    in-place positive/positive division on rug::Float (rayon, 2 divisions, no allocation): {t_div_raw}");
}

fn probes_inari(k: usize) {
    println!();
    println!("## Hot-spot probes: inari, K = {k}");
    let had = HadamardMatrix::sylvester(k).unwrap();
    let lambda = lambda_rationals(k);
    let lam: Vec<Ival> = lambda.iter().map(|q| Ival::from_rational(q, 53)).collect();
    let z = enclose_logits(&had, &lam);
    let mut a = z.clone();
    let (_, t_fwht) = time(|| a.as_mut_slice().par_chunks_mut(k).for_each(|c| fwht(c)));
    let (t, t_tr) = time(|| a.transpose());
    drop(t);
    let (_, t_trm) = time(|| a.transpose_mut());
    println!("  [wht]   fwht on all K columns (rayon): {t_fwht}");
    println!("  [tr]    transpose() (1 thread): {t_tr}; transpose_mut() (1 thread): {t_trm}");
    // The 1/K scaling: map(div_by_order) -> Ival::mul_pow2 builds 2^-log2K through MPFR (4 Float
    // allocations) for every entry; multiplying by a precomputed exact Ival gives the same
    // enclosure.
    let (c, t_map) = time(|| z.map(|x| div_by_order(x, k)));
    let p2 = (-(k.trailing_zeros() as i32)) as f64;
    let two_k = Ival::new(p2.exp2(), p2.exp2());
    let (c2, t_map_const) = time(|| z.map(|x| x * two_k));
    let same = c.iter().zip(c2.iter()).all(|(x, y)| x == y);
    println!("  [scale] z.map(div_by_order) (1 thread): {t_map}; z.map(|x| x * exact Ival 2^-log2K) (1 thread): {t_map_const}; identical: {same}");
    drop((c, c2));
    let (_, t_soft) = time(|| enclose_column_softmax(&z));
    let (_, t_exp) = time(|| z.map(|x| x.exp()));
    let (_, t_fexp) = time(|| z.map(|x| x.0.mid().exp()));
    println!("  [soft]  enclose_column_softmax (rayon): {t_soft}");
    println!(
        "  [soft]    z.map(Ival::exp) (1 thread): {t_exp} = {:.2} us CPU per Ival::exp (inari evaluates each end with an MPFR call at 53 bits, allocating a Float each); f64 exp of the midpoints (1 thread): {t_fexp}",
        t_exp.cpu / (k * k) as f64 * 1e6
    );
}

// ---------------------------------------------------------------------------------------------

/// `(user s, system s, minor page faults)` of this process so far, from /proc/self/stat.
fn proc_stat_times() -> (f64, f64, u64) {
    let parse = || -> Option<(f64, f64, u64)> {
        let s = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = s.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        // After the command name: minflt is field 10 (index 7), utime 14 (11), stime 15 (12),
        // in clock ticks (100 Hz on Linux).
        Some((
            f.get(11)?.parse::<f64>().ok()? / 100.0,
            f.get(12)?.parse::<f64>().ok()? / 100.0,
            f.get(7)?.parse().ok()?,
        ))
    };
    parse().unwrap_or((f64::NAN, f64::NAN, 0))
}

/// Opt-in (`HADACERT_BENCH_LOGITS_STEPS=K`): the steps of `enclose_logits` for MPFR at 128 bits
/// (Sylvester matrix, identity fast form), re-implemented with the public API and timed one by
/// one, with user/system time and page faults (a fresh K x K matrix of MPFR intervals is ~2 GiB
/// at K = 4096, so first-touch page faults show up as system time).
fn logits_steps_mpfr(k: usize) {
    fn step<R>(name: &str, f: impl FnOnce() -> R) -> R {
        let (u0, s0, m0) = proc_stat_times();
        let t = Instant::now();
        let r = f();
        let w = t.elapsed().as_secs_f64();
        let (u1, s1, m1) = proc_stat_times();
        println!(
            "| {name} | {w:.3} | {:.2} | {:.2} | {} |",
            u1 - u0,
            s1 - s0,
            m1 - m0
        );
        r
    }
    let prec = MPFR_BITS;
    let lam: Vec<MpfrInterval> = lambda_rationals(k)
        .iter()
        .map(|q| MpfrInterval::from_rational(q, prec))
        .collect();
    println!(
        "## Steps of enclose_logits, MPFR {prec} bits, K = {k} (load1 {:.2}; rayon threads {})",
        load1(),
        rayon::current_num_threads()
    );
    println!();
    println!("| step | wall s | user s | sys s | minor page faults |");
    println!("|---|---:|---:|---:|---:|");
    let had = step("HadamardMatrix::sylvester(K)", || {
        HadamardMatrix::sylvester(k).unwrap()
    });
    let y1 = step("y1 = DMatrix::from_fn(+-mu[c]) (1 thread)", || {
        DMatrix::from_fn(k, k, |a, c| {
            if had.get(a, c) > 0 {
                lam[c].clone()
            } else {
                -lam[c].clone()
            }
        })
    });
    let mut yt = step("yt = y1.transpose() (1 thread)", || y1.transpose());
    step("wht_columns(yt) (rayon)", || {
        yt.as_mut_slice().par_chunks_mut(k).for_each(|c| fwht(c))
    });
    let y = step("y = yt.transpose() (1 thread)", || yt.transpose());
    let z0 = step("permutation copy DMatrix::from_fn (1 thread)", || {
        DMatrix::from_fn(k, k, |i, l| y[(i, l)].clone())
    });
    step("drop y1, yt, y (1 thread)", || drop((y1, yt, y)));
    let z = step("z0.map(div_by_order) (1 thread)", || {
        z0.map(|x| div_by_order(x, k))
    });
    step("drop z0 (1 thread)", || drop(z0));
    drop(z);
    trim_heap();
    let z2 = step("enclose_logits, whole (for comparison)", || {
        enclose_logits(&had, &lam)
    });
    drop(z2);
    println!();
}

/// How many cores does rayon actually get right now? Runs the same fixed work once on one thread
/// and once split over the pool; returns (1-thread wall, pool wall, pool cpu/wall).
fn core_availability() -> (f64, f64, f64) {
    fn work(n: u64) -> u64 {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..n {
            x = x.rotate_left(7) ^ i.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        }
        x
    }
    const N: u64 = 400_000_000;
    let t = Instant::now();
    std::hint::black_box(work(std::hint::black_box(N)));
    let one = t.elapsed().as_secs_f64();
    let nt = rayon::current_num_threads() as u64;
    let c = process_cpu_s();
    let t = Instant::now();
    let r: u64 = (0..nt)
        .into_par_iter()
        .map(|_| work(std::hint::black_box(N / nt)))
        .reduce(|| 0, |a, b| a ^ b);
    std::hint::black_box(r);
    let pool = t.elapsed().as_secs_f64();
    (one, pool, (process_cpu_s() - c) / pool)
}

fn print_core_availability(when: &str) -> String {
    let (one, pool, cw) = core_availability();
    let line = format!(
        "core availability ({when}): fixed work 1 thread {one:.3} s, split over the rayon pool {pool:.3} s => parallel speed-up x{:.2} (cpu/wall {cw:.2}); load1 {:.2}",
        one / pool,
        load1()
    );
    println!("{line}");
    line
}

/// The C1 claim evaluated end to end by `hadacert::claim::diagonalise::evaluate` (what
/// `hadacert certify` runs for a Sylvester C1 claim: the exact argument, `f` exactly, the K exps
/// of `p = softmax(f)`, `Had S' Had / K` by transforms, the off-diagonal scan and the checks).
/// The row's "total" is the whole evaluation; its stage columns are not split (NaN).
fn claim_config(k: usize, backend: &'static str, bits: u32) -> Row {
    let reps = if k <= 1024 { 3 } else { 1 };
    let load = load1();
    let toml = format!(
        "[[claim]]\nid = \"bench-c1-K{k}-{backend}\"\nkind = \"C1\"\nexpect = \"proved\"\nbackend = \"{backend}\"\n{}width_bound = \"{}\"\nmatrix = {{ family = \"sylvester\", order = {k} }}\nlambda = {{ kind = \"random\", seed = {k}, max_numerator = 300, denominator = 100, len = {k} }}\n",
        if backend == "mpfr" { format!("precision_bits = {bits}\n") } else { String::new() },
        if backend == "mpfr" { "1e-30" } else { "1e-12" },
    );
    let claim = hadacert::claim::registry::parse_claims(&toml, std::path::Path::new("bench.toml"))
        .expect("bench claim parses")
        .remove(0);
    println!("--- C1 claim path: K = {k}, backend = {backend}, bits = {bits}, reps = {reps} (load1 {load:.2})");
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = f64::NAN;
    let mut rss_before = f64::NAN;
    let mut summary = String::new();
    let mut widest = f64::NAN;
    for r in 0..reps {
        trim_heap();
        rss_before = rss_gib();
        let rss_reset = reset_peak_rss();
        let c0 = process_cpu_s();
        let t0 = Instant::now();
        let ev = match backend {
            "inari" => hadacert::claim::diagonalise::evaluate::<Ival>(&claim, bits),
            _ => hadacert::claim::diagonalise::evaluate::<MpfrInterval>(&claim, bits),
        };
        let wall = t0.elapsed().as_secs_f64();
        let cpu = process_cpu_s() - c0;
        if rss_reset {
            peak = peak_rss_gib();
        }
        widest = ev.max_width;
        summary = format!(
            "verdict {:?}, widest off-diagonal {:.3e}, path: {}",
            ev.verdict,
            ev.max_width,
            ev.checks
                .iter()
                .find(|c| c.name == "enclosure path")
                .map_or("?", |c| c.detail.split(':').next().unwrap_or("?"))
        );
        println!(
            "    rep {}: total {wall:.3} s (cpu {cpu:.3} s, cpu/wall {:.2}) | RSS before {rss_before:.2} GiB, peak {peak:.2} GiB | {summary}",
            r + 1,
            cpu / wall
        );
        walls.push(wall);
        cpus.push(cpu / wall);
    }
    let total = median(walls);
    let cpw = median(cpus);
    Row {
        k,
        backend: if backend == "inari" {
            "inari, C1 claim"
        } else {
            "mpfr, C1 claim"
        },
        bits,
        reps,
        logits: f64::NAN,
        softmax: f64::NAN,
        rotation: f64::NAN,
        total,
        scan: f64::NAN,
        cpu_per_wall: cpw,
        cpu_s: cpw * total,
        rss_before_gib: rss_before,
        peak_rss_gib: peak,
        load1: load,
        stats: Some(OffDiag {
            max_width: Some(widest),
            max_mag: f64::NAN,
            all_contain_zero: None,
            all_finite: None,
        }),
        note: summary,
    }
}

fn main() {
    if let Some(k) = std::env::var("HADACERT_BENCH_LOGITS_STEPS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        if let Ok(src) = std::env::var("HADACERT_BENCH_SOURCE") {
            println!("source: {src}");
        }
        logits_steps_mpfr(k);
        return;
    }
    let threads = rayon::current_num_threads();
    println!("# hadacert C1 diagonalisation benchmark");
    println!(
        "machine: {} | available parallelism {} | rayon threads {threads} | MemTotal {:.1} GiB, MemAvailable {:.1} GiB",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        meminfo_gib("MemTotal:"),
        meminfo_gib("MemAvailable:")
    );
    println!(
        "profile: {} (debug_assertions = {})",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimised"
        },
        cfg!(debug_assertions)
    );
    if let Ok(src) = std::env::var("HADACERT_BENCH_SOURCE") {
        println!("source: {src}");
    }
    println!("matrix: Sylvester Had_K; lambda_m = n_m/100, n_m = SplitMix64(K).below(301)");
    println!("stages (dense path, the C1 claim's path for matrices without the exact argument): logits = enclose_logits; softmax = enclose_column_softmax_in_place (S in Z's storage); rotation = enclose_rotated; total = sum (scan of the off-diagonal not included)");
    println!("claim rows: hadacert::claim::diagonalise::evaluate on the C1 claim (the path a Sylvester C1 claim takes: exact argument, K exps, Had S' Had / K by transforms, off-diagonal scan), end to end");
    let avail_start = print_core_availability("start");
    if !reset_peak_rss() {
        println!(
            "note: /proc/self/clear_refs refused: peak RSS figures are process-lifetime peaks"
        );
    }
    println!();

    let mut rows = Vec::new();

    // No-rigour baseline.
    for k in [256, 1024] {
        rows.push(bench_config::<f64>("f64", k, 53, scan_f64, "no rigour"));
    }
    // inari.
    for k in [1024, 4096] {
        rows.push(bench_config::<Ival>(
            "inari",
            k,
            53,
            scan_enclosure::<Ival>,
            "",
        ));
    }
    // The C1 claim's own path (structured, by the exact argument), end to end.
    for (k, backend, bits) in [
        (1024usize, "inari", 53u32),
        (4096, "inari", 53),
        (1024, "mpfr", MPFR_BITS),
        (4096, "mpfr", MPFR_BITS),
    ] {
        rows.push(claim_config(k, backend, bits));
    }
    // MPFR 128 bits.
    let r1024 =
        bench_config::<MpfrInterval>("mpfr", 1024, MPFR_BITS, scan_enclosure::<MpfrInterval>, "");
    // Estimate K = 4096 from K = 1024: WHT stages scale as K^2 log K (x16 * 12/10), softmax as
    // K^2 (x16); memory as K^2 (x16) on top of the baseline RSS.
    // Wall-time estimate, and a CPU-time estimate (the work, independent of other jobs on the
    // machine: the decision uses it, since wall time on a shared machine mostly measures the
    // others' load).
    let est_wall = (r1024.logits + r1024.rotation) * 16.0 * 1.2 + r1024.softmax * 16.0;
    let est_time = r1024.cpu_s * 16.0 * 1.2;
    let est_mem =
        (r1024.peak_rss_gib - r1024.rss_before_gib).max(0.0) * 16.0 + r1024.rss_before_gib;
    let avail = meminfo_gib("MemAvailable:");
    rows.push(r1024);
    let mode = std::env::var("HADACERT_BENCH_MPFR4096").unwrap_or_default();
    let fits =
        est_time <= MPFR4096_TIME_BUDGET_S && est_mem <= MPFR4096_MEM_BUDGET_GIB && est_mem < avail;
    println!(
        "--- K = 4096 MPFR estimate from K = 1024: CPU time ~{est_time:.0} s (budget {MPFR4096_TIME_BUDGET_S:.0} s; wall at the current load ~{est_wall:.0} s), peak RSS ~{est_mem:.1} GiB (budget {MPFR4096_MEM_BUDGET_GIB:.0} GiB, MemAvailable {avail:.1} GiB); override HADACERT_BENCH_MPFR4096={mode:?}"
    );
    let run4096 = match mode.as_str() {
        "force" => true,
        "skip" => false,
        _ => fits,
    };
    if run4096 {
        rows.push(bench_config::<MpfrInterval>(
            "mpfr",
            4096,
            MPFR_BITS,
            scan_enclosure::<MpfrInterval>,
            &format!("estimated {est_time:.0} s CPU / {est_mem:.1} GiB beforehand"),
        ));
    } else {
        let why = if mode == "skip" {
            "skipped by HADACERT_BENCH_MPFR4096=skip".to_string()
        } else {
            let mut why = Vec::new();
            if est_time > MPFR4096_TIME_BUDGET_S {
                why.push(format!(
                    "estimated CPU time {est_time:.0} s > {MPFR4096_TIME_BUDGET_S:.0} s"
                ));
            }
            if est_mem > MPFR4096_MEM_BUDGET_GIB || est_mem >= avail {
                why.push(format!(
                    "estimated peak RSS {est_mem:.1} GiB > min({MPFR4096_MEM_BUDGET_GIB:.0}, available {avail:.1}) GiB"
                ));
            }
            format!("SKIPPED: {}", why.join("; "))
        };
        println!("--- K = 4096, backend = mpfr, bits = {MPFR_BITS}: {why}");
        rows.push(Row {
            k: 4096,
            backend: "mpfr",
            bits: MPFR_BITS,
            reps: 0,
            logits: f64::NAN,
            softmax: f64::NAN,
            rotation: f64::NAN,
            total: f64::NAN,
            scan: f64::NAN,
            cpu_per_wall: f64::NAN,
            cpu_s: f64::NAN,
            rss_before_gib: f64::NAN,
            peak_rss_gib: f64::NAN,
            load1: load1(),
            stats: None,
            note: why,
        });
    }

    // Dense O(K^3) alternative at K = 256 (inari), against the WHT path at the same K.
    println!();
    let wht256 = bench_config::<Ival>("inari", 256, 53, scan_enclosure::<Ival>, "WHT path");
    let (dense256, agree) = dense_alternative_inari(256);
    let speedup_line = format!(
        "K = 256 inari: dense O(K^3) total {:.3} s (logits {:.3}, rotation {:.3}) vs WHT total {:.3} s (logits {:.3}, rotation {:.3}): WHT speed-up x{:.0} overall, x{:.0} on logits + rotation",
        dense256.total,
        dense256.logits,
        dense256.rotation,
        wht256.total,
        wht256.logits,
        wht256.rotation,
        dense256.total / wht256.total,
        (dense256.logits + dense256.rotation) / (wht256.logits + wht256.rotation)
    );
    println!("    {speedup_line}");
    rows.push(wht256);
    rows.push(dense256);

    if std::env::var("HADACERT_BENCH_NO_PROBES").is_err() {
        probes_inari(1024);
        probes_inari(4096);
        probes_mpfr(1024);
    }

    println!();
    let avail_end = print_core_availability("end");
    print_table(&rows, threads);
    println!("{avail_start}");
    println!("{avail_end}");
    println!("{speedup_line}");
    println!("{agree}");
}
