#!/usr/bin/env bash
# Boxes per second of the region prover (issues 12 and 17) on 1 and 2 threads: the shipped K = 4
# region claims searched on the fundamental domain of GL(2,2) (proofs-data/c4region/k4.toml and
# proofs-data/c5k4/k4-m{1,2,3}-sym.toml, proved), the same region as c4region-k4 searched in
# full (benches/region/k4-full.toml, proved), and a budgeted K = 8 run
# (benches/region/k8-budget.toml, 200 000 boxes, undecided). Wall clock and CPU time (user +
# sys) of each run, and the load average before each (the machine may be shared). Writes
# benches/results/region-$(date).txt.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=benches/results/region-$(date -u +%Y-%m-%d).txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "# region prover, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores: boxes per second (wall clock)"
  printf '%-20s %-8s %10s %9s %9s %12s  %s\n' claim threads boxes wall_s cpu_s boxes/s load
  for spec in "c4region-k4:proofs-data/c4region/k4.toml" \
    "c5k4-m1-sym:proofs-data/c5k4/k4-m1-sym.toml" \
    "c5k4-m2-sym:proofs-data/c5k4/k4-m2-sym.toml" \
    "c5k4-m3-sym:proofs-data/c5k4/k4-m3-sym.toml" \
    "bench-region-k4-full:benches/region/k4-full.toml" \
    "bench-region-k8:benches/region/k8-budget.toml"; do
    id=${spec%%:*}; file=${spec#*:}
    for jobs in 1 2; do
      rm -rf "$tmp/out"
      load=$(cut -d' ' -f1 /proc/loadavg)
      start=$(date +%s.%N)
      /usr/bin/time -f '%U %S' -o "$tmp/time" ./target/release/hadacert certify "$file" \
        --only "$id" --out "$tmp/out" --jobs "$jobs" >/dev/null 2>&1 || true
      end=$(date +%s.%N)
      cpu=$(awk '{print $1 + $2}' "$tmp/time")
      boxes=$(python3 -c "import json,re;c=json.load(open('$tmp/out/$id.json'));print(re.match(r'(\d+) boxes',c['checks'][0]['detail']).group(1))")
      python3 -c "b=$boxes;t=$end-$start;print(f'{\"$id\":20s} {$jobs:<8d} {b:10d} {t:9.2f} {$cpu:9.2f} {b/t:12.0f}  $load')"
    done
  done
} | tee "$out"
