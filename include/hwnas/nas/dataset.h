#pragma once
// Image classification data held in memory as float32 N x C x H x W (no LibTorch here).
//  - Fashion-MNIST read natively from the IDX files of Debian's dataset-fashion-mnist
//    (/usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz), decompressed with zlib in memory.
//  - CIFAR-10 binary format (data_batch_*.bin, test_batch.bin: 1 label byte + 3072 pixel bytes).
//  - synthetic: class-dependent Gaussian images, for tests only.
// Pixels are scaled to [0, 1] and normalized per channel with the set's mean and std.
//
// Example:
//   DatasetOptions o; o.name = "fashion-mnist"; o.subset = 1000;
//   DataSplit d = load_dataset(o);            // train / validation, split with o.seed
//   std::printf("%d training images\n", d.train.size());
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"

namespace hwnas {

struct ImageSet {
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<float> pixels;  // n*c*h*w, row-major
  std::vector<int> labels;    // n, in 0..num_classes-1
  int num_classes = 0;
  int size() const { return n; }
};

struct DatasetOptions {
  std::string name = "fashion-mnist";  // fashion-mnist | cifar10 | synthetic
  std::string dir;                     // default: Debian's folder for fashion-mnist; required for cifar10
  bool train_files = true;             // read the training files (false: the test files)
  int subset = 0;                      // keep the first `subset` images after shuffling (0 = all)
  double validation_fraction = 0.2;    // split off for validation
  std::uint64_t seed = 0;              // shuffle and split
  bool normalize = true;
  int synthetic_size = 512;            // images of the synthetic set
  int synthetic_classes = 10;
  int synthetic_channels = 3;
  int synthetic_resolution = 32;

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("name", o.name, opt::one_of({"fashion-mnist", "cifar10", "synthetic"}));
    v("dir", o.dir);
    v("train_files", o.train_files);
    v("subset", o.subset, opt::at_least(0));
    v("validation_fraction", o.validation_fraction);  // in [0, 1) (check)
    v("seed", o.seed);
    v("normalize", o.normalize);
    // The synthetic set's shape is written where it is the set (a run records what it trained on;
    // other sets ignore these keys, and writing them there would only change their runs' identity).
    const bool synthetic = o.name == "synthetic";
    v("synthetic_size", o.synthetic_size, opt::at_least(2), opt::written_if(synthetic));
    v("synthetic_classes", o.synthetic_classes, opt::at_least(2), opt::written_if(synthetic));
    v("synthetic_channels", o.synthetic_channels, opt::at_least(1), opt::written_if(synthetic));
    v("synthetic_resolution", o.synthetic_resolution, opt::at_least(4), opt::written_if(synthetic));
  }
  void check(const std::string& path) const;  // rules across fields
  void validate(const std::string& path = "dataset") const;
  static DatasetOptions from_json(const nlohmann::json& j, const std::string& path);
  nlohmann::json to_json() const;
};

struct DataSplit {
  ImageSet train, validation;
};

/// Missing or corrupt files -> UserError naming the file and the problem.
DataSplit load_dataset(const DatasetOptions& opts);
ImageSet read_idx_images_and_labels(const std::string& images_gz, const std::string& labels_gz);
ImageSet read_cifar10_batches(const std::vector<std::string>& files);
/// The readers' parsing, on bytes already read (IDX: both files' contents; names for messages).
ImageSet parse_idx_images_and_labels(const std::string& images, const std::string& labels, const std::string& images_name,
                                     const std::string& labels_name);
/// Appends the records of one CIFAR-10 binary batch to `s`; `path` names it in messages.
void append_cifar10_batch(const std::string& data, const std::string& path, ImageSet& s);
ImageSet make_synthetic(int n, int classes, int channels, int resolution, std::uint64_t seed);
/// Reads a whole file, gunzipping when it is gzip-compressed (through zlib, in memory).
std::string read_maybe_gzip(const std::string& path);

}  // namespace hwnas
