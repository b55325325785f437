//! Reports made from certificates only (never recomputed): the verdict table printed by
//! `certify`.
//!
//! Architecture invariant: this module reads [`Certificate`]s and knows nothing of backends.

use crate::cert::Certificate;

/// A plain-text verdict table, one row per certificate, in the given order.
///
/// Columns: id, claim, verdict, expected (`ok` when equal, `MISMATCH` otherwise), backend,
/// bits, widest deciding enclosure (rounded up), margin, time.
pub fn verdict_table(certs: &[Certificate]) -> String {
    let header = [
        "id", "claim", "verdict", "expect", "backend", "bits", "margin", "time",
    ];
    let rows: Vec<[String; 9]> = certs
        .iter()
        .map(|c| {
            [
                c.id.clone(),
                c.claim.clone(),
                c.verdict.to_string(),
                if c.verdict == c.expect {
                    "ok".into()
                } else {
                    format!("MISMATCH (expected {})", c.expect)
                },
                c.backend.clone(),
                c.precision_bits.to_string(),
                c.escalation
                    .last()
                    .map_or("-".into(), |s| s.max_width.clone()),
                c.margin.clone().unwrap_or_else(|| "-".into()),
                format_ms(c.elapsed_ms),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = String::new();
    out.push_str(&line(&header.map(String::from)));
    out.push('\n');
    out.push_str(&line(
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    ));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    let proved = certs
        .iter()
        .filter(|c| c.verdict == crate::cert::Verdict::Proved)
        .count();
    let refuted = certs
        .iter()
        .filter(|c| c.verdict == crate::cert::Verdict::Refuted)
        .count();
    let undecided = certs.len() - proved - refuted;
    let mismatches = certs.iter().filter(|c| c.verdict != c.expect).count();
    out.push_str(&format!(
        "{} claims: {proved} proved, {refuted} refuted, {undecided} undecided; {mismatches} differ from expect\n",
        certs.len()
    ));
    out
}

fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}
