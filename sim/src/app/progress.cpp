#include "lensforge/sim/app/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

namespace lensforge {

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

Progress::Progress(std::ostream& out, std::string label, std::uint64_t total, std::uint64_t done, bool interactive)
    : out_(out),
      label_(std::move(label)),
      total_(total),
      start_done_(done),
      done_(done),
      interactive_(interactive),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string Progress::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.1f} s", s);
  const auto t = static_cast<std::uint64_t>(s + 0.5);
  if (t < 3600) return fmt::format("{} min {} s", t / 60, t % 60);
  return fmt::format("{} h {} min", t / 3600, (t % 3600) / 60);
}

void Progress::update(std::uint64_t done) {
  done_ = std::max(done_, std::min(done, total_));
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (interactive_) {
    if (since >= 0.2) draw(false);
  } else {
    const std::uint64_t decile = total_ ? done_ * 10 / total_ : 10;
    if (decile > last_logged_decile_ || since >= 30.0) {
      last_logged_decile_ = decile;
      draw(false);
    }
  }
}

void Progress::finish() { draw(true); }

void Progress::draw(bool final) {
  const auto now = std::chrono::steady_clock::now();
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? double(done_ - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done_) / rate : NAN;
  const double frac = total_ ? double(done_) / double(total_) : 1.0;
  std::string line;
  if (final) {
    line = fmt::format("{}: {} of {} done in {} ({:.1f}/s)", label_, done_, total_, format_duration(elapsed), rate);
  } else if (interactive_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    line = fmt::format("{} [{}{}] {:5.1f}%  {}/{}  {:.1f}/s  ETA {}", label_, std::string(filled, '#'),
                       std::string(kWidth - filled, '.'), 100.0 * frac, done_, total_, rate, format_duration(eta));
  } else {
    line = fmt::format("{}: {}/{} ({:.0f}%), {:.1f}/s, ETA {}", label_, done_, total_, 100.0 * frac, rate,
                       format_duration(eta));
  }
  if (interactive_)
    out_ << '\r' << line << "\033[K" << (final ? "\n" : "") << std::flush;
  else
    out_ << line << '\n' << std::flush;
}

}  // namespace lensforge
