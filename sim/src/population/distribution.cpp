#include "lensforge/sim/population/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <fmt/format.h>

namespace lensforge {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9), to be refined.
double acklam(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (p < lo) {
    const double q = std::sqrt(-2.0 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  if (p > 1.0 - lo) {
    const double q = std::sqrt(-2.0 * std::log1p(-p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

std::string bad(const char* key, double v, const std::string& rule) { return fmt::format("{} = {} {}", key, v, rule); }

}  // namespace

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double normal_quantile(double p) {
  if (!(p > 0.0)) return -kInf;
  if (!(p < 1.0)) return kInf;
  double x = acklam(p);
  // One Halley step on Phi(x) - p (Acklam's note): the result is good to double precision.
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(0.5 * x * x);
  x -= u / (1.0 + 0.5 * x * u);
  return x;
}

const char* name(const Distribution& d) {
  return std::visit(Overloaded{[](const FixedValue&) { return "fixed"; }, [](const UniformDist&) { return "uniform"; },
                               [](const NormalDist&) { return "normal"; },
                               [](const TruncatedNormalDist&) { return "truncated_normal"; },
                               [](const LogNormalDist&) { return "lognormal"; },
                               [](const PowerLawDist&) { return "power_law"; },
                               [](const ChoiceDist&) { return "choice"; },
                               [](const CatalogColumnDist&) { return "catalog"; }},
                    d);
}

std::string validate(const Distribution& d, const std::vector<Catalog>& catalogs) {
  auto finite = [](double v) { return std::isfinite(v); };
  return std::visit(
      Overloaded{
          [&](const FixedValue& f) -> std::string { return finite(f.value) ? "" : bad("value", f.value, "must be finite"); },
          [&](const UniformDist& u) -> std::string {
            if (!finite(u.min)) return bad("min", u.min, "must be finite");
            if (!finite(u.max)) return bad("max", u.max, "must be finite");
            if (!(u.max > u.min)) return fmt::format("max = {} must be > min = {}", u.max, u.min);
            return "";
          },
          [&](const NormalDist& n) -> std::string {
            if (!finite(n.mean)) return bad("mean", n.mean, "must be finite");
            if (!(n.sigma > 0.0 && finite(n.sigma))) return bad("sigma", n.sigma, "must be > 0 and finite");
            return "";
          },
          [&](const TruncatedNormalDist& t) -> std::string {
            if (!finite(t.mean)) return bad("mean", t.mean, "must be finite");
            if (!(t.sigma > 0.0 && finite(t.sigma))) return bad("sigma", t.sigma, "must be > 0 and finite");
            if (!finite(t.min)) return bad("min", t.min, "must be finite");
            if (!finite(t.max)) return bad("max", t.max, "must be finite");
            if (!(t.max > t.min)) return fmt::format("max = {} must be > min = {}", t.max, t.min);
            // Both CDF values round to 1 (or 0) beyond ~37 sigma: the window would be empty.
            const double a = (t.min - t.mean) / t.sigma, b = (t.max - t.mean) / t.sigma;
            if (a > 37.0 || b < -37.0)
              return fmt::format("min = {}, max = {}: the window lies more than 37 sigma from the mean = {}", t.min,
                                 t.max, t.mean);
            return "";
          },
          [&](const LogNormalDist& l) -> std::string {
            if (!finite(l.mu)) return bad("mu", l.mu, "must be finite");
            if (!(l.sigma > 0.0 && finite(l.sigma))) return bad("sigma", l.sigma, "must be > 0 and finite");
            return "";
          },
          [&](const PowerLawDist& p) -> std::string {
            if (!finite(p.slope)) return bad("slope", p.slope, "must be finite");
            if (!(p.min > 0.0 && finite(p.min))) return bad("min", p.min, "must be > 0 and finite");
            if (!finite(p.max)) return bad("max", p.max, "must be finite");
            if (!(p.max > p.min)) return fmt::format("max = {} must be > min = {}", p.max, p.min);
            return "";
          },
          [&](const ChoiceDist& c) -> std::string {
            if (c.values.empty()) return "values: must hold at least one value";
            for (std::size_t k = 0; k < c.values.size(); ++k)
              if (!finite(c.values[k])) return fmt::format("values[{}] = {} must be finite", k, c.values[k]);
            if (c.weights.empty()) return "";
            if (c.weights.size() != c.values.size())
              return fmt::format("weights: {} given for {} values; give one per value", c.weights.size(),
                                 c.values.size());
            double total = 0.0;
            for (std::size_t k = 0; k < c.weights.size(); ++k) {
              if (!(c.weights[k] >= 0.0 && finite(c.weights[k])))
                return fmt::format("weights[{}] = {} must be >= 0 and finite", k, c.weights[k]);
              total += c.weights[k];
            }
            if (!(total > 0.0)) return "weights: must not all be 0";
            return "";
          },
          [&](const CatalogColumnDist& c) -> std::string {
            if (c.catalog >= catalogs.size()) return fmt::format("catalog #{} does not exist", c.catalog);
            if (c.column >= catalogs[c.catalog].columns.size())
              return fmt::format("column #{} does not exist in catalog {}", c.column, catalogs[c.catalog].name);
            return "";
          },
      },
      d);
}

std::string describe(const Distribution& d, const std::vector<Catalog>& catalogs) {
  return std::visit(
      Overloaded{[](const FixedValue& f) { return fmt::format("{}", f.value); },
                 [](const UniformDist& u) { return fmt::format("uniform({}, {})", u.min, u.max); },
                 [](const NormalDist& n) { return fmt::format("normal({}, {})", n.mean, n.sigma); },
                 [](const TruncatedNormalDist& t) {
                   return fmt::format("truncated_normal({}, {}, [{}, {}])", t.mean, t.sigma, t.min, t.max);
                 },
                 [](const LogNormalDist& l) { return fmt::format("lognormal(mu = {}, sigma = {})", l.mu, l.sigma); },
                 [](const PowerLawDist& p) { return fmt::format("power_law({}, [{}, {}])", p.slope, p.min, p.max); },
                 [](const ChoiceDist& c) { return fmt::format("choice([{}])", fmt::join(c.values, ", ")); },
                 [&](const CatalogColumnDist& c) {
                   if (c.catalog >= catalogs.size() || c.column >= catalogs[c.catalog].columns.size())
                     return std::string("catalog column");
                   return fmt::format("catalog {}.{}", catalogs[c.catalog].name,
                                      catalogs[c.catalog].columns[c.column]);
                 }},
      d);
}

std::string Support::text() const {
  return fmt::format("{}{}, {}{}", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
}

Support support(const Distribution& d, const std::vector<Catalog>& catalogs) {
  return std::visit(Overloaded{[](const FixedValue& f) { return Support{f.value, f.value}; },
                               [](const UniformDist& u) { return Support{u.min, u.max, false, true}; },
                               [](const NormalDist&) { return Support{-kInf, kInf, true, true}; },
                               [](const TruncatedNormalDist& t) { return Support{t.min, t.max}; },
                               [](const LogNormalDist&) { return Support{0.0, kInf, true, true}; },
                               [](const PowerLawDist& p) { return Support{p.min, p.max}; },
                               [](const ChoiceDist& c) {
                                 Support s{kInf, -kInf};
                                 for (std::size_t k = 0; k < c.values.size(); ++k)
                                   if (c.weights.empty() || c.weights[k] > 0.0) {
                                     s.lo = std::min(s.lo, c.values[k]);
                                     s.hi = std::max(s.hi, c.values[k]);
                                   }
                                 return s;
                               },
                               [&](const CatalogColumnDist& c) {
                                 const auto& col = catalogs.at(c.catalog).values.at(c.column);
                                 const auto [lo, hi] = std::minmax_element(col.begin(), col.end());
                                 return Support{*lo, *hi};
                               }},
                    d);
}

double sample(const Distribution& d, Rng& rng, const std::vector<Catalog>& catalogs,
              const std::vector<std::size_t>& rows) {
  return std::visit(
      Overloaded{
          [](const FixedValue& f) { return f.value; },
          [&](const UniformDist& u) { return rng.uniform(u.min, u.max); },
          [&](const NormalDist& n) { return rng.normal(n.mean, n.sigma); },
          [&](const TruncatedNormalDist& t) {
            // Invert the CDF on the side of the window nearer the mean's lower tail, where
            // Phi is accurate: a window entirely above the mean is mirrored.
            double a = (t.min - t.mean) / t.sigma, b = (t.max - t.mean) / t.sigma;
            const bool mirror = a > 0.0;
            if (mirror) {
              const double lo = -b, hi = -a;
              a = lo;
              b = hi;
            }
            const double pa = normal_cdf(a), pb = normal_cdf(b);
            double x = std::clamp(normal_quantile(pa + (pb - pa) * rng.uniform()), a, b);
            if (mirror) x = -x;
            return std::clamp(t.mean + t.sigma * x, t.min, t.max);
          },
          [&](const LogNormalDist& l) { return std::exp(rng.normal(l.mu, l.sigma)); },
          [&](const PowerLawDist& p) {
            const double u = rng.uniform(), s1 = p.slope + 1.0;
            if (std::abs(s1) < 1e-12) return p.min * std::pow(p.max / p.min, u);
            const double a = std::pow(p.min, s1), b = std::pow(p.max, s1);
            return std::clamp(std::pow(a + u * (b - a), 1.0 / s1), p.min, p.max);
          },
          [&](const ChoiceDist& c) {
            if (c.weights.empty()) return c.values[rng.below(c.values.size())];
            double total = 0.0;
            for (double w : c.weights) total += w;
            const double u = rng.uniform() * total;
            double acc = 0.0;
            std::size_t last = 0;
            for (std::size_t k = 0; k < c.values.size(); ++k) {
              if (c.weights[k] <= 0.0) continue;
              acc += c.weights[k];
              last = k;
              if (u < acc) return c.values[k];
            }
            return c.values[last];  // u rounded up to the total
          },
          [&](const CatalogColumnDist& c) { return catalogs[c.catalog].values[c.column][rows[c.catalog]]; },
      },
      d);
}

}  // namespace lensforge
