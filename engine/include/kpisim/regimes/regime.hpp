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
#include <utility>
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
struct PolicySpec;

/// The part of the organisation a regime applies to: its policy's `scope` (divisions), within
/// its parent's in a hybrid or a schedule (docs/model.md 7.15.8). People outside it feel none of
/// the regime's incentives and are neither ranked, paid, fined nor audited by it; managers of
/// units outside it hold no pressure from it.
struct Scope {
  bool all = true;                     ///< the whole organisation
  std::vector<std::uint8_t> division;  ///< per division: 1 in scope
  std::vector<std::uint8_t> unit;      ///< per unit: 1 in scope (the root only when all)
  std::vector<float> person;           ///< per employee slot: 1 in scope, 0 outside
  [[nodiscard]] bool has_unit(std::size_t u) const noexcept { return all || unit[u] != 0; }
  [[nodiscard]] bool has_person(std::size_t i) const noexcept { return all || person[i] != 0.0F; }
};

/// The whole organisation.
Scope whole_scope(const ModelSpec& spec);
/// A policy's scope within `parent` (its own `scope` names; none: the parent's). The names were
/// checked when the spec was built; throws InputError on an unknown one.
Scope resolve_scope(const ModelSpec& spec, const PolicySpec& policy, const Scope& parent);

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

  /// The KPI each division is judged on: adds `weight` x kpi(day) into out[d] for each division d
  /// in the regime's scope (a combining regime: its components', each at its weight).
  virtual void kpi_by_division(int day, double weight, std::vector<KpiWeights>& out) const {
    const KpiWeights k = kpi(day);
    for (std::size_t d = 0; d < out.size(); ++d) {
      if (!scope_.all && scope_.division[d] == 0) continue;
      out[d].tokens += weight * k.tokens;
      out[d].outcome += weight * k.outcome;
      out[d].sessions += weight * k.sessions;
    }
  }

  /// The part of the organisation the regime applies to (set by RegimeConfig::instantiate).
  [[nodiscard]] const Scope& scope() const noexcept { return scope_; }
  void set_scope(Scope scope) { scope_ = std::move(scope); }

 private:
  Scope scope_;
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
  /// Checks what needs the resolved organisation and task catalogue (task names, say), when the
  /// spec is built; reports with the policy's position. `spec`'s tasks and divisions are resolved.
  virtual void check_spec(const ModelSpec& /*spec*/, const std::string& /*path*/, int /*line*/, int /*col*/, Diagnostics& /*diag*/) const {}
  /// Creates the running regime for one run, applying to `scope`. Throws InputError on
  /// inconsistent parameters.
  [[nodiscard]] virtual std::unique_ptr<Regime> instantiate(const ModelSpec& spec, const Scope& scope) const = 0;
  /// The policies a combining regime (hybrid, schedule) is made of, each with its path below the
  /// policy (e.g. "components[0].policy"); none for the others.
  [[nodiscard]] virtual std::vector<std::pair<std::string, const PolicySpec*>> components() const { return {}; }
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
