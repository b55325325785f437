//! Branch and bound: `rate(lambda) <= 0` for every balanced state of a region (docs/math.md
//! sections 6-7).
//!
//! # The region
//!
//! Scale-free coordinates: `lambda_0 = 0` (mode 0 does not move `s`, V or M1-M3), the
//! normalised spectrum `x = lambda_{m!=0} / sum lambda` in the box `[x_lo, x_hi]`, and the scale
//! `S = sum_{m!=0} lambda_m` in `[scale_lo, scale_hi]`. The search runs over boxes of
//! `(lambda_1, ..., lambda_{K-1})` with f64 ends (exact binary numbers); the root box
//! `[x_lo S_lo, x_hi S_hi]` (rounded outward) contains every state of the region, and a box is
//! dropped only if the ranges of `x` and `S` over it (outward rounded) miss the region.
//! Boxes are bisected at the geometric mean of one coordinate.
//!
//! Boxes are decided on the rate divided by the off-target mass `1 - p(0) > 0`
//! ([`crate::spectral::rates::enclose_rate_per_off_target_mass`]): the same sign, without the
//! exponentially small factor that makes large logits hard to resolve.
//!
//! # The arguments that close a box (tried in this order)
//!
//! 1. `off-region`: the box holds no state of the region.
//! 2. `natural`: plain interval evaluation on the box has upper end < 0.
//! 3. `mean-value`: `rate(c) + grad rate(box) . (box - c)` (gradient by dual numbers over
//!    the K - 1 box variables, `c` the geometric centre) has upper end < 0.
//! 4. Sign arguments, allowed on boxes whose normalised spectrum lies within max-norm distance
//!    `nc_radius` of the uniform one (near neural collapse the rate is 0 at NC, so no interval
//!    evaluation can be negative there):
//!    * `term-wise` (V): `dV/dt = -(2 / S) sum_{g!=0} |d_g| |expm1(d_g)| / sum_g e^{d_g}` with
//!      `d_g = f(g) - fbar` (docs/math.md section 6: each numerator term
//!      `(e^{f(g)} - e^{fbar})(f(g) - fbar)` is `>= 0` because exp is increasing, and
//!      `e^{fbar} |d| |expm1(d)|` is that term written so an interval enclosure cannot dip
//!      below 0);
//!    * `pairwise` (M1, M2, M3 at K = 4 only): the metric rates are sums over pairs m < j of
//!      non-negative weights times `(x_m - x_j)(s_m - s_j)` or `(s_m - s_j)(ln x_m - ln x_j)`;
//!      at K = 4, `s_m - s_j = 2 (p_a - p_b)` for the two group elements a, b where the
//!      characters of m and j differ, and `f(a) - f(b) = (lambda_m - lambda_j) / 2` (checked
//!      exactly on the characters, [`k4_pairs`]), so each product has the form
//!      `p_b |h| |expm1(h)|` (or `|expm1(h)| |ln lambda_m - ln lambda_j|`): non-negative.
//!    These arguments give an upper end `<= 0` (not `< 0`): they prove `rate <= 0`, the claim.
//! 5. Otherwise the box is bisected (the coordinate where the mean-value form loses most,
//!    unless another is four times wider in ratio), unless it is at `max_depth` (then it stays
//!    *undecided*).
//!
//! A box whose centre is a region state with the rate *certainly positive* (interval
//! evaluation at the exact centre) refutes the claim; the centre is recorded exactly.
//!
//! # Claim-language quantities
//!
//! With [`Region::expression`] (kind `expression-region`) the boxes are decided on `D`, the
//! single output of a compiled claim-language program ([`RegionExpression`]), by the same
//! natural and mean-value forms: the gradient over the K - 1 box variables comes from
//! [`crate::expr::eval::value_and_gradient`] (inline dual numbers; `d/dt` of a built-in along
//! the balanced flow is its closed-form rate, any other `d/dt` dual numbers over the box
//! variables carrying a tangent seeded with the balanced field evaluated on them). The
//! sign arguments of step 4 are proved for the built-in rates only and are never tried; instead
//! a box inside the ball of max-norm radius `nc_radius` around the uniform spectrum (inward
//! rounded) is closed as `excluded` (the claim does not cover that ball, and says so), and a
//! refuting state must lie outside the exact ball. The symmetry reduction is never used.
//!
//! # Determinism, parallelism, checkpoints
//!
//! Boxes live on a stack; each round pops a batch of [`BATCH`] boxes, evaluates them in parallel
//! (rayon) and folds the outcomes in batch order, so the result is the same on any number of
//! threads. Every [`CHECKPOINT_SECONDS`] (and when stopped early) the stack and the statistics
//! are written atomically to a checkpoint file, with the claim digest, the backend, the
//! precision and the build id ([`crate::cert::BUILD_ID`]) of the run.
//!
//! A checkpoint is read only when asked to (`RunOptions::resume`, `certify --resume`), and it
//! is untrusted input: it is used only if all four identifiers match this run and its state
//! passes `validate_checkpoint`'s checks: every stack box lies inside the root box with
//! positive volume; the exact volume of the boxes taken off the stack and not bisected (kept in
//! the statistics as a rational) plus the volume of the stack is the root box's volume exactly;
//! the box counts add up (processed = closed + bisected + undecided + refuting); an empty stack
//! without a witness comes after at least one processed box; and a witness is re-verified (a
//! region state, rate certainly positive on this backend at this precision). Anything else is
//! discarded with a one-line warning on stderr and the run starts from the root box. A resumed
//! run ends with the same result as an uninterrupted one.
//!
//! Every run, resumed or not, ends by checking the same volume bookkeeping (closed plus open
//! volume equals the root volume, exactly); a failure is recorded in
//! [`RegionStats::coverage_failure`] and makes the run undecided.

use crate::arith::{working_prec, Enclosure, Real};
use crate::expr::{Program, Scalar};
use crate::model::logits::div_by_order;
use crate::model::softmax::enclose_softmax;
use crate::model::wht::fwht;
use crate::ode::dual::{Dual, DualN};
use crate::spectral::field::enclose_group_logits;
use crate::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_one_minus_s,
    enclose_rate_per_off_target_mass, enclose_v_rate, Rate,
};
use crate::spectral::transform::SpectralTransform;
use rayon::prelude::*;
use rug::{Integer, Rational};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Boxes evaluated per parallel round.
pub const BATCH: usize = 256;
/// Seconds between checkpoint writes.
pub const CHECKPOINT_SECONDS: u64 = 2;
/// Undecided boxes kept in full in the statistics (the rest are counted).
pub const KEEP_UNDECIDED: usize = 8;

/// The quantity whose time derivative along the balanced flow is certified `<= 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RateQuantity {
    /// The Lyapunov function V = KL(u || x).
    V,
    /// M1 = ||x - u||_2, through `d(M1^2)/dt` (same sign wherever M1 > 0).
    M1,
    /// M2, the cosine distance of Z to the simplex ETF.
    M2,
    /// M3 = KL(x || u).
    M3,
    /// M4 = log(max_{m!=0} lambda_m / min_{m!=0} lambda_m), through its one-sided derivatives
    /// `max / min over (largest i, smallest j) of (2/K)(r_i - r_j)`, `r = 1 - s` (docs/math.md
    /// section 7): no single closed form, so boxes are decided by [`enclose_m4_pairs`] and the
    /// near-NC ball is excluded from the statement ([`Argument::Excluded`]).
    M4,
}

impl RateQuantity {
    /// The rate's name in certificates.
    pub fn rate_name(self) -> &'static str {
        match self {
            RateQuantity::V => "dV/dt",
            RateQuantity::M1 => "d(M1^2)/dt",
            RateQuantity::M2 => "dM2/dt",
            RateQuantity::M3 => "dM3/dt",
            RateQuantity::M4 => "dM4/dt",
        }
    }

    /// Encloses the rate divided by the off-target mass `1 - p(0)` (same sign) at `lambda`
    /// (length K, `lambda_0 = 0` first), by
    /// [`crate::spectral::rates::enclose_rate_per_off_target_mass`]: contains that exact
    /// value at every point of the inputs. This is what the boxes are decided on.
    ///
    /// # Panics
    ///
    /// For [`RateQuantity::M4`], which has no single closed form ([`enclose_m4_pairs`]; the
    /// prover never calls this for M4).
    pub fn enclose_scaled_rate<T: Real>(self, lambda: &[T]) -> T {
        let rate = match self {
            RateQuantity::V => Rate::V,
            RateQuantity::M1 => Rate::M1Squared,
            RateQuantity::M2 => Rate::M2,
            RateQuantity::M3 => Rate::M3,
            RateQuantity::M4 => unreachable!("M4 boxes are decided by enclose_m4_pairs"),
        };
        enclose_rate_per_off_target_mass(rate, lambda)
    }

    /// Encloses the rate at `lambda` (length K, `lambda_0` first) by the closed forms of
    /// [`crate::spectral::rates`]: contains the exact rate at every point of the inputs.
    ///
    /// # Panics
    ///
    /// For [`RateQuantity::M4`] (see [`RateQuantity::enclose_scaled_rate`]).
    pub fn enclose_rate<T: Real>(self, lambda: &[T]) -> T {
        match self {
            RateQuantity::V => enclose_v_rate(lambda),
            RateQuantity::M1 => enclose_m1_sq_rate(lambda),
            RateQuantity::M2 => enclose_m2_rate(lambda),
            RateQuantity::M3 => enclose_m3_rate(lambda),
            RateQuantity::M4 => unreachable!("M4 states are verified by verify_state"),
        }
    }
}

/// A validated region claim: `rate <= 0` for every balanced state with `lambda_0 = 0`,
/// normalised spectrum in `[x_lo, x_hi]` and scale in `[scale_lo, scale_hi]`.
#[derive(Clone, Debug)]
pub struct Region {
    /// Which rate.
    pub quantity: RateQuantity,
    /// K (a power of two, >= 4).
    pub k: usize,
    /// Lower corner of the normalised-spectrum box (K - 1 entries, exact).
    pub x_lo: Vec<Rational>,
    /// Upper corner (exact).
    pub x_hi: Vec<Rational>,
    /// Least scale `sum_{m!=0} lambda_m` (exact).
    pub scale_lo: Rational,
    /// Greatest scale (exact).
    pub scale_hi: Rational,
    /// Max-norm radius around the uniform spectrum where the NC arguments may close boxes.
    pub nc_radius: Rational,
    /// Deepest bisection level.
    pub max_depth: u32,
    /// Box budget.
    pub max_boxes: u64,
    /// Reduce to the fundamental domain of the automorphisms of `(Z_2)^n`
    /// ([`crate::prove::symmetry`]); used only if the region's bounds are the same for every
    /// coordinate and the exact check passes (otherwise the whole region is searched).
    pub symmetry: bool,
    /// A quantity of the claim language instead of the built-in rate (kind
    /// `expression-region`): then no sign argument applies, `nc_radius` is the radius of a ball
    /// around the uniform spectrum that the claim excludes, and `symmetry` is never used.
    pub expression: Option<RegionExpression>,
}

/// A claim-language quantity decided on a region: `D < 0` (strict) or `D <= 0` at every state,
/// `D` the single output of `program` (balanced, K = 4 or 8; the relation `lhs REL rhs` is
/// rewritten as `lhs - rhs` or `rhs - lhs`). Boxes are decided on `D` itself (not divided by
/// `1 - p(0)`), by natural and mean-value forms whose gradient comes from dual numbers
/// ([`crate::expr::eval::value_and_gradient`]).
#[derive(Clone, Debug)]
pub struct RegionExpression {
    /// The relation as written.
    pub text: String,
    /// Its normalised form.
    pub normalised: String,
    /// `<` (or `>`): the claim is strict.
    pub strict: bool,
    /// One output: `D`.
    pub program: Program,
}

impl RegionExpression {
    /// `D` and its gradient over the K - 1 box variables on the box `spectrum` (`lambda_0 = 0`);
    /// not finite if the program cannot run there (K other than 4 or 8 is refused at
    /// validation).
    fn value_and_gradient<T: Enclosure + Scalar>(&self, spectrum: &[T], prec: u32) -> (T, Vec<T>) {
        use crate::expr::eval::value_and_gradient;
        let r = match spectrum.len() {
            3 => value_and_gradient::<T, 3>(&self.program, spectrum, 0, prec)
                .map(|(v, g)| (v, g.to_vec())),
            7 => value_and_gradient::<T, 7>(&self.program, spectrum, 0, prec)
                .map(|(v, g)| (v, g.to_vec())),
            n => Err(format!("K = {} is not supported", n + 1)),
        };
        r.unwrap_or_else(|_| {
            let nan = T::from_f64(f64::NAN, prec);
            (nan.clone(), vec![nan; spectrum.len()])
        })
    }

    /// `D` at `lambda` (length K, `lambda_0` first): contains its exact value at every point
    /// of the inputs; not finite if the program cannot run there.
    pub fn enclose_at<T: Enclosure + Scalar>(&self, lambda: &[T], prec: u32) -> T {
        crate::expr::eval::eval_pointwise(&self.program, lambda, prec)
            .ok()
            .and_then(|v| v.into_iter().next())
            .unwrap_or_else(|| T::from_f64(f64::NAN, prec))
    }
}

/// A box of the search: `lambda_m in [lambda[m-1][0], lambda[m-1][1]]`, m = 1..K-1
/// (`lambda_0 = 0`), with f64 ends (exact binary numbers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionBox {
    /// The intervals of `lambda_1 .. lambda_{K-1}`.
    pub lambda: Vec<[f64; 2]>,
    /// Bisection depth (root = 0).
    pub depth: u32,
}

/// How a box was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Argument {
    /// Contains no state of the region.
    OffRegion,
    /// Plain interval evaluation.
    Natural,
    /// Mean-value form.
    MeanValue,
    /// Term-wise non-negative form of dV/dt (near NC).
    Termwise,
    /// Pairwise divided differences at K = 4 (near NC).
    Pairwise,
    /// No state of the fundamental domain of the symmetry ([`crate::prove::symmetry`]).
    Symmetric,
    /// Within the ball around NC that the claim excludes (`nc_radius`): claim-language
    /// quantities and M4, whose statements leave that ball out (no rate is claimed there).
    Excluded,
}

impl Argument {
    /// Description used in certificates.
    pub fn describe(self) -> &'static str {
        match self {
            Argument::OffRegion => "off-region: the box holds no state of the region",
            Argument::Natural => "natural interval evaluation: upper end < 0",
            Argument::MeanValue => "mean-value form (dual-number gradient): upper end < 0",
            Argument::Termwise => {
                "term-wise form of docs/math.md section 6 (within nc_radius of uniform): every term >= \
                 0, so upper end <= 0"
            }
            Argument::Pairwise => {
                "pairwise divided differences (K = 4, within nc_radius of uniform): every product \
                 >= 0, so upper end <= 0"
            }
            Argument::Symmetric => {
                "symmetric image: the box holds no state of the fundamental domain, so each of its \
                 states is the image of a domain state with the same rate (src/prove/symmetry.rs)"
            }
            Argument::Excluded => {
                "excluded by the claim: every state of the box lies within max-norm distance \
                 nc_radius of the uniform spectrum, which the claim does not cover"
            }
        }
    }
}

/// A region state where the rate is certainly positive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Witness {
    /// The state `lambda` (exact rationals, `lambda_0 = 0` first).
    pub lambda: Vec<String>,
    /// The enclosure of the rate there (lower end > 0), as decimal strings (outward).
    pub rate: [String; 2],
    /// The box it was found in.
    pub found_in: RegionBox,
}

/// What a (possibly unfinished) region run has established.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionStats {
    /// Boxes processed (closed, bisected or left undecided).
    pub boxes: u64,
    /// Boxes closed, by argument.
    pub closed: BTreeMap<Argument, u64>,
    /// Boxes bisected.
    pub bisected: u64,
    /// Deepest box processed.
    pub max_depth: u32,
    /// Largest upper end of the rate divided by `1 - p(0)` (what boxes are decided on) over the
    /// boxes closed by interval evaluation (natural or mean-value): the smallest margin met is
    /// its negation.
    pub largest_upper: Option<f64>,
    /// Hull of the boxes closed by a sign argument (term-wise or pairwise).
    pub nc_hull: Option<RegionBox>,
    /// Boxes left undecided at `max_depth` (the first [`KEEP_UNDECIDED`]).
    pub undecided: Vec<RegionBox>,
    /// How many boxes were left undecided at `max_depth`.
    pub undecided_count: u64,
    /// Boxes never processed because the budget ran out.
    pub unprocessed: u64,
    /// A refuting state, if one was found.
    pub witness: Option<Witness>,
    /// Boxes whose centre refuted the claim (only the first witness is kept).
    #[serde(default)]
    pub refuting: u64,
    /// The exact volume (a rational, as a string) of every box taken off the stack and not
    /// bisected (closed, off-region, undecided or refuting), over the coordinates where the root
    /// box has positive width. With the volume of the open stack it must make up the root box.
    #[serde(default)]
    pub closed_volume: String,
    /// Set when the final bookkeeping failed (closed plus open volume is not the root volume):
    /// what went wrong. The run is then undecided, whatever else it found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_failure: Option<String>,
    /// When the run was reduced to a fundamental domain: what the exact check of
    /// [`crate::prove::symmetry::check_invariance`] established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symmetry: Option<String>,
    /// With `RunOptions::record_leaves` only: every box taken off the stack and not bisected
    /// (closed, off-region, undecided or refuting), in processing order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaves: Vec<RegionBox>,
    /// With `RunOptions::record_leaves` only: the boxes left on the stack at the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<RegionBox>,
}

impl RegionStats {
    /// `Some(true)`: every box closed; `Some(false)`: refuted; `None`: undecided (also whenever
    /// the final volume bookkeeping failed).
    pub fn decided(&self) -> Option<bool> {
        if self.coverage_failure.is_some() {
            None
        } else if self.witness.is_some() {
            Some(false)
        } else if self.undecided_count == 0 && self.unprocessed == 0 {
            Some(true)
        } else {
            None
        }
    }
}

/// The state of an unfinished run, as written to the checkpoint file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The claim's digest ([`crate::claim::claim_digest`]).
    pub claim_digest: String,
    /// The backend (the Rust type of the enclosures).
    #[serde(default)]
    pub backend: String,
    /// The working precision in bits.
    #[serde(default)]
    pub precision_bits: u32,
    /// The [`crate::cert::BUILD_ID`] of the build that wrote it.
    #[serde(default)]
    pub build_id: String,
    /// The open boxes.
    pub stack: Vec<RegionBox>,
    /// What the run established so far.
    pub stats: RegionStats,
}

/// The backend name recorded in checkpoints: the Rust type of the enclosures.
pub fn backend_name<T: Enclosure>() -> &'static str {
    std::any::type_name::<T>()
}

/// How a run is driven: checkpointing, early stop (tests), progress messages.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Checkpoint file (written atomically during the run, removed at its end).
    pub checkpoint: Option<PathBuf>,
    /// Read the checkpoint at start and continue from it if it passes `validate_checkpoint`
    /// (`certify --resume`); without it an existing checkpoint is ignored and overwritten.
    pub resume: bool,
    /// Record the leaves of the run ([`RegionStats::leaves`], [`RegionStats::open`]), for
    /// coverage checks in tests.
    pub record_leaves: bool,
    /// Stop (after writing the checkpoint) once this many boxes have been processed in this
    /// run: simulates an interruption.
    pub stop_after_boxes: Option<u64>,
    /// Called after each round with a one-line progress message.
    pub progress: Option<&'a (dyn Fn(&str) + Sync)>,
}

/// Why a run did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// Stopped by `stop_after_boxes`; the checkpoint holds the state.
    #[error("stopped after {boxes} boxes; checkpoint written to {checkpoint}")]
    Interrupted {
        /// Boxes processed so far (all runs).
        boxes: u64,
        /// The checkpoint file.
        checkpoint: String,
    },
    /// The checkpoint could not be written.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

fn f64_down(q: &Rational) -> f64 {
    let v = q.to_f64();
    if Rational::from_f64(v).is_some_and(|r| r > *q) {
        v.next_down()
    } else {
        v
    }
}

fn f64_up(q: &Rational) -> f64 {
    let v = q.to_f64();
    if Rational::from_f64(v).is_some_and(|r| r < *q) {
        v.next_up()
    } else {
        v
    }
}

fn hull<T: Enclosure>(lo: f64, hi: f64, prec: u32) -> T {
    T::from_f64(lo, prec).hull(&T::from_f64(hi, prec))
}

/// The root box: `lambda_m in [x_lo_m scale_lo, x_hi_m scale_hi]`, rounded outward to f64;
/// it contains every state of the region.
pub fn root_box(region: &Region) -> RegionBox {
    RegionBox {
        lambda: region
            .x_lo
            .iter()
            .zip(&region.x_hi)
            .map(|(l, h)| {
                [
                    f64_down(&Rational::from(l * &region.scale_lo)),
                    f64_up(&Rational::from(h * &region.scale_hi)),
                ]
            })
            .collect(),
        depth: 0,
    }
}

/// For K = 4: the triples `(m, j, a, b)`, m < j in 1..K, with `a`, `b` the only group elements
/// where `chi_m = 1, chi_j = -1` and `chi_m = -1, chi_j = 1`, and `f(a) - f(b) =
/// (lambda_m - lambda_j) / 2` exactly (checked on the characters). `None` for any other K,
/// where this structure fails (docs/math.md section 7).
pub fn k4_pairs(k: usize) -> Option<Vec<(usize, usize, usize, usize)>> {
    let chi = |m: usize, g: usize| {
        if (m & g).count_ones() % 2 == 0 {
            1i64
        } else {
            -1
        }
    };
    let mut out = Vec::new();
    for m in 1..k {
        for j in m + 1..k {
            let a: Vec<usize> = (0..k)
                .filter(|&g| chi(m, g) == 1 && chi(j, g) == -1)
                .collect();
            let b: Vec<usize> = (0..k)
                .filter(|&g| chi(m, g) == -1 && chi(j, g) == 1)
                .collect();
            if a.len() != 1 || b.len() != 1 {
                return None;
            }
            let (a, b) = (a[0], b[0]);
            // K (f(a) - f(b)) = sum_l lambda_l (chi_l(a) - chi_l(b)) must be 2 lambda_m - 2 lambda_j.
            let exact = (0..k).all(|l| {
                let want = 2 * (l == m) as i64 - 2 * (l == j) as i64;
                chi(l, a) - chi(l, b) == want
            });
            if !exact || k != 4 {
                return None;
            }
            out.push((m, j, a, b));
        }
    }
    Some(out)
}

fn with_zero_mode<T: Real>(spectrum: &[T]) -> Vec<T> {
    let mut lambda = Vec::with_capacity(spectrum.len() + 1);
    lambda.push(T::zero());
    lambda.extend_from_slice(spectrum);
    lambda
}

fn sum<T: Real>(v: &[T]) -> T {
    let mut s = v[0].clone();
    for x in &v[1..] {
        s += x;
    }
    s
}

/// Encloses dV/dt in the term-wise form of docs/math.md section 6, for the state
/// `lambda = (0, spectrum)`:
/// `dV/dt = -(2 / S) sum_{g!=0} |d_g| |expm1(d_g)| / sum_g e^{d_g}`, `d_g = f(g) - fbar`,
/// `fbar = mean_{g!=0} f(g) = -S / (K (K-1))`, `S = sum spectrum`.
///
/// Guarantee: contains dV/dt at every point of the inputs, and its upper end is `<= 0`
/// whenever it is finite (every summand is enclosed as a product of absolute values).
pub fn enclose_v_rate_termwise<T: Enclosure>(spectrum: &[T]) -> T {
    let lambda = with_zero_mode(spectrum);
    let k = lambda.len();
    let p = working_prec(&lambda);
    let total = sum(spectrum);
    // K d_g = (Had lambda)_g + S / (K - 1).
    let offset = total.clone() / T::from_i64(k as i64 - 1, p);
    let mut h = lambda;
    fwht(&mut h);
    let mut numerator = T::zero();
    let mut partition = T::zero();
    for (g, hg) in h.into_iter().enumerate() {
        let d = div_by_order(hg + &offset, k);
        partition += d.exp();
        if g != 0 {
            numerator += d.abs() * &d.exp_m1().abs();
        }
    }
    -((numerator / &partition).mul_pow2(1) / &total)
}

/// Encloses the M1 (as `d(M1^2)/dt`), M2 or M3 rate at K = 4 in the pairwise form (see the
/// module docs), for the state `lambda = (0, spectrum)`. `None` unless K = 4.
///
/// Guarantee: contains the rate at every point of the inputs, and its upper end is `<= 0`
/// whenever it is finite.
pub fn enclose_metric_rate_pairwise<T: Enclosure>(
    quantity: RateQuantity,
    spectrum: &[T],
) -> Option<T> {
    let lambda = with_zero_mode(spectrum);
    let k = lambda.len();
    let pairs = k4_pairs(k)?;
    let prec = working_prec(&lambda);
    let total = sum(spectrum);
    let f = enclose_group_logits(&lambda);
    let p = enclose_softmax(&f);
    let x: Vec<T> = lambda.iter().map(|l| l.clone() / &total).collect();
    let mut acc = T::zero();
    for &(m, j, _a, b) in &pairs {
        let h = (lambda[m].clone() - &lambda[j]).mul_pow2(-1);
        let e = h.exp_m1().abs();
        // (s_m - s_j) = 2 p_b expm1(h), with h of the sign of lambda_m - lambda_j.
        let product = match quantity {
            // (x_m - x_j)(s_m - s_j) = (2h / S) 2 p_b expm1(h)
            RateQuantity::M1 | RateQuantity::M2 => (h.abs() * &e * &p[b]).mul_pow2(2) / &total,
            // (s_m - s_j)(ln x_m - ln x_j) = 2 p_b |expm1(h)| |ln lambda_m - ln lambda_j|
            RateQuantity::M3 => (e * &(lambda[m].ln() - &lambda[j].ln()).abs() * &p[b]).mul_pow2(1),
            RateQuantity::V | RateQuantity::M4 => return None,
        };
        acc += x[m].clone() * &x[j] * &product;
    }
    let kk = T::from_i64(k as i64, prec);
    Some(match quantity {
        // d(sum x^2)/dt = -(4/K) sum_{m<j} x_m x_j (x_m - x_j)(s_m - s_j)
        RateQuantity::M1 => -(acc.mul_pow2(2) / &kk),
        // dM2/dt = d(sum x^2)/dt / (2 sqrt(K-1) ||x||^3)  (lambda_0 = 0)
        RateQuantity::M2 => {
            let mut sq = T::zero();
            for xm in &x[1..] {
                sq.add_product(xm, xm);
            }
            let norm = sq.sqrt();
            let cube = norm.clone() * &norm * &norm;
            let rate_sq = -(acc.mul_pow2(2) / &kk);
            rate_sq / (T::from_i64(k as i64 - 1, prec).sqrt() * &cube).mul_pow2(1)
        }
        // dM3/dt = -(2/K) sum_{m<j} x_m x_j (s_m - s_j)(ln x_m - ln x_j)
        RateQuantity::M3 => -(acc.mul_pow2(1) / &kk),
        RateQuantity::V | RateQuantity::M4 => unreachable!("returned above"),
    })
}

/// Fixed data of a run, shared by the workers.
struct Setup {
    quantity: RateQuantity,
    k: usize,
    prec: u32,
    /// The region's normalised-spectrum box and scale interval, rounded outward to f64.
    root_x: Vec<[f64; 2]>,
    root_scale: [f64; 2],
    /// Near-NC neighbourhood in f64, rounded inward (so it is inside the exact one).
    nc: Option<(f64, f64)>,
    pairs_ok: bool,
    /// The fundamental domain's pairs `(a, b)`: `lambda_a >= lambda_b` (mode labels); empty
    /// without the symmetry reduction.
    domain: Vec<(usize, usize)>,
    /// The exact symmetry check, when the reduction is used.
    symmetry: Option<String>,
    x_lo: Vec<Rational>,
    x_hi: Vec<Rational>,
    scale_lo: Rational,
    scale_hi: Rational,
    max_depth: u32,
    /// A claim-language quantity (then `nc` is the excluded ball, no sign argument is used).
    expression: Option<RegionExpression>,
    /// The exact radius of the excluded ball (claim-language quantities and M4: a refuting
    /// state must lie outside it).
    nc_radius: Rational,
}

enum Outcome {
    Closed(Argument, Option<f64>),
    Bisected(RegionBox, RegionBox),
    Undecided,
    Refuted(Witness),
}

/// The ranges of the normalised spectrum `x_m = lambda_m / sum lambda` over the box, and of the
/// scale `sum lambda` (outward rounding; `x_m` is increasing in `lambda_m` and decreasing in
/// the others, so the ends are attained at corners).
fn ranges<T: Enclosure>(b: &RegionBox, prec: u32) -> (Vec<[f64; 2]>, [f64; 2]) {
    // The ends are exact points (f64): made again where needed rather than kept in vectors.
    let end = |m: usize, j: usize| T::from_f64(b.lambda[m][j], prec);
    let sum_end = |j: usize| {
        let mut s = end(0, j);
        for m in 1..b.lambda.len() {
            s += &end(m, j);
        }
        s
    };
    let (sum_lo, sum_hi) = (sum_end(0), sum_end(1));
    let x = (0..b.lambda.len())
        .map(|m| {
            let (lo, hi) = (end(m, 0), end(m, 1));
            let low = lo.clone() / &(sum_hi.clone() - &hi + &lo);
            let high = hi.clone() / &(sum_lo.clone() - &lo + &hi);
            [low.lower_f64(), high.upper_f64()]
        })
        .collect();
    (x, [sum_lo.lower_f64(), sum_hi.upper_f64()])
}

/// The rate divided by `1 - p(0)` enclosed on the box `spectrum` (`lambda_0 = 0`), with its
/// gradient over the K - 1 box variables, by forward-mode dual numbers: [`DualN`] (inline
/// gradient, no allocation per operation) for K = 4 and K = 8, [`Dual`] otherwise. Both compute
/// the same interval operations in the same order, so the enclosures are the same.
pub fn gradient_on_box<T: Enclosure>(quantity: RateQuantity, spectrum: &[T]) -> (T, Vec<T>) {
    fn inline<T: Enclosure, const N: usize, const K: usize>(
        q: RateQuantity,
        spectrum: &[T],
    ) -> (T, Vec<T>) {
        // `(0, spectrum)` as dual numbers on the stack (what `with_zero_mode` builds).
        let lambda: [DualN<T, N>; K] = std::array::from_fn(|m| {
            if m == 0 {
                <DualN<T, N> as num_traits::Zero>::zero()
            } else {
                DualN::variable(spectrum[m - 1].clone(), m - 1)
            }
        });
        let r = q.enclose_scaled_rate(&lambda);
        let partials = (0..N).map(|i| r.partial(i)).collect();
        (r.value, partials)
    }
    match spectrum.len() {
        3 => inline::<T, 3, 4>(quantity, spectrum),
        7 => inline::<T, 7, 8>(quantity, spectrum),
        n => {
            let duals: Vec<Dual<T>> = spectrum
                .iter()
                .enumerate()
                .map(|(i, e)| Dual::variable(e.clone(), i, n))
                .collect();
            let r = quantity.enclose_scaled_rate(&with_zero_mode(&duals));
            let partials = (0..n).map(|i| r.partial(i)).collect();
            (r.value, partials)
        }
    }
}

fn evaluate_box<T: Enclosure + Scalar>(setup: &Setup, b: &RegionBox) -> Outcome {
    if crate::mutation::active(crate::mutation::Mutant::BoxAcceptedUnevaluated) {
        // Injected bug (test builds with `--features mutation` only).
        return Outcome::Closed(Argument::Natural, Some(-1.0));
    }
    let prec = setup.prec;
    let (x, scale) = ranges::<T>(b, prec);
    let off = scale[1] < setup.root_scale[0]
        || scale[0] > setup.root_scale[1]
        || x.iter()
            .zip(&setup.root_x)
            .any(|(e, r)| e[1] < r[0] || e[0] > r[1]);
    if off {
        return Outcome::Closed(Argument::OffRegion, None);
    }
    // Some inequality lambda_a >= lambda_b of the fundamental domain fails on the whole box.
    if setup
        .domain
        .iter()
        .any(|&(a, c)| b.lambda[a - 1][1] < b.lambda[c - 1][0])
    {
        return Outcome::Closed(Argument::Symmetric, None);
    }
    // A claim-language quantity: the claim excludes the ball around NC (inward-rounded ends,
    // so the box lies inside the exact ball).
    if setup.expression.is_some() {
        if let Some((lo, hi)) = setup.nc {
            if x.iter().all(|e| e[0] >= lo && e[1] <= hi) {
                return Outcome::Closed(Argument::Excluded, None);
            }
        }
    }
    if setup.quantity == RateQuantity::M4 {
        return evaluate_box_m4::<T>(setup, b, &x);
    }
    let spectrum: Vec<T> = b
        .lambda
        .iter()
        .map(|e| hull::<T>(e[0], e[1], prec))
        .collect();
    // Plain interval evaluation on the box is the value part of the dual evaluation (the
    // gradient over the K - 1 variables lambda_1..lambda_{K-1} comes in the same pass).
    let (value, partials) = match &setup.expression {
        Some(e) => e.value_and_gradient(&spectrum, prec),
        None => gradient_on_box(setup.quantity, &spectrum),
    };
    if value.certainly_negative() {
        // (The rate is < 0 at every state of the box, so the centre below could not refute.)
        return Outcome::Closed(Argument::Natural, Some(value.upper_f64()));
    }
    // The centre (geometric: the ends may span decades); also a refutation candidate. Held as
    // the state `(0, centre)` in one vector.
    let centre_of = |e: &[f64; 2]| (e[0] * e[1]).sqrt().clamp(e[0], e[1]);
    let mut centre_state: Vec<T> = Vec::with_capacity(b.lambda.len() + 1);
    centre_state.push(T::zero());
    centre_state.extend(b.lambda.iter().map(|e| T::from_f64(centre_of(e), prec)));
    let at_centre = match &setup.expression {
        Some(e) => e.enclose_at(&centre_state, prec),
        None => setup.quantity.enclose_scaled_rate(&centre_state),
    };
    let centre = &centre_state[1..];
    if at_centre.certainly_positive() {
        let centre_f64: Vec<f64> = b.lambda.iter().map(centre_of).collect();
        if let Some(w) = witness::<T>(setup, &centre_f64, b) {
            return Outcome::Refuted(w);
        }
    }
    // Mean-value form over the K - 1 variables lambda_1..lambda_{K-1}.
    let mut mv = at_centre;
    for ((e, c), d) in spectrum.iter().zip(centre).zip(&partials) {
        mv += d.clone() * &(e.clone() - c);
    }
    if mv.certainly_negative() {
        return Outcome::Closed(Argument::MeanValue, Some(mv.upper_f64()));
    }
    // The sign arguments are proved for the built-in rates only: never for a language quantity.
    if let Some((lo, hi)) = setup.nc.filter(|_| setup.expression.is_none()) {
        if x.iter().all(|e| e[0] >= lo && e[1] <= hi) {
            let (arg, bound) = match setup.quantity {
                RateQuantity::V => (Argument::Termwise, Some(enclose_v_rate_termwise(&spectrum))),
                q if setup.pairs_ok => (
                    Argument::Pairwise,
                    enclose_metric_rate_pairwise(q, &spectrum),
                ),
                _ => (Argument::Pairwise, None),
            };
            if let Some(bound) = bound {
                if bound.is_finite() && bound.upper_f64() <= 0.0 {
                    return Outcome::Closed(arg, None);
                }
            }
        }
    }
    if b.depth >= setup.max_depth {
        return Outcome::Undecided;
    }
    // Split where the mean-value form loses most: largest |d rate / d lambda_i| * width_i.
    let smear: Vec<f64> = spectrum
        .iter()
        .enumerate()
        .map(|(i, e)| partials[i].mag_upper() * e.width_upper())
        .collect();
    bisect(b, &smear).map_or(Outcome::Undecided, |(l, r)| Outcome::Bisected(l, r))
}

/// The exact centre as a region state, if it is one and its rate is certainly positive.
fn witness<T: Enclosure + Scalar>(setup: &Setup, centre: &[f64], b: &RegionBox) -> Option<Witness> {
    let spectrum: Vec<Rational> = centre
        .iter()
        .map(|&v| Rational::from_f64(v))
        .collect::<Option<_>>()?;
    let mut lambda = vec![Rational::new()];
    lambda.extend(spectrum);
    let rate = verify_state::<T>(setup, &lambda).ok()?;
    Some(Witness {
        lambda: lambda.iter().map(|q| q.to_string()).collect(),
        rate,
        found_in: b.clone(),
    })
}

/// Checks that `lambda` (exact, `lambda_0` first) is a state of the region (length K,
/// `lambda_0 = 0`, scale and normalised spectrum within the exact bounds) where the rate,
/// evaluated on `T` at the run's precision, is certainly positive; returns that enclosure's
/// ends as decimal strings (outward), or what failed.
fn verify_state<T: Enclosure + Scalar>(
    setup: &Setup,
    lambda: &[Rational],
) -> Result<[String; 2], String> {
    if lambda.len() != setup.k {
        return Err(format!(
            "the state has {} entries, K = {}",
            lambda.len(),
            setup.k
        ));
    }
    if lambda[0] != 0 {
        return Err("lambda_0 is not 0".into());
    }
    let total = lambda[1..].iter().fold(Rational::new(), |a, v| a + v);
    if total < setup.scale_lo || total > setup.scale_hi {
        return Err("the scale is outside the region".into());
    }
    // total >= scale_lo > 0 here, so the division is defined.
    let inside = lambda[1..].iter().enumerate().all(|(i, v)| {
        let xn = Rational::from(v / &total);
        xn >= setup.x_lo[i] && xn <= setup.x_hi[i]
    });
    if !inside {
        return Err("the normalised spectrum is outside the region".into());
    }
    let excludes_ball =
        (setup.expression.is_some() && setup.nc.is_some()) || setup.quantity == RateQuantity::M4;
    if excludes_ball {
        // The claim excludes the closed max-norm ball of radius nc_radius around uniform.
        let u = Rational::from((1, setup.k as i64 - 1));
        let outside = lambda[1..].iter().any(|v| {
            let d = Rational::from(Rational::from(v / &total) - &u);
            d.abs() > setup.nc_radius
        });
        if !outside {
            return Err("the state lies in the ball around NC that the claim excludes".into());
        }
    }
    let exact: Vec<T> = lambda
        .iter()
        .map(|q| T::from_rational(q, setup.prec))
        .collect();
    let rate = match &setup.expression {
        Some(e) => e.enclose_at(&exact, setup.prec),
        None if setup.quantity == RateQuantity::M4 => {
            // dM4/dt = (2/K)(r_i - r_j) where the largest mode i and the smallest j are unique
            // (compared exactly).
            let (i, j) = unique_extremes(&lambda[1..])
                .ok_or("the largest or the smallest mode is not unique")?;
            let r = enclose_one_minus_s(&exact);
            div_by_order(r[i].clone() - &r[j], setup.k).mul_pow2(1)
        }
        None => setup.quantity.enclose_rate(&exact),
    };
    if !rate.certainly_positive() {
        return Err("the rate there is not certainly positive".into());
    }
    let (lo, hi) = rate.to_decimal_bounds(17);
    Ok([lo, hi])
}

/// The labels (1-based) of the unique largest and the unique smallest of `spectrum` (exact
/// comparison), or `None` if either is tied.
fn unique_extremes(spectrum: &[Rational]) -> Option<(usize, usize)> {
    let (mut i, mut j) = (0, 0);
    for m in 1..spectrum.len() {
        if spectrum[m] > spectrum[i] {
            i = m;
        }
        if spectrum[m] < spectrum[j] {
            j = m;
        }
    }
    let unique = |a: usize| (0..spectrum.len()).all(|m| m == a || spectrum[m] != spectrum[a]);
    (unique(i) && unique(j)).then_some((i + 1, j + 1))
}

/// `rho-hat_m = sum_{g!=0} rho_g chi_m(g)`, m = 0..K-1, with `rho = softmax(f(1), ..., f(K-1))`
/// the off-target softmax of the state `lambda` (length K, `lambda_0` first). Since
/// `r_m = 1 - s_m = (1 - p(0)) (1 - rho-hat_m)`,
/// `(r_i - r_j) / (1 - p(0)) = rho-hat_j - rho-hat_i` (as in
/// [`crate::spectral::rates::enclose_rate_per_off_target_mass`]).
pub fn enclose_off_target_transform<T: Real>(lambda: &[T]) -> Vec<T> {
    let tr = SpectralTransform::sylvester(lambda.len());
    // The logits' buffer becomes rho (the same operations as a fresh vector `(0, softmax)`).
    let mut rho = tr.logits(lambda);
    let mut soft = enclose_softmax(&rho[1..]);
    rho[0] = T::zero();
    for (r, s) in rho[1..].iter_mut().zip(soft.iter_mut()) {
        std::mem::swap(r, s);
    }
    tr.apply(&mut rho);
    rho
}

/// The candidates for the largest mode (`I`: upper end >= every lower end) and the smallest
/// (`J`: lower end <= every upper end) over the box `b`, as labels 1..K-1: at every state of the
/// box each largest mode is in `I` and each smallest in `J` (exact f64 comparisons).
pub fn m4_candidates(b: &RegionBox) -> (Vec<usize>, Vec<usize>) {
    let max_lo = b
        .lambda
        .iter()
        .map(|e| e[0])
        .fold(f64::NEG_INFINITY, f64::max);
    let min_hi = b.lambda.iter().map(|e| e[1]).fold(f64::INFINITY, f64::min);
    let n = b.lambda.len();
    let i = (0..n)
        .filter(|&m| b.lambda[m][1] >= max_lo)
        .map(|m| m + 1)
        .collect();
    let j = (0..n)
        .filter(|&m| b.lambda[m][0] <= min_hi)
        .map(|m| m + 1)
        .collect();
    (i, j)
}

/// `rho-hat` of [`enclose_off_target_transform`] on the box `spectrum` (`lambda_0 = 0`), with
/// the gradient of each entry over the K - 1 box variables (dual numbers, as
/// [`gradient_on_box`]).
fn off_target_transform_on_box<T: Enclosure>(spectrum: &[T]) -> (Vec<T>, Vec<Vec<T>>) {
    fn inline<T: Enclosure, const N: usize, const K: usize>(
        spectrum: &[T],
    ) -> (Vec<T>, Vec<Vec<T>>) {
        // `(0, spectrum)` as dual numbers on the stack (what `with_zero_mode` builds).
        let lambda: [DualN<T, N>; K] = std::array::from_fn(|m| {
            if m == 0 {
                <DualN<T, N> as num_traits::Zero>::zero()
            } else {
                DualN::variable(spectrum[m - 1].clone(), m - 1)
            }
        });
        let t = enclose_off_target_transform(&lambda);
        let grads = t
            .iter()
            .map(|d| (0..N).map(|i| d.partial(i)).collect())
            .collect();
        (t.into_iter().map(|d| d.value).collect(), grads)
    }
    match spectrum.len() {
        3 => inline::<T, 3, 4>(spectrum),
        7 => inline::<T, 7, 8>(spectrum),
        n => {
            let duals: Vec<Dual<T>> = spectrum
                .iter()
                .enumerate()
                .map(|(i, e)| Dual::variable(e.clone(), i, n))
                .collect();
            let t = enclose_off_target_transform(&with_zero_mode(&duals));
            let grads = t
                .iter()
                .map(|d| (0..n).map(|i| d.partial(i)).collect())
                .collect();
            (t.into_iter().map(|d| d.value).collect(), grads)
        }
    }
}

/// Encloses `dM4/dt / (1 - p(0)) = (2/K)(rho-hat_j - rho-hat_i)` on the box `b` for every pair
/// of candidates `(i, j)` of [`m4_candidates`], `i != j`, each by the natural form or, where
/// that is not `< 0`, the mean-value form about the geometric centre `centre`. `None` if the
/// candidate sets meet (a state of the box may have all modes equal, or the same mode largest
/// and smallest).
///
/// Guarantee: at every state of the box with largest mode `i` and smallest `j`, the one-sided
/// derivatives of M4 are maxima / minima of `(2/K)(r_i - r_j)` over such pairs, so if every
/// returned enclosure has upper end `< 0`, both are `< 0` there (ties included).
pub fn enclose_m4_pairs<T: Enclosure>(
    b: &RegionBox,
    centre: &[f64],
    prec: u32,
) -> Option<Vec<(usize, usize, T)>> {
    let (cand_i, cand_j) = m4_candidates(b);
    if cand_i.iter().any(|i| cand_j.contains(i)) {
        return None;
    }
    let k = b.lambda.len() + 1;
    let spectrum: Vec<T> = b
        .lambda
        .iter()
        .map(|e| hull::<T>(e[0], e[1], prec))
        .collect();
    let centre: Vec<T> = centre.iter().map(|&c| T::from_f64(c, prec)).collect();
    let (t, grads) = off_target_transform_on_box(&spectrum);
    let mut at_centre: Option<Vec<T>> = None;
    let mut out = Vec::with_capacity(cand_i.len() * cand_j.len());
    for &i in &cand_i {
        for &j in &cand_j {
            let natural = div_by_order(t[j].clone() - &t[i], k).mul_pow2(1);
            if natural.certainly_negative() {
                out.push((i, j, natural));
                continue;
            }
            let tc = at_centre
                .get_or_insert_with(|| enclose_off_target_transform(&with_zero_mode(&centre)));
            let mut mv = tc[j].clone() - &tc[i];
            for (l, (e, c)) in spectrum.iter().zip(&centre).enumerate() {
                mv += (grads[j][l].clone() - &grads[i][l]) * &(e.clone() - c);
            }
            out.push((i, j, div_by_order(mv, k).mul_pow2(1)));
        }
    }
    Some(out)
}

/// The screen of [`evaluate_box_m4`] for a refuting centre: `(2/K)(rho-hat_j - rho-hat_i)` at
/// the point `centre` if its largest mode `i` and its smallest `j` are unique and distinct
/// (exact f64 comparisons), `None` otherwise. This is the one enclosure [`enclose_m4_pairs`]
/// returns on the point box `[centre, centre]` (its candidate sets are then the ties of the
/// largest and of the smallest mode; the value part of its dual numbers is this plain
/// evaluation, and its mean-value form adds gradients times `centre - centre = [0, 0]`, which
/// is `[0, 0]`), without the dual numbers. Only a screen: a witness is verified exactly.
fn m4_centre_screen<T: Enclosure>(centre: &[f64], prec: u32) -> Option<T> {
    let max = centre.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = centre.iter().copied().fold(f64::INFINITY, f64::min);
    let largest: Vec<usize> = (0..centre.len()).filter(|&m| centre[m] >= max).collect();
    let smallest: Vec<usize> = (0..centre.len()).filter(|&m| centre[m] <= min).collect();
    let (&[i], &[j]) = (largest.as_slice(), smallest.as_slice()) else {
        return None;
    };
    if i == j {
        return None;
    }
    let mut state = Vec::with_capacity(centre.len() + 1);
    state.push(T::zero());
    state.extend(centre.iter().map(|&c| T::from_f64(c, prec)));
    let t = enclose_off_target_transform(&state);
    Some(div_by_order(t[j + 1].clone() - &t[i + 1], state.len()).mul_pow2(1))
}

/// An M4 box, after the off-region and symmetric-image tests (`x`: the normalised-spectrum
/// ranges over the box): excluded if it lies in the NC ball; closed if every candidate pair of
/// [`enclose_m4_pairs`] is certainly `< 0`; refuted if the centre is a region state with unique
/// extremes and `dM4/dt` certainly `> 0` there; otherwise bisected along a candidate coordinate.
fn evaluate_box_m4<T: Enclosure + Scalar>(setup: &Setup, b: &RegionBox, x: &[[f64; 2]]) -> Outcome {
    if let Some((lo, hi)) = setup.nc {
        if x.iter().all(|e| e[0] >= lo && e[1] <= hi) {
            return Outcome::Closed(Argument::Excluded, None);
        }
    }
    let centre_f64: Vec<f64> = b
        .lambda
        .iter()
        .map(|e| (e[0] * e[1]).sqrt().clamp(e[0], e[1]))
        .collect();
    let pairs = enclose_m4_pairs::<T>(b, &centre_f64, setup.prec);
    if let Some(pairs) = &pairs {
        if pairs.iter().all(|(_, _, r)| r.certainly_negative()) {
            let upper = pairs
                .iter()
                .map(|(_, _, r)| r.upper_f64())
                .fold(f64::NEG_INFINITY, f64::max);
            return Outcome::Closed(Argument::MeanValue, Some(upper));
        }
    }
    // The centre refutes if its extremes are unique and the rate there is certainly > 0 (a
    // cheap screen first; the witness is then checked exactly).
    if let Some(screen) = m4_centre_screen::<T>(&centre_f64, setup.prec) {
        if screen.certainly_positive() {
            if let Some(w) = witness::<T>(setup, &centre_f64, b) {
                return Outcome::Refuted(w);
            }
        }
    }
    if b.depth >= setup.max_depth {
        return Outcome::Undecided;
    }
    // Split a coordinate that keeps a pair open: the widest (in ratio) among the candidates
    // while the candidate sets meet, else the widest among those of the open pairs.
    let (cand_i, cand_j) = m4_candidates(b);
    let open: Vec<usize> = match &pairs {
        None => cand_i.iter().chain(&cand_j).copied().collect(),
        Some(p) => p
            .iter()
            .filter(|(_, _, r)| !r.certainly_negative())
            .flat_map(|&(i, j, _)| [i, j])
            .collect(),
    };
    let smear: Vec<f64> = (1..=b.lambda.len())
        .map(|m| {
            if open.contains(&m) {
                (b.lambda[m - 1][1] / b.lambda[m - 1][0]).ln()
            } else {
                0.0
            }
        })
        .collect();
    bisect(b, &smear).map_or(Outcome::Undecided, |(l, r)| Outcome::Bisected(l, r))
}

/// Halve the coordinate of largest `smear` (the mean-value form's loss along it; ties and
/// non-finite values fall back to the largest ratio `hi / lo`) at its geometric mean.
fn bisect(b: &RegionBox, smear: &[f64]) -> Option<(RegionBox, RegionBox)> {
    let finite = smear.iter().all(|v| v.is_finite()) && smear.iter().any(|v| *v > 0.0);
    let key = |i: usize| {
        if finite {
            smear[i]
        } else {
            b.lambda[i][1] / b.lambda[i][0]
        }
    };
    let mut i = (0..b.lambda.len()).fold(0, |best, i| if key(i) > key(best) { i } else { best });
    // A coordinate much wider (in ratio) than the chosen one widens every partial derivative's
    // enclosure: split it first.
    let ratio = |j: usize| (b.lambda[j][1] / b.lambda[j][0]).ln();
    let widest =
        (0..b.lambda.len()).fold(0, |best, j| if ratio(j) > ratio(best) { j } else { best });
    if ratio(widest) > 4.0 * ratio(i) {
        i = widest;
    }
    let e = b.lambda[i];
    let mid = (e[0] * e[1]).sqrt();
    if !(mid > e[0] && mid < e[1]) {
        return None;
    }
    let mut left = b.clone();
    let mut right = b.clone();
    left.depth += 1;
    right.depth += 1;
    left.lambda[i][1] = mid;
    right.lambda[i][0] = mid;
    if crate::mutation::active(crate::mutation::Mutant::BisectionSliver) {
        // Injected bug (test builds with `--features mutation` only): [mid, next_up(mid)) is
        // never examined.
        right.lambda[i][0] = mid.next_up();
    }
    Some((left, right))
}

fn hull_box(a: &RegionBox, b: &RegionBox) -> RegionBox {
    RegionBox {
        lambda: a
            .lambda
            .iter()
            .zip(&b.lambda)
            .map(|(p, q)| [p[0].min(q[0]), p[1].max(q[1])])
            .collect(),
        depth: a.depth.max(b.depth),
    }
}

fn write_checkpoint(path: &Path, cp: &Checkpoint) -> Result<(), RegionError> {
    let err = |e: std::io::Error| RegionError::Checkpoint {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let text = serde_json::to_string(cp).map_err(|e| err(std::io::Error::other(e)))?;
    {
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

/// The coordinates where the root box has positive width. Volumes are measured over these: a
/// coordinate where the region is a single value keeps that value in every box.
fn active_coordinates(root: &RegionBox) -> Vec<bool> {
    root.lambda.iter().map(|e| e[0] < e[1]).collect()
}

/// The exact volume of `b` over the `active` coordinates (f64 ends are exact binary numbers);
/// `None` if an end is not finite.
fn volume(b: &RegionBox, active: &[bool]) -> Option<Rational> {
    let mut v = Rational::from(1);
    for (e, &a) in b.lambda.iter().zip(active) {
        if a {
            let lo = Rational::from_f64(e[0])?;
            let hi = Rational::from_f64(e[1])?;
            v *= hi - lo;
        }
    }
    Some(v)
}

/// `x = m 2^e` exactly, for a finite f64 (`None` otherwise).
fn f64_dyadic(x: f64) -> Option<(i64, i64)> {
    if !x.is_finite() {
        return None;
    }
    let bits = x.to_bits();
    let sign = if bits >> 63 == 1 { -1 } else { 1 };
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = (bits & ((1u64 << 52) - 1)) as i64;
    Some(if exp == 0 {
        // zero or subnormal: frac 2^-1074
        (sign * frac, -1074)
    } else {
        (sign * (frac | (1i64 << 52)), exp - 1075)
    })
}

/// The exact volume of `b` over the `active` coordinates as a dyadic number `m 2^e` (the same
/// value as [`volume`], without rationals); `None` if an end is not finite.
fn volume_dyadic(b: &RegionBox, active: &[bool]) -> Option<(Integer, i64)> {
    let mut m = Integer::from(1);
    let mut e = 0i64;
    for (x, &a) in b.lambda.iter().zip(active) {
        if a {
            let (ml, el) = f64_dyadic(x[0])?;
            let (mh, eh) = f64_dyadic(x[1])?;
            let low = el.min(eh);
            let width =
                (Integer::from(mh) << (eh - low) as u32) - (Integer::from(ml) << (el - low) as u32);
            m *= width;
            e += low;
        }
    }
    Some((m, e))
}

/// An exact sum of dyadic numbers, kept as one integer times a power of two (the least exponent
/// met so far): adding a box's volume is an integer shift and addition, never a rational
/// normalisation.
#[derive(Default)]
struct DyadicSum {
    m: Integer,
    e: i64,
}

impl DyadicSum {
    fn add(&mut self, (m, e): (Integer, i64)) {
        if m.is_zero() {
            return;
        }
        if self.m.is_zero() {
            self.m = m;
            self.e = e;
        } else if e < self.e {
            self.m <<= (self.e - e) as u32;
            self.m += m;
            self.e = e;
        } else {
            self.m += m << (e - self.e) as u32;
        }
    }

    fn to_rational(&self) -> Rational {
        if self.e >= 0 {
            Rational::from(Integer::from(&self.m << self.e as u32))
        } else {
            Rational::from((self.m.clone(), Integer::from(1) << (-self.e) as u32))
        }
    }
}

/// A stack box of a checkpoint is usable: K - 1 finite coordinates inside the root box, of
/// positive width where the root has positive width and equal to the root's elsewhere.
fn check_stack_box(b: &RegionBox, root: &RegionBox) -> Result<(), String> {
    if b.lambda.len() != root.lambda.len() {
        return Err(format!(
            "a stack box has {} coordinates, the region {}",
            b.lambda.len(),
            root.lambda.len()
        ));
    }
    for (i, (e, r)) in b.lambda.iter().zip(&root.lambda).enumerate() {
        let m = i + 1;
        if !(e[0].is_finite() && e[1].is_finite()) {
            return Err(format!("a stack box has a non-finite end in lambda_{m}"));
        }
        if e[0] < r[0] || e[1] > r[1] {
            return Err(format!(
                "a stack box leaves the root box in lambda_{m}: [{:e}, {:e}] not in [{:e}, {:e}]",
                e[0], e[1], r[0], r[1]
            ));
        }
        if r[0] < r[1] {
            if e[0] >= e[1] {
                return Err(format!(
                    "a stack box has no positive width in lambda_{m}: [{:e}, {:e}]",
                    e[0], e[1]
                ));
            }
        } else if e[0] != r[0] || e[1] != r[1] {
            return Err(format!(
                "a stack box differs from the single value of lambda_{m}"
            ));
        }
    }
    Ok(())
}

/// What a checkpoint must match to be resumed: the run's identity.
struct RunIdentity<'a> {
    digest: &'a str,
    backend: &'a str,
    prec: u32,
    build_id: &'a str,
}

impl<'a> RunIdentity<'a> {
    /// The identity a run of this build on `T` at `prec` bits for the claim `digest` has.
    fn of_this_run<T: Enclosure>(digest: &'a str, prec: u32) -> Self {
        RunIdentity {
            digest,
            backend: backend_name::<T>(),
            prec,
            build_id: crate::cert::BUILD_ID,
        }
    }
}

/// Checks a checkpoint read from disk before it is used (see the module docs): the four
/// identifiers match `id`; every stack box lies inside the root box with positive volume; the
/// closed volume plus the stack's volume is the root volume exactly; processed = closed +
/// bisected + undecided + refuting; an empty stack without a witness comes after at least one
/// box; a witness is a region state whose rate is certainly positive on `T` at this precision
/// (its recorded rate is replaced by the recomputed one). Returns the closed volume, or the
/// first failed check.
fn validate_checkpoint<T: Enclosure + Scalar>(
    cp: &mut Checkpoint,
    setup: &Setup,
    root: &RegionBox,
    id: &RunIdentity,
) -> Result<Rational, String> {
    let mismatch = |what: &str, theirs: &str, ours: &str| {
        Err(format!(
            "written for another {what} ({theirs:?}, this run: {ours:?})"
        ))
    };
    if cp.claim_digest != id.digest {
        return mismatch("claim (digest)", &cp.claim_digest, id.digest);
    }
    if cp.backend != id.backend {
        return mismatch("backend", &cp.backend, id.backend);
    }
    if cp.precision_bits != id.prec {
        return mismatch(
            "precision",
            &cp.precision_bits.to_string(),
            &id.prec.to_string(),
        );
    }
    if cp.build_id != id.build_id {
        return mismatch("build", &cp.build_id, id.build_id);
    }
    let active = active_coordinates(root);
    let root_volume = volume(root, &active).ok_or("the root box is not finite")?;
    let mut open = Rational::new();
    for b in &cp.stack {
        check_stack_box(b, root)?;
        open += volume(b, &active).ok_or("a stack box is not finite")?;
    }
    let st = &cp.stats;
    let closed: Rational = st
        .closed_volume
        .parse()
        .map_err(|_| format!("closed volume {:?} is not a rational", st.closed_volume))?;
    if closed < 0 {
        return Err("the closed volume is negative".into());
    }
    if Rational::from(&closed + &open) != root_volume {
        return Err(format!(
            "closed volume ~{:e} + open volume ~{:e} is not the root volume ~{:e}",
            closed.to_f64(),
            open.to_f64(),
            root_volume.to_f64()
        ));
    }
    let counted = st.closed.values().map(|&n| n as u128).sum::<u128>()
        + st.bisected as u128
        + st.undecided_count as u128
        + st.refuting as u128;
    if counted != st.boxes as u128 {
        return Err(format!(
            "{} boxes processed, but closed + bisected + undecided + refuting = {counted}",
            st.boxes
        ));
    }
    if st.undecided.len() as u64 > st.undecided_count.min(KEEP_UNDECIDED as u64) {
        return Err("more undecided boxes listed than counted".into());
    }
    if st.unprocessed != 0 || st.coverage_failure.is_some() {
        return Err("the statistics are those of a finished run".into());
    }
    if st.witness.is_some() != (st.refuting > 0) {
        return Err("a witness without a refuting box, or the converse".into());
    }
    if st.witness.is_none() && cp.stack.is_empty() && st.boxes == 0 {
        return Err("an empty stack, no witness and no box processed".into());
    }
    if let Some(w) = &mut cp.stats.witness {
        let lambda: Vec<Rational> = w
            .lambda
            .iter()
            .map(|s| s.parse::<Rational>())
            .collect::<Result<_, _>>()
            .map_err(|_| "the witness state is not exact rationals".to_string())?;
        w.rate = verify_state::<T>(setup, &lambda).map_err(|e| format!("witness: {e}"))?;
    }
    Ok(closed)
}

/// Reads the checkpoint at `path` for resuming: `Ok(None)` if there is none, `Err` (the reason)
/// if it is unreadable or fails `validate_checkpoint`.
fn load_checkpoint<T: Enclosure + Scalar>(
    path: &Path,
    setup: &Setup,
    root: &RegionBox,
    id: &RunIdentity,
) -> Result<Option<(Checkpoint, Rational)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("unreadable: {e}")),
    };
    let mut cp: Checkpoint =
        serde_json::from_str(&text).map_err(|e| format!("not a checkpoint: {e}"))?;
    if crate::mutation::active(crate::mutation::Mutant::CheckpointTrustedUnchecked) {
        // Injected bug (test builds with `--features mutation` only): used as found.
        let closed = cp.stats.closed_volume.parse().unwrap_or_default();
        return Ok(Some((cp, closed)));
    }
    let closed = validate_checkpoint::<T>(&mut cp, setup, root, id)?;
    Ok(Some((cp, closed)))
}

/// The fixed data of a run of `region` at `prec` bits.
fn make_setup(region: &Region, prec: u32) -> Setup {
    // The region is invariant under every permutation of the modes when all coordinates have
    // the same exact bounds (the scale is a symmetric function).
    let invariant = region.x_lo.iter().all(|v| *v == region.x_lo[0])
        && region.x_hi.iter().all(|v| *v == region.x_hi[0]);
    let symmetry = (region.symmetry && invariant && region.expression.is_none())
        .then(|| crate::prove::symmetry::check_invariance(region.k).ok())
        .flatten();
    let u = Rational::from((1, region.k as i64 - 1));
    let nc = (region.nc_radius > 0).then(|| {
        (
            f64_up(&Rational::from(&u - &region.nc_radius)),
            f64_down(&Rational::from(&u + &region.nc_radius)),
        )
    });
    Setup {
        quantity: region.quantity,
        k: region.k,
        prec,
        root_x: region
            .x_lo
            .iter()
            .zip(&region.x_hi)
            .map(|(l, h)| [f64_down(l), f64_up(h)])
            .collect(),
        root_scale: [f64_down(&region.scale_lo), f64_up(&region.scale_hi)],
        nc,
        pairs_ok: k4_pairs(region.k).is_some(),
        domain: symmetry.as_ref().map_or(Vec::new(), |c| c.domain.clone()),
        symmetry: symmetry.map(|c| c.describe()),
        x_lo: region.x_lo.clone(),
        x_hi: region.x_hi.clone(),
        scale_lo: region.scale_lo.clone(),
        scale_hi: region.scale_hi.clone(),
        max_depth: region.max_depth,
        expression: region.expression.clone(),
        nc_radius: region.nc_radius.clone(),
    }
}

/// Checks the checkpoint file at `path` as a run of `region` on `T` at `prec` bits for the
/// claim `digest` would before resuming from it (the checks of the module docs, in this build):
/// `Ok(())` if it would be used, otherwise the failed check. A missing file is an error too.
pub fn validate_checkpoint_file<T: Enclosure + Scalar>(
    region: &Region,
    prec: u32,
    digest: &str,
    path: &Path,
) -> Result<(), String> {
    let root = root_box(region);
    let setup = make_setup(region, prec);
    let id = RunIdentity::of_this_run::<T>(digest, prec);
    match load_checkpoint::<T>(path, &setup, &root, &id)? {
        Some(_) => Ok(()),
        None => Err("no checkpoint file".into()),
    }
}

/// Run the branch and bound for `region` on backend `T` at `prec` bits. `digest` identifies the
/// claim in the checkpoint; with `opts.resume` a checkpoint is continued from only if it was
/// written for the same claim, backend, precision and build and passes the checks of
/// `validate_checkpoint` (otherwise a one-line warning goes to stderr and the run starts from
/// the root box).
///
/// Guarantee: `decided() == Some(true)` only if every box of a cover of the region was closed
/// by one of the arguments of the module docs, each from outward-rounded enclosures, and the
/// closed boxes account for the root box's whole volume (exact rationals);
/// `Some(false)` only with a witness state whose rate has a certainly positive enclosure.
pub fn prove_region<T: Enclosure + Scalar>(
    region: &Region,
    prec: u32,
    digest: &str,
    opts: &RunOptions,
) -> Result<RegionStats, RegionError> {
    let root = root_box(region);
    let setup = make_setup(region, prec);
    let id = RunIdentity::of_this_run::<T>(digest, prec);
    let active = active_coordinates(&root);
    let fresh = || {
        (
            Checkpoint {
                claim_digest: digest.to_string(),
                backend: id.backend.to_string(),
                precision_bits: prec,
                build_id: id.build_id.to_string(),
                stack: vec![root.clone()],
                stats: RegionStats::default(),
            },
            Rational::new(),
        )
    };
    let (mut state, closed_volume) = match &opts.checkpoint {
        Some(path) if opts.resume => match load_checkpoint::<T>(path, &setup, &root, &id) {
            Ok(Some((mut cp, closed))) => {
                eprintln!(
                    "hadacert: resuming from checkpoint {} ({} boxes processed, {} pending)",
                    path.display(),
                    cp.stats.boxes,
                    cp.stack.len()
                );
                if !opts.record_leaves {
                    cp.stats.leaves.clear();
                }
                (cp, closed)
            }
            Ok(None) => fresh(),
            Err(why) => {
                eprintln!(
                    "hadacert: warning: checkpoint {} discarded ({why}); starting from the root box",
                    path.display()
                );
                fresh()
            }
        },
        Some(path) => {
            if path.exists() {
                eprintln!(
                    "hadacert: checkpoint {} ignored without --resume (it will be overwritten)",
                    path.display()
                );
            }
            fresh()
        }
        None => fresh(),
    };
    // Closed volume of this run (exact, dyadic), added to the resumed `closed_volume`.
    let mut closed_dyadic = DyadicSum::default();
    let started = Instant::now();
    let mut last_write = Instant::now();
    let mut this_run = 0u64;
    while !state.stack.is_empty() && state.stats.witness.is_none() {
        let stats = &mut state.stats;
        if stats.boxes >= region.max_boxes {
            break;
        }
        let n = BATCH
            .min(state.stack.len())
            .min((region.max_boxes - stats.boxes) as usize);
        let batch = state.stack.split_off(state.stack.len() - n);
        // Each box's outcome, with its exact volume (dyadic) when it leaves the stack for good,
        // computed in parallel too; only the sums below are serial.
        let outcomes: Vec<(Outcome, Option<(Integer, i64)>)> = batch
            .par_iter()
            .map(|b| {
                let o = evaluate_box::<T>(&setup, b);
                let v = if matches!(o, Outcome::Bisected(..)) {
                    None
                } else {
                    volume_dyadic(b, &active)
                };
                (o, v)
            })
            .collect();
        let mut children = Vec::new();
        for (b, (o, v)) in batch.iter().zip(outcomes) {
            stats.boxes += 1;
            stats.max_depth = stats.max_depth.max(b.depth);
            if !matches!(o, Outcome::Bisected(..)) {
                // Taken off the stack for good: its volume is accounted for. (Boxes come from
                // the root by bisection, so their ends are finite.)
                if let Some(v) = v {
                    closed_dyadic.add(v);
                }
                if opts.record_leaves {
                    stats.leaves.push(b.clone());
                }
            }
            match o {
                Outcome::Closed(arg, upper) => {
                    *stats.closed.entry(arg).or_insert(0) += 1;
                    if let Some(u) = upper {
                        stats.largest_upper = Some(stats.largest_upper.map_or(u, |v| v.max(u)));
                    }
                    if matches!(arg, Argument::Termwise | Argument::Pairwise) {
                        stats.nc_hull = Some(match &stats.nc_hull {
                            Some(h) => hull_box(h, b),
                            None => b.clone(),
                        });
                    }
                }
                Outcome::Bisected(l, r) => {
                    stats.bisected += 1;
                    children.push(r);
                    children.push(l);
                }
                Outcome::Undecided => {
                    stats.undecided_count += 1;
                    if stats.undecided.len() < KEEP_UNDECIDED {
                        stats.undecided.push(b.clone());
                    }
                }
                Outcome::Refuted(w) => {
                    stats.refuting += 1;
                    if stats.witness.is_none() {
                        stats.witness = Some(w);
                    }
                }
            }
        }
        // Children of the batch's first box end on top of the stack.
        children.reverse();
        state.stack.extend(children);
        this_run += n as u64;
        if let Some(report) = opts.progress {
            let rate = state.stats.boxes as f64 / started.elapsed().as_secs_f64().max(1e-9);
            report(&format!(
                "{} boxes ({rate:.0}/s), depth {}, {} pending",
                state.stats.boxes,
                state.stats.max_depth,
                state.stack.len()
            ));
        }
        let stop = opts.stop_after_boxes.is_some_and(|s| this_run >= s);
        if let Some(path) = &opts.checkpoint {
            if stop || last_write.elapsed() >= Duration::from_secs(CHECKPOINT_SECONDS) {
                let closed_volume = Rational::from(&closed_volume + &closed_dyadic.to_rational());
                state.stats.closed_volume = closed_volume.to_string();
                write_checkpoint(path, &state)?;
                last_write = Instant::now();
            }
        }
        if stop {
            return Err(RegionError::Interrupted {
                boxes: state.stats.boxes,
                checkpoint: opts
                    .checkpoint
                    .as_ref()
                    .map_or("(none)".into(), |p| p.display().to_string()),
            });
        }
    }
    let closed_volume = closed_volume + closed_dyadic.to_rational();
    let mut stats = state.stats;
    if stats.witness.is_none() {
        stats.unprocessed = state.stack.len() as u64;
    }
    // The bookkeeping of every run: the boxes taken off the stack and the open ones make up
    // the root box exactly.
    let root_volume = volume(&root, &active);
    let open_volume = state
        .stack
        .iter()
        .map(|b| volume(b, &active))
        .try_fold(Rational::new(), |acc, v| v.map(|v| acc + v));
    stats.closed_volume = closed_volume.to_string();
    stats.symmetry = setup.symmetry.clone();
    match (root_volume, open_volume) {
        (Some(r), Some(o)) if Rational::from(&closed_volume + &o) == r => {}
        (r, o) => {
            let show = |v: &Option<Rational>| {
                v.as_ref()
                    .map_or("not finite".into(), |v| format!("~{:e}", v.to_f64()))
            };
            stats.coverage_failure = Some(format!(
                "closed volume ~{:e} + open volume {} is not the root volume {}",
                closed_volume.to_f64(),
                show(&o),
                show(&r)
            ));
        }
    }
    if opts.record_leaves {
        stats.open = state.stack;
    }
    if let Some(path) = &opts.checkpoint {
        // The certificate is the record now; a stale checkpoint would only mislead.
        let _ = std::fs::remove_file(path);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The refutation screen of the M4 boxes is the one enclosure `enclose_m4_pairs` gives on
    /// the point box at the centre (and `None` exactly when that is not a single pair), at
    /// K = 4 and K = 8, on seeded random centres with ties.
    #[test]
    fn m4_centre_screen_equals_the_pairs_on_the_point_box() {
        use crate::arith::Ival;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut singles = 0;
        for case in 0..400 {
            let n = if case % 2 == 0 { 3 } else { 7 };
            let centre: Vec<f64> = (0..n)
                .map(|_| {
                    let r = next();
                    // a few repeated values, so the extremes are sometimes tied
                    let v = ((r % 5) as f64 + 1.0) * 0.3;
                    if r % 3 == 0 {
                        v
                    } else {
                        v * (1.0 + ((r >> 20) % 1000) as f64 * 1e-3)
                    }
                })
                .collect();
            let point = RegionBox {
                lambda: centre.iter().map(|&c| [c, c]).collect(),
                depth: 0,
            };
            let pairs = enclose_m4_pairs::<Ival>(&point, &centre, 53);
            let screen = m4_centre_screen::<Ival>(&centre, 53);
            match pairs.filter(|p| p.len() == 1) {
                Some(p) => {
                    singles += 1;
                    assert_eq!(screen, Some(p[0].2), "{centre:?}");
                }
                None => assert!(screen.is_none(), "{centre:?}"),
            }
        }
        assert!(singles > 100 && singles < 400, "{singles}");
    }

    /// The dyadic volume bookkeeping equals the rational one, on boxes with ends of every
    /// magnitude (subnormal, zero, negative, huge), summed in a scrambled order.
    #[test]
    fn dyadic_volume_equals_rational_volume() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let active = [true, false, true];
        let mut exact = Rational::new();
        let mut dyadic = DyadicSum::default();
        for _ in 0..500 {
            let lambda = (0..3)
                .map(|_| {
                    let pick = |r: u64| match r % 5 {
                        0 => f64::from_bits(r >> 12), // subnormal or tiny
                        1 => 0.0,
                        2 => -(((r >> 11) as f64) * 2f64.powi(-40)),
                        3 => ((r >> 11) as f64) * 2f64.powi(900),
                        _ => (r >> 11) as f64 * 2f64.powi(-53),
                    };
                    let (a, b) = (pick(next()), pick(next()));
                    [a.min(b), a.max(b)]
                })
                .collect();
            let b = RegionBox { lambda, depth: 0 };
            let q = volume(&b, &active).unwrap();
            let (m, e) = volume_dyadic(&b, &active).unwrap();
            let mut one = DyadicSum::default();
            one.add((m.clone(), e));
            assert_eq!(one.to_rational(), q, "{b:?}");
            exact += q;
            dyadic.add((m, e));
        }
        assert_eq!(dyadic.to_rational(), exact);
        assert!(volume_dyadic(
            &RegionBox {
                lambda: vec![[0.0, f64::INFINITY]; 3],
                depth: 0
            },
            &active
        )
        .is_none());
    }
}
