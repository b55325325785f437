//! C4 (pointwise) and C4r: the sign of dV/dt at one exact state (docs/math.md section 6).
//!
//! dV/dt is enclosed by the chain rule along the generic vector field (never by plugging into
//! the closed-form identity). For balanced states the identity
//! `dV/dt = -2 (sum_{g!=0} p_g f_g - (1 - p_0) mean_{g!=0} f_g) / sum_{m!=0} lambda_m`
//! (docs/math.md's `-(2/K)(1 - p(0)) K (E_r f - E_u f) / sum lambda`) is an algebraic theorem; the
//! numerics only check that the two enclosures are *consistent* with it: their difference
//! must contain 0 and be at most `width_bound` wide. That never shows the two are equal (an
//! enclosure cannot prove `x = 0`), and the verdict does not claim it: the statement decided is
//! `dV/dt < 0`, from the chain-rule enclosure alone.

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::Flow;
use super::schema::{
    append_b, expand_vector, trajectory_k_message, ClaimError, ClaimSpec, Ctx, FieldHelp, Need,
    MAX_TRAJECTORY_K,
};
use super::trajectory::{decide_negative, Decision};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{working_prec, Enclosure};
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::spectral::field::{
    enclose_balanced_field_on, enclose_spectral_softmax_on, enclose_unbalanced_field_on,
};
use crate::spectral::lyapunov::{enclose_lyapunov, enclose_lyapunov_rate};
use crate::spectral::transform::SpectralTransform;
use rug::Rational;
use std::path::Path;

/// Encloses the right-hand side of the closed-form identity for dV/dt at a balanced state.
pub fn enclose_identity_rate<T: Enclosure>(lambda: &[T]) -> T {
    enclose_identity_rate_on(&SpectralTransform::sylvester(lambda.len()), lambda)
}

/// [`enclose_identity_rate`] on the group of `tr` (the identity holds for every finite
/// abelian group, docs/math.md section 12.4).
pub fn enclose_identity_rate_on<T: Enclosure>(tr: &SpectralTransform, lambda: &[T]) -> T {
    let k = lambda.len();
    let sp = enclose_spectral_softmax_on(tr, lambda);
    let mut weighted = T::zero();
    let mut mean_f = T::zero();
    let mut sum_l = T::zero();
    for g in 1..k {
        weighted.add_product(&sp.p[g], &sp.f[g]);
        mean_f += &sp.f[g];
        sum_l += &lambda[g];
    }
    let p = working_prec(&lambda);
    let mean_f = mean_f / T::from_i64(k as i64 - 1, p);
    let gap = weighted - &((T::one() - &sp.p[0]) * &mean_f);
    -(gap.mul_pow2(1) / &sum_l)
}

/// Consistency of the chain-rule enclosure with the closed form, from the enclosure `diff` of
/// their difference: *proved* (consistent) when `diff` is finite, contains 0 and is at most
/// `width_bound` wide (compared exactly); *refuted* (inconsistent: the two enclosures of the
/// same number are disjoint, so one computation is wrong) when it is finite and excludes 0;
/// *undecided* when it is too wide or not finite. Never evidence that the two are equal.
pub fn decide_closed_form_consistency<T: Enclosure>(diff: &T, width_bound: &Rational) -> Verdict {
    let (true, Some(lo), Some(hi)) = (diff.is_finite(), diff.lower_exact(), diff.upper_exact())
    else {
        return Verdict::Undecided;
    };
    if lo > 0 || hi < 0 {
        Verdict::Refuted
    } else if Rational::from(&hi - &lo) <= *width_bound {
        Verdict::Proved
    } else {
        Verdict::Undecided
    }
}

/// Decision rule of C4/C4r, "dV/dt < 0 at this state", from the chain-rule enclosure `rate`
/// ([`decide_negative`]: *proved* when certainly < 0, *refuted* when certainly >= 0,
/// *undecided* otherwise) and, for a balanced state, the consistency check with the closed
/// form (`consistency`): a verdict either way needs it consistent, since an inconsistent or
/// unchecked pair means one of the two computations cannot be trusted.
pub fn decide_pointwise<T: Enclosure>(rate: &T, consistency: Option<Verdict>) -> Decision {
    match consistency {
        Some(v) if v != Verdict::Proved => Decision::undecided(),
        _ => decide_negative(rate),
    }
}

/// Evaluate a C4/C4r claim on backend `T` at `prec` bits.
///
/// Decision rule for the statement "dV/dt < 0 at this state": [`decide_pointwise`]; margin:
/// minus the upper end of dV/dt when proved, its lower end when refuted (rounded down).
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::LyapunovRate { flow, k, start } = &claim.params else {
        unreachable!("validated kind")
    };
    let x: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let tr = super::group::flow_transform(claim, *k);
    let (lambda, lambda_dot): (Vec<T>, Vec<T>) = match flow {
        Flow::Unbalanced => {
            let (a, b) = x.split_at(*k);
            let (da, db) = enclose_unbalanced_field_on(&tr, a, b);
            let lam: Vec<T> = a.iter().zip(b).map(|(u, v)| u.clone() * v).collect();
            // lambda' = a' b + a b'
            let dl = (0..*k)
                .map(|m| da[m].clone() * &b[m] + &(a[m].clone() * &db[m]))
                .collect();
            (lam, dl)
        }
        _ => {
            let dl = enclose_balanced_field_on(&tr, &x);
            (x.clone(), dl)
        }
    };
    let rate = enclose_lyapunov_rate(&lambda, &lambda_dot);
    let v = enclose_lyapunov(&lambda);
    let mut enclosures = vec![
        EnclosureRecord::from_enclosure("dV/dt", &rate),
        EnclosureRecord::from_enclosure("V", &v),
    ];
    let mut checks = vec![Check {
        name: "dV/dt enclosed along the vector field (chain rule)".into(),
        passed: rate.is_finite(),
        detail: format!("width {:.3e}", rate.width_upper()),
    }];
    checks.extend(super::group::flow_group_check(claim, *k));
    let mut consistency = None;
    let mut max_width = rate.width_upper();
    if *flow == Flow::Balanced {
        let rhs = enclose_identity_rate_on(&tr, &lambda);
        let diff = rate.clone() - &rhs;
        let w = diff.width_upper();
        let c = decide_closed_form_consistency(&diff, &claim.width_bound);
        consistency = Some(c);
        max_width = max_width.max(w);
        enclosures.push(EnclosureRecord::from_enclosure(
            "identity right-hand side",
            &rhs,
        ));
        enclosures.push(EnclosureRecord::from_enclosure(
            "dV/dt minus identity",
            &diff,
        ));
        checks.push(Check {
            name: "consistent with the closed form: dV/dt minus the identity's right-hand side \
                   contains 0, width <= width_bound (a numerical check of an algebraic identity, \
                   not a proof of it)"
                .into(),
            passed: c == Verdict::Proved,
            detail: match c {
                Verdict::Refuted => format!("width {w:.3e}; excludes 0: inconsistent"),
                _ => format!("width {w:.3e}"),
            },
        });
    }
    let decision = decide_pointwise(&rate, consistency);
    let verdict = decision.verdict;
    let margin = decision.margin();
    checks.push(Check {
        name: "sign of dV/dt".into(),
        passed: verdict != Verdict::Undecided,
        detail: match verdict {
            Verdict::Proved => "certainly negative".into(),
            Verdict::Refuted if rate.certainly_positive() => {
                "certainly positive: V increases here".into()
            }
            Verdict::Refuted => "certainly >= 0: V does not decrease here".into(),
            _ => "undecided".into(),
        },
    });
    enclosures.truncate(4);
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width,
        series: vec![],
    }
}

// ---- schema: fields, validation, certificate text ----

/// The statement written into C4 and C4r certificates.
pub const STATEMENT: &str = "dV/dt < 0 at the exact state, V = log(mean_{m!=0} lambda_m) - mean_{m!=0} log lambda_m (KL(u || lambda~)), differentiated along the reduced vector field";

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of the enclosure of dV/dt minus its \
         closed form (the consistency check of a balanced state)",
    ),
    ("flow", Need::Required, "`balanced` or `unbalanced`"),
    (
        "start",
        Need::Required,
        "the state: lambda (balanced) or a (unbalanced); length K a power of two in 4..=4096, \
         lambda_m > 0 for m != 0",
    ),
    (
        "start_b",
        Need::WithFlow("unbalanced"),
        "b of the unbalanced state (length K)",
    ),
    (
        "group",
        Need::Optional,
        "a finite abelian group of order K (\"Z5\", \"Z4xZ2\", \"Z3xZ3\"; K <= 64): the flow \
         on its real character basis (docs/math.md section 12.4), the state paired; default \
         Z2^n (Sylvester)",
    ),
];

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    let flow = match spec.flow.as_deref() {
        Some("balanced") => Flow::Balanced,
        Some("unbalanced") => Flow::Unbalanced,
        Some(other) => {
            return Err(ctx.err(
                "flow",
                format!("unknown flow `{other}` (balanced or unbalanced)"),
            ))
        }
        None => return Err(ctx.err("flow", "missing (balanced or unbalanced)")),
    };
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing"))?;
    let mut start = expand_vector(start_spec, "start", file, &spec.id)?;
    let k = start.len();
    let grouped = spec.group.is_some();
    if (!grouped && !k.is_power_of_two()) || !(4..=MAX_TRAJECTORY_K).contains(&k) {
        return Err(ctx.err("start", trajectory_k_message(k, 4)));
    }
    if flow == Flow::Unbalanced {
        append_b(spec, file, ctx, &mut start, k)?;
    }
    super::group::validate_flow_group(spec, file, k, &start, &["start", "start_b"])?;
    // V needs lambda_m > 0 for m != 0.
    let positive = (1..k).all(|m| match flow {
        Flow::Unbalanced => Rational::from(&start[m] * &start[k + m]) > 0,
        _ => start[m] > 0,
    });
    if !positive {
        return Err(ctx.err("start", "V needs lambda_m > 0 for every m != 0"));
    }
    Ok(Params::LyapunovRate { flow, k, start })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::LyapunovRate { k, start, .. } = params else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": k,
        "state": exact_vector(start),
    })
}

/// The registry entry of kind C4.
pub const ENTRY: KindEntry = KindEntry {
    name: "C4",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};

/// The registry entry of kind C4r (the same claim as C4, shipped as its own family).
pub const ENTRY_C4R: KindEntry = KindEntry {
    name: "C4r",
    ..ENTRY
};
