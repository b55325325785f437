//! C1 / C1r: does `Q^T softmax(Q diag(lambda) Q^T) Q` come out diagonal (MATH.md section 3)?

use super::schema::Claim;
use super::{Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::model::{logits, structure::check_xor_structure};
use crate::spectral::field::enclose_spectral_softmax;
use rug::Rational;

/// Largest K for which every diagonal enclosure is written into the certificate (beyond it a
/// summary is written).
pub const FULL_DIAGONAL_UP_TO: usize = 64;

/// Evaluate a C1/C1r claim on backend `T` at `prec` bits.
///
/// Decision rule: *proved* when every enclosure is finite, every off-diagonal enclosure
/// contains 0 and is at most `width_bound` wide, and (for Sylvester-type matrices) every
/// diagonal enclosure intersects the enclosure of `s = Had softmax(f)`; *refuted* when some
/// off-diagonal enclosure is finite and excludes 0; *undecided* otherwise.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Diagonalise { matrix, lambda } = &claim.params else {
        unreachable!("validated kind")
    };
    let k = matrix.order();
    let lam: Vec<T> = lambda.iter().map(|q| T::from_rational(q, prec)).collect();

    let mut checks = Vec::new();
    let is_hadamard = matrix.is_hadamard_fast();
    checks.push(Check {
        name: "H H^T = K I (exact integers)".into(),
        passed: is_hadamard,
        detail: format!("order {k}"),
    });
    let xor = check_xor_structure(matrix, lambda);
    checks.push(Check {
        name: "Z_ij depends only on i XOR j (exact rationals)".into(),
        passed: xor.holds,
        detail: match xor.first_violation {
            None => format!("holds in {}", xor.coordinates),
            Some((i, j)) => format!("fails at (i, j) = ({i}, {j}) in {}", xor.coordinates),
        },
    });

    let z = logits::enclose_logits(matrix, &lam);
    let s = logits::enclose_column_softmax(&z);
    drop(z);
    let m = logits::enclose_rotated(matrix, s);

    // Off-diagonal scan: all finite? all contain 0? widest? the one furthest from 0?
    let mut all_finite = true;
    let mut not_containing_zero = 0usize;
    let mut widest: (f64, usize, usize) = (0.0, 0, 1.min(k - 1));
    let mut strongest: Option<(f64, usize, usize)> = None; // largest mignitude of an entry excluding 0
    let mut max_abs: f64 = 0.0;
    for j in 0..k {
        for i in 0..k {
            if i == j {
                continue;
            }
            let x = &m[(i, j)];
            if !x.is_finite() {
                all_finite = false;
                continue;
            }
            let w = x.width_upper();
            if w > widest.0 {
                widest = (w, i, j);
            }
            max_abs = max_abs.max(x.mag_upper());
            if !x.contains_zero() {
                not_containing_zero += 1;
                let mig = x.abs().lower_f64();
                if strongest.map_or(true, |(g, _, _)| mig > g) {
                    strongest = Some((mig, i, j));
                }
            }
        }
    }
    for i in 0..k {
        all_finite &= m[(i, i)].is_finite();
    }
    checks.push(Check {
        name: "every enclosure finite".into(),
        passed: all_finite,
        detail: String::new(),
    });
    checks.push(Check {
        name: "every off-diagonal enclosure contains 0".into(),
        passed: not_containing_zero == 0,
        detail: format!("{not_containing_zero} of {} exclude 0", k * (k - 1)),
    });
    let bound_f = claim.width_bound.to_f64();
    let width_ok =
        all_finite && Rational::from_f64(widest.0).is_some_and(|w| w <= claim.width_bound);
    checks.push(Check {
        name: "every off-diagonal width <= width_bound".into(),
        passed: width_ok,
        detail: format!(
            "widest {:.3e} at ({}, {}), bound {:.3e}",
            widest.0, widest.1, widest.2, bound_f
        ),
    });

    let mut enclosures = Vec::new();
    let mut diag_ok = true;
    let mut diag_detail = String::from("n/a (no Sylvester form: no spectral formula for s)");
    if matrix.fast_form().is_some() {
        // Diagonal entry m corresponds to column c_m of the Sylvester form, with sign^2 = 1.
        let ff = matrix.fast_form().unwrap();
        let mut mu = vec![T::zero(); k];
        for (j, l) in lam.iter().enumerate() {
            mu[ff.col_perm[j]] = l.clone();
        }
        let sp = enclose_spectral_softmax(&mu);
        let mut misses = 0usize;
        let mut max_w: f64 = 0.0;
        for mm in 0..k {
            let d = &m[(mm, mm)];
            let expected = &sp.s[ff.col_perm[mm]];
            if d.intersect(expected).is_none() {
                misses += 1;
            }
            max_w = max_w.max(d.width_upper());
            if k <= FULL_DIAGONAL_UP_TO {
                enclosures.push(EnclosureRecord::from_enclosure(
                    format!("(Q^T S Q)_{mm}{mm}"),
                    d,
                ));
            }
        }
        diag_ok = misses == 0;
        diag_detail = format!("{misses} of {k} diagonal enclosures miss s = Had softmax(f); widest diagonal {max_w:.3e}");
    }
    checks.push(Check {
        name: "diagonal agrees with s = Had softmax(f)".into(),
        passed: diag_ok,
        detail: diag_detail,
    });

    // The deciding enclosures.
    let off = &m[(widest.1, widest.2)];
    enclosures.insert(
        0,
        EnclosureRecord::from_enclosure(
            format!("widest off-diagonal (Q^T S Q)_{},{}", widest.1, widest.2),
            off,
        ),
    );
    let mut margin = None;
    let verdict = if let Some((mig, i, j)) = strongest {
        enclosures.insert(
            0,
            EnclosureRecord::from_enclosure(
                format!("off-diagonal (Q^T S Q)_{i},{j} excluding 0"),
                &m[(i, j)],
            ),
        );
        margin = Some(format!("{mig:.6e}"));
        Verdict::Refuted
    } else if all_finite && width_ok && diag_ok && is_hadamard {
        let slack = bound_f - widest.0;
        margin = Some(format!("{:.6e}", slack.max(0.0)));
        Verdict::Proved
    } else {
        Verdict::Undecided
    };
    enclosures.push(EnclosureRecord {
        name: "max |off-diagonal| (upper bound)".into(),
        lower: "0".into(),
        upper: if all_finite {
            format!("{max_abs:e}")
        } else {
            "inf".into()
        },
    });
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width: if all_finite { widest.0 } else { f64::INFINITY },
        series: vec![],
    }
}

/// A cheap exact Hadamard check: O(K^2) through the fast form when there is one (the fast form
/// is first verified entrywise), O(K^3) otherwise.
trait HadamardCheck {
    fn is_hadamard_fast(&self) -> bool;
}

impl HadamardCheck for crate::model::hadamard::HadamardMatrix {
    fn is_hadamard_fast(&self) -> bool {
        if self.fast_form().is_some() {
            // Equal to P D Had D P entrywise, and Had Had = K I is an exact identity of Sylvester's
            // construction (checked for all K <= 256 in the test suite).
            self.fast_form_consistent()
        } else {
            self.is_hadamard()
        }
    }
}
