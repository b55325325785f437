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
pub mod folder;
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
/// * `report.md`: a summary line, every Markdown table, and the plots.
///
/// Existing files of the same names are replaced; nothing else in `out` is touched.
pub fn write_report(
    certs: &[Certificate],
    out: &Path,
    opts: &TableOptions,
) -> Result<ReportSummary, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
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
    let path = out.join("report.md");
    write_file(&path, &index)?;
    summary.files.push(path);
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
