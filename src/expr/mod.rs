//! The claim language, first part: expressions over the spectral state (issue 15).
//!
//! * [`parse`]: text -> [`Expr`] (names resolved, the built-ins V, M1-M4 and `x_m` expanded into
//!   their definitions of docs/math.md sections 5-7), with errors naming the column;
//! * [`normalise`]: `K` replaced by its value and exact constant subexpressions folded; its
//!   `Display` is the normalised form recorded in certificates;
//! * [`eval`]: the normalised expression compiled once, for one `K` and one flow, into a flat
//!   instruction list ([`eval::Program`]) evaluated generically over [`eval::Scalar`] (f64,
//!   inari, MPFR, dual numbers). `d/dt` comes from dual numbers seeded with the flow's vector
//!   field (forward-mode automatic differentiation, never finite differences), except `d/dt` of
//!   the built-ins V, M1, M1^2, M2, M3 along the built-in balanced flow, compiled to the closed
//!   forms of [`crate::spectral::rates`] (docs/math.md section 11).
//!
//! Vocabulary (index `m`, `g`: an integer or an index bound by an aggregate):
//! `lambda_m`, `a_m`, `b_m` (unbalanced flow), `s_m`, `x_m = lambda_m / sum(j != 0, lambda_j)`,
//! `f(g)`, `p(g)`, `K`, `t` (trajectories only), `V`, `M1`..`M4`, `L` or `loss`; functions
//! `exp log ln log1p expm1 sqrt abs`, `min(x, y, ...)`, `max(x, y, ...)`, `|x|`; aggregates
//! `sum|mean|prod|max|min(m [!= | < | <= | > | >= | == index], body)`; `d/dt e`; `x ^ n` for
//! an integer literal `n`.

pub mod eval;
pub mod parse;

pub use eval::{compile, compile_field, Evaluator, Program, Scalar, StateKind};
pub use parse::{
    parse_expr, parse_expr_over, parse_relation, parse_trajectory_relation,
    parse_trajectory_relation_over, validate_state_names,
};

use rug::Rational;
use std::fmt;

/// A parse or compile error: the column (1-based, in characters) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// The expression as written.
    pub text: String,
    /// 1-based character column of the offending token (0 when not tied to a position).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ExprError {
    pub(crate) fn new(text: &str, column: usize, message: String) -> Self {
        ExprError {
            text: text.to_string(),
            column,
            message,
        }
    }

    /// One line: `column C: message: `text with ‸ at the column``, for claim-file errors
    /// (which print on one line).
    pub fn one_line(&self) -> String {
        if self.column == 0 || self.text.is_empty() {
            return self.message.clone();
        }
        let chars: Vec<char> = self.text.chars().collect();
        let at = (self.column - 1).min(chars.len());
        let before: String = chars[..at].iter().collect();
        let after: String = chars[at..].iter().collect();
        format!(
            "column {}: {}: `{}\u{2038}{}`",
            self.column, self.message, before, after
        )
    }
}

/// Three lines: the message with its column, the expression, a caret under the column.
impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column == 0 {
            return write!(f, "{}", self.message);
        }
        writeln!(f, "column {}: {}", self.column, self.message)?;
        writeln!(f, "  {}", self.text)?;
        write!(f, "  {}^", " ".repeat(self.column - 1))
    }
}

impl std::error::Error for ExprError {}

/// An index: an integer literal (with its column) or an index bound by an aggregate.
#[derive(Clone, Debug, PartialEq)]
pub enum Index {
    /// A literal index and its column (0 for built-in expansions).
    Lit(usize, usize),
    /// A bound index by name.
    Bound(String),
}

/// A variable of the state or the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Var {
    /// lambda_m (the singular-value products).
    Lambda(Index),
    /// a_m (unbalanced flow state).
    A(Index),
    /// b_m (unbalanced flow state).
    B(Index),
    /// s_m = (Had p)_m.
    S(Index),
    /// f(g) = (Had lambda / K)(g).
    F(Index),
    /// p(g) = softmax(f)(g).
    P(Index),
    /// The number of classes.
    K,
    /// Time (trajectories only).
    T,
    /// The mean cross-entropy loss on the manifold, `lse(f) - f(0)`.
    Loss,
    /// Component `i` of the state of a user's vector field (`ode` claims), by its name.
    State(usize, String),
}

/// Binary arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// +
    Add,
    /// -
    Sub,
    /// *
    Mul,
    /// /
    Div,
}

/// Unary functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// exp
    Exp,
    /// natural log
    Log,
    /// log(1 + x)
    Log1p,
    /// exp(x) - 1
    Expm1,
    /// square root
    Sqrt,
    /// absolute value
    Abs,
}

/// Aggregates over an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggOp {
    /// sum
    Sum,
    /// sum / count
    Mean,
    /// product
    Prod,
    /// maximum
    Max,
    /// minimum
    Min,
}

/// The condition of an index range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// !=
    Ne,
    /// <
    Lt,
    /// <=
    Le,
    /// >
    Gt,
    /// >=
    Ge,
    /// ==
    Eq,
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// An exact number.
    Num(Rational),
    /// A variable and its column (0 for built-in expansions).
    Var(Var, usize),
    /// A bound index used as a number.
    IndexVal(Index),
    /// -e
    Neg(Box<Expr>),
    /// a op b
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// e ^ n
    Pow(Box<Expr>, i64),
    /// f(e)
    Func(Func, Box<Expr>),
    /// max (true) or min (false) of two or more arguments.
    MinMax(bool, Vec<Expr>),
    /// An aggregate over the index `var` in `0..K` restricted by `cond`.
    Agg {
        /// Which aggregate.
        op: AggOp,
        /// The bound index.
        var: String,
        /// Optional condition `var cmp index`.
        cond: Option<(CmpOp, Index)>,
        /// The body.
        body: Box<Expr>,
        /// Column of the aggregate's name (0 for built-in expansions).
        col: usize,
    },
    /// d/dt e along the claim's flow.
    Ddt(Box<Expr>),
    /// `at(time, e)`: `e` at an exact time of a trajectory (trajectory relations only; the
    /// compiler refuses it elsewhere).
    At(AtTime, Box<Expr>, usize),
}

/// The time of `at(time, e)`.
#[derive(Clone, Debug, PartialEq)]
pub enum AtTime {
    /// `T`: the horizon of the claim.
    Horizon,
    /// An exact time.
    Time(Rational),
}

impl fmt::Display for AtTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtTime::Horizon => write!(f, "T"),
            AtTime::Time(q) => write!(f, "{q}"),
        }
    }
}

/// A relation between two expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    /// <
    Lt,
    /// >
    Gt,
    /// <=
    Le,
    /// >=
    Ge,
}

impl Rel {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Rel::Lt => "<",
            Rel::Gt => ">",
            Rel::Le => "<=",
            Rel::Ge => ">=",
        }
    }
}

/// `lhs rel rhs`.
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    /// Left side.
    pub lhs: Expr,
    /// The relation.
    pub rel: Rel,
    /// Right side.
    pub rhs: Expr,
}

impl Expr {
    /// Contains `d/dt`.
    pub fn has_ddt(&self) -> bool {
        match self {
            Expr::Ddt(_) => true,
            Expr::At(_, e, _) => e.has_ddt(),
            Expr::Num(_) | Expr::Var(..) | Expr::IndexVal(_) => false,
            Expr::Neg(e) | Expr::Pow(e, _) | Expr::Func(_, e) => e.has_ddt(),
            Expr::Bin(_, a, b) => a.has_ddt() || b.has_ddt(),
            Expr::MinMax(_, v) => v.iter().any(Expr::has_ddt),
            Expr::Agg { body, .. } => body.has_ddt(),
        }
    }
}

fn fold_bin(op: BinOp, a: &Rational, b: &Rational) -> Option<Rational> {
    Some(match op {
        BinOp::Add => Rational::from(a + b),
        BinOp::Sub => Rational::from(a - b),
        BinOp::Mul => Rational::from(a * b),
        BinOp::Div if *b != 0 => Rational::from(a / b),
        BinOp::Div => return None,
    })
}

/// Rationals whose numerator and denominator stay below this many bits are folded.
const FOLD_BITS: u32 = 4096;

pub(crate) fn small(q: &Rational) -> bool {
    q.numer().significant_bits() <= FOLD_BITS && q.denom().significant_bits() <= FOLD_BITS
}

/// `q^n` stays within the folding size (checked before computing it).
pub(crate) fn small_power(q: &Rational, n: i64) -> bool {
    let bits = q
        .numer()
        .significant_bits()
        .max(q.denom().significant_bits()) as u64;
    bits.saturating_mul(n.unsigned_abs()) <= FOLD_BITS as u64
}

/// The normalised expression for `K = k`: `K` replaced by its value, exact constant
/// subexpressions (+ - * / and integer powers of numbers) folded, `x ^ 1` dropped. The
/// built-ins are already expanded by the parser. Evaluation is unchanged in meaning: folding is
/// exact.
pub fn normalise(e: &Expr, k: usize) -> Expr {
    match e {
        Expr::Var(Var::K, _) => Expr::Num(Rational::from(k as u64)),
        Expr::Num(_) | Expr::Var(..) | Expr::IndexVal(_) => e.clone(),
        Expr::Neg(a) => match normalise(a, k) {
            Expr::Num(q) => Expr::Num(-q),
            a => Expr::Neg(Box::new(a)),
        },
        Expr::Bin(op, a, b) => {
            let (a, b) = (normalise(a, k), normalise(b, k));
            if let (Expr::Num(x), Expr::Num(y)) = (&a, &b) {
                if let Some(q) = fold_bin(*op, x, y).filter(small) {
                    return Expr::Num(q);
                }
            }
            Expr::Bin(*op, Box::new(a), Box::new(b))
        }
        Expr::Pow(a, n) => {
            let a = normalise(a, k);
            if *n == 1 {
                return a;
            }
            if let Expr::Num(x) = &a {
                if (*x != 0 || *n >= 0) && small_power(x, *n) {
                    let mut q = Rational::from(1);
                    for _ in 0..n.unsigned_abs() {
                        q *= x;
                    }
                    if *n < 0 {
                        q = q.recip();
                    }
                    if small(&q) {
                        return Expr::Num(q);
                    }
                }
            }
            Expr::Pow(Box::new(a), *n)
        }
        Expr::Func(f, a) => Expr::Func(*f, Box::new(normalise(a, k))),
        Expr::MinMax(m, v) => Expr::MinMax(*m, v.iter().map(|x| normalise(x, k)).collect()),
        Expr::Agg {
            op,
            var,
            cond,
            body,
            col,
        } => Expr::Agg {
            op: *op,
            var: var.clone(),
            cond: cond.clone(),
            body: Box::new(normalise(body, k)),
            col: *col,
        },
        Expr::Ddt(a) => Expr::Ddt(Box::new(normalise(a, k))),
        Expr::At(t, a, col) => Expr::At(t.clone(), Box::new(normalise(a, k)), *col),
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::Lit(n, _) => write!(f, "{n}"),
            Index::Bound(s) => write!(f, "{s}"),
        }
    }
}

fn prec(e: &Expr) -> u8 {
    match e {
        Expr::Bin(BinOp::Add | BinOp::Sub, ..) => 1,
        Expr::Bin(..) => 2,
        Expr::Neg(_) | Expr::Ddt(_) => 3,
        Expr::Num(q) if !q.is_integer() => 2,
        Expr::Num(q) if *q < 0 => 3,
        Expr::Pow(..) => 4,
        _ => 5,
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if prec(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// The normalised form: fully explicit, parentheses only where precedence needs them.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(q) => write!(f, "{q}"),
            Expr::Var(v, _) => match v {
                Var::Lambda(i) => write!(f, "lambda_{i}"),
                Var::A(i) => write!(f, "a_{i}"),
                Var::B(i) => write!(f, "b_{i}"),
                Var::S(i) => write!(f, "s_{i}"),
                Var::F(i) => write!(f, "f({i})"),
                Var::P(i) => write!(f, "p({i})"),
                Var::K => write!(f, "K"),
                Var::T => write!(f, "t"),
                Var::Loss => write!(f, "L"),
                Var::State(_, name) => write!(f, "{name}"),
            },
            Expr::IndexVal(i) => write!(f, "{i}"),
            Expr::Neg(a) => {
                write!(f, "-")?;
                write_operand(f, a, 3)
            }
            Expr::At(t, a, _) => write!(f, "at({t}, {a})"),
            Expr::Ddt(a) => {
                write!(f, "d/dt(")?;
                write!(f, "{a}")?;
                write!(f, ")")
            }
            Expr::Bin(op, a, b) => {
                let (p, s) = match op {
                    BinOp::Add => (1, " + "),
                    BinOp::Sub => (1, " - "),
                    BinOp::Mul => (2, " * "),
                    BinOp::Div => (2, " / "),
                };
                write_operand(f, a, p)?;
                write!(f, "{s}")?;
                // Left-associative: the right operand needs parentheses at equal precedence.
                write_operand(f, b, p + 1)
            }
            Expr::Pow(a, n) => {
                write_operand(f, a, 5)?;
                if *n < 0 {
                    write!(f, "^({n})")
                } else {
                    write!(f, "^{n}")
                }
            }
            Expr::Func(func, a) => {
                let name = match func {
                    Func::Exp => "exp",
                    Func::Log => "log",
                    Func::Log1p => "log1p",
                    Func::Expm1 => "expm1",
                    Func::Sqrt => "sqrt",
                    Func::Abs => "abs",
                };
                write!(f, "{name}({a})")
            }
            Expr::MinMax(is_max, v) => {
                write!(f, "{}(", if *is_max { "max" } else { "min" })?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, ")")
            }
            Expr::Agg {
                op,
                var,
                cond,
                body,
                ..
            } => {
                let name = match op {
                    AggOp::Sum => "sum",
                    AggOp::Mean => "mean",
                    AggOp::Prod => "prod",
                    AggOp::Max => "max",
                    AggOp::Min => "min",
                };
                write!(f, "{name}({var}")?;
                if let Some((c, ix)) = cond {
                    let c = match c {
                        CmpOp::Ne => "!=",
                        CmpOp::Lt => "<",
                        CmpOp::Le => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::Ge => ">=",
                        CmpOp::Eq => "==",
                    };
                    write!(f, " {c} {ix}")?;
                }
                write!(f, ", {body})")
            }
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.lhs, self.rel.symbol(), self.rhs)
    }
}
