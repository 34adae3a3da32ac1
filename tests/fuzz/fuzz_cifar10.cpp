// Fuzz target: CIFAR-10 binary batches (append_cifar10_batch).
#include "fuzz_common.h"
#include "hwnas/nas/dataset.h"

HWNAS_FUZZ_TARGET({
  hwnas::ImageSet s;
  hwnas::append_cifar10_batch(input, "data_batch.bin", s);
})
