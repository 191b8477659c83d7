// The HTTP side of `kindred serve`: routes, limits, headers, start-up and shutdown on signals.
#include "serve/server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>

#include "core/types.hpp"
#include "serve/explorer.hpp"
#include "serve/web_files.hpp"

namespace kindred::serve {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

void send(httplib::Response& res, const ApiResponse& api) {
    res.status = api.status;
    res.set_content(api.body, kJson);
}

bool is_loopback(std::string_view host) {
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

/// The host name of a Host header ("127.0.0.1:8080" → "127.0.0.1", "[::1]:80" → "::1").
std::string_view host_name(std::string_view header) {
    if (header.starts_with('[')) {
        const auto close = header.find(']');
        return close == std::string_view::npos ? header : header.substr(1, close - 1);
    }
    return header.substr(0, header.find(':'));
}

bool starts_with_no_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

}  // namespace

int run_server(const ServerOptions& options, const ModelCatalogue& catalogue, std::ostream& out,
               std::ostream& err) {
    if (options.port < 0 || options.port > 65535) {
        throw InputError(fmt::format("--port: expected 0 … 65535, found {}", options.port));
    }
    if (options.limits.max_sessions < 1) {
        throw InputError("--max-sessions: expected at least 1");
    }
    {
        // An address this machine can listen on (a name that resolves, or a numeric address):
        // "999.1.1.1" is bad input, said before anything else.
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        addrinfo* found = nullptr;
        const int status = getaddrinfo(options.host.c_str(), nullptr, &hints, &found);
        if (found != nullptr) freeaddrinfo(found);
        if (status != 0) {
            throw InputError(
                fmt::format("--host: expected an address or host name, found '{}' ({})",
                            options.host, gai_strerror(status)));
        }
    }
    const WebFiles files(options.web_dir);
    if (!files.problems().empty()) {
        // One line: the page's files that cannot be served (the API still works).
        std::string problems;
        for (const std::string& problem : files.problems()) {
            problems += (problems.empty() ? "" : "; ") + problem;
        }
        err << "kindred serve: warning: the page is incomplete: " << problems
            << " (run scripts/setup.sh, which installs the page's libraries with npm ci in web/, "
               "or pass --web-dir)\n";
    }
    ExplorerApi api(catalogue.load_all(), options.limits);
    const bool loopback_only = is_loopback(options.host);

    // SIGINT and SIGTERM are taken by a waiting thread (below), in every thread: block them
    // before any thread starts so that all threads inherit the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &signals, &previous);

    httplib::Server server;
    const int threads = std::max(1, options.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_payload_max_length(kMaxBodyBytes);
    server.set_keep_alive_max_count(100);
    server.set_keep_alive_timeout(2);  // seconds an idle connection keeps its thread
    // cpp-httplib's default options add SO_REUSEPORT, which lets a second server bind the same
    // port and share its requests: keep only SO_REUSEADDR (a restart may reuse the port).
    server.set_socket_options([](socket_t sock) {
        const int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });

    // Before routing: the Host check, static files, and the content type of API posts.
    server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
        if (loopback_only && req.has_header("Host") &&
            !is_loopback(host_name(req.get_header_value("Host")))) {
            send(res, error_response(403,
                                     "this server answers only requests addressed to the "
                                     "loopback interface"));
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!req.path.starts_with("/api/")) {
            if (req.method != "GET" && req.method != "HEAD") {
                send(res, error_response(405, "only GET is allowed for files"));
                return httplib::Server::HandlerResponse::Handled;
            }
            if (const WebFile* file = files.find(req.path)) {
                res.status = 200;
                res.set_content(file->content, std::string(file->mime));
            } else {
                send(res, error_response(404, "not found"));
            }
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.method == "POST" &&
            !starts_with_no_case(req.get_header_value("Content-Type"), "application/json")) {
            send(res, error_response(415,
                                     "POST bodies must be JSON (Content-Type: "
                                     "application/json)"));
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    server.Get("/api/models",
               [&](const httplib::Request&, httplib::Response& res) { send(res, api.models()); });
    server.Post("/api/session", [&](const httplib::Request& req, httplib::Response& res) {
        send(res, api.create_session(req.body));
    });
    server.Get(R"(/api/session/([0-9a-f]{32}))",
               [&](const httplib::Request& req, httplib::Response& res) {
                   send(res, api.get_session(req.matches[1].str()));
               });
    server.Post(R"(/api/session/([0-9a-f]{32})/step)",
                [&](const httplib::Request& req, httplib::Response& res) {
                    send(res, api.step_session(req.matches[1].str(), req.body));
                });
    server.Delete(R"(/api/session/([0-9a-f]{32}))",
                  [&](const httplib::Request& req, httplib::Response& res) {
                      send(res, api.delete_session(req.matches[1].str()));
                  });

    // Any error without a body of its own (404 of an unknown route, 413 of a huge body, 400 of
    // a malformed request line) gets a JSON one.
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return;
        const char* what = res.status == 413   ? "request body too large"
                           : res.status == 414 ? "request URI too long"
                           : res.status == 404 ? "not found"
                           : res.status == 405 ? "method not allowed"
                                               : "bad request";
        res.set_content(error_response(res.status, what).body, kJson);
    });
    server.set_exception_handler(
        [&err](const httplib::Request& req, httplib::Response& res, std::exception_ptr failure) {
            std::string what = "unknown error";
            try {
                if (failure) std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            err << "kindred serve: " << req.method << ' ' << req.path << ": " << what << '\n';
            send(res, error_response(500, "internal error"));
        });
    server.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; script-src 'self'; connect-src 'self'; "
                       "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                       "frame-ancestors 'none'");
        if (req.path.starts_with("/api/")) res.set_header("Cache-Control", "no-store");
    });

    int port = options.port;
    if (port == 0) {
        port = server.bind_to_any_port(options.host);
    } else if (!server.bind_to_port(options.host, port)) {
        port = -1;
    }
    if (port < 0) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        throw RuntimeFailure(
            fmt::format("cannot listen on {}:{} (address in use, or not an "
                        "address of this machine)",
                        options.host, options.port));
    }
    if (!loopback_only) {
        err << "kindred serve: warning: listening on " << options.host
            << ", which other machines may reach; the explorer has no authentication\n";
    }
    const std::string shown_host =
        options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
    out << fmt::format("Kindred explorer: http://{}:{}/ (Ctrl-C to stop)", shown_host, port)
        << std::endl;

    // The signal thread stops the server once it is running; if the server ends first (it
    // failed), a signal of our own wakes the thread.
    std::atomic<bool> finished{false};
    std::thread waiter([&] {
        int signal_number = 0;
        sigwait(&signals, &signal_number);
        while (!finished.load() && !server.is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!finished.load()) server.stop();
    });
    const bool listened = server.listen_after_bind();
    finished.store(true);
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (!listened) throw RuntimeFailure("the server stopped unexpectedly");
    out << "Kindred explorer: stopped" << std::endl;
    return 0;
}

}  // namespace kindred::serve
