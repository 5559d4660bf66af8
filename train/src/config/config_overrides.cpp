#include "config_overrides.hpp"

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {

namespace {

void apply_one(yamlmap::Context& ctx, YAML::Node& root, const ConfigKeys& keys, const std::string& text) {
  const yamlmap::Override o = yamlmap::parse_override(ctx, text);
  // The key path must name a key of the config; only its last part may be a value.
  const ConfigKeys* at = &keys;
  std::string path;
  for (std::size_t i = 0; i < o.path.size(); ++i) {
    if (i > 0 && !at->is_section()) o.fail(ctx, fmt::format("{} holds a value, it has no key '{}'", path, o.path[i]));
    const ConfigKeys* next = at->find(o.path[i]);
    if (!next)
      o.fail(ctx, fmt::format("unknown key {}; {}allowed{}: {}", yamlmap::child_path(path, o.path[i]),
                              yamlmap::did_you_mean(o.path[i], at->names()), path.empty() ? "" : " in " + path,
                              fmt::join(at->names(), ", ")));
    at = next;
    path = yamlmap::child_path(path, o.path[i]);
  }
  yamlmap::apply_override(ctx, root, o);
}

}  // namespace

void apply_overrides(yamlmap::Context& ctx, YAML::Node& root, const ConfigKeys& keys,
                     const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) apply_one(ctx, root, keys, o);
}

}  // namespace lensforge::train
