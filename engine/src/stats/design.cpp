// Designs of experiments: grid, Latin hypercube, Sobol (Boost.Random), Saltelli, Morris.
#include "kpisim/stats/design.hpp"

#include <boost/random/sobol.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "philox_stream.hpp"

namespace kpisim::stats {

namespace {

constexpr std::size_t kSobolMaxDimension = BOOST_RANDOM_SOBOL_MAX_DIMENSION;

// In-place Fisher-Yates shuffle of perm driven by the stream.
void shuffle(std::vector<std::uint32_t>& perm, detail::PhiloxStream& rng) {
  for (std::size_t i = perm.size(); i > 1; --i) {
    const std::uint32_t j = rng.below(static_cast<std::uint32_t>(i));
    std::swap(perm[i - 1], perm[j]);
  }
}

void check_u32(std::size_t n, const char* what) {
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument(std::string(what) + " must fit in 32 bits");
}

}  // namespace

void validate_parameters(std::span<const Parameter> params) {
  if (params.empty()) throw std::invalid_argument("a design needs at least one parameter");
  for (const Parameter& p : params) {
    const std::string who = "parameter '" + p.name + "': ";
    if (!std::isfinite(p.lower) || !std::isfinite(p.upper)) throw std::invalid_argument(who + "bounds must be finite");
    if (!(p.lower < p.upper)) {
      throw std::invalid_argument(who + "lower (" + std::to_string(p.lower) + ") must be below upper (" + std::to_string(p.upper) + ")");
    }
    if (p.log_scale && !(p.lower > 0.0)) throw std::invalid_argument(who + "a log scale needs lower > 0");
  }
}

double to_parameter(const Parameter& p, double u) noexcept {
  if (u == 0.0) return p.lower;
  if (u == 1.0) return p.upper;
  if (p.log_scale) return std::exp((1.0 - u) * std::log(p.lower) + u * std::log(p.upper));
  return (1.0 - u) * p.lower + u * p.upper;
}

double to_unit(const Parameter& p, double value) noexcept {
  if (p.log_scale) return (std::log(value) - std::log(p.lower)) / (std::log(p.upper) - std::log(p.lower));
  return (value - p.lower) / (p.upper - p.lower);
}

Design to_design(std::span<const Parameter> params, Matrix unit) {
  validate_parameters(params);
  if (unit.cols() != params.size()) {
    throw std::invalid_argument("to_design: " + std::to_string(unit.cols()) + " columns for " + std::to_string(params.size()) +
                                " parameters");
  }
  Design d;
  d.values = Matrix(unit.rows(), unit.cols());
  for (std::size_t i = 0; i < unit.rows(); ++i) {
    for (std::size_t j = 0; j < unit.cols(); ++j) d.values(i, j) = to_parameter(params[j], unit(i, j));
  }
  d.unit = std::move(unit);
  return d;
}

Design full_grid(std::span<const Parameter> params, std::span<const std::size_t> levels) {
  validate_parameters(params);
  if (levels.size() != params.size()) {
    throw std::invalid_argument("full_grid: " + std::to_string(levels.size()) + " level counts for " + std::to_string(params.size()) +
                                " parameters");
  }
  std::size_t n = 1;
  for (std::size_t j = 0; j < levels.size(); ++j) {
    if (levels[j] == 0) throw std::invalid_argument("full_grid: parameter '" + params[j].name + "' needs at least one level");
    if (n > std::numeric_limits<std::size_t>::max() / levels[j]) throw std::length_error("full_grid: too many points");
    n *= levels[j];
  }
  const std::size_t d = params.size();
  Matrix unit(n, d);
  std::vector<std::size_t> idx(d, 0);  // mixed-radix counter, last digit fastest
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      unit(i, j) = levels[j] == 1 ? 0.5 : static_cast<double>(idx[j]) / static_cast<double>(levels[j] - 1);
    }
    for (std::size_t j = d; j-- > 0;) {
      if (++idx[j] < levels[j]) break;
      idx[j] = 0;
    }
  }
  return to_design(params, std::move(unit));
}

Design full_grid(std::span<const Parameter> params, std::size_t levels) {
  const std::vector<std::size_t> all(params.size(), levels);
  return full_grid(params, all);
}

Design latin_hypercube(std::span<const Parameter> params, std::size_t n, std::uint64_t seed) {
  validate_parameters(params);
  if (n == 0) throw std::invalid_argument("latin_hypercube: needs at least one point");
  check_u32(n, "latin_hypercube: the number of points");
  const std::size_t d = params.size();
  Matrix unit(n, d);
  std::vector<std::uint32_t> perm(n);
  for (std::size_t j = 0; j < d; ++j) {
    // One stream per parameter: the permutation first, then the n jitters.
    detail::PhiloxStream rng(seed, detail::StreamPurpose::latin_hypercube, static_cast<std::uint32_t>(j));
    std::iota(perm.begin(), perm.end(), 0U);
    shuffle(perm, rng);
    for (std::size_t i = 0; i < n; ++i) {
      unit(i, j) = (static_cast<double>(perm[i]) + rng.uniform_open01()) / static_cast<double>(n);
    }
  }
  return to_design(params, std::move(unit));
}

Matrix sobol_sequence(std::size_t dims, std::size_t n, std::uint64_t skip) {
  if (dims == 0 || dims > kSobolMaxDimension) {
    throw std::invalid_argument("sobol_sequence: dimension must be in 1.." + std::to_string(kSobolMaxDimension) + ", got " +
                                std::to_string(dims));
  }
  Matrix m(n, dims);
  if (n == 0) return m;
  // Boost's engine starts at point 1 of the sequence (it omits the origin, point 0); its outputs
  // are 64-bit fixed-point fractions. Row r of the result is point skip + r.
  boost::random::sobol gen(dims);
  std::size_t r = 0;
  if (skip == 0) {
    r = 1;  // row 0 is the origin, already zero
  } else {
    gen.discard((skip - 1) * dims);
  }
  for (; r < n; ++r) {
    for (std::size_t j = 0; j < dims; ++j) m(r, j) = std::ldexp(static_cast<double>(gen()), -64);
  }
  return m;
}

Design sobol_design(std::span<const Parameter> params, std::size_t n, std::uint64_t skip) {
  validate_parameters(params);
  return to_design(params, sobol_sequence(params.size(), n, skip));
}

Design saltelli_design(std::span<const Parameter> params, std::size_t n_base, std::uint64_t skip) {
  validate_parameters(params);
  const std::size_t d = params.size();
  if (2 * d > kSobolMaxDimension)
    throw std::invalid_argument("saltelli_design: at most " + std::to_string(kSobolMaxDimension / 2) + " parameters");
  const Matrix base = sobol_sequence(2 * d, n_base, skip);
  Matrix unit(n_base * (d + 2), d);
  for (std::size_t k = 0; k < n_base; ++k) {
    const std::size_t r0 = k * (d + 2);
    for (std::size_t j = 0; j < d; ++j) {
      const double a = base(k, j);
      const double b = base(k, d + j);
      unit(r0, j) = a;                                                           // A_k
      unit(r0 + d + 1, j) = b;                                                   // B_k
      for (std::size_t i = 0; i < d; ++i) unit(r0 + 1 + i, j) = i == j ? b : a;  // AB_i,k
    }
  }
  return to_design(params, std::move(unit));
}

MorrisDesign morris_design(std::span<const Parameter> params, std::size_t trajectories, std::size_t levels, std::uint64_t seed) {
  validate_parameters(params);
  if (trajectories == 0) throw std::invalid_argument("morris_design: needs at least one trajectory");
  check_u32(trajectories, "morris_design: the number of trajectories");
  if (levels < 2 || levels % 2 != 0) throw std::invalid_argument("morris_design: the number of levels must be even and >= 2");
  check_u32(levels, "morris_design: the number of levels");
  const std::size_t d = params.size();
  const std::size_t half = levels / 2;  // delta = p/2 grid spacings
  const auto level_value = [levels](std::size_t i) { return static_cast<double>(i) / static_cast<double>(levels - 1); };
  MorrisDesign md;
  md.trajectories = trajectories;
  md.levels = levels;
  md.delta = level_value(half);
  md.factor.resize(trajectories * d);
  Matrix unit(trajectories * (d + 1), d);
  std::vector<std::uint32_t> order(d);
  std::vector<std::size_t> start(d);  // grid index of the starting point
  std::vector<bool> up(d);
  for (std::size_t t = 0; t < trajectories; ++t) {
    detail::PhiloxStream rng(seed, detail::StreamPurpose::morris, static_cast<std::uint32_t>(t));
    for (std::size_t j = 0; j < d; ++j) {
      const std::size_t base = rng.below(static_cast<std::uint32_t>(half));  // x*_j in {0, .., p/2 - 1}
      up[j] = (rng.next() & 1U) != 0U;
      start[j] = up[j] ? base : base + half;
    }
    std::iota(order.begin(), order.end(), 0U);
    shuffle(order, rng);
    const std::size_t r0 = t * (d + 1);
    for (std::size_t j = 0; j < d; ++j) unit(r0, j) = level_value(start[j]);
    for (std::size_t s = 0; s < d; ++s) {
      const std::uint32_t f = order[s];
      md.factor[t * d + s] = f;
      for (std::size_t j = 0; j < d; ++j) unit(r0 + s + 1, j) = unit(r0 + s, j);
      const std::size_t moved = up[f] ? start[f] + half : start[f] - half;
      unit(r0 + s + 1, f) = level_value(moved);
    }
  }
  md.points = to_design(params, std::move(unit));
  return md;
}

}  // namespace kpisim::stats
