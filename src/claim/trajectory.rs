//! `trajectory` claims: integrate a reduced flow with the validated integrator from an exact
//! start and certify bounds on quantities along it (MATH.md sections 4-8).

use super::schema::{Bound, Claim, Flow};
use super::{all_of, Evaluation, Params};
use crate::arith::Enclosure;
use crate::cert::{Check, EnclosureRecord, Series, SeriesPoint, Verdict};
use crate::ode::lohner::{integrate, IntegrationError, SolverOptions, Trajectory};
use crate::spectral::field::enclose_spectral_loss;
use crate::spectral::flows::{BalancedFlow, NcRayFlow, UnbalancedFlow};
use crate::spectral::lyapunov::{enclose_lyapunov, enclose_m1, enclose_m2, enclose_m3, enclose_m4};
use crate::spectral::ncray::enclose_nc_ray_loss;
use rug::Rational;

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

/// Certainty that `x` satisfies the bound: Some(true) certainly, Some(false) certainly not,
/// None undecided. Also returns the distance to the bound: on the safe side when it holds,
/// the size of the violation when it certainly fails.
fn judge<T: Enclosure>(x: &T, b: &Bound) -> (Option<bool>, f64) {
    if !x.is_finite() {
        return (None, 0.0);
    }
    let (lo, hi) = (
        x.lower_exact().unwrap_or_default(),
        x.upper_exact().unwrap_or_default(),
    );
    let mut holds = Some(true);
    let mut margin = f64::INFINITY;
    if let Some(below) = &b.below {
        if hi < *below {
            margin = margin.min(Rational::from(below - &hi).to_f64());
        } else if lo >= *below {
            holds = Some(false);
            return (holds, Rational::from(&lo - below).to_f64());
        } else {
            holds = holds.and(None);
        }
    }
    if let Some(above) = &b.above {
        if lo > *above {
            margin = margin.min(Rational::from(&lo - above).to_f64());
        } else if hi <= *above {
            holds = Some(false);
            return (holds, Rational::from(above - &hi).to_f64());
        } else if holds == Some(true) {
            holds = None;
        }
    }
    (holds, margin)
}

/// Evaluate a trajectory claim on backend `T` at `prec` bits.
///
/// Decision rule: *proved* when the integration reaches the horizon, the final enclosure is at
/// most `width_bound` wide, and every bound holds for the whole enclosure (strictly);
/// *refuted* when some bound fails for the whole enclosure; *undecided* otherwise (including
/// an integration that could not be validated).
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32) -> Evaluation {
    let Params::Trajectory {
        flow,
        k,
        start,
        horizon,
        bounds,
        decreasing,
        tolerance,
    } = &claim.params
    else {
        unreachable!("validated kind")
    };
    let x0: Vec<T> = start.iter().map(|q| T::from_rational(q, prec)).collect();
    let opts = SolverOptions {
        tolerance: *tolerance,
        ..SolverOptions::default()
    };
    let tr = match integrate_flow(*flow, *k, &x0, horizon, &opts) {
        Ok(tr) => tr,
        Err(e) => {
            return Evaluation {
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
    };
    let end = tr.end();
    let max_width = end.iter().map(|x| x.width_upper()).fold(0.0, f64::max);
    let width_ok = Rational::from_f64(max_width).is_some_and(|w| w <= claim.width_bound);
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
        .enumerate()
        .take(64)
        .map(|(i, x)| EnclosureRecord::from_enclosure(format!("x_{i}(T)"), x))
        .collect();
    let mut verdict_holds = Some(true);
    let mut margin = f64::INFINITY;
    let mut violation: Option<f64> = None;
    for b in bounds {
        let mut states: Vec<&[T]> = vec![end];
        if b.everywhere {
            states = std::iter::once(tr.start.as_slice())
                .chain(tr.steps.iter().map(|s| s.range.as_slice()))
                .collect();
        }
        let mut holds = Some(true);
        let mut worst = f64::INFINITY;
        let mut violated_by: Option<f64> = None;
        for x in states {
            let Some(v) = quantity(&b.quantity, *flow, *k, x) else {
                holds = None;
                break;
            };
            let (h, m) = judge(&v, b);
            if h == Some(false) {
                violated_by = Some(violated_by.map_or(m, |w: f64| w.max(m)));
            } else {
                worst = worst.min(m);
            }
            holds = all_of(holds, h);
        }
        let name = format!("{}(T)", b.quantity);
        if let Some(v) = quantity(&b.quantity, *flow, *k, end)
            .filter(|_| !enclosures.iter().any(|e| e.name == name))
        {
            enclosures.push(EnclosureRecord::from_enclosure(
                format!("{}(T)", b.quantity),
                &v,
            ));
        }
        let bound_text = format!(
            "{}{}{}",
            b.above
                .as_ref()
                .map_or(String::new(), |a| format!("{a} < ")),
            b.quantity,
            b.below
                .as_ref()
                .map_or(String::new(), |x| format!(" < {x}"))
        );
        checks.push(Check {
            name: format!(
                "{bound_text} {}",
                if b.everywhere { "on [0, T]" } else { "at T" }
            ),
            passed: holds == Some(true),
            detail: match holds {
                Some(true) => format!("margin {worst:.3e}"),
                Some(false) => format!("certainly violated, by {:.3e}", violated_by.unwrap_or(0.0)),
                None => "undecided".into(),
            },
        });
        margin = margin.min(worst);
        if let Some(v) = violated_by {
            violation = Some(violation.map_or(v, |w| w.max(v)));
        }
        verdict_holds = all_of(verdict_holds, holds);
    }
    for q in decreasing {
        let values: Vec<T> = std::iter::once(tr.start.as_slice())
            .chain(tr.steps.iter().map(|s| s.end.as_slice()))
            .filter_map(|x| quantity(q, *flow, *k, x))
            .collect();
        let (mut certified, mut unresolved_at, mut increased_at) = (0usize, None, None);
        for (i, pair) in values.windows(2).enumerate() {
            if pair[1].certainly_lt(&pair[0]) {
                if unresolved_at.is_none() {
                    certified += 1;
                }
            } else if pair[0].certainly_lt(&pair[1]) {
                increased_at.get_or_insert(i);
            } else {
                unresolved_at.get_or_insert(i);
            }
        }
        let holds = match (increased_at, certified) {
            (Some(_), _) => Some(false),
            (None, 0) => None,
            _ => Some(true),
        };
        let until = unresolved_at.map_or_else(
            || "every step".to_string(),
            |i| format!("t = {:.4} (later steps: changes below the enclosure width, none certainly increasing)", tr.steps[i].t0.to_f64()),
        );
        checks.push(Check {
            name: format!("{q} strictly decreasing from step to step"),
            passed: holds == Some(true),
            detail: match increased_at {
                Some(i) => format!(
                    "certainly increases over step {i} (t = {:.4})",
                    tr.steps[i].t0.to_f64()
                ),
                None => format!(
                    "certified over the first {certified} of {} steps, up to {until}",
                    values.len().saturating_sub(1)
                ),
            },
        });
        verdict_holds = all_of(verdict_holds, holds);
    }
    let verdict = match verdict_holds {
        Some(false) => Verdict::Refuted,
        Some(true) if width_ok => Verdict::Proved,
        _ => Verdict::Undecided,
    };
    let series = series_names(*flow, *k, start)
        .iter()
        .filter_map(|n| series_of(n, *flow, *k, &tr))
        .collect();
    Evaluation {
        verdict,
        enclosures,
        checks,
        margin: match verdict {
            Verdict::Proved => Some(format!("{margin:.6e}")),
            Verdict::Refuted => violation.map(|v| format!("{v:.6e}")),
            Verdict::Undecided | Verdict::Empirical => None,
        },
        max_width,
        series,
    }
}
