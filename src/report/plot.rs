//! SVG plots of certified time series ([`crate::cert::Series`]) drawn as enclosure bands.
//!
//! Each step `[t0, t1]` of a series encloses the quantity over the whole step in
//! `[lower, upper]`; the plot fills the box `[t0, t1] x [lower, upper]` of every step (one polygon
//! per run of finite steps: the upper staircase forward, the lower staircase back). No line is
//! drawn through midpoints: the band is what is proved. The decimal ends are converted to f64 for
//! drawing with outward rounding (lower ends and `t0` down, upper ends and `t1` up), so the drawn
//! band contains the certified one up to the backend's rounding to whole pixels; steps that are
//! not finite are left out and counted in the note under the plot, which also gives the widest
//! step enclosure (rounded up).
//!
//! Text uses plotters' built-in size estimate and is written as SVG `<text>`: no font files are
//! read, so plotting works on a machine with no fonts installed.

use super::digits::{parse_decimal, round_bound, Bound, Direction};
use crate::cert::{Certificate, Series};
use plotters::prelude::*;
use rug::Rational;

/// Width and height of a plot in pixels.
pub const SIZE: (u32, u32) = (720, 420);

/// `q` as f64 rounded in `dir` (the f64 is on the safe side of `q`).
fn to_f64_dir(q: &Rational, dir: Direction) -> f64 {
    let x = q.to_f64();
    if !x.is_finite() {
        return x;
    }
    let Some(back) = Rational::from_f64(x) else {
        return x;
    };
    match dir {
        Direction::Down if back > *q => next_toward(x, f64::NEG_INFINITY),
        Direction::Up if back < *q => next_toward(x, f64::INFINITY),
        _ => x,
    }
}

/// The neighbouring f64 of a finite `x` towards `to` (written out: `f64::next_up` needs a newer
/// Rust than the crate's minimum).
fn next_toward(x: f64, to: f64) -> f64 {
    fn up(x: f64) -> f64 {
        if x == 0.0 {
            f64::from_bits(1)
        } else if x > 0.0 {
            f64::from_bits(x.to_bits() + 1)
        } else {
            f64::from_bits(x.to_bits() - 1)
        }
    }
    if to > x {
        up(x)
    } else {
        -up(-x)
    }
}

fn end(s: &str, dir: Direction) -> Option<f64> {
    match parse_decimal(s).ok()? {
        Bound::Finite(q) => Some(to_f64_dir(&q, dir)),
        _ => None,
    }
}

/// A step as drawn: `(t0, t1, lower, upper)` rounded outward.
pub(crate) type Step = (f64, f64, f64, f64);

/// The steps of `series` as drawn (rounded outward; `None` where not finite) and the widest
/// step enclosure, exactly.
pub(crate) fn series_steps(series: &Series) -> (Vec<Option<Step>>, Option<Rational>) {
    steps(series)
}

fn steps(series: &Series) -> (Vec<Option<Step>>, Option<Rational>) {
    let mut widest: Option<Rational> = None;
    let drawn = series
        .points
        .iter()
        .map(|p| {
            let step = (
                end(&p.t0, Direction::Down)?,
                end(&p.t1, Direction::Up)?,
                end(&p.lower, Direction::Down)?,
                end(&p.upper, Direction::Up)?,
            );
            if let (Ok(Bound::Finite(l)), Ok(Bound::Finite(u))) =
                (parse_decimal(&p.lower), parse_decimal(&p.upper))
            {
                let w = u - l;
                if widest.as_ref().map_or(true, |m| w > *m) {
                    widest = Some(w);
                }
            }
            [step.0, step.1, step.2, step.3]
                .iter()
                .all(|v| v.is_finite())
                .then_some(step)
        })
        .collect();
    (drawn, widest)
}

/// Runs of consecutive finite steps, each as one closed polygon.
fn bands(steps: &[Option<Step>]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut run: Vec<Step> = Vec::new();
    let flush = |run: &mut Vec<Step>, out: &mut Vec<Vec<(f64, f64)>>| {
        if run.is_empty() {
            return;
        }
        let mut poly = Vec::with_capacity(4 * run.len());
        for &(t0, t1, _, hi) in run.iter() {
            poly.push((t0, hi));
            poly.push((t1, hi));
        }
        for &(t0, t1, lo, _) in run.iter().rev() {
            poly.push((t1, lo));
            poly.push((t0, lo));
        }
        out.push(poly);
        run.clear();
    };
    for s in steps {
        match s {
            Some(step) => run.push(*step),
            None => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Render one series of `cert` as an SVG document.
pub fn series_svg(cert: &Certificate, series: &Series) -> Result<String, String> {
    let (drawn, widest) = steps(series);
    let finite: Vec<Step> = drawn.iter().flatten().copied().collect();
    let skipped = drawn.len() - finite.len();
    let (mut x0, mut x1, mut y0, mut y1) = finite.iter().fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(t0, t1, lo, hi)| (a.min(t0), b.max(t1), c.min(lo), d.max(hi)),
    );
    if finite.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let pad = if y1 > y0 {
        (y1 - y0) * 0.05
    } else if y0 != 0.0 {
        y0.abs() * 0.05
    } else {
        1.0
    };
    (y0, y1) = (y0 - pad, y1 + pad);
    let mut caption = format!("{}: {}", cert.id, series.name);
    // Verdict `empirical` (C8): point samples of a non-validated simulation (lower = upper),
    // which have no band to fill: drawn as a line and labelled as approximations.
    let empirical = cert.verdict == crate::cert::Verdict::Empirical;
    let mut note = match &widest {
        _ if empirical => {
            "line: approximate values of a non-validated simulation, NOT enclosures".to_string()
        }
        Some(w) => format!(
            "band: enclosure over each step; widest {}",
            round_bound(w, Direction::Up, 2).to_text()
        ),
        None => "band: enclosure over each step".to_string(),
    };
    if series.name == "l" && !empirical {
        note.push_str("; red line: ln t + ln ln t (the asymptote up to O(1))");
    }
    if skipped > 0 {
        note.push_str(&format!("; {skipped} step(s) not finite, not drawn"));
    }
    if caption.len() > 90 {
        caption.truncate(90);
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| format!("plotting {}: {e}", caption);
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&caption, ("sans-serif", 18))
            .margin(12)
            .margin_bottom(26)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("t")
            .y_desc(series.name.as_str())
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| err(&e))?;
        let fill = RGBColor(31, 119, 180).mix(0.45).filled();
        if empirical {
            let line = finite.iter().map(|&(_, t1, lo, _)| (t1, lo));
            chart
                .draw_series(LineSeries::new(
                    line,
                    RGBColor(31, 119, 180).stroke_width(2),
                ))
                .map_err(|e| err(&e))?;
        } else {
            chart
                .draw_series(bands(&drawn).into_iter().map(|p| Polygon::new(p, fill)))
                .map_err(|e| err(&e))?;
            if series.name == "l" && x1 > 3.0 {
                // NC ray (docs/math.md section 8): l(t) = ln t + ln ln t + O(1), drawn for comparison.
                let from = x0.max(3.0);
                let curve = (0..=200)
                    .map(|i| {
                        let t = from + (x1 - from) * i as f64 / 200.0;
                        (t, t.ln() + t.ln().ln())
                    })
                    .filter(|&(_, y)| y0 <= y && y <= y1);
                chart
                    .draw_series(LineSeries::new(
                        curve,
                        RGBColor(214, 39, 40).stroke_width(2),
                    ))
                    .map_err(|e| err(&e))?;
            }
        }
        root.draw(&Text::new(
            note,
            (90, (SIZE.1 - 16) as i32),
            ("sans-serif", 11).into_font().color(&BLACK.mix(0.7)),
        ))
        .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// The enclosures at the step ends `(t1, lower, upper)`, rounded outward; not-finite ones left
/// out.
fn step_ends(series: &Series) -> Vec<(f64, f64, f64)> {
    series
        .points
        .iter()
        .filter_map(|p| {
            let e = (
                end(&p.t1, Direction::Up)?,
                end(&p.end_lower, Direction::Down)?,
                end(&p.end_upper, Direction::Up)?,
            );
            [e.0, e.1, e.2].iter().all(|v| v.is_finite()).then_some(e)
        })
        .collect()
}

/// Band colours of [`panels_svg`], in series order.
const PANEL_COLOURS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
];

/// Height in pixels of one panel of [`panels_svg`].
pub const PANEL_HEIGHT: u32 = 260;

/// Render several series of `cert` as stacked panels over a common time axis, one panel per
/// series with its own vertical scale: the enclosure over each step as a band (as in
/// [`series_svg`]), the (much narrower) enclosure at each step end as a dot with its vertical
/// extent, and a dashed horizontal line at `reference` (e.g. 1 for ratios `M(t)/M(0)`). Used
/// for C5 certificates (`M(t)/M(0)` above `V(t)/V(0)`): the metric rising above 1 while V
/// falls below it. Same outward rounding and gap rules as [`series_svg`].
pub fn panels_svg(
    cert: &Certificate,
    series: &[Series],
    reference: Option<f64>,
) -> Result<String, String> {
    let drawn: Vec<(Vec<Option<Step>>, Option<Rational>)> = series.iter().map(steps).collect();
    let finite = |d: &[Option<Step>]| -> Vec<Step> { d.iter().flatten().copied().collect() };
    let (mut x0, mut x1) = drawn.iter().flat_map(|(d, _)| finite(d)).fold(
        (f64::INFINITY, f64::NEG_INFINITY),
        |(a, b), (t0, t1, _, _)| (a.min(t0), b.max(t1)),
    );
    if !(x0.is_finite() && x1.is_finite()) {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let mut caption = format!("{}: {}", cert.id, names.join(" and "));
    if caption.len() > 90 {
        caption.truncate(90);
    }
    let widest: Vec<String> = series
        .iter()
        .zip(&drawn)
        .filter_map(|(s, (_, w))| {
            w.as_ref()
                .map(|w| format!("{} {}", s.name, round_bound(w, Direction::Up, 2).to_text()))
        })
        .collect();
    let skipped: usize = drawn
        .iter()
        .map(|(d, _)| d.iter().filter(|s| s.is_none()).count())
        .sum();
    let mut note = format!(
        "bands: enclosure over each step (widest: {}); dots: enclosures at step ends",
        widest.join(", ")
    );
    if reference.is_some() {
        note.push_str("; dashed: 1");
    }
    if skipped > 0 {
        note.push_str(&format!("; {skipped} step(s) not finite, not drawn"));
    }
    let size = (SIZE.0, 60 + PANEL_HEIGHT * series.len().max(1) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| format!("plotting {}: {e}", caption);
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let body = root
            .titled(&caption, ("sans-serif", 18))
            .map_err(|e| err(&e))?;
        let (panels_area, foot) = body.split_vertically(size.1 - 60);
        let panels = panels_area.split_evenly((series.len().max(1), 1));
        for (i, (s, (d, _))) in series.iter().zip(&drawn).enumerate() {
            let colour = PANEL_COLOURS[i % PANEL_COLOURS.len()];
            let ends = step_ends(s);
            let (mut y0, mut y1) = finite(d)
                .iter()
                .map(|&(_, _, lo, hi)| (lo, hi))
                .chain(ends.iter().map(|&(_, lo, hi)| (lo, hi)))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (lo, hi)| {
                    (a.min(lo), b.max(hi))
                });
            if !(y0.is_finite() && y1.is_finite()) {
                (y0, y1) = (0.0, 1.0);
            }
            if let Some(r) = reference {
                (y0, y1) = (y0.min(r), y1.max(r));
            }
            let pad = if y1 > y0 { (y1 - y0) * 0.05 } else { 1.0 };
            (y0, y1) = (y0 - pad, y1 + pad);
            let mut chart = ChartBuilder::on(&panels[i])
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(80)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| err(&e))?;
            chart
                .configure_mesh()
                .x_desc("t")
                .y_desc(s.name.as_str())
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(|e| err(&e))?;
            if let Some(r) = reference {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(x0, r), (x1, r)],
                        6,
                        4,
                        BLACK.mix(0.6).stroke_width(1),
                    ))
                    .map_err(|e| err(&e))?;
            }
            let fill = colour.mix(0.45).filled();
            let polys = bands(d);
            // the outline keeps a band visible where it is thinner than a pixel
            chart
                .draw_series(polys.iter().map(|p| {
                    let mut ring = p.clone();
                    ring.push(p[0]);
                    PathElement::new(ring, colour.stroke_width(1))
                }))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(polys.into_iter().map(|p| Polygon::new(p, fill)))
                .map_err(|e| err(&e))?;
            let dark = RGBColor(colour.0 / 2, colour.1 / 2, colour.2 / 2);
            chart
                .draw_series(ends.iter().map(|&(t, lo, hi)| {
                    PathElement::new(vec![(t, lo), (t, hi)], dark.stroke_width(2))
                }))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(
                    ends.iter()
                        .map(|&(t, lo, hi)| Circle::new((t, 0.5 * (lo + hi)), 2, dark.filled())),
                )
                .map_err(|e| err(&e))?;
        }
        foot.draw(&Text::new(
            note,
            (90, 20),
            ("sans-serif", 11).into_font().color(&BLACK.mix(0.7)),
        ))
        .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outward_conversion() {
        let tenth = Rational::from((1, 10));
        let down = to_f64_dir(&tenth, Direction::Down);
        let up = to_f64_dir(&tenth, Direction::Up);
        assert!(Rational::from_f64(down).unwrap() <= tenth);
        assert!(Rational::from_f64(up).unwrap() >= tenth);
        assert!(down < up);
        let half = Rational::from((1, 2));
        assert_eq!(to_f64_dir(&half, Direction::Down), 0.5);
        assert_eq!(to_f64_dir(&half, Direction::Up), 0.5);
    }

    #[test]
    fn bands_split_at_gaps() {
        let s = |t: f64| Some((t, t + 1.0, t, t + 0.5));
        let b = bands(&[s(0.0), s(1.0), None, s(3.0)]);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].len(), 8);
        assert_eq!(b[0][0], (0.0, 0.5));
        assert_eq!(b[0][3], (2.0, 1.5));
        assert_eq!(b[0][4], (2.0, 1.0));
        assert_eq!(b[1].len(), 4);
    }
}
