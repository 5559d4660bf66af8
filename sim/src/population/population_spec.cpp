#include "lensforge/sim/population/population_spec.hpp"

namespace lensforge {

const char* class_name(SampleClass c) {
  switch (c) {
    case SampleClass::LENS: return "lens";
    case SampleClass::COMPOUND_ARC: return "compound_arc";
    case SampleClass::DOUBLE_RING: return "double_ring";
    case SampleClass::NONLENS_GALAXY: return "nonlens_galaxy";
    case SampleClass::NONLENS_BACKGROUND: return "nonlens_background";
    case SampleClass::SPIRAL: return "spiral";
    case SampleClass::RING_GALAXY: return "ring_galaxy";
    case SampleClass::MERGER: return "merger";
    case SampleClass::COMPANION: return "companion";
    case SampleClass::EDGE_ON: return "edge_on";
    case SampleClass::HYBRID_LENS: return "hybrid_lens";
    case SampleClass::HYBRID_NONLENS: return "hybrid_nonlens";
    case SampleClass::REAL_CONTAMINANT: return "real_contaminant";
  }
  return "?";
}

const std::vector<SampleClass>& all_classes() {
  static const std::vector<SampleClass> all = {
      SampleClass::LENS,   SampleClass::COMPOUND_ARC, SampleClass::DOUBLE_RING, SampleClass::NONLENS_GALAXY,
      SampleClass::NONLENS_BACKGROUND, SampleClass::SPIRAL, SampleClass::RING_GALAXY, SampleClass::MERGER,
      SampleClass::COMPANION, SampleClass::EDGE_ON, SampleClass::HYBRID_LENS, SampleClass::HYBRID_NONLENS,
      SampleClass::REAL_CONTAMINANT};
  return all;
}

bool is_lens_class(SampleClass c) {
  return c == SampleClass::LENS || c == SampleClass::COMPOUND_ARC || c == SampleClass::DOUBLE_RING ||
         c == SampleClass::HYBRID_LENS;
}

}  // namespace lensforge
