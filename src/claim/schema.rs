//! The claim-file format (TOML): the pieces every claim kind shares.
//!
//! A claim file holds one or more `[[claim]]` tables. Every number is an exact decimal or
//! rational *string* (`"0.5"`, `"1/3"`, `"2e-3"`); it is parsed without passing through f64.
//! Every error names the file, the claim id (when known) and the field.
//!
//! Here: [`ClaimError`], the file and TOML handling (limits, locations and excerpts, the
//! field precheck, bare-number fixes), the claim table [`ClaimSpec`] (the wire format: one flat
//! struct, see its docs), the shared sub-specs (vectors, matrices, embeddings, bounds), the
//! common fields and their help, did-you-mean, and the validation helpers the kinds share
//! ([`Ctx`], exact numbers, vectors, horizon, tolerance).
//!
//! Architecture invariant: this module knows no claim kind. It imports no evaluator and no
//! kind module; what a kind reads, checks and means lives in that kind's module
//! (`src/claim/<kind>.rs`), and [`super::registry`] is the one place that lists the kinds.

use crate::arith::{parse_exact, BackendKind};
use crate::cert::Verdict;
use crate::model::hadamard::MAX_ORDER;
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
///
/// One flat struct for every kind, on purpose: it is the wire format. Its serialisation, in
/// this field order, is the `inputs` of every certificate and the text of [`super::claim_digest`]
/// (pinned in snapshots and `proofs-data/pinned`), and serde's list of its fields is
/// [`claim_fields`], the fields the precheck knows. Which fields a kind reads is that kind's
/// field table (`FIELDS` in `src/claim/<kind>.rs`); its `validate` turns them into its
/// [`super::Params`] variant. A new field goes here (optional, `skip_serializing_if`, so that
/// no existing certificate changes) and into the tables of the kinds that read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// Unique id, `[A-Za-z0-9._-]+`; names the certificate file.
    pub id: String,
    /// Claim family: one of [`super::KNOWN_KINDS`].
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
    /// C4region / C5k4: `"GL(n,2)"` (K = 2^n): prove on a fundamental domain of the mode
    /// permutations ([`crate::claim::region::parse_symmetry`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symmetry: Option<String>,
    /// C4region / C5k4: most boxes processed before giving up *undecided* (default 10^7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_boxes: Option<u64>,
    /// region-map: the two-dimensional slice of the normalised state space that is mapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice: Option<SliceSpec>,
    /// expression: the relation to certify, in the claim language (`d/dt V < 0`); trajectory:
    /// a relation between times (`at(T, V) <= at(0, V) / 2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// trajectory / expression: weight decay beta of the flow, exact in [0, 1000]
    /// (docs/math.md section 13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<String>,
    /// trajectory / expression: label smoothing eps of the flow, exact in [0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_smoothing: Option<String>,
    /// trajectory / expression: temperature tau on the logits, exact in [1/1000, 1000].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<String>,
    /// ode: the names of the state components of a user's vector field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state: Vec<String>,
    /// ode: the vector field, one claim-language expression over the state names per name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field: Vec<String>,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A two-dimensional slice of the normalised state space (kind `region-map`): a base state,
/// two free coordinates with their ranges, how the other entries follow, and the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliceSpec {
    /// The normalised base state `x_1..x_{K-1}` (exact, > 0, summing to 1).
    pub base: Vec<String>,
    /// The horizontal axis.
    pub x: AxisSpec,
    /// The vertical axis.
    pub y: AxisSpec,
    /// The mode that absorbs the change (`x_tie = 1 - the rest`); absent: the entries that
    /// are not axes are scaled by one common factor (proportional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tie: Option<usize>,
    /// Cells per axis (an n x n grid).
    pub grid: usize,
}

/// One free coordinate of a [`SliceSpec`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// `x<m>` (the normalised entry of mode m) or `scale` (sum_{m!=0} lambda_m).
    pub coordinate: String,
    /// `[lo, hi]`, exact strings, lo < hi.
    pub range: Vec<String>,
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
    /// Bound `i` of a claim file, `everywhere` already decided from its `at`: `below` and `above`
    /// parsed as exact decimals, with the error that names the field when neither is given.
    pub(crate) fn from_spec(
        ctx: &Ctx,
        i: usize,
        b: &BoundSpec,
        everywhere: bool,
    ) -> Result<Bound, ClaimError> {
        let field = |name: &str| format!("bounds[{i}].{name}");
        let limit = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| exact(ctx, &field(name), t))
                .transpose()
        };
        let below = limit("below", &b.below)?;
        let above = limit("above", &b.above)?;
        if below.is_none() && above.is_none() {
            return Err(ctx.err(
                &field("below"),
                "give `below` (certifies quantity < below), `above` (quantity > above) or both",
            ));
        }
        Ok(Bound {
            quantity: b.quantity.clone(),
            everywhere,
            below,
            above,
            below_text: b.below.as_deref().map(|t| t.trim().to_string()),
            above_text: b.above.as_deref().map(|t| t.trim().to_string()),
        })
    }
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
pub(crate) const TRAJECTORY_K_COST: &str =
    "the validated trajectory's cost per step grows about 5x per \
     doubling of K above 2048 (measured: 18 s at K = 4096 and 89 s at K = 8192 to T = 10 with \
     inari on 2 cores)";
/// Largest estimated memory of the interval matrices of one C1/C1r/C2 evaluation (16 GiB):
/// `K = 8192` fits with inari, `K = 4096` with MPFR at 128 bits; `K = 1024` at 65536 bits does
/// not. See [`interval_matrix_bytes`].
pub const MAX_MATRIX_MEMORY_BYTES: u128 = 16 << 30;

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
pub(crate) fn check_matrix_memory(
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
pub const COMMON_FIELDS: &[FieldHelp] = &[
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

/// Levenshtein distance of two short strings (characters).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
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

/// Where a validation error is: the claim file and the claim id. Every kind's `validate`
/// builds its errors with [`Ctx::err`].
pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a Path,
    pub(crate) id: String,
}

impl<'a> Ctx<'a> {
    /// The context of claim `spec` of `file`.
    pub(crate) fn new(spec: &ClaimSpec, file: &'a Path) -> Self {
        Ctx {
            file,
            id: spec.id.clone(),
        }
    }

    /// The error of `field`.
    pub(crate) fn err(&self, field: &str, message: impl Into<String>) -> ClaimError {
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

pub(crate) fn exact(ctx: &Ctx, field: &str, text: &str) -> Result<Rational, ClaimError> {
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

pub(crate) fn horizon(spec: &ClaimSpec, ctx: &Ctx) -> Result<Rational, ClaimError> {
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

pub(crate) fn tolerance(spec: &ClaimSpec, ctx: &Ctx) -> Result<Option<f64>, ClaimError> {
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

/// The message for a state of length `k` outside `min..=MAX_TRAJECTORY_K` (powers of two),
/// with the reason for the limit when `k` is above it.
pub(crate) fn trajectory_k_message(k: usize, min: usize) -> String {
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

/// For an unbalanced state, read `start_b` (length K) and append it to `start` (a then b).
pub(crate) fn append_b(
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

/// The text of a claim file, refused if it cannot be read or is larger than
/// [`MAX_FILE_BYTES`] ([`super::load_file`] parses and validates it).
pub fn read_claim_file(path: &Path) -> Result<String, ClaimError> {
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
    std::fs::read_to_string(path).map_err(|e| file_err("-", format!("cannot read: {e}")))
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
/// one message (with the help text for the kind). `fields_of` gives every field of a kind, the
/// common ones first (`None`: an unknown kind).
fn precheck_fields(
    value: &toml::Value,
    id: &str,
    path: &Path,
    fields_of: &dyn Fn(&str) -> Option<Vec<FieldHelp>>,
) -> Result<(), ClaimError> {
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
    let of_kind = kind.and_then(fields_of);
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

/// Parse claims from TOML text (`path` is used in error messages only) and hand each to
/// `validate`, in file order: the TOML document, then for each claim the field precheck
/// (`fields_of`, see [`precheck_fields`]), serde, the duplicate-id check and `validate`.
/// [`super::parse_claims`] calls it with the registry's fields and validation.
pub fn parse_claims_with<T>(
    text: &str,
    path: &Path,
    fields_of: &dyn Fn(&str) -> Option<Vec<FieldHelp>>,
    validate: &dyn Fn(ClaimSpec, &Path) -> Result<T, ClaimError>,
) -> Result<Vec<T>, ClaimError> {
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
        precheck_fields(value, &id, path, fields_of)?;
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
