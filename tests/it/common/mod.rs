//! Helpers shared by the integration tests: the repository root, the `hadacert` binary, and
//! certifying a claim text in-process. (Temporary folders: `tempfile::tempdir()`.)

#![allow(dead_code)]

use hadacert::cert::Certificate;
use hadacert::claim::{certify, parse_claims};
use std::path::Path;
use std::process::{Command, Output};

/// The repository root (where `proofs-data/`, `snapshots/` and `docs/` are).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the `hadacert` binary of this build.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hadacert"))
}

/// Run the `hadacert` binary with `args` and wait for its output.
pub fn hadacert<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bin().args(args).output().unwrap()
}

/// Parse the claim text `text` as the file `file` (named in errors and in each certificate's
/// `source`) and certify every claim; panics with the error if the text does not validate.
pub fn certify_text_as(text: &str, file: &str) -> Vec<Certificate> {
    parse_claims(text, Path::new(file))
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(certify)
        .collect()
}

/// SplitMix64: the fixed-seed generator of the soundness tests that do not use proptest (their
/// failures are not persisted, and mutation checks can rely on them). The same stream as
/// `benches/compare.py`'s.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)` on the 2^-53 grid.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// In `0..n` (`n > 0`; the modulo bias is irrelevant for test inputs).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The case count of a fixed-seed soundness test whose default is `default` (at the default
/// `PROPTEST_CASES` of 10^4): `PROPTEST_CASES = N`, the knob of `tests/it/soundness.rs`, scales it
/// by `N / 10^4`, at least 1.
pub fn soundness_cases(default: u64) -> u64 {
    let n: u64 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    (default * n).div_ceil(10_000).max(1)
}

/// The seed of the proptest properties when `PROPTEST_RNG_SEED` is not set.
pub const PROPTEST_DEFAULT_SEED: u64 = 0x5EED_2026_1202;

/// The seed a property runs with: `PROPTEST_RNG_SEED=<u64>` if set (as read into `base`, the
/// environment-aware `ProptestConfig::default()`), else [`PROPTEST_DEFAULT_SEED`], so that a
/// run, CI's included, draws the same cases every time (README, Soundness suite).
pub fn proptest_seed(base: &proptest::test_runner::Config) -> proptest::test_runner::RngSeed {
    use proptest::test_runner::RngSeed;
    match base.rng_seed {
        RngSeed::Random => RngSeed::Fixed(PROPTEST_DEFAULT_SEED),
        chosen => chosen,
    }
}
