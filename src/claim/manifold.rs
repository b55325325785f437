//! C2: the full gradient flow keeps the spectral manifold and matches the reduced field
//! (docs/math.md section 4).

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::{
    check_matrix_memory, exact, expand_vector, ClaimError, ClaimSpec, Ctx, EmbeddingSpec,
    FieldHelp, Need,
};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{Enclosure, Exact};
use crate::cert::{margin_exact, margin_lower, Check, EnclosureRecord, Verdict};
use crate::model::gradient::{enclose_gradient_flow, enclose_mean_ce_loss};
use crate::model::group::CharacterBasis;
use crate::model::hadamard::HadamardMatrix;
use crate::spectral::field::{enclose_spectral_loss_on, enclose_unbalanced_field_on};
use nalgebra::DMatrix;
use rug::Rational;
use std::path::Path;

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
    // Q: Sylvester's (`Had_K / sqrt(K)`), or the real character basis of the claim's group
    // (cos and sin columns enclosed, docs/math.md section 12.2).
    let group = super::group::flow_group(claim, k);
    let tr = super::group::flow_transform(claim, k);
    let q = match &group {
        Some(g) => {
            let qv = CharacterBasis::new(g).enclose_matrix::<T>(prec);
            DMatrix::from_fn(k, k, |i, j| qv[i * k + j].clone())
        }
        None => {
            let had = HadamardMatrix::sylvester(k).expect("validated power of two");
            let inv_sqrt_k = T::from_i64(k as i64, prec).sqrt().recip();
            DMatrix::from_fn(k, k, |i, j| {
                if had.get(i, j) > 0 {
                    inv_sqrt_k.clone()
                } else {
                    -inv_sqrt_k.clone()
                }
            })
        }
    };
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
    let (a_dot, b_dot) = enclose_unbalanced_field_on(&tr, &a_t, &b_t);

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
    let loss_spectral = enclose_spectral_loss_on(&tr, &lambda);
    let loss_ok = loss_full.intersect(&loss_spectral).is_some();

    let argument = match &group {
        Some(g) => Check {
            name: format!(
                "exact argument: Q the real character basis of G = {} and a, b paired on every \
                 conjugate pair (exact rationals, at validation), so Z = Q diag(a b) Q^T is \
                 G-invariant and symmetric and Q^T S Q is diagonal (docs/math.md section 12); \
                 R^T R = I (exact rationals), so Q^T W' R and R^T H' Q are exactly diagonal",
                g.name()
            ),
            passed: r_exact_ok,
            detail: format!("R is {d} x {k}; Q enclosed (cos and sin of 2 pi j / n)"),
        },
        None => Check {
            name: "exact argument: Q Sylvester (by construction) and R^T R = I (exact rationals), \
                   so Q^T W' R and R^T H' Q are exactly diagonal"
                .into(),
            passed: r_exact_ok,
            detail: format!("R is {d} x {k}"),
        },
    };
    let mut checks = vec![
        argument,
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
    if let Some(c) = super::group::flow_group_check(claim, k) {
        checks.push(c);
    }
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

// ---- schema: fields, validation, certificate text ----

/// The statement written into certificates.
pub const STATEMENT: &str = "the gradient flow of (W, H) = (Q diag(a) R^T, R diag(b) Q^T) keeps the spectral manifold and matches the reduced field a' = (1/K)(1-s) b, b' = (1/K)(1-s) a";

/// Largest embedding dimension d of a C2 claim (dense d x K products).
pub const MAX_EMBEDDING_DIM: usize = 1024;

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of an off-diagonal enclosure of the \
         diagonalised products for *proved*",
    ),
    (
        "a",
        Need::Required,
        "singular values of W: a vector whose length K is a power of two",
    ),
    (
        "b",
        Need::Required,
        "singular values of H: a vector of the same length as `a`",
    ),
    (
        "group",
        Need::Optional,
        "a finite abelian group of order K (\"Z5\", \"Z4xZ2\", \"Z3xZ3\"; K <= 64): Q its \
         real character basis (docs/math.md section 12), a and b paired; default Z2^n \
         (Sylvester, K a power of two)",
    ),
    (
        "embedding",
        Need::Required,
        "the orthonormal-columns matrix R (d x K): { kind = \"coordinate\", dim = d } or \
         { kind = \"householder\", dim = d, v = [...] }",
    ),
];

fn build_embedding(
    e: &EmbeddingSpec,
    k: usize,
    ctx: &Ctx,
) -> Result<Vec<Vec<Rational>>, ClaimError> {
    let dim = match e {
        EmbeddingSpec::Coordinate { dim } | EmbeddingSpec::Householder { dim, .. } => *dim,
    };
    if dim < k || dim > MAX_EMBEDDING_DIM {
        return Err(ctx.err(
            "embedding.dim",
            format!("must satisfy K = {k} <= dim <= {MAX_EMBEDDING_DIM}"),
        ));
    }
    match e {
        EmbeddingSpec::Coordinate { .. } => Ok((0..dim)
            .map(|i| {
                (0..k)
                    .map(|m| {
                        if i == m {
                            Rational::from(1)
                        } else {
                            Rational::new()
                        }
                    })
                    .collect()
            })
            .collect()),
        EmbeddingSpec::Householder { v, .. } => {
            if v.len() != dim {
                return Err(ctx.err(
                    "embedding.v",
                    format!("has length {} but dim is {dim}", v.len()),
                ));
            }
            let v: Vec<Rational> = v
                .iter()
                .enumerate()
                .map(|(i, x)| exact(ctx, &format!("embedding.v[{i}]"), x))
                .collect::<Result<_, _>>()?;
            let vv: Rational = v.iter().map(|x| Rational::from(x * x)).sum();
            if vv == 0 {
                return Err(ctx.err("embedding.v", "must not be the zero vector"));
            }
            Ok((0..dim)
                .map(|i| {
                    (0..k)
                        .map(|m| {
                            let delta = if i == m {
                                Rational::from(1)
                            } else {
                                Rational::new()
                            };
                            delta - Rational::from(&v[i] * &v[m]) * 2u32 / &vv
                        })
                        .collect()
                })
                .collect())
        }
    }
}

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]):
/// `a` (length K a power of two, at most 256), `b` (length K) and the embedding.
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = Ctx::new(spec, file);
    let need = |name: &str, present: bool| {
        if present {
            Ok(())
        } else {
            Err(ctx.err(name, format!("missing (required by kind {})", spec.kind)))
        }
    };
    need("a", spec.a.is_some())?;
    need("b", spec.b.is_some())?;
    need("embedding", spec.embedding.is_some())?;
    let a = expand_vector(spec.a.as_ref().unwrap(), "a", file, &spec.id)?;
    let b = expand_vector(spec.b.as_ref().unwrap(), "b", file, &spec.id)?;
    if spec.group.is_none() && !a.len().is_power_of_two() {
        return Err(ctx.err(
            "a",
            format!(
                "has length {}, which is not a power of two (Sylvester order K)",
                a.len()
            ),
        ));
    }
    if b.len() != a.len() {
        return Err(ctx.err(
            "b",
            format!("has length {} but `a` has length {}", b.len(), a.len()),
        ));
    }
    if a.len() > 256 {
        return Err(ctx.err("a", "C2 uses dense products: K must be <= 256"));
    }
    let (k, d) = match spec.embedding.as_ref().unwrap() {
        EmbeddingSpec::Coordinate { dim } | EmbeddingSpec::Householder { dim, .. } => {
            (a.len() as u128, *dim as u128)
        }
    };
    check_matrix_memory(
        spec,
        &ctx,
        "embedding.dim",
        2 * (d * k + k * k),
        &format!("the d x K and K x K products (d = {d}, K = {k})"),
    )?;
    let r = build_embedding(spec.embedding.as_ref().unwrap(), a.len(), &ctx)?;
    let state: Vec<Rational> = a.iter().chain(&b).cloned().collect();
    super::group::validate_flow_group(spec, file, a.len(), &state, &["a", "b"])?;
    Ok(Params::Manifold { a, b, r })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Manifold { a, b, r } = params else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": a.len(),
        "d": r.len(),
        "a": exact_vector(a),
        "b": exact_vector(b),
    })
}

/// The registry entry of kind C2.
pub const ENTRY: KindEntry = KindEntry {
    name: "C2",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};
