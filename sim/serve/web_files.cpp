// The whitelist of files the explorer serves, loaded once with real-path checks.
#include "serve/web_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kindred::serve {

namespace {

constexpr std::array kRoutes = {
    WebRoute{"/", "index.html", "text/html; charset=utf-8"},
    WebRoute{"/index.html", "index.html", "text/html; charset=utf-8"},
    WebRoute{"/app.js", "app.js", "text/javascript; charset=utf-8"},
    WebRoute{"/style.css", "style.css", "text/css; charset=utf-8"},
    WebRoute{"/vendor/cytoscape.min.js", "node_modules/cytoscape/dist/cytoscape.min.js",
             "text/javascript; charset=utf-8"},
    WebRoute{"/vendor/chart.umd.min.js", "node_modules/chart.js/dist/chart.umd.min.js",
             "text/javascript; charset=utf-8"},
};

constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

/// True when `path` is `root` or lies below it (both canonical).
bool inside(const std::filesystem::path& path, const std::filesystem::path& root) {
    const std::filesystem::path relative = path.lexically_relative(root);
    return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

std::span<const WebRoute> web_routes() { return kRoutes; }

WebFiles::WebFiles(const std::filesystem::path& root) {
    std::error_code error;
    const std::filesystem::path real_root = std::filesystem::canonical(root, error);
    if (error) {
        problems_.push_back(
            fmt::format("{}: the web folder cannot be read ({})", root.string(), error.message()));
        return;
    }
    for (const WebRoute& route : kRoutes) {
        const std::filesystem::path file = root / route.file;
        // A file behind two URLs ("/" and "/index.html") is reported once.
        const auto reported = [&] {
            return std::any_of(problems_.begin(), problems_.end(), [&](const std::string& p) {
                return p.starts_with(file.string() + ":");
            });
        };
        const std::filesystem::path real = std::filesystem::canonical(file, error);
        if (error) {
            if (!reported()) {
                problems_.push_back(
                    fmt::format("{}: missing ({})", file.string(), error.message()));
            }
            continue;
        }
        if (!inside(real, real_root)) {
            problems_.push_back(fmt::format("{}: refused, its real path {} is outside {}",
                                            file.string(), real.string(), real_root.string()));
            continue;
        }
        if (!std::filesystem::is_regular_file(real, error)) {
            problems_.push_back(fmt::format("{}: not a regular file", file.string()));
            continue;
        }
        const std::uintmax_t size = std::filesystem::file_size(real, error);
        if (error || size > kMaxFileBytes) {
            problems_.push_back(
                fmt::format("{}: refused, larger than {} bytes", file.string(), kMaxFileBytes));
            continue;
        }
        std::ifstream in(real, std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        if (!in) {
            problems_.push_back(fmt::format("{}: cannot be read", file.string()));
            continue;
        }
        files_.emplace(std::string(route.url), WebFile{content.str(), route.mime});
    }
}

const WebFile* WebFiles::find(std::string_view url) const {
    const auto it = files_.find(url);
    return it == files_.end() ? nullptr : &it->second;
}

}  // namespace kindred::serve
