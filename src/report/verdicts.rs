//! The verdict table printed by `certify`, and the reasons printed under it.
//!
//! One row per certificate, at most [`TABLE_WIDTH`] columns, one meaning per column:
//!
//! | column | meaning |
//! |--------|---------|
//! | `id` | the claim id (an id longer than [`ID_WIDTH`] gets a line of its own) |
//! | `claim` | the claim kind and a short statement (the full statement: `hadacert explain <id>`) |
//! | `verdict` | proved, refuted, undecided (or empirical, never certified) |
//! | `expect` | `ok` when the verdict is the claim file's `expect`, `MISMATCH` otherwise |
//! | `backend` | `inari` (53 bits) or `mpfr-<bits>` at the precision that decided |
//! | `decided by` | what the verdict rests on: an exact argument, the sign of an enclosure, a validated trajectory, interval evaluation over N boxes, a sign argument, ... |
//! | `margin` | a lower bound, rounded down to 4 digits, on how far the deciding quantity clears its threshold; `-` when nothing was decided; `0` for a non-strict bound (`<= 0`) closed by sign arguments, which prove the bound with no slack |
//!
//! Everything is read from the certificate (its inputs as written, its checks); nothing is
//! recomputed.

use super::explain;
use crate::cert::{Certificate, Verdict};

/// Most columns of any line of the table or of the reasons under it.
pub const TABLE_WIDTH: usize = 120;

/// Widest `id` cell; longer ids are printed on a line of their own above their row.
pub const ID_WIDTH: usize = 25;

const CLAIM_WIDTH: usize = 24;
const DECIDED_WIDTH: usize = 21;
const BACKEND_WIDTH: usize = 9;
// With verdict (at most 10: `undecided*`), expect (8) and the margin (at most 11:
// `9.999e-1000`), and six 2-column gaps, a row is at most 25 + 24 + 10 + 8 + 9 + 21 + 11 + 12 =
// 120 columns.

/// Keep at most `width` characters, marking a cut with `~`.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('~');
        t
    }
}

fn input_str<'a>(c: &'a Certificate, key: &str) -> Option<&'a str> {
    c.inputs.get(key).and_then(|v| v.as_str())
}

/// The order K the claim is about, read from its inputs as written.
fn order(c: &Certificate) -> Option<u64> {
    let i = &c.inputs;
    if let Some(k) = i.get("k").and_then(|v| v.as_u64()) {
        return Some(k);
    }
    if let Some(m) = i.get("matrix") {
        if let Some(n) = m.get("order").and_then(|v| v.as_u64()) {
            return Some(n);
        }
        if let Some(q) = m.get("q").and_then(|v| v.as_u64()) {
            return Some(q + 1);
        }
    }
    for key in ["lambda", "start", "a"] {
        if let Some(v) = i.get(key) {
            if let Some(n) = v.get("len").and_then(|n| n.as_u64()) {
                return Some(n);
            }
            if let Some(n) = v.get("values").and_then(|x| x.as_array()).map(|a| a.len()) {
                return Some(n as u64);
            }
        }
    }
    None
}

fn with_k(text: &str, c: &Certificate) -> String {
    match order(c) {
        Some(k) => format!("{text}, K={k}"),
        None => text.to_string(),
    }
}

/// One bound of a trajectory claim as written: `V < 0.001 at T`.
fn bound_text(b: &serde_json::Value) -> Option<String> {
    let q = b.get("quantity")?.as_str()?;
    let below = b.get("below").and_then(|v| v.as_str());
    let above = b.get("above").and_then(|v| v.as_str());
    let core = match (above, below) {
        (Some(a), Some(w)) => format!("{a}<{q}<{w}"),
        (None, Some(w)) => format!("{q}<{w}"),
        (Some(a), None) => format!("{q}>{a}"),
        (None, None) => q.to_string(),
    };
    let at = match b.get("at").and_then(|v| v.as_str()) {
        Some("end") => " at T".to_string(),
        Some("everywhere") | Some("all") => " on [0,T]".to_string(),
        Some(t) => format!(" at {t}"),
        None => String::new(),
    };
    Some(format!("{core}{at}"))
}

/// The claim kind and a short statement, e.g. `C1 diagonal, K=16`, `traj V<0.001 at T +1`
/// (regions: `C4region dV/dt<=0, K=4`, the statement holding on the claim's region).
pub fn short_statement(c: &Certificate) -> String {
    let quantity = input_str(c, "quantity").unwrap_or("V");
    let text = match c.claim.as_str() {
        "C1" | "C1r" => {
            let family = c
                .inputs
                .get("matrix")
                .and_then(|m| m.get("family"))
                .and_then(|f| f.as_str())
                .unwrap_or("");
            let transformed = c
                .inputs
                .get("matrix")
                .and_then(|m| m.get("transform"))
                .is_some_and(|t| !t.is_null());
            let name = match (family, transformed) {
                ("sylvester", false) => String::new(),
                ("sylvester", true) => "equiv. ".into(),
                ("paley", _) => "Paley ".into(),
                (f, _) => format!("{f} "),
            };
            let word = if name.is_empty() { "diagonal" } else { "diag." };
            match order(c) {
                Some(k) => format!("{word}, {name}K={k}"),
                None => word.into(),
            }
        }
        "C2" => with_k("stays on manifold", c),
        "trajectory" => {
            let mut parts: Vec<String> = c
                .inputs
                .get("bounds")
                .and_then(|b| b.as_array())
                .map(|a| a.iter().filter_map(bound_text).collect())
                .unwrap_or_default();
            if let Some(d) = c.inputs.get("decreasing").and_then(|d| d.as_array()) {
                parts.extend(
                    d.iter()
                        .filter_map(|q| q.as_str())
                        .map(|q| format!("{q} decreasing")),
                );
            }
            match parts.len() {
                0 => "bounds on a trajectory".into(),
                1 => parts.remove(0),
                n => format!("{} +{}", parts[0], n - 1),
            }
        }
        "C4" | "C4r" => {
            let flow = input_str(c, "flow").unwrap_or("balanced");
            with_k(
                if flow == "unbalanced" {
                    "dV/dt<0, unbalanced"
                } else {
                    "dV/dt<0 at a state"
                },
                c,
            )
        }
        "C4region" => with_k("dV/dt<=0", c),
        "C5k4" => {
            let rate = if quantity == "M1" {
                "d(M1^2)/dt".to_string()
            } else {
                format!("d{quantity}/dt")
            };
            with_k(&format!("{rate}<=0"), c)
        }
        "C5" => with_k(&format!("{quantity} up, V down"), c),
        "C6" => "NC-ray slowdown".into(),
        "C7" => {
            let check = input_str(c, "check").unwrap_or("");
            let text = match check {
                "saddle" => "strict saddle".to_string(),
                "zero_mode" | "zero-mode" => "mode stays 0".to_string(),
                other => other.replace('_', " "),
            };
            with_k(&text, c)
        }
        "C8" => with_k("full flow (simulated)", c),
        _ => String::new(),
    };
    if text.is_empty() {
        c.claim.clone()
    } else {
        format!(
            "{} {text}",
            if c.claim == "trajectory" {
                "traj"
            } else {
                &c.claim
            }
        )
    }
}

/// `N boxes` at the start of a check's detail.
fn boxes_in(detail: &str) -> Option<u64> {
    let first = detail.split_whitespace().next()?;
    let n: u64 = first.parse().ok()?;
    detail
        .split_whitespace()
        .nth(1)
        .filter(|w| w.starts_with("box"))
        .map(|_| n)
}

fn count(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.2}M", n as f64 / 1e6)
    } else if n >= 10_000 {
        format!("{:.0}k", n as f64 / 1e3)
    } else {
        n.to_string()
    }
}

/// What the verdict rests on, in a few words (see the module table).
pub fn decided_by(c: &Certificate) -> String {
    if c.verdict == Verdict::Empirical {
        return "simulation, f64".into();
    }
    if c.verdict == Verdict::Undecided {
        return "nothing (see below)".into();
    }
    let check = |start: &str| c.checks.iter().find(|k| k.name.starts_with(start));
    let exact = check("exact argument").is_some_and(|k| k.passed);
    // Regions: how the boxes were closed.
    if check("branch and bound").is_some() {
        if c.verdict == Verdict::Refuted {
            return "refuting state, exact".into();
        }
        let mut interval = 0;
        let mut sign = 0;
        for k in c.checks.iter().filter(|k| k.name.starts_with("closed by ")) {
            let Some(n) = boxes_in(&k.detail) else {
                continue;
            };
            let how = &k.name["closed by ".len()..];
            if how.starts_with("off-region") {
                continue;
            }
            if how.contains("interval") || how.contains("mean-value") {
                interval += n;
            } else if how.contains("form") || how.contains("differences") {
                sign += n;
            }
        }
        let plural = |n: u64| if n == 1 { "box" } else { "boxes" };
        return match (interval, sign) {
            (0, s) => format!("sign arg., {} {}", count(s), plural(s)),
            (i, 0) => format!("intervals, {} {}", count(i), plural(i)),
            (i, s) => format!("intervals {} + sign {}", count(i), count(s)),
        };
    }
    if let Some(k) = check("validated integration") {
        let steps = k.detail.split_whitespace().next().unwrap_or("?");
        return match c.claim.as_str() {
            "C5" => "rates + trajectory".into(),
            "C6" => "closed form + traj.".into(),
            _ => format!("trajectory, {steps} steps"),
        };
    }
    match c.claim.as_str() {
        "C5" => return "rates + trajectory".into(),
        "C6" => return "closed form + traj.".into(),
        _ => {}
    }
    if c.verdict == Verdict::Proved && exact {
        return "exact arg.+enclosures".into();
    }
    if c.verdict == Verdict::Refuted
        && c.checks
            .iter()
            .any(|k| !k.passed && k.name.contains("off-diagonal"))
    {
        return "off-diag. excludes 0".into();
    }
    "enclosure sign".into()
}

/// A margin cut to 4 significant digits: `9.999999e-61` -> `9.999e-61`. Margins are
/// non-negative lower bounds, and cutting digits of a non-negative decimal only lowers it, so
/// the cut margin is still a lower bound. Anything not of that form is kept as written.
fn short_margin(m: &str) -> String {
    let Some((mantissa, exponent)) = m.split_once('e') else {
        return m.to_string();
    };
    let Some((int, frac)) = mantissa.split_once('.') else {
        return m.to_string();
    };
    if m.starts_with('-') || int.len() != 1 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return m.to_string();
    }
    let kept: String = frac.chars().take(3).collect();
    format!("{int}.{kept}e{exponent}")
}

fn backend(c: &Certificate) -> String {
    match c.backend.as_str() {
        "mpfr" => format!("mpfr-{}", c.precision_bits),
        other => other.to_string(),
    }
}

/// A plain-text verdict table, one row per certificate, in the given order, at most
/// [`TABLE_WIDTH`] columns (see the module documentation for the columns), followed by the
/// reasons under it ([`reasons`]) and the summary line.
pub fn verdict_table(certs: &[Certificate]) -> String {
    verdict_table_marked(certs, &std::collections::BTreeSet::new())
}

/// [`verdict_table`], with the verdict of every id in `resumed` marked `*`: reused from an
/// earlier run (`certify --resume`), not recomputed by this one.
pub fn verdict_table_marked(
    certs: &[Certificate],
    resumed: &std::collections::BTreeSet<String>,
) -> String {
    let header = [
        "id",
        "claim",
        "verdict",
        "expect",
        "backend",
        "decided by",
        "margin",
    ];
    let rows: Vec<[String; 7]> = certs
        .iter()
        .map(|c| {
            [
                c.id.clone(),
                clip(&short_statement(c), CLAIM_WIDTH),
                if resumed.contains(&c.id) {
                    format!("{}*", c.verdict)
                } else {
                    c.verdict.to_string()
                },
                if c.verdict == c.expect {
                    "ok".into()
                } else {
                    "MISMATCH".into()
                },
                clip(&backend(c), BACKEND_WIDTH),
                clip(&decided_by(c), DECIDED_WIDTH),
                c.margin.as_deref().map_or_else(|| "-".into(), short_margin),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, (w, cell)) in widths.iter_mut().zip(r).enumerate() {
            let n = cell.chars().count();
            if i == 0 && n > ID_WIDTH {
                continue;
            }
            *w = (*w).max(n);
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
        if r[0].chars().count() > widths[0] {
            out.push_str(&r[0]);
            out.push('\n');
            let mut rest = r.clone();
            rest[0] = String::new();
            out.push_str(&line(&rest));
        } else {
            out.push_str(&line(r));
        }
        out.push('\n');
    }
    out.push_str(
        "margin: a certified lower bound on how far the deciding quantity clears its threshold \
         (0: <= 0 closed by sign arguments)\n",
    );
    if certs.iter().any(|c| resumed.contains(&c.id)) {
        out.push_str("*: reused from an earlier run of this build (--resume), not recomputed\n");
    }
    // Under the table: why each mismatch or undecided verdict is what it is.
    let notes = reasons(certs);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    // "26 claims: 20 proved, ...": the summary line, counting claims.
    let summary = super::summary_line(certs);
    out.push_str(&summary.replacen("certificates:", "claims:", 1));
    out.push('\n');
    out
}

/// For every certificate whose verdict differs from `expect` or is *undecided*: its failing
/// checks (at most three) and the first cause [`explain::causes`] finds, one line each, clipped
/// to [`TABLE_WIDTH`] columns. Empty when every verdict is decided and as expected.
pub fn reasons(certs: &[Certificate]) -> String {
    let width = TABLE_WIDTH - 2;
    let clip = |s: &str| {
        if s.chars().count() <= width {
            s.to_string()
        } else {
            let mut t: String = s.chars().take(width - 3).collect();
            t.push_str("...");
            t
        }
    };
    let mut out = String::new();
    for c in certs {
        let mismatch = c.verdict != c.expect;
        if !mismatch && c.verdict != Verdict::Undecided {
            continue;
        }
        let head = if mismatch {
            format!(
                "{}: MISMATCH (expected {}): the verdict is {}",
                c.id, c.expect, c.verdict
            )
        } else {
            format!("{}: undecided", c.id)
        };
        out.push_str(&clip(&head));
        out.push('\n');
        for check in c.checks.iter().filter(|k| !k.passed).take(3) {
            let text = if check.detail.is_empty() {
                format!("  - {}", check.name)
            } else {
                format!("  - {}: {}", check.name, check.detail)
            };
            out.push_str(&clip(&text));
            out.push('\n');
        }
        if let Some(cause) = explain::causes(c).first() {
            out.push_str(&clip(&format!("  try: {}", cause.suggestion)));
            out.push('\n');
        }
    }
    if !out.is_empty() {
        out.push_str("(hadacert explain <id> --certs <out> says more)\n");
    }
    out
}
