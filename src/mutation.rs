//! Mutation checks (test-only): known bugs that can be switched on one at a time, to show that
//! the test suite notices each of them.
//!
//! Every injection point is a single `if crate::mutation::active(Mutant::X) { ... }` next to the
//! correct code, which it leaves untouched. Without the cargo feature `mutation`, [`active`] is a
//! `const fn` returning `false`, so the branches are removed at compile time and ordinary builds
//! are unchanged. With `--features mutation`, the environment variable `HADACERT_MUTANT` (read
//! once per process) names the one active mutant by its [`Mutant::name`]; unset or unknown names
//! activate nothing. `scripts/mutants.sh` runs the detecting tests under every mutant and expects
//! each run to fail.

/// A known bug that can be injected (see `scripts/mutants.sh` for the tests that detect each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    /// The full-matrix gradient flow `(W', H')` moves up the loss (the leading minus dropped)
    /// in `model::gradient::enclose_gradient_flow`.
    GradientSign,
    /// `arith::mpfr::round_down` rounds towards +inf and skips the ternary-value check, so the
    /// lower ends it produces (MPFR conversions and products, and inari's conversions of
    /// rationals, which go through it) can lie above the exact value.
    LowerBoundRoundedUp,
    /// `model::softmax` evaluates softmax and log-sum-exp without the shift: `exp(f_i)` of
    /// large logits overflows.
    LseShiftDropped,
    /// `model::wht::fwht` skips its last butterfly level (`h < n / 2` instead of `h < n`).
    WhtOffByOne,
    /// `ode::lohner` applies the Lagrange remainder `x_p(B)` with `h^(p+1)` instead of `h^p`.
    TaylorRemainderOrder,
    /// The branch-and-bound prover accepts a box without evaluating it.
    BoxAcceptedUnevaluated,
    /// C1 proves "diagonal" from off-diagonal enclosures that contain 0, without the exact
    /// argument (issue 18, section 1).
    C1IgnoresExactArgument,
    /// A trajectory `decreasing` bound is proved from a certified prefix of the step pairs.
    DecreasingAcceptsPrefix,
    /// A region checkpoint is used without validating it against the root region and the build.
    CheckpointTrustedUnchecked,
    /// Constants of the spectral functions are built at the precision of the first input (a
    /// 2-bit MPFR zero) instead of the working precision.
    ConstantAtTwoBits,
    /// MPFR interval multiplication takes the lower end from the wrong endpoint pair when both
    /// factors straddle zero.
    MpfrMulStraddleLower,
    /// Bisection of a region box leaves a sliver between the two halves.
    BisectionSliver,
    /// C5 accepts a t1 where M(t1) is only possibly above M(0) (overlapping enclosures).
    C5PossiblyAbove,
    /// The integrator's a-priori enclosure test accepts an overlap instead of an inclusion.
    AprioriOverlapOnly,
    /// The inari backend's exp takes CORE-MATH's round-to-nearest values as its ends, without
    /// the directed rounding modes (`arith::cr_elementary`).
    InariExpNoOutwardStep,
}

impl Mutant {
    /// Every mutant, in the order of the table in `scripts/mutants.sh`.
    pub const ALL: [Mutant; 15] = [
        Mutant::GradientSign,
        Mutant::LowerBoundRoundedUp,
        Mutant::LseShiftDropped,
        Mutant::WhtOffByOne,
        Mutant::TaylorRemainderOrder,
        Mutant::BoxAcceptedUnevaluated,
        Mutant::C1IgnoresExactArgument,
        Mutant::DecreasingAcceptsPrefix,
        Mutant::CheckpointTrustedUnchecked,
        Mutant::ConstantAtTwoBits,
        Mutant::MpfrMulStraddleLower,
        Mutant::BisectionSliver,
        Mutant::C5PossiblyAbove,
        Mutant::AprioriOverlapOnly,
        Mutant::InariExpNoOutwardStep,
    ];

    /// The kebab-case name that `HADACERT_MUTANT` uses, e.g. `gradient-sign`.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::GradientSign => "gradient-sign",
            Mutant::LowerBoundRoundedUp => "lower-bound-rounded-up",
            Mutant::LseShiftDropped => "lse-shift-dropped",
            Mutant::WhtOffByOne => "wht-off-by-one",
            Mutant::TaylorRemainderOrder => "taylor-remainder-order",
            Mutant::BoxAcceptedUnevaluated => "box-accepted-unevaluated",
            Mutant::C1IgnoresExactArgument => "c1-ignores-exact-argument",
            Mutant::DecreasingAcceptsPrefix => "decreasing-accepts-prefix",
            Mutant::CheckpointTrustedUnchecked => "checkpoint-trusted-unchecked",
            Mutant::ConstantAtTwoBits => "constant-at-two-bits",
            Mutant::MpfrMulStraddleLower => "mpfr-mul-straddle-lower",
            Mutant::BisectionSliver => "bisection-sliver",
            Mutant::C5PossiblyAbove => "c5-t1-possibly-above",
            Mutant::AprioriOverlapOnly => "apriori-overlap-only",
            Mutant::InariExpNoOutwardStep => "inari-exp-no-outward-step",
        }
    }

    /// The mutant called `name`, if any.
    pub fn from_name(name: &str) -> Option<Mutant> {
        Mutant::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Whether mutant `m` is switched on. Always `false` without the `mutation` feature.
#[cfg(not(feature = "mutation"))]
#[inline(always)]
pub const fn active(_m: Mutant) -> bool {
    false
}

/// Whether mutant `m` is switched on: `HADACERT_MUTANT` (read once) names it.
#[cfg(feature = "mutation")]
pub fn active(m: Mutant) -> bool {
    static CHOSEN: std::sync::OnceLock<Option<Mutant>> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| {
        std::env::var("HADACERT_MUTANT")
            .ok()
            .and_then(|name| Mutant::from_name(name.trim()))
    }) == Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for m in Mutant::ALL {
            assert_eq!(Mutant::from_name(m.name()), Some(m));
        }
        let mut names: Vec<_> = Mutant::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Mutant::ALL.len());
        assert_eq!(Mutant::from_name("no-such-mutant"), None);
    }

    #[cfg(not(feature = "mutation"))]
    #[test]
    fn nothing_is_active_without_the_feature() {
        assert!(Mutant::ALL.into_iter().all(|m| !active(m)));
    }
}
