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
