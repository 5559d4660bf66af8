#pragma once
// Progress reporting for long commands: a one-line bar with rate and ETA redrawn in place on a
// terminal, plain log lines (about every 10% or 30 s) otherwise, so logs of batch jobs stay
// readable.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace lensforge {

class Progress {
 public:
  /// `total` items to do, `done` already done (a resumed run), `label` e.g. "generating".
  /// interactive: redraw a bar with '\r' (pass is_terminal(stderr)); else log lines.
  Progress(std::ostream& out, std::string label, std::uint64_t total, std::uint64_t done, bool interactive);
  /// Sets the number of items done so far (monotonic) and redraws when due.
  void update(std::uint64_t done);
  /// Final line: items, elapsed time and mean rate.
  void finish();

  /// "1.2 s", "3 min 4 s", "2 h 5 min".
  static std::string format_duration(double seconds);

 private:
  void draw(bool final);
  std::ostream& out_;
  std::string label_;
  std::uint64_t total_, start_done_, done_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::uint64_t last_logged_decile_ = 0;
};

/// True when the stream behind the file descriptor is a terminal.
bool is_terminal(int fd);

}  // namespace lensforge
