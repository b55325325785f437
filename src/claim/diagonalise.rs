//! C1 / C1r: does `Q^T softmax(Q diag(lambda) Q^T) Q` come out diagonal (docs/math.md section 3)?

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::SplitMix64;
use super::schema::{
    check_matrix_memory, expand_vector, ClaimError, ClaimSpec, Ctx, FieldHelp, MatrixSpec, Need,
    TransformSpec,
};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{margin_exact, margin_lower, Check, EnclosureRecord, Verdict};
use crate::model::hadamard::{Equivalence, HadamardError, HadamardMatrix, MAX_ORDER};
use crate::model::logits;
use crate::model::softmax::enclose_softmax;
use crate::model::structure::{check_xor_structure, diagonalisation_argument};
use crate::model::wht::fwht;
use crate::spectral::field::{enclose_group_logits, SpectralSoftmax};
use rug::{Integer, Rational};
use std::path::Path;

/// Largest K for which every diagonal enclosure is written into the certificate (beyond it a
/// summary is written).
pub const FULL_DIAGONAL_UP_TO: usize = 64;

/// Evaluate a C1/C1r claim on backend `T` at `prec` bits.
///
/// The statement "Q^T S Q is diagonal" is an equality, which no enclosure can show. Decision
/// rule:
/// * *proved* only from the exact argument of
///   [`crate::model::structure::diagonalisation_argument`] (the matrix is Sylvester's up to a
///   row permutation, column signs and permutation, and row signs forming a character; checked
///   in exact integers), with `H H^T = K I` exact, every enclosure finite, every off-diagonal
///   enclosure containing 0 and at most `width_bound` wide, and every diagonal enclosure
///   meeting the spectral formula `s = Had softmax(f)` (the numerics confirm the argument and
///   give the diagonal values);
/// * *refuted* when some off-diagonal enclosure is finite and excludes 0 (a certain non-zero);
/// * *undecided* otherwise: in particular for every matrix without the exact argument whose
///   off-diagonal enclosures all contain 0. The weaker statement "every |off-diagonal| <= b"
///   is then recorded as a separately named check, never as "diagonal".
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
    let argument = diagonalisation_argument(matrix);
    checks.push(Check {
        name: "exact argument: Sylvester up to row permutation, column operations and character \
               row signs (exact integers)"
            .into(),
        passed: argument.holds,
        detail: argument.detail.clone(),
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

    // Two paths compute the enclosures of M = Q^T S Q (docs/math.md section 3).
    // * structured, only when the exact argument holds: then Z_ij = f~(label(i) XOR label(j))
    //   exactly with f~ = Had mu~ / K (mu~[col_perm[j] ^ c] = lambda_j), every column of S has
    //   the same normaliser, and S_ij = p(label(i) XOR label(j)) with p = softmax(f~) exactly.
    //   So p is enclosed once (K exps), and M = P_c^T D_c (Had S' Had / K) D_c P_c with
    //   S'_ab = chi_c(a XOR b) p(a XOR b) (the row signs rho(a) rho(b) = chi_c(a XOR b)) is
    //   computed honestly from the enclosed S' by transforms (one K x K matrix, K^2 log K);
    // * dense otherwise: Z, S and M as full enclosure matrices.
    let structured = match (matrix.fast_form(), argument.character) {
        (Some(ff), Some(c)) if argument.holds => Some((
            ff,
            c,
            exact_spectral_softmax::<T>(lambda, &ff.col_perm, c, prec),
        )),
        _ => None,
    };
    let (storage, scan) = match &structured {
        Some((ff, c, sp)) => {
            let g: Vec<T> =
                sp.p.iter()
                    .enumerate()
                    .map(|(x, v)| {
                        if (x & c).count_ones() % 2 == 0 {
                            v.clone()
                        } else {
                            -v.clone()
                        }
                    })
                    .collect();
            let r = logits::enclose_rotated_xor(&g);
            // R(x, y) is M(m, n) up to the sign col_sign[x] col_sign[y], x = col_perm[m].
            let mut inv = vec![0usize; k];
            for (m, &x) in ff.col_perm.iter().enumerate() {
                inv[x] = m;
            }
            let scan = scan_off_diagonal(&r, |x, y| (inv[x], inv[y]));
            (r, scan)
        }
        None => {
            // Z, then S in Z's storage (one K x K matrix held at a time), then M.
            let mut s = logits::enclose_logits(matrix, &lam);
            logits::enclose_column_softmax_in_place(&mut s);
            let m = logits::enclose_rotated(matrix, s);
            let scan = scan_off_diagonal(&m, |i, j| (i, j));
            (m, scan)
        }
    };
    // Entry (i, j) of M.
    let entry = |i: usize, j: usize| -> T {
        match &structured {
            Some((ff, _, _)) => {
                let (x, y) = (ff.col_perm[i], ff.col_perm[j]);
                let v = storage[(x, y)].clone();
                if ff.col_sign[x] * ff.col_sign[y] > 0 {
                    v
                } else {
                    -v
                }
            }
            None => storage[(i, j)].clone(),
        }
    };
    checks.push(Check {
        name: "enclosure path".into(),
        passed: true,
        detail: if structured.is_some() {
            "structured: S_ij = p(i XOR j) by the exact argument (f = Had mu / K exact, \
             p = softmax(f) enclosed once, Q^T S Q by Walsh-Hadamard transforms of the \
             enclosed S)"
                .into()
        } else {
            "dense: Z, S and Q^T S Q as full K x K enclosure matrices".into()
        },
    });
    let OffDiagonalScan {
        all_finite,
        not_containing_zero,
        widest,
        strongest,
        max_abs,
    } = scan;
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
    let widest_exact = Rational::from_f64(widest.0);
    let width_ok = all_finite
        && widest_exact
            .as_ref()
            .is_some_and(|w| *w <= claim.width_bound);
    checks.push(Check {
        name: "every off-diagonal width <= width_bound".into(),
        passed: width_ok,
        detail: format!(
            "widest {:.3e} at ({}, {}), bound {:.3e}",
            widest.0, widest.1, widest.2, bound_f
        ),
    });
    checks.push(Check {
        name: "weaker statement (not \"diagonal\"): every |off-diagonal| <= b".into(),
        passed: all_finite,
        detail: if all_finite {
            format!(
                "b = {} (an upper bound from the enclosures; it shows nothing about \
                 exact diagonality)",
                crate::cert::decimal_upper(max_abs)
            )
        } else {
            "some enclosure is not finite".into()
        },
    });

    let mut enclosures = Vec::new();
    let mut diag_ok = true;
    let mut diag_detail =
        String::from("n/a (no exact argument: no spectral formula for the diagonal)");
    if let Some((ff, c, sp)) = &structured {
        // Diagonal entry m is s~[col_perm[m] ^ c] (see DiagonalisationArgument). By the exact
        // argument Q^T S Q = diag(s~) exactly, so the entry enclosed by the transforms and the
        // spectral-formula enclosure s~ enclose the same real number: their intersection
        // encloses it too, and is what is recorded. An empty intersection (a miss) contradicts
        // the argument and fails the check; the transform's enclosure is then recorded as is.
        let mut misses = 0usize;
        let mut max_w: f64 = 0.0;
        for mm in 0..k {
            let d = entry(mm, mm);
            let expected = &sp.s[ff.col_perm[mm] ^ c];
            let d = match d.intersect(expected) {
                Some(x) => x,
                None => {
                    misses += 1;
                    d
                }
            };
            max_w = max_w.max(d.width_upper());
            if k <= FULL_DIAGONAL_UP_TO {
                enclosures.push(EnclosureRecord::from_enclosure(
                    format!("(Q^T S Q)_{mm}{mm}"),
                    &d,
                ));
            }
        }
        diag_ok = misses == 0;
        diag_detail = format!(
            "{misses} of {k} diagonal enclosures miss s = Had softmax(f); each diagonal entry \
             recorded is the intersection of its transform enclosure with s (both enclose the \
             same number by the exact argument); widest diagonal {max_w:.3e}"
        );
    }
    checks.push(Check {
        name: "diagonal agrees with s = Had softmax(f)".into(),
        passed: diag_ok && argument.holds,
        detail: diag_detail,
    });

    // The deciding enclosures.
    let off = entry(widest.1, widest.2);
    enclosures.insert(
        0,
        EnclosureRecord::from_enclosure(
            format!("widest off-diagonal (Q^T S Q)_{},{}", widest.1, widest.2),
            &off,
        ),
    );
    let exact_ok =
        argument.holds || crate::mutation::active(crate::mutation::Mutant::C1IgnoresExactArgument);
    let mut margin = None;
    let verdict = if let Some((_, i, j)) = strongest {
        enclosures.insert(
            0,
            EnclosureRecord::from_enclosure(
                format!("off-diagonal (Q^T S Q)_{i},{j} excluding 0"),
                &entry(i, j),
            ),
        );
        // How far the entry is certainly from 0: the lower end of |x|, rounded down.
        margin = margin_lower(&entry(i, j).abs());
        Verdict::Refuted
    } else if exact_ok && all_finite && width_ok && diag_ok && is_hadamard {
        // How much narrower than required the widest off-diagonal is, rounded down.
        margin = widest_exact.map(|w| margin_exact(&Rational::from(&claim.width_bound - &w)));
        Verdict::Proved
    } else {
        Verdict::Undecided
    };
    enclosures.push(EnclosureRecord {
        name: "max |off-diagonal| (upper bound)".into(),
        lower: "0".into(),
        upper: if all_finite {
            crate::cert::decimal_upper(max_abs)
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

/// The spectral picture in Sylvester coordinates when the exact argument holds: `f~ = Had mu~ / K`
/// with `mu~[col_perm[j] ^ c] = lambda_j`, `p = softmax(f~)` and `s~ = Had p` (docs/math.md
/// section 3). `f~` is computed exactly (integers over the common denominator of `lambda`, one
/// Walsh-Hadamard transform) and each entry enclosed once with outward rounding, intersected
/// with the transform of the enclosed `mu~`; `p` and `s~` are enclosed from it.
fn exact_spectral_softmax<T: Enclosure>(
    lambda: &[Rational],
    col_perm: &[usize],
    c: usize,
    prec: u32,
) -> SpectralSoftmax<T> {
    let k = lambda.len();
    let mut den = Integer::from(1);
    for l in lambda {
        den.lcm_mut(l.denom());
    }
    let mut mu = vec![Integer::new(); k];
    let mut mu_enc = vec![T::zero(); k];
    for (j, l) in lambda.iter().enumerate() {
        mu[col_perm[j] ^ c] = Integer::from(l.numer() * Integer::from(&den / l.denom()));
        mu_enc[col_perm[j] ^ c] = T::from_rational(l, prec);
    }
    fwht(&mut mu); // K D f~, exactly
    let kd = den * Integer::from(k);
    // The transform of the enclosed mu~ can be narrower than the rounded exact value (its width
    // is that of the inexact inputs, not an ulp of the sum); both enclose f~, so their
    // intersection does too.
    let f_transform = enclose_group_logits(&mu_enc);
    let f: Vec<T> = mu
        .into_iter()
        .zip(f_transform)
        .map(|(n, ft)| {
            let fe = T::from_rational(&Rational::from((n, kd.clone())), prec);
            fe.intersect(&ft).unwrap_or(fe)
        })
        .collect();
    let p = enclose_softmax(&f);
    let mut s = p.clone();
    fwht(&mut s);
    SpectralSoftmax { f, p, s }
}

/// What the off-diagonal scan of M = Q^T S Q finds.
struct OffDiagonalScan {
    /// Every entry (diagonal included) is finite.
    all_finite: bool,
    /// Finite off-diagonal entries that exclude 0.
    not_containing_zero: usize,
    /// (width, i, j) of the widest finite off-diagonal entry ((0, 0, 1) when none is wider
    /// than 0).
    widest: (f64, usize, usize),
    /// (lower end of |x|, i, j) of the off-diagonal entry furthest from 0 among those
    /// excluding 0.
    strongest: Option<(f64, usize, usize)>,
    /// Largest upper end of |x| over the finite off-diagonal entries.
    max_abs: f64,
}

/// Scan the entries of M stored in `r` (column-major): stored entry (x, y) is M(pos(x, y)) up to
/// a sign, which none of the scanned quantities depends on. Columns in parallel; ties are broken
/// as a scan of M column by column (j, then i) keeping the first strictly larger value would.
fn scan_off_diagonal<T: Enclosure>(
    r: &nalgebra::DMatrix<T>,
    pos: impl Fn(usize, usize) -> (usize, usize) + Sync,
) -> OffDiagonalScan {
    use rayon::prelude::*;
    let k = r.nrows();
    // Order of M's positions in a column-by-column scan: key (j, i).
    let better = |a: &Option<(f64, usize, usize)>, b: (f64, usize, usize)| match a {
        None => true,
        Some((v, i, j)) => b.0 > *v || (b.0 == *v && (b.2, b.1) < (*j, *i)),
    };
    let parts: Vec<OffDiagonalScan> = r
        .as_slice()
        .par_chunks(k)
        .enumerate()
        .map(|(y, col)| {
            let mut p = OffDiagonalScan {
                all_finite: true,
                not_containing_zero: 0,
                widest: (0.0, 0, 1.min(k - 1)),
                strongest: None,
                max_abs: 0.0,
            };
            let mut widest: Option<(f64, usize, usize)> = None;
            for (x, v) in col.iter().enumerate() {
                if !v.is_finite() {
                    p.all_finite = false;
                    continue;
                }
                let (i, j) = pos(x, y);
                if i == j {
                    continue;
                }
                let w = v.width_upper();
                if w > 0.0 && better(&widest, (w, i, j)) {
                    widest = Some((w, i, j));
                }
                p.max_abs = p.max_abs.max(v.mag_upper());
                // Quick exact test first: rounding down (up) is monotone and keeps 0, so a
                // negative lower_f64 means a negative lower end and a positive upper_f64 a
                // positive upper end; only the other entries go through contains_zero.
                let contains_zero =
                    (v.lower_f64() < 0.0 && v.upper_f64() > 0.0) || v.contains_zero();
                if !contains_zero {
                    p.not_containing_zero += 1;
                    let mig = v.abs().lower_f64();
                    if better(&p.strongest, (mig, i, j)) {
                        p.strongest = Some((mig, i, j));
                    }
                }
            }
            if let Some(w) = widest {
                p.widest = w;
            }
            p
        })
        .collect();
    let mut out = OffDiagonalScan {
        all_finite: true,
        not_containing_zero: 0,
        widest: (0.0, 0, 1.min(k - 1)),
        strongest: None,
        max_abs: 0.0,
    };
    let mut widest: Option<(f64, usize, usize)> = None;
    for p in parts {
        out.all_finite &= p.all_finite;
        out.not_containing_zero += p.not_containing_zero;
        out.max_abs = out.max_abs.max(p.max_abs);
        if p.widest.0 > 0.0 && better(&widest, p.widest) {
            widest = Some(p.widest);
        }
        if let Some(s) = p.strongest {
            if better(&out.strongest, s) {
                out.strongest = Some(s);
            }
        }
    }
    if let Some(w) = widest {
        out.widest = w;
    }
    out
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

// ---- schema: fields, validation, certificate text ----

/// The statement written into C1 and C1r certificates.
pub const STATEMENT: &str =
    "Q^T softmax(Q diag(lambda) Q^T) Q is diagonal, Q = H / sqrt(K), column softmax";

/// Largest order of a Hadamard matrix without a fast (Walsh-Hadamard) form, such as Paley's:
/// its products are dense, O(K^3) (K = 504 takes about 25 s with inari).
pub const MAX_DENSE_ORDER: usize = 1024;

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of an off-diagonal enclosure of \
         Q^T S Q for *proved*",
    ),
    (
        "matrix",
        Need::Required,
        "the Hadamard matrix Q: { family = \"sylvester\", order = K } or { family = \"paley\", \
         q = ... }, optionally with a `transform`",
    ),
    (
        "lambda",
        Need::Required,
        "the spectrum lambda: a vector of K exact numbers (kind = \"list\", \"progression\" or \
         \"random\")",
    ),
];

fn build_transform(t: &TransformSpec, order: usize, ctx: &Ctx) -> Result<Equivalence, ClaimError> {
    let pick =
        |explicit: &Vec<usize>, seed: Option<u64>, field: &str| -> Result<Vec<usize>, ClaimError> {
            match (explicit.is_empty(), seed) {
                (false, Some(_)) => Err(ctx.err(
                    field,
                    "give either an explicit permutation or a seed, not both",
                )),
                (true, Some(s)) => Ok(SplitMix64(s).permutation(order)),
                _ => Ok(explicit.clone()),
            }
        };
    Ok(Equivalence {
        row_perm: pick(&t.row_perm, t.row_perm_seed, "matrix.transform.row_perm")?,
        row_flip: t.row_flip.clone(),
        col_perm: pick(&t.col_perm, t.col_perm_seed, "matrix.transform.col_perm")?,
        col_flip: t.col_flip.clone(),
    })
}

fn hadamard_field(e: &HadamardError) -> &'static str {
    match e {
        HadamardError::NotPowerOfTwo(_)
        | HadamardError::TooLarge(_)
        | HadamardError::InconsistentFastForm(_) => "matrix.order",
        HadamardError::BadPaleyPrime(_) => "matrix.q",
        HadamardError::BadPaley2Prime(_) | HadamardError::BadEntries(_) => "matrix",
        HadamardError::BadPermutation { field, .. }
        | HadamardError::IndexOutOfRange { field, .. } => match *field {
            "row_perm" => "matrix.transform.row_perm",
            "col_perm" => "matrix.transform.col_perm",
            "row_flip" => "matrix.transform.row_flip",
            _ => "matrix.transform.col_flip",
        },
    }
}

/// The matrix of a `matrix` table, for kinds that take one (C1, C1r, hadamard-scope).
pub fn matrix_of_spec(m: &MatrixSpec, file: &Path, id: &str) -> Result<HadamardMatrix, ClaimError> {
    build_matrix(
        m,
        &Ctx {
            file,
            id: id.to_string(),
        },
    )
}

fn build_matrix(m: &MatrixSpec, ctx: &Ctx) -> Result<HadamardMatrix, ClaimError> {
    let wrap = |e: HadamardError| ctx.err(hadamard_field(&e), e.to_string());
    let (base, t) = match m {
        MatrixSpec::Sylvester { order, transform } => {
            (HadamardMatrix::sylvester(*order).map_err(wrap)?, transform)
        }
        MatrixSpec::Paley { q, transform } => {
            if *q + 1 > MAX_ORDER {
                return Err(ctx.err(
                    "matrix.q",
                    format!("order q + 1 exceeds the limit {MAX_ORDER}"),
                ));
            }
            (HadamardMatrix::paley(*q).map_err(wrap)?, transform)
        }
    };
    match t {
        None => Ok(base),
        Some(t) => {
            let eq = build_transform(t, base.order(), ctx)?;
            base.transform(&eq).map_err(wrap)
        }
    }
}

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]):
/// the matrix (at most [`MAX_DENSE_ORDER`] without a fast form, within the memory limit) and
/// lambda of the same length.
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = Ctx::new(spec, file);
    let need = |name: &str, present: bool| {
        if present {
            Ok(())
        } else {
            Err(ctx.err(name, format!("missing (required by kind {})", spec.kind)))
        }
    };
    need("matrix", spec.matrix.is_some())?;
    need("lambda", spec.lambda.is_some())?;
    let matrix = build_matrix(spec.matrix.as_ref().unwrap(), &ctx)?;
    let k = matrix.order();
    if matrix.fast_form().is_none() && k > MAX_DENSE_ORDER {
        return Err(ctx.err(
            "matrix",
            format!(
                "order {k} has no fast (Walsh-Hadamard) form, so its products are dense \
                 O(K^3): at most {MAX_DENSE_ORDER}"
            ),
        ));
    }
    check_matrix_memory(
        spec,
        &ctx,
        "matrix",
        (k as u128).pow(2),
        &format!("{k} x {k} matrices"),
    )?;
    let lambda = expand_vector(spec.lambda.as_ref().unwrap(), "lambda", file, &spec.id)?;
    if lambda.len() != matrix.order() {
        return Err(ctx.err(
            "lambda",
            format!(
                "has length {} but the matrix has order {}",
                lambda.len(),
                matrix.order()
            ),
        ));
    }
    Ok(Params::Diagonalise { matrix, lambda })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Diagonalise { matrix, lambda } = params else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": matrix.order(),
        "lambda": exact_vector(lambda),
    })
}

/// The registry entry of kind C1.
pub const ENTRY: KindEntry = KindEntry {
    name: "C1",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs,
};

/// The registry entry of kind C1r (the same claim as C1, for non-Sylvester matrices).
pub const ENTRY_C1R: KindEntry = KindEntry {
    name: "C1r",
    ..ENTRY
};
