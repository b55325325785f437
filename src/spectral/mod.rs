//! The reduced spectral dynamics of docs/math.md sections 4-8: for `lambda` the singular-value
//! products, `f = Had lambda / K`, `p = softmax(f)`, `s = Had p`; the balanced and unbalanced
//! vector fields; the Lyapunov function V and metrics M1-M4; the NC ray and its closed-form
//! time. Generic over the numeric traits; no I/O.

pub mod field;
pub mod flows;
pub mod lyapunov;
pub mod ncray;
pub mod rates;
pub mod transform;
pub mod variants;
