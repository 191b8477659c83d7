// Internal helpers of the config layer: strict, located reading of yaml-cpp nodes (every error
// is an InputError "FILE:LINE:COL: key 'k': expected …, found …"), and the program fields that
// model files and per-arm overrides in scenarios share. Not installed; only config/ includes it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/scenario.hpp"

namespace kindred::detail {

/// "FILE:LINE:COL" with 1-based line and column (yaml-cpp marks are 0-based); "FILE" alone when
/// the mark is unknown.
std::string location(const std::string& file, const YAML::Mark& mark);

/// What a node holds, for the "found …" part of a message: 'text' for a plain scalar, "text"
/// for a quoted one, "an empty value", "a list", "a map".
std::string describe(const YAML::Node& node);

/// `text` safe to show inside a one-line message: control characters and bytes that are not
/// UTF-8 escaped (\n, \t, \x01, …), cut after `max_chars` characters ("...").
std::string printable(std::string_view text, std::size_t max_chars = 200);

/// "a directory", "a FIFO (named pipe)", "a socket", "a device", "not a regular file".
std::string_view file_type_name(std::filesystem::file_type type);

/// Limits on the text of a scenario or model file, checked before parsing.
inline constexpr std::size_t kMaxYamlBytes = 16u << 20;  ///< 16 MiB

/// Reads a whole regular file of at most `max_bytes`; throws InputError "FILE: cannot open
/// WHAT (reason)", "FILE: cannot open WHAT: expected a regular file, found a FIFO" (a FIFO or
/// a device would block or never end) or "FILE: expected a WHAT of at most N MiB, found …".
std::string read_text_file(const std::filesystem::path& path, std::string_view what,
                           std::size_t max_bytes = kMaxYamlBytes);
inline constexpr int kMaxYamlIndent = 256;    ///< leading spaces of a line
inline constexpr int kMaxYamlFlowDepth = 64;  ///< nested [ and {

/// Throws InputError "FILE:LINE:COL: expected …" when the text is too large, not UTF-8, holds
/// control characters other than tab, CR and LF, or nests deeper than the limits above.
void check_yaml_text(const std::string& text, const std::string& file);

/// Parses one YAML document (after check_yaml_text); syntax errors and extra documents become
/// located InputErrors.
YAML::Node parse_yaml(const std::string& text, const std::string& file);

/// One value in a file: its dotted key path ("arms[1].share"), the node, and where it is (the
/// value's mark, or its key's when the value is empty: yaml-cpp marks empty values elsewhere).
struct Field {
    const std::string* file = nullptr;
    std::string path;
    YAML::Node node;
    YAML::Mark mark;

    /// Throws InputError "FILE:LINE:COL: key 'PATH': expected EXPECTED, found FOUND".
    [[noreturn]] void fail(std::string_view expected, std::string_view found) const;
    /// Same, with FOUND = describe(node).
    [[noreturn]] void fail(std::string_view expected) const;
    std::string where() const { return location(*file, mark); }
};

/// A YAML map checked on construction: a map, scalar keys, each key at most once, every key in
/// `allowed` (errors list the allowed keys). Keeps the keys in file order.
class Map {
  public:
    Map(const Field& field, std::vector<std::string> allowed, std::string_view what = "a map");
    /// A map whose keys are checked by the caller (still scalar and unique).
    static Map any_keys(const Field& field, std::string_view what);

    /// The value of `key`, or nullopt when absent.
    std::optional<Field> find(std::string_view key) const;
    /// The value of `key`; when absent throws "key 'PATH.KEY': expected EXPECTED (required),
    /// found nothing" at the map.
    Field require(std::string_view key, std::string_view expected) const;
    bool has(std::string_view key) const { return find(key).has_value(); }
    /// All entries, in file order.
    const std::vector<std::pair<std::string, Field>>& entries() const { return entries_; }
    const Field& self() const { return self_; }

  private:
    Map(const Field& field, const std::vector<std::string>* allowed, std::string_view what);

    Field self_;
    std::vector<std::pair<std::string, Field>> entries_;
};

/// The elements of a list, each as a Field "PATH[i]". Throws when the node is not a list.
std::vector<Field> read_list(const Field& field, std::string_view expected);

/// Strict scalar readers. Ranges are closed unless said; a number must be finite; an integer
/// must be written as one (2.5 and 1e3 are not integers); quoted scalars are strings.
double read_number(const Field& field, double lo, double hi, bool lo_open = false);
std::int64_t read_integer(const Field& field, std::int64_t lo, std::int64_t hi);
int read_int(const Field& field, int lo, int hi = std::numeric_limits<int>::max());
std::uint64_t read_uint64(const Field& field);
bool read_bool(const Field& field);
/// A scalar as text; `nonempty` rejects "".
std::string read_string(const Field& field, bool nonempty = true);

/// Text → number without YAML: the whole text must be a number (one leading '+' allowed;
/// "inf"/"nan" and YAML's ".inf"/".nan" parse, non-finite, so callers can name them).
std::optional<double> parse_number_text(std::string_view text);
std::optional<std::int64_t> parse_integer_text(std::string_view text);
std::optional<std::uint64_t> parse_uint64_text(std::string_view text);

/// "a number in [0, 1]", "a number >= 0", "an integer >= 1", "an integer in [0, 9]".
std::string number_range_text(double lo, double hi, bool lo_open = false);
std::string integer_range_text(std::int64_t lo, std::int64_t hi);

/// ", " joined.
std::string join(const std::vector<std::string>& names);
/// `text` cut at every `separator` (an empty text gives one empty part).
std::vector<std::string> split(const std::string& text, char separator);

// Program fields shared by model files and per-arm overrides (defined in model_loader.cpp).

/// reciprocal | partial | unidirectional | a number in [0,1].
double read_reciprocity(const Field& field);
Expertise read_expertise(const Field& field);
/// Sets the resources listed in the map; `complete` requires all six.
void read_resources(const Field& field, ResourceVector& resources, bool complete);

/// Reads one of the scalar program fields that both a model file and an arm may set
/// (reciprocity, expertise, resources (partial when !complete_resources), start_week,
/// duration_weeks, valence, strength, group_strength, caseload, group_size, staff_per_group)
/// into `program`. Returns false when `key` is not one of them.
bool read_program_field(ProgramSpec& program, std::string_view key, const Field& field,
                        bool complete_resources);

/// The model file a catalogue name or a path refers to, or nullopt when no such file exists.
/// A name is looked up as DIR/NAME.yaml in the catalogue's directories, in order; a path
/// (containing '/' or ending in .yaml) is taken relative to `relative_to` (a directory).
std::optional<std::filesystem::path> resolve_model(const ModelCatalogue& catalogue,
                                                   const std::string& name_or_path,
                                                   const std::filesystem::path& relative_to);
/// True when `name_or_path` is a path rather than a catalogue name.
bool is_model_path(std::string_view name_or_path);
/// "searched: DIRS; available: NAMES" for a model that was not found.
std::string catalogue_summary(const ModelCatalogue& catalogue);

}  // namespace kindred::detail
