//! Soundness of `MpfrInterval::ei` (the series of `src/arith/ei.rs` for `0 < x <= 256`, MPFR's
//! `eint` elsewhere) against MPFR's `eint` at 2048 bits.
//!
//! Containment: every case requires `lo <= RD_2048(Ei(a))` and `RU_2048(Ei(b)) <= hi` for an
//! increasing piece `[a, b]` (and the mirrored ends on the decreasing piece `x < 0`). The result
//! ends are floats of precision `p <= 2048`, on the 2048-bit grid, so `lo <= Ei(a)` holds exactly
//! when `lo <= RD_2048(Ei(a))`: the check is containment itself, not an approximation of it.
//!
//! Width (positive arguments, the series' range): at a point the two ends are at most 2 ulps
//! apart at `p` (MPFR's directed pair is 1 ulp apart), and on any positive interval each end is
//! at most 2 ulps outside MPFR's directed end at precision `p`. Negative arguments and intervals
//! containing 0 must give exactly the previous answer (MPFR's directed `eint` at the ends).
//!
//! Inputs come from a fixed-seed SplitMix64 (no proptest persistence). The hard cases are named
//! in `ei_hard_cases_against_2048_bits`: near 0 from both sides, the positive root
//! `x0 = 0.3725074107...` (computed here by Newton's method at 2048 bits) and its neighbours,
//! the series' range cut 256 and the stopping rule's integer steps on both sides, large
//! positive and negative arguments, very wide, infinite, point and 0-containing intervals.
//!
//! Case counts: 8 * 10^3 point cases and 2 * 10^3 interval cases by default;
//! `PROPTEST_CASES=N` (the knob of `tests/it/soundness.rs`) scales them to `0.8 N` and `0.2 N`.
//! A 10^6-case run, done once by hand (0 failures), is recorded in the README (Soundness suite).

use hadacert::arith::{MpfrInterval, Real};
use rug::float::{Round, Special};
use rug::Float;
use std::cmp::Ordering;

use crate::common::{soundness_cases as cases, SplitMix64 as Rng};

const RP: u32 = 2048;

/// The series' upper range cut in `src/arith/ei.rs` (`X_MAX`).
const CUT: u32 = 256;

/// The generators this file adds to the shared SplitMix64.
trait EiInputs {
    /// `x` (f64) at precision `p` with random low bits below the f64 mantissa.
    fn float(&mut self, x: f64, p: u32) -> Float;
    /// A result precision: 128 mostly, else one of the others.
    fn prec(&mut self) -> u32;
}

impl EiInputs for Rng {
    fn float(&mut self, x: f64, p: u32) -> Float {
        let mut f = Float::with_val(p, x);
        let r = Float::with_val(p, x * self.unit()) >> 53u32;
        f += r;
        f
    }
    fn prec(&mut self) -> u32 {
        const P: [u32; 7] = [53, 64, 100, 113, 192, 256, 512];
        if self.below(10) < 7 {
            128
        } else {
            P[self.below(P.len() as u64) as usize]
        }
    }
}

/// `x` moved by `k` ulps at its own precision.
fn ulps(x: &Float, k: i32) -> Float {
    let mut y = x.clone();
    for _ in 0..k.unsigned_abs() {
        if k > 0 {
            y.next_up();
        } else {
            y.next_down();
        }
    }
    y
}

/// `Ei(x)` at 2048 bits rounded in direction `r`.
fn reference(x: &Float, r: Round) -> Float {
    let mut y = Float::with_val(RP, x);
    let _: Ordering = y.eint_round(r);
    y
}

/// MPFR's `eint(x)` at precision `p`, rounded in direction `r` (the previous implementation's
/// end).
fn directed(x: &Float, p: u32, r: Round) -> Float {
    let mut y = Float::with_val(p, x);
    let _: Ordering = y.eint_round(r);
    y
}

/// The positive root of Ei by Newton's method at 2048 bits (`x <- x - Ei(x) x / e^x`).
fn root() -> Float {
    let mut x = Float::with_val(RP, 0.372_507_410_781_366_6_f64);
    for _ in 0..12 {
        let ei = Float::with_val(RP, x.eint_ref());
        let ex = Float::with_val(RP, x.exp_ref());
        let step = Float::with_val(RP, &ei * &x) / ex;
        x -= step;
    }
    x
}

/// Checks `Ei` on `[a, b]` (floats of precision `p`, `a <= b`); returns a failure description.
fn check(a: &Float, b: &Float, p: u32) -> Option<String> {
    let y = MpfrInterval::from_bounds(a, b, p).ei();
    let (lo, hi) = (y.lo().clone(), y.hi().clone());
    let ctx = || format!("Ei([{a}, {b}]) at {p} bits = [{lo}, {hi}]");
    if lo.prec() != p || hi.prec() != p {
        return Some(format!("{}: precision changed", ctx()));
    }
    if a.cmp0() == Some(Ordering::Greater) {
        let (rlo, rhi) = (reference(a, Round::Down), reference(b, Round::Up));
        if !(lo <= rlo && rhi <= hi) {
            return Some(format!("{}: does not contain [{rlo}, {rhi}]", ctx()));
        }
        let (mlo, mhi) = (directed(a, p, Round::Down), directed(b, p, Round::Up));
        if lo.is_finite() && lo < ulps(&mlo, -2) {
            return Some(format!("{}: lower end > 2 ulps below MPFR's {mlo}", ctx()));
        }
        if hi.is_finite() && hi > ulps(&mhi, 2) {
            return Some(format!("{}: upper end > 2 ulps above MPFR's {mhi}", ctx()));
        }
        if a == b && lo.is_finite() && hi > ulps(&lo, 2) {
            return Some(format!("{}: point wider than 2 ulps", ctx()));
        }
    } else if b.cmp0() == Some(Ordering::Less) {
        let (rlo, rhi) = (reference(b, Round::Down), reference(a, Round::Up));
        if !(lo <= rlo && rhi <= hi) {
            return Some(format!("{}: does not contain [{rlo}, {rhi}]", ctx()));
        }
        let (mlo, mhi) = (directed(b, p, Round::Down), directed(a, p, Round::Up));
        if lo != mlo || hi != mhi {
            return Some(format!("{}: differs from MPFR's [{mlo}, {mhi}]", ctx()));
        }
    } else {
        // Contains 0: [-inf, max of the upper ends at the nonzero ends].
        let mut mhi = Float::with_val(p, Special::NegInfinity);
        for x in [a, b] {
            if !x.is_zero() {
                let u = directed(x, p, Round::Up);
                if u > mhi {
                    mhi = u;
                }
                if reference(x, Round::Up) > hi {
                    return Some(format!("{}: misses Ei({x})", ctx()));
                }
            }
        }
        if !(lo.is_infinite() && lo.is_sign_negative()) || hi != mhi {
            return Some(format!("{}: differs from [-inf, {mhi}]", ctx()));
        }
    }
    None
}

fn run(name: &str, inputs: &[(Float, Float, u32)]) {
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|(a, b, p)| check(a, b, *p))
        .collect();
    assert!(
        failures.is_empty(),
        "{name}: {} of {} cases fail, first: {}",
        failures.len(),
        inputs.len(),
        failures[0]
    );
}

#[test]
fn ei_hard_cases_against_2048_bits() {
    let mut inputs: Vec<(Float, Float, u32)> = Vec::new();
    let point = |x: Float| (x.clone(), x.clone(), x.prec());
    let x0 = root();
    for p in [53u32, 128, 256, 1000] {
        let f = |v: f64| Float::with_val(p, v);
        // Near 0 from both sides.
        for k in [1i32, 10, 60, 200, 1000, 100_000] {
            let t = Float::with_val(p, Float::i_exp(1, -k));
            for s in [-1, 0, 1] {
                inputs.push(point(ulps(&t, s)));
                inputs.push(point(-ulps(&t, s)));
            }
        }
        // The positive root and its neighbours, at a few distances.
        let r = Float::with_val(p, &x0);
        for s in -4..=4 {
            inputs.push(point(ulps(&r, s)));
        }
        for k in [20i32, 30, 40, 60, 100] {
            let d = Float::with_val(p, Float::i_exp(1, -k));
            inputs.push(point(Float::with_val(p, &r + &d)));
            inputs.push(point(Float::with_val(p, &r - &d)));
        }
        // The range cut and the stopping rule's integer steps, both sides.
        for v in [
            0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 50.0, 100.0, 128.0, 255.0, CUT as f64,
        ] {
            for s in [-2, -1, 0, 1, 2] {
                inputs.push(point(ulps(&f(v), s)));
            }
        }
        // Large positive and large negative.
        for v in [300.0, 1000.0, 1e4, 1e5, -20.0, -50.0, -300.0, -1e4, -1e6] {
            inputs.push(point(f(v)));
        }
        // Wide, infinite and 0-containing intervals.
        let inf = Float::with_val(p, Special::Infinity);
        for (a, b) in [
            (f(1e-10), f(255.0)),
            (f(1e-3), f(1e3)),
            (f(0.3), f(0.4)),
            (f(1.0), inf.clone()),
            (f(300.0), inf.clone()),
            (-inf.clone(), f(-1.0)),
            (f(-1.0), f(5.0)),
            (f(0.0), f(10.0)),
            (f(-5.0), f(0.0)),
            (f(0.0), f(0.0)),
            (-inf.clone(), inf.clone()),
            (f(-1e-300), f(1e-300)),
        ] {
            inputs.push((a, b, p));
        }
    }
    run("hard cases", &inputs);
}

#[test]
fn ei_random_against_2048_bits() {
    let mut rng = Rng(0x0E1_5EED);
    let mut inputs: Vec<(Float, Float, u32)> = Vec::new();
    let x0 = root();
    let arg = |rng: &mut Rng, p: u32| -> Float {
        match rng.below(6) {
            0 => {
                let v = rng.uniform(0.0, 4.0);
                rng.float(v, p)
            }
            1 => {
                let v = 2f64.powf(rng.uniform(-40.0, 8.5));
                rng.float(v, p)
            }
            2 => {
                let v = rng.uniform(0.0, 300.0);
                rng.float(v, p)
            }
            3 => {
                let v = -(2f64.powf(rng.uniform(-40.0, 7.0)));
                rng.float(v, p)
            }
            4 => {
                let d = 2f64.powf(-rng.uniform(10.0, 120.0));
                let s = if rng.below(2) == 0 { d } else { -d };
                Float::with_val(p, &x0 + s)
            }
            _ => {
                let v = (1 + rng.below(CUT as u64)) as f64;
                let d = 2f64.powf(-rng.uniform(0.0, 100.0)) * v;
                let s = if rng.below(2) == 0 { d } else { -d };
                Float::with_val(p, v + s)
            }
        }
    };
    for _ in 0..cases(8_000) {
        let p = rng.prec();
        let x = arg(&mut rng, p);
        inputs.push((x.clone(), x, p));
    }
    for _ in 0..cases(2_000) {
        let p = rng.prec();
        let (x, y) = (arg(&mut rng, p), arg(&mut rng, p));
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        inputs.push((a, b, p));
    }
    run("random cases", &inputs);
}
