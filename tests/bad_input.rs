//! Bad input: every malformed claim gives a clear error naming the file, the claim id and the
//! field; nothing panics. Also the command line's exit codes, resume and atomic writes.

use hadacert::claim::parse_claims;
use std::path::Path;
use std::process::Command;

const GOOD: &str = r#"
[[claim]]
id = "ok"
kind = "C1"
expect = "proved"
backend = "mpfr"
precision_bits = 64
width_bound = "1e-10"
matrix = { family = "sylvester", order = 4 }
lambda = { kind = "list", values = ["0", "1/2", "1", "3/2"] }
"#;

/// Parse `text` as `bad.toml`, expect an error, and check it names the file, id and field.
fn check(text: &str, id: &str, field: &str, says: &str) {
    let err = parse_claims(text, Path::new("bad.toml")).expect_err("must be rejected");
    let msg = err.to_string();
    assert_eq!(err.file, Path::new("bad.toml"));
    assert_eq!(err.id, id, "wrong id in: {msg}");
    assert_eq!(err.field, field, "wrong field in: {msg}");
    assert!(
        msg.contains("bad.toml") && msg.contains(says),
        "message `{msg}` should mention `{says}`"
    );
}

fn with(line_from: &str, line_to: &str) -> String {
    assert!(
        GOOD.contains(line_from),
        "fixture line `{line_from}` not found"
    );
    GOOD.replace(line_from, line_to)
}

#[test]
fn the_fixture_is_valid() {
    assert_eq!(parse_claims(GOOD, Path::new("good.toml")).unwrap().len(), 1);
}

#[test]
fn malformed_toml() {
    check("[[claim]\nid = 1", "?", "-", "not valid TOML");
    check("", "?", "claim", "no [[claim]]");
    check("claim = 3", "?", "claim", "array of tables");
    check(
        "title = \"x\"\n[[claim]]\nid = \"a\"",
        "?",
        "title",
        "unknown top-level key",
    );
}

#[test]
fn unknown_kind_and_backend() {
    check(
        &with("kind = \"C1\"", "kind = \"C99\""),
        "ok",
        "kind",
        "unknown kind `C99`",
    );
    check(
        &with("backend = \"mpfr\"", "backend = \"f64\""),
        "ok",
        "backend",
        "f64 never certifies",
    );
    check(
        &with("backend = \"mpfr\"", "backend = \"gpu\""),
        "ok",
        "backend",
        "unknown variant `gpu`",
    );
}

#[test]
fn missing_and_misspelled_fields() {
    check(
        &with("expect = \"proved\"\n", ""),
        "ok",
        "expect",
        "missing field `expect`",
    );
    check(
        &with("lambda = ", "lamda = "),
        "ok",
        "lamda",
        "unknown field `lamda`",
    );
    check(
        &with("width_bound = \"1e-10\"\n", ""),
        "ok",
        "width_bound",
        "missing",
    );
}

#[test]
fn sylvester_order_not_power_of_two() {
    check(
        &with("order = 4", "order = 12"),
        "ok",
        "matrix.order",
        "power of two",
    );
    check(
        &with("order = 4", "order = 0"),
        "ok",
        "matrix.order",
        "power of two",
    );
}

#[test]
fn paley_needs_prime_3_mod_4() {
    let t = with(
        "{ family = \"sylvester\", order = 4 }",
        "{ family = \"paley\", q = 13 }",
    );
    check(&t, "ok", "matrix.q", "q = 3 (mod 4)");
}

#[test]
fn non_finite_and_non_numeric_entries() {
    check(
        &with("\"1/2\"", "\"inf\""),
        "ok",
        "lambda.values[1]",
        "not a finite number",
    );
    check(
        &with("\"1/2\"", "\"NaN\""),
        "ok",
        "lambda.values[1]",
        "not a finite number",
    );
    check(
        &with("\"1/2\"", "\"abc\""),
        "ok",
        "lambda.values[1]",
        "not an exact decimal",
    );
    check(
        &with("\"1/2\"", "\"1/0\""),
        "ok",
        "lambda.values[1]",
        "zero denominator",
    );
    check(
        &with("\"1/2\"", "\"1e999999999\""),
        "ok",
        "lambda.values[1]",
        "too large",
    );
    check(
        &with("\"1e-10\"", "\"-1e-10\""),
        "ok",
        "width_bound",
        "must be > 0",
    );
}

#[test]
fn numbers_must_be_strings() {
    // A bare TOML float would already have been rounded to f64: refused.
    check(
        &with("\"1/2\"", "0.5"),
        "ok",
        "lambda",
        "invalid type: floating point `0.5`, expected a string",
    );
}

#[test]
fn wrong_lengths() {
    check(
        &with("\"3/2\"]", "\"3/2\", \"2\"]"),
        "ok",
        "lambda",
        "has length 5 but the matrix has order 4",
    );
    let c2 = r#"
[[claim]]
id = "c2"
kind = "C2"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
a = { kind = "list", values = ["1", "2", "3", "4"] }
b = { kind = "list", values = ["1", "2", "3"] }
embedding = { kind = "coordinate", dim = 4 }
"#;
    check(c2, "c2", "b", "has length 3 but `a` has length 4");
    check(
        &c2.replace("dim = 4", "dim = 3")
            .replace("\"3\"]", "\"3\", \"4\"]"),
        "c2",
        "embedding.dim",
        "dim",
    );
    let c2h = c2.replace("\"3\"]", "\"3\", \"4\"]").replace(
        "{ kind = \"coordinate\", dim = 4 }",
        "{ kind = \"householder\", dim = 5, v = [\"1\"] }",
    );
    check(&c2h, "c2", "embedding.v", "has length 1 but dim is 5");
}

#[test]
fn precision_limits() {
    check(
        &with("precision_bits = 64", "precision_bits = 16777216"),
        "ok",
        "precision_bits",
        "must be in",
    );
    check(
        &with("precision_bits = 64", "precision_bits = 2"),
        "ok",
        "precision_bits",
        "must be in",
    );
}

#[test]
fn bad_transforms() {
    let t = |tr: &str| {
        with(
            "order = 4 }",
            &format!("order = 4, transform = {{ {tr} }} }}"),
        )
    };
    check(
        &t("row_perm = [0, 1, 1, 2]"),
        "ok",
        "matrix.transform.row_perm",
        "not a permutation",
    );
    check(
        &t("col_perm = [0, 1]"),
        "ok",
        "matrix.transform.col_perm",
        "not a permutation",
    );
    check(
        &t("row_flip = [9]"),
        "ok",
        "matrix.transform.row_flip",
        "out of range",
    );
    check(
        &t("row_perm = [0, 1, 2, 3], row_perm_seed = 3"),
        "ok",
        "matrix.transform.row_perm",
        "not both",
    );
}

#[test]
fn duplicate_ids_and_bad_ids() {
    let twice = format!("{GOOD}\n{GOOD}");
    check(&twice, "ok", "id", "duplicate id");
    check(
        &with("id = \"ok\"", "id = \"../etc/passwd\""),
        "../etc/passwd",
        "id",
        "[A-Za-z0-9._-]",
    );
}

#[test]
fn huge_order_refused_up_front() {
    check(
        &with("order = 4", "order = 1073741824"),
        "ok",
        "matrix.order",
        "exceeds the limit",
    );
    let t = with(
        "{ kind = \"list\", values = [\"0\", \"1/2\", \"1\", \"3/2\"] }",
        "{ kind = \"progression\", start = \"0\", step = \"1\", len = 1073741824 }",
    );
    check(&t, "ok", "lambda", "outside");
}

fn hadacert() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hadacert"))
}

#[test]
fn cli_reports_bad_files_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, with("order = 4", "order = 6")).unwrap();
    let out = hadacert()
        .arg("certify")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("claim `ok`") && err.contains("matrix.order"),
        "{err}"
    );
    let missing = hadacert()
        .current_dir(dir.path())
        .arg("certify")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("proofs-data: no such file or folder")
    );
}

#[test]
fn cli_exit_code_1_when_a_verdict_differs_from_expect() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("wrong.toml");
    std::fs::write(&f, with("expect = \"proved\"", "expect = \"refuted\"")).unwrap();
    let out = hadacert()
        .arg("certify")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISMATCH (expected refuted)"));
}

#[test]
fn cli_writes_certificates_atomically_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("claims.toml");
    let second = GOOD
        .replace("id = \"ok\"", "id = \"ok2\"")
        .replace("\"3/2\"", "\"2\"");
    std::fs::write(&f, format!("{GOOD}\n{second}")).unwrap();
    let out_dir = dir.path().join("out");
    let run = |extra: &[&str]| {
        let o = hadacert()
            .arg("certify")
            .arg(&f)
            .arg("--out")
            .arg(&out_dir)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&[]);
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "exactly the two certificates, no temporary files: {names:?}"
    );
    // Simulate an interrupted run: one certificate lost, one truncated.
    std::fs::remove_file(out_dir.join("ok.json")).unwrap();
    let kept = std::fs::read_to_string(out_dir.join("ok2.json")).unwrap();
    let mut marked: serde_json::Value = serde_json::from_str(&kept).unwrap();
    marked["elapsed_ms"] = serde_json::json!(987654321);
    std::fs::write(
        out_dir.join("ok2.json"),
        serde_json::to_string(&marked).unwrap(),
    )
    .unwrap();
    run(&["--resume"]);
    let ok2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("ok2.json")).unwrap()).unwrap();
    assert_eq!(
        ok2["elapsed_ms"], 987654321,
        "a valid certificate with the same digest is reused"
    );
    assert!(
        out_dir.join("ok.json").exists(),
        "the missing certificate is recomputed"
    );
    // A truncated certificate is not trusted: recomputed.
    std::fs::write(out_dir.join("ok2.json"), &kept[..kept.len() / 2]).unwrap();
    run(&["--resume"]);
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("ok2.json")).unwrap()).unwrap();
    assert_eq!(again["verdict"], "proved");
}

#[test]
fn c4_states_need_positive_modes_and_a_flow() {
    let c4 = r#"
[[claim]]
id = "c4"
kind = "C4"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "1", "0", "2"] }
"#;
    check(c4, "c4", "start", "lambda_m > 0");
    check(
        &c4.replace("flow = \"balanced\"\n", ""),
        "c4",
        "flow",
        "missing",
    );
    check(
        &c4.replace("\"balanced\"", "\"nc_ray\""),
        "c4",
        "flow",
        "unknown flow `nc_ray`",
    );
    let unb = c4
        .replace("\"balanced\"", "\"unbalanced\"")
        .replace("\"0\", \"2\"]", "\"1\", \"2\"]");
    check(&unb, "c4", "start_b", "missing");
}

#[test]
fn c7_states_are_checked() {
    let c7 = r#"
[[claim]]
id = "c7"
kind = "C7"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
check = "saddle"
mode = 1
start = { kind = "list", values = ["1", "1", "0", "0"] }
start_b = { kind = "list", values = ["1", "0", "0", "0"] }
"#;
    check(c7, "c7", "start", "supported on mode 0 only");
    check(
        &c7.replace("mode = 1", "mode = 4"),
        "c7",
        "mode",
        "must be in 1..4",
    );
    check(
        &c7.replace("\"saddle\"", "\"maximum\""),
        "c7",
        "check",
        "unknown check `maximum`",
    );
    let zero = c7.replace("\"saddle\"", "\"zero_mode\"");
    check(&zero, "c7", "start", "a zero mode needs a_1 = b_1 = 0");
}

#[test]
fn trajectory_decreasing_quantities_are_checked() {
    let t = r#"
[[claim]]
id = "t"
kind = "trajectory"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "1", "2", "3"] }
horizon = "1"
decreasing = ["V"]
"#;
    assert_eq!(
        parse_claims(t, Path::new("ok.toml")).unwrap().len(),
        1,
        "a decreasing quantity alone is a claim"
    );
    check(
        &t.replace("[\"V\"]", "[\"V\", \"W\"]"),
        "t",
        "decreasing[1]",
        "unknown quantity `W`",
    );
    check(
        &t.replace("decreasing = [\"V\"]\n", ""),
        "t",
        "bounds",
        "missing",
    );
}
