// `kindred serve`: the explorer's local web server (cpp-httplib). It serves the page's
// whitelisted files (web_files.hpp) and the JSON API (api.hpp), on the loopback interface
// unless told otherwise, until SIGINT or SIGTERM.
//
// Hardening: request bodies over kMaxBodyBytes get 413; POST bodies must be application/json
// (so a web page elsewhere cannot post a simple form here); on a loopback address only Host
// headers naming the loopback are answered (no DNS rebinding); every error is a JSON body
// {"error": "…"}; an exception in a handler becomes a 500, never a crash.
#pragma once

#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>

#include "config/scenario.hpp"
#include "serve/api.hpp"

namespace kindred::serve {

struct ServerOptions {
    std::string host = "127.0.0.1";  ///< address to listen on
    int port = 8080;                 ///< 0: any free port (the address line tells which)
    std::filesystem::path web_dir;   ///< the web/ folder
    SessionLimits limits;
    /// Request threads. cpp-httplib gives each open connection a thread while it is kept
    /// alive, and a browser opens up to six: fewer threads would make a page wait.
    int threads = 16;
};

/// Serves until SIGINT or SIGTERM, then returns 0. Prints "Kindred explorer: http://HOST:PORT/"
/// on `out` once listening, and any file of web/ it could not load on `err`. Throws
/// RuntimeFailure when it cannot listen, InputError for bad options.
int run_server(const ServerOptions& options, const ModelCatalogue& catalogue, std::ostream& out,
               std::ostream& err);

}  // namespace kindred::serve
