//! Mixed precision in the validated integrator (issue 12): the coarse conversions of
//! `Enclosure` (`to_coarse` encloses, `from_coarse` is exact) and trajectories with the coarse
//! parts (`SolverOptions::coarse_apriori`, `coarse_jacobian`) against the fine ones. Seeded
//! (xorshift), no timing.

use hadacert::arith::{Enclosure, Field, Ival, MpfrInterval, Real, Ring};
use hadacert::ode::lohner::{integrate, SolverOptions, Trajectory};
use hadacert::ode::problems::Lorenz;
use hadacert::ode::VectorField;
use hadacert::spectral::flows::BalancedFlow;
use rug::float::Special;
use rug::{Float, Rational};

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random 256-bit float: mantissa of 256 random bits, sign random, binary exponent drawn
/// from one of the classes (ordinary, tiny and huge inside f64's range, beyond it both ways).
fn float(rng: &mut XorShift) -> Float {
    let mut m = Float::with_val(256, 0);
    for _ in 0..4 {
        m <<= 64;
        m += rng.next();
    }
    m >>= 256; // in [0, 1)
    let e: i32 = match rng.below(6) {
        0 => rng.below(40) as i32 - 20,
        1 => -(1000 + rng.below(80) as i32), // subnormal f64 range
        2 => 1000 + rng.below(23) as i32,    // near f64::MAX
        3 => -(1100 + rng.below(2000) as i32), // below the smallest subnormal
        4 => 1025 + rng.below(2000) as i32,  // above f64::MAX
        _ => rng.below(400) as i32 - 200,
    };
    m <<= e;
    if rng.below(2) == 0 {
        -m
    } else {
        m
    }
}

/// Random MPFR-256 intervals of every kind: ordinary, tiny, huge, beyond f64's range, exact
/// zero, points, straddling 0, thin (a few ulps) and infinite ends.
fn interval(rng: &mut XorShift) -> MpfrInterval {
    let (a, b) = (float(rng), float(rng));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    match rng.below(8) {
        0 => MpfrInterval::from_i64(0, 256),
        1 => MpfrInterval::point(lo),
        2 => {
            // straddling: [-|lo|, |hi|]
            let l = Float::with_val(256, -lo.abs());
            let h = Float::with_val(256, hi.abs());
            MpfrInterval::from_bounds(&l, &h, 256)
        }
        3 => {
            // a few ulps wide
            let mut h = lo.clone();
            for _ in 0..=rng.below(5) {
                h.next_up();
            }
            MpfrInterval::from_bounds(&lo, &h, 256)
        }
        4 => {
            let inf = Float::with_val(256, Special::Infinity);
            MpfrInterval::from_bounds(&lo, &inf, 256)
        }
        _ => MpfrInterval::from_bounds(&lo, &hi, 256),
    }
}

/// `outer` contains `inner` end by end (exact comparisons, infinities included).
fn contains(outer: &MpfrInterval, inner: &MpfrInterval) -> bool {
    outer.lo() <= inner.lo() && outer.hi() >= inner.hi()
}

#[test]
fn to_coarse_encloses_and_from_coarse_is_exact() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let (mut beyond, mut straddle, mut thin) = (0, 0, 0);
    for _ in 0..20_000 {
        let x = interval(&mut rng);
        let c = x.to_coarse();
        // back at 256 bits: exact, so the same set as c; it must contain x
        let back = MpfrInterval::from_coarse(&c, 256);
        assert!(contains(&back, &x), "{x:?} not inside {c:?}");
        assert_eq!(
            back.lo().clone(),
            c.lower_f64(),
            "from_coarse not exact: {c:?}"
        );
        assert_eq!(
            back.hi().clone(),
            c.upper_f64(),
            "from_coarse not exact: {c:?}"
        );
        assert_eq!(back.to_coarse(), c, "round trip of {c:?}");
        // below 53 bits the conversion rounds outward and still encloses
        let low = MpfrInterval::from_coarse(&c, 24);
        assert!(
            contains(&low, &back),
            "24-bit {low:?} does not enclose {c:?}"
        );
        // the coarse ends are the closest f64 outside x: one step inward leaves x
        if x.lo().is_finite() && c.lower_f64().is_finite() && c.lower_f64() < *x.lo() {
            let inward = c.lower_f64().next_up();
            assert!(inward > *x.lo(), "lower end of {c:?} not tight for {x:?}");
        }
        if x.hi().is_finite() && c.upper_f64().is_finite() && c.upper_f64() > *x.hi() {
            let inward = c.upper_f64().next_down();
            assert!(inward < *x.hi(), "upper end of {c:?} not tight for {x:?}");
        }
        beyond += (x.lo().is_finite() && x.lo().get_exp().map_or(false, |e| e.abs() > 1030)) as u32;
        straddle +=
            (x.lo().is_sign_negative() && x.hi().is_sign_positive() && !x.hi().is_zero()) as u32;
        thin += (x.is_finite() && x.width_upper() < 1e-40 * x.mag_upper()) as u32;
    }
    assert!(
        beyond > 300 && straddle > 300 && thin > 300,
        "{beyond} {straddle} {thin}"
    );
    // zero, NaN and lo > hi
    let z = MpfrInterval::from_i64(0, 256).to_coarse();
    assert!(z.lower_f64() == 0.0 && z.upper_f64() == 0.0);
    let nan = MpfrInterval::from_f64(f64::NAN, 256).to_coarse();
    assert!(!nan.is_finite());
    assert!(!MpfrInterval::from_coarse(&nan, 256).is_finite());
}

#[test]
fn inari_coarse_conversions_are_the_identity() {
    let mut rng = XorShift(77);
    for _ in 0..1000 {
        let a = f64::from_bits(rng.next()).clamp(-1e300, 1e300);
        let b = f64::from_bits(rng.next()).clamp(-1e300, 1e300);
        if a.is_nan() || b.is_nan() {
            continue;
        }
        let x = Ival::new(a.min(b), a.max(b));
        assert_eq!(x.to_coarse(), x);
        assert_eq!(Ival::from_coarse(&x, 53), x);
    }
}

fn conv<T: Field>(v: &[Rational], prec: u32) -> Vec<T> {
    v.iter().map(|q| T::from_rational(q, prec)).collect()
}

fn coarse(opts: &SolverOptions) -> SolverOptions {
    SolverOptions {
        coarse_apriori: true,
        coarse_jacobian: true,
        ..opts.clone()
    }
}

fn max_width<T: Enclosure>(x: &[T]) -> f64 {
    x.iter().map(|v| v.width_upper()).fold(0.0, f64::max)
}

/// The coarse run against the fine one: every end component intersects, the widest width is
/// within 2x, every step's record is consistent (X and the range inside B), and the two runs
/// take about as many steps.
fn compare<F: VectorField>(field: &F, x0: &[MpfrInterval], t: i64, opts: &SolverOptions) {
    let horizon = Rational::from(t);
    let fine = integrate(field, x0, &horizon, opts).expect("fine run");
    let crs = integrate(field, x0, &horizon, &coarse(opts)).expect("coarse run");
    assert_eq!(crs.end_time(), horizon);
    for (i, (f, c)) in fine.end().iter().zip(crs.end()).enumerate() {
        assert!(
            f.intersect(c).is_some(),
            "component {i}: {f:?} and {c:?} disjoint"
        );
    }
    let (wf, wc) = (max_width(fine.end()), max_width(crs.end()));
    assert!(
        wf > 0.0 && wc <= 2.0 * wf && wf <= 2.0 * wc,
        "widths {wf:e} fine, {wc:e} coarse"
    );
    let (sf, sc) = (fine.steps.len() as f64, crs.steps.len() as f64);
    assert!(
        sc <= 1.2 * sf + 2.0 && sf <= 1.2 * sc + 2.0,
        "steps {sf} fine, {sc} coarse"
    );
    check_steps(&crs);
}

fn check_steps<T: Enclosure>(tr: &Trajectory<T>) {
    for s in &tr.steps {
        for ((x, r), b) in s.start_box.iter().zip(&s.range).zip(&s.apriori) {
            assert!(
                x.subset(b) && r.subset(b),
                "step at {}: X or range not in B",
                s.t0
            );
        }
    }
}

#[test]
fn coarse_balanced_k4_mpfr128_agrees_with_fine() {
    let x0: Vec<Rational> = [0, 25, 80, 150]
        .iter()
        .map(|&n| Rational::from((n, 100)))
        .collect();
    compare(
        &BalancedFlow(4),
        &conv::<MpfrInterval>(&x0, 128),
        10,
        &SolverOptions::default(),
    );
}

#[test]
fn coarse_lorenz_mpfr128_agrees_with_fine() {
    let x0 = vec![Rational::from(1); 3];
    compare(
        &Lorenz,
        &conv::<MpfrInterval>(&x0, 128),
        2,
        &SolverOptions::default(),
    );
}

/// The C^1 route (`jacobian_order >= p`): the coarse full-order jet gives J and the
/// coefficients over X for the step size and the range; the centre pass stays fine.
#[test]
fn coarse_c1_jet_lorenz_mpfr128_agrees_with_fine() {
    let x0 = vec![Rational::from(1); 3];
    let opts = SolverOptions {
        jacobian_order: 100,
        ..SolverOptions::default()
    };
    compare(&Lorenz, &conv::<MpfrInterval>(&x0, 128), 1, &opts);
}

/// On inari the coarse type is inari itself: the options change nothing, bit for bit.
#[test]
fn coarse_options_change_nothing_on_inari() {
    let x0: Vec<Rational> = [0, 25, 80, 150]
        .iter()
        .map(|&n| Rational::from((n, 100)))
        .collect();
    let x0 = conv::<Ival>(&x0, 53);
    let opts = SolverOptions::default();
    let h = Rational::from(10);
    let fine = integrate(&BalancedFlow(4), &x0, &h, &opts).expect("fine run");
    let crs = integrate(&BalancedFlow(4), &x0, &h, &coarse(&opts)).expect("coarse run");
    assert_eq!(fine.steps.len(), crs.steps.len());
    for (a, b) in fine.steps.iter().zip(&crs.steps) {
        assert_eq!(a.t1, b.t1);
        assert_eq!(a.end, b.end);
        assert_eq!(a.range, b.range);
    }
}
