//! `trajectory` claims: integrate a reduced flow with the validated integrator from an exact
//! start and certify bounds on quantities along it (docs/math.md sections 4-8).

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::Flow;
use super::schema::{
    append_b, did_you_mean, expand_vector, horizon, tolerance, trajectory_k_message, Bound,
    ClaimError, ClaimSpec, Ctx, FieldHelp, Need, MAX_TRAJECTORY_K,
};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{parse_exact, Enclosure};
use crate::cert::{margin_exact, Check, EnclosureRecord, Series, SeriesPoint, Verdict};
use crate::expr::eval::eval_pointwise;
use crate::expr::{self, AtTime, BinOp, Expr, Func, Program, Rel, StateKind};
use crate::ode::lohner::{integrate, IntegrationError, SolverOptions, Trajectory};
use crate::spectral::field::enclose_spectral_loss;
use crate::spectral::flows::{
    BalancedFlow, GroupBalancedFlow, GroupUnbalancedFlow, NcRayFlow, UnbalancedFlow,
};
use crate::spectral::lyapunov::{enclose_lyapunov, enclose_m1, enclose_m2, enclose_m3, enclose_m4};
use crate::spectral::ncray::enclose_nc_ray_loss;
use crate::spectral::variants::{BalancedFlowWith, FlowParams, NcRayFlowWith, UnbalancedFlowWith};
use rug::Rational;
use std::path::Path;

/// Most points per series in a certificate: consecutive steps are merged (hull of their
/// ranges, end of the last) beyond this, which keeps every point an enclosure.
pub const MAX_SERIES_POINTS: usize = 40;
/// Largest K whose individual modes are written as series.
pub const MODES_IN_SERIES_UP_TO: usize = 16;

/// Integrate `flow` from `start` to `horizon`.
pub fn integrate_flow<T: Enclosure>(
    flow: Flow,
    k: usize,
    start: &[T],
    horizon: &Rational,
    opts: &SolverOptions,
) -> Result<Trajectory<T>, IntegrationError> {
    match flow {
        Flow::Balanced => integrate(&BalancedFlow(k), start, horizon, opts),
        Flow::Unbalanced => integrate(&UnbalancedFlow(k), start, horizon, opts),
        Flow::NcRay => integrate(&NcRayFlow(k), start, horizon, opts),
    }
}

/// Integrate `flow` with parameters `params` (docs/math.md section 13) from `start` to
/// `horizon`; the built-in flows (identical trajectories) when `params` is the default.
pub fn integrate_flow_with<T: Enclosure>(
    flow: Flow,
    k: usize,
    start: &[T],
    horizon: &Rational,
    opts: &SolverOptions,
    params: &FlowParams,
) -> Result<Trajectory<T>, IntegrationError> {
    if params.is_plain() {
        return integrate_flow(flow, k, start, horizon, opts);
    }
    let p = params.clone();
    match flow {
        Flow::Balanced => integrate(&BalancedFlowWith(k, p), start, horizon, opts),
        Flow::Unbalanced => integrate(&UnbalancedFlowWith(k, p), start, horizon, opts),
        Flow::NcRay => integrate(&NcRayFlowWith(k, p), start, horizon, opts),
    }
}

/// Read and validate the flow parameters `weight_decay`, `label_smoothing` and `temperature`
/// (exact rationals; ranges of [`FlowParams::validate`]) of a `trajectory` or `expression`
/// claim. Absent fields take the built-in values (0, 0, 1).
pub fn flow_params_of(spec: &ClaimSpec, file: &Path) -> Result<FlowParams, ClaimError> {
    let err = |field: &str, message: String| ClaimError {
        file: file.to_path_buf(),
        id: spec.id.clone(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let read = |field: &str, text: &Option<String>, default: Rational| match text {
        None => Ok(default),
        Some(t) if t.trim().len() > super::schema::MAX_NUMBER_BYTES => {
            Err(err(field, "the number is too long".into()))
        }
        Some(t) => parse_exact(t).map_err(|e| err(field, e.to_string())),
    };
    let params = FlowParams {
        weight_decay: read("weight_decay", &spec.weight_decay, Rational::new())?,
        label_smoothing: read("label_smoothing", &spec.label_smoothing, Rational::new())?,
        temperature: read("temperature", &spec.temperature, Rational::from(1))?,
    };
    params.validate().map_err(|(f, m)| err(f, m))?;
    Ok(params)
}

/// A trajectory quantity written as a claim-language expression, compiled once.
#[derive(Clone, Debug)]
pub struct ExprQuantity {
    /// As written.
    pub text: String,
    /// Normalised (built-ins expanded, K substituted, constants folded).
    pub normalised: String,
    /// One output; `d/dt` along the claim's flow with its parameters.
    pub program: Program,
}

impl ExprQuantity {
    /// Encloses the quantity at the state box `x` (the trajectory's state layout).
    pub fn eval<T: Enclosure + expr::Scalar>(&self, x: &[T], prec: u32) -> Option<T> {
        eval_pointwise(&self.program, x, prec)
            .ok()
            .and_then(|v| v.into_iter().next())
    }
}

/// A relation between times of the trajectory (`at(T, V) <= at(0, V) / 2`).
#[derive(Clone, Debug)]
pub struct TimeRelation {
    /// As written.
    pub text: String,
    /// Normalised.
    pub normalised: String,
    /// The relation.
    pub rel: Rel,
    /// `lhs - rhs`, normalised, with every state value inside `at( )`.
    pub diff: Expr,
    /// Every `at(time, e)` of `diff` in pre-order, left to right: its exact time and `e`.
    pub probes: Vec<(Rational, ExprQuantity)>,
}

/// The flow parameters and the claim-language parts of a trajectory claim.
#[derive(Clone, Debug, Default)]
pub struct TrajectoryExtras {
    /// Weight decay, label smoothing, temperature.
    pub params: FlowParams,
    /// Per bound: the compiled expression when the quantity is not a built-in name.
    pub bound_programs: Vec<Option<ExprQuantity>>,
    /// Per bound: the exact time when `at` is a time (not `end` or `all`).
    pub bound_times: Vec<Option<Rational>>,
    /// Per `decreasing` entry: the compiled expression when it is not a built-in name.
    pub decreasing_programs: Vec<Option<ExprQuantity>>,
    /// The relation between times (`expression`).
    pub relation: Option<TimeRelation>,
}

impl TrajectoryExtras {
    /// Whether the claim uses a part evaluated on the Sylvester (`Z2^n`) field only: flow
    /// parameters, expression quantities or a relation between times.
    pub fn uses_sylvester_field(&self) -> bool {
        !self.params.is_plain()
            || self.relation.is_some()
            || self.bound_programs.iter().any(Option::is_some)
            || self.decreasing_programs.iter().any(Option::is_some)
    }

    /// The certificate's statement when the claim uses parameters or a relation between times
    /// (None: the built-in statement applies).
    pub fn statement(&self, flow: Flow) -> Option<String> {
        if self.params.is_plain() && self.relation.is_none() {
            return None;
        }
        let field = match flow {
            Flow::Balanced => self.params.balanced_formula(),
            Flow::Unbalanced => self.params.unbalanced_formula(),
            Flow::NcRay => "the NC ray of that flow (docs/math.md section 13.4)".into(),
        };
        let name = if self.params.is_plain() {
            String::new()
        } else {
            format!(" with {} (docs/math.md section 13)", self.params.describe())
        };
        let rel = self.relation.as_ref().map_or(String::new(), |r| {
            format!(", and {} (normalised: {})", r.text, r.normalised)
        });
        Some(format!(
            "the validated trajectory of the reduced flow{name}, {field}, from the exact start \
             satisfies every stated bound{rel}"
        ))
    }
}

/// `q` is a plain name (letters, digits, `_`): a built-in quantity, not an expression; an
/// unknown plain name is reported with the list of valid quantities.
pub fn plain_name(q: &str) -> bool {
    !q.is_empty() && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn state_kind(flow: Flow) -> Option<StateKind> {
    match flow {
        Flow::Balanced => Some(StateKind::Balanced),
        Flow::Unbalanced => Some(StateKind::Unbalanced),
        Flow::NcRay => None,
    }
}

fn compile_quantity(
    text: &str,
    flow: Flow,
    k: usize,
    params: &FlowParams,
    field: &str,
    err: &dyn Fn(&str, String) -> ClaimError,
) -> Result<ExprQuantity, ClaimError> {
    let kind = state_kind(flow).ok_or_else(|| {
        err(
            field,
            "expressions of the claim language are defined for the balanced and unbalanced \
             flows; the NC ray has the quantities l and loss"
                .into(),
        )
    })?;
    let e_err = |e: expr::ExprError| err(field, e.one_line());
    let e = expr::normalise(&expr::parse_expr(text).map_err(e_err)?, k);
    let program = expr::compile(&[&e], k, kind, text)
        .map_err(e_err)?
        .with_flow_params(params.clone());
    Ok(ExprQuantity {
        text: text.to_string(),
        normalised: e.to_string(),
        program,
    })
}

/// Collect the `at( )` of `e` in pre-order (left to right), refusing state values outside them.
pub(crate) fn collect_probes(e: &Expr, out: &mut Vec<(AtTime, Expr)>) -> Result<(), String> {
    match e {
        Expr::Num(_) => Ok(()),
        Expr::At(t, body, _) => {
            out.push((t.clone(), (**body).clone()));
            Ok(())
        }
        Expr::Neg(a) | Expr::Pow(a, _) | Expr::Func(_, a) => collect_probes(a, out),
        Expr::Bin(_, a, b) => {
            collect_probes(a, out)?;
            collect_probes(b, out)
        }
        Expr::MinMax(_, v) => v.iter().try_for_each(|x| collect_probes(x, out)),
        _ => Err(format!(
            "`{e}` is outside any `at(time, e)`: in a relation between times every state value \
             names its time, e.g. `at(T, V) <= at(0, V) / 2`"
        )),
    }
}

/// Validate the claim-language parts of a trajectory claim: flow parameters, expression
/// quantities of `bounds` and `decreasing`, times of `at`, and the relation between times.
pub fn validate_extras(
    spec: &ClaimSpec,
    file: &Path,
    flow: Flow,
    k: usize,
    horizon: &Rational,
    bounds: &[Bound],
) -> Result<TrajectoryExtras, ClaimError> {
    let err = |field: &str, message: String| ClaimError {
        file: file.to_path_buf(),
        id: spec.id.clone(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let params = flow_params_of(spec, file)?;
    let time_of = |field: &str, t: &Rational| {
        if *t < 0 || t > horizon {
            Err(err(
                field,
                format!("the time {t} is outside [0, horizon] = [0, {horizon}]"),
            ))
        } else {
            Ok(t.clone())
        }
    };
    let mut out = TrajectoryExtras {
        params: params.clone(),
        ..TrajectoryExtras::default()
    };
    for (i, (b, written)) in bounds.iter().zip(&spec.bounds).enumerate() {
        let prog = if plain_name(&b.quantity) {
            None
        } else {
            Some(compile_quantity(
                &b.quantity,
                flow,
                k,
                &params,
                &format!("bounds[{i}].quantity"),
                &err,
            )?)
        };
        out.bound_programs.push(prog);
        let time = match written.at.as_str() {
            "end" | "all" => None,
            t => {
                let q =
                    parse_exact(t).map_err(|e| err(&format!("bounds[{i}].at"), e.to_string()))?;
                Some(time_of(&format!("bounds[{i}].at"), &q)?)
            }
        };
        out.bound_times.push(time);
    }
    for (i, q) in spec.decreasing.iter().enumerate() {
        out.decreasing_programs.push(if plain_name(q) {
            None
        } else {
            Some(compile_quantity(
                q,
                flow,
                k,
                &params,
                &format!("decreasing[{i}]"),
                &err,
            )?)
        });
    }
    if let Some(text) = spec.expression.as_deref() {
        let e_err = |e: expr::ExprError| err("expression", e.one_line());
        let r = expr::parse_trajectory_relation(text).map_err(e_err)?;
        let lhs = expr::normalise(&r.lhs, k);
        let rhs = expr::normalise(&r.rhs, k);
        let diff = Expr::Bin(BinOp::Sub, Box::new(lhs.clone()), Box::new(rhs.clone()));
        let mut found = Vec::new();
        collect_probes(&diff, &mut found).map_err(|m| err("expression", m))?;
        if found.is_empty() {
            return Err(err(
                "expression",
                "no `at(time, e)`: a relation between times compares values at times, e.g. \
                 `at(T, V) <= at(0, V) / 2` (for a bound on a quantity use `bounds`)"
                    .into(),
            ));
        }
        let mut probes = Vec::new();
        for (t, body) in found {
            let t = match t {
                AtTime::Horizon => horizon.clone(),
                AtTime::Time(q) => time_of("expression", &q)?,
            };
            let body_text = body.to_string();
            let kind = state_kind(flow).ok_or_else(|| {
                err(
                    "expression",
                    "relations between times are defined for the balanced and unbalanced flows"
                        .into(),
                )
            })?;
            let program = expr::compile(&[&body], k, kind, text)
                .map_err(e_err)?
                .with_flow_params(params.clone());
            probes.push((
                t,
                ExprQuantity {
                    text: body_text.clone(),
                    normalised: body_text,
                    program,
                },
            ));
        }
        out.relation = Some(TimeRelation {
            text: text.to_string(),
            normalised: format!("{lhs} {} {rhs}", r.rel.symbol()),
            rel: r.rel,
            diff,
            probes,
        });
    }
    Ok(out)
}

/// Encloses `e` (numbers and `at( )` only) with the `at( )` values `probes` taken in pre-order.
pub(crate) fn eval_outer<T: Enclosure + expr::Scalar>(
    e: &Expr,
    probes: &[T],
    next: &mut usize,
    prec: u32,
) -> T {
    match e {
        Expr::Num(q) => T::from_rational(q, prec),
        Expr::At(..) => {
            let v = probes[*next].clone();
            *next += 1;
            v
        }
        Expr::Neg(a) => -eval_outer(a, probes, next, prec),
        Expr::Bin(op, a, b) => {
            let x = eval_outer(a, probes, next, prec);
            let y = eval_outer(b, probes, next, prec);
            match op {
                BinOp::Add => x + &y,
                BinOp::Sub => x - &y,
                BinOp::Mul => x * &y,
                BinOp::Div => x / &y,
            }
        }
        Expr::Pow(a, n) => {
            let x = eval_outer(a, probes, next, prec);
            let mut acc = T::from_i64(1, prec);
            for _ in 0..n.unsigned_abs() {
                acc = acc * &x;
            }
            if *n < 0 {
                acc.recip()
            } else {
                acc
            }
        }
        Expr::Func(f, a) => {
            let x = eval_outer(a, probes, next, prec);
            match f {
                Func::Exp => x.exp(),
                Func::Log => x.ln(),
                Func::Log1p => x.ln_1p(),
                Func::Expm1 => x.exp_m1(),
                Func::Sqrt => x.sqrt(),
                Func::Abs => x.abs_s(),
            }
        }
        Expr::MinMax(is_max, v) => {
            let mut acc = eval_outer(&v[0], probes, next, prec);
            for x in &v[1..] {
                let y = eval_outer(x, probes, next, prec);
                acc = if *is_max {
                    acc.max_s(&y)
                } else {
                    acc.min_s(&y)
                };
            }
            acc
        }
        // refused at validation (collect_probes)
        _ => T::from_f64(f64::NAN, prec),
    }
}

/// The flow of `claim`: on its finite abelian group when it has a `group` field (docs/math.md
/// section 12.4), otherwise [`integrate_flow_with`] with the flow parameters `params`
/// (validation refuses `group` together with flow parameters).
pub fn integrate_claim_flow<T: Enclosure>(
    claim: &Claim,
    flow: Flow,
    k: usize,
    start: &[T],
    horizon: &Rational,
    opts: &SolverOptions,
    params: &FlowParams,
) -> Result<Trajectory<T>, IntegrationError> {
    if claim.spec.group.is_none() {
        return integrate_flow_with(flow, k, start, horizon, opts, params);
    }
    let tr = super::group::flow_transform(claim, k);
    match flow {
        Flow::Balanced => integrate(&GroupBalancedFlow(tr), start, horizon, opts),
        Flow::Unbalanced => integrate(&GroupUnbalancedFlow(tr), start, horizon, opts),
        Flow::NcRay => integrate(&NcRayFlow(k), start, horizon, opts),
    }
}

/// Encloses a named quantity at a state (None if the name does not apply).
pub fn quantity<T: Enclosure>(name: &str, flow: Flow, k: usize, x: &[T]) -> Option<T> {
    let lambda: Vec<T> = match flow {
        Flow::Balanced => x.to_vec(),
        Flow::Unbalanced => x[..k]
            .iter()
            .zip(&x[k..])
            .map(|(a, b)| a.clone() * b)
            .collect(),
        Flow::NcRay => {
            return match name {
                "l" => Some(x[0].clone()),
                "loss" => Some(enclose_nc_ray_loss(&x[0], k)),
                _ => None,
            }
        }
    };
    let index = |prefix: &str| {
        name.strip_prefix(prefix)
            .and_then(|m| m.parse::<usize>().ok())
            .filter(|&m| m < k)
    };
    match name {
        "V" => Some(enclose_lyapunov(&lambda)),
        "loss" => Some(enclose_spectral_loss(&lambda)),
        "M1" => Some(enclose_m1(&lambda)),
        "M2" => Some(enclose_m2(&lambda)),
        "M3" => Some(enclose_m3(&lambda)),
        "M4" => Some(enclose_m4(&lambda)),
        _ => {
            if let Some(m) = index("lambda_") {
                Some(lambda[m].clone())
            } else if let Some(m) = index("a_").filter(|_| flow == Flow::Unbalanced) {
                Some(x[m].clone())
            } else if let Some(m) = index("b_").filter(|_| flow == Flow::Unbalanced) {
                Some(x[k + m].clone())
            } else {
                None
            }
        }
    }
}

fn bounds_of<T: Enclosure>(x: &T) -> (String, String) {
    if x.is_finite() {
        x.to_decimal_bounds(17)
    } else {
        (format!("{}", x.lower_f64()), format!("{}", x.upper_f64()))
    }
}

/// The series of `name` along `tr`, merged down to at most [`MAX_SERIES_POINTS`] points.
pub fn series_of<T: Enclosure>(
    name: &str,
    flow: Flow,
    k: usize,
    tr: &Trajectory<T>,
) -> Option<Series> {
    let n = tr.steps.len();
    if n == 0 {
        return None;
    }
    let per = n.div_ceil(MAX_SERIES_POINTS);
    let mut points = Vec::new();
    for chunk in tr.steps.chunks(per) {
        let mut over: Option<T> = None;
        for s in chunk {
            let v = quantity(name, flow, k, &s.range)?;
            over = Some(match over {
                None => v,
                Some(o) => o.hull(&v),
            });
        }
        let last = chunk.last()?;
        let end = quantity(name, flow, k, &last.end)?;
        let (lower, upper) = bounds_of(&over?);
        let (end_lower, end_upper) = bounds_of(&end);
        points.push(SeriesPoint {
            t0: chunk[0].t0.to_string(),
            t1: last.t1.to_string(),
            lower,
            upper,
            end_lower,
            end_upper,
        });
    }
    Some(Series {
        name: name.to_string(),
        points,
    })
}

/// The quantities recorded as series for a flow.
pub fn series_names(flow: Flow, k: usize, start: &[Rational]) -> Vec<String> {
    let mut names: Vec<String> = match flow {
        Flow::NcRay => vec!["l".into(), "loss".into()],
        Flow::Balanced | Flow::Unbalanced => vec!["loss".into()],
    };
    let positive = match flow {
        Flow::Balanced => start[1..k].iter().all(|x| *x > 0),
        Flow::Unbalanced => (1..k).all(|m| Rational::from(&start[m] * &start[k + m]) > 0),
        Flow::NcRay => false,
    };
    if positive {
        names.push("V".into());
        if flow == Flow::Balanced {
            names.extend(["M1", "M2", "M3", "M4"].map(String::from));
        }
    }
    if flow != Flow::NcRay && k <= MODES_IN_SERIES_UP_TO {
        names.extend((0..k).map(|m| format!("lambda_{m}")));
    }
    names
}

/// The three-valued outcome of one decision rule, with the evidence of its margin.
///
/// Invariant: `slack` is `Some` exactly when the verdict is decided, and then it is an exact
/// lower bound (>= 0) on how far the evidence clears the threshold: for *proved*, how far the
/// deciding quantity is on the safe side; for *refuted*, the size of the certain violation.
/// The rules below never return [`Verdict::Empirical`].
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// *proved*, *refuted* or *undecided*.
    pub verdict: Verdict,
    /// Exact lower bound on the slack (safe side when proved, violation when refuted).
    pub slack: Option<Rational>,
}

impl Decision {
    /// Proved, clearing the threshold by at least `slack`.
    pub fn proved(slack: Rational) -> Self {
        Decision {
            verdict: Verdict::Proved,
            slack: Some(slack),
        }
    }
    /// Refuted, violated by at least `slack`.
    pub fn refuted(slack: Rational) -> Self {
        Decision {
            verdict: Verdict::Refuted,
            slack: Some(slack),
        }
    }
    /// Undecided (no slack).
    pub fn undecided() -> Self {
        Decision {
            verdict: Verdict::Undecided,
            slack: None,
        }
    }
    /// The margin as written into a certificate: the slack rounded down to 7 digits.
    pub fn margin(&self) -> Option<String> {
        self.slack.as_ref().map(margin_exact)
    }
    /// Three-valued conjunction: refuted if either is (violation: the larger one, both being
    /// certain), proved if both are (slack: the smaller one), undecided otherwise.
    pub fn and(self, other: Decision) -> Decision {
        use Verdict::{Proved, Refuted};
        match (self.verdict, other.verdict) {
            (Refuted, Refuted) => {
                let (a, b) = (
                    self.slack.unwrap_or_default(),
                    other.slack.unwrap_or_default(),
                );
                Decision::refuted(if a >= b { a } else { b })
            }
            (Refuted, _) => self,
            (_, Refuted) => other,
            (Proved, Proved) => {
                let (a, b) = (
                    self.slack.unwrap_or_default(),
                    other.slack.unwrap_or_default(),
                );
                Decision::proved(if a <= b { a } else { b })
            }
            _ => Decision::undecided(),
        }
    }
    /// The conjunction of every decision (None when there is none).
    pub fn all(items: impl IntoIterator<Item = Decision>) -> Option<Decision> {
        items.into_iter().reduce(Decision::and)
    }
}

/// The exact lower end of `d` when `d` is certainly positive (the slack of a certain strict
/// comparison), else None.
pub fn certain_positive_slack<T: Enclosure>(d: &T) -> Option<Rational> {
    if d.certainly_positive() {
        d.lower_exact()
    } else {
        None
    }
}

/// Decision rule of `x > 0` for one enclosure: *proved* when its lower end is > 0 (slack: the
/// lower end); *refuted* when its upper end is <= 0, so that no point is > 0 (slack: minus the
/// upper end); *undecided* when it straddles 0, touches it from above (`[0, d]`), or is not
/// finite. Ends compared exactly.
pub fn decide_positive<T: Enclosure>(x: &T) -> Decision {
    match (x.is_finite(), x.lower_exact(), x.upper_exact()) {
        (true, Some(lo), _) if lo > 0 => Decision::proved(lo),
        (true, _, Some(hi)) if hi <= 0 => Decision::refuted(-hi),
        _ => Decision::undecided(),
    }
}

/// Decision rule of `x < 0` for one enclosure: *proved* when its upper end is < 0 (slack: minus
/// the upper end); *refuted* when its lower end is >= 0 (slack: the lower end); *undecided*
/// when it straddles 0, touches it from below (`[-d, 0]`), or is not finite.
pub fn decide_negative<T: Enclosure>(x: &T) -> Decision {
    decide_positive(&-x.clone())
}

/// Decision rule of a trajectory bound `above < x < below` (either side optional, both strict)
/// for one enclosure `x`: *proved* when the whole enclosure is strictly inside (`upper < below`
/// and `lower > above`, compared exactly); *refuted* when it certainly fails a side (`lower >=
/// below` or `upper <= above`: every point violates it); *undecided* otherwise, in particular
/// when an end only touches a bound (`upper == below`) or straddles it, and for a not-finite
/// enclosure. Slack: `below - upper`, `lower - above` (the smaller) when proved; `lower - below`
/// or `above - upper` when refuted.
pub fn decide_bound<T: Enclosure>(
    x: &T,
    above: Option<&Rational>,
    below: Option<&Rational>,
) -> Decision {
    if !x.is_finite() {
        return Decision::undecided();
    }
    let (Some(lo), Some(hi)) = (x.lower_exact(), x.upper_exact()) else {
        return Decision::undecided();
    };
    let mut out: Option<Decision> = None;
    if let Some(b) = below {
        let d = if hi < *b {
            Decision::proved(Rational::from(b - &hi))
        } else if lo >= *b {
            return Decision::refuted(Rational::from(&lo - b));
        } else {
            Decision::undecided()
        };
        out = Some(d);
    }
    if let Some(a) = above {
        let d = if lo > *a {
            Decision::proved(Rational::from(&lo - a))
        } else if hi <= *a {
            return Decision::refuted(Rational::from(a - &hi));
        } else {
            Decision::undecided()
        };
        out = Some(match out {
            None => d,
            Some(o) => o.and(d),
        });
    }
    // a bound with neither side is refused by the schema; say nothing about it
    out.unwrap_or_else(Decision::undecided)
}

/// Decision rule of a bound over several enclosures (the end state for `at = "end"`, the start
/// and every step range for `at = "all"`): the conjunction of [`decide_bound`] over `values`
/// (*undecided* when there is none).
pub fn decide_bound_along<T: Enclosure>(
    values: &[T],
    above: Option<&Rational>,
    below: Option<&Rational>,
) -> Decision {
    Decision::all(values.iter().map(|x| decide_bound(x, above, below)))
        .unwrap_or_else(Decision::undecided)
}

/// The evaluation of a trajectory-like claim whose validated integration failed: *undecided*,
/// with the integrator's error as the one failing check.
pub(super) fn integration_failed(e: &dyn std::fmt::Display) -> Evaluation {
    Evaluation {
        verdict: Verdict::Undecided,
        enclosures: vec![],
        checks: vec![Check {
            name: "validated integration reached the horizon".into(),
            passed: false,
            detail: e.to_string(),
        }],
        margin: None,
        max_width: f64::INFINITY,
        series: vec![],
    }
}

/// The enclosures a bound is decided on: at an exact time, the step end there or the range of
/// the step containing it (`None` past the trajectory); everywhere, the start and the range of
/// every step (together they cover [0, T]); otherwise the end state.
pub(super) fn bound_states<'a, T: Enclosure>(
    tr: &'a Trajectory<T>,
    time: Option<&Rational>,
    everywhere: bool,
) -> Option<Vec<&'a [T]>> {
    if let Some(t) = time {
        tr.at(t).map(|x| vec![x])
    } else if everywhere {
        Some(
            std::iter::once(tr.start.as_slice())
                .chain(tr.steps.iter().map(|s| s.range.as_slice()))
                .collect(),
        )
    } else {
        Some(vec![tr.end()])
    }
}

/// The detail text of a bound's or a relation's check: the margin of a proof, the certain
/// violation of a refutation, else `undecided` (the text of `undecided`).
pub(super) fn decision_detail(d: &Decision, undecided: &str) -> String {
    let margin = d.margin().unwrap_or_default();
    match d.verdict {
        Verdict::Proved => format!("margin {margin}"),
        Verdict::Refuted => format!("certainly violated, by at least {margin}"),
        _ => undecided.into(),
    }
}

/// The relation between times of a trajectory-like claim (`at(T, V) <= at(0, V) / 2`): each
/// probe evaluated at its exact time on `tr`, `lhs - rhs` enclosed and decided by its sign.
/// Returns the enclosure of `lhs - rhs` (when every probe could be evaluated), the check and
/// the decision.
pub(super) fn relation_check<T: Enclosure + expr::Scalar>(
    r: &TimeRelation,
    tr: &Trajectory<T>,
    prec: u32,
) -> (Option<T>, Check, Decision) {
    let values: Option<Vec<T>> = r
        .probes
        .iter()
        .map(|(t, q)| tr.at(t).and_then(|x| q.eval(x, prec)))
        .collect();
    let diff = values.map(|v| eval_outer(&r.diff, &v, &mut 0, prec));
    let decision = diff
        .as_ref()
        .map_or_else(Decision::undecided, |d| super::expression::decide(d, r.rel));
    let check = Check {
        name: format!(
            "{} (normalised: {}; lhs - rhs {} 0, ends compared exactly)",
            r.text,
            r.normalised,
            r.rel.symbol()
        ),
        passed: decision.verdict == Verdict::Proved,
        detail: decision_detail(
            &decision,
            "undecided: the enclosure of lhs - rhs straddles or touches 0",
        ),
    };
    (diff, check, decision)
}

/// The `decreasing` rule for one quantity along `tr`: its value at the start and at every step
/// end (`value_at`), decided pair by pair ([`decide_decreasing`]). A value that cannot be
/// enclosed (`None`) leaves its two pairs unresolved: the rule is then decided on the steps
/// before it only, and can be refuted there but never proved. Returns the check (named `name`)
/// and the decision.
pub(super) fn decreasing_check<T: Enclosure>(
    tr: &Trajectory<T>,
    name: String,
    value_at: impl Fn(&[T]) -> Option<T>,
) -> (Check, Decision) {
    let all: Vec<Option<T>> = std::iter::once(tr.start.as_slice())
        .chain(tr.steps.iter().map(|s| s.end.as_slice()))
        .map(value_at)
        .collect();
    let gap = all.iter().position(Option::is_none);
    let values: Vec<T> = all.into_iter().map_while(|v| v).collect();
    let out = decide_decreasing(&values);
    let decision = match gap {
        Some(_) if out.decision.verdict != Verdict::Refuted => Decision::undecided(),
        _ => out.decision.clone(),
    };
    let n = tr.steps.len();
    let detail = match (out.first_increase, out.first_unresolved, gap) {
        (Some(i), _, _) => format!(
            "certainly increases over step {i} (t ~ {:.4} to {:.4}), the first such step; \
             largest certain increase at least {}",
            tr.steps[i].t0.to_f64(),
            tr.steps[i].t1.to_f64(),
            out.decision.margin().unwrap_or_default()
        ),
        (None, Some(i), _) => format!(
            "undecided: certified over the first {} of {n} steps, up to t ~ {:.4} \
             (exact {}); step {i} (t ~ {:.4} to {:.4}) is the first unresolved one (the \
             change is below the enclosure width), and no step certainly increases",
            out.certified_prefix,
            tr.steps[i].t0.to_f64(),
            tr.steps[i].t0,
            tr.steps[i].t0.to_f64(),
            tr.steps[i].t1.to_f64()
        ),
        (None, None, Some(j)) => format!(
            "undecided: certified over the first {} of {n} steps; the quantity could not be \
             enclosed at {}, and no step before it certainly increases",
            out.certified_prefix,
            match j.checked_sub(1) {
                None => "the start".to_string(),
                Some(i) => format!("the end of step {i} (t ~ {:.4})", tr.steps[i].t1.to_f64()),
            },
        ),
        (None, None, None) if n > 0 => {
            format!("certified over the first {n} of {n} steps, up to every step")
        }
        (None, None, None) => "undecided: no step".into(),
    };
    let check = Check {
        name,
        passed: decision.verdict == Verdict::Proved,
        detail,
    };
    (check, decision)
}

/// The verdict and margin of a trajectory-like claim from its conjuncts: *refuted* when any
/// conjunct is; *proved* when all are and the final width is within `width_bound`; else
/// *undecided*. Margin: for a proof, the smallest slack of the stated bounds (of the decreasing
/// rules when there is no bound); for a refutation, the largest certain violation.
pub(super) fn conclude(
    bound_decisions: Vec<Decision>,
    decreasing_decisions: &[Decision],
    width_ok: bool,
) -> (Verdict, Option<String>) {
    let has_bounds = !bound_decisions.is_empty();
    let all = Decision::all(bound_decisions.iter().chain(decreasing_decisions).cloned())
        .unwrap_or_else(Decision::undecided);
    let verdict = match all.verdict {
        Verdict::Refuted => Verdict::Refuted,
        Verdict::Proved if width_ok => Verdict::Proved,
        _ => Verdict::Undecided,
    };
    let margin = match verdict {
        Verdict::Proved if has_bounds => Decision::all(bound_decisions).and_then(|d| d.margin()),
        Verdict::Proved | Verdict::Refuted => all.margin(),
        Verdict::Undecided | Verdict::Empirical => None,
    };
    (verdict, margin)
}

/// The outcome of the `decreasing` rule along a sequence of step-end enclosures.
#[derive(Clone, Debug, PartialEq)]
pub struct DecreasingOutcome {
    /// *proved* only when every consecutive pair is certainly decreasing (slack: the smallest
    /// certified decrease); *refuted* when some pair is certainly increasing (slack: the largest
    /// certain increase); *undecided* otherwise.
    pub decision: Decision,
    /// Number of consecutive pairs.
    pub pairs: usize,
    /// Number of leading pairs certified decreasing.
    pub certified_prefix: usize,
    /// The first pair neither certainly decreasing nor certainly increasing.
    pub first_unresolved: Option<usize>,
    /// The first pair certainly increasing.
    pub first_increase: Option<usize>,
}

/// Decision rule of `decreasing`: `values[i + 1] < values[i]` for every `i`, each pair decided
/// by its enclosures. A pair is certainly decreasing when `values[i + 1]` lies entirely below
/// `values[i]` (`certainly_lt`), certainly increasing when entirely above; overlapping or
/// touching enclosures, and not-finite ones, leave the pair unresolved. One unresolved pair
/// makes the whole rule *undecided* (unless another pair is certainly increasing): a certified
/// prefix proves nothing about the later steps. No pair at all is *undecided*.
pub fn decide_decreasing<T: Enclosure>(values: &[T]) -> DecreasingOutcome {
    let mut out = DecreasingOutcome {
        decision: Decision::undecided(),
        pairs: values.len().saturating_sub(1),
        certified_prefix: 0,
        first_unresolved: None,
        first_increase: None,
    };
    let mut pairs = Vec::with_capacity(out.pairs);
    for (i, pair) in values.windows(2).enumerate() {
        let d = if pair[1].certainly_lt(&pair[0]) {
            match certain_positive_slack(&(pair[0].clone() - &pair[1])) {
                Some(s) => Decision::proved(s),
                None => Decision::undecided(),
            }
        } else if pair[0].certainly_lt(&pair[1]) {
            match certain_positive_slack(&(pair[1].clone() - &pair[0])) {
                Some(s) => Decision::refuted(s),
                None => Decision::undecided(),
            }
        } else {
            Decision::undecided()
        };
        match d.verdict {
            Verdict::Proved if out.first_unresolved.is_none() && out.first_increase.is_none() => {
                out.certified_prefix += 1
            }
            Verdict::Refuted => {
                out.first_increase.get_or_insert(i);
            }
            Verdict::Undecided => {
                out.first_unresolved.get_or_insert(i);
            }
            _ => {}
        }
        pairs.push(d);
    }
    out.decision = Decision::all(pairs).unwrap_or_else(Decision::undecided);
    if crate::mutation::active(crate::mutation::Mutant::DecreasingAcceptsPrefix)
        && out.first_increase.is_none()
        && out.certified_prefix > 0
    {
        // the old rule: a certified prefix and no certain increase later
        out.decision = Decision::proved(Rational::new());
    }
    out
}

/// Whether every enclosure is finite and at most `bound` wide, compared exactly.
pub fn widths_within<T: Enclosure>(xs: &[T], bound: &Rational) -> bool {
    xs.iter().all(
        |x| match (x.is_finite(), x.lower_exact(), x.upper_exact()) {
            (true, Some(lo), Some(hi)) => Rational::from(&hi - &lo) <= *bound,
            _ => false,
        },
    )
}

/// Evaluate a trajectory claim on backend `T` at `prec` bits.
///
/// Decision rule: *proved* when the integration reaches the horizon, every final enclosure is
/// at most `width_bound` wide (compared exactly), every bound holds for the whole enclosure
/// (strictly, [`decide_bound_along`]) and every `decreasing` quantity is certainly decreasing
/// over every step pair ([`decide_decreasing`]); *refuted* when some bound fails for the whole
/// enclosure or some step pair certainly increases; *undecided* otherwise (including an
/// integration that could not be validated). Margin (rounded down): for a proof, the smallest
/// slack of the bounds (of the decreasing rules when there is no bound); for a refutation, the
/// largest certain violation.
pub fn evaluate<T: Enclosure + expr::Scalar>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Trajectory {
        flow,
        k,
        start,
        horizon,
        bounds,
        decreasing,
        tolerance,
        extra,
    } = &claim.params
    else {
        unreachable!("validated kind")
    };
    let x0: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let opts = SolverOptions {
        tolerance: *tolerance,
        ..SolverOptions::default()
    };
    let tr = match integrate_claim_flow(claim, *flow, *k, &x0, horizon, &opts, &extra.params) {
        Ok(tr) => tr,
        Err(e) => return integration_failed(&e),
    };
    let end = tr.end();
    let max_width = end.iter().map(|x| x.width_upper()).fold(0.0, f64::max);
    let width_ok = widths_within(end, &claim.width_bound);
    let mut checks = vec![Check {
        name: "validated integration reached the horizon".into(),
        passed: true,
        detail: format!("{} steps, Taylor order {}", tr.steps.len(), tr.order),
    }];
    checks.extend(super::group::flow_group_check(claim, *k));
    checks.push(Check {
        name: "final enclosure width <= width_bound".into(),
        passed: width_ok,
        detail: format!("widest {max_width:.3e}"),
    });
    let mut enclosures: Vec<EnclosureRecord> = end
        .iter()
        .enumerate()
        .take(64)
        .map(|(i, x)| EnclosureRecord::from_enclosure(format!("x_{i}(T)"), x))
        .collect();
    // Every conjunct's decision: the bounds (which also give the margin of a proof) and the
    // `decreasing` rules (which give it only when there is no bound).
    let mut bound_decisions = Vec::new();
    let mut decreasing_decisions = Vec::new();
    for (i, b) in bounds.iter().enumerate() {
        let program = extra.bound_programs.get(i).and_then(Option::as_ref);
        let time = extra.bound_times.get(i).and_then(Option::as_ref);
        let value_at = |x: &[T]| match program {
            Some(p) => p.eval(x, prec),
            None => quantity(&b.quantity, *flow, *k, x),
        };
        let values: Option<Vec<T>> = bound_states(&tr, time, b.everywhere)
            .and_then(|st| st.into_iter().map(value_at).collect());
        let decision = values.map_or_else(Decision::undecided, |v| {
            decide_bound_along(&v, b.above.as_ref(), b.below.as_ref())
        });
        let name = format!("{}(T)", b.quantity);
        if let Some(v) = value_at(end).filter(|_| !enclosures.iter().any(|e| e.name == name)) {
            enclosures.push(EnclosureRecord::from_enclosure(
                format!("{}(T)", b.quantity),
                &v,
            ));
        }
        // As the claim file wrote it (`V < 0.1741942569823`); the exact rationals decide.
        let bound_text = b.written();
        checks.push(Check {
            name: match (time, program) {
                (Some(t), _) => format!("{bound_text} at t = {t}"),
                (None, _) if b.everywhere => format!("{bound_text} on [0, T]"),
                _ => format!("{bound_text} at T"),
            } + &program.map_or(String::new(), |p| {
                format!(" (expression; normalised: {})", p.normalised)
            }),
            passed: decision.verdict == Verdict::Proved,
            detail: decision_detail(&decision, "undecided"),
        });
        bound_decisions.push(decision);
    }
    if let Some(r) = &extra.relation {
        let (diff, check, decision) = relation_check(r, &tr, prec);
        if let Some(d) = &diff {
            enclosures.push(EnclosureRecord::from_enclosure("lhs - rhs (expression)", d));
        }
        checks.push(check);
        bound_decisions.push(decision);
    }
    for (i, q) in decreasing.iter().enumerate() {
        let program = extra.decreasing_programs.get(i).and_then(Option::as_ref);
        let (check, decision) = decreasing_check(
            &tr,
            format!("{q} strictly decreasing from step to step"),
            |x| match program {
                Some(p) => p.eval(x, prec),
                None => quantity(q, *flow, *k, x),
            },
        );
        checks.push(check);
        decreasing_decisions.push(decision);
    }
    let (verdict, margin) = conclude(bound_decisions, &decreasing_decisions, width_ok);
    let series = series_names(*flow, *k, start)
        .iter()
        // the spectral loss is written for Z2^n
        .filter(|n| claim.spec.group.is_none() || n.as_str() != "loss")
        .filter_map(|n| series_of(n, *flow, *k, &tr))
        .collect();
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin,
        max_width,
        series,
    }
}

// ---- schema: fields, validation, certificate text ----

/// The statement written into certificates.
pub const STATEMENT: &str = "the validated trajectory of the reduced flow from the exact start satisfies every stated bound";

/// Largest number of bounds plus `decreasing` quantities of a trajectory claim.
pub const MAX_BOUNDS: usize = 1_000;

pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of every component of the final \
         enclosure of the state at the horizon T, for *proved*",
    ),
    (
        "flow",
        Need::Required,
        "the reduced flow: `balanced`, `unbalanced` or `nc_ray`",
    ),
    (
        "start",
        Need::Required,
        "the start state: lambda (balanced), a (unbalanced) or the single value l (nc_ray); \
         length K a power of two in 2..=4096",
    ),
    (
        "start_b",
        Need::WithFlow("unbalanced"),
        "b of the unbalanced start (length K)",
    ),
    ("ray_k", Need::WithFlow("nc_ray"), "K of the NC ray"),
    (
        "group",
        Need::Optional,
        "a finite abelian group of order K (\"Z5\", \"Z4xZ2\", \"Z3xZ3\"; K <= 64): the flow \
         on its real character basis (docs/math.md section 12.4), the state paired; default \
         Z2^n (Sylvester)",
    ),
    (
        "horizon",
        Need::Required,
        "the time horizon T (exact, in (0, 1000000])",
    ),
    (
        "bounds",
        Need::Optional,
        "the bounds to certify, each { quantity = \"V\", at = \"end\", \"all\" or an exact time, \
         below = \"...\", above = \"...\" }: `below = b` certifies quantity < b, `above = a` \
         certifies quantity > a (one or both); the quantity is a built-in name or an expression \
         of the claim language (balanced and unbalanced flows); at least one bound, one \
         `decreasing` quantity or an `expression`",
    ),
    (
        "decreasing",
        Need::Optional,
        "quantities certified strictly decreasing from step end to step end",
    ),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1) (default: from the precision)",
    ),
    (
        "expression",
        Need::Optional,
        "a relation between times in the claim language, each state value inside \
         `at(time, e)` with time `T` (the horizon) or an exact number, e.g. \
         \"at(T, V) <= at(0, V) / 2\" (balanced and unbalanced flows)",
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

fn known_quantity(q: &str, flow: Flow, k: usize) -> bool {
    let index = |prefix: &str| {
        q.strip_prefix(prefix)
            .and_then(|m| m.parse::<usize>().ok())
            .is_some_and(|m| m < k)
    };
    match flow {
        Flow::Balanced => matches!(q, "V" | "loss" | "M1" | "M2" | "M3" | "M4") || index("lambda_"),
        Flow::Unbalanced => {
            matches!(q, "V" | "loss") || index("a_") || index("b_") || index("lambda_")
        }
        Flow::NcRay => matches!(q, "l" | "loss"),
    }
}

/// The quantities a trajectory of `flow` at K = `k` can bound, as a readable list.
fn quantity_list(flow: Flow, k: usize) -> String {
    let last = k.saturating_sub(1);
    match flow {
        Flow::Balanced => format!("V, loss, M1, M2, M3, M4, lambda_0 .. lambda_{last}"),
        Flow::Unbalanced => {
            format!("V, loss, a_0 .. a_{last}, b_0 .. b_{last}, lambda_0 .. lambda_{last}")
        }
        Flow::NcRay => "l, loss".into(),
    }
}

/// The message for a quantity `q` that `flow` at K = `k` does not have: a suggestion and the
/// valid ones.
fn unknown_quantity(q: &str, flow: Flow, k: usize) -> String {
    let mut names: Vec<String> = match flow {
        Flow::Balanced => ["V", "loss", "M1", "M2", "M3", "M4"]
            .map(String::from)
            .to_vec(),
        Flow::Unbalanced => ["V", "loss"].map(String::from).to_vec(),
        Flow::NcRay => ["l", "loss"].map(String::from).to_vec(),
    };
    let prefixes: &[&str] = match flow {
        Flow::Balanced => &["lambda_"],
        Flow::Unbalanced => &["a_", "b_", "lambda_"],
        Flow::NcRay => &[],
    };
    for p in prefixes {
        names.extend((0..k.min(64)).map(|m| format!("{p}{m}")));
    }
    let flow_name = match flow {
        Flow::Balanced => "balanced",
        Flow::Unbalanced => "unbalanced",
        Flow::NcRay => "nc_ray",
    };
    let index_hint = prefixes
        .iter()
        .find_map(|p| q.strip_prefix(p))
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m >= k)
        .map(|m| format!(" (mode {m} does not exist: K = {k}, modes 0..{})", k - 1))
        .unwrap_or_default();
    let suggestion = did_you_mean(q, names.iter().map(String::as_str))
        .filter(|_| index_hint.is_empty())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!(
        "unknown quantity `{q}` for the {flow_name} flow{index_hint}{suggestion}; valid at K = {k}: {}",
        quantity_list(flow, k)
    )
}

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    let flow = match spec.flow.as_deref() {
        Some("balanced") => Flow::Balanced,
        Some("unbalanced") => Flow::Unbalanced,
        Some("nc_ray") => Flow::NcRay,
        Some(other) => {
            return Err(ctx.err(
                "flow",
                format!("unknown flow `{other}` (balanced, unbalanced, nc_ray)"),
            ))
        }
        None => return Err(ctx.err("flow", "missing (balanced, unbalanced or nc_ray)")),
    };
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing"))?;
    let mut start = expand_vector(start_spec, "start", file, &spec.id)?;
    let k = match flow {
        Flow::NcRay => {
            if start.len() != 1 {
                return Err(ctx.err(
                    "start",
                    "the NC ray has one state variable l: give one value",
                ));
            }
            let k = spec
                .ray_k
                .ok_or_else(|| ctx.err("ray_k", "missing: K of the NC ray"))?;
            if !(2..=1 << 20).contains(&k) {
                return Err(ctx.err("ray_k", "must be in 2..=2^20"));
            }
            k
        }
        _ => {
            let k = start.len();
            let grouped = spec.group.is_some();
            if (!grouped && !k.is_power_of_two()) || k < 2 || k > MAX_TRAJECTORY_K {
                return Err(ctx.err("start", trajectory_k_message(k, 2)));
            }
            k
        }
    };
    if flow == Flow::Unbalanced {
        append_b(spec, file, ctx, &mut start, k)?;
    }
    if flow == Flow::NcRay && spec.group.is_some() {
        return Err(ctx.err(
            "group",
            "does not apply to the nc_ray flow: the ray is the same for every group of order K \
             (docs/math.md section 12.4), give `ray_k`",
        ));
    }
    super::group::validate_flow_group(spec, file, k, &start, &["start", "start_b"])?;
    if spec.group.is_some() && spec.bounds.iter().any(|b| b.quantity == "loss")
        || spec.group.is_some() && spec.decreasing.iter().any(|q| q == "loss")
    {
        return Err(ctx.err(
            "bounds",
            "`loss` is not available with `group` (the spectral loss is written for Z2^n); \
             V, M1-M4 and the modes do not depend on the group",
        ));
    }
    let horizon = horizon(spec, ctx)?;
    if spec.bounds.len() + spec.decreasing.len() > MAX_BOUNDS {
        return Err(ctx.err(
            "bounds",
            format!(
                "{} bounds and {} decreasing quantities: at most {MAX_BOUNDS} in all",
                spec.bounds.len(),
                spec.decreasing.len()
            ),
        ));
    }
    if spec.bounds.is_empty() && spec.decreasing.is_empty() && spec.expression.is_none() {
        return Err(ctx.err(
            "bounds",
            "missing: at least one bound (or a `decreasing` quantity, or an `expression`) to \
             certify",
        ));
    }
    for (i, q) in spec.decreasing.iter().enumerate() {
        if !known_quantity(q, flow, k) && super::trajectory::plain_name(q) {
            return Err(ctx.err(&format!("decreasing[{i}]"), unknown_quantity(q, flow, k)));
        }
    }
    let mut bounds = Vec::new();
    for (i, b) in spec.bounds.iter().enumerate() {
        let f = |name: &str| format!("bounds[{i}].{name}");
        if !known_quantity(&b.quantity, flow, k) && super::trajectory::plain_name(&b.quantity) {
            return Err(ctx.err(&f("quantity"), unknown_quantity(&b.quantity, flow, k)));
        }
        let everywhere = match b.at.as_str() {
            "end" => false,
            "all" => true,
            // an exact time, validated with the claim-language parts below
            other if parse_exact(other).is_ok() => false,
            other => {
                return Err(ctx.err(
                    &f("at"),
                    format!("`{other}`: expected `end`, `all` or an exact time in [0, horizon]"),
                ))
            }
        };
        bounds.push(Bound::from_spec(ctx, i, b, everywhere)?);
    }
    let extra = super::trajectory::validate_extras(spec, file, flow, k, &horizon, &bounds)?;
    if spec.group.is_some() && extra.uses_sylvester_field() {
        return Err(ctx.err(
            "group",
            "`group` cannot be combined with flow parameters (weight_decay, label_smoothing, \
             temperature) or claim-language quantities and relations in one trajectory claim \
             yet: those are evaluated on the Sylvester field (docs/math.md section 13)",
        ));
    }
    Ok(Params::Trajectory {
        flow,
        k,
        start,
        horizon,
        bounds,
        decreasing: spec.decreasing.clone(),
        tolerance: tolerance(spec, ctx)?,
        extra: Box::new(extra),
    })
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Trajectory {
        k, start, horizon, ..
    } = params
    else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "K": k,
        "start": exact_vector(start),
        "horizon": horizon.to_string(),
    })
}

/// The registry entry of kind trajectory.
pub const ENTRY: KindEntry = KindEntry {
    name: "trajectory",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |c| match &c.params {
        Params::Trajectory { extra, flow, .. } => {
            extra.statement(*flow).unwrap_or_else(|| STATEMENT.into())
        }
        _ => STATEMENT.into(),
    },
    exact_inputs,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{Field, Ival, Ring};
    use crate::ode::lohner::Step;

    /// A trajectory of one component with the given step-end values at t = 1, 2, ...
    fn steps(values: &[i64]) -> Trajectory<Ival> {
        let point = |v: i64| vec![Ival::from_rational(&Rational::from(v), 53)];
        Trajectory {
            start: point(values[0]),
            steps: (1..values.len())
                .map(|i| Step {
                    t0: Rational::from(i as i64 - 1),
                    t1: Rational::from(i as i64),
                    end: point(values[i]),
                    range: point(values[i]),
                    start_box: point(values[i - 1]),
                    apriori: point(values[i]),
                })
                .collect(),
            order: 1,
        }
    }

    #[test]
    fn a_value_that_cannot_be_enclosed_is_never_skipped() {
        // 5 > 4 > (no enclosure) > 2 > 1: comparing 4 with 2 across the gap would prove the
        // rule; it must stay undecided, with the gap named
        let tr = steps(&[5, 4, 3, 2, 1]);
        let gap_at_3 = |x: &[Ival]| (x[0].approx_f64() != 3.0).then(|| x[0].clone());
        let (check, d) = decreasing_check(&tr, "x".into(), gap_at_3);
        assert_eq!(d.verdict, Verdict::Undecided, "{check:?}");
        assert!(!check.passed);
        assert!(
            check
                .detail
                .contains("could not be enclosed at the end of step 1"),
            "{}",
            check.detail
        );
        // without the gap it is proved; a certain increase before a gap still refutes
        let (_, d) = decreasing_check(&tr, "x".into(), |x: &[Ival]| Some(x[0].clone()));
        assert_eq!(d.verdict, Verdict::Proved);
        let tr = steps(&[5, 6, 3, 2]);
        let (check, d) = decreasing_check(&tr, "x".into(), gap_at_3);
        assert_eq!(d.verdict, Verdict::Refuted, "{check:?}");
        assert!(check.detail.contains("certainly increases over step 0"));
        // a gap at the start
        let tr = steps(&[3, 2, 1]);
        let (check, d) = decreasing_check(&tr, "x".into(), gap_at_3);
        assert_eq!(d.verdict, Verdict::Undecided);
        assert!(
            check.detail.contains("enclosed at the start"),
            "{}",
            check.detail
        );
    }
}
