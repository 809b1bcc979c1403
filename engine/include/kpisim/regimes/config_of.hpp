#pragma once
// Helper that turns a Params struct (with visit) and a Regime subclass into a RegimeConfig.
// Include only from regime .cpp files (pulls in the visitors and yaml-cpp).
#include <memory>

#include "kpisim/config/visitors.hpp"
#include "kpisim/regimes/regime.hpp"

namespace kpisim {

template <class Params, class RegimeT>
class RegimeConfigOf final : public RegimeConfig {
 public:
  Params params;
  void read(params::YamlReader& r) override { params.visit(r); }
  void write(params::YamlWriter& w) override { params.visit(w); }
  void document(params::DocWriter& d) override { params.visit(d); }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const override {
    if constexpr (requires { params.check(path, line, col, diag); }) params.check(path, line, col, diag);
  }
  void check_spec(const ModelSpec& spec, const std::string& path, int line, int col, Diagnostics& diag) const override {
    if constexpr (requires { params.check_spec(spec, path, line, col, diag); }) params.check_spec(spec, path, line, col, diag);
  }
  [[nodiscard]] std::unique_ptr<Regime> instantiate(const ModelSpec& spec, const Scope& scope) const override {
    auto r = std::make_unique<RegimeT>(params, spec, scope);
    r->set_scope(scope);
    return r;
  }
  [[nodiscard]] std::vector<std::pair<std::string, const PolicySpec*>> components() const override {
    if constexpr (requires { params.components_list(); })
      return params.components_list();
    else
      return {};
  }
};

template <class Params, class RegimeT>
std::shared_ptr<RegimeConfig> make_config() {
  return std::make_shared<RegimeConfigOf<Params, RegimeT>>();
}

}  // namespace kpisim
