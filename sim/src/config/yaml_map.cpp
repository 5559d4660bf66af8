#include "yaml_map.hpp"

#include <algorithm>
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

int Context::line(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

void Context::fail(const YAML::Node& at, const std::string& text) const {
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
      ctx_->fail(e.key_node, fmt::format("{}: unknown {}; allowed: {}", child(e.key), what, fmt::join(allowed, ", ")));
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
