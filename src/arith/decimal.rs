//! Exact parsing of the numbers written in claim files.
//!
//! Claim files hold exact decimals (`"0.1"`, `"-2.5e-3"`) or rationals (`"1/3"`); they are
//! parsed into `rug::Rational` without ever passing through f64, so a backend conversion can
//! round outward from the true value.

use rug::{Integer, Rational};

/// Largest decimal exponent accepted (|e| <= this): keeps a hostile `1e999999999` from
/// allocating gigabytes.
pub const MAX_DECIMAL_EXPONENT: i64 = 10_000;
/// Longest numeric string accepted.
pub const MAX_NUMBER_CHARS: usize = 20_000;

/// Why a string is not an exact number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExactParseError {
    /// Empty input.
    #[error("empty number")]
    Empty,
    /// Not of the form `[-]digits[.digits][e[-]digits]` or `[-]int/int`.
    #[error(
        "`{0}` is not an exact decimal or rational (write e.g. \"0.25\", \"-3e-2\" or \"1/3\")"
    )]
    Syntax(String),
    /// `inf`, `nan` and the like.
    #[error("`{0}` is not a finite number")]
    NotFinite(String),
    /// `p/0`.
    #[error("`{0}` has a zero denominator")]
    ZeroDenominator(String),
    /// Exponent or length beyond the limits.
    #[error("`{0}` is too large (|exponent| <= {MAX_DECIMAL_EXPONENT}, at most {MAX_NUMBER_CHARS} characters)")]
    TooLarge(String),
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parse an exact decimal or rational.
///
/// ```
/// use hadacert::arith::parse_exact;
/// use rug::Rational;
/// assert_eq!(parse_exact("0.1").unwrap(), Rational::from((1, 10)));
/// assert_eq!(parse_exact("-3/6").unwrap(), Rational::from((-1, 2)));
/// assert_eq!(parse_exact("2.5e-3").unwrap(), Rational::from((1, 400)));
/// assert!(parse_exact("nan").is_err());
/// // Bad input is an error, never a panic, multi-byte characters included.
/// assert!(parse_exact(&"é".repeat(15000)).is_err());
/// assert!(parse_exact("1/٣").is_err());
/// ```
pub fn parse_exact(text: &str) -> Result<Rational, ExactParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ExactParseError::Empty);
    }
    if t.len() > MAX_NUMBER_CHARS {
        // The first 20 characters (not bytes: a multi-byte character may straddle byte 20).
        let head: String = t.chars().take(20).collect();
        return Err(ExactParseError::TooLarge(format!("{head}...")));
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return Err(ExactParseError::NotFinite(t.to_string()));
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let value = if let Some((p, q)) = body.split_once('/') {
        if !digits(p) || !digits(q) {
            return Err(ExactParseError::Syntax(t.to_string()));
        }
        let num: Integer = p
            .parse()
            .map_err(|_| ExactParseError::Syntax(t.to_string()))?;
        let den: Integer = q
            .parse()
            .map_err(|_| ExactParseError::Syntax(t.to_string()))?;
        if den.is_zero() {
            return Err(ExactParseError::ZeroDenominator(t.to_string()));
        }
        Rational::from((num, den))
    } else {
        let (mant, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
        if (int_part.is_empty() && frac_part.is_empty())
            || !(int_part.is_empty() || digits(int_part))
            || !(frac_part.is_empty() || digits(frac_part))
        {
            return Err(ExactParseError::Syntax(t.to_string()));
        }
        let mut e: i64 = match exp {
            None => 0,
            Some(e) => {
                let (eneg, ed) = match e.as_bytes().first() {
                    Some(b'-') => (true, &e[1..]),
                    Some(b'+') => (false, &e[1..]),
                    _ => (false, e),
                };
                if !digits(ed) {
                    return Err(ExactParseError::Syntax(t.to_string()));
                }
                if ed.len() > 6 {
                    return Err(ExactParseError::TooLarge(t.to_string()));
                }
                let v: i64 = ed
                    .parse()
                    .map_err(|_| ExactParseError::Syntax(t.to_string()))?;
                if eneg {
                    -v
                } else {
                    v
                }
            }
        };
        e -= frac_part.len() as i64;
        if e.abs() > MAX_DECIMAL_EXPONENT + MAX_NUMBER_CHARS as i64 {
            return Err(ExactParseError::TooLarge(t.to_string()));
        }
        let all: String = format!("{int_part}{frac_part}");
        let m: Integer = if all.is_empty() {
            Integer::new()
        } else {
            all.parse()
                .map_err(|_| ExactParseError::Syntax(t.to_string()))?
        };
        let p = Integer::from(Integer::u_pow_u(10, e.unsigned_abs() as u32));
        if e >= 0 {
            Rational::from(m * p)
        } else {
            Rational::from((m, p))
        }
    };
    Ok(if neg { -value } else { value })
}

/// `q` written exactly, the inverse of [`parse_exact`]: a decimal when its denominator is
/// `2^a 5^b` (`12.5`, `-0.125`, `64`), else `p/q` in lowest terms (`25/3`).
///
/// ```
/// use hadacert::arith::{exact_decimal, parse_exact};
/// assert_eq!(exact_decimal(&parse_exact("-0.1250").unwrap()), "-0.125");
/// assert_eq!(exact_decimal(&parse_exact("2/6").unwrap()), "1/3");
/// assert_eq!(exact_decimal(&parse_exact("6.4e1").unwrap()), "64");
/// ```
pub fn exact_decimal(q: &Rational) -> String {
    let mut d = q.denom().clone();
    let (mut twos, mut fives) = (0u32, 0u32);
    while d.is_divisible_u(2) {
        d /= 2u32;
        twos += 1;
    }
    while d.is_divisible_u(5) {
        d /= 5u32;
        fives += 1;
    }
    if d != 1 {
        return q.to_string();
    }
    let e = twos.max(fives);
    let scaled = Integer::from(q.numer() * Integer::from(Integer::u_pow_u(10, e)))
        / Integer::from(q.denom());
    let neg = scaled < 0;
    let digits = Integer::from(scaled.abs_ref()).to_string();
    let e = e as usize;
    let text = if e == 0 {
        digits
    } else if digits.len() > e {
        format!(
            "{}.{}",
            &digits[..digits.len() - e],
            &digits[digits.len() - e..]
        )
    } else {
        format!("0.{}{}", "0".repeat(e - digits.len()), digits)
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if neg {
        format!("-{text}")
    } else {
        text
    }
}
