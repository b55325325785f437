//! Kind `ode`: a user's own vector field `x' = F(x)`, written in the claim language over named
//! state components, integrated by the validated Taylor/Lohner integrator from an exact start,
//! with bounds and relations between times certified along it (docs/math.md section 13.7).
//!
//! Schema: `state` (the names, e.g. `["x", "y", "z"]`), `field` (one expression per name, the
//! right-hand side of `name' = ...`), `start` (exact, one value per name), `horizon`,
//! `width_bound`, and what to certify: `bounds` (quantities are expressions over the state
//! names; `at` = `end`, `all` or an exact time), `decreasing` (expressions compared from step
//! end to step end) and `expression` (a relation between times with `at(time, e)`).
//!
//! Validation, before anything runs: the state names (distinct identifiers, no reserved word),
//! one field component per name, each parsed over the names only (no spectral vocabulary, no
//! `t`, no `d/dt`, no `at`) and smooth (no `abs`, `min`, `max`: the Taylor recurrences need a
//! smooth field). `F` is compiled once ([`crate::expr::compile_field`]) into one program; the
//! integrator evaluates it through [`crate::expr::eval::CompiledField`] on every scalar type
//! (recorded on the tape at each step, then Taylor coefficients by the recurrences; interval
//! evaluation for the a-priori enclosure), so inari and MPFR run the same generic path as the
//! built-in flows. Quantities may use `d/dt`, along `F` (dual numbers seeded with `F`).
//!
//! Decision rules: those of `trajectory` claims (docs/math.md section 13.6), see
//! [`super::trajectory::evaluate`]: *proved* when the integration reaches the horizon, every
//! final enclosure is at most `width_bound` wide and every bound, relation and `decreasing`
//! rule is proved; *refuted* when one of them is certainly violated; *undecided* otherwise.

use super::exact_vector;
use super::registry::KindEntry;
use super::schema::{
    expand_vector, horizon, tolerance, Bound, ClaimError, ClaimSpec, Ctx, FieldHelp, Need,
};
use super::trajectory::{
    bound_states, collect_probes, conclude, decide_bound_along, decision_detail, decreasing_check,
    integration_failed, relation_check, widths_within, Decision, ExprQuantity, TimeRelation,
    MAX_BOUNDS, MAX_SERIES_POINTS, MODES_IN_SERIES_UP_TO,
};
use super::Claim;
use super::{Evaluation, Params};
use crate::arith::{parse_exact, Enclosure};
use crate::cert::{Check, EnclosureRecord, Series, SeriesPoint, Verdict};
use crate::expr::eval::CompiledField;
use crate::expr::{self, AtTime, BinOp, Expr, Program};
use crate::ode::lohner::{integrate, SolverOptions, Trajectory};
use rug::Rational;
use std::path::Path;

/// Validated parameters of an `ode` claim.
#[derive(Clone, Debug)]
pub struct OdeParams {
    /// The state names.
    pub names: Vec<String>,
    /// The field as written, one expression per name.
    pub field_text: Vec<String>,
    /// The field normalised (exact constants folded).
    pub field_normalised: Vec<String>,
    /// `F`, compiled once: one output per state component, smooth.
    pub field: Program,
    /// The start, exact.
    pub start: Vec<Rational>,
    /// The horizon, exact.
    pub horizon: Rational,
    /// The bounds.
    pub bounds: Vec<Bound>,
    /// Per bound: its quantity compiled over the state (`d/dt` along `F`).
    pub bound_programs: Vec<ExprQuantity>,
    /// Per bound: the exact time when `at` is a time.
    pub bound_times: Vec<Option<Rational>>,
    /// The `decreasing` expressions, compiled.
    pub decreasing: Vec<ExprQuantity>,
    /// The relation between times (`expression`).
    pub relation: Option<TimeRelation>,
    /// Integrator tolerance.
    pub tolerance: Option<f64>,
}

impl OdeParams {
    /// The field as `x' = ..., y' = ...` (as written, or normalised).
    pub fn field_formula(&self, normalised: bool) -> String {
        let f = if normalised {
            &self.field_normalised
        } else {
            &self.field_text
        };
        self.names
            .iter()
            .zip(f)
            .map(|(n, e)| format!("{n}' = {e}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The certificate's statement: the field as written and normalised, and the relation.
    pub fn statement(&self) -> String {
        let rel = self.relation.as_ref().map_or(String::new(), |r| {
            format!(", and {} (normalised: {})", r.text, r.normalised)
        });
        format!(
            "the validated trajectory of the user's vector field {} (normalised: {}) from the \
             exact start satisfies every stated bound{rel}",
            self.field_formula(false),
            self.field_formula(true)
        )
    }
}

/// The kind's fields.
pub const FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of every component of the final \
         enclosure of the state at the horizon T, for *proved*",
    ),
    (
        "state",
        Need::Required,
        "the names of the state components, e.g. [\"x\", \"y\", \"z\"] (1 to 64 distinct \
         identifiers)",
    ),
    (
        "field",
        Need::Required,
        "the vector field, one claim-language expression over the state names per component \
         (`x' = field[0]`, ...), e.g. [\"10*(y - x)\", \"x*(28 - z) - y\", \"x*y - 8/3*z\"]; \
         smooth: + - * /, integer powers, exp, log, log1p, expm1, sqrt",
    ),
    (
        "start",
        Need::Required,
        "the exact start state, one value per state name",
    ),
    (
        "horizon",
        Need::Required,
        "the time horizon T (exact, in (0, 1000000])",
    ),
    (
        "bounds",
        Need::Optional,
        "the bounds to certify, each { quantity = \"x + y\", at = \"end\", \"all\" or an exact \
         time, below = \"...\", above = \"...\" }: the quantity is an expression over the \
         state names (d/dt along the field); at least one bound, one `decreasing` quantity or \
         an `expression`",
    ),
    (
        "decreasing",
        Need::Optional,
        "expressions over the state names certified strictly decreasing from step end to step \
         end",
    ),
    (
        "expression",
        Need::Optional,
        "a relation between times, each state value inside `at(time, e)` with time `T` (the \
         horizon) or an exact number, e.g. \"at(T, x*x + y*y) < at(0, x*x + y*y)\"",
    ),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1) (default: from the precision)",
    ),
];

fn quantity_over(
    text: &str,
    names: &[String],
    field: &Program,
    ctx: &Ctx,
    at: &str,
) -> Result<ExprQuantity, ClaimError> {
    let e_err = |e: expr::ExprError| ctx.err(at, e.one_line());
    let e = expr::normalise(&expr::parse_expr_over(text, names).map_err(e_err)?, 2);
    let program = expr::compile_field(&[&e], names.len(), text)
        .map_err(e_err)?
        .with_user_field(field.clone());
    Ok(ExprQuantity {
        text: text.to_string(),
        normalised: e.to_string(),
        program,
    })
}

/// Validate the kind's own fields (after the common ones, [`super::registry::validate`]).
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    if spec.state.is_empty() {
        return Err(ctx.err(
            "state",
            "missing: the names of the state, e.g. [\"x\", \"y\"]",
        ));
    }
    let names = spec.state.clone();
    expr::validate_state_names(&names).map_err(|m| ctx.err("state", m))?;
    if spec.field.len() != names.len() {
        return Err(ctx.err(
            "field",
            format!(
                "{} components for a state of {} names ({}): give one expression per name",
                spec.field.len(),
                names.len(),
                names.join(", ")
            ),
        ));
    }
    let mut parsed = Vec::new();
    for (i, text) in spec.field.iter().enumerate() {
        let at = format!("field[{i}]");
        let e = expr::parse_expr_over(text, &names).map_err(|e| ctx.err(&at, e.one_line()))?;
        if e.has_ddt() {
            return Err(ctx.err(
                &at,
                format!(
                    "`d/dt` inside the vector field: `{}'` must be an expression of the state",
                    names[i]
                ),
            ));
        }
        let e = expr::normalise(&e, 2);
        // compiled alone first: its errors (t, at) name its column
        let one = expr::compile_field(&[&e], names.len(), text)
            .map_err(|e| ctx.err(&at, e.one_line()))?;
        if !one.is_smooth() {
            return Err(ctx.err(
                &at,
                "abs, min and max are not smooth: the validated Taylor integrator needs a \
                 smooth field (+ - * /, integer powers, exp, log, log1p, expm1, sqrt)",
            ));
        }
        parsed.push(e);
    }
    let refs: Vec<&Expr> = parsed.iter().collect();
    let field = expr::compile_field(&refs, names.len(), &spec.field.join(", "))
        .map_err(|e| ctx.err("field", e.one_line()))?;
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing"))?;
    let start = expand_vector(start_spec, "start", file, &spec.id)?;
    if start.len() != names.len() {
        return Err(ctx.err(
            "start",
            format!(
                "{} values for a state of {} names: give one per name",
                start.len(),
                names.len()
            ),
        ));
    }
    let horizon = horizon(spec, ctx)?;
    if spec.bounds.len() + spec.decreasing.len() > MAX_BOUNDS {
        return Err(ctx.err(
            "bounds",
            format!("more than {MAX_BOUNDS} bounds and decreasing quantities"),
        ));
    }
    if spec.bounds.is_empty() && spec.decreasing.is_empty() && spec.expression.is_none() {
        return Err(ctx.err(
            "bounds",
            "missing: at least one bound (or a `decreasing` quantity, or an `expression`) to \
             certify",
        ));
    }
    let time_of = |at: &str, t: Rational| {
        if t < 0 || t > horizon {
            Err(ctx.err(
                at,
                format!("the time {t} is outside [0, horizon] = [0, {horizon}]"),
            ))
        } else {
            Ok(t)
        }
    };
    let mut bounds = Vec::new();
    let mut bound_programs = Vec::new();
    let mut bound_times = Vec::new();
    for (i, b) in spec.bounds.iter().enumerate() {
        let f = |name: &str| format!("bounds[{i}].{name}");
        bound_programs.push(quantity_over(
            &b.quantity,
            &names,
            &field,
            ctx,
            &f("quantity"),
        )?);
        let (everywhere, time) = match b.at.as_str() {
            "end" => (false, None),
            "all" => (true, None),
            other => match parse_exact(other) {
                Ok(t) => (false, Some(time_of(&f("at"), t)?)),
                Err(_) => {
                    return Err(ctx.err(
                        &f("at"),
                        format!(
                            "`{other}`: expected `end`, `all` or an exact time in [0, horizon]"
                        ),
                    ))
                }
            },
        };
        bound_times.push(time);
        bounds.push(Bound::from_spec(ctx, i, b, everywhere)?);
    }
    let decreasing = spec
        .decreasing
        .iter()
        .enumerate()
        .map(|(i, q)| quantity_over(q, &names, &field, ctx, &format!("decreasing[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let relation = match spec.expression.as_deref() {
        None => None,
        Some(text) => {
            let e_err = |e: expr::ExprError| ctx.err("expression", e.one_line());
            let r = expr::parse_trajectory_relation_over(text, &names).map_err(e_err)?;
            let lhs = expr::normalise(&r.lhs, 2);
            let rhs = expr::normalise(&r.rhs, 2);
            let diff = Expr::Bin(BinOp::Sub, Box::new(lhs.clone()), Box::new(rhs.clone()));
            let mut found = Vec::new();
            collect_probes(&diff, &mut found).map_err(|m| ctx.err("expression", m))?;
            if found.is_empty() {
                return Err(ctx.err(
                    "expression",
                    "no `at(time, e)`: a relation between times compares values at times, \
                     e.g. `at(T, x) < at(0, x)` (for a bound on a quantity use `bounds`)",
                ));
            }
            let mut probes = Vec::new();
            for (t, body) in found {
                let t = match t {
                    AtTime::Horizon => horizon.clone(),
                    AtTime::Time(q) => time_of("expression", q)?,
                };
                let body_text = body.to_string();
                let program = expr::compile_field(&[&body], names.len(), text)
                    .map_err(e_err)?
                    .with_user_field(field.clone());
                probes.push((
                    t,
                    ExprQuantity {
                        text: body_text.clone(),
                        normalised: body_text,
                        program,
                    },
                ));
            }
            Some(TimeRelation {
                text: text.to_string(),
                normalised: format!("{lhs} {} {rhs}", r.rel.symbol()),
                rel: r.rel,
                diff,
                probes,
            })
        }
    };
    Ok(Params::Ode(Box::new(OdeParams {
        field_text: spec.field.clone(),
        field_normalised: parsed.iter().map(ToString::to_string).collect(),
        names,
        field,
        start,
        horizon,
        bounds,
        bound_programs,
        bound_times,
        decreasing,
        relation,
        tolerance: tolerance(spec, ctx)?,
    })))
}

fn bounds_of<T: Enclosure>(x: &T) -> (String, String) {
    if x.is_finite() {
        x.to_decimal_bounds(17)
    } else {
        (format!("{}", x.lower_f64()), format!("{}", x.upper_f64()))
    }
}

/// The series of state component `i` along `tr`, merged down to at most
/// [`MAX_SERIES_POINTS`] points (hull of the ranges, end of the last step of each chunk).
fn component_series<T: Enclosure>(name: &str, i: usize, tr: &Trajectory<T>) -> Option<Series> {
    if tr.steps.is_empty() {
        return None;
    }
    let per = tr.steps.len().div_ceil(MAX_SERIES_POINTS);
    let mut points = Vec::new();
    for chunk in tr.steps.chunks(per) {
        let over = chunk
            .iter()
            .map(|s| s.range[i].clone())
            .reduce(|a, b| a.hull(&b))?;
        let last = chunk.last()?;
        let (lower, upper) = bounds_of(&over);
        let (end_lower, end_upper) = bounds_of(&last.end[i]);
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

/// Evaluate an `ode` claim on backend `T` at `prec` bits (decision rule: module docs).
pub fn evaluate<T: Enclosure + expr::Scalar>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Ode(p) = &claim.params else {
        unreachable!("validated kind")
    };
    let x0: Vec<T> = p.start.iter().map(|q| T::from_rational(q, prec)).collect();
    let opts = SolverOptions {
        tolerance: p.tolerance,
        ..SolverOptions::default()
    };
    let tr = match integrate(&CompiledField(p.field.clone()), &x0, &p.horizon, &opts) {
        Ok(tr) => tr,
        Err(e) => return integration_failed(&e),
    };
    let end = tr.end();
    let max_width = end.iter().map(|x| x.width_upper()).fold(0.0, f64::max);
    let width_ok = widths_within(end, &claim.width_bound);
    let mut checks = vec![
        Check {
            name: "validated integration reached the horizon".into(),
            passed: true,
            detail: format!("{} steps, Taylor order {}", tr.steps.len(), tr.order),
        },
        Check {
            name: "final enclosure width <= width_bound".into(),
            passed: width_ok,
            detail: format!("widest {max_width:.3e}"),
        },
    ];
    let mut enclosures: Vec<EnclosureRecord> = end
        .iter()
        .zip(&p.names)
        .map(|(x, n)| EnclosureRecord::from_enclosure(format!("{n}(T)"), x))
        .collect();
    let mut bound_decisions = Vec::new();
    for ((b, q), time) in p.bounds.iter().zip(&p.bound_programs).zip(&p.bound_times) {
        let values: Option<Vec<T>> = bound_states(&tr, time.as_ref(), b.everywhere)
            .and_then(|st| st.into_iter().map(|x| q.eval(x, prec)).collect());
        let decision = values.map_or_else(Decision::undecided, |v| {
            decide_bound_along(&v, b.above.as_ref(), b.below.as_ref())
        });
        let name = format!("{}(T)", b.quantity);
        if let Some(v) = q
            .eval(end, prec)
            .filter(|_| !enclosures.iter().any(|e| e.name == name))
        {
            enclosures.push(EnclosureRecord::from_enclosure(name, &v));
        }
        let bound_text = b.written();
        checks.push(Check {
            name: match time {
                Some(t) => format!("{bound_text} at t = {t}"),
                None if b.everywhere => format!("{bound_text} on [0, T]"),
                None => format!("{bound_text} at T"),
            } + &format!(" (normalised: {})", q.normalised),
            passed: decision.verdict == Verdict::Proved,
            detail: decision_detail(&decision, "undecided"),
        });
        bound_decisions.push(decision);
    }
    if let Some(r) = &p.relation {
        let (diff, check, decision) = relation_check(r, &tr, prec);
        if let Some(d) = &diff {
            enclosures.push(EnclosureRecord::from_enclosure("lhs - rhs (expression)", d));
        }
        checks.push(check);
        bound_decisions.push(decision);
    }
    let mut decreasing_decisions = Vec::new();
    for q in &p.decreasing {
        let (check, decision) = decreasing_check(
            &tr,
            format!(
                "{} strictly decreasing from step to step (normalised: {})",
                q.text, q.normalised
            ),
            |x| q.eval(x, prec),
        );
        checks.push(check);
        decreasing_decisions.push(decision);
    }
    let (verdict, margin) = conclude(bound_decisions, &decreasing_decisions, width_ok);
    let series = p
        .names
        .iter()
        .enumerate()
        .take(MODES_IN_SERIES_UP_TO)
        .filter_map(|(i, n)| component_series(n, i, &tr))
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

/// The exact inputs written into the certificate: the state, the field as written and
/// normalised, the start, the horizon.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::Ode(p) = params else {
        return serde_json::Value::Null;
    };
    serde_json::json!({
        "state": p.names,
        "field": p.field_text,
        "field_normalised": p.field_normalised,
        "start": exact_vector(&p.start),
        "horizon": p.horizon.to_string(),
    })
}

/// The registry entry of kind `ode`.
pub const ENTRY: KindEntry = KindEntry {
    name: "ode",
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate),
    statement: |c| match &c.params {
        Params::Ode(p) => p.statement(),
        _ => String::new(),
    },
    exact_inputs,
};
