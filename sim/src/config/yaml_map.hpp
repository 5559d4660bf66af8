#pragma once
// Internal: reading YAML with located errors (scene files, population configs). Every error is one
// ConfigError "FILE:LINE: key.path: what was found; what is allowed".
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace lensforge::yamlmap {

/// What a node holds, for "found ..." in messages.
std::string describe(const YAML::Node& n);

/// "parent.key", or "key" at the top level.
std::string child_path(const std::string& parent, const std::string& key);

/// The entry of `allowed` closest to `given` (case-insensitive edit distance, transpositions
/// counting one), or "" when none is close enough to be a likely typo (at most 1 edit for names of
/// up to 4 characters, 2 up to 8, 3 beyond).
std::string closest(const std::string& given, const std::vector<std::string>& allowed);

/// "did you mean 'x'? " when closest() finds one, else "" (to put before an "allowed: ..." list).
std::string did_you_mean(const std::string& given, const std::vector<std::string>& allowed);

/// The file name, for located messages.
class Context {
 public:
  explicit Context(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  /// Line (1-based) of a node, 0 when unknown.
  static int line(const YAML::Node& n);
  /// Marks `node` and every node under it as given by `label` rather than read from the file (e.g.
  /// a command-line override "optim.learning_rate=abc"): errors at them name the label instead of
  /// a line of the file.
  void add_origin(const YAML::Node& node, const std::string& label);
  /// The label of the origin holding `n`, or nullptr when `n` comes from the file.
  const std::string* origin(const YAML::Node& n) const;
  [[noreturn]] void fail(const YAML::Node& at, const std::string& text) const;
  [[noreturn]] void fail_at_line(int line0, const std::string& text) const;

 private:
  std::string file_;
  std::vector<std::pair<YAML::Node, std::string>> origins_;  // every node of each origin's subtree
};

double read_number(const Context& ctx, const YAML::Node& n, const std::string& path);
int read_integer(const Context& ctx, const YAML::Node& n, const std::string& path);
bool read_bool(const Context& ctx, const YAML::Node& n, const std::string& path);
std::string read_string(const Context& ctx, const YAML::Node& n, const std::string& path);

/// A YAML map at a key path, with duplicate keys rejected.
class Map {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  /// Fails unless `node` is a map; `expected` describes it ("a map {min, max}").
  Map(const Context& ctx, const YAML::Node& node, std::string path, const std::string& expected);

  const Context& ctx() const { return *ctx_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::string child(const std::string& key) const { return child_path(path_, key); }

  const Entry* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }
  /// Fails on the first key not in `allowed` (suggesting the closest allowed one); `what` names
  /// the thing ("key of observation").
  void allow_only(const std::vector<std::string>& allowed, const std::string& what) const;
  /// The entry, or a "missing" error that adds `what`.
  const Entry& require(const std::string& key, const std::string& what) const;
  /// Fails when more than one of `keys` is given (they are alternatives).
  void at_most_one(const std::vector<std::string>& keys, const std::string& rule) const;

  std::optional<double> optional_number(const std::string& key) const;
  std::optional<int> optional_integer(const std::string& key) const;
  std::optional<bool> optional_bool(const std::string& key) const;
  std::optional<std::string> optional_string(const std::string& key) const;

 private:
  const Context* ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<Entry> entries_;
};

/// Parses one YAML document; syntax errors and multiple documents are located ConfigErrors.
YAML::Node load_document(const Context& ctx, const std::string& text);

}  // namespace lensforge::yamlmap
