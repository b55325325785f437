//! The claim-file format (TOML), its parsing and validation.
//!
//! A claim file holds one or more `[[claim]]` tables. Every number is an exact decimal or
//! rational *string* (`"0.5"`, `"1/3"`, `"2e-3"`); it is parsed without passing through f64.
//! Every error names the file, the claim id (when known) and the field.

use crate::arith::{parse_exact, BackendKind, MAX_PRECISION_BITS, MIN_PRECISION_BITS};
use crate::cert::Verdict;
use crate::model::hadamard::{Equivalence, HadamardError, HadamardMatrix, MAX_ORDER};
use rug::Rational;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A claim-file error: which file, which claim, which field, and what is wrong.
///
/// Its `Display` is one line: control characters and line separators in any part (a hostile
/// id or value) are shown escaped (`\n`, `\u{2028}`). A TOML syntax error also carries
/// [`ClaimError::excerpt`], the offending line with a caret under the column, which
/// [`ClaimError::with_excerpt`] appends on the following lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}: claim `{}`, field `{}`: {}",
    one_line(&.file.display().to_string()),
    one_line(.id),
    one_line(.field),
    one_line(.message)
)]
pub struct ClaimError {
    /// The claim file.
    pub file: PathBuf,
    /// The claim id (`?` when the claim has none or the file did not parse).
    pub id: String,
    /// The field (dotted path; `-` for the file as a whole).
    pub field: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// For a TOML syntax error: the offending line of the file and a caret under the column,
    /// two lines (`  3 | id = = 1` and `    |      ^`), control characters escaped.
    pub excerpt: Option<String>,
}

impl ClaimError {
    /// The one-line message, followed by the excerpt (if any) on the next lines.
    pub fn with_excerpt(&self) -> String {
        match &self.excerpt {
            Some(x) => format!("{self}\n{x}"),
            None => self.to_string(),
        }
    }
}

/// `s` with control characters and line separators escaped, so it prints on one line.
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !s.chars().any(breaks) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if breaks(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Largest number of claims in one file.
pub const MAX_CLAIMS_PER_FILE: usize = 10_000;
/// Largest claim file size in bytes.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// A vector of exact numbers: a list, an arithmetic progression, or deterministic pseudo-random
/// rationals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum VectorSpec {
    /// `values = ["0", "1/2", ...]`.
    List {
        /// The entries.
        values: Vec<String>,
    },
    /// `x_m = start + m * step`, m = 0..len.
    Progression {
        /// First entry.
        start: String,
        /// Increment.
        step: String,
        /// Number of entries.
        len: usize,
    },
    /// `x_m = n_m / denominator` with `n_m` uniform in `0..=max_numerator` from a SplitMix64
    /// stream seeded with `seed` (the same on every machine); `zero_first` sets `x_0 = 0`.
    Random {
        /// Stream seed.
        seed: u64,
        /// Largest numerator.
        max_numerator: u64,
        /// Common denominator (> 0).
        denominator: u64,
        /// Number of entries.
        len: usize,
        /// Force the first entry to 0 (the frozen mode 0).
        #[serde(default)]
        zero_first: bool,
    },
}

/// The matrix of a C1/C1r claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case", deny_unknown_fields)]
pub enum MatrixSpec {
    /// The Sylvester matrix of order `order` (a power of two), optionally transformed.
    Sylvester {
        /// K.
        order: usize,
        /// Equivalence transform applied to it.
        #[serde(default)]
        transform: Option<TransformSpec>,
    },
    /// The Paley matrix of order `q + 1`.
    Paley {
        /// A prime `q = 3 (mod 4)`.
        q: usize,
        /// Equivalence transform applied to it.
        #[serde(default)]
        transform: Option<TransformSpec>,
    },
}

/// An equivalence transform: explicit lists and/or seeded random permutations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformSpec {
    /// Explicit row permutation (new row i = old row `row_perm[i]`).
    #[serde(default)]
    pub row_perm: Vec<usize>,
    /// Seed of a random row permutation (used when `row_perm` is empty).
    #[serde(default)]
    pub row_perm_seed: Option<u64>,
    /// Rows whose sign is flipped.
    #[serde(default)]
    pub row_flip: Vec<usize>,
    /// Explicit column permutation.
    #[serde(default)]
    pub col_perm: Vec<usize>,
    /// Seed of a random column permutation (used when `col_perm` is empty).
    #[serde(default)]
    pub col_perm_seed: Option<u64>,
    /// Columns whose sign is flipped.
    #[serde(default)]
    pub col_flip: Vec<usize>,
}

/// The orthonormal-columns matrix `R` (d x K) of a C2 claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EmbeddingSpec {
    /// `R = [I_K; 0]`, d x K.
    Coordinate {
        /// d >= K.
        dim: usize,
    },
    /// The first K columns of the Householder reflection `I - 2 v v^T / (v^T v)` (d x d,
    /// rational and orthogonal).
    Householder {
        /// d >= K.
        dim: usize,
        /// The reflection vector (length d, not all zero).
        v: Vec<String>,
    },
}

/// One claim, as written in a claim file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// Unique id, `[A-Za-z0-9._-]+`; names the certificate file.
    pub id: String,
    /// Claim family: one of [`KNOWN_KINDS`].
    pub kind: String,
    /// The verdict this claim should get.
    pub expect: Verdict,
    /// `inari` or `mpfr`; `f64` never certifies and is refused, except by C8, which is a
    /// simulation and requires it.
    pub backend: BackendKind,
    /// MPFR precision in bits (ignored by inari, which is 53); C8: the precision of the MPFR
    /// comparison run.
    #[serde(default = "default_prec")]
    pub precision_bits: u32,
    /// Escalation: double the MPFR precision until the deciding widths are <= this...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_width: Option<String>,
    /// ...or this precision is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_precision_bits: Option<u32>,
    /// C1/C1r: the matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixSpec>,
    /// C1/C1r: the spectrum lambda.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<VectorSpec>,
    /// C1/C1r/C2: largest accepted width of an off-diagonal enclosure for *proved*.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_bound: Option<String>,
    /// group-diagonalise: the finite abelian group (`"Z12"`, `"Z4xZ4"`, `"Z2^3"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// group-diagonalise: the exact logits f on the group, one per element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logits: Option<VectorSpec>,
    /// hadamard-scope: a named Hadamard matrix (`"paley1:11"`, `"paley2:13"`, `"switched16:2"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// hadamard-scope: a Hadamard matrix inline, one string of `+` and `-` per row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hadamard_rows: Option<Vec<String>>,
    /// C2: singular values of W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<VectorSpec>,
    /// C2: singular values of H.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<VectorSpec>,
    /// C2: the embedding R.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<EmbeddingSpec>,
    /// C7: `saddle` (state supported on mode 0; direction along `mode`) or `zero_mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// C7: the mode m != 0 of the direction (saddle) or of the zero mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<usize>,
    /// trajectory: the reduced flow, `balanced`, `unbalanced` or `nc_ray`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// trajectory: the start (lambda for `balanced`, a for `unbalanced`, `[l]` for `nc_ray`);
    /// C6: the balanced start on which the margin bound is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<VectorSpec>,
    /// trajectory (`unbalanced`): b.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_b: Option<VectorSpec>,
    /// trajectory / C6: the time horizon T (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<String>,
    /// trajectory: quantities certified strictly decreasing from step end to step end (while
    /// resolvable; never certainly increasing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decreasing: Vec<String>,
    /// trajectory: the bounds to certify (all must hold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bounds: Vec<BoundSpec>,
    /// trajectory / C6: local error tolerance of the integrator (default: from the precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<String>,
    /// C6: class counts K of the slowdown table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ks: Option<Vec<usize>>,
    /// C6: start l0 of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l0: Option<String>,
    /// C6: targets L of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ls: Option<Vec<String>>,
    /// C6: K of the integrator check on the NC ray.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ray_k: Option<usize>,
    /// C6: start of the integrator check on the NC ray.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ray_l0: Option<String>,
    /// C6: exact times t* at which the closed form over the enclosure of l(t*) must contain t*.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ray_times: Option<Vec<String>>,
    /// C8: K (W is K x d, H is d x K, d = K; a power of two); C4region / C5k4 / C5: K.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<usize>,
    /// C8: seed of the Gaussian initialisation (SplitMix64); C5: seed of the search that
    /// proposed the start (provenance: `hadacert search` with it reproduces the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// C8: standard deviation of every initial entry of W and H (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_scale: Option<String>,
    /// C8: the fixed RK4 step (exact; must divide `horizon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// C8: largest accepted `|f64 - mpfr| / max(1, |mpfr|)` over the samples (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
    /// C8: largest accepted change of a sample when the step is halved, same measure (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_agreement: Option<String>,
    /// C4region / C5k4: the quantity whose rate is certified `<= 0` on the region: `V`, `M1`
    /// (as d(M1^2)/dt), `M2` or `M3`; C5: the metric that grows, `M1`..`M4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    /// C4region / C5k4: lower corner of the box of the normalised spectrum `lambda~_m`,
    /// m = 1..K-1 (exact, > 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalised_lo: Option<VectorSpec>,
    /// C4region / C5k4: upper corner of that box (exact, <= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalised_hi: Option<VectorSpec>,
    /// C4region / C5k4: the interval `[lo, hi]` of the scale `sum_{m!=0} lambda_m` (exact, > 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Vec<String>>,
    /// C4region / C5k4: boxes whose normalised spectrum lies within this max-norm distance of
    /// the uniform spectrum (NC) may be closed by the term-wise / pairwise argument (exact,
    /// >= 0; 0 = interval evaluation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nc_radius: Option<String>,
    /// C4region / C5k4: deepest bisection level (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u32>,
    /// C4region / C5k4: most boxes processed before giving up *undecided* (default 10^7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_boxes: Option<u64>,
    /// expression: the relation to certify, in the claim language (`d/dt V < 0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A bound on a quantity along a certified trajectory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundSpec {
    /// `V`, `loss`, `M1`..`M4`, `lambda_<m>`, `a_<m>`, `b_<m>`, or `l` (NC ray).
    pub quantity: String,
    /// `end` (at the horizon) or `all` (over every step, start included).
    pub at: String,
    /// The quantity is certified to be < this.
    #[serde(default)]
    pub below: Option<String>,
    /// The quantity is certified to be > this (a lower bound; with `below`, a two-sided one).
    #[serde(default)]
    pub above: Option<String>,
}

/// A validated bound.
#[derive(Clone, Debug)]
pub struct Bound {
    /// Quantity name (validated).
    pub quantity: String,
    /// Over every step (true) or at the end only.
    pub everywhere: bool,
    /// Strict upper bound.
    pub below: Option<Rational>,
    /// Strict lower bound.
    pub above: Option<Rational>,
    /// `below` as the claim file wrote it (echoed in checks; `below` decides).
    pub below_text: Option<String>,
    /// `above` as the claim file wrote it (echoed in checks; `above` decides).
    pub above_text: Option<String>,
}

impl Bound {
    /// The bound as written: `a < V < b`, `V < b` or `a < V`, with the numbers as the claim
    /// file gave them.
    pub fn written(&self) -> String {
        let show = |text: &Option<String>, q: &Option<Rational>| {
            text.clone().or_else(|| q.as_ref().map(|q| q.to_string()))
        };
        format!(
            "{}{}{}",
            show(&self.above_text, &self.above).map_or(String::new(), |a| format!("{a} < ")),
            self.quantity,
            show(&self.below_text, &self.below).map_or(String::new(), |b| format!(" < {b}"))
        )
    }
}

/// The reduced flows a trajectory claim can integrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// `lambda' = (2/K) lambda (1 - s)`.
    Balanced,
    /// `a' = (1/K)(1 - s) b`, `b' = (1/K)(1 - s) a`.
    Unbalanced,
    /// `l' = 2 l / (exp(l) + K - 1)`.
    NcRay,
}

/// Largest horizon accepted by trajectory and C6 claims.
pub const MAX_HORIZON: i64 = 1_000_000;
/// Largest K for trajectory claims (and the state of C4/C4r and of C6's margin bound).
///
/// Above K = 64 the validated integrator keeps its enclosures in box form, and the cost of a
/// step grows faster than K. Measured in release with inari (one `loss` bound, T = 10, a random
/// start, on 2 cores shared with other jobs): K = 1024 1.6 s, 2048 3.7 s, 4096 18 s, 8192 89 s
/// (about 5x per doubling above 2048). 4096 keeps one claim under half a minute at T = 10;
/// longer horizons and MPFR cost more.
pub const MAX_TRAJECTORY_K: usize = 4096;
/// Why [`MAX_TRAJECTORY_K`] is where it is, for the error message.
const TRAJECTORY_K_COST: &str = "the validated trajectory's cost per step grows about 5x per \
     doubling of K above 2048 (measured: 18 s at K = 4096 and 89 s at K = 8192 to T = 10 with \
     inari on 2 cores)";
/// Largest estimated memory of the interval matrices of one C1/C1r/C2 evaluation (16 GiB):
/// `K = 8192` fits with inari, `K = 4096` with MPFR at 128 bits; `K = 1024` at 65536 bits does
/// not. See [`interval_matrix_bytes`].
pub const MAX_MATRIX_MEMORY_BYTES: u128 = 16 << 30;
/// Largest order of a Hadamard matrix without a fast (Walsh-Hadamard) form, such as Paley's:
/// its products are dense, O(K^3) (K = 504 takes about 25 s with inari).
pub const MAX_DENSE_ORDER: usize = 1024;
/// Largest embedding dimension d of a C2 claim (dense d x K products).
pub const MAX_EMBEDDING_DIM: usize = 1024;
/// Largest number of entries `|ks| x |ls|` of a C6 slowdown table.
pub const MAX_SLOWDOWN_ENTRIES: usize = 10_000;
/// Largest number of `ray_times` of a C6 claim.
pub const MAX_RAY_TIMES: usize = 1_000;
/// Largest number of bounds plus `decreasing` quantities of a trajectory claim.
pub const MAX_BOUNDS: usize = 1_000;
/// Largest work of a C8 simulation, `steps x K^3 x ceil(precision_bits / 64)` (the shipped
/// K = 16 claim is 2^18, about 1.5 s; the limit is about half an hour).
pub const MAX_EMPIRICAL_WORK: u128 = 1 << 28;

/// Estimated bytes of `entries` interval matrix entries kept at once (three copies) by backend
/// `backend` at `prec` bits: inari intervals take 16 bytes (about 104 per entry measured, with
/// the copies); an MPFR interval two 32-byte headers and `ceil(prec / 64)` limbs per end.
pub fn interval_matrix_bytes(entries: u128, backend: BackendKind, prec: u32) -> u128 {
    let per_entry = match backend {
        BackendKind::Mpfr => 3 * 2 * (32 + 8 * u128::from(prec.div_ceil(64))),
        _ => 104,
    };
    entries * per_entry
}

/// Refuse an evaluation whose interval matrices (`entries` of them) would not fit in
/// [`MAX_MATRIX_MEMORY_BYTES`] at the highest precision the claim can reach.
fn check_matrix_memory(
    spec: &ClaimSpec,
    ctx: &Ctx,
    field: &str,
    entries: u128,
    what: &str,
) -> Result<(), ClaimError> {
    let prec = match spec.backend {
        BackendKind::Mpfr => spec
            .max_precision_bits
            .unwrap_or(0)
            .max(spec.precision_bits),
        _ => 53,
    };
    let bytes = interval_matrix_bytes(entries, spec.backend, prec);
    if bytes > MAX_MATRIX_MEMORY_BYTES {
        let gib = |b: u128| b.div_ceil(1 << 30);
        return Err(ctx.err(
            field,
            format!(
                "{what} at {prec} bits ({}) need about {} GiB of interval matrices, above the \
                 limit of {} GiB: use a smaller K, a lower precision or inari",
                spec.backend.name(),
                gib(bytes),
                gib(MAX_MATRIX_MEMORY_BYTES)
            ),
        ));
    }
    Ok(())
}

fn default_prec() -> u32 {
    128
}

/// The claim kinds this version evaluates.
pub const KNOWN_KINDS: [&str; 15] = [
    "C1",
    "C1r",
    "C2",
    "trajectory",
    "C6",
    "C8",
    "C4",
    "C4r",
    "C7",
    "C4region",
    "C5k4",
    "C5",
    super::group::KIND,
    "expression",
    super::hadamard_scope::KIND,
];

/// Whether a field must be present in a claim of some kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Always.
    Required,
    /// When `flow` is this value.
    WithFlow(&'static str),
    /// Never (it has a default or is informative).
    Optional,
}

/// One field of one claim kind: its name, whether it is needed, and its help text for that
/// kind.
pub type FieldHelp = (&'static str, Need, &'static str);

/// The fields every claim has (C8 refuses `target_width` and `max_precision_bits`).
const COMMON_FIELDS: &[FieldHelp] = &[
    (
        "id",
        Need::Required,
        "unique id from [A-Za-z0-9._-] (names the certificate file)",
    ),
    ("kind", Need::Required, "the claim kind"),
    (
        "expect",
        Need::Required,
        "the verdict this claim should get: proved, refuted or undecided",
    ),
    ("backend", Need::Required, "`inari` (53 bits) or `mpfr`"),
    (
        "precision_bits",
        Need::Optional,
        "MPFR precision in bits (default 128; inari is 53)",
    ),
    (
        "target_width",
        Need::Optional,
        "escalation: double the MPFR precision until the deciding widths are <= this",
    ),
    (
        "max_precision_bits",
        Need::Optional,
        "escalation: ...or until this precision",
    ),
    ("note", Need::Optional, "free text shown in reports"),
];

const C1_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of an off-diagonal enclosure of \
         Q^T S Q for *proved*",
    ),
    (
        "matrix",
        Need::Required,
        "the Hadamard matrix Q: { family = \"sylvester\", order = K } or { family = \"paley\", \
         q = ... }, optionally with a `transform`",
    ),
    (
        "lambda",
        Need::Required,
        "the spectrum lambda: a vector of K exact numbers (kind = \"list\", \"progression\" or \
         \"random\")",
    ),
];

const GROUP_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of an off-diagonal enclosure of \
         Q^T S Q (Q the real character basis of `group`) for *proved*",
    ),
    (
        "group",
        Need::Required,
        "the finite abelian group, a product of cyclic factors: \"Z12\", \"Z2^3\", \"Z4xZ4\", \
         \"Z3xZ5\" (order K)",
    ),
    (
        "logits",
        Need::Optional,
        "exact logits f on the group, one per element in mixed-radix order (give `logits` or \
         `lambda`)",
    ),
    (
        "lambda",
        Need::Optional,
        "the spectrum, one value per character column, only for groups whose cosines are \
         rational (every factor Z2, Z3, Z4 or Z6); give `logits` or `lambda`",
    ),
];

const C2_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of an off-diagonal enclosure of the \
         diagonalised products for *proved*",
    ),
    (
        "a",
        Need::Required,
        "singular values of W: a vector whose length K is a power of two",
    ),
    (
        "b",
        Need::Required,
        "singular values of H: a vector of the same length as `a`",
    ),
    (
        "embedding",
        Need::Required,
        "the orthonormal-columns matrix R (d x K): { kind = \"coordinate\", dim = d } or \
         { kind = \"householder\", dim = d, v = [...] }",
    ),
];

const TRAJECTORY_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of every component of the final \
         enclosure of the state at the horizon T, for *proved*",
    ),
    ("flow", Need::Required, "the reduced flow: `balanced`, `unbalanced` or `nc_ray`"),
    (
        "start",
        Need::Required,
        "the start state: lambda (balanced), a (unbalanced) or the single value l (nc_ray); \
         length K a power of two in 2..=4096",
    ),
    ("start_b", Need::WithFlow("unbalanced"), "b of the unbalanced start (length K)"),
    ("ray_k", Need::WithFlow("nc_ray"), "K of the NC ray"),
    ("horizon", Need::Required, "the time horizon T (exact, in (0, 1000000])"),
    (
        "bounds",
        Need::Optional,
        "the bounds to certify, each { quantity = \"V\", at = \"end\" or \"all\", below = \"...\", \
         above = \"...\" }: `below = b` certifies quantity < b, `above = a` certifies \
         quantity > a (one or both); at least one bound or one `decreasing` quantity",
    ),
    (
        "decreasing",
        Need::Optional,
        "quantities certified strictly decreasing from step end to step end",
    ),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1) (default: from the precision)",
    ),
];

const C4_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of the enclosure of dV/dt minus its \
         closed form (the consistency check of a balanced state)",
    ),
    ("flow", Need::Required, "`balanced` or `unbalanced`"),
    (
        "start",
        Need::Required,
        "the state: lambda (balanced) or a (unbalanced); length K a power of two in 4..=4096, \
         lambda_m > 0 for m != 0",
    ),
    (
        "start_b",
        Need::WithFlow("unbalanced"),
        "b of the unbalanced state (length K)",
    ),
];

const EXPRESSION_FIELDS: &[FieldHelp] = &[
    (
        "expression",
        Need::Required,
        "the relation `lhs REL rhs`, REL one of < > <= >=, in the claim language (README, \
         Expressions), e.g. \"d/dt V < 0\"",
    ),
    ("flow", Need::Required, "`balanced` or `unbalanced`"),
    (
        "start",
        Need::Required,
        "the state: lambda (balanced) or a (unbalanced); length K a power of two",
    ),
    (
        "start_b",
        Need::WithFlow("unbalanced"),
        "b of the unbalanced state (length K)",
    ),
];

const C7_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted width of a gradient entry's enclosure (each \
         must contain 0)",
    ),
    ("check", Need::Required, "`saddle` or `zero_mode`"),
    (
        "start",
        Need::Required,
        "a of the spectral state (length K, a power of two in 2..=16)",
    ),
    (
        "start_b",
        Need::Required,
        "b of the spectral state (length K)",
    ),
    (
        "mode",
        Need::Required,
        "the mode m != 0 of the direction (saddle) or of the zero mode",
    ),
];

const C6_FIELDS: &[FieldHelp] = &[
    (
        "width_bound",
        Need::Required,
        "exact decimal string: the largest accepted relative width of a table entry and of the \
         enclosure of l(t*)",
    ),
    ("ks", Need::Required, "class counts K of the slowdown table"),
    ("l0", Need::Required, "start l0 of the table (exact)"),
    (
        "ls",
        Need::Required,
        "targets L of the table (exact strings)",
    ),
    (
        "ray_k",
        Need::Required,
        "K of the integrator check on the NC ray",
    ),
    (
        "ray_l0",
        Need::Required,
        "start of the integrator check on the NC ray (exact)",
    ),
    (
        "ray_times",
        Need::Required,
        "increasing exact times t* checked against the closed form",
    ),
    (
        "start",
        Need::Required,
        "balanced start on which the margin bound is checked",
    ),
    (
        "horizon",
        Need::Required,
        "the time horizon T of that trajectory (exact)",
    ),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1)",
    ),
];

const REGION_FIELDS: &[FieldHelp] = &[
    (
        "k",
        Need::Required,
        "the number of classes K (a power of two in 4..=64)",
    ),
    (
        "quantity",
        Need::Required,
        "C4region: `V`; C5k4: `M1` (as d(M1^2)/dt), `M2` or `M3`: the quantity whose rate is \
         certified <= 0 on the region",
    ),
    (
        "normalised_lo",
        Need::Required,
        "lower corner of the box of the normalised spectrum, m = 1..K-1 (exact, > 0)",
    ),
    (
        "normalised_hi",
        Need::Required,
        "upper corner of that box (exact, <= 1)",
    ),
    (
        "scale",
        Need::Required,
        "[lo, hi] of the scale sum_{m!=0} lambda_m (exact strings, > 0)",
    ),
    (
        "nc_radius",
        Need::Optional,
        "boxes within this max-norm distance of NC may be closed by the sign arguments (default \
         0: interval evaluation only)",
    ),
    (
        "max_depth",
        Need::Optional,
        "deepest bisection level (default 60)",
    ),
    (
        "max_boxes",
        Need::Optional,
        "most boxes processed before *undecided* (default 10^7)",
    ),
    (
        "width_bound",
        Need::Optional,
        "not compared: a region proof decides signs box by box",
    ),
];

const C5_FIELDS: &[FieldHelp] = &[
    (
        "quantity",
        Need::Required,
        "the metric that grows: `M1`, `M2`, `M3` or `M4`",
    ),
    (
        "k",
        Need::Required,
        "the number of classes K (a power of two in 4..=512)",
    ),
    (
        "start",
        Need::Required,
        "the balanced start lambda (length K, lambda_0 = 0, the rest > 0)",
    ),
    ("horizon", Need::Required, "the time horizon T (exact)"),
    (
        "tolerance",
        Need::Optional,
        "local error tolerance of the integrator, in (0, 1)",
    ),
    (
        "seed",
        Need::Optional,
        "seed of the `hadacert search` that proposed the start (provenance)",
    ),
    (
        "width_bound",
        Need::Optional,
        "not compared: C5 decides by signs and certain comparisons",
    ),
];

const C8_FIELDS: &[FieldHelp] = &[
    ("k", Need::Required, "K = d (a power of two in 2..=64)"),
    (
        "seed",
        Need::Required,
        "seed of the Gaussian initialisation (SplitMix64)",
    ),
    (
        "init_scale",
        Need::Required,
        "standard deviation of every initial entry (exact, in (0, 10])",
    ),
    ("horizon", Need::Required, "the time horizon T (exact)"),
    (
        "step",
        Need::Required,
        "the fixed RK4 step (exact; must divide the horizon)",
    ),
    (
        "agreement",
        Need::Required,
        "largest accepted |f64 - mpfr| / max(1, |mpfr|) over the samples (exact, in (0, 1))",
    ),
    (
        "step_agreement",
        Need::Required,
        "largest accepted change of a sample when the step is halved (exact, in (0, 1))",
    ),
];

/// The fields of a claim of kind `kind` beyond [`COMMON_FIELDS`], with their help text for that
/// kind; `None` for a kind without a table (every field is then offered).
pub fn kind_fields(kind: &str) -> Option<&'static [FieldHelp]> {
    Some(match kind {
        "C1" | "C1r" => C1_FIELDS,
        "C2" => C2_FIELDS,
        "trajectory" => TRAJECTORY_FIELDS,
        "C4" | "C4r" => C4_FIELDS,
        "C7" => C7_FIELDS,
        "C6" => C6_FIELDS,
        "C4region" | "C5k4" => REGION_FIELDS,
        "C5" => C5_FIELDS,
        "C8" => C8_FIELDS,
        "group-diagonalise" => GROUP_FIELDS,
        "expression" => EXPRESSION_FIELDS,
        super::hadamard_scope::KIND => super::hadamard_scope::FIELDS,
        _ => return None,
    })
}

/// Every field a claim of kind `kind` may hold, the common ones first.
fn fields_of_kind(kind: &str) -> Option<Vec<FieldHelp>> {
    let own = kind_fields(kind)?;
    Some(
        COMMON_FIELDS
            .iter()
            .filter(|(name, ..)| {
                kind != "C8" || !matches!(*name, "target_width" | "max_precision_bits")
            })
            .chain(own)
            .copied()
            .collect(),
    )
}

/// The help text of `field` for kind `kind`, if it has one.
pub fn field_help(kind: &str, field: &str) -> Option<&'static str> {
    fields_of_kind(kind)?
        .into_iter()
        .find(|(name, ..)| *name == field)
        .map(|(.., help)| help)
}

/// Levenshtein distance of two short strings (characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate closest to `word` (case-insensitive edit distance at most a third of its
/// length, at least 1, and shorter than both words, so that `V` never suggests `l`; ties go to
/// the first), if any.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    let limit = (w.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= limit && *d < w.chars().count().min(c.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A validated claim, ready for evaluation.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The parsed text.
    pub spec: ClaimSpec,
    /// The file it came from.
    pub source: PathBuf,
    /// Parameters, validated and made exact.
    pub params: Params,
    /// Width bound for *proved* (exact; 0 for C8, which proves nothing).
    pub width_bound: Rational,
    /// Escalation target (exact), if any.
    pub target_width: Option<Rational>,
}

/// Kind-specific validated parameters.
#[derive(Clone, Debug)]
pub enum Params {
    /// C1 and C1r.
    Diagonalise {
        /// The Hadamard matrix (exact integers).
        matrix: HadamardMatrix,
        /// lambda, exact.
        lambda: Vec<Rational>,
    },
    /// C2.
    Manifold {
        /// a, exact.
        a: Vec<Rational>,
        /// b, exact.
        b: Vec<Rational>,
        /// R (d x K), exact, row-major `r[i][m]`.
        r: Vec<Vec<Rational>>,
    },
    /// trajectory.
    Trajectory {
        /// Which flow.
        flow: Flow,
        /// K (the number of classes; the ray has one state variable).
        k: usize,
        /// Start state, exact (for `unbalanced`: a then b).
        start: Vec<Rational>,
        /// Horizon, exact.
        horizon: Rational,
        /// Bounds to certify.
        bounds: Vec<Bound>,
        /// Quantities certified strictly decreasing step to step.
        decreasing: Vec<String>,
        /// Integrator tolerance.
        tolerance: Option<f64>,
    },
    /// C4region / C5k4: `rate <= 0` on a region of balanced states (branch and bound).
    Region(crate::prove::region::Region),
    /// C5: a balanced start where a metric grows while V falls.
    Counterexample {
        /// The metric (`quantity`).
        metric: super::counterexample::Metric,
        /// K.
        k: usize,
        /// The start lambda, exact (`lambda_0 = 0`, the rest > 0).
        start: Vec<Rational>,
        /// Horizon, exact.
        horizon: Rational,
        /// Integrator tolerance.
        tolerance: Option<f64>,
        /// Seed of the search that proposed the start (provenance only).
        seed: Option<u64>,
    },
    /// C4 / C4r: the sign of dV/dt at one state.
    LyapunovRate {
        /// `balanced` (start = lambda) or `unbalanced` (start = a, then b).
        flow: Flow,
        /// K.
        k: usize,
        /// The state, exact (for `unbalanced`: a then b).
        start: Vec<Rational>,
    },
    /// C7: critical points and zero modes at a spectral state `(a, b)`.
    Critical {
        /// `true`: strict saddle along `mode`; `false`: mode `mode` is a zero mode.
        saddle: bool,
        /// The mode m != 0.
        mode: usize,
        /// a (length K).
        a: Vec<Rational>,
        /// b (length K).
        b: Vec<Rational>,
    },
    /// C6.
    Slowdown {
        /// Table K values.
        ks: Vec<usize>,
        /// Table start.
        l0: Rational,
        /// Table targets.
        ls: Vec<Rational>,
        /// Ray check K.
        ray_k: usize,
        /// Ray check start.
        ray_l0: Rational,
        /// Ray check times (increasing).
        ray_times: Vec<Rational>,
        /// Balanced start for the margin bound.
        start: Vec<Rational>,
        /// Horizon for the margin-bound trajectory.
        horizon: Rational,
        /// Integrator tolerance.
        tolerance: Option<f64>,
    },
    /// group-diagonalise (C1 for a finite abelian group).
    GroupDiagonalise(super::group::GroupParams),
    /// expression: a relation in the claim language at one exact state.
    Expression(Box<super::expression::ExpressionParams>),
    /// hadamard-scope: does H diagonalise the softmax for every lambda?
    HadamardScope(Box<super::hadamard_scope::ScopeParams>),
    /// C8 (empirical: simulated, never certified).
    Empirical {
        /// K = d.
        k: usize,
        /// Seed of the Gaussian initialisation.
        seed: u64,
        /// Standard deviation of the initial entries.
        init_scale: Rational,
        /// Horizon T.
        horizon: Rational,
        /// RK4 step.
        step: Rational,
        /// T / step (an integer).
        n_steps: u64,
        /// Precision of the MPFR comparison run.
        precision_bits: u32,
        /// Accepted f64/MPFR disagreement.
        agreement: Rational,
        /// Accepted change under step halving.
        step_agreement: Rational,
    },
}

/// SplitMix64: a tiny, well-known generator whose stream is the same on every platform.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), by rejection (no modulo bias).
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
    /// A uniformly random permutation of `0..n` (Fisher-Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i as u64 + 1) as usize;
            p.swap(i, j);
        }
        p
    }
}

struct Ctx<'a> {
    file: &'a Path,
    id: String,
}

impl Ctx<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> ClaimError {
        ClaimError {
            file: self.file.to_path_buf(),
            id: self.id.clone(),
            field: field.into(),
            message: message.into(),
            excerpt: None,
        }
    }
}

/// Longest number accepted in a claim file, in bytes (the exact parser's own limit, checked
/// here first so that a long string is refused whatever characters it holds).
pub const MAX_NUMBER_BYTES: usize = 20_000;

fn exact(ctx: &Ctx, field: &str, text: &str) -> Result<Rational, ClaimError> {
    let len = text.trim().len();
    if len > MAX_NUMBER_BYTES {
        return Err(ctx.err(
            field,
            format!("a number of {len} bytes is too long (at most {MAX_NUMBER_BYTES})"),
        ));
    }
    parse_exact(text).map_err(|e| ctx.err(field, e.to_string()))
}

/// Expand a vector spec into exact rationals.
pub fn expand_vector(
    spec: &VectorSpec,
    field: &str,
    ctx_file: &Path,
    id: &str,
) -> Result<Vec<Rational>, ClaimError> {
    let ctx = Ctx {
        file: ctx_file,
        id: id.to_string(),
    };
    let check_len = |len: usize| {
        if len == 0 || len > MAX_ORDER {
            Err(ctx.err(field, format!("length {len} is outside 1..={MAX_ORDER}")))
        } else {
            Ok(())
        }
    };
    match spec {
        VectorSpec::List { values } => {
            check_len(values.len())?;
            values
                .iter()
                .enumerate()
                .map(|(i, v)| exact(&ctx, &format!("{field}.values[{i}]"), v))
                .collect()
        }
        VectorSpec::Progression { start, step, len } => {
            check_len(*len)?;
            let s = exact(&ctx, &format!("{field}.start"), start)?;
            let d = exact(&ctx, &format!("{field}.step"), step)?;
            Ok((0..*len)
                .map(|m| Rational::from(&s + Rational::from(&d * m as u64)))
                .collect())
        }
        VectorSpec::Random {
            seed,
            max_numerator,
            denominator,
            len,
            zero_first,
        } => {
            check_len(*len)?;
            if *denominator == 0 {
                return Err(ctx.err(&format!("{field}.denominator"), "must be > 0"));
            }
            if *max_numerator == u64::MAX {
                return Err(ctx.err(&format!("{field}.max_numerator"), "must be < 2^64 - 1"));
            }
            let mut rng = SplitMix64(*seed);
            Ok((0..*len)
                .map(|m| {
                    let n = rng.below(max_numerator + 1);
                    if m == 0 && *zero_first {
                        Rational::new()
                    } else {
                        Rational::from((n, *denominator))
                    }
                })
                .collect())
        }
    }
}

fn build_transform(t: &TransformSpec, order: usize, ctx: &Ctx) -> Result<Equivalence, ClaimError> {
    let pick =
        |explicit: &Vec<usize>, seed: Option<u64>, field: &str| -> Result<Vec<usize>, ClaimError> {
            match (explicit.is_empty(), seed) {
                (false, Some(_)) => Err(ctx.err(
                    field,
                    "give either an explicit permutation or a seed, not both",
                )),
                (true, Some(s)) => Ok(SplitMix64(s).permutation(order)),
                _ => Ok(explicit.clone()),
            }
        };
    Ok(Equivalence {
        row_perm: pick(&t.row_perm, t.row_perm_seed, "matrix.transform.row_perm")?,
        row_flip: t.row_flip.clone(),
        col_perm: pick(&t.col_perm, t.col_perm_seed, "matrix.transform.col_perm")?,
        col_flip: t.col_flip.clone(),
    })
}

fn hadamard_field(e: &HadamardError) -> &'static str {
    match e {
        HadamardError::NotPowerOfTwo(_)
        | HadamardError::TooLarge(_)
        | HadamardError::InconsistentFastForm(_) => "matrix.order",
        HadamardError::BadPaleyPrime(_) => "matrix.q",
        HadamardError::BadPaley2Prime(_) | HadamardError::BadEntries(_) => "matrix",
        HadamardError::BadPermutation { field, .. }
        | HadamardError::IndexOutOfRange { field, .. } => match *field {
            "row_perm" => "matrix.transform.row_perm",
            "col_perm" => "matrix.transform.col_perm",
            "row_flip" => "matrix.transform.row_flip",
            _ => "matrix.transform.col_flip",
        },
    }
}

fn build_matrix(m: &MatrixSpec, ctx: &Ctx) -> Result<HadamardMatrix, ClaimError> {
    let wrap = |e: HadamardError| ctx.err(hadamard_field(&e), e.to_string());
    let (base, t) = match m {
        MatrixSpec::Sylvester { order, transform } => {
            (HadamardMatrix::sylvester(*order).map_err(wrap)?, transform)
        }
        MatrixSpec::Paley { q, transform } => {
            if *q + 1 > MAX_ORDER {
                return Err(ctx.err(
                    "matrix.q",
                    format!("order q + 1 exceeds the limit {MAX_ORDER}"),
                ));
            }
            (HadamardMatrix::paley(*q).map_err(wrap)?, transform)
        }
    };
    match t {
        None => Ok(base),
        Some(t) => {
            let eq = build_transform(t, base.order(), ctx)?;
            base.transform(&eq).map_err(wrap)
        }
    }
}

/// The matrix of a `matrix` table, for kinds validated in their own module (hadamard-scope).
pub fn matrix_of_spec(m: &MatrixSpec, file: &Path, id: &str) -> Result<HadamardMatrix, ClaimError> {
    build_matrix(
        m,
        &Ctx {
            file,
            id: id.to_string(),
        },
    )
}

fn build_embedding(
    e: &EmbeddingSpec,
    k: usize,
    ctx: &Ctx,
) -> Result<Vec<Vec<Rational>>, ClaimError> {
    let dim = match e {
        EmbeddingSpec::Coordinate { dim } | EmbeddingSpec::Householder { dim, .. } => *dim,
    };
    if dim < k || dim > MAX_EMBEDDING_DIM {
        return Err(ctx.err(
            "embedding.dim",
            format!("must satisfy K = {k} <= dim <= {MAX_EMBEDDING_DIM}"),
        ));
    }
    match e {
        EmbeddingSpec::Coordinate { .. } => Ok((0..dim)
            .map(|i| {
                (0..k)
                    .map(|m| {
                        if i == m {
                            Rational::from(1)
                        } else {
                            Rational::new()
                        }
                    })
                    .collect()
            })
            .collect()),
        EmbeddingSpec::Householder { v, .. } => {
            if v.len() != dim {
                return Err(ctx.err(
                    "embedding.v",
                    format!("has length {} but dim is {dim}", v.len()),
                ));
            }
            let v: Vec<Rational> = v
                .iter()
                .enumerate()
                .map(|(i, x)| exact(ctx, &format!("embedding.v[{i}]"), x))
                .collect::<Result<_, _>>()?;
            let vv: Rational = v.iter().map(|x| Rational::from(x * x)).sum();
            if vv == 0 {
                return Err(ctx.err("embedding.v", "must not be the zero vector"));
            }
            Ok((0..dim)
                .map(|i| {
                    (0..k)
                        .map(|m| {
                            let delta = if i == m {
                                Rational::from(1)
                            } else {
                                Rational::new()
                            };
                            delta - Rational::from(&v[i] * &v[m]) * 2u32 / &vv
                        })
                        .collect()
                })
                .collect())
        }
    }
}

fn horizon(spec: &ClaimSpec, ctx: &Ctx) -> Result<Rational, ClaimError> {
    let h = exact(
        ctx,
        "horizon",
        spec.horizon
            .as_deref()
            .ok_or_else(|| ctx.err("horizon", "missing"))?,
    )?;
    if h <= 0 || h > MAX_HORIZON {
        return Err(ctx.err("horizon", format!("must be in (0, {MAX_HORIZON}]")));
    }
    Ok(h)
}

fn tolerance(spec: &ClaimSpec, ctx: &Ctx) -> Result<Option<f64>, ClaimError> {
    match &spec.tolerance {
        None => Ok(None),
        Some(t) => {
            let q = exact(ctx, "tolerance", t)?;
            let f = q.to_f64();
            if !(f > 0.0 && f < 1.0) {
                return Err(ctx.err("tolerance", "must be in (0, 1)"));
            }
            Ok(Some(f))
        }
    }
}

fn known_quantity(q: &str, flow: Flow, k: usize) -> bool {
    let index = |prefix: &str| {
        q.strip_prefix(prefix)
            .and_then(|m| m.parse::<usize>().ok())
            .is_some_and(|m| m < k)
    };
    match flow {
        Flow::Balanced => matches!(q, "V" | "loss" | "M1" | "M2" | "M3" | "M4") || index("lambda_"),
        Flow::Unbalanced => {
            matches!(q, "V" | "loss") || index("a_") || index("b_") || index("lambda_")
        }
        Flow::NcRay => matches!(q, "l" | "loss"),
    }
}

/// The quantities a trajectory of `flow` at K = `k` can bound, as a readable list.
fn quantity_list(flow: Flow, k: usize) -> String {
    let last = k.saturating_sub(1);
    match flow {
        Flow::Balanced => format!("V, loss, M1, M2, M3, M4, lambda_0 .. lambda_{last}"),
        Flow::Unbalanced => {
            format!("V, loss, a_0 .. a_{last}, b_0 .. b_{last}, lambda_0 .. lambda_{last}")
        }
        Flow::NcRay => "l, loss".into(),
    }
}

/// The message for a quantity `q` that `flow` at K = `k` does not have: a suggestion and the
/// valid ones.
fn unknown_quantity(q: &str, flow: Flow, k: usize) -> String {
    let mut names: Vec<String> = match flow {
        Flow::Balanced => ["V", "loss", "M1", "M2", "M3", "M4"]
            .map(String::from)
            .to_vec(),
        Flow::Unbalanced => ["V", "loss"].map(String::from).to_vec(),
        Flow::NcRay => ["l", "loss"].map(String::from).to_vec(),
    };
    let prefixes: &[&str] = match flow {
        Flow::Balanced => &["lambda_"],
        Flow::Unbalanced => &["a_", "b_", "lambda_"],
        Flow::NcRay => &[],
    };
    for p in prefixes {
        names.extend((0..k.min(64)).map(|m| format!("{p}{m}")));
    }
    let flow_name = match flow {
        Flow::Balanced => "balanced",
        Flow::Unbalanced => "unbalanced",
        Flow::NcRay => "nc_ray",
    };
    let index_hint = prefixes
        .iter()
        .find_map(|p| q.strip_prefix(p))
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m >= k)
        .map(|m| format!(" (mode {m} does not exist: K = {k}, modes 0..{})", k - 1))
        .unwrap_or_default();
    let suggestion = did_you_mean(q, names.iter().map(String::as_str))
        .filter(|_| index_hint.is_empty())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!(
        "unknown quantity `{q}` for the {flow_name} flow{index_hint}{suggestion}; valid at K = {k}: {}",
        quantity_list(flow, k)
    )
}

/// The message for a state of length `k` outside `min..=MAX_TRAJECTORY_K` (powers of two),
/// with the reason for the limit when `k` is above it.
fn trajectory_k_message(k: usize, min: usize) -> String {
    let range = format!("K must be a power of two in {min}..={MAX_TRAJECTORY_K}");
    if k > MAX_TRAJECTORY_K {
        format!(
            "has length {k}: K = {k} exceeds the limit {MAX_TRAJECTORY_K} ({range}): \
             {TRAJECTORY_K_COST}"
        )
    } else {
        format!("has length {k}: {range}")
    }
}

fn validate_trajectory(spec: &ClaimSpec, file: &Path, ctx: &Ctx) -> Result<Params, ClaimError> {
    let flow = match spec.flow.as_deref() {
        Some("balanced") => Flow::Balanced,
        Some("unbalanced") => Flow::Unbalanced,
        Some("nc_ray") => Flow::NcRay,
        Some(other) => {
            return Err(ctx.err(
                "flow",
                format!("unknown flow `{other}` (balanced, unbalanced, nc_ray)"),
            ))
        }
        None => return Err(ctx.err("flow", "missing (balanced, unbalanced or nc_ray)")),
    };
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing"))?;
    let mut start = expand_vector(start_spec, "start", file, &spec.id)?;
    let k = match flow {
        Flow::NcRay => {
            if start.len() != 1 {
                return Err(ctx.err(
                    "start",
                    "the NC ray has one state variable l: give one value",
                ));
            }
            let k = spec
                .ray_k
                .ok_or_else(|| ctx.err("ray_k", "missing: K of the NC ray"))?;
            if !(2..=1 << 20).contains(&k) {
                return Err(ctx.err("ray_k", "must be in 2..=2^20"));
            }
            k
        }
        _ => {
            let k = start.len();
            if !k.is_power_of_two() || k < 2 || k > MAX_TRAJECTORY_K {
                return Err(ctx.err("start", trajectory_k_message(k, 2)));
            }
            k
        }
    };
    if flow == Flow::Unbalanced {
        append_b(spec, file, ctx, &mut start, k)?;
    }
    let horizon = horizon(spec, ctx)?;
    if spec.bounds.len() + spec.decreasing.len() > MAX_BOUNDS {
        return Err(ctx.err(
            "bounds",
            format!(
                "{} bounds and {} decreasing quantities: at most {MAX_BOUNDS} in all",
                spec.bounds.len(),
                spec.decreasing.len()
            ),
        ));
    }
    if spec.bounds.is_empty() && spec.decreasing.is_empty() {
        return Err(ctx.err(
            "bounds",
            "missing: at least one bound (or a `decreasing` quantity) to certify",
        ));
    }
    for (i, q) in spec.decreasing.iter().enumerate() {
        if !known_quantity(q, flow, k) {
            return Err(ctx.err(&format!("decreasing[{i}]"), unknown_quantity(q, flow, k)));
        }
    }
    let mut bounds = Vec::new();
    for (i, b) in spec.bounds.iter().enumerate() {
        let f = |name: &str| format!("bounds[{i}].{name}");
        if !known_quantity(&b.quantity, flow, k) {
            return Err(ctx.err(&f("quantity"), unknown_quantity(&b.quantity, flow, k)));
        }
        let everywhere = match b.at.as_str() {
            "end" => false,
            "all" => true,
            other => return Err(ctx.err(&f("at"), format!("`{other}`: expected `end` or `all`"))),
        };
        let below = b
            .below
            .as_deref()
            .map(|t| exact(ctx, &f("below"), t))
            .transpose()?;
        let above = b
            .above
            .as_deref()
            .map(|t| exact(ctx, &f("above"), t))
            .transpose()?;
        if below.is_none() && above.is_none() {
            return Err(ctx.err(
                &f("below"),
                "give `below` (certifies quantity < below), `above` (quantity > above) or both",
            ));
        }
        bounds.push(Bound {
            quantity: b.quantity.clone(),
            everywhere,
            below,
            above,
            below_text: b.below.as_deref().map(|t| t.trim().to_string()),
            above_text: b.above.as_deref().map(|t| t.trim().to_string()),
        });
    }
    Ok(Params::Trajectory {
        flow,
        k,
        start,
        horizon,
        bounds,
        decreasing: spec.decreasing.clone(),
        tolerance: tolerance(spec, ctx)?,
    })
}

/// For an unbalanced state, read `start_b` (length K) and append it to `start` (a then b).
fn append_b(
    spec: &ClaimSpec,
    file: &Path,
    ctx: &Ctx,
    start: &mut Vec<Rational>,
    k: usize,
) -> Result<(), ClaimError> {
    let b_spec = spec
        .start_b
        .as_ref()
        .ok_or_else(|| ctx.err("start_b", "missing: b of the unbalanced state"))?;
    let b = expand_vector(b_spec, "start_b", file, &spec.id)?;
    if b.len() != k {
        return Err(ctx.err(
            "start_b",
            format!("has length {} but `start` has length {k}", b.len()),
        ));
    }
    start.extend(b);
    Ok(())
}

fn validate_pointwise(spec: &ClaimSpec, file: &Path, ctx: &Ctx) -> Result<Params, ClaimError> {
    let flow = match spec.flow.as_deref() {
        Some("balanced") => Flow::Balanced,
        Some("unbalanced") => Flow::Unbalanced,
        Some(other) => {
            return Err(ctx.err(
                "flow",
                format!("unknown flow `{other}` (balanced or unbalanced)"),
            ))
        }
        None => return Err(ctx.err("flow", "missing (balanced or unbalanced)")),
    };
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing"))?;
    let mut start = expand_vector(start_spec, "start", file, &spec.id)?;
    let k = start.len();
    if !k.is_power_of_two() || !(4..=MAX_TRAJECTORY_K).contains(&k) {
        return Err(ctx.err("start", trajectory_k_message(k, 4)));
    }
    if flow == Flow::Unbalanced {
        append_b(spec, file, ctx, &mut start, k)?;
    }
    // V needs lambda_m > 0 for m != 0.
    let positive = (1..k).all(|m| match flow {
        Flow::Unbalanced => Rational::from(&start[m] * &start[k + m]) > 0,
        _ => start[m] > 0,
    });
    if !positive {
        return Err(ctx.err("start", "V needs lambda_m > 0 for every m != 0"));
    }
    Ok(Params::LyapunovRate { flow, k, start })
}

/// Largest K of a region claim (the box has K dimensions).
pub const MAX_REGION_K: usize = 64;
/// Largest `max_boxes` of a region claim.
pub const MAX_REGION_BOXES: u64 = 1_000_000_000;
/// Largest `max_depth` of a region claim.
pub const MAX_REGION_DEPTH: u32 = 200;

fn validate_region(spec: &ClaimSpec, file: &Path, ctx: &Ctx) -> Result<Params, ClaimError> {
    use crate::prove::region::{RateQuantity, Region};
    let k = spec
        .k
        .ok_or_else(|| ctx.err("k", "missing: the number of classes K"))?;
    if !k.is_power_of_two() || !(4..=MAX_REGION_K).contains(&k) {
        return Err(ctx.err(
            "k",
            format!("K = {k}: must be a power of two in 4..={MAX_REGION_K}"),
        ));
    }
    let quantity = match spec.quantity.as_deref() {
        Some("V") => RateQuantity::V,
        Some("M1") => RateQuantity::M1,
        Some("M2") => RateQuantity::M2,
        Some("M3") => RateQuantity::M3,
        Some(other) => {
            return Err(ctx.err(
                "quantity",
                format!("unknown quantity `{other}` (V, M1, M2 or M3)"),
            ))
        }
        None => return Err(ctx.err("quantity", "missing (V, M1, M2 or M3)")),
    };
    if spec.kind == "C4region" && quantity != RateQuantity::V {
        return Err(ctx.err("quantity", "C4region certifies V; use C5k4 for M1-M3"));
    }
    if spec.kind == "C5k4" && quantity == RateQuantity::V {
        return Err(ctx.err("quantity", "C5k4 certifies M1-M3; use C4region for V"));
    }
    let corner = |field: &str, v: &Option<VectorSpec>| -> Result<Vec<Rational>, ClaimError> {
        let v = v.as_ref().ok_or_else(|| ctx.err(field, "missing"))?;
        let q = expand_vector(v, field, file, &spec.id)?;
        if q.len() != k - 1 {
            return Err(ctx.err(
                field,
                format!("has length {} but K - 1 = {}", q.len(), k - 1),
            ));
        }
        if q.iter().any(|x| *x <= 0 || *x > 1) {
            return Err(ctx.err(field, "every entry must be in (0, 1]"));
        }
        Ok(q)
    };
    let x_lo = corner("normalised_lo", &spec.normalised_lo)?;
    let x_hi = corner("normalised_hi", &spec.normalised_hi)?;
    if x_lo.iter().zip(&x_hi).any(|(a, b)| a > b) {
        return Err(ctx.err("normalised_hi", "must be >= normalised_lo entry by entry"));
    }
    let sum_lo = x_lo.iter().fold(Rational::new(), |a, b| a + b);
    let sum_hi = x_hi.iter().fold(Rational::new(), |a, b| a + b);
    if sum_lo > 1 || sum_hi < 1 {
        return Err(ctx.err(
            "normalised_lo",
            "the box misses the simplex (need sum lo <= 1 <= sum hi)",
        ));
    }
    let scale = spec
        .scale
        .as_ref()
        .ok_or_else(|| ctx.err("scale", "missing: [lo, hi] of sum_{m!=0} lambda_m"))?;
    if scale.len() != 2 {
        return Err(ctx.err("scale", "must be [lo, hi]"));
    }
    let scale_lo = exact(ctx, "scale", &scale[0])?;
    let scale_hi = exact(ctx, "scale", &scale[1])?;
    if scale_lo <= 0 || scale_hi < scale_lo {
        return Err(ctx.err("scale", "need 0 < lo <= hi"));
    }
    if scale_hi > 1_000_000 || scale_lo < Rational::from((1, 1_000_000)) {
        return Err(ctx.err("scale", "must lie in [1e-6, 1e6]"));
    }
    let nc_radius = match spec.nc_radius.as_deref() {
        Some(t) => {
            let r = exact(ctx, "nc_radius", t)?;
            if r < 0 || r > 1 {
                return Err(ctx.err("nc_radius", "must be in [0, 1]"));
            }
            r
        }
        None => Rational::new(),
    };
    let max_depth = spec.max_depth.unwrap_or(60);
    if !(1..=MAX_REGION_DEPTH).contains(&max_depth) {
        return Err(ctx.err("max_depth", format!("must be in 1..={MAX_REGION_DEPTH}")));
    }
    let max_boxes = spec.max_boxes.unwrap_or(10_000_000);
    if !(1..=MAX_REGION_BOXES).contains(&max_boxes) {
        return Err(ctx.err("max_boxes", format!("must be in 1..={MAX_REGION_BOXES}")));
    }
    Ok(Params::Region(Region {
        quantity,
        k,
        x_lo,
        x_hi,
        scale_lo,
        scale_hi,
        nc_radius,
        max_depth,
        max_boxes,
    }))
}

/// Largest K of a C5 claim.
///
/// The validated integrator keeps Lohner's QR form up to dimension 64 and box form above.
/// Measured in release with inari (the M1 claim `hadacert search --k K --seed 1` proposes, on 2
/// cores shared with other jobs): K = 128 1.0 s, 256 2.2 s (10 s with the horizon raised from 10
/// to 100), 512 4.9 s to T = 10. Beyond 512 the search that proposes the starts becomes the cost
/// ([`crate::search::MAX_SEARCH_K`]), and a hand-written start at K = 1024 would have 1023
/// modes to write out.
pub const MAX_COUNTEREXAMPLE_K: usize = 512;
/// Why [`MAX_COUNTEREXAMPLE_K`] is where it is, for the error message.
const COUNTEREXAMPLE_K_COST: &str = "the validated trajectory runs in box form above K = 64 and \
     costs about 2x per doubling of K (measured: 2.2 s at K = 256 and 4.9 s at K = 512 to T = 10 \
     with inari on 2 cores), and `hadacert search`, which proposes the starts, about 5x (121 s at \
     K = 512)";

fn validate_counterexample(spec: &ClaimSpec, file: &Path, ctx: &Ctx) -> Result<Params, ClaimError> {
    use super::counterexample::Metric;
    let metric: Metric = match spec.quantity.as_deref() {
        Some(q) => q.parse().map_err(|e: String| ctx.err("quantity", e))?,
        None => return Err(ctx.err("quantity", "missing (M1, M2, M3 or M4)")),
    };
    let k = spec
        .k
        .ok_or_else(|| ctx.err("k", "missing: the number of classes K"))?;
    if !k.is_power_of_two() || !(4..=MAX_COUNTEREXAMPLE_K).contains(&k) {
        let range = format!("a power of two in 4..={MAX_COUNTEREXAMPLE_K}");
        return Err(ctx.err(
            "k",
            if k > MAX_COUNTEREXAMPLE_K {
                format!(
                    "K = {k} exceeds the limit {MAX_COUNTEREXAMPLE_K} for C5 claims ({range}): \
                     {COUNTEREXAMPLE_K_COST}"
                )
            } else {
                format!("K = {k}: must be {range}")
            },
        ));
    }
    let start_spec = spec
        .start
        .as_ref()
        .ok_or_else(|| ctx.err("start", "missing: the balanced start lambda"))?;
    let start = expand_vector(start_spec, "start", file, &spec.id)?;
    if start.len() != k {
        return Err(ctx.err("start", format!("has length {} but k = {k}", start.len())));
    }
    if start[0] != 0 {
        return Err(ctx.err(
            "start",
            "a balanced start has lambda_0 = 0 (mode 0 is frozen and the metrics ignore it)",
        ));
    }
    if let Some(m) = (1..k).find(|&m| start[m] <= 0) {
        return Err(ctx.err(
            "start",
            format!(
                "lambda_{m} = {}: every lambda_m, m != 0, must be > 0",
                start[m]
            ),
        ));
    }
    if metric == Metric::M4 {
        let max = start[1..].iter().max().expect("k >= 4");
        let min = start[1..].iter().min().expect("k >= 4");
        for (what, v) in [("largest", max), ("smallest", min)] {
            if start[1..].iter().filter(|x| *x == v).count() > 1 {
                return Err(ctx.err(
                    "start",
                    format!(
                        "the {what} lambda_m ({v}) is not unique: M4 = ln(max/min) has no \
                         derivative there"
                    ),
                ));
            }
        }
    }
    Ok(Params::Counterexample {
        metric,
        k,
        start,
        horizon: horizon(spec, ctx)?,
        tolerance: tolerance(spec, ctx)?,
        seed: spec.seed,
    })
}

fn validate_critical(spec: &ClaimSpec, file: &Path, ctx: &Ctx) -> Result<Params, ClaimError> {
    let saddle = match spec.check.as_deref() {
        Some("saddle") => true,
        Some("zero_mode") => false,
        Some(other) => {
            return Err(ctx.err(
                "check",
                format!("unknown check `{other}` (saddle or zero_mode)"),
            ))
        }
        None => return Err(ctx.err("check", "missing (saddle or zero_mode)")),
    };
    let a = expand_vector(
        spec.start
            .as_ref()
            .ok_or_else(|| ctx.err("start", "missing: a"))?,
        "start",
        file,
        &spec.id,
    )?;
    let b = expand_vector(
        spec.start_b
            .as_ref()
            .ok_or_else(|| ctx.err("start_b", "missing: b"))?,
        "start_b",
        file,
        &spec.id,
    )?;
    let k = a.len();
    if !k.is_power_of_two() || !(2..=16).contains(&k) {
        return Err(ctx.err(
            "start",
            format!(
                "has length {k}: K must be a power of two in 2..=16 (dense Hessian directions)"
            ),
        ));
    }
    if b.len() != k {
        return Err(ctx.err(
            "start_b",
            format!("has length {} but `start` has length {k}", b.len()),
        ));
    }
    let mode = spec
        .mode
        .ok_or_else(|| ctx.err("mode", "missing: the mode m != 0"))?;
    if mode == 0 || mode >= k {
        return Err(ctx.err("mode", format!("must be in 1..{k}")));
    }
    if saddle && (1..k).any(|m| a[m] != 0 || b[m] != 0) {
        return Err(ctx.err(
            "start",
            "a saddle state is supported on mode 0 only: a_m = b_m = 0 for m != 0",
        ));
    }
    if !saddle && (a[mode] != 0 || b[mode] != 0) {
        return Err(ctx.err(
            "start",
            format!("a zero mode needs a_{mode} = b_{mode} = 0"),
        ));
    }
    Ok(Params::Critical { saddle, mode, a, b })
}

fn validate_slowdown(spec: &ClaimSpec, file: &Path, ctx: &Ctx) -> Result<Params, ClaimError> {
    let ks = spec.ks.clone().ok_or_else(|| ctx.err("ks", "missing"))?;
    if ks.is_empty() || ks.iter().any(|&k| !(2..=1 << 20).contains(&k)) {
        return Err(ctx.err("ks", "must be a non-empty list of K in 2..=2^20"));
    }
    let positive = |field: &str, t: &str| -> Result<Rational, ClaimError> {
        let q = exact(ctx, field, t)?;
        if q <= 0 || q > 10_000 {
            return Err(ctx.err(field, "must be in (0, 10000]"));
        }
        Ok(q)
    };
    let l0 = positive(
        "l0",
        spec.l0.as_deref().ok_or_else(|| ctx.err("l0", "missing"))?,
    )?;
    let ls_text = spec.ls.clone().ok_or_else(|| ctx.err("ls", "missing"))?;
    if ks.len().saturating_mul(ls_text.len()) > MAX_SLOWDOWN_ENTRIES {
        return Err(ctx.err(
            "ls",
            format!(
                "the table has |ks| x |ls| = {} x {} entries: at most {MAX_SLOWDOWN_ENTRIES}",
                ks.len(),
                ls_text.len()
            ),
        ));
    }
    let ls = ls_text
        .iter()
        .enumerate()
        .map(|(i, t)| positive(&format!("ls[{i}]"), t))
        .collect::<Result<Vec<_>, _>>()?;
    let ray_k = spec.ray_k.ok_or_else(|| ctx.err("ray_k", "missing"))?;
    if !(2..=1 << 20).contains(&ray_k) {
        return Err(ctx.err("ray_k", "must be in 2..=2^20"));
    }
    let ray_l0 = positive(
        "ray_l0",
        spec.ray_l0
            .as_deref()
            .ok_or_else(|| ctx.err("ray_l0", "missing"))?,
    )?;
    let times_text = spec
        .ray_times
        .clone()
        .ok_or_else(|| ctx.err("ray_times", "missing"))?;
    let mut ray_times = Vec::new();
    if times_text.len() > MAX_RAY_TIMES {
        return Err(ctx.err(
            "ray_times",
            format!("{} times: at most {MAX_RAY_TIMES}", times_text.len()),
        ));
    }
    for (i, t) in times_text.iter().enumerate() {
        let q = exact(ctx, &format!("ray_times[{i}]"), t)?;
        if q <= 0 || q > MAX_HORIZON || ray_times.last().is_some_and(|p: &Rational| q <= *p) {
            return Err(ctx.err(
                &format!("ray_times[{i}]"),
                format!("times must increase within (0, {MAX_HORIZON}]"),
            ));
        }
        ray_times.push(q);
    }
    let start = expand_vector(
        spec.start
            .as_ref()
            .ok_or_else(|| ctx.err("start", "missing: balanced start for the margin bound"))?,
        "start",
        file,
        &spec.id,
    )?;
    if !start.len().is_power_of_two() || start.len() < 2 || start.len() > MAX_TRAJECTORY_K {
        return Err(ctx.err("start", trajectory_k_message(start.len(), 2)));
    }
    Ok(Params::Slowdown {
        ks,
        l0,
        ls,
        ray_k,
        ray_l0,
        ray_times,
        start,
        horizon: horizon(spec, ctx)?,
        tolerance: tolerance(spec, ctx)?,
    })
}

fn validate_empirical(spec: &ClaimSpec, ctx: &Ctx) -> Result<Params, ClaimError> {
    use super::empirical::{MAX_EMPIRICAL_K, MAX_EMPIRICAL_STEPS};
    for (field, present) in [
        ("width_bound", spec.width_bound.is_some()),
        ("target_width", spec.target_width.is_some()),
        ("max_precision_bits", spec.max_precision_bits.is_some()),
    ] {
        if present {
            return Err(ctx.err(
                field,
                "does not apply to C8: a simulation has no enclosures to bound or escalate",
            ));
        }
    }
    let missing = |field: &str| ctx.err(field, "missing (required by kind C8)");
    let k = spec.k.ok_or_else(|| missing("k"))?;
    if !k.is_power_of_two() || !(2..=MAX_EMPIRICAL_K).contains(&k) {
        return Err(ctx.err(
            "k",
            format!("is {k}: K must be a power of two in 2..={MAX_EMPIRICAL_K} (Sylvester Q)"),
        ));
    }
    let seed = spec.seed.ok_or_else(|| missing("seed"))?;
    let in_range = |field: &str, text: Option<&str>, max: i32| -> Result<Rational, ClaimError> {
        let q = exact(ctx, field, text.ok_or_else(|| missing(field))?)?;
        if q <= 0 || q > max {
            return Err(ctx.err(field, format!("must be in (0, {max}]")));
        }
        Ok(q)
    };
    let init_scale = in_range("init_scale", spec.init_scale.as_deref(), 10)?;
    let horizon = horizon(spec, ctx)?;
    let step = in_range("step", spec.step.as_deref(), 10)?;
    let ratio = Rational::from(&horizon / &step);
    if *ratio.denom() != 1 {
        return Err(ctx.err(
            "step",
            format!("must divide the horizon: horizon / step = {ratio} is not an integer"),
        ));
    }
    let n_steps = ratio
        .numer()
        .to_u64()
        .filter(|n| *n <= MAX_EMPIRICAL_STEPS)
        .ok_or_else(|| {
            ctx.err(
                "step",
                format!("horizon / step = {ratio} steps: at most {MAX_EMPIRICAL_STEPS}"),
            )
        })?;
    let work =
        u128::from(n_steps) * (k as u128).pow(3) * u128::from(spec.precision_bits.div_ceil(64));
    if work > MAX_EMPIRICAL_WORK {
        return Err(ctx.err(
            "step",
            format!(
                "{n_steps} steps at K = {k} and {} bits are {work} units of work (steps x K^3 x \
                 ceil(bits / 64)): at most {MAX_EMPIRICAL_WORK}; use a larger step, a shorter \
                 horizon, a smaller K or a lower precision",
                spec.precision_bits
            ),
        ));
    }
    let below_one = |field: &str, text: Option<&str>| -> Result<Rational, ClaimError> {
        let q = exact(ctx, field, text.ok_or_else(|| missing(field))?)?;
        if q <= 0 || q >= 1 {
            return Err(ctx.err(field, "must be in (0, 1)"));
        }
        Ok(q)
    };
    Ok(Params::Empirical {
        k,
        seed,
        init_scale,
        horizon,
        step,
        n_steps,
        precision_bits: spec.precision_bits,
        agreement: below_one("agreement", spec.agreement.as_deref())?,
        step_agreement: below_one("step_agreement", spec.step_agreement.as_deref())?,
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Validate one parsed claim.
pub fn validate(spec: ClaimSpec, file: &Path) -> Result<Claim, ClaimError> {
    let ctx = Ctx {
        file,
        id: spec.id.clone(),
    };
    if !valid_id(&spec.id) {
        return Err(ctx.err("id", "must be 1-128 characters from [A-Za-z0-9._-]"));
    }
    if !KNOWN_KINDS.contains(&spec.kind.as_str()) {
        let suggestion = did_you_mean(&spec.kind, KNOWN_KINDS.iter().copied())
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        return Err(ctx.err(
            "kind",
            format!(
                "unknown kind `{}` ({suggestion}known: {})",
                spec.kind,
                KNOWN_KINDS.join(", ")
            ),
        ));
    }
    let empirical = spec.kind == "C8";
    if spec.backend == BackendKind::F64 && !empirical {
        return Err(ctx.err("backend", "f64 never certifies: use `inari` or `mpfr`"));
    }
    if empirical && spec.backend != BackendKind::F64 {
        return Err(ctx.err(
            "backend",
            "C8 is a simulation, not a certificate: backend must be `f64` (the MPFR comparison \
             run uses `precision_bits`)",
        ));
    }
    if empirical && spec.expect != Verdict::Empirical {
        return Err(ctx.err(
            "expect",
            format!(
                "C8 is simulated, never certified: expect must be `empirical`, not `{}`",
                spec.expect
            ),
        ));
    }
    if !empirical && spec.expect == Verdict::Empirical {
        return Err(ctx.err(
            "expect",
            format!(
                "only C8 claims are empirical: a {} claim expects proved, refuted or undecided",
                spec.kind
            ),
        ));
    }
    if !(MIN_PRECISION_BITS..=MAX_PRECISION_BITS).contains(&spec.precision_bits) {
        return Err(ctx.err(
            "precision_bits",
            format!("must be in {MIN_PRECISION_BITS}..={MAX_PRECISION_BITS}"),
        ));
    }
    if let Some(mp) = spec.max_precision_bits {
        if !(spec.precision_bits..=MAX_PRECISION_BITS).contains(&mp) {
            return Err(ctx.err(
                "max_precision_bits",
                format!("must be in precision_bits..={MAX_PRECISION_BITS}"),
            ));
        }
    }
    if empirical {
        let params = validate_empirical(&spec, &ctx)?;
        return Ok(Claim {
            spec,
            source: file.to_path_buf(),
            params,
            width_bound: Rational::new(),
            target_width: None,
        });
    }
    let positive = |field: &str, text: &str| -> Result<Rational, ClaimError> {
        let q = exact(&ctx, field, text)?;
        if q <= 0 {
            return Err(ctx.err(field, "must be > 0"));
        }
        Ok(q)
    };
    let region_kind = matches!(spec.kind.as_str(), "C4region" | "C5k4");
    let width_bound = match &spec.width_bound {
        Some(w) => positive("width_bound", w)?,
        // A region proof decides signs box by box, and C5 by signs and certain comparisons;
        // no enclosure width is compared.
        None if region_kind
            || spec.kind == "C5"
            || spec.kind == "expression"
            || spec.kind == super::hadamard_scope::KIND =>
        {
            Rational::from(1)
        }
        None => {
            return Err(ctx.err(
                "width_bound",
                format!(
                    "missing field `width_bound` (required by kind {}): {}",
                    spec.kind,
                    field_help(&spec.kind, "width_bound")
                        .unwrap_or("the largest accepted width of the deciding enclosures")
                ),
            ))
        }
    };
    let target_width = spec
        .target_width
        .as_deref()
        .map(|t| positive("target_width", t))
        .transpose()?;
    let need = |name: &str, present: bool| {
        if present {
            Ok(())
        } else {
            Err(ctx.err(name, format!("missing (required by kind {})", spec.kind)))
        }
    };
    let params = match spec.kind.as_str() {
        "C1" | "C1r" => {
            need("matrix", spec.matrix.is_some())?;
            need("lambda", spec.lambda.is_some())?;
            let matrix = build_matrix(spec.matrix.as_ref().unwrap(), &ctx)?;
            let k = matrix.order();
            if matrix.fast_form().is_none() && k > MAX_DENSE_ORDER {
                return Err(ctx.err(
                    "matrix",
                    format!(
                        "order {k} has no fast (Walsh-Hadamard) form, so its products are dense \
                         O(K^3): at most {MAX_DENSE_ORDER}"
                    ),
                ));
            }
            check_matrix_memory(
                &spec,
                &ctx,
                "matrix",
                (k as u128).pow(2),
                &format!("{k} x {k} matrices"),
            )?;
            let lambda = expand_vector(spec.lambda.as_ref().unwrap(), "lambda", file, &spec.id)?;
            if lambda.len() != matrix.order() {
                return Err(ctx.err(
                    "lambda",
                    format!(
                        "has length {} but the matrix has order {}",
                        lambda.len(),
                        matrix.order()
                    ),
                ));
            }
            Params::Diagonalise { matrix, lambda }
        }
        "trajectory" => validate_trajectory(&spec, file, &ctx)?,
        "C4" | "C4r" => validate_pointwise(&spec, file, &ctx)?,
        "C7" => validate_critical(&spec, file, &ctx)?,
        "C6" => validate_slowdown(&spec, file, &ctx)?,
        "C4region" | "C5k4" => validate_region(&spec, file, &ctx)?,
        "C5" => validate_counterexample(&spec, file, &ctx)?,
        super::group::KIND => super::group::validate(&spec, file)?,
        "expression" => super::expression::validate(&spec, file)?,
        super::hadamard_scope::KIND => super::hadamard_scope::validate(&spec, file)?,
        _ => {
            need("a", spec.a.is_some())?;
            need("b", spec.b.is_some())?;
            need("embedding", spec.embedding.is_some())?;
            let a = expand_vector(spec.a.as_ref().unwrap(), "a", file, &spec.id)?;
            let b = expand_vector(spec.b.as_ref().unwrap(), "b", file, &spec.id)?;
            if !a.len().is_power_of_two() {
                return Err(ctx.err(
                    "a",
                    format!(
                        "has length {}, which is not a power of two (Sylvester order K)",
                        a.len()
                    ),
                ));
            }
            if b.len() != a.len() {
                return Err(ctx.err(
                    "b",
                    format!("has length {} but `a` has length {}", b.len(), a.len()),
                ));
            }
            if a.len() > 256 {
                return Err(ctx.err("a", "C2 uses dense products: K must be <= 256"));
            }
            let (k, d) = match spec.embedding.as_ref().unwrap() {
                EmbeddingSpec::Coordinate { dim } | EmbeddingSpec::Householder { dim, .. } => {
                    (a.len() as u128, *dim as u128)
                }
            };
            check_matrix_memory(
                &spec,
                &ctx,
                "embedding.dim",
                2 * (d * k + k * k),
                &format!("the d x K and K x K products (d = {d}, K = {k})"),
            )?;
            let r = build_embedding(spec.embedding.as_ref().unwrap(), a.len(), &ctx)?;
            Params::Manifold { a, b, r }
        }
    };
    Ok(Claim {
        spec,
        source: file.to_path_buf(),
        params,
        width_bound,
        target_width,
    })
}

/// Read, parse and validate every claim of a TOML claim file.
pub fn load_file(path: &Path) -> Result<Vec<Claim>, ClaimError> {
    let file_err = |field: &str, message: String| ClaimError {
        file: path.to_path_buf(),
        id: "?".into(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let meta = std::fs::metadata(path).map_err(|e| file_err("-", format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(file_err(
            "-",
            format!("file is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| file_err("-", format!("cannot read: {e}")))?;
    parse_claims(&text, path)
}

/// Line and column (1-based, in characters) of byte offset `at` of `text`, and the excerpt:
/// the line (escaped, cut to about 100 characters around the column) and a caret under the
/// column.
fn locate(text: &str, at: usize) -> (usize, usize, String) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line_no = text[..at].matches('\n').count() + 1;
    let before: Vec<char> = text[line_start..at].chars().collect();
    let col = before.len() + 1;
    let from = before.len().saturating_sub(60);
    let shown_before: String = before[from..].iter().collect();
    let after: String = text[at..line_end]
        .trim_end_matches('\r')
        .chars()
        .take(40)
        .collect();
    let lead = if from > 0 { "..." } else { "" };
    let prefix = format!("{lead}{}", one_line(&shown_before));
    let number = line_no.to_string();
    let excerpt = format!(
        "  {number} | {prefix}{}\n  {} | {}^",
        one_line(&after),
        " ".repeat(number.len()),
        " ".repeat(prefix.chars().count())
    );
    (line_no, col, excerpt)
}

/// Every field of [`ClaimSpec`], as serde names them (so a field added to the struct is known
/// here without another list).
pub fn claim_fields() -> &'static [String] {
    static FIELDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        let mut t = toml::Table::new();
        t.insert("\u{1}".into(), toml::Value::Boolean(true));
        let msg = match ClaimSpec::deserialize(toml::Value::Table(t)) {
            Err(e) => e.message().to_string(),
            Ok(_) => String::new(),
        };
        // "unknown field `\u{1}`, expected one of `id`, `kind`, ..."
        msg.split('`')
            .skip(3)
            .step_by(2)
            .map(str::to_string)
            .collect()
    })
}

/// The fields that are checked before serde: an unknown field (with a suggestion among the
/// fields of the claim's kind and the list of that kind's fields), then every missing field in
/// one message (with the help text for the kind).
fn precheck_fields(value: &toml::Value, id: &str, path: &Path) -> Result<(), ClaimError> {
    let Some(table) = value.as_table() else {
        return Ok(());
    };
    let err = |field: &str, message: String| ClaimError {
        file: path.to_path_buf(),
        id: id.to_string(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let kind = table.get("kind").and_then(|k| k.as_str());
    let of_kind = kind.and_then(fields_of_kind);
    let all = claim_fields();
    if let Some(unknown) = table.keys().find(|k| !all.iter().any(|f| f == *k)) {
        let names: Vec<&str> = match &of_kind {
            Some(f) => f.iter().map(|(name, ..)| *name).collect(),
            None => all.iter().map(String::as_str).collect(),
        };
        let suggestion = did_you_mean(unknown, names.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        let whose = match (kind, &of_kind) {
            (Some(k), Some(_)) => format!("the fields of a {k} claim are"),
            _ => "the claim fields are".to_string(),
        };
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(err(
            unknown,
            format!("unknown field `{unknown}`{suggestion}; {whose} {list}"),
        ));
    }
    let flow = table.get("flow").and_then(|f| f.as_str());
    let needed: Vec<FieldHelp> = match &of_kind {
        Some(f) => f.clone(),
        None => COMMON_FIELDS.to_vec(),
    };
    let missing: Vec<&FieldHelp> = needed
        .iter()
        .filter(|(name, need, _)| {
            let required = match need {
                Need::Required => true,
                Need::WithFlow(f) => flow == Some(*f),
                Need::Optional => false,
            };
            required && !table.contains_key(*name)
        })
        .collect();
    let by = match (kind, &of_kind) {
        (Some(k), Some(_)) => format!("kind {k}"),
        _ => "every claim".into(),
    };
    let by = match (kind, flow) {
        (Some(_), Some(f))
            if missing
                .iter()
                .any(|m| matches!(m.1, Need::WithFlow(g) if g == f)) =>
        {
            format!("{by} with flow `{f}`")
        }
        _ => by,
    };
    match missing.as_slice() {
        [] => Ok(()),
        [(name, _, help)] => Err(err(
            name,
            format!("missing field `{name}` (required by {by}): {help}"),
        )),
        many => Err(err(
            many[0].0,
            format!(
                "missing {} fields required by {by}: {}",
                many.len(),
                many.iter()
                    .map(|(name, _, help)| format!("`{name}` ({help})"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

/// The value at a serde path such as `bounds[0].below` inside a claim table.
fn value_at<'a>(value: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    let mut v = value;
    for part in path.split('.') {
        let (name, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            v = v.get(name)?;
        }
        for index in indices.split('[').filter(|x| !x.is_empty()) {
            v = v.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(v)
}

/// A number written as a bare TOML float or integer where an exact string is required: the
/// message with the fix, `write it as a string: key = "text"` (the text as written when it can
/// be found in the file, else the value as TOML read it).
fn string_fix(message: &str, path: &str, claim: &toml::Value, text: &str) -> Option<String> {
    let rest = message
        .strip_prefix("invalid type: floating point `")
        .or_else(|| message.strip_prefix("invalid type: integer `"))?;
    let (shown, tail) = rest.split_once('`')?;
    if !tail.starts_with(", expected a string") {
        return None;
    }
    let value: f64 = shown.parse().ok()?;
    let as_read = if value != 0.0 && !(1e-4..1e16).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        format!("{value}")
    };
    let key = path.rsplit('.').next().unwrap_or(path);
    let direct = !key.is_empty()
        && !key.contains('[')
        && value_at(claim, path).is_some_and(|v| v.is_float() || v.is_integer());
    let bare = "invalid type: a bare TOML number where an exact decimal string is required \
                (TOML rounds it to f64 before hadacert reads it)";
    if !direct {
        return Some(format!(
            "{bare}; write every number as a string: \"{as_read}\", not {as_read}"
        ));
    }
    // The literal as written: `key = <number>` somewhere in the file, same value.
    let written = text.match_indices(key).find_map(|(i, _)| {
        let before_ok = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = text[i + key.len()..].trim_start_matches([' ', '\t']);
        let after = after.strip_prefix('=')?.trim_start_matches([' ', '\t']);
        let lit: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'))
            .collect();
        let same = lit.replace('_', "").parse::<f64>().ok() == Some(value);
        (before_ok && same).then_some(lit)
    });
    let lit = written.unwrap_or(as_read);
    Some(format!("{bare}; write it as a string: {key} = \"{lit}\""))
}

/// Parse and validate claims from TOML text (`path` is used in error messages only).
pub fn parse_claims(text: &str, path: &Path) -> Result<Vec<Claim>, ClaimError> {
    let file_err = |field: &str, message: String| ClaimError {
        file: path.to_path_buf(),
        id: "?".into(),
        field: field.into(),
        message,
        excerpt: None,
    };
    let doc: toml::Table = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => {
            let (line, col, excerpt) = locate(text, span.start);
            ClaimError {
                excerpt: Some(excerpt),
                ..file_err(
                    "-",
                    format!(
                        "not valid TOML at line {line}, column {col}: {}",
                        e.message().trim()
                    ),
                )
            }
        }
        None => file_err("-", format!("not valid TOML: {}", e.message().trim())),
    })?;
    if let Some(k) = doc.keys().find(|k| k.as_str() != "claim") {
        return Err(file_err(
            k,
            "unknown top-level key (a claim file holds only [[claim]] tables)".into(),
        ));
    }
    let claims = match doc.get("claim") {
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(file_err(
                "claim",
                "must be an array of tables ([[claim]])".into(),
            ))
        }
        None => return Err(file_err("claim", "no [[claim]] table in the file".into())),
    };
    if claims.len() > MAX_CLAIMS_PER_FILE {
        return Err(file_err(
            "claim",
            format!("more than {MAX_CLAIMS_PER_FILE} claims"),
        ));
    }
    let mut out = Vec::with_capacity(claims.len());
    let mut seen = std::collections::HashSet::new();
    for (i, value) in claims.iter().enumerate() {
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", i + 1));
        precheck_fields(value, &id, path)?;
        let spec: ClaimSpec = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            let mut msg = inner.message().to_string();
            // serde names a missing field in the message (the path stops at its parent); an
            // unknown field is already the last element of the path.
            let named = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.starts_with("missing field"));
            let field = match (named, at.as_str()) {
                (Some(f), ".") => f.to_string(),
                (Some(f), p) => format!("{p}.{f}"),
                (None, ".") => "-".to_string(),
                (None, p) => p.to_string(),
            };
            // A misspelt key of a nested table (vector, matrix, bound, ...): suggest the
            // closest of the keys serde lists.
            if let Some(rest) = msg.strip_prefix("unknown field `") {
                let (word, tail) = rest.split_once('`').unwrap_or((rest, ""));
                let options: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
                let suggestion = did_you_mean(word, options.iter().copied());
                if let Some(s) = suggestion.filter(|_| options.len() > 1) {
                    msg = format!("{msg} (did you mean `{s}`?)");
                }
            }
            if let Some(fix) = string_fix(&msg, &field, value, text) {
                msg = fix;
            }
            ClaimError {
                file: path.to_path_buf(),
                id: id.clone(),
                field,
                message: msg,
                excerpt: None,
            }
        })?;
        if !seen.insert(spec.id.clone()) {
            return Err(ClaimError {
                file: path.to_path_buf(),
                id: spec.id.clone(),
                field: "id".into(),
                message: "duplicate id in this file".into(),
                excerpt: None,
            });
        }
        // An empty id cannot name the claim: its position does.
        out.push(validate(spec, path).map_err(|e| ClaimError {
            id: if e.id.is_empty() { id.clone() } else { e.id },
            ..e
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_texts_state_the_current_limits() {
        let traj = field_help("trajectory", "start").unwrap();
        assert!(traj.contains(&format!("2..={MAX_TRAJECTORY_K}")), "{traj}");
        let c4 = field_help("C4", "start").unwrap();
        assert!(c4.contains(&format!("4..={MAX_TRAJECTORY_K}")), "{c4}");
        let c5 = field_help("C5", "k").unwrap();
        assert!(c5.contains(&format!("4..={MAX_COUNTEREXAMPLE_K}")), "{c5}");
        let region = field_help("C4region", "k").unwrap();
        assert!(region.contains(&format!("4..={MAX_REGION_K}")), "{region}");
    }

    #[test]
    fn every_field_of_every_kind_table_is_a_claim_field() {
        let all = claim_fields();
        assert!(all.len() > 30, "{all:?}");
        for kind in KNOWN_KINDS {
            for (name, ..) in fields_of_kind(kind).expect("every shipped kind has a table") {
                assert!(
                    all.iter().any(|f| f == name),
                    "{kind}: `{name}` is no field"
                );
            }
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("lamda", "lambda"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            did_you_mean("widht_bound", ["width_bound", "horizon"]),
            Some("width_bound")
        );
        assert_eq!(did_you_mean("zzz", ["width_bound", "horizon"]), None);
        assert_eq!(did_you_mean("c1r", ["C1", "C1r"]), Some("C1r"));
        assert_eq!(did_you_mean("V", ["l", "loss"]), None);
    }
}
