//! Extreme regimes: values beyond the f64 range, and states with lambda_m exactly 0, negative,
//! subnormal or tiny. What each function returns there is defined here and tested on inari and
//! on MPFR at 53, 64, 113 and 256 bits, against MPFR at 2048 bits.
//!
//! **exp beyond f64.** For x > ln(f64::MAX) = 709.78..., inari's `exp(x)` and `exp_m1(x)` are
//! `[f64::MAX, +inf]` (and `Ei(x)` from x ~ 716): sound, not finite, so they certify nothing;
//! MPFR at every precision returns a finite enclosure with its precision's relative width
//! (`exp(1e6)` = 10^434294.48...). For x < -745.13, inari's `exp(x)` is `[0, 2^-1074]`: finite
//! and sound, but no longer certainly positive; MPFR's lower end stays positive. Softmax and
//! log-sum-exp never overflow for logits up to 1e6: the shift keeps every exponent <= 0, and
//! inari's enclosures are finite and contain the 2048-bit values.
//!
//! **End to end (claim API).** A certificate built from unbounded enclosures is *undecided*,
//! never proved:
//! * the NC ray from l(0) = 1000 or 1e6 (a trajectory claim): its field needs `exp(l)`, so on
//!   inari no integration step validates and the claim is undecided; on MPFR (128 bits) the same
//!   claim is proved and `l(10)` is enclosed within 1e-20;
//! * C6 with L = 1000 and 10^4: `T(1 -> L) ~ e^L / 2L` is `[f64::MAX, inf]` on inari
//!   (undecided); MPFR records a finite enclosure of the 2048-bit value (relative width
//!   < 1e-30; its verdict is not asserted: route 1 computes the relative width in f64, which
//!   is inf / f64::MAX beyond the f64 range, so it is undecided there too);
//! * C1 with lambda up to 1e6 on inari is proved (the logits reach 1e6 but the softmax shift
//!   keeps every exponent <= 0), and its recorded diagonal contains the 2048-bit `s`;
//! * C1 with lambda ~ 1e24 (not representable in f64: the logits' enclosures are ~1e8 wide and
//!   `exp` of that width overflows) is undecided on inari and proved on MPFR;
//! * C1 with lambda ~ 1e308 (`Had lambda` overflows f64) is undecided on inari. MPFR is not
//!   proved there either: the softmax shift is the f64 approximation of the largest logit,
//!   whose error (~1e291) makes `exp` overflow MPFR's exponent range; MPFR carries on up to
//!   logits of about 1e25.
//!
//! **lambda_m = 0, negative, subnormal, tiny** (`zero_negative_and_subnormal_lambda`; `F`:
//! finite and containing the 2048-bit value, or where that is undefined the continuous
//! extension, i.e. the value with each zero replaced by 1e-600; `N`: not finite, never
//! certifies; `A`: either, depending on whether an intermediate comes out as an exact 0;
//! `inari / mpfr` where the backends differ; "dV/dt chain" is `enclose_lyapunov_rate` along
//! `enclose_balanced_field`, "dV/dt" and the other rates are `spectral::rates`):
//!
//! | lambda | field | s | loss | V | dV/dt chain | dV/dt | M1 | M2 | M3 | M4 | d(M1^2)/dt | dM2/dt | dM3/dt |
//! |---|---|---|---|---|---|---|---|---|---|---|---|---|---|
//! | (0, 0, 1, 2) | F | F | F | N | N | F | F | F | F / N | N | F | F | F / N |
//! | (0, -1, 1, 2) | F | F | F | N | F | F | F | F | N | N | F | F | N |
//! | (0, 2^-1074, 1, 2) | F | F | F | F | F | F | F | F | N / F | N / F | F | F | N / F |
//! | (0, 1e-310, 1, 2) | F | F | F | F | F | F | F | F | F | N / F | F | F | F |
//! | (1, 1, 2, 3) 1e-320 | F | F | F | F | F | F | F | N / F | F | F | F | N / F | F |
//! | (0, 1, 2, 3) 1e-300 | F | F | F | F | F | F | F | N / F | F | F | F | N / F | F |
//! | (1, 0, 0, 0) | F | F | F | N | N | A | N | F | N | N | A | F | A |
//! | (0, 0, 0, 0) | F | F | F | N | N | A | N | N | N | N | A | N | A |
//! | (-1, 1, 1, 2) | F | F | F | F | F | F | F | F | F | F | F | F | F |
//! | (0, -1, -2, -3) | F | F | F | N | F | F | F | F | F | F | F | F | F |
//!
//! In words: the field, `s` and the loss are defined for every real lambda, and the field is
//! exactly 0 at every lambda_m = 0 (zero modes stay zero). V, M4 and the chain-rule dV/dt need
//! lambda_m > 0 for m != 0 and are not finite at lambda_m = 0 (V = +inf there); at a negative
//! lambda_m, V, M3, M4 and dM3/dt are not finite, while the formulas without logarithms (M1,
//! M2, the closed-form rates) are evaluated as written. M3 and dM3/dt at lambda_m = 0: inari
//! returns the continuous extension (0 ln 0 = 0: inari multiplies the exact 0 by the
//! not-finite `ln 0`, which IEEE 1788 makes exactly 0), MPFR returns NaN. When every
//! lambda_m (m != 0) is 0, the normalised spectrum is 0/0: M1, M3 and the chain rule are not
//! finite, while M2 = 1 and dM2/dt = 0 exactly. Subnormal and tiny states: MPFR is always finite
//! and correct; inari is unbounded where an intermediate leaves the f64 range: M2 and dM2/dt
//! when every |lambda_m| < ~1e-154 (lambda^2 underflows), M4 when max/min > f64::MAX, M3 and
//! dM3/dt when lambda_m / sum lambda underflows to 0. Division by an exact 0 is not finite on
//! both backends, and stays not finite under a hull (`division_by_an_exact_zero`).

use hadacert::arith::{parse_exact, Enclosure, Field, Ival, MpfrInterval, Real};
use hadacert::cert::{Certificate, Verdict};
use hadacert::model::softmax::{enclose_log_sum_exp, enclose_softmax};
use hadacert::spectral::field::{
    enclose_balanced_field, enclose_spectral_loss, enclose_spectral_softmax,
};
use hadacert::spectral::lyapunov::{
    enclose_lyapunov, enclose_lyapunov_rate, enclose_m1, enclose_m2, enclose_m3, enclose_m4,
};
use hadacert::spectral::ncray::enclose_nc_ray_time;
use hadacert::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_v_rate,
};
use num_traits::{One, Zero};
use rug::{Float, Integer, Rational};

/// The reference: MPFR intervals at 2048 bits.
type R = MpfrInterval;
const RP: u32 = 2048;
const MPFR_PRECS: [u32; 4] = [53, 64, 113, 256];

/// An exact decimal or rational; `2^-1074` is the smallest positive subnormal f64.
fn q(text: &str) -> Rational {
    if text == "2^-1074" {
        return Rational::from((1, Integer::from(1) << 1074));
    }
    parse_exact(text).unwrap()
}

fn pow10(e: i32) -> Rational {
    let p = Rational::from(Integer::from(Integer::u_pow_u(10, e.unsigned_abs())));
    if e >= 0 {
        p
    } else {
        p.recip()
    }
}

/// The exact midpoint of a finite, narrow 2048-bit enclosure.
fn mid(r: &R) -> Rational {
    assert!(r.is_finite(), "reference not finite: {r:?}");
    let (lo, hi) = (r.lower_exact().unwrap(), r.upper_exact().unwrap());
    let m = Rational::from(&lo + &hi) / 2u32;
    let w = hi - lo;
    assert!(
        w <= Rational::from(m.abs_ref()).max(Rational::from(1)) * pow10(-250),
        "reference too wide: {r:?}"
    );
    m
}

fn certify_text(text: &str) -> Certificate {
    let mut certs = crate::common::certify_text_as(text, "extreme.toml");
    assert_eq!(certs.len(), 1);
    certs.remove(0)
}

/// The recorded enclosure `name` of a certificate as exact ends (None for an infinite end).
fn recorded(cert: &Certificate, name: &str) -> (Option<Rational>, Option<Rational>) {
    let e = cert
        .enclosures
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{}: no enclosure `{name}`", cert.id));
    (parse_exact(&e.lower).ok(), parse_exact(&e.upper).ok())
}

fn check_passed(cert: &Certificate, name: &str) -> bool {
    cert.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{}: no check `{name}`", cert.id))
        .passed
}

// ---------------------------------------------------------------------------------------------
// exp beyond the f64 range
// ---------------------------------------------------------------------------------------------

/// Arguments beyond ln(f64::MAX) = 709.78...: inari returns `[f64::MAX, +inf]` (sound, not
/// finite, certifies nothing); MPFR at every precision returns a finite enclosure of the
/// 2048-bit value with its precision's relative width.
#[test]
fn exp_beyond_the_f64_range() {
    for text in ["709.79", "710", "1000", "12345.6", "1000000"] {
        let x = q(text);
        for (name, f_inari, f_mpfr) in [
            ("exp", Ival::exp as fn(&Ival) -> Ival, R::exp as fn(&R) -> R),
            ("exp_m1", Ival::exp_m1, R::exp_m1),
            ("ei", Ival::ei, R::ei),
        ] {
            // Ei(x) ~ e^x / x overflows f64 only from x ~ 716.
            if name == "ei" && x < 717 {
                continue;
            }
            let y = f_inari(&Ival::from_rational(&x, 53));
            assert!(!y.is_finite(), "inari {name}({text}) = {y:?}");
            assert_eq!(y.upper_f64(), f64::INFINITY, "inari {name}({text})");
            assert_eq!(
                y.lower_f64(),
                f64::MAX,
                "inari {name}({text}): the lower end is still a bound"
            );
            assert!(!y.certainly_positive() && !y.certainly_negative());
            assert!(!y.contains_rational(&x) && y.lower_exact().is_none());
            let r = mid(&f_mpfr(&R::from_rational(&x, RP)));
            for p in MPFR_PRECS {
                let y = f_mpfr(&R::from_rational(&x, p));
                assert!(
                    y.is_finite() && y.contains_rational(&r),
                    "mpfr {p} {name}({text}) = {y:?}"
                );
                assert!(y.certainly_positive());
                let rel = (y.upper_exact().unwrap() - y.lower_exact().unwrap()) / &r;
                // input rounding (x has |x| ~ 2^20: a relative error 2^-p of x is 2^(20-p) in
                // exp(x)) plus the rounding of the result
                assert!(
                    rel < Rational::from((1, Integer::from(1) << (p - 24))),
                    "mpfr {p} {name}({text}): relative width {}",
                    rel.to_f64()
                );
            }
            // Out-of-range conversions to f64 are outward.
            let y = f_mpfr(&R::from_rational(&x, 128));
            assert_eq!((y.lower_f64(), y.upper_f64()), (f64::MAX, f64::INFINITY));
        }
    }
    // Just below the threshold inari is finite and correct.
    let x = q("709.78");
    let y = Ival::from_rational(&x, 53).exp();
    assert!(
        y.is_finite() && y.contains_rational(&mid(&R::from_rational(&x, RP).exp())),
        "{y:?}"
    );
    // exp(1e6) = 10^434294.48...
    let y = R::from_rational(&q("1000000"), 128).exp();
    assert_eq!(
        Float::with_val(128, y.lo()).log10().to_f64().floor(),
        434_294.0
    );
}

/// Large negative arguments underflow to `[0, tiny]` on inari (finite, still an enclosure, but
/// its sign is no longer certain); MPFR's lower end stays positive (`certainly_positive`
/// compares the lower end rounded down to f64, so it does not see a positive lower end below
/// 2^-1074 either).
#[test]
fn exp_below_the_f64_range() {
    for text in ["-746", "-1000", "-1000000"] {
        let x = q(text);
        let y = Ival::from_rational(&x, 53).exp();
        assert!(
            y.is_finite() && y.lower_f64() == 0.0 && y.upper_f64() <= 5e-324,
            "{y:?}"
        );
        assert!(!y.certainly_positive());
        let r = mid(&R::from_rational(&x, RP).exp());
        assert!(y.contains_rational(&r));
        for p in MPFR_PRECS {
            let y = R::from_rational(&x, p).exp();
            assert!(y.is_finite() && y.contains_rational(&r), "{p}: {y:?}");
            assert!(y.lower_exact().unwrap() > 0, "{p}: {y:?}");
        }
        // exp_m1 of such an argument is -1 + tiny: finite on both.
        let y = Ival::from_rational(&x, 53).exp_m1();
        assert!(y.is_finite() && y.contains_rational(&mid(&R::from_rational(&x, RP).exp_m1())));
    }
}

/// Softmax and log-sum-exp of logits up to 1e6 never overflow: the log-sum-exp shift keeps
/// every exponent <= 0, so inari returns finite enclosures of the 2048-bit values.
#[test]
fn softmax_and_log_sum_exp_of_huge_logits() {
    let cases: [&[&str]; 5] = [
        &["0", "1000000"],
        &["-1000000", "1000000", "999999.5"],
        &["1000000", "1000000.000000000001", "999999.999999999999"],
        &["12345.678", "-987654.321", "710", "709", "-745"],
        &["1000000", "1000000", "1000000", "1000000"],
    ];
    for f in cases {
        let fq: Vec<Rational> = f.iter().map(|t| q(t)).collect();
        let fr: Vec<R> = fq.iter().map(|x| R::from_rational(x, RP)).collect();
        let p_ref: Vec<Rational> = enclose_softmax(&fr).iter().map(mid).collect();
        let l_ref = mid(&enclose_log_sum_exp(&fr));
        let fi: Vec<Ival> = fq.iter().map(|x| Ival::from_rational(x, 53)).collect();
        for (p, r) in enclose_softmax(&fi).iter().zip(&p_ref) {
            assert!(p.is_finite() && p.contains_rational(r), "{f:?}: {p:?}");
        }
        let l = enclose_log_sum_exp(&fi);
        assert!(l.is_finite() && l.contains_rational(&l_ref), "{f:?}: {l:?}");
        for prec in MPFR_PRECS {
            let fm: Vec<R> = fq.iter().map(|x| R::from_rational(x, prec)).collect();
            for (p, r) in enclose_softmax(&fm).iter().zip(&p_ref) {
                assert!(
                    p.is_finite() && p.contains_rational(r),
                    "{f:?} at {prec}: {p:?}"
                );
            }
            assert!(enclose_log_sum_exp(&fm).contains_rational(&l_ref));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// End to end, through the claim API
// ---------------------------------------------------------------------------------------------

fn nc_ray_claim(backend: &str, l0: &str) -> String {
    format!(
        r#"
[[claim]]
id = "extreme-nc-ray-{backend}"
kind = "trajectory"
expect = "proved"
backend = "{backend}"
precision_bits = 128
width_bound = "1e-20"
flow = "nc_ray"
ray_k = 8
start = {{ kind = "list", values = ["{l0}"] }}
horizon = "10"
bounds = [{{ quantity = "l", at = "end", below = "2000000" }}]
"#
    )
}

/// The NC ray from `l(0) = 1e6` (and 1000): its field `2 l / (exp(l) + K - 1)` needs
/// `exp(l)`, which overflows f64. On inari no step validates and the claim is *undecided*
/// (never proved); MPFR's exponent range carries the same claim to *proved*.
#[test]
fn nc_ray_with_overflowing_exp_is_undecided_on_inari_and_proved_on_mpfr() {
    for l0 in ["1000", "1000000"] {
        let inari = certify_text(&nc_ray_claim("inari", l0));
        assert_eq!(inari.verdict, Verdict::Undecided, "inari from l0 = {l0}");
        assert!(!check_passed(
            &inari,
            "validated integration reached the horizon"
        ));
        let mpfr = certify_text(&nc_ray_claim("mpfr", l0));
        assert_eq!(mpfr.verdict, Verdict::Proved, "mpfr from l0 = {l0}");
        // l(10) = l0 + (less than 1e-400): the enclosure holds it.
        let (lo, hi) = recorded(&mpfr, "l(T)");
        let (lo, hi) = (lo.unwrap(), hi.unwrap());
        assert!(lo <= q(l0) + pow10(-400) && hi >= q(l0), "[{lo}, {hi}]");
        assert!(Rational::from(&hi - &lo) < pow10(-20));
    }
}

fn c6_claim(backend: &str, big_l: &str) -> String {
    format!(
        r#"
[[claim]]
id = "extreme-c6-{backend}"
kind = "C6"
expect = "proved"
backend = "{backend}"
precision_bits = 128
width_bound = "1e-10"
ks = [2, 8]
l0 = "1"
ls = ["{big_l}"]
ray_k = 8
ray_l0 = "1/2"
ray_times = ["10"]
start = {{ kind = "list", values = ["0", "0.1", "0.3", "0.55", "0.8", "1.2", "2", "3"] }}
horizon = "1"
"#
    )
}

/// C6 with `L` = 1000 and 10^4: `T(1 -> L)` contains `Ei(L) ~ e^L / L`, beyond f64. inari
/// records `[f64::MAX, inf]` and the claim is undecided, never proved; MPFR records a finite
/// enclosure of the 2048-bit value.
#[test]
fn c6_beyond_the_f64_range() {
    for big_l in ["1000", "10000"] {
        let inari = certify_text(&c6_claim("inari", big_l));
        assert_eq!(inari.verdict, Verdict::Undecided, "inari L = {big_l}");
        let mpfr = certify_text(&c6_claim("mpfr", big_l));
        assert_ne!(mpfr.verdict, Verdict::Refuted);
        for k in [2, 8] {
            let name = format!("T(K={k}: 1 -> {big_l})");
            let (lo, hi) = recorded(&inari, &name);
            assert!(
                lo.is_some() && hi.is_none(),
                "inari {name}: upper end must be inf"
            );
            let t = mid(&enclose_nc_ray_time(
                &R::from_rational(&Rational::from(1), RP),
                &R::from_rational(&q(big_l), RP),
                k,
            ));
            assert!(lo.unwrap() <= t);
            let (lo, hi) = recorded(&mpfr, &name);
            let (lo, hi) = (lo.expect("finite"), hi.expect("finite"));
            assert!(lo <= t && t <= hi, "mpfr {name}: [{lo}, {hi}]");
            assert!(Rational::from(&hi - &lo) / &t < pow10(-30));
        }
    }
}

fn c1_claim(backend: &str, width_bound: &str, values: &[&str]) -> String {
    let v: Vec<String> = values.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        r#"
[[claim]]
id = "extreme-c1-{backend}"
kind = "C1"
expect = "proved"
backend = "{backend}"
precision_bits = 128
width_bound = "{width_bound}"
matrix = {{ family = "sylvester", order = {} }}
lambda = {{ kind = "list", values = [{}] }}
"#,
        values.len(),
        v.join(", ")
    )
}

/// C1 with lambda up to 1e6 on inari: the logits reach 1e6, but the log-sum-exp shift keeps
/// every exponent <= 0, so nothing overflows and the claim is proved; every recorded diagonal
/// enclosure contains the 2048-bit `s_m`, and the widest off-diagonal one contains 0.
#[test]
fn c1_with_huge_lambda_on_inari() {
    let lam = [
        "0",
        "1000000",
        "999999.9",
        "-250000",
        "123456.789",
        "1e6",
        "1/3",
        "-1000000",
    ];
    let cert = certify_text(&c1_claim("inari", "1e-6", &lam));
    assert_eq!(cert.verdict, Verdict::Proved);
    let lr: Vec<R> = lam.iter().map(|t| R::from_rational(&q(t), RP)).collect();
    let s = enclose_spectral_softmax(&lr).s;
    for (m, sm) in s.iter().enumerate() {
        let (lo, hi) = recorded(&cert, &format!("(Q^T S Q)_{m}{m}"));
        let r = mid(sm);
        assert!(lo.unwrap() <= r && r <= hi.unwrap(), "s_{m}");
    }
    let off = cert
        .enclosures
        .iter()
        .find(|e| e.name.starts_with("widest off-diagonal"))
        .unwrap();
    assert!(parse_exact(&off.lower).unwrap() <= 0 && parse_exact(&off.upper).unwrap() >= 0);
}

/// C1 with lambda ~ 1e24, not representable in f64: inari's enclosures of the logits are about
/// 1e8 wide, `exp` of that width overflows, and the claim is undecided (never proved); MPFR at
/// 128 bits proves it.
#[test]
fn c1_with_lambda_beyond_f64_resolution() {
    let lam = ["1.2345678901234567891e24", "2e24", "-1e24", "3.3e24"];
    let inari = certify_text(&c1_claim("inari", "1e-12", &lam));
    assert_eq!(inari.verdict, Verdict::Undecided);
    assert!(!check_passed(&inari, "every enclosure finite"));
    let mpfr = certify_text(&c1_claim("mpfr", "1e-30", &lam));
    assert_eq!(mpfr.verdict, Verdict::Proved);
}

/// C1 with lambda ~ 1e308: `Had lambda` overflows f64, so inari's logits are unbounded and the
/// claim is undecided. (MPFR is undecided too: the softmax shift is an f64 approximation of the
/// largest logit, whose error, ~1e291 here, overflows `exp` beyond MPFR's exponent range; MPFR
/// carries on up to logits of about 1e25.)
#[test]
fn c1_with_lambda_near_f64_max() {
    let lam = ["1e308", "1e308", "-1e308", "1.5e308"];
    let inari = certify_text(&c1_claim("inari", "1e-12", &lam));
    assert_eq!(inari.verdict, Verdict::Undecided);
    assert!(!check_passed(&inari, "every enclosure finite"));
    let mpfr = certify_text(&c1_claim("mpfr", "1e-30", &lam));
    assert_ne!(mpfr.verdict, Verdict::Refuted);
}

// ---------------------------------------------------------------------------------------------
// lambda_m exactly 0, negative, subnormal, tiny
// ---------------------------------------------------------------------------------------------

/// The functions of the spectral dynamics, by name.
const FUNS: [&str; 13] = [
    "field",
    "s",
    "loss",
    "V",
    "dV/dt chain",
    "dV/dt",
    "M1",
    "M2",
    "M3",
    "M4",
    "d(M1^2)/dt",
    "dM2/dt",
    "dM3/dt",
];

fn eval<T: Enclosure>(name: &str, l: &[T]) -> Vec<T> {
    match name {
        "field" => enclose_balanced_field(l),
        "s" => enclose_spectral_softmax(l).s,
        "loss" => vec![enclose_spectral_loss(l)],
        "V" => vec![enclose_lyapunov(l)],
        "dV/dt chain" => vec![enclose_lyapunov_rate(l, &enclose_balanced_field(l))],
        "dV/dt" => vec![enclose_v_rate(l)],
        "M1" => vec![enclose_m1(l)],
        "M2" => vec![enclose_m2(l)],
        "M3" => vec![enclose_m3(l)],
        "M4" => vec![enclose_m4(l)],
        "d(M1^2)/dt" => vec![enclose_m1_sq_rate(l)],
        "dM2/dt" => vec![enclose_m2_rate(l)],
        "dM3/dt" => vec![enclose_m3_rate(l)],
        _ => unreachable!(),
    }
}

/// One edge case: K = 4 state, then the expected class of each function in [`FUNS`] order on
/// inari and on MPFR (53, 64, 113, 256 bits): `F` finite and containing the 2048-bit value (or,
/// where that is not finite, the value of the continuous extension: the 2048-bit value with
/// each zero replaced by 1e-600), `N` not finite (never certifies), `A` either (depends on whether an intermediate comes out as an exact 0: not finite, or finite and containing the continuous extension).
struct EdgeCase {
    name: &'static str,
    lambda: [&'static str; 4],
    inari: &'static str,
    mpfr: &'static str,
}

const SUB: &str = "2^-1074";

const EDGE_CASES: [EdgeCase; 10] = [
    EdgeCase {
        name: "lambda_1 = 0",
        lambda: ["0", "0", "1", "2"],
        inari: "FFFNNFFFFNFFF",
        mpfr: "FFFNNFFFNNFFN",
    },
    EdgeCase {
        name: "lambda_1 < 0",
        lambda: ["0", "-1", "1", "2"],
        inari: "FFFNFFFFNNFFN",
        mpfr: "FFFNFFFFNNFFN",
    },
    EdgeCase {
        name: "lambda_1 = 2^-1074 (smallest subnormal)",
        lambda: ["0", SUB, "1", "2"],
        inari: "FFFFFFFFNNFFN",
        mpfr: "FFFFFFFFFFFFF",
    },
    EdgeCase {
        name: "lambda_1 = 1e-310 (subnormal)",
        lambda: ["0", "1e-310", "1", "2"],
        inari: "FFFFFFFFFNFFF",
        mpfr: "FFFFFFFFFFFFF",
    },
    EdgeCase {
        name: "every lambda_m subnormal",
        lambda: ["1e-320", "1e-320", "2e-320", "3e-320"],
        inari: "FFFFFFFNFFFNF",
        mpfr: "FFFFFFFFFFFFF",
    },
    EdgeCase {
        name: "every lambda_m ~ 1e-300",
        lambda: ["0", "1e-300", "2e-300", "3e-300"],
        inari: "FFFFFFFNFFFNF",
        mpfr: "FFFFFFFFFFFFF",
    },
    EdgeCase {
        name: "lambda_m = 0 for every m != 0",
        lambda: ["1", "0", "0", "0"],
        inari: "FFFNNANFNNAFA",
        mpfr: "FFFNNANFNNAFA",
    },
    EdgeCase {
        name: "lambda = 0",
        lambda: ["0", "0", "0", "0"],
        inari: "FFFNNANNNNANA",
        mpfr: "FFFNNANNNNANA",
    },
    EdgeCase {
        name: "lambda_0 < 0",
        lambda: ["-1", "1", "1", "2"],
        inari: "FFFFFFFFFFFFF",
        mpfr: "FFFFFFFFFFFFF",
    },
    EdgeCase {
        name: "every lambda_m < 0 (m != 0)",
        lambda: ["0", "-1", "-2", "-3"],
        inari: "FFFNFFFFFFFFF",
        mpfr: "FFFNFFFFFFFFF",
    },
];

fn check_edge<T: Enclosure>(case: &EdgeCase, prec: u32, expected: &str) {
    let lam: Vec<Rational> = case.lambda.iter().map(|t| q(t)).collect();
    let l: Vec<T> = lam.iter().map(|x| T::from_rational(x, prec)).collect();
    let lr: Vec<R> = lam.iter().map(|x| R::from_rational(x, RP)).collect();
    // The continuous extension at a zero: the value with the zero replaced by 1e-600.
    let lr_ext: Vec<R> = lam
        .iter()
        .map(|x| R::from_rational(&if x.is_zero() { pow10(-600) } else { x.clone() }, RP))
        .collect();
    for (f, want) in FUNS.iter().zip(expected.chars()) {
        let got = eval(f, &l);
        let what = format!("{} at {}, {} ({} bits)", f, case.name, T::BACKEND, prec);
        match want {
            'N' => {
                for x in &got {
                    assert!(!x.is_finite(), "{what}: expected not finite, got {x:?}");
                    assert!(!x.certainly_positive() && !x.certainly_negative());
                }
            }
            'A' if !got.iter().all(|x| x.is_finite()) => {
                for x in &got {
                    assert!(!x.certainly_positive() && !x.certainly_negative());
                }
            }
            'F' | 'A' => {
                let reference = eval(f, &lr);
                let ext = eval(f, &lr_ext);
                for ((x, r), e) in got.iter().zip(&reference).zip(&ext) {
                    assert!(x.is_finite(), "{what}: expected finite, got {x:?}");
                    let r = if r.is_finite() { r } else { e };
                    assert!(x.contains_rational(&mid(r)), "{what}: {x:?} misses {r:?}");
                }
            }
            _ => unreachable!(),
        }
    }
    // Zero modes stay zero: the field is exactly 0 wherever lambda_m = 0.
    let field = eval("field", &l);
    for (x, v) in field.iter().zip(&lam) {
        if v.is_zero() {
            assert!(
                x.is_zero() || (x.lower_f64() == 0.0 && x.upper_f64() == 0.0),
                "{}: {x:?}",
                case.name
            );
        }
    }
}

/// The defined behaviour at lambda_m = 0, negative, subnormal or tiny, function by function,
/// on inari and on MPFR at 53, 64, 113 and 256 bits (the table in the header).
#[test]
fn zero_negative_and_subnormal_lambda() {
    for case in &EDGE_CASES {
        assert_eq!(case.inari.len(), FUNS.len());
        assert_eq!(case.mpfr.len(), FUNS.len());
        check_edge::<Ival>(case, 53, case.inari);
        for p in MPFR_PRECS {
            check_edge::<MpfrInterval>(case, p, case.mpfr);
        }
    }
    // Where the values are exact: M2 = 1 and dM2/dt = 0 when only lambda_0 is nonzero.
    let l: Vec<Ival> = ["1", "0", "0", "0"]
        .iter()
        .map(|t| Ival::from_rational(&q(t), 53))
        .collect();
    assert_eq!(eval("M2", &l)[0], Ival::one());
    assert!(eval("dM2/dt", &l)[0].is_zero() || eval("dM2/dt", &l)[0].upper_f64() == 0.0);
}

/// Division by an exact zero gives no information on either backend: the result is not finite
/// and stays not finite under a hull with a finite enclosure (so it can never certify).
#[test]
fn division_by_an_exact_zero() {
    fn check<T: Enclosure>(prec: u32) {
        let zero = T::from_rational(&Rational::new(), prec);
        let one = T::from_rational(&Rational::from(1), prec);
        for (what, v) in [
            ("1 / 0", one.clone() / &zero),
            ("0 / 0", zero.clone() / &zero),
            ("recip(0)", zero.recip()),
        ] {
            assert!(!v.is_finite(), "{} {what} = {v:?}", T::BACKEND);
            let h = one.hull(&v);
            assert!(!h.is_finite(), "{} hull(1, {what}) = {h:?}", T::BACKEND);
            assert!(!h.certainly_positive());
            let s = v.clone() + &one;
            assert!(!s.is_finite(), "{} {what} + 1 = {s:?}", T::BACKEND);
        }
    }
    check::<Ival>(53);
    for p in MPFR_PRECS {
        check::<MpfrInterval>(p);
    }
}
