//! Compilation of a normalised expression into a flat instruction list, and its generic
//! evaluation.
//!
//! A [`Program`] is compiled once for one `K` and one state kind: aggregates are unrolled,
//! indices resolved to registers, exact constants folded, repeated subexpressions shared. The
//! register file of an [`Evaluator`] is allocated once and reused; one evaluation fills the
//! state registers (and, if the program uses them, `f`, `p`, `s` and the loss, computed by
//! [`crate::spectral::field::enclose_spectral_softmax`]), then runs the instructions in order.
//!
//! `d/dt e` is the tangent part of `e` evaluated on dual numbers ([`crate::ode::dual::Dual`])
//! whose one gradient component is seeded with the flow's vector field: the directional
//! derivative `grad e . F(x)`, i.e. the derivative along the flow, by forward-mode automatic
//! differentiation. A program containing `d/dt` is evaluated on dual numbers only
//! ([`eval_pointwise`] chooses): fixed-size ones ([`DualN`], the gradient inline), so an
//! evaluation allocates nothing per operation; the register file is reused across evaluations.
//!
//! Compile-time rule (docs/math.md section 11): on balanced states, `d/dt Q` with `Q` one of the
//! built-ins V, M2, M3 or `M1^2` (as expanded by the parser) compiles to one instruction, the
//! closed-form rate of [`crate::spectral::rates`] along the built-in balanced flow (identical
//! enclosures to the built-in, no dual numbers), and `d/dt M1` to `d(M1^2)/dt / (2 M1)`;
//! `d/dt Q / (1 - p(0))` for `Q` = V, M1^2, M3 compiles to one instruction, the region prover's
//! rate per off-target mass ([`enclose_rate_per_off_target_mass`], docs/math.md section 6.5).
//! Such a program keeps the dual-number compilation of the same expressions and switches to it
//! for any other flow ([`Program::with_flow_params`], [`Program::with_user_field`]); M4, the
//! loss and every other expression are differentiated by dual numbers.

use super::{AggOp, BinOp, CmpOp, Expr, ExprError, Func, Index, Var};
use crate::arith::{Enclosure, Ival, MpfrInterval, Real};
use crate::ode::dual::{Dual, DualN};
use crate::spectral::field::enclose_spectral_softmax;
use crate::spectral::rates::{
    enclose_m1_sq_rate, enclose_m2_rate, enclose_m3_rate, enclose_rate_per_off_target_mass,
    enclose_v_rate, Rate,
};
use crate::spectral::variants::{
    enclose_balanced_field_with, enclose_unbalanced_field_with, FlowParams,
};
use rug::Rational;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;

/// Largest number of instructions of one program (aggregates are unrolled).
pub const MAX_INSTRUCTIONS: usize = 1 << 20;

/// The numbers a program runs on: the crate's [`Real`] plus the non-smooth functions.
///
/// Interval types enclose every result; f64 approximates; for dual numbers, a derivative that
/// does not exist or cannot be decided (|x| at an enclosure containing 0, max at a possible tie)
/// is not finite, so it never certifies anything.
pub trait Scalar: Real {
    /// |x|.
    fn abs_s(&self) -> Self;
    /// max(x, y).
    fn max_s(&self, other: &Self) -> Self;
    /// min(x, y).
    fn min_s(&self, other: &Self) -> Self;
    /// The first derivative part as a constant (dual numbers); not finite for plain numbers.
    fn tangent(&self) -> Self;
    /// `Some(1)` if certainly > 0, `Some(-1)` if certainly < 0, else `None`.
    fn certain_sign(&self) -> Option<i8>;
    /// `*self = a op b`: exactly the enclosure of `a.clone() op b`, written into `self` (a
    /// register of the [`Evaluator`]) without a temporary where the type allows.
    fn set_bin(&mut self, op: BinOp, a: &Self, b: &Self) {
        *self = match op {
            BinOp::Add => a.clone() + b,
            BinOp::Sub => a.clone() - b,
            BinOp::Mul => a.clone() * b,
            BinOp::Div => a.clone() / b,
        };
    }
    /// `*self = -a` (exactly the enclosure of `-a.clone()`).
    fn set_neg(&mut self, a: &Self) {
        *self = -a.clone();
    }
}

impl Scalar for f64 {
    fn abs_s(&self) -> Self {
        self.abs()
    }
    fn max_s(&self, other: &Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f64::NAN
        } else {
            self.max(*other)
        }
    }
    fn min_s(&self, other: &Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f64::NAN
        } else {
            self.min(*other)
        }
    }
    fn tangent(&self) -> Self {
        f64::NAN
    }
    fn certain_sign(&self) -> Option<i8> {
        if *self > 0.0 {
            Some(1)
        } else if *self < 0.0 {
            Some(-1)
        } else {
            None
        }
    }
}

macro_rules! scalar_for_enclosure {
    // `clone_from` then the in-place operation: the same enclosure as `a.clone() op b` (the
    // operators of `src/arith/mpfr.rs` are `clone` then `op=`), reusing the register's limbs as
    // far as `clone_from` does.
    (@in_place) => {
        fn set_bin(&mut self, op: BinOp, a: &Self, b: &Self) {
            match op {
                BinOp::Add => {
                    self.clone_from(a);
                    *self += b;
                }
                BinOp::Sub => {
                    self.clone_from(a);
                    *self -= b;
                }
                BinOp::Mul => {
                    self.clone_from(a);
                    *self *= b;
                }
                BinOp::Div => *self = a.clone() / b,
            }
        }
    };
    ($t:ty $(, $in_place:ident)?) => {
        impl Scalar for $t {
            $(scalar_for_enclosure!(@$in_place);)?
            fn abs_s(&self) -> Self {
                Enclosure::abs(self)
            }
            fn max_s(&self, other: &Self) -> Self {
                Enclosure::max(self, other)
            }
            fn min_s(&self, other: &Self) -> Self {
                Enclosure::min(self, other)
            }
            fn tangent(&self) -> Self {
                <$t as Real>::from_f64(f64::NAN, crate::arith::Ring::prec(self))
            }
            fn certain_sign(&self) -> Option<i8> {
                if self.certainly_positive() {
                    Some(1)
                } else if self.certainly_negative() {
                    Some(-1)
                } else {
                    None
                }
            }
        }
    };
}

scalar_for_enclosure!(Ival);
scalar_for_enclosure!(MpfrInterval, in_place);

fn unknown_grad<T: Scalar>(len: usize, prec: u32) -> Vec<T> {
    (0..len).map(|_| T::from_f64(f64::NAN, prec)).collect()
}

impl<T: Scalar> Scalar for Dual<T> {
    fn abs_s(&self) -> Self {
        match self.value.certain_sign() {
            Some(1) => self.clone(),
            Some(_) => -self.clone(),
            None => Dual {
                value: self.value.abs_s(),
                grad: unknown_grad(self.grad.len(), self.value.prec()),
            },
        }
    }
    fn max_s(&self, other: &Self) -> Self {
        match (self.value.clone() - &other.value).certain_sign() {
            Some(1) => self.clone(),
            Some(_) => other.clone(),
            None => Dual {
                value: self.value.max_s(&other.value),
                grad: unknown_grad(self.grad.len().max(other.grad.len()), self.value.prec()),
            },
        }
    }
    fn min_s(&self, other: &Self) -> Self {
        match (self.value.clone() - &other.value).certain_sign() {
            Some(1) => other.clone(),
            Some(_) => self.clone(),
            None => Dual {
                value: self.value.min_s(&other.value),
                grad: unknown_grad(self.grad.len().max(other.grad.len()), self.value.prec()),
            },
        }
    }
    fn tangent(&self) -> Self {
        Dual {
            value: self.partial(0),
            grad: Vec::new(),
        }
    }
    fn certain_sign(&self) -> Option<i8> {
        self.value.certain_sign()
    }
}

/// A gradient of `N` unknown (not finite) entries, or all zeros for a constant: the derivative
/// of a non-smooth function where it may not exist.
fn unknown_grad_n<T: Scalar, const N: usize>(value: T, varies: bool) -> DualN<T, N> {
    let p = value.prec();
    DualN {
        value,
        grad: std::array::from_fn(|_| {
            if varies {
                T::from_f64(f64::NAN, p)
            } else {
                T::from_i64(0, p)
            }
        }),
        varies,
    }
}

/// The fixed-size dual numbers (gradient inline, no allocation per operation): the same rules as
/// [`Dual`] (a derivative that may not exist is not finite).
impl<T: Scalar, const N: usize> Scalar for DualN<T, N> {
    fn abs_s(&self) -> Self {
        match self.value.certain_sign() {
            Some(1) => self.clone(),
            Some(_) => -self.clone(),
            None => unknown_grad_n(self.value.abs_s(), self.varies),
        }
    }
    fn max_s(&self, other: &Self) -> Self {
        match (self.value.clone() - &other.value).certain_sign() {
            Some(1) => self.clone(),
            Some(_) => other.clone(),
            None => unknown_grad_n(self.value.max_s(&other.value), self.varies || other.varies),
        }
    }
    fn min_s(&self, other: &Self) -> Self {
        match (self.value.clone() - &other.value).certain_sign() {
            Some(1) => other.clone(),
            Some(_) => self.clone(),
            None => unknown_grad_n(self.value.min_s(&other.value), self.varies || other.varies),
        }
    }
    /// The first derivative part as the value; its own derivative is not finite (the parser
    /// refuses `d/dt` inside `d/dt`, so it is never read).
    fn tangent(&self) -> Self {
        unknown_grad_n(self.partial(0), true)
    }
    fn certain_sign(&self) -> Option<i8> {
        self.value.certain_sign()
    }
    /// Component-wise into the register: the same interval operations in the same order as the
    /// operators of [`DualN`] (`src/ode/dual.rs`), so the same enclosures, without cloning the
    /// left operand whole or building the gradient in a temporary array.
    fn set_bin(&mut self, op: BinOp, a: &Self, b: &Self) {
        self.value.set_bin(op, &a.value, &b.value);
        let (av, bv) = (&a.value, &b.value);
        match (a.varies, b.varies) {
            (false, false) => {
                for g in &mut self.grad {
                    *g = T::zero();
                }
            }
            (true, false) => {
                for (g, x) in self.grad.iter_mut().zip(&a.grad) {
                    match op {
                        BinOp::Add | BinOp::Sub => g.clone_from(x),
                        BinOp::Mul => g.set_bin(BinOp::Mul, x, bv),
                        BinOp::Div => g.set_bin(BinOp::Div, x, bv),
                    }
                }
            }
            (false, true) => {
                let q = &self.value;
                for (g, y) in self.grad.iter_mut().zip(&b.grad) {
                    match op {
                        BinOp::Add => g.clone_from(y),
                        BinOp::Sub => g.set_neg(y),
                        BinOp::Mul => g.set_bin(BinOp::Mul, y, av),
                        BinOp::Div => *g = -(q.clone() * y) / bv,
                    }
                }
            }
            (true, true) => {
                let q = &self.value;
                for ((g, x), y) in self.grad.iter_mut().zip(&a.grad).zip(&b.grad) {
                    match op {
                        BinOp::Add | BinOp::Sub => g.set_bin(op, x, y),
                        BinOp::Mul => {
                            g.set_bin(BinOp::Mul, x, bv);
                            g.add_product(y, av);
                        }
                        BinOp::Div => *g = (x.clone() - &(q.clone() * y)) / bv,
                    }
                }
            }
        }
        self.varies = a.varies || b.varies;
    }
    fn set_neg(&mut self, a: &Self) {
        self.value.set_neg(&a.value);
        for (g, x) in self.grad.iter_mut().zip(&a.grad) {
            g.set_neg(x);
        }
        self.varies = a.varies;
    }
}

/// What the state vector of a program holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    /// `lambda` (K entries); `d/dt` along the balanced field (docs/math.md (4.2)).
    Balanced,
    /// `a` then `b` (2K entries), `lambda = a * b`; `d/dt` along (4.1).
    Unbalanced,
}

/// A closed-form rate of a built-in along the built-in balanced flow
/// ([`crate::spectral::rates`], docs/math.md sections 6-7), read from the `lambda` registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ClosedRate {
    /// dV/dt ([`enclose_v_rate`]).
    V,
    /// d(M1^2)/dt ([`enclose_m1_sq_rate`]).
    M1Squared,
    /// dM2/dt ([`enclose_m2_rate`]).
    M2,
    /// dM3/dt ([`enclose_m3_rate`]).
    M3,
}

/// The closed-form rate `c` at the balanced state `lambda` (length K). V and M3 take logarithms
/// of `lambda_m` (m != 0): where some `lambda_m` is not certainly positive the quantity itself
/// may be undefined, so the rate is made not finite there (it decides nothing) instead of
/// returning the closed form's value, which exists on a larger set. M1^2 and M2 are defined
/// wherever their closed forms are finite (`sum_{m!=0} lambda_m != 0`, `||lambda|| > 0`).
fn closed_rate<T: Scalar>(c: ClosedRate, lambda: &[T]) -> T {
    let r = match c {
        ClosedRate::V => enclose_v_rate(lambda),
        ClosedRate::M1Squared => enclose_m1_sq_rate(lambda),
        ClosedRate::M2 => enclose_m2_rate(lambda),
        ClosedRate::M3 => enclose_m3_rate(lambda),
    };
    undefined_where_logs_fail(c, lambda, r)
}

/// `d/dt Q / (1 - p(0))` for `Q` = V, M1^2 or M3 by the kernel of the region prover,
/// [`enclose_rate_per_off_target_mass`] (docs/math.md section 6.5): every such rate is linear in
/// `delta = -(t + q/(K-1))`, and `t / q = Had (0, rho)` with `rho` the softmax over the
/// off-target elements, exactly and for every `lambda_0` (`lambda_0` shifts every logit by the
/// same amount), so the quotient is the kernel's closed form. (M2's rate has a `lambda_0^2`
/// term and is not compiled this way.) Defined where [`closed_rate`] is.
fn closed_scaled_rate<T: Scalar>(c: ClosedRate, lambda: &[T]) -> T {
    let rate = match c {
        ClosedRate::V => Rate::V,
        ClosedRate::M1Squared => Rate::M1Squared,
        ClosedRate::M3 => Rate::M3,
        // Never compiled (see `Compiler::scaled_rate_of`); the unscaled quotient's meaning is
        // not this kernel's, so decide nothing.
        ClosedRate::M2 => {
            return T::from_f64(f64::NAN, crate::arith::working_prec(lambda));
        }
    };
    let r = enclose_rate_per_off_target_mass(rate, lambda);
    undefined_where_logs_fail(c, lambda, r)
}

fn undefined_where_logs_fail<T: Scalar>(c: ClosedRate, lambda: &[T], r: T) -> T {
    let logs = matches!(c, ClosedRate::V | ClosedRate::M3);
    if logs && !lambda[1..].iter().all(|l| l.certain_sign() == Some(1)) {
        let prec = crate::arith::working_prec(lambda);
        return r * T::from_f64(f64::NAN, prec);
    }
    r
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ins {
    Bin(BinOp, u32, u32),
    Neg(u32),
    Recip(u32),
    Func(Func, u32),
    Max(u32, u32),
    Min(u32, u32),
    Tangent(u32),
    /// `d/dt Q` of a built-in Q along the built-in balanced flow, by its closed form.
    Rate(ClosedRate),
    /// `d/dt Q / (1 - p(0))` along the built-in balanced flow, by the closed form of the rate
    /// per off-target mass ([`closed_scaled_rate`]).
    ScaledRate(ClosedRate),
}

/// A compiled expression (or several sharing one register file).
#[derive(Clone, Debug)]
pub struct Program {
    /// Unique per compilation (clones share it, and their constants): keys the constant cache of
    /// an [`Evaluator`], so constants are never taken from another program.
    id: u64,
    k: usize,
    kind: StateKind,
    consts: Vec<Rational>,
    ins: Vec<Ins>,
    outputs: Vec<u32>,
    needs_spectral: bool,
    needs_loss: bool,
    needs_tangent: bool,
    /// The parameters of the flow `d/dt` follows (weight decay, label smoothing, temperature;
    /// docs/math.md section 13); the built-in flow by default.
    flow: FlowParams,
    /// For a program over a user's state ([`compile_field`]): the user's vector field, which
    /// seeds `d/dt` instead of the spectral flows.
    user_field: Option<Box<Program>>,
    /// When some `d/dt` of a built-in was compiled to its closed form (valid along the
    /// built-in balanced flow only): the same expressions compiled with every `d/dt` by dual
    /// numbers, used instead as soon as the flow is another one ([`Program::with_flow_params`],
    /// [`Program::with_user_field`]).
    dual_form: Option<Box<Program>>,
}

// Register layout: lambda, a, b, f, p, s (K each), the loss, the constants, the instructions.
const LAMBDA: usize = 0;
const A: usize = 1;
const B: usize = 2;
const F: usize = 3;
const P: usize = 4;
const S: usize = 5;

impl Program {
    /// K.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The state kind.
    pub fn kind(&self) -> StateKind {
        self.kind
    }
    /// Length of the state vector (`K` balanced, `2K` unbalanced).
    pub fn state_len(&self) -> usize {
        match self.kind {
            StateKind::Balanced => self.k,
            StateKind::Unbalanced => 2 * self.k,
        }
    }
    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.ins.len()
    }
    /// No instruction (every output is a state register or a constant).
    pub fn is_empty(&self) -> bool {
        self.ins.is_empty()
    }
    /// The program uses `d/dt` (it is then evaluated on dual numbers).
    pub fn needs_tangent(&self) -> bool {
        self.needs_tangent
    }
    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }
    /// The same program with `d/dt` along the flow with parameters `params` (docs/math.md
    /// section 13). The instructions do not change: only the seed of the dual numbers does.
    ///
    /// A `d/dt` of a built-in compiled to its closed form ([`compile`]) holds along the
    /// built-in flow only: for any other parameters the program becomes the one with every
    /// `d/dt` by dual numbers.
    pub fn with_flow_params(mut self, params: FlowParams) -> Self {
        if params != FlowParams::default() {
            self = self.without_closed_forms();
        }
        self.flow = params;
        self
    }
    /// The same expressions with every `d/dt` by dual numbers (no closed-form rate); the
    /// program itself when it has none.
    pub fn without_closed_forms(mut self) -> Self {
        match self.dual_form.take() {
            Some(d) => {
                let mut d = *d;
                d.flow = self.flow;
                d.user_field = self.user_field;
                d
            }
            None => self,
        }
    }
    /// How `d/dt` is computed, for certificates (`None`: the program has no `d/dt`).
    pub fn ddt_method(&self) -> Option<&'static str> {
        const CLOSED: &str = "the closed-form rates of docs/math.md sections 6-7";
        const DUAL: &str = "dual numbers seeded with the vector field";
        match (self.closed_forms() > 0, self.needs_tangent) {
            (false, false) => None,
            (false, true) => Some(DUAL),
            (true, false) => Some(CLOSED),
            (true, true) => Some(
                "the closed-form rates of docs/math.md sections 6-7 and dual numbers seeded \
                 with the vector field",
            ),
        }
    }
    /// Number of `d/dt` of built-ins compiled to their closed forms ([`compile`]).
    pub fn closed_forms(&self) -> usize {
        self.ins
            .iter()
            .filter(|i| matches!(i, Ins::Rate(_) | Ins::ScaledRate(_)))
            .count()
    }
    /// The parameters of the flow `d/dt` follows.
    pub fn flow_params(&self) -> &FlowParams {
        &self.flow
    }
    fn loss_reg(&self) -> usize {
        6 * self.k
    }
    fn const_base(&self) -> usize {
        6 * self.k + 1
    }
    fn ins_base(&self) -> usize {
        self.const_base() + self.consts.len()
    }
    fn n_regs(&self) -> usize {
        self.ins_base() + self.ins.len()
    }
}

/// Largest number of expression nodes visited while unrolling aggregates.
pub const MAX_WORK: usize = 1 << 22;

#[derive(Clone)]
enum Val {
    C(Rational),
    R(u32),
}

impl Val {
    /// A constant whose power `n` stays small enough to fold exactly; otherwise `R(0)` (the
    /// power is then computed at run time from the materialised constant).
    fn filter_small_power(self, n: i64) -> Val {
        match self {
            Val::C(x) if super::small_power(&x, n) => Val::C(x),
            _ => Val::R(0),
        }
    }
}

struct Compiler<'a> {
    text: &'a str,
    k: usize,
    kind: StateKind,
    consts: Vec<Rational>,
    ins: Vec<Ins>,
    cse: HashMap<Ins, u32>,
    env: Vec<(String, usize)>,
    needs_spectral: bool,
    needs_loss: bool,
    needs_tangent: bool,
    work: usize,
    /// Compiling over a user's state ([`compile_field`]): `K` is the state's dimension and the
    /// only variables are the state names.
    user: bool,
    /// Compile `d/dt` of a built-in to its closed form ([`compile`], balanced states).
    closed_forms: bool,
}

impl Compiler<'_> {
    fn err(&self, col: usize, msg: impl Into<String>) -> ExprError {
        ExprError::new(self.text, col, msg.into())
    }
    fn ins_base(&self) -> usize {
        6 * self.k + 1 + self.consts.len()
    }
    /// Instruction operands are register numbers; instruction registers are numbered after the
    /// constants, which are only known at the end, so they are encoded as `u32::MAX - i`
    /// until [`Compiler::finish`] relocates them.
    fn emit(&mut self, ins: Ins) -> Result<Val, ExprError> {
        if let Some(r) = self.cse.get(&ins) {
            return Ok(Val::R(*r));
        }
        if self.ins.len() >= MAX_INSTRUCTIONS {
            return Err(self.err(
                0,
                format!(
                    "the expression unrolls to more than {MAX_INSTRUCTIONS} instructions at K = {}",
                    self.k
                ),
            ));
        }
        self.ins.push(ins);
        let r = u32::MAX - (self.ins.len() as u32 - 1);
        self.cse.insert(ins, r);
        Ok(Val::R(r))
    }
    fn reg(&mut self, v: Val) -> u32 {
        match v {
            Val::R(r) => r,
            Val::C(q) => {
                let i = match self.consts.iter().position(|c| *c == q) {
                    Some(i) => i,
                    None => {
                        self.consts.push(q);
                        self.consts.len() - 1
                    }
                };
                // Constants are numbered relative to the constant base (relocated in finish).
                (6 * self.k + 1 + i) as u32
            }
        }
    }
    fn index(&self, ix: &Index) -> Result<usize, ExprError> {
        match ix {
            Index::Lit(n, col) => {
                if *n < self.k {
                    Ok(*n)
                } else {
                    Err(self.err(
                        *col,
                        format!(
                            "index {n} is out of range: indices run over 0..{} (K = {})",
                            self.k - 1,
                            self.k
                        ),
                    ))
                }
            }
            Index::Bound(name) => self
                .env
                .iter()
                .rev()
                .find(|(b, _)| b == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| self.err(0, format!("index `{name}` is not bound"))),
        }
    }
    fn bin(&mut self, op: BinOp, a: Val, b: Val, col: usize) -> Result<Val, ExprError> {
        if let (Val::C(x), Val::C(y)) = (&a, &b) {
            match super::fold_bin(op, x, y) {
                Some(q) if super::small(&q) => return Ok(Val::C(q)),
                Some(_) => {}
                None => return Err(self.err(col, "division by zero")),
            }
        }
        let (a, b) = (self.reg(a), self.reg(b));
        self.emit(Ins::Bin(op, a, b))
    }

    fn compile(&mut self, e: &Expr) -> Result<Val, ExprError> {
        self.work += 1;
        if self.work > MAX_WORK {
            return Err(self.err(
                0,
                format!(
                    "the expression unrolls to more than {MAX_WORK} terms at K = {}",
                    self.k
                ),
            ));
        }
        Ok(match e {
            Expr::Num(q) => Val::C(q.clone()),
            Expr::IndexVal(ix) => Val::C(Rational::from(self.index(ix)? as u64)),
            Expr::Var(Var::State(i, name), col) => {
                if !self.user || *i >= self.k {
                    return Err(self.err(
                        *col,
                        format!("`{name}` is not a name of the spectral state"),
                    ));
                }
                Val::R(*i as u32)
            }
            Expr::Var(v, col) if self.user => {
                return Err(self.err(
                    *col,
                    match v {
                        Var::T => "the vector field is autonomous and quantities are values of \
                                   the state: `t` is not available (a value at a time is \
                                   written `at(time, e)` in the claim's `expression`)"
                            .to_string(),
                        _ => format!(
                            "`{}` is not a name of this claim's state",
                            Expr::Var(v.clone(), 0)
                        ),
                    },
                ))
            }
            Expr::Var(v, col) => {
                let block = |b: usize, i: usize, k: usize| Val::R((b * k + i) as u32);
                match v {
                    Var::State(..) => unreachable!("matched above"),
                    Var::K => Val::C(Rational::from(self.k as u64)),
                    Var::T => {
                        return Err(self.err(
                            *col,
                            "`t` (time) is not a value of a state: a pointwise claim is \
                             evaluated at one state, and along a trajectory a value at a time is \
                             written `at(time, e)` in the claim's `expression`",
                        ))
                    }
                    Var::Loss => {
                        self.needs_spectral = true;
                        self.needs_loss = true;
                        Val::R((6 * self.k) as u32)
                    }
                    Var::Lambda(ix) => block(LAMBDA, self.index(ix)?, self.k),
                    Var::A(ix) | Var::B(ix) => {
                        if self.kind == StateKind::Balanced {
                            return Err(self.err(
                                *col,
                                "a_m and b_m are the state of the unbalanced flow; a balanced \
                                 state is lambda (use lambda_m, or flow = \"unbalanced\")",
                            ));
                        }
                        let b = if matches!(v, Var::A(_)) { A } else { B };
                        block(b, self.index(ix)?, self.k)
                    }
                    Var::F(ix) | Var::P(ix) | Var::S(ix) => {
                        self.needs_spectral = true;
                        let b = match v {
                            Var::F(_) => F,
                            Var::P(_) => P,
                            _ => S,
                        };
                        block(b, self.index(ix)?, self.k)
                    }
                }
            }
            Expr::Neg(a) => match self.compile(a)? {
                Val::C(q) => Val::C(-q),
                v => {
                    let r = self.reg(v);
                    self.emit(Ins::Neg(r))?
                }
            },
            Expr::Bin(BinOp::Div, a, b)
                if self.closed_forms && self.scaled_rate_of(a, b).is_some() =>
            {
                let Some(rate) = self.scaled_rate_of(a, b) else {
                    unreachable!("matched by the guard")
                };
                self.emit(Ins::ScaledRate(rate))?
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.compile(a)?, self.compile(b)?);
                self.bin(*op, a, b, 0)?
            }
            Expr::Pow(a, n) => {
                let a = self.compile(a)?;
                if *n == 0 {
                    return Ok(Val::C(Rational::from(1)));
                }
                if let Val::C(x) = &a {
                    if *x == 0 && *n < 0 {
                        return Err(self.err(0, "division by zero (0 to a negative power)"));
                    }
                }
                if let Val::C(x) = a.clone().filter_small_power(*n) {
                    let mut q = Rational::from(1);
                    for _ in 0..n.unsigned_abs() {
                        q *= &x;
                    }
                    return Ok(Val::C(if *n < 0 { q.recip() } else { q }));
                }
                let x = self.reg(a);
                let m = n.unsigned_abs();
                let top = 63 - m.leading_zeros();
                let mut r = x;
                for bit in (0..top).rev() {
                    let Val::R(sq) = self.emit(Ins::Bin(BinOp::Mul, r, r))? else {
                        unreachable!()
                    };
                    r = sq;
                    if m >> bit & 1 == 1 {
                        let Val::R(p) = self.emit(Ins::Bin(BinOp::Mul, r, x))? else {
                            unreachable!()
                        };
                        r = p;
                    }
                }
                if *n < 0 {
                    self.emit(Ins::Recip(r))?
                } else {
                    Val::R(r)
                }
            }
            Expr::Func(f, a) => match (f, self.compile(a)?) {
                (Func::Abs, Val::C(q)) => Val::C(q.abs()),
                (_, v) => {
                    let r = self.reg(v);
                    self.emit(Ins::Func(*f, r))?
                }
            },
            Expr::MinMax(is_max, args) => {
                let mut acc = self.compile(&args[0])?;
                for a in &args[1..] {
                    let b = self.compile(a)?;
                    let (x, y) = (self.reg(acc), self.reg(b));
                    acc = self.emit(if *is_max {
                        Ins::Max(x, y)
                    } else {
                        Ins::Min(x, y)
                    })?;
                }
                acc
            }
            Expr::Agg {
                op,
                var,
                cond,
                body,
                col,
            } => {
                let bound = match cond {
                    Some((c, ix)) => Some((*c, self.index(ix)?)),
                    None => None,
                };
                let mut terms = Vec::new();
                for i in 0..self.k {
                    let keep = match bound {
                        None => true,
                        Some((CmpOp::Ne, j)) => i != j,
                        Some((CmpOp::Lt, j)) => i < j,
                        Some((CmpOp::Le, j)) => i <= j,
                        Some((CmpOp::Gt, j)) => i > j,
                        Some((CmpOp::Ge, j)) => i >= j,
                        Some((CmpOp::Eq, j)) => i == j,
                    };
                    if !keep {
                        continue;
                    }
                    self.env.push((var.clone(), i));
                    let t = self.compile(body);
                    self.env.pop();
                    terms.push(t?);
                }
                let n = terms.len();
                let mut it = terms.into_iter();
                let Some(first) = it.next() else {
                    return match op {
                        AggOp::Sum => Ok(Val::C(Rational::new())),
                        AggOp::Prod => Ok(Val::C(Rational::from(1))),
                        _ => Err(self.err(*col, "the index range is empty")),
                    };
                };
                let mut acc = first;
                for t in it {
                    acc = match op {
                        AggOp::Sum | AggOp::Mean => self.bin(BinOp::Add, acc, t, *col)?,
                        AggOp::Prod => self.bin(BinOp::Mul, acc, t, *col)?,
                        AggOp::Max | AggOp::Min => {
                            let (x, y) = (self.reg(acc), self.reg(t));
                            self.emit(if *op == AggOp::Max {
                                Ins::Max(x, y)
                            } else {
                                Ins::Min(x, y)
                            })?
                        }
                    };
                }
                if *op == AggOp::Mean {
                    acc = self.bin(BinOp::Div, acc, Val::C(Rational::from(n as u64)), *col)?;
                }
                acc
            }
            Expr::At(_, _, col) => {
                return Err(self.err(
                    *col,
                    "at(time, e) compares times along a trajectory: only in the `expression` \
                     field of a trajectory claim, outside any other at()",
                ))
            }
            Expr::Ddt(a) if self.closed_forms && self.is_closed_form(a) => {
                self.closed_form_of(a)?
            }
            Expr::Ddt(a) => match self.compile(a)? {
                Val::C(_) => Val::C(Rational::new()),
                v => {
                    self.needs_tangent = true;
                    let r = self.reg(v);
                    self.emit(Ins::Tangent(r))?
                }
            },
        })
    }

    /// The closed-form rate of `d/dt a` when `a` is (the normalised expansion of) V, M2, M3 or
    /// M1^2 (or M1, with one more step).
    fn closed_rate_of(&self, a: &Expr) -> Option<ClosedRate> {
        use super::parse::{builtin_m1, builtin_m2, builtin_m3, builtin_v};
        let is = |f: fn() -> Expr, e: &Expr| *e == super::normalise(&f(), self.k);
        if is(builtin_v, a) {
            Some(ClosedRate::V)
        } else if is(builtin_m2, a) {
            Some(ClosedRate::M2)
        } else if is(builtin_m3, a) {
            Some(ClosedRate::M3)
        } else if matches!(a, Expr::Pow(b, 2) if is(builtin_m1, b)) || is(builtin_m1, a) {
            Some(ClosedRate::M1Squared)
        } else {
            None
        }
    }

    /// `num / den` is `d/dt Q / (1 - p(0))` with `Q` (the normalised expansion of) V, M1^2 or
    /// M3: compiled to one closed form ([`closed_scaled_rate`]). `d/dt M1` and `d/dt M2` over
    /// `1 - p(0)` stay a quotient.
    fn scaled_rate_of(&self, num: &Expr, den: &Expr) -> Option<ClosedRate> {
        let Expr::Ddt(q) = num else { return None };
        let Expr::Bin(BinOp::Sub, one, p0) = den else {
            return None;
        };
        let is_one = matches!(&**one, Expr::Num(x) if *x == 1);
        let is_p0 = matches!(&**p0, Expr::Var(Var::P(Index::Lit(0, _)), _));
        if !(is_one && is_p0) {
            return None;
        }
        match self.closed_rate_of(q)? {
            ClosedRate::M1Squared if !matches!(&**q, Expr::Pow(..)) => None,
            ClosedRate::M2 => None,
            c => Some(c),
        }
    }

    fn is_closed_form(&self, a: &Expr) -> bool {
        self.closed_rate_of(a).is_some()
    }

    /// `d/dt a` by a closed form, `a` (the normalised expansion of) V, M1, M1^2, M2 or M3
    /// (compile-time rules, docs/math.md section 11): `d/dt V`, `d/dt (M1^2)`, `d/dt M2`,
    /// `d/dt M3` are the rates of [`crate::spectral::rates`]; `d/dt M1 = d(M1^2)/dt / (2 M1)`
    /// (the chain rule of sqrt).
    fn closed_form_of(&mut self, a: &Expr) -> Result<Val, ExprError> {
        let Some(rate) = self.closed_rate_of(a) else {
            return Err(self.err(0, "internal: no closed form"));
        };
        let r = self.emit(Ins::Rate(rate))?;
        if rate == ClosedRate::M1Squared && !matches!(a, Expr::Pow(..)) {
            // a is M1 = sqrt(M1^2).
            let m1 = self.compile(a)?;
            let twice = self.bin(BinOp::Mul, Val::C(Rational::from(2)), m1, 0)?;
            return self.bin(BinOp::Div, r, twice, 0);
        }
        Ok(r)
    }

    fn finish(mut self, outs: Vec<Val>) -> Program {
        let outputs: Vec<u32> = outs.into_iter().map(|v| self.reg(v)).collect();
        let base = self.ins_base() as u32;
        let reloc = |r: u32| {
            if r > u32::MAX - MAX_INSTRUCTIONS as u32 {
                base + (u32::MAX - r)
            } else {
                r
            }
        };
        let ins = self
            .ins
            .iter()
            .map(|i| match *i {
                Ins::Bin(op, a, b) => Ins::Bin(op, reloc(a), reloc(b)),
                Ins::Neg(a) => Ins::Neg(reloc(a)),
                Ins::Recip(a) => Ins::Recip(reloc(a)),
                Ins::Func(f, a) => Ins::Func(f, reloc(a)),
                Ins::Max(a, b) => Ins::Max(reloc(a), reloc(b)),
                Ins::Min(a, b) => Ins::Min(reloc(a), reloc(b)),
                Ins::Tangent(a) => Ins::Tangent(reloc(a)),
                Ins::Rate(c) => Ins::Rate(c),
                Ins::ScaledRate(c) => Ins::ScaledRate(c),
            })
            .collect();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Program {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            k: self.k,
            kind: self.kind,
            outputs: outputs.into_iter().map(reloc).collect(),
            consts: self.consts,
            ins,
            needs_spectral: self.needs_spectral,
            needs_loss: self.needs_loss,
            needs_tangent: self.needs_tangent,
            flow: FlowParams::default(),
            user_field: None,
            dual_form: None,
        }
    }
}

/// Compile normalised expressions (one output each) for `K = k` (a power of two, >= 2) and a
/// state kind. `text` is the expression as written, for error messages.
pub fn compile(
    exprs: &[&Expr],
    k: usize,
    kind: StateKind,
    text: &str,
) -> Result<Program, ExprError> {
    if !k.is_power_of_two() || k < 2 || k > crate::model::hadamard::MAX_ORDER {
        return Err(ExprError::new(
            text,
            0,
            format!(
                "K = {k} must be a power of two in 2..={}",
                crate::model::hadamard::MAX_ORDER
            ),
        ));
    }
    let mut c = Compiler {
        text,
        k,
        kind,
        consts: Vec::new(),
        ins: Vec::new(),
        cse: HashMap::new(),
        env: Vec::new(),
        needs_spectral: false,
        needs_loss: false,
        needs_tangent: false,
        work: 0,
        user: false,
        closed_forms: kind == StateKind::Balanced,
    };
    let mut outs = Vec::new();
    for e in exprs {
        outs.push(c.compile(e)?);
    }
    let mut prog = c.finish(outs);
    if prog.closed_forms() > 0 {
        let mut c = Compiler {
            text,
            k,
            kind,
            consts: Vec::new(),
            ins: Vec::new(),
            cse: HashMap::new(),
            env: Vec::new(),
            needs_spectral: false,
            needs_loss: false,
            needs_tangent: false,
            work: 0,
            user: false,
            closed_forms: false,
        };
        let mut outs = Vec::new();
        for e in exprs {
            outs.push(c.compile(e)?);
        }
        prog.dual_form = Some(Box::new(c.finish(outs)));
    }
    Ok(prog)
}

/// Largest register file kept for reuse by [`with_scratch`] (a larger program gets a fresh one
/// per call, so a thread never holds a huge file after it is done).
const SCRATCH_MAX_REGS: usize = 1 << 14;

thread_local! {
    /// Register files reused across calls of [`eval_pointwise`] and [`value_and_gradient`] on
    /// this thread (the region prover's workers call them once per box): one per number type.
    static SCRATCH: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's register file for `T`, taken out of [`SCRATCH`] (so a nested call
/// on the same type gets a fresh one) and put back afterwards: no allocation of registers and no
/// conversion of constants per call once the file holds `prog`'s constants. The results are those
/// of a fresh [`Evaluator`] (every register is written before it is read, constants are keyed by
/// program and precision; tested).
fn with_scratch<T: Scalar, R>(prog: &Program, f: impl FnOnce(&mut Evaluator<T>) -> R) -> R {
    let taken = SCRATCH
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            let i = s.iter().position(|b| b.is::<Evaluator<T>>())?;
            s.swap_remove(i).downcast::<Evaluator<T>>().ok()
        })
        .ok()
        .flatten();
    let mut ev = taken.unwrap_or_else(|| Box::new(Evaluator::new(prog)));
    let r = f(&mut ev);
    if ev.regs.len() <= SCRATCH_MAX_REGS {
        let _ = SCRATCH.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                s.push(ev as Box<dyn Any>);
            }
        });
    }
    r
}

/// A reusable register file for one program on one number type.
pub struct Evaluator<T> {
    regs: Vec<T>,
    /// The program and precision whose constants the register file holds.
    const_prec: Option<(u64, u32)>,
}

impl<T: Scalar> Evaluator<T> {
    /// A register file sized for `prog`.
    pub fn new(prog: &Program) -> Self {
        Evaluator {
            regs: vec![T::zero(); prog.n_regs()],
            const_prec: None,
        }
    }

    /// Evaluate `prog` at `state` (length [`Program::state_len`]) with constants at `prec`
    /// bits. Afterwards [`Evaluator::output`] reads the results. A program with `d/dt` needs
    /// dual numbers seeded with the flow (see [`eval_pointwise`]); on plain numbers its `d/dt`
    /// is not finite.
    pub fn run(&mut self, prog: &Program, state: &[T], prec: u32) -> Result<(), String> {
        if state.len() != prog.state_len() {
            return Err(format!(
                "the state has {} entries, the program expects {}",
                state.len(),
                prog.state_len()
            ));
        }
        let k = prog.k;
        if self.regs.len() != prog.n_regs() {
            self.regs = vec![T::zero(); prog.n_regs()];
            self.const_prec = None;
        }
        if self.const_prec != Some((prog.id, prec)) {
            let cb = prog.const_base();
            for (i, q) in prog.consts.iter().enumerate() {
                self.regs[cb + i] = T::from_rational(q, prec);
            }
            self.const_prec = Some((prog.id, prec));
        }
        match prog.kind {
            StateKind::Balanced => self.regs[..k].clone_from_slice(state),
            StateKind::Unbalanced => {
                self.regs[A * k..(B + 1) * k].clone_from_slice(state);
                for m in 0..k {
                    self.regs[m] = state[m].clone() * &state[k + m];
                }
            }
        }
        if prog.needs_spectral {
            let sp = enclose_spectral_softmax(&self.regs[..k]);
            if prog.needs_loss {
                self.regs[prog.loss_reg()] =
                    crate::model::softmax::enclose_log_sum_exp(&sp.f) - &sp.f[0];
            }
            for (b, v) in [(F, sp.f), (P, sp.p), (S, sp.s)] {
                for (m, x) in v.into_iter().enumerate() {
                    self.regs[b * k + m] = x;
                }
            }
        }
        let base = prog.ins_base();
        for (i, ins) in prog.ins.iter().enumerate() {
            // Operands are state, constant or earlier registers (below base + i); the result is
            // written in place into its register, whose storage is reused from the last run.
            let (r, rest) = self.regs.split_at_mut(base + i);
            let dst = &mut rest[0];
            let g = |j: u32| &r[j as usize];
            let v = match *ins {
                Ins::Bin(op, a, b) => {
                    dst.set_bin(op, g(a), g(b));
                    continue;
                }
                Ins::Neg(a) => {
                    dst.set_neg(g(a));
                    continue;
                }
                Ins::Recip(a) => g(a).recip(),
                Ins::Func(Func::Exp, a) => g(a).exp(),
                Ins::Func(Func::Log, a) => g(a).ln(),
                Ins::Func(Func::Log1p, a) => g(a).ln_1p(),
                Ins::Func(Func::Expm1, a) => g(a).exp_m1(),
                Ins::Func(Func::Sqrt, a) => g(a).sqrt(),
                Ins::Func(Func::Abs, a) => g(a).abs_s(),
                Ins::Max(a, b) => g(a).max_s(g(b)),
                Ins::Min(a, b) => g(a).min_s(g(b)),
                Ins::Tangent(a) => g(a).tangent(),
                Ins::Rate(c) => closed_rate(c, &r[..k]),
                Ins::ScaledRate(c) => closed_scaled_rate(c, &r[..k]),
            };
            *dst = v;
        }
        Ok(())
    }

    /// Output `i` of the last evaluation.
    pub fn output(&self, prog: &Program, i: usize) -> &T {
        &self.regs[prog.outputs[i] as usize]
    }
}

/// The flow's vector field at `state`: the balanced field (4.2) or the unbalanced field (4.1)
/// (`a'` then `b'`), docs/math.md section 4.
pub fn flow_velocity<T: Real>(kind: StateKind, state: &[T]) -> Vec<T> {
    flow_velocity_with(kind, state, &FlowParams::default())
}

/// The vector field of the flow with parameters (docs/math.md section 13) at `state`; the
/// built-in field (identical enclosures) when `params` is the default.
pub fn flow_velocity_with<T: Real>(kind: StateKind, state: &[T], params: &FlowParams) -> Vec<T> {
    match kind {
        StateKind::Balanced => enclose_balanced_field_with(state, params),
        StateKind::Unbalanced => {
            let (a, b) = state.split_at(state.len() / 2);
            let (da, db) = enclose_unbalanced_field_with(a, b, params);
            da.into_iter().chain(db).collect()
        }
    }
}

/// The state seeded for `d/dt`: each entry a fixed-size dual number whose one tangent component
/// is the flow's vector field there ([`flow_velocity_with`] with the program's parameters, or
/// the user's field of an `ode` claim); an error only if a user field cannot be evaluated.
pub fn seed_with_flow<T: Scalar>(
    prog: &Program,
    state: &[T],
    prec: u32,
) -> Result<Vec<DualN<T, 1>>, String> {
    let v = match &prog.user_field {
        Some(field) => eval_real(field, state, prec)?,
        None => flow_velocity_with(prog.kind, state, &prog.flow),
    };
    Ok(state
        .iter()
        .zip(v)
        .map(|(x, d)| DualN {
            value: x.clone(),
            grad: [d],
            varies: true,
        })
        .collect())
}

/// Evaluate every output of `prog` at `state` on `T`: directly, or, when the program uses
/// `d/dt`, on fixed-size dual numbers ([`DualN`] with one tangent component, no allocation per
/// operation) seeded with [`flow_velocity`] (the values of the outputs are returned). The
/// enclosures are those of [`Dual`] with a one-entry gradient (the same interval operations in
/// the same order).
pub fn eval_pointwise<T: Scalar>(prog: &Program, state: &[T], prec: u32) -> Result<Vec<T>, String> {
    if state.len() != prog.state_len() {
        return Err(format!(
            "the state has {} entries, the program expects {}",
            state.len(),
            prog.state_len()
        ));
    }
    if prog.needs_tangent {
        let seeded = seed_with_flow(prog, state, prec)?;
        with_scratch::<DualN<T, 1>, _>(prog, |ev| {
            ev.run(prog, &seeded, prec)?;
            Ok((0..prog.outputs.len())
                .map(|i| ev.output(prog, i).value.clone())
                .collect())
        })
    } else {
        with_scratch::<T, _>(prog, |ev| {
            ev.run(prog, state, prec)?;
            Ok((0..prog.outputs.len())
                .map(|i| ev.output(prog, i).clone())
                .collect())
        })
    }
}

/// Output `out` of a balanced program at the states `lambda = (0, spectrum)` (`spectrum` the
/// `N = K - 1` box variables `lambda_1..lambda_{K-1}`, enclosures), with its gradient over those
/// variables: forward-mode dual numbers [`DualN`] (the region prover's mean-value form,
/// [`crate::prove::region`]). With `d/dt`, the state is seeded twice: dual numbers over the box
/// variables, each carrying one tangent component seeded with the balanced field evaluated on
/// those dual numbers, so the gradient is that of `grad e . F` (both chain rules exact,
/// enclosures outward). Every entry encloses the exact value at every point of the inputs.
pub fn value_and_gradient<T: Scalar, const N: usize>(
    prog: &Program,
    spectrum: &[T],
    out: usize,
    prec: u32,
) -> Result<(T, [T; N]), String> {
    if prog.kind != StateKind::Balanced || prog.k != N + 1 || spectrum.len() != N {
        return Err(format!(
            "a region program is balanced with K = {} and {N} box variables",
            N + 1
        ));
    }
    if out >= prog.outputs.len() {
        return Err(format!("no output {out}"));
    }
    let mut lambda: Vec<DualN<T, N>> = Vec::with_capacity(N + 1);
    lambda.push(<DualN<T, N> as crate::arith::Ring>::from_i64(0, prec));
    lambda.extend(
        spectrum
            .iter()
            .enumerate()
            .map(|(i, e)| DualN::variable(e.clone(), i)),
    );
    let r = if prog.needs_tangent {
        let seeded = seed_with_flow(prog, &lambda, prec)?;
        with_scratch::<DualN<DualN<T, N>, 1>, _>(prog, |ev| {
            ev.run(prog, &seeded, prec)?;
            Ok::<_, String>(ev.output(prog, out).value.clone())
        })?
    } else {
        with_scratch::<DualN<T, N>, _>(prog, |ev| {
            ev.run(prog, &lambda, prec)?;
            Ok::<_, String>(ev.output(prog, out).clone())
        })?
    };
    let grad = std::array::from_fn(|i| r.partial(i));
    Ok((r.value, grad))
}

// ---- a user's vector field x' = F(x) (`ode` claims, docs/math.md section 13.7) ----

/// Compile expressions over the state of a user's vector field (parsed by
/// [`super::parse_expr_over`] over `n` state names, normalised): state name `i` is register
/// `i`. The program is evaluated by [`Evaluator`] (quantities, with `d/dt` along the field
/// set by [`Program::with_user_field`]) and, when [`Program::is_smooth`], by [`eval_real`] on
/// every [`Real`] (the field itself: inari, MPFR, the tape recorder of the integrator).
pub fn compile_field(exprs: &[&Expr], n: usize, text: &str) -> Result<Program, ExprError> {
    if n == 0 || n > super::parse::MAX_STATE_NAMES {
        return Err(ExprError::new(
            text,
            0,
            format!(
                "a state of dimension {n}: give 1 to {}",
                super::parse::MAX_STATE_NAMES
            ),
        ));
    }
    let mut c = Compiler {
        text,
        k: n,
        kind: StateKind::Balanced,
        consts: Vec::new(),
        ins: Vec::new(),
        cse: HashMap::new(),
        env: Vec::new(),
        needs_spectral: false,
        needs_loss: false,
        needs_tangent: false,
        work: 0,
        user: true,
        closed_forms: false,
    };
    let mut outs = Vec::new();
    for e in exprs {
        outs.push(c.compile(e)?);
    }
    Ok(c.finish(outs))
}

impl Program {
    /// The same program with `d/dt` along the user's vector field `field` (a smooth program of
    /// [`compile_field`] with one output per state component).
    /// (A closed-form rate holds along the built-in flow only: the program becomes the one
    /// with every `d/dt` by dual numbers.)
    pub fn with_user_field(self, field: Program) -> Self {
        let mut prog = self.without_closed_forms();
        prog.user_field = Some(Box::new(field));
        prog
    }

    /// No instruction is `abs`, `min`, `max` or `d/dt`: the program is a composition of
    /// + - * /, exp, log, log1p, expm1 and sqrt, each of which has a Taylor recurrence, so it
    /// can be recorded on the tape and integrated.
    pub fn is_smooth(&self) -> bool {
        self.ins.iter().all(|i| {
            !matches!(
                i,
                Ins::Max(..)
                    | Ins::Min(..)
                    | Ins::Tangent(_)
                    | Ins::Rate(_)
                    | Ins::ScaledRate(_)
                    | Ins::Func(Func::Abs, _)
            )
        })
    }
}

/// Evaluate every output of a smooth program ([`Program::is_smooth`]) of [`compile_field`] at
/// `state` on any [`Real`]: enclosures on interval types, a recording on
/// [`crate::ode::tape::Rec`] (constants stay exact rationals on the tape), Taylor or dual
/// arithmetic inside the integrator. The instructions are those [`Evaluator::run`] runs; only
/// the state and constant registers are materialised. An error for a wrong state length or an
/// instruction without a smooth meaning.
pub fn eval_real<T: Real>(prog: &Program, state: &[T], prec: u32) -> Result<Vec<T>, String> {
    if state.len() != prog.state_len() {
        return Err(format!(
            "the state has {} entries, the program expects {}",
            state.len(),
            prog.state_len()
        ));
    }
    let (k, cb, ib) = (prog.k, prog.const_base(), prog.ins_base());
    let consts: Vec<T> = prog
        .consts
        .iter()
        .map(|q| T::from_rational(q, prec))
        .collect();
    let mut vals: Vec<T> = Vec::with_capacity(prog.ins.len());
    fn reg<'a, T>(
        j: u32,
        state: &'a [T],
        consts: &'a [T],
        vals: &'a [T],
        (k, cb, ib): (usize, usize, usize),
    ) -> Result<&'a T, String> {
        let j = j as usize;
        if j < k {
            Ok(&state[j])
        } else if (cb..ib).contains(&j) {
            Ok(&consts[j - cb])
        } else if j >= ib && j - ib < vals.len() {
            Ok(&vals[j - ib])
        } else {
            Err(format!(
                "register {j} is not a state, constant or earlier result"
            ))
        }
    }
    for ins in &prog.ins {
        let g = |j: u32| reg(j, state, &consts, &vals, (k, cb, ib));
        let v = match *ins {
            Ins::Bin(BinOp::Add, a, b) => g(a)?.clone() + g(b)?,
            Ins::Bin(BinOp::Sub, a, b) => g(a)?.clone() - g(b)?,
            Ins::Bin(BinOp::Mul, a, b) => g(a)?.clone() * g(b)?,
            Ins::Bin(BinOp::Div, a, b) => g(a)?.clone() / g(b)?,
            Ins::Neg(a) => -g(a)?.clone(),
            Ins::Recip(a) => g(a)?.recip(),
            Ins::Func(Func::Exp, a) => g(a)?.exp(),
            Ins::Func(Func::Log, a) => g(a)?.ln(),
            Ins::Func(Func::Log1p, a) => g(a)?.ln_1p(),
            Ins::Func(Func::Expm1, a) => g(a)?.exp_m1(),
            Ins::Func(Func::Sqrt, a) => g(a)?.sqrt(),
            Ins::Func(Func::Abs, _)
            | Ins::Max(..)
            | Ins::Min(..)
            | Ins::Tangent(_)
            | Ins::Rate(_)
            | Ins::ScaledRate(_) => {
                return Err(
                    "abs, min, max and d/dt have no Taylor recurrence: a vector field \
                            must be smooth"
                        .into(),
                )
            }
        };
        vals.push(v);
    }
    prog.outputs
        .iter()
        .map(|&r| reg(r, state, &consts, &vals, (k, cb, ib)).cloned())
        .collect()
}

/// A user's vector field `x' = F(x)` compiled once ([`compile_field`], smooth): the
/// integrator's [`crate::ode::VectorField`], evaluated by [`eval_real`] on every scalar type
/// (recorded on the tape, then Taylor coefficients by the recurrences).
#[derive(Clone, Debug)]
pub struct CompiledField(pub Program);

impl crate::ode::VectorField for CompiledField {
    fn dim(&self) -> usize {
        self.0.state_len()
    }
    fn eval<S: Real>(&self, x: &[S]) -> Vec<S> {
        let prec = x.first().map_or(53, |v| v.prec());
        // A validated field never fails here; if it did, a not-finite value makes the
        // integrator stop (undecided), never a wrong enclosure.
        eval_real(&self.0, x, prec).unwrap_or_else(|_| {
            (0..self.dim())
                .map(|_| S::from_f64(f64::NAN, prec))
                .collect()
        })
    }
}
