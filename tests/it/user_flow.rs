//! A user's own vector field `x' = F(x)` (kind `ode`, docs/math.md section 13.7): the compiled
//! field agrees with the built-in flows it restates, the 53-bit run agrees with a 256-bit one,
//! and bad fields are refused at validation with the file, the claim, the field and the column.

use crate::common::certify_text_as;
use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval};
use hadacert::cert::Verdict;
use hadacert::claim::parse_claims;
use hadacert::expr::eval::CompiledField;
use hadacert::expr::{compile_field, normalise, parse_expr_over, validate_state_names};
use hadacert::ode::lohner::{integrate, SolverOptions, Trajectory};
use hadacert::ode::problems::{CrossEntropyFlow, Lorenz};
use hadacert::spectral::flows::BalancedFlow;
use rug::Rational;
use std::path::Path;

fn field(names: &[&str], f: &[&str]) -> CompiledField {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    validate_state_names(&names).unwrap();
    let parsed: Vec<_> = f
        .iter()
        .map(|t| normalise(&parse_expr_over(t, &names).unwrap(), 2))
        .collect();
    let refs: Vec<_> = parsed.iter().collect();
    let prog = compile_field(&refs, names.len(), "").unwrap();
    assert!(prog.is_smooth());
    CompiledField(prog)
}

fn start<T: Field>(v: &[i64], prec: u32) -> Vec<T> {
    v.iter()
        .map(|&n| T::from_rational(&Rational::from(n), prec))
        .collect()
}

/// Every component of the two end enclosures overlaps (both are enclosures of the same
/// solution), and both are finite and at most `width` wide.
fn assert_agree<T: Enclosure>(a: &Trajectory<T>, b: &Trajectory<T>, width: f64) {
    assert_eq!(a.end_time(), b.end_time());
    for (i, (x, y)) in a.end().iter().zip(b.end()).enumerate() {
        assert!(x.intersect(y).is_some(), "component {i}: {x:?} vs {y:?}");
        assert!(x.is_finite() && x.width_upper() <= width, "{i}: {x:?}");
        assert!(y.is_finite() && y.width_upper() <= width, "{i}: {y:?}");
    }
}

const BALANCED_K4: [&str; 4] = [
    "0",
    "l1 * (exp((l0 - l1 + l2 - l3)/4) + exp((l0 - l1 - l2 + l3)/4)) / (exp((l0 + l1 + l2 + l3)/4) + exp((l0 - l1 + l2 - l3)/4) + exp((l0 + l1 - l2 - l3)/4) + exp((l0 - l1 - l2 + l3)/4))",
    "l2 * (exp((l0 + l1 - l2 - l3)/4) + exp((l0 - l1 - l2 + l3)/4)) / (exp((l0 + l1 + l2 + l3)/4) + exp((l0 - l1 + l2 - l3)/4) + exp((l0 + l1 - l2 - l3)/4) + exp((l0 - l1 - l2 + l3)/4))",
    "l3 * (exp((l0 - l1 + l2 - l3)/4) + exp((l0 + l1 - l2 - l3)/4)) / (exp((l0 + l1 + l2 + l3)/4) + exp((l0 - l1 + l2 - l3)/4) + exp((l0 + l1 - l2 - l3)/4) + exp((l0 - l1 - l2 + l3)/4))",
];

#[test]
fn balanced_k4_written_out_agrees_with_the_builtin_flow() {
    // (4.2) at K = 4 written by hand (proofs-data/flows/user.toml) against BalancedFlow(4),
    // on inari and on MPFR at 128 bits, from an exact start off NC, to T = 1.
    let user = field(&["l0", "l1", "l2", "l3"], &BALANCED_K4);
    let s = [0, 1, 2, 3];
    let t = Rational::from(1);
    let opts = SolverOptions::default();
    let a = integrate(&user, &start::<Ival>(&s, 53), &t, &opts).unwrap();
    let b = integrate(&BalancedFlow(4), &start::<Ival>(&s, 53), &t, &opts).unwrap();
    assert_agree(&a, &b, 1e-9);
    let a = integrate(&user, &start::<MpfrInterval>(&s, 128), &t, &opts).unwrap();
    let b = integrate(&BalancedFlow(4), &start::<MpfrInterval>(&s, 128), &t, &opts).unwrap();
    assert_agree(&a, &b, 1e-25);
    // the flow moved: lambda_1(1) ~ 1.2481 (not the start)
    assert!(MpfrInterval::from_rational(&Rational::from((6, 5)), 128).certainly_lt(&a.end()[1]));
}

#[test]
fn cross_entropy_flow_restated_agrees_with_the_builtin_flow() {
    // z' = e_0 - softmax(z) in three dimensions (ode::problems::CrossEntropyFlow).
    let user = field(
        &["z0", "z1", "z2"],
        &[
            "1 - exp(z0) / (exp(z0) + exp(z1) + exp(z2))",
            "-exp(z1) / (exp(z0) + exp(z1) + exp(z2))",
            "-exp(z2) / (exp(z0) + exp(z1) + exp(z2))",
        ],
    );
    let s = [0, 1, -1];
    let t = Rational::from(2);
    let opts = SolverOptions::default();
    let a = integrate(&user, &start::<Ival>(&s, 53), &t, &opts).unwrap();
    let b = integrate(&CrossEntropyFlow(3), &start::<Ival>(&s, 53), &t, &opts).unwrap();
    assert_agree(&a, &b, 1e-9);
    let a = integrate(&user, &start::<MpfrInterval>(&s, 192), &t, &opts).unwrap();
    let b = integrate(
        &CrossEntropyFlow(3),
        &start::<MpfrInterval>(&s, 192),
        &t,
        &opts,
    )
    .unwrap();
    assert_agree(&a, &b, 1e-40);
}

#[test]
fn lorenz_written_by_the_user_agrees_with_a_256_bit_run() {
    let user = field(
        &["x", "y", "z"],
        &["10*(y - x)", "x*(28 - z) - y", "x*y - 8/3*z"],
    );
    let s = [1, 1, 1];
    let t = Rational::from((1, 2));
    let opts = SolverOptions::default();
    let lo = integrate(&user, &start::<Ival>(&s, 53), &t, &opts).unwrap();
    let hi = integrate(&user, &start::<MpfrInterval>(&s, 256), &t, &opts).unwrap();
    let builtin = integrate(&Lorenz, &start::<MpfrInterval>(&s, 256), &t, &opts).unwrap();
    assert_agree(&hi, &builtin, 1e-50);
    for (i, (x, y)) in lo.end().iter().zip(hi.end()).enumerate() {
        // the 256-bit enclosure lies inside the 53-bit one's hull, up to overlap at the ends
        let (xl, xu) = (x.lower_exact().unwrap(), x.upper_exact().unwrap());
        let (yl, yu) = (y.lower_exact().unwrap(), y.upper_exact().unwrap());
        assert!(xl <= yu && yl <= xu, "component {i}: {x:?} vs {y:?}");
        assert!(x.width_upper() < 1e-7, "{i}: {x:?}");
        assert!(y.width_upper() < 1e-50, "{i}: {y:?}");
    }
}

const LORENZ: &str = r#"
[[claim]]
id = "u"
kind = "ode"
expect = "proved"
backend = "inari"
width_bound = "1e-6"
state = ["x", "y", "z"]
field = ["10*(y - x)", "x*(28 - z) - y", "x*y - 8/3*z"]
start = { kind = "list", values = ["1", "1", "1"] }
horizon = "1/4"
bounds = [{ quantity = "z", at = "end", below = "100" }]
"#;

fn error_of(text: &str) -> String {
    match parse_claims(text, Path::new("user.toml")) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_fields_are_refused_before_anything_runs() {
    let with = |from: &str, to: &str| {
        assert!(LORENZ.contains(from), "{from}");
        LORENZ.replacen(from, to, 1)
    };
    let cases: &[(String, &[&str])] = &[
        // unknown name, with the nearest state name suggested and the column
        (
            with("x*(28 - z) - y", "xx*(28 - z) - y"),
            &[
                "user.toml",
                "u",
                "field[1]",
                "column 1",
                "`xx`",
                "did you mean `x`",
            ],
        ),
        (
            with("x*y - 8/3*z", "x*y - 8/3*omega"),
            &["field[2]", "column 11", "`omega`", "the state is x, y, z"],
        ),
        (with("10*(y - x)", "d/dt y"), &["field[0]", "d/dt"]),
        (with("10*(y - x)", "abs(y - x)"), &["field[0]", "smooth"]),
        (with("10*(y - x)", "max(y, x)"), &["field[0]", "smooth"]),
        (with("10*(y - x)", "t * x"), &["field[0]", "autonomous"]),
        (with("10*(y - x)", "lambda_1"), &["field[0]", "`lambda_1`"]),
        (with("10*(y - x)", "V"), &["field[0]", "`V`"]),
        (with("10*(y - x)", "at(0, x)"), &["field[0]", "at("]),
        (
            with(r#", "x*y - 8/3*z"]"#, "]"),
            &["field", "2 components for a state of 3 names"],
        ),
        (
            with(r#"["x", "y", "z"]"#, r#"["x", "y", "x"]"#),
            &["state", "repeats state[0]"],
        ),
        (
            with(r#"["x", "y", "z"]"#, r#"["x", "y", "exp"]"#),
            &["state", "reserved"],
        ),
        (
            with(r#"["1", "1", "1"]"#, r#"["1", "1"]"#),
            &["start", "2 values for a state of 3 names"],
        ),
        (
            with(r#"quantity = "z""#, r#"quantity = "q""#),
            &["bounds[0].quantity", "`q`"],
        ),
        (
            with(r#"at = "end""#, r#"at = "2""#),
            &["bounds[0].at", "outside [0, horizon]"],
        ),
    ];
    for (text, needles) in cases {
        let e = error_of(text);
        for n in *needles {
            assert!(e.contains(n), "`{n}` not in: {e}");
        }
    }
}

#[test]
fn ddt_follows_the_users_field_and_both_verdicts_come_out() {
    // x' = -x: d/dt x + x = 0 along the field (along the built-in balanced field of dimension
    // 1 it would be x, refuted) (an enclosure proves the bound |.| < 1e-12, never
    // the equality); x(1) = e^-1 ~ 0.3679, so x(1) < 0.37 is proved and x(1) < 0.36 refuted.
    let text = |bound: &str| {
        format!(
            r#"
[[claim]]
id = "decay"
kind = "ode"
expect = "proved"
backend = "mpfr"
precision_bits = 128
width_bound = "1e-20"
state = ["x"]
field = ["-x"]
start = {{ kind = "list", values = ["1"] }}
horizon = "1"
bounds = [{bound}]
"#
        )
    };
    let run = |bound: &str| certify_text_as(&text(bound), "decay.toml").remove(0);
    // at the end (a tight box: over a whole step's range box the interval evaluation of
    // -x + x is as wide as the box, which decides nothing)
    let c = run(r#"{ quantity = "d/dt x + x", at = "end", above = "-1e-12", below = "1e-12" }"#);
    assert_eq!(c.verdict, Verdict::Proved, "{c:?}");
    let c = run(r#"{ quantity = "x", at = "end", below = "0.37" }"#);
    assert_eq!(c.verdict, Verdict::Proved, "{c:?}");
    let c = run(r#"{ quantity = "x", at = "end", below = "0.36" }"#);
    assert_eq!(c.verdict, Verdict::Refuted, "{c:?}");
    // the certificate records the field as written and normalised
    assert_eq!(c.exact_inputs["field"][0], "-x");
    assert_eq!(c.exact_inputs["field_normalised"][0], "-x");
    assert!(c.statement.contains("x' = -x"), "{}", c.statement);
}
