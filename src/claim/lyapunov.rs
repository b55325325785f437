//! C4 (pointwise) and C4r: the sign of dV/dt at one exact state (MATH.md section 6).
//!
//! dV/dt is enclosed by the chain rule along the generic vector field (never by plugging into
//! the closed-form identity). For balanced states the identity
//! `dV/dt = -2 (sum_{g!=0} p_g f_g - (1 - p_0) mean_{g!=0} f_g) / sum_{m!=0} lambda_m`
//! (MATH.md's `-(2/K)(1 - p(0)) K (E_r f - E_u f) / sum lambda`) is certified separately: the
//! difference of the two enclosures must contain 0 and be at most `width_bound` wide.

use super::schema::{Claim, Flow};
use super::{Evaluation, Params};
use crate::arith::{working_prec, Enclosure};
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::spectral::field::{
    enclose_balanced_field, enclose_spectral_softmax, enclose_unbalanced_field,
};
use crate::spectral::lyapunov::{enclose_lyapunov, enclose_lyapunov_rate};
use rug::Rational;

/// Encloses the right-hand side of the closed-form identity for dV/dt at a balanced state.
pub fn enclose_identity_rate<T: Enclosure>(lambda: &[T]) -> T {
    let k = lambda.len();
    let sp = enclose_spectral_softmax(lambda);
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

/// Evaluate a C4/C4r claim on backend `T` at `prec` bits.
///
/// Decision rule for the statement "dV/dt < 0 at this state": *proved* when the enclosure of
/// dV/dt is certainly negative (and, for a balanced state, the identity check passes);
/// *refuted* when it is certainly positive; *undecided* otherwise.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::LyapunovRate { flow, k, start } = &claim.params else {
        unreachable!("validated kind")
    };
    let x: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let (lambda, lambda_dot): (Vec<T>, Vec<T>) = match flow {
        Flow::Unbalanced => {
            let (a, b) = x.split_at(*k);
            let (da, db) = enclose_unbalanced_field(a, b);
            let lam: Vec<T> = a.iter().zip(b).map(|(u, v)| u.clone() * v).collect();
            // lambda' = a' b + a b'
            let dl = (0..*k)
                .map(|m| da[m].clone() * &b[m] + &(a[m].clone() * &db[m]))
                .collect();
            (lam, dl)
        }
        _ => {
            let dl = enclose_balanced_field(&x);
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
    let mut identity_ok = true;
    let mut max_width = rate.width_upper();
    if *flow == Flow::Balanced {
        let rhs = enclose_identity_rate(&lambda);
        let diff = rate.clone() - &rhs;
        let w = diff.width_upper();
        identity_ok = diff.is_finite()
            && diff.contains_zero()
            && Rational::from_f64(w).is_some_and(|w| w <= claim.width_bound);
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
            name: "closed-form identity: the difference contains 0, width <= width_bound".into(),
            passed: identity_ok,
            detail: format!("width {w:.3e}"),
        });
    }
    let (verdict, margin) = if rate.certainly_positive() {
        (Verdict::Refuted, Some(format!("{:.6e}", rate.lower_f64())))
    } else if rate.certainly_negative() && identity_ok {
        (Verdict::Proved, Some(format!("{:.6e}", -rate.upper_f64())))
    } else {
        (Verdict::Undecided, None)
    };
    checks.push(Check {
        name: "sign of dV/dt".into(),
        passed: verdict != Verdict::Undecided,
        detail: match verdict {
            Verdict::Proved => "certainly negative".into(),
            Verdict::Refuted => "certainly positive: V increases here".into(),
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
