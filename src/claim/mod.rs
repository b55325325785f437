//! Claims: the claim-file schema ([`schema`]), one evaluator per claim family, precision
//! escalation, and the turning of an evaluation into a [`Certificate`].
//!
//! Data flow: claim file -> [`schema::Claim`] (validated, exact) -> evaluation on a backend
//! (generic over [`Enclosure`], so f64 cannot reach this point) -> [`Certificate`].
//!
//! The one exception is C8 ([`empirical`]): a simulation, not a proof. It is dispatched before
//! the backend choice, runs in f64 (compared with an MPFR run), and its verdict is always
//! [`Verdict::Empirical`], which no other evaluator produces.

pub mod counterexample;
pub mod critical;
pub mod diagonalise;
pub mod empirical;
pub mod expression;
pub mod group;
pub mod hadamard_scope;
pub mod lyapunov;
pub mod manifold;
pub mod region;
pub mod schema;
pub mod slowdown;
pub mod trajectory;

pub use schema::{load_file, parse_claims, Claim, ClaimError, ClaimSpec, Params};

use crate::arith::{BackendKind, Enclosure, Ival, MpfrInterval};
use crate::cert::{Certificate, EscalationStep, Verdict, LOSS_CONVENTION};
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

fn statement(kind: &str) -> &'static str {
    match kind {
        "C1" | "C1r" => "Q^T softmax(Q diag(lambda) Q^T) Q is diagonal, Q = H / sqrt(K), column softmax",
        group::KIND => group::STATEMENT,
        hadamard_scope::KIND => hadamard_scope::STATEMENT,
        "trajectory" => "the validated trajectory of the reduced flow from the exact start satisfies every stated bound",
        "C8" => "EMPIRICAL, NOT CERTIFIED: the gradient flow of the full matrices (W, H) (d = K) from a small random Gaussian initialisation, off the spectral manifold, approaches NC; simulated with fixed-step RK4 in f64 (checked against an MPFR run and a half-step run): every number recorded is an approximation, and the series and final values (lower = upper) are NOT enclosures",
        "C7" => "critical points: at a state supported on mode 0 the gradient is zero and the loss curves down along a spectral direction (strict saddle); a zero mode stays zero and is unstable",
        "C4region" => "dV/dt <= 0 at every balanced state of the region (lambda_0 = 0, normalised spectrum in the box, scale sum_{m!=0} lambda_m in the interval), V = KL(u || lambda~), by branch and bound",
        "C5k4" => "the rate of the metric (M1 through d(M1^2)/dt, M2 or M3) is <= 0 at every balanced state of the region (lambda_0 = 0, normalised spectrum in the box, scale in the interval), by branch and bound",
        "C5" => "non-monotone metric: from the exact balanced start (lambda_0 = 0), the metric (quantity: M1, M2, M3 or M4 of docs/math.md section 7) grows while V = KL(u || lambda~) falls: dM/dt(0) > 0 and dV/dt(0) < 0, and along the validated trajectory of the balanced flow some step end t1 has M(t1) > M(0) and V(t1) < V(0); the step end t2 where M falls back below M(0) is recorded if it lies within the horizon",
        "C4" | "C4r" => "dV/dt < 0 at the exact state, V = log(mean_{m!=0} lambda_m) - mean_{m!=0} log lambda_m (KL(u || lambda~)), differentiated along the reduced vector field",
        "C6" => "exponential slowdown on the NC ray: T(l0 -> L) = (1/2)[Ei(L) - Ei(l0) + (K-1) ln(L/l0)] agrees with the validated flow, and 1 - s_m <= 2(K-1) exp(-gamma) along a certified trajectory",
        _ => "the gradient flow of (W, H) = (Q diag(a) R^T, R diag(b) Q^T) keeps the spectral manifold and matches the reduced field a' = (1/K)(1-s) b, b' = (1/K)(1-s) a",
    }
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

fn evaluate_on<T: Enclosure + crate::expr::Scalar>(
    claim: &Claim,
    prec: u32,
    ctx: &RunContext,
) -> Evaluation {
    match claim.params {
        Params::Region(_) => region::evaluate::<T>(claim, prec, ctx),
        Params::Diagonalise { .. } => diagonalise::evaluate::<T>(claim, prec),
        Params::Manifold { .. } => manifold::evaluate::<T>(claim, prec),
        Params::Trajectory { .. } => trajectory::evaluate::<T>(claim, prec),
        Params::Slowdown { .. } => slowdown::evaluate::<T>(claim, prec),
        Params::LyapunovRate { .. } => lyapunov::evaluate::<T>(claim, prec),
        Params::Counterexample { .. } => counterexample::evaluate::<T>(claim, prec),
        Params::Critical { .. } => critical::evaluate::<T>(claim, prec),
        Params::GroupDiagonalise(_) => group::evaluate::<T>(claim, prec),
        Params::Expression(_) => expression::evaluate::<T>(claim, prec),
        Params::HadamardScope(_) => hadamard_scope::evaluate::<T>(claim, prec),
        Params::Empirical { .. } => {
            unreachable!("C8 is dispatched in `certify`, before any backend")
        }
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

fn exact_vector(v: &[Rational]) -> serde_json::Value {
    let strings: Vec<String> = v.iter().map(|q| q.to_string()).collect();
    if v.len() <= FULL_VECTOR_UP_TO {
        serde_json::json!(strings)
    } else {
        serde_json::json!({ "len": v.len(), "fnv1a64": format!("{:016x}", fnv1a64(strings.join(",").as_bytes())) })
    }
}

fn exact_inputs(params: &Params) -> serde_json::Value {
    match params {
        Params::Diagonalise { matrix, lambda } => serde_json::json!({
            "K": matrix.order(),
            "lambda": exact_vector(lambda),
        }),
        Params::GroupDiagonalise(p) => group::exact_inputs(p),
        Params::HadamardScope(p) => hadamard_scope::exact_inputs(p),
        Params::Manifold { a, b, r } => serde_json::json!({
            "K": a.len(),
            "d": r.len(),
            "a": exact_vector(a),
            "b": exact_vector(b),
        }),
        Params::Trajectory {
            k, start, horizon, ..
        } => serde_json::json!({
            "K": k,
            "start": exact_vector(start),
            "horizon": horizon.to_string(),
        }),
        Params::Critical { a, b, mode, .. } => serde_json::json!({
            "K": a.len(),
            "a": exact_vector(a),
            "b": exact_vector(b),
            "mode": mode,
        }),
        Params::Region(r) => serde_json::json!({
            "K": r.k,
            "quantity": r.quantity.rate_name(),
            "normalised_lo": exact_vector(&r.x_lo),
            "normalised_hi": exact_vector(&r.x_hi),
            "scale": [r.scale_lo.to_string(), r.scale_hi.to_string()],
            "nc_radius": r.nc_radius.to_string(),
            "lambda_0": "0",
        }),
        Params::Counterexample {
            metric,
            k,
            start,
            horizon,
            seed,
            ..
        } => serde_json::json!({
            "K": k,
            "quantity": metric.name(),
            "start": exact_vector(start),
            "horizon": horizon.to_string(),
            "seed": seed,
        }),
        Params::Expression(p) => serde_json::json!({
            "K": p.k,
            "state": exact_vector(&p.start),
            "expression": p.text,
            "normalised": p.normalised,
        }),
        Params::LyapunovRate { k, start, .. } => serde_json::json!({
            "K": k,
            "state": exact_vector(start),
        }),
        Params::Slowdown {
            start,
            horizon,
            ray_times,
            ..
        } => serde_json::json!({
            "start": exact_vector(start),
            "horizon": horizon.to_string(),
            "ray_times": ray_times.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        }),
        Params::Empirical {
            k,
            seed,
            init_scale,
            horizon,
            step,
            n_steps,
            ..
        } => {
            let (w, h) = empirical::initial_matrices(*k, *seed, init_scale);
            serde_json::json!({
                "K": k,
                "d": k,
                "seed": seed,
                "init_scale": init_scale.to_string(),
                "init_scale_f64": format!("{:e}", empirical::nearest_f64(init_scale)),
                "init_fnv1a64": empirical::initial_digest(&w, &h),
                "horizon": horizon.to_string(),
                "step": step.to_string(),
                "steps": n_steps,
            })
        }
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
    if let Params::Empirical { .. } = claim.params {
        // C8: a simulation, not a proof. No backend choice, no escalation, no margin; the
        // verdict is `empirical` and nothing else.
        let eval = empirical::evaluate(claim);
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
            let e = evaluate_on::<Ival>(claim, 53, ctx);
            (e, 53)
        }
        BackendKind::Mpfr => {
            let max_prec = spec.max_precision_bits.unwrap_or(spec.precision_bits);
            let mut prec = spec.precision_bits;
            loop {
                let e = evaluate_on::<MpfrInterval>(claim, prec, ctx);
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
    Certificate {
        id: spec.id.clone(),
        claim: spec.kind.clone(),
        statement: match &claim.params {
            Params::Expression(p) => p.statement(),
            _ => statement(&spec.kind).into(),
        },
        verdict: eval.verdict,
        expect: spec.expect,
        backend: spec.backend.name().into(),
        precision_bits: prec,
        loss_convention: LOSS_CONVENTION.into(),
        inputs: serde_json::to_value(spec).unwrap_or(serde_json::Value::Null),
        exact_inputs: exact_inputs(&claim.params),
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
