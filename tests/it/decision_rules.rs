//! Boundary tests of the decision rules (issue 18, section 6): every rule that turns enclosures
//! into *proved* / *refuted* / *undecided* is a pure function, driven here with synthetic
//! enclosures on both backends (inari at 53 bits, MPFR at 128 and at 24 bits). For each rule:
//! evidence that certainly meets the condition gives *proved*, evidence that certainly fails it
//! gives *refuted*, and evidence that only *possibly* meets it (an enclosure straddling the
//! threshold, an end that touches a strict bound without passing it, overlapping enclosures)
//! gives *undecided*, as does a not-finite enclosure. Margins are checked to be exact lower
//! bounds of the slack, rounded down.
//!
//! Detects the mutants `decreasing-accepts-prefix` (a certified prefix proving `decreasing`)
//! and `c5-t1-possibly-above` (t1 accepted where M(t1) only possibly exceeds M(0)).

use hadacert::arith::{parse_exact, Enclosure, Ival, MpfrInterval};
use hadacert::cert::Verdict;
use hadacert::claim::counterexample::{
    c5_verdict, decide_initial_rates, decide_m4_uniqueness, decide_t1, decide_t2, find_t1, find_t2,
};
use hadacert::claim::lyapunov::{decide_closed_form_consistency, decide_pointwise};
use hadacert::claim::slowdown::{
    decide_margin_bound, decide_ray_time, decide_relative_width, decide_table_entry,
    relative_width_exact,
};
use hadacert::claim::trajectory::{
    decide_bound, decide_bound_along, decide_decreasing, decide_negative, decide_positive,
    widths_within, Decision,
};
use rug::Rational;

use Verdict::{Proved, Refuted, Undecided};

fn q(text: &str) -> Rational {
    parse_exact(text).unwrap()
}

/// Builds synthetic enclosures of one backend at one precision (dyadic ends are exact).
struct Mk {
    prec: u32,
}

impl Mk {
    fn pt<T: Enclosure>(&self, a: &str) -> T {
        T::from_rational(&q(a), self.prec)
    }
    fn iv<T: Enclosure>(&self, a: &str, b: &str) -> T {
        let x: T = self.pt::<T>(a).hull(&self.pt(b));
        assert!(x.contains_rational(&q(a)) && x.contains_rational(&q(b)));
        x
    }
    /// A not-finite enclosure (1 / [-1, 1]).
    fn unbounded<T: Enclosure>(&self) -> T {
        let x = self.iv::<T>("-1", "1").recip();
        assert!(!x.is_finite(), "1/[-1, 1] must not be finite");
        x
    }
}

/// The verdict, and that the slack is present exactly when decided, and equal to `slack`.
fn check(d: &Decision, verdict: Verdict, slack: Option<&str>, what: &str) {
    assert_eq!(d.verdict, verdict, "{what}: {d:?}");
    match verdict {
        Undecided => assert!(d.slack.is_none(), "{what}: undecided carries no slack"),
        _ => {
            let s = d
                .slack
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no slack"));
            assert!(*s >= 0, "{what}: negative slack {s}");
            if let Some(want) = slack {
                assert_eq!(*s, q(want), "{what}: slack");
            }
            // the margin is the slack rounded down
            let m = d.margin().unwrap();
            assert!(q(&m) <= *s, "{what}: margin {m} above the slack {s}");
        }
    }
}

fn both_backends(f: impl Fn(&Mk, &str)) {
    // inari and MPFR at 128 bits; MPFR at 24 bits (the smallest ends here still fit)
    f(&Mk { prec: 53 }, "inari");
    f(&Mk { prec: 128 }, "mpfr128");
    f(&Mk { prec: 24 }, "mpfr24");
}

macro_rules! on_both {
    ($body:ident) => {
        $body::<Ival>(&Mk { prec: 53 }, "inari");
        $body::<MpfrInterval>(&Mk { prec: 128 }, "mpfr128");
        $body::<MpfrInterval>(&Mk { prec: 24 }, "mpfr24");
    };
}

// ---------------------------------------------------------------------------- sign rules

fn sign_rules<T: Enclosure>(m: &Mk, b: &str) {
    let pos = |lo, hi| decide_positive(&m.iv::<T>(lo, hi));
    check(&pos("1/4", "1"), Proved, Some("1/4"), b);
    check(&pos("0", "1"), Undecided, None, b); // touches 0: not > 0 at 0
    check(&pos("-1/2", "1"), Undecided, None, b); // straddles
    check(&pos("-1", "0"), Refuted, Some("0"), b); // every point <= 0
    check(&pos("-1", "-1/8"), Refuted, Some("1/8"), b);
    check(&pos("0", "0"), Refuted, Some("0"), b);
    check(&decide_positive(&m.unbounded::<T>()), Undecided, None, b);

    let neg = |lo, hi| decide_negative(&m.iv::<T>(lo, hi));
    check(&neg("-1", "-1/4"), Proved, Some("1/4"), b);
    check(&neg("-1", "0"), Undecided, None, b); // upper end exactly at the strict bound
    check(&neg("-1", "1/2"), Undecided, None, b);
    check(&neg("0", "1"), Refuted, Some("0"), b);
    check(&neg("1/8", "1"), Refuted, Some("1/8"), b);
    check(&decide_negative(&m.unbounded::<T>()), Undecided, None, b);
}

#[test]
fn sign_rules_on_both_backends() {
    on_both!(sign_rules);
}

#[test]
fn conjunction_of_decisions() {
    let p = |s| Decision::proved(q(s));
    let r = |s| Decision::refuted(q(s));
    let u = Decision::undecided;
    check(&p("1/2").and(p("1/4")), Proved, Some("1/4"), "min slack");
    check(&p("1/2").and(u()), Undecided, None, "one undecided");
    check(
        &u().and(r("1/8")),
        Refuted,
        Some("1/8"),
        "a refutation wins",
    );
    check(
        &r("1/8").and(r("1/2")),
        Refuted,
        Some("1/2"),
        "largest violation",
    );
    check(
        &r("1/8").and(p("1")),
        Refuted,
        Some("1/8"),
        "refuted and proved",
    );
    assert_eq!(Decision::all(Vec::new()), None);
    // margins round down
    let third = p("1/3");
    let m = third.margin().unwrap();
    assert!(q(&m) < q("1/3") && q(&m) > q("0.3333332"), "{m}");
}

// ---------------------------------------------------------------------------- trajectory

fn trajectory_bounds<T: Enclosure>(m: &Mk, b: &str) {
    let one = q("1");
    let half = q("1/2");
    let x = |lo, hi| m.iv::<T>(lo, hi);
    // x < 1
    check(
        &decide_bound(&x("1/4", "1/2"), None, Some(&one)),
        Proved,
        Some("1/2"),
        b,
    );
    check(
        &decide_bound(&x("1/2", "1"), None, Some(&one)),
        Undecided,
        None,
        b,
    ); // touched
    check(
        &decide_bound(&x("1/2", "2"), None, Some(&one)),
        Undecided,
        None,
        b,
    ); // straddles
    check(
        &decide_bound(&x("1", "2"), None, Some(&one)),
        Refuted,
        Some("0"),
        b,
    );
    check(
        &decide_bound(&x("5/4", "2"), None, Some(&one)),
        Refuted,
        Some("1/4"),
        b,
    );
    // 1/2 < x
    check(
        &decide_bound(&x("3/4", "2"), Some(&half), None),
        Proved,
        Some("1/4"),
        b,
    );
    check(
        &decide_bound(&x("1/2", "2"), Some(&half), None),
        Undecided,
        None,
        b,
    ); // touched
    check(
        &decide_bound(&x("0", "1/2"), Some(&half), None),
        Refuted,
        Some("0"),
        b,
    );
    // 1/2 < x < 1
    let both = |lo, hi| decide_bound(&x(lo, hi), Some(&half), Some(&one));
    check(&both("5/8", "7/8"), Proved, Some("1/8"), b);
    check(&both("1/2", "7/8"), Undecided, None, b);
    check(&both("5/8", "1"), Undecided, None, b);
    check(&both("1/4", "1/2"), Refuted, Some("0"), b);
    check(&both("1/4", "3/2"), Undecided, None, b);
    check(
        &decide_bound(&m.unbounded::<T>(), Some(&half), Some(&one)),
        Undecided,
        None,
        b,
    );

    // along a trajectory (at = "all")
    let xs = vec![x("0", "1/4"), x("1/8", "3/4"), x("0", "1/2")];
    check(
        &decide_bound_along(&xs, None, Some(&one)),
        Proved,
        Some("1/4"),
        b,
    );
    let mut touch = xs.clone();
    touch.push(x("0", "1"));
    check(
        &decide_bound_along(&touch, None, Some(&one)),
        Undecided,
        None,
        b,
    );
    let mut bad = touch.clone();
    bad.push(x("9/8", "2"));
    bad.push(x("3/2", "2"));
    check(
        &decide_bound_along(&bad, None, Some(&one)),
        Refuted,
        Some("1/2"),
        b,
    );
    let mut inf = xs.clone();
    inf.push(m.unbounded());
    check(
        &decide_bound_along(&inf, None, Some(&one)),
        Undecided,
        None,
        b,
    );
    check(
        &decide_bound_along::<T>(&[], None, Some(&one)),
        Undecided,
        None,
        b,
    );

    // exact width gate
    let w = q("1/4");
    assert!(widths_within(&[x("0", "1/4"), x("1", "9/8")], &w), "{b}");
    assert!(!widths_within(&[x("0", "1/4"), x("1", "3/2")], &w), "{b}");
    assert!(!widths_within(&[m.unbounded::<T>()], &w), "{b}");
}

#[test]
fn trajectory_bounds_on_both_backends() {
    on_both!(trajectory_bounds);
}

fn decreasing<T: Enclosure>(m: &Mk, b: &str) {
    let x = |lo, hi| m.iv::<T>(lo, hi);
    let certified = vec![x("4", "9/2"), x("3", "7/2"), x("2", "5/2"), x("1", "3/2")];
    let out = decide_decreasing(&certified);
    check(&out.decision, Proved, Some("1/2"), b);
    assert_eq!(
        (
            out.pairs,
            out.certified_prefix,
            out.first_unresolved,
            out.first_increase
        ),
        (3, 3, None, None),
        "{b}"
    );

    // a certified prefix, then overlapping enclosures: the prefix proves nothing
    let mut prefix = certified.clone();
    prefix.push(x("5/4", "7/4"));
    prefix.push(x("1/2", "1"));
    let out = decide_decreasing(&prefix);
    check(&out.decision, Undecided, None, b);
    assert_eq!(
        (
            out.pairs,
            out.certified_prefix,
            out.first_unresolved,
            out.first_increase
        ),
        (5, 3, Some(3), None),
        "{b}"
    );

    // touching enclosures (next upper end == previous lower end) do not decide either
    let touch = vec![x("2", "3"), x("1", "2")];
    let out = decide_decreasing(&touch);
    check(&out.decision, Undecided, None, b);
    assert_eq!(out.first_unresolved, Some(0), "{b}");
    let touch_up = vec![x("1", "2"), x("2", "3")];
    check(&decide_decreasing(&touch_up).decision, Undecided, None, b);

    // an increase after an unresolved pair: refuted, even hidden behind it
    let mut up = prefix.clone();
    up.push(x("2", "9/4"));
    up.push(x("3", "4"));
    let out = decide_decreasing(&up);
    check(&out.decision, Refuted, Some("1"), b); // the largest certain increase
    assert_eq!(
        (
            out.certified_prefix,
            out.first_unresolved,
            out.first_increase
        ),
        (3, Some(3), Some(5)),
        "{b}"
    );

    // a not-finite value in the middle leaves its pairs unresolved
    let inf = vec![x("3", "4"), m.unbounded(), x("1", "2")];
    let out = decide_decreasing(&inf);
    check(&out.decision, Undecided, None, b);
    assert_eq!(out.first_unresolved, Some(0), "{b}");

    // no pair at all
    check(
        &decide_decreasing(&[x("1", "2")]).decision,
        Undecided,
        None,
        b,
    );
    check(&decide_decreasing::<T>(&[]).decision, Undecided, None, b);
}

#[test]
fn decreasing_on_both_backends() {
    on_both!(decreasing);
}

/// The mutant `decreasing-accepts-prefix` proves this.
#[test]
fn decreasing_with_a_certified_prefix_then_overlap_is_undecided() {
    both_backends(|m, b| {
        let x = |lo, hi| m.iv::<Ival>(lo, hi);
        let xm = |lo, hi| m.iv::<MpfrInterval>(lo, hi);
        let v = vec![x("3", "4"), x("1", "2"), x("1", "2"), x("1/2", "1")];
        assert_eq!(decide_decreasing(&v).decision.verdict, Undecided, "{b}");
        let v = vec![xm("3", "4"), xm("1", "2"), xm("5/4", "7/4")];
        assert_eq!(decide_decreasing(&v).decision.verdict, Undecided, "{b}");
    });
}

// ---------------------------------------------------------------------------- C5

fn c5_rules<T: Enclosure>(m: &Mk, b: &str) {
    let x = |lo, hi| m.iv::<T>(lo, hi);
    let m0 = x("1", "9/8");
    // (a)
    let rate = x("1/8", "1/4");
    let v_rate = x("-1", "-1/4");
    let a = |r: Option<&T>, v: Option<&T>, m0: &T| decide_initial_rates(r, v, m0);
    check(&a(Some(&rate), Some(&v_rate), &m0), Proved, Some("1/8"), b);
    check(&a(None, Some(&v_rate), &m0), Undecided, None, b); // inconsistent
    check(&a(Some(&rate), None, &m0), Undecided, None, b);
    check(
        &a(Some(&x("0", "1/4")), Some(&v_rate), &m0),
        Undecided,
        None,
        b,
    );
    check(
        &a(Some(&x("-1/8", "1/4")), Some(&v_rate), &m0),
        Undecided,
        None,
        b,
    );
    check(
        &a(Some(&x("-1/8", "0")), Some(&v_rate), &m0),
        Refuted,
        Some("0"),
        b,
    );
    check(
        &a(Some(&rate), Some(&x("-1", "0")), &m0),
        Undecided,
        None,
        b,
    );
    check(
        &a(Some(&rate), Some(&x("0", "1")), &m0),
        Refuted,
        Some("0"),
        b,
    );
    check(
        &a(Some(&rate), Some(&v_rate), &x("0", "1")),
        Undecided,
        None,
        b,
    );
    check(
        &a(Some(&m.unbounded()), Some(&v_rate), &m0),
        Undecided,
        None,
        b,
    );

    // t1: M(t1) > M(0) and V(t1) < V(0), both certain
    let v0 = x("2", "17/8");
    let t1 = |mt: &T, vt: &T| decide_t1(&m0, &v0, mt, vt);
    check(
        &t1(&x("5/4", "3/2"), &x("1", "3/2")),
        Proved,
        Some("1/8"),
        b,
    );
    check(&t1(&x("17/16", "3/2"), &x("1", "3/2")), Undecided, None, b); // M overlaps M(0)
    check(&t1(&x("9/8", "3/2"), &x("1", "3/2")), Undecided, None, b); // M touches M(0)
    check(&t1(&x("5/4", "3/2"), &x("3/2", "2")), Undecided, None, b); // V touches V(0)
    check(
        &t1(&x("5/4", "3/2"), &x("3/2", "33/16")),
        Undecided,
        None,
        b,
    ); // V overlaps
    check(&t1(&x("1/2", "1"), &x("1", "3/2")), Refuted, Some("0"), b); // M certainly <= M(0)
    check(
        &t1(&x("5/4", "3/2"), &x("9/4", "3")),
        Refuted,
        Some("1/8"),
        b,
    ); // V certainly up
    check(&t1(&m.unbounded(), &x("1", "3/2")), Undecided, None, b);
    // the search takes the first step end with both certain, never an overlapping one
    let ms = vec![
        x("1/2", "1"),
        x("17/16", "3/2"),
        x("9/8", "2"),
        x("5/4", "3/2"),
    ];
    let vs = vec![x("1", "3/2"); 4];
    assert_eq!(find_t1(&m0, &v0, &ms, &vs), Some(3), "{b}");
    assert_eq!(find_t1(&m0, &v0, &ms[..3], &vs[..3]), None, "{b}");

    // t2: M(t2) < M(0) certainly
    check(&decide_t2(&m0, &x("1/2", "7/8")), Proved, Some("1/8"), b);
    check(&decide_t2(&m0, &x("1/2", "1")), Undecided, None, b); // touches
    check(&decide_t2(&m0, &x("1/2", "17/16")), Undecided, None, b); // overlaps
    check(&decide_t2(&m0, &x("9/8", "2")), Refuted, Some("0"), b);
    let ms = vec![
        x("1/2", "7/8"),
        x("1/2", "17/16"),
        x("1/2", "1"),
        x("1/2", "7/8"),
    ];
    assert_eq!(find_t2(&m0, &ms, 1), Some(3), "{b}");
    assert_eq!(find_t2(&m0, &ms, 0), Some(0), "{b}");
    assert_eq!(find_t2(&m0, &ms[..3], 1), None, "{b}");

    // M4: the largest and the smallest mode m != 0 must be certainly unique
    let zero = m.pt::<T>("0");
    let lam = vec![zero.clone(), x("1", "2"), x("5/2", "3"), x("4", "5")];
    check(&decide_m4_uniqueness(&lam), Proved, Some("1/2"), b);
    let lam = vec![zero.clone(), x("1", "2"), x("5/2", "3"), x("11/4", "5")];
    check(&decide_m4_uniqueness(&lam), Undecided, None, b); // two maxima overlap
    let lam = vec![zero.clone(), x("1", "2"), x("2", "3"), x("4", "5")];
    check(&decide_m4_uniqueness(&lam), Undecided, None, b); // two minima touch
    let lam = vec![zero.clone(), x("1", "2"), m.unbounded(), x("4", "5")];
    check(&decide_m4_uniqueness(&lam), Undecided, None, b);
    let lam = vec![zero, x("1", "2"), x("1", "2"), x("4", "5")];
    check(&decide_m4_uniqueness(&lam), Undecided, None, b); // equal enclosures

    // the verdict: proved only from a proved part (a) and a t1
    assert_eq!(c5_verdict(&Decision::proved(q("1")), true), Proved);
    assert_eq!(c5_verdict(&Decision::proved(q("1")), false), Undecided);
    assert_eq!(c5_verdict(&Decision::undecided(), true), Undecided);
    assert_eq!(c5_verdict(&Decision::refuted(q("1")), true), Undecided);
}

#[test]
fn c5_rules_on_both_backends() {
    on_both!(c5_rules);
}

/// The mutant `c5-t1-possibly-above` accepts these.
#[test]
fn c5_t1_with_m_only_possibly_above_is_undecided() {
    both_backends(|m, b| {
        let (m0, v0) = (m.iv::<Ival>("1", "9/8"), m.iv::<Ival>("2", "17/8"));
        let (mt, vt) = (m.iv::<Ival>("17/16", "3/2"), m.iv::<Ival>("1", "3/2"));
        assert_eq!(decide_t1(&m0, &v0, &mt, &vt).verdict, Undecided, "{b}");
        assert_eq!(find_t1(&m0, &v0, &[mt], &[vt]), None, "{b}");
        let (m0, v0) = (
            m.iv::<MpfrInterval>("1", "9/8"),
            m.iv::<MpfrInterval>("2", "17/8"),
        );
        let (mt, vt) = (
            m.iv::<MpfrInterval>("1", "5/4"),
            m.iv::<MpfrInterval>("1", "3/2"),
        );
        assert_eq!(decide_t1(&m0, &v0, &mt, &vt).verdict, Undecided, "{b}");
    });
}

// ---------------------------------------------------------------------------- C6

fn c6_rules<T: Enclosure>(m: &Mk, b: &str) {
    let x = |lo, hi| m.iv::<T>(lo, hi);
    // relative width (upper - lower) / min |x|
    assert_eq!(relative_width_exact(&x("2", "3")), Some(q("1/2")), "{b}");
    assert_eq!(relative_width_exact(&x("-3", "-2")), Some(q("1/2")), "{b}");
    assert_eq!(relative_width_exact(&x("0", "0")), Some(q("0")), "{b}");
    assert_eq!(relative_width_exact(&x("-1", "1")), None, "{b}");
    assert_eq!(relative_width_exact(&x("0", "1")), None, "{b}");
    assert_eq!(relative_width_exact(&m.unbounded::<T>()), None, "{b}");

    // the width gate compares exactly, and `<=` admits equality
    let bound = q("1/2");
    check(
        &decide_relative_width(&x("2", "3"), &bound),
        Proved,
        Some("0"),
        b,
    );
    check(
        &decide_relative_width(&x("4", "5"), &bound),
        Proved,
        Some("1/4"),
        b,
    );
    check(
        &decide_relative_width(&x("2", "25/8"), &bound),
        Undecided,
        None,
        b,
    );
    // just above the bound by 2^-20 relative: a round-to-nearest ratio must not pass it
    check(
        &decide_relative_width(&x("1048576", "1572865"), &bound),
        Undecided,
        None,
        b,
    );
    check(
        &decide_relative_width(&x("-1", "1"), &bound),
        Undecided,
        None,
        b,
    );

    // table entries: finite, narrow
    let t = x("4", "5");
    check(
        &decide_table_entry(&t, &x("1", "2"), &bound),
        Proved,
        Some("1/4"),
        b,
    );
    check(
        &decide_table_entry(&t, &m.unbounded(), &bound),
        Undecided,
        None,
        b,
    );
    check(
        &decide_table_entry(&x("2", "4"), &x("1", "2"), &bound),
        Undecided,
        None,
        b,
    );
    check(
        &decide_table_entry(&m.unbounded(), &x("1", "2"), &bound),
        Undecided,
        None,
        b,
    );

    // ray times: t* in the closed form over l(t*), with l(t*) narrow
    let l = x("8", "9");
    let ts = q("10");
    check(
        &decide_ray_time(&x("9", "11"), &ts, &l, &bound),
        Proved,
        Some("3/8"),
        b,
    );
    check(
        &decide_ray_time(&x("10", "11"), &ts, &l, &bound),
        Proved,
        None,
        b,
    ); // touches: in
    check(
        &decide_ray_time(&x("9", "11"), &ts, &x("1", "3"), &bound),
        Undecided,
        None,
        b,
    );
    check(
        &decide_ray_time(&x("41/4", "11"), &ts, &l, &bound),
        Refuted,
        Some("1/4"),
        b,
    );
    check(
        &decide_ray_time(&x("8", "39/4"), &ts, &l, &bound),
        Refuted,
        Some("1/4"),
        b,
    );
    check(
        &decide_ray_time(&m.unbounded(), &ts, &l, &bound),
        Undecided,
        None,
        b,
    );

    // the margin bound 1 - s <= bound_m, through the gap bound_m - (1 - s)
    let s = x("3/4", "7/8"); // 1 - s in [1/8, 1/4]
    check(
        &decide_margin_bound(&x("1/2", "1"), &s),
        Proved,
        Some("1/4"),
        b,
    );
    check(&decide_margin_bound(&x("1/4", "1"), &s), Undecided, None, b); // gap lower end 0
    check(
        &decide_margin_bound(&x("3/16", "1"), &s),
        Undecided,
        None,
        b,
    ); // straddles
    check(&decide_margin_bound(&x("0", "1/8"), &s), Undecided, None, b); // gap upper end 0
    check(
        &decide_margin_bound(&x("0", "1/16"), &s),
        Refuted,
        Some("1/16"),
        b,
    );
    check(&decide_margin_bound(&m.unbounded(), &s), Undecided, None, b);
}

#[test]
fn c6_rules_on_both_backends() {
    on_both!(c6_rules);
}

// ---------------------------------------------------------------------------- C4 pointwise

fn c4_rules<T: Enclosure>(m: &Mk, b: &str) {
    let x = |lo, hi| m.iv::<T>(lo, hi);
    let wb = q("1/4");
    // consistency with the closed form: never more than "contains 0, narrow"
    let c = |lo, hi| decide_closed_form_consistency(&x(lo, hi), &wb);
    assert_eq!(c("-1/8", "1/8"), Proved, "{b}");
    assert_eq!(c("0", "1/4"), Proved, "{b}"); // touches 0, width exactly the bound
    assert_eq!(c("-1/4", "1/8"), Undecided, "{b}"); // too wide
    assert_eq!(c("1/16", "1/8"), Refuted, "{b}"); // excludes 0: inconsistent
    assert_eq!(c("-1/8", "-1/16"), Refuted, "{b}");
    assert_eq!(
        decide_closed_form_consistency(&m.unbounded::<T>(), &wb),
        Undecided,
        "{b}"
    );

    // dV/dt < 0
    let d = |lo, hi, cons| decide_pointwise(&x(lo, hi), cons);
    check(&d("-1", "-1/4", None), Proved, Some("1/4"), b);
    check(&d("-1", "-1/4", Some(Proved)), Proved, Some("1/4"), b);
    check(&d("-1", "-1/4", Some(Undecided)), Undecided, None, b);
    check(&d("-1", "-1/4", Some(Refuted)), Undecided, None, b);
    check(&d("-1", "0", None), Undecided, None, b); // touches 0
    check(&d("-1", "1/4", None), Undecided, None, b); // straddles
    check(&d("0", "1", None), Refuted, Some("0"), b);
    check(&d("1/8", "1", None), Refuted, Some("1/8"), b);
    check(&d("1/8", "1", Some(Refuted)), Undecided, None, b);
    check(
        &decide_pointwise(&m.unbounded::<T>(), None),
        Undecided,
        None,
        b,
    );
}

#[test]
fn c4_pointwise_rules_on_both_backends() {
    on_both!(c4_rules);
}
