#!/usr/bin/env bash
# Boxes per second of the region prover (issue: Lyapunov region proofs) on 1 and 2 threads:
# the shipped K = 4 claim (proofs-data/c4region/k4.toml, proved) and a budgeted K = 8 run
# (benches/region/k8-budget.toml, 200 000 boxes, undecided). Writes benches/results/region.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=benches/results/region.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "# region prover, $(date -u +%Y-%m-%d), $(nproc) cores: boxes per second (wall clock)"
  printf '%-16s %-8s %10s %9s %12s\n' claim threads boxes seconds boxes/s
  for spec in "c4region-k4:proofs-data/c4region/k4.toml" "bench-region-k8:benches/region/k8-budget.toml"; do
    id=${spec%%:*}; file=${spec#*:}
    for jobs in 1 2; do
      rm -rf "$tmp/out"
      start=$(date +%s.%N)
      ./target/release/hadacert certify "$file" --only "$id" --out "$tmp/out" --jobs "$jobs" >/dev/null || true
      end=$(date +%s.%N)
      boxes=$(python3 -c "import json,re;c=json.load(open('$tmp/out/$id.json'));print(re.match(r'(\d+) boxes',c['checks'][0]['detail']).group(1))")
      python3 -c "b=$boxes;t=$end-$start;print(f'{\"$id\":16s} {$jobs:<8d} {b:10d} {t:9.1f} {b/t:12.0f}')"
    done
  done
} | tee "$out"
