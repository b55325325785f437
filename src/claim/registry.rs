//! The registry of claim kinds: the one place that lists them.
//!
//! Each kind lives in its own module, `src/claim/<kind>.rs`, which owns everything about it:
//! its field table (`FIELDS`, the fields it reads and their help), `validate` (the claim's
//! fields, exact, into its [`Params`] variant), `evaluate` (generic over
//! [`crate::arith::Enclosure`]), its certificate text (`STATEMENT`, `exact_inputs`). This file
//! lists them in [`KINDS`], one [`KindEntry`] per kind name (a family such as C1/C1r shares
//! its module), and holds [`Params`], the validated parameters, one variant per family.
//! [`KNOWN_KINDS`], [`kind_fields`], [`field_help`], the common validation ([`validate`]),
//! the evaluation dispatch and the certificate text of [`super::certify`] all derive from
//! [`KINDS`].
//!
//! Architecture invariant: nothing outside this file matches on kind names, and
//! [`super::schema`] knows no kind. How to add a kind or a field: see [`super`].

use super::schema::{
    did_you_mean, exact, parse_claims_with, read_claim_file, Bound, ClaimError, ClaimSpec, Ctx,
    FieldHelp, Flow, Need, COMMON_FIELDS,
};
use super::{
    c5_group, counterexample, critical, diagonalise, empirical, expression, group, hadamard_scope,
    lyapunov, manifold, ode, region, region_map, slowdown, trajectory, Evaluation, RunContext,
};
use crate::arith::{BackendKind, MAX_PRECISION_BITS, MIN_PRECISION_BITS};
use crate::cert::Verdict;
use crate::model::hadamard::HadamardMatrix;
use rug::Rational;
use std::path::{Path, PathBuf};

/// An evaluator on one backend: the claim, the precision, the run context.
pub type Evaluate = fn(&Claim, u32, &RunContext) -> Evaluation;

/// A kind's evaluator on the two certifying backends.
#[derive(Clone, Copy)]
pub struct Backends {
    /// On inari (53 bits).
    pub inari: Evaluate,
    /// On MPFR intervals at the given precision.
    pub mpfr: Evaluate,
}

/// How a kind is evaluated.
#[derive(Clone, Copy)]
pub enum Evaluator {
    /// A certificate: the kind's evaluator on each backend (the `backends!` macro of
    /// [`super`] builds it from a generic `evaluate::<T: Enclosure>`).
    Certify(Backends),
    /// A simulation (C8), not a certificate: backend `f64`, verdict `empirical`, no width
    /// bound and no escalation; run before any backend choice.
    Simulate(fn(&Claim) -> Evaluation),
}

/// One claim kind.
#[derive(Clone, Copy)]
pub struct KindEntry {
    /// The kind name in claim files.
    pub name: &'static str,
    /// Its fields beyond [`COMMON_FIELDS`], with help; `width_bound` is required exactly when
    /// this table says [`Need::Required`] (else it defaults to 1 and is not compared).
    pub fields: &'static [FieldHelp],
    /// The kind's own checks, after the common ones: the claim into its [`Params`] variant.
    pub validate: fn(&ClaimSpec, &Path) -> Result<Params, ClaimError>,
    /// How it is evaluated.
    pub evaluate: Evaluator,
    /// The statement written into the certificate.
    pub statement: fn(&Claim) -> String,
    /// The exact inputs written into the certificate.
    pub exact_inputs: fn(&Params) -> serde_json::Value,
}

impl KindEntry {
    /// Whether the kind is a simulation ([`Evaluator::Simulate`]), not a certificate.
    pub const fn is_simulation(&self) -> bool {
        matches!(self.evaluate, Evaluator::Simulate(_))
    }
}

/// Every claim kind, in the order `KNOWN_KINDS` lists them (and error messages show them).
/// Adding a kind: one line here.
pub const KINDS: [KindEntry; 20] = [
    diagonalise::ENTRY,
    diagonalise::ENTRY_C1R,
    manifold::ENTRY,
    trajectory::ENTRY,
    slowdown::ENTRY,
    empirical::ENTRY,
    lyapunov::ENTRY,
    lyapunov::ENTRY_C4R,
    critical::ENTRY,
    region::ENTRY,
    region::ENTRY_C5K4,
    region::ENTRY_EXPR,
    counterexample::ENTRY,
    group::ENTRY,
    expression::ENTRY,
    hadamard_scope::ENTRY,
    c5_group::ENTRY,
    c5_group::ENTRY_SEARCH,
    ode::ENTRY,
    region_map::ENTRY,
];

const fn names<const N: usize>(kinds: &[KindEntry; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = kinds[i].name;
        i += 1;
    }
    out
}

/// The claim kinds this version evaluates (the names of [`KINDS`]).
pub const KNOWN_KINDS: [&str; 20] = names(&KINDS);

/// The registry entry of kind `kind`.
pub fn entry(kind: &str) -> Option<&'static KindEntry> {
    KINDS.iter().find(|e| e.name == kind)
}

/// The fields of a claim of kind `kind` beyond [`COMMON_FIELDS`], with their help text for that
/// kind; `None` for an unknown kind (every field is then offered).
pub fn kind_fields(kind: &str) -> Option<&'static [FieldHelp]> {
    entry(kind).map(|e| e.fields)
}

/// Every field a claim of kind `kind` may hold, the common ones first (a simulation has no
/// `target_width` or `max_precision_bits`).
pub fn fields_of_kind(kind: &str) -> Option<Vec<FieldHelp>> {
    let e = entry(kind)?;
    Some(
        COMMON_FIELDS
            .iter()
            .filter(|(name, ..)| {
                !e.is_simulation() || !matches!(*name, "target_width" | "max_precision_bits")
            })
            .chain(e.fields)
            .copied()
            .collect(),
    )
}

/// The help text of `field` for kind `kind`, if it has one.
pub fn field_help(kind: &str, field: &str) -> Option<&'static str> {
    fields_of_kind(kind)?
        .into_iter()
        .find(|(name, ..)| *name == field)
        .map(|(.., help)| help)
}

/// Parse and validate claims from TOML text (`path` is used in error messages only).
pub fn parse_claims(text: &str, path: &Path) -> Result<Vec<Claim>, ClaimError> {
    parse_claims_with(text, path, &fields_of_kind, &validate)
}

/// Read, parse and validate every claim of a TOML claim file.
pub fn load_file(path: &Path) -> Result<Vec<Claim>, ClaimError> {
    parse_claims(&read_claim_file(path)?, path)
}

/// A validated claim, ready for evaluation.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The parsed text.
    pub spec: ClaimSpec,
    /// The file it came from.
    pub source: PathBuf,
    /// Parameters, validated and made exact.
    pub params: Params,
    /// Width bound for *proved* (exact; 0 for C8, which proves nothing).
    pub width_bound: Rational,
    /// Escalation target (exact), if any.
    pub target_width: Option<Rational>,
}

/// Kind-specific validated parameters.
#[derive(Clone, Debug)]
pub enum Params {
    /// C1 and C1r.
    Diagonalise {
        /// The Hadamard matrix (exact integers).
        matrix: HadamardMatrix,
        /// lambda, exact.
        lambda: Vec<Rational>,
    },
    /// C2.
    Manifold {
        /// a, exact.
        a: Vec<Rational>,
        /// b, exact.
        b: Vec<Rational>,
        /// R (d x K), exact, row-major `r[i][m]`.
        r: Vec<Vec<Rational>>,
    },
    /// trajectory.
    Trajectory {
        /// Which flow.
        flow: Flow,
        /// K (the number of classes; the ray has one state variable).
        k: usize,
        /// Start state, exact (for `unbalanced`: a then b).
        start: Vec<Rational>,
        /// Horizon, exact.
        horizon: Rational,
        /// Bounds to certify.
        bounds: Vec<Bound>,
        /// Quantities certified strictly decreasing step to step.
        decreasing: Vec<String>,
        /// Integrator tolerance.
        tolerance: Option<f64>,
        /// Flow parameters and the claim-language parts (expression quantities, times,
        /// the relation between times).
        extra: Box<super::trajectory::TrajectoryExtras>,
    },
    /// ode: a user's vector field and what to certify along it.
    Ode(Box<super::ode::OdeParams>),
    /// C4region / C5k4: `rate <= 0` on a region of balanced states (branch and bound).
    Region(crate::prove::region::Region),
    /// region-map: a certified map of the sign of a metric's rate on a 2-D slice.
    RegionMap(Box<super::region_map::MapParams>),
    /// C5: a balanced start where a metric grows while V falls.
    Counterexample {
        /// The metric (`quantity`).
        metric: super::counterexample::Metric,
        /// K.
        k: usize,
        /// The start lambda, exact (`lambda_0 = 0`, the rest > 0).
        start: Vec<Rational>,
        /// Horizon, exact.
        horizon: Rational,
        /// Integrator tolerance.
        tolerance: Option<f64>,
        /// Seed of the search that proposed the start (provenance only).
        seed: Option<u64>,
    },
    /// C4 / C4r: the sign of dV/dt at one state.
    LyapunovRate {
        /// `balanced` (start = lambda) or `unbalanced` (start = a, then b).
        flow: Flow,
        /// K.
        k: usize,
        /// The state, exact (for `unbalanced`: a then b).
        start: Vec<Rational>,
    },
    /// C7: critical points and zero modes at a spectral state `(a, b)`.
    Critical {
        /// `true`: strict saddle along `mode`; `false`: mode `mode` is a zero mode.
        saddle: bool,
        /// The mode m != 0.
        mode: usize,
        /// a (length K).
        a: Vec<Rational>,
        /// b (length K).
        b: Vec<Rational>,
    },
    /// C6.
    Slowdown {
        /// Table K values.
        ks: Vec<usize>,
        /// Table start.
        l0: Rational,
        /// Table targets.
        ls: Vec<Rational>,
        /// Ray check K.
        ray_k: usize,
        /// Ray check start.
        ray_l0: Rational,
        /// Ray check times (increasing).
        ray_times: Vec<Rational>,
        /// Balanced start for the margin bound.
        start: Vec<Rational>,
        /// Horizon for the margin-bound trajectory.
        horizon: Rational,
        /// Integrator tolerance.
        tolerance: Option<f64>,
    },
    /// group-diagonalise (C1 for a finite abelian group).
    GroupDiagonalise(super::group::GroupParams),
    /// C5-group and C5-group-search: a cell of the C5-by-group table.
    C5Group(super::c5_group::C5GroupParams),
    /// expression: a relation in the claim language at one exact state.
    Expression(Box<super::expression::ExpressionParams>),
    /// hadamard-scope: does H diagonalise the softmax for every lambda?
    HadamardScope(Box<super::hadamard_scope::ScopeParams>),
    /// C8 (empirical: simulated, never certified).
    Empirical {
        /// K = d.
        k: usize,
        /// Seed of the Gaussian initialisation.
        seed: u64,
        /// Standard deviation of the initial entries.
        init_scale: Rational,
        /// Horizon T.
        horizon: Rational,
        /// RK4 step.
        step: Rational,
        /// T / step (an integer).
        n_steps: u64,
        /// Precision of the MPFR comparison run.
        precision_bits: u32,
        /// Accepted f64/MPFR disagreement.
        agreement: Rational,
        /// Accepted change under step halving.
        step_agreement: Rational,
    },
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Validate one parsed claim: the common fields (id, kind, backend, expect, precision,
/// `width_bound`, `target_width`), then the kind's own [`KindEntry::validate`].
pub fn validate(spec: ClaimSpec, file: &Path) -> Result<Claim, ClaimError> {
    let ctx = Ctx::new(&spec, file);
    if !valid_id(&spec.id) {
        return Err(ctx.err("id", "must be 1-128 characters from [A-Za-z0-9._-]"));
    }
    let Some(kind) = entry(&spec.kind) else {
        let suggestion = did_you_mean(&spec.kind, KNOWN_KINDS.iter().copied())
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        return Err(ctx.err(
            "kind",
            format!(
                "unknown kind `{}` ({suggestion}known: {})",
                spec.kind,
                KNOWN_KINDS.join(", ")
            ),
        ));
    };
    let empirical = kind.is_simulation();
    if spec.backend == BackendKind::F64 && !empirical {
        return Err(ctx.err("backend", "f64 never certifies: use `inari` or `mpfr`"));
    }
    if empirical && spec.backend != BackendKind::F64 {
        return Err(ctx.err(
            "backend",
            format!(
                "{} is a simulation, not a certificate: backend must be `f64`{}",
                spec.kind,
                if spec.kind == "C8" {
                    " (the MPFR comparison run uses `precision_bits`)"
                } else {
                    ""
                }
            ),
        ));
    }
    if empirical && spec.expect != Verdict::Empirical {
        return Err(ctx.err(
            "expect",
            format!(
                "{} is simulated, never certified: expect must be `empirical`, not `{}`",
                spec.kind, spec.expect
            ),
        ));
    }
    if !empirical && spec.expect == Verdict::Empirical {
        return Err(ctx.err(
            "expect",
            format!(
                "only C8 claims are empirical, and C5-group-search ones (both simulations): a \
                 {} claim expects proved, refuted or undecided",
                spec.kind
            ),
        ));
    }
    if !(MIN_PRECISION_BITS..=MAX_PRECISION_BITS).contains(&spec.precision_bits) {
        return Err(ctx.err(
            "precision_bits",
            format!("must be in {MIN_PRECISION_BITS}..={MAX_PRECISION_BITS}"),
        ));
    }
    if let Some(mp) = spec.max_precision_bits {
        if !(spec.precision_bits..=MAX_PRECISION_BITS).contains(&mp) {
            return Err(ctx.err(
                "max_precision_bits",
                format!("must be in precision_bits..={MAX_PRECISION_BITS}"),
            ));
        }
    }
    if empirical {
        let params = (kind.validate)(&spec, file)?;
        return Ok(Claim {
            spec,
            source: file.to_path_buf(),
            params,
            width_bound: Rational::new(),
            target_width: None,
        });
    }
    let positive = |field: &str, text: &str| -> Result<Rational, ClaimError> {
        let q = exact(&ctx, field, text)?;
        if q <= 0 {
            return Err(ctx.err(field, "must be > 0"));
        }
        Ok(q)
    };
    // A region proof decides signs box by box, C5 by signs and certain comparisons, an
    // expression by the sign of a difference: their tables do not require `width_bound`, and
    // no enclosure width is compared.
    let required = kind
        .fields
        .iter()
        .any(|(name, need, _)| *name == "width_bound" && *need == Need::Required);
    let width_bound = match &spec.width_bound {
        Some(w) => positive("width_bound", w)?,
        None if !required => Rational::from(1),
        None => {
            return Err(ctx.err(
                "width_bound",
                format!(
                    "missing field `width_bound` (required by kind {}): {}",
                    spec.kind,
                    field_help(&spec.kind, "width_bound")
                        .unwrap_or("the largest accepted width of the deciding enclosures")
                ),
            ))
        }
    };
    let target_width = spec
        .target_width
        .as_deref()
        .map(|t| positive("target_width", t))
        .transpose()?;
    let params = (kind.validate)(&spec, file)?;
    Ok(Claim {
        spec,
        source: file.to_path_buf(),
        params,
        width_bound,
        target_width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::schema::{claim_fields, MAX_TRAJECTORY_K};

    #[test]
    fn help_texts_state_the_current_limits() {
        let traj = field_help("trajectory", "start").unwrap();
        assert!(traj.contains(&format!("2..={MAX_TRAJECTORY_K}")), "{traj}");
        let c4 = field_help("C4", "start").unwrap();
        assert!(c4.contains(&format!("4..={MAX_TRAJECTORY_K}")), "{c4}");
        let c5 = field_help("C5", "k").unwrap();
        let max_c5 = counterexample::MAX_COUNTEREXAMPLE_K;
        assert!(c5.contains(&format!("4..={max_c5}")), "{c5}");
        let region = field_help("C4region", "k").unwrap();
        let max_region = region::MAX_REGION_K;
        assert!(region.contains(&format!("4..={max_region}")), "{region}");
    }

    #[test]
    fn every_field_of_every_kind_table_is_a_claim_field() {
        let all = claim_fields();
        assert!(all.len() > 30, "{all:?}");
        for kind in KNOWN_KINDS {
            for (name, ..) in fields_of_kind(kind).expect("every shipped kind has a table") {
                assert!(
                    all.iter().any(|f| f == name),
                    "{kind}: `{name}` is no field"
                );
            }
        }
    }

    #[test]
    fn kind_names_are_unique_and_only_c8_simulates() {
        for (i, e) in KINDS.iter().enumerate() {
            assert!(
                KINDS[..i].iter().all(|f| f.name != e.name),
                "{} twice",
                e.name
            );
            assert_eq!(entry(e.name).map(|f| f.name), Some(e.name));
            assert_eq!(
                e.is_simulation(),
                e.name == "C8" || e.name == "C5-group-search",
                "{}",
                e.name
            );
        }
        assert!(entry("C9").is_none() && kind_fields("C9").is_none());
    }
}
