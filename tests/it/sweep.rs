//! Sharded sweeps and regression checks, through the `hadacert` binary: 3 shards merged equal
//! one run (byte for byte, apart from `elapsed_ms`); merge detects gaps and conflicts; the
//! fast subset certifies to the pinned certificates in `proofs-data/pinned/`; a deliberately
//! altered pinned certificate makes `regress` fail with a readable diff; truncated or
//! hand-edited certificates are refused with exit code 2, naming the file.
//!
//! The fast subset is the set of pinned ids (the same list `.ci/run` uses).

use hadacert::report::digits::{exact_scientific, parse_decimal, Bound};
use rug::Rational;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::root;

fn pinned_dir() -> PathBuf {
    root().join("proofs-data/pinned")
}

fn hadacert<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_hadacert"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run hadacert")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// `--only ID` for every pinned certificate: the fast subset.
fn fast_subset() -> Vec<String> {
    let files = json_files(&pinned_dir());
    assert!(
        files.len() >= 10,
        "proofs-data/pinned/ holds the fast subset"
    );
    files
        .iter()
        .flat_map(|p| {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            ["--only".to_string(), id]
        })
        .collect()
}

fn certify(out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["certify".into()];
    args.extend(fast_subset());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("--out".into());
    args.push(out.display().to_string());
    hadacert(args)
}

/// The fast subset certified once, in one run.
fn single_run() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let o = certify(dir.path(), &[]);
        assert!(o.status.success(), "{}", text(&o));
        dir
    })
    .path()
}

/// A certificate file without its `elapsed_ms` line (the one field that differs between runs).
fn without_time(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"elapsed_ms\""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn names(dir: &Path) -> Vec<String> {
    json_files(dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for p in json_files(from) {
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

fn edit(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
}

#[test]
fn three_shards_merged_equal_one_run() {
    let single = single_run();
    let tmp = tempfile::tempdir().unwrap();
    let shard_dirs: Vec<PathBuf> = (1..=3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, d) in shard_dirs.iter().enumerate() {
        let o = certify(d, &["--shard", &format!("{}/3", i + 1)]);
        assert!(o.status.success(), "{}", text(&o));
    }
    // The shards partition the claims, in nearly equal parts.
    let mut all: Vec<String> = Vec::new();
    for d in &shard_dirs {
        let n = names(d);
        assert!(n.len() >= names(single).len() / 3, "{d:?}: {n:?}");
        all.extend(n);
    }
    all.sort();
    assert_eq!(all, names(single), "shards must partition the claims");

    let merged = tmp.path().join("merged");
    let mut args = vec![
        "merge".to_string(),
        "--out".into(),
        merged.display().to_string(),
    ];
    args.extend(shard_dirs.iter().map(|d| d.display().to_string()));
    args.extend(["--claims".to_string(), "proofs-data".to_string()]);
    args.extend(fast_subset());
    let o = hadacert(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(names(&merged), names(single));
    for name in names(single) {
        assert_eq!(
            without_time(&merged.join(&name)),
            without_time(&single.join(&name)),
            "{name}: merged certificate differs from the single run"
        );
    }
    // Merging again into the same folder is fine (same files).
    let o = hadacert(&args);
    assert!(o.status.success(), "{}", text(&o));

    // A missing shard: exit 1, the missing claims named, nothing written.
    let gap = tmp.path().join("gap");
    let o = hadacert([
        "merge",
        "--out",
        gap.to_str().unwrap(),
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
        "--claims",
        "proofs-data",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lost = names(&shard_dirs[2]);
    let lost_id = lost[0].trim_end_matches(".json");
    assert!(
        stderr.contains(&format!(
            "missing: no shard has a certificate for claim {lost_id}"
        )),
        "{}",
        text(&o)
    );
    assert!(
        !gap.exists() || names(&gap).is_empty(),
        "nothing is written on a gap"
    );

    // The same shard twice is a harmless duplicate; an edited copy is a conflict.
    let o = hadacert([
        "merge",
        "--out",
        tmp.path().join("dup").to_str().unwrap(),
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[0].to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("duplicate"),
        "{}",
        text(&o)
    );
    let edited = tmp.path().join("edited");
    copy_dir(&shard_dirs[0], &edited);
    let victim = json_files(&edited)[0].clone();
    edit(&victim, |v| {
        let flipped = if v["verdict"] == "proved" {
            "refuted"
        } else {
            "proved"
        };
        // A consistent edit (the escalation record too), so merge reads it and must compare.
        v["verdict"] = flipped.into();
        if let Some(last) = v["escalation"].as_array_mut().and_then(|a| a.last_mut()) {
            last["verdict"] = flipped.into();
        }
    });
    let o = hadacert([
        "merge",
        "--out",
        tmp.path().join("conflict").to_str().unwrap(),
        shard_dirs[0].to_str().unwrap(),
        edited.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("conflict:") && stderr.contains("verdicts"),
        "{}",
        text(&o)
    );

    // Stray certificates in the output folder are refused (exit 2).
    let stray = tmp.path().join("stray");
    copy_dir(&shard_dirs[0], &stray);
    let o = hadacert([
        "merge",
        "--out",
        stray.to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("merge into an empty folder"),
        "{}",
        text(&o)
    );
}

#[test]
fn fast_subset_matches_the_pinned_certificates() {
    let fresh = single_run();
    let o = hadacert([
        "regress",
        "--pinned",
        pinned_dir().to_str().unwrap(),
        "--fresh",
        fresh.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("regress: ok:"),
        "{}",
        text(&o)
    );
}

fn q(s: &str) -> Rational {
    match parse_decimal(s).unwrap() {
        Bound::Finite(q) => q,
        b => panic!("{b:?}"),
    }
}

#[test]
fn altered_pinned_certificates_fail_with_a_readable_diff() {
    let fresh = single_run();
    let tmp = tempfile::tempdir().unwrap();
    let pinned = tmp.path().join("pinned");
    copy_dir(&pinned_dir(), &pinned);
    // 1. An enclosure moved away: no longer intersects.
    edit(&pinned.join("C1-sylvester-K8-mpfr128.json"), |v| {
        let e = &mut v["enclosures"][1];
        assert_eq!(e["name"], "(Q^T S Q)_00");
        e["lower"] = "2".into();
        e["upper"] = "3".into();
    });
    // 2. An enclosure pinned 10 times narrower (same midpoint): the fresh one widened 10x.
    let (mut lo, mut hi) = (String::new(), String::new());
    edit(&pinned.join("C2-K16-coordinate-inari.json"), |v| {
        let e = v["enclosures"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["name"].as_str().unwrap().contains("loss"))
            .unwrap();
        let (l, u) = (
            q(e["lower"].as_str().unwrap()),
            q(e["upper"].as_str().unwrap()),
        );
        let mid = Rational::from(&l + &u) / 2u32;
        let half = Rational::from(&u - &l) / 20u32;
        lo = exact_scientific(&Rational::from(&mid - &half));
        hi = exact_scientific(&(mid + half));
        e["lower"] = lo.clone().into();
        e["upper"] = hi.clone().into();
    });
    // 3. A verdict changed.
    edit(&pinned.join("C1r-paley-K12-mpfr128.json"), |v| {
        v["verdict"] = "proved".into();
        if let Some(last) = v["escalation"].as_array_mut().and_then(|a| a.last_mut()) {
            last["verdict"] = "proved".into();
        }
    });
    // 4. A pinned certificate removed: the fresh one has no counterpart.
    std::fs::remove_file(pinned.join("C2-K4-coordinate-mpfr128.json")).unwrap();

    let o = hadacert([
        "regress",
        "--pinned",
        pinned.to_str().unwrap(),
        "--fresh",
        fresh.to_str().unwrap(),
        "--verbose",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "REGRESSION C1-sylvester-K8-mpfr128:",
        "enclosure `(Q^T S Q)_00`: no longer intersects the pinned enclosure",
        "pinned [2, 3]",
        "fresh  [9.99",
        "REGRESSION C2-K16-coordinate-inari:",
        "enclosure `mean cross-entropy loss (full matrices)`: widened 10x (more than the allowed 4x)",
        &format!("pinned [{lo}, {hi}]"),
        "REGRESSION C1r-paley-K12-mpfr128:",
        "verdict changed: pinned proved, fresh refuted",
        "REGRESSION C2-K4-coordinate-mpfr128: fresh certificate with no pinned counterpart",
        "regress: FAILED: 4 regression(s) in 4 certificate(s)",
    ] {
        assert!(out.contains(needle), "`{needle}` missing from the diff:\n{out}");
    }
    // A larger width factor accepts the widening (and only that).
    let o = hadacert([
        "regress",
        "--pinned",
        pinned.to_str().unwrap(),
        "--fresh",
        fresh.to_str().unwrap(),
        "--width-factor",
        "11",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("FAILED: 3 regression(s)"),
        "{}",
        text(&o)
    );
}

#[test]
fn truncated_or_edited_certificates_exit_2_naming_the_file() {
    let fresh = single_run();
    type Damage<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Damage, &str); 4] = [
        (
            "truncated",
            &|p| {
                let t = std::fs::read(p).unwrap();
                std::fs::write(p, &t[..t.len() / 2]).unwrap();
            },
            "truncated",
        ),
        (
            "lower above upper",
            &|p| {
                edit(p, |v| {
                    v["enclosures"][0]["lower"] = "1".into();
                    v["enclosures"][0]["upper"] = "0.5".into();
                })
            },
            "is above upper",
        ),
        (
            "not a number",
            &|p| edit(p, |v| v["enclosures"][0]["upper"] = "0.5x".into()),
            "is not a decimal number",
        ),
        (
            "id edited",
            &|p| edit(p, |v| v["id"] = "someone-else".into()),
            "file name does not match",
        ),
    ];
    for (what, damage, says) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let pinned = tmp.path().join("pinned");
        copy_dir(&pinned_dir(), &pinned);
        let victim = pinned.join("C1-sylvester-K4-mpfr128.json");
        damage(&victim);
        let o = hadacert([
            "regress",
            "--pinned",
            pinned.to_str().unwrap(),
            "--fresh",
            fresh.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains(victim.to_str().unwrap()) && stderr.contains(says),
            "{what}: stderr should name {} and say `{says}`:\n{stderr}",
            victim.display()
        );
        // report and merge refuse the same folder the same way.
        for args in [
            vec![
                "report",
                "--certs",
                pinned.to_str().unwrap(),
                "--out",
                tmp.path().join("r").to_str().unwrap(),
            ],
            vec![
                "merge",
                "--out",
                tmp.path().join("m").to_str().unwrap(),
                pinned.to_str().unwrap(),
            ],
        ] {
            let o = hadacert(&args);
            assert_eq!(o.status.code(), Some(2), "{what} {args:?}: {}", text(&o));
            assert!(
                String::from_utf8_lossy(&o.stderr).contains(victim.to_str().unwrap()),
                "{}",
                text(&o)
            );
        }
    }
}
