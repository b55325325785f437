//! Taylor coefficients of the solution of `x' = F(x)` by automatic differentiation over a
//! recorded [`Tape`]: for each order k, one sweep over the tape computes the k-th coefficient
//! of every node with the classical recurrences (O(p^2) per node for order p).
//!
//! Coefficients are `x(t) = sum_k x_k t^k`, so `x_{k+1} = F(x)_k / (k + 1)`.

use super::tape::{Const, Op, Tape};
use crate::arith::{Field, Real};
use rug::Rational;

/// Why Taylor coefficients could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaylorError {
    /// The vector field uses a function without a Taylor recurrence here.
    #[error("the vector field uses {0}, which has no Taylor recurrence in hadacert")]
    Unsupported(&'static str),
    /// Wrong number of initial values.
    #[error("expected {expected} initial values, got {got}")]
    Dimension {
        /// Tape inputs.
        expected: usize,
        /// Values given.
        got: usize,
    },
}

fn constant<C: Real>(c: &Const, prec: u32) -> C {
    match c {
        Const::Int(n) => C::from_i64(*n, prec),
        Const::Rational(q) => C::from_rational(q, prec),
        Const::F64(x) => C::from_f64(*x, prec),
        Const::CosTwoPi(p, q) => C::cos_sin_two_pi_rational(*p, *q, prec).0,
        Const::SinTwoPi(p, q) => C::cos_sin_two_pi_rational(*p, *q, prec).1,
    }
}

/// Taylor coefficients `x_0..=x_order` of the solution through `x0` (each component), with
/// coefficient type `C` (an interval type for enclosures, a dual type for Jacobians).
///
/// Guarantee (interval `C`): coefficient k of component i encloses `x_{k,i}(y)` for every
/// point `y` in the box `x0`: every recurrence is evaluated in enclosing arithmetic.
pub fn taylor_coefficients<C: Real>(
    tape: &Tape,
    x0: &[C],
    order: usize,
    prec: u32,
) -> Result<Vec<Vec<C>>, TaylorError> {
    if x0.len() != tape.inputs {
        return Err(TaylorError::Dimension {
            expected: tape.inputs,
            got: x0.len(),
        });
    }
    if let Some(op) = tape.ops.iter().find(|op| matches!(op, Op::Ei(_))) {
        let _ = op;
        return Err(TaylorError::Unsupported("the exponential integral Ei"));
    }
    let n_nodes = tape.ops.len();
    let zero = C::from_i64(0, prec);
    // node -> coefficients 0..=k computed so far
    let mut u: Vec<Vec<C>> = vec![Vec::with_capacity(order + 1); n_nodes];
    // 1/k enclosures, k = 1..=order + 1
    let recip: Vec<C> = (0..=order + 1)
        .map(|k| {
            if k == 0 {
                zero.clone()
            } else {
                C::from_rational(&Rational::from((1, k as u64)), prec)
            }
        })
        .collect();
    let ints: Vec<C> = (0..=order + 1)
        .map(|k| C::from_i64(k as i64, prec))
        .collect();
    // Scaled coefficients `j c_j` of the recurrences, each computed once (not once per order):
    // for an Exp node the argument's `j a_j`, j >= 2 (entry j - 2); for a Ln node its own
    // `j u_j`, j >= 1 (entry j - 1). The same enclosures as computing them afresh.
    let mut scaled: Vec<Vec<C>> = vec![Vec::new(); n_nodes];
    for k in 0..=order {
        for (node, op) in tape.ops.iter().enumerate() {
            let v: C = match op {
                Op::Var(i) => {
                    if k == 0 {
                        x0[*i].clone()
                    } else {
                        // x_k = F_{k-1} / k
                        u[tape.outputs[*i]][k - 1].clone() * &recip[k]
                    }
                }
                Op::Const(c) => {
                    if k == 0 {
                        constant(c, prec)
                    } else {
                        zero.clone()
                    }
                }
                Op::Add(a, b) => u[*a][k].clone() + &u[*b][k],
                Op::Sub(a, b) => u[*a][k].clone() - &u[*b][k],
                Op::Neg(a) => -u[*a][k].clone(),
                Op::MulPow2(a, s) => u[*a][k].mul_pow2(*s),
                Op::Mul(a, b) => {
                    let (a, b) = (&u[*a], &u[*b]);
                    let mut acc = a[0].clone() * &b[k];
                    for j in 1..=k {
                        acc.add_product(&a[j], &b[k - j]);
                    }
                    acc
                }
                Op::Div(a, b) => {
                    // u_k = (a_k - sum_{j=1..k} b_j u_{k-j}) / b_0
                    let acc = u[*a][k].clone();
                    let mut s = zero.clone();
                    for j in 1..=k {
                        s.add_product(&u[*b][j], &u[node][k - j]);
                    }
                    (acc - s) / &u[*b][0]
                }
                Op::Exp(a) => {
                    if k == 0 {
                        u[*a][0].exp()
                    } else {
                        // k u_k = sum_{j=1..k} j a_j u_{k-j}
                        if k >= 2 {
                            let next = u[*a][k].clone() * &ints[k];
                            scaled[node].push(next);
                        }
                        let mut acc = u[*a][1].clone() * &u[node][k - 1];
                        for j in 2..=k {
                            acc.add_product(&scaled[node][j - 2], &u[node][k - j]);
                        }
                        acc * &recip[k]
                    }
                }
                Op::Ln(a) => {
                    if k == 0 {
                        u[*a][0].ln()
                    } else {
                        // a_0 u_k = a_k - (1/k) sum_{j=1..k-1} j u_j a_{k-j}
                        let mut s = zero.clone();
                        if k >= 2 {
                            let next = u[node][k - 1].clone() * &ints[k - 1];
                            scaled[node].push(next);
                        }
                        for j in 1..k {
                            s.add_product(&scaled[node][j - 1], &u[*a][k - j]);
                        }
                        (u[*a][k].clone() - s * &recip[k]) / &u[*a][0]
                    }
                }
                Op::Sqrt(a) => {
                    if k == 0 {
                        u[*a][0].sqrt()
                    } else {
                        // 2 u_0 u_k = a_k - sum_{j=1..k-1} u_j u_{k-j}
                        let mut s = zero.clone();
                        for j in 1..k {
                            s.add_product(&u[node][j], &u[node][k - j]);
                        }
                        (u[*a][k].clone() - s) / &u[node][0].mul_pow2(1)
                    }
                }
                Op::Ei(_) => unreachable!("refused above"),
            };
            u[node].push(v);
        }
    }
    // Coefficients of the solution are those of the Var nodes.
    let mut out = vec![Vec::new(); tape.inputs];
    for (node, op) in tape.ops.iter().enumerate() {
        if let Op::Var(i) = op {
            out[*i] = std::mem::take(&mut u[node]);
        }
    }
    Ok(out)
}

/// Evaluate `sum_k c_k h^k` by Horner's rule (enclosing for interval `C` and `h`).
pub fn horner<C: Field>(coefs: &[C], h: &C) -> C {
    let mut acc = coefs[coefs.len() - 1].clone();
    for c in coefs[..coefs.len() - 1].iter().rev() {
        acc = acc * h + c;
    }
    acc
}
