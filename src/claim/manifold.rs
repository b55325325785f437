//! C2: the full gradient flow keeps the spectral manifold and matches the reduced field
//! (docs/math.md section 4).

use super::schema::Claim;
use super::{Evaluation, Params};
use crate::arith::{Enclosure, Exact};
use crate::cert::{margin_exact, margin_lower, Check, EnclosureRecord, Verdict};
use crate::model::gradient::{enclose_gradient_flow, enclose_mean_ce_loss};
use crate::model::hadamard::HadamardMatrix;
use crate::spectral::field::{enclose_spectral_loss, enclose_unbalanced_field};
use nalgebra::DMatrix;
use rug::Rational;

/// Exact check that `R^T R = I` (R is d x K, row-major).
fn orthonormal_columns(r: &[Vec<Rational>]) -> bool {
    let k = r[0].len();
    let rm = DMatrix::from_fn(r.len(), k, |i, m| Exact::new(r[i][m].clone()));
    let g = rm.transpose() * &rm;
    (0..k).all(|i| {
        (0..k).all(|j| {
            g[(i, j)]
                .value()
                .is_some_and(|v| *v == if i == j { 1 } else { 0 })
        })
    })
}

/// Evaluate a C2 claim on backend `T` at `prec` bits.
///
/// Builds `W = Q diag(a) R^T` and `H = R diag(b) Q^T` with `Q = Had_K / sqrt(K)` (sqrt(K)
/// enclosed), encloses the full gradient flow `(W', H')`, and rotates it: `A = Q^T W' R`,
/// `B = R^T H' Q`.
///
/// "Keeps the manifold" (the off-diagonals of A and B are 0) is an equality, so it rests on an
/// exact argument: Q is Sylvester's (by construction), so `Q^T S Q = diag(s)` exactly (the C1
/// argument, docs/math.md section 3), and `R^T R = I` is checked in exact rationals; then
/// `Z = W H = Q diag(a b) Q^T`, `W' = -(1/K)(S - I) H^T` and
/// `Q^T W' R = -(1/K)(diag(s) - I) diag(b) R^T R = -(1/K)(diag(s) - I) diag(b)` exactly
/// (likewise `B`). The enclosures confirm it and give the diagonal values. Decision rule:
/// *proved* when `R^T R = I` exactly, everything is finite, every off-diagonal entry of A and B
/// contains 0 with width <= `width_bound` (consistency with the exact argument), every diagonal
/// entry intersects the reduced field `a_m' = (1/K)(1 - s_m) b_m` (resp. `b_m'`), and the
/// full-matrix loss meets `-log p(0)`; *refuted* when an off-diagonal entry excludes 0 or a
/// diagonal entry is disjoint from the reduced field; *undecided* otherwise.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Manifold { a, b, r } = &claim.params else {
        unreachable!("validated kind")
    };
    let k = a.len();
    let d = r.len();
    let r_exact_ok = orthonormal_columns(r);
    let had = HadamardMatrix::sylvester(k).expect("validated power of two");
    let inv_sqrt_k = T::from_i64(k as i64, prec).sqrt().recip();
    let q = DMatrix::from_fn(k, k, |i, j| {
        if had.get(i, j) > 0 {
            inv_sqrt_k.clone()
        } else {
            -inv_sqrt_k.clone()
        }
    });
    let rm = DMatrix::from_fn(d, k, |i, m| T::from_rational(&r[i][m], prec));
    let a_t: Vec<T> = a.iter().map(|x| T::from_rational(x, prec)).collect();
    let b_t: Vec<T> = b.iter().map(|x| T::from_rational(x, prec)).collect();
    let diag_a = DMatrix::from_fn(k, k, |i, j| if i == j { a_t[i].clone() } else { T::zero() });
    let diag_b = DMatrix::from_fn(k, k, |i, j| if i == j { b_t[i].clone() } else { T::zero() });
    let w = &q * diag_a * rm.transpose();
    let h = &rm * diag_b * q.transpose();
    let (w_dot, h_dot) = enclose_gradient_flow(&w, &h);
    let rot_w = q.transpose() * w_dot * &rm;
    let rot_h = rm.transpose() * h_dot * &q;
    let (a_dot, b_dot) = enclose_unbalanced_field(&a_t, &b_t);

    let mut all_finite = true;
    let mut excl = None;
    let mut widest = (0.0f64, "", 0usize, 0usize);
    let mut diag_miss = None;
    for (label, mat, reduced) in [("Q^T W' R", &rot_w, &a_dot), ("R^T H' Q", &rot_h, &b_dot)] {
        for i in 0..k {
            for j in 0..k {
                let x = &mat[(i, j)];
                if !x.is_finite() {
                    all_finite = false;
                    continue;
                }
                if i == j {
                    if x.intersect(&reduced[i]).is_none()
                        && reduced[i].is_finite()
                        && diag_miss.is_none()
                    {
                        // Certainly apart: the distance |x - reduced| is bounded below.
                        diag_miss =
                            Some((label, i, margin_lower(&(x.clone() - &reduced[i]).abs())));
                    }
                    continue;
                }
                let w = x.width_upper();
                if w >= widest.0 {
                    widest = (w, label, i, j);
                }
                if !x.contains_zero() && excl.is_none() {
                    excl = Some((label, i, j, margin_lower(&x.abs())));
                }
            }
        }
    }
    let width_ok =
        all_finite && Rational::from_f64(widest.0).is_some_and(|w| w <= claim.width_bound);
    let lambda: Vec<T> = a_t.iter().zip(&b_t).map(|(x, y)| x.clone() * y).collect();
    let loss_full = enclose_mean_ce_loss(&(&w * &h));
    let loss_spectral = enclose_spectral_loss(&lambda);
    let loss_ok = loss_full.intersect(&loss_spectral).is_some();

    let checks = vec![
        Check {
            name: "exact argument: Q Sylvester (by construction) and R^T R = I (exact rationals), \
                   so Q^T W' R and R^T H' Q are exactly diagonal"
                .into(),
            passed: r_exact_ok,
            detail: format!("R is {d} x {k}"),
        },
        Check {
            name: "every enclosure finite".into(),
            passed: all_finite,
            detail: String::new(),
        },
        Check {
            name: "consistency: off-diagonals of Q^T W' R and R^T H' Q contain 0".into(),
            passed: excl.is_none(),
            detail: excl.as_ref().map_or(String::new(), |(l, i, j, _)| {
                format!("{l} entry ({i}, {j}) excludes 0")
            }),
        },
        Check {
            name: "every off-diagonal width <= width_bound".into(),
            passed: width_ok,
            detail: format!(
                "widest {:.3e} in {} at ({}, {})",
                widest.0, widest.1, widest.2, widest.3
            ),
        },
        Check {
            name: "diagonals contain the reduced field (1/K)(1 - s_m) (b_m, a_m)".into(),
            passed: diag_miss.is_none(),
            detail: diag_miss.as_ref().map_or(String::new(), |(l, i, _)| {
                format!("{l} diagonal {i} is disjoint from the reduced field")
            }),
        },
        Check {
            name: "full-matrix loss agrees with -log p(0)".into(),
            passed: loss_ok,
            detail: String::new(),
        },
    ];
    let mut enclosures = vec![
        EnclosureRecord::from_enclosure(
            format!(
                "widest off-diagonal {} ({}, {})",
                widest.1, widest.2, widest.3
            ),
            match widest.1 {
                "R^T H' Q" => &rot_h[(widest.2, widest.3)],
                _ => &rot_w[(widest.2, widest.3)],
            },
        ),
        EnclosureRecord::from_enclosure("mean cross-entropy loss (full matrices)", &loss_full),
    ];
    if k <= 16 {
        for m in 0..k {
            enclosures.push(EnclosureRecord::from_enclosure(
                format!("(Q^T W' R)_{m}{m}"),
                &rot_w[(m, m)],
            ));
            enclosures.push(EnclosureRecord::from_enclosure(
                format!("reduced a'_{m}"),
                &a_dot[m],
            ));
        }
    }
    let (verdict, margin) = if let Some((_, _, _, mig)) = excl {
        (Verdict::Refuted, mig)
    } else if let Some((_, _, gap)) = diag_miss {
        (Verdict::Refuted, gap)
    } else if all_finite && width_ok && r_exact_ok && loss_ok {
        // How much narrower than required the widest off-diagonal is, rounded down.
        let slack = Rational::from_f64(widest.0)
            .map(|w| margin_exact(&Rational::from(&claim.width_bound - &w)));
        (Verdict::Proved, slack)
    } else {
        (Verdict::Undecided, None)
    };
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width: if all_finite { widest.0 } else { f64::INFINITY },
        series: vec![],
    }
}
