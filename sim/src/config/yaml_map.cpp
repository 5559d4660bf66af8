#include "yaml_map.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::yamlmap {

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

namespace {

/// Optimal-string-alignment distance between the lower-cased strings.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  auto low = [](char c) { return char(std::tolower(static_cast<unsigned char>(c))); };
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = low(a[i - 1]) == low(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && low(a[i - 1]) == low(b[j - 2]) && low(a[i - 2]) == low(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

}  // namespace

std::string closest(const std::string& given, const std::vector<std::string>& allowed) {
  const std::size_t limit = given.size() <= 4 ? 1 : given.size() <= 8 ? 2 : 3;
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& a : allowed)
    if (const std::size_t d = edit_distance(given, a); d < best_d) {
      best = a;
      best_d = d;
    }
  return best;
}

std::string did_you_mean(const std::string& given, const std::vector<std::string>& allowed) {
  const std::string c = closest(given, allowed);
  return c.empty() ? std::string() : fmt::format("did you mean '{}'? ", c);
}

int Context::line(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

void Context::add_origin(const YAML::Node& node, const std::string& label) {
  origins_.emplace_back(node, label);
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      add_origin(it->first, label);
      add_origin(it->second, label);
    }
  } else if (node.IsSequence()) {
    for (const auto& child : node) add_origin(child, label);
  }
}

const std::string* Context::origin(const YAML::Node& n) const {
  if (!n.IsDefined()) return nullptr;
  for (const auto& [node, label] : origins_)
    if (node.is(n)) return &label;
  return nullptr;
}

void Context::fail(const YAML::Node& at, const std::string& text) const {
  if (const std::string* o = origin(at)) throw ConfigError(fmt::format("{}: {}: {}", file_, *o, text));
  const int l = line(at);
  if (l == 0) throw ConfigError(file_ + ": " + text);
  throw ConfigError(fmt::format("{}:{}: {}", file_, l, text));
}

void Context::fail_at_line(int line0, const std::string& text) const {
  throw ConfigError(fmt::format("{}:{}: {}", file_, line0 + 1, text));
}

double read_number(const Context& ctx, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) ctx.fail(n, fmt::format("{}: expected a number, found {}", path, describe(n)));
  if (n.Tag() == "!")
    ctx.fail(n, fmt::format("{}: expected a number, found the string '{}' (remove the quotes)", path, n.Scalar()));
  double v = 0.0;
  if (!YAML::convert<double>::decode(n, v))
    ctx.fail(n, fmt::format("{}: expected a number, found {}", path, describe(n)));
  if (!std::isfinite(v)) ctx.fail(n, fmt::format("{}: expected a finite number, found {}", path, describe(n)));
  return v;
}

int read_integer(const Context& ctx, const YAML::Node& n, const std::string& path) {
  const double v = read_number(ctx, n, path);
  if (v != std::floor(v) || std::fabs(v) > 1e9)
    ctx.fail(n, fmt::format("{}: expected an integer, found {}", path, describe(n)));
  return static_cast<int>(v);
}

bool read_bool(const Context& ctx, const YAML::Node& n, const std::string& path) {
  bool b = false;
  if (!n.IsScalar() || n.Tag() == "!" || !YAML::convert<bool>::decode(n, b))
    ctx.fail(n, fmt::format("{}: expected true or false, found {}", path, describe(n)));
  return b;
}

std::string read_string(const Context& ctx, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) ctx.fail(n, fmt::format("{}: expected a text value, found {}", path, describe(n)));
  return n.Scalar();
}

Map::Map(const Context& ctx, const YAML::Node& node, std::string path, const std::string& expected)
    : ctx_(&ctx), node_(node), path_(std::move(path)) {
  if (!node.IsMap())
    ctx.fail(node, fmt::format("{}: expected {}, found {}", path_.empty() ? "config" : path_, expected, describe(node)));
  for (auto it = node.begin(); it != node.end(); ++it) {
    Entry e{read_string(ctx, it->first, child_path(path_, "<key>")), it->first, it->second};
    if (const Entry* first = find(e.key))
      ctx.fail(e.key_node, fmt::format("{}: duplicate key (first given on line {})", child(e.key),
                                       Context::line(first->key_node)));
    entries_.push_back(std::move(e));
  }
}

const Map::Entry* Map::find(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

void Map::allow_only(const std::vector<std::string>& allowed, const std::string& what) const {
  for (const auto& e : entries_)
    if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end())
      ctx_->fail(e.key_node, fmt::format("{}: unknown {}; {}allowed: {}", child(e.key), what,
                                         did_you_mean(e.key, allowed), fmt::join(allowed, ", ")));
}

const Map::Entry& Map::require(const std::string& key, const std::string& what) const {
  const Entry* e = find(key);
  if (!e) ctx_->fail(node_, fmt::format("{}: missing; {}", child(key), what));
  return *e;
}

void Map::at_most_one(const std::vector<std::string>& keys, const std::string& rule) const {
  const Entry* first = nullptr;
  for (const auto& k : keys)
    if (const Entry* e = find(k)) {
      if (first)
        ctx_->fail(e->key_node, fmt::format("{}: both {} and {} given; {}", child(k), first->key, k, rule));
      first = e;
    }
}

std::optional<double> Map::optional_number(const std::string& key) const {
  const Entry* e = find(key);
  if (!e) return std::nullopt;
  return read_number(*ctx_, e->value, child(key));
}

std::optional<int> Map::optional_integer(const std::string& key) const {
  const Entry* e = find(key);
  if (!e) return std::nullopt;
  return read_integer(*ctx_, e->value, child(key));
}

std::optional<bool> Map::optional_bool(const std::string& key) const {
  const Entry* e = find(key);
  if (!e) return std::nullopt;
  return read_bool(*ctx_, e->value, child(key));
}

std::optional<std::string> Map::optional_string(const std::string& key) const {
  const Entry* e = find(key);
  if (!e) return std::nullopt;
  return read_string(*ctx_, e->value, child(key));
}

YAML::Node load_document(const Context& ctx, const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    ctx.fail_at_line(e.mark.line, "YAML syntax error: " + e.msg);
  }
  if (docs.size() > 1)
    ctx.fail(docs[1], fmt::format("a config file holds one YAML document, found {} (separated by ---)", docs.size()));
  if (docs.empty() || docs.front().IsNull()) throw ConfigError(ctx.file() + ": the config is empty");
  return docs.front();
}

}  // namespace lensforge::yamlmap
