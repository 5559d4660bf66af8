#pragma once
// Internal: the keys a training config may hold, as a tree (sections and values). The reader checks
// each section against it and the override code checks "dotted.key" paths against it, so the two
// agree on what exists.
#include <string>
#include <vector>

namespace lensforge::train {

struct ConfigKeys {
  std::string name;
  std::vector<ConfigKeys> children;  ///< empty: the key holds a value (possibly a list), not a section

  bool is_section() const { return !children.empty(); }
  const ConfigKeys* find(const std::string& key) const;
  /// The children's names, in order.
  std::vector<std::string> names() const;
  /// The child `key`; it must exist (internal invariant).
  const ConfigKeys& at(const std::string& key) const;
};

/// The root of the training config's key tree (name "").
const ConfigKeys& train_config_keys();

}  // namespace lensforge::train
