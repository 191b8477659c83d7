// Result tables: CSV and HDF5 output.
#include "analysis/table.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "analysis/hdf5_io.hpp"
#include "core/types.hpp"

namespace kindred::analysis {

namespace {

std::string csv_number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
    return fmt::format("{}", value);
}

std::string csv_text(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

}  // namespace

Table::Table(std::string name, std::string title, std::vector<ColumnSpec> columns)
    : name_(std::move(name)), title_(std::move(title)), columns_(std::move(columns)) {}

void Table::add_row(std::vector<Cell> cells) {
    if (cells.size() != columns_.size()) {
        throw std::invalid_argument(fmt::format("table {}: row of {} cells, expected {}", name_,
                                                cells.size(), columns_.size()));
    }
    for (std::size_t c = 0; c < cells.size(); ++c) {
        const ColumnKind kind = columns_[c].kind;
        Cell& cell = cells[c];
        if (kind == ColumnKind::number && std::holds_alternative<std::int64_t>(cell)) {
            cell = static_cast<double>(std::get<std::int64_t>(cell));
        }
        const bool ok =
            (kind == ColumnKind::number && std::holds_alternative<double>(cell)) ||
            (kind == ColumnKind::integer && std::holds_alternative<std::int64_t>(cell)) ||
            (kind == ColumnKind::text && std::holds_alternative<std::string>(cell));
        if (!ok) {
            throw std::invalid_argument(
                fmt::format("table {}: column {} has the wrong kind", name_, columns_[c].name));
        }
    }
    rows_.push_back(std::move(cells));
}

std::size_t Table::column_index(const std::string& name) const {
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (columns_[c].name == name) return c;
    }
    throw std::out_of_range("table " + name_ + " has no column " + name);
}

std::string Table::to_csv() const {
    std::string out;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (c > 0) out += ',';
        out += csv_text(columns_[c].name);
    }
    out += '\n';
    for (const auto& row : rows_) {
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) out += ',';
            if (const auto* number = std::get_if<double>(&row[c])) {
                out += csv_number(*number);
            } else if (const auto* integer = std::get_if<std::int64_t>(&row[c])) {
                out += std::to_string(*integer);
            } else {
                out += csv_text(std::get<std::string>(row[c]));
            }
        }
        out += '\n';
    }
    return out;
}

void Table::write_csv(const std::filesystem::path& path) const {
    std::ofstream file(path, std::ios::binary);
    file << to_csv();
    file.close();
    if (!file) throw RuntimeFailure(fmt::format("cannot write {}", path.string()));
}

std::string format_number(double value, int digits) {
    if (std::isnan(value)) return "–";
    if (std::isinf(value)) return value > 0 ? "∞" : "−∞";
    if (value == 0.0) return "0";
    const int magnitude = static_cast<int>(std::floor(std::log10(std::abs(value))));
    const int decimals = std::max(0, digits - 1 - magnitude);
    std::string text = fmt::format("{:.{}f}", value, decimals);
    if (text.starts_with('-')) text = "−" + text.substr(1);  // typographic minus
    return text;
}

void write_analysis_file(const std::filesystem::path& path, const std::vector<Table>& tables,
                         const std::vector<std::pair<std::string, std::string>>& attributes) {
    std::filesystem::path temporary = path;
    temporary += fmt::format(".tmp-{}", static_cast<long>(getpid()));
    const hdf5::QuietErrors quiet;
    const hdf5::Io io(path.string());
    try {
        {
            const hdf5::Handle file(
                io.check(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                         "cannot create " + temporary.string()),
                H5Fclose);
            const hdf5::Handle root = io.create_group(file.get(), "analysis");
            io.write_attribute(file.get(), "format", std::string("kindred-analysis"));
            io.write_attribute(file.get(), "format_version", std::int64_t{1});
            for (const auto& [name, value] : attributes) {
                io.write_attribute(root.get(), name, value);
            }
            std::vector<std::string> names;
            for (const Table& table : tables) names.push_back(table.name());
            io.write_attribute(root.get(), "tables", names);
            for (const Table& table : tables) {
                const hdf5::Handle group = io.create_group(root.get(), table.name());
                io.write_attribute(group.get(), "title", table.title());
                io.write_attribute(group.get(), "description", table.description);
                std::vector<std::string> columns;
                for (const auto& column : table.columns()) columns.push_back(column.name);
                io.write_attribute(group.get(), "columns", columns);
                for (std::size_t c = 0; c < table.columns().size(); ++c) {
                    const ColumnSpec& column = table.columns()[c];
                    if (column.kind == ColumnKind::number) {
                        std::vector<double> values;
                        for (const auto& row : table.rows())
                            values.push_back(std::get<double>(row[c]));
                        io.write_doubles(group.get(), column.name, values);
                    } else if (column.kind == ColumnKind::integer) {
                        std::vector<std::int64_t> values;
                        for (const auto& row : table.rows()) {
                            values.push_back(std::get<std::int64_t>(row[c]));
                        }
                        io.write_ints(group.get(), column.name, values);
                    } else {
                        std::vector<std::string> values;
                        for (const auto& row : table.rows()) {
                            values.push_back(std::get<std::string>(row[c]));
                        }
                        io.write_strings(group.get(), column.name, values);
                    }
                    const hdf5::Handle dataset = io.open_dataset(group.get(), column.name);
                    io.write_attribute(dataset.get(), "meaning", column.meaning);
                }
            }
            io.check_status(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "cannot flush");
        }
        std::filesystem::rename(temporary, path);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
}

}  // namespace kindred::analysis
