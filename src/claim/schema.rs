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
/// id or value) are shown escaped (`\n`, `\u{2028}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// The quantity is certified to be > this.
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
/// Largest K for trajectory claims.
pub const MAX_TRAJECTORY_K: usize = 1024;
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
pub const KNOWN_KINDS: [&str; 13] = [
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
    "expression",
];

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
    /// expression: a relation in the claim language at one exact state.
    Expression(Box<super::expression::ExpressionParams>),
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
                return Err(ctx.err(
                    "start",
                    format!("has length {k}: K must be a power of two in 2..={MAX_TRAJECTORY_K}"),
                ));
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
            return Err(ctx.err(
                &format!("decreasing[{i}]"),
                format!("unknown quantity `{q}` for this flow"),
            ));
        }
    }
    let mut bounds = Vec::new();
    for (i, b) in spec.bounds.iter().enumerate() {
        let f = |name: &str| format!("bounds[{i}].{name}");
        if !known_quantity(&b.quantity, flow, k) {
            return Err(ctx.err(
                &f("quantity"),
                format!("unknown quantity `{}` for this flow", b.quantity),
            ));
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
            return Err(ctx.err(&f("below"), "give `below`, `above` or both"));
        }
        bounds.push(Bound {
            quantity: b.quantity.clone(),
            everywhere,
            below,
            above,
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
        return Err(ctx.err(
            "start",
            format!("has length {k}: K must be a power of two in 4..={MAX_TRAJECTORY_K}"),
        ));
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

/// Largest K of a C5 claim (the validated integrator keeps Lohner's QR form up to dimension 64).
pub const MAX_COUNTEREXAMPLE_K: usize = 64;

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
        return Err(ctx.err(
            "k",
            format!("K = {k}: must be a power of two in 4..={MAX_COUNTEREXAMPLE_K}"),
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
        return Err(ctx.err("start", "length must be a power of two in 2..=1024"));
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
        return Err(ctx.err(
            "kind",
            format!(
                "unknown kind `{}` (known: {})",
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
        None if region_kind || spec.kind == "C5" || spec.kind == "expression" => Rational::from(1),
        None => {
            return Err(ctx.err(
                "width_bound",
                "missing: the largest accepted width of an off-diagonal enclosure",
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
        "expression" => super::expression::validate(&spec, file)?,
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

/// Parse and validate claims from TOML text (`path` is used in error messages only).
pub fn parse_claims(text: &str, path: &Path) -> Result<Vec<Claim>, ClaimError> {
    let path_ref = path;
    let path_buf = |p: &Path| p.to_path_buf();
    let file_err = |field: &str, message: String| ClaimError {
        file: path.to_path_buf(),
        id: "?".into(),
        field: field.into(),
        message,
    };
    let doc: toml::Table = toml::from_str(text)
        .map_err(|e| file_err("-", format!("not valid TOML: {}", e.message())))?;
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
        let spec: ClaimSpec = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let msg = inner.message().to_string();
            // For a missing or unknown field serde names it in the message; else use the path.
            // serde names a missing field in the message (the path stops at its parent); an
            // unknown field is already the last element of the path.
            let named = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.starts_with("missing field"));
            let field = match (named, path.as_str()) {
                (Some(f), ".") => f.to_string(),
                (Some(f), p) => format!("{p}.{f}"),
                (None, ".") => "-".to_string(),
                (None, p) => p.to_string(),
            };
            ClaimError {
                file: path_buf(path_ref),
                id: id.clone(),
                field,
                message: msg,
            }
        })?;
        if !seen.insert(spec.id.clone()) {
            return Err(ClaimError {
                file: path.to_path_buf(),
                id: spec.id.clone(),
                field: "id".into(),
                message: "duplicate id in this file".into(),
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
