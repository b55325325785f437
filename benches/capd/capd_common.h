// hadacert's CAPD drivers (benches/capd.sh): the problems of benches/integrator.rs as CAPD
// autodiff maps, and one timing loop over CAPD's rigorous ITimeMap.
//
// Vector fields use only exact binary constants (1, 1/8, 1/4), so nothing is lost when CAPD
// converts them to intervals; Lorenz's 8/3 is an interval quotient.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "capd/autodiff/NodeType.h"

namespace hadacert_capd {
using capd::autodiff::Node;

// z' = e0 - softmax(z), dimension dimIn.
inline void ce_flow(Node, Node in[], int dimIn, Node out[], int, Node[], int) {
  std::vector<Node> e(dimIn);
  for (int i = 0; i < dimIn; ++i) e[i] = exp(in[i]);
  Node s = e[0];
  for (int i = 1; i < dimIn; ++i) s = s + e[i];
  out[0] = 1.0 - e[0] / s;
  for (int i = 1; i < dimIn; ++i) out[i] = -(e[i] / s);
}

// In-place Sylvester-Hadamard transform (butterflies), k a power of two.
inline void walsh_hadamard(std::vector<Node>& a) {
  const int k = (int)a.size();
  for (int len = 1; len < k; len *= 2)
    for (int i = 0; i < k; i += 2 * len)
      for (int j = i; j < i + len; ++j) {
        Node u = a[j], v = a[j + len];
        a[j] = u + v;
        a[j + len] = u - v;
      }
}

// The balanced spectral flow of spectral::flows::BalancedFlow, K = dimIn:
//   p = softmax(H lambda / K), lambda_m' = (2/K) lambda_m (1 - (H p)_m).
inline void balanced_flow(Node, Node in[], int dimIn, Node out[], int, Node[], int) {
  const int k = dimIn;
  std::vector<Node> f(in, in + k);
  walsh_hadamard(f);
  std::vector<Node> e(k);
  for (int i = 0; i < k; ++i) e[i] = exp(f[i] * (1.0 / k));
  Node s = e[0];
  for (int i = 1; i < k; ++i) s = s + e[i];
  std::vector<Node> p(k);
  for (int i = 0; i < k; ++i) p[i] = e[i] / s;
  walsh_hadamard(p);
  for (int m = 0; m < k; ++m) out[m] = (2.0 / k) * (in[m] * (1.0 - p[m]));
}

struct Options {
  std::string problem, set;
  int order = 20;
  double abs_tol = 0, rel_tol = 0;  // 0: CAPD's default
  int reps = 3;
};

inline Options parse(int argc, char** argv, int first) {
  if (argc < first + 6) {
    std::fprintf(stderr,
                 "usage: %s %s<lorenz|ce|bal8> <c0rect2|c0hotrip|c1rect2> <order> <abstol|0> <reltol|0> <reps>\n",
                 argv[0], first > 1 ? "<bits> " : "");
    std::exit(2);
  }
  Options o;
  o.problem = argv[first];
  o.set = argv[first + 1];
  o.order = std::atoi(argv[first + 2]);
  o.abs_tol = std::atof(argv[first + 3]);
  o.rel_tol = std::atof(argv[first + 4]);
  o.reps = std::max(1, std::atoi(argv[first + 5]));
  return o;
}

// Integrates x0 over [0, T] `reps` times (solver construction included in the time) and prints
// one line: steps, median time, width = largest diameter of the final box.
template <class Solver, class TimeMap, class Set, class Map, class Vector, class Scalar>
void run(const std::string& label, Map& field, const Vector& x0, const Scalar& horizon, const Options& o) {
  std::vector<double> times;
  double width = 0;
  int steps = 0;
  for (int rep = 0; rep < o.reps; ++rep) {
    auto start = std::chrono::steady_clock::now();
    try {
      Solver solver(field, o.order);
      if (o.abs_tol > 0) solver.setAbsoluteTolerance(o.abs_tol);
      if (o.rel_tol > 0) solver.setRelativeTolerance(o.rel_tol);
      TimeMap tm(solver);
      Set s(x0);
      tm.stopAfterStep(true);
      Vector r;
      steps = 0;
      do {
        r = tm(horizon, s);
        ++steps;
      } while (!tm.completed());
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      width = 0;
      for (int i = 0; i < (int)r.dimension(); ++i)
        width = std::max(width, toDouble(rightBound(diam(r[i]))));
    } catch (std::exception& e) {
      std::printf("CAPD | %s | %s order %d abstol %.3g reltol %.3g | FAILED: %.200s\n", label.c_str(),
                  o.set.c_str(), o.order, o.abs_tol, o.rel_tol, e.what());
      return;
    }
  }
  std::sort(times.begin(), times.end());
  std::printf("CAPD | %s | %s order %d abstol %.3g reltol %.3g | steps %d | median %.4f s (n=%d) | width %.3e\n",
              label.c_str(), o.set.c_str(), o.order, o.abs_tol, o.rel_tol, steps, times[times.size() / 2],
              (int)times.size(), width);
  std::fflush(stdout);
}
}  // namespace hadacert_capd
