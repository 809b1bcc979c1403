// section_keys: prints the keys of the `calibrate:` and `optimise:` sections of an experiment file,
// from their declarations (CalibrateSpec::visit, OptimiseSpec::visit), as rows of the Markdown table
// `kpisim reference` prints for scenario keys, so that scripts/fuzz.sh makes fuzz_calibrate's
// dictionary with the same extraction (every key path, every path component, every choice value).
#include <cstdio>
#include <string>

#include "kpisim/config/visitors.hpp"
#include "kpisim/experiment/calibrate.hpp"
#include "kpisim/experiment/optimise.hpp"

int main() {
  kpisim::params::DocWriter calibrate("calibrate");
  kpisim::CalibrateSpec c;
  c.visit(calibrate);
  kpisim::params::DocWriter optimise("optimise");
  kpisim::OptimiseSpec o;
  o.visit(optimise);
  for (const auto* w : {&calibrate, &optimise})
    for (const auto& r : w->rows())
      std::printf("| `%s` | %s | %s | %s | %s |\n", r.key.c_str(), r.type.c_str(), r.unit.c_str(), r.range.c_str(),
                  r.default_value.c_str());
  return 0;
}
