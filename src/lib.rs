//! # hadacert
//!
//! Certified numerics for the claims of "Diagonalizing the Softmax: Hadamard Initialization for
//! Tractable Cross-Entropy Dynamics". Each claim in a claim file is evaluated with interval
//! arithmetic (inari, or MPFR intervals at any precision) and answered with a certificate:
//! *proved*, *refuted* or *undecided*, with the enclosures that decided it.
//!
//! ## Code map
//!
//! Data flows one way: claim file -> [`claim::Claim`] -> evaluation on a backend ->
//! [`cert::Certificate`] -> [`report`] or snapshot.
//!
//! | module | what it holds |
//! |--------|---------------|
//! | [`arith`] | the numeric traits ([`arith::Ring`], [`arith::Field`], [`arith::Real`], [`arith::Enclosure`]) and the backends: f64, inari ([`arith::Ival`]), MPFR intervals ([`arith::MpfrInterval`]), exact rationals ([`arith::Exact`]); exact parsing of decimal/rational inputs |
//! | [`model`] | Hadamard matrices (Sylvester, Paley, equivalence transforms) as integers, the fast Walsh-Hadamard transform, softmax and log-sum-exp, the logits `Q diag(lambda) Q^T` and `Q^T S Q`, the mean cross-entropy loss and gradient flow of the full matrices, the exact XOR-structure check, finite abelian groups and their real character bases, the exact closure criterion deciding which Hadamard matrices diagonalise the softmax |
//! | [`spectral`] | the reduced spectral dynamics: one transform for every finite abelian group (WHT for `Z_2^n`), `f = Had lambda / K`, `p = softmax(f)`, `s = Had p`, balanced and unbalanced vector fields, loss on the manifold, Lyapunov V and metrics M1-M4 and the closed forms of their rates, the NC ray and its closed-form time, flows with weight decay, label smoothing and temperature |
//! | [`prove`] | branch and bound over regions of balanced states: `rate <= 0` by interval and mean-value evaluation, sign arguments near NC, refuting witnesses, checkpoints and resume, `GL(n, 2)` fundamental domains with the invariance checked exactly |
//! | [`ode`] | the validated integrator: tape-recorded vector fields, Taylor and dual arithmetic, a-priori enclosure, Lagrange remainder, Lohner QR set representation, step control |
//! | [`claim`] | claim files and claims: [`claim::schema`] (what every kind shares: TOML, the claim table, vectors, bounds, common fields), [`claim::registry`] (the one list of kinds), one module per kind family owning its fields, validation, evaluation and certificate text (C1/C1r, group-diagonalise, hadamard-scope, C2, trajectory, C4/C4r, C4region/C5k4/expression-region, C5, C5-group, C6, C7, expression, ode (a user's vector field), and the non-validated simulations C8 and C5-group-search), precision escalation |
//! | [`expr`] | the claim language: parser (errors with column and suggestions), built-ins V, M1-M4 expanded, normalisation, compilation once into a flat instruction list evaluated generically (f64, inari, MPFR, fixed-size dual numbers for `d/dt` along the flow and for region gradients), and a user's vector field compiled for the tape of the integrator |
//! | [`cert`] | certificates, verdicts, atomic writing |
//! | [`report`] | made from certificates only: the verdict table, appendix tables (LaTeX, Markdown, CSV) with certified digits, SVG enclosure-band plots, regression checks against pinned certificates |
//! | [`search`] | f64 search, deterministic for a seed, for balanced starts where a metric M1-M4 grows (`hadacert search`): proposes C5 claims with short exact decimals; certifies nothing |
//! | [`sweep`] | sharding a run (`certify --shard i/n`) and merging shard folders |
//! | [`cli`] | the `hadacert` command (a thin shell) |
//! | [`mutation`] | test-only known bugs, switched on one at a time with `--features mutation` and `HADACERT_MUTANT` (`scripts/mutants.sh`); compiled out otherwise |
//!
//! ## Invariants
//!
//! * Only `arith` names `inari` or `rug::Float`; `model`, `spectral` and `ode` are generic over
//!   the numeric traits and do no I/O. Vector fields are written once and also run on the tape
//!   recorder and on dual numbers inside the integrator.
//! * The integrator never returns a non-enclosure: a step that cannot be validated is halved;
//!   below a floor it stops with an error naming the time, the step and the enclosure.
//! * *Proved* and *refuted* come only from types implementing [`arith::Enclosure`] (inari and
//!   MPFR intervals, outward rounding on every operation, transcendental functions included).
//!   f64 implements [`arith::Real`] but not `Enclosure`, so it cannot reach proved or refuted;
//!   claim files asking for it are refused, except the simulation kinds (C8 and the seeded
//!   search C5-group-search), whose only possible verdict is `empirical` (never proved or
//!   refuted).
//! * A not-finite enclosure (infinite end or NaN) answers every `certainly_*` question with
//!   `false`, so it never proves or refutes anything.
//! * Numerics alone prove strict inequalities and bounds `|x| <= b`; an equality (`x = 0`,
//!   "diagonal", "invariant") is proved only by an exact argument checked in integer or
//!   rational arithmetic ([`model::structure::diagonalisation_argument`] for C1), which the
//!   enclosures then confirm.
//! * Constants are built at the working precision ([`arith::working_prec`]), never at the
//!   precision of an exact 2-bit MPFR `zero()`.
//! * Inputs are exact decimal or rational strings, parsed into `rug::Rational` without passing
//!   through f64, and converted to a backend with outward rounding.
//! * Hadamard matrices stay integer: `Q diag(x) Q^T = Had diag(x) Had / K`, so no `sqrt(K)` is
//!   rounded (C2 encloses `1/sqrt(K)` where it truly needs `Q`).
//! * Only `claim` and `cert` serialise; `report` reads certificates and never recomputes.
//!   There is no global configuration: backend and precision are arguments and appear in every
//!   certificate.
//! * Adding a claim kind touches one module (`src/claim/<kind>.rs`) and one registry line
//!   ([`claim::registry::KINDS`], beside its [`claim::Params`] variant); [`claim::schema`]
//!   knows no kind and imports no evaluator.
//!
//! ## Conventions
//!
//! The loss is the *mean* cross-entropy `L = (1/K) sum_k [lse(Z_:k) - Z_kk]`; time is the time of
//! its gradient flow (the summed loss runs K times faster). Precision is in bits; inari is 53.
//!
//! ```
//! use hadacert::arith::{Enclosure, Field, MpfrInterval};
//! use hadacert::spectral::field::enclose_spectral_softmax;
//! use rug::Rational;
//! // s_0 = 1 exactly for every lambda (columns of S sum to 1): the enclosure contains 1.
//! let lam: Vec<MpfrInterval> = (0..8).map(|m| MpfrInterval::from_rational(&Rational::from((m, 2)), 128)).collect();
//! let s = enclose_spectral_softmax(&lam).s;
//! assert!(s[0].contains_rational(&Rational::from(1)) && s[0].width_upper() < 1e-35);
//! ```

pub mod arith;
pub mod cert;
pub mod claim;
pub mod cli;
pub mod expr;
pub mod model;
pub mod mutation;
pub mod ode;
pub mod prove;
pub mod report;
pub mod search;
pub mod spectral;
pub mod sweep;
