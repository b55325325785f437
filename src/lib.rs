//! hadacert (crate docs are completed below).
pub mod arith;
pub mod model;
pub mod spectral;
