#!/usr/bin/env bash
# Mutation checks (issue 8): every known bug of src/mutation.rs, switched on one at a time, must
# make at least one of its detecting tests fail.
#
#   bash scripts/mutants.sh
#
# Builds the test targets once with `--features mutation`, then for each row of the table below:
#   1. runs the row's tests with no mutant: they must pass (so a later failure is the mutant's);
#   2. runs them again with HADACERT_MUTANT=<name>: at least one must fail.
# Prints a markdown table `mutant | detecting test(s) | result` and exits non-zero if a mutant
# survives, is not wired into the code, times out, or a baseline run fails.
# Tests are chosen for speed; proptest suites (tests/it/soundness.rs) are avoided because a failure
# there is written to tests/proptest-regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

# mutant name | enum variant | test targets (space-separated; the integration tests are the one
# crate `it`) | exact test names, `module::name` inside `it` (empty: all)
table=(
  "gradient-sign|GradientSign|it|model::gradient_flow_k4_matches_unbalanced_field model::gradient_flow_k16_matches_unbalanced_field"
  "lower-bound-rounded-up|LowerBoundRoundedUp|it|model::softmax_and_lse_closed_forms"
  "lse-shift-dropped|LseShiftDropped|it|model::spectral_s0_is_one"
  "wht-off-by-one|WhtOffByOne|it|model::fwht_twice_is_k_times_identity reference::k8_spectral_quantities_match_arb_mpfr"
  "taylor-remainder-order|TaylorRemainderOrder|it|mutation_detect::loose_tolerance_low_order_steps_enclose_the_exact_scalar_solution mutation_detect::loose_tolerance_steps_enclose_the_exact_coupled_solution_from_a_point_and_a_box"
  "box-accepted-unevaluated|BoxAcceptedUnevaluated|it|region::prover_refuses_a_false_region_and_returns_the_offending_state region::without_the_nc_argument_the_region_through_nc_is_undecided"
  "constant-at-two-bits|ConstantAtTwoBits|it|region::mpfr_region_proof_needs_about_as_many_boxes_as_inari"
  "c1-ignores-exact-argument|C1IgnoresExactArgument|it|model::c1_large_logits_without_exact_argument_are_not_proved"
  "mpfr-mul-straddle-lower|MpfrMulStraddleLower|it|conformance::mul_on_every_class_pair conformance::add_product_on_every_class_pair"
  "apriori-overlap-only|AprioriOverlapOnly|it|apriori::every_step_of_the_scalar_fields_satisfies_the_apriori_inclusion apriori::every_step_of_the_lorenz_and_balanced_flows_satisfies_the_apriori_inclusion"
  "decreasing-accepts-prefix|DecreasingAcceptsPrefix|it|decision_rules::decreasing_with_a_certified_prefix_then_overlap_is_undecided decision_rules::decreasing_on_both_backends"
  "c5-t1-possibly-above|C5PossiblyAbove|it|decision_rules::c5_t1_with_m_only_possibly_above_is_undecided decision_rules::c5_rules_on_both_backends"
  "checkpoint-trusted-unchecked|CheckpointTrustedUnchecked|it|region::a_planted_checkpoint_cannot_prove_the_refuted_k8_claim region::tampered_or_foreign_checkpoints_are_discarded"
  "bisection-sliver|BisectionSliver|it|region::leaves_and_open_boxes_tile_the_root_box_exactly"
  "inari-exp-no-outward-step|InariExpNoOutwardStep|it|soundness_elementary::exp_points_against_2048_bits"
)

export INSTA_UPDATE=no RUST_BACKTRACE=0
unset HADACERT_MUTANT
per_run_timeout=${HADACERT_MUTANT_TIMEOUT:-300}

targets=()
for row in "${table[@]}"; do
  IFS='|' read -r _ _ tgts _ <<<"$row"
  for t in $tgts; do
    [[ " ${targets[*]} " == *" --test $t "* ]] || targets+=(--test "$t")
  done
done
echo "building the test targets with --features mutation ..." >&2
cargo test --release --features mutation --no-run "${targets[@]}" >&2

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run_tests <mutant or empty> <targets> <names>: output in $log, exit status returned.
run_tests() {
  local mutant=$1 tgts=$2 names=$3 args=()
  for t in $tgts; do args+=(--test "$t"); done
  local filt=()
  if [[ -n $names ]]; then
    # shellcheck disable=SC2206
    filt=(-- --exact $names)
  fi
  local status=0
  if [[ -n $mutant ]]; then
    HADACERT_MUTANT=$mutant timeout "$per_run_timeout" \
      cargo test --release --features mutation --no-fail-fast "${args[@]}" "${filt[@]}" >"$log" 2>&1 || status=$?
  else
    timeout "$per_run_timeout" \
      cargo test --release --features mutation --no-fail-fast "${args[@]}" "${filt[@]}" >"$log" 2>&1 || status=$?
  fi
  return $status
}

# tests run, summed over the test binaries of the last run
tests_run() {
  awk '/^test result:/ { n += $4 + $6 } END { print n + 0 }' "$log"
}

rows=()
bad=0
for row in "${table[@]}"; do
  IFS='|' read -r name variant tgts names <<<"$row"
  shown=""
  for t in $tgts; do
    if [[ -n $names ]]; then
      for n in $names; do
        # `module::name` inside the crate `it`: the module's file must define it
        if [[ $t == it ]] && grep -q "fn ${n##*::}(" "tests/it/${n%%::*}.rs" 2>/dev/null; then
          shown+="${shown:+, }$n"
        elif grep -q "fn $n(" "tests/$t.rs" 2>/dev/null; then
          shown+="${shown:+, }$t::$n"
        fi
      done
    else
      shown+="${shown:+, }$t (all)"
    fi
  done
  [[ -n $shown ]] || shown="$tgts: $names"

  if ! grep -rq --include='*.rs' "Mutant::$variant" src --exclude=mutation.rs; then
    rows+=("| \`$name\` | $shown | **NOT WIRED**: no \`Mutant::$variant\` injection in src/ |")
    bad=1
    continue
  fi

  status=0
  run_tests "" "$tgts" "$names" || status=$?
  wanted=$(wc -w <<<"$names")
  ran=$(tests_run)
  if ((status != 0)) || ((ran == 0)) || ((ran < wanted)); then
    why="baseline (no mutant) failed, exit $status"
    ((status == 124)) && why="baseline (no mutant) timed out after ${per_run_timeout}s"
    ((status == 0)) && why="baseline ran $ran of $wanted named tests"
    rows+=("| \`$name\` | $shown | **ERROR**: $why |")
    bad=1
    grep -E '^(test .*FAILED|error)' "$log" | head -5 >&2 || true
    continue
  fi

  status=0
  run_tests "$name" "$tgts" "$names" || status=$?
  failed=$(grep -E '^test .* \.\.\. FAILED$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | sort | paste -sd, - | sed 's/,/, /g' || true)
  if ((status == 124)); then
    rows+=("| \`$name\` | $shown | **TIMEOUT** after ${per_run_timeout}s |")
    bad=1
  elif grep -q 'could not compile' "$log"; then
    rows+=("| \`$name\` | $shown | **ERROR**: build failed |")
    bad=1
  elif ((status == 0)); then
    rows+=("| \`$name\` | $shown | **SURVIVED**: all $ran tests passed |")
    bad=1
  elif [[ -n $failed ]]; then
    rows+=("| \`$name\` | $shown | detected: $failed failed |")
  else
    # the test binary died without a per-test verdict (abort, signal): still a failure
    rows+=("| \`$name\` | $shown | detected: test binary failed (exit $status) |")
  fi
done

echo
echo "| mutant | detecting test(s) | result |"
echo "|--------|-------------------|--------|"
printf '%s\n' "${rows[@]}"
echo
echo "mutation checks: $(($(date +%s) - start)) s"
if ((bad)); then
  echo "mutation checks FAILED: a mutant was not detected (see the table)" >&2
  exit 1
fi
