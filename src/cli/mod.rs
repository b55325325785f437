//! The command-line interface: a thin shell over [`crate::claim`], [`crate::cert`],
//! [`crate::report`] and [`crate::sweep`]. Parses arguments, finds claim files, runs claims in
//! parallel, writes certificates atomically and prints the verdict table; `report`, `regress`
//! and `merge` work on folders of certificates only.

use crate::arith::BackendKind;
use crate::cert::{self, Certificate};
use crate::claim::{self, Claim, ClaimError};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
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
    /// Turn a folder of certificates into appendix material: LaTeX, Markdown and CSV tables per
    /// claim family, SVG plots of certified series. Never recomputes anything.
    Report(ReportArgs),
    /// Compare fresh certificates against pinned ones: exit 1 on any regression, 2 on an
    /// unreadable or invalid certificate.
    Regress(RegressArgs),
    /// Merge the certificate folders of shards (`certify --shard i/n`) into one folder.
    Merge(MergeArgs),
    /// Search (f64, deterministic for a seed) for a balanced start where a metric M1-M4 grows
    /// at t = 0, and print it as a C5 claim (TOML) to certify. Exit 1 when none is found.
    Search(SearchArgs),
    /// Explain one certificate in words: the statement, the verdict and the checks that decided
    /// it, the key enclosures in certified digits, and for an undecided verdict the cause and
    /// what to try. Reads the certificate only.
    Explain(ExplainArgs),
}

/// Options of `hadacert explain`.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A certificate file, or a claim id looked up as `<certs>/<id>.json`.
    target: String,
    /// Folder of certificates where an id is looked up.
    #[arg(long, default_value = "certificates")]
    certs: PathBuf,
}

/// Options of `hadacert search`.
#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// The metric: M1, M2, M3 or M4 (docs/math.md section 7).
    #[arg(long)]
    metric: crate::claim::counterexample::Metric,
    /// The number of classes K (a power of two in 4..=512; about 2 minutes at 512).
    #[arg(long)]
    k: usize,
    /// Seed of the search (recorded in the claim).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the claim to this file instead of printing it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Claim id (default `C5-<metric>-K<k>`).
    #[arg(long)]
    id: Option<String>,
    /// Backend written into the claim (inari or mpfr).
    #[arg(long, default_value = "inari")]
    backend: BackendKind,
    /// Instead of the largest rate: raise the small modes of the search's optimum until the
    /// metric also falls back below its start value before this time (f64 sketch), so that the
    /// certificate shows the rise and the fall.
    #[arg(long)]
    return_within: Option<f64>,
}

/// Options of `hadacert report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Folder of certificates to report on.
    #[arg(long, default_value = "certificates")]
    certs: PathBuf,
    /// Folder for the tables, plots and report.md.
    #[arg(long)]
    out: PathBuf,
    /// Add an evaluation-time column to the tables (off by default: times vary between runs
    /// and an appendix rarely wants them).
    #[arg(long)]
    times: bool,
    /// No time column (the default; kept so older scripts still run).
    #[arg(long, hide = true, conflicts_with = "times")]
    no_times: bool,
    /// Only certificates whose id matches this glob (e.g. 'C1-*'); repeat to keep the
    /// certificates matching any of several globs.
    #[arg(long)]
    only: Vec<String>,
    /// Most significant digits printed for a certified value.
    #[arg(long, default_value_t = 12)]
    digits: usize,
}

/// Options of `hadacert regress`.
#[derive(clap::Args, Debug)]
pub struct RegressArgs {
    /// Folder of pinned certificates (the reference).
    #[arg(long)]
    pinned: PathBuf,
    /// Folder of freshly computed certificates.
    #[arg(long)]
    fresh: PathBuf,
    /// Largest accepted growth of an enclosure's width (fresh <= F * pinned).
    #[arg(long, default_value = "4")]
    width_factor: String,
    /// Compare only the ids present in the pinned folder: fresh certificates that are not
    /// pinned (a full run against a pinned subset) are listed on one line, not regressions. A
    /// pinned id missing from the fresh folder is still a regression.
    #[arg(long)]
    pinned_only: bool,
    /// Print every finding with both intervals, every note and every unpinned id (default: one
    /// line per certificate).
    #[arg(long, short)]
    verbose: bool,
}

/// Options of `hadacert merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Shard folders to merge.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Folder for the merged certificates (empty, or holding only certificates being merged).
    #[arg(long)]
    out: PathBuf,
    /// Claim files or folders: check that every claim has exactly one certificate.
    #[arg(long)]
    claims: Vec<PathBuf>,
    /// With --claims: only the claims whose id matches one of these globs (as given to certify).
    #[arg(long)]
    only: Vec<String>,
}

/// Options of `hadacert certify`.
#[derive(clap::Args, Debug)]
pub struct CertifyArgs {
    /// Claim files or folders (searched recursively for *.toml). Default: proofs-data/.
    paths: Vec<PathBuf>,
    /// Folder for the JSON certificates (one per claim, written atomically).
    #[arg(long, default_value = "certificates")]
    out: PathBuf,
    /// Only claims whose id matches this glob (e.g. 'C1-*'); repeat to keep the claims matching
    /// any of several globs.
    #[arg(long)]
    only: Vec<String>,
    /// Certify only shard i of n (1-based): the claims at positions p = i-1 mod n of the sorted
    /// ids (after --only). Merge the shard folders with `hadacert merge`.
    #[arg(long)]
    shard: Option<crate::sweep::Shard>,
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
    let result = match cli.command {
        Command::Certify(args) => run_certify(&args),
        Command::Report(args) => run_report(&args).map(|()| true),
        Command::Regress(args) => run_regress(&args),
        Command::Merge(args) => run_merge(&args),
        Command::Search(args) => run_search(&args),
        Command::Explain(args) => run_explain(&args).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(msg) => {
            eprintln!("hadacert: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run_report(args: &ReportArgs) -> Result<(), String> {
    let loaded = crate::report::folder::read_folder(&args.certs).map_err(|e| e.to_string())?;
    if loaded.is_empty() {
        return Err(format!(
            "{}: no certificates (*.json) to report on",
            args.certs.display()
        ));
    }
    let mut certs: Vec<Certificate> = loaded.into_iter().map(|l| l.cert).collect();
    if !args.only.is_empty() {
        let pats = args
            .only
            .iter()
            .map(|p| glob::Pattern::new(p).map_err(|e| format!("--only `{p}`: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        certs.retain(|c| pats.iter().any(|p| p.matches(&c.id)));
        if certs.is_empty() {
            return Err(format!(
                "{}: no certificate id matches --only {}",
                args.certs.display(),
                args.only.join(" --only ")
            ));
        }
    }
    let opts = crate::report::TableOptions {
        times: args.times && !args.no_times,
        max_digits: args.digits.max(1),
    };
    let summary = crate::report::write_report(&certs, &args.out, &opts)?;
    println!("{}", crate::report::summary_line(&certs));
    println!(
        "report: tables for {} ({} files), {} plot(s) in {}; manifest {}",
        summary.families.join(", "),
        summary.files.len(),
        summary.plots.len(),
        args.out.display(),
        summary.manifest.display()
    );
    Ok(())
}

fn run_explain(args: &ExplainArgs) -> Result<(), String> {
    let as_path = Path::new(&args.target);
    let path = if as_path.is_file() {
        as_path.to_path_buf()
    } else {
        let by_id = args
            .certs
            .join(format!("{}.json", cert::file_stem(&args.target)));
        if !by_id.is_file() {
            return Err(format!(
                "`{}` is neither a certificate file nor the id of a certificate in {} (run \
                 `hadacert certify --only {}` first, or pass --certs)",
                args.target,
                args.certs.display(),
                args.target
            ));
        }
        by_id
    };
    let loaded = crate::report::folder::read_strict(&path).map_err(|e| e.to_string())?;
    print!("{}", crate::report::explain::explain(&loaded.cert));
    Ok(())
}

fn run_search(args: &SearchArgs) -> Result<bool, String> {
    use crate::search::{returning, search, SearchError};
    if args.backend == BackendKind::F64 {
        return Err("--backend f64 cannot certify: use inari or mpfr".into());
    }
    if let Some(id) = &args.id {
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(format!("--id `{id}`: use characters from [A-Za-z0-9._-]"));
        }
    }
    let result = match args.return_within {
        None => search(args.metric, args.k, args.seed),
        Some(t) => returning(args.metric, args.k, args.seed, t),
    };
    let found = match result {
        Ok(f) => f,
        Err(e @ SearchError::BadK(_)) => return Err(format!("--k: {e}")),
        Err(e @ SearchError::BadWithin(_)) => return Err(e.to_string()),
        Err(e) => {
            eprintln!("hadacert search: {e}");
            return Ok(false);
        }
    };
    let text = crate::search::claim_toml(&found, args.id.as_deref(), args.backend.name());
    // the claim must be one `certify` accepts
    crate::claim::parse_claims(&text, Path::new("<search output>"))
        .map_err(|e| format!("internal error: the proposed claim does not validate: {e}"))?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("claim written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(true)
}

fn run_regress(args: &RegressArgs) -> Result<bool, String> {
    let factor = crate::report::regress::parse_factor(&args.width_factor)
        .map_err(|e| format!("--width-factor: {e}"))?;
    let report = crate::report::regress::compare_folders_with(
        &args.pinned,
        &args.fresh,
        &factor,
        args.pinned_only,
    )
    .map_err(|e| format!("unreadable certificate: {e}"))?;
    if args.verbose {
        print!("{}", report.render(&factor));
    } else {
        print!("{}", report.summary(&factor));
    }
    Ok(report.regressions() == 0)
}

fn run_merge(args: &MergeArgs) -> Result<bool, String> {
    let expected = if args.claims.is_empty() {
        None
    } else {
        let claims = select_claims(&args.claims, &args.only)?;
        Some(claims.iter().map(|c| c.spec.id.clone()).collect::<Vec<_>>())
    };
    match crate::sweep::merge(&args.shards, &args.out, expected.as_deref()) {
        Ok(summary) => {
            for d in &summary.duplicates {
                eprintln!("hadacert merge: duplicate {d}");
            }
            println!(
                "merge: {} certificates from {} shard folder(s) in {}",
                summary.written,
                args.shards.len(),
                args.out.display()
            );
            Ok(true)
        }
        Err(crate::sweep::MergeError::Inconsistent(problems)) => {
            eprintln!(
                "hadacert merge: {} problem(s); nothing written:\n  {}",
                problems.len(),
                problems.join("\n  ")
            );
            Ok(false)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Load the claims of `paths` and keep those whose id matches any of `only` (all if empty).
/// Strict: any invalid file is an error.
fn select_claims(paths: &[PathBuf], only: &[String]) -> Result<Vec<Claim>, String> {
    let (claims, errors) = select_valid_claims(paths, only)?;
    if !errors.is_empty() {
        return Err(format!(
            "{} error(s) in claim files:\n  {}",
            errors.len(),
            errors.join("\n  ")
        ));
    }
    Ok(claims)
}

/// The valid claims of `paths` whose id matches any of `only` (all if empty), and one message
/// per invalid file or claim (file, claim, field, message; a TOML syntax error with its line).
/// Only a bad `--only` pattern is an error.
fn select_valid_claims(
    paths: &[PathBuf],
    only: &[String],
) -> Result<(Vec<Claim>, Vec<String>), String> {
    let pats = only
        .iter()
        .map(|p| glob::Pattern::new(p).map_err(|e| format!("--only `{p}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut claims, errors) = load_valid_claims(paths);
    if !pats.is_empty() {
        claims.retain(|c| pats.iter().any(|p| p.matches(&c.spec.id)));
    }
    Ok((claims, errors))
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
    let (claims, errors) = load_valid_claims(paths);
    if errors.is_empty() {
        Ok(claims)
    } else {
        Err(errors)
    }
}

/// The claims of every valid file under `paths`, and one message per invalid file (a file is
/// valid when every claim in it is) or per claim whose id an earlier file already has (that
/// claim is left out). Messages of TOML syntax errors carry the offending line and a caret.
pub fn load_valid_claims(paths: &[PathBuf]) -> (Vec<Claim>, Vec<String>) {
    let mut claims = Vec::new();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        match claim_files(p) {
            Ok(f) => files.extend(f),
            Err(e) => errors.push(e),
        }
    }
    let mut ids: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    for f in files {
        match claim::load_file(&f) {
            Ok(cs) => {
                for c in cs {
                    if let Some(prev) = ids.get(&c.spec.id) {
                        errors.push(
                            ClaimError {
                                file: f.clone(),
                                id: c.spec.id.clone(),
                                field: "id".into(),
                                message: format!(
                                    "duplicate id (also in {}); this one is not certified",
                                    prev.display()
                                ),
                                excerpt: None,
                            }
                            .to_string(),
                        );
                        continue;
                    }
                    ids.insert(c.spec.id.clone(), f.clone());
                    claims.push(c);
                }
            }
            Err(e) => errors.push(e.with_excerpt().replace('\n', "\n  ")),
        }
    }
    (claims, errors)
}

fn apply_overrides(claims: &mut [Claim], args: &CertifyArgs) -> Result<(), String> {
    for c in claims.iter_mut() {
        if let Some(b) = args.backend {
            if b == BackendKind::F64 {
                return Err("--backend f64 cannot certify: use inari or mpfr".into());
            }
            // C8 is an f64 simulation whatever the backend asked for (its certificate says so).
            if !crate::claim::registry::entry(&c.spec.kind).is_some_and(|e| e.is_simulation()) {
                c.spec.backend = b;
            }
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
        if args.backend.is_some() || args.prec.is_some() {
            // The limits (memory of the interval matrices, work) depend on the backend and the
            // precision: validate the overridden claim again (its parameters too).
            *c = claim::validate(c.spec.clone(), &c.source)
                .map_err(|e| format!("with --backend/--prec: {e}"))?;
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
    // An invalid file does not stop the valid ones: they are certified, the invalid ones are
    // reported at the end, and the exit code is 2.
    let (mut claims, invalid) = select_valid_claims(&paths, &args.only)?;
    let invalid_report = || {
        format!(
            "{} error(s) in claim files (not certified):\n  {}",
            invalid.len(),
            invalid.join("\n  ")
        )
    };
    if claims.is_empty() {
        if !invalid.is_empty() {
            return Err(invalid_report());
        }
        return Err("no claims to certify".into());
    }
    if !invalid.is_empty() {
        eprintln!(
            "hadacert: {} error(s) in claim files: certifying the {} valid claim(s); the errors \
             are listed at the end",
            invalid.len(),
            claims.len()
        );
    }
    if let Some(shard) = args.shard {
        let ids: Vec<&str> = claims.iter().map(|c| c.spec.id.as_str()).collect();
        let member = shard.members(&ids);
        let mut keep = member.into_iter();
        claims.retain(|_| keep.next().unwrap_or(false));
        if claims.is_empty() {
            std::fs::create_dir_all(&args.out)
                .map_err(|e| format!("{}: {e}", args.out.display()))?;
            println!("shard {shard}: no claims (fewer claims than shards)");
            if !invalid.is_empty() {
                return Err(invalid_report());
            }
            return Ok(true);
        }
    }
    apply_overrides(&mut claims, args)?;
    let marked = certify_all_marked(&claims, &args.out, args.jobs, args.resume)?;
    let resumed: std::collections::BTreeSet<String> = marked
        .iter()
        .filter(|(_, reused)| *reused)
        .map(|(c, _)| c.id.clone())
        .collect();
    let certs: Vec<Certificate> = marked.into_iter().map(|(c, _)| c).collect();
    print!(
        "{}",
        crate::report::verdicts::verdict_table_marked(&certs, &resumed)
    );
    println!("certificates in {}", args.out.display());
    if !invalid.is_empty() {
        return Err(invalid_report());
    }
    Ok(certs.iter().all(|c| c.verdict == c.expect))
}

/// The certificate at `path`, if it is what this build would write for `c` (after the
/// `--backend`/`--prec` overrides): it passes the reader's checks
/// ([`crate::report::folder::read_strict`]: complete, named after its id, verdict consistent
/// with its evidence) and has the claim's id and digest, this build's id
/// ([`cert::BUILD_ID`]), and the backend and precision this run would use. Otherwise the reason.
fn reusable(path: &Path, c: &Claim) -> Result<Certificate, String> {
    let old = crate::report::folder::read_strict(path)
        .map_err(|e| e.reason)?
        .cert;
    let spec = &c.spec;
    if old.id != spec.id {
        return Err(format!("id `{}`, not `{}`", old.id, spec.id));
    }
    if old.claim_digest != claim::claim_digest(spec) {
        return Err("written for another claim (digest differs)".into());
    }
    if old.build_id != cert::BUILD_ID {
        return Err(format!(
            "written by another build ({:?}, this build {})",
            old.build_id,
            cert::BUILD_ID
        ));
    }
    // What certify_in records: the spec's backend (C8 too), and its precision (53 for inari and
    // C8, the starting MPFR precision, doubled up to max_precision_bits).
    if old.backend != spec.backend.name() {
        return Err(format!(
            "backend {}, this run {}",
            old.backend,
            spec.backend.name()
        ));
    }
    let simulation = crate::claim::registry::entry(&spec.kind).is_some_and(|e| e.is_simulation());
    let mpfr = spec.backend == BackendKind::Mpfr && !simulation;
    let start = if mpfr { spec.precision_bits } else { 53 };
    let max = if mpfr {
        spec.max_precision_bits.unwrap_or(start).max(start)
    } else {
        53
    };
    let reached = std::iter::successors(Some(start), |p| p.checked_mul(2).filter(|q| *q <= max))
        .any(|p| p == old.precision_bits);
    let first = old.escalation.first().map(|s| s.precision_bits);
    // C8 (a simulation) records no escalation; every other certificate starts at `start`.
    let first_ok = match first {
        Some(p) => p == start,
        None => simulation,
    };
    if !reached || !first_ok {
        return Err(format!(
            "precision {} bits (escalation from {:?}), this run starts at {start} bits",
            old.precision_bits, first
        ));
    }
    Ok(old)
}

/// Seconds between progress lines when stderr is not a terminal (`HADACERT_PROGRESS_SECS`
/// overrides it; fractions allowed).
pub const PROGRESS_LINE_SECS: f64 = 5.0;

/// What a run has done so far, shared by the workers, the progress display and the interrupt
/// handler.
#[derive(Default)]
struct RunState {
    done: std::sync::atomic::AtomicUsize,
    running: std::sync::Mutex<Vec<String>>,
}

impl RunState {
    fn start(&self, id: &str) {
        if let Ok(mut r) = self.running.lock() {
            r.push(id.to_string());
        }
    }
    fn finish(&self, id: &str) {
        if let Ok(mut r) = self.running.lock() {
            if let Some(i) = r.iter().position(|x| x == id) {
                r.remove(i);
            }
        }
        self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn done(&self) -> usize {
        self.done.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn running(&self) -> String {
        match self.running.lock() {
            Ok(r) if r.is_empty() => "-".into(),
            Ok(r) if r.len() == 1 => r[0].clone(),
            Ok(r) => format!("{} (+{} more)", r[0], r.len() - 1),
            Err(_) => "?".into(),
        }
    }
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// One progress line: `certify: 12/86 done, running c4region-k4, elapsed 0:42, about 1:20 left`
/// (the estimate assumes the remaining claims cost what the finished ones did on average).
fn progress_line(done: usize, total: usize, running: &str, elapsed: Duration) -> String {
    let estimate = if done == 0 || done >= total {
        String::new()
    } else {
        let left = elapsed.mul_f64((total - done) as f64 / done as f64);
        format!(", about {} left", clock(left))
    };
    format!(
        "certify: {done}/{total} done, running {running}, elapsed {}{estimate}",
        clock(elapsed)
    )
}

/// The command line of this run with `--resume` added (if it is not there already).
fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(first) = args.first_mut() {
        *first = "hadacert".into();
    }
    if !args.iter().any(|a| a == "--resume") {
        args.push("--resume".into());
    }
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"*?$".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// On SIGINT or SIGTERM: say what is saved and how to continue, then end by the signal as the
/// default handler would (certificates already written are complete: they are renamed into
/// place atomically; a region proof in progress keeps its last checkpoint).
fn install_interrupt_note(state: std::sync::Arc<RunState>, total: usize, out: PathBuf) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // no note, but the default behaviour stays
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            eprintln!(
                "\nhadacert: interrupted; {} of {total} certificates are complete in {}. To \
                 continue (finished certificates are reused, region proofs resume from their \
                 checkpoints):\n  {}",
                state.done(),
                out.display(),
                resume_command()
            );
            let _ = signal_hook::low_level::emulate_default_handler(sig);
            std::process::exit(128 + sig);
        }
    });
}

/// The order in which [`certify_all_marked`] starts the claims: indices into `claims`, largest
/// [`expected_cost`] first (ties in claim order). Only the schedule depends on it, never a
/// certificate.
fn schedule_order(claims: &[Claim], out: &Path) -> Vec<usize> {
    let costs: Vec<f64> = claims.iter().map(|c| expected_cost(c, out)).collect();
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    order
}

/// A claim's expected cost (milliseconds, roughly): the `elapsed_ms` of a certificate for the
/// same id already in `out` (a previous run of the same claims), otherwise a coarse estimate
/// from its kind, size, horizon and precision fitted to the shipped claims (region provers
/// largest; C1 about K^2; validated trajectories about sqrt(dimension * horizon); MPFR about
/// 10-16x inari, growing with the precision through the Taylor order).
fn expected_cost(c: &Claim, out: &Path) -> f64 {
    let path = out.join(format!("{}.json", cert::file_stem(&c.spec.id)));
    if let Some(ms) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter(|v| v.get("id").and_then(|x| x.as_str()) == Some(c.spec.id.as_str()))
        .and_then(|v| v.get("elapsed_ms").and_then(|x| x.as_f64()))
    {
        return ms;
    }
    let spec = &c.spec;
    let inputs = claim::registry::entry(&spec.kind).map(|e| (e.exact_inputs)(&c.params));
    let field = |name: &str| inputs.as_ref().and_then(|v| v.get(name)).cloned();
    let k = field("K")
        .and_then(|v| v.as_f64())
        .unwrap_or(match &c.params {
            claim::registry::Params::Diagonalise { lambda, .. } => lambda.len() as f64,
            _ => 8.0,
        });
    let horizon = field("horizon").and_then(|v| {
        v.as_str()
            .and_then(|s| s.parse::<rug::Rational>().ok())
            .map(|q| q.to_f64())
            .or_else(|| v.as_f64())
    });
    let backend = if spec.backend == BackendKind::Mpfr && spec.kind != "C8" {
        8.0 * (1.0 + f64::from(spec.precision_bits) / 128.0)
    } else {
        1.0
    };
    let size = match (spec.kind.as_str(), horizon) {
        ("C4region" | "C5k4", _) => 90_000.0,
        (_, Some(t)) => {
            let dim = if spec.flow.as_deref().is_some_and(|f| f.contains("ray")) {
                1.0
            } else {
                k
            };
            300.0 * (dim.max(1.0) * t.max(1.0)).sqrt()
        }
        _ if matches!(c.params, claim::registry::Params::Diagonalise { .. }) => k * k / 80.0,
        _ => 500.0,
    };
    size * backend
}

/// Certify `claims` in parallel on `jobs` threads, writing each certificate atomically to
/// `out` as soon as it is done. With `resume`, a certificate already in `out` is reused instead
/// of recomputed only if it is what this build would write (see `reusable`; otherwise a
/// one-line note goes to stderr), and region proofs continue from their validated checkpoints.
/// Returns the certificates in claim order.
pub fn certify_all(
    claims: &[Claim],
    out: &Path,
    jobs: Option<usize>,
    resume: bool,
) -> Result<Vec<Certificate>, String> {
    Ok(certify_all_marked(claims, out, jobs, resume)?
        .into_iter()
        .map(|(c, _)| c)
        .collect())
}

/// [`certify_all`], with each certificate marked `true` when it was reused from `out`
/// (`--resume`) rather than computed by this run.
///
/// Progress goes to stderr: on a terminal, a bar with the estimated time left (shown for runs
/// longer than a second); otherwise one line every [`PROGRESS_LINE_SECS`] seconds and a last
/// line when done. An interrupted run (SIGINT, SIGTERM) says how to resume.
pub fn certify_all_marked(
    claims: &[Claim],
    out: &Path,
    jobs: Option<usize>,
    resume: bool,
) -> Result<Vec<(Certificate, bool)>, String> {
    use std::io::IsTerminal;
    use std::sync::Arc;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let total = claims.len();
    let state = Arc::new(RunState::default());
    install_interrupt_note(state.clone(), total, out.to_path_buf());
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} certifying [{bar:30}] {pos}/{len} {elapsed}, about {eta} left {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let display = {
        let (bar, state, finished) = (bar.clone(), state.clone(), finished.clone());
        let every = std::env::var("HADACERT_PROGRESS_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(PROGRESS_LINE_SECS);
        std::thread::spawn(move || {
            let tick = Duration::from_millis(20);
            if terminal {
                // Show the bar only for runs longer than a second.
                while started.elapsed() < Duration::from_secs(1) {
                    if finished.load(std::sync::atomic::Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(tick);
                }
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(200));
                return;
            }
            let mut next = Duration::from_secs_f64(every);
            while !finished.load(std::sync::atomic::Ordering::SeqCst) {
                // Once every claim is done only the last line remains to come (printed after
                // the workers are joined), so a periodic line never says "16/16 done, running -".
                let done = state.done();
                if started.elapsed() >= next && done < total {
                    eprintln!(
                        "{}",
                        progress_line(done, total, &state.running(), started.elapsed())
                    );
                    next += Duration::from_secs_f64(every);
                }
                std::thread::sleep(tick);
            }
        })
    };
    // Largest expected cost first (longest-processing-time-first greedy scheduling): each
    // worker takes the next claim of `order` from a shared counter, so the long claims start
    // at once and the short ones fill the gaps at the end. Each result goes into its claim's
    // slot: the certificates and their order do not depend on the schedule.
    let order = schedule_order(claims, out);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<(Certificate, bool), String>>>> =
        claims.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let run_one = |c: &Claim| -> Result<(Certificate, bool), String> {
        let path = out.join(format!("{}.json", cert::file_stem(&c.spec.id)));
        let reused = if resume && path.exists() {
            match reusable(&path, c) {
                Ok(old) => Some(old),
                Err(why) => {
                    eprintln!(
                        "hadacert: {} not reused ({why}); recomputing",
                        path.display()
                    );
                    None
                }
            }
        } else {
            None
        };
        let marked = match reused {
            Some(old) => (old, true),
            None => {
                state.start(&c.spec.id);
                let progress_bar = bar.clone();
                let ctx = claim::RunContext {
                    checkpoint_dir: Some(out.to_path_buf()),
                    progress: Some(Box::new(move |msg: &str| {
                        progress_bar.set_message(msg.to_string())
                    })),
                    resume,
                };
                let fresh = claim::certify_in(c, &ctx);
                cert::write_atomic(out, &fresh).map_err(|e| format!("{}: {e}", path.display()))?;
                (fresh, false)
            }
        };
        state.finish(&c.spec.id);
        bar.inc(1);
        bar.set_message(c.spec.id.clone());
        Ok(marked)
    };
    pool.scope(|s| {
        for _ in 0..pool.current_num_threads().min(total).max(1) {
            s.spawn(|_| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&ci) = order.get(i) else { break };
                let r = run_one(&claims[ci]);
                if let Ok(mut slot) = slots[ci].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    let results: Vec<Result<(Certificate, bool), String>> = slots
        .into_iter()
        .zip(claims)
        .map(|(slot, c)| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(format!("{}: no result (a worker stopped)", c.spec.id)))
        })
        .collect();
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
    bar.finish_and_clear();
    let _ = display.join();
    if !terminal {
        let reused = results
            .iter()
            .filter(|r| matches!(r, Ok((_, true))))
            .count();
        eprintln!(
            "certify: {}/{total} done in {}{}",
            state.done(),
            clock(started.elapsed()),
            if reused > 0 {
                format!(" ({reused} reused from {})", out.display())
            } else {
                String::new()
            }
        );
    }
    results.into_iter().collect()
}
