// A result table of the analysis: named, typed columns with a meaning each, built row by
// row, written as CSV (one file per table) and as one HDF5 group (one dataset per column).
//
// @code
//   Table effects("effects", "Hedges' g of distress versus control",
//                 {{"arm", ColumnKind::text, "trial arm"},
//                  {"week", ColumnKind::integer, "week of the outcome"},
//                  {"g", ColumnKind::number, "Hedges' g"}});
//   effects.add_row({std::string("befriending"), std::int64_t{52}, -0.31});
//   effects.write_csv("out/effects.csv");
// @endcode
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace kindred::analysis {

enum class ColumnKind { number, integer, text };

struct ColumnSpec {
    std::string name;
    ColumnKind kind = ColumnKind::number;
    std::string meaning;
};

/// One cell: a number (float64, NaN allowed), an integer or a text.
using Cell = std::variant<double, std::int64_t, std::string>;

class Table {
  public:
    Table() = default;
    Table(std::string name, std::string title, std::vector<ColumnSpec> columns);

    /// Appends a row; cells must match the columns' kinds (an integer is accepted for a number
    /// column). Throws std::invalid_argument otherwise.
    void add_row(std::vector<Cell> cells);

    const std::string& name() const { return name_; }    ///< file stem and HDF5 group name
    const std::string& title() const { return title_; }  ///< one line
    /// Longer explanation (how to read the table); shown in the report and stored.
    std::string description;
    const std::vector<ColumnSpec>& columns() const { return columns_; }
    const std::vector<std::vector<Cell>>& rows() const { return rows_; }
    std::size_t row_count() const { return rows_.size(); }
    /// Index of the column called `name`; throws std::out_of_range.
    std::size_t column_index(const std::string& name) const;

    /// CSV with a header row (RFC 4180 quoting; numbers in shortest round-trip form; NaN,
    /// Inf and -Inf spelt so, as R and pandas read them).
    void write_csv(const std::filesystem::path& path) const;
    std::string to_csv() const;

  private:
    std::string name_;
    std::string title_;
    std::vector<ColumnSpec> columns_;
    std::vector<std::vector<Cell>> rows_;
};

/// Text of a number for tables meant for people: `digits` significant digits, "–" for NaN.
std::string format_number(double value, int digits = 3);

/// Writes `tables` into a new HDF5 file at `path` (under a temporary name, renamed when
/// complete): group /analysis with attributes `attributes` (name, value pairs), and one
/// subgroup per table holding one dataset per column (float64, int64 or UTF-8 strings) with
/// attributes title, description, columns (names in order) and per dataset `meaning`.
void write_analysis_file(const std::filesystem::path& path, const std::vector<Table>& tables,
                         const std::vector<std::pair<std::string, std::string>>& attributes);

}  // namespace kindred::analysis
