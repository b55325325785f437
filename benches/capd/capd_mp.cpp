// CAPD side of benches/capd.sh, MPFR intervals (MpIOdeSolver, MpITimeMap) at a given precision.
//   capd_mp <bits> <lorenz|ce|bal8> <c0rect2|c0hotrip|c1rect2> <order> <abstol|0> <reltol|0> <reps>
#include "capd/capdlib.h"
#include "capd/mpcapdlib.h"
#include "capd_common.h"
using namespace capd;
using namespace hadacert_capd;

template <class Set>
void go(const std::string& label, MpIMap& f, const MpIVector& x0, MpInterval T, const Options& o) {
  run<MpIOdeSolver, MpITimeMap, Set>(label, f, x0, T, o);
}

int main(int argc, char** argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: capd_mp <bits> ...\n"); return 2; }
  const int bits = std::atoi(argv[1]);
  MpFloat::setDefaultPrecision(bits);
  Options o = parse(argc, argv, 2);
  MpIMap* f;
  MpIVector x0;
  MpInterval T;
  std::string label;
  const std::string mp = " mpfr-" + std::to_string(bits);
  if (o.problem == "lorenz") {
    f = new MpIMap("par:s,r,b;var:x,y,z;fun:s*(y-x),x*(r-z)-y,x*y-b*z;");
    f->setParameter("s", MpInterval(10));
    f->setParameter("r", MpInterval(28));
    f->setParameter("b", MpInterval(8) / MpInterval(3));
    x0 = MpIVector(3);
    for (int i = 0; i < 3; ++i) x0[i] = MpInterval(1);
    T = MpInterval(10);
    label = "Lorenz (1,1,1) T=10" + mp;
  } else if (o.problem == "ce") {
    f = new MpIMap(ce_flow, 3, 3, 0);
    x0 = MpIVector(3);
    x0[0] = MpInterval(0);
    x0[1] = MpInterval(1) / MpInterval(2);
    x0[2] = MpInterval(-1) / MpInterval(2);
    T = MpInterval(10);
    label = "CE flow T=10" + mp;
  } else if (o.problem == "bal8") {
    f = new MpIMap(balanced_flow, 8, 8, 0);
    const int num[8] = {0, 10, 30, 55, 80, 120, 200, 300};
    x0 = MpIVector(8);
    for (int i = 0; i < 8; ++i) x0[i] = MpInterval(num[i]) / MpInterval(100);
    T = MpInterval(100);
    label = "balanced K=8 T=100" + mp;
  } else {
    std::fprintf(stderr, "unknown problem %s\n", o.problem.c_str());
    return 2;
  }
  if (o.set == "c0rect2") go<MpC0Rect2Set>(label, *f, x0, T, o);
  else if (o.set == "c0hotrip") go<MpC0HOTripletonSet>(label, *f, x0, T, o);
  else if (o.set == "c1rect2") go<MpC1Rect2Set>(label, *f, x0, T, o);
  else { std::fprintf(stderr, "unknown set %s\n", o.set.c_str()); return 2; }
  return 0;
}
