//! Determinism: the same claims give byte-identical certificates (apart from `elapsed_ms`)
//! whatever the number of worker threads, and inari's rounding-mode changes on worker threads
//! leave f64 results on other threads bit-identical.

use std::path::Path;
use std::process::Command;

fn certify(out: &Path, jobs: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_hadacert"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "certify",
            "proofs-data/c1",
            "proofs-data/c1r",
            "proofs-data/c2",
            "proofs-data/trajectory/refuted.toml",
        ])
        .args([
            "--only",
            "*K[0-9]-*",
            "--only",
            "*K16-*",
            "--only",
            "*-false",
        ])
        .arg("--out")
        .arg(out)
        .args(["--jobs", jobs])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn without_times(path: &Path) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["elapsed_ms"] = serde_json::Value::Null;
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn certificates_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, eight) = (
        dir.path().join("1"),
        dir.path().join("2"),
        dir.path().join("8"),
    );
    certify(&one, "1");
    certify(&two, "2");
    certify(&eight, "8");
    let mut names: Vec<_> = std::fs::read_dir(&one)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "too few certificates compared: {names:?}");
    for n in &names {
        let a = without_times(&one.join(n));
        assert_eq!(
            a,
            without_times(&two.join(n)),
            "{n:?} differs between 1 and 2 threads"
        );
        assert_eq!(
            a,
            without_times(&eight.join(n)),
            "{n:?} differs between 1 and 8 threads"
        );
    }
}

#[test]
fn f64_on_other_threads_is_unaffected_by_interval_work() {
    use hadacert::arith::{Field, Ival};
    use hadacert::spectral::field::enclose_balanced_field;
    let lam: Vec<f64> = (0..64)
        .map(|m| (m as f64 * 0.37).sin().abs() * 3.0)
        .collect();
    let reference: Vec<u64> = enclose_balanced_field(&lam)
        .iter()
        .map(|x| x.to_bits())
        .collect();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let q: Vec<Ival> = (0..64)
                    .map(|m| Ival::from_rational(&rug::Rational::from((m, 7)), 53))
                    .collect();
                for _ in 0..200 {
                    std::hint::black_box(enclose_balanced_field(&q));
                }
            });
        }
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..200 {
                    let bits: Vec<u64> = enclose_balanced_field(&lam)
                        .iter()
                        .map(|x| x.to_bits())
                        .collect();
                    assert_eq!(
                        bits, reference,
                        "f64 results changed while inari ran on other threads"
                    );
                }
            });
        }
    });
}
