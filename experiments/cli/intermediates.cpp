#include "experiments/cli/intermediates.h"

#include "core/io/npy.h"

namespace ablate {

std::string noise_file(const std::string& dir, const NoiseDraw& draw) {
  if (draw.chunk < 0) return dir + "/noise_initial.npy";
  return dir + "/noise_c" + std::to_string(draw.chunk) + "_s" + std::to_string(draw.step) + ".npy";
}

NoiseSource noise_from_folder(const std::string& dir) {
  return [dir](const NoiseDraw& draw) {
    std::string shape_text = "[";
    for (size_t i = 0; i < draw.shape.size(); ++i) shape_text += (i ? ", " : "") + std::to_string(draw.shape[i]);
    shape_text += "]";
    return io::read_npy(noise_file(dir, draw), io::NpyExpect{"a noise draw (--noise)", {torch::kFloat}, draw.shape, shape_text});
  };
}

TensorObserver dump_to_folder(const std::string& dir) {
  return [dir](const std::string& name, const torch::Tensor& value) {
    io::write_npy(dir + "/" + name + ".npy", value.detach().to(torch::kCPU).to(torch::kFloat).contiguous());
  };
}

}  // namespace ablate
