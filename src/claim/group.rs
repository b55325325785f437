//! `group-diagonalise`: C1 for a general finite abelian group G (docs/math.md section 12).
//!
//! The claim gives `group` (`"Z12"`, `"Z4xZ4"`, `"Z2^3"`, ...) and either exact rational
//! `logits` f on G (one value per element, in the mixed-radix order of
//! [`crate::model::group`]; the logits matrix is `Z_ij = f(i - j)`) or, for the groups whose
//! character values have rational cosines (exponent 2, 3, 4 or 6), a spectrum `lambda` (one
//! value per column of `Q`; `Z = Q diag(lambda) Q^T`, exact). The statement is that `Q^T S Q` is diagonal, with `S` the
//! column softmax of `Z` and `Q` the real orthonormal character basis of G. Schema fields,
//! validation, evaluation and the certificate text of the kind all live here.

use super::registry::KindEntry;
use super::schema::{expand_vector, ClaimError, ClaimSpec};
use super::schema::{FieldHelp, Need};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{margin_exact, margin_lower, Check, EnclosureRecord, Verdict};
use crate::model::group::{
    exact_logits, exact_logits_from_spectrum, group_argument, pairing_violation,
    rational_cos_table, AbelianGroup, CharacterBasis,
};
use crate::model::softmax::enclose_softmax;
use rug::Rational;
use std::path::Path;

/// The kind name in claim files.
pub const KIND: &str = "group-diagonalise";

/// The statement written into certificates.
pub const STATEMENT: &str = "Q^T softmax(Z) Q is diagonal, Z_ij = f(i - j) for the exact logits f on the finite abelian group G (or Z = Q diag(lambda) Q^T for an exact spectrum lambda), Q the real orthonormal character basis of G (cos and sin columns for each pair of complex-conjugate characters), column softmax";

/// Largest group order of a claim: `Q^T S Q`, `S Q` and `Q^T Q` are dense `K x K` products,
/// `3 K^3` interval multiply-adds (`5 * 10^7` at `K = 256`).
pub const MAX_CLAIM_ORDER: usize = 256;

/// Largest K for which every diagonal enclosure is written into the certificate.
pub const FULL_DIAGONAL_UP_TO: usize = 64;

/// How the logits are given.
#[derive(Clone, Debug)]
pub enum GroupInput {
    /// The logits f on G, exact (index = element): `Z_ij = f(i - j)`.
    Logits(Vec<Rational>),
    /// A spectrum lambda, exact (index = column of Q): `Z = Q diag(lambda) Q^T`, rational
    /// because the group's cosines are.
    Spectrum(Vec<Rational>),
}

/// Validated parameters of a `group-diagonalise` claim.
#[derive(Clone, Debug)]
pub struct GroupParams {
    /// The group.
    pub group: AbelianGroup,
    /// The logits or the spectrum.
    pub input: GroupInput,
}

impl GroupParams {
    /// The exact logits matrix `Z` (row-major `K x K`).
    pub fn exact_z(&self, basis: &CharacterBasis) -> Vec<Rational> {
        match &self.input {
            GroupInput::Logits(f) => exact_logits(&self.group, f),
            GroupInput::Spectrum(lambda) => exact_logits_from_spectrum(basis, lambda)
                .expect("validated: the group's cosines are rational"),
        }
    }
}

/// Validate the kind's fields: `group` and exactly one of `logits` and `lambda` (length K)
/// are required; `matrix` does not apply (the basis is the character basis of `group`).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let err = |field: &str, message: String| ClaimError {
        file: file.to_path_buf(),
        id: spec.id.clone(),
        field: field.into(),
        message,
        excerpt: None,
    };
    if spec.matrix.is_some() {
        return Err(err(
            "matrix",
            format!("does not apply to {KIND}: the basis is the character basis of `group`"),
        ));
    }
    let text = spec
        .group
        .as_deref()
        .ok_or_else(|| err("group", format!("missing (required by kind {KIND})")))?;
    let group = AbelianGroup::parse(text).map_err(|e| err("group", e.to_string()))?;
    let k = group.order();
    if k > MAX_CLAIM_ORDER {
        return Err(err(
            "group",
            format!(
                "order {k}: a {KIND} claim forms dense K x K products (3 K^3 interval \
                 multiply-adds), at most K = {MAX_CLAIM_ORDER}"
            ),
        ));
    }
    let (field, vector, what) = match (&spec.logits, &spec.lambda) {
        (Some(v), None) => ("logits", v, "one logit per element"),
        (None, Some(v)) => ("lambda", v, "one value per character column"),
        (Some(_), Some(_)) => {
            return Err(err(
                "lambda",
                "give either `logits` (f on the group) or `lambda` (the spectrum), not both".into(),
            ))
        }
        (None, None) => {
            return Err(err(
                "logits",
                format!("missing (required by kind {KIND}, or give `lambda`)"),
            ))
        }
    };
    let values = expand_vector(vector, field, file, &spec.id)?;
    if values.len() != k {
        return Err(err(
            field,
            format!(
                "has length {} but the group {} has order {k} ({what})",
                values.len(),
                group.name()
            ),
        ));
    }
    let input = if field == "logits" {
        GroupInput::Logits(values)
    } else {
        if rational_cos_table(&group).is_none() {
            return Err(err(
                "lambda",
                format!(
                    "the group {} has exponent {}: Q diag(lambda) Q^T is rational only when \
                     every cos(2 pi j / L) is (L = 2, 3, 4 or 6, by Niven's theorem); give the \
                     exact logits `logits` instead",
                    group.name(),
                    group.exponent()
                ),
            ));
        }
        GroupInput::Spectrum(values)
    };
    Ok(Params::GroupDiagonalise(GroupParams { group, input }))
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(p: &GroupParams) -> serde_json::Value {
    let basis = CharacterBasis::new(&p.group);
    let mut v = serde_json::json!({
        "group": p.group.name(),
        "K": p.group.order(),
        "factors": p.group.moduli(),
        "conjugate_pairs": basis.pairs(),
        "real_characters": p.group.order() - 2 * basis.pairs(),
    });
    match &p.input {
        GroupInput::Logits(f) => v["logits"] = super::exact_vector(f),
        GroupInput::Spectrum(lambda) => {
            v["lambda"] = super::exact_vector(lambda);
            let k = p.group.order();
            let z = p.exact_z(&basis);
            let f: Vec<Rational> = (0..k).map(|g| z[g * k].clone()).collect();
            v["logits"] = super::exact_vector(&f);
        }
    }
    v
}

/// Dense `C = A^T B` for row-major `K x K` matrices (`O(K^3)` enclosing multiply-adds).
fn at_b<T: Enclosure>(a: &[T], b: &[T], k: usize) -> Vec<T> {
    let mut c = vec![T::zero(); k * k];
    for i in 0..k {
        for m in 0..k {
            let x = &a[i * k + m];
            let row = &b[i * k..(i + 1) * k];
            let out = &mut c[m * k..(m + 1) * k];
            for (o, y) in out.iter_mut().zip(row) {
                o.add_product(x, y);
            }
        }
    }
    c
}

/// Evaluate a `group-diagonalise` claim on backend `T` at `prec` bits.
///
/// Decision rule (docs/math.md section 12 and 11):
/// * *proved* iff the exact argument holds (`f(g) = f(-g)` for every g, `Z` G-invariant and
///   symmetric, checked in exact rationals on the matrix the numerics use), every enclosure is
///   finite, every entry of `Q^T Q` contains the identity's, every off-diagonal enclosure of
///   `Q^T S Q` contains 0 and is at most `width_bound` wide, and every diagonal enclosure meets
///   the character transform `s` of `p = softmax(f)`;
/// * *refuted* when some off-diagonal enclosure is finite and excludes 0 (checked first);
/// * *undecided* otherwise (for example a non-symmetric f whose off-diagonal entries are below
///   the enclosure widths).
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::GroupDiagonalise(params) = &claim.params else {
        unreachable!("validated kind")
    };
    let group = &params.group;
    let k = group.order();
    let basis = CharacterBasis::new(group);
    let mut checks = Vec::new();

    // The exact logits; f is column 0 (Z_g0 = f(g - 0) when Z is G-invariant).
    let z_exact = params.exact_z(&basis);
    let f: Vec<Rational> = (0..k).map(|g| z_exact[g * k].clone()).collect();
    let f = &f;
    let argument = group_argument(group, f, &z_exact);
    let mut detail = argument.detail.clone();
    if let GroupInput::Spectrum(lambda) = &params.input {
        detail = match pairing_violation(group, lambda) {
            None => {
                format!("lambda_m = lambda_(-m) on every conjugate pair; f(g) = Z_g0; {detail}")
            }
            Some(m) => format!(
                "the pairing condition fails: lambda_{m} = {} but lambda_{} = {}; f(g) = Z_g0; \
                 {detail}",
                lambda[m],
                group.neg(m),
                lambda[group.neg(m)]
            ),
        };
    }
    checks.push(Check {
        name: "exact argument: f(g) = f(-g), Z_ij = f(i - j) G-invariant and symmetric (exact \
               rationals)"
            .into(),
        passed: argument.holds(),
        detail,
    });

    // Numerics: S = column softmax of the exact Z, Q enclosed, Q^T S Q by dense products.
    let mut s = vec![T::zero(); k * k];
    for j in 0..k {
        let col: Vec<T> = (0..k)
            .map(|i| T::from_rational(&z_exact[i * k + j], prec))
            .collect();
        for (i, x) in enclose_softmax(&col).into_iter().enumerate() {
            s[i * k + j] = x;
        }
    }
    drop(z_exact);
    let q = basis.enclose_matrix::<T>(prec);
    // S Q = (S^T)^T Q: transpose S (exactly: entries are moved, not computed).
    let mut st = vec![T::zero(); k * k];
    for i in 0..k {
        for j in 0..k {
            st[j * k + i] = s[i * k + j].clone();
        }
    }
    drop(s);
    let sq = at_b(&st, &q, k);
    drop(st);
    let m = at_b(&q, &sq, k);
    drop(sq);
    let qtq = at_b(&q, &q, k);

    let mut orth_finite = true;
    let mut orth_misses = 0usize;
    let mut orth_widest: f64 = 0.0;
    for a in 0..k {
        for b in 0..k {
            let x = &qtq[a * k + b];
            if !x.is_finite() {
                orth_finite = false;
                continue;
            }
            orth_widest = orth_widest.max(x.width_upper());
            let target = Rational::from(u32::from(a == b));
            if !x.contains_rational(&target) {
                orth_misses += 1;
            }
        }
    }
    let orth_ok = orth_finite && orth_misses == 0;
    checks.push(Check {
        name: "Q^T Q encloses I (the basis is orthonormal; consistency of its enclosure)".into(),
        passed: orth_ok,
        detail: format!(
            "{orth_misses} of {} entries miss I; widest {orth_widest:.3e}",
            k * k
        ),
    });

    let mut all_finite = orth_finite;
    let mut not_containing_zero = 0usize;
    let mut widest: (f64, usize, usize) = (0.0, 0, 1.min(k - 1));
    let mut strongest: Option<(f64, usize, usize)> = None;
    let mut max_abs: f64 = 0.0;
    for i in 0..k {
        for j in 0..k {
            let x = &m[i * k + j];
            if i == j {
                all_finite &= x.is_finite();
                continue;
            }
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
            widest.0,
            widest.1,
            widest.2,
            claim.width_bound.to_f64()
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

    // The spectral formula: s_m = sum_g p(g) cos(2 pi <chi_m, g>), p = softmax(f).
    let f_enc: Vec<T> = f.iter().map(|x| T::from_rational(x, prec)).collect();
    let p = enclose_softmax(&f_enc);
    let spectrum = basis.character_transform(&p);
    let mut enclosures = Vec::new();
    let mut misses = 0usize;
    let mut max_w: f64 = 0.0;
    for mm in 0..k {
        let d = &m[mm * k + mm];
        if d.intersect(&spectrum[mm]).is_none() {
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
    let diag_ok = misses == 0;
    checks.push(Check {
        name: "diagonal agrees with s = character transform of softmax(f)".into(),
        passed: diag_ok,
        detail: format!(
            "{misses} of {k} diagonal enclosures miss s; widest diagonal {max_w:.3e}; \
             conjugate pairs (cos and sin columns share s): {}, real characters: {}",
            basis.pairs(),
            k - 2 * basis.pairs()
        ),
    });

    enclosures.insert(
        0,
        EnclosureRecord::from_enclosure(
            format!("widest off-diagonal (Q^T S Q)_{},{}", widest.1, widest.2),
            &m[widest.1 * k + widest.2],
        ),
    );
    let mut margin = None;
    let verdict = if let Some((_, i, j)) = strongest {
        let x = &m[i * k + j];
        enclosures.insert(
            0,
            EnclosureRecord::from_enclosure(
                format!("off-diagonal (Q^T S Q)_{i},{j} excluding 0"),
                x,
            ),
        );
        margin = margin_lower(&x.abs());
        Verdict::Refuted
    } else if argument.holds() && all_finite && orth_ok && width_ok && diag_ok {
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

/// Largest group order of a flow claim (`group` on trajectory, C4, C5, C2): the transform of
/// the reduced field is dense, `K^2` additions per evaluation (`4096` at `K = 64`), recorded
/// on the tape of every integrator step.
pub const MAX_FLOW_ORDER: usize = 64;

/// Validate `group` on a flow claim (trajectory, C4, C5, C2; docs/math.md section 12.4):
/// `None` when absent (the Sylvester case, `K` then a power of two as before); otherwise the
/// group must parse, have order `k <= MAX_FLOW_ORDER`, and every length-`k` chunk of `state`
/// (`lambda`, or `a` then `b`) must be paired exactly, `v_m = v_{-m}` on every conjugate pair
/// (else `Z` is not G-invariant and the reduced flow is not the gradient flow).
pub fn validate_flow_group(
    spec: &ClaimSpec,
    file: &Path,
    k: usize,
    state: &[Rational],
    names: &[&str],
) -> Result<Option<crate::spectral::transform::SpectralTransform>, ClaimError> {
    let Some(text) = spec.group.as_deref() else {
        return Ok(None);
    };
    let err = |field: &str, message: String| ClaimError {
        file: file.to_path_buf(),
        id: spec.id.clone(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let group = AbelianGroup::parse(text).map_err(|e| err("group", e.to_string()))?;
    if group.order() != k {
        return Err(err(
            "group",
            format!(
                "{} has order {} but the state has K = {k} entries per vector (one per \
                 character column)",
                group.name(),
                group.order()
            ),
        ));
    }
    if k > MAX_FLOW_ORDER {
        return Err(err(
            "group",
            format!(
                "order {k}: the reduced field of a group is a dense transform (K^2 additions \
                 per evaluation), at most K = {MAX_FLOW_ORDER} for flow claims"
            ),
        ));
    }
    let tr = crate::spectral::transform::SpectralTransform::of_group(&group);
    for (chunk, name) in state.chunks(k).zip(names) {
        if let Some(m) = tr.pairing_violation(chunk) {
            let n = group.neg(m);
            return Err(err(
                name,
                format!(
                    "not paired on {}: column {m} (element {:?}) has {} but its conjugate \
                     partner, column {n} = -{m} (element {:?}), has {}; the reduced flow needs \
                     equal values on each pair {{chi, -chi}} (docs/math.md section 12.3)",
                    group.name(),
                    group.digits(m),
                    chunk[m],
                    group.digits(n),
                    chunk[n]
                ),
            ));
        }
    }
    Ok(Some(tr))
}

/// The group of a validated flow claim of order `k` (None: the Sylvester case).
pub fn flow_group(claim: &Claim, k: usize) -> Option<AbelianGroup> {
    match claim.spec.group.as_deref().map(AbelianGroup::parse) {
        Some(Ok(g)) if g.order() == k => Some(g),
        _ => None,
    }
}

/// The transform of a validated flow claim of order `k`: its group's
/// ([`validate_flow_group`]), or Sylvester's.
pub fn flow_transform(claim: &Claim, k: usize) -> crate::spectral::transform::SpectralTransform {
    use crate::spectral::transform::SpectralTransform;
    flow_group(claim, k).map_or_else(
        || SpectralTransform::sylvester(k),
        |g| SpectralTransform::of_group(&g),
    )
}

/// The check recording the group of a flow claim and the exact part of its argument, or
/// `None` for the Sylvester case.
pub fn flow_group_check(claim: &Claim, k: usize) -> Option<Check> {
    let group = AbelianGroup::parse(claim.spec.group.as_deref()?).ok()?;
    let basis = CharacterBasis::new(&group);
    Some(Check {
        name: format!(
            "group G = {} (K = {k}): the reduced flow of docs/math.md section 12.4 with s = C \
             softmax(C lambda / K), C_mg = cos(2 pi <chi_m, g>) enclosed",
            group.name()
        ),
        passed: group.order() == k,
        detail: format!(
            "{} conjugate pairs, {} real characters; the state is paired exactly (checked in \
             rationals at validation)",
            basis.pairs(),
            k - 2 * basis.pairs()
        ),
    })
}

/// One row of the C5-by-group table (docs/math.md section 12.5): does `metric` grow at first
/// on `group`?
#[derive(Clone, Debug)]
pub struct C5GroupRow {
    /// The group's canonical name.
    pub group: String,
    /// Its order.
    pub k: usize,
    /// The metric.
    pub metric: super::counterexample::Metric,
    /// f64 samples drawn.
    pub samples: usize,
    /// The first sampled paired start (exact, `lambda_0 = 0`) whose f64 rates had `dM/dt(0) >
    /// 0` and `dV/dt(0) < 0`.
    pub start: Option<Vec<Rational>>,
    /// The pointwise verdict at that start (inari: `dM/dt(0) > 0`, `dV/dt(0) < 0`, `M(0) > 0`,
    /// closed form and chain rule intersected), with its margin on `dM/dt(0)`.
    pub verdict: Option<(Verdict, Option<String>)>,
    /// Why the metric was not searched (M4 on `Z3`, one conjugate pair: M4 = 0 on every paired
    /// state).
    pub skipped: Option<String>,
}

/// The classes of `tr`'s columns `1..K`: one representative per conjugate pair or real
/// character, and for each column the index of its class.
fn classes(tr: &crate::spectral::transform::SpectralTransform) -> (usize, Vec<usize>) {
    let k = tr.order();
    let mut class = vec![usize::MAX; k];
    let mut n = 0;
    for m in 1..k {
        let p = tr.partner(m);
        if p < m {
            class[m] = class[p];
        } else {
            class[m] = n;
            n += 1;
        }
    }
    (n, class)
}

/// The paired start with `lambda_0 = 0` and `ln lambda_m = y[class(m)]`, each value rounded
/// to 3 significant decimal digits (exact rationals).
fn paired_start(y: &[f64], class: &[usize]) -> Vec<Rational> {
    std::iter::once(Rational::new())
        .chain(class[1..].iter().map(|&c| {
            crate::arith::parse_exact(&crate::search::round_decimal(y[c].exp(), 3))
                .unwrap_or_else(|_| Rational::from(1))
        }))
        .collect()
}

/// The outcome of the seeded f64 search of [`c5_group_search`]: a proposal, never a verdict.
#[derive(Clone, Debug)]
pub struct C5Search {
    /// f64 evaluations spent.
    pub samples: usize,
    /// The first sampled paired start (exact, `lambda_0 = 0`) whose f64 rates had `dM/dt(0) >
    /// 0` and `dV/dt(0) < 0`.
    pub start: Option<Vec<Rational>>,
    /// Why the metric was not searched.
    pub skipped: Option<String>,
}

/// Search (f64, never a verdict) for a paired start where `metric` grows while V falls. The
/// search is that of `hadacert search` on the paired starts: restarts from a random log-scale
/// and log-offsets (one per conjugate pair or real character), then a coordinate pattern search
/// on the scale-free rate `(dM/dt) / M` among states with `dV/dt < 0`, `lambda_m` in `[0.05,
/// 20]` rounded to 3 digits; at most `samples` f64 evaluations per pass (M4 on a group with a
/// real non-trivial character: a pass with strictly unique extremes, then a pair-aware one),
/// seeded.
pub fn c5_group_search(
    group: &AbelianGroup,
    metric: super::counterexample::Metric,
    samples: usize,
    seed: u64,
) -> C5Search {
    use super::counterexample::{sign_rate_on, Metric};
    use crate::spectral::rates::enclose_v_rate_on;
    use crate::spectral::transform::SpectralTransform;
    let tr = SpectralTransform::of_group(group);
    let k = group.order();
    let mut row = C5Search {
        samples: 0,
        start: None,
        skipped: None,
    };
    if metric == Metric::M4 && k < 5 && (1..k).all(|m| tr.partner(m) != m) {
        // Z3: the one pair is both the largest and the smallest mode, M4 = 0 identically
        row.skipped = Some("one conjugate pair only: M4 = 0 on every paired state".into());
        return row;
    }
    let (n, class) = classes(&tr);
    // f64 score of an exact start: Some(rate) when dV/dt(0) < 0 (rate = the sign rate of M
    // divided by M, scale-free), None when V does not fall or M4's extremes are not unique
    let score = |start: &[Rational], pair_aware: bool| -> Option<f64> {
        let x: Vec<f64> = start.iter().map(|q| q.to_f64()).collect();
        let extremes = if metric == Metric::M4 && pair_aware {
            // unique up to the conjugate partner (a paired state, docs/math.md section 12.4)
            crate::search::extreme_modes_with(&x, |m| tr.partner(m))
        } else if metric == Metric::M4 {
            crate::search::extreme_modes(&x)
        } else {
            Some((0, 0))
        };
        let extremes = extremes?;
        let extremes = (metric == Metric::M4).then_some(extremes);
        if !(enclose_v_rate_on(&tr, &x) < 0.0) {
            return None;
        }
        let r = sign_rate_on(&tr, metric, &x, extremes)
            / crate::search::metric_value(metric, &x).max(1e-300);
        r.is_finite().then_some(r)
    };
    // the box of `hadacert search`: lambda_m in [0.05, 20]
    let (lo, hi) = (
        crate::search::LAMBDA_MIN.ln(),
        crate::search::LAMBDA_MAX.ln(),
    );
    let mut rng = super::schema::SplitMix64(seed);
    let uniform =
        |rng: &mut super::schema::SplitMix64| (rng.next_u64() >> 11) as f64 / 2f64.powi(53);
    // M4 on a group with a real non-trivial character: first a pass with strictly unique
    // extremes (as before pairs were allowed), then, if it found nothing, a pair-aware pass;
    // otherwise one pair-aware pass. Each pass has the budget `samples`.
    let has_real = (1..k).any(|m| tr.partner(m) == m);
    let passes: &[bool] = if metric == Metric::M4 && has_real {
        &[false, true]
    } else {
        &[true]
    };
    let mut found = None;
    for &pair_aware in passes {
        let end = row.samples + samples;
        'restarts: while row.samples < end {
            // a random scale, then random log-offsets around it, then a coordinate pattern search
            let centre = -1.0 + 4.0 * uniform(&mut rng);
            let mut y: Vec<f64> = (0..n)
                .map(|_| (centre + 6.0 * (uniform(&mut rng) - 0.5)).clamp(lo, hi))
                .collect();
            let mut best =
                score(&paired_start(&y, &class), pair_aware).unwrap_or(f64::NEG_INFINITY);
            row.samples += 1;
            let mut step = 1.0;
            while step >= 1.0 / 64.0 && row.samples < end {
                if best > 0.0 {
                    found = Some(paired_start(&y, &class));
                    break 'restarts;
                }
                let mut improved = false;
                for c in 0..n {
                    for sign in [1.0, -1.0] {
                        let mut trial = y.clone();
                        trial[c] = (trial[c] + sign * step).clamp(lo, hi);
                        row.samples += 1;
                        if let Some(v) = score(&paired_start(&trial, &class), pair_aware) {
                            if v > best {
                                best = v;
                                y = trial;
                                improved = true;
                            }
                        }
                    }
                }
                if !improved {
                    step *= 0.5;
                }
            }
            if best > 0.0 {
                found = Some(paired_start(&y, &class));
                break;
            }
        }
        if found.is_some() {
            break;
        }
    }
    row.start = found;
    row
}

/// [`c5_group_search`], then the rates certified at the exact start found on inari (pointwise
/// only: the trajectory part of a C5 claim is left to the shipped claims).
pub fn c5_group_row(
    group: &AbelianGroup,
    metric: super::counterexample::Metric,
    samples: usize,
    seed: u64,
) -> C5GroupRow {
    use super::counterexample::{decide_initial_rates, enclose_initial_rates_on};
    use crate::spectral::transform::SpectralTransform;
    let tr = SpectralTransform::of_group(group);
    let search = c5_group_search(group, metric, samples, seed);
    let mut row = C5GroupRow {
        group: group.name(),
        k: group.order(),
        metric,
        samples: search.samples,
        start: None,
        verdict: None,
        skipped: search.skipped,
    };
    let found = search.start;
    if let Some(start) = found {
        let xi: Vec<crate::arith::Ival> = start
            .iter()
            .map(|q| crate::arith::Field::from_rational(q, 53))
            .collect();
        let verdict = match enclose_initial_rates_on(&tr, metric, &xi) {
            Ok(r) => {
                let d = decide_initial_rates(r.rate.as_ref(), r.v_rate.as_ref(), &r.m);
                let margin = r
                    .rate
                    .as_ref()
                    .filter(|_| d.verdict == Verdict::Proved)
                    .and_then(margin_lower);
                (d.verdict, margin)
            }
            Err(_) => (Verdict::Undecided, None),
        };
        row.start = Some(start);
        row.verdict = Some(verdict);
    }
    row
}
// ---- schema: fields, validation, certificate text ----

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of an off-diagonal enclosure of \
         Q^T S Q (Q the real character basis of `group`) for *proved*",
    ),
    (
        "group",
        Need::Required,
        "the finite abelian group, a product of cyclic factors: \"Z12\", \"Z2^3\", \"Z4xZ4\", \
         \"Z3xZ5\" (order K)",
    ),
    (
        "logits",
        Need::Optional,
        "exact logits f on the group, one per element in mixed-radix order (give `logits` or \
         `lambda`)",
    ),
    (
        "lambda",
        Need::Optional,
        "the spectrum, one value per character column, only for groups whose cosines are \
         rational (every factor Z2, Z3, Z4 or Z6); give `logits` or `lambda`",
    ),
];

/// The exact inputs written into the certificate (see [`exact_inputs`]).
fn params_exact_inputs(params: &Params) -> serde_json::Value {
    match params {
        Params::GroupDiagonalise(p) => exact_inputs(p),
        _ => serde_json::Value::Null,
    }
}

/// The registry entry of kind `group-diagonalise`.
pub const ENTRY: KindEntry = KindEntry {
    name: KIND,
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |_| STATEMENT.into(),
    exact_inputs: params_exact_inputs,
};
