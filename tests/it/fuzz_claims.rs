//! Parser fuzzing (issue 8, "Hostile and broken input").
//!
//! Claim files are fed to [`parse_claims`] (and, for bytes that are not UTF-8 and a sample of
//! the rest, to [`load_file`]), with the full validation they run. Two sources:
//!
//! * **generated**: proptest builds claim files from scratch, kind by kind, with mostly
//!   well-shaped values and a share of hostile ones (huge and odd numbers, wrong types, unicode);
//! * **mutated**: every real claim file under `proofs-data/` (and two region claims) mutated by
//!   byte and bit flips, truncations, deleted, duplicated, swapped and spliced lines, swapped
//!   values, renamed keys, changed kinds, and strings or integers replaced by hostile values
//!   (`1e999999`, `1/0`, `-0`, `nan`, `0x10`, 20 000-digit strings, unicode, 2^40, ...).
//!
//! Every input must give `Ok` or a [`ClaimError`], never a panic (each call runs under
//! `catch_unwind`, and a panic is reported with the input that caused it). Every error names the
//! file, a claim id (the claim's id, `#n` for the n-th claim when it has no string id, or `?`
//! when the file did not parse as claims) and a field (a claim field, a key of the file, `claim`,
//! or `-` for the file or claim as a whole), and its `Display` is one line.
//!
//! A smaller sample (`validated_mutants_certify_or_are_refused`) mutates cheap real claims and
//! certifies every mutant that validates: no panic, and a certificate that the report's strict
//! reader accepts.
//!
//! Default run: 3 x 10^4 generated + 7 x 10^4 mutated files (10^5 in all) and 300 certified
//! mutants. Heavy profile (10^6 files and 2 000 certified mutants), the same tests with larger
//! counts (no test is ignored):
//!
//! ```sh
//! HADACERT_FUZZ_HEAVY=1 cargo test --release --test it -- fuzz_claims::
//! ```
//!
//! `HADACERT_FUZZ_SEED=n` changes the seed of the mutations (default fixed, so CI is
//! reproducible). Failing inputs are written to `target/fuzz-claims-failures/`.

use hadacert::claim::schema::SplitMix64;
use hadacert::claim::KNOWN_KINDS;
use hadacert::claim::{certify, claim_digest, load_file, parse_claims, Claim, ClaimError, Params};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Generated claim files in the default run.
const GENERATED: u32 = 30_000;
/// Mutated claim files in the default run.
const MUTATED: u64 = 70_000;
/// Validated mutants certified in the default run.
const CERTIFIED: usize = 300;
/// The heavy profile (`HADACERT_FUZZ_HEAVY=1`) multiplies the counts above by this.
const HEAVY: u64 = 10;

/// 1, or [`HEAVY`] under `HADACERT_FUZZ_HEAVY=1`.
fn scale() -> u64 {
    match std::env::var("HADACERT_FUZZ_HEAVY").as_deref() {
        Ok("1") => HEAVY,
        _ => 1,
    }
}

use crate::common::root;

fn fuzz_seed() -> u64 {
    std::env::var("HADACERT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x8_f022)
}

// ---------------------------------------------------------------------------------------------
// Seeds: the real claim files.

/// Region claims (proofs-data has none yet): the prover's kinds get mutated too.
const REGION_SEEDS: &str = r#"
[[claim]]
id = "region-seed-V"
kind = "C4region"
expect = "proved"
backend = "inari"
quantity = "V"
k = 4
normalised_lo = { kind = "list", values = ["0.01", "0.01", "0.01"] }
normalised_hi = { kind = "list", values = ["0.98", "0.98", "0.98"] }
scale = ["0.01", "30"]
nc_radius = "0.1"
max_depth = 40
max_boxes = 100000

[[claim]]
id = "region-seed-M2"
kind = "C5k4"
expect = "proved"
backend = "mpfr"
precision_bits = 64
quantity = "M2"
k = 4
normalised_lo = { kind = "progression", start = "0.2", step = "0", len = 3 }
normalised_hi = { kind = "list", values = ["0.5", "0.5", "1/2"] }
scale = ["1/100", "5"]
"#;

/// Every `*.toml` under `proofs-data/` (sorted), then the region seeds.
fn seeds() -> &'static Vec<(String, Vec<u8>)> {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut files = Vec::new();
        let mut stack = vec![root().join("proofs-data")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "toml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let mut out: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|p| {
                let name = p.strip_prefix(root()).unwrap().display().to_string();
                (name, std::fs::read(p).unwrap())
            })
            .collect();
        out.push(("region-seeds".into(), REGION_SEEDS.as_bytes().to_vec()));
        assert!(out.len() >= 10, "expected the shipped claim files: {out:?}");
        out
    })
}

#[test]
fn the_seeds_are_valid_claim_files() {
    for (name, bytes) in seeds() {
        let text = std::str::from_utf8(bytes).unwrap();
        let claims = parse_claims(text, Path::new(name)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!claims.is_empty(), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

/// Strings that are numbers in some language but not exact claim-file numbers, numbers at and
/// beyond the limits, and unicode.
fn hostile_strings() -> &'static Vec<String> {
    static H: OnceLock<Vec<String>> = OnceLock::new();
    H.get_or_init(|| {
        let mut v: Vec<String> = [
            "1e999999",
            "1e-999999",
            "1e9999999999",
            "1e10000",
            "1e10001",
            "-1e10000",
            "1e-10000",
            "1e-10021",
            "123456789e9999",
            "1/0",
            "0/0",
            "-1/0",
            "-0",
            "+0",
            "-0.0",
            "0",
            "1",
            "-1",
            "2",
            "0.5",
            "1/3",
            "-1/3",
            "1e-300",
            "1e300",
            "1e6",
            "1000001",
            "1e-6",
            "1/1000000",
            "2.5e-3",
            "0.98",
            "nan",
            "NaN",
            "-nan",
            "inf",
            "-inf",
            "Infinity",
            "0x10",
            "0b101",
            "0o7",
            "1_000",
            "1,5",
            "1.5.5",
            "1e",
            "e1",
            "1e+",
            "1e--1",
            ".",
            "-",
            "+",
            "",
            " ",
            "  7  ",
            "1/",
            "/1",
            "1//2",
            "1/2/3",
            "-1/-2",
            "1/-2",
            "1 / 2",
            "1e1/2",
            "1.5/2",
            "3.",
            ".5",
            "-.5",
            "00001",
            "1E5",
            "1e+5",
            "--3",
            "3-",
            "\u{663}",
            "\u{ff11}\u{ff12}",
            "1\u{0}",
            "\u{202e}1",
            "\u{feff}1",
            "1\n2",
            "1\r",
            "\t",
            "\u{e9}",
            "\u{1f980}",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "340282366920938463463374607431768211457/3",
            "a",
            "V",
            "proved",
            "../x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push("9".repeat(400));
        v.push(format!("1{}", "0".repeat(19_999)));
        v.push(format!("1{}", "0".repeat(20_000)));
        v.push(format!("0.{}1", "0".repeat(9_000)));
        v.push(format!("{}/{}", "7".repeat(5_000), "3".repeat(5_000)));
        v.push("1".repeat(100_000));
        // Multi-byte characters around the 20th byte of a number longer than the length limit.
        v.push(format!("{}\u{e9}{}", "1".repeat(19), "2".repeat(20_000)));
        v.push(format!("\u{1f980}{}", "3".repeat(20_001)));
        v.push("\u{e9}".repeat(10_001));
        v
    })
}

/// Integer tokens (and a few other bare TOML values where an integer belongs).
const HOSTILE_INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "7",
    "8",
    "12",
    "16",
    "17",
    "53",
    "64",
    "100",
    "128",
    "1023",
    "1024",
    "1025",
    "8192",
    "8193",
    "16384",
    "65536",
    "65537",
    "1048576",
    "16777216",
    "1073741824",
    "2147483648",
    "4294967296",
    "1099511627776",
    "4611686018427387904",
    "9223372036854775807",
    "-1",
    "-9223372036854775808",
    "1.5",
    "1e3",
    "nan",
    "inf",
    "-0.0",
    "\"8\"",
    "true",
    "[]",
    "{}",
    "1979-05-27T07:32:00Z",
];

/// Strings that are meaningful somewhere in a claim file (kinds, flows, verdicts, ...).
fn vocabulary() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = KNOWN_KINDS.to_vec();
    v.extend([
        "C99",
        "list",
        "progression",
        "random",
        "coordinate",
        "householder",
        "sylvester",
        "paley",
        "balanced",
        "unbalanced",
        "nc_ray",
        "proved",
        "refuted",
        "undecided",
        "empirical",
        "inari",
        "mpfr",
        "f64",
        "saddle",
        "zero_mode",
        "end",
        "all",
        "V",
        "loss",
        "M1",
        "M2",
        "M3",
        "M4",
        "l",
        "lambda_1",
        "lambda_99",
        "a_0",
        "b_3",
    ]);
    v
}

/// The claim fields, as an unknown field of a claim without a kind lists them (every field of
/// every kind, so a new field is picked up).
fn claim_fields() -> &'static Vec<String> {
    static F: OnceLock<Vec<String>> = OnceLock::new();
    F.get_or_init(|| {
        let e = parse_claims("[[claim]]\nzz_not_a_field = 1\n", Path::new("x.toml")).unwrap_err();
        assert!(e.message.contains("the claim fields are"), "{e}");
        let fields: Vec<String> = e
            .message
            .split('`')
            .skip(3)
            .step_by(2)
            .map(str::to_string)
            .collect();
        assert_eq!(fields, hadacert::claim::schema::claim_fields(), "{e}");
        for f in ["id", "kind", "expect", "backend", "lambda", "max_boxes"] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
        fields
    })
}

/// Keys of nested tables (vector, matrix, transform, embedding and bound specs).
const NESTED_KEYS: &[&str] = &[
    "kind",
    "values",
    "start",
    "step",
    "len",
    "seed",
    "max_numerator",
    "denominator",
    "zero_first",
    "family",
    "order",
    "q",
    "transform",
    "row_perm",
    "row_perm_seed",
    "row_flip",
    "col_perm",
    "col_perm_seed",
    "col_flip",
    "dim",
    "v",
    "quantity",
    "at",
    "below",
    "above",
];

/// `s` as a TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// The check applied to every input.

/// What one input gave.
enum Outcome {
    Accepted,
    Refused,
}

/// Every key at any depth of a TOML value.
fn collect_keys(v: &toml::Value, out: &mut BTreeSet<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                out.insert(k.clone());
                collect_keys(x, out);
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|x| collect_keys(x, out)),
        _ => {}
    }
}

/// Check that `e` names the file, a claim id and a field, in one line.
fn check_error(e: &ClaimError, text: Option<&str>, path: &Path) -> Result<(), String> {
    let shown = e.to_string();
    if e.file != path {
        return Err(format!("error names file {:?}, not {path:?}", e.file));
    }
    if shown.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return Err(format!("Display is not one line: {shown:?}"));
    }
    if !shown.starts_with(&format!("{}: ", path.display())) {
        return Err(format!("Display does not start with the file: {shown:?}"));
    }
    if e.id.is_empty() || e.field.is_empty() || e.message.trim().is_empty() {
        return Err(format!("empty id, field or message: {e:?}"));
    }
    // What the file holds, read as plain TOML.
    let doc: Option<toml::Table> = text.and_then(|t| toml::from_str(t).ok());
    let Some(doc) = doc else {
        // Not TOML (or not text): nothing but the file can be named.
        if e.id != "?" || e.field != "-" {
            return Err(format!(
                "the file is not TOML, but the error names claim `{}` field `{}`",
                e.id, e.field
            ));
        }
        return Ok(());
    };
    let claims: Vec<&toml::Value> = match doc.get("claim") {
        Some(toml::Value::Array(a)) => a.iter().collect(),
        _ => vec![],
    };
    let mut keys = BTreeSet::new();
    collect_keys(&toml::Value::Table(doc.clone()), &mut keys);
    let numbered =
        e.id.strip_prefix('#')
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| (1..=claims.len()).contains(&n));
    // The id as written (a TOML datetime deserialises into a string id too).
    let named = claims.iter().any(|c| match c.get("id") {
        Some(toml::Value::String(s)) => *s == e.id,
        Some(toml::Value::Datetime(d)) => d.to_string() == e.id,
        _ => false,
    });
    if e.id == "?" && !named {
        // A file-level error: the field is `-`, `claim` or a top-level key.
        if !(e.field == "-" || e.field == "claim" || doc.contains_key(&e.field)) {
            return Err(format!("file-level error with field `{}`", e.field));
        }
        return Ok(());
    }
    if !(numbered || named) {
        return Err(format!("claim id `{}` is not a claim of the file", e.id));
    }
    let head = e.field.split(['.', '[']).next().unwrap_or("");
    let known = claim_fields().iter().any(|f| f == head)
        || NESTED_KEYS.contains(&head)
        || keys.contains(head)
        || e.field == "-";
    if !known {
        return Err(format!(
            "field `{}` is neither a claim field nor a key of the file",
            e.field
        ));
    }
    Ok(())
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".into()
    }
}

/// Parse `bytes` as claim file `path` (through `load_file` when `file` is given, which then
/// holds the bytes) and check the outcome.
fn check_input(bytes: &[u8], path: &Path, file: Option<&Path>) -> Result<Outcome, String> {
    let text = std::str::from_utf8(bytes).ok();
    let result = catch_unwind(AssertUnwindSafe(|| match (file, text) {
        (Some(f), _) => load_file(f),
        (None, Some(t)) => parse_claims(t, path),
        (None, None) => unreachable!("bytes that are not UTF-8 go through a file"),
    }))
    .map_err(|p| format!("PANIC: {}", panic_text(p)))?;
    match result {
        Ok(claims) => {
            for c in &claims {
                let id = &c.spec.id;
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
                {
                    return Err(format!("accepted a claim with id {id:?}"));
                }
            }
            Ok(Outcome::Accepted)
        }
        Err(e) => {
            check_error(&e, text, file.unwrap_or(path))?;
            Ok(Outcome::Refused)
        }
    }
}

/// Failures found, with the input that caused them.
#[derive(Default)]
struct Failures {
    list: Mutex<Vec<(String, Vec<u8>)>>,
}

impl Failures {
    fn record(&self, what: String, input: &[u8]) {
        let mut l = self.list.lock().unwrap();
        if l.len() < 50 {
            l.push((what, input.to_vec()));
        }
    }

    /// Write the failing inputs to `target/fuzz-claims-failures/<tag>-<n>.toml` and panic
    /// listing them (inputs shown escaped, cut at 600 characters).
    fn assert_none(&self, tag: &str) {
        let l = self.list.lock().unwrap();
        if l.is_empty() {
            return;
        }
        let dir = root().join("target/fuzz-claims-failures");
        let _ = std::fs::create_dir_all(&dir);
        let mut msg = format!("{} failing input(s):\n", l.len());
        for (i, (what, input)) in l.iter().enumerate() {
            let file = dir.join(format!("{tag}-{i}.toml"));
            let _ = std::fs::write(&file, input);
            let shown: String = String::from_utf8_lossy(input)
                .chars()
                .take(600)
                .collect::<String>();
            msg.push_str(&format!(
                "--- {what}\n    (input in {}):\n{shown:?}\n",
                file.display()
            ));
        }
        panic!("{msg}");
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of the real files.

struct Mutator {
    rng: SplitMix64,
    vocab: Vec<&'static str>,
}

fn lines(t: &[u8]) -> Vec<Vec<u8>> {
    t.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn join(ls: &[Vec<u8>]) -> Vec<u8> {
    ls.join(&b'\n')
}

/// Byte ranges of the `"..."` strings of a line (escapes are skipped).
fn string_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'#' {
            break;
        }
        if line[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < line.len() && line[j] != b'"' {
                j += if line[j] == b'\\' { 2 } else { 1 };
            }
            if j >= line.len() {
                break;
            }
            spans.push((start, j));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    spans
}

/// Byte ranges of the bare integers of a line (outside strings and comments).
fn integer_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let strings = string_spans(line);
    let inside = |i: usize| strings.iter().any(|&(a, b)| i + 1 >= a && i <= b);
    let end = line.iter().position(|&b| b == b'#').unwrap_or(line.len());
    let mut spans = Vec::new();
    let mut i = 0;
    while i < end {
        if line[i].is_ascii_digit()
            && !inside(i)
            && (i == 0 || !(line[i - 1].is_ascii_alphanumeric() || line[i - 1] == b'_'))
        {
            let mut j = i;
            while j < end && line[j].is_ascii_digit() {
                j += 1;
            }
            spans.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

/// Byte ranges of the keys (`key =`) of a line.
fn key_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let strings = string_spans(line);
    let inside = |i: usize| strings.iter().any(|&(a, b)| i + 1 >= a && i <= b);
    let mut spans = Vec::new();
    for (eq, _) in line.iter().enumerate().filter(|(_, &b)| b == b'=') {
        if inside(eq) {
            continue;
        }
        let mut j = eq;
        while j > 0 && line[j - 1] == b' ' {
            j -= 1;
        }
        let mut i = j;
        while i > 0 && (line[i - 1].is_ascii_alphanumeric() || line[i - 1] == b'_') {
            i -= 1;
        }
        if i < j {
            spans.push((i, j));
        }
    }
    spans
}

impl Mutator {
    fn new(seed: u64) -> Self {
        Mutator {
            rng: SplitMix64(seed),
            vocab: vocabulary(),
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }

    fn hostile_string(&mut self) -> String {
        if self.below(8) == 0 {
            self.pick(&self.vocab.clone()).to_string()
        } else {
            self.pick(hostile_strings()).clone()
        }
    }

    /// Replace `range` of line `li` of `t` with `with`.
    fn splice(t: &mut Vec<u8>, li: usize, range: (usize, usize), with: &[u8]) {
        let mut ls = lines(t);
        ls[li].splice(range.0..range.1, with.iter().copied());
        *t = join(&ls);
    }

    /// A random (line, span) among the spans `f` finds, if any.
    fn some_span(
        &mut self,
        t: &[u8],
        f: fn(&[u8]) -> Vec<(usize, usize)>,
    ) -> Option<(usize, (usize, usize))> {
        let all: Vec<(usize, (usize, usize))> = lines(t)
            .iter()
            .enumerate()
            .flat_map(|(i, l)| f(l).into_iter().map(move |s| (i, s)))
            .collect();
        (!all.is_empty()).then(|| *self.pick(&all))
    }

    /// One mutation of `t` in place.
    fn mutate_once(&mut self, t: &mut Vec<u8>, value_only: bool) {
        let op = if value_only {
            [4, 5, 6, 7, 8, 9][self.below(6)]
        } else {
            self.below(16)
        };
        let n = t.len();
        match op {
            // A byte replaced (often by TOML punctuation), or a bit flipped.
            0 if n > 0 => {
                let i = self.below(n);
                t[i] = *self.pick(b"\"[]{}=,.\n#\\-+/e0123456789 \x00\xff\xc3");
            }
            1 if n > 0 => {
                let i = self.below(n);
                t[i] ^= 1 << self.below(8);
            }
            // Truncated.
            2 => t.truncate(self.below(n + 1)),
            // A line deleted, duplicated or two lines swapped.
            3 => {
                let mut ls = lines(t);
                let i = self.below(ls.len());
                match self.below(3) {
                    0 => {
                        ls.remove(i);
                    }
                    1 => {
                        let l = ls[i].clone();
                        ls.insert(i, l);
                    }
                    _ => {
                        let j = self.below(ls.len());
                        ls.swap(i, j);
                    }
                }
                *t = join(&ls);
            }
            // A string's content replaced by a hostile one (escaped, or raw).
            4 | 5 => {
                if let Some((li, span)) = self.some_span(t, string_spans) {
                    let s = self.hostile_string();
                    let quoted = toml_str(&s);
                    let with = if self.below(10) == 0 {
                        s.into_bytes()
                    } else {
                        quoted.as_bytes()[1..quoted.len() - 1].to_vec()
                    };
                    Self::splice(t, li, span, &with);
                }
            }
            // An integer replaced.
            6 => {
                if let Some((li, span)) = self.some_span(t, integer_spans) {
                    let with = *self.pick(HOSTILE_INTS);
                    Self::splice(t, li, span, with.as_bytes());
                }
            }
            // Two values swapped (the text after `=` of two lines).
            7 => {
                let mut ls = lines(t);
                let with_eq: Vec<usize> = (0..ls.len())
                    .filter(|&i| !ls[i].starts_with(b"#") && key_spans(&ls[i]).len() == 1)
                    .collect();
                if with_eq.len() >= 2 {
                    let (i, j) = (*self.pick(&with_eq), *self.pick(&with_eq));
                    let split = |l: &Vec<u8>| l.iter().position(|&b| b == b'=').unwrap() + 1;
                    let (si, sj) = (split(&ls[i]), split(&ls[j]));
                    let vi = ls[i][si..].to_vec();
                    let vj = ls[j][sj..].to_vec();
                    ls[i].truncate(si);
                    ls[i].extend(vj);
                    ls[j].truncate(sj);
                    ls[j].extend(vi);
                    *t = join(&ls);
                }
            }
            // A key renamed to another field or nested key.
            8 => {
                if let Some((li, span)) = self.some_span(t, key_spans) {
                    let fields = claim_fields();
                    let with = if self.below(2) == 0 {
                        self.pick(fields).clone()
                    } else {
                        self.pick(NESTED_KEYS).to_string()
                    };
                    Self::splice(t, li, span, with.as_bytes());
                }
            }
            // A string replaced by a word of the vocabulary (changes kinds, flows, ...).
            9 => {
                if let Some((li, span)) = self.some_span(t, string_spans) {
                    let w = *self.pick(&self.vocab.clone());
                    Self::splice(t, li, span, w.as_bytes());
                }
            }
            // Unicode inserted.
            10 => {
                let i = self.below(n + 1);
                let u = *self.pick(&[
                    "\u{e9}",
                    "\u{1f980}",
                    "\u{0}",
                    "\u{feff}",
                    "\u{202e}",
                    "\r",
                    "\r\n",
                    "\u{2028}",
                    "\u{1d7d9}",
                    "\u{3a9}",
                    "\\u0000",
                    "\"\"\"",
                ]);
                t.splice(i..i, u.bytes());
            }
            // Lines spliced in from another seed.
            11 => {
                let (_, other) = self.pick(seeds());
                let ol = lines(other);
                let from = self.below(ol.len());
                let to = (from + 1 + self.below(6)).min(ol.len());
                let mut ls = lines(t);
                let at = self.below(ls.len() + 1);
                for (k, l) in ol[from..to].iter().enumerate() {
                    ls.insert(at + k, l.clone());
                }
                *t = join(&ls);
            }
            // A claim duplicated (same id), or a second header inserted.
            12 => {
                let text = t.clone();
                let starts: Vec<usize> = text
                    .windows(9)
                    .enumerate()
                    .filter(|(_, w)| *w == b"[[claim]]")
                    .map(|(i, _)| i)
                    .collect();
                if !starts.is_empty() {
                    let k = self.below(starts.len());
                    let end = starts.get(k + 1).copied().unwrap_or(text.len());
                    let block = text[starts[k]..end].to_vec();
                    if self.below(2) == 0 {
                        t.extend_from_slice(b"\n");
                        t.extend_from_slice(&block);
                    } else {
                        let i = self.below(n + 1);
                        t.splice(i..i, b"\n[[claim]]\n".iter().copied());
                    }
                }
            }
            // A range of bytes deleted.
            13 if n > 0 => {
                let i = self.below(n);
                let j = (i + 1 + self.below(40)).min(n);
                t.drain(i..j);
            }
            // A hostile `key = value` line inserted.
            14 => {
                let fields = claim_fields();
                let key = self.pick(fields).clone();
                let value = if self.below(2) == 0 {
                    toml_str(&self.hostile_string())
                } else {
                    self.pick(HOSTILE_INTS).to_string()
                };
                let mut ls = lines(t);
                let at = self.below(ls.len() + 1);
                ls.insert(at, format!("{key} = {value}").into_bytes());
                *t = join(&ls);
            }
            // A string value made bare, or a bare value quoted.
            _ => {
                if let Some((li, (a, b))) = self.some_span(t, string_spans) {
                    let ls = lines(t);
                    let inner = ls[li][a..b].to_vec();
                    Self::splice(t, li, (a - 1, b + 1), &inner);
                } else if let Some((li, (a, b))) = self.some_span(t, integer_spans) {
                    let ls = lines(t);
                    let quoted = [b"\"".as_slice(), &ls[li][a..b], b"\""].concat();
                    Self::splice(t, li, (a, b), &quoted);
                }
            }
        }
    }

    /// A mutant of `base`: one to three mutations.
    fn mutant(&mut self, base: &[u8], value_only: bool) -> Vec<u8> {
        let mut t = base.to_vec();
        for _ in 0..1 + self.below(3) {
            self.mutate_once(&mut t, value_only);
        }
        t
    }
}

/// Check `count` mutants of the seeds (split over the available threads). Returns
/// (accepted, refused) counts.
fn run_mutations(count: u64, seed: u64) -> (u64, u64) {
    let failures = Failures::default();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let tmp = tempfile::tempdir().unwrap();
    let totals = Mutex::new((0u64, 0u64));
    std::thread::scope(|s| {
        for w in 0..threads {
            let (failures, totals, tmp) = (&failures, &totals, tmp.path());
            s.spawn(move || {
                let mut m = Mutator::new(seed ^ (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let file = tmp.join(format!("mutant-{w}.toml"));
                let (mut acc, mut rej) = (0, 0);
                let share = count / threads + u64::from(w < count % threads);
                for i in 0..share {
                    let (name, base) = m.pick(seeds()).clone();
                    let input = m.mutant(&base, false);
                    let path = PathBuf::from(format!("mutant-of/{name}"));
                    // Bytes that are not UTF-8, and one in 50 of the rest, go through a file.
                    let via_file = std::str::from_utf8(&input).is_err() || i % 50 == 0;
                    if via_file {
                        std::fs::write(&file, &input).unwrap();
                    }
                    match check_input(&input, &path, via_file.then_some(file.as_path())) {
                        Ok(Outcome::Accepted) => acc += 1,
                        Ok(Outcome::Refused) => rej += 1,
                        Err(what) => failures.record(format!("mutant of {name}: {what}"), &input),
                    }
                }
                let mut t = totals.lock().unwrap();
                t.0 += acc;
                t.1 += rej;
            });
        }
    });
    failures.assert_none("mutant");
    let t = *totals.lock().unwrap();
    t
}

fn mutations(count: u64) {
    let (accepted, refused) = run_mutations(count, fuzz_seed());
    println!("mutated claim files: {count} ({accepted} accepted, {refused} refused)");
    assert_eq!(accepted + refused, count);
    // Both outcomes are exercised: the mutations are neither all harmless nor all fatal.
    assert!(accepted >= count / 100, "only {accepted} mutants accepted");
    assert!(refused >= count / 2, "only {refused} mutants refused");
}

#[test]
fn mutated_claim_files_never_panic_and_errors_name_file_id_and_field() {
    mutations(MUTATED * scale());
}

// ---------------------------------------------------------------------------------------------
// Generated claim files (proptest).
//
// Each generated claim starts as a well-formed claim of its kind (lengths consistent with K,
// values mostly in range), then gets zero to three perturbations: a value replaced by a hostile
// one, a field dropped, a field renamed, a key repeated, an unknown field added. About a third
// of the claims are left alone, so validation is exercised to its end, not only at the first
// field.

/// A hostile string (by index: the list holds 100 000-character strings, never cloned whole).
fn hostile() -> BoxedStrategy<String> {
    (0..hostile_strings().len())
        .prop_map(|i| hostile_strings()[i].clone())
        .boxed()
}

/// An exact decimal or rational in a range that claims accept (positive unless `signed`).
fn number(signed: bool) -> BoxedStrategy<String> {
    let lo = if signed { -3000i64 } else { 1 };
    prop_oneof![
        3 => (lo..3000i64, 0u32..4).prop_map(|(n, d)| {
            if d == 0 { n.to_string() } else { format!("{n}e-{d}") }
        }),
        1 => (lo..500i64, 1i64..50).prop_map(|(n, d)| format!("{n}/{d}")),
    ]
    .boxed()
}

fn q(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    s.prop_map(|s| toml_str(&s)).boxed()
}

fn list(items: Vec<String>) -> String {
    format!("[{}]", items.join(", "))
}

/// A vector spec of length `n`: a list, a progression or random rationals.
fn vector(n: usize, positive: bool) -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::collection::vec(q(number(!positive)), n)
            .prop_map(|v| format!("{{ kind = \"list\", values = {} }}", list(v))),
        1 => (q(number(false)), q(number(false))).prop_map(move |(s, d)| format!(
            "{{ kind = \"progression\", start = {s}, step = {d}, len = {n} }}"
        )),
        1 => (any::<u64>(), 1u64..1000, 1u64..100).prop_map(move |(seed, m, d)| format!(
            "{{ kind = \"random\", seed = {seed}, max_numerator = {m}, denominator = {d}, \
             len = {n}, zero_first = {} }}", !positive
        )),
    ]
    .boxed()
}

/// A small number (as a quoted string) in `(0, 1)`.
fn fraction() -> BoxedStrategy<String> {
    (1u32..1000, 0u32..20)
        .prop_map(|(n, e)| toml_str(&format!("{n}e-{}", e + 3)))
        .boxed()
}

type Fields = Vec<(String, String)>;

fn field(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// The common head: id, kind, expect, backend (and precision, width bound).
fn head(kind: &'static str, certifying: bool) -> BoxedStrategy<Fields> {
    (
        "[A-Za-z0-9._-]{1,12}",
        prop::sample::select(vec!["proved", "refuted", "undecided"]),
        prop::sample::select(vec!["inari", "mpfr"]),
        prop::sample::select(vec![16u32, 53, 64, 128, 256]),
        fraction(),
    )
        .prop_map(move |(id, expect, backend, prec, width)| {
            let mut f = vec![
                field("id", toml_str(&id)),
                field("kind", toml_str(kind)),
                field("expect", toml_str(expect)),
                field("backend", toml_str(backend)),
            ];
            if backend == "mpfr" {
                f.push(field("precision_bits", prec.to_string()));
            }
            if certifying {
                f.push(field("width_bound", width));
            }
            f
        })
        .boxed()
}

fn join_fields(parts: Vec<Fields>) -> Fields {
    parts.into_iter().flatten().collect()
}

/// A well-formed claim of `kind`.
fn valid_claim(kind: &'static str) -> BoxedStrategy<Fields> {
    let k_pow2 = || prop::sample::select(vec![2usize, 4, 8, 16]);
    match kind {
        "C1" | "C1r" => (
            head(kind, true),
            prop_oneof![
                k_pow2().prop_map(|k| (k, format!("{{ family = \"sylvester\", order = {k} }}"))),
                (k_pow2(), any::<u64>()).prop_map(|(k, s)| (
                    k,
                    format!(
                        "{{ family = \"sylvester\", order = {k}, transform = \
                         {{ row_perm_seed = {s}, col_flip = [0] }} }}"
                    )
                )),
                prop::sample::select(vec![3usize, 7, 11, 19])
                    .prop_map(|q| (q + 1, format!("{{ family = \"paley\", q = {q} }}"))),
            ],
        )
            .prop_flat_map(|(h, (k, m))| {
                (Just(h), Just(m), vector(k, false)).prop_map(|(h, m, l)| {
                    join_fields(vec![h, vec![field("matrix", m), field("lambda", l)]])
                })
            })
            .boxed(),
        "C2" => (
            head(kind, true),
            prop::sample::select(vec![2usize, 4, 8]),
            0usize..4,
        )
            .prop_flat_map(|(h, k, extra)| {
                let d = k + extra;
                let emb = prop_oneof![
                    Just(format!("{{ kind = \"coordinate\", dim = {d} }}")),
                    prop::collection::vec(q(number(true)), d).prop_map(move |v| format!(
                        "{{ kind = \"householder\", dim = {d}, v = {} }}",
                        list(v)
                    )),
                ];
                (Just(h), vector(k, false), vector(k, false), emb).prop_map(|(h, a, b, e)| {
                    join_fields(vec![
                        h,
                        vec![field("a", a), field("b", b), field("embedding", e)],
                    ])
                })
            })
            .boxed(),
        "trajectory" => (
            head(kind, true),
            prop::sample::select(vec!["balanced", "unbalanced", "nc_ray"]),
            prop::sample::select(vec![2usize, 4, 8]),
            q(number(false)),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["V", "loss", "M1", "lambda_1", "a_1", "l"]),
                    prop::sample::select(vec!["end", "all"]),
                    q(number(true)),
                ),
                0..3,
            ),
            prop::sample::select(vec!["[]", "[\"V\"]", "[\"loss\"]"]),
        )
            .prop_flat_map(|(h, flow, k, horizon, bounds, decreasing)| {
                let n = if flow == "nc_ray" { 1 } else { k };
                let b = if flow == "unbalanced" {
                    vector(k, false).prop_map(Some).boxed()
                } else {
                    Just(None).boxed()
                };
                (Just(h), vector(n, false), b).prop_map(move |(h, start, start_b)| {
                    let mut f = h;
                    f.push(field("flow", toml_str(flow)));
                    f.push(field("start", start));
                    if let Some(b) = start_b {
                        f.push(field("start_b", b));
                    }
                    if flow == "nc_ray" {
                        f.push(field("ray_k", k.to_string()));
                    }
                    f.push(field("horizon", horizon.clone()));
                    let bs: Vec<String> = bounds
                        .iter()
                        .map(|(qn, at, v)| {
                            format!("{{ quantity = \"{qn}\", at = \"{at}\", below = {v} }}")
                        })
                        .collect();
                    f.push(field("bounds", list(bs)));
                    f.push(field("decreasing", decreasing));
                    f
                })
            })
            .boxed(),
        "C6" => (
            head(kind, true),
            prop::collection::vec(prop::sample::select(vec![2usize, 4, 8, 1024]), 1..3),
            q(number(false)),
            prop::collection::vec(q(number(false)), 1..3),
            q(number(false)),
            prop::collection::vec(1u32..100, 1..3),
            vector(4, false),
            q(number(false)),
        )
            .prop_map(|(h, ks, l0, ls, ray_l0, mut times, start, horizon)| {
                times.sort_unstable();
                times.dedup();
                let times: Vec<String> = times.iter().map(|t| format!("\"{t}\"")).collect();
                join_fields(vec![
                    h,
                    vec![
                        field("ks", format!("{ks:?}")),
                        field("l0", l0),
                        field("ls", list(ls)),
                        field("ray_k", "8"),
                        field("ray_l0", ray_l0),
                        field("ray_times", list(times)),
                        field("start", start),
                        field("horizon", horizon),
                    ],
                ])
            })
            .boxed(),
        "C8" => (
            "[A-Za-z0-9._-]{1,12}",
            prop::sample::select(vec![2usize, 4, 8, 16]),
            any::<u64>(),
            fraction(),
            prop::sample::select(vec![("1", "0.5"), ("2", "1/4"), ("1", "0.3")]),
        )
            .prop_map(|(id, k, seed, a, (horizon, step))| {
                vec![
                    field("id", toml_str(&id)),
                    field("kind", "\"C8\""),
                    field("expect", "\"empirical\""),
                    field("backend", "\"f64\""),
                    field("k", k.to_string()),
                    field("seed", seed.to_string()),
                    field("init_scale", "\"0.1\""),
                    field("horizon", toml_str(horizon)),
                    field("step", toml_str(step)),
                    field("agreement", a.clone()),
                    field("step_agreement", a),
                ]
            })
            .boxed(),
        "C4" | "C4r" => (
            head(kind, true),
            prop::sample::select(vec!["balanced", "unbalanced"]),
            prop::sample::select(vec![4usize, 8, 16]),
        )
            .prop_flat_map(|(h, flow, k)| {
                (Just(h), vector(k, true), vector(k, true)).prop_map(move |(h, a, b)| {
                    let mut f = h;
                    f.push(field("flow", toml_str(flow)));
                    f.push(field("start", a));
                    if flow == "unbalanced" {
                        f.push(field("start_b", b));
                    }
                    f
                })
            })
            .boxed(),
        "C7" => (
            head(kind, true),
            prop::sample::select(vec![2usize, 4, 8, 16]),
            any::<bool>(),
        )
            .prop_flat_map(|(h, k, saddle)| {
                (Just(h), 1..k, q(number(false)), q(number(false))).prop_map(
                    move |(h, mode, a0, b0)| {
                        let mut a = vec!["\"0\"".to_string(); k];
                        let mut b = a.clone();
                        a[0] = a0;
                        b[0] = b0;
                        if !saddle {
                            for m in 1..k {
                                if m != mode {
                                    a[m] = format!("\"{m}/3\"");
                                    b[m] = format!("\"{m}/5\"");
                                }
                            }
                        }
                        let vec_of =
                            |v: Vec<String>| format!("{{ kind = \"list\", values = {} }}", list(v));
                        let mut f = h;
                        f.push(field(
                            "check",
                            if saddle {
                                "\"saddle\""
                            } else {
                                "\"zero_mode\""
                            },
                        ));
                        f.push(field("mode", mode.to_string()));
                        f.push(field("start", vec_of(a)));
                        f.push(field("start_b", vec_of(b)));
                        f
                    },
                )
            })
            .boxed(),
        "C4region" | "C5k4" | "expression-region" => (
            head(kind, false),
            prop::sample::select(match kind {
                "C4region" => vec!["V"],
                "C5k4" => vec!["M1", "M2", "M3"],
                // relations in the claim language, some with d/dt, one unknown name
                _ => vec![
                    "d/dt V <= 0",
                    "d/dt M3 < 0",
                    "d/dt (V + M3/10) <= 0",
                    "M2 <= 1",
                    "log(lambda_1) - log(lambda_2) < 3",
                    "max over m != 0 of lambda~_m <= 1",
                    "d/dt W <= 0",
                ],
            }),
            prop::collection::vec((1u32..30, 0u32..60), 3),
            (1u32..100, 1u32..100),
            prop::option::of(1u32..100),
            prop::option::of(1u32..300),
            prop::option::of(1u64..1_000_000),
        )
            .prop_map(move |(h, quantity, corners, (s0, s1), nc, depth, boxes)| {
                let lo: Vec<String> = corners
                    .iter()
                    .map(|(a, _)| format!("\"{a}/100\""))
                    .collect();
                let hi: Vec<String> = corners
                    .iter()
                    .map(|(a, b)| format!("\"{}/100\"", a + b))
                    .collect();
                let mut f = h;
                if kind == "expression-region" {
                    f.push(field("expression", toml_str(quantity)));
                } else {
                    f.push(field("quantity", toml_str(quantity)));
                }
                f.push(field("k", "4"));
                f.push(field(
                    "normalised_lo",
                    format!("{{ kind = \"list\", values = {} }}", list(lo)),
                ));
                f.push(field(
                    "normalised_hi",
                    format!("{{ kind = \"list\", values = {} }}", list(hi)),
                ));
                f.push(field(
                    "scale",
                    format!("[\"{}/10\", \"{}/10\"]", s0.min(s1), s0.max(s1)),
                ));
                if let Some(r) = nc {
                    f.push(field("nc_radius", format!("\"{r}/1000\"")));
                }
                if let Some(d) = depth {
                    f.push(field("max_depth", d.to_string()));
                }
                if let Some(b) = boxes {
                    f.push(field("max_boxes", b.to_string()));
                }
                f
            })
            .boxed(),
        // A user's vector field: two or three named components, the field in the claim
        // language (some entries ill-formed or naming an unknown variable), bounds on the names.
        "ode" => (
            head(kind, true),
            prop::sample::select(vec![2usize, 3]),
            prop::collection::vec(
                prop::sample::select(vec![
                    "-x",
                    "y - x",
                    "x*(1 - y)",
                    "exp(-y) - 1/2",
                    "10*(y - x)",
                    "x*y - 8/3*z",
                    "log(1 + x^2)",
                    "sqrt(x",
                    "w + 1",
                    "",
                ]),
                3,
            ),
            q(number(false)),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["x", "y", "z", "x + y", "d/dt x", "q"]),
                    prop::sample::select(vec!["end", "all", "1/2", "-1"]),
                    q(number(true)),
                ),
                0..3,
            ),
            prop::sample::select(vec!["[]", "[\"x^2 + y^2\"]", "[\"x\"]"]),
        )
            .prop_flat_map(|(h, n, field_text, horizon, bounds, decreasing)| {
                (Just(h), vector(n, false)).prop_map(move |(h, start)| {
                    let names = ["x", "y", "z"];
                    let mut f = h;
                    f.push(field(
                        "state",
                        list(names[..n].iter().map(|s| toml_str(s)).collect()),
                    ));
                    f.push(field(
                        "field",
                        list(field_text[..n].iter().map(|s| toml_str(s)).collect()),
                    ));
                    f.push(field("start", start));
                    f.push(field("horizon", horizon.clone()));
                    let bs: Vec<String> = bounds
                        .iter()
                        .map(|(qn, at, v)| {
                            format!("{{ quantity = \"{qn}\", at = \"{at}\", below = {v} }}")
                        })
                        .collect();
                    f.push(field("bounds", list(bs)));
                    f.push(field("decreasing", decreasing));
                    f
                })
            })
            .boxed(),
        // A kind without a generator of its own: the head only (the perturbations add fields).
        _ => head(kind, false),
    }
}

/// Any TOML value, hostile or not.
fn any_value() -> BoxedStrategy<String> {
    prop_oneof![
        3 => q(hostile()),
        2 => prop::sample::select(HOSTILE_INTS).prop_map(str::to_string),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => q(number(true)),
        1 => prop::sample::select(vec!["0.5", "1e308", "nan", "-inf", "-0.0", "true", "{}", "[]"])
            .prop_map(str::to_string),
        1 => prop::collection::vec(q(hostile()), 0..4).prop_map(list),
        1 => prop::collection::vec(prop::sample::select(HOSTILE_INTS), 0..4)
            .prop_map(|v| format!("[{}]", v.join(", "))),
        1 => (prop::sample::select(vocabulary()), q(hostile()), any::<i64>()).prop_map(
            |(kind, v, n)| format!(
                "{{ kind = {}, values = [{v}], start = {v}, step = {v}, len = {n}, dim = {n} }}",
                toml_str(kind)
            )
        ),
        1 => (prop::sample::select(vocabulary()), any::<i64>())
            .prop_map(|(w, n)| format!("{{ family = {}, order = {n}, q = {n} }}", toml_str(w))),
        1 => q(prop::sample::select(vocabulary()).prop_map(str::to_string).boxed()),
        1 => q(".{0,12}".boxed()),
    ]
    .boxed()
}

/// One change to a well-formed claim.
#[derive(Clone, Debug)]
enum Perturb {
    /// The value of a field replaced.
    Value(prop::sample::Index, String),
    /// A number inside a field's value replaced (vectors, bounds, matrices).
    Inner(prop::sample::Index, prop::sample::Index, String),
    /// A field dropped.
    Drop(prop::sample::Index),
    /// A field renamed.
    Rename(prop::sample::Index, String),
    /// A field added (a claim field or an unknown key; may repeat a key).
    Add(String, String),
}

fn perturb() -> BoxedStrategy<Perturb> {
    let fields = || prop::sample::select(claim_fields().clone());
    prop_oneof![
        4 => (any::<prop::sample::Index>(), any_value()).prop_map(|(i, v)| Perturb::Value(i, v)),
        4 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop_oneof![
            q(hostile()),
            prop::sample::select(HOSTILE_INTS).prop_map(str::to_string),
        ]).prop_map(|(i, j, v)| Perturb::Inner(i, j, v)),
        2 => any::<prop::sample::Index>().prop_map(Perturb::Drop),
        1 => (any::<prop::sample::Index>(), prop_oneof![fields(), "[a-z_]{1,8}".boxed()])
            .prop_map(|(i, k)| Perturb::Rename(i, k)),
        2 => (prop_oneof![fields(), "[a-z_]{1,8}".boxed()], any_value())
            .prop_map(|(k, v)| Perturb::Add(k, v)),
    ]
    .boxed()
}

fn apply(fields: &mut Fields, p: &Perturb) {
    if fields.is_empty() {
        return;
    }
    let n = fields.len();
    match p {
        Perturb::Value(i, v) => fields[i.index(n)].1 = v.clone(),
        Perturb::Inner(i, j, v) => {
            // Replace the j-th quoted string or bare integer inside the value.
            let f = i.index(fields.len());
            let line = fields[f].1.as_bytes().to_vec();
            let mut spans = string_spans(&line);
            spans.extend(integer_spans(&line));
            if !spans.is_empty() {
                let (a, b) = spans[j.index(spans.len())];
                let is_string = a > 0 && line[a - 1] == b'"';
                let (a, b) = if is_string { (a - 1, b + 1) } else { (a, b) };
                let mut s = line;
                s.splice(a..b, v.bytes());
                fields[f].1 = String::from_utf8(s).expect("spans are on char boundaries");
            }
        }
        Perturb::Drop(i) => {
            fields.remove(i.index(fields.len()));
        }
        Perturb::Rename(i, k) => fields[i.index(n)].0 = k.clone(),
        Perturb::Add(k, v) => fields.push((k.clone(), v.clone())),
    }
}

fn claim_table() -> BoxedStrategy<String> {
    let kinds: Vec<BoxedStrategy<Fields>> = KNOWN_KINDS.iter().map(|k| valid_claim(k)).collect();
    (
        proptest::strategy::Union::new(kinds),
        prop_oneof![
            2 => Just(vec![]),
            3 => prop::collection::vec(perturb(), 1..4),
        ],
    )
        .prop_map(|(mut fields, perturbs)| {
            for p in &perturbs {
                apply(&mut fields, p);
            }
            let mut s = String::from("[[claim]]\n");
            for (k, v) in fields {
                s.push_str(&format!("{k} = {v}\n"));
            }
            s
        })
        .boxed()
}

fn claim_file() -> BoxedStrategy<String> {
    prop_oneof![
        12 => prop::collection::vec(claim_table(), 1..3).prop_map(|v| v.join("\n")),
        1 => ("[a-z]{1,6}", any_value(), claim_table())
            .prop_map(|(k, v, c)| format!("{k} = {v}\n{c}")),
        1 => (claim_table(), any::<prop::sample::Index>())
            .prop_map(|(c, i)| {
                let mut cut = i.index(c.len() + 1);
                while !c.is_char_boundary(cut) {
                    cut -= 1;
                }
                c[..cut].to_string()
            }),
    ]
    .boxed()
}

fn generated(cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        rng_seed: crate::common::proptest_seed(&Config::default()),
        ..Config::default()
    });
    let (accepted, refused) = (Mutex::new(0u64), Mutex::new(0u64));
    let result = runner.run(&claim_file(), |text| {
        match check_input(text.as_bytes(), Path::new("generated.toml"), None) {
            Ok(Outcome::Accepted) => *accepted.lock().unwrap() += 1,
            Ok(Outcome::Refused) => *refused.lock().unwrap() += 1,
            Err(what) => return Err(TestCaseError::fail(what)),
        }
        Ok(())
    });
    if let Err(e) = result {
        let failures = Failures::default();
        let input = match &e {
            proptest::test_runner::TestError::Fail(_, v) => v.clone(),
            _ => String::new(),
        };
        failures.record(e.to_string(), input.as_bytes());
        failures.assert_none("generated");
    }
    let (a, r) = (*accepted.lock().unwrap(), *refused.lock().unwrap());
    println!("generated claim files: {cases} ({a} accepted, {r} refused)");
    assert!(
        a >= u64::from(cases) / 100,
        "only {a} generated files accepted"
    );
    assert!(
        r >= u64::from(cases) / 4,
        "only {r} generated files refused"
    );
}

#[test]
fn generated_claim_files_never_panic_and_errors_name_file_id_and_field() {
    generated(GENERATED * scale() as u32);
}

// ---------------------------------------------------------------------------------------------
// Validated mutants of cheap claims are certified.

/// Claims that certify in milliseconds (as shipped): small C1, C1r, C2, C4, C7.
fn cheap_seeds() -> Vec<(String, String)> {
    let wanted = |id: &str| {
        [
            "C1-sylvester-K2-",
            "C1-sylvester-K4-",
            "C1-sylvester-K8-",
            "C1-sylvester-K16-mpfr",
            "C1r-paley-K12-",
            "C1r-sylvester-K8-",
            "C2-K4-",
            "C4-pointwise-K8-",
            "C4-pointwise-K16-",
            "C4r-",
            "C7-saddle",
            "C7-zero-mode",
        ]
        .iter()
        .any(|p| id.starts_with(p))
    };
    let mut out = Vec::new();
    for (name, bytes) in seeds() {
        let text = std::str::from_utf8(bytes).unwrap();
        let blocks: Vec<&str> = text.split("[[claim]]").skip(1).collect();
        for b in blocks {
            let block = format!("[[claim]]{b}");
            let claims = parse_claims(&block, Path::new(name)).unwrap();
            if wanted(&claims[0].spec.id) {
                out.push((name.clone(), block));
            }
        }
    }
    assert!(out.len() >= 10, "cheap seeds: {}", out.len());
    out
}

/// Whether a validated claim is cheap enough to certify in the sample (a mutant can ask for a
/// huge K or precision, which is legitimate but slow: those are counted and skipped).
fn cheap(c: &Claim) -> bool {
    let prec = c
        .spec
        .max_precision_bits
        .unwrap_or(0)
        .max(c.spec.precision_bits);
    let prec_ok = c.spec.backend == hadacert::arith::BackendKind::Inari || prec <= 512;
    prec_ok
        && match &c.params {
            Params::Diagonalise { matrix, .. } => matrix.order() <= 64,
            Params::Manifold { a, r, .. } => a.len() <= 8 && r.len() <= 16,
            Params::LyapunovRate { k, .. } => *k <= 64,
            Params::Critical { .. } => true,
            _ => false,
        }
}

fn certify_sample(target: usize, seed: u64) {
    let seeds = cheap_seeds();
    let failures = Failures::default();
    let tmp = tempfile::tempdir().unwrap();
    let mut m = Mutator::new(seed ^ 0xC3A7);
    let (mut certified, mut refused, mut skipped) = (0usize, 0usize, 0usize);
    let mut verdicts = std::collections::BTreeMap::new();
    let mut attempts = 0;
    while certified < target && attempts < 50 * target {
        attempts += 1;
        let (name, base) = m.pick(&seeds).clone();
        let input = m.mutant(base.as_bytes(), true);
        let path = PathBuf::from(format!("mutant-of/{name}"));
        let Ok(text) = String::from_utf8(input.clone()) else {
            refused += 1;
            continue;
        };
        let parsed = catch_unwind(AssertUnwindSafe(|| parse_claims(&text, &path)));
        let claims = match parsed {
            Err(p) => {
                failures.record(format!("PANIC in parse_claims: {}", panic_text(p)), &input);
                continue;
            }
            Ok(Err(e)) => {
                if let Err(what) = check_error(&e, Some(&text), &path) {
                    failures.record(what, &input);
                }
                refused += 1;
                continue;
            }
            Ok(Ok(c)) => c,
        };
        for claim in claims {
            if !cheap(&claim) {
                skipped += 1;
                continue;
            }
            let cert = match catch_unwind(AssertUnwindSafe(|| certify(&claim))) {
                Ok(c) => c,
                Err(p) => {
                    failures.record(format!("PANIC in certify: {}", panic_text(p)), &input);
                    continue;
                }
            };
            certified += 1;
            *verdicts.entry(cert.verdict.to_string()).or_insert(0usize) += 1;
            // The certificate is complete and valid for the report's strict reader.
            let problem = if cert.id != claim.spec.id {
                Some(format!(
                    "certificate id {} for claim {}",
                    cert.id, claim.spec.id
                ))
            } else if cert.claim_digest != claim_digest(&claim.spec) {
                Some("claim digest differs".to_string())
            } else if cert.verdict == hadacert::cert::Verdict::Empirical {
                Some("a certifying claim got `empirical`".to_string())
            } else {
                hadacert::cert::write_atomic(tmp.path(), &cert)
                    .map_err(|e| e.to_string())
                    .and_then(|p| {
                        hadacert::report::folder::read_strict(&p).map_err(|e| e.to_string())
                    })
                    .err()
            };
            if let Some(p) = problem {
                failures.record(format!("certificate of {}: {p}", claim.spec.id), &input);
            }
        }
    }
    failures.assert_none("certify");
    println!(
        "certify sample: {certified} certified {verdicts:?}, {refused} refused, {skipped} \
         validated but skipped as expensive, {attempts} mutants"
    );
    assert!(certified >= target, "only {certified} mutants certified");
    assert!(
        verdicts.len() >= 2,
        "mutants should reach several verdicts: {verdicts:?}"
    );
}

#[test]
fn validated_mutants_certify_or_are_refused() {
    let n = if scale() > 1 {
        CERTIFIED * 20 / 3
    } else {
        CERTIFIED
    };
    certify_sample(n, fuzz_seed());
}
