//! The reduced spectral dynamics of MATH.md section 4: for `lambda` the singular-value products,
//! `f = Had lambda / K`, `p = softmax(f)`, `s = Had p`, and the vector fields of the balanced and
//! unbalanced flows. Generic over the numeric traits; no I/O.

pub mod field;
