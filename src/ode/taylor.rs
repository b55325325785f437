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
///
/// A fresh [`TaylorWorkspace`] per call; the integrator keeps one per use instead.
pub fn taylor_coefficients<C: Real>(
    tape: &Tape,
    x0: &[C],
    order: usize,
    prec: u32,
) -> Result<Vec<Vec<C>>, TaylorError> {
    let mut ws = TaylorWorkspace::new();
    ws.compute(tape, x0, order, prec)?;
    Ok((0..tape.inputs).map(|i| ws.coefs(i).to_vec()).collect())
}

/// Storage for Taylor coefficients reused from call to call (the integrator computes them
/// several times per step): the coefficients of every tape node, the scaled coefficients of
/// the Exp and Ln recurrences, two scratch values and the constants `1/k` and `k`. Every
/// coefficient is written in place ([`crate::arith::Ring::mul_into`] and its siblings, which
/// give the same enclosures as the operator forms), so once the buffers have grown to a
/// tape's size a computation allocates nothing on MPFR except at order 0 (constants and the
/// elementary functions). The results are the same enclosures as a fresh computation.
#[derive(Debug, Clone)]
pub struct TaylorWorkspace<C> {
    /// `order + 1` of the last computation: coefficient k of node m is `u[m * stride + k]`.
    stride: usize,
    /// The order of the last computation.
    order: usize,
    /// Node coefficients, node-major.
    u: Vec<C>,
    /// Scaled coefficients `j c_j` (Exp: the argument's, entry j - 2; Ln: its own, entry j - 1).
    scaled: Vec<C>,
    /// Two scratch values (the sums of the Div, Ln and Sqrt recurrences).
    scratch: Vec<C>,
    /// `1/k`, k = 0..=order + 1 (entry 0 is 0), at `prec`.
    recip: Vec<C>,
    /// `k`, k = 0..=order + 1, at `prec`.
    ints: Vec<C>,
    /// The precision of `recip` and `ints`.
    prec: u32,
    /// The node of each input variable (None: the tape has no Var node for it).
    var_node: Vec<Option<usize>>,
}

impl<C: Real> Default for TaylorWorkspace<C> {
    fn default() -> Self {
        Self::new()
    }
}

/// The element at `at` mutably and every other element of `u` shared.
fn split_at_one<C>(u: &mut [C], at: usize) -> (&mut C, Others<'_, C>) {
    let (left, rest) = u.split_at_mut(at);
    let (cur, right) = rest
        .split_first_mut()
        .expect("the slot is inside the buffer");
    (cur, Others { left, right, at })
}

/// Every element of a slice but one (see [`split_at_one`]).
struct Others<'a, C> {
    left: &'a [C],
    right: &'a [C],
    at: usize,
}

impl<C> Others<'_, C> {
    fn get(&self, i: usize) -> &C {
        debug_assert!(i != self.at, "a coefficient never depends on itself");
        if i < self.at {
            &self.left[i]
        } else {
            &self.right[i - self.at - 1]
        }
    }
}

impl<C: Real> TaylorWorkspace<C> {
    /// Empty buffers (they grow on the first computation).
    pub fn new() -> Self {
        TaylorWorkspace {
            stride: 1,
            order: 0,
            u: Vec::new(),
            scaled: Vec::new(),
            scratch: Vec::new(),
            recip: Vec::new(),
            ints: Vec::new(),
            prec: 0,
            var_node: Vec::new(),
        }
    }

    /// Coefficients `x_0..=x_order` of component `i` from the last [`Self::compute`] (empty
    /// if the tape has no variable `i`).
    pub fn coefs(&self, i: usize) -> &[C] {
        match self.var_node.get(i).copied().flatten() {
            Some(m) => &self.u[m * self.stride..m * self.stride + self.order + 1],
            None => &[],
        }
    }

    /// Compute the Taylor coefficients `x_0..=x_order` of the solution through `x0`, read
    /// with [`Self::coefs`]. Guarantee: as [`taylor_coefficients`] (the same enclosures).
    pub fn compute(
        &mut self,
        tape: &Tape,
        x0: &[C],
        order: usize,
        prec: u32,
    ) -> Result<(), TaylorError> {
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
        let stride = order + 1;
        if self.prec != prec || self.recip.len() < order + 2 || self.scratch.len() < 3 {
            // 1/k enclosures (entry 0 is 0) and the integers k, k = 0..=order + 1
            let zero = C::from_i64(0, prec);
            self.recip = (0..=order + 1)
                .map(|k| {
                    if k == 0 {
                        zero.clone()
                    } else {
                        C::from_rational(&Rational::from((1, k as u64)), prec)
                    }
                })
                .collect();
            self.ints = (0..=order + 1)
                .map(|k| C::from_i64(k as i64, prec))
                .collect();
            // scratch[0]: the exact zero at `prec`; scratch[1], scratch[2]: sums
            self.scratch = vec![zero.clone(), zero.clone(), zero];
            self.prec = prec;
        }
        if self.u.len() < n_nodes * stride {
            self.u.resize(n_nodes * stride, self.scratch[0].clone());
        }
        if self.scaled.len() < n_nodes * stride {
            self.scaled
                .resize(n_nodes * stride, self.scratch[0].clone());
        }
        self.stride = stride;
        self.order = order;
        self.var_node.clear();
        self.var_node.resize(tape.inputs, None);
        for (node, op) in tape.ops.iter().enumerate() {
            if let Op::Var(i) = op {
                self.var_node[*i] = Some(node);
            }
        }
        let TaylorWorkspace {
            u,
            scaled,
            scratch,
            recip,
            ints,
            ..
        } = self;
        let (zero, sums) = scratch.split_first_mut().expect("three scratch values");
        let zero = &*zero;
        let (s, t) = sums.split_at_mut(1);
        let (s, t) = (&mut s[0], &mut t[0]);
        for k in 0..=order {
            for (node, op) in tape.ops.iter().enumerate() {
                let (out, u) = split_at_one(u, node * stride + k);
                let g = |m: usize, j: usize| u.get(m * stride + j);
                let sc = node * stride;
                match op {
                    Op::Var(i) => {
                        if k == 0 {
                            C::assign(out, &x0[*i]);
                        } else {
                            // x_k = F_{k-1} / k
                            C::mul_into(out, g(tape.outputs[*i], k - 1), &recip[k]);
                        }
                    }
                    Op::Const(c) => {
                        if k == 0 {
                            *out = constant(c, prec);
                        } else {
                            C::assign(out, zero);
                        }
                    }
                    Op::Add(a, b) => C::add_into(out, g(*a, k), g(*b, k)),
                    Op::Sub(a, b) => C::sub_into(out, g(*a, k), g(*b, k)),
                    Op::Neg(a) => C::neg_into(out, g(*a, k)),
                    Op::MulPow2(a, e) => C::mul_pow2_into(out, g(*a, k), *e),
                    Op::Mul(a, b) => {
                        C::mul_into(out, g(*a, 0), g(*b, k));
                        for j in 1..=k {
                            out.add_product(g(*a, j), g(*b, k - j));
                        }
                    }
                    Op::Div(a, b) => {
                        // u_k = (a_k - sum_{j=1..k} b_j u_{k-j}) / b_0
                        C::assign(s, zero);
                        for j in 1..=k {
                            s.add_product(g(*b, j), g(node, k - j));
                        }
                        C::sub_into(t, g(*a, k), s);
                        C::div_into(out, t, g(*b, 0));
                    }
                    Op::Exp(a) => {
                        if k == 0 {
                            *out = g(*a, 0).exp();
                        } else {
                            // k u_k = sum_{j=1..k} j a_j u_{k-j}
                            if k >= 2 {
                                C::mul_into(&mut scaled[sc + k - 2], g(*a, k), &ints[k]);
                            }
                            C::mul_into(out, g(*a, 1), g(node, k - 1));
                            for j in 2..=k {
                                out.add_product(&scaled[sc + j - 2], g(node, k - j));
                            }
                            *out *= &recip[k];
                        }
                    }
                    Op::Ln(a) => {
                        if k == 0 {
                            *out = g(*a, 0).ln();
                        } else {
                            // a_0 u_k = a_k - (1/k) sum_{j=1..k-1} j u_j a_{k-j}
                            C::assign(s, zero);
                            if k >= 2 {
                                C::mul_into(&mut scaled[sc + k - 2], g(node, k - 1), &ints[k - 1]);
                            }
                            for j in 1..k {
                                s.add_product(&scaled[sc + j - 1], g(*a, k - j));
                            }
                            *s *= &recip[k];
                            C::sub_into(t, g(*a, k), s);
                            C::div_into(out, t, g(*a, 0));
                        }
                    }
                    Op::Sqrt(a) => {
                        if k == 0 {
                            *out = g(*a, 0).sqrt();
                        } else {
                            // 2 u_0 u_k = a_k - sum_{j=1..k-1} u_j u_{k-j}
                            C::assign(s, zero);
                            for j in 1..k {
                                s.add_product(g(node, j), g(node, k - j));
                            }
                            C::sub_into(t, g(*a, k), s);
                            C::mul_pow2_into(s, g(node, 0), 1);
                            C::div_into(out, t, s);
                        }
                    }
                    Op::Ei(_) => unreachable!("refused above"),
                }
            }
        }
        Ok(())
    }
}

/// Evaluate `sum_k c_k h^k` by Horner's rule (enclosing for interval `C` and `h`).
pub fn horner<C: Field>(coefs: &[C], h: &C) -> C {
    let mut acc = coefs[coefs.len() - 1].clone();
    for c in coefs[..coefs.len() - 1].iter().rev() {
        acc = acc * h + c;
    }
    acc
}

#[cfg(test)]
mod tests {
    //! The in-place forms against the operator forms they replace (the same enclosures, to the
    //! last bit: value, sign of zero and precision), and a reused workspace against a fresh
    //! one. Seeded (xorshift), no timing.
    use super::{taylor_coefficients, TaylorWorkspace};
    use crate::arith::{Enclosure, Field, MpfrInterval, Ring};
    use crate::ode::dual::Dual;
    use crate::ode::problems::{CrossEntropyFlow, Lorenz};
    use crate::ode::tape::record;
    use crate::ode::VectorField;
    use rug::Rational;

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

    /// Bit-level identity: value (with the sign of zero) and precision of both ends.
    fn same(x: &MpfrInterval, y: &MpfrInterval) -> bool {
        let key = |v: &MpfrInterval| {
            (
                format!("{:?} {:?}", v.lo(), v.hi()),
                v.lo().prec(),
                v.hi().prec(),
                v.lo().is_sign_negative(),
                v.hi().is_sign_negative(),
            )
        };
        key(x) == key(y)
    }

    /// Intervals of every sign class (positive, negative, straddling 0, ends at +-0, points),
    /// at 128 bits or, now and then, 64.
    fn interval(rng: &mut XorShift) -> MpfrInterval {
        let prec = if rng.below(8) == 0 { 64 } else { 128 };
        let q =
            |rng: &mut XorShift| Rational::from((rng.below(2001) as i64 - 1000, 1 + rng.below(97)));
        let (a, b) = (q(rng), q(rng));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let x =
            MpfrInterval::from_rational(&lo, prec).hull(&MpfrInterval::from_rational(&hi, prec));
        match rng.below(6) {
            0 => MpfrInterval::from_rational(&lo, prec),
            1 => x.hull(&MpfrInterval::from_i64(0, prec)),
            2 => -(x.hull(&MpfrInterval::from_i64(0, prec))),
            _ => x,
        }
    }

    #[test]
    fn in_place_forms_match_operator_forms_bit_for_bit() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut out = MpfrInterval::from_i64(7, 32);
        for _ in 0..3000 {
            let (a, b, c, d) = (
                interval(&mut rng),
                interval(&mut rng),
                interval(&mut rng),
                interval(&mut rng),
            );
            MpfrInterval::mul_into(&mut out, &a, &b);
            assert!(same(&out, &(a.clone() * &b)), "mul {a:?} {b:?}");
            MpfrInterval::add_into(&mut out, &a, &b);
            assert!(same(&out, &(a.clone() + &b)), "add {a:?} {b:?}");
            MpfrInterval::sub_into(&mut out, &a, &b);
            assert!(same(&out, &(a.clone() - &b)), "sub {a:?} {b:?}");
            MpfrInterval::div_into(&mut out, &a, &b);
            assert!(same(&out, &(a.clone() / &b)), "div {a:?} {b:?}");
            MpfrInterval::neg_into(&mut out, &a);
            assert!(same(&out, &(-a.clone())), "neg {a:?}");
            MpfrInterval::mul_pow2_into(&mut out, &a, 3);
            assert!(same(&out, &a.mul_pow2(3)), "mul_pow2 {a:?}");
            MpfrInterval::assign(&mut out, &c);
            assert!(same(&out, &c), "assign {c:?}");
            let mut fused = c.clone();
            fused.add_product(&a, &b);
            assert!(
                same(&fused, &(c.clone() + &(a.clone() * &b))),
                "add_product"
            );
            let mut pair = c.clone();
            pair.add_product_pair(&a, &b, &d, &c);
            let mut t = a.clone() * &b;
            t += &(d.clone() * &c);
            assert!(same(&pair, &(c.clone() + &t)), "add_product_pair");
        }
    }

    /// The product of two duals by the value-and-gradient formula (`x b + y a`; one-sided
    /// `x b`, `y a`), written out with the operator forms.
    fn dual_product(a: &Dual<MpfrInterval>, b: &Dual<MpfrInterval>) -> Dual<MpfrInterval> {
        let (av, bv) = (&a.value, &b.value);
        let grad = match (a.grad.is_empty(), b.grad.is_empty()) {
            (true, true) => Vec::new(),
            (false, true) => a.grad.iter().map(|x| x.clone() * bv).collect(),
            (true, false) => b.grad.iter().map(|y| y.clone() * av).collect(),
            (false, false) => a
                .grad
                .iter()
                .zip(&b.grad)
                .map(|(x, y)| x.clone() * bv + &(y.clone() * av))
                .collect(),
        };
        Dual {
            value: av.clone() * bv,
            grad,
        }
    }

    fn same_dual(x: &Dual<MpfrInterval>, y: &Dual<MpfrInterval>) -> bool {
        same(&x.value, &y.value)
            && x.grad.len() == y.grad.len()
            && x.grad.iter().zip(&y.grad).all(|(u, v)| same(u, v))
    }

    #[test]
    fn dual_in_place_forms_match_the_formulas() {
        let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
        let dual = |rng: &mut XorShift| {
            let value = interval(rng);
            let grad = if rng.below(4) == 0 {
                Vec::new()
            } else {
                (0..3).map(|_| interval(rng)).collect()
            };
            Dual { value, grad }
        };
        let mut out = Dual::variable(MpfrInterval::from_i64(1, 32), 0, 5);
        for _ in 0..1000 {
            let (a, b, c) = (dual(&mut rng), dual(&mut rng), dual(&mut rng));
            let prod = dual_product(&a, &b);
            Dual::mul_into(&mut out, &a, &b);
            assert!(same_dual(&out, &prod), "mul_into");
            assert!(same_dual(&(a.clone() * &b), &prod), "mul");
            // self += prod, by the sum formula (one-sided: the varying side's gradient)
            let sum = |s: &Dual<MpfrInterval>, p: &Dual<MpfrInterval>| {
                let grad = match (s.grad.is_empty(), p.grad.is_empty()) {
                    (_, true) => s.grad.clone(),
                    (true, false) => p.grad.clone(),
                    (false, false) => s
                        .grad
                        .iter()
                        .zip(&p.grad)
                        .map(|(x, y)| x.clone() + y)
                        .collect(),
                };
                Dual {
                    value: s.value.clone() + &p.value,
                    grad,
                }
            };
            let mut fused = c.clone();
            fused.add_product(&a, &b);
            assert!(same_dual(&fused, &sum(&c, &prod)), "add_product");
            Dual::add_into(&mut out, &a, &b);
            assert!(same_dual(&out, &sum(&a, &b)), "add_into");
        }
    }

    #[test]
    fn a_reused_workspace_gives_the_fresh_coefficients() {
        let boxes = |k: i64, prec: u32| -> Vec<MpfrInterval> {
            (0..3)
                .map(|i| {
                    let c = MpfrInterval::from_rational(&Rational::from((i + k, 7)), prec);
                    c.clone()
                        .hull(&(c + &MpfrInterval::from_rational(&Rational::from((1, 1000)), prec)))
                })
                .collect()
        };
        let lorenz = record(&[1.0, 1.0, 1.0], |v| Lorenz.eval(v));
        let ce = record(&[0.0, 0.5, -0.5], |v| CrossEntropyFlow(3).eval(v));
        let mut ws: TaylorWorkspace<MpfrInterval> = TaylorWorkspace::new();
        let mut ws_d: TaylorWorkspace<Dual<MpfrInterval>> = TaylorWorkspace::new();
        for (round, (tape, order, prec)) in [
            (&lorenz, 20, 128),
            (&ce, 9, 128),
            (&lorenz, 5, 96),
            (&ce, 30, 128),
        ]
        .into_iter()
        .enumerate()
        {
            let x = boxes(round as i64, prec);
            ws.compute(tape, &x, order, prec).unwrap();
            let fresh = taylor_coefficients(tape, &x, order, prec).unwrap();
            for (i, f) in fresh.iter().enumerate() {
                assert_eq!(ws.coefs(i).len(), order + 1);
                assert!(ws.coefs(i).iter().zip(f).all(|(u, v)| same(u, v)));
            }
            let jets: Vec<Dual<MpfrInterval>> = x
                .iter()
                .enumerate()
                .map(|(i, v)| Dual::variable(v.clone(), i, 3))
                .collect();
            ws_d.compute(tape, &jets, order.min(9), prec).unwrap();
            let fresh = taylor_coefficients(tape, &jets, order.min(9), prec).unwrap();
            for (i, f) in fresh.iter().enumerate() {
                assert!(ws_d.coefs(i).iter().zip(f).all(|(u, v)| same_dual(u, v)));
            }
        }
    }
}
