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
        "invalid type: a bare TOML number where an exact decimal string is required",
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

// ---------------------------------------------------------------------------------------------
// Limits (issue 8): huge K, precision, horizons, vectors, budgets are refused up front, by
// validation alone, with the limit in the message; nothing is allocated or computed first.

/// One claim of each kind, valid as written (validation only: none is certified here).
const KINDS: &str = r#"
[[claim]]
id = "c1"
kind = "C1"
expect = "proved"
backend = "mpfr"
precision_bits = 128
width_bound = "1e-30"
matrix = { family = "sylvester", order = 4 }
lambda = { kind = "progression", start = "0", step = "1/2", len = 4 }

[[claim]]
id = "c2"
kind = "C2"
expect = "proved"
backend = "mpfr"
width_bound = "1e-30"
a = { kind = "list", values = ["0", "1/2", "3/4", "1"] }
b = { kind = "list", values = ["1/3", "2", "0.6", "1.25"] }
embedding = { kind = "coordinate", dim = 6 }

[[claim]]
id = "traj"
kind = "trajectory"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "0.1", "0.3", "0.55"] }
horizon = "10"
bounds = [{ quantity = "V", at = "end", below = "1" }]

[[claim]]
id = "ray"
kind = "trajectory"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
flow = "nc_ray"
ray_k = 8
start = { kind = "list", values = ["1/2"] }
horizon = "10"
bounds = [{ quantity = "l", at = "end", below = "10" }]

[[claim]]
id = "c6"
kind = "C6"
expect = "proved"
backend = "mpfr"
width_bound = "1e-20"
ks = [2, 8]
l0 = "1"
ls = ["2", "5"]
ray_k = 8
ray_l0 = "1/2"
ray_times = ["10"]
start = { kind = "list", values = ["0", "0.1", "0.3", "0.55"] }
horizon = "1"

[[claim]]
id = "c8"
kind = "C8"
expect = "empirical"
backend = "f64"
k = 4
seed = 1
init_scale = "0.1"
horizon = "10"
step = "0.5"
agreement = "1e-12"
step_agreement = "1e-4"

[[claim]]
id = "c4"
kind = "C4"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
flow = "balanced"
start = { kind = "list", values = ["0", "1", "2", "3"] }

[[claim]]
id = "c7"
kind = "C7"
expect = "proved"
backend = "inari"
width_bound = "1e-8"
check = "saddle"
mode = 1
start = { kind = "list", values = ["1", "0", "0", "0"] }
start_b = { kind = "list", values = ["2", "0", "0", "0"] }

[[claim]]
id = "region"
kind = "C4region"
expect = "proved"
backend = "inari"
quantity = "V"
k = 4
normalised_lo = { kind = "list", values = ["0.01", "0.01", "0.01"] }
normalised_hi = { kind = "list", values = ["0.98", "0.98", "0.98"] }
scale = ["0.01", "30"]
nc_radius = "0.1"
"#;

/// The claim `id` of [`KINDS`], alone.
fn kind_claim(id: &str) -> String {
    let start = KINDS
        .find(&format!("[[claim]]\nid = \"{id}\"\n"))
        .unwrap_or_else(|| panic!("no claim {id}"));
    let rest = &KINDS[start + 9..];
    let end = rest
        .find("[[claim]]")
        .map_or(KINDS.len(), |e| start + 9 + e);
    KINDS[start..end].to_string()
}

/// The claim `id` with `from` replaced by `to` (which must occur).
fn edit_claim(id: &str, from: &str, to: &str) -> String {
    let c = kind_claim(id);
    assert!(c.contains(from), "`{from}` not in claim {id}");
    c.replace(from, to)
}

#[test]
fn every_kind_fixture_is_valid() {
    let claims = parse_claims(KINDS, Path::new("kinds.toml")).unwrap();
    assert_eq!(claims.len(), 9);
}

#[test]
fn huge_k_is_refused_for_every_kind() {
    let k30 = "1073741824";
    let prog = |len: &str| {
        format!("{{ kind = \"progression\", start = \"1\", step = \"1\", len = {len} }}")
    };
    let list4 = "{ kind = \"list\", values = [\"0\", \"0.1\", \"0.3\", \"0.55\"] }";
    // The matrix families.
    check(
        &edit_claim("c1", "order = 4", &format!("order = {k30}")),
        "c1",
        "matrix.order",
        "exceeds the limit 8192",
    );
    check(
        &edit_claim(
            "c1",
            "{ family = \"sylvester\", order = 4 }",
            "{ family = \"paley\", q = 2147483647 }",
        ),
        "c1",
        "matrix.q",
        "exceeds the limit 8192",
    );
    // K as the length of a vector: the vector is refused before it is expanded.
    for (id, field, from) in [
        (
            "c1",
            "lambda",
            "{ kind = \"progression\", start = \"0\", step = \"1/2\", len = 4 }",
        ),
        (
            "c2",
            "a",
            "{ kind = \"list\", values = [\"0\", \"1/2\", \"3/4\", \"1\"] }",
        ),
        ("traj", "start", list4),
        ("c6", "start", list4),
        (
            "c4",
            "start",
            "{ kind = \"list\", values = [\"0\", \"1\", \"2\", \"3\"] }",
        ),
        (
            "c7",
            "start",
            "{ kind = \"list\", values = [\"1\", \"0\", \"0\", \"0\"] }",
        ),
    ] {
        check(
            &edit_claim(id, from, &prog(k30)),
            id,
            field,
            "length 1073741824 is outside 1..=8192",
        );
    }
    // K as a number.
    check(
        &edit_claim("ray", "ray_k = 8", &format!("ray_k = {k30}")),
        "ray",
        "ray_k",
        "2..=2^20",
    );
    check(
        &edit_claim("c6", "ks = [2, 8]", &format!("ks = [2, {k30}]")),
        "c6",
        "ks",
        "2..=2^20",
    );
    check(
        &edit_claim("c6", "ray_k = 8", &format!("ray_k = {k30}")),
        "c6",
        "ray_k",
        "2..=2^20",
    );
    check(
        &edit_claim("c8", "k = 4", &format!("k = {k30}")),
        "c8",
        "k",
        "power of two in 2..=64",
    );
    check(
        &edit_claim("region", "k = 4", &format!("k = {k30}")),
        "region",
        "k",
        "power of two in 4..=64",
    );
    // K within the vector limit but beyond a kind's own: the limit, its reason and its cost.
    check(
        &edit_claim("traj", list4, &prog("8192")),
        "traj",
        "start",
        "K = 8192 exceeds the limit 4096 (K must be a power of two in 2..=4096): the validated \
         trajectory's cost per step grows",
    );
    check(
        &edit_claim("c6", list4, &prog("8192")),
        "c6",
        "start",
        "exceeds the limit 4096",
    );
    check(
        &edit_claim(
            "c7",
            "{ kind = \"list\", values = [\"1\", \"0\", \"0\", \"0\"] }",
            &prog("32"),
        ),
        "c7",
        "start",
        "power of two in 2..=16",
    );
}

#[test]
fn huge_precision_is_refused() {
    for p in ["16777216", "65537", "4294967295"] {
        check(
            &edit_claim(
                "c1",
                "precision_bits = 128",
                &format!("precision_bits = {p}"),
            ),
            "c1",
            "precision_bits",
            "must be in 16..=65536",
        );
    }
    // Beyond u32: refused by the parser, naming the field.
    check(
        &edit_claim(
            "c1",
            "precision_bits = 128",
            "precision_bits = 1099511627776",
        ),
        "c1",
        "precision_bits",
        "invalid value: integer `1099511627776`",
    );
    // The escalation ceiling.
    check(
        &edit_claim(
            "c1",
            "precision_bits = 128",
            "precision_bits = 128\ntarget_width = \"1e-300\"\nmax_precision_bits = 16777216",
        ),
        "c1",
        "max_precision_bits",
        "must be in precision_bits..=65536",
    );
    // C8's comparison run.
    check(
        &edit_claim("c8", "k = 4", "k = 4\nprecision_bits = 16777216"),
        "c8",
        "precision_bits",
        "must be in 16..=65536",
    );
}

#[test]
fn absurd_horizons_are_refused() {
    for h in [
        "1000001",
        "1e7",
        "1e30",
        "1e9999",
        "10000000000000000000000000/3",
    ] {
        for id in ["traj", "ray", "c6"] {
            let from = if id == "c6" {
                "horizon = \"1\""
            } else {
                "horizon = \"10\""
            };
            check(
                &edit_claim(id, from, &format!("horizon = \"{h}\"")),
                id,
                "horizon",
                "must be in (0, 1000000]",
            );
        }
        check(
            &edit_claim(
                "c6",
                "ray_times = [\"10\"]",
                &format!("ray_times = [\"10\", \"{h}\"]"),
            ),
            "c6",
            "ray_times[1]",
            "times must increase within (0, 1000000]",
        );
    }
    // Beyond the exact parser's exponent limit: refused before any big number is built.
    check(
        &edit_claim("traj", "horizon = \"10\"", "horizon = \"1e999999999\""),
        "traj",
        "horizon",
        "too large",
    );
    for h in ["0", "-1", "-0"] {
        check(
            &edit_claim("traj", "horizon = \"10\"", &format!("horizon = \"{h}\"")),
            "traj",
            "horizon",
            "must be in (0, 1000000]",
        );
    }
    // C8: too many steps for its horizon, and too much work (steps x K^3 x limbs).
    check(
        &edit_claim("c8", "horizon = \"10\"", "horizon = \"1000000\""),
        "c8",
        "step",
        "at most 1000000",
    );
    check(
        &edit_claim("c8", "k = 4", "k = 64").replace("step = \"0.5\"", "step = \"1/1000\""),
        "c8",
        "step",
        "at most 268435456",
    );
}

#[test]
fn enormous_vectors_are_refused_before_expansion() {
    let big = "1099511627776";
    for vector in [
        format!("{{ kind = \"progression\", start = \"0\", step = \"1\", len = {big} }}"),
        format!(
            "{{ kind = \"random\", seed = 1, max_numerator = 9, denominator = 1, len = {big} }}"
        ),
        "{ kind = \"progression\", start = \"0\", step = \"1\", len = 0 }".to_string(),
    ] {
        let len = if vector.contains("len = 0") { "0" } else { big };
        check(
            &edit_claim(
                "c1",
                "{ kind = \"progression\", start = \"0\", step = \"1/2\", len = 4 }",
                &vector,
            ),
            "c1",
            "lambda",
            &format!("length {len} is outside 1..=8192"),
        );
    }
    // A written-out list one longer than the limit.
    let values = vec!["\"1\""; 8193].join(", ");
    check(
        &edit_claim(
            "c1",
            "{ kind = \"progression\", start = \"0\", step = \"1/2\", len = 4 }",
            &format!("{{ kind = \"list\", values = [{values}] }}"),
        ),
        "c1",
        "lambda",
        "length 8193 is outside 1..=8192",
    );
    // A negative len: the parser refuses, naming the vector.
    check(
        &edit_claim("c1", "len = 4", "len = -1"),
        "c1",
        "lambda",
        "invalid value",
    );
    // A number longer than 20 000 bytes, whatever its characters (multi-byte ones included).
    for long in [
        "7".repeat(20_001),
        format!("{}\u{e9}{}", "1".repeat(19), "2".repeat(20_000)),
    ] {
        check(
            &edit_claim("traj", "\"0.55\"", &format!("\"{long}\"")),
            "traj",
            "start.values[3]",
            "too long (at most 20000)",
        );
    }
    // C6 tables and ray times, trajectory bounds: lists whose length multiplies the work.
    let ks = vec!["2"; 101].join(", ");
    let ls = vec!["\"3\""; 100].join(", ");
    check(
        &edit_claim("c6", "ks = [2, 8]", &format!("ks = [{ks}]"))
            .replace("ls = [\"2\", \"5\"]", &format!("ls = [{ls}]")),
        "c6",
        "ls",
        "101 x 100 entries: at most 10000",
    );
    let times: Vec<String> = (1..=1001).map(|t| format!("\"{t}\"")).collect();
    check(
        &edit_claim(
            "c6",
            "ray_times = [\"10\"]",
            &format!("ray_times = [{}]", times.join(", ")),
        ),
        "c6",
        "ray_times",
        "1001 times: at most 1000",
    );
    let bounds = vec!["{ quantity = \"V\", at = \"end\", below = \"1\" }"; 1001].join(", ");
    check(
        &edit_claim(
            "traj",
            "bounds = [{ quantity = \"V\", at = \"end\", below = \"1\" }]",
            &format!("bounds = [{bounds}]"),
        ),
        "traj",
        "bounds",
        "at most 1000 in all",
    );
}

#[test]
fn huge_region_budgets_are_refused() {
    for (line, field, says) in [
        (
            "max_boxes = 1099511627776",
            "max_boxes",
            "must be in 1..=1000000000",
        ),
        (
            "max_boxes = 9223372036854775807",
            "max_boxes",
            "must be in 1..=1000000000",
        ),
        ("max_boxes = 0", "max_boxes", "must be in 1..=1000000000"),
        ("max_depth = 201", "max_depth", "must be in 1..=200"),
        ("max_depth = 1099511627776", "max_depth", "invalid value"),
    ] {
        check(
            &edit_claim(
                "region",
                "nc_radius = \"0.1\"",
                &format!("nc_radius = \"0.1\"\n{line}"),
            ),
            "region",
            field,
            says,
        );
    }
    check(
        &edit_claim(
            "region",
            "scale = [\"0.01\", \"30\"]",
            "scale = [\"0.01\", \"1e7\"]",
        ),
        "region",
        "scale",
        "must lie in [1e-6, 1e6]",
    );
}

#[test]
fn matrices_that_would_not_fit_in_memory_are_refused() {
    // K = 8192 with MPFR at 128 bits, K = 1024 at 65536 bits, and an escalation that would
    // reach 4096 bits at K = 4096: refused, naming the size.
    for (order, prec, extra, gib) in [
        (8192, 128, "", "18 GiB"),
        (1024, 65536, "", "49 GiB"),
        (
            4096,
            128,
            "target_width = \"1e-900\"\nmax_precision_bits = 4096\n",
            "51 GiB",
        ),
    ] {
        let text = edit_claim("c1", "order = 4", &format!("order = {order}"))
            .replace("len = 4", &format!("len = {order}"))
            .replace(
                "precision_bits = 128",
                &format!("precision_bits = {prec}\n{extra}"),
            );
        check(&text, "c1", "matrix", gib);
        check(&text, "c1", "matrix", "above the limit of 16 GiB");
    }
    // The same K with inari, or at 128 bits for K = 4096, is accepted.
    let inari = edit_claim("c1", "order = 4", "order = 8192")
        .replace("len = 4", "len = 8192")
        .replace("backend = \"mpfr\"", "backend = \"inari\"");
    assert_eq!(parse_claims(&inari, Path::new("ok.toml")).unwrap().len(), 1);
    let k4096 = edit_claim("c1", "order = 4", "order = 4096").replace("len = 4", "len = 4096");
    assert_eq!(parse_claims(&k4096, Path::new("ok.toml")).unwrap().len(), 1);
    // Without a fast (Walsh-Hadamard) form the products are dense O(K^3): Paley q = 1031
    // (K = 1032) is refused, q = 1019 (K = 1020) accepted.
    let paley = |q: usize| {
        edit_claim(
            "c1",
            "{ family = \"sylvester\", order = 4 }",
            &format!("{{ family = \"paley\", q = {q} }}"),
        )
        .replace("len = 4", &format!("len = {}", q + 1))
        .replace("backend = \"mpfr\"", "backend = \"inari\"")
    };
    check(&paley(1031), "c1", "matrix", "dense O(K^3): at most 1024");
    assert_eq!(
        parse_claims(&paley(1019), Path::new("ok.toml"))
            .unwrap()
            .len(),
        1
    );
    // C2: the embedding dimension, and its products at a huge precision.
    check(
        &edit_claim("c2", "dim = 6", "dim = 1025"),
        "c2",
        "embedding.dim",
        "K = 4 <= dim <= 1024",
    );
    let c2 = edit_claim("c2", "dim = 6", "dim = 1024")
        .replace(
            "{ kind = \"list\", values = [\"0\", \"1/2\", \"3/4\", \"1\"] }",
            "{ kind = \"progression\", start = \"1\", step = \"1\", len = 256 }",
        )
        .replace(
            "{ kind = \"list\", values = [\"1/3\", \"2\", \"0.6\", \"1.25\"] }",
            "{ kind = \"progression\", start = \"1\", step = \"1\", len = 256 }",
        );
    assert_eq!(parse_claims(&c2, Path::new("ok.toml")).unwrap().len(), 1);
    check(
        &c2.replace(
            "backend = \"mpfr\"",
            "backend = \"mpfr\"\nprecision_bits = 65536",
        ),
        "c2",
        "embedding.dim",
        "above the limit of 16 GiB",
    );
}

#[test]
fn oversized_files_are_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    // Just over 16 MiB (a comment line, so only the size is wrong).
    let big = dir.path().join("big.toml");
    let mut text = GOOD.to_string();
    text.push('#');
    text.push_str(&"x".repeat((16 << 20) + 1 - text.len()));
    std::fs::write(&big, &text).unwrap();
    let err = hadacert::claim::load_file(&big).unwrap_err();
    assert_eq!((err.id.as_str(), err.field.as_str()), ("?", "-"));
    assert!(
        err.to_string().contains("larger than 16777216 bytes"),
        "{err}"
    );
    // Exactly 16 MiB is read (and parsed).
    text.pop();
    std::fs::write(&big, &text).unwrap();
    assert_eq!(hadacert::claim::load_file(&big).unwrap().len(), 1);
    // Too many claims in one file.
    let many: String = (0..10_001)
        .map(|i| format!("[[claim]]\nid = \"c{i}\"\n"))
        .collect();
    check(&many, "?", "claim", "more than 10000 claims");
    // Bytes that are not UTF-8.
    let bin = dir.path().join("bin.toml");
    std::fs::write(&bin, b"[[claim]]\nid = \"\xff\xfe\"\n").unwrap();
    let err = hadacert::claim::load_file(&bin).unwrap_err();
    assert_eq!((err.id.as_str(), err.field.as_str()), ("?", "-"));
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[test]
fn errors_print_on_one_line_and_name_a_claim() {
    // Control characters and line separators in ids and values are shown escaped.
    let e = parse_claims(
        &with("id = \"ok\"", "id = \"a\\nb\\u2028c\""),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    let shown = e.to_string();
    assert_eq!(e.id, "a\nb\u{2028}c");
    assert!(!shown.contains(['\n', '\u{2028}']), "{shown:?}");
    assert!(
        shown.contains("claim `a\\nb\\u{2028}c`, field `id`"),
        "{shown}"
    );
    let e = parse_claims(&with("\"1/2\"", "\"1\\r\\n2\""), Path::new("bad.toml")).unwrap_err();
    assert!(
        e.to_string().contains("`1\\r\\n2` is not an exact decimal"),
        "{e}"
    );
    // An empty id is named by the claim's position.
    check(
        &with("id = \"ok\"", "id = \"\""),
        "#1",
        "id",
        "1-128 characters",
    );
    let second = format!("{GOOD}\n{}", with("id = \"ok\"", "id = \"\""));
    check(
        &second.replacen("id = \"ok\"", "id = \"first\"", 1),
        "#2",
        "id",
        "1-128 characters",
    );
}

#[test]
fn cli_overrides_are_checked_against_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k1024.toml");
    std::fs::write(
        &f,
        edit_claim("c1", "order = 4", "order = 1024").replace("len = 4", "len = 1024"),
    )
    .unwrap();
    let out = hadacert()
        .args(["certify", "--prec", "65536", "--out"])
        .arg(dir.path().join("out"))
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("with --backend/--prec")
            && err.contains("claim `c1`, field `matrix`")
            && err.contains("above the limit of 16 GiB"),
        "{err}"
    );
    let out = hadacert()
        .args(["certify", "--prec", "16777216", "--out"])
        .arg(dir.path().join("out"))
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--prec must be in 16..=65536"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --backend leaves C8 (an f64 simulation) alone: its certificate still says f64.
    let c8 = dir.path().join("c8.toml");
    std::fs::write(
        &c8,
        kind_claim("c8").replace("horizon = \"10\"", "horizon = \"1\""),
    )
    .unwrap();
    let out = hadacert()
        .args(["certify", "--backend", "inari", "--out"])
        .arg(dir.path().join("out8"))
        .arg(&c8)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out8/c8.json")).unwrap())
            .unwrap();
    assert_eq!(cert["backend"], "f64");
}

// ---------------------------------------------------------------------------------------------
// Claim files that forgive and teach (issue 14 section 6): positions of syntax errors,
// suggestions within the claim's kind, every missing field at once, the fix for a bare number,
// the valid quantities, bounds echoed as written, and the valid files of a run certified when
// another is invalid.

#[test]
fn toml_syntax_errors_carry_line_column_and_the_line() {
    let text = "[[claim]]\nid = \"a\"\nkind = = \"C1\"\n";
    let e = parse_claims(text, Path::new("bad.toml")).unwrap_err();
    assert_eq!((e.id.as_str(), e.field.as_str()), ("?", "-"), "{e}");
    assert!(
        e.message.contains("not valid TOML at line 3, column 8"),
        "{e}"
    );
    let excerpt = e.excerpt.clone().expect("a syntax error shows the line");
    let lines: Vec<&str> = excerpt.lines().collect();
    assert_eq!(lines.len(), 2, "{excerpt}");
    assert_eq!(lines[0], "  3 | kind = = \"C1\"");
    // The caret sits under column 8 (the second `=`).
    let bar = lines[1].find('|').unwrap();
    let caret = lines[1].find('^').unwrap();
    assert_eq!(caret - (bar + 2), 7, "{excerpt}");
    assert_eq!(&lines[0][caret..caret + 1], "=");
    // Display stays one line; with_excerpt adds the two lines.
    assert!(!e.to_string().contains('\n'));
    assert_eq!(e.with_excerpt(), format!("{e}\n{excerpt}"));
    // The position counts characters, not bytes, and a later line is found.
    let e = parse_claims(
        "[[claim]]\nid = \"é\"\nnote = \"ü\" x\n",
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(e.message.contains("line 3, column 12"), "{e}");
}

#[test]
fn unknown_fields_are_suggested_among_the_fields_of_the_kind() {
    let traj = edit_claim("traj", "width_bound = ", "widht_bound = ");
    let e = parse_claims(&traj, Path::new("bad.toml")).unwrap_err();
    assert_eq!((e.id.as_str(), e.field.as_str()), ("traj", "widht_bound"));
    let m = &e.message;
    assert!(m.contains("did you mean `width_bound`?"), "{m}");
    assert!(m.contains("the fields of a trajectory claim are"), "{m}");
    for own in [
        "`horizon`",
        "`bounds`",
        "`decreasing`",
        "`start_b`",
        "`tolerance`",
    ] {
        assert!(m.contains(own), "{own} missing from {m}");
    }
    // Only the trajectory's fields, not those of every kind.
    for other in [
        "`matrix`",
        "`ks`",
        "`normalised_lo`",
        "`init_scale`",
        "`embedding`",
    ] {
        assert!(!m.contains(other), "{other} listed for a trajectory: {m}");
    }
    let e = parse_claims(&with("lambda = ", "lamda = "), Path::new("bad.toml")).unwrap_err();
    assert!(
        e.message
            .contains("unknown field `lamda` (did you mean `lambda`?)")
            && e.message.contains("the fields of a C1 claim are")
            && !e.message.contains("`horizon`"),
        "{e}"
    );
    // Nothing close: no suggestion, still the list.
    let e = parse_claims(&with("lambda = ", "zzzzzz = "), Path::new("bad.toml")).unwrap_err();
    assert!(
        !e.message.contains("did you mean") && e.message.contains("`lambda`"),
        "{e}"
    );
    // A misspelt kind is suggested too.
    let e = parse_claims(
        &with("kind = \"C1\"", "kind = \"c1r\""),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(e.message.contains("did you mean `C1r`?"), "{e}");
    // A misspelt key of a nested table.
    let e = parse_claims(
        &edit_claim("traj", "at = \"end\"", "att = \"end\""),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(e.message.contains("did you mean `at`?"), "{e}");
}

#[test]
fn every_missing_field_is_named_in_one_message_with_the_kind_s_help() {
    let bare = "[[claim]]\nid = \"t\"\nkind = \"trajectory\"\nexpect = \"proved\"\nbackend = \
                \"inari\"\nflow = \"unbalanced\"\n";
    let e = parse_claims(bare, Path::new("bad.toml")).unwrap_err();
    assert_eq!(e.field, "width_bound", "{e}");
    let m = &e.message;
    assert!(
        m.contains("missing 4 fields required by kind trajectory with flow `unbalanced`"),
        "{m}"
    );
    for f in ["`width_bound`", "`start`", "`start_b`", "`horizon`"] {
        assert!(m.contains(f), "{f} missing from {m}");
    }
    // The help text is the trajectory's, not C1's.
    assert!(
        m.contains("final enclosure of the state at the horizon"),
        "{m}"
    );
    assert!(!m.contains("off-diagonal"), "{m}");
    // C1's width_bound help is about the off-diagonal enclosures.
    let e = parse_claims(
        &with("width_bound = \"1e-10\"\n", ""),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(e.message.contains("off-diagonal"), "{e}");
    // The four fields of every claim, and the kind's own, at once.
    let e = parse_claims("[[claim]]\nkind = \"C1\"\n", Path::new("bad.toml")).unwrap_err();
    for f in [
        "`id`",
        "`expect`",
        "`backend`",
        "`width_bound`",
        "`matrix`",
        "`lambda`",
    ] {
        assert!(e.message.contains(f), "{f} missing from {e}");
    }
    assert!(
        e.message.contains("missing 6 fields required by kind C1"),
        "{e}"
    );
}

#[test]
fn a_bare_number_shows_the_string_it_should_be() {
    let e = parse_claims(
        &with("width_bound = \"1e-10\"", "width_bound = 1e-30"),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert_eq!(e.field, "width_bound");
    assert!(
        e.message
            .contains("write it as a string: width_bound = \"1e-30\""),
        "{e}"
    );
    assert!(e.message.contains("exact decimal string"), "{e}");
    // Digits beyond f64 are echoed as written, not as f64 read them.
    let e = parse_claims(
        &edit_claim(
            "traj",
            "horizon = \"10\"",
            "horizon = 10.000000000000000000001",
        ),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(
        e.message
            .contains("write it as a string: horizon = \"10.000000000000000000001\""),
        "{e}"
    );
    // An integer where a string is required.
    let e = parse_claims(
        &edit_claim("traj", "horizon = \"10\"", "horizon = 10"),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(e.message.contains("horizon = \"10\""), "{e}");
    // Inside a list: the value to quote.
    let e = parse_claims(&with("\"1/2\"", "0.5"), Path::new("bad.toml")).unwrap_err();
    assert!(e.message.contains("\"0.5\", not 0.5"), "{e}");
}

#[test]
fn unknown_quantities_list_the_valid_ones_for_the_flow_and_k() {
    let bound = |q: &str| edit_claim("traj", "quantity = \"V\"", &format!("quantity = \"{q}\""));
    check(
        &bound("lamda_2"),
        "traj",
        "bounds[0].quantity",
        "did you mean `lambda_2`?",
    );
    let e = parse_claims(&bound("W"), Path::new("bad.toml")).unwrap_err();
    assert!(
        e.message
            .contains("valid at K = 4: V, loss, M1, M2, M3, M4, lambda_0 .. lambda_3"),
        "{e}"
    );
    check(
        &bound("lambda_7"),
        "traj",
        "bounds[0].quantity",
        "mode 7 does not exist: K = 4, modes 0..3",
    );
    let e = parse_claims(
        &edit_claim("ray", "quantity = \"l\"", "quantity = \"V\""),
        Path::new("bad.toml"),
    )
    .unwrap_err();
    assert!(
        e.message
            .contains("unknown quantity `V` for the nc_ray flow; valid at K = 8: l, loss"),
        "{e}"
    );
}

#[test]
fn above_is_a_documented_lower_bound() {
    let help = hadacert::claim::field_help("trajectory", "bounds").unwrap();
    assert!(
        help.contains("above") && help.contains("quantity > a"),
        "{help}"
    );
    // A bound with neither side says what each does.
    check(
        &edit_claim("traj", ", below = \"1\"", ""),
        "traj",
        "bounds[0].below",
        "`above` (quantity > above)",
    );
}

#[test]
fn bounds_are_echoed_as_written() {
    let text = edit_claim(
        "traj",
        "bounds = [{ quantity = \"V\", at = \"end\", below = \"1\" }]",
        "bounds = [{ quantity = \"V\", at = \"end\", below = \"0.1741942569823e1\" }, \
         { quantity = \"loss\", at = \"all\", above = \"1e-3\", below = \"20\" }]",
    )
    .replace("horizon = \"10\"", "horizon = \"1\"");
    let claims = parse_claims(&text, Path::new("echo.toml")).unwrap();
    let cert = hadacert::claim::certify(&claims[0]);
    let names: Vec<&str> = cert.checks.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"V < 0.1741942569823e1 at T"), "{names:?}");
    assert!(names.contains(&"1e-3 < loss < 20 on [0, T]"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains("/10000")),
        "a bound echoed as a rational: {names:?}"
    );
}

#[test]
fn cli_certifies_the_valid_files_and_reports_the_invalid_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-good.toml"), GOOD).unwrap();
    std::fs::write(
        dir.path().join("b-syntax.toml"),
        "[[claim]]\nid = \"x\"\nkind = = \"C1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c-field.toml"),
        with("id = \"ok\"", "id = \"other\"").replace("lambda = ", "lamda = "),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = hadacert()
        .arg("certify")
        .arg(dir.path())
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    // The valid claim was certified and its certificate written.
    assert!(out_dir.join("ok.json").is_file(), "{stdout}\n{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("ok ") && l.contains("proved")),
        "{stdout}"
    );
    // Each invalid file reported once, with its claim, field and message, after the table.
    assert!(
        stderr.contains("2 error(s) in claim files (not certified)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("b-syntax.toml: claim `?`, field `-`: not valid TOML at line 3, column 8"),
        "{stderr}"
    );
    assert!(stderr.contains("  3 | kind = = \"C1\""), "{stderr}");
    assert!(
        stderr.contains("c-field.toml: claim `other`, field `lamda`: unknown field `lamda`"),
        "{stderr}"
    );
    assert!(!out_dir.join("other.json").exists());
}

#[test]
fn cli_regress_pinned_only_compares_the_pinned_ids() {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("two.toml");
    std::fs::write(
        &claims,
        format!("{GOOD}\n{}", with("id = \"ok\"", "id = \"extra\"")),
    )
    .unwrap();
    let full = dir.path().join("full");
    let out = hadacert()
        .arg("certify")
        .arg(&claims)
        .arg("--out")
        .arg(&full)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pinned = dir.path().join("pinned");
    std::fs::create_dir(&pinned).unwrap();
    std::fs::copy(full.join("ok.json"), pinned.join("ok.json")).unwrap();
    let regress = |extra: &[&str]| {
        let o = hadacert()
            .arg("regress")
            .arg("--pinned")
            .arg(&pinned)
            .arg("--fresh")
            .arg(&full)
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    // Strict (the default): the unpinned id is a regression.
    let (code, text) = regress(&[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("REGRESSION extra: fresh certificate with no pinned counterpart"),
        "{text}"
    );
    // Pinned only: compared, passed, the extra id listed on one line.
    let (code, text) = regress(&["--pinned-only"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("REGRESSION"), "{text}");
    assert!(
        text.contains("not pinned, not compared (1 certificate(s)): extra\n"),
        "{text}"
    );
    assert!(
        text.contains("regress: ok: 1 certificates") && text.contains("1 unpinned"),
        "{text}"
    );
    // A pinned id missing from the fresh folder is still a regression.
    std::fs::copy(full.join("extra.json"), pinned.join("extra.json")).unwrap();
    std::fs::remove_file(full.join("extra.json")).unwrap();
    let (code, text) = regress(&["--pinned-only"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("REGRESSION extra: pinned, but missing from the fresh certificates"),
        "{text}"
    );
}
