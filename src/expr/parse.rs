//! Lexer and recursive-descent parser of the claim language.
//! Grammar: README, "Expressions".
//! Names are resolved while parsing; the built-ins V, M1-M4 and the normalised spectrum `x_m`
//! are expanded into their definitions (docs/math.md sections 5-7).

use super::{AggOp, AtTime, BinOp, CmpOp, Expr, ExprError, Func, Index, Rel, Relation, Var};
use rug::Rational;

/// Longest expression accepted, in bytes.
pub const MAX_EXPR_BYTES: usize = 4096;
/// Deepest nesting of parentheses, functions and operators.
pub const MAX_DEPTH: usize = 64;
/// Largest exponent of an integer power.
pub const MAX_POWER: i64 = 64;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Rational),
    Ident(String),
    Ddt,
    Op(&'static str),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    /// 1-based character column.
    col: usize,
}

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |col: usize, msg: String| ExprError::new(text, col, msg);
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && chars[i] == '.' {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            let q = crate::arith::parse_exact(&s)
                .map_err(|e| err(col, format!("bad number `{s}`: {e}")))?;
            out.push(Token {
                tok: Tok::Num(q),
                col,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            // `d/dt` is one token (there is no variable `d`).
            if s == "d" {
                let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
                let after = chars.get(i + 3);
                if rest == "/dt" && !after.is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    i += 3;
                    out.push(Token { tok: Tok::Ddt, col });
                    continue;
                }
            }
            out.push(Token {
                tok: Tok::Ident(s),
                col,
            });
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op2 = ["<=", ">=", "!=", "=="].into_iter().find(|o| *o == two);
        if let Some(o) = op2 {
            out.push(Token {
                tok: Tok::Op(o),
                col,
            });
            i += 2;
            continue;
        }
        let op1 = ["+", "-", "*", "/", "^", "(", ")", ",", "|", "<", ">", "="]
            .into_iter()
            .find(|o| o.starts_with(c));
        match op1 {
            Some(o) => {
                out.push(Token {
                    tok: Tok::Op(o),
                    col,
                });
                i += 1;
            }
            None => {
                return Err(err(
                    col,
                    format!("unexpected character `{}`", c.escape_default()),
                ))
            }
        }
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len() + 1,
    });
    Ok(out)
}

/// Names a user can write (for suggestions): variables, functions, built-ins.
pub const VOCABULARY: &[&str] = &[
    "lambda", "a", "b", "s", "x", "f", "p", "K", "t", "V", "M1", "M2", "M3", "M4", "L", "loss",
    "exp", "log", "ln", "log1p", "expm1", "sqrt", "abs", "min", "max", "sum", "mean", "prod",
];

const INDEXED: &[&str] = &["lambda", "a", "b", "s", "x", "f", "p"];

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known name nearest to `name` (edit distance at most 2, case-insensitive first), if any.
pub fn suggest(name: &str) -> Option<&'static str> {
    if name.len() > 64 {
        return None;
    }
    if let Some(v) = VOCABULARY.iter().find(|v| v.eq_ignore_ascii_case(name)) {
        return Some(v);
    }
    VOCABULARY
        .iter()
        .map(|v| {
            (
                edit_distance(&name.to_ascii_lowercase(), &v.to_ascii_lowercase()),
                *v,
            )
        })
        .filter(|(d, v)| *d <= 2 && *d < v.len().max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Bound index names, innermost last.
    scope: Vec<String>,
    depth: usize,
    /// Inside a `d/dt( )`.
    in_ddt: bool,
    /// `at(time, e)` is accepted (trajectory relations).
    allow_at: bool,
    /// Inside an `at( )`.
    in_at: bool,
    /// The state names of a user's vector field (`ode` claims): when set, a name is a state
    /// component or a function, and the spectral vocabulary and aggregates are not available.
    names: Option<Vec<String>>,
}

/// `e` is built from numbers with + - * / and integer powers only (a time of `at`).
fn is_numeric(e: &Expr) -> bool {
    match e {
        Expr::Num(_) => true,
        Expr::Neg(a) | Expr::Pow(a, _) => is_numeric(a),
        Expr::Bin(_, a, b) => is_numeric(a) && is_numeric(b),
        _ => false,
    }
}

fn is_binder_name(s: &str) -> bool {
    s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase()) && s != "t"
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn col(&self) -> usize {
        self.toks[self.pos].col
    }
    fn err(&self, col: usize, msg: impl Into<String>) -> ExprError {
        ExprError::new(self.text, col, msg.into())
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Tok::Op(o) if *o == op) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, op: &str, what: &str) -> Result<(), ExprError> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(self.err(
                self.col(),
                format!("expected `{op}` {what}, found {}", self.describe()),
            ))
        }
    }
    fn describe(&self) -> String {
        match self.peek() {
            Tok::Num(_) => "a number".into(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Ddt => "`d/dt`".into(),
            Tok::Op(o) => format!("`{o}`"),
            Tok::End => "the end of the expression".into(),
        }
    }
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                self.col(),
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    /// expr := term (('+' | '-') term)*
    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let mut lhs = self.term()?;
        loop {
            let op = if self.eat("+") {
                BinOp::Add
            } else if self.eat("-") {
                BinOp::Sub
            } else {
                break;
            };
            let rhs = self.term()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    /// term := unary (('*' | '/') unary)*
    fn term(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        loop {
            let op = if self.eat("*") {
                BinOp::Mul
            } else if self.eat("/") {
                BinOp::Div
            } else {
                break;
            };
            let rhs = self.unary()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    /// unary := '-' unary | 'd/dt' unary | power
    fn unary(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let out = if self.eat("-") {
            Expr::Neg(Box::new(self.unary()?))
        } else if self.eat("+") {
            self.unary()?
        } else if matches!(self.peek(), Tok::Ddt) {
            let col = self.col();
            self.bump();
            if self.in_ddt {
                return Err(self.err(
                    col,
                    "d/dt inside d/dt is not supported (second derivatives need second-order \
                     dual numbers)",
                ));
            }
            self.in_ddt = true;
            let inner = self.unary();
            self.in_ddt = false;
            Expr::Ddt(Box::new(inner?))
        } else {
            self.power()?
        };
        self.depth -= 1;
        Ok(out)
    }

    /// power := primary ('^' integer)?   (the exponent: an integer literal, optionally signed or
    /// in parentheses)
    fn power(&mut self) -> Result<Expr, ExprError> {
        let base = self.primary()?;
        if !self.eat("^") {
            return Ok(base);
        }
        let col = self.col();
        let paren = self.eat("(");
        let neg = self.eat("-");
        if !neg {
            self.eat("+");
        }
        let n =
            match self.bump().tok {
                Tok::Num(q) if q.is_integer() => q,
                _ => return Err(self.err(
                    col,
                    "the exponent of `^` must be an integer literal (use exp(y * log(x)) for a \
                     real power)",
                )),
            };
        if paren && !self.eat(")") {
            return Err(self.err(
                col,
                "the exponent of `^` must be an integer literal (use exp(y * log(x)) for a \
                 real power)",
            ));
        }
        let n = n
            .numer()
            .to_i64()
            .filter(|n| *n <= MAX_POWER)
            .ok_or_else(|| self.err(col, format!("exponent larger than {MAX_POWER}")))?;
        Ok(Expr::Pow(Box::new(base), if neg { -n } else { n }))
    }

    fn index_of(&self, s: &str, col: usize) -> Result<Index, ExprError> {
        if let Ok(n) = s.parse::<usize>() {
            return Ok(Index::Lit(n, col));
        }
        if self.scope.iter().any(|b| b == s) {
            return Ok(Index::Bound(s.to_string()));
        }
        let hint = if is_binder_name(s) {
            format!(" (bind it first, e.g. `sum({s} != 0, ...)`)")
        } else {
            String::new()
        };
        Err(self.err(
            col,
            format!("unknown index `{s}`: an index is an integer or a bound index{hint}"),
        ))
    }

    fn index_arg(&mut self) -> Result<Index, ExprError> {
        let col = self.col();
        let t = self.bump();
        let ix = match &t.tok {
            Tok::Num(q) if q.is_integer() && *q >= 0 => {
                let n = q
                    .numer()
                    .to_usize()
                    .ok_or_else(|| self.err(col, "index too large"))?;
                Index::Lit(n, col)
            }
            Tok::Ident(s) => self.index_of(s, col)?,
            _ => return Err(self.err(col, "expected an index (an integer or a bound index)")),
        };
        self.expect(")", "after the index")?;
        Ok(ix)
    }

    fn indexed(&self, base: &str, ix: Index, col: usize) -> Expr {
        let v = match base {
            "lambda" => Var::Lambda(ix),
            "a" => Var::A(ix),
            "b" => Var::B(ix),
            "s" => Var::S(ix),
            "f" => Var::F(ix),
            "p" => Var::P(ix),
            _ => return normalised_spectrum(ix),
        };
        Expr::Var(v, col)
    }

    fn args(&mut self) -> Result<Vec<Expr>, ExprError> {
        let mut v = vec![self.expr()?];
        while self.eat(",") {
            v.push(self.expr()?);
        }
        self.expect(")", "to close the argument list")?;
        Ok(v)
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let col = self.col();
        let t = self.bump();
        match t.tok {
            Tok::Num(q) => Ok(Expr::Num(q)),
            Tok::Op("(") => {
                let e = self.expr()?;
                self.expect(")", "to close `(`")?;
                Ok(e)
            }
            Tok::Op("|") => {
                let e = self.expr()?;
                self.expect("|", "to close `|`")?;
                Ok(Expr::Func(Func::Abs, Box::new(e)))
            }
            Tok::Ident(name) => self.name(name, col),
            Tok::Ddt => Err(self.err(col, "unexpected `d/dt`")),
            Tok::End => Err(self.err(col, "unexpected end of the expression: expected a value")),
            Tok::Op(o) => Err(self.err(col, format!("unexpected `{o}`: expected a value"))),
        }
    }

    fn name(&mut self, name: String, col: usize) -> Result<Expr, ExprError> {
        // Bound index used as a number.
        if self.scope.iter().any(|b| *b == name) {
            return Ok(Expr::IndexVal(Index::Bound(name)));
        }
        let call = matches!(self.peek(), Tok::Op("("));
        if let Some(names) = &self.names {
            if let Some(i) = names.iter().position(|n| *n == name) {
                return Ok(Expr::Var(Var::State(i, name), col));
            }
            let known_call = call && (USER_FUNCTIONS.contains(&name.as_str()) || name == "at");
            if !known_call && name != "t" {
                let lower = name.to_ascii_lowercase();
                let near = names
                    .iter()
                    .map(String::as_str)
                    .chain(USER_FUNCTIONS.iter().copied())
                    .map(|v| (edit_distance(&lower, &v.to_ascii_lowercase()), v))
                    .filter(|(d, v)| *d <= 2 && *d < v.len().max(2))
                    .min_by_key(|(d, _)| *d)
                    .map(|(_, v)| v.to_string());
                let hint = match near {
                    Some(s) => format!(" (did you mean `{s}`?)"),
                    None => format!(
                        " (the state is {}; functions {})",
                        names.join(", "),
                        USER_FUNCTIONS.join(", ")
                    ),
                };
                return Err(self.err(
                    col,
                    format!("unknown name `{name}` in a user vector field's language{hint}"),
                ));
            }
        }
        if name == "at" && call {
            return self.at(col);
        }
        match name.as_str() {
            "K" => return Ok(Expr::Var(Var::K, col)),
            "t" => return Ok(Expr::Var(Var::T, col)),
            "L" | "loss" => return Ok(Expr::Var(Var::Loss, col)),
            "V" => return Ok(builtin_v()),
            "M1" => return Ok(builtin_m1()),
            "M2" => return Ok(builtin_m2()),
            "M3" => return Ok(builtin_m3()),
            "M4" => return Ok(builtin_m4()),
            _ => {}
        }
        if call {
            let func = match name.as_str() {
                "exp" => Some(Func::Exp),
                "log" | "ln" => Some(Func::Log),
                "log1p" => Some(Func::Log1p),
                "expm1" => Some(Func::Expm1),
                "sqrt" => Some(Func::Sqrt),
                "abs" => Some(Func::Abs),
                _ => None,
            };
            if let Some(func) = func {
                self.bump();
                let args = self.args()?;
                if args.len() != 1 {
                    return Err(self.err(
                        col,
                        format!("`{name}` takes one argument, not {}", args.len()),
                    ));
                }
                return Ok(Expr::Func(func, Box::new(args.into_iter().next().unwrap())));
            }
            let agg = match name.as_str() {
                "sum" => Some(AggOp::Sum),
                "mean" => Some(AggOp::Mean),
                "prod" => Some(AggOp::Prod),
                "max" => Some(AggOp::Max),
                "min" => Some(AggOp::Min),
                _ => None,
            };
            if let Some(op) = agg {
                self.bump();
                // An aggregate over an index when the first argument is a fresh index name.
                if let Tok::Ident(b) = self.peek().clone() {
                    if is_binder_name(&b)
                        && !self.scope.contains(&b)
                        && self.names.is_none()
                        && self.next_is_range()
                    {
                        return self.aggregate(op, b, col);
                    }
                }
                let args = self.args()?;
                return match op {
                    AggOp::Max | AggOp::Min if args.len() >= 2 => {
                        Ok(Expr::MinMax(op == AggOp::Max, args))
                    }
                    _ if self.names.is_some() => Err(self.err(
                        col,
                        format!("`{name}` takes at least two arguments, e.g. `{name}(x, y)`"),
                    )),
                    _ => Err(self.err(
                        col,
                        format!(
                            "`{name}` needs an index first, e.g. `{name}(m != 0, lambda_m)`{}",
                            if matches!(op, AggOp::Max | AggOp::Min) {
                                ", or at least two arguments"
                            } else {
                                ""
                            }
                        ),
                    )),
                };
            }
            if INDEXED.contains(&name.as_str()) {
                self.bump();
                let ix = self.index_arg()?;
                return Ok(self.indexed(&name, ix, col));
            }
        }
        // `base_index`
        if let Some((base, sub)) = name.rsplit_once('_') {
            if INDEXED.contains(&base) && !sub.is_empty() {
                let ix = self.index_of(sub, col + base.len() + 1)?;
                let ix = match ix {
                    Index::Lit(n, _) => Index::Lit(n, col),
                    b => b,
                };
                return Ok(self.indexed(base, ix, col));
            }
            if let Some(s) = suggest(base) {
                if INDEXED.contains(&s) {
                    return Err(self.err(
                        col,
                        format!("unknown name `{name}` (did you mean `{s}_{sub}`?)"),
                    ));
                }
            }
        }
        if INDEXED.contains(&name.as_str()) {
            return Err(self.err(
                col,
                format!("`{name}` needs an index: `{name}_m`, `{name}_0` or `{name}(m)`"),
            ));
        }
        let hint = match suggest(&name) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None => " (known: lambda_m, a_m, b_m, s_m, x_m, f(g), p(g), K, t, V, M1-M4, L; \
                      functions exp, log, log1p, expm1, sqrt, abs, min, max; sum, mean, prod, \
                      max, min over an index)"
                .into(),
        };
        Err(self.err(col, format!("unknown name `{name}`{hint}")))
    }

    /// `at(time, e)` after the name: `time` is `T` (the horizon) or an exact number.
    fn at(&mut self, col: usize) -> Result<Expr, ExprError> {
        if !self.allow_at {
            return Err(self.err(
                col,
                "`at(time, e)` compares times along a trajectory: it is accepted only in the \
                 `expression` field of a trajectory claim",
            ));
        }
        if self.in_at {
            return Err(self.err(col, "`at( )` inside `at( )`: one time per value"));
        }
        self.bump();
        let tcol = self.col();
        let is_horizon = matches!(self.peek(), Tok::Ident(s) if s == "T")
            && matches!(
                self.toks.get(self.pos + 1).map(|t| &t.tok),
                Some(Tok::Op(","))
            );
        let time = if is_horizon {
            self.bump();
            AtTime::Horizon
        } else {
            let e = self.expr()?;
            match (is_numeric(&e), super::normalise(&e, 2)) {
                (true, Expr::Num(q)) if q >= 0 => AtTime::Time(q),
                _ => {
                    return Err(self.err(
                        tcol,
                        "the time of `at(time, e)` must be `T` (the horizon) or an exact \
                         number >= 0 (e.g. `0`, `5/2`)",
                    ))
                }
            }
        };
        self.expect(",", "after the time of `at(time, e)`, e.g. `at(T, V)`")?;
        self.in_at = true;
        let body = self.expr();
        self.in_at = false;
        let body = body?;
        self.expect(")", "to close `at(`")?;
        Ok(Expr::At(time, Box::new(body), col))
    }

    /// The token after the current one starts an index range (`m,` or `m != 0,`).
    fn next_is_range(&self) -> bool {
        matches!(
            self.toks.get(self.pos + 1).map(|t| &t.tok),
            Some(Tok::Op("," | "!=" | "<" | "<=" | ">" | ">=" | "=="))
        )
    }

    /// `op(binder [cmp index], body)`.
    fn aggregate(&mut self, op: AggOp, binder: String, col: usize) -> Result<Expr, ExprError> {
        self.bump();
        let cond = match self.peek().clone() {
            Tok::Op(o @ ("!=" | "<" | "<=" | ">" | ">=" | "==")) => {
                self.bump();
                let cmp = match o {
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" => CmpOp::Ge,
                    _ => CmpOp::Eq,
                };
                let c = self.col();
                let ix = match self.bump().tok {
                    Tok::Num(q) if q.is_integer() && q >= 0 => Index::Lit(
                        q.numer()
                            .to_usize()
                            .ok_or_else(|| self.err(c, "index too large"))?,
                        c,
                    ),
                    Tok::Ident(s) => self.index_of(&s, c)?,
                    _ => return Err(self.err(c, "expected an integer or a bound index")),
                };
                Some((cmp, ix))
            }
            _ => None,
        };
        self.expect(",", "after the index range, e.g. `sum(m != 0, lambda_m)`")?;
        self.scope.push(binder.clone());
        let body = self.expr();
        self.scope.pop();
        let body = body?;
        self.expect(")", "to close the aggregate")?;
        Ok(Expr::Agg {
            op,
            var: binder,
            cond,
            body: Box::new(body),
            col,
        })
    }
}

fn bound(s: &str) -> Index {
    Index::Bound(s.into())
}
fn lam(s: &str) -> Expr {
    Expr::Var(Var::Lambda(bound(s)), 0)
}
fn agg(op: AggOp, var: &str, nonzero: bool, body: Expr) -> Expr {
    Expr::Agg {
        op,
        var: var.into(),
        cond: nonzero.then(|| (CmpOp::Ne, Index::Lit(0, 0))),
        body: Box::new(body),
        col: 0,
    }
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, Box::new(a), Box::new(b))
}
fn func(f: Func, a: Expr) -> Expr {
    Expr::Func(f, Box::new(a))
}
fn k_minus_1() -> Expr {
    bin(
        BinOp::Sub,
        Expr::Var(Var::K, 0),
        Expr::Num(Rational::from(1)),
    )
}

/// `x_m = lambda_m / sum(j' != 0, lambda_j')` (docs/math.md section 5); `j'` cannot be written
/// by a user, so it never captures a user's index.
fn normalised_spectrum(ix: Index) -> Expr {
    bin(
        BinOp::Div,
        Expr::Var(Var::Lambda(ix), 0),
        agg(AggOp::Sum, "j'", true, lam("j'")),
    )
}

/// V = log(mean_{m!=0} lambda_m) - mean_{m!=0} log lambda_m (docs/math.md section 6.1).
pub(crate) fn builtin_v() -> Expr {
    bin(
        BinOp::Sub,
        func(Func::Log, agg(AggOp::Mean, "m", true, lam("m"))),
        agg(AggOp::Mean, "m", true, func(Func::Log, lam("m"))),
    )
}

/// M1 = sqrt(sum_{m!=0} (x_m - 1/(K-1))^2) (docs/math.md section 7.1).
pub(crate) fn builtin_m1() -> Expr {
    let d = bin(
        BinOp::Sub,
        normalised_spectrum(bound("m")),
        bin(BinOp::Div, Expr::Num(Rational::from(1)), k_minus_1()),
    );
    func(
        Func::Sqrt,
        agg(AggOp::Sum, "m", true, Expr::Pow(Box::new(d), 2)),
    )
}

/// M2 = 1 - sum_{m!=0} lambda_m / (sqrt(K-1) sqrt(sum_m lambda_m^2)) (docs/math.md section 7.1).
pub(crate) fn builtin_m2() -> Expr {
    let norm = func(
        Func::Sqrt,
        agg(AggOp::Sum, "m", false, Expr::Pow(Box::new(lam("m")), 2)),
    );
    bin(
        BinOp::Sub,
        Expr::Num(Rational::from(1)),
        bin(
            BinOp::Div,
            agg(AggOp::Sum, "m", true, lam("m")),
            bin(BinOp::Mul, func(Func::Sqrt, k_minus_1()), norm),
        ),
    )
}

/// M3 = sum_{m!=0} x_m log((K-1) x_m) (docs/math.md section 7.1).
pub(crate) fn builtin_m3() -> Expr {
    let x = || normalised_spectrum(bound("m"));
    agg(
        AggOp::Sum,
        "m",
        true,
        bin(
            BinOp::Mul,
            x(),
            func(Func::Log, bin(BinOp::Mul, x(), k_minus_1())),
        ),
    )
}

/// M4 = log(max_{m!=0} lambda_m / min_{m!=0} lambda_m) (docs/math.md section 7.1).
fn builtin_m4() -> Expr {
    func(
        Func::Log,
        bin(
            BinOp::Div,
            agg(AggOp::Max, "m", true, lam("m")),
            agg(AggOp::Min, "m", true, lam("m")),
        ),
    )
}

fn parser(text: &str) -> Result<Parser<'_>, ExprError> {
    if text.len() > MAX_EXPR_BYTES {
        return Err(ExprError::new(
            "",
            1,
            format!(
                "an expression of {} bytes is too long (at most {MAX_EXPR_BYTES})",
                text.len()
            ),
        ));
    }
    Ok(Parser {
        text,
        toks: lex(text)?,
        pos: 0,
        scope: Vec::new(),
        depth: 0,
        in_ddt: false,
        allow_at: false,
        in_at: false,
        names: None,
    })
}

/// Parse an expression (no relation).
pub fn parse_expr(text: &str) -> Result<Expr, ExprError> {
    let mut p = parser(text)?;
    let e = p.expr()?;
    if !matches!(p.peek(), Tok::End) {
        return Err(p.err(
            p.col(),
            format!("unexpected {} after the expression", p.describe()),
        ));
    }
    Ok(e)
}

/// Functions of the language over a user's state (`ode` claims).
pub const USER_FUNCTIONS: &[&str] = &[
    "exp", "log", "ln", "log1p", "expm1", "sqrt", "abs", "min", "max",
];

/// Most components of a user's vector field.
pub const MAX_STATE_NAMES: usize = 64;

/// Check the state names of a user's vector field: 1 to [`MAX_STATE_NAMES`] distinct
/// identifiers (a letter, then letters, digits, `_`; at most 32 characters), none a function
/// or reserved word of the language (`t`, `T`, `d`, `at`, `K`, aggregates). The message names
/// the offending entry.
pub fn validate_state_names(names: &[String]) -> Result<(), String> {
    if names.is_empty() || names.len() > MAX_STATE_NAMES {
        return Err(format!(
            "{} state names: give 1 to {MAX_STATE_NAMES}",
            names.len()
        ));
    }
    const RESERVED: &[&str] = &["t", "T", "d", "at", "K", "sum", "mean", "prod"];
    for (i, n) in names.iter().enumerate() {
        let ok = n.len() <= 32
            && n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(format!(
                "state[{i}] = `{}`: a state name is a letter followed by letters, digits or `_` \
                 (at most 32 characters)",
                n.escape_default()
            ));
        }
        if RESERVED.contains(&n.as_str()) || USER_FUNCTIONS.contains(&n.as_str()) {
            return Err(format!(
                "state[{i}] = `{n}` is a reserved word or function of the language"
            ));
        }
        if let Some(j) = names[..i].iter().position(|m| m == n) {
            return Err(format!("state[{i}] = `{n}` repeats state[{j}]"));
        }
    }
    Ok(())
}

fn parser_over<'a>(text: &'a str, names: &[String]) -> Result<Parser<'a>, ExprError> {
    let mut p = parser(text)?;
    p.names = Some(names.to_vec());
    Ok(p)
}

/// Parse an expression over the state `names` of a user's vector field (`ode` claims): a name
/// is a state component or a function of [`USER_FUNCTIONS`]; names must have passed
/// [`validate_state_names`].
pub fn parse_expr_over(text: &str, names: &[String]) -> Result<Expr, ExprError> {
    let mut p = parser_over(text, names)?;
    let e = p.expr()?;
    if !matches!(p.peek(), Tok::End) {
        return Err(p.err(
            p.col(),
            format!("unexpected {} after the expression", p.describe()),
        ));
    }
    Ok(e)
}

/// Parse a relation between times over the state `names` of a user's vector field, as
/// [`parse_trajectory_relation`] (`at(T, x) < at(0, x)`).
pub fn parse_trajectory_relation_over(text: &str, names: &[String]) -> Result<Relation, ExprError> {
    let mut p = parser_over(text, names)?;
    p.allow_at = true;
    relation(p)
}

/// Parse a relation `lhs REL rhs` with REL one of `<`, `>`, `<=`, `>=`.
pub fn parse_relation(text: &str) -> Result<Relation, ExprError> {
    relation(parser(text)?)
}

/// Parse a relation between times of a trajectory: as [`parse_relation`], and `at(time, e)`
/// (`time` = `T` or an exact number) is accepted, e.g. `at(T, V) <= at(0, V) / 2`.
pub fn parse_trajectory_relation(text: &str) -> Result<Relation, ExprError> {
    let mut p = parser(text)?;
    p.allow_at = true;
    relation(p)
}

fn relation(mut p: Parser<'_>) -> Result<Relation, ExprError> {
    let lhs = p.expr()?;
    let col = p.col();
    let rel = match p.peek() {
        Tok::Op("<") => Rel::Lt,
        Tok::Op(">") => Rel::Gt,
        Tok::Op("<=") => Rel::Le,
        Tok::Op(">=") => Rel::Ge,
        Tok::Op("=" | "==" | "!=") => {
            return Err(p.err(
                col,
                "an enclosure never proves an equality (or its negation): state a strict \
                 inequality or a bound such as `|lhs - rhs| <= 1e-20`",
            ))
        }
        Tok::End => {
            return Err(p.err(
                col,
                "expected a relation: `expr < b`, `expr > b`, `expr <= b` or `expr >= b` \
                 (e.g. `d/dt V < 0`, `|M2 - 1/10| <= 1/100`)",
            ))
        }
        _ => {
            return Err(p.err(
                col,
                format!("unexpected {} after the expression", p.describe()),
            ))
        }
    };
    p.bump();
    let rhs = p.expr()?;
    if !matches!(p.peek(), Tok::End) {
        return Err(p.err(
            p.col(),
            format!(
                "unexpected {} after the right-hand side (one relation per claim)",
                p.describe()
            ),
        ));
    }
    Ok(Relation { lhs, rel, rhs })
}
