//! The Lyapunov function V and the distance metrics M1-M4 of docs/math.md sections 6-7, on the
//! balanced spectrum `lambda` (mode 0 excluded from the normalised spectrum).

use crate::arith::{working_prec, Enclosure, Real};

/// Encloses `V(lambda) = log(mean_{m!=0} lambda_m) - mean_{m!=0} log lambda_m`
/// (= KL(u || lambda~)), defined for `lambda_m > 0`, m != 0.
pub fn enclose_lyapunov<T: Real>(lambda: &[T]) -> T {
    let rest = &lambda[1..];
    let n = T::from_i64(rest.len() as i64, working_prec(&lambda));
    let mut sum = rest[0].clone();
    let mut logs = rest[0].ln();
    for l in &rest[1..] {
        sum += l;
        logs += l.ln();
    }
    (sum / &n).ln() - logs / &n
}

/// Encloses `dV/dt = sum_m lambda_m' / sum_m lambda_m - mean_m lambda_m' / lambda_m` (m != 0)
/// given the state and its time derivative (the chain rule applied to V; no closed form).
pub fn enclose_lyapunov_rate<T: Real>(lambda: &[T], lambda_dot: &[T]) -> T {
    let n = T::from_i64((lambda.len() - 1) as i64, working_prec(&lambda));
    let mut s = T::zero();
    let mut sd = T::zero();
    let mut ratio = T::zero();
    for (l, d) in lambda[1..].iter().zip(&lambda_dot[1..]) {
        s += l;
        sd += d;
        ratio += d.clone() / l;
    }
    sd / &s - ratio / &n
}

/// The normalised spectrum `lambda~_m = lambda_m / sum_{m'!=0} lambda_m'`, m != 0.
pub fn normalised<T: Real>(lambda: &[T]) -> Vec<T> {
    let mut s = lambda[1].clone();
    for l in &lambda[2..] {
        s += l;
    }
    lambda[1..].iter().map(|l| l.clone() / &s).collect()
}

/// Encloses M1 = `|| lambda~ - u ||_2`.
pub fn enclose_m1<T: Real>(lambda: &[T]) -> T {
    let nt = normalised(lambda);
    let u =
        T::from_i64(1, working_prec(&lambda)) / T::from_i64(nt.len() as i64, working_prec(&lambda));
    let mut acc = T::zero();
    for x in &nt {
        let d = x.clone() - &u;
        acc += d.clone() * &d;
    }
    acc.sqrt()
}

/// Encloses M2 = `1 - sum_{m!=0} lambda_m / (sqrt(K-1) ||lambda||_2)` (cosine distance of Z to
/// the simplex ETF; `||lambda||_2` over all K modes).
pub fn enclose_m2<T: Real>(lambda: &[T]) -> T {
    let p = working_prec(&lambda);
    let mut sq = T::zero();
    for l in lambda {
        sq += l.clone() * l;
    }
    let mut s = T::zero();
    for l in &lambda[1..] {
        s += l;
    }
    T::one() - s / (T::from_i64((lambda.len() - 1) as i64, p).sqrt() * sq.sqrt())
}

/// Encloses M3 = `KL(lambda~ || u) = sum lambda~_m log((K-1) lambda~_m)`.
pub fn enclose_m3<T: Real>(lambda: &[T]) -> T {
    let nt = normalised(lambda);
    let k1 = T::from_i64(nt.len() as i64, working_prec(&lambda));
    let mut acc = T::zero();
    for x in &nt {
        acc += x.clone() * (x.clone() * &k1).ln();
    }
    acc
}

/// Encloses M4 = `log(max_{m!=0} lambda_m / min_{m!=0} lambda_m)` (needs max/min: enclosures
/// only).
pub fn enclose_m4<T: Enclosure>(lambda: &[T]) -> T {
    let mut mx = lambda[1].clone();
    let mut mn = lambda[1].clone();
    for l in &lambda[2..] {
        mx = mx.max(l);
        mn = mn.min(l);
    }
    (mx / &mn).ln()
}
