#include "config_overrides.hpp"

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split_dots(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (true) {
    const auto dot = key.find('.', pos);
    parts.push_back(key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (dot == std::string::npos) return parts;
    pos = dot + 1;
  }
}

void apply_one(yamlmap::Context& ctx, YAML::Node& root, const ConfigKeys& keys, const std::string& text) {
  const std::string label = fmt::format("override '{}'", text);
  auto fail = [&](const std::string& what) { throw ConfigError(fmt::format("{}: {}: {}", ctx.file(), label, what)); };
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    fail("expected key=value, e.g. optim.learning_rate=3e-4 or stack.bands=[VIS,Y]");
  const std::string key = trim(text.substr(0, eq));
  const std::vector<std::string> parts = split_dots(key);

  // The key path must name a key of the config; only its last part may be a value.
  const ConfigKeys* at = &keys;
  std::string path;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) fail(fmt::format("'{}' is not a key path (empty part); write e.g. optim.learning_rate", key));
    if (i > 0 && !at->is_section())
      fail(fmt::format("{} holds a value, it has no key '{}'", path, parts[i]));
    const ConfigKeys* next = at->find(parts[i]);
    if (!next)
      fail(fmt::format("unknown key {}; {}allowed{}: {}", yamlmap::child_path(path, parts[i]),
                       yamlmap::did_you_mean(parts[i], at->names()), path.empty() ? "" : " in " + path,
                       fmt::join(at->names(), ", ")));
    at = next;
    path = yamlmap::child_path(path, parts[i]);
  }

  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::ParserException& e) {
    fail(fmt::format("the value is not valid YAML: {} (quote text holding YAML syntax: key='a: b')", e.msg));
  }
  const bool remove = !value.IsDefined() || value.IsNull();

  YAML::Node cur;
  cur.reset(root);
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked = yamlmap::child_path(walked, parts[i]);
    YAML::Node child = cur[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      if (remove) return;  // nothing there to remove
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(cur[parts[i]]);
    } else if (!child.IsMap()) {
      ctx.fail(child, fmt::format("{}: is {} here, so {} cannot be set; override {} itself", walked,
                                  yamlmap::describe(child), key, walked));
    }
    cur.reset(child);
  }
  if (remove) {
    cur.remove(parts.back());
    return;
  }
  cur[parts.back()] = value;
  ctx.add_origin(value, label);
}

}  // namespace

void apply_overrides(yamlmap::Context& ctx, YAML::Node& root, const ConfigKeys& keys,
                     const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) apply_one(ctx, root, keys, o);
}

}  // namespace lensforge::train
