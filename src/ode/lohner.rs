//! The validated Taylor step with Lohner's QR set representation.
//!
//! The set at time `t` is `{ c + A r : r in [r] }` with `c` a point, `A` a point matrix (exact
//! floating-point entries) and `[r]` an interval vector. One step of size h:
//!
//! 1. `X = c + A [r]` (interval box); the vector field is recorded at `mid(X)`;
//! 2. a-priori enclosure `B ⊇ X + [0, h] F(B)` by Picard iteration with inflation: the
//!    inclusion proves that every solution from `X` exists on `[0, h]` and stays in `B`;
//! 3. `x(h; x0) = T_q(x0) + sum_{q <= k < p} x_k(x0) h^k + h^p x_p(ξ)`, `ξ ∈ B`, so for all
//!    `x0 ∈ X`: `x(h; x0) ∈ y + J (x0 - c)` with `y = T_q(c) + sum_{q<=k<p} x_k(X) h^k + h^p x_p(B)`
//!    and `J = sum_{k<q} D x_k(X) h^k` (mean-value form of the low-order part; Jacobians by
//!    dual numbers);
//! 4. Lohner: `M = J A`, `A' = Q` from a QR factorisation of `mid(M)` (columns sorted by size),
//!    `c' = mid(y)`, `[r'] = (Q^{-1} M)[r] + Q^{-1}(y - c')` with `Q^{-1}` enclosed by a
//!    Neumann series around `Q^T`; the box at `t + h` is `(c' + A'[r']) ∩ (y + M [r])`;
//! 5. the enclosure over the whole step is `(sum_{k<p} x_k(X) [0,h]^k + [0,h]^p x_p(B)) ∩ B`.
//!
//! The order p follows the precision and the step size the tolerance: `h` is chosen so that
//! `|x_k| h^k <= tol` for the last two coefficients, then shrunk until the a-priori enclosure
//! validates and the remainder `h^p |x_p(B)|` is at most `remainder_factor * tol` (CAPD's rule
//! has only the first condition: `remainder_factor = inf`); below `min_step` the integrator
//! stops with [`IntegrationError::StepTooSmall`]. With `jacobian_order >= p` the Jacobian is
//! enclosed to full order (C^1 Lohner): one Taylor pass with gradients over `hull(X, c)` gives
//! both J and the coefficients over X.
//!
//! # Mixed precision
//!
//! Only the centre coefficients `T_q(c)`, the tail `x_k(X) h^k` (q <= k < p) and `y` need the
//! working precision: their widths are the result's. Two parts can be enclosed in the coarse
//! type [`Enclosure::Coarse`] (inari, 53 bits, on MPFR) with no visible loss:
//!
//! * [`SolverOptions::coarse_apriori`]: the a-priori box B (width about `h |F|`) and the
//!   Taylor pass over it. Only `h^p x_p(B)`, about the tolerance, enters the result, so the
//!   relative rounding of 2^-53 on it costs about `2^-53 tol`.
//! * [`SolverOptions::coarse_jacobian`]: J over `hull(X, c)`. It multiplies `r`, whose width is
//!   the set's (1e-56 at 256 bits on the K = 8 flow): a relative rounding of 2^-53 on J moves
//!   the result by about `2^-53 |r|`, far below the working precision's rounding of `y`.
//!
//! Soundness, conversion by conversion: `X_c = to_coarse(X)` and `h_c` (the coarse enclosure of
//! the exact rational h) contain X and h, because [`Enclosure::to_coarse`] rounds outward; the
//! Picard test `X_c + [0, h_c] F(B_c) ⊆ B_c`, checked in coarse interval arithmetic, is the
//! same theorem for the larger start set `X_c ⊇ X`, so every solution from X stays in `B_c` on
//! `[0, h]`, and the coarse Taylor pass over `B_c` encloses `x_p` there. Likewise the coarse dual
//! pass over `hull(X_c, c_c) ⊇ hull(X, c)` encloses every partial derivative needed by the
//! mean-value form. Every coarse result comes back through [`Enclosure::from_coarse`], exact at
//! any precision of 53 bits or more, so the rest of the step is the working-precision
//! computation on enclosures of the same quantities. On inari both conversions are the identity
//! and the options change nothing. A quantity beyond f64's range becomes infinite in the coarse
//! type: the step then fails to validate and shrinks (never a non-enclosure).

use super::dual::Dual;
use super::tape::record;
use super::taylor::{horner, TaylorError, TaylorWorkspace};
use super::VectorField;
use crate::arith::{Enclosure, Field, Ring};
use nalgebra::DMatrix;
use rug::Rational;

/// Knobs of the integrator; `Default` picks everything from the precision.
#[derive(Clone, Debug)]
pub struct SolverOptions {
    /// Taylor order p (default: from the precision, `max(12, bits / 3 + 4)`, at most 100).
    pub order: Option<usize>,
    /// Order q of the Jacobian (mean-value) part (default 10, at most p; q >= p: full order).
    pub jacobian_order: usize,
    /// Local error target per step (default `2^(8 - bits)` times the state's scale).
    pub tolerance: Option<f64>,
    /// The Lagrange remainder `h^p |x_p(B)|` over the a-priori box must be at most this
    /// times the tolerance, else the step shrinks (default 4). `f64::INFINITY`: the step is
    /// the one the last Taylor coefficients at the start box give (CAPD's rule), shrunk only
    /// until the a-priori enclosure validates; the remainder is enclosed either way.
    pub remainder_factor: f64,
    /// Smallest step before giving up.
    pub min_step: f64,
    /// Largest step.
    pub max_step: f64,
    /// Largest number of steps.
    pub max_steps: usize,
    /// Largest dimension for Lohner's QR representation (O(n^3) per step); above it the set
    /// is a plain interval box moved by the interval Taylor series over X (O(n p^2) per step,
    /// more wrapping).
    pub lohner_max_dim: usize,
    /// Enclose the a-priori box B and the Taylor coefficients over it in the coarse type
    /// [`Enclosure::Coarse`] (inari on MPFR; no change on inari). See "Mixed precision" in the
    /// module docs for why this is sound and costs no visible width. Default off: it moves the
    /// step sizes in their last bits, so the certificates of the trajectory claims would change
    /// digits; the benches turn it on.
    pub coarse_apriori: bool,
    /// Enclose the Jacobian `J` (the dual-number pass over `hull(X, c)`, and with
    /// `jacobian_order >= p` the whole C^1 jet, whose values then serve as the coefficients
    /// over X for the step size and the range) in the coarse type. Default off, as
    /// [`Self::coarse_apriori`].
    pub coarse_jacobian: bool,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            order: None,
            jacobian_order: 10,
            tolerance: None,
            remainder_factor: 4.0,
            min_step: 1e-10,
            max_step: f64::INFINITY,
            max_steps: 200_000,
            lohner_max_dim: 64,
            coarse_apriori: false,
            coarse_jacobian: false,
        }
    }
}

/// One validated step.
#[derive(Clone, Debug)]
pub struct Step<T> {
    /// Start time (exact).
    pub t0: Rational,
    /// End time (exact).
    pub t1: Rational,
    /// Encloses `x(t1)` for every start in the initial set.
    pub end: Vec<T>,
    /// Encloses `x(t)` for every `t` in `[t0, t1]` and every start in the initial set.
    pub range: Vec<T>,
    /// The box `X` the step started from (encloses `x(t0)`; the Taylor coefficients and the
    /// a-priori enclosure are taken from it).
    pub start_box: Vec<T>,
    /// The a-priori enclosure `B` on which `X + [0, h] F(B) ⊆ B` was verified, `h = t1 - t0`
    /// enclosed at the working precision: every solution from `X` exists on `[t0, t1]` and
    /// stays in `B`. (The Lagrange remainder and `range` use the tighter `X + [0, h] F(B)`.)
    pub apriori: Vec<T>,
}

/// A validated trajectory: the initial set and every step.
#[derive(Clone, Debug)]
pub struct Trajectory<T> {
    /// The initial enclosure.
    pub start: Vec<T>,
    /// The steps, consecutive in time.
    pub steps: Vec<Step<T>>,
    /// The Taylor order used.
    pub order: usize,
}

impl<T: Enclosure> Trajectory<T> {
    /// Encloses the solution at the final time.
    pub fn end(&self) -> &[T] {
        self.steps.last().map_or(&self.start, |s| &s.end)
    }

    /// The last time reached (exact).
    pub fn end_time(&self) -> Rational {
        self.steps
            .last()
            .map_or_else(Rational::new, |s| s.t1.clone())
    }

    /// Encloses `x(t)` at an exact time `t` inside the trajectory: the end enclosure when `t`
    /// is a step boundary, otherwise the step's range enclosure. None outside `[0, end]`.
    pub fn at(&self, t: &Rational) -> Option<&[T]> {
        if *t == 0 {
            return Some(&self.start);
        }
        self.steps
            .iter()
            .find(|s| s.t1 == *t)
            .map(|s| s.end.as_slice())
            .or_else(|| {
                self.steps
                    .iter()
                    .find(|s| s.t0 <= *t && *t <= s.t1)
                    .map(|s| s.range.as_slice())
            })
    }
}

/// Why the integrator stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntegrationError {
    /// No step above the floor could be validated.
    #[error("could not validate a step at t = {t}: {reason}; step {h:e} is below the floor {floor:e}; last enclosure {enclosure:?}")]
    StepTooSmall {
        /// Time reached (approx).
        t: f64,
        /// The last step tried.
        h: f64,
        /// The floor.
        floor: f64,
        /// What failed.
        reason: String,
        /// The last enclosure, as (lower, upper) decimal strings.
        enclosure: Vec<(String, String)>,
    },
    /// Taylor arithmetic failed.
    #[error(transparent)]
    Taylor(#[from] TaylorError),
    /// The enclosure stopped being finite.
    #[error("the enclosure is no longer finite at t = {t}")]
    NotFinite {
        /// Time reached (approx).
        t: f64,
    },
    /// More steps than allowed.
    #[error("more than {steps} steps before t = {t}")]
    TooManySteps {
        /// Time reached (approx).
        t: f64,
        /// The limit.
        steps: usize,
    },
}

fn matvec<T: Enclosure>(a: &DMatrix<T>, r: &[T]) -> Vec<T> {
    (0..a.nrows())
        .map(|i| {
            let mut acc = a[(i, 0)].clone() * &r[0];
            for j in 1..r.len() {
                // the same enclosure as `acc += a_ij.clone() * r_j`, without the temporary
                acc.add_product(&a[(i, j)], &r[j]);
            }
            acc
        })
        .collect()
}

/// `a b`, the same enclosures as nalgebra's `a * b` on these types: entry `(i, j)` is the
/// products `a_ik b_kj` rounded outward and summed in the order k = 0, 1, ... (nalgebra's
/// generic product accumulates column by column in that order; its factors `alpha = 1` and
/// `beta = 1` are exact), the sum fused with [`crate::arith::Ring::add_product`] instead of a
/// clone per term.
fn mat_mul<T: Enclosure>(a: &DMatrix<T>, b: &DMatrix<T>) -> DMatrix<T> {
    assert_eq!(a.ncols(), b.nrows(), "matrix product: dimensions mismatch");
    DMatrix::from_fn(a.nrows(), b.ncols(), |i, j| {
        let mut acc = a[(i, 0)].clone() * &b[(0, j)];
        for k in 1..a.ncols() {
            acc.add_product(&a[(i, k)], &b[(k, j)]);
        }
        acc
    })
}

fn describe<T: Enclosure>(x: &[T]) -> Vec<(String, String)> {
    x.iter().map(|v| v.to_decimal_bounds(17)).collect()
}

/// A-priori enclosure: B with `X + [0,h] F(B) ⊆ B`, returning B and the tighter
/// `X + [0,h] F(B)`.
fn apriori<T: Enclosure, F: VectorField>(
    field: &F,
    x: &[T],
    hbox: &T,
    prec: u32,
) -> Option<(Vec<T>, Vec<T>)> {
    let fx = field.eval(x);
    let mut b: Vec<T> = x
        .iter()
        .zip(&fx)
        .map(|(xi, fi)| xi.clone() + &(hbox.clone() * fi))
        .collect();
    for _ in 0..12 {
        // inflate by 10% of the width plus a tiny absolute amount
        let inflated: Vec<T> = b
            .iter()
            .map(|bi| {
                let w = bi.width_upper() * 0.1 + bi.mag_upper() * 1e-12 + 1e-300;
                let e = T::from_f64(w, prec);
                bi.clone() + &(-e.clone()).hull(&e)
            })
            .collect();
        let fb = field.eval(&inflated);
        let next: Vec<T> = x
            .iter()
            .zip(&fb)
            .map(|(xi, fi)| xi.clone() + &(hbox.clone() * fi))
            .collect();
        if crate::mutation::active(crate::mutation::Mutant::AprioriOverlapOnly)
            && next
                .iter()
                .zip(&inflated)
                .all(|(n, b)| n.intersect(b).is_some())
        {
            // mutant: a mere overlap of X + [0,h] F(B) with B accepted as the inclusion
            return Some((inflated, next));
        }
        if next.iter().zip(&inflated).all(|(n, b)| n.subset(b)) {
            return Some((inflated, next));
        }
        if !next.iter().all(|n| n.is_finite()) {
            return None;
        }
        b = next;
    }
    None
}

/// The a-priori enclosure for the step `h_rat` from `x_box` and the Taylor coefficients over it
/// (left in `ws`, order p), in the enclosure type `S` (the working type or its coarse type):
/// returns `B` (validated), the tighter `X + [0,h] F(B)` and an upper bound on the Lagrange
/// remainder `h^p max_i |x_{p,i}(B)|` (as f64, for the step-size control only). None when the
/// Picard iteration does not validate.
#[allow(clippy::too_many_arguments)]
fn apriori_remainder<S: Enclosure, F: VectorField>(
    field: &F,
    tape: &super::tape::Tape,
    x_box: &[S],
    h_rat: &Rational,
    p: usize,
    prec: u32,
    ws: &mut TaylorWorkspace<S>,
) -> Result<Option<(Vec<S>, Vec<S>, f64)>, TaylorError> {
    let n = x_box.len();
    let ht = S::from_rational(h_rat, prec);
    let hbox = S::zero().hull(&ht);
    let Some((b_valid, b)) = apriori(field, x_box, &hbox, prec) else {
        return Ok(None);
    };
    ws.compute(tape, &b, p, prec)?;
    let hf = h_rat.to_f64();
    let rem = (0..n)
        .map(|i| ws.coefs(i)[p].mag_upper())
        .fold(0.0, f64::max)
        * hf.powi(p as i32);
    Ok(Some((b_valid, b, rem)))
}

/// `J = sum_{k<q} D x_k h^k` from the dual-number coefficients `coefs_d` (order >= q - 1), by
/// Horner's rule on the partials (as `horner` on the column of partials, each read in place when
/// it exists).
fn jacobian<S: Enclosure>(
    coefs_d: &TaylorWorkspace<Dual<S>>,
    n: usize,
    q: usize,
    ht: &S,
) -> DMatrix<S> {
    DMatrix::from_fn(n, n, |i, j| {
        let d = &coefs_d.coefs(i)[..q];
        let mut acc = d[q - 1].partial(j);
        for dk in d[..q - 1].iter().rev() {
            acc = acc * ht;
            match dk.grad.get(j) {
                Some(g) => acc += g,
                None => acc += &dk.partial(j),
            }
        }
        acc
    })
}

fn coarse_vec<T: Enclosure>(x: &[T]) -> Vec<T::Coarse> {
    x.iter().map(|v| v.to_coarse()).collect()
}

fn fine_vec<T: Enclosure>(x: &[T::Coarse], prec: u32) -> Vec<T> {
    x.iter().map(|v| T::from_coarse(v, prec)).collect()
}

/// Enclose `Q^{-1}` for a point matrix `Q` (given as an enclosure `q` of it) near-orthogonal:
/// with `P = Q^T` and `E = P Q - I`, `||E||_inf <= eps < 1/2`, `(I + E)^{-1} ∈ I - E ± eps^2/(1-eps)`.
fn enclose_inverse_near_orthogonal<T: Enclosure>(q: &DMatrix<T>, prec: u32) -> Option<DMatrix<T>> {
    let n = q.nrows();
    let p = q.transpose();
    let mut e = mat_mul(&p, q);
    for i in 0..n {
        e[(i, i)] -= T::one();
    }
    let mut eps = T::zero();
    for i in 0..n {
        let mut row = T::zero();
        for j in 0..n {
            row += T::from_f64(e[(i, j)].mag_upper(), prec);
        }
        eps = eps.max(&row);
    }
    let eps_up = eps.upper_f64();
    if !(eps_up < 0.5) {
        return None;
    }
    let eps_t = T::from_f64(eps_up, prec);
    let eta = (eps_t.clone() * &eps_t / (T::one() - &eps_t)).upper_f64();
    let eta_t = T::from_f64(eta, prec);
    let band = (-eta_t.clone()).hull(&eta_t);
    let inv_ie = DMatrix::from_fn(n, n, |i, j| {
        let id = if i == j { T::one() } else { T::zero() };
        id - &e[(i, j)] + &band
    });
    Some(mat_mul(&inv_ie, &p))
}

/// Integrate `x' = F(x)` from the initial enclosure `x0` over `[0, t_end]`.
///
/// Guarantee: for every step, `end` encloses `x(t1)` and `range` encloses `x(t)` on
/// `[t0, t1]`, for every solution starting in `x0`. On failure, an error says where and why;
/// no partial result is passed off as complete.
pub fn integrate<T: Enclosure, F: VectorField>(
    field: &F,
    x0: &[T],
    t_end: &Rational,
    opts: &SolverOptions,
) -> Result<Trajectory<T>, IntegrationError> {
    let n = field.dim();
    assert_eq!(x0.len(), n, "initial value has the wrong dimension");
    let prec = x0.iter().map(|x| x.prec()).max().unwrap_or(53);
    let p = opts
        .order
        .unwrap_or(((prec / 3 + 4) as usize).clamp(12, 100));
    let q = opts.jacobian_order.clamp(1, p);
    let mut c: Vec<T> = x0.iter().map(|x| x.mid_point()).collect();
    let mut a: DMatrix<T> = DMatrix::from_fn(n, n, |i, j| T::from_i64((i == j) as i64, prec));
    let mut r: Vec<T> = x0.iter().zip(&c).map(|(x, ci)| x.clone() - ci).collect();
    let mut box_now: Vec<T> = x0.to_vec();
    let mut t = Rational::new();
    let mut steps: Vec<Step<T>> = Vec::new();
    // Taylor buffers reused from step to step: over X (or the jet over hull(X, c)), over B,
    // at c and the Jacobian's jet.
    let mut ws_x: TaylorWorkspace<T> = TaylorWorkspace::new();
    let mut ws_jet: TaylorWorkspace<Dual<T>> = TaylorWorkspace::new();
    let mut ws_b: TaylorWorkspace<T> = TaylorWorkspace::new();
    let mut ws_c: TaylorWorkspace<T> = TaylorWorkspace::new();
    let mut ws_d: TaylorWorkspace<Dual<T>> = TaylorWorkspace::new();
    // Their coarse counterparts (SolverOptions::coarse_apriori / coarse_jacobian).
    let mut ws_b_c: TaylorWorkspace<T::Coarse> = TaylorWorkspace::new();
    let mut ws_jet_c: TaylorWorkspace<Dual<T::Coarse>> = TaylorWorkspace::new();
    let mut ws_d_c: TaylorWorkspace<Dual<T::Coarse>> = TaylorWorkspace::new();
    let cprec = T::one().to_coarse().prec();
    if x0.iter().any(|x| !x.is_finite()) {
        return Err(IntegrationError::NotFinite { t: 0.0 });
    }
    while t < *t_end {
        if steps.len() >= opts.max_steps {
            return Err(IntegrationError::TooManySteps {
                t: t.to_f64(),
                steps: opts.max_steps,
            });
        }
        let x_box: Vec<T> = matvec(&a, &r)
            .into_iter()
            .zip(&c)
            .map(|(ar, ci)| ar + ci)
            .collect();
        let x_box: Vec<T> = x_box
            .iter()
            .zip(&box_now)
            .map(|(u, v)| u.intersect(v).unwrap_or_else(|| v.clone()))
            .collect();
        let at: Vec<f64> = x_box.iter().map(|x| x.approx_f64()).collect();
        let tape = record(&at, |v| field.eval(v));
        // With the Jacobian to full order (q = p, C^1 Lohner), the Taylor coefficients with
        // their gradients over hull(X, c) are computed once: their values (enclosures over a
        // box containing X) serve as the coefficients over X.
        let use_jet = q >= p && n <= opts.lohner_max_dim;
        let jet_values: Vec<Vec<T>>;
        let coefs_x: Vec<&[T]> = if use_jet && opts.coarse_jacobian {
            let start = jet_start(&coarse_vec(&x_box), &coarse_vec(&c));
            ws_jet_c.compute(&tape, &start, p, cprec)?;
            jet_values = (0..n)
                .map(|i| {
                    ws_jet_c
                        .coefs(i)
                        .iter()
                        .map(|v| T::from_coarse(&v.value, prec))
                        .collect()
                })
                .collect();
            jet_values.iter().map(|v| v.as_slice()).collect()
        } else if use_jet {
            ws_jet.compute(&tape, &jet_start(&x_box, &c), p, prec)?;
            jet_values = (0..n)
                .map(|i| ws_jet.coefs(i).iter().map(|v| v.value.clone()).collect())
                .collect();
            jet_values.iter().map(|v| v.as_slice()).collect()
        } else {
            ws_x.compute(&tape, &x_box, p, prec)?;
            (0..n).map(|i| ws_x.coefs(i)).collect()
        };

        // Step size from the last two coefficients.
        let scale = 1.0 + x_box.iter().map(|x| x.mag_upper()).fold(0.0, f64::max);
        let tol = opts
            .tolerance
            .unwrap_or_else(|| 2f64.powi(8 - prec.min(1000) as i32) * scale);
        let mut h = opts.max_step;
        for k in [p - 1, p] {
            let m = coefs_x
                .iter()
                .map(|ci| ci[k].mag_upper())
                .fold(0.0, f64::max);
            if m > 0.0 && m.is_finite() {
                h = h.min(0.9 * (tol / m).powf(1.0 / k as f64));
            }
        }
        if !h.is_finite() {
            h = 1.0;
        }
        let remaining = Rational::from(t_end - &t);
        let x_box_c: Vec<T::Coarse> = if opts.coarse_apriori {
            coarse_vec(&x_box)
        } else {
            Vec::new()
        };
        // Find h: the a-priori enclosure B must validate and the Lagrange remainder
        // h^p x_p(B) must be within the tolerance (x_p over the wide box B is what limits h).
        let (h_rat, b_valid, b) = loop {
            if h < opts.min_step {
                return Err(IntegrationError::StepTooSmall {
                    t: t.to_f64(),
                    h,
                    floor: opts.min_step,
                    reason: "no step validated the a-priori enclosure X + [0,h] F(B) ⊆ B with a remainder within tolerance".into(),
                    enclosure: describe(&x_box),
                });
            }
            let h_try = Rational::from_f64(h).unwrap_or_else(Rational::new);
            let h_rat = if h_try >= remaining {
                remaining.clone()
            } else {
                h_try
            };
            let found = if opts.coarse_apriori {
                apriori_remainder(field, &tape, &x_box_c, &h_rat, p, cprec, &mut ws_b_c)?
                    .map(|(bv, b, rem)| (fine_vec::<T>(&bv, prec), fine_vec::<T>(&b, prec), rem))
            } else {
                apriori_remainder(field, &tape, &x_box, &h_rat, p, prec, &mut ws_b)?
            };
            let Some((b_valid, b, rem)) = found else {
                h /= 2.0;
                continue;
            };
            let hf = h_rat.to_f64();
            if rem.is_finite() && rem <= opts.remainder_factor * tol {
                break (h_rat, b_valid, b);
            }
            let shrink = if rem.is_finite() && rem > 0.0 {
                0.9 * (tol / rem).powf(1.0 / p as f64)
            } else {
                0.5
            };
            h = hf * shrink.clamp(0.1, 0.9);
        };
        // x_p(B), the Lagrange remainder's coefficient (exact conversions from the coarse type)
        let xp_b: Vec<T> = (0..n)
            .map(|i| {
                if opts.coarse_apriori {
                    T::from_coarse(&ws_b_c.coefs(i)[p], prec)
                } else {
                    ws_b.coefs(i)[p].clone()
                }
            })
            .collect();
        let ht = T::from_rational(&h_rat, prec);
        let hbox = T::zero().hull(&ht);
        let mut h_pow_p = T::one();
        for _ in 0..p {
            h_pow_p = h_pow_p * &ht;
        }
        let (end, new_c, new_a, new_r) = if n > opts.lohner_max_dim {
            // Plain box: x(h; x0) ∈ sum_{k<p} x_k(X) h^k + h^p x_p(B).
            let end: Vec<T> = (0..n)
                .map(|i| horner(&coefs_x[i][..p], &ht) + &(xp_b[i].clone() * &h_pow_p))
                .collect();
            let c1: Vec<T> = end.iter().map(|v| v.mid_point()).collect();
            let r1: Vec<T> = end.iter().zip(&c1).map(|(e, ci)| e.clone() - ci).collect();
            let id = DMatrix::from_fn(n, n, |i, j| T::from_i64((i == j) as i64, prec));
            (end, c1, id, r1)
        } else {
            // J over hull(X, c): from the C^1 jet when there is one, else a dual pass at order
            // q - 1; in the coarse type with `coarse_jacobian` (converted back exactly).
            let jac: DMatrix<T> = if opts.coarse_jacobian {
                let htc = T::Coarse::from_rational(&h_rat, cprec);
                let coefs_d = if use_jet {
                    &ws_jet_c
                } else {
                    let start = jet_start(&coarse_vec(&x_box), &coarse_vec(&c));
                    ws_d_c.compute(&tape, &start, q.saturating_sub(1), cprec)?;
                    &ws_d_c
                };
                let jc = jacobian(coefs_d, n, q, &htc);
                DMatrix::from_fn(n, n, |i, j| T::from_coarse(&jc[(i, j)], prec))
            } else {
                let coefs_d = if use_jet {
                    &ws_jet
                } else {
                    ws_d.compute(&tape, &jet_start(&x_box, &c), q.saturating_sub(1), prec)?;
                    &ws_d
                };
                jacobian(coefs_d, n, q, &ht)
            };
            self::lohner_update(
                &tape, &c, &a, &r, &coefs_x, &xp_b, jac, &mut ws_c, &ht, p, q, prec,
            )?
        };
        if end.iter().any(|e| !e.is_finite()) {
            return Err(IntegrationError::NotFinite { t: t.to_f64() });
        }
        // Range over [t, t + h].
        let mut hp = T::one();
        for _ in 0..p {
            hp = hp * &hbox;
        }
        let range: Vec<T> = (0..n)
            .map(|i| {
                let poly = horner(&coefs_x[i][..p], &hbox) + &(xp_b[i].clone() * &hp);
                poly.intersect(&b[i]).unwrap_or_else(|| b[i].clone())
            })
            .collect();
        let t1 = Rational::from(&t + &h_rat);
        steps.push(Step {
            t0: t.clone(),
            t1: t1.clone(),
            end: end.clone(),
            range,
            start_box: x_box,
            apriori: b_valid,
        });
        t = t1;
        c = new_c;
        a = new_a;
        r = new_r;
        box_now = end;
    }
    Ok(Trajectory {
        start: x0.to_vec(),
        steps,
        order: p,
    })
}

/// The variables of the Jacobian: `hull(X_i, c_i)` with unit gradients.
fn jet_start<T: Enclosure>(x_box: &[T], c: &[T]) -> Vec<Dual<T>> {
    let n = x_box.len();
    x_box
        .iter()
        .zip(c)
        .enumerate()
        .map(|(i, (x, ci))| Dual::variable(x.hull(ci), i, n))
        .collect()
}

/// Lohner's update (steps 3-4 of the module docs): returns the end box and the new `(c, A, r)`.
#[allow(clippy::too_many_arguments)]
/// `jac` encloses `J = sum_{k<q} D x_k h^k` over `hull(X, c)` (the mean-value form needs J over
/// the segments from c to every x0), `xp_b` encloses `x_p(B)`.
fn lohner_update<T: Enclosure>(
    tape: &super::tape::Tape,
    c: &[T],
    a: &DMatrix<T>,
    r: &[T],
    coefs_x: &[&[T]],
    xp_b: &[T],
    jac: DMatrix<T>,
    ws_c: &mut TaylorWorkspace<T>,
    ht: &T,
    p: usize,
    q: usize,
    prec: u32,
) -> Result<(Vec<T>, Vec<T>, DMatrix<T>, Vec<T>), IntegrationError> {
    let n = c.len();
    let ht = ht.clone();
    let ht = &ht;
    ws_c.compute(tape, c, q.saturating_sub(1), prec)?;
    let coefs_c = &*ws_c;

    let mut h_pow_q = T::one();
    for _ in 0..q {
        h_pow_q = h_pow_q * ht;
    }
    let mut h_pow_p = h_pow_q.clone();
    for _ in q..p {
        h_pow_p = h_pow_p * ht;
    }
    if crate::mutation::active(crate::mutation::Mutant::TaylorRemainderOrder) {
        // mutant: the Lagrange remainder x_p(B) taken with h^(p+1) instead of h^p
        h_pow_p *= ht;
    }
    // y = T_q(c) + sum_{q<=k<p} x_k(X) h^k + h^p x_p(B)
    let y: Vec<T> = (0..n)
        .map(|i| {
            let low = horner(&coefs_c.coefs(i)[..q], ht);
            let tail = if q < p {
                horner(&coefs_x[i][q..p], ht) * &h_pow_q
            } else {
                T::zero()
            };
            low + &tail + &(xp_b[i].clone() * &h_pow_p)
        })
        .collect();
    let m = mat_mul(&jac, a);
    let direct: Vec<T> = matvec(&m, r)
        .into_iter()
        .zip(&y)
        .map(|(mr, yi)| mr + yi)
        .collect();
    let c1: Vec<T> = y.iter().map(|v| v.mid_point()).collect();

    // Lohner: sort columns of M by |column| * width(r_j), QR of mid(M).
    let mut order: Vec<usize> = (0..n).collect();
    let weight = |j: usize| {
        let norm: f64 = (0..n)
            .map(|i| m[(i, j)].approx_f64().powi(2))
            .sum::<f64>()
            .sqrt();
        norm * r[j].width_upper()
    };
    let weights: Vec<f64> = (0..n).map(weight).collect();
    order.sort_by(|&x, &z| {
        weights[z]
            .partial_cmp(&weights[x])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let m_sorted = DMatrix::from_fn(n, n, |i, j| m[(i, order[j])].clone());
    let r_sorted: Vec<T> = order.iter().map(|&j| r[j].clone()).collect();
    let mid = DMatrix::from_fn(n, n, |i, j| m_sorted[(i, j)].approx_f64());
    let qf = if mid.iter().all(|v| v.is_finite()) {
        nalgebra::linalg::QR::new(mid).q()
    } else {
        DMatrix::identity(n, n)
    };
    let q_t = DMatrix::from_fn(n, n, |i, j| T::from_f64(qf[(i, j)], prec));
    let (new_a, new_r) = match enclose_inverse_near_orthogonal(&q_t, prec) {
        Some(inv) => {
            let b_m = mat_mul(&inv, &m_sorted);
            let shift: Vec<T> = y.iter().zip(&c1).map(|(yi, ci)| yi.clone() - ci).collect();
            let r1: Vec<T> = matvec(&b_m, &r_sorted)
                .into_iter()
                .zip(matvec(&inv, &shift))
                .map(|(u, v)| u + &v)
                .collect();
            (q_t, r1)
        }
        None => {
            // Fall back to a plain box: A = I, r = box - c.
            let id = DMatrix::from_fn(n, n, |i, j| T::from_i64((i == j) as i64, prec));
            (
                id,
                direct
                    .iter()
                    .zip(&c1)
                    .map(|(d, ci)| d.clone() - ci)
                    .collect(),
            )
        }
    };
    let lohner_box: Vec<T> = matvec(&new_a, &new_r)
        .into_iter()
        .zip(&c1)
        .map(|(u, ci)| u + ci)
        .collect();
    let end: Vec<T> = lohner_box
        .iter()
        .zip(&direct)
        .map(|(u, v)| u.intersect(v).unwrap_or_else(|| v.clone()))
        .collect();
    Ok((end, c1, new_a, new_r))
}
