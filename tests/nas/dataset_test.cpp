#include "hwnas/nas/dataset.h"

#include <gtest/gtest.h>

#include "support/errors.h"
#include <zlib.h>

#include <filesystem>

#include "hwnas/core/error.h"
#include "support/cli.h"

using namespace hwnas;
using hwnas::test::error_of;

namespace {
void write_gz(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, data.data(), static_cast<unsigned>(data.size()));
  gzclose(f);
}
std::string be32(std::uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 255), char((v >> 8) & 255), char(v & 255)};
}
}  // namespace

TEST(Dataset, ReadsIdxThroughZlib) {
  const std::string dir = test::scratch_dir();
  std::string img = be32(0x803) + be32(3) + be32(2) + be32(2);
  for (int i = 0; i < 12; ++i) img += char(i * 20);
  write_gz(dir + "/i.gz", img);
  write_gz(dir + "/l.gz", be32(0x801) + be32(3) + std::string{char(1), char(9), char(0)});
  ImageSet s = read_idx_images_and_labels(dir + "/i.gz", dir + "/l.gz");
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.c, 1);
  EXPECT_EQ(s.h, 2);
  EXPECT_EQ(s.labels, (std::vector<int>{1, 9, 0}));
  EXPECT_FLOAT_EQ(s.pixels[5], 100.0f / 255.0f);
}

TEST(Dataset, CorruptFilesNameTheFileAndProblem) {
  const std::string dir = test::scratch_dir();
  write_gz(dir + "/i.gz", be32(0x803) + be32(3) + be32(2) + be32(2) + "abc");
  write_gz(dir + "/l.gz", be32(0x801) + be32(3) + std::string{char(1), char(9), char(0)});
  EXPECT_EQ(error_of([&] { read_idx_images_and_labels(dir + "/i.gz", dir + "/l.gz"); }),
            dir + "/i.gz: truncated or corrupt (header says 3 images of 2x2, file has 19 bytes)");
  write_gz(dir + "/bad.gz", "hello world, not idx");
  EXPECT_EQ(error_of([&] { read_idx_images_and_labels(dir + "/bad.gz", dir + "/l.gz"); }),
            dir + "/bad.gz: not an IDX image file (expected magic 0x00000803)");
  EXPECT_EQ(error_of([&] { read_idx_images_and_labels(dir + "/missing.gz", dir + "/l.gz"); }),
            dir + "/missing.gz: file not found");
  // A gzip stream cut short.
  const std::string full = test::read_text(dir + "/l.gz");
  test::write_text(dir + "/cut.gz", full.substr(0, full.size() - 6));
  EXPECT_NE(error_of([&] { read_maybe_gzip(dir + "/cut.gz"); }).find(dir + "/cut.gz: corrupt gzip data"), std::string::npos);
}

TEST(Dataset, Cifar10BinaryFormat) {
  const std::string dir = test::scratch_dir();
  std::string batch;
  for (int r = 0; r < 4; ++r) {
    batch += char(r % 10);
    batch += std::string(3072, char(r * 10));
  }
  test::write_text(dir + "/data_batch_1.bin", batch);
  DatasetOptions o;
  o.name = "cifar10";
  o.dir = dir;
  o.validation_fraction = 0.25;
  o.normalize = false;
  DataSplit d = load_dataset(o);
  EXPECT_EQ(d.train.n + d.validation.n, 4);
  EXPECT_EQ(d.validation.n, 1);
  EXPECT_EQ(d.train.c, 3);
  test::write_text(dir + "/data_batch_2.bin", batch.substr(0, 100));
  EXPECT_EQ(error_of([&] { load_dataset(o); }),
            dir + "/data_batch_2.bin: not a CIFAR-10 binary batch (size 100 is not a multiple of 3073 bytes)");
  o.dir = dir + "/none";
  EXPECT_EQ(error_of([&] { load_dataset(o); }), dir + "/none: no data_batch_*.bin files (CIFAR-10 binary format)");
}

TEST(Dataset, FashionMnistFromTheDebianPackage) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  DatasetOptions o;
  o.train_files = false;
  o.subset = 1000;
  o.seed = 3;
  DataSplit a = load_dataset(o), b = load_dataset(o);
  EXPECT_EQ(a.train.n, 800);
  EXPECT_EQ(a.validation.n, 200);
  EXPECT_EQ(a.train.h, 28);
  EXPECT_EQ(a.train.labels, b.train.labels);  // same seed, same split
  double mean = 0;
  for (float p : a.train.pixels) mean += p;
  EXPECT_NEAR(mean / a.train.pixels.size(), 0.0, 0.1);  // normalized
}

TEST(Dataset, OptionErrors) {
  EXPECT_EQ(error_of([] { DatasetOptions::from_json({{"name", "mnist"}}, "objectives[0].source.train.dataset"); }),
            "objectives[0].source.train.dataset.name: expected \"fashion-mnist\", \"cifar10\" or \"synthetic\", got \"mnist\"");
  EXPECT_EQ(error_of([] { DatasetOptions::from_json({{"name", "cifar10"}}, "d"); }),
            "d.dir: cifar10 needs the folder holding data_batch_*.bin");
}
