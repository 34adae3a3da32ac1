#!/usr/bin/env bash
# Packs what building hwnas needs besides LibTorch (the headers of Eigen, Boost.Graph/Math,
# nlohmann-json, CLI11, oneTBB and zlib, and the TBB and zlib libraries) with minimal CMake
# package files, for a GPU machine that has CUDA, PyTorch and a compiler but not these Debian
# -dev packages and cannot install them (this project's lent H200, for one). Run here, after
# scripts/setup.sh; copy the tarball there, unpack it, and build with the flags it prints:
#
#   scripts/gpu_deps_bundle.sh [OUT.tgz]          # default .gpu/deps.tgz
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.gpu/deps.tgz}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
B=$TMP/deps
mkdir -p "$B/include" "$B/lib" "$(dirname "$OUT")"
# The Boost headers hwnas's includes pull in (by the preprocessor), the other libraries whole.
includes=$(grep -rhoE '#include <(boost|Eigen|nlohmann|CLI|tbb|zlib)[^>]*>' --include=*.cpp --include=*.h app core nas hw_models search analysis include | sort -u)
printf '%s\n' "$includes" > "$TMP/all.cpp"
boost=$(g++ -std=c++20 -I/usr/include/eigen3 -M "$TMP/all.cpp" | tr ' \\' '\n\n' | grep -E '^/usr/include/boost/' | sort -u | sed 's#^/usr/include/##')
(cd /usr/include && tar cf - eigen3 nlohmann CLI tbb oneapi zlib.h zconf.h $boost) | tar xf - -C "$B/include"
cp -a /usr/lib/x86_64-linux-gnu/libtbb.so* /usr/lib/x86_64-linux-gnu/libtbbmalloc.so* "$B/lib/"
cp -L /lib/x86_64-linux-gnu/libz.so.1 "$B/lib/libz.so.1" && ln -s libz.so.1 "$B/lib/libz.so"
pkg() {  # name, version, body (CMake run from the package folder; _D is the bundle's root)
  mkdir -p "$B/cmake/$1"
  { echo 'get_filename_component(_D "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)'; echo "$3"; echo "set($1_FOUND TRUE)"; } > "$B/cmake/$1/$1Config.cmake"
  printf 'set(PACKAGE_VERSION "%s")\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n' "$2" > "$B/cmake/$1/$1ConfigVersion.cmake"
}
iface() { echo "if(NOT TARGET $1)
  add_library($1 INTERFACE IMPORTED)
  set_target_properties($1 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"\${_D}/include${2:-}\")
endif()"; }
pkg Eigen3 3.4.0 "$(iface Eigen3::Eigen /eigen3)"
pkg Boost 1.74.0 "$(iface Boost::headers)
$(iface Boost::graph)
set(Boost_graph_FOUND TRUE)
set(Boost_VERSION 1.74.0)
set(Boost_INCLUDE_DIRS \"\${_D}/include\")"
pkg nlohmann_json 3.11.2 "$(iface nlohmann_json::nlohmann_json)"
pkg CLI11 2.3.2 "$(iface CLI11::CLI11)"
pkg TBB 2021.8.0 'if(NOT TARGET TBB::tbb)
  add_library(TBB::tbb SHARED IMPORTED)
  set_target_properties(TBB::tbb PROPERTIES IMPORTED_LOCATION "${_D}/lib/libtbb.so.12" INTERFACE_INCLUDE_DIRECTORIES "${_D}/include")
endif()'
tar czf "$OUT" -C "$TMP" deps
echo "gpu_deps_bundle: $OUT ($(du -h "$OUT" | cut -f1)). There: tar xzf $(basename "$OUT"); D=\$PWD/deps; then"
echo "  scripts/gpu_check.sh --deps \$D   (or cmake ... -DEigen3_DIR=\$D/cmake/Eigen3 -DBoost_DIR=\$D/cmake/Boost -DTBB_DIR=\$D/cmake/TBB"
echo "   -Dnlohmann_json_DIR=\$D/cmake/nlohmann_json -DCLI11_DIR=\$D/cmake/CLI11 -DZLIB_INCLUDE_DIR=\$D/include -DZLIB_LIBRARY=\$D/lib/libz.so;"
echo "   LD_LIBRARY_PATH=\$D/lib at run time)"
