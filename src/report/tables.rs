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
    /// Include the evaluation time column (off by default: times vary; `report --times`).
    pub times: bool,
    /// Most significant digits printed for a certified value.
    pub max_digits: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            times: false,
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
    /// Notes printed under the table, one per line: `(Markdown, LaTeX)`.
    pub notes: Vec<(String, String)>,
    /// Row indices where a new group begins (LaTeX adds a little space above them).
    pub group_starts: Vec<usize>,
}

/// Known families, in report order.
pub const KNOWN_FAMILIES: [&str; 8] = [
    "C1",
    "C1r",
    "C2",
    "C5",
    "C6",
    "trajectory",
    "C4region",
    "C5k4",
];

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
    // the cells of the C5-by-group table have their own table ([`c5_groups_table`])
    families.retain(|f| !C5_GROUP_KINDS.contains(&f.as_str()));
    let mut tables: Vec<Table> = families
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
                "C5" => c5_table(&members, opts),
                "C4region" | "C5k4" => region_table(f, &members, opts),
                _ => generic_table(f, &members, opts),
            }
        })
        .collect();
    if let Some(t) = bases_table(certs, opts) {
        tables.push(t);
    }
    if let Some(t) = c5_groups_table(certs) {
        tables.push(t);
    }
    tables
}

/// The kinds of the C5-by-group table: the pointwise certificate and the f64 search.
const C5_GROUP_KINDS: [&str; 2] = [
    crate::claim::c5_group::KIND,
    crate::claim::c5_group::KIND_SEARCH,
];

/// What one certificate of [`C5_GROUP_KINDS`] says about its cell, in words (from the
/// certificate only: its kind, verdict, margin and, for the search, its outcome check).
pub fn c5_group_cell_words(c: &Certificate) -> String {
    use crate::cert::Verdict;
    let expected = if c.verdict == c.expect {
        String::new()
    } else {
        format!(" (expected {})", c.expect)
    };
    if c.claim == crate::claim::c5_group::KIND_SEARCH {
        let detail = c.checks.first().map_or("", |k| k.detail.as_str());
        let what = if detail.starts_with("not searched") {
            "not searched"
        } else if detail.starts_with("no start found") {
            "no start found (f64 search)"
        } else if detail.starts_with("start found") {
            "f64 start only"
        } else {
            "search: ?"
        };
        return format!("{what}{expected}");
    }
    let what = match c.verdict {
        Verdict::Proved => match c
            .margin
            .as_deref()
            .map(|m| round_bound_str(m, Direction::Down, 2))
        {
            Some(Ok(d)) => format!("grows, certified (rate >= {})", d.to_ascii()),
            _ => "grows, certified".to_string(),
        },
        Verdict::Refuted => "does not grow at this start".to_string(),
        Verdict::Undecided => "start found, undecided".to_string(),
        Verdict::Empirical => "empirical".to_string(),
    };
    format!("{what}{expected}")
}

/// The C5-by-group table (docs/math.md section 12.5), drawn from the certificates of
/// `C5-group` (pointwise at an exact start: proved = dM/dt(0) > 0, dV/dt(0) < 0, M(0) > 0
/// certified) and `C5-group-search` (the seeded f64 search, empirical): one row per group
/// (ordered by K, then name), one column per metric, each cell naming its certificate. `None`
/// when there is none of them.
pub fn c5_groups_table(certs: &[Certificate]) -> Option<Table> {
    let members: Vec<&Certificate> = certs
        .iter()
        .filter(|c| C5_GROUP_KINDS.contains(&c.claim.as_str()))
        .collect();
    if members.is_empty() {
        return None;
    }
    let group_of = |c: &Certificate| c.exact_inputs["group"].as_str().unwrap_or("?").to_string();
    let metric_of = |c: &Certificate| {
        c.exact_inputs["quantity"]
            .as_str()
            .unwrap_or("?")
            .to_string()
    };
    let mut groups: Vec<(u64, String)> = members
        .iter()
        .map(|c| (k_of(c).unwrap_or(u64::MAX), group_of(c)))
        .collect();
    groups.sort();
    groups.dedup();
    let metrics = ["M1", "M2", "M3", "M4"];
    let mut columns = vec![
        col("group", "group", "group", "l"),
        col("K", "K", "$K$", "r"),
    ];
    for (key, tex) in [
        ("M1", "$M_1$"),
        ("M2", "$M_2$"),
        ("M3", "$M_3$"),
        ("M4", "$M_4$"),
    ] {
        columns.push(col(key, key, tex, "l"));
    }
    let mut ids: Vec<String> = Vec::new();
    let rows = groups
        .iter()
        .map(|(k, g)| {
            let mut row = vec![
                Cell {
                    text: format!("`{g}`"),
                    latex: basis_latex(g),
                    csv: g.clone(),
                    enclosure: None,
                },
                int_cell((*k != u64::MAX).then_some(*k)),
            ];
            for m in metrics {
                let cell = members
                    .iter()
                    .filter(|c| group_of(c) == *g && metric_of(c) == m)
                    .map(|c| {
                        let words = c5_group_cell_words(c);
                        ids.push(c.id.clone());
                        // LaTeX: the first word or two (the certificates are listed below)
                        let short = match words.split_once(" (") {
                            Some((head, _)) if c.verdict == c.expect => head,
                            _ => words.as_str(),
                        };
                        Cell {
                            text: format!("{} `{}`", md_escape(&words), c.id),
                            latex: format!("{} [{}]", latex_escape(short), ids.len()),
                            csv: format!("{words} ({})", c.id),
                            enclosure: None,
                        }
                    })
                    .reduce(|a, b| Cell {
                        text: format!("{}; {}", a.text, b.text),
                        latex: format!("{}; {}", a.latex, b.latex),
                        csv: format!("{}; {}", a.csv, b.csv),
                        enclosure: None,
                    })
                    .unwrap_or_else(Cell::empty);
                row.push(cell);
            }
            row
        })
        .collect();
    let list: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("[{}]~\\texttt{{{}}}", i + 1, latex_id(id)))
        .collect();
    let caption = "C5 by group (docs/math.md section 12.5): does M grow at first while V falls? \
                   \"grows, certified\" = a C5-group certificate at an exact paired start \
                   (lambda_0 = 0): dM/dt(0) > 0, dV/dt(0) < 0 and M(0) > 0 on inari, closed form \
                   and chain rule intersected, the rate's lower bound in brackets (pointwise at \
                   t = 0 only); \"no start found\", \"f64 start only\" and \"not searched\" are \
                   C5-group-search results, empirical, NOT certified: statements about the \
                   seeded f64 search, not about the group.";
    let latex_caption = "C5 by group (docs/math.md section 12.5): does $M$ grow at first while $V$ falls? \
                         ``grows, certified'' = a C5-group certificate at an exact paired start \
                         ($\\lambda_0 = 0$): $\\mathrm{d}M/\\mathrm{d}t(0) > 0$, \
                         $\\mathrm{d}V/\\mathrm{d}t(0) < 0$ and $M(0) > 0$ on inari, closed form and \
                         chain rule intersected, the rate's lower bound in brackets (pointwise at \
                         $t = 0$ only); ``no start found'', ``f64 start only'' and ``not \
                         searched'' are C5-group-search results, empirical, NOT certified: \
                         statements about the seeded f64 search, not about the group.";
    Some(Table {
        family: "c5groups".into(),
        stem: "c5groups".into(),
        caption: caption.into(),
        latex_caption: latex_caption.into(),
        columns,
        rows,
        notes: vec![(
            "Each cell names its certificate (`hadacert explain <id>`); the claims are \
             proofs-data/groups/c5-table.toml."
                .into(),
            format!("Certificates: {}.", list.join("; ")),
        )],
        group_starts: Vec::new(),
    })
}

/// A basis description in LaTeX: words with `^` (`(Z_2)^4`, `Z2^3`) as mathematics, the rest
/// escaped.
fn basis_latex(text: &str) -> String {
    text.split(' ')
        .map(|w| match w.split_once('^') {
            Some((base, exp)) => {
                let extra = w
                    .matches(')')
                    .count()
                    .saturating_sub(w.matches('(').count());
                let exp = &exp[..exp.len() - extra.min(exp.len())];
                format!("${base}^{{{exp}}}${}", ")".repeat(extra))
            }
            None => latex_escape(w),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The claim kinds whose certificates say whether a basis diagonalises the softmax.
const BASIS_KINDS: [&str; 4] = ["hadamard-scope", "C1", "C1r", "group-diagonalise"];

/// "Which bases diagonalise the softmax": one row per certificate of `hadamard-scope` (for
/// every lambda), C1 / C1r (Hadamard matrices, at the claim's lambda) and `group-diagonalise`
/// (character bases, at the claim's logits), read from the certificates only. `None` when
/// there is none of them.
pub fn bases_table(certs: &[Certificate], opts: &TableOptions) -> Option<Table> {
    let mut members: Vec<&Certificate> = certs
        .iter()
        .filter(|c| BASIS_KINDS.contains(&c.claim.as_str()))
        .collect();
    if members.is_empty() {
        return None;
    }
    members.sort_by(|a, b| {
        let kind = |c: &Certificate| BASIS_KINDS.iter().position(|k| *k == c.claim);
        (kind(a), k_of(a).unwrap_or(u64::MAX), &a.id).cmp(&(
            kind(b),
            k_of(b).unwrap_or(u64::MAX),
            &b.id,
        ))
    });
    let columns = base_columns(
        opts,
        vec![
            col("basis", "basis", "basis", "p{4.2cm}"),
            col("K", "K", "$K$", "r"),
            col("scope", "for", "for", "l"),
            col("verdict", "verdict", "verdict", "l"),
            col("backend", "backend", "backend", "l"),
            col("id", "certificate", "certificate", "l"),
        ],
    );
    let mut group_starts = Vec::new();
    let mut last_kind = None;
    let rows = members
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if last_kind != Some(c.claim.as_str()) {
                group_starts.push(i);
                last_kind = Some(c.claim.as_str());
            }
            let (basis, scope) = match c.claim.as_str() {
                "hadamard-scope" => {
                    let b = c.exact_inputs["basis"].as_str().unwrap_or("—");
                    let basis = match c.exact_inputs["class"].as_str() {
                        Some(class) => format!("{b} ({class})"),
                        None => b.to_string(),
                    };
                    (basis, "every lambda")
                }
                "group-diagonalise" => (
                    format!(
                        "characters of {}",
                        c.inputs["group"].as_str().unwrap_or("—")
                    ),
                    "one exact input",
                ),
                _ => (matrix_description(c), "one lambda"),
            };
            with_time(
                opts,
                c,
                vec![
                    Cell {
                        latex: basis_latex(&basis),
                        csv: basis.clone(),
                        text: basis,
                        enclosure: None,
                    },
                    int_cell(k_of(c)),
                    Cell::text(scope),
                    verdict_cell(c),
                    Cell::text(format!("{}-{}", c.backend, c.precision_bits)),
                    Cell::code(&c.id),
                ],
            )
        })
        .collect();
    let caption =
        "Which bases diagonalise the softmax: proved = Q^T softmax(Q diag(lambda) Q^T) Q \
                   is diagonal (for every lambda: hadamard-scope, from the exact closure of the \
                   normalised columns, docs/math.md section 14; for one lambda or exact logits: \
                   C1, C1r, group-diagonalise, from an exact argument); refuted = an off-diagonal \
                   enclosure excludes 0 at the recorded exact input.";
    let latex_caption = "Which bases diagonalise the softmax: proved = $Q^\\top \\mathrm{softmax}(Q \\,\\mathrm{diag}(\\lambda) Q^\\top) Q$ is diagonal (for every $\\lambda$: hadamard-scope, from the exact closure of the normalised columns, docs/math.md section 14; for one $\\lambda$ or exact logits: C1, C1r, group-diagonalise, from an exact argument); refuted = an off-diagonal enclosure excludes 0 at the recorded exact input.";
    Some(Table {
        family: "bases".into(),
        stem: "bases".into(),
        caption: caption.into(),
        latex_caption: latex_caption.into(),
        columns,
        rows,
        notes: Vec::new(),
        group_starts,
    })
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
        notes: Vec::new(),
        group_starts: Vec::new(),
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
        notes: Vec::new(),
        group_starts: Vec::new(),
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
        notes: Vec::new(),
        group_starts: Vec::new(),
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
    // One certificate (the usual case): its id, l0 and time go into the caption, not 42 rows.
    let single = certs.len() == 1;
    let mut cols = Vec::new();
    if !single {
        cols.push(col("id", "id", "id", "l"));
    }
    cols.extend([
        col("K", "K", "$K$", "r"),
        col("l0", "l0", "$\\ell_0$", "r"),
        col("L", "L", "$L$", "r"),
        enc_col("time", "T(l0 -> L)", "$T(\\ell_0 \\to L)$"),
        enc_col("ratio", "T / (e^L / 2L)", "$T / (e^L / 2L)$"),
    ]);
    let columns = if single {
        cols
    } else {
        base_columns(opts, cols)
    };
    let mut rows = Vec::new();
    let mut group_starts = Vec::new();
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
        let mut last_k: Option<String> = None;
        for (k, l, t) in times {
            let ratio = c
                .enclosures
                .iter()
                .find(|e| c6_key(&e.name) == Some((true, k.clone(), l.clone())));
            // K and l0 printed on the first row of each K (the CSV keeps them on every row)
            let first = last_k.as_ref() != Some(&k);
            if first {
                group_starts.push(rows.len());
            }
            last_k = Some(k.clone());
            let shown = |text: &str| {
                let mut cell = Cell::number(text);
                if !first {
                    cell.text.clear();
                    cell.latex.clear();
                }
                cell
            };
            let mut row = Vec::new();
            if !single {
                row.push(Cell::code(&c.id));
            }
            row.extend([
                shown(&k),
                shown(&l0),
                Cell::number(&l),
                Cell::digits(t, opts.max_digits),
                ratio.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
            ]);
            rows.push(if single { row } else { with_time(opts, c, row) });
        }
    }
    let (of_md, of_tex) = match certs {
        [c] => {
            let time = if opts.times {
                format!(", {}", super::format_ms(c.elapsed_ms))
            } else {
                String::new()
            };
            (
                format!(
                    " Certificate `{}` ({}, {} bits{time}).",
                    c.id, c.backend, c.precision_bits
                ),
                format!(
                    " Certificate \\texttt{{{}}} ({}, {} bits{time}).",
                    latex_id(&c.id),
                    latex_escape(&c.backend),
                    c.precision_bits
                ),
            )
        }
        _ => (String::new(), String::new()),
    };
    Table {
        family: "C6".into(),
        stem: "C6".into(),
        caption: format!(
            "C6: time to grow from l0 to L on the NC ray, T = (1/2)[Ei(L) - Ei(l0) + (K-1) ln(L/l0)], \
             and its ratio to the asymptote e^L / (2L), which tends to 1 (certified digits only).{of_md}"
        ),
        latex_caption: format!(
            "C6: time to grow from $\\ell_0$ to $L$ on the NC ray, $T = \\frac{{1}}{{2}}[\\mathrm{{Ei}}(L) - \\mathrm{{Ei}}(\\ell_0) + (K-1)\\ln(L/\\ell_0)]$, \
             and its ratio to the asymptote $e^L/(2L)$, which tends to 1 (certified digits only).{of_tex}"
        ),
        columns,
        rows,
        notes: Vec::new(),
        group_starts,
    }
}

/// The bounds of a trajectory claim as written: `V < 0.17 at T`, `loss < 1 on [0, T]`,
/// `a_1 decreasing`; `(Markdown, LaTeX)`.
fn trajectory_bounds(c: &Certificate) -> (String, String) {
    let mut md = Vec::new();
    let mut tex = Vec::new();
    for b in c
        .inputs
        .get("bounds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let q = b.get("quantity").and_then(Value::as_str).unwrap_or("?");
        let qm = math_token(q);
        let (where_md, where_tex) = match b.get("at").and_then(Value::as_str) {
            Some("all") => ("on [0, T]", "on $[0, T]$"),
            _ => ("at T", "at $T$"),
        };
        let mut parts_md = Vec::new();
        let mut parts_tex = Vec::new();
        if let Some(a) = b.get("above").and_then(Value::as_str) {
            parts_md.push(format!("{q} > {a}"));
            parts_tex.push(format!("{qm} > {}", latex_escape(a)));
        }
        if let Some(u) = b.get("below").and_then(Value::as_str) {
            parts_md.push(format!("{q} < {u}"));
            parts_tex.push(format!("{qm} < {}", latex_escape(u)));
        }
        md.push(format!("{} {where_md}", parts_md.join(", ")));
        tex.push(format!("${}$ {where_tex}", parts_tex.join(",\\ ")));
    }
    for d in c
        .inputs
        .get("decreasing")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        md.push(format!("{d} decreasing"));
        tex.push(format!("${}$ decreasing", math_token(d)));
    }
    if md.is_empty() {
        return ("—".into(), "---".into());
    }
    (md.join("; "), tex.join("; "))
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
            col("bound", "bound certified", "bound certified", "p{3cm}"),
            col("quantity", "quantity", "quantity", "l"),
            enc_col("value", "value at T", "value at $T$"),
            col("margin", "margin ≥", "margin $\\ge$", "r"),
        ],
    );
    let rows = certs
        .iter()
        .map(|c| {
            // the value at T of the first bounded quantity, else of the first quantity at T
            let first_q = c
                .inputs
                .get("bounds")
                .and_then(|b| b.get(0))
                .and_then(|b| b.get("quantity"))
                .and_then(Value::as_str)
                .or_else(|| {
                    c.inputs
                        .get("decreasing")
                        .and_then(|d| d.get(0))
                        .and_then(Value::as_str)
                });
            let q = first_q
                .and_then(|q| find(c, |n| n == format!("{q}(T)")))
                .or_else(|| {
                    c.enclosures
                        .iter()
                        .find(|e| e.name.ends_with("(T)") && !e.name.starts_with("x_"))
                });
            let (bound_md, bound_tex) = trajectory_bounds(c);
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
                    Cell {
                        text: md_escape(&bound_md),
                        latex: bound_tex,
                        csv: bound_md,
                        enclosure: None,
                    },
                    q.map_or_else(Cell::empty, |e| Cell::math(e.name.trim_end_matches("(T)"))),
                    q.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                    margin_cell(c),
                ],
            )
        })
        .collect();
    Table {
        family: "trajectory".into(),
        stem: "trajectory".into(),
        caption: "Validated trajectories of the reduced flows: the bounds certified (as written in the \
                  claim), the first bounded quantity at the horizon T (certified digits only) and the \
                  smallest margin of the certified bounds (rounded down)."
            .into(),
        latex_caption: "Validated trajectories of the reduced flows: the bounds certified (as written in \
                        the claim), the first bounded quantity at the horizon $T$ (certified digits \
                        only) and the smallest margin of the certified bounds (rounded down)."
            .into(),
        columns,
        rows,
        notes: Vec::new(),
        group_starts: Vec::new(),
    }
}

/// An id for `\texttt`, escaped, with a break allowed after each hyphen.
fn latex_id(id: &str) -> String {
    latex_escape(id).replace('-', "-\\allowbreak{}")
}

/// Whether a token of a quantity name is an English word (set as text, not mathematics).
fn is_word(tok: &str) -> bool {
    let core = tok.trim_matches(|c: char| matches!(c, ',' | ':' | ';' | '(' | ')'));
    let letters = core.chars().filter(char::is_ascii_alphabetic).count();
    if core.contains('_') {
        // `offdiag_mass`, `z_norm`: identifiers with a word after the underscore are text
        return core
            .split('_')
            .skip(1)
            .any(|w| w.chars().filter(char::is_ascii_alphabetic).count() >= 2);
    }
    letters >= 2
        && core
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '\'')
        && !matches!(core, "lambda" | "exp" | "ln" | "Ei" | "dt")
}

/// One mathematical token of a quantity name in LaTeX math: `dM1/dt(0)` ->
/// `\mathrm{d}M_{1}/\mathrm{d}t(0)`, `lambda_3` -> `\lambda_{3}`, `v^T` -> `v^\top`,
/// `Hess(L)` -> `\nabla^2 L`, `l` -> `\ell`, `loss(T)` -> `L(T)`.
fn math_token(tok: &str) -> String {
    if tok == "l" {
        return "\\ell".into();
    }
    let mut t = tok
        .replace("Hess(L)", "\\nabla^2 L")
        .replace("->", "\\to")
        .replace("<=", "\\le")
        .replace(">=", "\\ge")
        .replace("!=", "\\ne")
        .replace("^T", "^\\top")
        .replace("lambda", "\\lambda")
        .replace("exp(", "\\exp(")
        .replace("loss", "L");
    if t.contains("/dt") {
        t = t.replace("/dt", "/\\mathrm{d}t");
        if let Some(rest) = t.strip_prefix("(d") {
            t = format!("(\\mathrm{{d}}{rest}");
        } else if let Some(rest) = t.strip_prefix('d') {
            t = format!("\\mathrm{{d}}{rest}");
        }
    }
    // subscripts: `M1` -> `M_{1}`, `x_12` -> `x_{12}`
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '_' && i + 1 < chars.len() && chars[i + 1].is_ascii_alphanumeric() {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_alphanumeric() {
                j += 1;
            }
            out.push_str("_{");
            out.extend(&chars[i + 1..j]);
            out.push('}');
            i = j;
            continue;
        }
        if c == 'M'
            && i + 1 < chars.len()
            && chars[i + 1].is_ascii_digit()
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric())
        {
            out.push_str(&format!("M_{}", chars[i + 1]));
            i += 2;
            continue;
        }
        match c {
            '%' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("{\\sim}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// A quantity or enclosure name in LaTeX: words as text, the mathematics between them in math
/// mode (`v^T Hess(L) v along mode 3` -> `$v^\top \nabla^2 L\, v$ along mode $3$`).
pub fn math_latex(name: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut math: Vec<String> = Vec::new();
    let flush = |math: &mut Vec<String>, out: &mut Vec<String>| {
        if !math.is_empty() {
            out.push(format!("${}$", math.join(" ")));
            math.clear();
        }
    };
    for tok in name.split_whitespace() {
        if is_word(tok) {
            flush(&mut math, &mut out);
            out.push(latex_escape(tok));
        } else {
            let m = math_token(tok);
            if math.last().is_some_and(|p| p.ends_with("\\nabla^2 L")) {
                math.push(format!("\\,{m}"));
            } else {
                math.push(m);
            }
        }
    }
    flush(&mut math, &mut out);
    out.join(" ")
}

impl Cell {
    /// A quantity name: plain in Markdown and CSV, mathematics in LaTeX ([`math_latex`]).
    fn math(s: impl Into<String>) -> Self {
        let s = s.into();
        Cell {
            text: md_escape(&s),
            latex: math_latex(&s),
            csv: s,
            enclosure: None,
        }
    }

    /// A value shown as given (not an enclosure), in math mode in LaTeX.
    fn number(s: impl Into<String>) -> Self {
        let s = s.into();
        Cell {
            text: md_escape(&s),
            latex: format!("${}$", latex_escape(&s)),
            csv: s,
            enclosure: None,
        }
    }
}

fn check<'a>(c: &'a Certificate, prefix: &str) -> Option<&'a crate::cert::Check> {
    c.checks.iter().find(|k| k.name.starts_with(prefix))
}

/// `(0, 0.05, 9, ...)` from a claim's `start` input; `None` unless it is a list.
fn start_text(c: &Certificate) -> Option<String> {
    let v = c.inputs.get("start")?;
    let vals = v.get("values")?.as_array()?;
    let list: Vec<&str> = vals.iter().filter_map(Value::as_str).collect();
    Some(format!("({})", list.join(", ")))
}

/// C5: one row per certificate: K, metric, the rate at 0 (the margin), t1, t2, and the largest
/// certified ratio M(t)/M(0) at a step end; the starts under the table.
fn c5_table(certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("K", "K", "$K$", "r"),
            col("metric", "M", "$M$", "l"),
            col("verdict", "verdict", "verdict", "l"),
            enc_col("rate", "dM/dt(0)", "$\\mathrm{d}M/\\mathrm{d}t\\,(0)$"),
            enc_col("t1", "t1", "$t_1$"),
            enc_col("t2", "t2", "$t_2$"),
            col(
                "max_ratio_ge",
                "max M(t)/M(0) ≥",
                "$\\max_t M(t)/M(0) \\ge$",
                "r",
            ),
        ],
    );
    let mut notes = Vec::new();
    let rows = certs
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let q = c
                .inputs
                .get("quantity")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let rate = find(c, |e| e == format!("d{q}/dt(0)"));
            let t1 = find(c, |e| e == "t1");
            let t2 = find(c, |e| e == "t2");
            let horizon = c
                .inputs
                .get("horizon")
                .and_then(Value::as_str)
                .unwrap_or("T");
            let best = check(c, "largest certified")
                .and_then(|k| k.detail.strip_prefix("at least "))
                .and_then(|d| d.split_whitespace().next())
                .and_then(|d| round_bound_str(d, Direction::Down, 4).ok());
            if let Some(st) = start_text(c) {
                notes.push((
                    format!("({}) `{}`: start λ = {st}", n + 1, c.id),
                    format!(
                        "Start of {}: $\\lambda = {{}}$ {}.",
                        n + 1,
                        latex_escape(&st)
                    ),
                ));
            }
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    int_cell(k_of(c).or_else(|| c.inputs.get("k").and_then(Value::as_u64))),
                    Cell::math(&q),
                    verdict_cell(c),
                    rate.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                    t1.map_or_else(Cell::empty, |e| Cell::digits(e, opts.max_digits)),
                    match t2 {
                        Some(e) => Cell::digits(e, opts.max_digits),
                        None if t1.is_some() => Cell {
                            text: format!("none ≤ {horizon}"),
                            latex: format!("none $\\le {}$", latex_escape(horizon)),
                            csv: format!("none <= {horizon}"),
                            enclosure: None,
                        },
                        None => Cell::empty(),
                    },
                    best.map_or_else(Cell::empty, |d| Cell {
                        text: d.to_text(),
                        latex: d.to_latex(),
                        csv: d.to_ascii(),
                        enclosure: None,
                    }),
                ],
            )
        })
        .collect();
    Table {
        family: "C5".into(),
        stem: "C5".into(),
        caption: "C5: non-monotone metrics. From the exact balanced start (λ_0 = 0) the metric M \
                  grows, dM/dt(0) > 0, while V falls; t1 is the first step end with M(t1) > M(0) \
                  and V(t1) < V(0), t2 the first later step end with M(t2) < M(0) (\"none ≤ T\": \
                  not within the horizon); the largest ratio is a certified lower bound at a step \
                  end, rounded down (certified digits only)."
            .into(),
        latex_caption:
            "C5: non-monotone metrics. From the exact balanced start ($\\lambda_0 = 0$) \
                        the metric $M$ grows, $\\mathrm{d}M/\\mathrm{d}t\\,(0) > 0$, while $V$ \
                        falls; $t_1$ is the first step end with $M(t_1) > M(0)$ and \
                        $V(t_1) < V(0)$, $t_2$ the first later step end with $M(t_2) < M(0)$ \
                        (``none $\\le T$'': not within the horizon); the largest ratio is a \
                        certified lower bound at a step end, rounded down (certified digits only)."
                .into(),
        columns,
        rows,
        notes,
        group_starts: Vec::new(),
    }
}

/// `[0.01, 0.98]^3` or `[0.01, 0.98] x [..]`, from a region claim's `normalised_lo/hi`.
fn region_text(c: &Certificate) -> Option<(String, String)> {
    let vals = |key: &str| -> Option<Vec<String>> {
        let v = c.inputs.get(key)?;
        match v.get("kind").and_then(Value::as_str)? {
            "list" => Some(
                v.get("values")?
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            ),
            "progression" if v.get("step").and_then(Value::as_str) == Some("0") => {
                let n = v.get("len")?.as_u64()? as usize;
                Some(vec![v.get("start")?.as_str()?.to_string(); n])
            }
            _ => None,
        }
    };
    let (lo, hi) = (vals("normalised_lo")?, vals("normalised_hi")?);
    let scale: Vec<&str> = c
        .inputs
        .get("scale")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let pairs: Vec<String> = lo
        .iter()
        .zip(&hi)
        .map(|(l, h)| format!("[{l}, {h}]"))
        .collect();
    let uniform = pairs.iter().all(|p| *p == pairs[0]) && !pairs.is_empty();
    let (md_box, tex_box) = if uniform {
        (
            format!("{}^{}", pairs[0], pairs.len()),
            format!("{}^{{{}}}", pairs[0], pairs.len()),
        )
    } else {
        (pairs.join(" × "), pairs.join(" \\times "))
    };
    let sc = format!("[{}]", scale.join(", "));
    Some((
        format!("λ̃ ∈ {md_box}, scale ∈ {sc}"),
        format!("$\\tilde\\lambda \\in {tex_box}$, scale $\\in {sc}$"),
    ))
}

/// The box count at the start of a region check's detail (`"1234 boxes ..."`).
fn boxes_of(detail: &str) -> Option<u64> {
    detail.split_whitespace().next()?.parse().ok()
}

/// Region claims (C4region, C5k4): K, the rate, the region, verdict, how many boxes were
/// processed and which argument closed how many, the margin.
fn region_table(family: &str, certs: &[&Certificate], opts: &TableOptions) -> Table {
    let columns = base_columns(
        opts,
        vec![
            col("id", "id", "id", "l"),
            col("K", "K", "$K$", "r"),
            col("rate", "rate ≤ 0", "rate $\\le 0$", "l"),
            col("verdict", "verdict", "verdict", "l"),
            col("boxes", "boxes", "boxes", "r"),
            col("interval", "closed by interval evaluation", "interval", "r"),
            col("sign", "closed by a sign argument", "sign arg.", "r"),
            col("margin", "margin ≥", "margin $\\ge$", "r"),
        ],
    );
    let mut notes = Vec::new();
    let rows = certs
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let k = c
                .inputs
                .get("k")
                .and_then(Value::as_u64)
                .or_else(|| k_of(c));
            let bb = check(c, "branch and bound over the region");
            let rate = bb
                .and_then(|k| k.name.strip_prefix("branch and bound over the region: "))
                .and_then(|r| r.split(" <= 0").next())
                .map(str::to_string);
            let count = |prefixes: &[&str]| -> Option<u64> {
                let found: Vec<u64> = c
                    .checks
                    .iter()
                    .filter(|k| prefixes.iter().any(|p| k.name.starts_with(p)))
                    .filter_map(|k| boxes_of(&k.detail))
                    .collect();
                (!found.is_empty()).then(|| found.iter().sum())
            };
            let interval = count(&["closed by natural", "closed by mean-value"]);
            let termwise = count(&["closed by term-wise"]);
            let pairwise = count(&["closed by pairwise"]);
            let sign = match (termwise, pairwise) {
                (Some(t), None) => Cell::text(format!("{t} (term-wise)")),
                (None, Some(p)) => Cell::text(format!("{p} (pairwise)")),
                (Some(t), Some(p)) => {
                    Cell::text(format!("{} ({t} term-wise, {p} pairwise)", t + p))
                }
                (None, None) => Cell::text("0"),
            };
            if let Some((md, tex)) = region_text(c) {
                notes.push((
                    format!("({}) `{}`: λ_0 = 0, {md}", n + 1, c.id),
                    format!("Region of {}: $\\lambda_0 = 0$, {tex}.", n + 1),
                ));
            }
            // a margin of 0 with sign-argument boxes: `<= 0` holds, no strict margin
            let margin = if c.margin.as_deref() == Some("0") && sign.csv != "0" {
                Cell::text("0 (sign)")
            } else {
                margin_cell(c)
            };
            with_time(
                opts,
                c,
                vec![
                    Cell::code(&c.id),
                    int_cell(k),
                    rate.map_or_else(Cell::empty, Cell::math),
                    verdict_cell(c),
                    int_cell(bb.and_then(|k| boxes_of(&k.detail))),
                    Cell::text(interval.unwrap_or(0).to_string()),
                    sign,
                    margin,
                ],
            )
        })
        .collect();
    let what = if family == "C5k4" {
        "the rate of the metric"
    } else {
        "dV/dt"
    };
    let what_tex = if family == "C5k4" {
        "the rate of the metric"
    } else {
        "$\\mathrm{d}V/\\mathrm{d}t$"
    };
    Table {
        family: family.into(),
        stem: crate::cert::file_stem(family),
        caption: format!(
            "{family}: {what} <= 0 at every balanced state of the region (λ_0 = 0), by branch \
             and bound. Boxes: processed; interval: closed by interval evaluation (natural or \
             mean-value form, upper end < 0); sign argument: closed by the term-wise or pairwise \
             sign argument of docs/math.md sections 6-7 (upper end <= 0). Margin: the least distance below 0 \
             over the boxes closed by interval evaluation, rounded down; \"0 (sign)\": a sign \
             argument gives <= 0 with no strict margin."
        ),
        latex_caption: format!(
            "{}: {what_tex} $\\le 0$ at every balanced state of the region \
             ($\\lambda_0 = 0$), by branch and bound. Boxes: processed; interval: closed by \
             interval evaluation (natural or mean-value form, upper end $< 0$); sign arg.: closed \
             by the term-wise or pairwise sign argument (upper end $\\le 0$). Margin: the least \
             distance below 0 over the boxes closed by interval evaluation, rounded down; \
             ``0 (sign)'': a sign argument gives $\\le 0$ with no strict margin.",
            latex_escape(family)
        ),
        columns,
        rows,
        notes,
        group_starts: Vec::new(),
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
                    first.map_or_else(Cell::empty, |e| Cell::math(&e.name)),
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
        notes: Vec::new(),
        group_starts: Vec::new(),
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
    /// LaTeX (booktabs) table in a `table` float with caption and label, set in `\small` with
    /// no scaling (every table has the same font size). The `id` column becomes a short row
    /// number; the ids are listed under the table with the table's notes.
    pub fn to_latex(&self) -> String {
        let spec: String = self
            .columns
            .iter()
            .map(|c| if c.key == "id" { "r" } else { c.latex_spec })
            .collect();
        let id_col = self.columns.iter().position(|c| c.key == "id");
        let mut out = String::new();
        out.push_str("% Generated by `hadacert report` from certificates; do not edit by hand.\n");
        out.push_str("% Needs \\usepackage{booktabs}.\n");
        out.push_str("\\begin{table}[htbp]\n\\centering\n\\small\n\\setlength{\\tabcolsep}{4pt}\n");
        out.push_str(&format!("\\caption{{{}}}\n", self.latex_caption));
        let label: String = self
            .family
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        out.push_str(&format!("\\label{{tab:hadacert-{label}}}\n"));
        out.push_str(&format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n"));
        let header: Vec<&str> = self
            .columns
            .iter()
            .map(|c| if c.key == "id" { "" } else { c.latex_title })
            .collect();
        out.push_str(&format!("{} \\\\\n\\midrule\n", header.join(" & ")));
        let mut ids = Vec::new();
        for (n, row) in self.rows.iter().enumerate() {
            // Paragraph columns are set ragged right; each cell is a group, and no paragraph
            // column is last, so the row's `\\` is unaffected.
            let cells: Vec<String> = self
                .columns
                .iter()
                .zip(row)
                .enumerate()
                .map(|(i, (col, c))| {
                    if Some(i) == id_col {
                        if !c.csv.is_empty() && ids.last() != Some(&c.csv) {
                            ids.push(c.csv.clone());
                        }
                        if c.latex.is_empty() {
                            String::new()
                        } else {
                            format!("{}", ids.len())
                        }
                    } else if col.latex_spec.starts_with("p{") {
                        format!("\\raggedright {}", c.latex)
                    } else {
                        c.latex.clone()
                    }
                })
                .collect();
            if n > 0 && self.group_starts.contains(&n) {
                out.push_str("\\addlinespace\n");
            }
            out.push_str(&format!("{} \\\\\n", cells.join(" & ")));
        }
        out.push_str("\\bottomrule\n\\end{tabular}\n");
        let mut notes: Vec<String> = Vec::new();
        if !ids.is_empty() {
            let list: Vec<String> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| format!("{}~\\texttt{{{}}}", i + 1, latex_id(id)))
                .collect();
            notes.push(format!("Certificates: {}.", list.join("; ")));
        }
        notes.extend(self.notes.iter().map(|(_, l)| l.clone()));
        if !notes.is_empty() {
            out.push_str("\n\\medskip\n{\\raggedright\n");
            for n in notes {
                out.push_str(&n);
                out.push_str("\\par\n");
            }
            out.push_str("}\n");
        }
        out.push_str("\\end{table}\n");
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
        if !self.notes.is_empty() {
            out.push('\n');
            for (md, _) in &self.notes {
                out.push_str(md);
                out.push_str("\n\n");
            }
            out.pop();
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

    #[test]
    fn names_in_math_mode() {
        assert_eq!(
            math_latex("v^T Hess(L) v along mode 3"),
            "$v^\\top \\nabla^2 L \\,v$ along mode $3$"
        );
        assert_eq!(
            math_latex("d(M1^2)/dt at the refuting state"),
            "$\\mathrm{d}(M_1^2)/\\mathrm{d}t$ at the refuting state"
        );
        assert_eq!(math_latex("a_2"), "$a_{2}$");
        assert_eq!(math_latex("dM3/dt(0)"), "$\\mathrm{d}M_3/\\mathrm{d}t(0)$");
        assert_eq!(math_latex("lambda_12"), "$\\lambda_{12}$");
        assert_eq!(math_latex("offdiag_mass"), "offdiag\\_mass");
        assert_eq!(
            math_latex("growth rate (2/K)(1 - s_2)"),
            "growth rate $(2/K)(1 - s_{2})$"
        );
        for name in ["v^T Hess(L) v", "d(M1^2)/dt", "a_2", "dV/dt"] {
            let t = math_latex(name);
            assert!(!t.contains("textasciicircum") && !t.contains("\\_"), "{t}");
        }
    }
}
