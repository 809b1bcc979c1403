#pragma once
// KPI regimes as plug-ins.
//
// A regime reads *measured* per-person quantities (never the true ones) and writes incentive
// columns: the marginal reward per measured token, per measured USD of outcome, the expected
// penalty per performative hour, and the pressure each unit's manager feels. At its cadence it pays
// rewards, publishes ranks and runs audits. Regimes are called once per day (a virtual call per
// regime per day, never per agent); inside, they loop over plain columns.
//
// Adding a regime: write one .cpp with its Params (visit), its Regime subclass and an info()
// function, and list it in src/regimes/registry.cpp. No core file changes.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kpisim/core/rng.hpp"

namespace kpisim {

namespace params {
class YamlReader;
class YamlWriter;
class DocWriter;
}  // namespace params

class ModelSpec;
class Diagnostics;
struct World;

/// Weights of the primary KPI (in KPI points per reference unit) used by the Goodhart diagnostics.
struct KpiWeights {
  double tokens = 0.0;    ///< per kpi_reference_tokens of measured tokens
  double outcome = 0.0;   ///< per kpi_reference_usd of measured outcome
  double sessions = 0.0;  ///< per kpi_reference_sessions of measured AI sessions
};

/// What a regime may touch. Built by the simulation for each call.
struct RegimeContext {
  const ModelSpec& spec;
  World& world;
  const Rng& rng;
  int day;  ///< current day (0-based)
};

class Regime {
 public:
  virtual ~Regime() = default;
  Regime() = default;
  Regime(const Regime&) = delete;
  Regime& operator=(const Regime&) = delete;
  Regime(Regime&&) = delete;
  Regime& operator=(Regime&&) = delete;

  /// Before the day's decisions: add this regime's incentives, scaled by `weight`, into the
  /// incentive columns of the world (inc_usage, inc_outcome, inc_padding_penalty, unit_pressure).
  /// Each per-person incentive column it writes is first marked with World::wrote (the next
  /// clear_incentives clears only the marked ones; checked builds check that the others are zero).
  virtual void apply(RegimeContext& ctx, double weight) = 0;

  /// After measurement: accumulate windows; at cadence pay rewards, publish, audit.
  virtual void end_of_day(RegimeContext& ctx, double weight) = 0;

  /// The primary KPI of this regime on `day` (what "the KPI" means in the diagnostics);
  /// {0, 0} when no KPI is in force.
  [[nodiscard]] virtual KpiWeights kpi(int day) const = 0;
};

/// The typed, parsed parameters of a regime; creates the running regime.
class RegimeConfig {
 public:
  virtual ~RegimeConfig() = default;
  RegimeConfig() = default;
  RegimeConfig(const RegimeConfig&) = default;
  RegimeConfig& operator=(const RegimeConfig&) = default;
  RegimeConfig(RegimeConfig&&) = default;
  RegimeConfig& operator=(RegimeConfig&&) = default;

  virtual void read(params::YamlReader& r) = 0;
  virtual void write(params::YamlWriter& w) = 0;
  virtual void document(params::DocWriter& d) = 0;
  /// Checks cross-parameter consistency (after reading); reports with the policy's position.
  virtual void check(const std::string& path, int line, int col, Diagnostics& diag) const = 0;
  /// Creates the running regime for one run. Throws InputError on inconsistent parameters.
  [[nodiscard]] virtual std::unique_ptr<Regime> instantiate(const ModelSpec& spec) const = 0;
};

/// A regime type known to the registry.
struct RegimeInfo {
  std::string_view name;
  std::string_view summary;
  std::shared_ptr<RegimeConfig> (*make)();  ///< default-configured instance
};

/// The built-in regimes, listed in src/regimes/registry.cpp.
const std::vector<RegimeInfo>& regime_registry();
const RegimeInfo* find_regime(std::string_view name);

}  // namespace kpisim
