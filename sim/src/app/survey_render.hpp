#pragma once
// `lensforge-sim render --survey` (internal to sim/src/app; see SurveyRenderArgs).
#include <iosfwd>

#include "lensforge/sim/app/render_command.hpp"

namespace lensforge::app {

/// Observes the scene of `args` through `survey` and writes the FITS file and preview. Returns an
/// ExitStatus; writes nothing unless the scene and every argument are valid.
int run_survey_render(const RenderCommandArgs& args, const SurveyRenderArgs& survey, std::ostream& out,
                      std::ostream& err);

}  // namespace lensforge::app
