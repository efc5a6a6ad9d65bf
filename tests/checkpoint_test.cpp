// Checkpoints in the reference's layout: the preset's keys against the reference's key lists,
// export -> load giving the seeded weights and the seeded video bit for bit, rank shards equal to
// the shards of a full load, a corpus of bad checkpoints refused naming file and key, the digest,
// and the loader's resident-set growth.
#include "core/io/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/dist/param_shards.h"
#include "core/error.h"
#include "core/io/mapped_file.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_index.h"
#include "core/io/torch_archive.h"
#include "core/io/zip_writer.h"
#include "core/pipeline.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace checkpoint_test {

namespace fs = std::filesystem;
using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes shapes_of(const std::vector<ExpectedTensor>& v) {
  Shapes s;
  for (const auto& e : v) s[e.key] = e.shape;
  return s;
}

using testing::usage_error_of;

PipelineOptions tiny_options(const std::string& dtype) {
  PipelineOptions o;
  o.model = preset("tiny");
  o.precision = Precision::for_name(dtype);
  return o;
}

CheckpointModules modules_of(Pipeline& p) { return {p.dit().get(), p.text_encoder().model().get(), p.vae().get()}; }

// The seeded tiny pipeline in the reference's file dtypes (bf16 DiT and T5, fp32 VAE).
Pipeline& seeded_bf16() {
  static Pipeline p(tiny_options("bf16"));
  return p;
}

constexpr uint64_t kTinyShardBytes = 400000;  // forces the tiny DiT (~1.1 MB in bf16) into several shards

// One export of the seeded tiny weights, shared by the tests that only read it.
const std::string& exported() {
  static const std::string dir = [] {
    const std::string d = testing::make_scratch_dir("checkpoint") + "/ckpt";
    ExportOptions o;
    o.max_shard_bytes = kTinyShardBytes;
    export_checkpoint(d, modules_of(seeded_bf16()), preset("tiny"), o);
    return d;
  }();
  return dir;
}

std::string copy_of_export() {
  const std::string d = testing::make_scratch_dir("checkpoint") + "/ckpt";
  fs::copy(exported(), d, fs::copy_options::recursive);
  return d;
}

GenerateRequest small_request() {
  GenerateRequest r;
  r.geometry.frames = 9;  // 3 latent frames: one chunk, 5 forwards
  return r;
}

// ---------- the preset's keys against the reference's lists (notes §5) ----------

void add_rb(Shapes& s, const std::string& p, int64_t in, int64_t out) {
  s[p + ".residual.0.gamma"] = {in, 1, 1, 1};
  s[p + ".residual.2.weight"] = {out, in, 3, 3, 3};
  s[p + ".residual.2.bias"] = {out};
  s[p + ".residual.3.gamma"] = {out, 1, 1, 1};
  s[p + ".residual.6.weight"] = {out, out, 3, 3, 3};
  s[p + ".residual.6.bias"] = {out};
  if (in != out) {
    s[p + ".shortcut.weight"] = {out, in, 1, 1, 1};
    s[p + ".shortcut.bias"] = {out};
  }
}

void add_att(Shapes& s, const std::string& p, int64_t c) {
  s[p + ".norm.gamma"] = {c, 1, 1};
  s[p + ".to_qkv.weight"] = {3 * c, c, 1, 1};
  s[p + ".to_qkv.bias"] = {3 * c};
  s[p + ".proj.weight"] = {c, c, 1, 1};
  s[p + ".proj.bias"] = {c};
}

void add_conv(Shapes& s, const std::string& p, std::vector<int64_t> w) {
  s[p + ".bias"] = {w[0]};
  s[p + ".weight"] = std::move(w);
}

Shapes reference_vae_keys() {  // notes §5c, Wan2.1_VAE.pth
  Shapes s;
  add_conv(s, "encoder.conv1", {96, 3, 3, 3, 3});
  add_rb(s, "encoder.downsamples.0", 96, 96);
  add_rb(s, "encoder.downsamples.1", 96, 96);
  add_conv(s, "encoder.downsamples.2.resample.1", {96, 96, 3, 3});
  add_rb(s, "encoder.downsamples.3", 96, 192);
  add_rb(s, "encoder.downsamples.4", 192, 192);
  add_conv(s, "encoder.downsamples.5.resample.1", {192, 192, 3, 3});
  add_conv(s, "encoder.downsamples.5.time_conv", {192, 192, 3, 1, 1});
  add_rb(s, "encoder.downsamples.6", 192, 384);
  add_rb(s, "encoder.downsamples.7", 384, 384);
  add_conv(s, "encoder.downsamples.8.resample.1", {384, 384, 3, 3});
  add_conv(s, "encoder.downsamples.8.time_conv", {384, 384, 3, 1, 1});
  add_rb(s, "encoder.downsamples.9", 384, 384);
  add_rb(s, "encoder.downsamples.10", 384, 384);
  add_rb(s, "encoder.middle.0", 384, 384);
  add_att(s, "encoder.middle.1", 384);
  add_rb(s, "encoder.middle.2", 384, 384);
  s["encoder.head.0.gamma"] = {384, 1, 1, 1};
  add_conv(s, "encoder.head.2", {32, 384, 3, 3, 3});
  add_conv(s, "conv1", {32, 32, 1, 1, 1});
  add_conv(s, "conv2", {16, 16, 1, 1, 1});
  add_conv(s, "decoder.conv1", {384, 16, 3, 3, 3});
  add_rb(s, "decoder.middle.0", 384, 384);
  add_att(s, "decoder.middle.1", 384);
  add_rb(s, "decoder.middle.2", 384, 384);
  for (int i : {0, 1, 2}) add_rb(s, "decoder.upsamples." + std::to_string(i), 384, 384);
  add_conv(s, "decoder.upsamples.3.resample.1", {192, 384, 3, 3});
  add_conv(s, "decoder.upsamples.3.time_conv", {768, 384, 3, 1, 1});
  add_rb(s, "decoder.upsamples.4", 192, 384);
  add_rb(s, "decoder.upsamples.5", 384, 384);
  add_rb(s, "decoder.upsamples.6", 384, 384);
  add_conv(s, "decoder.upsamples.7.resample.1", {192, 384, 3, 3});
  add_conv(s, "decoder.upsamples.7.time_conv", {768, 384, 3, 1, 1});
  for (int i : {8, 9, 10}) add_rb(s, "decoder.upsamples." + std::to_string(i), 192, 192);
  add_conv(s, "decoder.upsamples.11.resample.1", {96, 192, 3, 3});
  for (int i : {12, 13, 14}) add_rb(s, "decoder.upsamples." + std::to_string(i), 96, 96);
  s["decoder.head.0.gamma"] = {96, 1, 1, 1};
  add_conv(s, "decoder.head.2", {3, 96, 3, 3, 3});
  return s;
}

Shapes reference_t5_keys() {  // notes §5b, models_t5_umt5-xxl-enc-bf16.pth
  Shapes s;
  s["token_embedding.weight"] = {256384, 4096};
  for (int i = 0; i < 24; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    s[b + "norm1.weight"] = {4096};
    for (const char* m : {"q", "k", "v", "o"}) s[b + "attn." + m + ".weight"] = {4096, 4096};
    s[b + "norm2.weight"] = {4096};
    s[b + "ffn.gate.0.weight"] = {10240, 4096};
    s[b + "ffn.fc1.weight"] = {10240, 4096};
    s[b + "ffn.fc2.weight"] = {4096, 10240};
    s[b + "pos_embedding.embedding.weight"] = {32, 64};
  }
  s["norm.weight"] = {4096};
  return s;
}

Shapes reference_dit_keys_14b() {  // shared/reference/lingbot-world-fast.md §2, model_fast.py
  const int64_t d = 5120;
  Shapes s;
  add_conv(s, "patch_embedding", {d, 36, 1, 2, 2});
  add_conv(s, "patch_embedding_wancamctrl", {d, 6 * 64 * 4});
  add_conv(s, "c2ws_hidden_states_layer1", {d, d});
  add_conv(s, "c2ws_hidden_states_layer2", {d, d});
  add_conv(s, "text_embedding.0", {d, 4096});
  add_conv(s, "text_embedding.2", {d, d});
  add_conv(s, "time_embedding.0", {d, 256});
  add_conv(s, "time_embedding.2", {d, d});
  add_conv(s, "time_projection.1", {6 * d, d});
  add_conv(s, "head.head", {64, d});
  s["head.modulation"] = {1, 2, d};
  for (int i = 0; i < 40; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    for (const char* attn : {"self_attn.", "cross_attn."}) {
      for (const char* m : {"q", "k", "v", "o"}) add_conv(s, b + attn + m, {d, d});
      s[b + attn + "norm_q.weight"] = {d};
      s[b + attn + "norm_k.weight"] = {d};
    }
    s[b + "norm3.weight"] = {d};
    s[b + "norm3.bias"] = {d};
    add_conv(s, b + "ffn.0", {13824, d});
    add_conv(s, b + "ffn.2", {d, 13824});
    s[b + "modulation"] = {1, 6, d};
    for (const char* m : {"cam_injector_layer1", "cam_injector_layer2", "cam_scale_layer", "cam_shift_layer"}) {
      add_conv(s, b + m, {d, d});
    }
  }
  return s;
}

TEST(CheckpointTest, PresetKeysMatchTheReferenceKeyLists) {
  const CheckpointSpec spec = checkpoint_spec(preset("14b"));
  EXPECT_EQ(shapes_of(spec.vae), reference_vae_keys());
  EXPECT_EQ(shapes_of(spec.t5), reference_t5_keys());
  EXPECT_EQ(shapes_of(spec.dit), reference_dit_keys_14b());
  EXPECT_EQ(spec.dit.size(), 21u + 40u * 35u);
}

TEST(CheckpointTest, SpecOfAPresetEqualsItsBuiltModules) {
  const CheckpointSpec from_config = checkpoint_spec(preset("tiny"));
  const CheckpointSpec from_modules = checkpoint_spec(modules_of(seeded_bf16()));
  EXPECT_EQ(shapes_of(from_config.dit), shapes_of(from_modules.dit));
  EXPECT_EQ(shapes_of(from_config.t5), shapes_of(from_modules.t5));
  EXPECT_EQ(shapes_of(from_config.vae), shapes_of(from_modules.vae));
}

// ---------- export ----------

TEST(CheckpointTest, ExportWritesTheReferenceLayoutAndDtypes) {
  const std::string& dir = exported();
  const std::string folder = dit_folder(dir);
  EXPECT_TRUE(fs::exists(dit_config_path(dir)));
  EXPECT_FALSE(fs::exists(folder + "/diffusion_pytorch_model.safetensors"));
  const auto index = read_safetensors_index(folder + "/diffusion_pytorch_model.safetensors.index.json");
  const auto shards = index.shard_files();
  ASSERT_GE(shards.size(), 2u);
  EXPECT_EQ(shards[0], "diffusion_pytorch_model-00001-of-0000" + std::to_string(shards.size()) + ".safetensors");
  size_t dit_keys = 0;
  for (const auto& s : shards) {
    SafetensorsReader r(folder + "/" + s);
    for (const auto& t : r.tensors()) EXPECT_EQ(t.dtype_name, "BF16") << t.key;
    dit_keys += r.tensors().size();
  }
  EXPECT_EQ(dit_keys, checkpoint_spec(preset("tiny")).dit.size());
  TorchArchiveReader t5(t5_path(dir)), vae(vae_path(dir));
  for (const auto& t : t5.tensors()) EXPECT_EQ(t.dtype, torch::kBFloat16) << t.key;
  for (const auto& t : vae.tensors()) EXPECT_EQ(t.dtype, torch::kFloat) << t.key;
  EXPECT_EQ(t5.archive_name(), "models_t5_umt5-xxl-enc-bf16");
  std::ifstream in(dit_config_path(dir));
  const auto config = nlohmann::json::parse(in);
  const auto& d = preset("tiny").dit;
  EXPECT_EQ(config["model_type"], "i2v");
  EXPECT_EQ(config["control_type"], "cam");
  EXPECT_EQ(config["dim"], d.dim());
  EXPECT_EQ(config["ffn_dim"], d.ffn_dim());
  EXPECT_EQ(config["num_heads"], d.num_heads());
  EXPECT_EQ(config["num_layers"], d.num_layers());
  EXPECT_EQ(config["in_dim"], 36);
  EXPECT_EQ(config["out_dim"], 16);
  EXPECT_EQ(config["freq_dim"], 256);
  EXPECT_EQ(config["text_len"], 512);
  EXPECT_EQ(config["local_attn_size"], -1);
  EXPECT_EQ(config["sink_size"], 0);
  EXPECT_EQ(config["eps"], 1e-6);
  check_checkpoint(dir, preset("tiny"));  // passes
}

TEST(CheckpointTest, ReExportReplacesOldDitFiles) {
  const std::string dir = copy_of_export();
  export_checkpoint(dir, modules_of(seeded_bf16()), preset("tiny"));  // now fits one file
  EXPECT_TRUE(fs::exists(dit_folder(dir) + "/diffusion_pytorch_model.safetensors"));
  EXPECT_FALSE(fs::exists(dit_folder(dir) + "/diffusion_pytorch_model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(dit_folder(dir) + "/diffusion_pytorch_model-00001-of-00003.safetensors"));
  check_checkpoint(dir, preset("tiny"));
}

// ---------- load ----------

TEST(CheckpointTest, LoadedPipelineHasTheSeededBitsAndVideo) {
  PipelineOptions o = tiny_options("bf16");
  o.checkpoint_dir = exported();
  Pipeline loaded(o);
  auto& seeded = seeded_bf16();
  auto compare = [](torch::nn::Module& a, torch::nn::Module& b, const char* what) {
    const auto pa = a.named_parameters(), pb = b.named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_EQ(pa[i].value().scalar_type(), pb[i].value().scalar_type()) << what << " " << pa[i].key();
      EXPECT_TRUE(torch::equal(pa[i].value(), pb[i].value())) << what << " " << pa[i].key();
    }
  };
  compare(*loaded.dit(), *seeded.dit(), "dit");
  compare(*loaded.text_encoder().model(), *seeded.text_encoder().model(), "t5");
  compare(*loaded.vae(), *seeded.vae(), "vae");
  const auto a = seeded.generate(small_request());
  const auto b = loaded.generate(small_request());
  EXPECT_EQ(tensor_md5(video_to_uint8(a.video)), tensor_md5(video_to_uint8(b.video)));
  EXPECT_EQ(hash_chain(a.step_latents), hash_chain(b.step_latents));
}

TEST(CheckpointTest, LoadCastsToTheModulesDtypes) {
  // an fp32 pipeline loads the bf16 DiT and T5 widened (exactly the bf16 values), the VAE as stored
  PipelineOptions o = tiny_options("fp32");
  o.checkpoint_dir = exported();
  Pipeline loaded(o);
  const auto pa = loaded.dit()->named_parameters(), pb = seeded_bf16().dit()->named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].value().scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::equal(pa[i].value(), pb[i].value().to(torch::kFloat))) << pa[i].key();
  }
}

TEST(CheckpointTest, RankShardsEqualTheShardsOfAFullLoad) {
  PipelineOptions o = tiny_options("bf16");
  o.checkpoint_dir = exported();
  Pipeline full(o);
  for (int world : {2, 3}) {
    for (int rank = 0; rank < world; ++rank) {
      const LoadResult r = load_checkpoint(exported(), modules_of(full), {rank, world});
      auto check = [&](torch::nn::Module& m, int64_t blocks, const std::vector<torch::Tensor>& shards,
                       const char* what) {
        const auto units = dist::units_by_block_prefix(m, "blocks", blocks);
        ASSERT_EQ(shards.size(), units.size()) << what;
        for (size_t u = 0; u < units.size(); ++u) {
          std::vector<torch::Tensor> flat;
          for (const auto& p : units[u]) flat.push_back(p.reshape({-1}));
          auto all = torch::cat(flat);
          const int64_t padded = (all.numel() + world - 1) / world * world;
          all = torch::cat({all, torch::zeros({padded - all.numel()}, all.options())});
          const auto expected = all.chunk(world)[rank];  // what ShardedUnit keeps
          EXPECT_EQ(shards[u].scalar_type(), expected.scalar_type());
          EXPECT_TRUE(torch::equal(shards[u], expected)) << what << " unit " << u << " rank " << rank << "/" << world;
        }
      };
      check(*full.dit(), full.dit()->num_layers(), r.dit_shards, "dit");
      check(*full.text_encoder().model(), preset("tiny").t5.num_layers(), r.t5_shards, "t5");
      // only about 1/world of the DiT and T5 bytes are read, plus the whole VAE
      int64_t dit_t5_bytes = 0;
      for (auto* m : {static_cast<torch::nn::Module*>(full.dit().get()),
                      static_cast<torch::nn::Module*>(full.text_encoder().model().get())}) {
        for (const auto& p : m->parameters()) dit_t5_bytes += p.numel() * 2;
      }
      int64_t vae_bytes = 0;
      for (const auto& p : full.vae()->parameters()) vae_bytes += p.numel() * 4;
      EXPECT_LE(r.bytes_read, vae_bytes + dit_t5_bytes / world + 4096);
    }
  }
}

// ---------- bad checkpoints ----------

void rewrite_archive(const std::string& path, const std::function<void(std::vector<NamedTensor>&)>& edit) {
  std::vector<NamedTensor> tensors;
  {
    TorchArchiveReader r(path);
    for (const auto& t : r.tensors()) tensors.push_back({t.key, r.view(t.key).clone()});
  }
  edit(tensors);
  write_torch_archive(path, tensors);
}

// The shard holding `key`, rewritten with `edit` applied to its tensors.
std::string rewrite_dit_shard(const std::string& dir, const std::string& key,
                              const std::function<void(std::vector<NamedTensor>&)>& edit) {
  const std::string folder = dit_folder(dir);
  const auto index = read_safetensors_index(folder + "/diffusion_pytorch_model.safetensors.index.json");
  const std::string path = folder + "/" + index.weight_map.at(key);
  std::vector<NamedTensor> tensors;
  {
    SafetensorsReader r(path);
    for (const auto& t : r.tensors()) tensors.push_back({t.key, r.view(t).clone()});
  }
  edit(tensors);
  write_safetensors(path, tensors);
  return path;
}

void expect_contains(const std::string& text, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(text.find(p), std::string::npos) << "'" << p << "' not in:\n" << text;
}

TEST(CheckpointTest, MissingKeyIsNamedWithItsFile) {
  const std::string dir = copy_of_export();
  rewrite_archive(vae_path(dir), [](std::vector<NamedTensor>& t) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const NamedTensor& x) { return x.name == "decoder.head.2.bias"; }),
            t.end());
  });
  expect_contains(usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }),
                  {vae_path(dir) + ": 1 missing key: 'decoder.head.2.bias' [3]"});
}

TEST(CheckpointTest, UnexpectedKeysAreListedAndCapped) {
  const std::string dir = copy_of_export();
  rewrite_archive(t5_path(dir), [](std::vector<NamedTensor>& t) {
    for (int i = 0; i < 12; ++i) t.push_back({"extra." + std::to_string(i), torch::zeros({1}, torch::kBFloat16)});
  });
  expect_contains(usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }),
                  {t5_path(dir) + ": 12 unexpected keys: 'extra.0' [1], 'extra.1' [1]", "... (2 more)"});
}

TEST(CheckpointTest, WrongShapeNamesShardKeyAndBothShapes) {
  const std::string dir = copy_of_export();
  const std::string key = "blocks.1.ffn.0.weight";
  const std::string shard = rewrite_dit_shard(dir, key, [&](std::vector<NamedTensor>& t) {
    for (auto& x : t) {
      if (x.name == key) x.tensor = torch::zeros({128, 32}, torch::kBFloat16);
    }
  });
  expect_contains(
      usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }),
      {"does not match preset 'tiny'", shard + ": key '" + key + "': expected shape [128, 64], found [128, 32]"});
}

TEST(CheckpointTest, IntegerWeightsAreRefused) {
  const std::string dir = copy_of_export();
  rewrite_archive(t5_path(dir), [](std::vector<NamedTensor>& t) {
    for (auto& x : t) {
      if (x.name == "norm.weight") x.tensor = torch::ones(x.tensor.sizes(), torch::kLong);
    }
  });
  expect_contains(usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }),
                  {t5_path(dir) + ": key 'norm.weight': dtype torch.LongStorage (Long) is not a floating dtype"});
}

TEST(CheckpointTest, TruncatedFilesAreNamed) {
  const std::string dir = copy_of_export();
  fs::resize_file(vae_path(dir), fs::file_size(vae_path(dir)) / 2);
  expect_contains(usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }), {vae_path(dir) + ": ", "truncated"});
  const std::string dir2 = copy_of_export();
  const std::string folder = dit_folder(dir2);
  const std::string shard =
      folder + "/" + read_safetensors_index(folder + "/diffusion_pytorch_model.safetensors.index.json").shard_files()[1];
  fs::resize_file(shard, fs::file_size(shard) - 100);
  expect_contains(usage_error_of([&] { check_checkpoint(dir2, preset("tiny")); }), {shard + ": key '", "truncated"});
}

TEST(CheckpointTest, PickleWithoutTensorsIsNamed) {
  const std::string dir = copy_of_export();
  {
    ZipWriter z(t5_path(dir));
    const std::string pkl(
        "\x80\x02}q\x00(X\x04\x00\x00\x00"
        "stepK\x07u.",
        19);  // {"step": 7}
    z.add("archive/data.pkl", pkl.data(), pkl.size());
    z.add("archive/version", "3\n", 2);
    z.finish();
  }
  expect_contains(usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }),
                  {t5_path(dir) + ": the pickle holds no tensors"});
}

TEST(CheckpointTest, IndexNamingAMissingShardIsNamed) {
  const std::string dir = copy_of_export();
  const std::string folder = dit_folder(dir);
  const std::string index = folder + "/diffusion_pytorch_model.safetensors.index.json";
  const std::string shard = read_safetensors_index(index).shard_files()[1];
  fs::remove(folder + "/" + shard);
  expect_contains(usage_error_of([&] { check_checkpoint(dir, preset("tiny")); }),
                  {index + ": names the shard '" + shard + "' (for key '", folder + "/" + shard + " does not exist"});
}

TEST(CheckpointTest, MissingFilesAreAllListed) {
  const std::string dir = copy_of_export();
  fs::remove(t5_path(dir));
  fs::remove(vae_path(dir));
  const auto e = usage_error_of([&] { check_checkpoint(dir, preset("tiny")); });
  expect_contains(e, {"lacks 2 file(s)", t5_path(dir), vae_path(dir)});
  expect_contains(usage_error_of([&] { check_checkpoint(dir + "/nope", preset("tiny")); }), {"does not exist"});
}

TEST(CheckpointTest, ConfigOfAnotherPresetIsRefused) {
  expect_contains(usage_error_of([&] { check_checkpoint(exported(), preset("1.3b")); }),
                  {dit_config_path(exported()) + ": field 'dim' is 64; preset '1.3b' expects 1536"});
}

TEST(CheckpointTest, PipelineChecksBeforeBuilding) {
  const std::string dir = copy_of_export();
  fs::remove(vae_path(dir));
  PipelineOptions o = tiny_options("fp32");
  o.checkpoint_dir = dir;
  expect_contains(usage_error_of([&] { Pipeline p(o); }), {"lacks 1 file(s)", vae_path(dir)});
}

// ---------- digest ----------

TEST(CheckpointTest, HashIsStableAndSeesHeadersAndEnds) {
  const std::string h = checkpoint_hash(exported());
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(checkpoint_hash(exported()), h);
  const std::string dir = copy_of_export();
  EXPECT_EQ(checkpoint_hash(dir), h) << "relative names: the folder's location does not count";
  {  // one byte of the VAE's last tensor record, which lies in the file's last MiB
    const TorchArchiveReader vae(vae_path(dir));
    const auto& entries = vae.zip().entries();
    const ZipEntry last_tensor = entries[entries.size() - 2];  // the version record comes last
    ASSERT_EQ(last_tensor.name.find("Wan2.1_VAE/data/"), 0u);
    std::fstream f(vae_path(dir), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(last_tensor.data_offset));
    f.put('\x42');
  }
  EXPECT_NE(checkpoint_hash(dir), h);
  const std::string other = copy_of_export();
  rewrite_archive(t5_path(other), [](std::vector<NamedTensor>& t) { std::reverse(t.begin(), t.end()); });
  EXPECT_NE(checkpoint_hash(other), h) << "the pickle (key order) is covered";
  fs::remove(t5_path(other));
  expect_contains(usage_error_of([&] { checkpoint_hash(other); }), {t5_path(other) + " does not exist"});
}

// ---------- memory ----------

TEST(CheckpointTest, LoadingKeepsAboutOneTensorOfTheFileResident) {
  if (!reset_peak_rss()) GTEST_SKIP() << "this kernel does not allow resetting the peak RSS";
  // a T5 of 6 blocks at width 512: a 36 MB bf16 file of ~2 MB tensors; DiT and VAE tiny
  ModelConfig c = preset("tiny");
  c.t5.dim(512).dim_attn(512).dim_ffn(1024).num_heads(8).num_layers(6);
  c.dit.text_dim(512);
  torch::NoGradGuard no_grad;
  dit::WanModel dit(c.dit, -1, 0);
  text::T5Encoder t5(c.t5);
  vae::WanVae vae(c.vae);
  for (auto* m : {static_cast<torch::nn::Module*>(dit.get()), static_cast<torch::nn::Module*>(t5.get()),
                  static_cast<torch::nn::Module*>(vae.get())}) {
    for (auto& p : m->parameters()) p.fill_(0.25);  // touched: part of the base, not of the load
  }
  const std::string dir = testing::make_scratch_dir("checkpoint") + "/rss";
  export_checkpoint(dir, {dit.get(), t5.get(), vae.get()}, c);
  const int64_t file = static_cast<int64_t>(fs::file_size(t5_path(dir)));
  ASSERT_GT(file, 30 << 20);
  const int64_t base = current_rss_bytes();
  ASSERT_TRUE(reset_peak_rss());
  const LoadResult r = load_checkpoint(dir, {dit.get(), t5.get(), vae.get()});
  const int64_t growth = peak_rss_bytes() - base;
  EXPECT_GT(r.bytes_read, file - (1 << 20));
  // without handing pages back the growth would be the whole file; with it, about one tensor (4 MB)
  EXPECT_LT(growth, file / 3) << "peak RSS grew by " << growth << " bytes loading a " << file << "-byte file";
  EXPECT_EQ(t5->blocks[0]->as<text::T5SelfAttentionImpl>()->ffn->fc1->weight[0][0].item<float>(), 0.25f);
  fs::remove_all(dir);
}

}  // namespace checkpoint_test
}  // namespace ablate::io
