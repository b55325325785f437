#!/usr/bin/env bash
# Side-by-side comparison of hadacert's validated integrator with CAPD's rigorous IOdeSolver
# (issue 13) on exactly the problems of benches/integrator.rs: Lorenz (1,1,1) T=10, the
# cross-entropy flow z' = e0 - softmax(z) T=10, the balanced K=8 flow T=100; double intervals
# and MPFR. CAPD is a benchmark anchor only: nothing in the build, the tests or CI needs it.
#
#   benches/capd.sh              build CAPD (once) and the drivers, run both sides, print the table
#   benches/capd.sh build        only build CAPD and the drivers
#   benches/capd.sh capd         only the CAPD side (after a build)
#
# CAPD's source: $CAPD_SRC, else target/capd/src. It is built into target/capd/build (about
# 15 minutes on 2 cores; covrel, diffIncl and pdes are left out, the drivers need none of them).
# Needs cmake, g++, libmpfr-dev, libgmp-dev, libboost-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CAPD=$TARGET/capd
SRC=$CAPD/src
BUILD=$CAPD/build
BIN=$CAPD/bin
JOBS=${CAPD_JOBS:-2}

if [[ -n "${CAPD_SRC:-}" && "$(realpath "$CAPD_SRC")" != "$(realpath -m "$SRC")" ]]; then
  if [[ ! -f "$CAPD_SRC/CAPDVersion.txt" ]]; then
    echo "CAPD_SRC=$CAPD_SRC does not look like a CAPD source tree (no CAPDVersion.txt)" >&2
    exit 2
  fi
  mkdir -p "$CAPD"
  rm -rf "$SRC"
  cp -r "$CAPD_SRC" "$SRC"
fi
if [[ ! -f "$SRC/CAPDVersion.txt" ]]; then
  echo "No CAPD source: clone https://github.com/CAPDGroup/CAPD (6.1.0) into target/capd/src or set CAPD_SRC to its folder, then run benches/capd.sh again."
  exit 0
fi

build_capd() {
  if [[ -x "$BUILD/bin/capd-config" && -f "$BUILD/.hadacert-built" ]]; then
    return
  fi
  # Leave out the parts the drivers do not use (saves about a third of the build).
  sed -i -E 's@^(\s*)add_subdirectory\((src/(mp)?capd/(covrel|diffIncl|pdes))\)@\1# add_subdirectory(\2)@' \
    "$SRC/capdDynSys/CMakeLists.txt"
  # CAPD 6.1.0's Hermite-Obreshkov data do not compile for MPFR intervals with g++ 12
  # (an implicit long -> MpInterval conversion): make the conversion explicit.
  sed -i 's@ScalarType(sign)/binomial(p+q,q)@ScalarType(sign)/ScalarType(typename ScalarType::BoundType((unsigned long)binomial(p+q,q)))@' \
    "$SRC/capdDynSys/include/capd/dynset/HOData.h"
  mkdir -p "$BUILD"
  (cd "$BUILD" && cmake "$SRC" -DCMAKE_BUILD_TYPE=Release -DCAPD_ENABLE_MULTIPRECISION=ON >cmake.log \
    && nice -n 10 make -j"$JOBS" >make.log 2>&1) || {
    echo "CAPD build failed: see $BUILD/cmake.log and $BUILD/make.log" >&2
    exit 1
  }
  touch "$BUILD/.hadacert-built"
}

build_drivers() {
  mkdir -p "$BIN"
  local flags
  flags=$("$BUILD/bin/capd-config" --cflags --libs)
  for d in capd_double capd_mp; do
    if [[ ! -x "$BIN/$d" || "$ROOT/benches/capd/$d.cpp" -nt "$BIN/$d" || "$ROOT/benches/capd/capd_common.h" -nt "$BIN/$d" ]]; then
      # shellcheck disable=SC2086
      g++ -O2 -std=c++17 -I"$ROOT/benches/capd" "$ROOT/benches/capd/$d.cpp" -o "$BIN/$d" $flags
    fi
  done
}

build_capd
build_drivers
[[ "${1:-}" == build ]] && exit 0

T45=2.842170943040401e-14  # 2^-45: hadacert's default tolerance factor at 53 bits (2^(8 - 53))
T120=7.52316384526264e-37  # 2^-120: the same at 128 bits
capd_double() { "$BIN/capd_double" "$@"; }
capd_mp() { "$BIN/capd_mp" "$@"; }

echo "# benches/capd.sh, $(date -u '+%Y-%m-%d %H:%M UTC'); uptime: $(uptime)"
echo "# CAPD $(sed -n 's/.*CAPD_MAJOR_VERSION \([0-9][0-9]*\).*/\1/p;s/.*CAPD_MINOR_VERSION \([0-9][0-9]*\).*/\1/p;s/.*CAPD_PATCH_VERSION \([0-9][0-9]*\).*/\1/p' "$SRC/CAPDVersion.txt" | paste -sd.)," \
  "IOdeSolver/MpIOdeSolver + ITimeMap; CAPD order p = degree p + remainder term p+1 (hadacert order p + 1);" \
  "time = median over the repetitions, solver construction included"
if [[ "${1:-}" != capd ]]; then
  echo "## hadacert (cargo bench --bench integrator, rows of the three problems)"
  HADACERT_BENCH_ONLY="${HADACERT_BENCH_ONLY:-Lorenz|CE flow|balanced K=8}" \
    cargo bench --quiet --bench integrator 2>/dev/null | grep -v '^threads'
fi
echo "## CAPD, double intervals"
for cfg in "c0rect2 20 0 0" "c0hotrip 20 $T45 $T45" "c0rect2 25 1e-14 1e-300" "c0hotrip 25 1e-14 1e-300"; do
  capd_double lorenz $cfg 11
done
for cfg in "c0rect2 21 $T45 $T45" "c0hotrip 21 $T45 $T45" "c0rect2 25 1e-14 1e-300"; do
  capd_double ce $cfg 11
done
for cfg in "c0rect2 20 0 0" "c0rect2 21 $T45 $T45"; do
  capd_double bal8 $cfg 5
done
echo "## CAPD, MPFR intervals"
capd_mp 128 lorenz c0rect2 46 $T120 $T120 3
capd_mp 128 bal8 c0rect2 46 $T120 $T120 1
if [[ -n "${CAPD_FULL:-}" ]]; then
  # several minutes: hadacert's tuned MPFR-256 settings (order 60, tol 1e-55)
  capd_mp 256 bal8 c0rect2 60 1e-55 1e-55 1
fi
echo "# uptime at the end: $(uptime)"
