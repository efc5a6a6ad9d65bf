#include "experiments/common/output_folder.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace ablate {
namespace fs = std::filesystem;

void prepare_output_folder(const std::string& dir, const std::string& flag) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  ABLATE_USAGE_CHECK(!ec && fs::is_directory(dir), flag, " ", dir, ": cannot create the folder (",
                     ec ? ec.message() : "not a directory", ")");
  const fs::path probe = fs::path(dir) / (".ablate-write-probe-" + std::to_string(::getpid()));
  std::ofstream f(probe);
  ABLATE_USAGE_CHECK(f.good(), flag, " ", dir, ": the folder is not writable");
  f.close();
  fs::remove(probe);
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    TORCH_CHECK(f.good(), "cannot write ", tmp);
    f << content;
    TORCH_CHECK(f.good(), "write to ", tmp, " failed");
  }
  fs::rename(tmp, path);
}

}  // namespace ablate
