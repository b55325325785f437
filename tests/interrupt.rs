//! Nothing lost (issue 8): `certify` killed in the middle of a run, with SIGINT and with
//! SIGKILL, leaves only complete certificates (atomic writes: temporary file, fsync, rename);
//! `certify --resume` completes the rest without touching the ones already written, and the
//! final folder equals an uninterrupted run's apart from `elapsed_ms`.
//!
//! The region prover's checkpoint (`.<id>.checkpoint.json`, rewritten atomically every 2 s) is
//! covered too: a region claim killed after its checkpoints appeared is resumed from the
//! checkpoint (shown by a marker planted in a copy of it) and ends with the certificate of an
//! uninterrupted run.
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

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hadacert"))
}

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

fn spawn_certify(claims: &Path, out: &Path) -> Child {
    bin()
        .arg("certify")
        .arg(claims)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
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
        let mut child = spawn_certify(&claims, &out);
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
    let mut child = spawn_certify(&claims, &out);
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

    // A copy with a marker planted in the checkpoint's statistics: the resumed run must report
    // it, which shows that it continued from the checkpoint rather than from the start.
    let marked = tmp.path().join("marked");
    std::fs::create_dir_all(&marked).unwrap();
    let mut cp_marked = cp.clone();
    let bisected = cp["stats"]["bisected"].as_u64().unwrap();
    cp_marked["stats"]["bisected"] = (bisected + 1_000_000_000).into();
    std::fs::write(
        marked.join(".region-kill.checkpoint.json"),
        serde_json::to_vec(&cp_marked).unwrap(),
    )
    .unwrap();
    let o = certify(&claims, &marked, true);
    assert!(o.status.success(), "{}", text(&o));
    let resumed = timeless(&certificates(&marked)["region-kill.json"].bytes);
    let full = timeless(&reference["region-kill.json"].bytes);
    let detail = |v: &serde_json::Value| v["checks"][0]["detail"].as_str().unwrap().to_string();
    let bisected_of = |d: &str| -> u64 {
        let (_, rest) = d.split_once(" boxes processed, ").unwrap();
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        bisected_of(&detail(&resumed)),
        bisected_of(&detail(&full)) + 1_000_000_000,
        "the resumed run did not continue from the checkpoint:\n{}\n{}",
        detail(&resumed),
        detail(&full)
    );

    // The untouched checkpoint: rerun (with and without --resume the checkpoint is used), and
    // the certificate equals the uninterrupted run's apart from elapsed_ms.
    let o = certify(&claims, &out, false);
    assert!(o.status.success(), "{}", text(&o));
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
