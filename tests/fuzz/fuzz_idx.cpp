// Fuzz target: IDX image and label files (Fashion-MNIST's format). The first two bytes give the
// length of the image part; the rest is the label part.
#include "fuzz_common.h"
#include "hwnas/nas/dataset.h"

HWNAS_FUZZ_TARGET({
  if (input.size() < 2) return 0;
  const std::size_t n = (static_cast<unsigned char>(input[0]) << 8 | static_cast<unsigned char>(input[1]));
  const std::string rest = input.substr(2);
  const std::size_t cut = std::min(n, rest.size());
  hwnas::parse_idx_images_and_labels(rest.substr(0, cut), rest.substr(cut), "images.idx", "labels.idx");
})
