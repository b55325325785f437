//! `hadacert explain`: the explanation is made from the certificate alone and says what decided
//! it, or why nothing did and what to try.

use hadacert::report::explain::{causes, explain};
use std::process::Command;

fn certify_text(text: &str) -> Vec<hadacert::cert::Certificate> {
    crate::common::certify_text_as(text, "explain.toml")
}

#[test]
fn undecided_claims_name_their_cause_and_what_to_try() {
    let certs = certify_text(
        r#"
[[claim]]
id = "paley-40"
kind = "C1r"
expect = "undecided"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "paley", q = 11 }
lambda = { kind = "progression", start = "40", step = "0", len = 12 }

[[claim]]
id = "zero-mode"
kind = "trajectory"
expect = "undecided"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "0", "1", "2"] }
horizon = "1"
bounds = [{ quantity = "V", at = "end", below = "1" }]
"#,
    );
    let paley = explain(&certs[0]);
    assert!(paley.contains("verdict: undecided"), "{paley}");
    assert!(paley.contains("statement: Q^T softmax"), "{paley}");
    assert!(paley.contains("no exact argument"), "{paley}");
    assert!(paley.contains("try:"), "{paley}");

    let zero = &certs[1];
    assert_eq!(
        zero.verdict,
        hadacert::cert::Verdict::Undecided,
        "{:?}",
        zero.checks
    );
    let found = causes(zero);
    assert!(
        found.iter().any(|c| c.finding.contains("a mode is 0")),
        "a zero mode must be named as the cause: {found:?}\n{}",
        explain(zero)
    );
}

#[test]
fn decided_claims_show_the_deciding_checks_and_certified_digits() {
    let certs = certify_text(
        r#"
[[claim]]
id = "loss-false"
kind = "trajectory"
expect = "refuted"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "0.1", "0.3", "0.55", "0.8", "1.2", "2", "3"] }
horizon = "1"
bounds = [{ quantity = "loss", at = "all", below = "1" }]

[[claim]]
id = "c1-k8"
kind = "C1"
expect = "proved"
backend = "mpfr"
precision_bits = 128
width_bound = "1e-30"
matrix = { family = "sylvester", order = 8 }
lambda = { kind = "progression", start = "0", step = "1/2", len = 8 }
"#,
    );
    let refuted = explain(&certs[0]);
    assert!(refuted.contains("verdict: refuted"), "{refuted}");
    assert!(
        refuted.contains("decided by: the checks that certainly fail"),
        "{refuted}"
    );
    assert!(refuted.contains("certainly violated"), "{refuted}");
    assert!(!refuted.contains("why, and what to try"), "{refuted}");
    let proved = explain(&certs[1]);
    assert!(proved.contains("verdict: proved"), "{proved}");
    assert!(proved.contains("+ exact argument"), "{proved}");
    assert!(proved.contains("margin (a lower bound"), "{proved}");
}

#[test]
fn the_command_reads_a_file_or_an_id_and_refuses_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_hadacert");
    let claims = dir.path().join("c.toml");
    std::fs::write(
        &claims,
        r#"
[[claim]]
id = "c1-k4"
kind = "C1"
expect = "proved"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "sylvester", order = 4 }
lambda = { kind = "progression", start = "0", step = "1", len = 4 }
"#,
    )
    .unwrap();
    let out = dir.path().join("certs");
    let st = Command::new(bin)
        .args(["certify"])
        .arg(&claims)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for target in [
        "c1-k4".to_string(),
        out.join("c1-k4.json").display().to_string(),
    ] {
        let o = Command::new(bin)
            .args(["explain", &target, "--certs"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("verdict: proved"));
    }
    let o = Command::new(bin)
        .args(["explain", "no-such-id", "--certs"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no-such-id") && err.lines().count() == 1,
        "{err}"
    );
    // A corrupt certificate is an error naming the file, never a panic.
    let bad = out.join("c1-k4.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let o = Command::new(bin)
        .args(["explain"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("c1-k4.json"));
}

/// The verdict table says why under each mismatch and each undecided verdict, within 120
/// columns, and says nothing extra when every verdict is decided as expected.
#[test]
fn the_verdict_table_gives_the_reason_under_each_mismatch_and_undecided_row() {
    let mut certs = certify_text(
        r#"
[[claim]]
id = "paley-40"
kind = "C1r"
expect = "undecided"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "paley", q = 11 }
lambda = { kind = "progression", start = "40", step = "0", len = 12 }

[[claim]]
id = "c1-k4"
kind = "C1"
expect = "proved"
backend = "inari"
width_bound = "1e-12"
matrix = { family = "sylvester", order = 4 }
lambda = { kind = "progression", start = "0", step = "1", len = 4 }
"#,
    );
    let reasons = hadacert::report::reasons(&certs);
    assert!(reasons.starts_with("paley-40: undecided\n"), "{reasons}");
    assert!(reasons.contains("  - exact argument"), "{reasons}");
    assert!(reasons.contains("  try: "), "{reasons}");
    assert!(!reasons.contains("c1-k4"), "{reasons}");
    assert!(
        reasons.lines().all(|l| l.chars().count() <= 120),
        "{reasons}"
    );
    // A mismatch names what was expected.
    certs[1].expect = hadacert::cert::Verdict::Refuted;
    let table = hadacert::report::verdict_table(&certs);
    assert!(
        table.contains("c1-k4: MISMATCH (expected refuted): the verdict is proved"),
        "{table}"
    );
    // The table: 120 columns, the documented header, one row per certificate with its short
    // statement and what decided it.
    assert!(table.lines().all(|l| l.chars().count() <= 120), "{table}");
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "claim",
            "verdict",
            "expect",
            "backend",
            "decided by",
            "margin"
        ],
        "{table}"
    );
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row {id}: {table}"))
    };
    let c1 = row("c1-k4 ");
    assert!(
        c1.contains("C1 diagonal, K=4") && c1.contains("MISMATCH"),
        "{c1}"
    );
    assert!(
        c1.contains("exact arg.+enclosures") && c1.contains("inari"),
        "{c1}"
    );
    let paley = row("paley-40 ");
    assert!(paley.contains("C1r diag., Paley K=12"), "{paley}");
    assert!(
        paley.contains("nothing (see below)") && paley.trim_end().ends_with('-'),
        "{paley}"
    );
    // Decided as expected: no reason section.
    certs[1].expect = hadacert::cert::Verdict::Proved;
    assert!(hadacert::report::reasons(&certs[1..]).is_empty());
}

/// "decided by" says which argument closed a region and over how many boxes, and how a
/// trajectory claim was decided; the short statement echoes a trajectory bound as written.
#[test]
fn the_verdict_table_says_what_decided_each_row() {
    let certs = certify_text(
        r#"
[[claim]]
id = "region-by-intervals"
kind = "C4region"
expect = "proved"
backend = "inari"
quantity = "V"
k = 4
normalised_lo = { kind = "list", values = ["0.05", "0.3", "0.3"] }
normalised_hi = { kind = "list", values = ["0.15", "0.6", "0.6"] }
scale = ["1", "2"]
nc_radius = "0"
max_depth = 40
max_boxes = 50000

[[claim]]
id = "region-by-sign"
kind = "C5k4"
expect = "proved"
backend = "inari"
quantity = "M2"
k = 4
normalised_lo = { kind = "list", values = ["0.01", "0.01", "0.01"] }
normalised_hi = { kind = "list", values = ["0.98", "0.98", "0.98"] }
scale = ["0.01", "100"]
nc_radius = "1"
max_boxes = 1000

[[claim]]
id = "traj"
kind = "trajectory"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "1", "2", "3"] }
horizon = "1"
bounds = [{ quantity = "V", at = "end", below = "0.75" }]
"#,
    );
    let table = hadacert::report::verdict_table(&certs);
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row {id}: {table}"))
    };
    // the interval row counts exactly the boxes its "closed by" checks record
    let by_intervals = &certs[0];
    let closed: u64 = by_intervals
        .checks
        .iter()
        .filter(|k| k.name.starts_with("closed by") && !k.name.contains("off-region"))
        .map(|k| {
            k.detail
                .split_whitespace()
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert!(closed > 1, "{:?}", by_intervals.checks);
    assert!(
        row("region-by-intervals").contains(&format!("intervals, {closed} boxes")),
        "{table}"
    );
    let sign = row("region-by-sign ");
    assert!(
        sign.contains("sign arg., 1 box") && sign.contains("C5k4 dM2/dt<=0, K=4"),
        "{table}"
    );
    assert!(sign.trim_end().ends_with(" 0"), "{table}");
    let traj = row("traj ");
    assert!(traj.contains("traj V<0.75 at T"), "{table}");
    assert!(
        traj.contains("trajectory, ") && traj.contains(" steps"),
        "{table}"
    );
    assert!(table.lines().all(|l| l.chars().count() <= 120), "{table}");
}
