//! A rigorous exponential integral `Ei(x)` for positive `x` on MPFR floats, faster than MPFR's
//! `eint` on the arguments of the C6 table (issue 12).
//!
//! # Method (for `0 < x <= X_MAX`)
//!
//! `Ei(x) = gamma + ln x + S(x)` with `S(x) = sum_{n >= 1} t_n / n`, `t_n = x^n / n!`
//! (Abramowitz-Stegun 5.1.10; every term is positive for `x > 0`, so the sum has no
//! cancellation). `S` is evaluated in fixed point on GMP integers with `F` fractional bits:
//! `x = m 2^e` exactly (`m`, `e` integers, the float's own value), `T_0 = 2^F` and
//! `T_n = floor(floor(T_{n-1} m 2^e) / n) = floor(T_{n-1} x / n)` (the shift is exact for
//! `e >= 0`; `floor(floor(a) / n) = floor(a / n)` for an integer `n >= 1`), and the sum
//! `S_fix = sum_{n=1}^{N} floor(T_n / n)`.
//!
//! *Every error is a deficiency* (all quantities are positive and every rounding is a floor),
//! so `S_fix 2^-F <= S(x)` and only an upper bound `S(x) <= (S_fix + D) 2^-F` needs an argument:
//!
//! 1. *Terms.* With `eps_n = t_n 2^F - T_n >= 0`: `eps_0 = 0` and
//!    `eps_n <= eps_{n-1} x / n + 1`, so `eps_n <= sum_{j=1}^{n} x^{n-j} j! / n!`
//!    `<= sum_{k=0}^{n-1} x^k / k! <= e^x` (the term with `k = n - j` has `j! / (j+k)! <= 1/k!`).
//! 2. *Summands.* `t_n 2^F / n - floor(T_n / n) <= eps_n / n + 1`; summed over `n <= N`:
//!    `<= e^x H_N + N` with `H_N <= 1 + ln N`.
//! 3. *Tail.* The loop stops at the first `N` with `N + 1 >= 2x` and `T_N <= E`, where
//!    `E = 2^c >= e^x` (below). Then `q = x / (N + 1) <= 1/2` and `t_{N+j} <= t_N q^j`, so
//!    `sum_{n > N} t_n / n <= t_N q / (1 - q) <= t_N`, and `t_N 2^F <= T_N + eps_N <= T_N + e^x`.
//! 4. *Total.* `D = N + T_N + E (2 + bitlen(N))` bounds `N + e^x (H_N + 1) + T_N`, since
//!    `H_N + 1 <= 2 + ln N < 2 + bitlen(N)` and `e^x <= E`.
//!
//! `E = 2^c` with `k = ceil(x)` and `c = ceil(14427 k / 10000)`: `e^x <= e^k = 2^{k log2 e}` and
//! `log2 e = 1.442695... < 1.4427`. The enclosure of `S` is converted to floats rounded outward
//! (down for `S_fix 2^-F`, up for `(S_fix + D) 2^-F`; the scaling by `2^-F` is exact).
//!
//! `ln x` is MPFR's correctly rounded `log` rounded down and up (the ternary value is checked);
//! Euler's `gamma` is MPFR's constant rounded down and up, cached per working precision in a
//! thread-local table (no allocation of the constant per call). The three enclosures are added
//! with the lower ends rounded down and the upper ends rounded up, at the working precision
//! `w = p + 32`, then rounded outward to the result precision `p`. `F = w + 16 + bitlen(k)`:
//! the relative error of `S` is about `x (2 + ln N) 2^-F` since `S >= e^x / x`-ish for large `x`
//! (this only sizes `F`; soundness rests on `D` alone).
//!
//! # Width
//!
//! The result at precision `p` is accepted only when its two ends are at most 2 ulps apart
//! (`hi <= next_up(next_up(lo))`); otherwise (near the positive root `x0 = 0.3725074107...`,
//! where `gamma + ln x + S` cancels) the evaluation falls back to MPFR's `eint` rounded down and
//! up. So at a point the width is at most 2 ulps at `p`, at most twice MPFR's directed pair
//! (1 ulp apart whenever `Ei(x)` is not a float of precision `p`), and each end is at most
//! 2 ulps outside MPFR's corresponding directed end (both ends bracket `Ei(x)`).
//! `tests/it/soundness_ei.rs` checks containment against 2048-bit MPFR and this width bound.
//!
//! # Range
//!
//! `0 < x <= X_MAX = 256` (the series has about `e x` terms on integers of `F + 1.45 x` bits;
//! the C6 arguments are at most 100; the cut was not tuned by measurement, see
//! `benches/results/ei-2026-12-01.txt` for the C6 timings); every other
//! argument (`x > X_MAX`, infinities) uses MPFR's `eint` with directed rounding.

use rug::float::{Constant, Round};
use rug::ops::{AddAssignRound, AssignRound};
use rug::{Assign, Float, Integer};
use std::cell::RefCell;
use std::cmp::Ordering;

/// The largest argument evaluated by the series (beyond it: MPFR's `eint`).
pub(super) const X_MAX: u32 = 256;

/// Guard bits of the working precision over the result precision.
const GUARD: u32 = 32;

thread_local! {
    /// Euler's gamma rounded down and up, per working precision.
    static GAMMA: RefCell<Vec<(u32, Float, Float)>> = const { RefCell::new(Vec::new()) };
}

/// Calls `f` with Euler's gamma at precision `w` rounded down and up (cached).
fn with_gamma<R>(w: u32, f: impl FnOnce(&Float, &Float) -> R) -> R {
    GAMMA.with(|cell| {
        let mut cache = cell.borrow_mut();
        let i = match cache.iter().position(|(q, _, _)| *q == w) {
            Some(i) => i,
            None => {
                let (mut lo, o) = Float::with_val_round(w, Constant::Euler, Round::Down);
                if o == Ordering::Greater {
                    lo.next_down();
                }
                let (mut hi, o) = Float::with_val_round(w, Constant::Euler, Round::Up);
                if o == Ordering::Less {
                    hi.next_up();
                }
                if cache.len() >= 16 {
                    cache.remove(0);
                }
                cache.push((w, lo, hi));
                cache.len() - 1
            }
        };
        let (_, lo, hi) = &cache[i];
        f(lo, hi)
    })
}

/// MPFR's `eint` of `x` rounded down and up to precision `p` (the fallback).
fn mpfr_ei(x: &Float, p: u32) -> (Float, Float) {
    let mut lo = Float::with_val(p, x);
    if lo.eint_round(Round::Down) == Ordering::Greater {
        lo.next_down();
    }
    let mut hi = Float::with_val(p, x);
    if hi.eint_round(Round::Up) == Ordering::Less {
        hi.next_up();
    }
    (lo, hi)
}

/// Encloses `S(x) = sum_{n >= 1} x^n / (n n!)` for `0 < x` (finite, `x <= X_MAX`) by
/// `[lo, hi]` at precision `w` (module doc, items 1-4).
fn series(x: &Float, w: u32) -> (Float, Float) {
    let k = x.to_u32_saturating_round(Round::Up).unwrap_or(X_MAX).max(1);
    let frac = w + 16 + (32 - k.leading_zeros());
    let c = (14427 * k).div_ceil(10000);
    let (m, e) = x.to_integer_exp().expect("finite x");
    let mut e_bound = Integer::from(1);
    e_bound <<= c;
    let mut t = Integer::from(1);
    t <<= frac;
    let mut sum = Integer::new();
    let mut q = Integer::new();
    let two_x = Float::with_val(x.prec() + 1, x * 2u32);
    let mut n: u32 = 0;
    loop {
        n += 1;
        t *= &m;
        if e >= 0 {
            t <<= e as u32;
        } else {
            t >>= e.unsigned_abs();
        }
        t /= n; // t >= 0: truncation is the floor
        q.assign(&t / n);
        sum += &q;
        if t <= e_bound && two_x <= n + 1 {
            break;
        }
    }
    // D = N + T_N + E (2 + bitlen(N)).
    let bits = 32 - n.leading_zeros();
    e_bound *= 2 + bits;
    e_bound += &t;
    e_bound += n;
    e_bound += &sum;
    let (mut lo, o) = Float::with_val_round(w, &sum, Round::Down);
    if o == Ordering::Greater {
        lo.next_down();
    }
    let (mut hi, o) = Float::with_val_round(w, &e_bound, Round::Up);
    if o == Ordering::Less {
        hi.next_up();
    }
    lo >>= frac;
    hi >>= frac;
    (lo, hi)
}

/// `Ei(x)` rounded down and up to precision `p` by the series, or `None` when `x` is outside
/// `(0, X_MAX]` or the result is wider than 2 ulps (module doc).
pub(super) fn ei_series(x: &Float, p: u32) -> Option<(Float, Float)> {
    if !(x.cmp0() == Some(Ordering::Greater) && *x <= X_MAX) {
        return None;
    }
    let w = p.max(x.prec()) + GUARD;
    let (mut lo, mut hi) = series(x, w);
    let mut ln_lo = Float::with_val(w, x);
    if ln_lo.ln_round(Round::Down) == Ordering::Greater {
        ln_lo.next_down();
    }
    let mut ln_hi = Float::with_val(w, x);
    if ln_hi.ln_round(Round::Up) == Ordering::Less {
        ln_hi.next_up();
    }
    with_gamma(w, |g_lo, g_hi| {
        if lo.add_assign_round(g_lo, Round::Down) == Ordering::Greater {
            lo.next_down();
        }
        if hi.add_assign_round(g_hi, Round::Up) == Ordering::Less {
            hi.next_up();
        }
    });
    if lo.add_assign_round(&ln_lo, Round::Down) == Ordering::Greater {
        lo.next_down();
    }
    if hi.add_assign_round(&ln_hi, Round::Up) == Ordering::Less {
        hi.next_up();
    }
    let mut lo_p = Float::new(p);
    if lo_p.assign_round(&lo, Round::Down) == Ordering::Greater {
        lo_p.next_down();
    }
    let mut hi_p = Float::new(p);
    if hi_p.assign_round(&hi, Round::Up) == Ordering::Less {
        hi_p.next_up();
    }
    let mut limit = lo_p.clone();
    limit.next_up();
    limit.next_up();
    if hi_p <= limit {
        Some((lo_p, hi_p))
    } else {
        None
    }
}

/// Encloses `Ei` over `[a, b]` with `0 < a <= b` (Ei is increasing on `(0, inf)`): the lower
/// end of `Ei(a)` and the upper end of `Ei(b)` at precision `p`, each from [`ei_series`] or,
/// outside its range, MPFR's `eint` rounded outward.
pub(super) fn ei_increasing(a: &Float, b: &Float, p: u32) -> (Float, Float) {
    let at = |x: &Float| ei_series(x, p).unwrap_or_else(|| mpfr_ei(x, p));
    if a == b {
        return at(a);
    }
    (at(a).0, at(b).1)
}
