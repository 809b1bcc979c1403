#pragma once
// Designs of experiments over a box of parameters: full grid, Latin hypercube, Sobol points,
// Saltelli sampling (for Sobol indices) and Morris trajectories (for elementary effects).
//
// Every design is built in the unit cube [0,1]^d and then mapped to the parameters' ranges; both
// are returned (Design::unit and Design::values), row-major, one row per point. Random designs are
// pure functions of their arguments and a 64-bit seed (Philox4x32-10 counter-based streams), so the
// same call gives the same design on every machine and thread count.
//
// Formulas, assumptions and references: docs/experiments.md, "Statistics used".
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kpisim::stats {

/// One parameter of the box. Values run from `lower` to `upper` (lower < upper, both finite).
/// With `log_scale`, designs are uniform in log(value) instead of value (requires lower > 0).
struct Parameter {
  std::string name;
  double lower = 0.0;
  double upper = 1.0;
  bool log_scale = false;
};

/// Throws std::invalid_argument (naming the parameter) unless every parameter is usable as above,
/// and if the list is empty. Every design function calls it.
void validate_parameters(std::span<const Parameter> params);

/// Maps u in [0,1] to the parameter's scale: (1-u)*lower + u*upper, or on a log scale
/// exp((1-u)*log(lower) + u*log(upper)). u = 0 and u = 1 give exactly lower and upper.
double to_parameter(const Parameter& p, double u) noexcept;

/// Inverse of to_parameter: where `value` sits in the parameter's range, as a fraction in [0,1]
/// (not clamped: values outside the range give fractions outside [0,1]).
double to_unit(const Parameter& p, double value) noexcept;

/// A dense row-major matrix of doubles: rows() points of cols() coordinates.
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), data_(rows * cols, 0.0) {}
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t cols() const noexcept { return cols_; }
  double& operator()(std::size_t r, std::size_t c) noexcept { return data_[r * cols_ + c]; }
  [[nodiscard]] double operator()(std::size_t r, std::size_t c) const noexcept { return data_[r * cols_ + c]; }
  [[nodiscard]] std::span<const double> row(std::size_t r) const noexcept { return {data_.data() + r * cols_, cols_}; }
  [[nodiscard]] const std::vector<double>& data() const noexcept { return data_; }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double> data_;
};

/// A design: the same points in the unit cube and in parameter values (column j = parameter j).
struct Design {
  Matrix unit;    ///< coordinates in [0,1]^d
  Matrix values;  ///< to_parameter(params[j], unit(i, j))
  [[nodiscard]] std::size_t size() const noexcept { return values.rows(); }
};

/// Maps unit-cube points to parameter values (unit.cols() must equal params.size()).
Design to_design(std::span<const Parameter> params, Matrix unit);

/// Full factorial grid with levels[j] >= 1 equally spaced levels for parameter j (equally spaced in
/// log(value) on a log scale): unit coordinates i/(levels[j]-1), i = 0..levels[j]-1, so the corners
/// of the box are included; a parameter with one level sits at the centre (u = 0.5).
/// Rows are in lexicographic order with the LAST parameter varying fastest (like nested loops over
/// parameters 0, 1, ..., d-1). Size: the product of the levels. Throws std::invalid_argument on a
/// zero level count or a size mismatch, std::length_error if the size overflows.
Design full_grid(std::span<const Parameter> params, std::span<const std::size_t> levels);
/// The same number of levels for every parameter.
Design full_grid(std::span<const Parameter> params, std::size_t levels);

/// Randomised Latin hypercube of n points (McKay, Beckman & Conover 1979): for each parameter j an
/// independent random permutation pi_j of {0..n-1} and u_ij = (pi_j(i) + U_ij) / n with U_ij uniform
/// in (0,1), so each parameter has exactly one point in each of its n equal-width strata (equal
/// width in log(value) on a log scale). Reproducible from `seed`; different seeds give independent
/// designs. Uniforms have 32-bit resolution. Throws std::invalid_argument if n = 0.
Design latin_hypercube(std::span<const Parameter> params, std::size_t n, std::uint64_t seed);

/// The Sobol low-discrepancy sequence in d dimensions (direction numbers of Joe & Kuo 2008,
/// new-joe-kuo-6.21201, via Boost.Random; Gray-code order), points skip, skip+1, ..., skip+n-1,
/// where point 0 is the origin. Keeping the origin (skip = 0) follows Owen (2020): the first 2^m
/// points then form a (t,m,d)-net; n a power of two gives the best balance. d <= 3667.
/// The first points in every dimension are 0, 0.5, then 0.75 or 0.25, ...
Matrix sobol_sequence(std::size_t dims, std::size_t n, std::uint64_t skip = 0);

/// Sobol points mapped to the parameter box (see sobol_sequence).
Design sobol_design(std::span<const Parameter> params, std::size_t n, std::uint64_t skip = 0);

/// Saltelli sampling for first-order and total Sobol indices (Saltelli 2002; Saltelli et al. 2010).
/// A Sobol sequence of dimension 2d (points skip .. skip+n_base-1) gives two n_base x d matrices:
/// A = its first d columns, B = its last d columns. AB_i is A with column i taken from B.
/// Row order (n_base * (d + 2) rows), for base row k = 0..n_base-1, block of d + 2 rows:
///   row k*(d+2)            = A_k
///   row k*(d+2) + 1 + i    = AB_i,k   (i = 0..d-1)
///   row k*(d+2) + d + 1    = B_k
/// (the order of SALib's saltelli.sample with calc_second_order=False). sobol_indices() expects the
/// model outputs in this order. n_base a power of two is recommended. d <= 1833.
Design saltelli_design(std::span<const Parameter> params, std::size_t n_base, std::uint64_t skip = 0);

/// Morris one-at-a-time trajectories (Morris 1991; Campolongo, Cariboni & Saltelli 2007).
struct MorrisDesign {
  Design points;                      ///< r * (d + 1) rows; trajectory t is rows t*(d+1) .. t*(d+1)+d
  std::size_t trajectories = 0;       ///< r
  std::size_t levels = 0;             ///< p (even)
  double delta = 0.0;                 ///< step in the unit cube, p / (2 (p - 1))
  std::vector<std::uint32_t> factor;  ///< r * d: factor changed between rows t*(d+1)+s and t*(d+1)+s+1
};

/// r random trajectories on the p-level grid {0, 1/(p-1), ..., 1} of the unit cube (p even, >= 2),
/// step delta = p / (2 (p - 1)). Each trajectory: a base point x* with each coordinate drawn
/// uniformly from {0, 1/(p-1), ..., 1 - delta}; an independent random direction per factor (start
/// at x*_j and step up to x*_j + delta, or start at x*_j + delta and step down to x*_j); and a random
/// order of the factors. Each of the d steps changes exactly one factor by +/- delta, so every
/// point stays on the grid. Reproducible from `seed`. Throws std::invalid_argument if r = 0 or p is
/// odd or < 2. (Campolongo et al.'s selection of well-spread trajectories from a larger pool is not
/// implemented: trajectories are plain random draws.)
MorrisDesign morris_design(std::span<const Parameter> params, std::size_t trajectories, std::size_t levels, std::uint64_t seed);

}  // namespace kpisim::stats
