//! Broken certificates (issue 8, "Hostile and broken input"): truncated, corrupted or edited
//! certificates given to `regress` and `report`.
//!
//! What is checked, and how it is detected:
//!
//! * a certificate that is not a complete, valid certificate (truncated anywhere, garbage
//!   appended, a field missing or of the wrong type, a verdict that does not exist, an enclosure
//!   whose lower end is above its upper end, a series step that ends before it starts) is
//!   refused by `regress` (pinned or fresh side) and `report` with exit code 2 and a message
//!   naming the file;
//! * a well-formed certificate whose verdict, enclosures, inputs or claim family differ from the
//!   pinned one is a regression (exit 1, naming the id and what changed): a verdict flipped in
//!   either direction never passes, whichever side was edited;
//! * a certificate whose claim digest was edited is not reused by `certify --resume` (it is
//!   recomputed);
//! * temporary files of interrupted writes (`.<id>.json.tmp-<pid>`, `.<id>.checkpoint.json`)
//!   are never read as certificates.
//!
//! The pinned certificates of `proofs-data/pinned/` are the material; nothing is recomputed
//! except one tiny claim for `--resume`.

use hadacert::report::digits::{exact_scientific, parse_decimal, Bound};
use hadacert::report::folder::read_strict;
use rug::Rational;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{hadacert, root};

fn pinned_dir() -> PathBuf {
    root().join("proofs-data/pinned")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

fn ids(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn edit(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// A temporary folder with `pinned/` (a copy of the pinned certificates) and `fresh/` (another).
fn two_copies() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (p, f) = (tmp.path().join("pinned"), tmp.path().join("fresh"));
    copy_dir(&pinned_dir(), &p);
    copy_dir(&pinned_dir(), &f);
    (tmp, p, f)
}

fn regress(pinned: &Path, fresh: &Path) -> Output {
    hadacert([
        "regress".as_ref(),
        "--pinned".as_ref(),
        pinned.as_os_str(),
        "--fresh".as_ref(),
        fresh.as_os_str(),
    ])
}

fn report(certs: &Path, out: &Path) -> Output {
    hadacert([
        "report".as_ref(),
        "--certs".as_ref(),
        certs.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--no-times".as_ref(),
    ])
}

/// `regress` with the damaged file on either side, and `report` on its folder: exit 2, and
/// stderr names the file and says `says`.
fn assert_refused_everywhere(what: &str, victim_id: &str, damage: &dyn Fn(&Path), says: &str) {
    for side in ["pinned", "fresh"] {
        let (tmp, p, f) = two_copies();
        let dir = if side == "pinned" { &p } else { &f };
        let victim = dir.join(format!("{victim_id}.json"));
        damage(&victim);
        let outputs = [
            ("regress", regress(&p, &f)),
            ("report", report(dir, &tmp.path().join("report"))),
        ];
        for (command, o) in outputs {
            assert_eq!(
                o.status.code(),
                Some(2),
                "{command} with a damaged {side} certificate ({what}): {}",
                text(&o)
            );
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                stderr.contains(victim.to_str().unwrap()) && stderr.contains(says),
                "{command}, {what} ({side}): stderr should name {} and say `{says}`:\n{stderr}",
                victim.display()
            );
            assert!(
                o.stdout.is_empty(),
                "{command} printed a result for a folder it refused ({what}): {}",
                text(&o)
            );
        }
    }
}

#[test]
fn the_pinned_copies_agree() {
    let (_tmp, p, f) = two_copies();
    let o = regress(&p, &f);
    assert!(o.status.success(), "{}", text(&o));
    assert!(ids(&p).len() >= 20, "{:?}", ids(&p));
}

#[test]
fn every_truncation_is_refused_naming_the_file() {
    // Every proper prefix of a certificate (its last byte is the newline after the closing
    // brace, so only the full text and the text without that newline are complete) is refused
    // by the strict reader, as truncated.
    let tmp = tempfile::tempdir().unwrap();
    for id in ["C1-sylvester-K2-mpfr128", "traj-unbalanced-K4-T10-inari"] {
        let full = std::fs::read(pinned_dir().join(format!("{id}.json"))).unwrap();
        assert_eq!(full.last(), Some(&b'\n'));
        let path = tmp.path().join(format!("{id}.json"));
        // Long certificates: every prefix of the first and last 2 000 bytes, then every 97th.
        let cuts: Vec<usize> = (0..full.len() - 1)
            .filter(|&n| n < 2_000 || n + 2_000 > full.len() || n % 97 == 0)
            .collect();
        for &n in &cuts {
            std::fs::write(&path, &full[..n]).unwrap();
            let err = read_strict(&path).expect_err("a truncated certificate must be refused");
            assert_eq!(err.path, path);
            assert!(
                err.reason.contains("truncated") || err.reason.contains("not UTF-8"),
                "prefix of {n} bytes: {err}"
            );
        }
        std::fs::write(&path, &full[..full.len() - 1]).unwrap();
        assert!(
            read_strict(&path).is_ok(),
            "the text without its last newline is complete"
        );
    }
    // Through the command line: empty, cut in the middle, cut before the last brace.
    type Damage = Box<dyn Fn(&Path)>;
    let cuts: [(&str, Damage); 3] = [
        (
            "empty",
            Box::new(|p: &Path| std::fs::write(p, b"").unwrap()),
        ),
        (
            "half",
            Box::new(|p: &Path| {
                let t = std::fs::read(p).unwrap();
                std::fs::write(p, &t[..t.len() / 2]).unwrap();
            }),
        ),
        (
            "last brace",
            Box::new(|p: &Path| {
                let t = std::fs::read(p).unwrap();
                std::fs::write(p, &t[..t.len() - 2]).unwrap();
            }),
        ),
    ];
    for (what, damage) in cuts {
        assert_refused_everywhere(what, "C1r-paley-K12-mpfr128", &*damage, "truncated");
    }
}

#[test]
fn corrupted_certificates_are_refused_naming_the_file() {
    type Damage = Box<dyn Fn(&Path)>;
    let append = |extra: &'static [u8]| -> Damage {
        Box::new(move |p: &Path| {
            let mut t = std::fs::read(p).unwrap();
            t.extend_from_slice(extra);
            std::fs::write(p, t).unwrap();
        })
    };
    let cases: Vec<(&str, Damage, &str)> = vec![
        ("garbage appended", append(b"x"), "trailing characters"),
        (
            "a second certificate appended",
            append(b"{\"id\": \"x\"}\n"),
            "trailing characters",
        ),
        (
            "a byte that is not UTF-8",
            Box::new(|p: &Path| {
                let mut t = std::fs::read(p).unwrap();
                let i = t.len() / 3;
                t[i] = 0xff;
                std::fs::write(p, t).unwrap();
            }),
            "not UTF-8",
        ),
        (
            "the verdict removed",
            Box::new(|p: &Path| {
                edit(p, |v| {
                    v.as_object_mut().unwrap().remove("verdict");
                })
            }),
            "missing field `verdict`",
        ),
        (
            "a verdict that does not exist",
            Box::new(|p: &Path| edit(p, |v| v["verdict"] = "provable".into())),
            "unknown variant `provable`",
        ),
        (
            "precision of the wrong type",
            Box::new(|p: &Path| edit(p, |v| v["precision_bits"] = "128".into())),
            "invalid type",
        ),
        (
            "enclosures not a list",
            Box::new(|p: &Path| edit(p, |v| v["enclosures"] = serde_json::json!({}))),
            "invalid type",
        ),
        (
            "an enclosure end that is not a number",
            Box::new(|p: &Path| edit(p, |v| v["enclosures"][1]["lower"] = "0x10".into())),
            "is not a decimal number",
        ),
        (
            "an enclosure end with a huge exponent",
            Box::new(|p: &Path| edit(p, |v| v["enclosures"][1]["upper"] = "1e999999999".into())),
            "exponent out of range",
        ),
        (
            "ends swapped",
            Box::new(|p: &Path| {
                edit(p, |v| {
                    let e = &mut v["enclosures"][1];
                    let lo = e["lower"].clone();
                    e["lower"] = e["upper"].clone();
                    e["upper"] = lo;
                })
            }),
            "is above upper",
        ),
        (
            "an empty enclosure",
            Box::new(|p: &Path| edit(p, |v| v["enclosures"][1]["lower"] = "inf".into())),
            "is empty",
        ),
    ];
    for (what, damage, says) in cases {
        assert_refused_everywhere(what, "C1r-paley-K12-mpfr128", &*damage, says);
    }
    // Series: a step that ends before it starts, and steps out of order.
    assert_refused_everywhere(
        "a step that ends before it starts",
        "traj-unbalanced-K4-T10-inari",
        &|p: &Path| {
            edit(p, |v| {
                let pt = &mut v["series"][0]["points"][2];
                let t0 = pt["t0"].clone();
                pt["t0"] = pt["t1"].clone();
                pt["t1"] = t0;
            })
        },
        "is after t1",
    );
    assert_refused_everywhere(
        "a step that ends before it starts",
        "traj-unbalanced-K4-T10-inari",
        &|p: &Path| {
            edit(p, |v| {
                let pts = v["series"][0]["points"].as_array_mut().unwrap();
                pts.swap(3, 4);
            })
        },
        "before the previous step ends",
    );
}

#[test]
fn a_flipped_verdict_never_passes_regress() {
    // Every pinned certificate, its verdict changed to every other verdict, on either side.
    // (A consistent forgery, verdict and evidence edited together, is a regression: see
    // `edited_enclosures_inputs_and_families_are_regressions`.)
    for verdict in ["proved", "refuted", "undecided", "empirical"] {
        for side in ["fresh", "pinned"] {
            let (_tmp, p, f) = two_copies();
            let dir = if side == "pinned" { &p } else { &f };
            let mut flipped = Vec::new();
            for id in ids(dir) {
                let path = dir.join(format!("{id}.json"));
                let mut old = String::new();
                edit(&path, |v| {
                    old = v["verdict"].as_str().unwrap().to_string();
                    v["verdict"] = verdict.into();
                });
                if old != verdict {
                    flipped.push((id, old));
                }
            }
            assert!(flipped.len() >= 3, "{verdict}: {flipped:?}");
            let o = regress(&p, &f);
            // A bare verdict edit is inconsistent with the certificate's own margin and
            // escalation record: refused as unreadable (exit 2), naming a flipped file.
            assert_eq!(o.status.code(), Some(2), "{verdict} ({side}): {}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("inconsistent"), "{verdict} ({side}): {err}");
            assert!(
                flipped
                    .iter()
                    .any(|(id, _)| err.contains(&format!("{id}.json"))),
                "{verdict} ({side}): {err}"
            );
        }
    }
}

#[test]
fn edited_enclosures_inputs_and_families_are_regressions() {
    let id = "C1r-paley-K12-mpfr128";
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    // Which side an edit is a regression on: a wider, unbounded or missing *pinned* enclosure
    // makes the fresh one an improvement or a new enclosure (the pinned files are reviewed and
    // versioned; regress trusts them).
    const BOTH: &[&str] = &["fresh", "pinned"];
    const FRESH: &[&str] = &["fresh"];
    let cases: Vec<(&str, Edit, &str, &[&str])> = vec![
        (
            "an enclosure moved away",
            Box::new(|v| {
                v["enclosures"][1]["lower"] = "7".into();
                v["enclosures"][1]["upper"] = "8".into();
            }),
            "no longer intersects the pinned enclosure",
            BOTH,
        ),
        (
            "an enclosure made unbounded",
            Box::new(|v| v["enclosures"][1]["upper"] = "NaN".into()),
            "is no longer finite",
            FRESH,
        ),
        (
            "an enclosure widened tenfold",
            Box::new(|v| {
                let e = &mut v["enclosures"][1];
                let q = |s: &serde_json::Value| match parse_decimal(s.as_str().unwrap()) {
                    Ok(Bound::Finite(q)) => q,
                    b => panic!("{b:?}"),
                };
                let (lo, hi) = (q(&e["lower"]), q(&e["upper"]));
                let w = Rational::from(&hi - &lo) * 5u32;
                e["lower"] = exact_scientific(&Rational::from(&lo - &w)).into();
                e["upper"] = exact_scientific(&(hi + w)).into();
            }),
            "(more than the allowed 4x)",
            FRESH,
        ),
        (
            "an enclosure removed",
            Box::new(|v| {
                v["enclosures"].as_array_mut().unwrap().remove(1);
            }),
            "pinned, but missing from the fresh certificate",
            FRESH,
        ),
        (
            "an enclosure renamed",
            Box::new(|v| v["enclosures"][1]["name"] = "(Q^T S Q)_99".into()),
            "pinned, but missing from the fresh certificate",
            BOTH,
        ),
        (
            "the claim's inputs edited",
            Box::new(|v| v["inputs"]["width_bound"] = "1e-3".into()),
            "claim inputs differ from the pinned ones",
            BOTH,
        ),
        (
            "an input added",
            Box::new(|v| v["inputs"]["note"] = "edited".into()),
            "claim inputs differ from the pinned ones",
            BOTH,
        ),
        (
            "the claim family edited",
            Box::new(|v| v["claim"] = "C1".into()),
            "claim family changed: pinned C1r, fresh C1",
            BOTH,
        ),
    ];
    for (what, change, says, sides) in cases {
        for &side in sides {
            let (_tmp, p, f) = two_copies();
            let dir = if side == "pinned" { &p } else { &f };
            edit(&dir.join(format!("{id}.json")), &*change);
            let o = regress(&p, &f);
            assert_eq!(o.status.code(), Some(1), "{what} ({side}): {}", text(&o));
            let out = String::from_utf8_lossy(&o.stdout);
            // The message is written from the fresh side's point of view; a family edited on
            // the pinned side reads the other way round.
            let says = if side == "pinned" && says.starts_with("claim family") {
                "claim family changed: pinned C1, fresh C1r"
            } else {
                says
            };
            assert!(
                out.contains(&format!("REGRESSION {id}:")) && out.contains(says),
                "{what} ({side}) should be reported with `{says}`:\n{out}"
            );
            assert!(out.contains("FAILED: "), "{out}");
        }
    }
    // Two certificates swapped under each other's names: refused (file name and id differ).
    let (_tmp, p, f) = two_copies();
    let (a, b) = (
        f.join("C1-sylvester-K2-mpfr128.json"),
        f.join("C1-sylvester-K4-mpfr128.json"),
    );
    let (ta, tb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::write(&a, tb).unwrap();
    std::fs::write(&b, ta).unwrap();
    let o = regress(&p, &f);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("file name does not match"),
        "{}",
        text(&o)
    );
}

#[test]
fn temporary_files_are_never_read_as_certificates() {
    let (tmp, p, f) = two_copies();
    // What an interrupted run can leave: a half-written temporary certificate, a checkpoint,
    // a checkpoint's temporary file.
    let some = std::fs::read(f.join("C1-sylvester-K2-mpfr128.json")).unwrap();
    std::fs::write(
        f.join(".C1-sylvester-K2-mpfr128.json.tmp-4242"),
        &some[..some.len() / 3],
    )
    .unwrap();
    std::fs::write(
        f.join(".region.checkpoint.json"),
        b"{\"claim_digest\": \"0\"",
    )
    .unwrap();
    std::fs::write(f.join(".region.checkpoint.tmp-4242"), b"{").unwrap();
    let o = regress(&p, &f);
    assert!(o.status.success(), "{}", text(&o));
    let o = report(&f, &tmp.path().join("report"));
    assert!(o.status.success(), "{}", text(&o));
}

/// A tiny claim (milliseconds) for the resume checks.
const TINY: &str = r#"
[[claim]]
id = "tiny"
kind = "C1"
expect = "proved"
backend = "mpfr"
precision_bits = 64
width_bound = "1e-10"
matrix = { family = "sylvester", order = 4 }
lambda = { kind = "list", values = ["0", "1/2", "1", "3/2"] }
"#;

#[test]
fn resume_recomputes_a_certificate_whose_digest_was_edited() {
    let tmp = tempfile::tempdir().unwrap();
    let claims = tmp.path().join("tiny.toml");
    std::fs::write(&claims, TINY).unwrap();
    let out = tmp.path().join("out");
    let certify = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_hadacert"))
            .arg("certify")
            .arg(&claims)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    };
    certify(&[]);
    let path = out.join("tiny.json");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The digest edited (and a marker, to tell a reused file from a recomputed one).
    edit(&path, |v| {
        v["claim_digest"] = "0123456789abcdef".into();
        v["elapsed_ms"] = 999_999_999u64.into();
    });
    certify(&["--resume"]);
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(again["claim_digest"], original["claim_digest"]);
    assert_ne!(
        again["elapsed_ms"], 999_999_999u64,
        "recomputed, not reused"
    );
    // A certificate for another claim under this claim's name (its digest differs): recomputed.
    let other = std::fs::read_to_string(pinned_dir().join("C1-sylvester-K4-mpfr128.json"))
        .unwrap()
        .replace("\"id\": \"C1-sylvester-K4-mpfr128\"", "\"id\": \"tiny\"");
    std::fs::write(&path, other).unwrap();
    certify(&["--resume"]);
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(again["claim_digest"], original["claim_digest"]);
    assert_eq!(again["inputs"], original["inputs"]);
}

#[test]
fn a_claim_digest_is_a_function_of_the_inputs_it_records() {
    // What makes an edited `inputs` or `claim_digest` detectable at all: the digest of every
    // pinned certificate is recomputed from its recorded inputs and crate version.
    use hadacert::claim::{fnv1a64, ClaimSpec};
    for id in ids(&pinned_dir()) {
        let c = read_strict(&pinned_dir().join(format!("{id}.json")))
            .unwrap()
            .cert;
        let spec: ClaimSpec = serde_json::from_value(c.inputs.clone()).unwrap();
        let text = serde_json::to_string(&spec).unwrap();
        let digest = format!(
            "{:016x}",
            fnv1a64(format!("{}|{text}", c.crate_version).as_bytes())
        );
        assert_eq!(digest, c.claim_digest, "{id}");
        // The same rule as the crate's own (for this crate version).
        let current = format!(
            "{:016x}",
            fnv1a64(format!("{}|{text}", env!("CARGO_PKG_VERSION")).as_bytes())
        );
        assert_eq!(current, hadacert::claim::claim_digest(&spec), "{id}");
        // ... and an edit of the inputs changes it.
        let mut edited = spec.clone();
        edited.note = Some("edited".into());
        let text = serde_json::to_string(&edited).unwrap();
        let other = format!(
            "{:016x}",
            fnv1a64(format!("{}|{text}", c.crate_version).as_bytes())
        );
        assert_ne!(other, c.claim_digest, "{id}");
    }
}

#[test]
fn certificates_with_extreme_enclosures_stay_readable() {
    // A valid claim whose state is huge (lambda up to 7 * 2^64): MPFR's wide exponent range
    // carries the computation, and some enclosure ends are as small as 1e-323228497. Whatever
    // `certify` writes, `report` and `regress` must be able to read back (found by the claim
    // fuzzer, tests/it/fuzz_claims.rs).
    let text = r#"
[[claim]]
id = "huge-state"
kind = "C4"
expect = "undecided"
backend = "mpfr"
precision_bits = 128
width_bound = "1e-30"
flow = "balanced"
start = { kind = "progression", start = "0", step = "18446744073709551616", len = 8 }
"#;
    let claims = hadacert::claim::parse_claims(text, Path::new("huge.toml")).unwrap();
    let cert = hadacert::claim::certify(&claims[0]);
    let tmp = tempfile::tempdir().unwrap();
    let path = hadacert::cert::write_atomic(tmp.path(), &cert).unwrap();
    if let Err(e) = read_strict(&path) {
        panic!("certify wrote a certificate that report and regress refuse: {e}");
    }
}

/// A verdict edited by hand, without the margin and checks that go with it, is refused by the
/// report's reader (`report` exits 2), whichever way it was flipped.
#[test]
fn hand_edited_verdicts_are_inconsistent_and_refused() {
    use hadacert::cert::Verdict;
    use hadacert::report::folder::check_verdict_consistency;
    let claims = hadacert::claim::parse_claims(
        r#"
[[claim]]
id = "paley12"
kind = "C1r"
expect = "refuted"
backend = "inari"
matrix = { family = "paley", q = 11 }
lambda = { kind = "progression", start = "0", step = "1/4", len = 12 }
width_bound = "1e-6"
"#,
        std::path::Path::new("inline.toml"),
    )
    .unwrap();
    let cert = hadacert::claim::certify(&claims[0]);
    assert_eq!(cert.verdict, Verdict::Refuted);
    check_verdict_consistency(&cert).unwrap();
    for v in [Verdict::Proved, Verdict::Undecided, Verdict::Empirical] {
        let mut edited = cert.clone();
        edited.verdict = v;
        assert!(check_verdict_consistency(&edited).is_err(), "{v} accepted");
    }
}
