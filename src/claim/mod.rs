//! Claims: the claim-file schema ([`schema`]), one module per claim kind, the registry of
//! kinds ([`registry`]), precision escalation, and the turning of an evaluation into a
//! [`Certificate`].
//!
//! Data flow: claim file -> [`schema::ClaimSpec`] (parsed) -> [`Claim`] (validated by
//! [`registry::validate`] and the kind's `validate`, exact) -> evaluation on a backend (generic
//! over [`crate::arith::Enclosure`], so f64 cannot reach this point) -> [`Certificate`].
//!
//! The one exception is C8 ([`empirical`]): a simulation, not a proof. It is dispatched before
//! the backend choice ([`registry::Evaluator::Simulate`]), runs in f64 (compared with an MPFR
//! run), and its verdict is always [`Verdict::Empirical`], which no other evaluator produces.
//!
//! # Layout
//!
//! * [`schema`]: what every kind shares (file and TOML handling, [`ClaimSpec`], vectors,
//!   matrices, bounds, common fields, did-you-mean, validation helpers). It knows no kind.
//! * `<kind>.rs` (one per family: [`diagonalise`] C1/C1r, [`group`], [`manifold`] C2,
//!   [`trajectory`], [`lyapunov`] C4/C4r, [`region`] C4region/C5k4, [`counterexample`] C5,
//!   [`slowdown`] C6, [`critical`] C7, [`empirical`] C8, [`expression`], [`ode`]): the kind's field table
//!   `FIELDS`, `validate` (into its [`Params`] variant), `evaluate::<T: Enclosure>`, its
//!   certificate text (`STATEMENT`, `exact_inputs`) and its `ENTRY` for the registry. A kind
//!   imports from [`schema`] and from this module ([`Claim`], [`Params`], [`Evaluation`]),
//!   never from another kind except shared decision helpers ([`trajectory::Decision`] and the
//!   integrator glue of [`trajectory`]).
//! * [`registry`]: [`registry::KINDS`], the one list of kinds, and [`Params`]; everything that
//!   depends on the kind ([`KNOWN_KINDS`], [`kind_fields`], [`field_help`], the common
//!   validation, the dispatch and the certificate text below) is derived from it.
//!
//! # Adding a field to kind X
//!
//! 1. [`ClaimSpec`] (in [`schema`]): the field, `#[serde(default, skip_serializing_if = ...)]`
//!    so that no existing certificate, digest or snapshot changes.
//! 2. `X.rs`: a row in `FIELDS` (name, [`schema::Need`], help text for X: unknown-field
//!    suggestions, missing-field messages and `hadacert explain` use it), the check in X's
//!    `validate`, and, if the evaluator needs it, the value in X's [`Params`] variant
//!    ([`registry`]) and in X's `exact_inputs`.
//!
//! # Adding a kind
//!
//! 1. A module `src/claim/<kind>.rs` (declared below) with `FIELDS`, `validate`,
//!    `evaluate::<T>`, `STATEMENT`, `exact_inputs` and `pub const ENTRY: KindEntry` (use
//!    `backends!(evaluate)` for its evaluator); copy [`critical`] or [`group`] for the shape.
//! 2. One line in [`registry::KINDS`] (and the array length), and its [`Params`] variant
//!    beside it. Nothing else names kinds: `schema.rs`, the CLI and the dispatch stay as they
//!    are. Then docs/math.md (its section) and a claim file under `proofs-data/`.

/// `Evaluator::Certify` of a generic `evaluate::<T>(claim, prec)` (or, with `ctx`,
/// `evaluate::<T>(claim, prec, run_context)`) on inari and on MPFR, for a
/// [`registry::KindEntry`].
macro_rules! backends {
    ($f:ident) => {
        $crate::claim::registry::Evaluator::Certify($crate::claim::registry::Backends {
            inari: |c, p, _| $f::<$crate::arith::Ival>(c, p),
            mpfr: |c, p, _| $f::<$crate::arith::MpfrInterval>(c, p),
        })
    };
    ($f:ident, ctx) => {
        $crate::claim::registry::Evaluator::Certify($crate::claim::registry::Backends {
            inari: |c, p, x| $f::<$crate::arith::Ival>(c, p, x),
            mpfr: |c, p, x| $f::<$crate::arith::MpfrInterval>(c, p, x),
        })
    };
}

pub mod c5_group;
pub mod counterexample;
pub mod critical;
pub mod diagonalise;
pub mod empirical;
pub mod expression;
pub mod group;
pub mod hadamard_scope;
pub mod lyapunov;
pub mod manifold;
pub mod ode;
pub mod region;
pub mod region_map;
pub mod registry;
pub mod schema;
pub mod slowdown;
pub mod trajectory;

pub use registry::{
    field_help, kind_fields, load_file, parse_claims, validate, Claim, Params, KNOWN_KINDS,
};
pub use schema::{ClaimError, ClaimSpec};

use crate::arith::BackendKind;
use crate::cert::{Certificate, EscalationStep, Verdict, LOSS_CONVENTION};
use registry::{Backends, Evaluate, Evaluator};
use rug::Rational;
use std::time::Instant;

/// What an evaluator returns: the verdict and the evidence behind it.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Verdict at this precision.
    pub verdict: Verdict,
    /// Deciding enclosures.
    pub enclosures: Vec<crate::cert::EnclosureRecord>,
    /// Sub-checks.
    pub checks: Vec<crate::cert::Check>,
    /// Margin, if decided.
    pub margin: Option<String>,
    /// Largest width among the deciding enclosures (f64 rounded up; +inf if not finite).
    pub max_width: f64,
    /// Certified time series (trajectory kinds).
    pub series: Vec<crate::cert::Series>,
}

/// How a run is driven, beyond the claim itself: where long evaluations (region proofs) keep
/// their checkpoint files, and where progress messages go. The default keeps no checkpoint.
#[derive(Default)]
pub struct RunContext {
    /// Folder for checkpoint files (`<id>.checkpoint.json`), normally the output folder.
    pub checkpoint_dir: Option<std::path::PathBuf>,
    /// Receives one-line progress messages of long evaluations.
    pub progress: Option<Box<dyn Fn(&str) + Send + Sync>>,
    /// Continue from checkpoint files found in `checkpoint_dir` (`certify --resume`), after
    /// validating them ([`crate::prove::region::prove_region`]); without it they are ignored.
    pub resume: bool,
}

impl RunContext {
    /// The checkpoint file of claim `id`, if checkpoints are kept.
    pub fn checkpoint_for(&self, id: &str) -> Option<std::path::PathBuf> {
        self.checkpoint_dir
            .as_ref()
            .map(|d| d.join(format!(".{}.checkpoint.json", crate::cert::file_stem(id))))
    }
}

/// Evaluate `claim` on its kind's evaluator for the backend (C8 never gets here).
fn evaluate_with(
    pick: fn(&Backends) -> Evaluate,
    claim: &Claim,
    prec: u32,
    ctx: &RunContext,
) -> Evaluation {
    match registry::entry(&claim.spec.kind).map(|e| e.evaluate) {
        Some(Evaluator::Certify(backends)) => pick(&backends)(claim, prec, ctx),
        _ => unreachable!("validated: a certifying kind of the registry"),
    }
}

fn width_met(claim: &Claim, e: &Evaluation) -> bool {
    match &claim.target_width {
        None => true,
        Some(t) => Rational::from_f64(e.max_width).is_some_and(|w| w <= *t),
    }
}

/// Longest vector written out in full in a certificate.
pub const FULL_VECTOR_UP_TO: usize = 64;

/// An exact vector for a certificate's `exact_inputs`: in full up to [`FULL_VECTOR_UP_TO`]
/// entries, else its length and digest.
pub(crate) fn exact_vector(v: &[Rational]) -> serde_json::Value {
    let strings: Vec<String> = v.iter().map(|q| q.to_string()).collect();
    if v.len() <= FULL_VECTOR_UP_TO {
        serde_json::json!(strings)
    } else {
        serde_json::json!({ "len": v.len(), "fnv1a64": format!("{:016x}", fnv1a64(strings.join(",").as_bytes())) })
    }
}

/// FNV-1a 64-bit digest (not cryptographic: it identifies a claim's parameters for resume).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Digest of a claim's parameters and the crate version. It is pinned in snapshots and pinned
/// certificates, so it does not cover the build: checkpoints and `certify --resume` compare the
/// build id ([`crate::cert::BUILD_ID`]), the backend and the precision separately.
pub fn claim_digest(spec: &ClaimSpec) -> String {
    let text = serde_json::to_string(spec).unwrap_or_default();
    format!(
        "{:016x}",
        fnv1a64(format!("{}|{}", env!("CARGO_PKG_VERSION"), text).as_bytes())
    )
}

/// Evaluate a claim and produce its certificate.
///
/// With `backend = mpfr` and a `target_width`, the precision doubles from `precision_bits`
/// until the deciding widths are at most the target or `max_precision_bits` is reached; if the
/// target is never met the verdict is *undecided*, whatever the last step found.
pub fn certify(claim: &Claim) -> Certificate {
    certify_in(claim, &RunContext::default())
}

/// [`certify`] with a [`RunContext`]: region proofs checkpoint into `ctx.checkpoint_dir` and,
/// with `ctx.resume`, continue from a checkpoint there that passes validation.
pub fn certify_in(claim: &Claim, ctx: &RunContext) -> Certificate {
    let start = Instant::now();
    let kind = registry::entry(&claim.spec.kind).expect("validated: a kind of the registry");
    if let Evaluator::Simulate(simulate) = kind.evaluate {
        // C8: a simulation, not a proof. No backend choice, no escalation, no margin; the
        // verdict is `empirical` and nothing else.
        let eval = simulate(claim);
        assert_eq!(
            eval.verdict,
            Verdict::Empirical,
            "C8 is only ever empirical"
        );
        return assemble(claim, eval, 53, vec![], start);
    }
    let spec = &claim.spec;
    let mut steps = Vec::new();
    let (eval, prec) = match spec.backend {
        BackendKind::Inari => {
            let e = evaluate_with(|b| b.inari, claim, 53, ctx);
            (e, 53)
        }
        BackendKind::Mpfr => {
            let max_prec = spec.max_precision_bits.unwrap_or(spec.precision_bits);
            let mut prec = spec.precision_bits;
            loop {
                let e = evaluate_with(|b| b.mpfr, claim, prec, ctx);
                steps.push(EscalationStep {
                    precision_bits: prec,
                    max_width: format!("{:e}", e.max_width),
                    verdict: e.verdict,
                });
                if width_met(claim, &e) || prec.saturating_mul(2) > max_prec {
                    break (e, prec);
                }
                prec *= 2;
            }
        }
        BackendKind::F64 => unreachable!("validation refuses f64 for certifying claims"),
    };
    assert_ne!(
        eval.verdict,
        Verdict::Empirical,
        "only the C8 evaluator produces `empirical`"
    );
    if steps.is_empty() {
        steps.push(EscalationStep {
            precision_bits: prec,
            max_width: format!("{:e}", eval.max_width),
            verdict: eval.verdict,
        });
    }
    let met = width_met(claim, &eval);
    let mut checks = eval.checks;
    let mut verdict = eval.verdict;
    let mut margin = eval.margin;
    if claim.target_width.is_some() {
        checks.push(crate::cert::Check {
            name: "target width met".into(),
            passed: met,
            detail: format!("target {}", spec.target_width.clone().unwrap_or_default()),
        });
        if !met {
            verdict = Verdict::Undecided;
            margin = None;
        }
    }
    let eval = Evaluation {
        verdict,
        checks,
        margin,
        ..eval
    };
    assemble(claim, eval, prec, steps, start)
}

/// The certificate of `claim` from its final evaluation.
fn assemble(
    claim: &Claim,
    eval: Evaluation,
    prec: u32,
    steps: Vec<EscalationStep>,
    start: Instant,
) -> Certificate {
    let spec = &claim.spec;
    let kind = registry::entry(&spec.kind).expect("validated: a kind of the registry");
    Certificate {
        id: spec.id.clone(),
        claim: spec.kind.clone(),
        statement: if spec.group.is_some() && spec.kind != group::KIND {
            format!(
                "{} (on the finite abelian group G = {}: Q its real character basis, the state \
                 paired, the reduced flow of docs/math.md section 12.4)",
                (kind.statement)(claim),
                spec.group.as_deref().unwrap_or_default()
            )
        } else {
            (kind.statement)(claim)
        },
        verdict: eval.verdict,
        expect: spec.expect,
        backend: spec.backend.name().into(),
        precision_bits: prec,
        loss_convention: LOSS_CONVENTION.into(),
        inputs: serde_json::to_value(spec).unwrap_or(serde_json::Value::Null),
        exact_inputs: (kind.exact_inputs)(&claim.params),
        enclosures: eval.enclosures,
        margin: eval.margin,
        checks: eval.checks,
        escalation: steps,
        source: claim.source.display().to_string(),
        claim_digest: claim_digest(spec),
        crate_version: env!("CARGO_PKG_VERSION").into(),
        build_id: crate::cert::BUILD_ID.into(),
        elapsed_ms: start.elapsed().as_millis() as u64,
        series: eval.series,
    }
}
