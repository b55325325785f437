//! Containment against independent Arb reference values (256-bit balls computed by
//! python-flint; copied into `tests/data/arb_vectors.json` with the script's conventions).
//! A hadacert enclosure of the same quantity must intersect each ball.

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::model::{hadamard::HadamardMatrix, logits};
use hadacert::spectral::field::{
    enclose_balanced_field, enclose_spectral_loss, enclose_spectral_softmax,
};
use rug::{Float, Rational};

/// Parse an Arb ball "[mid +/- rad]" (or "0", or "[+/- rad]") into exact (lo, hi) rationals.
fn ball(text: &str) -> (Rational, Rational) {
    let t = text.trim();
    if !t.starts_with('[') {
        let q = hadacert::arith::parse_exact(t).unwrap();
        return (q.clone(), q);
    }
    let inner = &t[1..t.len() - 1];
    let (mid, rad) = inner.split_once("+/-").unwrap();
    let mid = if mid.trim().is_empty() {
        Rational::new()
    } else {
        hadacert::arith::parse_exact(mid.trim()).unwrap()
    };
    let rad = hadacert::arith::parse_exact(rad.trim()).unwrap();
    (Rational::from(&mid - &rad), Rational::from(&mid + &rad))
}

fn vectors() -> serde_json::Value {
    let text = include_str!("../data/arb_vectors.json");
    serde_json::from_str::<serde_json::Value>(text).unwrap()["values"].clone()
}

fn intersects<T: Enclosure>(x: &T, b: &(Rational, Rational)) -> bool {
    x.is_finite() && x.lower_exact().unwrap() <= b.1 && x.upper_exact().unwrap() >= b.0
}

fn lam8<T: Field>(prec: u32) -> Vec<T> {
    (0..8)
        .map(|m| T::from_rational(&Rational::from((m, 2)), prec))
        .collect()
}

fn check_k8<T: Enclosure>(prec: u32, tight: f64) {
    let v = vectors();
    let lam = lam8::<T>(prec);
    let sp = enclose_spectral_softmax(&lam);
    for (m, s) in sp.s.iter().enumerate() {
        let b = ball(v["K8_lam=0,1/2..7/2: s_m"][m].as_str().unwrap());
        assert!(intersects(s, &b), "s_{m} = {s:?} misses Arb's {b:?}");
        assert!(
            s.width_upper() < tight,
            "s_{m} too wide: {}",
            s.width_upper()
        );
    }
    let loss = enclose_spectral_loss(&lam);
    assert!(intersects(
        &loss,
        &ball(v["K8_lam=0,1/2..7/2: loss"].as_str().unwrap())
    ));
    let field = enclose_balanced_field(&lam);
    for (m, x) in field.iter().enumerate() {
        let b = ball(
            v["K8_lam=0,1/2..7/2: balanced field lambda'"][m]
                .as_str()
                .unwrap(),
        );
        assert!(intersects(x, &b), "lambda'_{m} = {x:?} misses {b:?}");
        assert!(x.width_upper() < tight);
    }
}

#[test]
fn k8_spectral_quantities_match_arb_inari() {
    check_k8::<Ival>(53, 1e-13);
}

#[test]
fn k8_spectral_quantities_match_arb_mpfr() {
    check_k8::<MpfrInterval>(64, 1e-16);
    check_k8::<MpfrInterval>(256, 1e-70);
}

#[test]
fn k16_loss_matches_arb() {
    let v = vectors();
    let lam: Vec<MpfrInterval> = (0..16)
        .map(|m| MpfrInterval::from_rational(&Rational::from((m, 3)), 200))
        .collect();
    let loss = enclose_spectral_loss(&lam);
    assert!(intersects(
        &loss,
        &ball(v["K16_lam=0,1/3..15/3: loss"].as_str().unwrap())
    ));
    assert!(loss.width_upper() < 1e-55);
}

fn max_offdiag<T: Enclosure>(h: &HadamardMatrix, lam: &[T]) -> T {
    let z = logits::enclose_logits(h, lam);
    let s = logits::enclose_column_softmax(&z);
    let m = logits::enclose_rotated(h, s);
    let k = h.order();
    let mut best: Option<T> = None;
    for i in 0..k {
        for j in 0..k {
            if i != j {
                let a = m[(i, j)].abs();
                best = Some(match best {
                    None => a,
                    Some(b) => b.max(&a),
                });
            }
        }
    }
    best.unwrap()
}

#[test]
fn paley12_offdiagonal_matches_arb() {
    let v = vectors();
    let b = ball(
        v["Paley12_lam=1/4..12/4: max offdiag |Q^T S Q|"]
            .as_str()
            .unwrap(),
    );
    let h = HadamardMatrix::paley(11).unwrap();
    let lam: Vec<MpfrInterval> = (1..=12)
        .map(|m| MpfrInterval::from_rational(&Rational::from((m, 4)), 128))
        .collect();
    let x = max_offdiag(&h, &lam);
    assert!(intersects(&x, &b), "{x:?} vs {b:?}");
    assert!(x.certainly_positive());
    let lam: Vec<Ival> = (1..=12)
        .map(|m| Ival::from_rational(&Rational::from((m, 4)), 53))
        .collect();
    assert!(intersects(&max_offdiag(&h, &lam), &b));
}

#[test]
fn sylvester8_offdiagonal_contains_zero_like_arb() {
    let v = vectors();
    let b = ball(
        v["Sylvester8_lam=0,1/2..7/2: max offdiag |Q^T S Q| (contains 0)"]
            .as_str()
            .unwrap(),
    );
    let h = HadamardMatrix::sylvester(8).unwrap();
    let x = max_offdiag(&h, &lam8::<MpfrInterval>(256));
    assert!(intersects(&x, &b));
    assert!(x.upper_f64() < 1e-70);
}

#[test]
fn nc_ray_time_matches_arb() {
    // T(1 -> L) = (1/2)[Ei(L) - Ei(1) + (K-1) ln L]  (docs/math.md section 8)
    let v = vectors();
    for k in [2i64, 8, 64] {
        for l in [5i64, 10, 20] {
            let b = ball(v[format!("NC ray K={k}: T(1 -> {l})")].as_str().unwrap());
            let big_l = MpfrInterval::from_i64(l, 192);
            let one = MpfrInterval::from_i64(1, 192);
            let t = (big_l.ei() - one.ei() + MpfrInterval::from_i64(k - 1, 192) * big_l.ln())
                .mul_pow2(-1);
            assert!(intersects(&t, &b), "K={k} L={l}: {t:?} vs {b:?}");
            assert!(t.width_upper() / t.upper_f64() < 1e-50);
        }
    }
    let _ = Float::new(2);
}

#[test]
fn lyapunov_and_its_rate_match_arb() {
    use hadacert::spectral::lyapunov::{enclose_lyapunov, enclose_lyapunov_rate};
    let v = vectors();
    let lam = lam8::<MpfrInterval>(200);
    let field = enclose_balanced_field(&lam);
    let vv = enclose_lyapunov(&lam);
    assert!(intersects(
        &vv,
        &ball(v["K8_lam=0,1/2..7/2: V"].as_str().unwrap())
    ));
    let dv = enclose_lyapunov_rate(&lam, &field);
    assert!(
        intersects(&dv, &ball(v["K8_lam=0,1/2..7/2: dV/dt"].as_str().unwrap())),
        "{dv:?}"
    );
    assert!(dv.certainly_negative() && dv.width_upper() < 1e-50);
    let lam16: Vec<Ival> = (0..16)
        .map(|m| Ival::from_rational(&Rational::from((m, 3)), 53))
        .collect();
    let dv16 = enclose_lyapunov_rate(&lam16, &enclose_balanced_field(&lam16));
    assert!(intersects(
        &dv16,
        &ball(v["K16_lam=0,1/3..15/3: dV/dt"].as_str().unwrap())
    ));
}
