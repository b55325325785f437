//! hadacert (crate docs are completed below).
pub mod arith;
pub mod cert;
pub mod claim;
pub mod cli;
pub mod model;
pub mod report;
pub mod spectral;
