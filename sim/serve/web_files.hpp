// The files `kindred serve` may send: a fixed whitelist of URL paths, each mapped to one file
// under the web/ folder (the page, and the drawing libraries npm installed in
// web/node_modules). The files are read once, at start-up; a request is answered only when its
// path is exactly one of the whitelist's, so no path a client writes (../, %2e%2e, absolute
// paths) can reach another file. A file whose real path (symbolic links resolved) lies outside
// the web folder is refused at start-up.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kindred::serve {

/// One whitelisted file: the URL path, the file relative to the web folder, its MIME type.
struct WebRoute {
    std::string_view url;
    std::string_view file;
    std::string_view mime;
};

/// The whitelist (index.html, app.js, style.css, the drawing libraries).
std::span<const WebRoute> web_routes();

/// A file ready to send.
struct WebFile {
    std::string content;
    std::string_view mime;
};

class WebFiles {
  public:
    /// Reads every whitelisted file under `root`. Missing files, files over 16 MiB, files that
    /// are not regular files and files whose real path leaves `root` are skipped, each with a
    /// line in problems().
    explicit WebFiles(const std::filesystem::path& root);

    /// The file for the URL path `url` ("/" is index.html), or null.
    const WebFile* find(std::string_view url) const;

    /// One line per whitelisted file that could not be loaded.
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    std::map<std::string, WebFile, std::less<>> files_;
    std::vector<std::string> problems_;
};

}  // namespace kindred::serve
