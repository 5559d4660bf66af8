#pragma once
// Renderer: Scene + RenderOptions -> noiseless images (flux per pixel, float32).
// Grid -> trace -> light -> bin -> PSF, in row blocks that run in parallel with TBB.
#include <memory>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/render/scene.hpp"

namespace lensforge {

struct RenderedImages {
  ImageF lens_light;            ///< deflector light (PSF-convolved if a PSF is set)
  std::vector<ImageF> sources;  ///< each lensed source on its own
  ImageF source;                ///< sum of the lensed sources
  ImageF total;                 ///< lens_light + source
};

class Renderer {
 public:
  /// Validates the scene and options (throws ConfigError) and prepares the tracer.
  Renderer(Scene scene, RenderOptions options);
  ~Renderer();
  Renderer(Renderer&&) noexcept;
  Renderer& operator=(Renderer&&) noexcept;

  /// Renders every component. Thread-safe; runs its rows in parallel within the calling TBB arena.
  RenderedImages render() const;

  const Scene& scene() const;
  const RenderOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One-shot convenience.
RenderedImages render(const Scene& scene, const RenderOptions& options);

}  // namespace lensforge
