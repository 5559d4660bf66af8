#pragma once
// Typed exceptions thrown at the boundaries (config, files, CLI). Each message names the file,
// key or value at fault and what is allowed, so that a user can act on it.
#include <stdexcept>
#include <string>

namespace lensforge {

/// Base of every lensforge error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parameter, scene or configuration value is missing, of the wrong type or out of range.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written (FITS, HDF5, PNG, YAML).
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace lensforge
