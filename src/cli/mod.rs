//! The command-line interface: a thin shell over [`crate::claim`], [`crate::cert`] and
//! [`crate::report`]. Parses arguments, finds claim files, runs claims in parallel, writes
//! certificates atomically and prints the verdict table.

use crate::arith::BackendKind;
use crate::cert::{self, Certificate};
use crate::claim::{self, Claim, ClaimError};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// hadacert: certified numerics for the claims of the Hadamard-softmax paper.
#[derive(Parser, Debug)]
#[command(name = "hadacert", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Certify claims (default: every claim file under proofs-data/) and print the verdict table.
    Certify(CertifyArgs),
}

/// Options of `hadacert certify`.
#[derive(clap::Args, Debug)]
pub struct CertifyArgs {
    /// Claim files or folders (searched recursively for *.toml). Default: proofs-data/.
    paths: Vec<PathBuf>,
    /// Folder for the JSON certificates (one per claim, written atomically).
    #[arg(long, default_value = "certificates")]
    out: PathBuf,
    /// Only claims whose id matches this glob (e.g. 'C1-*').
    #[arg(long)]
    only: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Reuse certificates already in --out whose claim digest matches (resume an interrupted run).
    #[arg(long)]
    resume: bool,
    /// Override every claim's backend (inari or mpfr).
    #[arg(long)]
    backend: Option<BackendKind>,
    /// Override every claim's MPFR precision in bits.
    #[arg(long)]
    prec: Option<u32>,
}

/// Exit codes: 0 every verdict as expected; 1 some verdict differs from `expect`; 2 bad input
/// or an I/O failure.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Certify(args) => match run_certify(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(msg) => {
                eprintln!("hadacert: {msg}");
                ExitCode::from(2)
            }
        },
    }
}

/// Every `*.toml` file under `path` (sorted), or `path` itself if it is a file.
pub fn claim_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(format!(
            "{}: no such file or folder (run from the repository root, or name claim files)",
            path.display()
        ));
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let p = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Load and validate every claim; all errors are collected so the user sees them at once.
pub fn load_claims(paths: &[PathBuf]) -> Result<Vec<Claim>, Vec<String>> {
    let mut claims = Vec::new();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        match claim_files(p) {
            Ok(f) => files.extend(f),
            Err(e) => errors.push(e),
        }
    }
    let mut ids = std::collections::HashMap::new();
    for f in files {
        match claim::load_file(&f) {
            Ok(cs) => {
                for c in cs {
                    if let Some(prev) = ids.insert(c.spec.id.clone(), f.clone()) {
                        errors.push(
                            ClaimError {
                                file: f.clone(),
                                id: c.spec.id.clone(),
                                field: "id".into(),
                                message: format!("duplicate id (also in {})", prev.display()),
                            }
                            .to_string(),
                        );
                    }
                    claims.push(c);
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(claims)
    } else {
        Err(errors)
    }
}

fn apply_overrides(claims: &mut [Claim], args: &CertifyArgs) -> Result<(), String> {
    for c in claims.iter_mut() {
        if let Some(b) = args.backend {
            if b == BackendKind::F64 {
                return Err("--backend f64 cannot certify: use inari or mpfr".into());
            }
            c.spec.backend = b;
        }
        if let Some(p) = args.prec {
            if !(crate::arith::MIN_PRECISION_BITS..=crate::arith::MAX_PRECISION_BITS).contains(&p) {
                return Err(format!(
                    "--prec must be in {}..={}",
                    crate::arith::MIN_PRECISION_BITS,
                    crate::arith::MAX_PRECISION_BITS
                ));
            }
            c.spec.precision_bits = p;
            c.spec.max_precision_bits = c.spec.max_precision_bits.map(|m| m.max(p));
        }
    }
    Ok(())
}

fn run_certify(args: &CertifyArgs) -> Result<bool, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("proofs-data")]
    } else {
        args.paths.clone()
    };
    let mut claims = load_claims(&paths).map_err(|errs| {
        format!(
            "{} error(s) in claim files:\n  {}",
            errs.len(),
            errs.join("\n  ")
        )
    })?;
    if let Some(pattern) = &args.only {
        let pat = glob::Pattern::new(pattern).map_err(|e| format!("--only `{pattern}`: {e}"))?;
        claims.retain(|c| pat.matches(&c.spec.id));
    }
    if claims.is_empty() {
        return Err("no claims to certify".into());
    }
    apply_overrides(&mut claims, args)?;
    let certs = certify_all(&claims, &args.out, args.jobs, args.resume)?;
    print!("{}", crate::report::verdict_table(&certs));
    println!("certificates in {}", args.out.display());
    Ok(certs.iter().all(|c| c.verdict == c.expect))
}

/// Certify `claims` in parallel on `jobs` threads, writing each certificate atomically to
/// `out` as soon as it is done. With `resume`, a valid certificate already in `out` with the
/// same claim digest is reused instead of recomputed. Returns the certificates in claim order.
pub fn certify_all(
    claims: &[Claim],
    out: &Path,
    jobs: Option<usize>,
    resume: bool,
) -> Result<Vec<Certificate>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let bar =
        ProgressBar::with_draw_target(Some(claims.len() as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} certifying [{bar:30}] {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Show progress only for runs longer than a second.
    let shown = bar.clone();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(200));
        }
    });
    let results: Vec<Result<Certificate, String>> = pool.install(|| {
        claims
            .par_iter()
            .map(|c| {
                let path = out.join(format!("{}.json", cert::file_stem(&c.spec.id)));
                let digest = claim::claim_digest(&c.spec);
                let reused = if resume {
                    cert::read_certificate(&path).filter(|old| old.claim_digest == digest)
                } else {
                    None
                };
                let certificate = match reused {
                    Some(old) => old,
                    None => {
                        let fresh = claim::certify(c);
                        cert::write_atomic(out, &fresh)
                            .map_err(|e| format!("{}: {e}", path.display()))?;
                        fresh
                    }
                };
                bar.inc(1);
                bar.set_message(c.spec.id.clone());
                Ok(certificate)
            })
            .collect()
    });
    bar.finish_and_clear();
    let _ = timer.join();
    results.into_iter().collect()
}
