#pragma once
// Where the built pieces the tests drive are: the hwnas program, the scratch folder and the
// benchmark programs. Defined in one file CMakeLists.txt generates (build/generated/test_paths.cpp),
// so that test compile lines hold no absolute path and the compiler cache serves other checkouts
// (hwnas/core/source_dir.h says why).
#include "hwnas/core/source_dir.h"

namespace hwnas::test {

/// The built hwnas program.
const char* hwnas_binary();
/// The tests' scratch folder (build/test_tmp).
const char* test_tmp();
/// The built benchmark programs, comma-separated.
const char* bench_programs();

}  // namespace hwnas::test

#define HWNAS_BINARY (::hwnas::test::hwnas_binary())
#define HWNAS_TEST_TMP (::hwnas::test::test_tmp())
#define HWNAS_BENCHES (::hwnas::test::bench_programs())
