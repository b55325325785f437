//! Reports made from certificates only (never recomputed): the verdict table printed by
//! `certify`, the appendix material of `hadacert report` (LaTeX, Markdown and CSV tables per
//! claim family, SVG plots of certified series), and the regression check of `hadacert regress`.
//!
//! Architecture invariant: this module reads [`Certificate`]s and knows nothing of backends:
//! it does not use `arith`, `model` or `spectral`. Every number it prints comes from the
//! decimal strings of a certificate, handled exactly (`rug::Rational`), and shows only the
//! digits the enclosure proves ([`digits`]).
//!
//! | file | what it holds |
//! |------|---------------|
//! | [`digits`] | certified digits of an enclosure; bounds rounded the safe way; exact decimal parsing |
//! | [`explain`] | one certificate in words: statement, verdict, deciding checks, key enclosures, causes of an undecided verdict and what to try |
//! | [`folder`] | strict reading of a folder of certificates (bad files are named, never skipped) |
//! | [`tables`] | one table per claim family, rendered as LaTeX (booktabs), Markdown, CSV |
//! | [`plot`] | SVG enclosure-band plots of certified series |
//! | [`regress`] | fresh certificates against pinned ones |
//! | [`verdicts`] | the verdict table of `certify` (120 columns, one meaning per column) and the reasons under it |

pub mod digits;
pub mod explain;
pub mod figure;
pub mod folder;
pub mod manifest;
pub mod plot;
pub mod regress;
pub mod tables;
pub mod verdicts;

use crate::cert::{file_stem, Certificate};
use std::path::{Path, PathBuf};
pub use tables::TableOptions;
pub use verdicts::{reasons, verdict_table};

/// What [`write_report`] wrote.
#[derive(Clone, Debug, Default)]
pub struct ReportSummary {
    /// Certificates read.
    pub certificates: usize,
    /// Families with a table, in report order.
    pub families: Vec<String>,
    /// Every file written (tables, plots, index).
    pub files: Vec<PathBuf>,
    /// The SVG plots among them.
    pub plots: Vec<PathBuf>,
    /// Stems of the paper figures (`plots/<stem>.pdf`, `figures/fig-<stem>.tex`).
    pub figures: Vec<String>,
    /// The manifest listing `files` (`out/.hadacert-report.json`).
    pub manifest: PathBuf,
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Write the appendix material for `certs` into `out`:
///
/// * `<family>.tex`, `<family>.md`, `<family>.csv` for every claim family present (see
///   [`tables`]; unknown families get the generic table);
/// * `plots/<id>.<series>.svg` for every series of every certificate that has one, except C5
///   certificates, which get one `plots/<id>.svg` with both ratio series as stacked panels
///   ([`plot::panels_svg`]);
/// * `report.md`: a summary line, every Markdown table, and the plots;
/// * paper figures ([`figure`]): `plots/<stem>.pdf` and `plots/<stem>.svg` (one model, same
///   layout), `plots/<stem>.pgf.tex` with its
///   `plots/<stem>-s<i>-<j>.dat` / `-b<i>.dat` tables, `figures/fig-<stem>.tex` (a `figure`
///   environment including the PDF), and `figures.tex` inputting every snippet;
/// * `.hadacert-report.json`, the [`manifest`] listing every file above.
///
/// `out` must be new, empty, or hold a previous report (a manifest): the files of the previous
/// manifest are removed first, so nothing stale survives; a non-empty folder without a manifest
/// is refused and left untouched ([`manifest::prepare`]).
pub fn write_report(
    certs: &[Certificate],
    out: &Path,
    opts: &TableOptions,
) -> Result<ReportSummary, String> {
    manifest::prepare(out)?;
    let mut summary = ReportSummary {
        certificates: certs.len(),
        ..ReportSummary::default()
    };
    let tables = tables::family_tables(certs, opts);
    let mut index = String::from("# hadacert report\n\n");
    index.push_str(&format!("{}\n", summary_line(certs)));
    index.push_str(
        "\nNumbers show only certified digits: `0.1234…` means every value in the enclosure \
         begins 0.1234; `1.000(1)` means within one unit of the last digit; bounds are rounded \
         the safe way.\n",
    );
    for t in &tables {
        for (ext, text) in [
            ("tex", t.to_latex()),
            ("md", t.to_markdown()),
            ("csv", t.to_csv()),
        ] {
            let path = out.join(format!("{}.{ext}", t.stem));
            write_file(&path, &text)?;
            summary.files.push(path);
        }
        index.push_str(&format!("\n## {}\n\n{}", t.family, t.to_markdown()));
        summary.families.push(t.family.clone());
    }
    let mut with_series: Vec<&Certificate> =
        certs.iter().filter(|c| !c.series.is_empty()).collect();
    with_series.sort_by(|a, b| a.id.cmp(&b.id));
    if !with_series.is_empty() {
        let dir = out.join("plots");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        index.push_str("\n## Plots\n\n");
        for c in with_series {
            if c.claim == "C5" && c.series.len() >= 2 {
                // C5: one picture, M(t)/M(0) above V(t)/V(0), each as bands around the line at 1
                let name = format!("{}.svg", file_stem(&c.id));
                let path = dir.join(&name);
                write_file(&path, &plot::panels_svg(c, &c.series, Some(1.0))?)?;
                let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
                index.push_str(&format!(
                    "![{}: {}](plots/{name})\n\n",
                    c.id,
                    names.join(" and ")
                ));
                summary.plots.push(path.clone());
                summary.files.push(path);
                continue;
            }
            let mut used = std::collections::BTreeSet::new();
            for s in &c.series {
                let base = format!("{}.{}", file_stem(&c.id), file_stem(&s.name));
                let mut name = format!("{base}.svg");
                let mut k = 2;
                while !used.insert(name.clone()) {
                    name = format!("{base}-{k}.svg");
                    k += 1;
                }
                let path = dir.join(&name);
                write_file(&path, &plot::series_svg(c, s)?)?;
                index.push_str(&format!("![{}: {}](plots/{name})\n\n", c.id, s.name));
                summary.plots.push(path.clone());
                summary.files.push(path);
            }
        }
    }
    // Paper figures: one model per figure, written as PDF, SVG, pgfplots source with its .dat tables,
    // and an \input-able figure snippet; figures.tex inputs every snippet.
    let mut figs: Vec<figure::Figure> = certs.iter().flat_map(figure::figures).collect();
    figs.sort_by(|a, b| a.stem.cmp(&b.stem));
    if !figs.is_empty() {
        let plots = out.join("plots");
        let fdir = out.join("figures");
        for d in [&plots, &fdir] {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
        let mut list = String::from(
            "% Generated by `hadacert report`: every figure (needs \\usepackage{graphicx}).\n",
        );
        for (n, f) in figs.iter().enumerate() {
            let pdf = plots.join(format!("{}.pdf", f.stem));
            std::fs::write(&pdf, figure::to_pdf(f))
                .map_err(|e| format!("{}: {e}", pdf.display()))?;
            summary.files.push(pdf);
            let svg = plots.join(format!("{}.svg", f.stem));
            write_file(&svg, &figure::to_svg(f))?;
            summary.files.push(svg);
            for (name, text) in figure::dat_files(f) {
                let p = plots.join(name);
                write_file(&p, &text)?;
                summary.files.push(p);
            }
            let pgf = plots.join(format!("{}.pgf.tex", f.stem));
            write_file(&pgf, &figure::to_pgfplots(f, "plots/"))?;
            summary.files.push(pgf);
            let snip = fdir.join(format!("fig-{}.tex", f.stem));
            write_file(
                &snip,
                &figure::snippet(
                    f,
                    &format!("plots/{}.pdf", f.stem),
                    &format!("plots/{}.pgf.tex", f.stem),
                ),
            )?;
            summary.files.push(snip);
            list.push_str(&format!("\\input{{figures/fig-{}}}\n", f.stem));
            if n % 6 == 5 {
                list.push_str("\\clearpage\n");
            }
            summary.figures.push(f.stem.clone());
        }
        let p = out.join("figures.tex");
        write_file(&p, &list)?;
        summary.files.push(p);
    }
    let path = out.join("report.md");
    write_file(&path, &index)?;
    summary.files.push(path);
    summary.manifest = manifest::write(out, &summary.files)?;
    Ok(summary)
}

/// `26 certificates: 20 proved, 5 refuted, 1 undecided; 0 differ from expect` (every verdict
/// present is counted, whatever verdicts the certificates may carry).
pub fn summary_line(certs: &[Certificate]) -> String {
    let mut counts: Vec<(String, usize)> = ["proved", "refuted", "undecided"]
        .iter()
        .map(|v| (v.to_string(), 0))
        .collect();
    for c in certs {
        let v = c.verdict.to_string();
        match counts.iter_mut().find(|(name, _)| *name == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
    format!(
        "{} certificates: {}; {} differ from expect",
        certs.len(),
        parts.join(", "),
        certs.iter().filter(|c| c.verdict != c.expect).count()
    )
}

pub(crate) fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}
