#include "experiments/cli/export_command.h"

#include <iostream>

#include "core/config.h"
#include "core/io/checkpoint.h"
#include "core/pipeline.h"
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
  cmd->footer("Example:\n  ablate export-checkpoint --preset tiny --out ckpt\n"
              "  ablate generate --preset tiny --dtype bf16 --checkpoint-dir ckpt   # the seeded bf16 run's MD5");
  return cmd;
}

int run_export_command(const ExportCommandOptions& o) {
  PipelineOptions popts;
  popts.model = preset(o.preset);  // UsageError naming the valid presets
  prepare_output_folder(o.out, "--out");
  popts.precision = Precision::for_name("bf16");  // the reference's files: T5 and DiT bf16 (the VAE stays fp32)
  popts.weight_seed = static_cast<uint64_t>(o.weight_seed);
  std::cout << "ablate export-checkpoint: building the seeded " << o.preset << " weights (bf16 DiT and T5, fp32 VAE)\n";
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
