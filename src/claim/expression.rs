//! Kind `expression`: a relation `lhs REL rhs` between expressions of the claim language
//! ([`crate::expr`]) at one exact state, or of their time derivatives along the claim's flow.
//!
//! Schema: `expression` (the relation as written: `d/dt V < 0`, `|M2 - 1/10| <= 1/100`),
//! `flow` (`balanced`: `start` is lambda; `unbalanced`: `start` is a, `start_b` is b), `start`,
//! `start_b`. No `width_bound`: no enclosure width is compared.
//!
//! Decision rule (docs/math.md section 11, like the pointwise C4 claims of section 6): the
//! difference `D = lhs - rhs` is enclosed on the claim's backend; `<`: *proved* when
//! `upper(D) < 0`, *refuted* when `lower(D) >= 0`; `<=`: *proved* when `upper(D) <= 0`,
//! *refuted* when `lower(D) > 0`; `>` and `>=` mirrored; otherwise *undecided* (and always for a
//! not-finite enclosure). The ends are compared exactly. An equality is refused at validation:
//! an enclosure never proves one. Margin: the slack of the deciding end, rounded down.

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::{expand_vector, ClaimError, ClaimSpec, MAX_TRAJECTORY_K};
use super::schema::{FieldHelp, Need};
use super::trajectory::Decision;
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{Check, EnclosureRecord, Verdict};
use crate::expr::eval::eval_pointwise;
use crate::expr::{self, BinOp, Expr, Program, Rel, StateKind};
use rug::Rational;
use std::path::Path;

/// Validated parameters of an `expression` claim.
#[derive(Clone, Debug)]
pub struct ExpressionParams {
    /// The relation as written.
    pub text: String,
    /// The normalised relation (built-ins expanded, `K` substituted, constants folded).
    pub normalised: String,
    /// The relation.
    pub rel: Rel,
    /// The flow (state layout and the field `d/dt` follows).
    pub flow: StateKind,
    /// The flow's parameters (weight decay, label smoothing, temperature; docs/math.md
    /// section 13), the built-in flow by default.
    pub params: crate::spectral::variants::FlowParams,
    /// K.
    pub k: usize,
    /// The state, exact (`unbalanced`: a then b).
    pub start: Vec<Rational>,
    /// Compiled once: outputs `lhs`, `rhs`, `lhs - rhs`.
    pub program: Program,
}

impl ExpressionParams {
    /// The statement decided, for the certificate.
    pub fn statement(&self) -> String {
        let with = if self.params.is_plain() {
            String::new()
        } else {
            format!(" with {} (docs/math.md section 13)", self.params.describe())
        };
        let flow = match self.flow {
            StateKind::Balanced => {
                format!("the balanced flow{with} {}", self.params.balanced_formula())
            }
            StateKind::Unbalanced => {
                format!(
                    "the unbalanced flow{with} {}",
                    self.params.unbalanced_formula()
                )
            }
        };
        let ddt = match self.program.ddt_method() {
            Some(method) => format!(", d/dt along {flow} ({method})"),
            None => String::new(),
        };
        format!(
            "{} at the exact state (K = {}){ddt}; normalised: {}",
            self.text, self.k, self.normalised
        )
    }
}

fn err(spec: &ClaimSpec, file: &Path, field: &str, message: impl Into<String>) -> ClaimError {
    ClaimError {
        file: file.to_path_buf(),
        id: spec.id.clone(),
        field: field.into(),
        message: message.into(),
        excerpt: None,
    }
}

/// Validate the kind-specific fields of an `expression` claim: the state, then the relation
/// (parsed, normalised and compiled for this K and flow before anything runs).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let flow = match spec.flow.as_deref() {
        Some("balanced") => StateKind::Balanced,
        Some("unbalanced") => StateKind::Unbalanced,
        Some(other) => {
            return Err(err(
                spec,
                file,
                "flow",
                format!("unknown flow `{other}` (balanced or unbalanced)"),
            ))
        }
        None => return Err(err(spec, file, "flow", "missing (balanced or unbalanced)")),
    };
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| err(spec, file, "start", "missing"))?;
    let mut start = expand_vector(start_spec, "start", file, &spec.id)?;
    let k = start.len();
    if !k.is_power_of_two() || !(2..=MAX_TRAJECTORY_K).contains(&k) {
        return Err(err(
            spec,
            file,
            "start",
            format!("has length {k}: K must be a power of two in 2..={MAX_TRAJECTORY_K}"),
        ));
    }
    match (flow, &spec.start_b) {
        (StateKind::Unbalanced, Some(b_spec)) => {
            let b = expand_vector(b_spec, "start_b", file, &spec.id)?;
            if b.len() != k {
                return Err(err(
                    spec,
                    file,
                    "start_b",
                    format!("has length {} but `start` has length {k}", b.len()),
                ));
            }
            start.extend(b);
        }
        (StateKind::Unbalanced, None) => {
            return Err(err(
                spec,
                file,
                "start_b",
                "missing: b of the unbalanced state",
            ))
        }
        (StateKind::Balanced, Some(_)) => {
            return Err(err(
                spec,
                file,
                "start_b",
                "only for flow = \"unbalanced\" (a balanced state is lambda alone)",
            ))
        }
        (StateKind::Balanced, None) => {}
    }
    let text = spec
        .expression
        .as_deref()
        .ok_or_else(|| err(spec, file, "expression", "missing (e.g. \"d/dt V < 0\")"))?;
    let e_err = |e: expr::ExprError| err(spec, file, "expression", e.one_line());
    let relation = expr::parse_relation(text).map_err(e_err)?;
    let lhs = expr::normalise(&relation.lhs, k);
    let rhs = expr::normalise(&relation.rhs, k);
    let diff = Expr::Bin(BinOp::Sub, Box::new(lhs.clone()), Box::new(rhs.clone()));
    let params = super::trajectory::flow_params_of(spec, file)?;
    let program = expr::compile(&[&lhs, &rhs, &diff], k, flow, text)
        .map_err(e_err)?
        .with_flow_params(params.clone());
    Ok(Params::Expression(Box::new(ExpressionParams {
        text: text.to_string(),
        normalised: format!("{lhs} {} {rhs}", relation.rel.symbol()),
        rel: relation.rel,
        flow,
        params,
        k,
        start,
        program,
    })))
}

/// The decision rule of the module documentation for the enclosure `d` of `lhs - rhs`.
pub fn decide<T: Enclosure>(d: &T, rel: Rel) -> Decision {
    let (true, Some(lo), Some(hi)) = (d.is_finite(), d.lower_exact(), d.upper_exact()) else {
        return Decision::undecided();
    };
    match rel {
        Rel::Lt if hi < 0 => Decision::proved(-hi),
        Rel::Lt if lo >= 0 => Decision::refuted(lo),
        Rel::Le if hi <= 0 => Decision::proved(-hi),
        Rel::Le if lo > 0 => Decision::refuted(lo),
        Rel::Gt if lo > 0 => Decision::proved(lo),
        Rel::Gt if hi <= 0 => Decision::refuted(-hi),
        Rel::Ge if lo >= 0 => Decision::proved(lo),
        Rel::Ge if hi < 0 => Decision::refuted(-hi),
        _ => Decision::undecided(),
    }
}

/// Evaluate an `expression` claim on backend `T` at `prec` bits.
pub fn evaluate<T: Enclosure + expr::Scalar>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Expression(p) = &claim.params else {
        unreachable!("validated kind")
    };
    let x: Vec<T> = p.start.iter().map(|q| T::from_rational(q, prec)).collect();
    let out = match eval_pointwise(&p.program, &x, prec) {
        Ok(v) => v,
        // The state length is fixed at validation; kept as an undecided verdict, never a panic.
        Err(e) => {
            return Evaluation {
                verdict: Verdict::Undecided,
                enclosures: vec![],
                checks: vec![Check {
                    name: "expression evaluated".into(),
                    passed: false,
                    detail: e,
                }],
                margin: None,
                max_width: f64::INFINITY,
                series: vec![],
            }
        }
    };
    let (lhs, rhs, diff) = (&out[0], &out[1], &out[2]);
    let decision = decide(diff, p.rel);
    let verdict = decision.verdict;
    let sym = p.rel.symbol();
    let checks = vec![
        Check {
            name: "expression enclosed (finite enclosure of lhs - rhs)".into(),
            passed: diff.is_finite(),
            detail: format!(
                "{} instructions{}, width {:.3e}",
                p.program.len(),
                p.program
                    .ddt_method()
                    .map_or(String::new(), |m| format!(", on {m}")),
                diff.width_upper()
            ),
        },
        Check {
            name: format!("lhs - rhs {sym} 0 (ends compared exactly)"),
            passed: verdict != Verdict::Undecided,
            detail: match verdict {
                Verdict::Proved => format!("every point of the enclosure is {sym} 0"),
                Verdict::Refuted => format!("no point of the enclosure is {sym} 0"),
                _ => "the enclosure straddles or touches the threshold, or is not finite".into(),
            },
        },
    ];
    Evaluation {
        verdict,
        enclosures: vec![
            EnclosureRecord::from_enclosure("lhs", lhs),
            EnclosureRecord::from_enclosure("rhs", rhs),
            EnclosureRecord::from_enclosure("lhs - rhs", diff),
        ],
        checks,
        margin: decision.margin(),
        max_width: diff.width_upper(),
        series: vec![],
    }
}

// ---- schema: fields, validation, certificate text ----

pub const FIELDS: &[FieldHelp] = &[
    (
        "expression",
        Need::Required,
        "the relation `lhs REL rhs`, REL one of < > <= >=, in the claim language (README, \
         Expressions), e.g. \"d/dt V < 0\"",
    ),
    ("flow", Need::Required, "`balanced` or `unbalanced`"),
    (
        "start",
        Need::Required,
        "the state: lambda (balanced) or a (unbalanced); length K a power of two",
    ),
    (
        "start_b",
        Need::WithFlow("unbalanced"),
        "b of the unbalanced state (length K)",
    ),
    (
        "weight_decay",
        Need::Optional,
        "weight decay beta of the flow (W' = -grad L - beta W), exact in [0, 1000] (default 0; \
         docs/math.md section 13)",
    ),
    (
        "label_smoothing",
        Need::Optional,
        "label smoothing eps of the flow (target (1 - eps) e_k + eps/K), exact in [0, 1) \
         (default 0)",
    ),
    (
        "temperature",
        Need::Optional,
        "temperature tau on the logits (softmax(Z / tau)), exact in [1/1000, 1000] (default 1)",
    ),
];

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Expression(p) = params else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": p.k,
        "state": exact_vector(&p.start),
        "expression": p.text,
        "normalised": p.normalised,
    })
}

/// The registry entry of kind `expression` (its statement is the relation as written).
pub const ENTRY: KindEntry = KindEntry {
    name: "expression",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |c| match &c.params {
        Params::Expression(p) => p.statement(),
        _ => String::new(),
    },
    exact_inputs,
};
