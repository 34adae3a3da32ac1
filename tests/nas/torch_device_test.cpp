// The one parser of device names (nas/torch_device.cpp).
#include "hwnas/nas/torch_device.h"

#include <vector>

#include <gtest/gtest.h>

#include "support/errors.h"

using hwnas::parse_torch_device;
using hwnas::TorchDevice;
using hwnas::test::error_of;
using hwnas::cuda_index_for;
using hwnas::local_rank;
using hwnas::set_local_rank;

TEST(TorchDevice, ReadsCpuCudaAndCudaN) {
  const TorchDevice cpu = parse_torch_device("cpu", "--torch-device");
  EXPECT_FALSE(cpu.cuda);
  EXPECT_EQ(cpu.index, 0);
  EXPECT_EQ(cpu.str(), "cpu");
  const TorchDevice cuda = parse_torch_device("cuda", "--torch-device");
  EXPECT_TRUE(cuda.cuda);
  EXPECT_EQ(cuda.index, 0);
  EXPECT_TRUE(cuda.own);  // the process's own GPU
  EXPECT_EQ(cuda.str(), "cuda");
  EXPECT_NE(parse_torch_device("cuda:0", "x"), cuda);
  EXPECT_FALSE(parse_torch_device("cuda:0", "x").own);
  const TorchDevice third = parse_torch_device("cuda:2", "x");
  EXPECT_TRUE(third.cuda);
  EXPECT_EQ(third.index, 2);
  EXPECT_EQ(parse_torch_device("cuda:63", "x").index, 63);
  EXPECT_NE(third, cuda);
  // What str() writes reads back to the same device (resolved configs store it).
  for (const char* s : {"cpu", "cuda", "cuda:7"})
    EXPECT_EQ(parse_torch_device(parse_torch_device(s, "x").str(), "x"), parse_torch_device(s, "x")) << s;
  EXPECT_EQ(TorchDevice{}, cpu);  // the default is the CPU
}

TEST(TorchDevice, CudaWithoutAnIndexIsTheLocalRanksGpuRoundRobin) {
  const TorchDevice own = parse_torch_device("cuda", "x"), second = parse_torch_device("cuda:1", "x");
  // Eight evaluator ranks on a machine with four GPUs: two ranks per GPU.
  std::vector<int> got;
  for (int rank = 0; rank < 8; ++rank) got.push_back(cuda_index_for(own, rank, 4));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 0, 1, 2, 3}));
  EXPECT_EQ(cuda_index_for(second, 6, 4), 1);  // an explicit index is kept
  EXPECT_EQ(cuda_index_for(own, 3, 1), 0);
  EXPECT_EQ(local_rank(), 0);  // outside mpirun
  set_local_rank(5);
  EXPECT_EQ(local_rank(), 5);
  EXPECT_EQ(cuda_index_for(own, local_rank(), 2), 1);
  set_local_rank(0);
}

TEST(TorchDevice, AnythingElseIsAnErrorNamingTheFlagOrField) {
  EXPECT_EQ(error_of([] { parse_torch_device("gpu", "--torch-device"); }),
            "--torch-device: expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index 0..63), got \"gpu\"");
  EXPECT_EQ(error_of([] { parse_torch_device("cuda:64", "objectives[0].source.train.torch_device"); }),
            "objectives[0].source.train.torch_device: expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index "
            "0..63), got \"cuda:64\"");
  for (const char* bad : {"", "CPU", "Cuda", "cuda:", "cuda:-1", "cuda:01", "cuda:1x", "cuda: 1", "cuda:1 ", "cpu:0",
                          "mps", "cuda:999"})
    EXPECT_EQ(error_of([&] { parse_torch_device(bad, "f"); }),
              std::string("f: expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index 0..63), got \"") + bad + "\"")
        << bad;
}
