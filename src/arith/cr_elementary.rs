//! Directed-rounded f64 ends of exp, exp_m1, ln and ln_1p from a correctly rounded library.
//!
//! The values come from CORE-MATH (the `core-math` crate, MIT): `cr_exp`, `cr_expm1`, `cr_log`
//! and `cr_log1p` are correctly rounded for every binary64 input, subnormal inputs and results
//! and the overflow range included, **in the rounding mode in force when they are called**
//! (CORE-MATH's error analysis covers the four IEEE modes; the notes of its own README require that
//! the C be compiled so that every operation rounds at run time in the current mode).
//!
//! # Why the ends are exactly MPFR's directed results
//!
//! Let `f` be one of the four functions, non-decreasing on its domain, and `[a, b]` the
//! argument (cut by the caller to the closed domain). [`ends`] sets the rounding direction to
//! toward `-inf`, calls the library at `a`, sets it to toward `+inf`, calls it at `b`, and
//! restores the saved control word. Correct rounding in those modes gives `lo = RD(f(a))`, the
//! largest f64 `<= f(a)`, and `hi = RU(f(b))`, the smallest f64 `>= f(b)`, so
//! `lo <= f(a) <= f(x) <= f(b) <= hi` for every `x` in `[a, b]`: an enclosure, and the
//! narrowest one with f64 ends. These are exactly the ends of inari's own MPFR route (53 bits,
//! directed rounding, subnormals handled by MPFR) and of the fallback in
//! `super::inari_backend`. The edges follow from the IEEE definitions of the directed modes:
//! * overflow: `RD(exp(x)) = MAX` and `RU(exp(x)) = +inf` once `exp(x) > MAX`;
//! * underflow: `RD(exp(x)) = 0` and `RU(exp(x)) = 2^-1074` once `exp(x) < 2^-1074`;
//!   subnormal results are rounded on the subnormal grid (gap `2^-1074`); `RD(exp_m1(x)) = -1`
//!   once `exp(x) < 2^-54`;
//! * exact points: `exp(0) = 1`, `exp_m1(0) = 0`, `ln(1) = 0`, `ln_1p(0) = 0` are f64 values
//!   and come back as points (this module also returns them without a call, with `+0`);
//! * infinite and edge arguments: `exp(-inf) = 0`, `exp(+inf) = +inf`, `exp_m1(-inf) = -1`,
//!   `ln(0) = ln_1p(-1) = -inf`, `ln(+inf) = ln_1p(+inf) = +inf`.
//!
//! # What the argument rests on, and how it is checked
//!
//! * The C is compiled with `-frounding-math` (`.cargo/config.toml` sets
//!   `CFLAGS_<target>`, which the `cc` build of `core-math-sys` reads; GCC ignores
//!   `#pragma STDC FENV_ACCESS ON`, so without the flag it may fold or reorder operations as if
//!   the mode were nearest). No `-ffast-math`; `core-math-sys` adds only `-march=$TARGET_CPU`.
//! * The mode switch is one `ldmxcsr` (x86_64, MXCSR bits 13-14) or `msr fpcr` (aarch64, FPCR
//!   bits 22-23) in an `asm!` block that the compiler treats as reading and writing memory; the
//!   library calls are opaque foreign calls between them, so neither can move across a switch.
//!   Between the calls Rust does no floating-point arithmetic; the results are only compared
//!   and moved after the mode is restored.
//! * The library is used only when the control word is in its default state (nearest, no
//!   flush-to-zero, no denormals-are-zero); otherwise [`ends`] returns `None` and the caller
//!   uses MPFR. Rust code never leaves a directed mode behind: inari's directed operations
//!   (x86_64 without AVX-512, as this haswell build) save MXCSR, set the rounding bits, do one
//!   instruction and restore MXCSR in one `asm!` block, as [`ends`] does.
//! * `tests/it/soundness_elementary.rs` requires each end to *equal* MPFR's directed result at
//!   2048 bits (rounded in the same direction to f64), 10^4 cases per function and direction
//!   by default, with the named hard cases, and on 4 threads interleaved with inari arithmetic.

/// The control-register bits this module reads and writes.
#[cfg(target_arch = "x86_64")]
mod ctl {
    /// MXCSR: DAZ is bit 6, the rounding control bits 13-14 (00 = nearest), FTZ bit 15.
    pub const NON_DEFAULT: u32 = 0xE040;
    /// Rounding control 01: toward -inf.
    pub const DOWN: u32 = 0x2000;
    /// Rounding control 10: toward +inf.
    pub const UP: u32 = 0x4000;
    pub type Word = u32;

    #[inline(always)]
    pub fn read() -> Word {
        let mut w: u32 = 0;
        // SAFETY: stores MXCSR into a local; SSE is part of x86_64.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut w as *mut u32, options(nostack, preserves_flags))
        };
        w
    }

    /// Loads `w` into MXCSR. No `nomem`: the compiler must treat it as a memory access, so the
    /// (opaque) library calls stay on their side of it.
    ///
    /// # Safety
    /// `w` must be a valid MXCSR value (reserved bits clear).
    #[inline(always)]
    pub unsafe fn write(w: Word) {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &w as *const u32, options(nostack, preserves_flags))
    }
}

#[cfg(target_arch = "aarch64")]
mod ctl {
    /// FPCR: FZ is bit 24, RMode bits 22-23 (00 = nearest), FZ16 bit 19 (unused here).
    pub const NON_DEFAULT: u64 = 0b111 << 22;
    /// RMode 10 (RM): toward -inf.
    pub const DOWN: u64 = 0b10 << 22;
    /// RMode 01 (RP): toward +inf.
    pub const UP: u64 = 0b01 << 22;
    pub type Word = u64;

    #[inline(always)]
    pub fn read() -> Word {
        let w: u64;
        // SAFETY: reading FPCR has no side effect.
        unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) w, options(nostack, preserves_flags)) };
        w
    }

    /// # Safety
    /// `w` must be a valid FPCR value (one read by [`read`], rounding bits changed).
    #[inline(always)]
    pub unsafe fn write(w: Word) {
        std::arch::asm!("msr fpcr, {}", in(reg) w, options(nostack, preserves_flags))
    }
}

/// Whether the floating-point control register is in its default state: round to nearest,
/// no flush-to-zero, no denormals-are-zero. Only then are the functions of this module used.
#[inline]
pub(super) fn fp_env_is_default() -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        ctl::read() & ctl::NON_DEFAULT == 0
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// `(RD(g(a)), RU(g(b)))` with `g` called in the directed modes; `None` outside the default
/// floating-point environment (and on targets without a mode switch here).
#[inline(always)]
fn directed(a: f64, b: f64, g: fn(f64) -> f64) -> Option<(f64, f64)> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let w = ctl::read();
        if w & ctl::NON_DEFAULT != 0 {
            return None;
        }
        // SAFETY: `w` was just read and only its (clear) rounding bits are set; the saved word
        // is restored before returning, and `g` (a CORE-MATH call) does not unwind.
        unsafe {
            ctl::write(w | ctl::DOWN);
            let lo = g(a);
            ctl::write(w | ctl::UP);
            let hi = g(b);
            ctl::write(w);
            Some((lo, hi))
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = (a, b, g);
        None
    }
}

/// Which function [`ends`] evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fun {
    Exp,
    ExpM1,
    Ln,
    Ln1p,
}

/// The directed-rounded ends `[RD(f(a)), RU(f(b))]` of the non-decreasing `f` on `[a, b]`
/// (`a <= b`, both in the closed domain: `a >= 0` for ln, `a >= -1` for ln_1p; infinite ends
/// allowed), or `None` when the floating-point environment is not the default one (the caller
/// then uses MPFR).
#[inline]
pub(super) fn ends(f: Fun, a: f64, b: f64) -> Option<(f64, f64)> {
    let (g, exact_arg, exact_val): (fn(f64) -> f64, f64, f64) = match f {
        Fun::Exp => (core_math::exp, 0.0, 1.0),
        Fun::ExpM1 => (core_math::expm1, 0.0, 0.0),
        Fun::Ln => (core_math::log, 1.0, 0.0),
        Fun::Ln1p => (core_math::log1p, 0.0, 0.0),
    };
    let (mut lo, mut hi) = if f == Fun::Exp
        && crate::mutation::active(crate::mutation::Mutant::InariExpNoOutwardStep)
    {
        // Injected bug (test builds with `--features mutation` only): no directed mode,
        // the round-to-nearest values taken as the ends.
        if !fp_env_is_default() {
            return None;
        }
        (g(a), g(b))
    } else {
        directed(a, b, g)?
    };
    // The exact points as `+0` / `1` (the library gives the same values; this fixes the sign
    // of a zero end, e.g. ln_1p(-0) = -0).
    if a == exact_arg {
        lo = exact_val;
    }
    if b == exact_arg {
        hi = exact_val;
    }
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(f: Fun, x: f64) -> (f64, f64) {
        ends(f, x, x).unwrap()
    }

    #[test]
    fn the_default_environment_is_detected_and_restored() {
        assert!(fp_env_is_default());
        let _ = e(Fun::Exp, 0.3);
        assert!(fp_env_is_default());
    }

    #[test]
    fn edges_and_exact_points() {
        assert_eq!(e(Fun::Exp, 0.0), (1.0, 1.0));
        assert_eq!(e(Fun::Exp, -0.0), (1.0, 1.0));
        assert_eq!(e(Fun::Exp, f64::NEG_INFINITY), (0.0, 0.0));
        assert_eq!(e(Fun::Exp, f64::INFINITY), (f64::INFINITY, f64::INFINITY));
        assert_eq!(e(Fun::Exp, 710.0), (f64::MAX, f64::INFINITY));
        assert_eq!(e(Fun::Exp, -800.0), (0.0, 5e-324));
        // Next to an exact point: RD and RU of a value just above 1.
        assert_eq!(e(Fun::Exp, 2f64.powi(-60)), (1.0, 1.0f64.next_up()));
        assert_eq!(e(Fun::ExpM1, f64::NEG_INFINITY), (-1.0, -1.0));
        let (lo, hi) = e(Fun::ExpM1, -50.0);
        assert_eq!((lo, hi), (-1.0, (-1.0f64).next_up()));
        assert_eq!(e(Fun::Ln, 1.0), (0.0, 0.0));
        assert_eq!(e(Fun::Ln, 0.0).0, f64::NEG_INFINITY);
        assert_eq!(e(Fun::Ln, f64::INFINITY).1, f64::INFINITY);
        assert_eq!(e(Fun::Ln1p, 0.0), (0.0, 0.0));
        assert_eq!(e(Fun::Ln1p, -0.0), (0.0, 0.0));
        assert_eq!(e(Fun::Ln1p, -1.0).0, f64::NEG_INFINITY);
        let (lo, hi) = e(Fun::Ln, 5e-324);
        assert!(lo < -744.44 && hi > -744.45 && hi == lo.next_up());
    }
}
