//! The claim language (issue 15, first part): parser errors, agreement of the restated
//! built-ins with the Rust code on inari and MPFR, d/dt by dual numbers, the `expression` claim
//! kind, and a seeded fuzz test (no panic on any input).

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Ring};
use hadacert::cert::Verdict;
use hadacert::claim::{certify, parse_claims};
use hadacert::expr::eval::{eval_pointwise, flow_velocity};
use hadacert::expr::{compile, normalise, parse_expr, parse_relation, Scalar, StateKind};
use hadacert::ode::dual::Dual;
use hadacert::spectral::field::{enclose_balanced_field, enclose_spectral_loss};
use hadacert::spectral::lyapunov::{
    enclose_lyapunov, enclose_lyapunov_rate, enclose_m1, enclose_m2, enclose_m3, enclose_m4,
};
use rug::Rational;
use std::path::Path;

/// Evaluate `text` (an expression) at a balanced state on `T`.
fn eval<T: Scalar>(text: &str, state: &[T], prec: u32) -> T {
    let e = normalise(
        &parse_expr(text).unwrap_or_else(|e| panic!("{e}")),
        state.len(),
    );
    let prog = compile(&[&e], state.len(), StateKind::Balanced, text).unwrap();
    eval_pointwise(&prog, state, prec).unwrap().remove(0)
}

/// The C4 pointwise states: progressions 0, 1/2, 1, ... (K = 8) and 0, 1/3, ... (K = 16).
fn state<T: Field>(k: usize, prec: u32) -> Vec<T> {
    let step = if k == 8 { 2 } else { 3 };
    (0..k)
        .map(|m| T::from_rational(&Rational::from((m as i64, step)), prec))
        .collect()
}

const CHAIN_RULE: &str =
    "sum(m != 0, d/dt(lambda_m)) / sum(m != 0, lambda_m) - mean(m != 0, d/dt(lambda_m) / lambda_m)";

fn agreement<T: Enclosure + Scalar>(k: usize, prec: u32) {
    let x: Vec<T> = state(k, prec);
    // Identical enclosures: the expansions perform the built-in operations in the same order.
    assert_eq!(eval("V", &x, prec), enclose_lyapunov(&x), "V, K = {k}");
    assert_eq!(eval("M1", &x, prec), enclose_m1(&x), "M1, K = {k}");
    assert_eq!(eval("M2", &x, prec), enclose_m2(&x), "M2, K = {k}");
    assert_eq!(eval("M3", &x, prec), enclose_m3(&x), "M3, K = {k}");
    assert_eq!(eval("M4", &x, prec), enclose_m4(&x), "M4, K = {k}");
    assert_eq!(
        eval("L", &x, prec),
        enclose_spectral_loss(&x),
        "loss, K = {k}"
    );
    let builtin_rate = enclose_lyapunov_rate(&x, &enclose_balanced_field(&x));
    // The chain rule of src/spectral/lyapunov.rs, written in the language: identical too
    // (d/dt(lambda_m) is exactly the seeded component of the balanced field).
    assert_eq!(
        eval(CHAIN_RULE, &x, prec),
        builtin_rate,
        "chain rule, K = {k}"
    );
    // d/dt V by automatic differentiation: other operations, so another enclosure of the same
    // number. Neither contains the other in general; they must intersect and be as narrow.
    let ad = eval("d/dt V", &x, prec);
    assert!(ad.is_finite() && builtin_rate.is_finite());
    assert!(
        ad.intersect(&builtin_rate).is_some(),
        "d/dt V meets the built-in rate, K = {k}"
    );
    assert!(ad.width_upper() <= 4.0 * builtin_rate.width_upper() + 1e-300);
    assert!(ad.certainly_negative());
}

#[test]
fn restated_builtins_agree_on_inari_and_mpfr_at_k8_and_k16() {
    for k in [8, 16] {
        agreement::<Ival>(k, 53);
        agreement::<MpfrInterval>(k, 128);
    }
}

#[test]
fn ddt_comes_from_dual_numbers_seeded_with_the_field() {
    let x: Vec<MpfrInterval> = state(8, 128);
    let field = enclose_balanced_field(&x);
    // d/dt lambda_3 is the third component of the field, exactly.
    assert_eq!(eval("d/dt(lambda_3)", &x, 128), field[3]);
    // d/dt (lambda_3^2) = 2 lambda_3 lambda_3': the enclosure contains the product rule's.
    let two = MpfrInterval::from_rational(&Rational::from(2), 128);
    let by_hand = two * &x[3] * &field[3];
    let ad = eval("d/dt(lambda_3^2)", &x, 128);
    assert!(ad.intersect(&by_hand).is_some() && ad.width_upper() < 1e-35);
    // A constant has derivative 0; t is not defined at a pointwise state.
    assert!(eval("d/dt(K + 1)", &x, 128).contains_zero());
    let e = parse_expr("t + 1").unwrap();
    let err = compile(&[&e], 8, StateKind::Balanced, "t + 1").unwrap_err();
    assert_eq!(err.column, 1);
    // The same program runs on f64 and on dual numbers directly.
    let xf: Vec<f64> = (0..8).map(|m| m as f64 / 2.0).collect();
    let vf = eval::<f64>("V", &xf, 53);
    assert!((vf - enclose_lyapunov(&x).approx_f64()).abs() < 1e-12);
    let seeded: Vec<Dual<f64>> = xf
        .iter()
        .zip(flow_velocity(StateKind::Balanced, &xf))
        .map(|(v, d)| Dual {
            value: *v,
            grad: vec![d],
        })
        .collect();
    let prog = compile(&[&parse_expr("V").unwrap()], 8, StateKind::Balanced, "V").unwrap();
    let mut ev = hadacert::expr::Evaluator::<Dual<f64>>::new(&prog);
    ev.run(&prog, &seeded, 53).unwrap();
    let rate = ev.output(&prog, 0).partial(0);
    assert!((rate - eval("d/dt V", &x, 128).approx_f64()).abs() < 1e-12);
}

#[test]
fn an_evaluator_reused_for_another_program_takes_that_programs_constants() {
    let x: Vec<Ival> = state(8, 53);
    let p1 = compile(
        &[&parse_expr("lambda_1 + 1/3").unwrap()],
        8,
        StateKind::Balanced,
        "",
    )
    .unwrap();
    let p2 = compile(
        &[&parse_expr("lambda_1 + 5").unwrap()],
        8,
        StateKind::Balanced,
        "",
    )
    .unwrap();
    let mut ev = hadacert::expr::Evaluator::<Ival>::new(&p1);
    ev.run(&p1, &x, 53).unwrap();
    ev.run(&p2, &x, 53).unwrap();
    assert!(ev
        .output(&p2, 0)
        .contains_rational(&Rational::from((11, 2))));
    ev.run(&p1, &x, 53).unwrap();
    assert!(ev.output(&p1, 0).contains_rational(&Rational::from((5, 6))));
}

#[test]
fn abs_and_max_of_dual_numbers_are_not_finite_where_not_differentiable() {
    // At lambda_1 = lambda_2 the derivative of max(lambda_1, lambda_2) does not exist in
    // general: the enclosure must not be finite (never certifies).
    let mut x: Vec<Ival> = state(8, 53);
    x[2] = x[1];
    let d = eval("d/dt(max(lambda_1, lambda_2))", &x, 53);
    assert!(!d.is_finite());
    let d = eval("d/dt(|lambda_1 - lambda_2|)", &x, 53);
    assert!(!d.is_finite());
    // Away from the tie it is the derivative of the larger one.
    let x: Vec<Ival> = state(8, 53);
    assert_eq!(
        eval("d/dt(max(lambda_1, lambda_2))", &x, 53),
        eval("d/dt(lambda_2)", &x, 53)
    );
}

#[test]
fn errors_name_the_column_and_suggest_a_name() {
    let e = parse_relation("sum(m != 0, lamda_m) < 0").unwrap_err();
    assert_eq!(e.column, 13);
    assert!(
        e.message.contains("did you mean `lambda_m`"),
        "{}",
        e.message
    );
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert_eq!(lines[2].find('^'), Some(2 + 12), "{shown}");
    assert!(e.one_line().contains("\u{2038}lamda_m"), "{}", e.one_line());
    let e = parse_relation("d/dt Vv < 0").unwrap_err();
    assert_eq!(e.column, 6);
    assert!(e.message.contains("`V`"), "{}", e.message);
    let e = parse_relation("M2 = 0").unwrap_err();
    assert_eq!(e.column, 4);
    assert!(e.message.contains("equality"));
    let e = parse_relation("V").unwrap_err();
    assert!(e.message.contains("expected a relation"));
    let e = parse_expr("lambda_1 ^ (1/2)").unwrap_err();
    assert!(e.message.contains("integer"), "{}", e.message);
    let e = parse_expr("sum(m != 0, lambda_j)").unwrap_err();
    assert_eq!(e.column, 20, "{e}");
    let e = parse_expr("lambda_9").unwrap();
    let err = compile(&[&e], 8, StateKind::Balanced, "lambda_9").unwrap_err();
    assert!(
        err.message.contains("out of range") && err.column == 1,
        "{err}"
    );
    let e = parse_expr("1 + a_1").unwrap();
    let err = compile(&[&e], 8, StateKind::Balanced, "1 + a_1").unwrap_err();
    assert_eq!(err.column, 5);
    let e = parse_expr("d/dt(d/dt V)").unwrap_err();
    assert!(e.message.contains("second"), "{}", e.message);
    let e = parse_expr("1 / (K - 8)").unwrap();
    assert!(compile(&[&normalise(&e, 8)], 8, StateKind::Balanced, "").is_err());
}

#[test]
fn normalised_form_expands_builtins_and_folds_constants() {
    let r = parse_relation("|M2 - 1/10| <= 1/(K+2)").unwrap();
    let lhs = normalise(&r.lhs, 8);
    let rhs = normalise(&r.rhs, 8);
    assert_eq!(
        lhs.to_string(),
        "abs(1 - sum(m != 0, lambda_m) / (sqrt(7) * sqrt(sum(m, lambda_m^2))) - 1/10)"
    );
    assert_eq!(rhs.to_string(), "1/10");
    // The normalised form parses back to the same expression.
    let again = normalise(&parse_expr(&lhs.to_string()).unwrap(), 8);
    assert_eq!(again.to_string(), lhs.to_string());
    let x = normalise(
        &parse_expr("sum(g != 0, p(g) * (f(g) - f(0))) - 2^-1").unwrap(),
        4,
    );
    assert_eq!(x.to_string(), "sum(g != 0, p(g) * (f(g) - f(0))) - 1/2");
}

#[test]
fn aggregates_over_modes_and_group_elements() {
    let x: Vec<MpfrInterval> = state(8, 128);
    // sum_m s_m = K p(0) (docs/math.md (6.2)).
    let d = eval("sum(m, s_m) - K * p(0)", &x, 128);
    assert!(d.contains_zero() && d.width_upper() < 1e-35);
    // sum_m lambda_m s_m = K sum_g f(g) p(g) (docs/math.md (6.3)).
    let d = eval("sum(m, lambda_m * s_m) - K * sum(g, f(g) * p(g))", &x, 128);
    assert!(d.contains_zero() && d.width_upper() < 1e-35);
    // The pair form of d(M1^2)/dt (docs/math.md section 7.3) against the chain rule.
    let pair = eval(
        "-(4/K) * sum(m != 0, sum(j > m, x_m * x_j * (x_m - x_j) * (s_m - s_j)))",
        &x,
        128,
    );
    let chain = eval("d/dt(M1^2)", &x, 128);
    assert!(pair.intersect(&chain).is_some() && chain.width_upper() < 1e-30);
    // mean, prod, max, min and a bound index used as a number.
    let d = eval(
        "prod(m != 0, lambda_m) - exp(sum(m != 0, log(lambda_m)))",
        &x,
        128,
    );
    assert!(d.contains_zero() && d.width_upper() < 1e-30);
    let d = eval("max(m, m * 2) - 14 + min(m != 0, lambda_m) - 1/2", &x, 128);
    assert!(d.contains_zero() && d.width_upper() < 1e-35);
    let d = eval("mean(m, m) - 7/2", &x, 128);
    assert!(d.contains_zero());
}

#[test]
fn expression_claims_validate_and_certify() {
    let ok = r#"
[[claim]]
id = "e1"
kind = "expression"
expect = "proved"
backend = "inari"
flow = "balanced"
start = { kind = "progression", start = "0", step = "1/2", len = 8 }
expression = "d/dt V < 0"
"#;
    let claims = parse_claims(ok, Path::new("t.toml")).unwrap();
    let c = certify(&claims[0]);
    assert_eq!(c.verdict, Verdict::Proved);
    assert!(
        c.statement.contains("log(mean(m != 0, lambda_m))"),
        "{}",
        c.statement
    );
    assert_eq!(c.exact_inputs["expression"], "d/dt V < 0");
    assert!(c.margin.is_some());
    let refuted = ok.replace("d/dt V < 0", "d/dt V >= 0");
    let c = certify(&parse_claims(&refuted, Path::new("t.toml")).unwrap()[0]);
    assert_eq!(c.verdict, Verdict::Refuted);
    // A bound that only touches: <= proves at equality of ends, < does not.
    let touch = ok.replace("d/dt V < 0", "K <= 8");
    assert_eq!(
        certify(&parse_claims(&touch, Path::new("t.toml")).unwrap()[0]).verdict,
        Verdict::Proved
    );
    let strict = ok.replace("d/dt V < 0", "K < 8");
    assert_eq!(
        certify(&parse_claims(&strict, Path::new("t.toml")).unwrap()[0]).verdict,
        Verdict::Refuted
    );
    // log of lambda_0 = 0 is not finite: undecided, never a verdict.
    let bad = ok.replace("d/dt V < 0", "log(lambda_0) < 1");
    assert_eq!(
        certify(&parse_claims(&bad, Path::new("t.toml")).unwrap()[0]).verdict,
        Verdict::Undecided
    );
    for (text, field, needle) in [
        ("d/dt V == 0", "expression", "equality"),
        ("sum(m != 0, lamda_m) < 0", "expression", "column 13"),
        ("a_1 < 0", "expression", "unbalanced"),
    ] {
        let t = ok.replace("d/dt V < 0", text);
        let e = parse_claims(&t, Path::new("t.toml")).unwrap_err();
        assert_eq!(e.field, field);
        assert!(e.message.contains(needle), "{}", e.message);
        assert!(!e.to_string().contains('\n'));
    }
    let missing = ok.replace("expression = \"d/dt V < 0\"\n", "");
    assert_eq!(
        parse_claims(&missing, Path::new("t.toml"))
            .unwrap_err()
            .field,
        "expression"
    );
    let b = ok.replace("flow = \"balanced\"", "flow = \"unbalanced\"");
    assert_eq!(
        parse_claims(&b, Path::new("t.toml")).unwrap_err().field,
        "start_b"
    );
}

/// xorshift64*, seeded: the same inputs on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

#[test]
fn fuzz_no_panic_on_any_input() {
    let pieces = [
        "lambda_m",
        "lambda_1",
        "lambda_9",
        "a_1",
        "s_m",
        "x_m",
        "f(g)",
        "p(0)",
        "K",
        "t",
        "V",
        "M1",
        "M2",
        "M3",
        "M4",
        "L",
        "loss",
        "exp(",
        "log(",
        "log1p(",
        "expm1(",
        "sqrt(",
        "abs(",
        "max(",
        "min(",
        "sum(m != 0, ",
        "mean(g, ",
        "prod(j > m, ",
        "max(m, ",
        "d/dt ",
        "d/dt(",
        "(",
        ")",
        "|",
        ",",
        "+",
        "-",
        "*",
        "/",
        "^",
        "^2",
        "^-3",
        "^99",
        "<",
        ">",
        "<=",
        ">=",
        "=",
        "!=",
        "0",
        "1",
        "1/2",
        "1e-3",
        "2.5",
        "1e999999",
        ".",
        "_",
        "m",
        "g",
        "#",
        "é",
        " ",
        "lamda",
        "sum(",
        "x",
        "\u{2028}",
        "99999999999999999999",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let xi: Vec<Ival> = state(8, 53);
    let xf: Vec<f64> = (0..8).map(|m| m as f64 / 2.0).collect();
    let mut parsed = 0;
    for _ in 0..4000 {
        let n = 1 + rng.next() % 12;
        let text: String = (0..n).map(|_| rng.pick(&pieces)).collect();
        for rel in [false, true] {
            let exprs = if rel {
                parse_relation(&text).map(|r| vec![r.lhs, r.rhs])
            } else {
                parse_expr(&text).map(|e| vec![e])
            };
            let Ok(exprs) = exprs else { continue };
            parsed += 1;
            for kind in [StateKind::Balanced, StateKind::Unbalanced] {
                let norm: Vec<_> = exprs.iter().map(|e| normalise(e, 8)).collect();
                let refs: Vec<_> = norm.iter().collect();
                let Ok(prog) = compile(&refs, 8, kind, &text) else {
                    continue;
                };
                let len = prog.state_len();
                let _ = eval_pointwise(&prog, &xi[..len.min(8)], 53);
                if len == 8 {
                    let _ = eval_pointwise(&prog, &xi, 53);
                    let _ = eval_pointwise(&prog, &xf, 53);
                } else {
                    let both: Vec<Ival> = xi.iter().chain(&xi).copied().collect();
                    let _ = eval_pointwise(&prog, &both, 53);
                }
            }
        }
    }
    assert!(
        parsed > 100,
        "the generator reaches the evaluator ({parsed} parsed)"
    );
    // Pathological sizes are errors, not panics or hangs.
    let deep = "(".repeat(1000) + "1" + &")".repeat(1000);
    assert!(parse_expr(&deep).is_err());
    let nested = "sum(m, sum(j, sum(g, lambda_m * lambda_j * lambda_g)))".to_string();
    let e = parse_expr(&nested).unwrap();
    assert!(compile(&[&e], 1024, StateKind::Balanced, &nested).is_err());
    assert!(parse_expr("").is_err());
}
