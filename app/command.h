#pragma once
// How to add a subcommand: write app/cmd_<name>.cpp with a function `void setup_<name>(CLI::App&)`
// that adds a subcommand to the root app with its options and a callback, and register it with
// HWNAS_COMMAND(setup_<name>). CMake picks the file up; main.cpp needs no edit. Callbacks throw
// hwnas::UserError for bad input (exit code 2) and print results to stdout.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace hwnas::cli {

struct CommandEntry {
  std::string name;
  void (*setup)(CLI::App&);
};

std::vector<CommandEntry>& command_registry();

/// The command-line flag of an options field, for library checks that name the field they reject
/// (MeasureOptions::validate): "torch_device" -> "--torch-device".
inline std::string flag_of(const std::string& field) {
  std::string f = "--" + field;
  std::replace(f.begin(), f.end(), '_', '-');
  return f;
}

struct CommandRegistrar {
  CommandRegistrar(const char* name, void (*setup)(CLI::App&)) { command_registry().push_back({name, setup}); }
};

}  // namespace hwnas::cli

#define HWNAS_COMMAND(fn) static ::hwnas::cli::CommandRegistrar hwnas_registrar_##fn(#fn, fn)
