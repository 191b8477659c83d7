// CSV import of a population (spec §5): agents `id,role,d,a,k,s,r,tau,v,arm` and natural ties
// `i,j,type,w,q`, each with a header row. Every malformed row is an InputError "FILE:LINE: …".
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.hpp"
#include "core/types.hpp"
#include "network/population.hpp"

namespace kindred {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

/// A field as shown in a message: control characters and bytes that are not printable ASCII
/// escaped (so a message stays one line), at most 60 characters.
std::string shown(std::string_view text) {
    constexpr std::size_t kMaxShown = 60;
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == kMaxShown) return out + "...";
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    return out;
}

/// Position of the first byte of `line` that is not text (a control character other than tab
/// and CR, or a byte that does not belong to valid UTF-8), or npos.
std::size_t first_non_text_byte(std::string_view line) {
    for (std::size_t i = 0; i < line.size();) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) return i;
            ++i;
            continue;
        }
        const std::size_t length = c >= 0xC2 && c <= 0xDF   ? 2
                                   : c >= 0xE0 && c <= 0xEF ? 3
                                   : c >= 0xF0 && c <= 0xF4 ? 4
                                                            : 0;
        if (length == 0 || i + length > line.size()) return i;
        for (std::size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(line[i + k]) & 0xC0) != 0x80) return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

/// Lines longer than this are refused (a binary file may hold no newline at all).
constexpr std::size_t kMaxLineBytes = 1u << 20;

/// Reads a CSV file line by line; rows are split on commas (quoted fields are not supported).
class CsvReader {
  public:
    CsvReader(const std::filesystem::path& path, std::string_view what) : path_(path.string()) {
        std::error_code ec;
        const auto status = std::filesystem::status(path, ec);
        if (std::filesystem::is_directory(status)) {
            throw InputError(fmt::format("{}: cannot read {} CSV: it is a directory", path_, what));
        }
        if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
            // A FIFO would block until a writer comes; a device might never end.
            throw InputError(
                fmt::format("{}: cannot read {} CSV: expected a regular file, found a special file",
                            path_, what));
        }
        in_.open(path);
        if (!in_) {
            throw InputError(
                fmt::format("{}: cannot open {} CSV ({})", path_, what, std::strerror(errno)));
        }
    }

    /// Next non-empty row, or false at the end of the file.
    bool next(std::vector<std::string_view>& fields) {
        while (read_line()) {
            ++line_number_;
            if (trim(line_).empty()) continue;
            if (const std::size_t at = first_non_text_byte(line_); at != std::string::npos) {
                const auto byte = static_cast<unsigned char>(line_[at]);
                fail(byte == 0 ? std::string("expected text, found a NUL byte")
                               : fmt::format("expected UTF-8 text, found the byte 0x{:02x} at "
                                             "column {} (a binary file?)",
                                             byte, at + 1));
            }
            if (line_.find('"') != std::string::npos) {
                fail("quoted fields are not supported: expected plain comma-separated values");
            }
            fields.clear();
            std::string_view rest(line_);
            for (;;) {
                const auto comma = rest.find(',');
                fields.push_back(trim(rest.substr(0, comma)));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            return true;
        }
        return false;
    }

    void expect_header(const std::vector<std::string_view>& expected) {
        std::vector<std::string_view> fields;
        if (!next(fields)) {
            throw InputError(fmt::format("{}: expected a header row '{}', found an empty file",
                                         path_, fmt::join(expected, ",")));
        }
        if (fields != expected) {
            fail(fmt::format("expected the header '{}', found '{}'", fmt::join(expected, ","),
                             shown(line_)));
        }
    }

    /// std::getline with a length limit.
    bool read_line() {
        line_.clear();
        std::streambuf* buffer = in_.rdbuf();
        int c = 0;
        while ((c = buffer->sbumpc()) != std::char_traits<char>::eof()) {
            if (c == '\n') return true;
            if (line_.size() == kMaxLineBytes) {
                ++line_number_;
                fail(fmt::format("expected lines of at most {} bytes, found a longer one",
                                 kMaxLineBytes));
            }
            line_ += static_cast<char>(c);
        }
        return !line_.empty();
    }

    [[noreturn]] void fail(const std::string& message) const { fail_at(line_number_, message); }
    [[noreturn]] void fail_at(long line, const std::string& message) const {
        throw InputError(fmt::format("{}:{}: {}", path_, line, message));
    }
    long line() const { return line_number_; }

    double number(std::string_view field, std::string_view column, double lo, double hi) const {
        double value = 0.0;
        const auto* end = field.data() + field.size();
        const auto [ptr, ec] = std::from_chars(field.data(), end, value);
        if (field.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) ||
            value < lo || value > hi) {
            fail(fmt::format("column '{}': expected a number in [{}, {}], found '{}'", column, lo,
                             hi, shown(field)));
        }
        return value;
    }

    long integer(std::string_view field, std::string_view column, long lo, long hi) const {
        long value = 0;
        const auto* end = field.data() + field.size();
        const auto [ptr, ec] = std::from_chars(field.data(), end, value);
        if (field.empty() || ec != std::errc() || ptr != end || value < lo || value > hi) {
            fail(fmt::format("column '{}': expected an integer in [{}, {}], found '{}'", column, lo,
                             hi, shown(field)));
        }
        return value;
    }

    void expect_columns(const std::vector<std::string_view>& fields, std::size_t count) const {
        if (fields.size() != count) {
            fail(
                fmt::format("expected {} comma-separated columns, found {}", count, fields.size()));
        }
    }

  private:
    std::string path_;
    std::ifstream in_;
    std::string line_;
    long line_number_ = 0;
};

/// The rows of the ties file by pair, to find a pair tied twice. Sorting once after the parse
/// costs a fraction of a hash set of pairs (5 M ties: a few hundred ms instead of seconds).
class PairRegister {
  public:
    /// A row of `line` (lines increase row by row) tying i and j.
    void add(AgentId i, AgentId j, long line) {
        rows_.push_back({tie_entity(std::min(i, j), std::max(i, j)),
                         static_cast<std::uint64_t>(line) << 1 | (i > j ? 1u : 0u)});
    }

    /// Throws, for the first row in file order whose pair an earlier row already tied, the
    /// error "expected at most one tie per pair" at that row's line; returns when there is none.
    void check(const CsvReader& reader) {
        std::sort(rows_.begin(), rows_.end(), [](const Row& x, const Row& y) {
            return x.pair != y.pair ? x.pair < y.pair : x.line_swapped < y.line_swapped;
        });
        const Row* first_repeat = nullptr;
        for (std::size_t k = 1; k < rows_.size(); ++k) {
            if (rows_[k].pair == rows_[k - 1].pair &&
                (first_repeat == nullptr || rows_[k].line_swapped < first_repeat->line_swapped)) {
                first_repeat = &rows_[k];
            }
        }
        if (first_repeat == nullptr) return;
        const auto smaller = static_cast<AgentId>(first_repeat->pair >> 32);
        const auto larger = static_cast<AgentId>(first_repeat->pair & 0xFFFFFFFFu);
        const bool swapped = (first_repeat->line_swapped & 1u) != 0;
        reader.fail_at(static_cast<long>(first_repeat->line_swapped >> 1),
                       fmt::format("expected at most one tie per pair, found a second tie "
                                   "between agents {} and {}",
                                   swapped ? larger : smaller, swapped ? smaller : larger));
    }

  private:
    struct Row {
        std::uint64_t pair;          ///< tie_entity(smaller, larger)
        std::uint64_t line_swapped;  ///< line << 1, plus 1 when the row gave the larger id first
    };
    std::vector<Row> rows_;
};

}  // namespace

World load_csv_population(const std::filesystem::path& agents_csv,
                          const std::filesystem::path& ties_csv,
                          const std::vector<std::string>& arm_names) {
    World world;
    {
        const std::vector<std::string_view> header = {"id", "role", "d",   "a", "k",
                                                      "s",  "r",    "tau", "v", "arm"};
        CsvReader reader(agents_csv, "agents");
        reader.expect_header(header);
        std::vector<std::string_view> fields;
        while (reader.next(fields)) {
            reader.expect_columns(fields, header.size());
            const long expected_id = static_cast<long>(world.agent_count());
            const long id = reader.integer(fields[0], "id", 0, 2'000'000'000);
            if (id != expected_id) {
                reader.fail(
                    fmt::format("column 'id': expected ids 0 … N-1 in order, so {} here, found {}",
                                expected_id, id));
            }
            AgentInit init;
            const auto role = parse_role(fields[1]);
            if (!role) {
                reader.fail(fmt::format("column 'role': expected one of {}, found '{}'",
                                        role_names(), shown(fields[1])));
            }
            init.role = *role;
            init.d = reader.number(fields[2], "d", 0, 1);
            init.a = reader.number(fields[3], "a", 0, 1);
            init.k = reader.number(fields[4], "k", 0, 1);
            init.s = reader.number(fields[5], "s", 0, 1);
            init.r = reader.number(fields[6], "r", 0, 1);
            init.tau = reader.number(fields[7], "tau", 0, 1);
            init.v = reader.number(fields[8], "v", 0, 1);
            if (!fields[9].empty()) {
                const auto arm = std::find(arm_names.begin(), arm_names.end(), fields[9]);
                if (arm == arm_names.end()) {
                    reader.fail(
                        fmt::format("column 'arm': expected one of the scenario's arms "
                                    "({}) or empty, found '{}'",
                                    fmt::join(arm_names, ", "), shown(fields[9])));
                }
                if (init.role != Role::patient) {
                    reader.fail(
                        fmt::format("column 'arm': expected an arm only on a patient (or "
                                    "empty), found arm '{}' on a {}",
                                    shown(fields[9]), to_string(init.role)));
                }
                init.arm = static_cast<int>(arm - arm_names.begin());
            }
            world.add_agent(init);
        }
        if (world.agent_count() == 0) {
            reader.fail("expected at least one agent row after the header, found none");
        }
    }
    {
        const std::vector<std::string_view> header = {"i", "j", "type", "w", "q"};
        CsvReader reader(ties_csv, "ties");
        reader.expect_header(header);
        std::vector<std::string_view> fields;
        PairRegister pairs;
        const long last_id = static_cast<long>(world.agent_count()) - 1;
        // Errors come in file order: a row that fails is reported only when no earlier row
        // repeated a pair (the pairs are checked once, after the parse or before such an error).
        try {
            while (reader.next(fields)) {
                reader.expect_columns(fields, header.size());
                TieInit tie;
                tie.i = static_cast<AgentId>(reader.integer(fields[0], "i", 0, last_id));
                tie.j = static_cast<AgentId>(reader.integer(fields[1], "j", 0, last_id));
                if (tie.i == tie.j) {
                    reader.fail(
                        fmt::format("expected a tie between two different agents, found a "
                                    "self-tie of agent {}",
                                    tie.i));
                }
                const auto type = parse_tie_type(fields[2]);
                if (!type) {
                    reader.fail(fmt::format("column 'type': expected one of {}, found '{}'",
                                            tie_type_names(), shown(fields[2])));
                }
                tie.type = *type;
                tie.w = reader.number(fields[3], "w", 0, 1);
                tie.q = reader.number(fields[4], "q", -1, 1);
                pairs.add(tie.i, tie.j, reader.line());
                world.add_tie(tie);
            }
        } catch (const InputError&) {
            pairs.check(reader);  // an earlier repeated pair comes first
            throw;
        }
        pairs.check(reader);
    }
    world.shrink_to_fit();  // read row by row: release the arrays' spare capacity
    world.rebuild_adjacency();
    return world;
}

}  // namespace kindred
