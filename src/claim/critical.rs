//! C7: spurious critical points and special orbits (docs/math.md section 9).
//!
//! * `saddle`: at a spectral state supported on mode 0 (`a_m = b_m = 0` for m != 0; W = H = 0
//!   included), the full-matrix gradient encloses 0, and along the direction
//!   `v = (Q e_m e_m^T R^T, R e_m e_m^T Q^T)` the second derivative of the loss,
//!   `v^T (Hess L) v = d^2/dt^2 L(W + t W_v, H + t H_v)` at t = 0, is certainly negative. It is
//!   enclosed by nested forward-mode differentiation (dual numbers of dual numbers) through the
//!   generic full-matrix loss, so no eigen-solver and no closed form is used.
//! * `zero_mode`: with `a_m = b_m = 0`, the vector-field components of mode m enclose exactly 0
//!   (the mode stays 0), and the log-growth rate `(2/K)(1 - s_m)` of a small balanced
//!   perturbation has a positive lower bound (the invariant set is unstable).

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::{expand_vector, ClaimError, ClaimSpec, Ctx, FieldHelp, Need};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{Enclosure, Field};
use crate::cert::{margin_lower, Check, EnclosureRecord, Verdict};
use crate::model::gradient::{enclose_gradient_flow, enclose_mean_ce_loss};
use crate::model::hadamard::HadamardMatrix;
use crate::model::logits::div_by_order;
use crate::ode::dual::Dual;
use crate::spectral::field::{enclose_spectral_softmax, enclose_unbalanced_field};
use nalgebra::DMatrix;
use rug::Rational;
use std::path::Path;

/// `Q diag(x) Q^T`-type factors: `W = Q diag(a) R^T`, `H = R diag(b) Q^T` with R = I (d = K).
fn full_matrices<S: Field>(q: &DMatrix<S>, a: &[S], b: &[S]) -> (DMatrix<S>, DMatrix<S>) {
    let k = a.len();
    let da = DMatrix::from_fn(k, k, |i, j| if i == j { a[i].clone() } else { S::zero() });
    let db = DMatrix::from_fn(k, k, |i, j| if i == j { b[i].clone() } else { S::zero() });
    (q * da, db * q.transpose())
}

fn q_matrix<S: Field + crate::arith::Real>(k: usize, prec: u32) -> DMatrix<S> {
    let had = HadamardMatrix::sylvester(k).expect("validated power of two");
    let inv_sqrt_k = S::from_i64(k as i64, prec).sqrt().recip();
    DMatrix::from_fn(k, k, |i, j| {
        if had.get(i, j) > 0 {
            inv_sqrt_k.clone()
        } else {
            -inv_sqrt_k.clone()
        }
    })
}

/// Evaluate a C7 claim on backend `T` at `prec` bits.
///
/// "The gradient is zero" and "the mode stays zero" are equalities, so they rest on exact
/// arguments, checked exactly on the rational inputs; the enclosures confirm them and decide the
/// strict inequalities:
/// * saddle: the state is supported on mode 0 (`a_m = b_m = 0` for `m != 0`, exact). Then
///   `Q^T W' R = -(1/K)(diag(s) - I) diag(b)` (Sylvester Q diagonalises S exactly, docs/math.md
///   section 3) has the single entry `-(1/K)(s_0 - 1) b_0`, and `s_0 = sum_g p(g) = 1`, so the
///   gradient is exactly 0 (and `H'` likewise). *Proved* when that holds, every gradient
///   entry encloses 0 with width at most `width_bound` (consistency), and the second derivative
///   is certainly negative; *refuted* when it is certainly positive or a gradient entry
///   excludes 0;
/// * zero mode: `a_m = b_m = 0` exactly. The field's mode-m components are
///   `(1/K)(1 - s_m) b_m` and `(1/K)(1 - s_m) a_m`, multiples of `b_m` and `a_m` at every
///   state, so `{a_m = b_m = 0}` is invariant (uniqueness of solutions of a smooth ODE); the
///   point enclosures `[0, 0]` of both components confirm it at the state. *Proved* when that
///   holds and the growth rate is certainly positive, *refuted* when a component excludes 0 or
///   the rate is certainly negative;
/// * *undecided* otherwise.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Critical { saddle, mode, a, b } = &claim.params else {
        unreachable!("validated kind")
    };
    let k = a.len();
    let m = *mode;
    let a_t: Vec<T> = a.iter().map(|x| T::from_rational(x, prec)).collect();
    let b_t: Vec<T> = b.iter().map(|x| T::from_rational(x, prec)).collect();
    let mut checks = Vec::new();
    let mut enclosures = Vec::new();
    if *saddle {
        let supported_on_mode_0 = (1..k).all(|i| a[i] == 0 && b[i] == 0);
        checks.push(Check {
            name: "exact argument: the state is supported on mode 0 (exact rationals), so the \
                   gradient is exactly 0 (Q^T W' R = -(1/K)(diag(s) - I) diag(b), s_0 = 1)"
                .into(),
            passed: supported_on_mode_0,
            detail: String::new(),
        });
        // Gradient at the state.
        let q = q_matrix::<T>(k, prec);
        let (w, h) = full_matrices(&q, &a_t, &b_t);
        let (w_dot, h_dot) = enclose_gradient_flow(&w, &h);
        let mut widest: f64 = 0.0;
        let mut grad_zero = Some(true);
        let mut excluding: Option<T> = None;
        for x in w_dot.iter().chain(h_dot.iter()) {
            widest = widest.max(x.width_upper());
            if x.certainly_positive() || x.certainly_negative() {
                grad_zero = Some(false);
                excluding.get_or_insert_with(|| x.abs());
            } else if !x.contains_zero() && grad_zero == Some(true) {
                grad_zero = None;
            }
        }
        let width_ok = Rational::from_f64(widest).is_some_and(|w| w <= claim.width_bound);
        checks.push(Check {
            name: "consistency: every entry of the full gradient (W', H') encloses 0".into(),
            passed: grad_zero == Some(true) && width_ok,
            detail: format!("widest {widest:.3e}"),
        });
        // Second derivative along t -> (a + t e_m, b + t e_m), by dual numbers of dual numbers.
        type D2<T> = Dual<Dual<T>>;
        let lift = |x: &T| D2::<T> {
            value: Dual {
                value: x.clone(),
                grad: Vec::new(),
            },
            grad: Vec::new(),
        };
        let t = D2::<T> {
            value: Dual::variable(T::zero(), 0, 1),
            grad: vec![Dual {
                value: T::one(),
                grad: Vec::new(),
            }],
        };
        let a_d: Vec<D2<T>> = a_t
            .iter()
            .enumerate()
            .map(|(i, x)| if i == m { lift(x) + &t } else { lift(x) })
            .collect();
        let b_d: Vec<D2<T>> = b_t
            .iter()
            .enumerate()
            .map(|(i, x)| if i == m { lift(x) + &t } else { lift(x) })
            .collect();
        let qd = q_matrix::<D2<T>>(k, prec);
        let (wd, hd) = full_matrices(&qd, &a_d, &b_d);
        let loss = enclose_mean_ce_loss(&(&wd * &hd));
        let second = loss
            .grad
            .first()
            .map(|g| g.partial(0))
            .unwrap_or_else(|| T::zero());
        let first = loss.value.partial(0);
        enclosures.push(EnclosureRecord::from_enclosure(
            format!("v^T Hess(L) v along mode {m}"),
            &second,
        ));
        enclosures.push(EnclosureRecord::from_enclosure(
            "dL/dt along v (must contain 0)",
            &first,
        ));
        enclosures.push(EnclosureRecord::from_enclosure(
            "loss L at the state",
            &loss.value.value,
        ));
        checks.push(Check {
            name: "v^T Hess(L) v < 0 (strict saddle)".into(),
            passed: second.certainly_negative(),
            detail: format!("upper end {:.6e}", second.upper_f64()),
        });
        let verdict = if grad_zero == Some(false) || second.certainly_positive() {
            Verdict::Refuted
        } else if supported_on_mode_0
            && grad_zero == Some(true)
            && width_ok
            && second.certainly_negative()
            && first.contains_zero()
        {
            Verdict::Proved
        } else {
            Verdict::Undecided
        };
        let margin = match verdict {
            Verdict::Proved => margin_lower(&-second.clone()),
            Verdict::Refuted if second.certainly_positive() => margin_lower(&second),
            // A gradient entry certainly away from 0: its distance from 0.
            Verdict::Refuted => excluding.as_ref().and_then(margin_lower),
            _ => None,
        };
        return Evaluation {
            verdict,
            enclosures,
            checks,
            margin,
            max_width: widest.max(second.width_upper()),
            series: vec![],
        };
    }
    // Zero mode.
    let mode_is_zero = a[m] == 0 && b[m] == 0;
    checks.push(Check {
        name: format!(
            "exact argument: a_{m} = b_{m} = 0 (exact rationals); the mode-{m} field components \
             are multiples of b_{m} and a_{m}, so the set a_{m} = b_{m} = 0 is invariant"
        ),
        passed: mode_is_zero,
        detail: String::new(),
    });
    let (da, db) = enclose_unbalanced_field(&a_t, &b_t);
    let exactly_zero = |x: &T| x.is_finite() && x.contains_zero() && x.width_upper() == 0.0;
    let stays = exactly_zero(&da[m]) && exactly_zero(&db[m]);
    let lambda: Vec<T> = a_t.iter().zip(&b_t).map(|(x, y)| x.clone() * y).collect();
    let s = enclose_spectral_softmax(&lambda).s;
    let rate = div_by_order(T::one() - &s[m], k).mul_pow2(1);
    enclosures.push(EnclosureRecord::from_enclosure(format!("a'_{m}"), &da[m]));
    enclosures.push(EnclosureRecord::from_enclosure(format!("b'_{m}"), &db[m]));
    enclosures.push(EnclosureRecord::from_enclosure(
        format!("growth rate (2/K)(1 - s_{m})"),
        &rate,
    ));
    checks.push(Check {
        name: format!("mode {m} stays 0: a'_{m} and b'_{m} enclose exactly 0"),
        passed: stays,
        detail: String::new(),
    });
    checks.push(Check {
        name: "unstable: the growth rate of a balanced perturbation is > 0".into(),
        passed: rate.certainly_positive(),
        detail: format!("lower end {:.6e}", rate.lower_f64()),
    });
    let excluded = |x: &T| x.certainly_positive() || x.certainly_negative();
    let verdict = if excluded(&da[m]) || excluded(&db[m]) || rate.certainly_negative() {
        Verdict::Refuted
    } else if mode_is_zero && stays && rate.certainly_positive() {
        Verdict::Proved
    } else {
        Verdict::Undecided
    };
    let margin = match verdict {
        Verdict::Proved => margin_lower(&rate),
        Verdict::Refuted if excluded(&da[m]) => margin_lower(&da[m].abs()),
        Verdict::Refuted if excluded(&db[m]) => margin_lower(&db[m].abs()),
        Verdict::Refuted => margin_lower(&-rate.clone()),
        _ => None,
    };
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width: rate.width_upper(),
        series: vec![],
    }
}

// ---- schema: fields, validation, certificate text ----

/// The statement written into certificates.
pub const STATEMENT: &str = "critical points: at a state supported on mode 0 the gradient is zero and the loss curves down along a spectral direction (strict saddle); a zero mode stays zero and is unstable";

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of a gradient entry's enclosure (each \
         must contain 0)",
    ),
    ("check", Need::Required, "`saddle` or `zero_mode`"),
    (
        "start",
        Need::Required,
        "a of the spectral state (length K, a power of two in 2..=16)",
    ),
    (
        "start_b",
        Need::Required,
        "b of the spectral state (length K)",
    ),
    (
        "mode",
        Need::Required,
        "the mode m != 0 of the direction (saddle) or of the zero mode",
    ),
];

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    let saddle = match spec.check.as_deref() {
        Some("saddle") => true,
        Some("zero_mode") => false,
        Some(other) => {
            return Err(ctx.err(
                "check",
                format!("unknown check `{other}` (saddle or zero_mode)"),
            ))
        }
        None => return Err(ctx.err("check", "missing (saddle or zero_mode)")),
    };
    let a = expand_vector(
        spec.start
            .as_ref()
            .ok_or_else(|| ctx.err("start", "missing: a"))?,
        "start",
        file,
        &spec.id,
    )?;
    let b = expand_vector(
        spec.start_b
            .as_ref()
            .ok_or_else(|| ctx.err("start_b", "missing: b"))?,
        "start_b",
        file,
        &spec.id,
    )?;
    let k = a.len();
    if !k.is_power_of_two() || !(2..=16).contains(&k) {
        return Err(ctx.err(
            "start",
            format!(
                "has length {k}: K must be a power of two in 2..=16 (dense Hessian directions)"
            ),
        ));
    }
    if b.len() != k {
        return Err(ctx.err(
            "start_b",
            format!("has length {} but `start` has length {k}", b.len()),
        ));
    }
    let mode = spec
        .mode
        .ok_or_else(|| ctx.err("mode", "missing: the mode m != 0"))?;
    if mode == 0 || mode >= k {
        return Err(ctx.err("mode", format!("must be in 1..{k}")));
    }
    if saddle && (1..k).any(|m| a[m] != 0 || b[m] != 0) {
        return Err(ctx.err(
            "start",
            "a saddle state is supported on mode 0 only: a_m = b_m = 0 for m != 0",
        ));
    }
    if !saddle && (a[mode] != 0 || b[mode] != 0) {
        return Err(ctx.err(
            "start",
            format!("a zero mode needs a_{mode} = b_{mode} = 0"),
        ));
    }
    Ok(Params::Critical { saddle, mode, a, b })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Critical { a, b, mode, .. } = params else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": a.len(),
        "a": exact_vector(a),
        "b": exact_vector(b),
        "mode": mode,
    })
}

/// The registry entry of kind C7.
pub const ENTRY: KindEntry = KindEntry {
    name: "C7",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};
