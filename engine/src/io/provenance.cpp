#include "kpisim/io/provenance.hpp"

#include <ctime>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/build_info.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ResultsMeta build_meta(const std::string& command_line, int threads) {
  ResultsMeta meta;
  meta.engine_version = std::string(engine_version());
  meta.git_commit = std::string(git_commit());
  meta.build_type = std::string(build_type());
  meta.simd = std::string(simd_level());
  meta.command_line = command_line;
  meta.created_utc = utc_now();
  meta.threads = threads;
  meta.invariant_checks = checks_enabled();
  return meta;
}

ResultsMeta run_meta(const ModelSpec& spec, const std::string& scenario_file, const std::string& command_line, int threads) {
  const Scenario& s = spec.scenario;
  ResultsMeta meta = build_meta(command_line, threads);
  meta.scenario_name = s.name;
  meta.scenario_file = scenario_file;
  meta.scenario_yaml = to_yaml(s);
  meta.seed = s.seed;
  meta.days = s.days;
  if (s.output.per_unit)
    for (const auto& d : spec.divisions) meta.unit_names.push_back(d.name);
  return meta;
}

}  // namespace kpisim
