// The report: pictures by the Python scripts, and the HTML page.
#include "analysis/report.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "core/types.hpp"
#include "trial/trial.hpp"

#ifndef KINDRED_PYTHON_EXECUTABLE
#define KINDRED_PYTHON_EXECUTABLE "/usr/bin/python3"
#endif
#ifndef KINDRED_PLOTS_DIR
#define KINDRED_PLOTS_DIR "analysis/plots"
#endif

extern char** environ;

namespace kindred::analysis {

namespace {

std::filesystem::path from_env_or(const std::filesystem::path& option, const char* variable,
                                  const char* fallback) {
    if (!option.empty()) return option;
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') return value;
    return fallback;
}

/// Runs `argv` (no shell) and returns its exit status; throws RuntimeFailure when it cannot
/// be started.
int run_process(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ);
    if (error != 0) {
        throw RuntimeFailure(fmt::format("cannot start {}: {}", argv[0], std::strerror(error)));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw RuntimeFailure("waiting for " + argv[0] + " failed");
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = line.find(separator, start);
        parts.push_back(line.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return parts;
}

std::string cell_html(const Cell& cell) {
    if (const auto* number = std::get_if<double>(&cell)) return format_number(*number, 3);
    if (const auto* integer = std::get_if<std::int64_t>(&cell)) return std::to_string(*integer);
    return html_escape(std::get<std::string>(cell));
}

std::string table_html(const Table& table) {
    std::string out = fmt::format("<section class=\"table\" id=\"table-{}\">\n<h3>{}</h3>\n",
                                  html_escape(table.name()), html_escape(table.title()));
    if (!table.description.empty()) {
        out += "<p class=\"description\">" + html_escape(table.description) + "</p>\n";
    }
    out += fmt::format(
        "<p class=\"file\">CSV: <a href=\"{0}.csv\">{0}.csv</a> · HDF5: "
        "<code>analysis.h5:/analysis/{0}</code></p>\n",
        html_escape(table.name()));
    const bool long_table = table.row_count() > 30;
    if (long_table) {
        out += fmt::format("<details><summary>{} rows</summary>\n", table.row_count());
    }
    out += "<div class=\"scroll\"><table>\n<thead><tr>";
    for (const ColumnSpec& column : table.columns()) {
        out += fmt::format("<th title=\"{}\">{}</th>", html_escape(column.meaning),
                           html_escape(column.name));
    }
    out += "</tr></thead>\n<tbody>\n";
    for (const auto& row : table.rows()) {
        out += "<tr>";
        for (std::size_t c = 0; c < row.size(); ++c) {
            const bool text = table.columns()[c].kind == ColumnKind::text;
            out += fmt::format("<td{}>{}</td>", text ? "" : " class=\"n\"", cell_html(row[c]));
        }
        out += "</tr>\n";
    }
    out += "</tbody></table></div>\n";
    if (long_table) out += "</details>\n";
    return out + "</section>\n";
}

constexpr const char* kStyle = R"(body{font-family:sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.9em;color:#444;max-width:60em}
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ddd;padding:2px 6px}
th{background:#f3f3f3;cursor:help}td.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}.notes li{margin:.3em 0}.description{color:#444;max-width:60em}
.file{font-size:.85em;color:#666}
dl.provenance{display:grid;grid-template-columns:max-content auto;gap:2px 1.5em}
dl.provenance dt{font-weight:bold}dl.provenance dd{margin:0}.caveat{background:#fff6d6;padding:.5em 1em;
border-left:4px solid #e0b000})";

// Counts the pictures the browser loaded; the report test reads the attribute back.
constexpr const char* kImageCheck = R"(<script>
window.addEventListener('load', function () {
  var images = document.querySelectorAll('figure img');
  var loaded = 0;
  images.forEach(function (img) { if (img.complete && img.naturalWidth > 0) loaded++; });
  document.body.setAttribute('data-images-loaded', loaded + '/' + images.length);
});
</script>)";

}  // namespace

std::string html_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::vector<Figure> draw_figures(const AnalysisResult& result,
                                 const std::filesystem::path& directory,
                                 const ReportOptions& options, std::vector<std::string>& skipped) {
    const std::filesystem::path python =
        from_env_or(options.python, "KINDRED_PYTHON", KINDRED_PYTHON_EXECUTABLE);
    const std::filesystem::path plots =
        from_env_or(options.plots_dir, "KINDRED_PLOTS_DIR", KINDRED_PLOTS_DIR);
    const std::filesystem::path script = plots / "make_plots.py";
    std::error_code ec;
    if (!std::filesystem::exists(python, ec)) {
        throw RuntimeFailure(
            fmt::format("report: no Python interpreter at {} (install python3, "
                        "python3-matplotlib and python3-h5py: scripts/setup.sh; "
                        "or set KINDRED_PYTHON; or --no-plots)",
                        python.string()));
    }
    if (!std::filesystem::exists(script, ec)) {
        throw RuntimeFailure(
            fmt::format("report: no plotting script at {} (set "
                        "KINDRED_PLOTS_DIR to Kindred's analysis/plots)",
                        script.string()));
    }
    const std::filesystem::path figures = directory / "figures";
    std::filesystem::create_directories(figures, ec);
    const std::filesystem::path manifest = figures / "figures.tsv";
    std::filesystem::remove(manifest, ec);
    const int status =
        run_process({python.string(), script.string(), "--kind", result.kind, "--source",
                     result.source.string(), "--analysis", (directory / "analysis.h5").string(),
                     "--out", figures.string(), "--manifest", manifest.string()});
    if (status == 3) {
        throw RuntimeFailure(
            "report: matplotlib or h5py is missing for " + python.string() +
            " (Debian: apt-get install python3-matplotlib python3-h5py; scripts/setup.sh), or "
            "use --no-plots");
    }
    if (status != 0) {
        throw RuntimeFailure(
            fmt::format("report: the plotting script {} failed (exit status "
                        "{}; its messages are above)",
                        script.string(), status));
    }
    std::ifstream in(manifest);
    if (!in) throw RuntimeFailure("report: the plotting script wrote no " + manifest.string());
    std::vector<Figure> out;
    std::string line;
    while (std::getline(in, line)) {
        const auto parts = split(line, '\t');
        if (parts.size() >= 3 && parts[0] == "skipped") {
            skipped.push_back(parts[1] + ": " + parts[2]);
        } else if (parts.size() >= 3) {
            out.push_back({"figures/" + parts[0], parts[1], parts[2]});
        }
    }
    return out;
}

void write_report_page(const AnalysisResult& result, const std::vector<Figure>& figures,
                       const std::vector<std::string>& skipped,
                       const std::filesystem::path& directory) {
    std::map<std::string, std::string> attributes(result.attributes.begin(),
                                                  result.attributes.end());
    const auto attribute = [&](const std::string& name) {
        const auto found = attributes.find(name);
        return found == attributes.end() ? std::string() : found->second;
    };
    const std::string title =
        fmt::format("Kindred {} report: {}", result.kind, attribute("scenario_name"));
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n";
    html += kImageCheck;
    html += "\n</head>\n<body>\n<h1>" + html_escape(title) + "</h1>\n";
    html +=
        "<p class=\"caveat\">Uncalibrated model output: the parameters are the scenario's "
        "(spec defaults unless set), not fitted to any trial. Published effect sizes, where "
        "shown, measure other outcomes in other populations.</p>\n";
    html += "<dl class=\"provenance\">\n";
    for (const auto& [name, value] : result.attributes) {
        if (value.empty()) continue;
        html += fmt::format("<dt>{}</dt><dd>{}</dd>\n", html_escape(name), html_escape(value));
    }
    html += fmt::format("<dt>analysed with</dt><dd>Kindred {}</dd>\n", kindred_version());
    html += "</dl>\n";
    if (!result.notes.empty() || !skipped.empty()) {
        html += "<h2>Notes</h2>\n<ul class=\"notes\">\n";
        for (const auto& note : result.notes) html += "<li>" + html_escape(note) + "</li>\n";
        for (const auto& note : skipped) {
            html += "<li>Picture left out — " + html_escape(note) + "</li>\n";
        }
        html += "</ul>\n";
    }
    if (!figures.empty()) {
        html += "<h2>Pictures</h2>\n";
        for (const Figure& figure : figures) {
            html += fmt::format(
                "<figure>\n<h3>{0}</h3>\n<img src=\"{1}\" alt=\"{0}\">\n<figcaption>{2}"
                "</figcaption>\n</figure>\n",
                html_escape(figure.title), html_escape(figure.file), html_escape(figure.caption));
        }
    }
    html +=
        "<h2>Tables</h2>\n<p>How to read each table: docs/analysis.md. Hover over a column "
        "name for its meaning.</p>\n";
    for (const Table& table : result.tables) html += table_html(table);
    html += "</body>\n</html>\n";
    const std::filesystem::path path = directory / "index.html";
    std::ofstream out(path, std::ios::binary);
    out << html;
    out.close();
    if (!out) throw RuntimeFailure("cannot write " + path.string());
}

std::filesystem::path write_report(const AnalysisResult& result,
                                   const std::filesystem::path& directory,
                                   const ReportOptions& options) {
    std::vector<std::string> skipped;
    std::vector<Figure> figures;
    if (options.plots) figures = draw_figures(result, directory, options, skipped);
    write_report_page(result, figures, skipped, directory);
    return directory / "index.html";
}

}  // namespace kindred::analysis
