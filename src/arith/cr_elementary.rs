//! Rigorous f64 bounds on exp, exp_m1, ln and ln_1p from a correctly rounded library.
//!
//! The values come from CORE-MATH (the `core-math` crate, MIT): `cr_exp`, `cr_expm1`, `cr_log`
//! and `cr_log1p` are correctly rounded for every binary64 input, subnormal inputs and results
//! and the overflow range included, in the rounding mode in force when they are called (their
//! error analysis is written for the four IEEE modes; the project checks its worst cases in all
//! four). The inari backend calls them only in round-to-nearest, without flush-to-zero or
//! denormals-are-zero: [`fp_env_is_default`] reads the control register (MXCSR on x86_64, FPCR
//! on aarch64) once per interval operation and the caller falls back to MPFR otherwise. Rust
//! code never changes that register; inari's directed operations on x86_64 without AVX-512
//! (this crate is built for haswell) save MXCSR, set the rounding bits, do one instruction and
//! restore MXCSR inside one `asm!` block, and with AVX-512 they use per-instruction rounding
//! (`{rd-sae}`) that leaves MXCSR alone, so between two inari operations the mode is nearest
//! (`tests/it/soundness_elementary.rs` checks it on 4 threads interleaving both).
//!
//! # Why one ulp outward is an enclosure
//!
//! Let `f` be one of the four functions, `x` an f64 in its domain and `y = RN(f(x))` the
//! library's result. Correct rounding to nearest means no f64 is closer to `f(x)` than `y`, so
//! `f(x)` lies between the midpoints of `y` and its two neighbours, hence
//! `next_down(y) <= f(x) <= next_up(y)` (also at a power of two, where the gap below is half the
//! gap above: each side is bounded by its own half-gap). The edges:
//! * overflow: `y = +inf` only when `f(x) >= MAX + ulp(MAX)/2 > MAX`, and then
//!   `next_down(+inf) = MAX` is a finite lower end below `f(x)`; the upper end stays `+inf`. If
//!   `y = MAX`, `next_up(MAX) = +inf` is the upper end. (Only exp and exp_m1 can overflow; |ln|
//!   and |ln_1p| stay below 745.)
//! * underflow and subnormal results: rounding to nearest in the subnormal range still has
//!   error at most half the gap `2^-1074`, so the same bracket holds; `y = 0` when
//!   `0 < exp(x) <= 2^-1075`, and `next_down(0) < 0` is replaced by `0` because `exp(x) > 0`.
//!   exp_m1 is bounded below by `-1` (`exp_m1(x) > -1`), so a lower end below `-1` is replaced by
//!   `-1` (which also covers `y = -1` for very negative `x`).
//! * exact points: `exp(0) = 1`, `exp_m1(0) = 0`, `ln(1) = 0`, `ln_1p(0) = 0` are returned
//!   exactly, as MPFR does. These are the only f64 arguments with an f64 (even rational) value
//!   (Lindemann-Weierstrass: `e^x` is transcendental for algebraic `x != 0`), so at every
//!   other argument the step is needed and is taken.
//! * infinite arguments: `exp(-inf) = 0`, `exp(+inf) = +inf`, `exp_m1(-inf) = -1`,
//!   `ln(+inf) = ln_1p(+inf) = +inf` (limits, as inari's set-valued functions take them);
//!   `ln(x)` for `x <= 0` and `ln_1p(x)` for `x <= -1` give `-inf` (lower ends only: the caller
//!   handles arguments with no point in the domain). NaN stays NaN, which the caller turns into
//!   the no-information interval.
//!
//! Stepping outward never narrows, so the result is an enclosure also where the library's
//! value happens to be exact, and (with the same bracket argument for the directed modes) in
//! any of the four rounding modes; flush-to-zero is the one setting under which the argument
//! fails, and it is excluded by [`fp_env_is_default`].

/// Whether the floating-point control register is in its default state: round to nearest,
/// no flush-to-zero, no denormals-are-zero. Only then are the functions of this module used.
#[inline]
pub(super) fn fp_env_is_default() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // MXCSR: DAZ is bit 6, the rounding control bits 13-14 (00 = nearest), FTZ bit 15.
        #[allow(deprecated)]
        // SAFETY: reading MXCSR has no side effect; SSE is part of x86_64.
        let csr = unsafe { std::arch::x86_64::_mm_getcsr() };
        csr & 0xE040 == 0
    }
    #[cfg(target_arch = "aarch64")]
    {
        // FPCR: FZ is bit 24, RMode bits 22-23 (00 = nearest), FZ16 bit 19 (unused here).
        let fpcr: u64;
        // SAFETY: reading FPCR has no side effect.
        unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack)) };
        fpcr & (0b111 << 22) == 0
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// The bracket `[next_down(y), next_up(y)]` of a correctly rounded `y`, as `(lo, hi)`.
#[inline]
fn bracket(y: f64) -> (f64, f64) {
    (y.next_down(), y.next_up())
}

/// A lower bound on `exp(x)` (`0` at `x = -inf`, `1` at `x = 0`).
#[inline]
pub(super) fn exp_down(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    let y = core_math::exp(x);
    if crate::mutation::active(crate::mutation::Mutant::InariExpNoOutwardStep) {
        // Injected bug (test builds with `--features mutation` only): no outward step.
        return y;
    }
    // exp(x) > 0: a negative lower end (from y = 0) is replaced by 0.
    bracket(y).0.max(0.0)
}

/// An upper bound on `exp(x)` (`+inf` when `exp(x)` may exceed `f64::MAX`).
#[inline]
pub(super) fn exp_up(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    let y = core_math::exp(x);
    if crate::mutation::active(crate::mutation::Mutant::InariExpNoOutwardStep) {
        return y;
    }
    bracket(y).1
}

/// A lower bound on `exp(x) - 1` (`-1` at `x = -inf`, `0` at `x = 0`).
#[inline]
pub(super) fn exp_m1_down(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    // exp(x) - 1 > -1.
    bracket(core_math::expm1(x)).0.max(-1.0)
}

/// An upper bound on `exp(x) - 1`.
#[inline]
pub(super) fn exp_m1_up(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    bracket(core_math::expm1(x)).1
}

/// A lower bound on `ln(x)`; `-inf` for `x <= 0`.
#[inline]
pub(super) fn ln_down(x: f64) -> f64 {
    if x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if x == 1.0 {
        return 0.0;
    }
    bracket(core_math::log(x)).0
}

/// An upper bound on `ln(x)` for `x > 0` (`+inf` at `x = +inf`).
#[inline]
pub(super) fn ln_up(x: f64) -> f64 {
    if x == 1.0 {
        return 0.0;
    }
    bracket(core_math::log(x)).1
}

/// A lower bound on `ln(1 + x)`; `-inf` for `x <= -1`.
#[inline]
pub(super) fn ln_1p_down(x: f64) -> f64 {
    if x <= -1.0 {
        return f64::NEG_INFINITY;
    }
    if x == 0.0 {
        return 0.0;
    }
    bracket(core_math::log1p(x)).0
}

/// An upper bound on `ln(1 + x)` for `x > -1` (`+inf` at `x = +inf`).
#[inline]
pub(super) fn ln_1p_up(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    bracket(core_math::log1p(x)).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_environment_is_detected() {
        assert!(fp_env_is_default());
    }

    #[test]
    fn edges_and_exact_points() {
        assert_eq!((exp_down(0.0), exp_up(-0.0)), (1.0, 1.0));
        assert_eq!(exp_down(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_up(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_down(710.0), f64::MAX);
        assert_eq!(exp_up(710.0), f64::INFINITY);
        assert_eq!(exp_down(-800.0), 0.0);
        assert_eq!(exp_up(-800.0), 5e-324);
        assert_eq!(exp_m1_down(f64::NEG_INFINITY), -1.0);
        assert_eq!(exp_m1_down(-50.0), -1.0);
        assert!(exp_m1_up(-50.0) > -1.0);
        assert_eq!((ln_down(1.0), ln_up(1.0)), (0.0, 0.0));
        assert_eq!(ln_down(0.0), f64::NEG_INFINITY);
        assert_eq!(ln_up(f64::INFINITY), f64::INFINITY);
        assert_eq!((ln_1p_down(0.0), ln_1p_up(-0.0)), (0.0, 0.0));
        assert_eq!(ln_1p_down(-1.0), f64::NEG_INFINITY);
        assert!(ln_down(5e-324) < -744.44 && ln_up(5e-324) > -744.45);
    }
}
