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

use super::schema::{Claim, Flow};
use super::trajectory::{decide_negative, Decision};
use super::{Evaluation, Params};
use crate::arith::{working_prec, Enclosure};
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::spectral::field::{
    enclose_balanced_field_on, enclose_spectral_softmax_on, enclose_unbalanced_field_on,
};
use crate::spectral::lyapunov::{enclose_lyapunov, enclose_lyapunov_rate};
use crate::spectral::transform::SpectralTransform;
use rug::Rational;

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
