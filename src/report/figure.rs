//! Paper figures of certified series: one figure model ([`Figure`]: traces of step boxes,
//! bound lines, axes, notes) built from a certificate, and two writers of that same model, so
//! they cannot disagree: a PDF ([`to_pdf`], written with `pdf-writer` in the base-14 font
//! Helvetica, so no font file is needed), an SVG of the same layout ([`to_svg`]) and
//! pgfplots/TikZ source ([`to_pgfplots`]) reading the
//! band outlines from `.dat` tables ([`dat_files`]). [`snippet`] is an `\input`-able `figure`
//! environment that includes the PDF (the pgfplots source is the alternative for documents that
//! load pgfplots).
//!
//! What a figure shows: every mode `lambda_m` (or `a_m`, `b_m`, the metrics `M1`-`M4`) of a
//! trajectory in one figure with a legend; a mode whose band is constant over the whole run
//! (e.g. `lambda_0 = 0` to 1e-24) is not drawn and the caption says so; every bound of the claim
//! on a drawn quantity as a dashed line (a refuted bound is drawn where it is crossed); C6's NC
//! ray `l(t)` on a log time axis. Each box is the certified enclosure over its time interval,
//! ends rounded outward to f64 ([`super::plot`]); when the certificate holds fewer boxes than
//! integration steps (merged series) the caption says so and gives the certified width at the
//! final time. Verdict `empirical` certificates (no enclosures) and C5 (stacked panels of
//! [`super::plot::panels_svg`]) get no figure here.

use super::digits::{parse_decimal, round_bound, Bound, Direction};
use super::plot::{series_steps, Step};
use super::tables::math_latex;
use crate::cert::{file_stem, Certificate, Series};
use rug::Rational;
use serde_json::Value;

/// One drawn quantity: its boxes (None: not finite, not drawn) and what the caption says of it.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Legend text (ASCII, for the PDF).
    pub label: String,
    /// Legend text in LaTeX.
    pub label_tex: String,
    /// Boxes `(t0, t1, lower, upper)`, rounded outward.
    pub steps: Vec<Option<Step>>,
    /// Widest box (exact).
    pub widest: Option<Rational>,
    /// Width of the enclosure at the final time (exact).
    pub final_width: Option<Rational>,
}

/// A bound of the claim, drawn as a dashed horizontal line from `from` to the end of the run.
#[derive(Clone, Debug)]
pub struct Level {
    /// The bound's value (the f64 nearest to it: the line is a picture, not a proof).
    pub value: f64,
    /// Where the line starts (0 for a bound on the whole run, near T for one at T).
    pub from: f64,
    /// Legend text (ASCII).
    pub label: String,
    /// Legend text in LaTeX.
    pub label_tex: String,
}

/// A figure: the model every writer draws.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File stem (`<id>-<quantity>`, no dots or underscores), used for `plots/<stem>.pdf` and
    /// `figures/fig-<stem>.tex`.
    pub stem: String,
    /// Certificate id.
    pub id: String,
    /// Title in words (ASCII).
    pub title: String,
    /// Title in LaTeX.
    pub title_tex: String,
    /// Vertical axis label (ASCII) and in LaTeX.
    pub y_label: String,
    /// Vertical axis label in LaTeX.
    pub y_tex: String,
    /// Time axis logarithmic.
    pub log_x: bool,
    /// The drawn quantities.
    pub traces: Vec<Trace>,
    /// Bounds drawn.
    pub levels: Vec<Level>,
    /// Caption sentences (LaTeX) about what is drawn and what is not.
    pub notes_tex: Vec<String>,
    /// A map of boxes in the plane of two coordinates (kind `region-map`) in place of time
    /// traces: then the horizontal axis is the map's, not time.
    pub map: Option<MapLayer>,
}

/// The classes of a map's boxes, in legend order.
pub const MAP_CLASSES: [&str; 4] = ["green", "red", "grey", "excluded"];

/// Fill colours of [`MAP_CLASSES`] (RGB in [0, 1]): green, red, grey, white.
const MAP_COLOURS: [(f32, f32, f32); 4] = [
    (0.45, 0.76, 0.42),
    (0.86, 0.21, 0.18),
    (0.72, 0.72, 0.72),
    (1.0, 1.0, 1.0),
];

/// One filled rectangle of a map: `[x0, x1] x [y0, y1]` (the f64 nearest to the certificate's
/// exact ends: the picture, not the proof) and its class (index into [`MAP_CLASSES`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapCell {
    /// Horizontal range.
    pub x: [f64; 2],
    /// Vertical range.
    pub y: [f64; 2],
    /// Index into [`MAP_CLASSES`].
    pub class: usize,
}

/// The figure element of a map: its boxes, the horizontal axis label and one legend entry per
/// class present (box count and area fraction).
#[derive(Clone, Debug)]
pub struct MapLayer {
    /// Horizontal axis label (ASCII).
    pub x_label: String,
    /// Horizontal axis label in LaTeX.
    pub x_tex: String,
    /// The rectangles.
    pub cells: Vec<MapCell>,
    /// `(class, legend text ASCII, legend text LaTeX)`.
    pub legend: Vec<(usize, String, String)>,
}

fn q(s: &str) -> Option<Rational> {
    match parse_decimal(s).ok()? {
        Bound::Finite(q) => Some(q),
        _ => None,
    }
}

/// Group key of a series name: modes and metrics share a figure.
fn group_of(name: &str) -> (String, String, String) {
    for (prefix, words, tex) in [
        ("lambda_", "modes lambda_m", "the modes $\\lambda_m$"),
        ("a_", "modes a_m", "the modes $a_m$"),
        ("b_", "modes b_m", "the modes $b_m$"),
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty() {
                return (prefix.to_string(), words.into(), tex.into());
            }
        }
    }
    if matches!(name, "M1" | "M2" | "M3" | "M4") {
        return (
            "M".into(),
            "metrics M1-M4".into(),
            "the metrics $M_1$--$M_4$".into(),
        );
    }
    let words = match name {
        "V" => "V = KL(u || lambda~)".to_string(),
        "loss" => "loss L".to_string(),
        "l" => "l(t) on the NC ray".to_string(),
        other => other.to_string(),
    };
    let tex = match name {
        "V" => "$V$".to_string(),
        "loss" => "the loss $L$".to_string(),
        "l" => "$\\ell(t)$ on the NC ray".to_string(),
        other => math_latex(other),
    };
    (name.to_string(), words, tex)
}

fn ascii_name(name: &str) -> String {
    name.to_string()
}

/// Integration steps of the run, from the check `validated integration reached the horizon`
/// (`"38 steps, Taylor order 21"`), if recorded.
fn integration_steps(c: &Certificate) -> Option<usize> {
    c.checks
        .iter()
        .find(|k| {
            k.name
                .starts_with("validated integration reached the horizon")
        })
        .and_then(|k| k.detail.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The figures of `cert` (none for C5 and for empirical certificates).
pub fn figures(cert: &Certificate) -> Vec<Figure> {
    if cert.claim == crate::claim::region_map::KIND {
        return map_figure(cert).into_iter().collect();
    }
    if cert.claim == "C5" || cert.verdict == crate::cert::Verdict::Empirical {
        return Vec::new();
    }
    // group series in order of first appearance; same-named series (C6: l over three ranges)
    // join into one trace
    let mut groups: Vec<(String, String, String, Vec<&Series>)> = Vec::new();
    for s in &cert.series {
        let (key, words, tex) = group_of(&s.name);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.3.push(s),
            None => groups.push((key, words, tex, vec![s])),
        }
    }
    let steps_run = integration_steps(cert);
    let bounds: Vec<&Value> = cert
        .inputs
        .get("bounds")
        .and_then(Value::as_array)
        .map(|b| b.iter().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (key, words, tex, members) in groups {
        // traces: one per distinct name, same-named series concatenated
        let mut names: Vec<&str> = Vec::new();
        for s in &members {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
        let mut traces = Vec::new();
        let mut constant = Vec::new();
        let mut boxes = 0usize;
        for name in &names {
            let parts: Vec<&&Series> = members.iter().filter(|s| s.name == *name).collect();
            let mut steps = Vec::new();
            let mut widest: Option<Rational> = None;
            for p in &parts {
                let (st, w) = series_steps(p);
                steps.extend(st);
                if let Some(w) = w {
                    if widest.as_ref().map_or(true, |m| w > *m) {
                        widest = Some(w);
                    }
                }
            }
            boxes = boxes.max(steps.len());
            let last = parts.last().and_then(|p| p.points.last());
            let final_width = last.and_then(|p| Some(q(&p.end_upper)? - q(&p.end_lower)?));
            // constant band: the hull of every box is narrower than 1e-9 of its size
            let finite: Vec<Step> = steps.iter().flatten().copied().collect();
            let (lo, hi) = finite
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
                    (a.min(s.2), b.max(s.3))
                });
            let scale = lo.abs().max(hi.abs()).max(1e-300);
            if key != *name && !finite.is_empty() && hi - lo <= 1e-9 * scale.max(1.0) {
                constant.push(format!(
                    "${}$ is not drawn: it stays in $[{}, {}]$ over the whole run",
                    math_latex(name).trim_matches('$'),
                    round_bound(
                        &Rational::from_f64(lo).unwrap_or_default(),
                        Direction::Down,
                        2
                    )
                    .to_latex()
                    .trim_matches('$'),
                    round_bound(
                        &Rational::from_f64(hi).unwrap_or_default(),
                        Direction::Up,
                        2
                    )
                    .to_latex()
                    .trim_matches('$'),
                ));
                continue;
            }
            traces.push(Trace {
                label: ascii_name(name),
                label_tex: math_latex(name),
                steps,
                widest,
                final_width,
            });
        }
        if traces.is_empty() {
            continue;
        }
        let levels: Vec<Level> = bounds
            .iter()
            .filter(|b| {
                let qn = b.get("quantity").and_then(Value::as_str).unwrap_or("");
                names.contains(&qn)
            })
            .flat_map(|b| {
                let qn = b.get("quantity").and_then(Value::as_str).unwrap_or("?");
                let all = b.get("at").and_then(Value::as_str) == Some("all");
                let mut v = Vec::new();
                for (side, op, op_tex) in [("below", "<", "<"), ("above", ">", ">")] {
                    if let Some(x) = b.get(side).and_then(Value::as_str) {
                        let value = q(x).map(|r| r.to_f64()).unwrap_or(f64::NAN);
                        let wh = if all { "on [0, T]" } else { "at T" };
                        let wh_tex = if all { "on $[0, T]$" } else { "at $T$" };
                        v.push(Level {
                            value,
                            from: if all {
                                f64::NEG_INFINITY
                            } else {
                                f64::INFINITY
                            },
                            label: format!("bound {qn} {op} {x} {wh}"),
                            label_tex: format!(
                                "bound ${} {op_tex} {x}$ {wh_tex}",
                                math_latex(qn).trim_matches('$')
                            ),
                        });
                    }
                }
                v
            })
            .filter(|l| l.value.is_finite())
            .collect();
        let mut notes_tex = Vec::new();
        let widest: Vec<String> = traces
            .iter()
            .filter_map(|t| {
                Some(format!(
                    "{} {}",
                    t.label_tex,
                    round_bound(t.widest.as_ref()?, Direction::Up, 2).to_latex()
                ))
            })
            .collect();
        notes_tex.push(format!(
            "Each band is the certified enclosure over each time box (widest box: {}).",
            widest.join(", ")
        ));
        if let Some(n) = steps_run {
            if n > boxes && names.len() == members.len() {
                let fin: Vec<String> = traces
                    .iter()
                    .filter_map(|t| {
                        Some(format!(
                            "{} {}",
                            t.label_tex,
                            round_bound(t.final_width.as_ref()?, Direction::Up, 2).to_latex()
                        ))
                    })
                    .collect();
                notes_tex.push(format!(
                    "The {n} integration steps are merged to {boxes} boxes for drawing, so the \
                     bands look wider than the enclosures are: certified width at the final \
                     time {}.",
                    fin.join(", ")
                ));
            }
        }
        notes_tex.extend(constant.into_iter().map(|c| c + "."));
        if !levels.is_empty() {
            notes_tex.push("Dashed: the bounds of the claim.".into());
        }
        let log_x = key == "l" && cert.claim == "C6";
        if log_x {
            notes_tex.push("Logarithmic time axis.".into());
        }
        let stem_q = if key.ends_with('_') {
            format!("{}m", key)
        } else {
            key.clone()
        };
        out.push(Figure {
            stem: format!("{}-{}", file_stem(&cert.id), file_stem(&stem_q))
                .replace(['.', '_'], "-"),
            id: cert.id.clone(),
            title: format!("{} along the certified trajectory", capitalise(&words)),
            title_tex: format!("{} along the certified trajectory", capitalise(&tex)),
            y_label: words.clone(),
            y_tex: tex.clone(),
            log_x,
            traces,
            levels,
            notes_tex,
            map: None,
        });
    }
    out
}

/// `x1 in [a, b], scale in [c, d]` (as [`crate::claim::region_map::show_box`] writes it) ->
/// the two names and exact ranges.
fn parse_map_box(text: &str) -> Option<(String, [Rational; 2], String, [Rational; 2])> {
    let axis = |t: &str| -> Option<(String, [Rational; 2])> {
        let (name, rest) = t.trim().split_once(" in [")?;
        let (a, b) = rest.strip_suffix(']')?.split_once(", ")?;
        Some((name.to_string(), [q(a)?, q(b)?]))
    };
    let (xs, rest) = text.split_once("], ")?;
    let ys = rest.split(" (depth").next()?;
    let (xn, xr) = axis(&format!("{xs}]"))?;
    let (yn, yr) = axis(ys)?;
    Some((xn, xr, yn, yr))
}

fn axis_words(name: &str) -> (String, String) {
    match name.strip_prefix('x') {
        Some(m) if !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()) => (
            format!("normalised entry x{m} = lambda_{m} / S"),
            format!("normalised entry $\\tilde\\lambda_{{{m}}}$"),
        ),
        _ if name == "scale" => (
            "scale S = sum lambda_m".into(),
            "scale $S = \\sum_{m \\ne 0} \\lambda_m$".into(),
        ),
        _ => (name.to_string(), math_latex(name)),
    }
}

/// The map figure of a `region-map` certificate: every box recorded (enclosure names and the
/// excluded-box checks) as a filled rectangle, coloured by its class.
fn map_figure(cert: &Certificate) -> Option<Figure> {
    let mut cells = Vec::new();
    let mut names: Option<(String, String)> = None;
    let mut area = [
        Rational::new(),
        Rational::new(),
        Rational::new(),
        Rational::new(),
    ];
    let mut count = [0usize; 4];
    let recorded = cert.enclosures.iter().map(|e| e.name.as_str()).chain(
        cert.checks
            .iter()
            .filter(|k| k.name == "excluded box")
            .map(|k| k.detail.as_str()),
    );
    for text in recorded {
        let (class, body) = match text.split_once(" box ") {
            Some((c, b)) if MAP_CLASSES.contains(&c) => {
                (MAP_CLASSES.iter().position(|k| *k == c)?, b)
            }
            // an excluded-box check's detail is the box alone
            _ if !text.contains(" box ") => (3, text),
            _ => continue,
        };
        let (xn, xr, yn, yr) = parse_map_box(body)?;
        names.get_or_insert((xn, yn));
        area[class] += Rational::from(&xr[1] - &xr[0]) * Rational::from(&yr[1] - &yr[0]);
        count[class] += 1;
        cells.push(MapCell {
            x: [xr[0].to_f64(), xr[1].to_f64()],
            y: [yr[0].to_f64(), yr[1].to_f64()],
            class,
        });
    }
    let (xn, yn) = names?;
    let total = area.iter().fold(Rational::new(), |a, b| a + b);
    if total <= 0 {
        return None;
    }
    let legend: Vec<(usize, String, String)> = (0..4)
        .filter(|&c| count[c] > 0)
        .map(|c| {
            let pct = Rational::from(&area[c] * 100u32) / &total;
            let words = format!(
                "{}: {} boxes, {:.1}% of the area",
                MAP_CLASSES[c],
                count[c],
                pct.to_f64()
            );
            let tex = words.replace('%', "\\%");
            (c, words, tex)
        })
        .collect();
    let rate = cert
        .exact_inputs
        .get("quantity")
        .and_then(Value::as_str)
        .unwrap_or("the rate")
        .to_string();
    let k = cert
        .exact_inputs
        .get("K")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let (x_label, x_tex) = axis_words(&xn);
    let (y_label, y_tex) = axis_words(&yn);
    let rate_tex = math_latex(&rate);
    Some(Figure {
        stem: format!("{}-map", file_stem(&cert.id)).replace(['.', '_'], "-"),
        id: cert.id.clone(),
        title: format!("Sign of {rate} on a slice (K = {k})"),
        title_tex: format!("Sign of {rate_tex} on a slice of the balanced states ($K = {k}$)"),
        y_label,
        y_tex,
        log_x: false,
        traces: Vec::new(),
        levels: Vec::new(),
        notes_tex: vec![
            format!(
                "Green: {rate_tex} $\\le 0$ on the whole box; red: {rate_tex} $> 0$ on the whole \
                 box (certified growth); grey: undecided at the depth limit; white: excluded \
                 (inside the NC ball). Each box is decided by its recorded enclosure."
            ),
            format!("{} boxes.", count.iter().sum::<usize>()),
        ],
        map: Some(MapLayer {
            x_label,
            x_tex,
            cells,
            legend,
        }),
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Data ranges `(x0, x1, y0, y1)` of a figure (bounds included, so a crossed bound is inside).
fn ranges(f: &Figure) -> (f64, f64, f64, f64) {
    if let Some(m) = &f.map {
        let r = m.cells.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |r, c| {
                (
                    r.0.min(c.x[0]),
                    r.1.max(c.x[1]),
                    r.2.min(c.y[0]),
                    r.3.max(c.y[1]),
                )
            },
        );
        if r.0 < r.1 && r.2 < r.3 {
            return r;
        }
        return (0.0, 1.0, 0.0, 1.0);
    }
    let mut r = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for t in &f.traces {
        for &(t0, t1, lo, hi) in t.steps.iter().flatten() {
            let t0 = if f.log_x && t0 <= 0.0 { t1 } else { t0 };
            r = (r.0.min(t0), r.1.max(t1), r.2.min(lo), r.3.max(hi));
        }
    }
    for l in &f.levels {
        r.2 = r.2.min(l.value);
        r.3 = r.3.max(l.value);
    }
    if !(r.0.is_finite() && r.1.is_finite()) || r.1 <= r.0 {
        r.0 = if f.log_x { 1.0 } else { 0.0 };
        r.1 = r.0 + 1.0;
    }
    if f.log_x {
        // start at the first box end: t = 0 has no place on a log axis
        let first = f
            .traces
            .iter()
            .flat_map(|t| t.steps.iter().flatten())
            .map(|s| s.1)
            .fold(f64::INFINITY, f64::min);
        if first.is_finite() && first > 0.0 {
            r.0 = r.0.max(first / 10.0).min(first);
        }
    }
    if !(r.2.is_finite() && r.3.is_finite()) {
        (r.2, r.3) = (0.0, 1.0);
    }
    let pad = if r.3 > r.2 {
        (r.3 - r.2) * 0.05
    } else {
        r.2.abs().max(1.0) * 0.05
    };
    (r.0, r.1, r.2 - pad, r.3 + pad)
}

/// Colours of the traces, in order (RGB in [0, 1]).
const COLOURS: [(f32, f32, f32); 8] = [
    (0.12, 0.47, 0.71),
    (0.84, 0.15, 0.16),
    (0.17, 0.63, 0.17),
    (1.0, 0.5, 0.05),
    (0.58, 0.40, 0.74),
    (0.55, 0.34, 0.29),
    (0.89, 0.47, 0.76),
    (0.5, 0.5, 0.5),
];

/// Polygons (outlines) of a trace: one per run of finite boxes.
fn outlines(t: &Trace, log_x: bool, x0: f64) -> Vec<Vec<(f64, f64)>> {
    let clip = |x: f64| if log_x { x.max(x0) } else { x };
    let mut out = Vec::new();
    let mut run: Vec<Step> = Vec::new();
    let mut flush = |run: &mut Vec<Step>| {
        if run.is_empty() {
            return;
        }
        let mut poly = Vec::new();
        for &(t0, t1, _, hi) in run.iter() {
            poly.push((clip(t0), hi));
            poly.push((clip(t1), hi));
        }
        for &(t0, t1, lo, _) in run.iter().rev() {
            poly.push((clip(t1), lo));
            poly.push((clip(t0), lo));
        }
        out.push(poly);
        run.clear();
    };
    for s in &t.steps {
        match s {
            Some(s) => run.push(*s),
            None => flush(&mut run),
        }
    }
    flush(&mut run);
    out
}

/// `.dat` tables of a figure: `(file name, text)`, one per band outline (`t y` per vertex, the
/// outline closed), and one per bound line.
pub fn dat_files(f: &Figure) -> Vec<(String, String)> {
    let (x0, x1, _, _) = ranges(f);
    let mut out = Vec::new();
    for (i, t) in f.traces.iter().enumerate() {
        for (j, poly) in outlines(t, f.log_x, x0).iter().enumerate() {
            let mut text = format!(
                "% {}: {} band {} (t, enclosure outline)\nt y\n",
                f.id,
                t.label,
                j + 1
            );
            for (x, y) in poly.iter().chain(poly.first()) {
                text.push_str(&format!("{x:e} {y:e}\n"));
            }
            out.push((format!("{}-s{}-{}.dat", f.stem, i + 1, j + 1), text));
        }
    }
    for (i, l) in f.levels.iter().enumerate() {
        let from = level_from(l, x0, x1);
        out.push((
            format!("{}-b{}.dat", f.stem, i + 1),
            format!(
                "% {}\nt y\n{from:e} {v:e}\n{x1:e} {v:e}\n",
                l.label,
                v = l.value
            ),
        ));
    }
    out
}

fn level_from(l: &Level, x0: f64, x1: f64) -> f64 {
    if l.from == f64::NEG_INFINITY {
        x0
    } else if f64::is_finite(l.from) {
        l.from
    } else if x1 > x0 {
        // a bound at T: the last tenth of the axis
        x1 - (x1 - x0) * 0.1
    } else {
        x0
    }
}

/// pgfplots source of a figure (a `tikzpicture`), reading the tables of [`dat_files`] from
/// `dir` (e.g. `plots/`).
pub fn to_pgfplots(f: &Figure, dir: &str) -> String {
    let (x0, x1, y0, y1) = ranges(f);
    let mut s = String::new();
    s.push_str("% Generated by `hadacert report`; needs \\usepackage{pgfplots}.\n");
    s.push_str("\\begin{tikzpicture}\n\\begin{axis}[width=\\linewidth, height=0.6\\linewidth,\n");
    let xlabel = f
        .map
        .as_ref()
        .map_or("time $t$".to_string(), |m| m.x_tex.clone());
    s.push_str(&format!(
        "  xlabel={{{xlabel}}}, ylabel={{{}}},\n  xmin={x0:e}, xmax={x1:e}, ymin={y0:e}, ymax={y1:e},\n",
        f.y_tex
    ));
    if f.log_x {
        s.push_str("  xmode=log,\n");
    }
    s.push_str("  legend pos=outer north east, legend cell align=left]\n");
    if let Some(m) = &f.map {
        let colour = |(r, g, b): (f32, f32, f32)| format!("{{rgb,1:red,{r};green,{g};blue,{b}}}");
        for cell in &m.cells {
            let c = MAP_COLOURS[cell.class];
            s.push_str(&format!(
                "\\fill[fill={}, draw={}, line width=0.1pt] (axis cs:{:e},{:e}) rectangle (axis cs:{:e},{:e});\n",
                colour(c),
                colour((0.8 * c.0, 0.8 * c.1, 0.8 * c.2)),
                cell.x[0],
                cell.y[0],
                cell.x[1],
                cell.y[1]
            ));
        }
        for (class, _, tex) in &m.legend {
            s.push_str(&format!(
                "\\addlegendimage{{area legend, fill={}, draw=black}}\n\\addlegendentry{{{tex}}}\n",
                colour(MAP_COLOURS[*class])
            ));
        }
    }
    let files = dat_files(f);
    for (i, t) in f.traces.iter().enumerate() {
        let (r, g, b) = COLOURS[i % COLOURS.len()];
        let colour = format!("{{rgb,1:red,{r};green,{g};blue,{b}}}");
        let prefix = format!("{}-s{}-", f.stem, i + 1);
        let mut first = true;
        for (name, _) in files.iter().filter(|(n, _)| n.starts_with(&prefix)) {
            s.push_str(&format!(
                "\\addplot[draw={colour}, fill={colour}, fill opacity=0.45{}] table {{{dir}{name}}};\n",
                if first { "" } else { ", forget plot" }
            ));
            if first {
                s.push_str(&format!("\\addlegendentry{{{}}}\n", t.label_tex));
            }
            first = false;
        }
    }
    for (i, l) in f.levels.iter().enumerate() {
        s.push_str(&format!(
            "\\addplot[black, dashed, thick] table {{{dir}{}-b{}.dat}};\n\\addlegendentry{{{}}}\n",
            f.stem,
            i + 1,
            l.label_tex
        ));
    }
    s.push_str("\\end{axis}\n\\end{tikzpicture}\n");
    s
}

/// An `\input`-able `figure` environment for `fig-<stem>.tex`: the PDF at `pdf_path`, the
/// caption (title, what the bands are, what is not drawn) and the label `fig:hadacert-<stem>`.
pub fn snippet(f: &Figure, pdf_path: &str, pgf_path: &str) -> String {
    let label: String = f
        .stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "% Generated by `hadacert report`; needs \\usepackage{{graphicx}}. With pgfplots loaded,\n\
         % \\input{{{pgf_path}}} in place of \\includegraphics draws the same figure in the document's fonts.\n\
         \\begin{{figure}}[htbp]\n\\centering\n\\includegraphics[width=\\linewidth]{{{pdf_path}}}\n\
         \\caption{{{}. {} Certificate \\texttt{{{}}}.}}\n\\label{{fig:hadacert-{label}}}\n\\end{{figure}}\n",
        f.title_tex,
        f.notes_tex.join(" "),
        super::tables::latex_escape(&f.id).replace('-', "-\\allowbreak{}")
    )
}

// ---------------------------------------------------------------------------------------------
// PDF writer

/// Only what Helvetica's standard encoding shows: ASCII printable, others as `?`.
fn pdf_text(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| {
            if (' '..='~').contains(&c) {
                c as u8
            } else {
                b'?'
            }
        })
        .collect()
}

/// Approximate width of Helvetica text at `size` (0.5 em per character: for centring only).
fn text_width(s: &str, size: f32) -> f32 {
    s.chars().count() as f32 * size * 0.5
}

/// "Nice" tick values in `[a, b]` (linear) or decades (log).
fn ticks(a: f64, b: f64, log: bool) -> Vec<f64> {
    if log {
        let (lo, hi) = (a.log10().ceil() as i32, b.log10().floor() as i32);
        return (lo..=hi).map(|e| 10f64.powi(e)).collect();
    }
    let span = b - a;
    if !(span > 0.0) {
        return vec![a];
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let mut v = Vec::new();
    let mut x = (a / step).ceil() * step;
    while x <= b + step * 1e-9 {
        v.push(if x.abs() < step * 1e-9 { 0.0 } else { x });
        x += step;
    }
    v
}

fn tick_label(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.2e}").replace(".00e", "e").replace("0e", "e")
    }
}

/// The figure as a one-page PDF (432 x 288 pt): title, axes with ticks, bands, dashed bounds,
/// legend. Base-14 Helvetica: no font file is read or embedded.
pub fn to_pdf(f: &Figure) -> Vec<u8> {
    use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
    let (w, h) = (432.0f32, 288.0f32);
    let (left, right, bottom, top) = (62.0f32, 150.0f32, 40.0f32, 30.0f32);
    let (px0, px1, py0, py1) = (left, w - right, bottom, h - top);
    let (x0, x1, y0, y1) = ranges(f);
    let fx = |x: f64| -> f32 {
        let u = if f.log_x {
            (x.max(x0).log10() - x0.log10()) / (x1.log10() - x0.log10())
        } else {
            (x - x0) / (x1 - x0)
        };
        px0 + (px1 - px0) * u as f32
    };
    let fy = |y: f64| -> f32 { py0 + (py1 - py0) * ((y - y0) / (y1 - y0)) as f32 };
    let mut c = Content::new();
    let text = |c: &mut Content, x: f32, y: f32, size: f32, s: &str| {
        c.begin_text();
        c.set_font(Name(b"F1"), size);
        c.next_line(x, y);
        c.show(Str(&pdf_text(s)));
        c.end_text();
    };
    // map boxes: filled rectangles with a thin darker edge
    if let Some(m) = &f.map {
        c.set_line_width(0.15);
        for cell in &m.cells {
            let (r, g, b) = MAP_COLOURS[cell.class];
            c.set_fill_rgb(r, g, b);
            c.set_stroke_rgb(0.8 * r, 0.8 * g, 0.8 * b);
            let (ax, ay) = (fx(cell.x[0]), fy(cell.y[0]));
            c.rect(ax, ay, fx(cell.x[1]) - ax, fy(cell.y[1]) - ay);
            c.fill_nonzero_and_stroke();
        }
    }
    // bands
    for (i, t) in f.traces.iter().enumerate() {
        let (r, g, b) = COLOURS[i % COLOURS.len()];
        for poly in outlines(t, f.log_x, x0) {
            c.set_fill_rgb(0.55 * r + 0.45, 0.55 * g + 0.45, 0.55 * b + 0.45);
            c.set_stroke_rgb(r, g, b);
            c.set_line_width(0.6);
            for (k, &(x, y)) in poly.iter().enumerate() {
                if k == 0 {
                    c.move_to(fx(x), fy(y));
                } else {
                    c.line_to(fx(x), fy(y));
                }
            }
            c.close_path();
            c.fill_nonzero_and_stroke();
        }
    }
    // bounds
    c.set_stroke_rgb(0.0, 0.0, 0.0);
    c.set_line_width(1.0);
    c.set_dash_pattern([5.0, 3.0], 0.0);
    for l in &f.levels {
        c.move_to(fx(level_from(l, x0, x1)), fy(l.value));
        c.line_to(fx(x1), fy(l.value));
        c.stroke();
    }
    c.set_dash_pattern([], 0.0);
    // axes and ticks
    c.set_stroke_rgb(0.0, 0.0, 0.0);
    c.set_line_width(0.8);
    c.rect(px0, py0, px1 - px0, py1 - py0);
    c.stroke();
    c.set_fill_rgb(0.0, 0.0, 0.0);
    for x in ticks(x0, x1, f.log_x) {
        let px = fx(x);
        c.move_to(px, py0);
        c.line_to(px, py0 + 4.0);
        c.stroke();
        let s = tick_label(x);
        text(&mut c, px - text_width(&s, 8.0) / 2.0, py0 - 11.0, 8.0, &s);
    }
    for y in ticks(y0, y1, false) {
        let py = fy(y);
        c.move_to(px0, py);
        c.line_to(px0 + 4.0, py);
        c.stroke();
        let s = tick_label(y);
        text(&mut c, px0 - 4.0 - text_width(&s, 8.0), py - 3.0, 8.0, &s);
    }
    let xl = match &f.map {
        Some(m) => m.x_label.as_str(),
        None if f.log_x => "time t (log scale)",
        None => "time t",
    };
    text(
        &mut c,
        (px0 + px1) / 2.0 - text_width(xl, 9.0) / 2.0,
        10.0,
        9.0,
        xl,
    );
    let title = &f.title;
    text(&mut c, px0, h - 18.0, 10.0, title);
    // y label above the axis (no rotated text needed)
    text(&mut c, 6.0, py1 + 4.0, 8.0, &f.y_label);
    // legend
    let mut ly = py1 - 10.0;
    for (i, t) in f.traces.iter().enumerate() {
        let (r, g, b) = COLOURS[i % COLOURS.len()];
        c.set_fill_rgb(0.55 * r + 0.45, 0.55 * g + 0.45, 0.55 * b + 0.45);
        c.set_stroke_rgb(r, g, b);
        c.rect(px1 + 8.0, ly - 1.0, 14.0, 7.0);
        c.fill_nonzero_and_stroke();
        c.set_fill_rgb(0.0, 0.0, 0.0);
        text(&mut c, px1 + 26.0, ly, 8.0, &t.label);
        ly -= 11.0;
    }
    if let Some(m) = &f.map {
        c.set_line_width(0.6);
        for (class, label, _) in &m.legend {
            let (r, g, b) = MAP_COLOURS[*class];
            c.set_fill_rgb(r, g, b);
            c.set_stroke_rgb(0.0, 0.0, 0.0);
            c.rect(px1 + 8.0, ly - 1.0, 14.0, 7.0);
            c.fill_nonzero_and_stroke();
            c.set_fill_rgb(0.0, 0.0, 0.0);
            for (n, part) in label.split(", ").enumerate() {
                text(&mut c, px1 + 26.0, ly - 9.0 * n as f32, 7.0, part);
            }
            ly -= 9.0 * label.split(", ").count() as f32 + 4.0;
        }
    }
    c.set_stroke_rgb(0.0, 0.0, 0.0);
    for l in &f.levels {
        c.set_dash_pattern([5.0, 3.0], 0.0);
        c.move_to(px1 + 8.0, ly + 2.5);
        c.line_to(px1 + 22.0, ly + 2.5);
        c.stroke();
        c.set_dash_pattern([], 0.0);
        text(&mut c, px1 + 26.0, ly, 7.0, &l.label);
        ly -= 11.0;
    }
    let content = c.finish();
    let (catalog, pages, page, font, contents) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, w, h));
    p.parent(pages);
    p.contents(contents);
    p.resources().fonts().pair(Name(b"F1"), font);
    p.finish();
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    pdf.stream(contents, &content);
    pdf.finish()
}

fn svg_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The figure as SVG, with the layout of [`to_pdf`] (same page size in points, same ranges,
/// ticks, bands, bounds and legend; text as `<text>` in Helvetica/sans-serif, no font file).
pub fn to_svg(f: &Figure) -> String {
    let (w, h) = (432.0f64, 288.0f64);
    let (left, right, bottom, top) = (62.0, 150.0, 40.0, 30.0);
    let (px0, px1, py0, py1) = (left, w - right, bottom, h - top);
    let (x0, x1, y0, y1) = ranges(f);
    let fx = |x: f64| -> f64 {
        let u = if f.log_x {
            (x.max(x0).log10() - x0.log10()) / (x1.log10() - x0.log10())
        } else {
            (x - x0) / (x1 - x0)
        };
        px0 + (px1 - px0) * u
    };
    // SVG y grows downwards: flip the PDF's coordinates
    let fy = |y: f64| -> f64 { h - (py0 + (py1 - py0) * ((y - y0) / (y1 - y0))) };
    let rgb = |(r, g, b): (f32, f32, f32), light: bool| {
        let m = |c: f32| {
            let c = if light { 0.55 * c + 0.45 } else { c };
            (c * 255.0).round() as u8
        };
        format!("#{:02x}{:02x}{:02x}", m(r), m(g), m(b))
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}pt\" height=\"{h}pt\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    );
    let text = |s: &mut String, x: f64, y: f64, size: f64, anchor: &str, t: &str| {
        s.push_str(&format!(
            "<text x=\"{x:.2}\" y=\"{:.2}\" font-size=\"{size}\" text-anchor=\"{anchor}\">{}</text>\n",
            h - y,
            svg_escape(t)
        ));
    };
    if let Some(m) = &f.map {
        for cell in &m.cells {
            let c = MAP_COLOURS[cell.class];
            let dark = (0.8 * c.0, 0.8 * c.1, 0.8 * c.2);
            let (ax, bx) = (fx(cell.x[0]), fx(cell.x[1]));
            let (ay, by) = (fy(cell.y[1]), fy(cell.y[0]));
            s.push_str(&format!(
                "<rect x=\"{ax:.2}\" y=\"{ay:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"0.15\"/>\n",
                bx - ax,
                by - ay,
                rgb(c, false),
                rgb(dark, false)
            ));
        }
    }
    for (i, t) in f.traces.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        for poly in outlines(t, f.log_x, x0) {
            let pts: Vec<String> = poly
                .iter()
                .map(|&(x, y)| format!("{:.2},{:.2}", fx(x), fy(y)))
                .collect();
            s.push_str(&format!(
                "<polygon points=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"0.6\"/>\n",
                pts.join(" "),
                rgb(c, true),
                rgb(c, false)
            ));
        }
    }
    for l in &f.levels {
        s.push_str(&format!(
            "<line x1=\"{:.2}\" y1=\"{y:.2}\" x2=\"{:.2}\" y2=\"{y:.2}\" stroke=\"black\" stroke-dasharray=\"5 3\"/>\n",
            fx(level_from(l, x0, x1)),
            fx(x1),
            y = fy(l.value)
        ));
    }
    s.push_str(&format!(
        "<rect x=\"{px0}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\" stroke-width=\"0.8\"/>\n",
        px1 - px0,
        py1 - py0
    ));
    for x in ticks(x0, x1, f.log_x) {
        let px = fx(x);
        s.push_str(&format!(
            "<line x1=\"{px:.2}\" y1=\"{:.2}\" x2=\"{px:.2}\" y2=\"{:.2}\" stroke=\"black\" stroke-width=\"0.8\"/>\n",
            h - py0,
            h - py0 - 4.0
        ));
        text(&mut s, px, py0 - 11.0, 8.0, "middle", &tick_label(x));
    }
    for y in ticks(y0, y1, false) {
        let py = fy(y);
        s.push_str(&format!(
            "<line x1=\"{px0}\" y1=\"{py:.2}\" x2=\"{:.2}\" y2=\"{py:.2}\" stroke=\"black\" stroke-width=\"0.8\"/>\n",
            px0 + 4.0
        ));
        text(&mut s, px0 - 4.0, h - py - 3.0, 8.0, "end", &tick_label(y));
    }
    let xl = match &f.map {
        Some(m) => m.x_label.as_str(),
        None if f.log_x => "time t (log scale)",
        None => "time t",
    };
    text(&mut s, (px0 + px1) / 2.0, 10.0, 9.0, "middle", xl);
    text(&mut s, px0, h - 18.0, 10.0, "start", &f.title);
    text(&mut s, 6.0, py1 + 4.0, 8.0, "start", &f.y_label);
    let mut ly = py1 - 10.0;
    for (i, t) in f.traces.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        s.push_str(&format!(
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"14\" height=\"7\" fill=\"{}\" stroke=\"{}\"/>\n",
            px1 + 8.0,
            h - (ly - 1.0) - 7.0,
            rgb(c, true),
            rgb(c, false)
        ));
        text(&mut s, px1 + 26.0, ly, 8.0, "start", &t.label);
        ly -= 11.0;
    }
    if let Some(m) = &f.map {
        for (class, label, _) in &m.legend {
            s.push_str(&format!(
                "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"14\" height=\"7\" fill=\"{}\" stroke=\"black\" stroke-width=\"0.6\"/>\n",
                px1 + 8.0,
                h - (ly - 1.0) - 7.0,
                rgb(MAP_COLOURS[*class], false)
            ));
            for (n, part) in label.split(", ").enumerate() {
                text(&mut s, px1 + 26.0, ly - 9.0 * n as f64, 7.0, "start", part);
            }
            ly -= 9.0 * label.split(", ").count() as f64 + 4.0;
        }
    }
    for l in &f.levels {
        s.push_str(&format!(
            "<line x1=\"{:.2}\" y1=\"{y:.2}\" x2=\"{:.2}\" y2=\"{y:.2}\" stroke=\"black\" stroke-dasharray=\"5 3\"/>\n",
            px1 + 8.0,
            px1 + 22.0,
            y = h - (ly + 2.5)
        ));
        text(&mut s, px1 + 26.0, ly, 7.0, "start", &l.label);
        ly -= 11.0;
    }
    s.push_str("</svg>\n");
    s
}
