// Shared by the fuzz targets: a scratch file per process for parsers that read files.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace kindred::fuzz {

/// A file in a per-process scratch folder, rewritten with each input.
inline std::filesystem::path scratch_file(const std::string& name, const std::uint8_t* data,
                                          std::size_t size) {
    static const std::filesystem::path folder = [] {
        auto dir =
            std::filesystem::temp_directory_path() / ("kindred_fuzz_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        return dir;
    }();
    const std::filesystem::path path = folder / name;
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

}  // namespace kindred::fuzz
