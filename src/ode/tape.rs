//! Recording a vector field once as a tape of elementary operations, so that Taylor
//! coefficients (and their Jacobians) can be computed by the standard O(p^2) recurrences
//! while the vector field itself stays written once, generically, in `spectral/` and `model/`.
//!
//! [`Rec`] implements the crate's [`Real`] trait: evaluating a generic vector field on `Rec`
//! values records every operation. Each `Rec` also carries an f64 approximation of its value
//! at the recording point, which generic code may consult (the log-sum-exp shift does); any
//! value it derives from that becomes a recorded constant, which is sound because the shift is
//! an identity for every constant.

use crate::arith::{Field, Real, Ring};
use rug::Rational;
use std::cell::RefCell;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A constant recorded on the tape, kept exact until a backend converts it.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// An integer.
    Int(i64),
    /// An exact rational.
    Rational(Rational),
    /// An f64 value (exact as a dyadic rational).
    F64(f64),
    /// `cos(2 pi p / q)`, enclosed by the backend ([`Real::cos_sin_two_pi_rational`]).
    CosTwoPi(i64, u64),
    /// `sin(2 pi p / q)`, enclosed by the backend ([`Real::cos_sin_two_pi_rational`]).
    SinTwoPi(i64, u64),
}

/// One elementary operation; operands are node indices.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Input variable i.
    Var(usize),
    /// A constant.
    Const(Const),
    /// a + b
    Add(usize, usize),
    /// a - b
    Sub(usize, usize),
    /// a * b
    Mul(usize, usize),
    /// a / b
    Div(usize, usize),
    /// -a
    Neg(usize),
    /// a * 2^k
    MulPow2(usize, i32),
    /// exp(a)
    Exp(usize),
    /// ln(a)
    Ln(usize),
    /// sqrt(a)
    Sqrt(usize),
    /// Ei(a): recorded so the failure is explicit; Taylor arithmetic refuses it.
    Ei(usize),
}

/// A recorded vector field: nodes in evaluation order and the output nodes.
#[derive(Clone, Debug)]
pub struct Tape {
    /// Operations in topological order.
    pub ops: Vec<Op>,
    /// Number of input variables.
    pub inputs: usize,
    /// Node index of each output component.
    pub outputs: Vec<usize>,
}

thread_local! {
    static TAPE: RefCell<Option<Vec<Op>>> = const { RefCell::new(None) };
}

/// A value being recorded: its node index and an f64 approximation at the recording point.
#[derive(Clone, Debug)]
pub struct Rec {
    id: usize,
    approx: f64,
}

impl PartialEq for Rec {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

fn push(op: Op, approx: f64) -> Rec {
    TAPE.with(|t| {
        let mut t = t.borrow_mut();
        let ops = t
            .as_mut()
            .expect("Rec values exist only inside tape::record");
        ops.push(op);
        Rec {
            id: ops.len() - 1,
            approx,
        }
    })
}

/// Record `f(x)` with the inputs at the approximate point `at`. Returns the tape.
///
/// Re-entrant use (recording inside a recording) is refused with a panic: it is a programming
/// error, never caused by input data.
pub fn record(at: &[f64], f: impl FnOnce(&[Rec]) -> Vec<Rec>) -> Tape {
    TAPE.with(|t| {
        let mut t = t.borrow_mut();
        assert!(t.is_none(), "tape::record is not re-entrant");
        *t = Some(Vec::new());
    });
    let vars: Vec<Rec> = at
        .iter()
        .enumerate()
        .map(|(i, &a)| push(Op::Var(i), a))
        .collect();
    let out = f(&vars);
    let ops = TAPE.with(|t| t.borrow_mut().take()).unwrap_or_default();
    Tape {
        ops,
        inputs: at.len(),
        outputs: out.into_iter().map(|r| r.id).collect(),
    }
}

impl num_traits::Zero for Rec {
    fn zero() -> Self {
        push(Op::Const(Const::Int(0)), 0.0)
    }
    fn is_zero(&self) -> bool {
        false
    }
}

impl num_traits::One for Rec {
    fn one() -> Self {
        push(Op::Const(Const::Int(1)), 1.0)
    }
}

macro_rules! rec_binop {
    ($($tr:ident $f:ident $tra:ident $fa:ident $op:ident;)*) => {$(
        impl $tr<Rec> for Rec {
            type Output = Rec;
            fn $f(self, rhs: Rec) -> Rec { $tr::$f(self, &rhs) }
        }
        impl<'a> $tr<&'a Rec> for Rec {
            type Output = Rec;
            fn $f(self, rhs: &'a Rec) -> Rec { push(Op::$op(self.id, rhs.id), $tr::$f(self.approx, rhs.approx)) }
        }
        impl $tra<Rec> for Rec {
            fn $fa(&mut self, rhs: Rec) { *self = $tr::$f(self.clone(), &rhs); }
        }
        impl<'a> $tra<&'a Rec> for Rec {
            fn $fa(&mut self, rhs: &'a Rec) { *self = $tr::$f(self.clone(), rhs); }
        }
    )*};
}

rec_binop! {
    Add add AddAssign add_assign Add;
    Sub sub SubAssign sub_assign Sub;
    Mul mul MulAssign mul_assign Mul;
}

impl Div<Rec> for Rec {
    type Output = Rec;
    fn div(self, rhs: Rec) -> Rec {
        self / &rhs
    }
}

impl<'a> Div<&'a Rec> for Rec {
    type Output = Rec;
    fn div(self, rhs: &'a Rec) -> Rec {
        push(Op::Div(self.id, rhs.id), self.approx / rhs.approx)
    }
}

impl Neg for Rec {
    type Output = Rec;
    fn neg(self) -> Rec {
        push(Op::Neg(self.id), -self.approx)
    }
}

impl Ring for Rec {
    fn prec(&self) -> u32 {
        53
    }
    fn from_i64(n: i64, _prec: u32) -> Self {
        push(Op::Const(Const::Int(n)), n as f64)
    }
    fn mul_pow2(&self, k: i32) -> Self {
        push(Op::MulPow2(self.id, k), self.approx * 2f64.powi(k))
    }
    fn approx_f64(&self) -> f64 {
        self.approx
    }
}

impl Field for Rec {
    fn from_rational(q: &Rational, _prec: u32) -> Self {
        push(Op::Const(Const::Rational(q.clone())), q.to_f64())
    }
    fn recip(&self) -> Self {
        Rec::one() / self
    }
}

impl Real for Rec {
    fn exp(&self) -> Self {
        push(Op::Exp(self.id), self.approx.exp())
    }
    fn exp_m1(&self) -> Self {
        self.exp() - Rec::one()
    }
    fn ln(&self) -> Self {
        push(Op::Ln(self.id), self.approx.ln())
    }
    fn ln_1p(&self) -> Self {
        (Rec::one() + self).ln()
    }
    fn sqrt(&self) -> Self {
        push(Op::Sqrt(self.id), self.approx.sqrt())
    }
    fn ei(&self) -> Self {
        push(Op::Ei(self.id), f64::NAN)
    }
    fn from_f64(x: f64, _prec: u32) -> Self {
        push(Op::Const(Const::F64(x)), x)
    }
    fn cos_sin_two_pi_rational(p: i64, q: u64, prec: u32) -> (Self, Self) {
        let (c, s) = f64::cos_sin_two_pi_rational(p, q, prec);
        (
            push(Op::Const(Const::CosTwoPi(p, q)), c),
            push(Op::Const(Const::SinTwoPi(p, q)), s),
        )
    }
}

use num_traits::One;
