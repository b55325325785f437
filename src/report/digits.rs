//! Certified decimal digits: printing an enclosure `[lower, upper]` (given as the decimal strings
//! of a certificate) with only the digits it proves, and printing one-sided bounds rounded the
//! safe way.
//!
//! All arithmetic here is exact (`rug::Rational`); no value passes through f64.
//!
//! # The printed forms
//!
//! [`certified_digits`] chooses the finest decimal unit `u = 10^e` at which one of the following
//! statements about *every* value `x` of the enclosure holds, and prints the digits `D` (an
//! integer multiple of `u`) in the corresponding form:
//!
//! | form | example | meaning |
//! |------|---------|---------|
//! | exact | `0.125` | `lower = upper = D`: the enclosure is a single decimal, printed in full |
//! | prefix | `0.1234…` | `D <= |x| < D + u`: the printed digits are the leading digits of the decimal expansion of every `x` (the sign, when printed, is the sign of every `x`) |
//! | plus-minus-one | `1.00000(1)` | `|x - D| <= u`: every `x` is within one unit of the last printed digit (concise notation: `1.00000(1)` is `1.00000 ± 0.00001`) |
//!
//! In every form the printed value with plus or minus one unit in its last digit contains the
//! enclosure: `[D - u, D + u] ⊇ [lower, upper]` (the property the tests check, in exact
//! rationals). A reader never sees a digit that the enclosure does not prove.
//!
//! **The choice.** The plus-minus-one condition is the weaker one, and it is monotone: if it
//! holds at unit `u` it holds at `10u`. So there is a finest unit `u*` at which it holds (it
//! fails whenever `2u` is smaller than the width). At `u*` the prefix form is printed if it also
//! holds there (the digits then are digits of every value), the plus-minus-one form otherwise
//! (the enclosure straddles a digit boundary, as `[0.99999, 1.00001]` straddles `1`). Among the
//! multiples of `u*` that satisfy plus-minus-one, the one nearest the midpoint is printed (ties:
//! the smaller magnitude). An enclosure that contains 0 in its interior prints `0(1)` at the
//! finest unit that covers both ends, for example `0(1)e-75` for `[-1.7e-76, 1.6e-76]`.
//!
//! With a digit cap (`max_digits`), the unit is coarsened until the printed integer `D / u` has
//! at most that many digits; the decision is then made again at the coarser unit (prefix if it
//! holds, plus-minus-one otherwise), so the guarantee is the same. An exact value that needs
//! more digits than the cap becomes a prefix.
//!
//! **Layout.** Digits are written positionally when the leading digit is between `10^-4` and
//! `10^6` and no trailing zero would have to be invented (`0.001234…`, `12.5(1)`), otherwise in
//! scientific notation with the marker before the exponent (`1.234…e-5`, `1.00(1)e12`,
//! `0(1)e-75`). [`CertifiedDecimal::to_text`] uses `…`, [`CertifiedDecimal::to_ascii`] uses
//! `...`, [`CertifiedDecimal::to_latex`] writes math mode with `\ldots` and `\times 10^{e}`.
//!
//! ```
//! use hadacert::report::digits::certified_digits;
//! let d = |lo: &str, hi: &str| certified_digits(lo, hi, None).unwrap().to_text();
//! assert_eq!(d("0.12345", "0.12349"), "0.1234…");         // prefix
//! assert_eq!(d("0.99999", "1.00001"), "1.00000(1)");      // within one unit of 1.00000
//! assert_eq!(d("-0.0121", "-0.0119"), "-0.0120(1)");
//! assert_eq!(d("2.5e-3", "2.5e-3"), "0.0025");            // exact
//! assert_eq!(d("-1.7e-76", "1.6e-76"), "0(1)e-75");       // contains 0
//! assert_eq!(d("1.2345671e-9", "1.2345679e-9"), "1.234567…e-9");
//! assert_eq!(d("1.234567e-9", "1.234569e-9"), "1.234568(1)e-9");
//! ```

use rug::{Integer, Rational};
use std::cmp::Ordering;

/// Largest decimal exponent accepted when parsing (keeps an edited certificate from asking for
/// a gigantic power of ten).
pub const MAX_EXPONENT: i64 = 1_000_000;
/// Longest decimal string accepted when parsing.
pub const MAX_DECIMAL_LEN: usize = 100_000;

/// A certificate's decimal end: a finite exact value, an infinity, or NaN.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    /// A finite exact decimal.
    Finite(Rational),
    /// `-inf`.
    NegInf,
    /// `+inf`.
    PosInf,
    /// NaN (an enclosure that is not finite): says nothing.
    NaN,
}

impl Bound {
    /// The finite value, if any.
    pub fn finite(&self) -> Option<&Rational> {
        match self {
            Bound::Finite(q) => Some(q),
            _ => None,
        }
    }
}

/// Parse a certificate number exactly: a decimal `[+-]digits[.digits][(e|E)[+-]digits]`
/// (digits may be absent on one side of the point), a rational `[+-]digits/digits` (as the
/// step times of validated trajectories), or `inf`, `-inf`, `+inf`, `NaN` (any case).
pub fn parse_decimal(s: &str) -> Result<Bound, String> {
    let t = s.trim();
    if t.len() > MAX_DECIMAL_LEN {
        return Err(format!("decimal of {} characters is too long", t.len()));
    }
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => return Ok(Bound::PosInf),
        "-inf" | "-infinity" => return Ok(Bound::NegInf),
        "nan" | "+nan" | "-nan" => return Ok(Bound::NaN),
        _ => {}
    }
    let bad = || format!("`{s}` is not a decimal number");
    if let Some((n, d)) = t.split_once('/') {
        let digits = n.strip_prefix(['+', '-']).unwrap_or(n);
        let ok = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if !ok(digits) || !ok(d) {
            return Err(bad());
        }
        let num =
            Integer::from_str_radix(n.strip_prefix('+').unwrap_or(n), 10).map_err(|_| bad())?;
        let den = Integer::from_str_radix(d, 10).map_err(|_| bad())?;
        if den == 0 {
            return Err(format!("`{s}`: zero denominator"));
        }
        return Ok(Bound::Finite(Rational::from((num, den))));
    }
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let mut exp10: i64 = match exp {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            e.parse::<i64>().map_err(|_| bad())?
        }
    };
    exp10 -= frac_part.len() as i64;
    let all = format!("{int_part}{frac_part}");
    // Normalise trailing zeros away before checking the exponent range.
    let digits = all.trim_end_matches('0');
    if digits.trim_start_matches('0').is_empty() {
        return Ok(Bound::Finite(Rational::new()));
    }
    exp10 += (all.len() - digits.len()) as i64;
    let mut n = Integer::from_str_radix(digits, 10).map_err(|_| bad())?;
    if exp10.abs() > MAX_EXPONENT {
        return Err(format!(
            "`{s}`: exponent out of range (|e| <= {MAX_EXPONENT})"
        ));
    }
    if neg {
        n = -n;
    }
    Ok(Bound::Finite(Rational::from(n) * pow10(exp10)))
}

/// `10^e` exactly.
pub fn pow10(e: i64) -> Rational {
    let p = Integer::from(Integer::u_pow_u(10, e.unsigned_abs() as u32));
    if e >= 0 {
        Rational::from(p)
    } else {
        Rational::from((Integer::from(1), p))
    }
}

/// Which statement the printed digits make (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The enclosure is the single decimal `D`.
    Exact,
    /// `D <= |x| < D + u` for every `x`: the digits are digits of every value.
    Prefix,
    /// `|x - D| <= u` for every `x`.
    PlusMinusOne,
}

/// A decimal `D = sign * digits * 10^exponent` printed in one of the [`Form`]s, or the mark of
/// an enclosure that is not finite.
#[derive(Clone, Debug, PartialEq)]
pub struct CertifiedDecimal {
    /// `true` when the printed value carries a minus sign.
    pub negative: bool,
    /// `|D| / u`, the printed digits as an integer (`0` for a zero).
    pub digits: Integer,
    /// `e` with `u = 10^e`, the unit of the last printed digit.
    pub exponent: i64,
    /// What the digits state; `None` when the enclosure is not finite (nothing is printed).
    pub form: Option<Form>,
}

impl CertifiedDecimal {
    fn not_finite() -> Self {
        CertifiedDecimal {
            negative: false,
            digits: Integer::new(),
            exponent: 0,
            form: None,
        }
    }

    /// The printed value `D`, exactly.
    pub fn value(&self) -> Rational {
        let v = Rational::from(self.digits.clone()) * pow10(self.exponent);
        if self.negative {
            -v
        } else {
            v
        }
    }

    /// The unit `u = 10^exponent` of the last printed digit.
    pub fn unit(&self) -> Rational {
        pow10(self.exponent)
    }

    /// Number of printed significant digits (1 for zero).
    pub fn digit_count(&self) -> usize {
        if self.digits == 0 {
            1
        } else {
            self.digits.to_string().len()
        }
    }

    /// Unicode text (`0.1234…`, `1.00(1)e-5`, `not finite`).
    pub fn to_text(&self) -> String {
        self.render("…", Style::Plain)
    }

    /// ASCII text (`0.1234...`), for CSV.
    pub fn to_ascii(&self) -> String {
        self.render("...", Style::Plain)
    }

    /// LaTeX math (`$0.1234\ldots$`, `$1.00(1)\times 10^{-5}$`, `---` when not finite).
    pub fn to_latex(&self) -> String {
        self.render("\\ldots", Style::Latex)
    }

    fn render(&self, ellipsis: &str, style: Style) -> String {
        let Some(form) = self.form else {
            return match style {
                Style::Plain => "not finite".into(),
                Style::Latex => "---".into(),
            };
        };
        let marker = match form {
            Form::Exact => "",
            Form::Prefix => ellipsis,
            Form::PlusMinusOne => "(1)",
        };
        let (body, exp) = layout(&self.digits, self.exponent, form == Form::Exact);
        let sign = if self.negative { "-" } else { "" };
        match (style, exp) {
            (Style::Plain, None) => format!("{sign}{body}{marker}"),
            (Style::Plain, Some(p)) => format!("{sign}{body}{marker}e{p}"),
            (Style::Latex, None) => format!("${sign}{body}{marker}$"),
            (Style::Latex, Some(p)) => format!("${sign}{body}{marker}\\times 10^{{{p}}}$"),
        }
    }
}

impl std::fmt::Display for CertifiedDecimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Latex,
}

/// Digits of `m * 10^e` as a positional string (exponent `None`) or as a mantissa with a
/// decimal exponent. Positional only when the leading digit is at 10^-4..10^6 and no zero has to
/// be invented after the last digit (unless `exact`, where trailing zeros are true digits).
fn layout(m: &Integer, e: i64, exact: bool) -> (String, Option<i64>) {
    let s = m.to_string();
    let n = s.len() as i64;
    if *m == 0 {
        // A zero at unit 10^e.
        return if (-4..=0).contains(&e) {
            if e == 0 {
                ("0".into(), None)
            } else {
                (format!("0.{}", "0".repeat((-e) as usize)), None)
            }
        } else if exact {
            ("0".into(), None)
        } else {
            ("0".into(), Some(e))
        };
    }
    let p = e + n - 1; // position of the leading digit
    let positional = (-4..=6).contains(&p) && (e <= 0 || (exact && p <= 15));
    if positional {
        if e >= 0 {
            (format!("{s}{}", "0".repeat(e as usize)), None)
        } else if p >= 0 {
            let k = (p + 1) as usize;
            (format!("{}.{}", &s[..k], &s[k..]), None)
        } else {
            (format!("0.{}{s}", "0".repeat((-p - 1) as usize)), None)
        }
    } else if n == 1 {
        (s, Some(p))
    } else {
        (format!("{}.{}", &s[..1], &s[1..]), Some(p))
    }
}

/// Floor of log10 of a positive rational, exactly.
fn floor_log10(x: &Rational) -> i64 {
    debug_assert!(*x > 0);
    let nd = x.numer().to_string().len() as i64;
    let dd = x.denom().to_string().len() as i64;
    // 10^(nd-1) <= numer < 10^nd and 10^(dd-1) <= denom < 10^dd.
    let mut p = nd - dd;
    while pow10(p) > *x {
        p -= 1;
    }
    while pow10(p + 1) <= *x {
        p += 1;
    }
    p
}

/// Print the enclosure `[lower, upper]` with only certified digits (see the module docs), at
/// most `max_digits` significant digits if given (at least 1).
///
/// Errors when an end is not a decimal or `lower > upper`. An end that is infinite or NaN gives
/// the "not finite" mark.
pub fn certified_digits(
    lower: &str,
    upper: &str,
    max_digits: Option<usize>,
) -> Result<CertifiedDecimal, String> {
    let lo = parse_decimal(lower)?;
    let hi = parse_decimal(upper)?;
    match (lo, hi) {
        (Bound::Finite(lo), Bound::Finite(hi)) => certify_rational(&lo, &hi, max_digits),
        _ => Ok(CertifiedDecimal::not_finite()),
    }
}

/// [`certified_digits`] on exact rationals (ends need not be decimals).
pub fn certify_rational(
    lo: &Rational,
    hi: &Rational,
    max_digits: Option<usize>,
) -> Result<CertifiedDecimal, String> {
    if lo > hi {
        return Err(format!("lower end {lo} is above upper end {hi}"));
    }
    let cap = max_digits.map(|c| c.max(1));
    // Work with magnitudes a <= b; a straddling enclosure keeps its signed ends.
    let (negative, a, b) = if *lo >= 0 {
        (false, lo.clone(), hi.clone())
    } else if *hi <= 0 {
        (true, Rational::from(-hi), Rational::from(-lo))
    } else {
        return Ok(straddling(lo, hi, cap));
    };
    let mut out = if a == b {
        exact_decimal(&a).map(|(digits, exponent)| CertifiedDecimal {
            negative: negative && a != 0,
            digits,
            exponent,
            form: Some(Form::Exact),
        })
    } else {
        None
    };
    if out.is_none() {
        // The finest unit at which plus-minus-one can hold is above w/2; start below w/10.
        let w = Rational::from(&b - &a);
        let mut e = if w == 0 {
            floor_log10(&a) - 40
        } else {
            floor_log10(&w) - 1
        };
        loop {
            if let Some(d) = decide_at(&a, &b, e, negative) {
                out = Some(d);
                break;
            }
            e += 1;
        }
    }
    let mut d = out.expect("the loop always decides");
    if let Some(cap) = cap {
        while d.digit_count() > cap {
            let e = d.exponent + (d.digit_count() - cap) as i64;
            d = decide_at(&a, &b, e, negative).expect("plus-minus-one is monotone in the unit");
        }
    }
    Ok(d)
}

/// The exact decimal digits of `x >= 0`, if it is a terminating decimal: `(m, e)` with
/// `x = m * 10^e` and `m` not divisible by 10 (or `m = 0`).
fn exact_decimal(x: &Rational) -> Option<(Integer, i64)> {
    if *x == 0 {
        return Some((Integer::new(), 0));
    }
    // A terminating decimal has a denominator 2^i 5^j.
    let mut den = x.denom().clone();
    let twos = den.find_one(0).unwrap_or(0);
    den >>= twos;
    let mut fives = 0u32;
    while den.is_divisible_u(5) {
        den /= 5;
        fives += 1;
    }
    if den != 1 {
        return None;
    }
    let k = twos.max(fives) as i64;
    let scaled = x * pow10(k);
    let mut m = scaled.numer().clone();
    let mut e = -k;
    while m.is_divisible_u(10) {
        m /= 10;
        e += 1;
    }
    Some((m, e))
}

/// Decide at unit `10^e` for magnitudes `0 <= a <= b`: prefix if `floor(a/u) = floor(b/u)`,
/// plus-minus-one if some multiple of `u` lies in `[b - u, a + u]`, `None` otherwise.
fn decide_at(a: &Rational, b: &Rational, e: i64, negative: bool) -> Option<CertifiedDecimal> {
    let u = pow10(e);
    let fa = Integer::from(Rational::from(a / &u).floor_ref());
    let fb = Integer::from(Rational::from(b / &u).floor_ref());
    let kmin = Integer::from(Rational::from(b / &u).ceil_ref()) - 1u32;
    let kmax = Integer::from(&fa + 1u32);
    if kmin > kmax {
        return None;
    }
    let (digits, form) = if fa == fb {
        (fa, Form::Prefix)
    } else {
        // The candidate nearest the midpoint (a + b) / 2u, ties to the smaller one.
        let mid2 = Rational::from(a + b) / &u; // twice the midpoint in units
        let mut k = Integer::from(Rational::from(&mid2 / 2u32).floor_ref());
        let frac2 = mid2 - Rational::from(Integer::from(&k * 2u32));
        if frac2.cmp(&Rational::from(1)) == Ordering::Greater {
            k += 1;
        }
        if k < kmin {
            k = kmin;
        } else if k > kmax {
            k = kmax;
        }
        (k, Form::PlusMinusOne)
    };
    Some(CertifiedDecimal {
        negative: negative && digits != 0,
        digits,
        exponent: e,
        form: Some(form),
    })
}

/// An enclosure with `lo < 0 < hi`: `0(1)` at the finest unit covering both ends.
fn straddling(lo: &Rational, hi: &Rational, cap: Option<usize>) -> CertifiedDecimal {
    let _ = cap; // a zero always has one digit
    let m = if Rational::from(-lo) > *hi {
        Rational::from(-lo)
    } else {
        hi.clone()
    };
    let mut e = floor_log10(&m);
    if pow10(e) < m {
        e += 1;
    }
    CertifiedDecimal {
        negative: false,
        digits: Integer::new(),
        exponent: e,
        form: Some(Form::PlusMinusOne),
    }
}

/// Direction of a one-sided rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Towards minus infinity (a lower bound stays a lower bound).
    Down,
    /// Towards plus infinity (an upper bound stays an upper bound).
    Up,
}

/// `x` rounded in `dir` to `sig` significant digits, as an exact [`CertifiedDecimal`] (form
/// [`Form::Exact`]: the printed number is itself the bound). Used for upper bounds such as
/// `max |off-diagonal| <= 1.8e-76` and lower bounds such as margins.
pub fn round_bound(x: &Rational, dir: Direction, sig: usize) -> CertifiedDecimal {
    let sig = sig.max(1) as i64;
    if *x == 0 {
        return CertifiedDecimal {
            negative: false,
            digits: Integer::new(),
            exponent: 0,
            form: Some(Form::Exact),
        };
    }
    let mag = Rational::from(x.abs_ref());
    let e = floor_log10(&mag) - sig + 1;
    let scaled = x / pow10(e);
    let k = match dir {
        Direction::Down => Integer::from(scaled.floor_ref()),
        Direction::Up => Integer::from(scaled.ceil_ref()),
    };
    let mut digits = Integer::from(k.abs_ref());
    let mut exponent = e;
    while digits != 0 && digits.is_divisible_u(10) {
        digits /= 10;
        exponent += 1;
    }
    CertifiedDecimal {
        negative: k < 0,
        digits,
        exponent,
        form: Some(Form::Exact),
    }
}

/// [`round_bound`] on a decimal string; `None` (with the not-finite mark) when it is not
/// finite, an error when it is not a decimal.
pub fn round_bound_str(s: &str, dir: Direction, sig: usize) -> Result<CertifiedDecimal, String> {
    match parse_decimal(s)? {
        Bound::Finite(q) => Ok(round_bound(&q, dir, sig)),
        _ => Ok(CertifiedDecimal::not_finite()),
    }
}

/// The exact decimal of a terminating rational in scientific notation with every digit
/// (`1.25e-3`, `0`); non-terminating rationals are rounded up to 60 significant digits (the
/// result then is an upper bound). Used for CSV radii, which are exact (half a difference of
/// two decimals).
pub fn exact_scientific(x: &Rational) -> String {
    if *x == 0 {
        return "0".into();
    }
    let mag = Rational::from(x.abs_ref());
    let (m, e) = match exact_decimal(&mag) {
        Some(me) => me,
        None => {
            let r = round_bound(&mag, Direction::Up, 60);
            (r.digits, r.exponent)
        }
    };
    let s = m.to_string();
    let p = e + s.len() as i64 - 1;
    let sign = if *x < 0 { "-" } else { "" };
    if s.len() == 1 {
        format!("{sign}{s}e{p}")
    } else {
        format!("{sign}{}.{}e{p}", &s[..1], &s[1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(lo: &str, hi: &str) -> String {
        certified_digits(lo, hi, None).unwrap().to_text()
    }

    fn dc(lo: &str, hi: &str, cap: usize) -> String {
        certified_digits(lo, hi, Some(cap)).unwrap().to_text()
    }

    #[test]
    fn prefix_form() {
        assert_eq!(d("0.12345", "0.12349"), "0.1234…");
        assert_eq!(d("-0.12349", "-0.12345"), "-0.1234…");
        assert_eq!(d("3.14159", "3.14160"), "3.14159(1)");
        assert_eq!(d("1.2345e-10", "1.2346e-10"), "1.2345(1)e-10"); // 1.2346e-10 is a boundary
        assert_eq!(d("123456.7", "123456.9"), "123456.8(1)");
        assert_eq!(d("1.23451e-10", "1.23459e-10"), "1.2345…e-10");
    }

    #[test]
    fn plus_minus_one_form() {
        assert_eq!(d("0.99999", "1.00001"), "1.00000(1)");
        assert_eq!(d("0.099", "0.101"), "0.100(1)");
        assert_eq!(d("-0.0012", "-0.0011"), "-0.0011(1)");
        assert_eq!(d("0", "1.2e-9"), "1(1)e-9");
    }

    #[test]
    fn exact_and_zero() {
        assert_eq!(d("0", "0"), "0");
        assert_eq!(d("-0.5", "-0.5"), "-0.5");
        assert_eq!(d("1000", "1000"), "1000");
        assert_eq!(d("1e20", "1e20"), "1e20");
        assert_eq!(d("0.000001", "0.000001"), "1e-6");
        assert_eq!(d("-1.7e-76", "1.6e-76"), "0(1)e-75");
        assert_eq!(d("-0.5", "0.25"), "0(1)");
    }

    #[test]
    fn zero_straddle_unit_covers_both_ends() {
        // [-0.001, 0.0001]: 0 ± 0.001 covers it, 0 ± 0.0001 does not.
        let c = certified_digits("-0.001", "0.0001", None).unwrap();
        assert_eq!((c.digits.to_i64(), c.exponent), (Some(0), -3));
        assert_eq!(c.to_text(), "0.000(1)");
    }

    #[test]
    fn digit_cap() {
        let lo =
            "3.8513271106622320963486578899013359236192297165847671082037979638322433428912068e-1";
        let hi =
            "3.8513271106622320963486578899013359236192297165847671082037979638322433428943591e-1";
        assert_eq!(dc(lo, hi, 12), "0.385132711066…");
        assert_eq!(dc("0.99999", "1.00001", 3), "1.00(1)");
        assert_eq!(dc("0.999999", "0.9999995", 3), "0.999…");
        assert_eq!(dc("0.125", "0.125", 2), "0.12…");
        assert_eq!(
            certified_digits(lo, hi, Some(12)).unwrap().to_latex(),
            "$0.385132711066\\ldots$"
        );
    }

    #[test]
    fn latex_and_ascii() {
        let c = certified_digits("1.2345671e-9", "1.2345679e-9", None).unwrap();
        assert_eq!(c.to_latex(), "$1.234567\\ldots\\times 10^{-9}$");
        assert_eq!(c.to_ascii(), "1.234567...e-9");
        let c = certified_digits("1.234567e-9", "1.234569e-9", None).unwrap();
        assert_eq!(c.to_latex(), "$1.234568(1)\\times 10^{-9}$");
        let n = certified_digits("-inf", "1", None).unwrap();
        assert_eq!(
            (n.to_text(), n.to_latex()),
            ("not finite".into(), "---".into())
        );
    }

    #[test]
    fn bounds_round_the_safe_way() {
        let q = |s: &str| parse_decimal(s).unwrap().finite().unwrap().clone();
        let up = |s: &str| round_bound(&q(s), Direction::Up, 2).to_text();
        let down = |s: &str| round_bound(&q(s), Direction::Down, 2).to_text();
        assert_eq!(up("1.727233711018889e-76"), "1.8e-76");
        assert_eq!(up("1.2191977933927067e-1"), "0.13");
        assert_eq!(up("9.96e-3"), "0.01");
        assert_eq!(down("9.999999e-31"), "9.9e-31");
        assert_eq!(down("-1.21e-1"), "-0.13");
        assert_eq!(up("-1.29e-1"), "-0.12");
        assert_eq!(up("3"), "3");
    }

    #[test]
    fn parse_refuses_garbage() {
        for s in [
            "",
            "-",
            ".",
            "1.2.3",
            "1e",
            "e5",
            "0x10",
            "1e99999999",
            "12a",
            "--1",
        ] {
            assert!(parse_decimal(s).is_err(), "{s}");
        }
        assert_eq!(
            parse_decimal(".5").unwrap(),
            Bound::Finite(Rational::from((1, 2)))
        );
        assert_eq!(
            parse_decimal("5.").unwrap(),
            Bound::Finite(Rational::from(5))
        );
        assert_eq!(
            parse_decimal("-2.5E+2").unwrap(),
            Bound::Finite(Rational::from(-250))
        );
        assert_eq!(parse_decimal("NaN").unwrap(), Bound::NaN);
        assert_eq!(
            parse_decimal("-6/4").unwrap(),
            Bound::Finite(Rational::from((-3, 2)))
        );
        assert!(certified_digits("2", "1", None).is_err());
    }

    #[test]
    fn exact_scientific_radius() {
        assert_eq!(exact_scientific(&Rational::from((1, 800))), "1.25e-3");
        assert_eq!(exact_scientific(&Rational::from(-120)), "-1.2e2");
        assert_eq!(
            exact_scientific(&Rational::from((1, 3))),
            format!("3.{}4e-1", "3".repeat(58))
        );
    }
}
