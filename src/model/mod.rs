//! The model of docs/math.md sections 1-3: Hadamard matrices, the Walsh-Hadamard transform, softmax,
//! the logits of a spectral state, and the cross-entropy loss and gradient flow of the full
//! matrices. Generic over the numeric traits of [`crate::arith`]; no I/O.

pub mod gradient;
pub mod group;
pub mod hadamard;
pub mod hadamard_scope;
pub mod logits;
pub mod softmax;
pub mod structure;
pub mod wht;
