//! `hadacert report`: snapshots of the generated Markdown and LaTeX for the shipped claims, a
//! LaTeX compile test with a real engine, enclosure-band plots of a synthetic trajectory
//! certificate, CSV structure, and the property test of the certified-digits printer (checked
//! in exact rationals).
//!
//! The shipped claims are certified once per test run (library API, both cores) and shared by
//! the tests that need them.

use hadacert::cert::{Certificate, EnclosureRecord, Series, SeriesPoint, Verdict};
use hadacert::report::digits::{certified_digits, parse_decimal, pow10, Bound, Form};
use hadacert::report::{write_report, TableOptions};
use proptest::prelude::*;
use rug::ops::Pow;
use rug::{Integer, Rational};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::root;

/// The shipped claims, certified once into a temporary folder.
fn shipped() -> &'static (tempfile::TempDir, Vec<Certificate>) {
    static CERTS: OnceLock<(tempfile::TempDir, Vec<Certificate>)> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let claims = hadacert::cli::load_claims(&[root().join("proofs-data")])
            .unwrap_or_else(|e| panic!("{}", e.join("\n")));
        let certs = hadacert::cli::certify_all(&claims, dir.path(), None, false).unwrap();
        (dir, certs)
    })
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

#[test]
fn report_markdown_and_latex_snapshots() {
    let (_, certs) = shipped();
    let out = tempfile::tempdir().unwrap();
    let opts = TableOptions {
        times: false,
        ..TableOptions::default()
    };
    let summary = write_report(certs, out.path(), &opts).unwrap();
    // Every certificate appears in the report, every family has its three files.
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    for c in certs {
        assert!(
            md.contains(&format!("`{}`", c.id)),
            "{} missing from report.md",
            c.id
        );
    }
    for f in &summary.families {
        for ext in ["tex", "md", "csv"] {
            assert!(out.path().join(format!("{f}.{ext}")).is_file(), "{f}.{ext}");
        }
    }
    assert!(
        !md.contains(" ms |"),
        "--no-times tables must not show times"
    );
    snapshot("report_markdown", &md);
    let mut tex = String::new();
    for p in files_with_ext(out.path(), "tex") {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        tex.push_str(&format!("%%%% ==> {name} <==\n"));
        tex.push_str(&std::fs::read_to_string(&p).unwrap());
    }
    snapshot("report_latex", &tex);
}

#[test]
fn csv_carries_lower_upper_and_exact_radius() {
    let (_, certs) = shipped();
    let out = tempfile::tempdir().unwrap();
    write_report(certs, out.path(), &TableOptions::default()).unwrap();
    let text = std::fs::read_to_string(out.path().join("C1r.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for key in ["value", "value_lower", "value_upper", "value_radius"] {
        assert!(header.contains(&key), "{key} in {header:?}");
    }
    let col = |k: &str| header.iter().position(|h| *h == k).unwrap();
    let mut refuted_rows = 0;
    for line in lines {
        let fields = split_csv(line);
        assert_eq!(fields.len(), header.len(), "{line}");
        if fields[col("verdict")] != "refuted" {
            continue;
        }
        refuted_rows += 1;
        let q = |k: &str| match parse_decimal(&fields[col(k)]).unwrap() {
            Bound::Finite(q) => q,
            b => panic!("{k}: {b:?}"),
        };
        let (lo, hi, r) = (q("value_lower"), q("value_upper"), q("value_radius"));
        assert_eq!(
            Rational::from(&hi - &lo),
            Rational::from(&r * 2u32),
            "{line}"
        );
        // The displayed value is certified: +-1 unit of its last digit contains [lo, hi].
        let shown = &fields[col("value")];
        let (d, u, _) = parse_rendered(&shown.replace("...", "…"));
        assert!(
            Rational::from(&d - &u) <= lo && hi <= Rational::from(&d + &u),
            "{shown}"
        );
    }
    assert!(
        refuted_rows >= 4,
        "the shipped C1r claims refute at least 4 matrices"
    );
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// A synthetic trajectory certificate of an unknown family with two series, one step of which
/// is not finite.
fn synthetic() -> Certificate {
    let steps = 40;
    let point = |i: usize| {
        let t0 = Rational::from((i as i64, 10));
        let t1 = Rational::from((i as i64 + 1, 10));
        // V(t) about exp(-t): [0.9^(i+1) - 1e-3, 0.9^i + 1e-3] as decimals.
        let hi = Rational::from((9, 10)).pow(i as i32) + Rational::from((1, 1000));
        let lo = Rational::from((9, 10)).pow(i as i32 + 1) - Rational::from((1, 1000));
        let dec = |q: &Rational| hadacert::report::digits::exact_scientific(q);
        SeriesPoint {
            t0: dec(&t0),
            t1: dec(&t1),
            lower: if i == 17 { "-inf".into() } else { dec(&lo) },
            upper: if i == 17 { "inf".into() } else { dec(&hi) },
            end_lower: dec(&lo),
            end_upper: dec(&hi),
        }
    };
    let v = Series {
        name: "V".into(),
        points: (0..steps).map(point).collect(),
    };
    let mut m1 = v.clone();
    m1.name = "M1 (t)".into();
    m1.points.iter_mut().for_each(|p| {
        p.lower = "0.25".into();
        p.upper = "0.5".into();
    });
    Certificate {
        id: "C9-synthetic-trajectory".into(),
        claim: "C9".into(),
        statement: "a synthetic trajectory".into(),
        verdict: Verdict::Proved,
        expect: Verdict::Proved,
        backend: "mpfr".into(),
        precision_bits: 128,
        loss_convention: "mean".into(),
        inputs: serde_json::json!({"kind": "C9"}),
        exact_inputs: serde_json::json!({}),
        enclosures: vec![EnclosureRecord {
            name: "V(T)".into(),
            lower: "1.2345671e-3".into(),
            upper: "1.2345679e-3".into(),
        }],
        margin: Some("2.5e-3".into()),
        checks: vec![],
        escalation: vec![],
        source: "synthetic".into(),
        claim_digest: "0".into(),
        crate_version: "0".into(),
        build_id: "0".into(),
        elapsed_ms: 3,
        series: vec![v, m1],
    }
}

#[test]
fn series_are_plotted_as_enclosure_bands() {
    let out = tempfile::tempdir().unwrap();
    let cert = synthetic();
    let summary = write_report(
        std::slice::from_ref(&cert),
        out.path(),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(summary.plots.len(), 2, "{:?}", summary.plots);
    let v = out.path().join("plots/C9-synthetic-trajectory.V.svg");
    let m1 = out.path().join("plots/C9-synthetic-trajectory.M1__t_.svg");
    assert!(v.is_file() && m1.is_file(), "{:?}", summary.plots);
    let svg = std::fs::read_to_string(&v).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("C9-synthetic-trajectory: V"));
    assert!(
        svg.contains("1 step(s) not finite"),
        "the gap is said, not hidden"
    );
    // Two bands (steps 0-16 and 18-39, split at the step that is not finite), each a polygon
    // with 4 vertices per step; no polyline through the data.
    let polygons: Vec<&str> = svg.split("<polygon").skip(1).collect();
    assert_eq!(polygons.len(), 2, "{svg}");
    let vertices = |p: &str| {
        let pts = p
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        pts.split_whitespace().count()
    };
    assert_eq!(vertices(polygons[0]), 4 * 17);
    assert_eq!(vertices(polygons[1]), 4 * 22);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("](plots/C9-synthetic-trajectory.V.svg)"),
        "{md}"
    );
    // The unknown family gets the generic table, with certified digits and a rounded-down margin.
    let table = std::fs::read_to_string(out.path().join("C9.md")).unwrap();
    assert!(table.contains("`C9-synthetic-trajectory`"), "{table}");
    assert!(table.contains("0.001234567…"), "{table}");
    assert!(table.contains("| 0.0025 |"), "{table}");
}

#[test]
fn latex_tables_compile() {
    let engine = ["pdflatex", "lualatex"]
        .into_iter()
        .find(|e| {
            Command::new(e)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "no LaTeX engine (pdflatex or lualatex) on PATH: the LaTeX compile test needs one; \
                 install it with `HADACERT_NEED_LATEX=1 bash .ci/setup` (Debian packages \
                 texlive-latex-base and texlive-latex-recommended)"
            )
        });
    // The shipped claims' certificates, reported through the binary, then the example
    // appendix of the repository (docs/appendix-example.tex) compiled against that report.
    let (certs_dir, _) = shipped();
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_hadacert"))
        .args(["report", "--certs"])
        .arg(certs_dir.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let tables = files_with_ext(out.path(), "tex");
    assert!(tables.len() >= 8, "a table per claim kind: {tables:?}");
    let example = std::fs::read_to_string(root().join("docs/appendix-example.tex")).unwrap();
    for t in &tables {
        let stem = t.file_stem().unwrap().to_string_lossy();
        assert!(
            example.contains(&format!("\\InputIfFileExists{{{stem}}}")),
            "docs/appendix-example.tex does not input the report's {stem}.tex"
        );
        if stem == "figures" {
            continue; // the list of figure snippets
        }
        let text = std::fs::read_to_string(t).unwrap();
        assert!(
            !text.contains("resizebox") && !text.contains("textasciicircum"),
            "{stem}.tex: scaled, or mathematics as text"
        );
        assert!(text.contains("\\small\n"), "{stem}.tex: one font size");
    }
    std::fs::write(out.path().join("doc.tex"), example).unwrap();
    let run = Command::new(engine)
        .args([
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "doc.tex",
        ])
        .current_dir(out.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {engine}: {e}"));
    let log = std::fs::read_to_string(out.path().join("doc.log")).unwrap_or_default();
    assert!(
        run.status.success(),
        "{engine} failed on the generated tables:\n{}\n--- log (end) ---\n{}",
        String::from_utf8_lossy(&run.stdout),
        log.lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let pdf = std::fs::metadata(out.path().join("doc.pdf")).unwrap();
    assert!(pdf.len() > 1000);
    assert!(
        !log.contains("Missing character"),
        "a character the font lacks:\n{log}"
    );
    assert!(log.contains("Output written"), "{log}");

    // Every figure's pgfplots source, input into one document, compiles too.
    let mut pgf: Vec<String> = std::fs::read_dir(out.path().join("plots"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".pgf.tex"))
        .collect();
    pgf.sort();
    assert!(!pgf.is_empty(), "the report wrote no pgfplots figure");
    let have_pgfplots = Command::new("kpsewhich")
        .arg("pgfplots.sty")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have_pgfplots,
        "pgfplots is not installed: the LaTeX compile test needs it; run \
         `HADACERT_NEED_LATEX=1 bash .ci/setup`"
    );
    let mut doc = String::from(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{pgfplots}\n\
         \\pgfplotsset{compat=1.17}\n\\begin{document}\n",
    );
    for f in &pgf {
        doc.push_str(&format!("\\input{{plots/{f}}}\\par\n"));
    }
    doc.push_str("\\end{document}\n");
    std::fs::write(out.path().join("pgf.tex"), doc).unwrap();
    let run = Command::new(engine)
        .args([
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "pgf.tex",
        ])
        .current_dir(out.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {engine}: {e}"));
    let log = std::fs::read_to_string(out.path().join("pgf.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(40).collect();
    assert!(
        run.status.success() && log.contains("Output written"),
        "{engine} failed on the pgfplots figures ({} files):\n{}",
        pgf.len(),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
}

/// Parse the text form back: `(D, u, form)`.
fn parse_rendered(s: &str) -> (Rational, Rational, Form) {
    let (mant, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i64>().unwrap()),
        None => (s, 0),
    };
    let (body, form) = if let Some(b) = mant.strip_suffix("(1)") {
        (b, Form::PlusMinusOne)
    } else if let Some(b) = mant.strip_suffix('…') {
        (b, Form::Prefix)
    } else {
        (mant, Form::Exact)
    };
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let frac_len = body.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
    let digits: Integer = body.replace('.', "").parse().unwrap();
    let e = exp - frac_len;
    let mut d = Rational::from(digits) * pow10(e);
    if neg {
        d = -d;
    }
    let u = if form == Form::Exact {
        Rational::new()
    } else {
        pow10(e)
    };
    (d, u, form)
}

fn decimal(m: i64, e: i32) -> String {
    format!("{m}e{e}")
}

fn q(s: &str) -> Rational {
    match parse_decimal(s).unwrap() {
        Bound::Finite(q) => q,
        b => panic!("{b:?}"),
    }
}

/// The printed value with +-1 unit of its last digit contains the enclosure; the prefix form's
/// digits are digits of every value; the exact form is exact; the text parses back to the same
/// value; the unit is the finest at which +-1 holds (uncapped); the cap is respected.
fn check_printer(lo: &str, hi: &str, cap: Option<usize>) -> Result<(), TestCaseError> {
    let (l, h) = (q(lo), q(hi));
    let c = certified_digits(lo, hi, cap).map_err(TestCaseError::fail)?;
    let form = c.form.expect("finite enclosures print digits");
    let d = c.value();
    let u = c.unit();
    let text = c.to_text();
    let (pd, pu, pform) = parse_rendered(&text);
    prop_assert_eq!(&pd, &d, "text {} parses back to another value", text);
    prop_assert_eq!(pform, form, "{}", text);
    if form != Form::Exact {
        prop_assert_eq!(&pu, &u, "{}", text);
    }
    prop_assert!(
        Rational::from(&d - &u) <= l && h <= Rational::from(&d + &u),
        "[{}, {}] printed {} is not within one unit",
        lo,
        hi,
        text
    );
    match form {
        Form::Exact => prop_assert!(l == h && d == l, "{}", text),
        Form::Prefix => {
            // D <= |x| < D + u at both ends (so for every x in between).
            let mag = |x: &Rational| Rational::from(x.abs_ref());
            let dm = mag(&d);
            for x in [&l, &h] {
                prop_assert!(
                    dm <= mag(x) && mag(x) < Rational::from(&dm + &u),
                    "{} at {}",
                    text,
                    x
                );
            }
            prop_assert!(
                l.cmp0() != std::cmp::Ordering::Less || h.cmp0() != std::cmp::Ordering::Greater
            );
        }
        Form::PlusMinusOne => {}
    }
    if let Some(cap) = cap {
        prop_assert!(
            c.digit_count() <= cap,
            "{} has more than {} digits",
            text,
            cap
        );
    } else if form != Form::Exact && l != h {
        // No finer unit works: no multiple of u/10 lies in [h - u/10, l + u/10].
        let v = Rational::from(&u / 10u32);
        let kmin = Integer::from((Rational::from(&h - &v) / &v).ceil_ref());
        let kmax = Integer::from((Rational::from(&l + &v) / &v).floor_ref());
        prop_assert!(
            kmin > kmax,
            "{} is not the finest: unit {} also works",
            text,
            v
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        rng_seed: crate::common::proptest_seed(&ProptestConfig::default()),
        ..ProptestConfig::default()
    })]

    /// Independent ends.
    #[test]
    fn printer_independent_ends(a in -10_000_000i64..10_000_000, ea in -12i32..8,
                                b in -10_000_000i64..10_000_000, eb in -12i32..8,
                                cap in proptest::option::of(1usize..15)) {
        let (x, y) = (decimal(a, ea), decimal(b, eb));
        let (lo, hi) = if q(&x) <= q(&y) { (x, y) } else { (y, x) };
        check_printer(&lo, &hi, cap)?;
    }

    /// Narrow enclosures around a decimal with long digit strings, often straddling a digit
    /// boundary (`c` is a multiple of 10^(e+k)), like the certificates' enclosures.
    #[test]
    fn printer_narrow_enclosures(c in -999_999_999i64..999_999_999, e in -90i32..10, k in 0i32..4,
                                 below in 0i64..1000, above in 0i64..1000, shift in -3i32..3,
                                 cap in proptest::option::of(1usize..20)) {
        let centre = Rational::from(c) * pow10((e + k) as i64);
        let lo = &centre - Rational::from(below) * pow10((e + shift) as i64);
        let hi = centre + Rational::from(above) * pow10((e + shift - 1) as i64);
        let dec = hadacert::report::digits::exact_scientific;
        check_printer(&dec(&lo), &dec(&hi), cap)?;
    }
}

#[test]
fn printer_known_cases() {
    for (lo, hi) in [
        ("0.12345", "0.12349"),
        ("0.99999", "1.00001"),
        ("-1.7e-76", "1.6e-76"),
        ("0", "0"),
        ("-0.0012", "0"),
        ("0", "5"),
        (
            "9.9999999999999999999999999999999999999999999999999999999999999999999999999983591e-1",
            "1.0000000000000000000000000000000000000000000000000000000000000000000000000001728",
        ),
    ] {
        for cap in [None, Some(1), Some(3), Some(12)] {
            check_printer(lo, hi, cap).unwrap_or_else(|e| panic!("[{lo}, {hi}] cap {cap:?}: {e}"));
        }
    }
}

#[test]
fn regress_compares_series_step_by_step() {
    use hadacert::report::folder::LoadedCertificate;
    use hadacert::report::regress::compare;
    let load = |c: &Certificate| LoadedCertificate {
        path: PathBuf::from(format!("{}.json", c.id)),
        bytes: Vec::new(),
        cert: c.clone(),
    };
    // Two series of the same name pair up in order, not both with the first.
    let mut pinned = synthetic();
    let mut second = pinned.series[1].clone();
    second.name = "V".into();
    pinned.series.push(second);
    let four = Rational::from(4);
    let same = compare(&[load(&pinned)], &[load(&pinned)], &four);
    assert_eq!(same.regressions(), 0, "{}", same.render(&four));
    assert!(same.enclosures > 3 * 40, "every step is compared");
    // One step moved away and one widened: both named with their step and time interval.
    let mut fresh = pinned.clone();
    fresh.series[2].points[5].lower = "0.75".into();
    fresh.series[2].points[5].upper = "0.875".into();
    fresh.series[0].points[3].upper = "5".into();
    let diff = compare(&[load(&pinned)], &[load(&fresh)], &four);
    let text = diff.render(&four);
    assert_eq!(diff.regressions(), 2, "{text}");
    assert!(
        text.contains("series `V` step 5 [t = 5e-1, 6e-1]: no longer intersects"),
        "{text}"
    );
    assert!(
        text.contains("series `V` step 3 [t = 3e-1, 4e-1]: widened"),
        "{text}"
    );
    // A changed time grid is a regression, not a silent comparison of different times.
    let mut regridded = pinned.clone();
    regridded.series[1].points[0].t1 = "0.15".into();
    let diff = compare(&[load(&pinned)], &[load(&regridded)], &four);
    assert!(
        diff.render(&four).contains("time grid changed"),
        "{}",
        diff.render(&four)
    );
}

/// The synthetic certificate under another id and family.
fn synthetic_as(id: &str, family: &str) -> Certificate {
    let mut c = synthetic();
    c.id = id.into();
    c.claim = family.into();
    c.inputs = serde_json::json!({ "kind": family });
    c
}

fn run_report(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hadacert"))
        .arg("report")
        .args(args)
        .output()
        .unwrap()
}

fn manifest_files(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join(".hadacert-report.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn report_replaces_its_previous_output_and_nothing_else() {
    let out = tempfile::tempdir().unwrap();
    let first = write_report(
        &[synthetic_as("C9-old", "C9")],
        out.path(),
        &TableOptions::default(),
    )
    .unwrap();
    // The manifest lists exactly the files written, relative to the folder.
    let listed = manifest_files(out.path());
    assert_eq!(listed.len(), first.files.len(), "{listed:?}");
    for f in &first.files {
        let rel = f
            .strip_prefix(out.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(listed.contains(&rel), "{rel} not in {listed:?}");
        assert!(f.is_file());
    }
    assert!(out.path().join("C9.tex").is_file());
    assert!(out.path().join("plots/C9-old.V.svg").is_file());
    // A file the user put there is not ours: it survives the next report.
    std::fs::write(out.path().join("notes.txt"), "mine").unwrap();
    let second = write_report(
        &[synthetic_as("C10-new", "C10")],
        out.path(),
        &TableOptions::default(),
    )
    .unwrap();
    for f in &first.files {
        if !second.files.contains(f) {
            assert!(!f.exists(), "stale {} survived", f.display());
        }
    }
    assert!(!out.path().join("C9.tex").exists());
    assert!(!out.path().join("plots/C9-old.V.svg").exists());
    assert!(out.path().join("C10.tex").is_file());
    assert!(out.path().join("plots/C10-new.V.svg").is_file());
    assert_eq!(
        std::fs::read_to_string(out.path().join("notes.txt")).unwrap(),
        "mine"
    );
    let report = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        report.contains("C10-new") && !report.contains("C9-old"),
        "{report}"
    );
    assert_eq!(manifest_files(out.path()).len(), second.files.len());
}

#[test]
fn report_refuses_a_folder_it_did_not_write() {
    let certs = tempfile::tempdir().unwrap();
    hadacert::cert::write_atomic(certs.path(), &synthetic()).unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("paper.tex"), "\\documentclass{article}").unwrap();
    std::fs::write(out.path().join("C9.tex"), "my own table").unwrap();
    let run = run_report(&[
        "--certs".as_ref(),
        certs.path().as_os_str(),
        "--out".as_ref(),
        out.path().as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not empty") && stderr.contains(".hadacert-report.json"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was deleted"), "{stderr}");
    // Nothing deleted, nothing written.
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["C9.tex", "paper.tex"]);
    assert_eq!(
        std::fs::read_to_string(out.path().join("C9.tex")).unwrap(),
        "my own table"
    );
    // A manifest listing a path outside the folder is refused too, before anything is removed.
    let out2 = tempfile::tempdir().unwrap();
    std::fs::write(out2.path().join("keep.tex"), "x").unwrap();
    std::fs::write(
        out2.path().join(".hadacert-report.json"),
        r#"{"tool": "hadacert report", "version": "0", "files": ["keep.tex", "../elsewhere.tex"]}"#,
    )
    .unwrap();
    let run = run_report(&[
        "--certs".as_ref(),
        certs.path().as_os_str(),
        "--out".as_ref(),
        out2.path().as_os_str(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(out2.path().join("keep.tex").is_file());
}

#[test]
fn report_only_restricts_to_matching_ids() {
    let certs = tempfile::tempdir().unwrap();
    for c in [
        synthetic_as("C9-a", "C9"),
        synthetic_as("C9-b", "C9"),
        synthetic_as("C10-c", "C10"),
    ] {
        hadacert::cert::write_atomic(certs.path(), &c).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_report(&[
        "--certs".as_ref(),
        certs.path().as_os_str(),
        "--out".as_ref(),
        out.path().as_os_str(),
        "--only".as_ref(),
        "C9-a".as_ref(),
        "--only".as_ref(),
        "C10-*".as_ref(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        report.contains("`C9-a`") && report.contains("`C10-c`"),
        "{report}"
    );
    assert!(!report.contains("C9-b"), "{report}");
    assert!(
        report.starts_with("# hadacert report\n\n2 certificates"),
        "{report}"
    );
    // No time column unless asked for.
    let table = std::fs::read_to_string(out.path().join("C9.md")).unwrap();
    assert!(
        !table.contains("| time |") && !table.contains(" ms |"),
        "{table}"
    );
    // A pattern that matches nothing is an error (exit 2), not an empty report.
    let out2 = tempfile::tempdir().unwrap();
    let run = run_report(&[
        "--certs".as_ref(),
        certs.path().as_os_str(),
        "--out".as_ref(),
        out2.path().as_os_str(),
        "--only".as_ref(),
        "C1-*".as_ref(),
        "--times".as_ref(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("no certificate id matches --only C1-*"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // --times adds the column.
    let out3 = tempfile::tempdir().unwrap();
    let run = run_report(&[
        "--certs".as_ref(),
        certs.path().as_os_str(),
        "--out".as_ref(),
        out3.path().as_os_str(),
        "--times".as_ref(),
    ]);
    assert!(run.status.success());
    let table = std::fs::read_to_string(out3.path().join("C9.md")).unwrap();
    assert!(
        table.contains("| time |") && table.contains(" 3 ms |"),
        "{table}"
    );
}

#[test]
fn figures_group_modes_draw_bounds_and_say_what_is_left_out() {
    use hadacert::report::figure;
    // lambda_0 constant (not drawn, said so), lambda_1 and lambda_2 in one figure; a bound on V
    // that the band crosses (a refuted bound must be visible).
    let mut cert = synthetic_as("traj-synthetic", "trajectory");
    cert.inputs = serde_json::json!({
        "kind": "trajectory",
        "bounds": [{"quantity": "V", "at": "all", "below": "0.5", "above": null}],
    });
    let v = cert.series[0].clone();
    let mut modes = Vec::new();
    for (m, (lo, hi)) in [("0", "0"), ("0.25", "0.5"), ("0.75", "1")]
        .iter()
        .enumerate()
    {
        let mut s = v.clone();
        s.name = format!("lambda_{m}");
        for p in &mut s.points {
            p.lower = lo.to_string();
            p.upper = hi.to_string();
        }
        modes.push(s);
    }
    cert.series = vec![v];
    cert.series.extend(modes);
    let figs = figure::figures(&cert);
    let names: Vec<&str> = figs.iter().map(|f| f.stem.as_str()).collect();
    assert_eq!(
        names,
        ["traj-synthetic-V", "traj-synthetic-lambda-m"],
        "{names:?}"
    );
    let modes = &figs[1];
    let labels: Vec<&str> = modes.traces.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["lambda_1", "lambda_2"]);
    let caption = figure::snippet(modes, "plots/x.pdf", "plots/x.pgf.tex");
    assert!(caption.contains("$\\lambda_{0}$ is not drawn"), "{caption}");
    assert!(caption.contains("\\begin{figure}") && caption.contains("\\includegraphics"));
    // The bound on V: a level at 0.5 over the whole run, in the data and in the pgfplots source.
    let vf = &figs[0];
    assert_eq!(vf.levels.len(), 1);
    assert_eq!(vf.levels[0].value, 0.5);
    let dats = figure::dat_files(vf);
    let bound = dats.iter().find(|(n, _)| n.ends_with("-b1.dat")).unwrap();
    assert!(
        bound.1.lines().skip(2).all(|l| l.ends_with(" 5e-1")),
        "{}",
        bound.1
    );
    let pgf = figure::to_pgfplots(vf, "plots/");
    for (name, _) in &dats {
        assert!(
            pgf.contains(&format!("{{plots/{name}}}")),
            "{name} not drawn:\n{pgf}"
        );
    }
    assert!(pgf.contains("dashed") && pgf.contains("\\addlegendentry{bound $V < 0.5$"));
    // Two bands (split at the step that is not finite), each outline closed.
    let bands: Vec<_> = dats.iter().filter(|(n, _)| n.contains("-s1-")).collect();
    assert_eq!(bands.len(), 2);
    for (_, text) in &bands {
        let rows: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(rows.first(), rows.last(), "outline closed");
    }
    // The PDF: one page, base-14 Helvetica, no embedded font file.
    let pdf = figure::to_pdf(vf);
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-"), "not a PDF");
    assert!(text.contains("/Helvetica") && !text.contains("/FontFile"));
    assert!(text.trim_end().ends_with("%%EOF"));
    // The SVG of the same model: the same two bands and the dashed bound (plus its legend key).
    let svg = figure::to_svg(vf);
    assert_eq!(svg.matches("<polygon").count(), 2, "{svg}");
    assert_eq!(svg.matches("stroke-dasharray").count(), 2, "{svg}");
    assert!(svg.contains("bound V &lt; 0.5 on [0, T]"), "{svg}");
    // write_report writes every file of every figure and lists them in the manifest.
    let out = tempfile::tempdir().unwrap();
    let summary = write_report(
        std::slice::from_ref(&cert),
        out.path(),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(
        summary.figures,
        ["traj-synthetic-V", "traj-synthetic-lambda-m"]
    );
    let listed = manifest_files(out.path());
    for stem in &summary.figures {
        for f in [
            format!("plots/{stem}.pdf"),
            format!("plots/{stem}.svg"),
            format!("plots/{stem}.pgf.tex"),
            format!("figures/fig-{stem}.tex"),
        ] {
            assert!(out.path().join(&f).is_file(), "{f}");
            assert!(listed.contains(&f), "{f} not in the manifest");
        }
    }
    let list = std::fs::read_to_string(out.path().join("figures.tex")).unwrap();
    assert!(
        list.contains("\\input{figures/fig-traj-synthetic-lambda-m}"),
        "{list}"
    );
}
