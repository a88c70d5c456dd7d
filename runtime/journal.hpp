#pragma once
// The master's recovery journal (Spark's FILESYSTEM recovery mode, as plain
// code): one record per change of what a restarted master needs -- workers,
// applications, drivers added, changed, removed -- appended to D/journal
// and fsync'd, compacted into D/snapshot (written to a temporary file,
// fsync'd, renamed) when the journal grows past a bound. Records carry whole
// entries, so replaying one twice is harmless (a crash between a snapshot's
// rename and the journal's reset).
//
// On disk, after a header line naming the file's kind, one line per record:
//     <payload length> <crc32 of the payload, 8 hex digits> <payload>\n
// where the payload is tab-separated, backslash-escaped text that a person
// can read. A line that fails its length or checksum, or does not decode, is
// reported with its file, line number and byte offset and skipped; a truncated
// last line is normal after a crash. A file without the header is refused.

#include "runtime/cluster_book.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {

enum class record_kind : uint8_t {
  worker_added, worker_changed, worker_removed,
  app_added, app_changed, app_removed,
  driver_added, driver_changed, driver_removed,
};

std::string_view to_string(record_kind k);

/// One change. `worker`, `app` or `driver` is set for the added/changed kinds
/// (the whole entry as it is now); `id` names what a *_removed record removes.
struct journal_record {
  record_kind kind = record_kind::worker_added;
  book_image::worker worker;
  book_image::app app;
  book_image::driver driver;
  std::string id;
  bool operator==(const journal_record&) const = default;
};

// -- pure functions ------------------------------------------------------------------

/// Applies one record to the tables.
void apply(book_image& img, const journal_record& r);
/// Replays records in order from nothing.
book_image replay(const std::vector<journal_record>& records);
/// The records that turn `before` into `after` (whole entries; order: workers, apps, drivers).
std::vector<journal_record> diff(const book_image& before, const book_image& after);

/// The payload of one record (no line framing).
std::string encode_record(const journal_record& r);
/// Decodes a payload; nullopt with `error` set when it is not a record.
std::optional<journal_record> decode_record(std::string_view payload, std::string& error);
/// One framed line: "<length> <crc32> <payload>\n".
std::string frame_line(std::string_view payload);
/// CRC-32 (IEEE) of the bytes.
uint32_t crc32(std::string_view bytes);

/// A line that was skipped while loading.
struct journal_problem {
  std::string file;
  int64_t line = 0;    ///< 1-based
  int64_t offset = 0;  ///< byte offset of the line's start
  std::string what;
  /// "FILE line N (byte B): WHAT".
  std::string describe() const;
};

/// Reads one journal or snapshot file's records (`kind` is "journal" or
/// "snapshot": the header it must start with). A missing file is empty.
/// Returns "" or why the file is refused as a whole (unreadable, not a
/// troupe journal); skipped lines go to `problems`.
std::string read_records(const std::string& path, std::string_view kind, std::vector<journal_record>& records,
                         std::vector<journal_problem>& problems);

// -- the files ---------------------------------------------------------------------

/// A recovery directory in use by one master.
class journal {
public:
  /// Journal bytes past which it is compacted into the snapshot.
  static constexpr int64_t default_compact_bytes = 1 << 20;

  /// Opens `dir` (creating it), takes its lock, loads the snapshot and then
  /// the journal, and compacts (so that skipped lines are not read again; a
  /// journal with bad lines is kept beside as journal.bad). nullptr with
  /// `error` set when the directory cannot be used or holds something that
  /// is not a troupe journal.
  static std::unique_ptr<journal> open(const std::string& dir, std::string& error,
                                       int64_t compact_bytes = default_compact_bytes);
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// What was recorded (after open: what the previous master left; then the current state).
  const book_image& tables() const { return tables_; }
  /// Whether open found anything recorded.
  bool recovered() const { return recovered_; }
  /// Lines open skipped, with their positions.
  const std::vector<journal_problem>& problems() const { return problems_; }

  /// Appends the records that turn tables() into `now` (fsync'd), then
  /// compacts past the bound. Returns "" or what failed (the tables still
  /// follow `now`: the next successful append or compaction catches up).
  std::string sync(const book_image& now);
  /// Appends records (fsync'd); "" or what failed.
  std::string append(const std::vector<journal_record>& records);
  /// Writes the snapshot of tables() and empties the journal; "" or what failed.
  std::string compact();

  std::string journal_path() const;
  std::string snapshot_path() const;
  int64_t journal_bytes() const { return journal_bytes_; }
  int64_t compactions() const { return compactions_; }

private:
  journal() = default;
  std::string open_journal_for_append();

  std::string dir_;
  int64_t compact_bytes_ = default_compact_bytes;
  int lock_fd_ = -1;
  int journal_fd_ = -1;
  int64_t journal_bytes_ = 0;
  int64_t compactions_ = 0;
  bool recovered_ = false;
  bool dirty_ = false;  ///< an append failed: the next sync compacts
  book_image tables_;
  std::vector<journal_problem> problems_;
};

} // namespace troupe
