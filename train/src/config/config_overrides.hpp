#pragma once
// Internal: command-line overrides "dotted.key=value" applied to a parsed training config.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config_keys.hpp"
#include "config/yaml_map.hpp"  // sim/src/config: YAML readers with located errors

namespace lensforge::train {

/// Applies `overrides` to the map `root` in order: "a.b.c=value" sets root[a][b][c] to the value
/// parsed as YAML (creating sections as needed); an empty or null value removes the key. Each key
/// path must exist in `keys` (ConfigError with "did you mean" and the allowed keys otherwise), and
/// every node an override brings is registered with `ctx` as its origin, so later errors about it
/// name the override. ConfigError also for a malformed override or a value that is not YAML.
void apply_overrides(yamlmap::Context& ctx, YAML::Node& root, const ConfigKeys& keys,
                     const std::vector<std::string>& overrides);

}  // namespace lensforge::train
