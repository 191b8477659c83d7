// The HDF5 trial file: the one place that knows the layout of docs/hdf5-layout.md.
// Written with the HDF5 C API; every call is checked and turned into a RuntimeFailure that
// names the results file, the object and HDF5's own explanation.
#include "output/hdf5_writer.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/parallel.hpp"
#include "hdf5/common.hpp"

namespace kindred {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kFormatVersion = 1;
constexpr const char* kAllPatientsGroup = "all_patients";
/// Fixed datasets with fewer elements than this are stored contiguous and uncompressed.
constexpr std::size_t kCompressMinElements = 4096;
/// Elements per chunk of fixed 1-D columns.
constexpr hsize_t kColumnChunk = 65536;
/// Trajectory chunks: at most this many agents wide and weeks tall.
constexpr hsize_t kTrajectoryChunkAgents = 4096;
constexpr hsize_t kTrajectoryChunkWeeksMax = 16;
/// Target size of one row of trajectory chunks of one variable (buffered until it is full).
constexpr double kTrajectoryChunkRowBytes = 8.0 * 1024 * 1024;

using hdf5::H5Types;
using hdf5::Handle;

template <std::size_t N>
std::vector<std::string> names_of(const std::array<std::string_view, N>& names) {
    return {names.begin(), names.end()};
}

std::vector<std::string> role_name_list() {
    std::vector<std::string> names;
    for (int r = 0; r < kRoleCount; ++r) names.emplace_back(to_string(static_cast<Role>(r)));
    return names;
}
std::vector<std::string> tie_type_name_list() {
    std::vector<std::string> names;
    for (int t = 0; t < kTieTypeCount; ++t) {
        names.emplace_back(to_string(static_cast<TieType>(t)));
    }
    return names;
}
std::vector<std::string> expertise_name_list() {
    std::vector<std::string> names;
    for (int e = 0; e < kExpertiseCount; ++e) {
        names.emplace_back(to_string(static_cast<Expertise>(e)));
    }
    return names;
}

/// Checked HDF5 operations on one file; failures throw RuntimeFailure naming the file and
/// the object (by its full path). Callers hold the HDF5 lock.
static_assert(std::endian::native == std::endian::little,
              "chunks are written as stored: the file's numbers are little-endian");

/// One chunk of a dataset as the dataset's filters store it: `values` shuffled byte by byte
/// (all first bytes of the numbers, then all second bytes, …: HDF5's shuffle filter), then
/// deflated at `level` into a zlib stream (what HDF5's deflate filter stores and undoes), by
/// libdeflate, which compresses about twice as fast as zlib at the same level; the values as
/// they are at level 0, where the dataset has no filters.
template <typename T>
std::vector<unsigned char> encode_chunk(std::span<const T> values, int level,
                                        const std::string& what) {
    const std::size_t bytes = values.size() * sizeof(T);
    const auto* const raw = reinterpret_cast<const unsigned char*>(values.data());
    if (level <= 0) return {raw, raw + bytes};
    std::vector<unsigned char> shuffled(bytes);
    for (std::size_t j = 0; j < sizeof(T); ++j) {
        unsigned char* const out = shuffled.data() + j * values.size();
        for (std::size_t i = 0; i < values.size(); ++i) out[i] = raw[i * sizeof(T) + j];
    }
    // One compressor per thread and level (libdeflate's take a few hundred kB to set up).
    struct Compressor {
        libdeflate_compressor* state = nullptr;
        int level = -1;
        ~Compressor() { libdeflate_free_compressor(state); }
    };
    thread_local Compressor compressor;
    if (compressor.level != level) {
        libdeflate_free_compressor(compressor.state);
        compressor.state = libdeflate_alloc_compressor(level);
        compressor.level = compressor.state != nullptr ? level : -1;
        if (compressor.state == nullptr) {
            throw RuntimeFailure(
                fmt::format("{}: cannot set up deflate at level {} (out of memory?)", what, level));
        }
    }
    std::vector<unsigned char> encoded(libdeflate_zlib_compress_bound(compressor.state, bytes));
    const std::size_t size = libdeflate_zlib_compress(compressor.state, shuffled.data(), bytes,
                                                      encoded.data(), encoded.size());
    if (size == 0) {
        throw RuntimeFailure(fmt::format("{}: deflate could not compress a chunk", what));
    }
    encoded.resize(size);
    return encoded;
}

/// Calls encode(k) for the `count` chunks of a dataset in parallel, isolated: a thread that
/// waits here (perhaps holding the HDF5 lock) takes no other task meanwhile.
template <typename Encode>
void encode_chunks(std::size_t count, Encode&& encode) {
    tbb::this_task_arena::isolate([&] { parallel_for_each_index(count, encode, 1); });
}

class Io : public hdf5::Checked {
  public:
    explicit Io(std::string file_label) : label_(std::move(file_label)) {}

    [[noreturn]] void fail(const std::string& what) const override {
        const std::string detail = hdf5::error_detail();
        throw RuntimeFailure(fmt::format("cannot write results file {}: {}{}", label_, what,
                                         detail.empty() ? "" : ": " + detail));
    }
    std::string path_of(hid_t parent, const std::string& name) const override {
        return child_path(parent, name);
    }

    /// Full HDF5 path of child `name` of `parent`, for messages.
    static std::string child_path(hid_t parent, const std::string& name) {
        std::array<char, 512> buffer{};
        const ssize_t length = H5Iget_name(parent, buffer.data(), buffer.size());
        std::string base = length > 0 ? std::string(buffer.data()) : std::string();
        if (base.empty() || base.back() != '/') base += '/';
        return base + name;
    }

    /// Creation properties of a fixed-size dataset of `dims`: chunked and compressed (shuffle
    /// + deflate) when large enough and compression is on, else contiguous.
    Handle fixed_layout(std::span<const hsize_t> dims, int level, const std::string& what) const {
        Handle properties(check(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
        std::size_t elements = 1;
        for (hsize_t dim : dims) elements *= static_cast<std::size_t>(dim);
        if (level > 0 && elements >= kCompressMinElements) {
            std::vector<hsize_t> chunk(dims.begin(), dims.end());
            // Rows of a matrix stay whole; the first axis is cut to about kColumnChunk elements.
            hsize_t row_elements = 1;
            for (std::size_t d = 1; d < chunk.size(); ++d) row_elements *= chunk[d];
            chunk[0] = std::clamp<hsize_t>(kColumnChunk / row_elements, 1, chunk[0]);
            check_status(
                H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()), what);
            compress(properties.get(), level, what);
        }
        return properties;
    }

    void compress(hid_t properties, int level, const std::string& what) const {
        if (level <= 0) return;
        check_status(H5Pset_shuffle(properties), what);
        check_status(H5Pset_deflate(properties, static_cast<unsigned>(level)), what);
    }

    /// Fixed-size numeric dataset of shape `dims` from row-major `values`. Compressed, its
    /// chunks (whole rows, so each a run of `values`) are encoded in parallel and written as
    /// they are stored.
    template <typename T>
    void dataset(hid_t parent, const std::string& name, std::span<const hsize_t> dims,
                 std::span<const T> values, int level) const {
        const std::string what = "cannot write dataset " + child_path(parent, name);
        const Handle properties = fixed_layout(dims, level, what);
        if (H5Pget_layout(properties.get()) != H5D_CHUNKED) {
            write_dataset<T>(parent, name, dims, values, properties.get());
            return;
        }
        std::vector<hsize_t> chunk(dims.size());
        check_status(H5Pget_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()),
                     what);
        std::size_t chunk_elements = 1;
        for (const hsize_t extent : chunk) chunk_elements *= static_cast<std::size_t>(extent);
        const std::size_t chunks = (values.size() + chunk_elements - 1) / chunk_elements;
        std::vector<std::vector<unsigned char>> encoded(chunks);
        encode_chunks(chunks, [&](std::size_t k) {
            const std::size_t first = k * chunk_elements;
            const std::size_t count = std::min(chunk_elements, values.size() - first);
            if (count == chunk_elements) {
                encoded[k] = encode_chunk<T>(values.subspan(first, count), level, what);
                return;
            }
            std::vector<T> edge(chunk_elements, T{});  // the last chunk, padded to full size
            std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(first), count, edge.begin());
            encoded[k] = encode_chunk<T>(std::span<const T>(edge), level, what);
        });
        const Handle data = write_dataset<T>(parent, name, dims, {}, properties.get());
        std::vector<hsize_t> offset(dims.size(), 0);
        for (std::size_t k = 0; k < chunks; ++k) {
            offset[0] = static_cast<hsize_t>(k) * chunk[0];
            check_status(H5Dwrite_chunk(data.get(), H5P_DEFAULT, 0, offset.data(),
                                        encoded[k].size(), encoded[k].data()),
                         what);
        }
    }

    /// Fixed-size 1-D numeric dataset.
    template <typename T>
    void column(hid_t parent, const std::string& name, std::span<const T> values, int level) const {
        const std::array<hsize_t, 1> dims{values.size()};
        dataset<T>(parent, name, dims, values, level);
    }

    /// Extendible dataset: `rows` × 0 (2-D, rows > 0) or 0 (1-D, rows == 0), growing along
    /// the agent axis; chunked, optionally compressed, with fill value `fill`.
    template <typename T>
    Handle extendible(hid_t parent, const std::string& name, hsize_t rows, hsize_t chunk_rows,
                      hsize_t chunk_agents, T fill, int level) const {
        const std::string what = "cannot create dataset " + child_path(parent, name);
        const bool matrix = rows > 0;
        const std::array<hsize_t, 2> dims =
            matrix ? std::array<hsize_t, 2>{rows, 0} : std::array<hsize_t, 2>{0, 0};
        const std::array<hsize_t, 2> max_dims = matrix ? std::array<hsize_t, 2>{rows, H5S_UNLIMITED}
                                                       : std::array<hsize_t, 2>{H5S_UNLIMITED, 0};
        const std::array<hsize_t, 2> chunk = matrix
                                                 ? std::array<hsize_t, 2>{chunk_rows, chunk_agents}
                                                 : std::array<hsize_t, 2>{chunk_agents, 0};
        const int rank = matrix ? 2 : 1;
        const Handle space(check(H5Screate_simple(rank, dims.data(), max_dims.data()), what),
                           H5Sclose);
        const Handle create(check(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
        check_status(H5Pset_chunk(create.get(), rank, chunk.data()), what);
        check_status(H5Pset_fill_value(create.get(), H5Types<T>::memory(), &fill), what);
        compress(create.get(), level, what);
        return {check(H5Dcreate2(parent, name.c_str(), H5Types<T>::file(), space.get(), H5P_DEFAULT,
                                 create.get(), H5P_DEFAULT),
                      what),
                H5Dclose};
    }

    /// Grows a 1-D extendible dataset from `old_size` by `values`.
    template <typename T>
    void append(hid_t data, hsize_t old_size, std::span<const T> values,
                const std::string& what) const {
        if (values.empty()) return;
        const hsize_t new_size = old_size + values.size();
        check_status(H5Dset_extent(data, &new_size), what);
        const Handle file_space(check(H5Dget_space(data), what), H5Sclose);
        const hsize_t count = values.size();
        check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &old_size, nullptr,
                                         &count, nullptr),
                     what);
        const Handle memory_space(check(H5Screate_simple(1, &count, nullptr), what), H5Sclose);
        check_status(H5Dwrite(data, H5Types<T>::memory(), memory_space.get(), file_space.get(),
                              H5P_DEFAULT, values.data()),
                     what);
    }

    /// Sets the extent of a 2-D trajectory dataset to `rows` × `agents` and stores one chunk,
    /// already encoded as the dataset's filters would encode it, at (first_row, first_agent).
    void write_chunk(hid_t data, hsize_t rows, hsize_t agents, hsize_t first_row,
                     hsize_t first_agent, std::span<const unsigned char> bytes,
                     const std::string& what) const {
        const std::array<hsize_t, 2> extent{rows, agents};
        check_status(H5Dset_extent(data, extent.data()), what);
        const std::array<hsize_t, 2> offset{first_row, first_agent};
        check_status(
            H5Dwrite_chunk(data, H5P_DEFAULT, 0, offset.data(), bytes.size(), bytes.data()), what);
    }

  private:
    std::string label_;
};

/// Throws InputError when an arm name cannot name an HDF5 group of its own.
void check_arm_names(const Provenance& provenance) {
    std::set<std::string> seen;
    for (const auto& name : provenance.arm_names) {
        std::string problem;
        if (name.empty()) {
            problem = "an arm name may not be empty";
        } else if (name == "." || name.find('/') != std::string::npos) {
            problem = "an arm name may not be '.' or contain '/'";
        } else if (name == kAllPatientsGroup) {
            problem = "'all_patients' is reserved for the aggregates over all patients";
        } else if (!seen.insert(name).second) {
            problem = "two arms have the same name";
        }
        if (!problem.empty()) {
            throw InputError(
                fmt::format("{}: arms: arm '{}': {}", provenance.scenario_path, name, problem));
        }
    }
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string joined;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) joined += '\n';
        joined += lines[i];
    }
    return joined;
}

}  // namespace

namespace detail {

/// State shared by the writer and its replicate recorders. Guarded by the HDF5 lock.
struct TrialFile {
    std::filesystem::path path;
    std::filesystem::path temporary;
    RecordingOptions options;
    int weeks = 0;
    std::vector<std::string> arm_names;
    int control_arm = kNone;
    Io io{""};
    Handle file;
    bool closed = false;    ///< finished or abandoned: no more writing
    bool finished = false;  ///< renamed to the final path
    int replicates = 1;     ///< replicates the trial asks for (root attribute)
    std::set<int> begun;
    std::set<int> open;             ///< begun, recorder alive, not finished
    std::set<int> abandoned;        ///< recorder destroyed or failed before finishing
    std::set<int> recorded_before;  ///< held by a continued file before this process

    /// Closes the file and deletes the temporary; never throws. Caller holds the lock.
    void abandon() noexcept {
        closed = true;
        file.reset();
        H5Eclear2(H5E_DEFAULT);
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
    }

    void require_open(const char* operation) const {
        if (closed) {
            throw std::logic_error(fmt::format("results file '{}': {} after the writer was {}",
                                               path.string(), operation,
                                               finished ? "finished" : "abandoned"));
        }
    }
};

/// One replicate being recorded.
struct ReplicateState {
    std::shared_ptr<TrialFile> file;
    int replicate = 0;
    std::uint64_t seed = 0;
    bool finished = false;
    bool failed = false;  ///< an exception left the group incomplete
    int next_week = 0;

    Handle group;
    Handle trajectories;
    Handle ties;

    /// aggregates[week][g]: g = arm index, then all patients.
    std::vector<std::vector<PatientAggregates>> aggregates;

    /// Distress of each agent at the first week it was recorded (by id).
    std::vector<double> initial_distress;
    /// Distress of each agent at options.middle_week (by id; NaN before it is reached).
    std::vector<double> middle_distress;
    /// Per-patient table, captured at week T.
    std::vector<std::int32_t> patient_id, patient_arm, patient_recovered_week;
    std::vector<double> patient_initial_distress, patient_final_distress, patient_middle_distress;

    /// Trajectories: the weeks with a row, the sample (ascending ids), how many agents have
    /// been considered for it, and the datasets (created at the first trajectory week).
    std::vector<int> trajectory_weeks;
    std::size_t next_row = 0;
    std::size_t agents_considered = 0;
    std::vector<AgentId> sample;
    std::size_t sample_written = 0;
    Handle agent_id, role, arm, created_week;
    std::array<Handle, kVariableCount> values;
    /// The trajectory datasets' chunks (weeks × agents; 0 until the first trajectory week), and
    /// the rows of the current row of chunks not yet written (pending[v][r]: row
    /// first_pending_row + r of variable v, as wide as the sample was that week).
    hsize_t chunk_rows = 0, chunk_agents = 0;
    std::size_t first_pending_row = 0;
    std::array<std::vector<std::vector<double>>, kVariableCount> pending;

    /// A pending row of chunks, encoded: the chunk of `variable` at agent column `column`.
    struct EncodedChunk {
        std::size_t variable;
        hsize_t column;
        std::vector<unsigned char> bytes;
    };

    ~ReplicateState() {
        const hdf5::Lock lock;
        close_handles();
        if (!finished) {
            file->open.erase(replicate);
            file->abandoned.insert(replicate);
        }
    }

    void close_handles() {
        for (auto& handle : values) handle.reset();
        agent_id.reset();
        role.reset();
        arm.reset();
        created_week.reset();
        ties.reset();
        trajectories.reset();
        group.reset();
    }

    std::string label() const { return fmt::format("replicate {}", replicate); }

    /// The trajectory chunks for `initial_agents` sampled agents: up to 4096 agents wide, and
    /// as many weeks tall (up to 16) as make a row of chunks of about 8 MiB per variable.
    void plan_trajectory_chunks(std::size_t initial_agents) {
        const hsize_t rows = trajectory_weeks.size();
        chunk_agents = std::clamp<hsize_t>(initial_agents, 64, kTrajectoryChunkAgents);
        const double row_bytes =
            8.0 * static_cast<double>(std::max<hsize_t>(initial_agents, chunk_agents));
        chunk_rows = std::clamp<hsize_t>(static_cast<hsize_t>(kTrajectoryChunkRowBytes / row_bytes),
                                         1, std::min<hsize_t>(rows, kTrajectoryChunkWeeksMax));
    }

    /// Creates the trajectory datasets (chunks as planned).
    void create_trajectory_datasets() {
        const Io& io = file->io;
        const int level = file->options.compression_level;
        const hsize_t rows = trajectory_weeks.size();
        const hid_t parent = trajectories.get();
        agent_id =
            io.extendible<std::int32_t>(parent, "agent_id", 0, 0, chunk_agents, kNone, level);
        role = io.extendible<std::int8_t>(parent, "role", 0, 0, chunk_agents, -1, level);
        io.write_attribute(role.get(), "names", role_name_list());
        arm = io.extendible<std::int32_t>(parent, "arm", 0, 0, chunk_agents, kNone, level);
        created_week =
            io.extendible<std::int32_t>(parent, "created_week", 0, 0, chunk_agents, kNone, level);
        for (int v = 0; v < kVariableCount; ++v) {
            values[static_cast<std::size_t>(v)] =
                io.extendible<double>(parent, std::string(to_string(static_cast<Variable>(v))),
                                      rows, chunk_rows, chunk_agents, kNaN, level);
        }
    }

    /// Adds this week's trajectory rows (one per variable, in sample order) to the pending row
    /// of chunks; when that is full, or this is the last trajectory week, returns its chunks
    /// encoded, in parallel (no HDF5 call: the caller need not hold the lock).
    std::vector<EncodedChunk> buffer_trajectory_row(std::vector<std::vector<double>> rows) {
        if (chunk_agents == 0) plan_trajectory_chunks(sample.size());
        for (std::size_t v = 0; v < kVariableCount; ++v) pending[v].push_back(std::move(rows[v]));
        const bool last = next_row + 1 == trajectory_weeks.size();
        if (pending[0].size() < chunk_rows && !last) return {};
        const std::size_t width = sample.size();
        const std::size_t columns = (width + chunk_agents - 1) / chunk_agents;
        std::vector<EncodedChunk> chunks(kVariableCount * columns);
        const int level = file->options.compression_level;
        const std::string what = fmt::format("cannot write the trajectories of {}", label());
        encode_chunks(chunks.size(), [&](std::size_t task) {
            const std::size_t v = task / columns;
            const std::size_t column = task % columns;
            const std::size_t first = column * chunk_agents;
            std::vector<double> chunk(chunk_rows * chunk_agents, kNaN);
            for (std::size_t r = 0; r < pending[v].size(); ++r) {
                const std::vector<double>& row = pending[v][r];
                const std::size_t end = std::min<std::size_t>(row.size(), first + chunk_agents);
                if (end > first) {
                    std::copy(row.begin() + static_cast<std::ptrdiff_t>(first),
                              row.begin() + static_cast<std::ptrdiff_t>(end),
                              chunk.begin() + static_cast<std::ptrdiff_t>(r * chunk_agents));
                }
            }
            chunks[task] = {v, column, encode_chunk<double>(chunk, level, what)};
        });
        return chunks;
    }

    /// Writes the trajectory part of this week: the datasets at the first trajectory week, the
    /// metadata of the agents that joined the sample, and, if buffer_trajectory_row() returned
    /// a row of chunks, the agent extent and those chunks. Caller holds the lock.
    void write_trajectory_row(const World& world, std::size_t first_new,
                              const std::vector<EncodedChunk>& chunks) {
        const Io& io = file->io;
        if (!agent_id.valid()) create_trajectory_datasets();
        const std::size_t added = sample.size() - first_new;
        if (added > 0) {
            std::vector<std::int32_t> ids(sample.begin() + static_cast<std::ptrdiff_t>(first_new),
                                          sample.end());
            std::vector<std::int8_t> roles;
            std::vector<std::int32_t> arms, created;
            for (AgentId id : ids) {
                const auto i = static_cast<std::size_t>(id);
                roles.push_back(static_cast<std::int8_t>(world.role[i]));
                arms.push_back(world.arm[i]);
                created.push_back(world.created_week[i]);
            }
            const std::string what = "cannot write the trajectory agents of " + label();
            io.append<std::int32_t>(agent_id.get(), sample_written, ids, what);
            io.append<std::int8_t>(role.get(), sample_written, roles, what);
            io.append<std::int32_t>(arm.get(), sample_written, arms, what);
            io.append<std::int32_t>(created_week.get(), sample_written, created, what);
            sample_written = sample.size();
        }
        for (const EncodedChunk& chunk : chunks) {
            io.write_chunk(values[chunk.variable].get(), trajectory_weeks.size(), sample.size(),
                           first_pending_row, chunk.column * chunk_agents, chunk.bytes,
                           fmt::format("cannot write trajectory {} of {}",
                                       to_string(static_cast<Variable>(chunk.variable)), label()));
        }
        ++next_row;
        if (next_row - first_pending_row == chunk_rows || next_row == trajectory_weeks.size()) {
            for (auto& rows : pending) rows.clear();
            first_pending_row = next_row;
        }
    }

    /// Writes group ties/week_WWWW with every tie of `world`. Caller holds the lock.
    void write_tie_snapshot(int week, const World& world) {
        const Io& io = file->io;
        const int level = file->options.compression_level;
        const Handle snapshot = io.create_group(ties.get(), fmt::format("week_{:04d}", week));
        io.write_attribute<std::int32_t>(snapshot.get(), "week", week);
        const std::size_t n = world.tie_count();
        std::vector<std::int8_t> types(n), expertise(n);
        for (std::size_t e = 0; e < n; ++e) {
            types[e] = static_cast<std::int8_t>(world.tie_type[e]);
            expertise[e] = static_cast<std::int8_t>(world.tie_expertise[e]);
        }
        const hid_t g = snapshot.get();
        io.column<std::int32_t>(g, "u", world.tie_u, level);
        io.column<std::int32_t>(g, "v", world.tie_v, level);
        io.column<std::int8_t>(g, "type", types, level);
        io.column<double>(g, "w", world.tie_w, level);
        io.column<double>(g, "q", world.tie_q, level);
        io.column<double>(g, "rho", world.tie_rho, level);
        io.column<std::int8_t>(g, "expertise", expertise, level);
        io.column<std::int32_t>(g, "client", world.tie_client, level);
        io.column<std::int32_t>(g, "provider", world.tie_provider, level);
        io.column<std::int32_t>(g, "enrolment", world.tie_enrolment, level);
        set_names(g, "type", tie_type_name_list());
        set_names(g, "expertise", expertise_name_list());
    }

    /// Attaches the "names" attribute to dataset `name` of `parent`.
    void set_names(hid_t parent, const char* name, const std::vector<std::string>& names) const {
        const Io& io = file->io;
        const Handle data = io.open_dataset(parent, name);
        io.write_attribute(data.get(), "names", names);
    }

    /// Writes aggregates/ and patients/. Caller holds the lock.
    void write_summary_groups() {
        const Io& io = file->io;
        const int level = file->options.compression_level;
        const auto weeks = static_cast<hsize_t>(file->weeks) + 1;
        const Handle aggregates_group = io.create_group(group.get(), "aggregates");
        std::vector<std::int32_t> week_numbers(weeks);
        for (hsize_t w = 0; w < weeks; ++w) week_numbers[w] = static_cast<std::int32_t>(w);
        io.column<std::int32_t>(aggregates_group.get(), "week", week_numbers, level);

        const std::size_t groups = file->arm_names.size() + 1;
        for (std::size_t g = 0; g < groups; ++g) {
            const bool is_arm = g + 1 < groups;
            const Handle arm_group = io.create_group(
                aggregates_group.get(), is_arm ? file->arm_names[g] : kAllPatientsGroup);
            const hid_t a = arm_group.get();
            io.write_attribute<std::int32_t>(a, "arm",
                                             is_arm ? static_cast<std::int32_t>(g) : kNone);
            io.write_attribute<std::int8_t>(
                a, "control", is_arm && static_cast<int>(g) == file->control_arm ? 1 : 0);

            std::vector<std::int32_t> n_patients(weeks);
            std::vector<double> share(weeks);
            std::vector<double> ties_per_patient(weeks * kTieTypeCount);
            std::vector<double> tie_strength(weeks * kTieTypeCount);
            std::array<std::vector<double>, kVariableCount> summaries;
            for (auto& summary : summaries) summary.resize(weeks * kSummaryColumns);
            for (hsize_t w = 0; w < weeks; ++w) {
                const PatientAggregates& week = aggregates[w][g];
                n_patients[w] = week.n_patients;
                share[w] = week.share_recovered;
                for (std::size_t t = 0; t < kTieTypeCount; ++t) {
                    ties_per_patient[w * kTieTypeCount + t] = week.ties_per_patient[t];
                    tie_strength[w * kTieTypeCount + t] = week.mean_tie_strength[t];
                }
                for (std::size_t v = 0; v < kVariableCount; ++v) {
                    const Summary& s = week.variables[v];
                    const std::array<double, kSummaryColumns> row{s.mean, s.sd, s.q25, s.median,
                                                                  s.q75};
                    std::copy(
                        row.begin(), row.end(),
                        summaries[v].begin() + static_cast<std::ptrdiff_t>(w * kSummaryColumns));
                }
            }
            io.column<std::int32_t>(a, "n_patients", n_patients, level);
            io.column<double>(a, "share_recovered", share, level);
            const std::array<hsize_t, 2> summary_dims{weeks, kSummaryColumns};
            for (std::size_t v = 0; v < kVariableCount; ++v) {
                const std::string name(to_string(static_cast<Variable>(v)));
                io.dataset<double>(a, name, summary_dims, summaries[v], level);
                set_columns(a, name, names_of(kSummaryColumnNames));
            }
            const std::array<hsize_t, 2> tie_dims{weeks, kTieTypeCount};
            io.dataset<double>(a, "ties_per_patient", tie_dims, ties_per_patient, level);
            set_columns(a, "ties_per_patient", tie_type_name_list());
            io.dataset<double>(a, "mean_tie_strength", tie_dims, tie_strength, level);
            set_columns(a, "mean_tie_strength", tie_type_name_list());
        }

        const Handle patients = io.create_group(group.get(), "patients");
        const hid_t p = patients.get();
        io.column<std::int32_t>(p, "id", patient_id, level);
        io.column<std::int32_t>(p, "arm", patient_arm, level);
        io.column<std::int32_t>(p, "recovered_week", patient_recovered_week, level);
        io.column<double>(p, "initial_distress", patient_initial_distress, level);
        io.column<double>(p, "final_distress", patient_final_distress, level);
        if (file->options.middle_week >= 0) {
            io.column<double>(p, "mid_distress", patient_middle_distress, level);
            const Handle data = io.open_dataset(p, "mid_distress");
            io.write_attribute<std::int32_t>(data.get(), "week", file->options.middle_week);
        }
    }

    void set_columns(hid_t parent, const std::string& name,
                     const std::vector<std::string>& columns) const {
        const Io& io = file->io;
        const Handle data = io.open_dataset(parent, name);
        io.write_attribute(data.get(), "columns", columns);
    }
};

}  // namespace detail

void skip_hdf5_exit_cleanup() { H5dont_atexit(); }

// ---- Hdf5TrialWriter ----

namespace {

/// Checks of the constructors' arguments, and the file state they share.
std::shared_ptr<detail::TrialFile> prepare_trial_file(std::filesystem::path path,
                                                      const Provenance& provenance,
                                                      RecordingOptions options) {
    if (provenance.weeks < 0) {
        throw std::invalid_argument(
            fmt::format("Hdf5TrialWriter: weeks must be ≥ 0, found {}", provenance.weeks));
    }
    validate(options, provenance.weeks);
    check_arm_names(provenance);
    const auto arm_count = static_cast<int>(provenance.arm_names.size());
    if (provenance.control_arm != kNone &&
        (provenance.control_arm < 0 || provenance.control_arm >= arm_count)) {
        throw std::invalid_argument(fmt::format("Hdf5TrialWriter: control arm {} of {} arms",
                                                provenance.control_arm, arm_count));
    }
    for (const auto& enrolment : provenance.enrolments) {
        if (enrolment.arm < 0 || enrolment.arm >= arm_count) {
            throw std::invalid_argument(
                fmt::format("Hdf5TrialWriter: enrolment of '{}' in arm {} of {} arms",
                            enrolment.program, enrolment.arm, arm_count));
        }
    }
    std::sort(options.tie_snapshot_weeks.begin(), options.tie_snapshot_weeks.end());
    options.tie_snapshot_weeks.erase(
        std::unique(options.tie_snapshot_weeks.begin(), options.tie_snapshot_weeks.end()),
        options.tie_snapshot_weeks.end());

    auto shared = std::make_shared<detail::TrialFile>();
    detail::TrialFile& file = *shared;
    file.path = std::move(path);
    file.temporary = file.path;
    file.temporary += fmt::format(".tmp-{}", static_cast<long>(getpid()));
    file.options = std::move(options);
    file.weeks = provenance.weeks;
    file.replicates = provenance.replicates;
    file.arm_names = provenance.arm_names;
    file.control_arm = provenance.control_arm;
    file.io = Io(fmt::format("'{}'", file.path.string()));

    if (file.path.has_parent_path()) {
        std::error_code error;
        std::filesystem::create_directories(file.path.parent_path(), error);
        if (error) {
            throw RuntimeFailure(
                fmt::format("cannot write results file '{}': cannot create "
                            "directory '{}': {}",
                            file.path.string(), file.path.parent_path().string(), error.message()));
        }
    }
    return shared;
}

/// Sets the root attribute `complete` of an open trial file. Caller holds the lock.
void write_complete(const detail::TrialFile& file, bool complete) {
    const Io& io = file.io;
    const hid_t root = file.file.get();
    const std::int8_t value = complete ? 1 : 0;
    if (H5Aexists(root, "complete") > 0) {
        const Handle attribute = io.open_attribute(root, "complete");
        io.check_status(H5Awrite(attribute.get(), H5T_NATIVE_INT8, &value),
                        "cannot write attribute /complete");
    } else {
        io.write_attribute<std::int8_t>(root, "complete", value);
    }
}

/// Flushes, closes and renames the temporary file to the final path (or to `elsewhere`).
/// Caller holds the lock.
void close_and_rename(detail::TrialFile& file, const std::filesystem::path& elsewhere = {}) {
    const Io& io = file.io;
    io.check_status(H5Fflush(file.file.get(), H5F_SCOPE_GLOBAL), "cannot flush the file");
    const ssize_t open_objects = H5Fget_obj_count(file.file.get(), H5F_OBJ_ALL);
    if (open_objects != 1) {
        throw std::logic_error(
            fmt::format("results file '{}': {} HDF5 objects still open at "
                        "finish()",
                        file.path.string(), open_objects - 1));
    }
    io.check_status(file.file.reset(), "cannot close the file");
    file.closed = true;
    const std::filesystem::path& target = elsewhere.empty() ? file.path : elsewhere;
    std::error_code error;
    std::filesystem::rename(file.temporary, target, error);
    if (error) {
        throw RuntimeFailure(
            fmt::format("cannot write results file '{}': cannot rename '{}' "
                        "to it: {}",
                        target.string(), file.temporary.string(), error.message()));
    }
    file.finished = true;
}

}  // namespace

Hdf5TrialWriter::Hdf5TrialWriter(std::filesystem::path path, const Provenance& provenance,
                                 RecordingOptions options)
    : file_(prepare_trial_file(std::move(path), provenance, std::move(options))) {
    detail::TrialFile& file = *file_;
    const hdf5::Lock lock;
    const Io& io = file.io;
    try {
        file.file = Handle(
            io.check(H5Fcreate(file.temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                     fmt::format("cannot create temporary file '{}'", file.temporary.string())),
            H5Fclose);
        const hid_t root = file.file.get();
        io.write_attribute(root, "format", std::string("kindred-trial"));
        io.write_attribute<std::int32_t>(root, "format_version", kFormatVersion);
        io.write_attribute(root, "kindred_version", provenance.kindred_version);
        io.write_attribute(root, "scenario_name", provenance.scenario_name);
        io.write_attribute(root, "scenario_path", provenance.scenario_path);
        io.write_attribute(root, "scenario_text", provenance.scenario_text);
        io.write_attribute(root, "overrides", join_lines(provenance.overrides));
        io.write_attribute<std::uint64_t>(root, "seed", provenance.seed);
        io.write_attribute<std::int32_t>(root, "weeks", provenance.weeks);
        io.write_attribute<std::int32_t>(root, "replicates", provenance.replicates);
        io.write_attribute(root, "created", hdf5::utc_timestamp());
        io.write_attribute<std::int8_t>(root, "complete", 0);

        const Handle parameters = io.create_group(root, "parameters");
        for (const ParameterInfo& info : parameter_table()) {
            const double value = info.get(provenance.params);
            if (info.integer) {
                io.write_attribute<std::int64_t>(parameters.get(), std::string(info.name),
                                                 static_cast<std::int64_t>(std::llround(value)));
            } else {
                io.write_attribute<double>(parameters.get(), std::string(info.name), value);
            }
        }

        const Handle arms = io.create_group(root, "arms");
        io.write_strings(arms.get(), "name", provenance.arm_names);
        std::vector<std::int8_t> control(provenance.arm_names.size(), 0);
        if (provenance.control_arm != kNone) {
            control[static_cast<std::size_t>(provenance.control_arm)] = 1;
        }
        io.column<std::int8_t>(arms.get(), "control", control, 0);
        const Handle enrolments = io.create_group(arms.get(), "enrolments");
        std::vector<std::int32_t> enrolment_arm, start_week, end_week;
        std::vector<std::string> program;
        for (const auto& enrolment : provenance.enrolments) {
            enrolment_arm.push_back(enrolment.arm);
            program.push_back(enrolment.program);
            start_week.push_back(enrolment.start_week);
            end_week.push_back(enrolment.end_week);
        }
        io.column<std::int32_t>(enrolments.get(), "arm", enrolment_arm, 0);
        io.write_strings(enrolments.get(), "program", program);
        io.column<std::int32_t>(enrolments.get(), "start_week", start_week, 0);
        io.column<std::int32_t>(enrolments.get(), "end_week", end_week, 0);
        std::vector<std::string> digests;
        for (const auto& enrolment : provenance.enrolments) {
            digests.push_back(enrolment.model_digest);
        }
        io.write_strings(enrolments.get(), "model_digest", digests);
    } catch (...) {
        file.abandon();
        throw;
    }
}

Hdf5TrialWriter::Hdf5TrialWriter(std::filesystem::path path, const Provenance& provenance,
                                 RecordingOptions options, ContinueTrialFile)
    : file_(prepare_trial_file(std::move(path), provenance, std::move(options))) {
    detail::TrialFile& file = *file_;
    std::error_code error;
    std::filesystem::copy_file(file.path, file.temporary,
                               std::filesystem::copy_options::overwrite_existing, error);
    if (error) {
        std::filesystem::remove(file.temporary, error);
        throw RuntimeFailure(
            fmt::format("cannot continue results file '{}': cannot copy it to "
                        "'{}': {}",
                        file.path.string(), file.temporary.string(), error.message()));
    }
    const hdf5::Lock lock;
    const Io& io = file.io;
    try {
        file.file = Handle(
            io.check(H5Fopen(file.temporary.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                     fmt::format("cannot open '{}' to continue it", file.temporary.string())),
            H5Fclose);
        const hid_t root = file.file.get();
        // Every replicate group of a file under its final name is complete (finish_incomplete
        // deletes the others).
        H5G_info_t info{};
        io.check_status(H5Gget_info(root, &info), "cannot list the replicates");
        for (hsize_t k = 0; k < info.nlinks; ++k) {
            std::array<char, 64> name{};
            if (H5Lget_name_by_idx(root, ".", H5_INDEX_NAME, H5_ITER_INC, k, name.data(),
                                   name.size(), H5P_DEFAULT) < 0) {
                io.fail("cannot list the replicates");
            }
            int replicate = -1;
            char rest = 0;
            if (std::sscanf(name.data(), "replicate_%d%c", &replicate, &rest) == 1 &&
                replicate >= 0) {
                file.recorded_before.insert(replicate);
            }
        }
        file.begun = file.recorded_before;
        write_complete(file, false);
    } catch (...) {
        file.abandon();
        throw;
    }
}

const std::set<int>& Hdf5TrialWriter::recorded_before() const { return file_->recorded_before; }

std::set<int> Hdf5TrialWriter::finish_incomplete(const std::filesystem::path& elsewhere) {
    detail::TrialFile& file = *file_;
    const hdf5::Lock lock;
    file.require_open("finish_incomplete()");
    if (!file.open.empty()) {
        throw std::logic_error(fmt::format(
            "results file '{}': finish_incomplete() while a replicate recorder is alive",
            file.path.string()));
    }
    const Io& io = file.io;
    for (int replicate : file.abandoned) {
        const std::string name = fmt::format("replicate_{:03d}", replicate);
        if (H5Lexists(file.file.get(), name.c_str(), H5P_DEFAULT) > 0) {
            io.check_status(H5Ldelete(file.file.get(), name.c_str(), H5P_DEFAULT),
                            "cannot delete the unfinished group /" + name);
        }
        file.begun.erase(replicate);
    }
    file.abandoned.clear();
    write_complete(file, false);
    close_and_rename(file, elsewhere);
    return file.begun;
}

Hdf5TrialWriter::~Hdf5TrialWriter() {
    if (!file_ || file_->finished) return;
    const hdf5::Lock lock;
    file_->abandon();
}

const std::filesystem::path& Hdf5TrialWriter::path() const { return file_->path; }

const std::filesystem::path& Hdf5TrialWriter::temporary_path() const { return file_->temporary; }

ReplicateRecorder Hdf5TrialWriter::begin_replicate(int replicate, std::uint64_t seed) {
    detail::TrialFile& file = *file_;
    const hdf5::Lock lock;
    file.require_open("begin_replicate()");
    if (replicate < 0) {
        throw std::invalid_argument(fmt::format("begin_replicate: replicate {} < 0", replicate));
    }
    if (!file.begun.insert(replicate).second) {
        throw RuntimeFailure(
            fmt::format("cannot write results file '{}': replicate {} was "
                        "already recorded",
                        file.path.string(), replicate));
    }
    auto state = std::make_unique<detail::ReplicateState>();
    state->file = file_;
    state->replicate = replicate;
    state->seed = seed;
    file.open.insert(replicate);
    state->aggregates.reserve(static_cast<std::size_t>(file.weeks) + 1);

    const Io& io = file.io;
    state->group = io.create_group(file.file.get(), fmt::format("replicate_{:03d}", replicate));
    io.write_attribute<std::int32_t>(state->group.get(), "replicate", replicate);
    io.write_attribute<std::uint64_t>(state->group.get(), "seed", seed);
    state->ties = io.create_group(state->group.get(), "ties");
    if (file.options.trajectories) {
        state->trajectory_weeks = trajectory_weeks(file.weeks, file.options.every_weeks);
        state->trajectories = io.create_group(state->group.get(), "trajectories");
        const hid_t t = state->trajectories.get();
        io.write_attribute<std::int32_t>(t, "every_weeks", file.options.every_weeks);
        io.write_attribute<double>(t, "agent_fraction", file.options.agent_fraction);
        std::vector<std::string> roles;
        for (Role role : file.options.roles) roles.emplace_back(to_string(role));
        io.write_attribute(t, "roles", roles.empty() ? role_name_list() : roles);
        io.column<std::int32_t>(t, "week", state->trajectory_weeks, 0);
    }
    return ReplicateRecorder(std::move(state));
}

void Hdf5TrialWriter::finish() {
    detail::TrialFile& file = *file_;
    const hdf5::Lock lock;
    file.require_open("finish()");
    const auto describe = [](const std::set<int>& replicates) {
        std::string text;
        for (int r : replicates) text += (text.empty() ? "" : ", ") + std::to_string(r);
        return text;
    };
    if (!file.open.empty() || !file.abandoned.empty()) {
        std::set<int> incomplete = file.open;
        incomplete.insert(file.abandoned.begin(), file.abandoned.end());
        throw RuntimeFailure(
            fmt::format("cannot write results file '{}': replicate(s) {} "
                        "were begun but not finished",
                        file.path.string(), describe(incomplete)));
    }
    bool complete = true;
    for (int r = 0; r < file.replicates && complete; ++r) complete = file.begun.count(r) > 0;
    write_complete(file, complete);
    close_and_rename(file);
}

// ---- ReplicateRecorder ----

ReplicateRecorder::ReplicateRecorder(std::unique_ptr<detail::ReplicateState> state)
    : state_(std::move(state)) {}
ReplicateRecorder::ReplicateRecorder(ReplicateRecorder&&) noexcept = default;
ReplicateRecorder& ReplicateRecorder::operator=(ReplicateRecorder&&) noexcept = default;
ReplicateRecorder::~ReplicateRecorder() = default;

int ReplicateRecorder::replicate() const { return state_->replicate; }

void ReplicateRecorder::record(const Simulation& sim) {
    record(sim.week(), sim.world(), sim.flows());
}

void ReplicateRecorder::record(int week, const World& world, const Flows& flows) {
    detail::ReplicateState& state = *state_;
    detail::TrialFile& file = *state.file;
    if (state.finished || state.failed) {
        throw std::logic_error(fmt::format("results file '{}': record() on {} after it was {}",
                                           file.path.string(), state.label(),
                                           state.finished ? "finished" : "left incomplete"));
    }
    if (week != state.next_week || week > file.weeks) {
        throw std::invalid_argument(fmt::format(
            "results file '{}': {}: record() for week {}, expected week {} (weeks 0 … {} in "
            "order)",
            file.path.string(), state.label(), week, state.next_week, file.weeks));
    }

    // Everything that does not touch the file is computed before taking the lock.
    auto aggregates =
        aggregate_patients(week, world, flows, static_cast<int>(file.arm_names.size()));
    const std::size_t n = world.agent_count();
    state.initial_distress.resize(n, kNaN);
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(state.initial_distress[i])) {
            state.initial_distress[i] = world.state.distress[i];
        }
    }
    if (week == file.options.middle_week) state.middle_distress = world.state.distress;

    const bool trajectory_row =
        file.options.trajectories && is_trajectory_week(week, file.weeks, file.options.every_weeks);
    std::vector<std::vector<double>> rows;
    const std::size_t first_new = state.sample.size();
    if (trajectory_row) {
        for (std::size_t i = state.agents_considered; i < n; ++i) {
            if (in_trajectory_sample(static_cast<AgentId>(i), world.role[i], state.seed,
                                     static_cast<std::uint64_t>(state.replicate), file.options)) {
                state.sample.push_back(static_cast<AgentId>(i));
            }
        }
        state.agents_considered = n;
        rows.resize(kVariableCount);
        for (int v = 0; v < kVariableCount; ++v) {
            const auto values = variable_values(static_cast<Variable>(v), world, flows);
            auto& row = rows[static_cast<std::size_t>(v)];
            row.reserve(state.sample.size());
            for (AgentId id : state.sample) row.push_back(values[static_cast<std::size_t>(id)]);
        }
    }
    // A full row of chunks is compressed here, on every thread, before the lock is taken.
    std::vector<detail::ReplicateState::EncodedChunk> chunks;
    if (trajectory_row) {
        state.failed = true;  // until the rows are buffered: a retry would buffer them twice
        chunks = state.buffer_trajectory_row(std::move(rows));
        state.failed = false;
    }
    const auto& snapshots = file.options.tie_snapshot_weeks;
    const bool snapshot = std::binary_search(snapshots.begin(), snapshots.end(), week);

    {
        const hdf5::Lock lock;
        file.require_open("record()");
        state.failed = true;
        if (trajectory_row) state.write_trajectory_row(world, first_new, chunks);
        if (snapshot) state.write_tie_snapshot(week, world);
        state.failed = false;
    }

    state.aggregates.push_back(std::move(aggregates));
    if (week == file.weeks) {
        for (std::size_t i = 0; i < n; ++i) {
            if (world.role[i] != Role::patient) continue;
            state.patient_id.push_back(static_cast<std::int32_t>(i));
            state.patient_arm.push_back(world.arm[i]);
            state.patient_recovered_week.push_back(world.recovered_week[i]);
            state.patient_initial_distress.push_back(state.initial_distress[i]);
            state.patient_final_distress.push_back(world.state.distress[i]);
            if (file.options.middle_week >= 0) {
                state.patient_middle_distress.push_back(
                    i < state.middle_distress.size() ? state.middle_distress[i] : kNaN);
            }
        }
    }
    ++state.next_week;
}

void ReplicateRecorder::write_counterfactual(const CounterfactualTable& table) {
    detail::ReplicateState& state = *state_;
    detail::TrialFile& file = *state.file;
    const std::size_t w = table.weeks.size(), p = table.patient.size();
    if (table.arm.size() != p || table.distress_with.size() != w * p ||
        table.distress_without.size() != w * p) {
        throw std::invalid_argument("write_counterfactual: table columns of different sizes");
    }
    if (state.finished || state.failed) {
        throw std::logic_error(fmt::format("results file '{}': write_counterfactual() on a {} {}",
                                           file.path.string(),
                                           state.finished ? "finished" : "failed", state.label()));
    }
    std::vector<double> effect(w * p);
    for (std::size_t k = 0; k < effect.size(); ++k) {
        effect[k] = table.distress_with[k] - table.distress_without[k];
    }
    const hdf5::Lock lock;
    file.require_open("ReplicateRecorder::write_counterfactual()");
    const Io& io = file.io;
    const Handle group = io.create_group(state.group.get(), "counterfactual");
    const int level = file.options.compression_level;
    io.column<std::int32_t>(group.get(), "week", table.weeks, level);
    io.column<std::int32_t>(group.get(), "patient_id", table.patient, level);
    io.column<std::int32_t>(group.get(), "arm", table.arm, level);
    const std::array<hsize_t, 2> dims{w, p};
    io.dataset<double>(group.get(), "distress_with", dims, table.distress_with, level);
    io.dataset<double>(group.get(), "distress_without", dims, table.distress_without, level);
    io.dataset<double>(group.get(), "individual_effect", dims, effect, level);
    io.write_attribute(group.get(), "description",
                       std::string("distress with the programs minus distress in the paired run "
                                   "without any program (same world, same random numbers)"));
}

void ReplicateRecorder::finish() {
    detail::ReplicateState& state = *state_;
    detail::TrialFile& file = *state.file;
    if (state.finished || state.failed || state.next_week != file.weeks + 1) {
        throw std::logic_error(fmt::format(
            "results file '{}': finish() on {} {}", file.path.string(), state.label(),
            state.finished
                ? "twice"
                : fmt::format("after weeks 0 … {} of 0 … {}", state.next_week - 1, file.weeks)));
    }
    const hdf5::Lock lock;
    file.require_open("ReplicateRecorder::finish()");
    state.failed = true;
    state.write_summary_groups();
    state.close_handles();
    state.failed = false;
    state.finished = true;
    file.open.erase(state.replicate);
}

}  // namespace kindred
