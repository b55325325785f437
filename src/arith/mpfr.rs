//! MPFR intervals: a pair of `rug::Float` with the lower end rounded down and the upper end
//! rounded up on every operation.
//!
//! Every MPFR call goes through [`round_down`] or [`round_up`], which read MPFR's ternary value
//! (the direction of the rounding error) and step one ulp outward if it ever contradicts the
//! requested direction, so a wrong rounding mode can never shrink an enclosure.

use super::{Enclosure, Field, Real, Ring};
use rug::float::{Round, Special};
use rug::ops::{AddAssignRound, AssignRound, MulAssignRound, NegAssign, SubAssignRound};
use rug::{Float, Rational};
use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// Smallest precision accepted by claim files (bits).
pub const MIN_PRECISION_BITS: u32 = 16;
/// Largest precision accepted by claim files (bits); larger requests are refused up front.
pub const MAX_PRECISION_BITS: u32 = 1 << 16;

/// Precision of the exact constants `zero()` and `one()`; binary operations take the larger
/// precision of their operands, so these never lower or raise a computation's precision.
const CONST_PREC: u32 = 2;

/// An interval `[lo, hi]` of MPFR floats that encloses a real number.
///
/// Invariant: `lo <= hi`, or the interval is *not finite* (an infinite end or a NaN end), in
/// which case it never certifies anything. Both ends have the same precision.
#[derive(Debug, PartialEq)]
pub struct MpfrInterval {
    lo: Float,
    hi: Float,
}

impl Clone for MpfrInterval {
    fn clone(&self) -> Self {
        MpfrInterval {
            lo: self.lo.clone(),
            hi: self.hi.clone(),
        }
    }
    /// The same value and precision as `clone`, in the limbs `self` already has: rug's
    /// `Float::clone_from` sets the precision (MPFR reallocates only when it needs more limbs)
    /// and copies exactly, so copies into reused registers do not allocate.
    fn clone_from(&mut self, source: &Self) {
        self.lo.clone_from(&source.lo);
        self.hi.clone_from(&source.hi);
    }
}

/// Evaluate `expr` at `prec` bits rounded towards -inf; checks MPFR's ternary value.
///
/// Guarantee: the result is <= the exact value of `expr`.
pub fn round_down<T>(prec: u32, expr: T) -> Float
where
    Float: rug::ops::AssignRound<T, Round = Round, Ordering = Ordering>,
{
    if crate::mutation::active(crate::mutation::Mutant::LowerBoundRoundedUp) {
        // mutant: the lower end rounded towards +inf, ternary value ignored
        return Float::with_val_round(prec, expr, Round::Up).0;
    }
    let (mut x, dir) = Float::with_val_round(prec, expr, Round::Down);
    if dir == Ordering::Greater {
        x.next_down();
    }
    x
}

/// Evaluate `expr` at `prec` bits rounded towards +inf; checks MPFR's ternary value.
///
/// Guarantee: the result is >= the exact value of `expr`.
pub fn round_up<T>(prec: u32, expr: T) -> Float
where
    Float: rug::ops::AssignRound<T, Round = Round, Ordering = Ordering>,
{
    let (mut x, dir) = Float::with_val_round(prec, expr, Round::Up);
    if dir == Ordering::Less {
        x.next_up();
    }
    x
}

fn nan(prec: u32) -> MpfrInterval {
    MpfrInterval {
        lo: Float::with_val(prec, Special::Nan),
        hi: Float::with_val(prec, Special::Nan),
    }
}

fn entire(prec: u32) -> MpfrInterval {
    MpfrInterval {
        lo: Float::with_val(prec, Special::NegInfinity),
        hi: Float::with_val(prec, Special::Infinity),
    }
}

/// min of possibly-NaN floats: NaN wins (poisoning), so a NaN can never hide.
fn min_nan(a: Float, b: Float) -> Float {
    if a.is_nan() || b.is_nan() {
        Float::with_val(a.prec(), Special::Nan)
    } else if b < a {
        b
    } else {
        a
    }
}

fn max_nan(a: Float, b: Float) -> Float {
    if a.is_nan() || b.is_nan() {
        Float::with_val(a.prec(), Special::Nan)
    } else if b > a {
        b
    } else {
        a
    }
}

impl MpfrInterval {
    /// The degenerate interval `[x, x]` (exact), at the precision of `x`.
    pub fn point(x: Float) -> Self {
        MpfrInterval {
            hi: x.clone(),
            lo: x,
        }
    }

    /// Encloses `[lo, hi]` at precision `prec` (ends rounded outward). Returns a not-finite
    /// interval when `lo > hi` or an end is NaN.
    pub fn from_bounds(lo: &Float, hi: &Float, prec: u32) -> Self {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return nan(prec);
        }
        MpfrInterval {
            lo: round_down(prec, lo),
            hi: round_up(prec, hi),
        }
    }

    /// Lower end (rounded down from the exact set).
    pub fn lo(&self) -> &Float {
        &self.lo
    }

    /// Upper end (rounded up from the exact set).
    pub fn hi(&self) -> &Float {
        &self.hi
    }

    /// Midpoint at the interval's precision (approx: not an enclosure).
    pub fn approx_mid(&self) -> Float {
        let p = self.prec();
        Float::with_val(p, &self.lo + &self.hi) / 2u32
    }

    /// The same interval re-rounded outward to `prec` bits.
    pub fn with_prec(&self, prec: u32) -> Self {
        if !self.is_finite() && (self.lo.is_nan() || self.hi.is_nan()) {
            return nan(prec);
        }
        MpfrInterval {
            lo: round_down(prec, &self.lo),
            hi: round_up(prec, &self.hi),
        }
    }

    fn pair_prec(&self, other: &Self) -> u32 {
        self.prec().max(other.prec())
    }

    /// Apply a non-decreasing function given by its down/up-rounded evaluations.
    fn monotone_up(&self, f: impl Fn(&mut Float, Round) -> Ordering) -> Self {
        let p = self.prec();
        let mut lo = self.lo.clone();
        let d = f(&mut lo, Round::Down);
        if d == Ordering::Greater {
            lo.next_down();
        }
        let mut hi = self.hi.clone();
        let u = f(&mut hi, Round::Up);
        if u == Ordering::Less {
            hi.next_up();
        }
        debug_assert!(lo.prec() == p);
        MpfrInterval { lo, hi }
    }
}

/// The hull of `op` over the four corners `(a_end, b_end)`: `op` returns each corner's value
/// rounded down and up; a NaN anywhere poisons the result (never certifies).
fn corner_hull(
    a: &MpfrInterval,
    b: &MpfrInterval,
    p: u32,
    op: impl Fn(&Float, &Float) -> (Float, Float),
) -> MpfrInterval {
    let (mut lo, mut hi) = op(&a.lo, &b.lo);
    for (x, y) in [(&a.lo, &b.hi), (&a.hi, &b.lo), (&a.hi, &b.hi)] {
        let (d, u) = op(x, y);
        lo = min_nan(lo, d);
        hi = max_nan(hi, u);
    }
    debug_assert!(lo.prec() == p || lo.is_nan());
    MpfrInterval { lo, hi }
}

thread_local! {
    /// Per-thread scratch interval for the in-place operations ([`with_scratch`]): its floats
    /// keep their allocation from call to call, so inner loops (`add_product`, butterflies,
    /// general products) allocate nothing once the precision is reached.
    static SCRATCH: std::cell::RefCell<MpfrInterval> = std::cell::RefCell::new(MpfrInterval {
        lo: Float::new(64),
        hi: Float::new(64),
    });
}

/// Run `f` on this thread's scratch interval, both ends set to precision `p` (their values are
/// unspecified). `f` must not call `with_scratch` again (the scratch is borrowed).
fn with_scratch<R>(p: u32, f: impl FnOnce(&mut MpfrInterval) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut s = cell.borrow_mut();
        if s.lo.prec() != p {
            s.lo.set_prec(p);
        }
        if s.hi.prec() != p {
            s.hi.set_prec(p);
        }
        f(&mut s)
    })
}

thread_local! {
    /// A second per-thread scratch interval, for [`Ring::add_product_pair`] (which needs two
    /// products alive at once); see [`SCRATCH`].
    static SCRATCH2: std::cell::RefCell<MpfrInterval> = std::cell::RefCell::new(MpfrInterval {
        lo: Float::new(64),
        hi: Float::new(64),
    });
}

/// As [`with_scratch`], on the second scratch interval. `f` must not call `with_scratch2`.
fn with_scratch2<R>(p: u32, f: impl FnOnce(&mut MpfrInterval) -> R) -> R {
    SCRATCH2.with(|cell| {
        let mut s = cell.borrow_mut();
        set_ends_prec(&mut s, p);
        f(&mut s)
    })
}

/// Set both ends of `x` to precision `p` (their values become unspecified; no allocation when
/// the precision is unchanged or the storage is large enough).
fn set_ends_prec(x: &mut MpfrInterval, p: u32) {
    if x.lo.prec() != p {
        x.lo.set_prec(p);
    }
    if x.hi.prec() != p {
        x.hi.set_prec(p);
    }
}

/// `dst <- expr` rounded down to `dst`'s precision, in place: the same value as
/// [`round_down`] at that precision (ternary value checked; the same mutant).
fn assign_down<T>(dst: &mut Float, expr: T)
where
    Float: AssignRound<T, Round = Round, Ordering = Ordering>,
{
    if crate::mutation::active(crate::mutation::Mutant::LowerBoundRoundedUp) {
        // mutant (as in `round_down`): the lower end rounded towards +inf, ternary value ignored
        dst.assign_round(expr, Round::Up);
        return;
    }
    let d = dst.assign_round(expr, Round::Down);
    fix_down(dst, d);
}

/// `dst <- expr` rounded up to `dst`'s precision, in place: the same value as [`round_up`].
fn assign_up<T>(dst: &mut Float, expr: T)
where
    Float: AssignRound<T, Round = Round, Ordering = Ordering>,
{
    let u = dst.assign_round(expr, Round::Up);
    fix_up(dst, u);
}

/// `dst <- x * y` rounded down to `dst`'s precision (ternary value checked), in place.
fn mul_down_into(dst: &mut Float, x: &Float, y: &Float) {
    if crate::mutation::active(crate::mutation::Mutant::LowerBoundRoundedUp) {
        // mutant (as in `round_down`): the lower end rounded towards +inf, ternary value ignored
        dst.assign_round(x * y, Round::Up);
        return;
    }
    let d = dst.assign_round(x * y, Round::Down);
    fix_down(dst, d);
}

/// `dst <- x * y` rounded up to `dst`'s precision (ternary value checked), in place.
fn mul_up_into(dst: &mut Float, x: &Float, y: &Float) {
    let u = dst.assign_round(x * y, Round::Up);
    fix_up(dst, u);
}

/// `dst <- a * b`, the same enclosure as [`product`] (same sign cases, same roundings) at the
/// precision of `dst`'s ends, which must be `a.pair_prec(b)`. In place for finite factors that
/// do not both straddle 0; the other cases go through [`product`].
fn product_into(dst: &mut MpfrInterval, a: &MpfrInterval, b: &MpfrInterval) {
    if !(a.is_finite() && b.is_finite()) {
        *dst = product(a, b);
        return;
    }
    let nonneg = |x: &MpfrInterval| x.lo.cmp0() != Some(Ordering::Less);
    let nonpos = |x: &MpfrInterval| x.hi.cmp0() != Some(Ordering::Greater);
    let (a1, a2, b1, b2) = (&a.lo, &a.hi, &b.lo, &b.hi);
    let (lo_pair, hi_pair) = if nonneg(a) {
        if nonneg(b) {
            ((a1, b1), (a2, b2))
        } else if nonpos(b) {
            ((a2, b1), (a1, b2))
        } else {
            ((a2, b1), (a2, b2))
        }
    } else if nonpos(a) {
        if nonneg(b) {
            ((a1, b2), (a2, b1))
        } else if nonpos(b) {
            ((a2, b2), (a1, b1))
        } else {
            ((a1, b2), (a1, b1))
        }
    } else if nonneg(b) {
        ((a1, b2), (a2, b2))
    } else if nonpos(b) {
        ((a2, b1), (a1, b1))
    } else {
        // both straddle 0: four products, as in `product` (the same roundings and the same
        // choice between equal candidates), the second candidate of each end in a scratch float
        straddle_into(dst, a, b);
        return;
    };
    mul_down_into(&mut dst.lo, lo_pair.0, lo_pair.1);
    mul_up_into(&mut dst.hi, hi_pair.0, hi_pair.1);
}

thread_local! {
    /// Scratch float of [`straddle_into`] (its storage kept from call to call).
    static STRADDLE: std::cell::RefCell<Float> = std::cell::RefCell::new(Float::new(64));
}

/// `dst <- a * b` for finite factors that both straddle 0, at `dst`'s precision (which must
/// be `a.pair_prec(b)`): `[min_nan(a_lo b_hi, a_hi b_lo) rounded down, max_nan(a_lo b_lo,
/// a_hi b_hi) rounded up]`, exactly as [`product`] computes it (including which of two equal
/// candidates is kept, and the `MpfrMulStraddleLower` mutant), without allocating.
fn straddle_into(dst: &mut MpfrInterval, a: &MpfrInterval, b: &MpfrInterval) {
    let (a1, a2, b1, b2) = (&a.lo, &a.hi, &b.lo, &b.hi);
    STRADDLE.with(|cell| {
        let mut t = cell.borrow_mut();
        let p = dst.lo.prec();
        if t.prec() != p {
            t.set_prec(p);
        }
        // lower end: min_nan(round_down(a1 b2), round_down(a2 b1))
        assign_down(&mut dst.lo, a1 * b2);
        assign_down(&mut t, a2 * b1);
        if dst.lo.is_nan() || t.is_nan() {
            dst.lo = Float::with_val(p, Special::Nan);
        } else if *t < dst.lo {
            std::mem::swap(&mut dst.lo, &mut t);
        }
        if crate::mutation::active(crate::mutation::Mutant::MpfrMulStraddleLower) {
            // mutant (as in `product`): the lower end taken from the pair (a_lo, b_lo)
            assign_down(&mut dst.lo, a1 * b1);
        }
        // upper end: max_nan(round_up(a1 b1), round_up(a2 b2))
        assign_up(&mut dst.hi, a1 * b1);
        assign_up(&mut t, a2 * b2);
        if dst.hi.is_nan() || t.is_nan() {
            dst.hi = Float::with_val(p, Special::Nan);
        } else if *t > dst.hi {
            std::mem::swap(&mut dst.hi, &mut t);
        }
    });
}

impl num_traits::Zero for MpfrInterval {
    fn zero() -> Self {
        MpfrInterval::point(Float::new(CONST_PREC))
    }
    fn is_zero(&self) -> bool {
        self.lo.is_zero() && self.hi.is_zero()
    }
}

impl num_traits::One for MpfrInterval {
    fn one() -> Self {
        MpfrInterval::point(Float::with_val(CONST_PREC, 1))
    }
}

impl MpfrInterval {
    /// Raise both ends to at least `p` bits (exact: more bits never round).
    fn raise_prec(&mut self, p: u32) {
        if self.lo.prec() < p {
            self.lo.set_prec(p);
        }
        if self.hi.prec() < p {
            self.hi.set_prec(p);
        }
    }
}

/// `x` has been rounded down in place; step it down if MPFR's ternary value says otherwise.
fn fix_down(x: &mut Float, dir: Ordering) {
    if dir == Ordering::Greater {
        x.next_down();
    }
}

/// `x` has been rounded up in place; step it up if MPFR's ternary value says otherwise.
fn fix_up(x: &mut Float, dir: Ordering) {
    if dir == Ordering::Less {
        x.next_up();
    }
}

impl<'a> AddAssign<&'a MpfrInterval> for MpfrInterval {
    /// In place (no allocation at equal precision): `[a + c rounded down, b + d rounded up]`.
    fn add_assign(&mut self, rhs: &'a MpfrInterval) {
        self.raise_prec(rhs.prec());
        let d = self.lo.add_assign_round(&rhs.lo, Round::Down);
        fix_down(&mut self.lo, d);
        let u = self.hi.add_assign_round(&rhs.hi, Round::Up);
        fix_up(&mut self.hi, u);
    }
}

impl<'a> SubAssign<&'a MpfrInterval> for MpfrInterval {
    /// In place: `[a - d rounded down, b - c rounded up]`.
    fn sub_assign(&mut self, rhs: &'a MpfrInterval) {
        self.raise_prec(rhs.prec());
        let d = self.lo.sub_assign_round(&rhs.hi, Round::Down);
        fix_down(&mut self.lo, d);
        let u = self.hi.sub_assign_round(&rhs.lo, Round::Up);
        fix_up(&mut self.hi, u);
    }
}

/// Encloses the product set `{x y : x in a, y in b}`.
///
/// Finite factors use the classical sign-case analysis (two products, each rounded outward,
/// except when both factors straddle 0: four); non-finite ends fall back to the four-corner
/// hull, where `0 * inf` counts as 0.
fn product(a: &MpfrInterval, b: &MpfrInterval) -> MpfrInterval {
    let p = a.pair_prec(b);
    if !(a.is_finite() && b.is_finite()) {
        return corner_hull(a, b, p, |x, y| {
            if (x.is_zero() && y.is_infinite()) || (x.is_infinite() && y.is_zero()) {
                (Float::new(p), Float::new(p))
            } else {
                (round_down(p, x * y), round_up(p, x * y))
            }
        });
    }
    let nonneg = |x: &MpfrInterval| x.lo.cmp0() != Some(Ordering::Less);
    let nonpos = |x: &MpfrInterval| x.hi.cmp0() != Some(Ordering::Greater);
    let (a1, a2, b1, b2) = (&a.lo, &a.hi, &b.lo, &b.hi);
    let (lo_pair, hi_pair) = if nonneg(a) {
        if nonneg(b) {
            ((a1, b1), (a2, b2))
        } else if nonpos(b) {
            ((a2, b1), (a1, b2))
        } else {
            ((a2, b1), (a2, b2))
        }
    } else if nonpos(a) {
        if nonneg(b) {
            ((a1, b2), (a2, b1))
        } else if nonpos(b) {
            ((a2, b2), (a1, b1))
        } else {
            ((a1, b2), (a1, b1))
        }
    } else if nonneg(b) {
        ((a1, b2), (a2, b2))
    } else if nonpos(b) {
        ((a2, b1), (a1, b1))
    } else {
        let mut lo = min_nan(round_down(p, a1 * b2), round_down(p, a2 * b1));
        if crate::mutation::active(crate::mutation::Mutant::MpfrMulStraddleLower) {
            // mutant: both factors straddle 0, the lower end taken from the pair (a_lo, b_lo)
            lo = round_down(p, a1 * b1);
        }
        let hi = max_nan(round_up(p, a1 * b1), round_up(p, a2 * b2));
        return MpfrInterval { lo, hi };
    };
    MpfrInterval {
        lo: round_down(p, lo_pair.0 * lo_pair.1),
        hi: round_up(p, hi_pair.0 * hi_pair.1),
    }
}

impl<'a> MulAssign<&'a MpfrInterval> for MpfrInterval {
    /// In place when both factors are finite and non-negative (two roundings); otherwise the
    /// sign-case product.
    fn mul_assign(&mut self, rhs: &'a MpfrInterval) {
        let both_nonneg = self.lo.cmp0().is_some_and(|o| o != Ordering::Less)
            && rhs.lo.cmp0().is_some_and(|o| o != Ordering::Less)
            && self.hi.is_finite()
            && rhs.hi.is_finite();
        if both_nonneg {
            self.raise_prec(rhs.prec());
            let d = self.lo.mul_assign_round(&rhs.lo, Round::Down);
            fix_down(&mut self.lo, d);
            let u = self.hi.mul_assign_round(&rhs.hi, Round::Up);
            fix_up(&mut self.hi, u);
        } else {
            // the product into the scratch, then swapped in (the old ends become the scratch)
            let p = self.pair_prec(rhs);
            with_scratch(p, |s| {
                product_into(s, self, rhs);
                std::mem::swap(self, s);
            });
        }
    }
}

macro_rules! via_assign {
    ($($tr:ident $f:ident $tra:ident $fa:ident;)*) => {$(
        impl<'a> $tr<&'a MpfrInterval> for MpfrInterval {
            type Output = MpfrInterval;
            fn $f(mut self, rhs: &'a MpfrInterval) -> MpfrInterval {
                $tra::$fa(&mut self, rhs);
                self
            }
        }
        impl $tr<MpfrInterval> for MpfrInterval {
            type Output = MpfrInterval;
            fn $f(mut self, rhs: MpfrInterval) -> MpfrInterval {
                $tra::$fa(&mut self, &rhs);
                self
            }
        }
        impl $tra<MpfrInterval> for MpfrInterval {
            fn $fa(&mut self, rhs: MpfrInterval) {
                $tra::$fa(self, &rhs);
            }
        }
    )*};
}

via_assign! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
}

impl Div<&MpfrInterval> for MpfrInterval {
    type Output = MpfrInterval;
    fn div(self, rhs: &MpfrInterval) -> MpfrInterval {
        let p = self.pair_prec(rhs);
        if self.lo.is_nan() || self.hi.is_nan() || rhs.lo.is_nan() || rhs.hi.is_nan() {
            return nan(p);
        }
        // A divisor that may be 0 gives no information.
        if rhs.lo.cmp0() != Some(Ordering::Greater) && rhs.hi.cmp0() != Some(Ordering::Less) {
            return entire(p);
        }
        if self.is_finite() && rhs.is_finite() {
            // Sign cases: two directed divisions (the divisor excludes 0 here).
            let (a1, a2, b1, b2) = (&self.lo, &self.hi, &rhs.lo, &rhs.hi);
            let a_nonneg = a1.cmp0() != Some(Ordering::Less);
            let a_nonpos = a2.cmp0() != Some(Ordering::Greater);
            let (lo_pair, hi_pair) = if b1.cmp0() == Some(Ordering::Greater) {
                if a_nonneg {
                    ((a1, b2), (a2, b1))
                } else if a_nonpos {
                    ((a1, b1), (a2, b2))
                } else {
                    ((a1, b1), (a2, b1))
                }
            } else if a_nonneg {
                ((a2, b2), (a1, b1))
            } else if a_nonpos {
                ((a2, b1), (a1, b2))
            } else {
                ((a2, b2), (a1, b2))
            };
            return MpfrInterval {
                lo: round_down(p, lo_pair.0 / lo_pair.1),
                hi: round_up(p, hi_pair.0 / hi_pair.1),
            };
        }
        corner_hull(&self, rhs, p, |x, y| {
            if x.is_infinite() && y.is_infinite() {
                // inf / inf: the quotient set of an unbounded numerator is unbounded.
                (
                    Float::with_val(p, Special::NegInfinity),
                    Float::with_val(p, Special::Infinity),
                )
            } else {
                (round_down(p, x / y), round_up(p, x / y))
            }
        })
    }
}

impl Neg for MpfrInterval {
    type Output = MpfrInterval;
    fn neg(self) -> MpfrInterval {
        // Negation is exact in binary floating point.
        MpfrInterval {
            lo: -self.hi,
            hi: -self.lo,
        }
    }
}

impl Div<MpfrInterval> for MpfrInterval {
    type Output = MpfrInterval;
    fn div(self, rhs: MpfrInterval) -> MpfrInterval {
        self / &rhs
    }
}

impl Ring for MpfrInterval {
    /// Fused: the product `a * b` (rounded outward at `a.pair_prec(b)`, exactly as `a * b`)
    /// into the thread's scratch, then added in place (rounded outward): the same enclosure as
    /// `*self += a.clone() * b`, without allocating.
    fn add_product(&mut self, a: &Self, b: &Self) {
        with_scratch(a.pair_prec(b), |s| {
            product_into(s, a, b);
            *self += &*s;
        });
    }
    /// `(a, b) <- (a + b, a - b)`: the difference into the thread's scratch (rounded outward
    /// at the larger precision, as `a.clone() - b`), `a += b` in place, then the scratch and
    /// `b` swapped: the same enclosures as `+` and `-`, without allocating.
    fn butterfly(a: &mut Self, b: &mut Self) {
        with_scratch(a.pair_prec(b), |s| {
            let d = s.lo.assign_round(&a.lo - &b.hi, Round::Down);
            fix_down(&mut s.lo, d);
            let u = s.hi.assign_round(&a.hi - &b.lo, Round::Up);
            fix_up(&mut s.hi, u);
            *a += &*b;
            std::mem::swap(b, s);
        });
    }
    /// Both products into the two thread scratches (each exactly as `a.clone() * b`), their
    /// sum rounded outward in the first, then added in place: the same enclosure as the
    /// default body, without allocating.
    fn add_product_pair(&mut self, a: &Self, b: &Self, c: &Self, d: &Self) {
        with_scratch(a.pair_prec(b), |t| {
            product_into(t, a, b);
            with_scratch2(c.pair_prec(d), |s| {
                product_into(s, c, d);
                *t += &*s;
            });
            *self += &*t;
        });
    }
    /// Copies both ends (their precision included) into `out`'s storage.
    fn assign(out: &mut Self, src: &Self) {
        out.lo.clone_from(&src.lo);
        out.hi.clone_from(&src.hi);
    }
    /// `[a_lo + b_lo rounded down, a_hi + b_hi rounded up]` at the larger precision, in place:
    /// the same roundings as `a.clone() + b` (`AddAssign`).
    fn add_into(out: &mut Self, a: &Self, b: &Self) {
        set_ends_prec(out, a.pair_prec(b));
        let d = out.lo.assign_round(&a.lo + &b.lo, Round::Down);
        fix_down(&mut out.lo, d);
        let u = out.hi.assign_round(&a.hi + &b.hi, Round::Up);
        fix_up(&mut out.hi, u);
    }
    /// `[a_lo - b_hi rounded down, a_hi - b_lo rounded up]` at the larger precision, in place:
    /// the same roundings as `a.clone() - b` (`SubAssign`).
    fn sub_into(out: &mut Self, a: &Self, b: &Self) {
        set_ends_prec(out, a.pair_prec(b));
        let d = out.lo.assign_round(&a.lo - &b.hi, Round::Down);
        fix_down(&mut out.lo, d);
        let u = out.hi.assign_round(&a.hi - &b.lo, Round::Up);
        fix_up(&mut out.hi, u);
    }
    /// The same case split and roundings as `a.clone() * b` (`MulAssign`: two directed
    /// products for non-negative finite factors, else the sign-case product), into `out`.
    fn mul_into(out: &mut Self, a: &Self, b: &Self) {
        set_ends_prec(out, a.pair_prec(b));
        let both_nonneg = a.lo.cmp0().is_some_and(|o| o != Ordering::Less)
            && b.lo.cmp0().is_some_and(|o| o != Ordering::Less)
            && a.hi.is_finite()
            && b.hi.is_finite();
        if both_nonneg {
            let d = out.lo.assign_round(&a.lo * &b.lo, Round::Down);
            fix_down(&mut out.lo, d);
            let u = out.hi.assign_round(&a.hi * &b.hi, Round::Up);
            fix_up(&mut out.hi, u);
        } else {
            product_into(out, a, b);
        }
    }
    /// Exact: `[-a_hi, -a_lo]`, each end keeping its precision, as `-a.clone()`.
    fn neg_into(out: &mut Self, a: &Self) {
        out.lo.clone_from(&a.hi);
        out.lo.neg_assign();
        out.hi.clone_from(&a.lo);
        out.hi.neg_assign();
    }
    /// `[a_lo 2^k rounded down, a_hi 2^k rounded up]` at `a`'s precision, as `a.mul_pow2(k)`.
    fn mul_pow2_into(out: &mut Self, a: &Self, k: i32) {
        set_ends_prec(out, a.prec());
        assign_down(&mut out.lo, &a.lo << k);
        assign_up(&mut out.hi, &a.hi << k);
    }
    fn prec(&self) -> u32 {
        self.lo.prec().max(self.hi.prec())
    }
    fn from_i64(n: i64, prec: u32) -> Self {
        MpfrInterval {
            lo: round_down(prec, n),
            hi: round_up(prec, n),
        }
    }
    fn mul_pow2(&self, k: i32) -> Self {
        let p = self.prec();
        MpfrInterval {
            lo: round_down(p, &self.lo << k),
            hi: round_up(p, &self.hi << k),
        }
    }
    fn approx_f64(&self) -> f64 {
        self.approx_mid().to_f64()
    }
}

impl Field for MpfrInterval {
    fn from_rational(q: &Rational, prec: u32) -> Self {
        MpfrInterval {
            lo: round_down(prec, q),
            hi: round_up(prec, q),
        }
    }
    fn recip(&self) -> Self {
        let p = self.prec();
        MpfrInterval::point(Float::with_val(p, 1)) / self
    }
    /// For finite operands and a divisor excluding 0: the two directed quotients of the sign
    /// cases of `a.clone() / b`, into `out`'s storage; every other case is `a.clone() / b`.
    fn div_into(out: &mut Self, a: &Self, b: &Self) {
        let divisor_excludes_zero =
            b.lo.cmp0() == Some(Ordering::Greater) || b.hi.cmp0() == Some(Ordering::Less);
        if !(a.is_finite() && b.is_finite() && divisor_excludes_zero) {
            *out = a.clone() / b;
            return;
        }
        // The sign cases of `Div` (the divisor excludes 0 here).
        let (a1, a2, b1, b2) = (&a.lo, &a.hi, &b.lo, &b.hi);
        let a_nonneg = a1.cmp0() != Some(Ordering::Less);
        let a_nonpos = a2.cmp0() != Some(Ordering::Greater);
        let (lo_pair, hi_pair) = if b1.cmp0() == Some(Ordering::Greater) {
            if a_nonneg {
                ((a1, b2), (a2, b1))
            } else if a_nonpos {
                ((a1, b1), (a2, b2))
            } else {
                ((a1, b1), (a2, b1))
            }
        } else if a_nonneg {
            ((a2, b2), (a1, b1))
        } else if a_nonpos {
            ((a2, b1), (a1, b2))
        } else {
            ((a2, b2), (a1, b2))
        };
        set_ends_prec(out, a.pair_prec(b));
        assign_down(&mut out.lo, lo_pair.0 / lo_pair.1);
        assign_up(&mut out.hi, hi_pair.0 / hi_pair.1);
    }
}

impl Real for MpfrInterval {
    fn exp(&self) -> Self {
        self.monotone_up(|x, r| x.exp_round(r))
    }
    fn exp_m1(&self) -> Self {
        self.monotone_up(|x, r| x.exp_m1_round(r))
    }
    fn ln(&self) -> Self {
        let p = self.prec();
        if self.hi.is_nan() || self.lo.is_nan() || self.hi.cmp0() != Some(Ordering::Greater) {
            return nan(p);
        }
        let clipped = if self.lo.cmp0() == Some(Ordering::Greater) {
            self.clone()
        } else {
            MpfrInterval {
                lo: Float::new(p),
                hi: self.hi.clone(),
            }
        };
        // ln(0) = -inf in MPFR, which is the correct (unbounded) lower end.
        clipped.monotone_up(|x, r| x.ln_round(r))
    }
    fn ln_1p(&self) -> Self {
        let p = self.prec();
        let minus_one = Float::with_val(p, -1);
        if self.hi.is_nan() || self.lo.is_nan() || self.hi <= minus_one {
            return nan(p);
        }
        let clipped = if self.lo > minus_one {
            self.clone()
        } else {
            MpfrInterval {
                lo: minus_one,
                hi: self.hi.clone(),
            }
        };
        clipped.monotone_up(|x, r| x.ln_1p_round(r))
    }
    fn sqrt(&self) -> Self {
        let p = self.prec();
        if self.hi.is_nan() || self.lo.is_nan() || self.hi.cmp0() == Some(Ordering::Less) {
            return nan(p);
        }
        let clipped = if self.lo.cmp0() == Some(Ordering::Less) {
            MpfrInterval {
                lo: Float::new(p),
                hi: self.hi.clone(),
            }
        } else {
            self.clone()
        };
        clipped.monotone_up(|x, r| x.sqrt_round(r))
    }
    fn ei(&self) -> Self {
        // Ei is decreasing on (-inf, 0), increasing on (0, inf), -> -inf at 0.
        let p = self.prec();
        if !self.is_finite() && (self.lo.is_nan() || self.hi.is_nan()) {
            return nan(p);
        }
        if self.lo.cmp0() == Some(Ordering::Greater) {
            // The series of `src/arith/ei.rs` (MPFR's eint outside its range).
            let (lo, hi) = super::ei::ei_increasing(&self.lo, &self.hi, p);
            MpfrInterval { lo, hi }
        } else if self.hi.cmp0() == Some(Ordering::Less) {
            let mut lo = self.hi.clone();
            if lo.eint_round(Round::Down) == Ordering::Greater {
                lo.next_down();
            }
            let mut hi = self.lo.clone();
            if hi.eint_round(Round::Up) == Ordering::Less {
                hi.next_up();
            }
            MpfrInterval { lo, hi }
        } else {
            let a = self.lo.clone();
            let b = self.hi.clone();
            let mut hi = Float::with_val(p, Special::NegInfinity);
            for mut x in [a, b] {
                if !x.is_zero() {
                    if x.eint_round(Round::Up) == Ordering::Less {
                        x.next_up();
                    }
                    hi = max_nan(hi, x);
                }
            }
            MpfrInterval {
                lo: Float::with_val(p, Special::NegInfinity),
                hi,
            }
        }
    }
    fn from_f64(x: f64, prec: u32) -> Self {
        if x.is_nan() {
            return nan(prec);
        }
        MpfrInterval {
            lo: round_down(prec, x),
            hi: round_up(prec, x),
        }
    }
    /// Encloses: `p / q` is reduced exactly (in rationals) to a turn `r` in `[0, 1/8]` by the
    /// symmetries `x -> x - 1/2` (both negate), `x -> x - 1/4` (cos -> -sin, sin -> cos) and
    /// `x -> 1/4 - x` (cos <-> sin), all exact on enclosures; on `[0, pi/4]` cos decreases and
    /// sin increases, so each end is one directed MPFR evaluation at an end of the outward
    /// enclosure of `2 pi r`. Exact turns (`r = 0`) give exact results: cos 0 = 1, sin 0 = 0.
    fn cos_sin_two_pi_rational(p: i64, q: u64, prec: u32) -> (Self, Self) {
        cos_sin_turn(p, q, prec)
    }
}

impl Enclosure for MpfrInterval {
    const BACKEND: &'static str = "mpfr";
    fn subset(&self, other: &Self) -> bool {
        self.is_finite() && other.is_finite() && self.lo >= other.lo && self.hi <= other.hi
    }
    fn mid_point(&self) -> Self {
        if !self.is_finite() {
            return MpfrInterval::point(Float::with_val(self.prec(), 0));
        }
        MpfrInterval::point(self.approx_mid())
    }
    fn hull(&self, other: &Self) -> Self {
        let p = self.pair_prec(other);
        MpfrInterval {
            lo: round_down(p, min_nan(self.lo.clone(), other.lo.clone())),
            hi: round_up(p, max_nan(self.hi.clone(), other.hi.clone())),
        }
    }
    fn max(&self, other: &Self) -> Self {
        let p = self.pair_prec(other);
        MpfrInterval {
            lo: round_down(p, max_nan(self.lo.clone(), other.lo.clone())),
            hi: round_up(p, max_nan(self.hi.clone(), other.hi.clone())),
        }
    }
    fn min(&self, other: &Self) -> Self {
        let p = self.pair_prec(other);
        MpfrInterval {
            lo: round_down(p, min_nan(self.lo.clone(), other.lo.clone())),
            hi: round_up(p, min_nan(self.hi.clone(), other.hi.clone())),
        }
    }
    fn abs(&self) -> Self {
        let p = self.prec();
        if self.lo.cmp0() != Some(Ordering::Less) {
            self.clone()
        } else if self.hi.cmp0() != Some(Ordering::Greater) {
            -self.clone()
        } else {
            let neg_lo = Float::with_val(p, -&self.lo);
            MpfrInterval {
                lo: Float::new(p),
                hi: max_nan(neg_lo, self.hi.clone()),
            }
        }
    }

    fn lower_f64(&self) -> f64 {
        if self.lo.is_nan() || self.hi.is_nan() {
            return f64::NAN;
        }
        self.lo.to_f64_round(Round::Down)
    }
    fn upper_f64(&self) -> f64 {
        if self.lo.is_nan() || self.hi.is_nan() {
            return f64::NAN;
        }
        self.hi.to_f64_round(Round::Up)
    }
    fn is_finite(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite() && self.lo <= self.hi
    }
    fn contains_rational(&self, q: &Rational) -> bool {
        self.is_finite() && self.lo <= *q && self.hi >= *q
    }
    fn lower_exact(&self) -> Option<Rational> {
        if self.is_finite() {
            self.lo.to_rational()
        } else {
            None
        }
    }
    fn upper_exact(&self) -> Option<Rational> {
        if self.is_finite() {
            self.hi.to_rational()
        } else {
            None
        }
    }
    fn width_upper(&self) -> f64 {
        if !self.is_finite() {
            return f64::INFINITY;
        }
        round_up(self.prec(), &self.hi - &self.lo).to_f64_round(Round::Up)
    }
    fn mag_upper(&self) -> f64 {
        if !self.is_finite() {
            return f64::INFINITY;
        }
        let a = Float::with_val(self.prec(), self.lo.abs_ref());
        let b = Float::with_val(self.prec(), self.hi.abs_ref());
        max_nan(a, b).to_f64_round(Round::Up)
    }
    fn to_decimal_bounds(&self, digits: usize) -> (String, String) {
        (
            self.lo.to_string_radix_round(10, Some(digits), Round::Down),
            self.hi.to_string_radix_round(10, Some(digits), Round::Up),
        )
    }
    fn intersect(&self, other: &Self) -> Option<Self> {
        if !self.is_finite() || !other.is_finite() {
            return None;
        }
        let p = self.pair_prec(other);
        let lo = max_nan(self.lo.clone(), other.lo.clone());
        let hi = min_nan(self.hi.clone(), other.hi.clone());
        if lo > hi {
            None
        } else {
            Some(MpfrInterval {
                lo: round_down(p, &lo),
                hi: round_up(p, &hi),
            })
        }
    }
    /// MPFR's coarse type is inari (53-bit ends, hardware arithmetic).
    type Coarse = super::Ival;
    /// Outward: the lower end rounded down to f64 and the upper end rounded up (MPFR's
    /// `mpfr_get_d` with directed rounding is exact-or-outward by definition; a lower end below
    /// `-f64::MAX` becomes `-inf`, an upper end above it `+inf`, a tiny end rounds to 0 or to
    /// the smallest subnormal on the outer side), so every point of `self` lies in the result.
    /// NaN ends or `lo > hi` (not finite) give inari's ENTIRE through [`super::Ival::new`],
    /// which never certifies.
    fn to_coarse(&self) -> super::Ival {
        super::Ival::new(self.lower_f64(), self.upper_f64())
    }
    /// Each f64 end (or infinity) rounded outward to `prec` bits: exact (the same set) when
    /// `prec >= 53`, since every f64 is then an MPFR number of that precision; enclosing below.
    /// inari's EMPTY (never produced by the crate's operations) becomes NaN.
    fn from_coarse(c: &super::Ival, prec: u32) -> Self {
        if c.0.is_empty() {
            return nan(prec);
        }
        MpfrInterval {
            lo: round_down(prec, c.0.inf()),
            hi: round_up(prec, c.0.sup()),
        }
    }
}

/// Parse helper for tests and doc examples: encloses a decimal/rational string at `prec` bits.
impl MpfrInterval {
    /// Encloses the exact value of `text` (`"1/3"`, `"0.1"`, `"-2.5e-3"`) at `prec` bits.
    ///
    /// ```
    /// use hadacert::arith::{Enclosure, MpfrInterval};
    /// // At 8 bits 0.1 is not representable: the enclosure is a short interval around it.
    /// let x = MpfrInterval::parse("0.1", 8).unwrap();
    /// assert!(x.lower_f64() < 0.1 && 0.1 < x.upper_f64());
    /// assert!(x.width_upper() < 1e-3);
    /// ```
    pub fn parse(text: &str, prec: u32) -> Result<Self, super::ExactParseError> {
        Ok(<Self as Field>::from_rational(
            &super::parse_exact(text)?,
            prec,
        ))
    }
}

/// `f(x)` rounded in direction `round`, stepped outward when MPFR's ternary value contradicts it.
fn directed(x: &Float, f: impl Fn(&mut Float, Round) -> Ordering, round: Round) -> Float {
    let mut y = x.clone();
    let dir = f(&mut y, round);
    match (round, dir) {
        (Round::Down, Ordering::Greater) => y.next_down(),
        (Round::Up, Ordering::Less) => y.next_up(),
        _ => {}
    }
    y
}

/// Encloses `(cos(2 pi r), sin(2 pi r))` for an exact turn `r` in `[0, 1/8]`.
fn cos_sin_first_octant(r: &Rational, prec: u32) -> (MpfrInterval, MpfrInterval) {
    use rug::float::Constant;
    let two_r = Rational::from(r * 2u32);
    let pi_lo = round_down(prec, Constant::Pi);
    let pi_hi = round_up(prec, Constant::Pi);
    let x_lo = round_down(prec, &pi_lo * &two_r);
    let x_hi = round_up(prec, &pi_hi * &two_r);
    // [x_lo, x_hi] must lie in [0, pi/2] (cos decreasing, sin increasing there); pi/4 + a few
    // ulps is far below 3/2 < pi/2.
    if x_lo.cmp0() == Some(Ordering::Less) || x_hi.is_nan() || x_hi > 1.5 {
        return (entire(prec), entire(prec));
    }
    let cos = MpfrInterval {
        lo: directed(&x_hi, |y, rd| y.cos_round(rd), Round::Down),
        hi: directed(&x_lo, |y, rd| y.cos_round(rd), Round::Up),
    };
    let sin = MpfrInterval {
        lo: directed(&x_lo, |y, rd| y.sin_round(rd), Round::Down),
        hi: directed(&x_hi, |y, rd| y.sin_round(rd), Round::Up),
    };
    (cos, sin)
}

/// See [`Real::cos_sin_two_pi_rational`] for [`MpfrInterval`].
fn cos_sin_turn(p: i64, q: u64, prec: u32) -> (MpfrInterval, MpfrInterval) {
    if q == 0 {
        return (nan(prec), nan(prec));
    }
    let r = Rational::from((p, q));
    let r = Rational::from(&r - r.clone().floor()); // in [0, 1)
    let half = Rational::from((1, 2));
    let quarter = Rational::from((1, 4));
    let eighth = Rational::from((1, 8));
    let (r, negate) = if r >= half {
        (Rational::from(&r - &half), true)
    } else {
        (r, false)
    };
    let (r, rotate) = if r >= quarter {
        (Rational::from(&r - &quarter), true)
    } else {
        (r, false)
    };
    let (r, reflect) = if r > eighth {
        (Rational::from(&quarter - &r), true)
    } else {
        (r, false)
    };
    let (c, s) = cos_sin_first_octant(&r, prec);
    // Unwind: reflect (x = 1/4 - r), rotate (x = r + 1/4), negate (x = r + 1/2).
    let (c, s) = if reflect { (s, c) } else { (c, s) };
    let (c, s) = if rotate { (-s, c) } else { (c, s) };
    if negate {
        (-c, -s)
    } else {
        (c, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_from_equals_clone_at_every_precision() {
        // into a wider, a narrower and an equal register, from a point, a wide and a NaN value
        let third = MpfrInterval::from_rational(&Rational::from((1, 3)), 200);
        let wide = MpfrInterval::from_rational(&Rational::from(-7), 64).hull(&third);
        let not_finite = nan(96);
        for source in [&third, &wide, &not_finite] {
            for prec in [53, 96, 200, 400] {
                let mut target = MpfrInterval::from_rational(&Rational::from((5, 7)), prec);
                target.clone_from(source);
                let copy = source.clone();
                assert_eq!(target.prec(), copy.prec());
                assert_eq!(target.lo.is_nan(), copy.lo.is_nan());
                if !copy.lo.is_nan() {
                    assert_eq!(target, copy);
                }
            }
        }
    }
}
