//! Kind `region-map`: a certified map of where a metric can grow, on a two-dimensional slice of
//! the normalised balanced state space (docs/math.md section 7.7).
//!
//! The slice: an exact base state `x_1..x_{K-1}` (normalised, `lambda_0 = 0`), two free
//! coordinates (`x<m>`, a normalised entry, or `scale`, `S = sum_{m!=0} lambda_m`) each with an
//! exact range, the entries that are not axes following affinely (scaled by one common factor,
//! or one `tie` mode absorbing the change) so the state stays normalised, and the scale fixed
//! to an interval when it is not an axis. The slice is cut into an `n x n` grid of cells, and
//! each cell is subdivided (quadtree, exact midpoints) up to `max_depth`. A (sub)box is
//!
//! * **green** when the enclosure of `rate / (1 - p(0))` over the box has upper end `<= 0`,
//! * **red** when its lower end is `> 0` (growth certified at every state of the box),
//! * **grey** when neither holds at the depth limit,
//! * **excluded** when it lies inside the closed max-norm ball of radius `nc_radius` around the
//!   uniform spectrum (no claim is made there).
//!
//! The enclosure is the intersection of the natural and the mean-value form of the rate the
//! region prover decides its boxes on ([`RateQuantity::enclose_scaled_rate`], the same routine,
//! not a copy), evaluated on forward-mode dual numbers over the slice variables (the mode axes
//! and the scale: the state is `S x(w)` with `x` affine in the axes, so the derivative is taken
//! along the slice itself, not over the K - 1 modes); the mean-value form is about the exact
//! centre of the box. Both contain the rate at every state of the box, so their intersection
//! does. `1 - p(0) > 0`, so the sign is the rate's sign.

use super::registry::KindEntry;
use super::schema::{exact, ClaimError, ClaimSpec, Ctx, FieldHelp, Need};
use super::{Claim, Evaluation, Params, RunContext};
use crate::arith::{exact_decimal, Enclosure, Field, Real};
use crate::cert::{margin_lower, Check, EnclosureRecord, Verdict};
use crate::ode::dual::DualN;
use crate::prove::region::RateQuantity;
use rayon::prelude::*;
use rug::Rational;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The kind name.
pub const KIND: &str = "region-map";
/// Largest grid (cells per axis).
pub const MAX_GRID: usize = 64;
/// Largest subdivision depth of a cell.
pub const MAX_MAP_DEPTH: u32 = 12;
/// Largest `max_boxes`.
pub const MAX_MAP_BOXES: u64 = 10_000_000;

/// A free coordinate of the slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coordinate {
    /// The normalised entry `x_m` (label 1..K-1).
    Mode(usize),
    /// The scale `S = sum_{m!=0} lambda_m`.
    Scale,
}

impl Coordinate {
    /// Its name in certificates (`x3`, `scale`).
    pub fn name(&self) -> String {
        match self {
            Coordinate::Mode(m) => format!("x{m}"),
            Coordinate::Scale => "scale".into(),
        }
    }
}

/// A validated map claim.
#[derive(Clone, Debug)]
pub struct MapParams {
    /// M1 (as d(M1^2)/dt), M2 or M3.
    pub quantity: RateQuantity,
    /// K.
    pub k: usize,
    /// The base state `x_1..x_{K-1}` (exact, sums to 1).
    pub base: Vec<Rational>,
    /// The two axes and their exact ranges `[lo, hi]`, lo < hi.
    pub axes: [(Coordinate, Rational, Rational); 2],
    /// The tie mode (`None`: proportional).
    pub tie: Option<usize>,
    /// The scale interval when no axis is the scale.
    pub scale: Option<(Rational, Rational)>,
    /// Cells per axis.
    pub grid: usize,
    /// The excluded ball's radius (0: nothing excluded).
    pub nc_radius: Rational,
    /// Deepest subdivision of a cell.
    pub max_depth: u32,
    /// Most boxes evaluated before *undecided*.
    pub max_boxes: u64,
    /// `x_m = alpha_m + sum_i coef_m[i] w_i`, `w_i` the value of the i-th axis that is a mode
    /// (`mode_axes[i]` its axis index): exact.
    pub alpha: Vec<Rational>,
    /// See `alpha`.
    pub coef: Vec<Vec<Rational>>,
    /// Indices (0 = x, 1 = y) of the axes that are modes.
    pub mode_axes: Vec<usize>,
}

impl MapParams {
    /// `x(w)` at exact axis values `t = (t_x, t_y)` (the scale axis, if any, is ignored).
    pub fn normalised_at(&self, t: [&Rational; 2]) -> Vec<Rational> {
        (0..self.k - 1)
            .map(|m| {
                let mut v = self.alpha[m].clone();
                for (i, &a) in self.mode_axes.iter().enumerate() {
                    v += Rational::from(&self.coef[m][i] * t[a]);
                }
                v
            })
            .collect()
    }

    /// The scale range of a box with axis ranges `b` (`[lo_x, hi_x, lo_y, hi_y]`).
    fn scale_range(&self, b: &[Rational; 4]) -> (Rational, Rational) {
        match self.axes.iter().position(|a| a.0 == Coordinate::Scale) {
            Some(i) => (b[2 * i].clone(), b[2 * i + 1].clone()),
            None => self.scale.clone().expect("validated: a scale interval"),
        }
    }

    /// The exact ranges of `x_m` over the box (affine: the ends are at corners).
    fn x_ranges(&self, b: &[Rational; 4]) -> Vec<(Rational, Rational)> {
        let corners: Vec<Vec<Rational>> = [(0, 2), (1, 2), (0, 3), (1, 3)]
            .iter()
            .map(|&(i, j)| self.normalised_at([&b[i], &b[j]]))
            .collect();
        (0..self.k - 1)
            .map(|m| {
                let lo = corners.iter().map(|c| &c[m]).min().expect("4 corners");
                let hi = corners.iter().map(|c| &c[m]).max().expect("4 corners");
                (lo.clone(), hi.clone())
            })
            .collect()
    }
}

/// The colour of a box of the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Colour {
    /// rate <= 0 on the whole box.
    Green,
    /// rate > 0 on the whole box.
    Red,
    /// Undecided at the depth limit.
    Grey,
    /// Inside the excluded NC ball.
    Excluded,
}

impl Colour {
    /// Its name in certificates.
    pub fn name(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Red => "red",
            Colour::Grey => "grey",
            Colour::Excluded => "excluded",
        }
    }
}

/// A box of the map (axis ranges exact) with its colour and, unless excluded, the enclosure of
/// `rate / (1 - p(0))` over it.
#[derive(Clone, Debug)]
pub struct MapBox<T> {
    /// `[lo_x, hi_x, lo_y, hi_y]`.
    pub b: [Rational; 4],
    /// Subdivision depth within its cell.
    pub depth: u32,
    /// Its colour.
    pub colour: Colour,
    /// The enclosure (None for excluded boxes).
    pub enclosure: Option<T>,
}

/// The state `(0, S x(w))` of the slice, `w` the values of the mode axes (in `mode_axes`
/// order): generic, so that it runs on intervals and on dual numbers over the slice variables.
fn slice_state<R: Real>(p: &MapParams, w: &[R], s: &R, prec: u32) -> Vec<R> {
    let mut lambda = vec![R::zero()];
    for m in 0..p.k - 1 {
        let mut x = R::from_rational(&p.alpha[m], prec);
        for (i, wi) in w.iter().enumerate() {
            if p.coef[m][i] != 0 {
                x += R::from_rational(&p.coef[m][i], prec) * wi;
            }
        }
        lambda.push(s.clone() * &x);
    }
    lambda
}

/// The rate divided by `1 - p(0)`, enclosed over the states of the slice box `b` (see the
/// module docs): the intersection of the natural form and the mean-value form in the slice
/// variables (the mode axes and the scale), both from the region prover's per-box rate
/// [`RateQuantity::enclose_scaled_rate`] evaluated on dual numbers over those variables.
///
/// Guarantee: contains `rate / (1 - p(0))` at every state `S x(t)` with `t` in `b` and `S` in
/// the box's scale range.
pub fn enclose_on_slice_box<T: Enclosure>(p: &MapParams, b: &[Rational; 4], prec: u32) -> T {
    let iv =
        |lo: &Rational, hi: &Rational| T::from_rational(lo, prec).hull(&T::from_rational(hi, prec));
    let (s_lo, s_hi) = p.scale_range(b);
    let s_varies = s_hi > s_lo;
    // Variables 0 and 1: the mode axes; 2: the scale (when it is a range).
    let w: Vec<DualN<T, 3>> = p
        .mode_axes
        .iter()
        .enumerate()
        .map(|(i, &a)| DualN::variable(iv(&b[2 * a], &b[2 * a + 1]), i))
        .collect();
    let s = if s_varies {
        DualN::variable(iv(&s_lo, &s_hi), 2)
    } else {
        DualN::from_rational(&s_lo, prec)
    };
    let r = p
        .quantity
        .enclose_scaled_rate(&slice_state(p, &w, &s, prec));
    // The mean-value form about the exact centre.
    let mid = |lo: &Rational, hi: &Rational| Rational::from(lo + hi) / 2u32;
    let c: Vec<Rational> = p
        .mode_axes
        .iter()
        .map(|&a| mid(&b[2 * a], &b[2 * a + 1]))
        .collect();
    let s_c = mid(&s_lo, &s_hi);
    let w_c: Vec<T> = c.iter().map(|v| T::from_rational(v, prec)).collect();
    let mut mv =
        p.quantity
            .enclose_scaled_rate(&slice_state(p, &w_c, &T::from_rational(&s_c, prec), prec));
    for (i, &a) in p.mode_axes.iter().enumerate() {
        let delta = iv(
            &Rational::from(&b[2 * a] - &c[i]),
            &Rational::from(&b[2 * a + 1] - &c[i]),
        );
        mv += r.partial(i) * &delta;
    }
    if s_varies {
        mv += r.partial(2) * &iv(&Rational::from(&s_lo - &s_c), &Rational::from(&s_hi - &s_c));
    }
    let value = r.value;
    value.intersect(&mv).unwrap_or(value)
}

/// Whether the box lies in the closed max-norm ball of radius `nc_radius` around the uniform
/// spectrum (exact comparison).
fn excluded(p: &MapParams, b: &[Rational; 4]) -> bool {
    if p.nc_radius <= 0 {
        return false;
    }
    let u = Rational::from((1, p.k as i64 - 1));
    let (lo, hi) = (
        Rational::from(&u - &p.nc_radius),
        Rational::from(&u + &p.nc_radius),
    );
    p.x_ranges(b).iter().all(|(a, c)| *a >= lo && *c <= hi)
}

/// The boxes of one (sub)box, depth first (children: lower-left, lower-right, upper-left,
/// upper-right); `None` if the box budget ran out. Four children of one colour, green or red,
/// are recorded as their parent with the hull of their enclosures (the rate at every state of
/// the parent lies in one child's enclosure, so in the hull, whose upper end is `<= 0`, or lower
/// end `> 0`, as each child's is).
fn map_box<T: Enclosure>(
    p: &MapParams,
    b: [Rational; 4],
    depth: u32,
    prec: u32,
    budget: &AtomicU64,
) -> Option<Vec<MapBox<T>>> {
    if budget.fetch_add(1, Ordering::Relaxed) >= p.max_boxes {
        return None;
    }
    if excluded(p, &b) {
        return Some(vec![MapBox {
            b,
            depth,
            colour: Colour::Excluded,
            enclosure: None,
        }]);
    }
    let e: T = enclose_on_slice_box(p, &b, prec);
    let colour = if e.upper_f64() <= 0.0 {
        Colour::Green
    } else if e.certainly_positive() {
        Colour::Red
    } else if depth >= p.max_depth {
        Colour::Grey
    } else {
        let mx = Rational::from(&b[0] + &b[1]) / 2u32;
        let my = Rational::from(&b[2] + &b[3]) / 2u32;
        let children = [
            [b[0].clone(), mx.clone(), b[2].clone(), my.clone()],
            [mx.clone(), b[1].clone(), b[2].clone(), my.clone()],
            [b[0].clone(), mx.clone(), my.clone(), b[3].clone()],
            [mx, b[1].clone(), my, b[3].clone()],
        ];
        let mut out: Vec<MapBox<T>> = Vec::new();
        for ch in children {
            out.extend(map_box(p, ch, depth + 1, prec, budget)?);
        }
        let same = out.len() == 4
            && out.iter().all(|c| c.colour == out[0].colour)
            && matches!(out[0].colour, Colour::Green | Colour::Red);
        if same {
            let mut hull: T = out[0].enclosure.clone().expect("coloured");
            for c in &out[1..] {
                hull = hull.hull(c.enclosure.as_ref().expect("coloured"));
            }
            return Some(vec![MapBox {
                b,
                depth,
                colour: out[0].colour,
                enclosure: Some(hull),
            }]);
        }
        return Some(out);
    };
    Some(vec![MapBox {
        b,
        depth,
        colour,
        enclosure: Some(e),
    }])
}

/// Every box of the map of `p` on backend `T` at `prec` bits, cells row by row from the lower
/// left (x fastest); `None` if more than `max_boxes` boxes were needed. The cells run in
/// parallel; the result does not depend on the number of threads.
pub fn map_boxes<T: Enclosure>(p: &MapParams, prec: u32) -> Option<Vec<MapBox<T>>> {
    let n = p.grid;
    let at = |i: usize, j: usize| {
        let (lo, hi) = (&p.axes[i].1, &p.axes[i].2);
        Rational::from(lo + Rational::from(hi - lo) * Rational::from((j as i64, n as i64)))
    };
    let cells: Vec<[Rational; 4]> = (0..n)
        .flat_map(|r| (0..n).map(move |c| (r, c)))
        .map(|(r, c)| [at(0, c), at(0, c + 1), at(1, r), at(1, r + 1)])
        .collect();
    let budget = AtomicU64::new(0);
    let parts: Vec<Option<Vec<MapBox<T>>>> = cells
        .into_par_iter()
        .map(|cell| map_box(p, cell, 0, prec, &budget))
        .collect();
    let mut out = Vec::new();
    for part in parts {
        out.extend(part?);
    }
    Some(out)
}

/// The box as certificates write it: `x1 in [a, b], scale in [c, d] (depth n)`, exact.
pub fn show_box(p: &MapParams, b: &[Rational; 4], depth: u32) -> String {
    format!(
        "{} in [{}, {}], {} in [{}, {}] (depth {depth})",
        p.axes[0].0.name(),
        exact_decimal(&b[0]),
        exact_decimal(&b[1]),
        p.axes[1].0.name(),
        exact_decimal(&b[2]),
        exact_decimal(&b[3]),
    )
}

/// Evaluate a map claim on backend `T` at `prec` bits.
///
/// *proved*: every box of the map got its colour from its recorded enclosure (green: upper end
/// `<= 0`, red: lower end `> 0`, grey: neither at the depth limit, excluded: inside the NC ball),
/// so the statement follows box by box; *undecided*: the box budget ran out.
///
/// Margin: the smallest clearance of a coloured box's enclosure from 0 (`-upper` of a green box,
/// `lower` of a red one), rounded down; `0` when no box is coloured.
pub fn evaluate<T: Enclosure>(claim: &Claim, prec: u32, _ctx: &RunContext) -> Evaluation {
    let Params::RegionMap(p) = &claim.params else {
        unreachable!("validated kind")
    };
    let rate = p.quantity.rate_name();
    let Some(boxes) = map_boxes::<T>(p, prec) else {
        return Evaluation {
            verdict: Verdict::Undecided,
            enclosures: vec![],
            checks: vec![Check {
                name: "map completed within the box budget".into(),
                passed: false,
                detail: format!(
                    "more than {} boxes needed (grid {} x {}, depth {}): raise max_boxes or lower \
                     max_depth",
                    p.max_boxes, p.grid, p.grid, p.max_depth
                ),
            }],
            margin: None,
            max_width: f64::INFINITY,
            series: vec![],
        };
    };
    let total_area =
        Rational::from(&p.axes[0].2 - &p.axes[0].1) * Rational::from(&p.axes[1].2 - &p.axes[1].1);
    let mut checks = Vec::new();
    let mut enclosures = Vec::new();
    let mut slack: Option<T> = None;
    let mut summary = Vec::new();
    for colour in [Colour::Green, Colour::Red, Colour::Grey, Colour::Excluded] {
        let mine: Vec<&MapBox<T>> = boxes.iter().filter(|b| b.colour == colour).collect();
        let area = mine.iter().fold(Rational::new(), |a, b| {
            a + Rational::from(&b.b[1] - &b.b[0]) * Rational::from(&b.b[3] - &b.b[2])
        });
        let fraction = area / &total_area;
        summary.push(format!(
            "{}: {} boxes, area fraction {} (~{:.4})",
            colour.name(),
            mine.len(),
            exact_decimal(&fraction),
            fraction.to_f64()
        ));
        checks.push(Check {
            name: format!("{} boxes", colour.name()),
            passed: true,
            detail: format!(
                "{} boxes, area fraction {} (exact; ~{:.4}){}",
                mine.len(),
                exact_decimal(&fraction),
                fraction.to_f64(),
                match colour {
                    Colour::Green =>
                        format!(": {rate} <= 0 on each (upper end of the enclosure <= 0)"),
                    Colour::Red => format!(": {rate} > 0 on each (lower end of the enclosure > 0)"),
                    Colour::Grey => format!(": undecided at depth {}", p.max_depth),
                    Colour::Excluded => format!(
                        ": inside the max-norm ball of radius {} around the uniform spectrum (no \
                         claim)",
                        p.nc_radius
                    ),
                }
            ),
        });
    }
    for b in &boxes {
        let what = show_box(p, &b.b, b.depth);
        match &b.enclosure {
            Some(e) => {
                let s = match b.colour {
                    Colour::Green => Some(-e.clone()),
                    Colour::Red => Some(e.clone()),
                    _ => None,
                };
                if let Some(s) = s {
                    if slack
                        .as_ref()
                        .map_or(true, |m| s.lower_f64() < m.lower_f64())
                    {
                        slack = Some(s);
                    }
                }
                enclosures.push(EnclosureRecord::from_enclosure(
                    format!("{} box {what}: ({rate}) / (1 - p(0))", b.colour.name()),
                    e,
                ));
            }
            None => checks.push(Check {
                name: format!("{} box", b.colour.name()),
                passed: true,
                detail: what,
            }),
        }
    }
    checks.insert(
        0,
        Check {
            name: format!(
                "map of the sign of {rate} on the slice: {} x {} cells, subdivided to depth {}",
                p.grid, p.grid, p.max_depth
            ),
            passed: true,
            detail: format!("{} boxes in all; {}", boxes.len(), summary.join("; ")),
        },
    );
    let margin = slack
        .as_ref()
        .and_then(margin_lower)
        .unwrap_or_else(|| "0".into());
    Evaluation {
        verdict: Verdict::Proved,
        enclosures,
        checks,
        margin: Some(margin),
        max_width: 0.0,
        series: vec![],
    }
}

// ---- schema: fields, validation, certificate text ----

pub const FIELDS: &[FieldHelp] = &[
    ("k", Need::Required, "the number of classes K (4 or 8)"),
    (
        "quantity",
        Need::Required,
        "`M1` (as d(M1^2)/dt), `M2` or `M3`: the metric whose rate is mapped",
    ),
    (
        "slice",
        Need::Required,
        "the slice: `base` (the normalised state x_1..x_{K-1}, exact, > 0, summing to 1), `x` and \
         `y` (each `{ coordinate = \"x<m>\" or \"scale\", range = [lo, hi] }`, lo < hi), `tie` \
         (optional: the mode that absorbs the change; absent: the other entries scale \
         proportionally) and `grid` (cells per axis, 1..=64)",
    ),
    (
        "scale",
        Need::Optional,
        "[lo, hi] of the scale sum_{m!=0} lambda_m (exact; required unless an axis is `scale`; \
         lo = hi fixes it)",
    ),
    (
        "nc_radius",
        Need::Optional,
        "boxes inside the max-norm ball of this radius around the uniform spectrum are excluded \
         (default 0: none)",
    ),
    (
        "max_depth",
        Need::Optional,
        "deepest subdivision of a cell (default 4, at most 12)",
    ),
    (
        "max_boxes",
        Need::Optional,
        "most boxes evaluated before *undecided* (default 10^6)",
    ),
    (
        "width_bound",
        Need::Optional,
        "not compared: the map decides signs box by box",
    ),
];

fn parse_coordinate(text: &str, k: usize) -> Option<Coordinate> {
    if text == "scale" {
        return Some(Coordinate::Scale);
    }
    let m: usize = text.strip_prefix('x')?.parse().ok()?;
    (1..k).contains(&m).then_some(Coordinate::Mode(m))
}

/// Validate a `region-map` claim.
pub fn validate(spec: &ClaimSpec, file: &Path) -> Result<Params, ClaimError> {
    let ctx = &Ctx::new(spec, file);
    let k = spec
        .k
        .ok_or_else(|| ctx.err("k", "missing: the number of classes K"))?;
    if k != 4 && k != 8 {
        return Err(ctx.err(
            "k",
            format!("K = {k}: a region-map claim supports K = 4 or 8"),
        ));
    }
    let quantity = match spec.quantity.as_deref() {
        Some("M1") => RateQuantity::M1,
        Some("M2") => RateQuantity::M2,
        Some("M3") => RateQuantity::M3,
        Some(other) => {
            return Err(ctx.err(
                "quantity",
                format!("unknown quantity `{other}` (M1, M2 or M3)"),
            ))
        }
        None => return Err(ctx.err("quantity", "missing (M1, M2 or M3)")),
    };
    let s = spec
        .slice
        .as_ref()
        .ok_or_else(|| ctx.err("slice", "missing: the slice (base, x, y, grid)"))?;
    if s.base.len() != k - 1 {
        return Err(ctx.err(
            "slice.base",
            format!("has length {} but K - 1 = {}", s.base.len(), k - 1),
        ));
    }
    let base: Vec<Rational> = s
        .base
        .iter()
        .map(|t| exact(ctx, "slice.base", t))
        .collect::<Result<_, _>>()?;
    if base.iter().any(|x| *x <= 0) {
        return Err(ctx.err("slice.base", "every entry must be > 0"));
    }
    let total = base.iter().fold(Rational::new(), |a, b| a + b);
    if total != 1 {
        return Err(ctx.err(
            "slice.base",
            format!("must sum to 1 (a normalised state), sums to {total}"),
        ));
    }
    let mut axes = Vec::new();
    for (name, a) in [("slice.x", &s.x), ("slice.y", &s.y)] {
        let c = parse_coordinate(&a.coordinate, k).ok_or_else(|| {
            ctx.err(
                &format!("{name}.coordinate"),
                format!("`{}`: must be `x1`..`x{}` or `scale`", a.coordinate, k - 1),
            )
        })?;
        let field = format!("{name}.range");
        if a.range.len() != 2 {
            return Err(ctx.err(&field, "must be [lo, hi]"));
        }
        let lo = exact(ctx, &field, &a.range[0])?;
        let hi = exact(ctx, &field, &a.range[1])?;
        if lo >= hi {
            return Err(ctx.err(
                &field,
                format!("a zero or reversed range [{lo}, {hi}]: need lo < hi"),
            ));
        }
        match c {
            Coordinate::Scale => {
                if lo <= 0 || hi > 1_000_000 || lo < Rational::from((1, 1_000_000)) {
                    return Err(ctx.err(&field, "the scale must lie in [1e-6, 1e6]"));
                }
            }
            Coordinate::Mode(_) => {
                if lo <= 0 || hi >= 1 {
                    return Err(ctx.err(&field, "a normalised entry must lie in (0, 1)"));
                }
            }
        }
        axes.push((c, lo, hi));
    }
    if axes[0].0 == axes[1].0 {
        return Err(ctx.err("slice.y.coordinate", "must differ from slice.x.coordinate"));
    }
    let scale_axis = axes.iter().any(|a| a.0 == Coordinate::Scale);
    let scale = match (&spec.scale, scale_axis) {
        (Some(_), true) => {
            return Err(ctx.err("scale", "not allowed when an axis is `scale`"));
        }
        (None, true) => None,
        (None, false) => {
            return Err(ctx.err(
                "scale",
                "missing: [lo, hi] of sum_{m!=0} lambda_m (or make an axis `scale`)",
            ))
        }
        (Some(v), false) => {
            if v.len() != 2 {
                return Err(ctx.err("scale", "must be [lo, hi]"));
            }
            let lo = exact(ctx, "scale", &v[0])?;
            let hi = exact(ctx, "scale", &v[1])?;
            if lo <= 0 || hi < lo {
                return Err(ctx.err("scale", "need 0 < lo <= hi"));
            }
            if hi > 1_000_000 || lo < Rational::from((1, 1_000_000)) {
                return Err(ctx.err("scale", "must lie in [1e-6, 1e6]"));
            }
            Some((lo, hi))
        }
    };
    let mode_axes: Vec<usize> = (0..2)
        .filter(|&i| matches!(axes[i].0, Coordinate::Mode(_)))
        .collect();
    let axis_mode = |m: usize| {
        mode_axes
            .iter()
            .position(|&i| axes[i].0 == Coordinate::Mode(m))
    };
    if let Some(t) = s.tie {
        if !(1..k).contains(&t) {
            return Err(ctx.err("slice.tie", format!("must be a mode in 1..={}", k - 1)));
        }
        if axis_mode(t).is_some() {
            return Err(ctx.err("slice.tie", "must not be an axis"));
        }
    }
    // x_m = alpha_m + sum_i coef_m[i] w_i.
    let n = mode_axes.len();
    let mut alpha = vec![Rational::new(); k - 1];
    let mut coef = vec![vec![Rational::new(); n]; k - 1];
    let axis_base: Rational = (1..k)
        .filter(|&m| axis_mode(m).is_some())
        .fold(Rational::new(), |a, m| a + &base[m - 1]);
    for m in 1..k {
        if let Some(i) = axis_mode(m) {
            coef[m - 1][i] = Rational::from(1);
            continue;
        }
        match s.tie {
            Some(t) if t == m => {
                // x_t = 1 - sum of the others.
                let others = (1..k)
                    .filter(|&l| l != t && axis_mode(l).is_none())
                    .fold(Rational::new(), |a, l| a + &base[l - 1]);
                alpha[m - 1] = Rational::from(1 - others);
                for c in coef[m - 1].iter_mut() {
                    *c = Rational::from(-1);
                }
            }
            Some(_) => alpha[m - 1] = base[m - 1].clone(),
            None => {
                // x_m = base_m (1 - sum w) / (1 - sum of the base's axis entries).
                let f = Rational::from(&base[m - 1] / Rational::from(1 - &axis_base));
                for c in coef[m - 1].iter_mut() {
                    *c = -f.clone();
                }
                alpha[m - 1] = f;
            }
        }
    }
    let grid = s.grid;
    if !(1..=MAX_GRID).contains(&grid) {
        return Err(ctx.err("slice.grid", format!("must be in 1..={MAX_GRID}")));
    }
    let nc_radius = match spec.nc_radius.as_deref() {
        Some(t) => {
            let r = exact(ctx, "nc_radius", t)?;
            if r < 0 || r > 1 {
                return Err(ctx.err("nc_radius", "must be in [0, 1]"));
            }
            r
        }
        None => Rational::new(),
    };
    let max_depth = spec.max_depth.unwrap_or(4);
    if max_depth > MAX_MAP_DEPTH {
        return Err(ctx.err("max_depth", format!("must be in 0..={MAX_MAP_DEPTH}")));
    }
    let max_boxes = spec.max_boxes.unwrap_or(1_000_000);
    if !(1..=MAX_MAP_BOXES).contains(&max_boxes) {
        return Err(ctx.err("max_boxes", format!("must be in 1..={MAX_MAP_BOXES}")));
    }
    if spec.symmetry.is_some() {
        return Err(ctx.err("symmetry", "not used by a region-map claim (remove it)"));
    }
    let axes: [(Coordinate, Rational, Rational); 2] = [axes[0].clone(), axes[1].clone()];
    let params = MapParams {
        quantity,
        k,
        base,
        axes,
        tie: s.tie,
        scale,
        grid,
        nc_radius,
        max_depth,
        max_boxes,
        alpha,
        coef,
        mode_axes,
    };
    // The slice must stay in the open simplex: x is affine in the axes, so its extremes are at
    // the corners of the slice.
    let whole = [
        params.axes[0].1.clone(),
        params.axes[0].2.clone(),
        params.axes[1].1.clone(),
        params.axes[1].2.clone(),
    ];
    for (i, (lo, _)) in params.x_ranges(&whole).iter().enumerate() {
        if *lo <= 0 {
            return Err(ctx.err(
                "slice",
                format!(
                    "the slice leaves the simplex: x{} reaches {} at a corner (every entry must \
                     stay > 0)",
                    i + 1,
                    exact_decimal(lo)
                ),
            ));
        }
    }
    Ok(Params::RegionMap(Box::new(params)))
}

/// The certificate statement.
fn statement(claim: &Claim) -> String {
    let Params::RegionMap(p) = &claim.params else {
        return String::new();
    };
    let rate = p.quantity.rate_name();
    let tie = match p.tie {
        Some(t) => format!("x{t} = 1 - the other entries"),
        None => "the other entries scaled by one common factor".into(),
    };
    let scale = match &p.scale {
        Some((lo, hi)) if lo == hi => format!(", scale {}", exact_decimal(lo)),
        Some((lo, hi)) => format!(", scale in [{}, {}]", exact_decimal(lo), exact_decimal(hi)),
        None => String::new(),
    };
    let ball = if p.nc_radius > 0 {
        format!(
            "; excluded boxes lie in the max-norm ball of radius {} around the uniform spectrum \
             (no claim)",
            p.nc_radius
        )
    } else {
        String::new()
    };
    format!(
        "on the slice S (K = {}, lambda_0 = 0, normalised base state with {} in [{}, {}] and {} \
         in [{}, {}], {tie}{scale}): {rate} <= 0 on every green box, {rate} > 0 on every red box; \
         grey boxes undecided (area fraction in the checks){ball}; each box decided by its \
         recorded enclosure of ({rate}) / (1 - p(0)) (natural and mean-value forms, 1 - p(0) > 0)",
        p.k,
        p.axes[0].0.name(),
        exact_decimal(&p.axes[0].1),
        exact_decimal(&p.axes[0].2),
        p.axes[1].0.name(),
        exact_decimal(&p.axes[1].1),
        exact_decimal(&p.axes[1].2),
    )
}

/// The exact inputs written into the certificate.
pub fn exact_inputs(params: &Params) -> serde_json::Value {
    let Params::RegionMap(p) = params else {
        return serde_json::Value::Null;
    };
    let axis = |i: usize| {
        serde_json::json!({
            "coordinate": p.axes[i].0.name(),
            "range": [exact_decimal(&p.axes[i].1), exact_decimal(&p.axes[i].2)],
        })
    };
    serde_json::json!({
        "K": p.k,
        "quantity": p.quantity.rate_name(),
        "base": p.base.iter().map(exact_decimal).collect::<Vec<_>>(),
        "x": axis(0),
        "y": axis(1),
        "tie": p.tie.map_or("proportional".to_string(), |t| format!("x{t}")),
        "scale": p.scale.as_ref().map(|(lo, hi)| [exact_decimal(lo), exact_decimal(hi)]),
        "grid": p.grid,
        "max_depth": p.max_depth,
        "excluded_nc_radius": p.nc_radius.to_string(),
        "lambda_0": "0",
    })
}

/// The registry entry of kind `region-map`.
pub const ENTRY: KindEntry = KindEntry {
    name: KIND,
    fields: FIELDS,
    validate,
    evaluate: backends!(evaluate, ctx),
    statement,
    exact_inputs,
};
