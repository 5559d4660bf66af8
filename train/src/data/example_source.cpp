#include "lensforge/train/data/example_source.hpp"

namespace lensforge::train {

std::vector<double> ExampleSource::labels(std::int64_t index) const { return get(index).values; }

}  // namespace lensforge::train
