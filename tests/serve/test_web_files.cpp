// The whitelist of files the explorer serves: only its exact URL paths answer, and a file whose
// real path leaves the web folder (a symbolic link out of it) is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "serve/web_files.hpp"

namespace kindred::serve {
namespace {

namespace fs = std::filesystem;

class WebFolder : public ::testing::Test {
  protected:
    fs::path dir_ = fs::temp_directory_path() / ("kindred_web_" + std::to_string(::getpid()));
    fs::path web_ = dir_ / "web";

    static void write(const fs::path& path, const std::string& text) {
        fs::create_directories(path.parent_path());
        std::ofstream(path) << text;
    }
    void SetUp() override {
        write(web_ / "index.html", "<!doctype html>page");
        write(web_ / "app.js", "app");
        write(web_ / "style.css", "css");
        write(web_ / "node_modules/cytoscape/dist/cytoscape.min.js", "cy");
        write(web_ / "node_modules/chart.js/dist/chart.umd.min.js", "chart");
        write(web_ / "node_modules/cytoscape/package.json", "{}");
        write(dir_ / "secret.txt", "SECRET");
    }
    void TearDown() override { fs::remove_all(dir_); }
};

TEST_F(WebFolder, ServesExactlyTheWhitelist) {
    const WebFiles files(web_);
    EXPECT_TRUE(files.problems().empty());
    ASSERT_NE(files.find("/"), nullptr);
    EXPECT_EQ(files.find("/")->content, "<!doctype html>page");
    EXPECT_EQ(files.find("/index.html")->content, "<!doctype html>page");
    EXPECT_EQ(files.find("/app.js")->mime, "text/javascript; charset=utf-8");
    EXPECT_EQ(files.find("/vendor/cytoscape.min.js")->content, "cy");
    EXPECT_EQ(files.find("/vendor/chart.umd.min.js")->content, "chart");
    for (const char* url :
         {"", "/../secret.txt", "/..", "/%2e%2e/secret.txt", "//app.js", "/app.js/", "/./app.js",
          "/APP.JS", "/app.js%00", "app.js", "/node_modules/cytoscape/package.json", "/web/app.js",
          "/vendor/../app.js", "/etc/passwd", "\\app.js"}) {
        EXPECT_EQ(files.find(url), nullptr) << url;
    }
}

TEST_F(WebFolder, RefusesSymbolicLinksThatLeaveTheFolder) {
    fs::remove(web_ / "style.css");
    fs::create_symlink(dir_ / "secret.txt", web_ / "style.css");
    // A whole library folder linked from elsewhere is refused as well.
    fs::create_directories(dir_ / "elsewhere/dist");
    write(dir_ / "elsewhere/dist/chart.umd.min.js", "SECRET");
    fs::remove_all(web_ / "node_modules/chart.js");
    fs::create_directory_symlink(dir_ / "elsewhere", web_ / "node_modules/chart.js");
    // A link that stays inside is fine.
    fs::remove(web_ / "app.js");
    write(web_ / "src/app.js", "linked app");
    fs::create_symlink(web_ / "src/app.js", web_ / "app.js");

    const WebFiles files(web_);
    EXPECT_EQ(files.find("/style.css"), nullptr);
    EXPECT_EQ(files.find("/vendor/chart.umd.min.js"), nullptr);
    ASSERT_NE(files.find("/app.js"), nullptr);
    EXPECT_EQ(files.find("/app.js")->content, "linked app");
    ASSERT_EQ(files.problems().size(), 2u);
    for (const std::string& problem : files.problems()) {
        EXPECT_NE(problem.find("outside"), std::string::npos) << problem;
    }
}

TEST_F(WebFolder, ReportsMissingFilesOnce) {
    fs::remove(web_ / "index.html");
    fs::remove_all(web_ / "node_modules");
    const WebFiles files(web_);
    EXPECT_EQ(files.find("/"), nullptr);
    EXPECT_NE(files.find("/app.js"), nullptr);
    EXPECT_EQ(files.problems().size(), 3u);  // index.html (behind two URLs), two libraries
    EXPECT_FALSE(WebFiles(dir_ / "no_such_folder").problems().empty());
}

}  // namespace
}  // namespace kindred::serve
