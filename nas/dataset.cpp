#include "hwnas/nas/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/rng.h"

namespace hwnas {

namespace {
const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

std::uint32_t be32(const std::string& s, std::size_t off) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[off])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 3]));
}

void normalize_channels(ImageSet& s) {
  const std::size_t plane = static_cast<std::size_t>(s.h) * s.w;
  for (int c = 0; c < s.c; ++c) {
    double sum = 0, sum2 = 0;
    for (int i = 0; i < s.n; ++i) {
      const float* p = s.pixels.data() + (static_cast<std::size_t>(i) * s.c + c) * plane;
      for (std::size_t k = 0; k < plane; ++k) sum += p[k], sum2 += static_cast<double>(p[k]) * p[k];
    }
    const double count = static_cast<double>(s.n) * plane;
    const double mean = sum / count;
    const double sd = std::sqrt(std::max(1e-12, sum2 / count - mean * mean));
    for (int i = 0; i < s.n; ++i) {
      float* p = s.pixels.data() + (static_cast<std::size_t>(i) * s.c + c) * plane;
      for (std::size_t k = 0; k < plane; ++k) p[k] = static_cast<float>((p[k] - mean) / sd);
    }
  }
}

ImageSet select(const ImageSet& s, const std::vector<int>& idx) {
  ImageSet out;
  out.n = static_cast<int>(idx.size());
  out.c = s.c, out.h = s.h, out.w = s.w, out.num_classes = s.num_classes;
  const std::size_t img = static_cast<std::size_t>(s.c) * s.h * s.w;
  out.pixels.resize(img * idx.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    std::copy_n(s.pixels.data() + idx[i] * img, img, out.pixels.data() + i * img);
    out.labels.push_back(s.labels[idx[i]]);
  }
  return out;
}
}  // namespace

void DatasetOptions::check(const std::string& path) const {
  if (name == "cifar10" && dir.empty()) throw UserError(path + ".dir: cifar10 needs the folder holding data_batch_*.bin");
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
    throw UserError(path + ".validation_fraction: expected a number in [0, 1)");
}

void DatasetOptions::validate(const std::string& path) const { validate_options(*this, path); }
DatasetOptions DatasetOptions::from_json(const nlohmann::json& j, const std::string& path) {
  return read_options<DatasetOptions>(j, path);
}

nlohmann::json DatasetOptions::to_json() const { return write_options(*this); }

std::string read_maybe_gzip(const std::string& path) {
  if (!std::filesystem::exists(path)) throw UserError(path + ": file not found");
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged too
  if (!f) throw UserError(path + ": cannot open file");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string why = err != Z_OK && err != Z_STREAM_END ? msg : "";
  gzclose(f);
  if (n < 0 || !why.empty()) throw UserError(path + ": corrupt gzip data (" + why + ")");
  return out;
}

ImageSet read_idx_images_and_labels(const std::string& images_gz, const std::string& labels_gz) {
  return parse_idx_images_and_labels(read_maybe_gzip(images_gz), read_maybe_gzip(labels_gz), images_gz, labels_gz);
}

ImageSet parse_idx_images_and_labels(const std::string& img, const std::string& lab, const std::string& images_gz,
                                     const std::string& labels_gz) {
  if (img.size() < 16 || be32(img, 0) != 0x00000803)
    throw UserError(images_gz + ": not an IDX image file (expected magic 0x00000803)");
  if (lab.size() < 8 || be32(lab, 0) != 0x00000801)
    throw UserError(labels_gz + ": not an IDX label file (expected magic 0x00000801)");
  ImageSet s;
  s.n = static_cast<int>(be32(img, 4));
  s.h = static_cast<int>(be32(img, 8));
  s.w = static_cast<int>(be32(img, 12));
  s.c = 1;
  // The header's sizes are untrusted: compare by division so that no product can overflow.
  const std::size_t body = img.size() - 16;
  const bool sizes_fit = s.n > 0 && s.h > 0 && s.w > 0 && static_cast<std::size_t>(s.h) <= body &&
                         static_cast<std::size_t>(s.w) <= body / static_cast<std::size_t>(s.h) &&
                         body / (static_cast<std::size_t>(s.h) * s.w) == static_cast<std::size_t>(s.n) &&
                         body % (static_cast<std::size_t>(s.h) * s.w) == 0;
  const std::size_t plane = sizes_fit ? static_cast<std::size_t>(s.h) * s.w : 0;
  if (!sizes_fit)
    throw UserError(images_gz + ": truncated or corrupt (header says " + std::to_string(s.n) + " images of " +
                    std::to_string(s.h) + "x" + std::to_string(s.w) + ", file has " + std::to_string(img.size()) + " bytes)");
  if (be32(lab, 4) != static_cast<std::uint32_t>(s.n) || lab.size() != 8 + static_cast<std::size_t>(s.n))
    throw UserError(labels_gz + ": holds " + std::to_string(be32(lab, 4)) + " labels for " + std::to_string(s.n) + " images");
  s.pixels.resize(s.n * plane);
  for (std::size_t i = 0; i < s.pixels.size(); ++i) s.pixels[i] = static_cast<unsigned char>(img[16 + i]) / 255.0f;
  for (int i = 0; i < s.n; ++i) {
    const int l = static_cast<unsigned char>(lab[8 + i]);
    if (l > 9) throw UserError(labels_gz + ": label " + std::to_string(l) + " of image " + std::to_string(i) + " is not in 0..9");
    s.labels.push_back(l);
  }
  s.num_classes = 10;
  return s;
}

ImageSet read_cifar10_batches(const std::vector<std::string>& files) {
  ImageSet s;
  for (const auto& path : files) append_cifar10_batch(read_maybe_gzip(path), path, s);
  if (s.n == 0) throw UserError("cifar10: no data files");
  return s;
}

void append_cifar10_batch(const std::string& data, const std::string& path, ImageSet& s) {
  constexpr std::size_t kRecord = 1 + 3072;
  s.c = 3, s.h = 32, s.w = 32, s.num_classes = 10;
  if (data.empty() || data.size() % kRecord != 0)
    throw UserError(path + ": not a CIFAR-10 binary batch (size " + std::to_string(data.size()) +
                    " is not a multiple of 3073 bytes)");
  for (std::size_t off = 0; off < data.size(); off += kRecord) {
    const int l = static_cast<unsigned char>(data[off]);
    if (l > 9)
      throw UserError(path + ": record " + std::to_string(off / kRecord) + " has label " + std::to_string(l) +
                      ", expected 0..9");
    s.labels.push_back(l);
    for (std::size_t k = 1; k < kRecord; ++k) s.pixels.push_back(static_cast<unsigned char>(data[off + k]) / 255.0f);
    ++s.n;
  }
}

ImageSet make_synthetic(int n, int classes, int channels, int resolution, std::uint64_t seed) {
  Rng rng(seed);
  ImageSet s;
  s.n = n, s.c = channels, s.h = s.w = resolution, s.num_classes = classes;
  const std::size_t img = static_cast<std::size_t>(channels) * resolution * resolution;
  // Each class has its own mean image, so the set is learnable.
  std::vector<float> means(classes * img);
  for (auto& m : means) m = static_cast<float>(rng.normal());
  s.pixels.resize(n * img);
  for (int i = 0; i < n; ++i) {
    const int l = static_cast<int>(rng.uniform_index(classes));
    s.labels.push_back(l);
    for (std::size_t k = 0; k < img; ++k) s.pixels[i * img + k] = means[l * img + k] + static_cast<float>(rng.normal());
  }
  return s;
}

DataSplit load_dataset(const DatasetOptions& opts) {
  opts.validate();
  ImageSet all;
  if (opts.name == "fashion-mnist") {
    const std::string dir = opts.dir.empty() ? kFashionDir : opts.dir;
    const std::string prefix = dir + "/" + (opts.train_files ? "train" : "t10k");
    all = read_idx_images_and_labels(prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz");
  } else if (opts.name == "cifar10") {
    std::vector<std::string> files;
    if (opts.train_files) {
      for (int i = 1; i <= 5; ++i) {
        const std::string f = opts.dir + "/data_batch_" + std::to_string(i) + ".bin";
        if (std::filesystem::exists(f)) files.push_back(f);
      }
      if (files.empty()) throw UserError(opts.dir + ": no data_batch_*.bin files (CIFAR-10 binary format)");
    } else {
      files.push_back(opts.dir + "/test_batch.bin");
    }
    all = read_cifar10_batches(files);
  } else {
    all = make_synthetic(opts.synthetic_size, opts.synthetic_classes, opts.synthetic_channels, opts.synthetic_resolution,
                         opts.seed ^ 0x5eed);
  }
  std::vector<int> order(all.n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(opts.seed);
  for (int i = all.n - 1; i > 0; --i) std::swap(order[i], order[rng.uniform_index(i + 1)]);
  if (opts.subset > 0 && opts.subset < all.n) order.resize(opts.subset);
  if (opts.normalize) normalize_channels(all);
  const int n_val = static_cast<int>(std::floor(order.size() * opts.validation_fraction));
  DataSplit split;
  split.validation = select(all, std::vector<int>(order.begin(), order.begin() + n_val));
  split.train = select(all, std::vector<int>(order.begin() + n_val, order.end()));
  return split;
}

}  // namespace hwnas
