#include <gtest/gtest.h>

#include <sstream>

#include "lensforge/sim/app/progress.hpp"

using lensforge::Progress;

TEST(Progress, LogLinesAtEachTenthThenASummary) {
  std::ostringstream out;
  Progress p(out, "generating", 100, 0, false);
  for (int k = 1; k <= 100; ++k) p.update(k);
  p.finish();
  const std::string s = out.str();
  int lines = 0;
  for (char c : s) lines += c == '\n';
  EXPECT_EQ(lines, 11) << s;  // 10%, 20%, ..., 100%, and the summary
  EXPECT_NE(s.find("generating: 50/100 (50%)"), std::string::npos) << s;
  EXPECT_NE(s.find("generating: 100 of 100 done in"), std::string::npos) << s;
  EXPECT_EQ(s.find('\r'), std::string::npos);
}

TEST(Progress, ResumedRunsCountFromWhereTheyStarted) {
  std::ostringstream out;
  Progress p(out, "generating", 10, 6, false);
  p.update(10);
  p.finish();
  EXPECT_NE(out.str().find("10 of 10 done"), std::string::npos) << out.str();
}

TEST(Progress, TerminalBarRedrawsInPlace) {
  std::ostringstream out;
  Progress p(out, "gen", 4, 0, true);
  p.update(2);
  p.finish();
  EXPECT_NE(out.str().find('\r'), std::string::npos);
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(Progress, DurationsReadNaturally) {
  EXPECT_EQ(Progress::format_duration(1.24), "1.2 s");
  EXPECT_EQ(Progress::format_duration(184), "3 min 4 s");
  EXPECT_EQ(Progress::format_duration(7500), "2 h 5 min");
}
