//! The integration tests: one crate (one link, one binary) with a module per area and shared
//! helpers in [`common`]. Run one area with `cargo test --release --test it -- region::` and
//! one test with `cargo test --release --test it -- --exact region::NAME`.

mod common;

mod apriori;
mod bad_input;
mod broken_certificates;
mod c5;
mod c8;
mod certificates;
mod conformance;
mod decision_rules;
mod determinism;
mod explain;
mod expression;
mod fuzz_claims;
mod groups;
mod hadamard;
mod integrator_coarse;
mod interrupt;
mod model;
mod mutation_detect;
mod ode;
mod reference;
mod references;
mod region;
mod region_map;
mod report;
mod soundness;
mod soundness_ei;
mod soundness_elementary;
mod soundness_extreme;
mod sweep;
mod user_flow;
