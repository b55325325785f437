//! The claim language (issue 15, first part): parser errors, agreement of the restated
//! built-ins with the Rust code on inari and MPFR, d/dt by dual numbers, the `expression` claim
//! kind, and a seeded fuzz test (no panic on any input).

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
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

// ---- Flows with parameters (docs/math.md section 13) and trajectory relations ----

use hadacert::spectral::field::enclose_unbalanced_field;
use hadacert::spectral::variants::{
    enclose_balanced_field_with, enclose_nc_ray_field_with, enclose_unbalanced_field_with,
    FlowParams,
};

fn q(s: &str) -> Rational {
    hadacert::arith::parse_exact(s).unwrap()
}

fn params(beta: &str, eps: &str, tau: &str) -> FlowParams {
    FlowParams {
        weight_decay: q(beta),
        label_smoothing: q(eps),
        temperature: q(tau),
    }
}

/// The full objective at K = 4 written from scratch on dual numbers (one gradient component per
/// entry of Z): `L = (1/K) sum_k [lse(Z_{:,k} / tau) - sum_j Y_jk Z_jk / tau]`,
/// `Y = (1 - eps) I + (eps/K) J`. Returns `dL/dZ` (row-major).
fn full_grad_z(z: &[MpfrInterval], k: usize, p: &FlowParams, prec: u32) -> Vec<MpfrInterval> {
    let n = k * k;
    let zd: Vec<Dual<MpfrInterval>> = z
        .iter()
        .enumerate()
        .map(|(i, x)| Dual::variable(x.clone(), i, n))
        .collect();
    let c = |r: &Rational| Dual::<MpfrInterval>::from_rational(r, prec);
    let inv_tau = c(&Rational::from(p.temperature.recip_ref()));
    let one_minus = c(&(Rational::from(1) - p.label_smoothing.clone()));
    let share = c(&Rational::from(&p.label_smoothing / k as u32));
    let mut loss = Dual::<MpfrInterval>::from_i64(0, prec);
    for col in 0..k {
        let mut sum = Dual::<MpfrInterval>::from_i64(0, prec);
        let mut target = Dual::<MpfrInterval>::from_i64(0, prec);
        for j in 0..k {
            let zt = zd[j * k + col].clone() * &inv_tau;
            sum += zt.exp();
            let y = if j == col {
                one_minus.clone() + &share
            } else {
                share.clone()
            };
            target += y * &zt;
        }
        loss += sum.ln() - target;
    }
    let loss = loss / c(&Rational::from(k as u32));
    (0..n).map(|i| loss.partial(i)).collect()
}

#[test]
fn flow_variants_match_the_full_matrix_gradient() {
    // K = 4, Q = Had / 2 exactly, R = I (d = K): W = Q diag(a), H = diag(b) Q^T.
    let (k, prec) = (4usize, 256u32);
    let had = |i: usize, j: usize| {
        if (i & j).count_ones() % 2 == 0 {
            1i64
        } else {
            -1
        }
    };
    let qm = |i: usize, j: usize| Rational::from((had(i, j), 2));
    let a: Vec<Rational> = ["1/5", "3/2", "-1/3", "2"].iter().map(|s| q(s)).collect();
    let b: Vec<Rational> = ["1/2", "1", "1/4", "-3/2"].iter().map(|s| q(s)).collect();
    let iv = |r: &Rational| MpfrInterval::from_rational(r, prec);
    // exact W, H, Z
    let w: Vec<Rational> = (0..k * k)
        .map(|ij| Rational::from(&qm(ij / k, ij % k) * &a[ij % k]))
        .collect();
    let h: Vec<Rational> = (0..k * k)
        .map(|ij| Rational::from(&b[ij / k] * &qm(ij % k, ij / k)))
        .collect();
    let z: Vec<Rational> = (0..k * k)
        .map(|ij| {
            (0..k)
                .map(|l| Rational::from(&w[(ij / k) * k + l] * &h[l * k + ij % k]))
                .sum()
        })
        .collect();
    let zi: Vec<MpfrInterval> = z.iter().map(iv).collect();
    for p in [
        params("1/10", "0", "1"),
        params("0", "1/10", "1"),
        params("0", "0", "3/2"),
        params("1/7", "1/5", "1/3"),
    ] {
        let g = full_grad_z(&zi, k, &p, prec);
        let beta = iv(&p.weight_decay);
        // W' = -G H^T - beta W,  H' = -W^T G - beta H
        let mut wd = vec![MpfrInterval::from_i64(0, prec); k * k];
        let mut hd = vec![MpfrInterval::from_i64(0, prec); k * k];
        for i in 0..k {
            for j in 0..k {
                let mut s = MpfrInterval::from_i64(0, prec);
                let mut t = MpfrInterval::from_i64(0, prec);
                for l in 0..k {
                    s += g[i * k + l].clone() * &iv(&h[j * k + l]);
                    t += iv(&w[l * k + i]) * &g[l * k + j];
                }
                wd[i * k + j] = -s - &(beta.clone() * &iv(&w[i * k + j]));
                hd[i * k + j] = -t - &(beta.clone() * &iv(&h[i * k + j]));
            }
        }
        // rotate: Q^T W' (R = I) and H' Q
        let ai: Vec<MpfrInterval> = a.iter().map(iv).collect();
        let bi: Vec<MpfrInterval> = b.iter().map(iv).collect();
        let (da, db) = enclose_unbalanced_field_with(&ai, &bi, &p);
        for m in 0..k {
            for n in 0..k {
                let mut rw = MpfrInterval::from_i64(0, prec);
                let mut rh = MpfrInterval::from_i64(0, prec);
                for l in 0..k {
                    rw += iv(&qm(l, m)) * &wd[l * k + n];
                    rh += hd[m * k + l].clone() * &iv(&qm(l, n));
                }
                if m == n {
                    for (x, y, what) in [(&rw, &da[m], "a'"), (&rh, &db[m], "b'")] {
                        assert!(
                            x.intersect(y).is_some() && x.width_upper() < 1e-60,
                            "{p:?}: {what}_{m}: full {x:?} reduced {y:?}"
                        );
                    }
                } else {
                    assert!(
                        rw.contains_zero() && rh.contains_zero() && rw.width_upper() < 1e-60,
                        "{p:?}: off-diagonal ({m}, {n}) of the rotated field: {rw:?} {rh:?}"
                    );
                }
            }
        }
        // Balanced (a = b): lambda' = a' b + a b' is the balanced field with parameters.
        let lam: Vec<MpfrInterval> = ai.iter().map(|x| x.clone() * x).collect();
        let (da, db) = enclose_unbalanced_field_with(&ai, &ai, &p);
        let bal = enclose_balanced_field_with(&lam, &p);
        for m in 0..k {
            let prod = da[m].clone() * &ai[m] + &(ai[m].clone() * &db[m]);
            assert!(prod.intersect(&bal[m]).is_some() && bal[m].width_upper() < 1e-60);
        }
        // The NC ray (lambda_0 = 0, lambda_m = l): the balanced field's mode 1 is the ray field.
        let l = iv(&q("7/5"));
        let ray: Vec<MpfrInterval> = (0..8)
            .map(|m| {
                if m == 0 {
                    iv(&Rational::new())
                } else {
                    l.clone()
                }
            })
            .collect();
        let bal = enclose_balanced_field_with(&ray, &p);
        let r = enclose_nc_ray_field_with(&l, 8, &p);
        assert!(
            r.intersect(&bal[1]).is_some() && r.width_upper() < 1e-60,
            "{p:?}"
        );
    }
}

#[test]
fn plain_parameters_give_the_builtin_enclosures() {
    let x: Vec<Ival> = state(8, 53);
    let p = FlowParams::default();
    assert_eq!(
        enclose_balanced_field_with(&x, &p),
        enclose_balanced_field(&x)
    );
    let (a, b) = x.split_at(4);
    assert_eq!(
        enclose_unbalanced_field_with(a, b, &p),
        enclose_unbalanced_field(a, b)
    );
}

#[test]
fn weight_decay_drops_out_of_dv_dt_and_the_ray_has_its_fixed_point() {
    // V is homogeneous of degree 0 (docs/math.md section 13.2): the decay term of dV/dt is 0.
    let x: Vec<MpfrInterval> = state(8, 256);
    let p = params("1/10", "0", "1");
    let e = normalise(&parse_expr("d/dt V").unwrap(), 8);
    let plain = compile(&[&e], 8, StateKind::Balanced, "").unwrap();
    let decay = plain.clone().with_flow_params(p);
    let v0 = eval_pointwise(&plain, &x, 256).unwrap().remove(0);
    let v1 = eval_pointwise(&decay, &x, 256).unwrap().remove(0);
    let d = v1.clone() - &v0;
    assert!(d.contains_zero() && d.width_upper() < 1e-60, "{d:?}");
    assert!(v1.certainly_negative());
    // ...but the decay changes d/dt of a scale-dependent quantity (the loss).
    let e = normalise(&parse_expr("d/dt L").unwrap(), 8);
    let plain = compile(&[&e], 8, StateKind::Balanced, "").unwrap();
    let decay = plain.clone().with_flow_params(params("1/10", "0", "1"));
    let l0 = eval_pointwise(&plain, &x, 256).unwrap().remove(0);
    let l1 = eval_pointwise(&decay, &x, 256).unwrap().remove(0);
    assert!(l0.certainly_lt(&l1), "{l0:?} {l1:?}");
    // The NC-ray field vanishes (to enclosure width) at l* = ln(1/beta - K + 1), K = 4.
    let lstar = MpfrInterval::from_i64(7, 256).ln();
    let r = enclose_nc_ray_field_with(&lstar, 4, &params("1/10", "0", "1"));
    assert!(r.contains_zero() && r.width_upper() < 1e-60, "{r:?}");
    let r = enclose_nc_ray_field_with(
        &(lstar.clone() * &MpfrInterval::from_i64(2, 256)),
        4,
        &params("1/10", "0", "1"),
    );
    assert!(r.certainly_negative());
    assert_eq!(
        hadacert::spectral::variants::nc_ray_decay_fixed_point_argument(&q("1/10"), 4),
        Some(q("7"))
    );
    assert_eq!(
        hadacert::spectral::variants::nc_ray_decay_fixed_point_argument(&q("1/4"), 4),
        None
    );
}

const TRAJ: &str = r#"
[[claim]]
id = "t1"
kind = "trajectory"
expect = "proved"
backend = "inari"
width_bound = "1e-6"
flow = "balanced"
start = { kind = "list", values = ["0", "0.5", "1", "1.5"] }
horizon = "5"
weight_decay = "1/10"
bounds = [{ quantity = "V", at = "end", below = "1" }]
"#;

fn cert_of(text: &str) -> hadacert::cert::Certificate {
    certify(&parse_claims(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"))[0])
}

#[test]
fn flow_parameters_are_validated() {
    for (field, value, needle) in [
        ("weight_decay", "-1/10", "[0, 1000]"),
        ("weight_decay", "abc", ""),
        ("label_smoothing", "1", "[0, 1)"),
        ("temperature", "0", "1/1000"),
    ] {
        let t = TRAJ.replace("weight_decay = \"1/10\"", &format!("{field} = \"{value}\""));
        let e = parse_claims(&t, Path::new("t.toml")).unwrap_err();
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(needle), "{e}");
        let ex = format!(
            "[[claim]]\nid = \"e\"\nkind = \"expression\"\nexpect = \"proved\"\nbackend = \"inari\"\nflow = \"balanced\"\n\
             start = {{ kind = \"list\", values = [\"0\", \"1\", \"2\", \"3\"] }}\nexpression = \"d/dt V < 0\"\n{field} = \"{value}\"\n"
        );
        let e = parse_claims(&ex, Path::new("t.toml")).unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
    // the statement names the flow with its parameters
    let c = cert_of(TRAJ);
    assert_eq!(c.verdict, Verdict::Proved);
    assert!(
        c.statement.contains("weight decay beta = 1/10"),
        "{}",
        c.statement
    );
    assert!(c.statement.contains("- 2 (1/10) lambda"), "{}", c.statement);
}

#[test]
fn trajectory_expressions_and_relations_between_times() {
    let with = |extra: &str| TRAJ.replace("weight_decay = \"1/10\"\n", extra);
    // V halves (at least) by T = 5, and the loss falls from t = 0 to t = 5/2.
    let c = cert_of(&with("expression = \"at(T, V) <= at(0, V) / 2\"\n"));
    assert_eq!(c.verdict, Verdict::Proved, "{:?}", c.checks);
    let c = cert_of(&with("expression = \"at(5/2, L) > at(0, L)\"\n"));
    assert_eq!(c.verdict, Verdict::Refuted, "{:?}", c.checks);
    // expression quantities in bounds (at a time, on [0, T]) and in `decreasing`
    let c = cert_of(&with(
        "decreasing = [\"M3 + V\"]\nbounds = [{ quantity = \"V\", at = \"end\", below = \"1\" }, \
         { quantity = \"d/dt V\", at = \"end\", below = \"0\" }, \
         { quantity = \"L + V\", at = \"all\", below = \"3\" }, \
         { quantity = \"|M3 - V|\", at = \"1/3\", below = \"1\" }]\n",
    )
    .replace("bounds = [{ quantity = \"V\", at = \"end\", below = \"1\" }]\n", ""));
    assert_eq!(c.verdict, Verdict::Proved, "{:?}", c.checks);
    assert!(c.checks.iter().any(|k| k.name.contains("at t = 1/3")));
    // errors: an equality, a state value outside at(), a time beyond T, at() outside trajectories
    for (extra, field, needle) in [
        (
            "expression = \"at(T, V) == at(0, V)\"\n",
            "expression",
            "equality",
        ),
        (
            "expression = \"at(T, V) < V\"\n",
            "expression",
            "outside any",
        ),
        (
            "expression = \"at(6, V) < 1\"\n",
            "expression",
            "outside [0, horizon]",
        ),
        ("expression = \"at(t, V) < 1\"\n", "expression", "time of"),
        ("expression = \"V < 1\"\n", "expression", "outside any"),
    ] {
        let e = parse_claims(&with(extra), Path::new("t.toml")).unwrap_err();
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(needle), "{extra}: {e}");
    }
    let e = parse_expr("at(T, V)").unwrap_err();
    assert!(e.message.contains("trajectory claim"), "{e}");
    let t = TRAJ.replace("at = \"end\"", "at = \"7\"");
    let e = parse_claims(&t, Path::new("t.toml")).unwrap_err();
    assert_eq!(e.field, "bounds[0].at", "{e}");
    let t = TRAJ.replace("quantity = \"V\"", "quantity = \"Vv\"");
    let e = parse_claims(&t, Path::new("t.toml")).unwrap_err();
    assert!(e.message.contains("unknown quantity"), "{e}");
    let t = TRAJ.replace("quantity = \"V\"", "quantity = \"V + lamda_1\"");
    let e = parse_claims(&t, Path::new("t.toml")).unwrap_err();
    assert!(e.message.contains("did you mean"), "{e}");
}

// ---- cost work (inline dual numbers) and region claims in the language (issue 15) ----

use hadacert::ode::dual::DualN;

/// `outer` contains `inner` (exact ends).
fn contains<T: Enclosure>(outer: &T, inner: &T) -> bool {
    match (
        outer.lower_exact(),
        outer.upper_exact(),
        inner.lower_exact(),
        inner.upper_exact(),
    ) {
        (Some(a), Some(b), Some(c), Some(d)) => a <= c && d <= b,
        _ => false,
    }
}

/// `d/dt` on the inline dual numbers now used by `eval_pointwise` gives exactly the enclosure
/// of the `Vec` dual numbers (the same interval operations in the same order), at K = 4, 8, 16.
#[test]
fn inline_dual_numbers_give_the_vec_dual_enclosures() {
    fn check<T: Enclosure + Scalar>(k: usize, prec: u32) {
        let x: Vec<T> = state(if k == 4 { 8 } else { k }, prec)[..k].to_vec();
        for text in [
            "d/dt V",
            CHAIN_RULE,
            "d/dt M2",
            "d/dt (M3 + |lambda_1 - lambda_2|)",
        ] {
            let e = normalise(&parse_expr(text).unwrap(), k);
            let prog = compile(&[&e], k, StateKind::Balanced, text).unwrap();
            let seeded: Vec<Dual<T>> = x
                .iter()
                .zip(flow_velocity(StateKind::Balanced, &x))
                .map(|(v, d)| Dual {
                    value: v.clone(),
                    grad: vec![d],
                })
                .collect();
            let mut ev = hadacert::expr::Evaluator::<Dual<T>>::new(&prog);
            ev.run(&prog, &seeded, prec).unwrap();
            let by_vec = ev.output(&prog, 0).value.clone();
            let now = eval_pointwise(&prog, &x, prec).unwrap().remove(0);
            assert_eq!(now, by_vec, "{text}, K = {k}");
            // And the reused register file gives the same again.
            let seeded_n = hadacert::expr::eval::seed_with_flow(&prog, &x, prec).unwrap();
            let mut evn = hadacert::expr::Evaluator::<DualN<T, 1>>::new(&prog);
            evn.run(&prog, &seeded_n, prec).unwrap();
            evn.run(&prog, &seeded_n, prec).unwrap();
            assert_eq!(
                evn.output(&prog, 0).value,
                by_vec,
                "{text}, K = {k} (reused)"
            );
        }
    }
    for k in [4, 8, 16] {
        check::<Ival>(k, 53);
        check::<MpfrInterval>(k, 128);
    }
}

/// V and M2 restated: identical enclosures (the same operations in the same order); `d/dt V`
/// is the closed form (identical to `enclose_v_rate`) and contains the 256-bit reference; by
/// automatic differentiation (other operations, the path of other flows) the language and the
/// built-in chain-rule enclosure both contain the reference and their widths are within a factor
/// 4 of each other, at K = 4, 8, 16 on inari and MPFR-128.
#[test]
fn language_and_builtin_enclosures_agree_with_a_256_bit_reference() {
    fn check<T: Enclosure + Scalar>(k: usize, prec: u32) {
        let step = if k == 16 { 3 } else { 2 };
        let exact: Vec<Rational> = (0..k).map(|m| Rational::from((m as i64, step))).collect();
        let x: Vec<T> = exact.iter().map(|q| T::from_rational(q, prec)).collect();
        let r: Vec<MpfrInterval> = exact
            .iter()
            .map(|q| MpfrInterval::from_rational(q, 256))
            .collect();
        assert_eq!(eval("V", &x, prec), enclose_lyapunov(&x), "V, K = {k}");
        assert_eq!(eval("M2", &x, prec), enclose_m2(&x), "M2, K = {k}");
        let reference = enclose_lyapunov_rate(&r, &enclose_balanced_field(&r));
        assert!(reference.width_upper() < 1e-60, "K = {k}");
        let builtin = enclose_lyapunov_rate(&x, &enclose_balanced_field(&x));
        // `d/dt V` is compiled to the closed form of spectral::rates (identical to it); the
        // dual-number path (other flows) is checked on the same expression without it.
        let closed = eval("d/dt V", &x, prec);
        assert_eq!(closed, enclose_v_rate(&x), "closed form, K = {k}");
        let e = normalise(&parse_expr("d/dt V").unwrap(), k);
        let dual = compile(&[&e], k, StateKind::Balanced, "d/dt V")
            .unwrap()
            .without_closed_forms();
        let ad = eval_pointwise(&dual, &x, prec).unwrap().remove(0);
        // Compare at the reference's precision: exact ends of both.
        let lift = |e: &T| {
            let (lo, hi) = (e.lower_exact().unwrap(), e.upper_exact().unwrap());
            MpfrInterval::from_rational(&lo, 256).hull(&MpfrInterval::from_rational(&hi, 256))
        };
        assert!(
            contains(&lift(&ad), &reference),
            "d/dt V contains the reference, K = {k}"
        );
        assert!(
            contains(&lift(&closed), &reference),
            "the closed form contains it, K = {k}"
        );
        assert!(
            contains(&lift(&builtin), &reference),
            "built-in contains it, K = {k}"
        );
        let (wa, wb) = (ad.width_upper(), builtin.width_upper());
        assert!(
            wa > 0.0 && wb > 0.0 && wa <= 4.0 * wb && wb <= 4.0 * wa,
            "{wa} {wb}, K = {k}"
        );
    }
    for k in [4, 8, 16] {
        check::<Ival>(k, 53);
        check::<MpfrInterval>(k, 128);
    }
}

/// The region prover's gradient from the language (dual numbers over the box variables, each
/// with a tangent seeded with the field) encloses what the built-in closed form encloses: the
/// value and every partial derivative of `(dV/dt) / (1 - p(0))` intersect on boxes of K = 4 and
/// 8 (a fixed deterministic sequence of boxes).
#[test]
fn language_region_gradient_meets_the_builtin_gradient() {
    use hadacert::expr::eval::value_and_gradient;
    use hadacert::prove::region::{gradient_on_box, RateQuantity};
    fn check<const N: usize>(seed: &mut u64) {
        let text = "d/dt V / (1 - p(0))";
        let e = normalise(&parse_expr(text).unwrap(), N + 1);
        let prog = compile(&[&e], N + 1, StateKind::Balanced, text).unwrap();
        for _ in 0..20 {
            let spectrum: Vec<Ival> = (0..N)
                .map(|_| {
                    *seed ^= *seed << 13;
                    *seed ^= *seed >> 7;
                    *seed ^= *seed << 17;
                    let lo = 0.05 + (*seed % 1000) as f64 / 500.0;
                    let w = lo * ((*seed >> 20) % 100) as f64 / 2000.0;
                    Ival::from_f64(lo, 53).hull(&Ival::from_f64(lo + w, 53))
                })
                .collect();
            let (bv, bg) = gradient_on_box(RateQuantity::V, &spectrum);
            let (lv, lg) = value_and_gradient::<Ival, N>(&prog, &spectrum, 0, 53).unwrap();
            assert!(lv.is_finite() && bv.is_finite());
            assert!(lv.intersect(&bv).is_some(), "value, K = {}", N + 1);
            for i in 0..N {
                assert!(lg[i].is_finite(), "partial {i}");
                assert!(
                    lg[i].intersect(&bg[i]).is_some(),
                    "partial {i}, K = {}",
                    N + 1
                );
            }
        }
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    check::<3>(&mut seed);
    check::<7>(&mut seed);
}

fn shipped(file: &str, id: &str) -> hadacert::claim::Claim {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    parse_claims(&text, &path)
        .unwrap()
        .into_iter()
        .find(|c| c.spec.id == id)
        .unwrap_or_else(|| panic!("{id} in {file}"))
}

/// dV/dt restated in the language on the K = 4 region of c4region-k4-small-inari: the same
/// verdict as the built-in C4region claim, each closing every box by interval evaluation.
#[test]
fn language_region_claim_agrees_with_the_builtin_c4region_verdict() {
    let lang = certify(&shipped(
        "proofs-data/expression/region.toml",
        "exprregion-k4-dVdt",
    ));
    let builtin = certify(&shipped(
        "proofs-data/c4region/regression-issue18.toml",
        "c4region-k4-small-inari",
    ));
    assert_eq!(builtin.verdict, Verdict::Proved);
    assert_eq!(lang.verdict, builtin.verdict);
    assert_eq!(
        lang.exact_inputs["normalised_lo"],
        builtin.exact_inputs["normalised_lo"]
    );
    assert_eq!(lang.exact_inputs["scale"], builtin.exact_inputs["scale"]);
    assert!(lang.statement.contains("d/dt V <= 0"), "{}", lang.statement);
    assert!(lang.margin.is_some());
}

fn region_claim(expression: &str, lo: &str, hi: &str, extra: &str) -> String {
    format!(
        r#"
[[claim]]
id = "r"
kind = "expression-region"
expect = "proved"
backend = "inari"
k = 4
expression = "{expression}"
normalised_lo = {{ kind = "list", values = ["{lo}", "{lo}", "{lo}"] }}
normalised_hi = {{ kind = "list", values = ["{hi}", "{hi}", "{hi}"] }}
scale = ["1", "2"]
{extra}
"#
    )
}

/// Near NC no sign argument is used for a language quantity: on a region holding NC, without
/// an excluded ball, `d/dt V <= 0` (true there, and proved by the built-in C4region with its
/// term-wise argument) stays undecided; with `nc_radius` the ball is excluded and says so, and
/// a refuting state lies outside it.
#[test]
fn language_region_claims_never_use_the_builtin_sign_arguments() {
    let t = region_claim(
        "d/dt V <= 0",
        "0.3",
        "0.4",
        "max_depth = 6\nmax_boxes = 5000",
    );
    let c = certify(&parse_claims(&t, Path::new("t.toml")).unwrap()[0]);
    assert_eq!(c.verdict, Verdict::Undecided);
    assert!(c
        .checks
        .iter()
        .all(|k| !k.name.contains("term-wise") && !k.name.contains("pairwise")));
    let w = certify(&shipped(
        "proofs-data/expression/region.toml",
        "exprregion-k4-weighted-V-refuted",
    ));
    assert_eq!(w.verdict, Verdict::Refuted);
    assert!(w
        .statement
        .contains("except the states within max-norm distance 1/20"));
    let check = w
        .checks
        .iter()
        .find(|k| k.name.starts_with("refuting state"))
        .unwrap();
    let list = check
        .detail
        .split('[')
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    let lambda: Vec<Rational> = list
        .split(", ")
        .map(|s| s.parse::<Rational>().unwrap())
        .collect();
    let total: Rational = lambda[1..].iter().fold(Rational::new(), |a, b| a + b);
    let third = Rational::from((1, 3));
    let dist = lambda[1..]
        .iter()
        .map(|l| Rational::from(Rational::from(l / &total) - &third).abs())
        .max()
        .unwrap();
    assert!(
        dist > Rational::from((1, 20)),
        "the witness is outside the excluded ball"
    );
}

#[test]
fn language_region_claims_refuse_symmetry_and_unsupported_k() {
    let sym = region_claim("d/dt V <= 0", "0.05", "0.9", "symmetry = \"GL(2,2)\"");
    let e = parse_claims(&sym, Path::new("t.toml")).unwrap_err();
    assert_eq!(e.field, "symmetry");
    assert!(e.message.contains("invariance"), "{}", e.message);
    let k16 = region_claim("d/dt V <= 0", "0.05", "0.9", "").replace("k = 4", "k = 16");
    assert_eq!(
        parse_claims(&k16, Path::new("t.toml")).unwrap_err().field,
        "k"
    );
    let unbalanced = region_claim("a_1 <= 0", "0.05", "0.9", "");
    let e = parse_claims(&unbalanced, Path::new("t.toml")).unwrap_err();
    assert_eq!(e.field, "expression");
    let eq = region_claim("V == 0", "0.05", "0.9", "");
    assert_eq!(
        parse_claims(&eq, Path::new("t.toml")).unwrap_err().field,
        "expression"
    );
}

// ---- d/dt of a built-in along the built-in flow: the closed form (docs/math.md section 11) ----

use hadacert::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_v_rate,
};

/// Exact balanced states at K: the C4 progression `m / 2`, a state with `lambda_0 != 0`, and two
/// from a seeded xorshift (numerators 1..=997 over 61 and 7).
fn exact_states(k: usize) -> Vec<Vec<Rational>> {
    let mut seed = 0x2545_f491_4f6c_dd1du64 ^ k as u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 997 + 1) as i64
    };
    let mut out = vec![
        (0..k).map(|m| Rational::from((m as i64, 2))).collect(),
        (0..k)
            .map(|m| Rational::from((2 * m as i64 + 3, 5)))
            .collect(),
    ];
    for den in [61, 7] {
        out.push((0..k).map(|_| Rational::from((next(), den))).collect());
    }
    out
}

fn compiled(text: &str, k: usize) -> hadacert::expr::Program {
    let e = normalise(&parse_expr(text).unwrap(), k);
    compile(&[&e], k, StateKind::Balanced, text).unwrap()
}

/// `d/dt V`, `d/dt M2`, `d/dt M3`, `d/dt (M1^2)` along the built-in balanced flow compile to the
/// closed forms of `spectral::rates` (no dual numbers): bitwise the built-in enclosures, on inari
/// and MPFR-128, at K = 4, 8, 16 and several exact states; `d/dt M1` is `d(M1^2)/dt / (2 M1)`.
/// Each meets the enclosure by dual numbers of the same expression (another enclosure of the same
/// number).
#[test]
fn ddt_of_a_builtin_along_the_builtin_flow_is_its_closed_form() {
    fn check<T: Enclosure + Scalar>(k: usize, prec: u32) {
        type Rate<T> = fn(&[T]) -> T;
        let rates: [(&str, Rate<T>); 4] = [
            ("d/dt V", enclose_v_rate::<T>),
            ("d/dt M2", enclose_m2_rate::<T>),
            ("d/dt M3", enclose_m3_rate::<T>),
            ("d/dt (M1^2)", enclose_m1_sq_rate::<T>),
        ];
        for exact in exact_states(k) {
            let x: Vec<T> = exact.iter().map(|q| T::from_rational(q, prec)).collect();
            for (text, builtin) in rates {
                let prog = compiled(text, k);
                assert_eq!(prog.closed_forms(), 1, "{text}");
                assert!(!prog.needs_tangent(), "{text}: no dual numbers");
                let now = eval_pointwise(&prog, &x, prec).unwrap().remove(0);
                let want = builtin(&x);
                assert!(want.is_finite(), "{text}, K = {k}");
                assert_eq!(now, want, "{text}, K = {k}, {exact:?}");
                let dual = prog.without_closed_forms();
                assert!(dual.needs_tangent() && dual.closed_forms() == 0);
                let by_duals = eval_pointwise(&dual, &x, prec).unwrap().remove(0);
                assert!(by_duals.is_finite(), "{text}");
                assert!(
                    by_duals.intersect(&now).is_some(),
                    "{text}: duals meet the closed form, K = {k}"
                );
            }
            let prog = compiled("d/dt M1", k);
            assert_eq!(prog.closed_forms(), 1);
            let two = T::from_rational(&Rational::from(2), prec);
            let want = enclose_m1_sq_rate(&x) / &(two * &enclose_m1(&x));
            assert_eq!(eval_pointwise(&prog, &x, prec).unwrap().remove(0), want);
        }
    }
    for k in [4, 8, 16] {
        check::<Ival>(k, 53);
        check::<MpfrInterval>(k, 128);
    }
}

/// The closed forms hold along the built-in balanced flow only: with weight decay, label
/// smoothing or a temperature, on the unbalanced state, and for a compound expression, `d/dt`
/// stays by dual numbers (and then gives what the program compiled without closed forms gives).
/// Where V or M3 may be undefined (some `lambda_m`, m != 0, not certainly positive) the closed
/// form decides nothing (not finite).
#[test]
fn closed_forms_only_along_the_builtin_flow_and_where_the_quantity_is_defined() {
    let x: Vec<MpfrInterval> = state(8, 128);
    for p in [
        params("1/10", "0", "1"),
        params("0", "1/10", "1"),
        params("0", "0", "2"),
    ] {
        let prog = compiled("d/dt V + d/dt M2", 8);
        assert_eq!(prog.closed_forms(), 2);
        let flowed = prog.clone().with_flow_params(p.clone());
        assert_eq!(flowed.closed_forms(), 0);
        assert!(flowed.needs_tangent());
        assert_eq!(flowed.flow_params(), &p);
        let by_duals = prog.without_closed_forms().with_flow_params(p);
        assert_eq!(
            eval_pointwise(&flowed, &x, 128).unwrap(),
            eval_pointwise(&by_duals, &x, 128).unwrap()
        );
    }
    // The default parameters keep the closed forms.
    let prog = compiled("d/dt V", 8).with_flow_params(FlowParams::default());
    assert_eq!(prog.closed_forms(), 1);
    for text in [
        "d/dt (V + M2)",
        "d/dt (2 * V)",
        "d/dt M4",
        "d/dt L",
        "d/dt lambda_1",
    ] {
        assert_eq!(compiled(text, 8).closed_forms(), 0, "{text}");
    }
    let e = normalise(&parse_expr("d/dt V").unwrap(), 4);
    let unbalanced = compile(&[&e], 4, StateKind::Unbalanced, "d/dt V").unwrap();
    assert_eq!(unbalanced.closed_forms(), 0);
    assert!(unbalanced.needs_tangent());
    // lambda_2 = 0: V and M3 are undefined (log 0), their rates decide nothing; M2 is defined.
    let mut z: Vec<MpfrInterval> = state(8, 128);
    z[2] = MpfrInterval::from_i64(0, 128);
    for text in ["d/dt V", "d/dt M3"] {
        let r = eval_pointwise(&compiled(text, 8), &z, 128)
            .unwrap()
            .remove(0);
        assert!(!r.is_finite(), "{text}: {r:?}");
    }
    let m2 = eval_pointwise(&compiled("d/dt M2", 8), &z, 128)
        .unwrap()
        .remove(0);
    assert_eq!(m2, enclose_m2_rate(&z));
    assert!(m2.is_finite());
}

/// `d/dt Q / (1 - p(0))` for Q = V, M1^2, M3 along the built-in flow compiles to one closed
/// form, the rate per off-target mass of the region prover (a compile-time rule, docs/math.md
/// section 11): on boxes of K = 4 and 8 (inari and MPFR-128) value and gradient are bitwise
/// those of `gradient_on_box`; at exact states (also with `lambda_0 != 0`) the value is bitwise
/// the kernel's and meets the closed-form rate divided by the language's own `1 - p(0)` (the
/// shape defeated by writing `1 - p(0) + 0`). `d/dt M2` and `d/dt M1` over `1 - p(0)`, and any
/// other flow, stay a quotient.
#[test]
fn rate_over_the_off_target_mass_is_the_region_kernel() {
    use hadacert::expr::eval::value_and_gradient;
    use hadacert::prove::region::{gradient_on_box, RateQuantity};
    use hadacert::spectral::rates::{enclose_rate_per_off_target_mass, Rate};
    const CASES: [(&str, RateQuantity, Rate); 3] = [
        ("d/dt V", RateQuantity::V, Rate::V),
        ("d/dt (M1^2)", RateQuantity::M1, Rate::M1Squared),
        ("d/dt M3", RateQuantity::M3, Rate::M3),
    ];
    fn boxes<T: Enclosure + Scalar, const N: usize>(prec: u32, seed: &mut u64) {
        for (q, quantity, _) in CASES {
            let text = format!("{q} / (1 - p(0))");
            let prog = compiled(&text, N + 1);
            assert_eq!(prog.closed_forms(), 1, "{text}");
            assert!(!prog.needs_tangent(), "{text}");
            for _ in 0..6 {
                let spectrum: Vec<T> = (0..N)
                    .map(|_| {
                        *seed ^= *seed << 13;
                        *seed ^= *seed >> 7;
                        *seed ^= *seed << 17;
                        let lo = 0.05 + (*seed % 1000) as f64 / 500.0;
                        let w = lo * ((*seed >> 20) % 100) as f64 / 2000.0;
                        T::from_f64(lo, prec).hull(&T::from_f64(lo + w, prec))
                    })
                    .collect();
                let (bv, bg) = gradient_on_box(quantity, &spectrum);
                let (lv, lg) = value_and_gradient::<T, N>(&prog, &spectrum, 0, prec).unwrap();
                assert!(bv.is_finite(), "{text}, K = {}", N + 1);
                assert_eq!(lv, bv, "{text}, K = {}", N + 1);
                assert_eq!(lg[..], bg[..], "{text}, K = {}", N + 1);
            }
        }
    }
    fn states<T: Enclosure + Scalar>(k: usize, prec: u32) {
        for (i, exact) in exact_states(k).into_iter().enumerate() {
            let x: Vec<T> = exact.iter().map(|q| T::from_rational(q, prec)).collect();
            for (q, _, rate) in CASES {
                let text = format!("{q} / (1 - p(0))");
                let prog = compiled(&text, k);
                let now = eval_pointwise(&prog, &x, prec).unwrap().remove(0);
                let want = enclose_rate_per_off_target_mass(rate, &x);
                assert!(want.is_finite(), "{text}, K = {k}");
                assert_eq!(now, want, "{text}, K = {k}, {exact:?}");
                let quotient = compiled(&format!("{q} / (1 - p(0) + 0)"), k);
                let divided = eval_pointwise(&quotient, &x, prec).unwrap().remove(0);
                // The two progressions have small logits; the seeded states (entries up to 142)
                // may have `1 - p(0)` too small for the quotient to resolve, the case the kernel
                // is for.
                assert!(divided.is_finite() || i >= 2, "{text}, K = {k}, {exact:?}");
                assert!(
                    !divided.is_finite() || divided.intersect(&now).is_some(),
                    "{text}: the kernel meets the quotient, K = {k}, {exact:?}"
                );
                // Another flow: the quotient by dual numbers.
                let flowed = prog.with_flow_params(params("1/10", "0", "1"));
                assert_eq!(flowed.closed_forms(), 0, "{text}");
            }
            for q in ["d/dt M2", "d/dt M1"] {
                let prog = compiled(&format!("{q} / (1 - p(0))"), k);
                let quotient = compiled(&format!("{q} / (1 - p(0) + 0)"), k);
                // (Debug strings: a not-finite MPFR end is NaN, which is not equal to itself.)
                assert_eq!(
                    format!("{:?}", eval_pointwise(&prog, &x, prec).unwrap()),
                    format!("{:?}", eval_pointwise(&quotient, &x, prec).unwrap()),
                    "{q} stays a quotient"
                );
            }
        }
    }
    let mut seed = 0x51_7cc1_b727_220au64;
    boxes::<Ival, 3>(53, &mut seed);
    boxes::<Ival, 7>(53, &mut seed);
    boxes::<MpfrInterval, 3>(128, &mut seed);
    boxes::<MpfrInterval, 7>(128, &mut seed);
    for k in [4, 8] {
        states::<Ival>(k, 53);
        states::<MpfrInterval>(k, 128);
    }
}

/// The register files reused across calls (per thread and number type) give the enclosures of a
/// fresh evaluator whatever ran before: programs of the same and of other sizes, with and
/// without `d/dt`, at two precisions, interleaved.
#[test]
fn reused_register_files_give_the_enclosures_of_a_fresh_evaluator() {
    use hadacert::expr::eval::value_and_gradient;
    use hadacert::expr::Evaluator;
    use hadacert::ode::dual::DualN;
    let texts = [
        "d/dt V / (1 - p(0))",
        "V + 2 * M2",
        "d/dt (V + M2) - 1/3",
        "p(0) * L - 5/7",
        "max(m != 0, lambda_m) / (1 - p(0))",
    ];
    let progs: Vec<_> = texts.iter().map(|t| compiled(t, 4)).collect();
    let fresh = |p: &hadacert::expr::Program, spectrum: &[MpfrInterval], prec: u32| {
        let mut lambda = vec![DualN::<MpfrInterval, 3>::from_i64(0, prec)];
        lambda.extend(
            spectrum
                .iter()
                .enumerate()
                .map(|(i, e)| DualN::variable(e.clone(), i)),
        );
        if p.needs_tangent() {
            let seeded = hadacert::expr::eval::seed_with_flow(p, &lambda, prec).unwrap();
            let mut ev = Evaluator::<DualN<DualN<MpfrInterval, 3>, 1>>::new(p);
            ev.run(p, &seeded, prec).unwrap();
            ev.output(p, 0).value.clone()
        } else {
            let mut ev = Evaluator::<DualN<MpfrInterval, 3>>::new(p);
            ev.run(p, &lambda, prec).unwrap();
            ev.output(p, 0).clone()
        }
    };
    for round in 0..3 {
        for prec in [128, 64] {
            for (i, p) in progs.iter().enumerate().rev() {
                let spectrum: Vec<MpfrInterval> = (1..4)
                    .map(|m| {
                        let lo = Rational::from((m * 3 + round + i as i64, 7));
                        let hi = Rational::from((m * 3 + round + i as i64 + 1, 7));
                        MpfrInterval::from_rational(&lo, prec)
                            .hull(&MpfrInterval::from_rational(&hi, prec))
                    })
                    .collect();
                let want = fresh(p, &spectrum, prec);
                let (v, g) = value_and_gradient::<MpfrInterval, 3>(p, &spectrum, 0, prec).unwrap();
                assert_eq!(v, want.value, "{}, prec {prec}", texts[i]);
                assert_eq!(g[..], want.grad[..], "{}, prec {prec}", texts[i]);
                assert_eq!(v.prec(), want.value.prec());
                let x: Vec<MpfrInterval> = std::iter::once(MpfrInterval::from_i64(0, prec))
                    .chain(spectrum.iter().map(|e| e.mid_point()))
                    .collect();
                let mut ev = Evaluator::<MpfrInterval>::new(p);
                if !p.needs_tangent() {
                    ev.run(p, &x, prec).unwrap();
                    assert_eq!(
                        eval_pointwise(p, &x, prec).unwrap()[0],
                        *ev.output(p, 0),
                        "{}",
                        texts[i]
                    );
                }
            }
        }
    }
}
