//! `hadamard-scope`: does a Hadamard matrix diagonalise the softmax for *every* spectrum
//! (docs/math.md section 14)?
//!
//! The claim names a +-1 matrix H of order K (`basis = "paley1:11"`, a `matrix` table as for
//! C1, or `hadamard_rows` written as strings of `+` and `-`) and states that
//! `Q^T softmax(Q diag(lambda) Q^T) Q` is diagonal for every real lambda, `Q = H / sqrt(K)`.
//! Decision rule ([`decide`]):
//! * *proved* only from the exact closure of the normalised columns under the entrywise
//!   product (Theorem 14.2: they are then the characters of `(Z_2)^n` and the group argument
//!   of section 3 applies to every lambda), with `H H^T = K I` exact; the enclosures at one
//!   exact lambda must agree (every off-diagonal contains 0), or the verdict is *undecided*;
//! * *refuted* only from an off-diagonal enclosure that excludes 0 at an exact lambda (the
//!   lambda is the claim's, or the best of a few exact candidates `t (e_j + e_k)` built from
//!   the closure failure and ranked in f64, which only chooses and never certifies);
//! * *undecided* otherwise.
//!
//! Schema fields, validation, evaluation and the certificate text of the kind live here.

use super::diagonalise::matrix_of_spec;
use super::registry::KindEntry;
use super::schema::{expand_vector, ClaimError, ClaimSpec};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{decimal_upper, margin_exact, margin_lower, Check, EnclosureRecord, Verdict};
use crate::model::hadamard::HadamardMatrix;
use crate::model::hadamard_scope::{
    class_label, closure, from_sign_rows, invariants, named, Closure, Invariants, MAX_SCOPE_ORDER,
};
use crate::model::logits;
use rug::Rational;
use std::path::Path;

/// The kind name in claim files.
pub const KIND: &str = "hadamard-scope";

/// The statement written into certificates.
pub const STATEMENT: &str = "H diagonalises the softmax for every spectrum: Q^T softmax(Q diag(lambda) Q^T) Q is diagonal for every real lambda, Q = H / sqrt(K), column softmax (proved only from the exact closure of the normalised columns, docs/math.md section 14; refuted by an off-diagonal enclosure excluding 0 at the recorded exact lambda)";

/// The kind's fields beyond the common ones (for `schema::kind_fields`).
pub const FIELDS: &[super::schema::FieldHelp] = &[
    (
        "basis",
        super::schema::Need::Optional,
        "a named construction: \"sylvester:K\", \"paley1:q\" (q = 3 mod 4 prime, order q + 1), \
         \"paley2:q\" (q = 1 mod 4 prime, order 2(q + 1)), \"switched16:1\"..\"switched16:3\", \"switched16:3t\"; \
         Paley and switched matrices are normalised (row 0 and column 0 all +1). Give exactly \
         one of `basis`, `matrix` and `hadamard_rows`",
    ),
    (
        "matrix",
        super::schema::Need::Optional,
        "the matrix as for C1: { family = \"sylvester\", order = K } or { family = \"paley\", \
         q = ... }, optionally with a `transform`",
    ),
    (
        "hadamard_rows",
        super::schema::Need::Optional,
        "the matrix inline, one string of + and - per row (K <= 64)",
    ),
    (
        "width_bound",
        super::schema::Need::Optional,
        "exact decimal string: for a closed matrix, the largest accepted width of an \
         off-diagonal enclosure at lambda for *proved* (default 1)",
    ),
    (
        "lambda",
        super::schema::Need::Optional,
        "the exact spectrum at which the enclosures are computed (default: chosen from the \
         closure failure, or lambda_m = m/2 for a closed matrix)",
    ),
];

/// Validated parameters.
#[derive(Clone, Debug)]
pub struct ScopeParams {
    /// The matrix.
    pub matrix: HadamardMatrix,
    /// How it was given (`Paley I, q = 11`, `inline`, ...).
    pub description: String,
    /// The exact closure check.
    pub closure: Closure,
    /// Equivalence invariants.
    pub invariants: Invariants,
    /// The class, where an invariant decides it.
    pub class: Option<String>,
    /// The exact spectrum of the enclosures.
    pub lambda: Vec<Rational>,
    /// Where lambda came from.
    pub lambda_source: String,
}

/// Candidate scales of the searched spectrum `t (e_j + e_k)`.
pub const SEARCH_SCALES: [(i64, i64); 6] = [(0, 1), (1, 4), (1, 2), (1, 1), (2, 1), (4, 1)];

/// The largest |off-diagonal| of `Q^T S Q` in f64 (a ranking score only; never certifies).
fn f64_score(h: &HadamardMatrix, lambda: &[Rational]) -> f64 {
    let lam: Vec<f64> = lambda.iter().map(|q| q.to_f64()).collect();
    let z = logits::enclose_logits(h, &lam);
    let s = logits::enclose_column_softmax(&z);
    let m = logits::enclose_rotated(h, s);
    let k = h.order();
    let mut best: f64 = 0.0;
    for i in 0..k {
        for j in 0..k {
            if i != j && m[(i, j)].is_finite() {
                best = best.max(m[(i, j)].abs());
            }
        }
    }
    best
}

/// The spectrum for a matrix that is not closed: `t (e_j + e_k)` for the failing pair `(j, k)`
/// of the closure check (docs/math.md section 14: the off-diagonal entries are then non-zero at
/// order `t^2`, or at order 0 when no column is constant), `t` the candidate of
/// [`SEARCH_SCALES`] with the largest f64 off-diagonal.
pub fn searched_lambda(h: &HadamardMatrix, c: &Closure) -> Option<Vec<Rational>> {
    let f = c.failure.as_ref()?;
    let k = h.order();
    let mut best: Option<(f64, Vec<Rational>)> = None;
    for &(n, d) in &SEARCH_SCALES {
        let t = Rational::from((n, d));
        let mut lam = vec![Rational::new(); k];
        lam[f.j] += &t;
        lam[f.k] += &t;
        let score = f64_score(h, &lam);
        if best.as_ref().map_or(true, |(b, _)| score > *b) {
            best = Some((score, lam));
        }
    }
    best.map(|(_, l)| l)
}

/// Validate a `hadamard-scope` claim.
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let err = |field: &str, message: String| ClaimError {
        file: file.to_path_buf(),
        id: spec.id.clone(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let given = [
        spec.basis.is_some(),
        spec.matrix.is_some(),
        spec.hadamard_rows.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() != 1 {
        return Err(err(
            "basis",
            format!(
                "give exactly one of `basis`, `matrix` and `hadamard_rows` (kind {KIND}), got {}",
                given.iter().filter(|&&g| g).count()
            ),
        ));
    }
    let (matrix, description, field) = if let Some(name) = &spec.basis {
        let b = named(name).map_err(|e| err("basis", e.to_string()))?;
        (b.matrix, b.description, "basis")
    } else if let Some(m) = &spec.matrix {
        let h = matrix_of_spec(m, file, &spec.id)?;
        let d = match m {
            super::schema::MatrixSpec::Sylvester { transform, .. } => {
                if transform.is_some() {
                    "Sylvester, transformed"
                } else {
                    "Sylvester"
                }
            }
            super::schema::MatrixSpec::Paley { .. } => "Paley I (as constructed)",
        };
        (h, d.to_string(), "matrix")
    } else {
        let rows = spec.hadamard_rows.as_ref().expect("one of three");
        (
            from_sign_rows(rows).map_err(|e| err("hadamard_rows", e.to_string()))?,
            "inline".to_string(),
            "hadamard_rows",
        )
    };
    let k = matrix.order();
    if k > MAX_SCOPE_ORDER {
        return Err(err(
            field,
            format!("order {k} exceeds the limit {MAX_SCOPE_ORDER} of {KIND}"),
        ));
    }
    if !matrix.is_hadamard() {
        return Err(err(
            field,
            format!("is not a Hadamard matrix: H H^T != {k} I (exact integers)"),
        ));
    }
    let closure = closure(&matrix).map_err(|e| err(field, e.to_string()))?;
    let invariants = invariants(&matrix).map_err(|e| err(field, e.to_string()))?;
    let class = class_label(k, closure.closed, &invariants);
    let (lambda, lambda_source) = match &spec.lambda {
        Some(v) => {
            let l = expand_vector(v, "lambda", file, &spec.id)?;
            if l.len() != k {
                return Err(err(
                    "lambda",
                    format!("has length {} but the matrix has order {k}", l.len()),
                ));
            }
            (l, "given by the claim".to_string())
        }
        None => match searched_lambda(&matrix, &closure) {
            Some(l) => {
                let f = closure.failure.as_ref().expect("not closed");
                (
                    l,
                    format!(
                        "t (e_{} + e_{}) from the closure failure, t ranked in f64 among {:?}",
                        f.j,
                        f.k,
                        SEARCH_SCALES
                            .iter()
                            .map(|(n, d)| format!("{n}/{d}"))
                            .collect::<Vec<_>>()
                    ),
                )
            }
            None => (
                (0..k).map(|m| Rational::from((m as i64, 2))).collect(),
                "lambda_m = m/2 (default for a closed matrix)".to_string(),
            ),
        },
    };
    Ok(Params::HadamardScope(Box::new(ScopeParams {
        matrix,
        description,
        closure,
        invariants,
        class,
        lambda,
        lambda_source,
    })))
}

/// The exact inputs recorded in the certificate.
pub fn exact_inputs(p: &ScopeParams) -> serde_json::Value {
    serde_json::json!({
        "K": p.matrix.order(),
        "basis": p.description,
        "class": p.class,
        "closed": p.closure.closed,
        "four_profile": p.invariants.profile.iter().map(|(v, n)| (v.to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "two_rank": p.invariants.two_rank,
        "pair_profile": p.invariants.pair_profile.iter().map(|(v, n)| (v.to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "lambda": p.lambda.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
        "lambda_source": p.lambda_source,
    })
}

/// The decision rule of the kind (docs/math.md section 14), on the exact facts and the
/// off-diagonal enclosures `offdiag` of `Q^T S Q` at one exact lambda:
/// * not Hadamard: *undecided*;
/// * closed: *proved* when every off-diagonal enclosure is finite, contains 0 (they agree
///   with the theorem) and `width_ok` (no wider than the claim's `width_bound`), else
///   *undecided* (an enclosure excluding 0 would be a contradiction: never refuted);
/// * not closed: *refuted* when some off-diagonal enclosure is finite and excludes 0, else
///   *undecided*.
pub fn decide<T: Enclosure>(
    is_hadamard: bool,
    closed: bool,
    width_ok: bool,
    offdiag: &[T],
) -> Verdict {
    if !is_hadamard {
        return Verdict::Undecided;
    }
    let excludes = offdiag.iter().any(|x| x.is_finite() && !x.contains_zero());
    if closed {
        if width_ok && offdiag.iter().all(|x| x.is_finite() && x.contains_zero()) {
            Verdict::Proved
        } else {
            Verdict::Undecided
        }
    } else if excludes {
        Verdict::Refuted
    } else {
        Verdict::Undecided
    }
}

/// Evaluate a `hadamard-scope` claim on backend `T` at `prec` bits.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::HadamardScope(p) = &claim.params else {
        unreachable!("validated kind")
    };
    let h = &p.matrix;
    let k = h.order();
    let is_hadamard = h.is_hadamard();
    let mut checks = vec![Check {
        name: "H H^T = K I (exact integers)".into(),
        passed: is_hadamard,
        detail: format!("order {k}; {}", p.description),
    }];
    checks.push(Check {
        name: "a constant normalised column (the order-0 condition, exact)".into(),
        passed: p.closure.constant_column.is_some(),
        detail: match p.closure.constant_column {
            Some(j) => format!("column {j}"),
            None => "none: already at lambda = 0, Q^T S Q = c c^T / K^2 is not diagonal".into(),
        },
    });
    checks.push(Check {
        name: "exact argument: normalised columns closed under the entrywise product (exact \
               integers)"
            .into(),
        passed: p.closure.closed,
        detail: match &p.closure.failure {
            None => format!(
                "closed: the columns are the characters of (Z_2)^{}, generated by columns {:?}",
                k.trailing_zeros(),
                p.closure.generators
            ),
            Some(f) => format!(
                "not closed: n_{} * n_{} is no column; N^T (n_{} * n_{}) has {} non-zero \
                 entries, first {:?}",
                f.j,
                f.k,
                f.j,
                f.k,
                f.coefficients.len(),
                &f.coefficients[..f.coefficients.len().min(4)]
            ),
        },
    });
    checks.push(Check {
        name: "equivalence invariants (exact integers)".into(),
        passed: true,
        detail: format!(
            "4-profile |sum| -> 4-sets: {}; 2-rank {}; pair profile (4-sets with |sum| = K \
             per row pair) -> pairs: {:?}; class: {}",
            p.invariants.profile_text(),
            p.invariants.two_rank,
            p.invariants.pair_profile,
            p.class
                .as_deref()
                .unwrap_or("not identified by these invariants")
        ),
    });
    checks.push(Check {
        name: "lambda (exact)".into(),
        passed: true,
        detail: format!(
            "{}: [{}]",
            p.lambda_source,
            p.lambda
                .iter()
                .map(|q| q.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });

    let lam: Vec<T> = p.lambda.iter().map(|q| T::from_rational(q, prec)).collect();
    let z = logits::enclose_logits(h, &lam);
    let s = logits::enclose_column_softmax(&z);
    drop(z);
    let m = logits::enclose_rotated(h, s);
    let mut offdiag = Vec::with_capacity(k * (k - 1));
    let mut strongest: Option<(f64, usize, usize)> = None;
    let mut widest: f64 = 0.0;
    let mut max_abs: f64 = 0.0;
    let mut all_finite = true;
    for j in 0..k {
        for i in 0..k {
            if i == j {
                continue;
            }
            let x = &m[(i, j)];
            if x.is_finite() {
                widest = widest.max(x.width_upper());
                max_abs = max_abs.max(x.mag_upper());
                if !x.contains_zero() {
                    let mig = x.abs().lower_f64();
                    if strongest.map_or(true, |(g, _, _)| mig > g) {
                        strongest = Some((mig, i, j));
                    }
                }
            } else {
                all_finite = false;
            }
            offdiag.push(x.clone());
        }
    }
    let excluding = offdiag
        .iter()
        .filter(|x| x.is_finite() && !x.contains_zero())
        .count();
    checks.push(Check {
        name: "every enclosure finite".into(),
        passed: all_finite,
        detail: String::new(),
    });
    checks.push(Check {
        name: "every off-diagonal enclosure at lambda contains 0".into(),
        passed: excluding == 0,
        detail: format!(
            "{excluding} of {} exclude 0; widest {:.3e}",
            k * (k - 1),
            widest
        ),
    });
    let widest_exact = Rational::from_f64(widest);
    let width_ok = all_finite
        && widest_exact
            .as_ref()
            .is_some_and(|w| *w <= claim.width_bound);
    let verdict = decide(is_hadamard, p.closure.closed, width_ok, &offdiag);
    let mut enclosures = Vec::new();
    let mut margin = None;
    if p.closure.closed {
        checks.push(Check {
            name: "enclosures agree with the closure (every off-diagonal contains 0, width <= \
                   width_bound)"
                .into(),
            passed: verdict == Verdict::Proved,
            detail: format!(
                "the group argument (docs/math.md section 14) makes every off-diagonal 0; an \
                 enclosure excluding 0 would contradict it; widest {:.3e}, width_bound {}",
                widest,
                claim.spec.width_bound.as_deref().unwrap_or("1 (default)")
            ),
        });
        if verdict == Verdict::Proved {
            // How much narrower than required the widest off-diagonal is, rounded down.
            margin = widest_exact
                .as_ref()
                .map(|w| margin_exact(&Rational::from(&claim.width_bound - w)));
        }
    }
    if let Some((_, i, j)) = strongest {
        enclosures.push(EnclosureRecord::from_enclosure(
            format!("off-diagonal (Q^T S Q)_{i},{j} excluding 0"),
            &m[(i, j)],
        ));
        if verdict == Verdict::Refuted {
            margin = margin_lower(&m[(i, j)].abs());
        }
    }
    enclosures.push(EnclosureRecord {
        name: "max |off-diagonal| (upper bound)".into(),
        lower: "0".into(),
        upper: if all_finite {
            decimal_upper(max_abs)
        } else {
            "inf".into()
        },
    });
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width: if all_finite { widest } else { f64::INFINITY },
        series: vec![],
    }
}

/// The exact inputs written into the certificate (see [`exact_inputs`]).
fn params_exact_inputs(params: &Params) -> serde_json::Value {
    match params {
        Params::HadamardScope(p) => exact_inputs(p),
        _ => serde_json::Value::Null,
    }
}

/// The registry entry of kind `hadamard-scope`.
pub const ENTRY: KindEntry = KindEntry {
    name: KIND,
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs: params_exact_inputs,
};
