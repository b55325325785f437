//! Branch-and-bound provers over regions of states.
//!
//! [`region`]: `rate <= 0` for every balanced state of a region (dV/dt for C4, the metric
//! rates of M1-M3 for C5k4), by bisection with interval evaluation, mean-value forms, and
//! certified sign arguments near the neural-collapse direction. Boxes are processed in
//! parallel (rayon) in a fixed order, so the result does not depend on the thread count; a
//! checkpoint file lets an interrupted run resume where it stopped.

pub mod region;
pub mod symmetry;
