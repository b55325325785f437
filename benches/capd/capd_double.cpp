// CAPD side of benches/capd.sh, double-precision intervals (IOdeSolver, ITimeMap).
//   capd_double <lorenz|ce|bal8> <c0rect2|c0hotrip|c1rect2> <order> <abstol|0> <reltol|0> <reps>
#include "capd/capdlib.h"
#include "capd_common.h"
using namespace capd;
using namespace hadacert_capd;

template <class Set>
void go(const std::string& label, IMap& f, const IVector& x0, interval T, const Options& o) {
  run<IOdeSolver, ITimeMap, Set>(label, f, x0, T, o);
}

int main(int argc, char** argv) {
  Options o = parse(argc, argv, 1);
  IMap* f;
  IVector x0;
  interval T;
  std::string label;
  if (o.problem == "lorenz") {
    f = new IMap("par:s,r,b;var:x,y,z;fun:s*(y-x),x*(r-z)-y,x*y-b*z;");
    f->setParameter("s", interval(10.));
    f->setParameter("r", interval(28.));
    f->setParameter("b", interval(8.) / interval(3.));
    x0 = IVector{interval(1.), interval(1.), interval(1.)};
    T = interval(10.);
    label = "Lorenz (1,1,1) T=10 double";
  } else if (o.problem == "ce") {
    f = new IMap(ce_flow, 3, 3, 0);
    x0 = IVector{interval(0.), interval(0.5), interval(-0.5)};
    T = interval(10.);
    label = "CE flow T=10 double";
  } else if (o.problem == "bal8") {
    f = new IMap(balanced_flow, 8, 8, 0);
    const int num[8] = {0, 10, 30, 55, 80, 120, 200, 300};
    x0 = IVector(8);
    for (int i = 0; i < 8; ++i) x0[i] = interval(double(num[i])) / interval(100.);
    T = interval(100.);
    label = "balanced K=8 T=100 double";
  } else {
    std::fprintf(stderr, "unknown problem %s\n", o.problem.c_str());
    return 2;
  }
  if (o.set == "c0rect2") go<C0Rect2Set>(label, *f, x0, T, o);
  else if (o.set == "c0hotrip") go<C0HOTripletonSet>(label, *f, x0, T, o);
  else if (o.set == "c1rect2") go<C1Rect2Set>(label, *f, x0, T, o);
  else { std::fprintf(stderr, "unknown set %s\n", o.set.c_str()); return 2; }
  return 0;
}
