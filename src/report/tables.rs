//! Appendix tables, one per claim family, each rendered as LaTeX (booktabs), Markdown and CSV.
//!
//! Known families (C1, C1r, C2) have their own columns; every other family gets a generic
//! table (id, verdict, backend, bits, margin, one enclosure), so a new claim kind shows up in
//! the report before it has a table of its own. Numbers are printed with only the digits their
//! enclosures certify ([`super::digits`]); one-sided bounds are rounded the safe way. The CSV
//! carries, for every enclosure-backed column, the enclosure's lower and upper ends as stored in
//! the certificate and its exact radius.

use super::digits::{
    certified_digits, exact_scientific, parse_decimal, round_bound_str, Bound, Direction,
};
use crate::cert::{Certificate, EnclosureRecord};
use serde_json::Value;

/// Options of the generated tables.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// Include the evaluation time column (off for snapshots: times vary).
    pub times: bool,
    /// Most significant digits printed for a certified value.
    pub max_digits: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            times: true,
            max_digits: 12,
        }
    }
}

/// One column of a table.
#[derive(Clone, Debug)]
pub struct Column {
    /// CSV header (snake case).
    pub key: &'static str,
    /// Markdown header.
    pub title: &'static str,
    /// LaTeX header.
    pub latex_title: &'static str,
    /// LaTeX column spec (`l`, `r`, `p{3cm}`).
    pub latex_spec: &'static str,
    /// Whether cells carry an enclosure (CSV adds lower, upper, radius).
    pub enclosure: bool,
}

const fn col(
    key: &'static str,
    title: &'static str,
    latex_title: &'static str,
    latex_spec: &'static str,
) -> Column {
    Column {
        key,
        title,
        latex_title,
        latex_spec,
        enclosure: false,
    }
}

const fn enc_col(key: &'static str, title: &'static str, latex_title: &'static str) -> Column {
    Column {
        key,
        title,
        latex_title,
        latex_spec: "r",
        enclosure: true,
    }
}

/// One cell: its Markdown/plain text, LaTeX and CSV renderings, and the enclosure behind it.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// Markdown (Unicode) text.
    pub text: String,
    /// LaTeX source.
    pub latex: String,
    /// CSV text (ASCII where possible).
    pub csv: String,
    /// The enclosure `(lower, upper)` behind the value, as stored in the certificate.
    pub enclosure: Option<(String, String)>,
}

impl Cell {
    fn empty() -> Self {
        Cell {
            text: "—".into(),
            latex: "---".into(),
            csv: String::new(),
            enclosure: None,
        }
    }

    fn text(s: impl Into<String>) -> Self {
        let s = s.into();
        Cell {
            text: md_escape(&s),
            latex: latex_escape(&s),
            csv: s,
            enclosure: None,
        }
    }

    fn code(s: impl Into<String>) -> Self {
        let s = s.into();
        Cell {
            text: format!("`{s}`"),
            latex: format!("\\texttt{{{}}}", latex_escape(&s)),
            csv: s,
            enclosure: None,
        }
    }

    /// The certified digits of an enclosure.
    fn digits(e: &EnclosureRecord, max_digits: usize) -> Self {
        match certified_digits(&e.lower, &e.upper, Some(max_digits)) {
            Ok(d) => Cell {
                text: d.to_text(),
                latex: d.to_latex(),
                csv: d.to_ascii(),
                enclosure: Some((e.lower.clone(), e.upper.clone())),
            },
            Err(_) => Cell::empty(),
        }
    }

    /// The upper end of an enclosure rounded up to two significant digits: a bound.
    fn upper_bound(e: &EnclosureRecord) -> Self {
        match round_bound_str(&e.upper, Direction::Up, 2) {
            Ok(d) => Cell {
                text: d.to_text(),
                latex: d.to_latex(),
                csv: d.to_ascii(),
                enclosure: Some((e.lower.clone(), e.upper.clone())),
            },
            Err(_) => Cell::empty(),
        }
    }

    /// The enclosure with its ends rounded outward to two significant digits.
    fn interval(e: &EnclosureRecord) -> Self {
        let lo = round_bound_str(&e.lower, Direction::Down, 2);
        let hi = round_bound_str(&e.upper, Direction::Up, 2);
        match (lo, hi) {
            (Ok(lo), Ok(hi)) => {
                let strip = |s: String| s.trim_matches('$').to_string();
                Cell {
                    text: format!("[{}, {}]", lo.to_text(), hi.to_text()),
                    latex: format!("$[{}, {}]$", strip(lo.to_latex()), strip(hi.to_latex())),
                    csv: format!("[{}, {}]", lo.to_ascii(), hi.to_ascii()),
                    enclosure: Some((e.lower.clone(), e.upper.clone())),
                }
            }
            _ => Cell::empty(),
        }
    }
}

/// A table of one claim family.
#[derive(Clone, Debug)]
pub struct Table {
    /// The family (`C1`, ...), as written in the certificates.
    pub family: String,
    /// File stem of the generated files.
    pub stem: String,
    /// Caption, plain text (Markdown).
    pub caption: String,
    /// Caption, LaTeX.
    pub latex_caption: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, one per certificate.
    pub rows: Vec<Vec<Cell>>,
}

/// Known families, in report order.
pub const KNOWN_FAMILIES: [&str; 5] = ["C1", "C1r", "C2", "C6", "trajectory"];

/// One table per family present in `certs`: known families first (C1, C1r, C2), then the
/// others by name.
pub fn family_tables(certs: &[Certificate], opts: &TableOptions) -> Vec<Table> {
    let mut families: Vec<String> = certs.iter().map(|c| c.claim.clone()).collect();
    families.sort_by_key(|f| {
        (
            KNOWN_FAMILIES
                .iter()
                .position(|k| k == f)
                .unwrap_or(usize::MAX),
            f.clone(),
        )
    });
    families.dedup();
    families
        .iter()
        .map(|f| {
            let mut members: Vec<&Certificate> = certs.iter().filter(|c| &c.claim == f).collect();
            members.sort_by(|a, b| {
                (k_of(a).unwrap_or(u64::MAX), &a.id).cmp(&(k_of(b).unwrap_or(u64::MAX), &b.id))
            });
            match f.as_str() {
                "C1" => c1_table(&members, opts),
                "C1r" => c1r_table(&members, opts),
                "C2" => c2_table(&members, opts),
                "C6" => c6_table(&members, opts),
                "trajectory" => trajectory_table(&members, opts),
                _ => generic_table(f, &members, opts),
            }
        })
        .collect()
}

fn k_of(c: &Certificate) -> Option<u64> {
    c.exact_inputs.get("K").and_then(Value::as_u64)
}

fn int_cell(v: Option<u64>) -> Cell {
    v.map_or_else(Cell::empty, |k| Cell::text(k.to_string()))
}

fn find(c: &Certificate, pred: impl Fn(&str) -> bool) -> Option<&EnclosureRecord> {
    c.enclosures.iter().find(|e| pred(&e.name))
}

fn verdict_cell(c: &Certificate) -> Cell {
    if c.verdict == c.expect {
        Cell::text(c.verdict.to_string())
    } else {
        Cell::text(format!("{} (expected {})", c.verdict, c.expect))
    }
}

/// Margins are lower bounds (rounded towards the safe side in the certificate): printed rounded
/// down to three significant digits.
fn margin_cell(c: &Certificate) -> Cell {
    match c
        .margin
        .as_deref()
        .map(|m| round_bound_str(m, Direction::Down, 3))
    {
        Some(Ok(d)) => Cell {
            text: d.to_text(),
            latex: d.to_latex(),
            csv: d.to_ascii(),
            enclosure: None,
        },
        _ => Cell::empty(),
    }
}

fn time_cell(c: &Certificate) -> Cell {
    Cell::text(super::format_ms(c.elapsed_ms))
}

fn base_columns(opts: &TableOptions, mut cols: Vec<Column>) -> Vec<Column> {
    if opts.times {
        cols.push(col("time", "time", "time", "r"));
    }
    cols
}

fn with_time(opts: &TableOptions, c: &Certificate, mut row: Vec<Cell>) -> Vec<Cell> {
    if opts.times {
        row.push(time_cell(c));
    }
    row
}

fn c1_table(certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("K", "K", "$K$", "r"),
            col("backend", "backend", "backend", "l"),
            col("bits", "bits", "bits", "r"),
            col("verdict", "verdict", "verdict", "l"),
            enc_col("max_abs_offdiag_le", "max \\|off-diag\\| ≤", "bound"),
        ],
    );
    let rows = certs
        .iter()
        .map(|c| {
            let bound = find(c, |n| n.starts_with("max |off-diagonal|"))
                .map_or_else(Cell::empty, Cell::upper_bound);
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    int_cell(k_of(c)),
                    Cell::text(&c.backend),
                    Cell::text(c.precision_bits.to_string()),
                    verdict_cell(c),
                    bound,
                ],
            )
        })
        .collect();
    Table {
        family: "C1".into(),
        stem: "C1".into(),
        caption: "C1: a Sylvester Q diagonalises softmax(Q diag(lambda) Q^T). Bound: an upper bound \
                  on every |off-diagonal| entry of Q^T S Q, rounded up; bits: the precision at \
                  which the verdict was reached."
            .into(),
        latex_caption: "C1: a Sylvester $Q$ diagonalises $\\mathrm{softmax}(Q\\,\\mathrm{diag}(\\lambda)\\,Q^\\top)$. \
                        Bound: an upper bound on every $|(Q^\\top S Q)_{ij}|$, $i \\ne j$, rounded up; \
                        bits: the precision at which the verdict was reached."
            .into(),
        columns,
        rows,
    }
}

/// A short description of the Hadamard matrix of a C1/C1r claim, from its inputs.
pub fn matrix_description(c: &Certificate) -> String {
    let m = &c.inputs["matrix"];
    let mut parts = Vec::new();
    match m["family"].as_str() {
        Some("sylvester") => parts.push("Sylvester".to_string()),
        Some("paley") => parts.push(match m["q"].as_u64() {
            Some(q) => format!("Paley, q = {q}"),
            None => "Paley".into(),
        }),
        Some(other) => parts.push(other.to_string()),
        None => return "—".into(),
    }
    let t = &m["transform"];
    let list = |key: &str| -> Option<String> {
        let v = t[key].as_array()?;
        (!v.is_empty()).then(|| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let seed = |key: &str| t[key].as_u64();
    if list("row_perm").is_some() {
        parts.push("rows permuted".into());
    } else if let Some(s) = seed("row_perm_seed") {
        parts.push(format!("rows permuted (seed {s})"));
    }
    if list("col_perm").is_some() {
        parts.push("columns permuted".into());
    } else if let Some(s) = seed("col_perm_seed") {
        parts.push(format!("columns permuted (seed {s})"));
    }
    if let Some(l) = list("row_flip") {
        parts.push(format!("rows {{{l}}} negated"));
    }
    if let Some(l) = list("col_flip") {
        parts.push(format!("columns {{{l}}} negated"));
    }
    parts.join("; ")
}

/// `off-diagonal (Q^T S Q)_2,0 excluding 0` -> `(2, 0)`.
fn entry_of(name: &str) -> String {
    name.split_once(")_")
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(rest))
        .map(|ij| format!("({})", ij.replace(',', ", ")))
        .unwrap_or_else(|| name.to_string())
}

fn c1r_table(certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("K", "K", "$K$", "r"),
            col("matrix", "matrix", "matrix", "p{3.2cm}"),
            col("bits", "bits", "bits", "r"),
            col("verdict", "verdict", "verdict", "l"),
            col("entry", "entry excluding 0", "entry $(i,j)$", "l"),
            enc_col("value", "(Q^T S Q)_ij", "$(Q^\\top S Q)_{ij}$"),
            enc_col("max_abs_offdiag_le", "max \\|off-diag\\| ≤", "bound"),
        ],
    );
    let rows = certs
        .iter()
        .map(|c| {
            let excl = find(c, |n| n.contains("excluding"));
            let bound = find(c, |n| n.starts_with("max |off-diagonal|"))
                .map_or_else(Cell::empty, Cell::upper_bound);
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    int_cell(k_of(c)),
                    Cell::text(matrix_description(c)),
                    Cell::text(c.precision_bits.to_string()),
                    verdict_cell(c),
                    excl.map_or_else(Cell::empty, |e| Cell::text(entry_of(&e.name))),
                    excl.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                    bound,
                ],
            )
        })
        .collect();
    Table {
        family: "C1r".into(),
        stem: "C1r".into(),
        caption: "C1r: Hadamard matrices that are not Sylvester's up to the allowed operations. A \
                  refuted row shows an off-diagonal entry of Q^T S Q whose enclosure excludes 0 \
                  (certified digits only); bound: an upper bound on every |off-diagonal| entry, \
                  rounded up."
            .into(),
        latex_caption:
            "C1r: Hadamard matrices that are not Sylvester's up to the allowed operations. \
                        A refuted row shows an off-diagonal entry of $Q^\\top S Q$ whose enclosure \
                        excludes 0 (certified digits only); bound: an upper bound on every \
                        $|(Q^\\top S Q)_{ij}|$, $i \\ne j$, rounded up."
                .into(),
        columns,
        rows,
    }
}

fn c2_table(certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("K", "K", "$K$", "r"),
            col("d", "d", "$d$", "r"),
            col("embedding", "R", "$R$", "l"),
            col("bits", "bits", "bits", "r"),
            col("verdict", "verdict", "verdict", "l"),
            enc_col(
                "widest_offdiag",
                "widest off-diagonal",
                "widest off-diagonal",
            ),
            enc_col("loss", "loss L", "loss $L$"),
        ],
    );
    let rows = certs
        .iter()
        .map(|c| {
            let widest = find(c, |n| n.starts_with("widest off-diagonal"));
            let loss = find(c, |n| n.contains("loss"));
            let d = c.exact_inputs.get("d").and_then(Value::as_u64);
            let emb = c.inputs["embedding"]["kind"].as_str().map(str::to_string);
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    int_cell(k_of(c)),
                    int_cell(d),
                    emb.map_or_else(Cell::empty, Cell::text),
                    Cell::text(c.precision_bits.to_string()),
                    verdict_cell(c),
                    widest.map_or_else(Cell::empty, Cell::interval),
                    loss.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                ],
            )
        })
        .collect();
    Table {
        family: "C2".into(),
        stem: "C2".into(),
        caption: "C2: the gradient flow of (W, H) keeps the spectral manifold. Widest off-diagonal: \
                  the widest off-diagonal enclosure of Q^T W' R and R^T H' Q, ends rounded outward; \
                  loss: the mean cross-entropy of the full matrices (certified digits only)."
            .into(),
        latex_caption: "C2: the gradient flow of $(W, H)$ keeps the spectral manifold. Widest \
                        off-diagonal: the widest off-diagonal enclosure of $Q^\\top W' R$ and \
                        $R^\\top H' Q$, ends rounded outward; loss: the mean cross-entropy of the \
                        full matrices (certified digits only)."
            .into(),
        columns,
        rows,
    }
}

/// `T(K=8: 1 -> 10)` -> (`8`, `10`); `T / (exp(L)/(2L)) (K=8, L=10)` -> (`8`, `10`).
fn c6_key(name: &str) -> Option<(bool, String, String)> {
    if let Some(rest) = name.strip_prefix("T / (exp(L)/(2L)) (K=") {
        let (k, rest) = rest.split_once(", L=")?;
        return Some((true, k.to_string(), rest.strip_suffix(')')?.to_string()));
    }
    let rest = name.strip_prefix("T(K=")?;
    let (k, rest) = rest.split_once(": ")?;
    let (_, l) = rest.split_once(" -> ")?;
    Some((false, k.to_string(), l.strip_suffix(')')?.to_string()))
}

/// C6: one row per table entry `(K, L)` of every C6 certificate: the enclosed time
/// `T(l0 -> L)` and the ratio `T / (exp(L) / (2L))`, certified digits only.
fn c6_table(certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("K", "K", "$K$", "r"),
            col("l0", "l0", "$\\ell_0$", "r"),
            col("L", "L", "$L$", "r"),
            enc_col("time", "T(l0 -> L)", "$T(\\ell_0 \\to L)$"),
            enc_col("ratio", "T / (e^L / 2L)", "$T / (e^L / 2L)$"),
        ],
    );
    let mut rows = Vec::new();
    for c in certs {
        let l0 = c
            .inputs
            .get("l0")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let times: Vec<(String, String, &EnclosureRecord)> = c
            .enclosures
            .iter()
            .filter_map(|e| c6_key(&e.name).filter(|k| !k.0).map(|(_, k, l)| (k, l, e)))
            .collect();
        for (k, l, t) in times {
            let ratio = c
                .enclosures
                .iter()
                .find(|e| c6_key(&e.name) == Some((true, k.clone(), l.clone())));
            rows.push(with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    Cell::text(&k),
                    Cell::text(&l0),
                    Cell::text(&l),
                    Cell::digits(t, opts.max_digits),
                    ratio.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                ],
            ));
        }
    }
    Table {
        family: "C6".into(),
        stem: "C6".into(),
        caption: "C6: time to grow from l0 to L on the NC ray, T = (1/2)[Ei(L) - Ei(l0) + (K-1) ln(L/l0)], \
                  and its ratio to the asymptote e^L / (2L), which tends to 1 (certified digits only)."
            .into(),
        latex_caption: "C6: time to grow from $\\ell_0$ to $L$ on the NC ray, $T = \\frac{1}{2}[\\mathrm{Ei}(L) - \\mathrm{Ei}(\\ell_0) + (K-1)\\ln(L/\\ell_0)]$, \
                        and its ratio to the asymptote $e^L/(2L)$, which tends to 1 (certified digits only)."
            .into(),
        columns,
        rows,
    }
}

/// Trajectories: flow, K, horizon, verdict, the first bounded quantity at T, and the margin.
fn trajectory_table(certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("flow", "flow", "flow", "l"),
            col("K", "K", "$K$", "r"),
            col("T", "T", "$T$", "r"),
            col("bits", "bits", "bits", "r"),
            col("verdict", "verdict", "verdict", "l"),
            col("quantity", "quantity", "quantity", "l"),
            enc_col("value", "value at T", "value at $T$"),
            col("margin", "margin ≥", "margin $\\ge$", "r"),
        ],
    );
    let rows = certs
        .iter()
        .map(|c| {
            let q = c
                .enclosures
                .iter()
                .find(|e| e.name.ends_with("(T)") && !e.name.starts_with("x_"));
            let flow = c
                .inputs
                .get("flow")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let k = c
                .inputs
                .get("ray_k")
                .and_then(Value::as_u64)
                .or_else(|| k_of(c));
            let horizon = c
                .exact_inputs
                .get("horizon")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    Cell::text(flow),
                    int_cell(k),
                    Cell::text(horizon),
                    Cell::text(c.precision_bits.to_string()),
                    verdict_cell(c),
                    q.map_or_else(Cell::empty, |e| Cell::text(e.name.trim_end_matches("(T)"))),
                    q.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                    margin_cell(c),
                ],
            )
        })
        .collect();
    Table {
        family: "trajectory".into(),
        stem: "trajectory".into(),
        caption: "Validated trajectories of the reduced flows: the first bounded quantity at the horizon T \
                  (certified digits only) and the smallest margin of the certified bounds (rounded down)."
            .into(),
        latex_caption: "Validated trajectories of the reduced flows: the first bounded quantity at the horizon $T$ \
                        (certified digits only) and the smallest margin of the certified bounds (rounded down)."
            .into(),
        columns,
        rows,
    }
}

fn generic_table(family: &str, certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("verdict", "verdict", "verdict", "l"),
            col("backend", "backend", "backend", "l"),
            col("bits", "bits", "bits", "r"),
            col("margin", "margin ≥", "margin $\\ge$", "r"),
            col("enclosure", "enclosure", "enclosure", "p{3.4cm}"),
            enc_col("value", "value", "value"),
        ],
    );
    let rows = certs
        .iter()
        .map(|c| {
            let first = first_informative(c);
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    verdict_cell(c),
                    Cell::text(&c.backend),
                    Cell::text(c.precision_bits.to_string()),
                    margin_cell(c),
                    first.map_or_else(Cell::empty, |e| Cell::text(&e.name)),
                    first.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                ],
            )
        })
        .collect();
    // Verdict `empirical` (C8): a non-validated simulation, whose values are not enclosures.
    let empirical = if certs
        .iter()
        .any(|c| c.verdict == crate::cert::Verdict::Empirical)
    {
        " Rows with verdict empirical are NOT certified: their value is an approximation from a \
         non-validated simulation (lower = upper is not an enclosure), and none of its digits is \
         certified."
    } else {
        ""
    };
    Table {
        family: family.into(),
        stem: crate::cert::file_stem(family),
        caption: format!(
            "{family}: verdicts, margins (rounded down) and one enclosure of each certificate \
             (the first that excludes 0; certified digits only).{empirical}"
        ),
        latex_caption: format!(
            "{}: verdicts, margins (rounded down) and one enclosure of each certificate (the \
             first that excludes 0; certified digits only).{empirical}",
            latex_escape(family)
        ),
        columns,
        rows,
    }
}

/// The enclosure a generic table shows: the first one that excludes 0 (it has digits to
/// show), else the first one.
fn first_informative(c: &Certificate) -> Option<&EnclosureRecord> {
    let excludes_zero = |e: &&EnclosureRecord| {
        matches!(
            (parse_decimal(&e.lower), parse_decimal(&e.upper)),
            (Ok(Bound::Finite(l)), Ok(Bound::Finite(u))) if l > 0 || u < 0
        )
    };
    c.enclosures
        .iter()
        .find(excludes_zero)
        .or(c.enclosures.first())
}

/// Escape text for LaTeX (outside math).
pub fn latex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                out.push('\\');
                out.push(ch);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '—' => out.push_str("---"),
            '≤' => out.push_str("$\\le$"),
            '≥' => out.push_str("$\\ge$"),
            '…' => out.push_str("\\ldots{}"),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn radius(lower: &str, upper: &str) -> String {
    match (parse_decimal(lower), parse_decimal(upper)) {
        (Ok(Bound::Finite(l)), Ok(Bound::Finite(u))) => exact_scientific(&((u - l) / 2u32)),
        _ => "inf".into(),
    }
}

impl Table {
    /// LaTeX (booktabs) table in a `table` float with caption and label.
    pub fn to_latex(&self) -> String {
        let spec: String = self.columns.iter().map(|c| c.latex_spec).collect();
        let mut out = String::new();
        out.push_str("% Generated by `hadacert report` from certificates; do not edit by hand.\n");
        out.push_str(
            "% Needs \\usepackage{booktabs} and \\usepackage{graphicx} (a table wider than the\n",
        );
        out.push_str("% line is scaled down to the line width).\n");
        out.push_str(
            "\\begin{table}[htbp]\n\\centering\n\\footnotesize\n\\setlength{\\tabcolsep}{4pt}\n",
        );
        out.push_str(&format!("\\caption{{{}}}\n", self.latex_caption));
        let label: String = self
            .family
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        out.push_str(&format!("\\label{{tab:hadacert-{label}}}\n"));
        out.push_str("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n");
        out.push_str(&format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n"));
        let header: Vec<&str> = self.columns.iter().map(|c| c.latex_title).collect();
        out.push_str(&format!("{} \\\\\n\\midrule\n", header.join(" & ")));
        for row in &self.rows {
            // Paragraph columns are set ragged right; each cell is a group, and no paragraph
            // column is last, so the row's `\\` is unaffected.
            let cells: Vec<String> = self
                .columns
                .iter()
                .zip(row)
                .map(|(col, c)| {
                    if col.latex_spec.starts_with("p{") {
                        format!("\\raggedright {}", c.latex)
                    } else {
                        c.latex.clone()
                    }
                })
                .collect();
            out.push_str(&format!("{} \\\\\n", cells.join(" & ")));
        }
        out.push_str("\\bottomrule\n\\end{tabular}}\n\\end{table}\n");
        out
    }

    /// Markdown table with the caption above it.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("{}\n\n", self.caption);
        let header: Vec<&str> = self.columns.iter().map(|c| c.title).collect();
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        let rule: Vec<&str> = self
            .columns
            .iter()
            .map(|c| if c.latex_spec == "r" { "---:" } else { "---" })
            .collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for row in &self.rows {
            let cells: Vec<&str> = row.iter().map(|c| c.text.as_str()).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }

    /// CSV (RFC 4180): the displayed values, and for every enclosure column its `_lower`,
    /// `_upper` (as stored in the certificate) and `_radius` (exact half-width).
    pub fn to_csv(&self) -> String {
        let mut header = Vec::new();
        for c in &self.columns {
            header.push(c.key.to_string());
            if c.enclosure {
                for suffix in ["lower", "upper", "radius"] {
                    header.push(format!("{}_{suffix}", c.key));
                }
            }
        }
        let mut out = header.join(",");
        out.push('\n');
        for row in &self.rows {
            let mut fields = Vec::new();
            for (c, cell) in self.columns.iter().zip(row) {
                fields.push(csv_field(&cell.csv));
                if c.enclosure {
                    match &cell.enclosure {
                        Some((lo, hi)) => {
                            fields.push(csv_field(lo));
                            fields.push(csv_field(hi));
                            fields.push(radius(lo, hi));
                        }
                        None => fields.extend([String::new(), String::new(), String::new()]),
                    }
                }
            }
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(latex_escape("a_b & 50% {x}"), "a\\_b \\& 50\\% \\{x\\}");
        assert_eq!(latex_escape("Q^T"), "Q\\textasciicircum{}T");
        assert_eq!(
            latex_escape("1 -> 2 |x|"),
            "1 -\\textgreater{} 2 \\textbar{}x\\textbar{}"
        );
        assert_eq!(csv_field("(2, 0)"), "\"(2, 0)\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(entry_of("off-diagonal (Q^T S Q)_2,0 excluding 0"), "(2, 0)");
        assert_eq!(radius("1", "1.5"), "2.5e-1");
    }
}
