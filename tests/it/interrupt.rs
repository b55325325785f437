//! Nothing lost (issue 8): `certify` killed in the middle of a run, with SIGINT and with
//! SIGKILL, leaves only complete certificates (atomic writes: temporary file, fsync, rename);
//! `certify --resume` completes the rest without touching the ones already written, and the
//! final folder equals an uninterrupted run's apart from `elapsed_ms`.
//!
//! The region prover's checkpoint (`.<id>.checkpoint.json`, rewritten atomically every 2 s) is
//! covered too: a region claim killed after its checkpoints appeared is resumed (with
//! `--resume` only) from the checkpoint (shown by a marker planted in a copy of it) and ends
//! with the certificate of an uninterrupted run; a tampered or planted checkpoint is discarded
//! with a warning, and `--resume` reuses only certificates this build would write.
//!
//! The runs use the `hadacert` binary with `--jobs 1`, so certificates appear one by one.
//! Polling loops give up after [`GIVE_UP`] (a hang guard, not a timing check).

use hadacert::report::folder::read_strict;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Polling gives up after this long (the runs take seconds).
const GIVE_UP: Duration = Duration::from_secs(300);

/// Claims of the multi-claim run: C1, K = 256, MPFR 128 bits (a few hundred ms each).
const CLAIMS: usize = 16;

/// The region claim (a few seconds with one thread, several checkpoints).
const REGION: &str = r#"
[[claim]]
id = "region-kill"
kind = "C4region"
expect = "proved"
backend = "inari"
quantity = "V"
k = 4
normalised_lo = { kind = "list", values = ["0.01", "0.01", "0.01"] }
normalised_hi = { kind = "list", values = ["0.98", "0.98", "0.98"] }
scale = ["0.01", "60"]
nc_radius = "0.1"
"#;

use crate::common::bin;

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A folder of claim files, one claim each, with distinct ids and spectra.
fn claim_folder(dir: &Path) -> PathBuf {
    let claims = dir.join("claims");
    std::fs::create_dir_all(&claims).unwrap();
    for i in 0..CLAIMS {
        std::fs::write(
            claims.join(format!("c{i:02}.toml")),
            format!(
                r#"[[claim]]
id = "kill-{i:02}"
kind = "C1"
expect = "proved"
backend = "mpfr"
precision_bits = 128
width_bound = "1e-30"
matrix = {{ family = "sylvester", order = 256 }}
lambda = {{ kind = "progression", start = "0", step = "1/{}", len = 256 }}
"#,
                37 + i
            ),
        )
        .unwrap();
    }
    claims
}

fn certify(claims: &Path, out: &Path, resume: bool) -> Output {
    let mut c = bin();
    c.arg("certify")
        .arg(claims)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "1"]);
    if resume {
        c.arg("--resume");
    }
    c.output().unwrap()
}

/// `certify` in the background, its stderr going to `stderr` (a file, so nothing blocks).
fn spawn_certify(claims: &Path, out: &Path, stderr: &Path) -> Child {
    bin()
        .arg("certify")
        .arg(claims)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

/// What a certificate file is: its bytes, modification time and inode (a rewrite by rename
/// changes the inode).
#[derive(Debug, PartialEq)]
struct FileState {
    bytes: Vec<u8>,
    modified: SystemTime,
    inode: u64,
}

/// The visible certificate files (`*.json` not starting with `.`) of `dir`, by name.
fn certificates(dir: &Path) -> BTreeMap<String, FileState> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.starts_with('.') {
            // A file listed but already replaced can vanish in between: skip it.
            let (Ok(bytes), Ok(meta)) = (std::fs::read(e.path()), e.metadata()) else {
                continue;
            };
            out.insert(
                name,
                FileState {
                    bytes,
                    modified: meta.modified().unwrap(),
                    inode: meta.ino(),
                },
            );
        }
    }
    out
}

/// Every other file of `dir` (temporary files, checkpoints): they must be hidden (start with
/// `.`), so no reader takes them for certificates.
fn others(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json") || n.starts_with('.'))
        .collect()
}

/// A certificate without its measured time.
fn timeless(bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v.as_object_mut().unwrap().remove("elapsed_ms");
    v
}

fn wait_until(what: &str, child: &mut Child, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if done() {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("certify ended ({status}) before {what}: the run is too short for this test");
        }
        assert!(start.elapsed() < GIVE_UP, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Check a folder left by an interrupted run against the uninterrupted `reference` folder:
/// only complete certificates, each equal to its reference apart from `elapsed_ms`; the other
/// files hidden; `regress` reads the folder (it reports the missing ids, nothing unreadable)
/// and so does `report`.
fn check_interrupted_folder(
    what: &str,
    out: &Path,
    reference: &BTreeMap<String, FileState>,
    ref_dir: &Path,
) {
    let written = certificates(out);
    assert!(
        !written.is_empty() && written.len() < reference.len(),
        "{what}: {} of {} certificates written",
        written.len(),
        reference.len()
    );
    for (name, state) in &written {
        read_strict(&out.join(name))
            .unwrap_or_else(|e| panic!("{what}: a partial certificate was left: {e}"));
        assert_eq!(
            timeless(&state.bytes),
            timeless(&reference[name].bytes),
            "{what}: {name} differs from the uninterrupted run"
        );
    }
    for other in others(out) {
        assert!(other.starts_with('.'), "{what}: unexpected file {other}");
    }
    let o = bin()
        .arg("regress")
        .arg("--pinned")
        .arg(ref_dir)
        .arg("--fresh")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
    let missing = String::from_utf8_lossy(&o.stdout)
        .matches("missing from the fresh certificates")
        .count();
    assert_eq!(
        missing,
        reference.len() - written.len(),
        "{what}: {}",
        text(&o)
    );
    let o = bin()
        .arg("report")
        .arg("--certs")
        .arg(out)
        .arg("--out")
        .arg(out.with_extension("report"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{what}: {}", text(&o));
}

/// Resume the interrupted run in `out`: the written certificates are untouched (same bytes,
/// time and inode), the rest are computed, and the folder equals the reference apart from
/// `elapsed_ms`.
fn check_resume(what: &str, claims: &Path, out: &Path, reference: &BTreeMap<String, FileState>) {
    let before = certificates(out);
    let o = certify(claims, out, true);
    assert!(o.status.success(), "{what}: resume: {}", text(&o));
    // The verdict table marks the reused rows, and only those.
    let stdout = String::from_utf8_lossy(&o.stdout);
    let marked = stdout.lines().filter(|l| l.contains(" proved* ")).count();
    assert_eq!(marked, before.len(), "{what}: {stdout}");
    assert!(
        stdout.contains("*: reused from an earlier run"),
        "{what}: {stdout}"
    );
    let after = certificates(out);
    for (name, state) in &before {
        assert_eq!(
            &after[name], state,
            "{what}: {name} was rewritten by the resumed run"
        );
    }
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "{what}: the resumed folder has other certificates than an uninterrupted run"
    );
    for (name, state) in &after {
        assert_eq!(
            timeless(&state.bytes),
            timeless(&reference[name].bytes),
            "{what}: {name} differs from the uninterrupted run"
        );
    }
}

#[test]
fn killed_runs_leave_complete_certificates_and_resume_to_the_same_result() {
    let tmp = tempfile::tempdir().unwrap();
    let claims = claim_folder(tmp.path());
    let ref_dir = tmp.path().join("reference");
    let o = certify(&claims, &ref_dir, false);
    assert!(o.status.success(), "{}", text(&o));
    let reference = certificates(&ref_dir);
    assert_eq!(reference.len(), CLAIMS);

    for signal in ["SIGINT", "SIGKILL"] {
        let out = tmp.path().join(format!("out-{signal}"));
        let stderr = tmp.path().join(format!("stderr-{signal}"));
        let mut child = spawn_certify(&claims, &out, &stderr);
        // Some, but not all, certificates written.
        wait_until("two certificates were written", &mut child, || {
            certificates(&out).len() >= 2
        });
        if signal == "SIGINT" {
            let k = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(k.success());
        } else {
            child.kill().unwrap();
        }
        let status = child.wait().unwrap();
        let expected = if signal == "SIGINT" { 2 } else { 9 };
        assert_eq!(
            status.signal(),
            Some(expected),
            "{signal}: certify should end by the signal, got {status}"
        );
        let said = std::fs::read_to_string(&stderr).unwrap();
        if signal == "SIGINT" {
            // The interrupted run says what is saved and the command that continues it.
            let done = certificates(&out).len();
            assert!(
                said.contains(&format!(
                    "interrupted; {done} of {CLAIMS} certificates are complete in {}",
                    out.display()
                )),
                "{said}"
            );
            assert!(
                said.lines()
                    .any(|l| l.trim_start().starts_with("hadacert certify")
                        && l.trim_end().ends_with("--resume")),
                "{said}"
            );
        }
        check_interrupted_folder(signal, &out, &reference, &ref_dir);
        check_resume(signal, &claims, &out, &reference);
        // And the two folders are the same set of results for regress.
        let o = bin()
            .arg("regress")
            .arg("--pinned")
            .arg(&ref_dir)
            .arg("--fresh")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{signal}: {}", text(&o));
    }
}

#[test]
fn a_killed_region_proof_resumes_from_its_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let claims = tmp.path().join("claims");
    std::fs::create_dir_all(&claims).unwrap();
    std::fs::write(claims.join("region.toml"), REGION).unwrap();
    let ref_dir = tmp.path().join("reference");
    let o = certify(&claims, &ref_dir, false);
    assert!(o.status.success(), "{}", text(&o));
    let reference = certificates(&ref_dir);
    assert_eq!(reference.len(), 1);
    assert!(
        !ref_dir.join(".region-kill.checkpoint.json").exists(),
        "a finished run removes its checkpoint"
    );

    // Kill the run once its checkpoint has been written.
    let out = tmp.path().join("out");
    let checkpoint = out.join(".region-kill.checkpoint.json");
    let mut child = spawn_certify(&claims, &out, &tmp.path().join("stderr-region"));
    wait_until("a checkpoint was written", &mut child, || {
        checkpoint.exists()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        certificates(&out).is_empty(),
        "killed before the end: no certificate"
    );
    for other in others(&out) {
        assert!(other.starts_with('.'), "unexpected file {other}");
    }
    // The checkpoint is complete (written atomically), whatever the moment of the kill.
    let cp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    let boxes = cp["stats"]["boxes"].as_u64().unwrap();
    assert!(boxes > 0, "{cp}");
    assert!(!cp["stack"].as_array().unwrap().is_empty());

    // A copy whose statistics were tampered with (a billion bisections more, so the box counts no
    // longer add up): `--resume` discards it with a warning naming the failed check, and the run
    // from the root box ends with the uninterrupted certificate.
    let full = timeless(&reference["region-kill.json"].bytes);
    let tampered = tmp.path().join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    let mut cp_bad = cp.clone();
    let bisected = cp["stats"]["bisected"].as_u64().unwrap();
    cp_bad["stats"]["bisected"] = (bisected + 1_000_000_000).into();
    std::fs::write(
        tampered.join(".region-kill.checkpoint.json"),
        serde_json::to_vec(&cp_bad).unwrap(),
    )
    .unwrap();
    let o = certify(&claims, &tampered, true);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: checkpoint")
            && err.contains("discarded")
            && err.contains("closed + bisected + undecided + refuting"),
        "{}",
        text(&o)
    );
    assert_eq!(
        timeless(&certificates(&tampered)["region-kill.json"].bytes),
        full,
        "a discarded checkpoint must give the uninterrupted certificate"
    );

    // A copy with a consistent marker (one more processed box counted as off-region: counts
    // that move no volume pass the checks): the resumed run reports it, which shows that it
    // continued from the checkpoint rather than from the start.
    let marked = tmp.path().join("marked");
    std::fs::create_dir_all(&marked).unwrap();
    let mut cp_marked = cp.clone();
    cp_marked["stats"]["boxes"] = (boxes + 1).into();
    let off = cp["stats"]["closed"]["OffRegion"].as_u64().unwrap_or(0);
    cp_marked["stats"]["closed"]["OffRegion"] = (off + 1).into();
    std::fs::write(
        marked.join(".region-kill.checkpoint.json"),
        serde_json::to_vec(&cp_marked).unwrap(),
    )
    .unwrap();
    let o = certify(&claims, &marked, true);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(&format!(
            "resuming from checkpoint {} ({} boxes processed",
            marked.join(".region-kill.checkpoint.json").display(),
            boxes + 1
        )),
        "{}",
        text(&o)
    );
    let resumed = timeless(&certificates(&marked)["region-kill.json"].bytes);
    let detail = |v: &serde_json::Value| v["checks"][0]["detail"].as_str().unwrap().to_string();
    let boxes_of = |d: &str| -> u64 {
        let (n, _) = d.split_once(" boxes processed, ").unwrap();
        n.parse().unwrap()
    };
    assert_eq!(
        boxes_of(&detail(&resumed)),
        boxes_of(&detail(&full)) + 1,
        "the resumed run did not continue from the checkpoint:\n{}\n{}",
        detail(&resumed),
        detail(&full)
    );
    assert_eq!(resumed["verdict"], full["verdict"]);

    // Without --resume the checkpoint is ignored (with a note): a fresh run.
    let ignored = tmp.path().join("ignored");
    std::fs::create_dir_all(&ignored).unwrap();
    std::fs::write(
        ignored.join(".region-kill.checkpoint.json"),
        serde_json::to_vec(&cp_marked).unwrap(),
    )
    .unwrap();
    let o = certify(&claims, &ignored, false);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ignored without --resume") && !err.contains("resuming"),
        "{}",
        text(&o)
    );
    assert_eq!(
        timeless(&certificates(&ignored)["region-kill.json"].bytes),
        full
    );

    // The untouched checkpoint, resumed: the certificate equals the uninterrupted run's apart
    // from elapsed_ms.
    let o = certify(&claims, &out, true);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("resuming from checkpoint"),
        "{}",
        text(&o)
    );
    let after = certificates(&out);
    assert_eq!(
        timeless(&after["region-kill.json"].bytes),
        full,
        "the resumed region proof differs from the uninterrupted one"
    );
    assert!(
        !checkpoint.exists(),
        "the checkpoint is removed once the certificate is written"
    );
}

/// Issue 18, section 3: a planted checkpoint for the shipped false claim c5k4-k8-m1-refuted
/// (empty stack, nothing processed, the claim's digest) must not turn it into *proved*. Without
/// `--resume` it is ignored; with `--resume` it fails validation (a one-line warning naming the
/// failed check) and the run ends refuted, as an uninterrupted run does. Also when the forger
/// copies this build's identifiers and a closed volume equal to the root's.
#[test]
fn a_planted_checkpoint_does_not_prove_a_false_region_claim() {
    use hadacert::prove::region::{backend_name, root_box, RegionStats};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("proofs-data/c5k4/k8-m1-refuted.toml");
    let claims = hadacert::claim::load_file(&file).unwrap();
    let claim = &claims[0];
    assert_eq!(claim.spec.id, "c5k4-k8-m1-refuted");
    let hadacert::claim::Params::Region(region) = &claim.params else {
        panic!("a region claim")
    };
    let digest = hadacert::claim::claim_digest(&claim.spec);
    // The exact volume of the root box (its ends are exact binary numbers).
    let root_volume = root_box(region)
        .lambda
        .iter()
        .map(|e| rug::Rational::from_f64(e[1]).unwrap() - rug::Rational::from_f64(e[0]).unwrap())
        .fold(rug::Rational::from(1), |a, w| a * w);
    let planted = serde_json::json!({
        "claim_digest": digest,
        "stack": [],
        "stats": RegionStats::default(),
    });
    let mut forged = planted.clone();
    forged["backend"] = backend_name::<hadacert::arith::Ival>().into();
    forged["precision_bits"] = 53.into();
    forged["build_id"] = hadacert::cert::BUILD_ID.into();
    let mut forged_volume = forged.clone();
    forged_volume["stats"]["closed_volume"] = root_volume.to_string().into();
    let cases = [
        ("planted", planted, "written for another backend"),
        ("forged", forged, "is not a rational"),
        (
            "forged with the root volume",
            forged_volume,
            "an empty stack, no witness and no box processed",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (i, (what, cp, failed_check)) in cases.iter().enumerate() {
        for resume in [false, true] {
            let out = tmp.path().join(format!("out-{i}-{resume}"));
            std::fs::create_dir_all(&out).unwrap();
            let path = out.join(".c5k4-k8-m1-refuted.checkpoint.json");
            std::fs::write(&path, serde_json::to_vec(cp).unwrap()).unwrap();
            let o = certify(&file, &out, resume);
            // Exit 0: the verdict is the expected `refuted`.
            assert!(o.status.success(), "{what}, resume {resume}: {}", text(&o));
            let c = read_strict(&out.join("c5k4-k8-m1-refuted.json"))
                .unwrap()
                .cert;
            assert_eq!(
                c.verdict,
                hadacert::cert::Verdict::Refuted,
                "{what}, resume {resume}"
            );
            let err = String::from_utf8_lossy(&o.stderr);
            if resume {
                let warnings: Vec<&str> = err
                    .lines()
                    .filter(|l| l.contains("warning: checkpoint"))
                    .collect();
                assert_eq!(warnings.len(), 1, "{what}: {}", text(&o));
                assert!(
                    warnings[0].contains(&path.display().to_string())
                        && warnings[0].contains("discarded")
                        && warnings[0].contains(failed_check),
                    "{what}: {}",
                    text(&o)
                );
            } else {
                assert!(
                    err.contains("ignored without --resume") && !err.contains("warning"),
                    "{what}: {}",
                    text(&o)
                );
            }
            assert!(!path.exists(), "the finished run removes the checkpoint");
        }
    }
}

/// `certify --resume` reuses a certificate only if this build would write it: the same id,
/// claim digest and build id, the backend and precision of this run (overrides included), and
/// it passes the reader's checks. Anything else is recomputed, with a note on stderr.
#[test]
fn resume_reuses_only_certificates_this_build_would_write() {
    let tmp = tempfile::tempdir().unwrap();
    let claims = tmp.path().join("claims.toml");
    std::fs::write(
        &claims,
        r#"[[claim]]
id = "reuse"
kind = "C1"
expect = "proved"
backend = "mpfr"
precision_bits = 128
width_bound = "1e-30"
matrix = { family = "sylvester", order = 4 }
lambda = { kind = "progression", start = "0", step = "1/3", len = 4 }
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = certify(&claims, &out, false);
    assert!(o.status.success(), "{}", text(&o));
    let path = out.join("reuse.json");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(original["build_id"], hadacert::cert::BUILD_ID);
    // Untouched: reused (the file is not rewritten).
    let before = certificates(&out);
    let o = certify(&claims, &out, true);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        certificates(&out),
        before,
        "an up-to-date certificate is reused"
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("not reused"));

    // Each edit (with a marker in elapsed_ms, to tell a reused file from a recomputed one)
    // must be recomputed, with a note naming the reason.
    let marker = 999_999_999u64;
    let edits: [(&str, fn(&mut serde_json::Value), &str); 5] = [
        (
            "another build",
            |v| v["build_id"] = "0123456789abcdef".into(),
            "another build",
        ),
        (
            "an older certificate without a build id",
            |v| {
                v.as_object_mut().unwrap().remove("build_id");
            },
            "another build",
        ),
        (
            "another backend",
            |v| v["backend"] = "inari".into(),
            "backend",
        ),
        (
            "another precision",
            |v| v["precision_bits"] = 256.into(),
            "precision",
        ),
        (
            "a verdict its evidence does not support",
            |v| v["verdict"] = "undecided".into(),
            "inconsistent",
        ),
    ];
    for (what, edit, reason) in edits {
        let mut v = original.clone();
        edit(&mut v);
        v["elapsed_ms"] = marker.into();
        std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        let o = certify(&claims, &out, true);
        assert!(o.status.success(), "{what}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("not reused") && err.contains(reason),
            "{what}: {}",
            text(&o)
        );
        let again: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_ne!(again["elapsed_ms"], marker, "{what}: reused");
        assert_eq!(timeless(&std::fs::read(&path).unwrap()), {
            let mut o = original.clone();
            o.as_object_mut().unwrap().remove("elapsed_ms");
            o
        });
    }

    // An override of the precision: the certificate at 128 bits is not what this run writes.
    let o = bin()
        .arg("certify")
        .arg(&claims)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1", "--resume", "--prec", "256"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not reused"));
    let again = read_strict(&path).unwrap().cert;
    assert_eq!(again.precision_bits, 256);
}

/// Without a terminal (stderr is a pipe here), progress comes as lines: claims done of the
/// total, the claim running, the time elapsed and an estimate of the time left, and a last line
/// when the run is done.
#[test]
fn progress_without_a_terminal_comes_as_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let claims = claim_folder(tmp.path());
    let o = bin()
        .arg("certify")
        .arg(&claims)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .args(["--jobs", "1"])
        .env("HADACERT_PROGRESS_SECS", "0.05")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("certify: "))
        .collect();
    // 16 claims of a few hundred ms each, a line every 50 ms: several lines.
    assert!(lines.len() >= 3, "{stderr}");
    let (last, periodic) = lines.split_last().unwrap();
    assert!(
        last.starts_with(&format!("certify: {CLAIMS}/{CLAIMS} done in ")),
        "{stderr}"
    );
    let mut previous = 0;
    for l in periodic {
        let rest = l.strip_prefix("certify: ").unwrap();
        let (done, rest) = rest.split_once('/').unwrap();
        let done: usize = done.parse().unwrap();
        assert!(done >= previous && done <= CLAIMS, "{l}");
        previous = done;
        assert!(
            rest.starts_with(&format!("{CLAIMS} done, running kill-")),
            "{l}"
        );
        assert!(l.contains(", elapsed "), "{l}");
        if done > 0 {
            assert!(l.contains(" left"), "{l}");
        }
    }
}
