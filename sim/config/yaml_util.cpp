// Strict, located reading of yaml-cpp nodes for the model and scenario loaders.
#include "config/yaml_util.hpp"

#include <fmt/format.h>
#include <locale.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <unordered_map>

namespace kindred::detail {
namespace {

constexpr std::size_t kMaxShownChars = 60;

std::string shorten(const std::string& text) { return printable(text, kMaxShownChars); }

bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

/// The text of a plain (unquoted) scalar; anything else fails with `expected`.
std::string plain_scalar(const Field& field, std::string_view expected) {
    if (!field.node.IsDefined() || !field.node.IsScalar() || is_quoted(field.node)) {
        field.fail(expected);
    }
    return field.node.Scalar();
}

std::string child_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

YAML::Mark usable_mark(const YAML::Node& node, const YAML::Mark& fallback) {
    if (!node.IsDefined() || node.IsNull()) return fallback;
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? fallback : mark;
}

std::string format_number(double value) {
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    return fmt::format("{}", value);
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_chars) {
    std::string out;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < text.size(); ++shown) {
        if (shown == max_chars) return out + "...";
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = 1;
        if (c >= 0x80) {
            // Keep a valid UTF-8 sequence whole; escape a stray byte.
            const std::size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
            bool valid = want > 0 && i + want <= text.size();
            for (std::size_t k = 1; valid && k < want; ++k) {
                valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
            }
            if (valid) {
                out.append(text.substr(i, want));
                i += want;
                continue;
            }
            out += fmt::format("\\x{:02x}", c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
        i += length;
    }
    return out;
}

std::string location(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null() || mark.line < 0 || mark.column < 0) return file;
    return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

std::string describe(const YAML::Node& node) {
    if (!node.IsDefined()) return "nothing";
    switch (node.Type()) {
        case YAML::NodeType::Null:
            return "an empty value";
        case YAML::NodeType::Scalar:
            if (is_quoted(node)) return fmt::format("\"{}\"", shorten(node.Scalar()));
            return fmt::format("'{}'", shorten(node.Scalar()));
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

std::string_view file_type_name(std::filesystem::file_type type) {
    switch (type) {
        case std::filesystem::file_type::directory:
            return "a directory";
        case std::filesystem::file_type::fifo:
            return "a FIFO (named pipe)";
        case std::filesystem::file_type::socket:
            return "a socket";
        case std::filesystem::file_type::block:
        case std::filesystem::file_type::character:
            return "a device";
        default:
            return "not a regular file";
    }
}

std::string read_text_file(const std::filesystem::path& path, std::string_view what,
                           std::size_t max_bytes) {
    const std::string name = printable(path.string());
    std::error_code ec;
    const std::filesystem::file_status status = std::filesystem::status(path, ec);
    // Only regular files: opening a FIFO would block until a writer comes, a device could
    // stream forever.
    if (!ec && std::filesystem::exists(status) &&
        status.type() != std::filesystem::file_type::regular) {
        throw InputError(fmt::format("{}: cannot open {}: expected a regular file, found {}", name,
                                     what, file_type_name(status.type())));
    }
    if (!ec) {
        const std::uintmax_t size = std::filesystem::file_size(path, ec);
        if (!ec && size > max_bytes) {
            throw InputError(fmt::format("{}: expected a {} of at most {} MiB, found {} bytes",
                                         name, what, max_bytes >> 20, size));
        }
    }
    errno = 0;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file) {
        const int error = errno != 0 ? errno : ENOENT;
        throw InputError(fmt::format("{}: cannot open {} ({})", name, what, std::strerror(error)));
    }
    std::string text;
    char buffer[1 << 16];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
        text.append(buffer, got);
        if (text.size() > max_bytes) {  // the file grew after its size was read
            throw InputError(fmt::format("{}: expected a {} of at most {} MiB, found more", name,
                                         what, max_bytes >> 20));
        }
    }
    if (std::ferror(file.get()) != 0) {
        throw InputError(fmt::format("{}: cannot read {} ({})", name, what, std::strerror(errno)));
    }
    return text;
}

namespace {

/// Length of the UTF-8 sequence starting at text[i], or 0 when it is not valid UTF-8.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    unsigned code = lead & (0xFF >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        code = (code << 6) | (byte(i + k) & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return length;
}

}  // namespace

void check_yaml_text(const std::string& text, const std::string& file) {
    if (text.size() > kMaxYamlBytes) {
        throw InputError(fmt::format("{}: expected a YAML file of at most {} MiB, found {} bytes",
                                     file, kMaxYamlBytes >> 20, text.size()));
    }
    long line = 1, column = 1;
    int flow_depth = 0;
    bool line_start = true;
    int indent = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const auto fail = [&](const std::string& expected, const std::string& found) {
            throw InputError(fmt::format("{}:{}:{}: expected {}, found {}", file, line, column,
                                         expected, found));
        };
        const std::size_t length = utf8_length(text, i);
        if (length == 0) fail("UTF-8 text", fmt::format("the byte 0x{:02x}", c));
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            fail("text", fmt::format("the control character 0x{:02x}", c));
        }
        if (c == '\n') {
            ++line;
            column = 1;
            line_start = true;
            indent = 0;
            ++i;
            continue;
        }
        if (line_start && c == ' ') {
            if (++indent > kMaxYamlIndent) {
                fail(fmt::format("an indentation of at most {} spaces", kMaxYamlIndent),
                     "a deeper one");
            }
        } else {
            line_start = false;
        }
        if (c == '[' || c == '{') {
            if (++flow_depth > kMaxYamlFlowDepth) {
                fail(fmt::format("lists and maps nested at most {} deep", kMaxYamlFlowDepth),
                     "deeper nesting");
            }
        } else if ((c == ']' || c == '}') && flow_depth > 0) {
            --flow_depth;
        }
        i += length;
        ++column;
    }
}

namespace {

/// Records where each document starts; the events themselves are not needed.
class DocumentMarks : public YAML::EventHandler {
  public:
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

}  // namespace

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
    // yaml-cpp can loop on invalid UTF-8 and recurse without bound on deep nesting: check first.
    check_yaml_text(text, file);
    try {
        // Count the documents with a bounded loop: on a ',' outside [ ] and { } yaml-cpp's
        // parser reports new documents forever without moving on (its LoadAll never returns).
        std::istringstream stream(text);
        YAML::Parser parser(stream);
        DocumentMarks marks;
        while (marks.starts.size() < 3 && parser.HandleNextDocument(marks)) {
        }
        for (std::size_t k = 1; k < marks.starts.size(); ++k) {
            if (marks.starts[k].pos == marks.starts[k - 1].pos) {
                throw InputError(fmt::format(
                    "{}: expected valid YAML, found a syntax error (',' outside a [ ] or {{ }} "
                    "collection)",
                    location(file, marks.starts[k])));
            }
        }
        if (marks.starts.size() >= 2) {
            throw InputError(fmt::format("{}: expected one YAML document, found more than one",
                                         location(file, marks.starts[1])));
        }
        return marks.starts.empty() ? YAML::Node(YAML::NodeType::Null) : YAML::Load(text);
    } catch (const YAML::Exception& error) {
        throw InputError(fmt::format("{}: expected valid YAML, found a syntax error ({})",
                                     location(file, error.mark), error.msg));
    }
}

void Field::fail(std::string_view expected, std::string_view found) const {
    if (path.empty()) {
        throw InputError(fmt::format("{}: expected {}, found {}", where(), expected, found));
    }
    throw InputError(
        fmt::format("{}: key '{}': expected {}, found {}", where(), path, expected, found));
}

void Field::fail(std::string_view expected) const { fail(expected, describe(node)); }

Map::Map(const Field& field, std::vector<std::string> allowed, std::string_view what)
    : Map(field, &allowed, what) {}

Map Map::any_keys(const Field& field, std::string_view what) { return Map(field, nullptr, what); }

Map::Map(const Field& field, const std::vector<std::string>* allowed, std::string_view what)
    : self_(field) {
    if (!field.node.IsDefined() || !field.node.IsMap()) field.fail(what);
    std::unordered_map<std::string, std::size_t> index;
    for (const auto& pair : field.node) {
        const YAML::Node key = pair.first;
        Field key_field{field.file, field.path, key, usable_mark(key, field.mark)};
        if (!key.IsScalar()) key_field.fail("a plain key");
        const std::string name = key.Scalar();
        key_field.path = child_path(field.path, printable(name));
        if (allowed != nullptr &&
            std::find(allowed->begin(), allowed->end(), name) == allowed->end()) {
            key_field.fail("one of " + join(*allowed), "an unknown key");
        }
        // A hash set: a map of 100 000 keys must not take quadratic time (found by testing).
        if (const auto [at, inserted] = index.emplace(name, entries_.size()); !inserted) {
            key_field.fail("each key once",
                           fmt::format("it again (first at {})",
                                       location(*field.file, entries_[at->second].second.mark)));
        }
        entries_.emplace_back(name, Field{field.file, key_field.path, pair.second,
                                          usable_mark(pair.second, key.Mark())});
    }
}

std::optional<Field> Map::find(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
        if (name == key) return value;
    }
    return std::nullopt;
}

Field Map::require(std::string_view key, std::string_view expected) const {
    if (auto value = find(key)) return *value;
    Field missing{self_.file, child_path(self_.path, key), YAML::Node(), self_.mark};
    missing.fail(std::string(expected) + " (required)", "nothing");
}

std::vector<Field> read_list(const Field& field, std::string_view expected) {
    if (!field.node.IsDefined() || !field.node.IsSequence()) field.fail(expected);
    std::vector<Field> items;
    items.reserve(field.node.size());
    for (std::size_t i = 0; i < field.node.size(); ++i) {
        const YAML::Node item = field.node[i];
        items.push_back(Field{field.file, fmt::format("{}[{}]", field.path, i), item,
                              usable_mark(item, field.mark)});
    }
    return items;
}

double read_number(const Field& field, double lo, double hi, bool lo_open) {
    const std::string expected = number_range_text(lo, hi, lo_open);
    const std::optional<double> value = parse_number_text(plain_scalar(field, expected));
    if (!value || !std::isfinite(*value) || *value > hi || *value < lo ||
        (lo_open && *value == lo)) {
        field.fail(expected);
    }
    return *value;
}

std::int64_t read_integer(const Field& field, std::int64_t lo, std::int64_t hi) {
    const std::string expected = integer_range_text(lo, hi);
    const std::optional<std::int64_t> value = parse_integer_text(plain_scalar(field, expected));
    if (!value || *value < lo) field.fail(expected);
    if (*value > hi) field.fail(fmt::format("an integer in [{}, {}]", lo, hi));
    return *value;
}

int read_int(const Field& field, int lo, int hi) {
    return static_cast<int>(read_integer(field, lo, hi));
}

std::uint64_t read_uint64(const Field& field) {
    const std::string expected =
        fmt::format("an integer in [0, {}]", std::numeric_limits<std::uint64_t>::max());
    const std::optional<std::uint64_t> value = parse_uint64_text(plain_scalar(field, expected));
    if (!value) field.fail(expected);
    return *value;
}

bool read_bool(const Field& field) {
    const std::string text = plain_scalar(field, "true or false");
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    field.fail("true or false");
}

std::string read_string(const Field& field, bool nonempty) {
    const std::string_view expected = nonempty ? "a non-empty string" : "a string";
    if (!field.node.IsDefined() || !field.node.IsScalar()) field.fail(expected);
    std::string text = field.node.Scalar();
    if (nonempty && text.empty()) field.fail(expected);
    return text;
}

std::optional<double> parse_number_text(std::string_view text) {
    bool negative = false;
    std::string_view body = text;
    if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    if (body.empty() || body.front() == '+' || body.front() == '-') return std::nullopt;
    if (body == ".inf" || body == ".Inf" || body == ".INF") {
        const double inf = std::numeric_limits<double>::infinity();
        return negative ? -inf : inf;
    }
    if (body == ".nan" || body == ".NaN" || body == ".NAN") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    double value = 0.0;
    const auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (end != body.data() + body.size()) return std::nullopt;
    if (error == std::errc::result_out_of_range) {
        // Too small for a double (1e-400) is zero, or the nearest subnormal, as strtod rounds
        // it; too large (1e400) is not a number this program can use.
        // In the C locale, whatever the process's (a host program's LC_NUMERIC may use ',').
        static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
        const std::string copy(body);
        char* stop = nullptr;
        value = strtod_l(copy.c_str(), &stop, c_locale);
        if (stop != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
    } else if (error != std::errc()) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

std::optional<std::int64_t> parse_integer_text(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty() || text.front() == '+') return std::nullopt;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> parse_uint64_text(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string number_range_text(double lo, double hi, bool lo_open) {
    const bool no_lo = std::isinf(lo);
    const bool no_hi = std::isinf(hi);
    if (no_lo && no_hi) return "a finite number";
    if (no_hi) return fmt::format("a number {} {}", lo_open ? ">" : ">=", format_number(lo));
    if (no_lo) return fmt::format("a number <= {}", format_number(hi));
    return fmt::format("a number in {}{}, {}]", lo_open ? "(" : "[", format_number(lo),
                       format_number(hi));
}

std::string integer_range_text(std::int64_t lo, std::int64_t hi) {
    if (lo <= std::numeric_limits<int>::min() && hi >= std::numeric_limits<int>::max()) {
        return "an integer";
    }
    if (hi >= std::numeric_limits<int>::max()) return fmt::format("an integer >= {}", lo);
    return fmt::format("an integer in [{}, {}]", lo, hi);
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ", ";
        out += names[i];
    }
    return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string::npos) return parts;
        start = end + 1;
    }
}

}  // namespace kindred::detail
