//! Kind `region-map` (src/claim/region_map.rs): a small K = 8 map (counts and exact areas), its
//! green and red boxes re-checked at exact random points by an independent evaluation (the
//! chain rule through the metric along the balanced field, 128-bit MPFR), bad input, and the
//! map figure in the three writers.

use hadacert::arith::{Enclosure, Field, MpfrInterval};
use hadacert::cert::Verdict;
use hadacert::claim::region_map::{map_boxes, Colour, MapParams};
use hadacert::claim::{parse_claims, Params};
use hadacert::ode::dual::Dual;
use hadacert::prove::region::RateQuantity;
use hadacert::report::{write_report, TableOptions};
use hadacert::spectral::field::enclose_balanced_field;
use hadacert::spectral::lyapunov::{enclose_m1, enclose_m2, enclose_m3};
use rug::Rational;
use std::path::Path;

use crate::common::certify_text_as;

/// A coarse map through the state of c5k4-k8-m1-refuted (x1 and the scale free): both colours
/// appear, and it runs in well under a second.
fn small(quantity: &str, extra: &str) -> String {
    format!(
        r#"
[[claim]]
id = "map-{quantity}"
kind = "region-map"
expect = "proved"
backend = "inari"
quantity = "{quantity}"
k = 8
max_depth = 4
{extra}
slice = {{ base = ["0.0032", "0.261", "0.0016", "0.241", "0.288", "0.202", "0.0032"], x = {{ coordinate = "x1", range = ["0.001", "0.065"] }}, y = {{ coordinate = "scale", range = ["10", "60"] }}, grid = 4 }}
"#
    )
}

fn params(text: &str) -> MapParams {
    let claims = parse_claims(text, Path::new("map.toml")).unwrap_or_else(|e| panic!("{e}"));
    match &claims[0].params {
        Params::RegionMap(p) => (**p).clone(),
        _ => panic!("not a map"),
    }
}

/// xorshift64*, for reproducible exact points.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// `dM/dt` (M1, M2 or M3) at the exact state, by dual numbers through the metric along the
/// balanced field (not the closed-form rates the map uses), 128-bit MPFR.
fn rate_by_chain_rule(q: RateQuantity, lambda: &[Rational]) -> MpfrInterval {
    let prec = 128;
    let l: Vec<MpfrInterval> = lambda
        .iter()
        .map(|v| MpfrInterval::from_rational(v, prec))
        .collect();
    let field = enclose_balanced_field(&l);
    let x: Vec<Dual<MpfrInterval>> = l
        .iter()
        .zip(&field)
        .map(|(v, d)| Dual {
            value: v.clone(),
            grad: vec![d.clone()],
        })
        .collect();
    let m = match q {
        RateQuantity::M1 => enclose_m1(&x),
        RateQuantity::M2 => enclose_m2(&x),
        RateQuantity::M3 => enclose_m3(&x),
        _ => unreachable!(),
    };
    m.partial(0)
}

#[test]
fn small_map_counts_and_areas() {
    let p = params(&small("M1", ""));
    let boxes = map_boxes::<hadacert::arith::Ival>(&p, 53).expect("within budget");
    // Every cell is covered by its boxes: the areas add up to the slice's, exactly.
    let area = |b: &[Rational; 4]| Rational::from(&b[1] - &b[0]) * Rational::from(&b[3] - &b[2]);
    let total = boxes.iter().fold(Rational::new(), |a, b| a + area(&b.b));
    let slice = Rational::from((64, 1000)) * Rational::from(50);
    assert_eq!(total, slice);
    let count = |c: Colour| boxes.iter().filter(|b| b.colour == c).count();
    let (g, r, y) = (
        count(Colour::Green),
        count(Colour::Red),
        count(Colour::Grey),
    );
    assert!(g > 0 && r > 0, "green {g}, red {r}");
    assert_eq!(count(Colour::Excluded), 0);
    assert_eq!(g + r + y, boxes.len());
    // Grey boxes only at the depth limit; coloured boxes at most there.
    assert!(boxes.iter().all(|b| b.depth <= 4));
    assert!(boxes
        .iter()
        .filter(|b| b.colour == Colour::Grey)
        .all(|b| b.depth == 4));
    // Each colour follows from its enclosure.
    for b in &boxes {
        let e = b.enclosure.as_ref().unwrap();
        match b.colour {
            Colour::Green => assert!(e.upper_f64() <= 0.0),
            Colour::Red => assert!(e.lower_f64() > 0.0),
            _ => assert!(e.upper_f64() > 0.0 && e.lower_f64() <= 0.0),
        }
    }
    // The certificate's counts match.
    let certs = certify_text_as(&small("M1", ""), "map.toml");
    let c = &certs[0];
    assert_eq!(c.verdict, Verdict::Proved);
    assert!(c.margin.is_some());
    assert_eq!(c.enclosures.len(), boxes.len());
    let detail = &c.checks[0].detail;
    assert!(
        detail.contains(&format!("green: {g} boxes"))
            && detail.contains(&format!("red: {r} boxes")),
        "{detail}"
    );
    assert_eq!(
        c.enclosures
            .iter()
            .filter(|e| e.name.starts_with("red box "))
            .count(),
        r
    );
}

#[test]
fn coloured_boxes_hold_at_random_exact_points() {
    for (q, name) in [
        (RateQuantity::M1, "M1"),
        (RateQuantity::M2, "M2"),
        (RateQuantity::M3, "M3"),
    ] {
        let p = params(&small(name, ""));
        let boxes = map_boxes::<hadacert::arith::Ival>(&p, 53).expect("within budget");
        let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ q as u64;
        let (mut green, mut red) = (0, 0);
        for b in boxes
            .iter()
            .filter(|b| matches!(b.colour, Colour::Green | Colour::Red))
        {
            for _ in 0..3 {
                let frac = |s: &mut u64| Rational::from(((next(s) % 1001) as i64, 1000));
                let t: Vec<Rational> = (0..2)
                    .map(|i| {
                        let w = Rational::from(&b.b[2 * i + 1] - &b.b[2 * i]);
                        Rational::from(&b.b[2 * i] + w * frac(&mut seed))
                    })
                    .collect();
                // The y axis is the scale.
                let x = p.normalised_at([&t[0], &t[1]]);
                assert_eq!(x.iter().fold(Rational::new(), |a, v| a + v), 1);
                let mut lambda = vec![Rational::new()];
                lambda.extend(x.iter().map(|v| Rational::from(v * &t[1])));
                let rate = rate_by_chain_rule(q, &lambda);
                if b.colour == Colour::Green {
                    assert!(!rate.certainly_positive(), "{name}: green box {:?}", b.b);
                    green += 1;
                } else {
                    assert!(rate.certainly_positive(), "{name}: red box {:?}", b.b);
                    red += 1;
                }
            }
        }
        assert!(
            green > 0 && red > 0,
            "{name}: green {green}, red {red} points"
        );
    }
}

#[test]
fn bad_slices_are_refused() {
    let base = r#"["0.0032", "0.261", "0.0016", "0.241", "0.288", "0.202", "0.0032"]"#;
    let claim = |slice: &str, extra: &str| {
        format!(
            "[[claim]]\nid = \"m\"\nkind = \"region-map\"\nexpect = \"proved\"\nbackend = \
             \"inari\"\nquantity = \"M1\"\nk = 8\n{extra}\nslice = {slice}\n"
        )
    };
    let cases = [
        // x1 up to 0.9 with x3 absorbing the change: x3 < 0 at a corner.
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.001\", \"0.9\"] }}, y = {{ coordinate = \"scale\", range = [\"10\", \"60\"] }}, tie = 3, grid = 2 }}"),
                "",
            ),
            "slice",
            "leaves the simplex",
        ),
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.01\", \"0.01\"] }}, y = {{ coordinate = \"scale\", range = [\"10\", \"60\"] }}, grid = 2 }}"),
                "",
            ),
            "slice.x.range",
            "zero or reversed range",
        ),
        (
            claim(
                "{ base = [\"0.5\", \"0.5\", \"0.1\", \"0.1\", \"0.1\", \"0.1\", \"0.1\"], x = { coordinate = \"x1\", range = [\"0.01\", \"0.02\"] }, y = { coordinate = \"scale\", range = [\"10\", \"60\"] }, grid = 2 }",
                "",
            ),
            "slice.base",
            "must sum to 1",
        ),
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.01\", \"0.02\"] }}, y = {{ coordinate = \"x2\", range = [\"0.2\", \"0.3\"] }}, grid = 2 }}"),
                "",
            ),
            "scale",
            "missing",
        ),
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.01\", \"0.02\"] }}, y = {{ coordinate = \"scale\", range = [\"10\", \"60\"] }}, grid = 2 }}"),
                "scale = [\"1\", \"2\"]",
            ),
            "scale",
            "not allowed",
        ),
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.01\", \"0.02\"] }}, y = {{ coordinate = \"x9\", range = [\"0.1\", \"0.2\"] }}, grid = 2 }}"),
                "scale = [\"1\", \"2\"]",
            ),
            "slice.y.coordinate",
            "must be",
        ),
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.01\", \"0.02\"] }}, y = {{ coordinate = \"x2\", range = [\"0.2\", \"0.3\"] }}, tie = 2, grid = 2 }}"),
                "scale = [\"1\", \"2\"]",
            ),
            "slice.tie",
            "must not be an axis",
        ),
        (
            claim(
                &format!("{{ base = {base}, x = {{ coordinate = \"x1\", range = [\"0.01\", \"0.02\"] }}, y = {{ coordinate = \"scale\", range = [\"10\", \"60\"] }}, grid = 0 }}"),
                "",
            ),
            "slice.grid",
            "must be in",
        ),
    ];
    for (text, field, message) in cases {
        let err = parse_claims(&text, Path::new("bad.toml")).expect_err(&text);
        assert_eq!(err.field, field, "{err}");
        assert!(err.message.contains(message), "{err}");
    }
}

#[test]
fn map_figure_in_three_writers() {
    let certs = certify_text_as(&small("M1", ""), "map.toml");
    let out = tempfile::tempdir().unwrap();
    let summary = write_report(&certs, out.path(), &TableOptions::default()).unwrap();
    assert_eq!(summary.figures, vec!["map-M1-map".to_string()]);
    let plots = out.path().join("plots");
    let n = certs[0].enclosures.len();
    let red = certs[0]
        .enclosures
        .iter()
        .filter(|e| e.name.starts_with("red box "))
        .count();
    let svg = std::fs::read_to_string(plots.join("map-M1-map.svg")).unwrap();
    // One rectangle per box (plus the background, the frame and one legend swatch per colour).
    let red_fill = "fill=\"#db362e\"";
    assert_eq!(svg.matches(red_fill).count(), red + 1, "{svg}");
    assert!(svg.matches("<rect ").count() >= n + 2);
    assert!(svg.contains("normalised entry x1") && svg.contains("scale S"));
    assert!(svg.contains("red: ") && svg.contains("green: "));
    let pgf = std::fs::read_to_string(plots.join("map-M1-map.pgf.tex")).unwrap();
    assert_eq!(pgf.matches("\\fill[").count(), n);
    assert!(pgf.contains("\\addlegendimage{area legend"));
    let pdf = std::fs::read(plots.join("map-M1-map.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(out.path().join("figures/fig-map-M1-map.tex").is_file());
}
