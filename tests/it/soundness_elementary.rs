//! Soundness of the inari backend's elementary functions (exp, exp_m1, ln, ln_1p: CORE-MATH's
//! correctly rounded f64 values computed with the rounding mode set toward -inf for the lower
//! end and toward +inf for the upper end, `src/arith/cr_elementary.rs`) against MPFR at 2048
//! bits.
//!
//! Every case evaluates `Ival::f` on a point or an interval `[a, b]` and requires each end to
//! *equal* MPFR's directed result: `lo = RD(f(a))` and `hi = RU(f(b))`, where `RD(f(a))` is the
//! 2048-bit value rounded toward -inf then rounded toward -inf to f64 (the f64 grid, subnormals
//! included, is part of the 2048-bit grid, so the two roundings compose to the one directed
//! rounding of the exact value), and likewise upward. The functions are non-decreasing, so
//! `[RD(f(a)), RU(f(b))]` contains the exact range and is the narrowest enclosure with f64
//! ends: equality checks containment and tightness at once. A lower end is also never below
//! the function's infimum (`exp >= 0`, `exp_m1 >= -1`).
//!
//! Inputs come from a fixed-seed SplitMix64 (no proptest: failures are not persisted, and the
//! mutation check `inari-exp-no-outward-step` uses `exp_points_against_2048_bits`): uniform
//! arguments over the whole range of each function, random bit patterns (every binade,
//! subnormals included), arguments a few ulps from the named hard points (exp's overflow
//! threshold 709.78..., its underflow-to-zero threshold -745.13..., the start of its subnormal
//! results -708.39..., exp_m1's saturation at -1, ln and ln_1p near 1 and -1, subnormal
//! arguments), exact points (exp(0) = 1, exp_m1(0) = 0, ln(1) = 0, ln_1p(0) = 0: returned as
//! points), very wide and infinite intervals. `threads_interleaving_inari_arithmetic` runs the
//! four functions on 4 threads between inari's directed-rounding operations.
//! `mpfr_fallback_gives_the_same_ends_as_the_directed_route` sets MXCSR toward +inf (x86_64) so
//! the backend takes its MPFR fallback, and requires the same ends as the CORE-MATH route.
//!
//! Case counts: 10^4 point cases and 2 * 10^3 interval cases per function by default;
//! `PROPTEST_CASES=N` (the knob of `tests/it/soundness.rs`) makes it N point cases and N / 5
//! interval cases. A 10^6-case run, done once by hand, is recorded in the README (Soundness
//! suite).

use hadacert::arith::{Enclosure, Ival, Real};
use rug::float::Round;
use rug::Float;
use std::cmp::Ordering;

use crate::common::{soundness_cases as cases, SplitMix64 as Rng};

const RP: u32 = 2048;

/// The generators this file adds to the shared SplitMix64.
trait ElementaryInputs {
    /// A finite positive f64 with uniformly random bits (every binade equally likely).
    fn positive_bits(&mut self) -> f64;
    /// `x` moved by a random number of ulps in `-k..=k`.
    fn near(&mut self, x: f64, k: u64) -> f64;
}

impl ElementaryInputs for Rng {
    fn positive_bits(&mut self) -> f64 {
        f64::from_bits(1 + self.below(0x7FF0_0000_0000_0000 - 1))
    }
    fn near(&mut self, x: f64, k: u64) -> f64 {
        let steps = self.below(2 * k + 1) as i64 - k as i64;
        step(x, steps)
    }
}

/// `x` (finite) moved by `n` f64 steps (on the ordered integer image of the f64s; -0 and +0
/// count as one step apart); past the finite range gives an infinity.
fn step(x: f64, n: i64) -> f64 {
    let b = x.to_bits();
    let ord = if b >> 63 == 1 {
        -((b & !(1 << 63)) as i64) - 1
    } else {
        b as i64
    };
    let m = ord.saturating_add(n);
    let inf = f64::INFINITY.to_bits() as i64;
    if m >= inf {
        f64::INFINITY
    } else if m <= -inf - 1 {
        f64::NEG_INFINITY
    } else if m >= 0 {
        f64::from_bits(m as u64)
    } else {
        -f64::from_bits((-(m + 1)) as u64)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum F {
    Exp,
    ExpM1,
    Ln,
    Ln1p,
}

const ALL: [F; 4] = [F::Exp, F::ExpM1, F::Ln, F::Ln1p];

impl F {
    fn ival(self, x: Ival) -> Ival {
        match self {
            F::Exp => x.exp(),
            F::ExpM1 => x.exp_m1(),
            F::Ln => x.ln(),
            F::Ln1p => x.ln_1p(),
        }
    }
    /// Infimum of the function over its domain (a lower end may never be below it).
    fn infimum(self) -> f64 {
        match self {
            F::Exp => 0.0,
            F::ExpM1 => -1.0,
            F::Ln | F::Ln1p => f64::NEG_INFINITY,
        }
    }
    /// The end of the domain (`x > edge` for ln and ln_1p).
    fn domain_edge(self) -> f64 {
        match self {
            F::Exp | F::ExpM1 => f64::NEG_INFINITY,
            F::Ln => 0.0,
            F::Ln1p => -1.0,
        }
    }
    /// `f(x)` at 2048 bits rounded in direction `r` (MPFR's limits at infinities, `-inf` at
    /// the domain edge).
    fn reference(self, x: f64, r: Round) -> Float {
        let mut y = Float::with_val(RP, x);
        let _: Ordering = match self {
            F::Exp => y.exp_round(r),
            F::ExpM1 => y.exp_m1_round(r),
            F::Ln => y.ln_round(r),
            F::Ln1p => y.ln_1p_round(r),
        };
        y
    }
    /// Hard points: named thresholds, the exact points and subnormals, each with neighbours.
    fn hard_points(self) -> Vec<f64> {
        let mut centres: Vec<f64> = vec![0.0, -0.0, 5e-324, -5e-324, f64::MIN_POSITIVE, 1.0];
        centres.extend([
            2f64.powi(-54),
            -(2f64.powi(-54)),
            2f64.powi(-53),
            1e-300,
            -1e-300,
        ]);
        centres.push(f64::MAX);
        match self {
            F::Exp | F::ExpM1 => centres.extend([
                709.782712893384,   // ln(f64::MAX): overflow
                -745.1332191019411, // ln(2^-1075): below it exp rounds to 0
                -744.4400719213812, // ln(2^-1074): the smallest subnormal
                -708.3964185322641, // ln(2^-1022): subnormal results below
                -37.42994775023705, // exp_m1 rounds to -1 below about here
                -1.0,
                -f64::MAX,
            ]),
            F::Ln | F::Ln1p => centres.extend([
                2.0,
                0.5,
                -1.0,
                -1.0 + 2f64.powi(-53),
                2f64.powi(-1022) * 0.75,
                2f64.powi(-1060),
            ]),
        }
        let mut out = Vec::new();
        for c in centres {
            out.extend((-8..=8).map(|k| step(c, k)));
        }
        // Points are finite (an infinite end belongs to an unbounded interval, tested apart).
        out.retain(|&x| x.is_finite() && self.in_closed_domain(x));
        out
    }
    fn in_closed_domain(self, x: f64) -> bool {
        match self {
            F::Exp | F::ExpM1 => !x.is_nan(),
            F::Ln => x >= 0.0,
            F::Ln1p => x >= -1.0,
        }
    }
    /// A random argument: a mix of uniform arguments, random bit patterns and neighbours of
    /// the hard points.
    fn random_arg(self, rng: &mut Rng, hard: &[f64]) -> f64 {
        let x = match (self, rng.below(6)) {
            (_, 0) => {
                let c = hard[rng.below(hard.len() as u64) as usize];
                rng.near(c, 1 << 20)
            }
            (_, 1) => rng.positive_bits(),
            (F::Exp | F::ExpM1, 2) => -rng.positive_bits(),
            (F::Exp | F::ExpM1, _) => rng.uniform(-750.0, 712.0),
            (F::Ln, 2) => rng.uniform(0.0, 4.0),
            (F::Ln, _) => 2f64.powf(rng.uniform(-1074.0, 1024.0)),
            (F::Ln1p, 2) => rng.uniform(-1.0, 1.0),
            (F::Ln1p, _) => -1.0 + 2f64.powf(rng.uniform(-53.0, 1023.0)),
        };
        if self.in_closed_domain(x) && x.is_finite() {
            x
        } else {
            1.5
        }
    }
}

/// Checks `f([a, b])` against the 2048-bit values at `a` and `b`; the error names the case.
fn check(f: F, a: f64, b: f64) -> Result<(), String> {
    let y = f.ival(Ival::new(a, b));
    let (lo, hi) = (y.lower_f64(), y.upper_f64());
    let case = format!("{f:?}([{a:e}, {b:e}]) = [{lo:e}, {hi:e}]");
    if !(b > f.domain_edge()) {
        // No point of the domain strictly inside: no information.
        return if y.is_finite() {
            Err(format!("{case}: finite without a point of the domain"))
        } else {
            Ok(())
        };
    }
    let ref_lo = f.reference(a.max(f.domain_edge()), Round::Down);
    let ref_hi = f.reference(b, Round::Up);
    if lo.is_nan() || hi.is_nan() || !(ref_lo >= lo) || !(ref_hi <= hi) {
        return Err(format!("{case} misses [{ref_lo:.20e}, {ref_hi:.20e}]"));
    }
    if lo < f.infimum() {
        return Err(format!(
            "{case}: lower end below the infimum {}",
            f.infimum()
        ));
    }
    // MPFR's directed results (`==` compares values: a zero end may be -0 or +0).
    let rd = ref_lo.to_f64_round(Round::Down);
    let ru = ref_hi.to_f64_round(Round::Up);
    if lo != rd || hi != ru {
        return Err(format!(
            "{case} differs from the directed roundings [{rd:e}, {ru:e}]"
        ));
    }
    Ok(())
}

fn run_points(f: F, seed: u64) {
    let hard = f.hard_points();
    let mut failures = Vec::new();
    for &x in &hard {
        failures.extend(check(f, x, x).err());
    }
    let mut rng = Rng(seed);
    for _ in 0..cases(10_000) {
        let x = f.random_arg(&mut rng, &hard);
        failures.extend(check(f, x, x).err());
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

fn run_intervals(f: F, seed: u64) {
    let hard = f.hard_points();
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    for _ in 0..cases(2_000) {
        let x = f.random_arg(&mut rng, &hard);
        let y = match rng.below(3) {
            0 => f.random_arg(&mut rng, &hard),
            1 => rng.near(x, 1 << 12),
            _ => x + rng.uniform(0.0, 1.0) * x.abs().max(1.0),
        };
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        failures.extend(check(f, a, b).err());
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

#[test]
fn exp_points_against_2048_bits() {
    run_points(F::Exp, 1);
}

#[test]
fn exp_m1_points_against_2048_bits() {
    run_points(F::ExpM1, 2);
}

#[test]
fn ln_points_against_2048_bits() {
    run_points(F::Ln, 3);
}

#[test]
fn ln_1p_points_against_2048_bits() {
    run_points(F::Ln1p, 4);
}

#[test]
fn intervals_against_2048_bits() {
    for (i, f) in ALL.into_iter().enumerate() {
        run_intervals(f, 10 + i as u64);
    }
}

#[test]
fn exact_points_stay_points() {
    for (f, x, y) in [
        (F::Exp, 0.0, 1.0),
        (F::Exp, -0.0, 1.0),
        (F::ExpM1, 0.0, 0.0),
        (F::Ln, 1.0, 0.0),
        (F::Ln1p, 0.0, 0.0),
        (F::Ln1p, -0.0, 0.0),
    ] {
        let r = f.ival(Ival::new(x, x));
        assert_eq!((r.lower_f64(), r.upper_f64()), (y, y), "{f:?}({x})");
    }
    // Next to an exact point the result is not a point (exp(x) != 1 for x != 0): RD and RU of
    // a value just above 1, as MPFR gives.
    let r = Ival::new(2f64.powi(-60), 2f64.powi(-60)).exp();
    assert_eq!((r.lower_f64(), r.upper_f64()), (1.0, 1.0f64.next_up()));
    let r = Ival::new(-(2f64.powi(-60)), -(2f64.powi(-60))).exp();
    assert_eq!((r.lower_f64(), r.upper_f64()), (1.0f64.next_down(), 1.0));
    let r = Ival::new(1.0f64.next_up(), 1.0f64.next_up()).ln();
    assert!(r.lower_f64() > 0.0 && r.lower_f64() < r.upper_f64());
}

#[test]
fn wide_and_unbounded_intervals() {
    let inf = f64::INFINITY;
    let e = |a: f64, b: f64| Ival::new(a, b).exp();
    assert_eq!(e(-inf, inf).lower_f64(), 0.0);
    assert_eq!(e(-inf, inf).upper_f64(), inf);
    assert_eq!(e(-f64::MAX, f64::MAX).lower_f64(), 0.0);
    assert_eq!(e(-f64::MAX, f64::MAX).upper_f64(), inf);
    // Overflow: the lower end stays finite.
    assert_eq!(e(710.0, 1e6).lower_f64(), f64::MAX);
    // Underflow: [0, smallest subnormal], never a negative lower end.
    assert_eq!(
        (e(-1e6, -800.0).lower_f64(), e(-1e6, -800.0).upper_f64()),
        (0.0, 5e-324)
    );
    let m = Ival::new(-inf, 0.0).exp_m1();
    assert_eq!((m.lower_f64(), m.upper_f64()), (-1.0, 0.0));
    let l = Ival::new(0.0, inf).ln();
    assert_eq!((l.lower_f64(), l.upper_f64()), (-inf, inf));
    let l = Ival::new(-5.0, 3.0).ln();
    assert_eq!(l.lower_f64(), -inf);
    assert!(l.upper_f64() > 1.0986 && l.upper_f64() < 1.0987); // ln 3, checked below too
    check(F::Ln, -5.0, 3.0).unwrap();
    for no_domain in [
        Ival::new(-5.0, -1.0).ln(),
        Ival::new(0.0, 0.0).ln(),
        Ival::new(-2.0, -1.0).ln_1p(),
    ] {
        assert!(!no_domain.is_finite());
        assert_eq!((no_domain.lower_f64(), no_domain.upper_f64()), (-inf, inf));
    }
    let l = Ival::new(-1.0, 0.0).ln_1p();
    assert_eq!((l.lower_f64(), l.upper_f64()), (-inf, 0.0));
    for f in ALL {
        for (a, b) in [(-inf, inf), (-1e308, 1e308), (-0.5, 700.0), (1e-300, 1e300)] {
            check(f, a, b).unwrap();
        }
    }
}

/// f64 addition rounds to nearest on this thread (it would not after a leaked directed mode).
fn rounds_to_nearest() -> bool {
    let one = std::hint::black_box(1.0f64);
    let ulp = 2f64.powi(-52);
    one + std::hint::black_box(0.75 * ulp) == 1.0 + ulp
        && one + std::hint::black_box(0.25 * ulp) == 1.0
        && -one - std::hint::black_box(0.25 * ulp) == -1.0
}

/// One thread's work: inari products, quotients, sums and square roots (directed rounding)
/// interleaved with the four functions, on points and on the inari results; returns the bits
/// of every end, and checks each case against 2048 bits.
fn interleaved(seed: u64, n: u64) -> Vec<u64> {
    let mut rng = Rng(seed);
    let mut bits = Vec::new();
    for i in 0..n {
        let f = ALL[(i % 4) as usize];
        let (x, y) = (rng.uniform(0.1, 30.0), rng.uniform(0.1, 30.0));
        let (px, py) = (Ival::new(x, x), Ival::new(y, y));
        let arith = [px * py, px / py, px + py, (px * py).sqrt(), px - py];
        let w = arith[(i % 5) as usize];
        assert!(
            rounds_to_nearest(),
            "f64 arithmetic not to nearest after inari"
        );
        for (a, b) in [(x, x), (w.lower_f64(), w.upper_f64())] {
            check(f, a, b).unwrap_or_else(|e| panic!("thread case {i}: {e}"));
            let r = f.ival(Ival::new(a, b));
            bits.extend([r.lower_f64().to_bits(), r.upper_f64().to_bits()]);
        }
        assert!(
            rounds_to_nearest(),
            "f64 arithmetic not to nearest after {f:?}"
        );
    }
    bits
}

#[test]
fn threads_interleaving_inari_arithmetic() {
    let n = cases(1_000);
    let alone: Vec<Vec<u64>> = (0..4)
        .map(|t| {
            std::thread::spawn(move || interleaved(100 + t, n))
                .join()
                .unwrap()
        })
        .collect();
    let together: Vec<Vec<u64>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|t| s.spawn(move || interleaved(100 + t, n)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(alone, together, "results depend on the other threads");
}

/// Runs `f` with MXCSR's rounding control set toward +inf (a non-default environment), then
/// restores MXCSR. `f` must do no rounding-sensitive f64 arithmetic of its own.
#[cfg(target_arch = "x86_64")]
fn with_mxcsr_round_up<R>(f: impl FnOnce() -> R) -> R {
    let mut saved: u32 = 0;
    // SAFETY: stores MXCSR into a local.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved as *mut u32, options(nostack)) };
    let up = (saved & !0x6000) | 0x4000;
    // SAFETY: a valid MXCSR value (only the rounding bits changed), restored below.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &up as *const u32, options(nostack)) };
    let r = f();
    // SAFETY: the value read above.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &saved as *const u32, options(nostack)) };
    r
}

/// Outside the default floating-point environment the backend falls back to MPFR; both routes
/// give the same ends (MPFR's directed results), and the environment is restored.
#[cfg(target_arch = "x86_64")]
#[test]
fn mpfr_fallback_gives_the_same_ends_as_the_directed_route() {
    let mut rng = Rng(77);
    for f in ALL {
        let hard = f.hard_points();
        let args: Vec<f64> = (0..300).map(|_| f.random_arg(&mut rng, &hard)).collect();
        let ends = |x: f64| {
            let r = f.ival(Ival::new(x, x));
            (r.lower_f64(), r.upper_f64())
        };
        let directed: Vec<(f64, f64)> = args.iter().map(|&x| ends(x)).collect();
        let fallback: Vec<(f64, f64)> =
            with_mxcsr_round_up(|| args.iter().map(|&x| ends(x)).collect());
        assert!(rounds_to_nearest(), "MXCSR not restored");
        for ((x, d), m) in args.iter().zip(&directed).zip(&fallback) {
            assert_eq!(
                d, m,
                "{f:?}({x:e}): directed route {d:?}, MPFR fallback {m:?}"
            );
        }
        for &x in &args {
            check(f, x, x).unwrap();
        }
    }
}
