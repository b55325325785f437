#!/usr/bin/env bash
# hadacert against Arb (python-flint), mpmath and scipy on the same inputs (issue 7).
#
#   bash benches/compare.sh
#
# 1. creates target/bench-venv (never committed) and pip-installs python-flint, mpmath, numpy,
#    scipy from PyPI; a package that cannot be installed is named in one sentence and its
#    columns are skipped;
# 2. builds and runs benches/compare_rust.rs (JSON lines);
# 3. runs benches/compare.py on the same inputs (JSON lines);
# 4. prints the ratio table and writes everything to benches/results/compare-<date>.txt.
#
# Knobs: COMPARE_ONLY=c1,field,ei,ode,wht (sections), COMPARE_ODEFUN_BUDGET_S (default 240: the
# mpmath odefun run to T = 100 is skipped when T = 10 extrapolates beyond it),
# COMPARE_ARB_C1_BUDGET_S (default 180: Arb's K = 1024 C1 run is extrapolated by K^3 from
# K = 256 when it would take longer), COMPARE_FLINT_THREADS (default 2).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/target/bench-venv"
OUT="$ROOT/target/compare"
DATE=$(date +%Y-%m-%d)
RESULT="$ROOT/benches/results/compare-$DATE.txt"
ONLY="${COMPARE_ONLY:-c1,field,ei,ode,wht}"
mkdir -p "$OUT" "$ROOT/benches/results"

PY=python3
command -v "$PY" >/dev/null || { echo "python3 is not installed: install it (e.g. apt-get install python3 python3-venv) and rerun."; exit 1; }

# 1. Python environment.
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PY" -m venv "$VENV" >"$OUT/venv.log" 2>&1; then
        echo "could not create a virtual environment (see $OUT/venv.log; on Debian/Ubuntu: apt-get install python3-venv); the Python columns are skipped."
    fi
fi
VPY="$VENV/bin/python"
if [ -x "$VPY" ]; then
    "$VPY" -m pip install -q --upgrade pip >"$OUT/pip.log" 2>&1 || true
    for pkg in python-flint mpmath numpy scipy; do
        mod=$pkg; [ "$pkg" = python-flint ] && mod=flint
        if ! "$VPY" -c "import $mod" >/dev/null 2>&1; then
            if ! "$VPY" -m pip install -q "$pkg" >>"$OUT/pip.log" 2>&1; then
                echo "pip could not install $pkg from PyPI (see $OUT/pip.log): its columns are skipped."
            fi
        fi
    done
fi

# 2. Rust side.
echo "building benches/compare_rust.rs ..."
if ! cargo build --release --bench compare_rust >"$OUT/build.log" 2>&1; then
    echo "cargo build --release --bench compare_rust failed (see $OUT/build.log)."
    exit 1
fi
BIN=$(cargo bench --bench compare_rust --no-run --message-format=json 2>/dev/null \
    | "$PY" -c 'import json,sys
for l in sys.stdin:
    try: m = json.loads(l)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "compare_rust" and m.get("executable"): print(m["executable"])' | tail -1)
[ -x "$BIN" ] || { echo "could not locate the compare_rust binary."; exit 1; }

echo "load before: $(cat /proc/loadavg)"
echo "running the hadacert side ($BIN) ..."
T0=$(date +%s)
HADACERT_COMPARE_ONLY="$ONLY" "$BIN" >"$OUT/rust.jsonl" 2>"$OUT/rust.err" || { echo "compare_rust failed (see $OUT/rust.err)."; exit 1; }
echo "  done in $(( $(date +%s) - T0 )) s"

# 3. Python side.
: >"$OUT/python.jsonl"
if [ -x "$VPY" ]; then
    PY_ONLY=$(echo "$ONLY" | tr ',' '\n' | grep -v '^wht$' | paste -sd, -)
    if [ -n "$PY_ONLY" ]; then
        echo "running the Arb / mpmath / scipy side ..."
        T0=$(date +%s)
        "$VPY" benches/compare.py run --only "$PY_ONLY" >"$OUT/python.jsonl" 2>"$OUT/python.err" \
            || echo "benches/compare.py failed part-way (see $OUT/python.err); the table shows what it measured."
        echo "  done in $(( $(date +%s) - T0 )) s"
    fi
else
    echo "no Python environment: only the hadacert columns are shown."
fi

# 4. Table and raw output.
"$PY" benches/compare.py table "$OUT/rust.jsonl" "$OUT/python.jsonl" >"$OUT/table.md"
cat "$OUT/table.md"
{
    echo "# bash benches/compare.sh, $(date -Iseconds)"
    echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "# commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src benches 2>/dev/null || echo ' (+ local changes)'), load at the end: $(cat /proc/loadavg)"
    echo
    echo "## ratio table"
    echo
    cat "$OUT/table.md"
    echo
    echo "## raw: compare_rust (JSON lines)"
    cat "$OUT/rust.jsonl"
    echo
    echo "## raw: compare.py (JSON lines)"
    cat "$OUT/python.jsonl"
} >"$RESULT"
echo
echo "raw output and table: ${RESULT#$ROOT/}"
