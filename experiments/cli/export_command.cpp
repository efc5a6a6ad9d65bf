#include "experiments/cli/export_command.h"

#include <iostream>

#include "core/config.h"
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/pipeline.h"
#include "core/seeded_init.h"
#include "experiments/cli/pipeline_setup.h"
#include "experiments/common/operation_context.h"
#include "experiments/common/output_folder.h"

namespace ablate {

CLI::App* add_export_command(CLI::App& app, ExportCommandOptions& o) {
  auto* cmd = app.add_subcommand("export-checkpoint",
                                 "Write a preset's seeded weights in the reference's checkpoint layout and dtypes.");
  cmd->add_option("--preset", o.preset, "tiny, 1.3b or 14b")->capture_default_str();
  cmd->add_option("--out", o.out, "Checkpoint folder to write")->required();
  cmd->add_option("--weight-seed", o.weight_seed, "Seed of the synthetic weights")
      ->capture_default_str()
      ->check(integer_in(0, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--max-shard-bytes", o.max_shard_bytes, "Largest DiT .safetensors shard (bytes)")
      ->capture_default_str()
      ->check(integer_in(1, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--seed-device", o.seed_device,
                  "Where the seeded values are computed (the same bits everywhere): auto (a GPU when there is one), cpu, cuda")
      ->capture_default_str();
  cmd->footer("Example:\n  ablate export-checkpoint --preset tiny --out ckpt\n"
              "  ablate generate --preset tiny --dtype bf16 --checkpoint-dir ckpt   # the seeded bf16 run's MD5");
  return cmd;
}

namespace {

// --seed-device: the weights live in host memory either way; a GPU only computes their values
torch::Device seed_device(const std::string& name) {
  ABLATE_USAGE_CHECK(name == "auto" || name == "cpu" || name == "cuda", "--seed-device: unknown device '", name,
                     "'; valid values: auto, cpu, cuda");
  const bool gpu = torch::cuda::is_available();
  ABLATE_USAGE_CHECK(name != "cuda" || gpu, "--seed-device cuda: this machine has no CUDA device (use auto or cpu)");
  return (name == "cuda" || (name == "auto" && gpu)) ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

}  // namespace

int run_export_command(const ExportCommandOptions& o) {
  PipelineOptions popts;
  popts.model = preset(o.preset);  // UsageError naming the valid presets
  const torch::Device seed_on = seed_device(o.seed_device);
  const SeedDeviceScope seeding(seed_on);
  prepare_output_folder(o.out, "--out");
  popts.precision = Precision::for_name("bf16");  // the reference's files: T5 and DiT bf16 (the VAE stays fp32)
  popts.weight_seed = static_cast<uint64_t>(o.weight_seed);
  std::cout << "ablate export-checkpoint: building the seeded " << o.preset << " weights (bf16 DiT and T5, fp32 VAE; values computed on "
            << seed_on.str() << ")\n";
  OperationScope building("building the seeded " + o.preset + " weights");
  Pipeline p(popts);
  io::ExportOptions eo;
  eo.max_shard_bytes = static_cast<uint64_t>(o.max_shard_bytes);
  OperationScope writing("writing the checkpoint to " + o.out);
  io::export_checkpoint(o.out, {p.dit().get(), p.text_encoder().model().get(), p.vae().get()}, popts.model, eo);
  std::cout << "wrote " << o.out << " (checkpoint hash " << io::checkpoint_hash(o.out) << ")\n";
  return 0;
}

}  // namespace ablate
