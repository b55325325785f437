//! The region prover (src/prove) and the scale-free rates it evaluates (src/spectral/rates.rs).

use hadacert::ode::dual::Dual;
use hadacert::spectral::field::enclose_balanced_field;
use hadacert::spectral::lyapunov::{enclose_lyapunov, enclose_m1, enclose_m2, enclose_m3};
use hadacert::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_v_rate,
};

/// SplitMix64, for reproducible test points.
fn splitmix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// `d/dt q(lambda(t))` along the balanced field, by forward-mode AD of the metric itself.
fn chain_rule(lambda: &[f64], q: impl Fn(&[Dual<f64>]) -> Dual<f64>) -> f64 {
    let dl = enclose_balanced_field(lambda);
    let x: Vec<Dual<f64>> = lambda
        .iter()
        .zip(&dl)
        .map(|(l, d)| Dual {
            value: *l,
            grad: vec![*d],
        })
        .collect();
    q(&x).partial(0)
}

#[test]
fn closed_form_rates_agree_with_the_chain_rule_along_the_field() {
    let mut seed = 7u64;
    for &k in &[4usize, 8, 16, 32] {
        for _ in 0..20 {
            let scale = 0.1 + 20.0 * splitmix(&mut seed);
            let lambda: Vec<f64> = (0..k)
                .map(|m| {
                    if m == 0 {
                        0.3 * splitmix(&mut seed)
                    } else {
                        scale * (0.05 + splitmix(&mut seed))
                    }
                })
                .collect();
            let close = |a: f64, b: f64, what: &str| {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "K={k} {what}: closed form {a} vs chain rule {b}"
                );
            };
            close(
                enclose_v_rate(&lambda),
                chain_rule(&lambda, |x| enclose_lyapunov(x)),
                "dV/dt",
            );
            close(
                enclose_m1_sq_rate(&lambda),
                chain_rule(&lambda, |x| {
                    let m = enclose_m1(x);
                    m.clone() * &m
                }),
                "d(M1^2)/dt",
            );
            close(
                enclose_m2_rate(&lambda),
                chain_rule(&lambda, |x| enclose_m2(x)),
                "dM2/dt",
            );
            close(
                enclose_m3_rate(&lambda),
                chain_rule(&lambda, |x| enclose_m3(x)),
                "dM3/dt",
            );
        }
    }
}
