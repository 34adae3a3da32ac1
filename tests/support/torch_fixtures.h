#pragma once
// Fixtures of the tests that run networks (tests/torch): a test-sized nb201 space and a synthetic
// data split. No LibTorch in this header (the space and the dataset reader have none).
//
// Example:
//   const Nb201Space s = hwnas::test::small_nb201();        // 4 channels, 1 cell per stage, 16x16
//   const DataSplit data = hwnas::test::synthetic_split(200);
#include "hwnas/nas/dataset.h"
#include "hwnas/nas/spaces/nb201.h"

namespace hwnas::test {

/// nb201 at test size: `channels` channels, one cell per stage, 16x16 inputs.
inline Nb201Space small_nb201(int channels = 4) {
  Nb201Options o;
  o.channels = channels;
  o.cells_per_stage = 1;
  o.input_size = 16;
  return Nb201Space(o);
}

/// `images` synthetic 3x16x16 images of 10 classes, a quarter held out for validation, seed 4.
inline DataSplit synthetic_split(int images) {
  DatasetOptions d;
  d.name = "synthetic";
  d.synthetic_size = images;
  d.synthetic_resolution = 16;
  d.validation_fraction = 0.25;
  d.seed = 4;
  return load_dataset(d);
}

}  // namespace hwnas::test
