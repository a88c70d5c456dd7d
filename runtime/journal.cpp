#include "runtime/journal.hpp"

#include "runtime/parse_int.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace troupe {

namespace {

constexpr std::array<std::string_view, 9> kind_names{
  "worker_added", "worker_changed", "worker_removed", "app_added", "app_changed",
  "app_removed",  "driver_added",   "driver_changed", "driver_removed"};

const std::string journal_header = "troupe-journal v1\n";
const std::string snapshot_header = "troupe-snapshot v1\n";
/// The longest line we read (a record is far shorter; a longer "line" is garbage).
constexpr size_t max_line = 16 << 20;

// -- fields -----------------------------------------------------------------------------

void put(std::string& out, std::string_view field) {
  if (!out.empty())
    out += '\t';
  for (char c : field) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}
void put(std::string& out, int64_t n) { put(out, std::to_string(n)); }

/// Reads tab-separated, escaped fields one at a time.
class fields {
public:
  explicit fields(std::string_view text) : text_(text) {}

  bool next(std::string& out, std::string& error) {
    if (done_) {
      error = "too few fields";
      return false;
    }
    out.clear();
    while (pos_ < text_.size() && text_[pos_] != '\t') {
      char c = text_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) {
        error = "a dangling escape";
        return false;
      }
      char e = text_[pos_++];
      switch (e) {
        case '\\': out += '\\'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        default: error = std::string("a bad escape \\") + e; return false;
      }
    }
    if (pos_ < text_.size())
      ++pos_;  // the tab
    else
      done_ = true;
    return true;
  }

  template <class Int>
  bool number(Int& out, std::string& error, int64_t min, int64_t max) {
    std::string s;
    if (!next(s, error))
      return false;
    int64_t n = 0;
    if (!parse_int(s, n) || n < min || n > max) {
      error = "a bad number '" + s.substr(0, 40) + "'";
      return false;
    }
    out = static_cast<Int>(n);
    return true;
  }

  template <class State>
  bool state(State& out, std::string& error) {
    std::string s;
    if (!next(s, error))
      return false;
    auto st = state_from_string<State>(s);
    if (!st) {
      error = "a bad state '" + s.substr(0, 40) + "'";
      return false;
    }
    out = *st;
    return true;
  }

  bool strings(std::vector<std::string>& out, std::string& error) {
    size_t n = 0;
    if (!number(n, error, 0, 1 << 20))
      return false;
    out.resize(n);
    for (auto& s : out)
      if (!next(s, error))
        return false;
    return true;
  }

  bool pairs(std::map<std::string, std::string>& out, std::string& error) {
    size_t n = 0;
    if (!number(n, error, 0, 1 << 20))
      return false;
    for (size_t i = 0; i < n; ++i) {
      std::string k, v;
      if (!next(k, error) || !next(v, error))
        return false;
      out[k] = v;
    }
    return true;
  }

private:
  std::string_view text_;
  size_t pos_ = 0;
  bool done_ = false;
};

constexpr int64_t i32max = std::numeric_limits<int32_t>::max();
constexpr int64_t i64max = std::numeric_limits<int64_t>::max();
constexpr int64_t i64min = std::numeric_limits<int64_t>::min();

bool is_worker(record_kind k) { return k <= record_kind::worker_removed; }
bool is_app(record_kind k) { return k >= record_kind::app_added && k <= record_kind::app_removed; }
bool is_removal(record_kind k) {
  return k == record_kind::worker_removed || k == record_kind::app_removed || k == record_kind::driver_removed;
}

std::string os_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

/// Writes all of `data` to fd; false on error (errno set).
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

/// fsyncs a directory so that a rename in it survives a crash.
void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Writes `content` to path.tmp, fsyncs it, renames it to path, fsyncs the directory.
std::string write_atomically(const std::string& dir, const std::string& path, const std::string& content) {
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return os_error("cannot create", tmp);
  if (!write_all(fd, content) || ::fsync(fd) != 0) {
    auto err = os_error("cannot write", tmp);
    ::close(fd);
    return err;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return os_error("cannot rename " + tmp + " to", path);
  sync_dir(dir);
  return {};
}

} // namespace

std::string_view to_string(record_kind k) {
  auto i = static_cast<size_t>(k);
  return i < kind_names.size() ? kind_names[i] : std::string_view{"unknown"};
}

// -- pure functions ------------------------------------------------------------------

void apply(book_image& img, const journal_record& r) {
  switch (r.kind) {
    case record_kind::worker_added:
    case record_kind::worker_changed: img.workers[r.worker.offer.id] = r.worker; break;
    case record_kind::worker_removed: img.workers.erase(r.id); break;
    case record_kind::app_added:
    case record_kind::app_changed: img.apps[r.app.id] = r.app; break;
    case record_kind::app_removed: img.apps.erase(r.id); break;
    case record_kind::driver_added:
    case record_kind::driver_changed: img.drivers[r.driver.id] = r.driver; break;
    case record_kind::driver_removed: img.drivers.erase(r.id); break;
  }
}

book_image replay(const std::vector<journal_record>& records) {
  book_image img;
  for (auto& r : records)
    apply(img, r);
  return img;
}

namespace {

/// Records for one table: added/changed for entries of `after` that differ, removed for the gone.
template <class Map, class Set>
void diff_table(const Map& before, const Map& after, record_kind added, record_kind changed, record_kind removed,
                Set set, std::vector<journal_record>& out) {
  for (auto& [id, entry] : after) {
    auto it = before.find(id);
    if (it != before.end() && it->second == entry)
      continue;
    journal_record r;
    r.kind = it == before.end() ? added : changed;
    set(r, entry);
    out.push_back(std::move(r));
  }
  for (auto& [id, entry] : before)
    if (after.count(id) == 0) {
      journal_record r;
      r.kind = removed;
      r.id = id;
      out.push_back(std::move(r));
    }
}

} // namespace

std::vector<journal_record> diff(const book_image& before, const book_image& after) {
  std::vector<journal_record> out;
  diff_table(before.workers, after.workers, record_kind::worker_added, record_kind::worker_changed,
             record_kind::worker_removed, [](journal_record& r, const book_image::worker& w) { r.worker = w; }, out);
  diff_table(before.apps, after.apps, record_kind::app_added, record_kind::app_changed, record_kind::app_removed,
             [](journal_record& r, const book_image::app& a) { r.app = a; }, out);
  diff_table(before.drivers, after.drivers, record_kind::driver_added, record_kind::driver_changed,
             record_kind::driver_removed, [](journal_record& r, const book_image::driver& d) { r.driver = d; }, out);
  return out;
}

std::string encode_record(const journal_record& r) {
  std::string out;
  put(out, to_string(r.kind));
  if (is_removal(r.kind)) {
    put(out, r.id);
    return out;
  }
  if (is_worker(r.kind)) {
    auto& w = r.worker;
    put(out, w.offer.id);
    put(out, w.offer.host);
    put(out, w.offer.port);
    put(out, w.offer.cores);
    put(out, w.offer.memory_mb);
    put(out, to_string(w.state));
  } else if (is_app(r.kind)) {
    auto& a = r.app;
    auto& q = a.request;
    put(out, a.id);
    put(out, to_string(a.state));
    put(out, a.start_ms);
    put(out, a.next_executor);
    put(out, q.name);
    put(out, q.cores_max);
    put(out, q.executor_cores);
    put(out, q.executor_memory_mb);
    put(out, q.submit_host);
    put(out, q.driver_host);
    put(out, q.driver_port);
    put(out, q.driver);
    put(out, static_cast<int64_t>(q.args.size()));
    for (auto& s : q.args)
      put(out, s);
    put(out, static_cast<int64_t>(q.conf.size()));
    for (auto& [k, v] : q.conf) {
      put(out, k);
      put(out, v);
    }
  } else {
    auto& d = r.driver;
    auto& q = d.request;
    put(out, d.id);
    put(out, to_string(d.state));
    put(out, d.worker);
    put(out, d.start_ms);
    put(out, d.message);
    put(out, q.app);
    put(out, q.cores);
    put(out, q.memory_mb);
    put(out, q.supervise ? 1 : 0);
    put(out, q.submit_host);
    put(out, static_cast<int64_t>(q.args.size()));
    for (auto& s : q.args)
      put(out, s);
    put(out, static_cast<int64_t>(q.conf_args.size()));
    for (auto& s : q.conf_args)
      put(out, s);
  }
  return out;
}

std::optional<journal_record> decode_record(std::string_view payload, std::string& error) {
  fields f{payload};
  std::string kind;
  if (!f.next(kind, error))
    return std::nullopt;
  journal_record r;
  bool known = false;
  for (size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == kind) {
      r.kind = static_cast<record_kind>(i);
      known = true;
    }
  if (!known) {
    error = "an unknown record kind '" + kind.substr(0, 40) + "'";
    return std::nullopt;
  }
  bool ok = true;
  if (is_removal(r.kind)) {
    ok = f.next(r.id, error) && !r.id.empty();
  } else if (is_worker(r.kind)) {
    auto& w = r.worker;
    ok = f.next(w.offer.id, error) && f.next(w.offer.host, error) && f.number(w.offer.port, error, 0, 65535)
         && f.number(w.offer.cores, error, 0, i32max) && f.number(w.offer.memory_mb, error, 0, i64max)
         && f.state(w.state, error) && !w.offer.id.empty();
  } else if (is_app(r.kind)) {
    auto& a = r.app;
    auto& q = a.request;
    ok = f.next(a.id, error) && f.state(a.state, error) && f.number(a.start_ms, error, i64min, i64max)
         && f.number(a.next_executor, error, 0, i32max) && f.next(q.name, error)
         && f.number(q.cores_max, error, 0, i32max) && f.number(q.executor_cores, error, 0, i32max)
         && f.number(q.executor_memory_mb, error, 0, i64max) && f.next(q.submit_host, error)
         && f.next(q.driver_host, error) && f.number(q.driver_port, error, 0, 65535) && f.next(q.driver, error)
         && f.strings(q.args, error) && f.pairs(q.conf, error) && !a.id.empty();
  } else {
    auto& d = r.driver;
    auto& q = d.request;
    int supervise = 0;
    ok = f.next(d.id, error) && f.state(d.state, error) && f.next(d.worker, error)
         && f.number(d.start_ms, error, i64min, i64max) && f.next(d.message, error) && f.next(q.app, error)
         && f.number(q.cores, error, 0, i32max) && f.number(q.memory_mb, error, 0, i64max)
         && f.number(supervise, error, 0, 1) && f.next(q.submit_host, error) && f.strings(q.args, error)
         && f.strings(q.conf_args, error) && !d.id.empty();
    q.supervise = supervise == 1;
  }
  if (!ok) {
    if (error.empty())
      error = "an empty id";
    error = to_string(r.kind).data() + std::string(" record with ") + error;
    return std::nullopt;
  }
  return r;
}

uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes)
    c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string frame_line(std::string_view payload) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(payload));
  std::string line = std::to_string(payload.size()) + " " + crc + " ";
  line.append(payload);
  line += '\n';
  return line;
}

std::string journal_problem::describe() const {
  return file + " line " + std::to_string(line) + " (byte " + std::to_string(offset) + "): " + what;
}

namespace {

/// Checks one line's framing; returns its payload or sets `error`.
std::optional<std::string_view> unframe(std::string_view line, std::string& error) {
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    error = "not a journal line (no length and checksum)";
    return std::nullopt;
  }
  int64_t len = 0;
  if (!parse_int(line.substr(0, sp1), len) || len < 0) {
    error = "a bad length field";
    return std::nullopt;
  }
  auto crc_text = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto payload = line.substr(sp2 + 1);
  if (static_cast<int64_t>(payload.size()) != len) {
    error = "length " + std::to_string(len) + " but " + std::to_string(payload.size()) + " payload bytes";
    return std::nullopt;
  }
  char want[9];
  std::snprintf(want, sizeof want, "%08x", crc32(payload));
  if (crc_text != want) {
    error = "checksum mismatch";
    return std::nullopt;
  }
  return payload;
}

} // namespace

std::string read_records(const std::string& path, std::string_view kind, std::vector<journal_record>& records,
                         std::vector<journal_problem>& problems) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return {};
  if (!std::filesystem::is_regular_file(path, ec))
    return path + " is not a regular file";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return os_error("cannot read", path);
  const auto& header = kind == "snapshot" ? snapshot_header : journal_header;
  std::string head(header.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (head.empty())
    return {};  // an empty file: created, nothing written yet
  if (head != header)
    return path + " is not a troupe " + std::string(kind) + " (it does not start with '"
           + header.substr(0, header.size() - 1) + "'); refusing to use or overwrite it";
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return os_error("cannot read", path);
  auto text = buf.str();
  int64_t lineno = 1;
  size_t pos = 0;
  bool ended = false;
  size_t count = 0;
  while (pos < text.size()) {
    ++lineno;
    auto offset = static_cast<int64_t>(pos + header.size());
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      problems.push_back({path, lineno, offset,
                          "truncated last line (" + std::to_string(text.size() - pos)
                            + " bytes without an end of line, as a crash mid-append leaves it): skipped"});
      break;
    }
    std::string_view line{text.data() + pos, nl - pos};
    pos = nl + 1;
    if (line.size() > max_line) {
      problems.push_back({path, lineno, offset, "a line of " + std::to_string(line.size()) + " bytes: skipped"});
      continue;
    }
    std::string error;
    auto payload = unframe(line, error);
    if (!payload) {
      problems.push_back({path, lineno, offset, error + ": skipped"});
      continue;
    }
    if (kind == "snapshot" && payload->rfind("end\t", 0) == 0) {
      ended = true;
      if (payload->substr(4) != std::to_string(count))
        problems.push_back({path, lineno, offset, "the snapshot's end names " + std::string(payload->substr(4))
                                                    + " records, " + std::to_string(count) + " were read"});
      continue;
    }
    auto r = decode_record(*payload, error);
    if (!r) {
      problems.push_back({path, lineno, offset, error + ": skipped"});
      continue;
    }
    records.push_back(std::move(*r));
    ++count;
  }
  if (kind == "snapshot" && !ended)
    problems.push_back({path, lineno, static_cast<int64_t>(text.size() + header.size()),
                        "the snapshot has no end line: it is incomplete"});
  return {};
}

// -- the files ---------------------------------------------------------------------

std::string journal::journal_path() const { return dir_ + "/journal"; }
std::string journal::snapshot_path() const { return dir_ + "/snapshot"; }

journal::~journal() {
  if (journal_fd_ >= 0)
    ::close(journal_fd_);
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

std::unique_ptr<journal> journal::open(const std::string& dir, std::string& error, int64_t compact_bytes) {
  std::unique_ptr<journal> j{new journal};
  j->dir_ = dir;
  j->compact_bytes_ = std::max<int64_t>(compact_bytes, 1);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    error = "cannot use recovery dir " + dir + ": " + (ec ? ec.message() : "not a directory");
    return nullptr;
  }
  auto lock = dir + "/lock";
  j->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (j->lock_fd_ < 0) {
    error = "cannot use recovery dir " + dir + ": " + os_error("cannot open", lock);
    return nullptr;
  }
  if (::flock(j->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    error = "recovery dir " + dir + " is in use by another master (" + lock + " is locked)";
    return nullptr;
  }
  std::vector<journal_record> records;
  std::vector<journal_problem> journal_problems;
  if (auto err = read_records(j->snapshot_path(), "snapshot", records, j->problems_); !err.empty()) {
    error = err;
    return nullptr;
  }
  if (auto err = read_records(j->journal_path(), "journal", records, journal_problems); !err.empty()) {
    error = err;
    return nullptr;
  }
  j->tables_ = replay(records);
  j->recovered_ = !j->tables_.empty();
  bool bad_journal = false;
  for (auto& p : journal_problems) {
    bad_journal = bad_journal || p.what.rfind("truncated last line", 0) != 0;
    j->problems_.push_back(p);
  }
  if (bad_journal) {
    // Keep what could not be read for whoever looks into it.
    std::filesystem::copy_file(j->journal_path(), j->journal_path() + ".bad",
                               std::filesystem::copy_options::overwrite_existing, ec);
  }
  // Start from a clean journal: skipped lines are not read again, and
  // appends never follow a torn line.
  if (auto err = j->compact(); !err.empty()) {
    error = "cannot write recovery dir " + dir + ": " + err;
    return nullptr;
  }
  return j;
}

std::string journal::open_journal_for_append() {
  if (journal_fd_ >= 0)
    return {};
  journal_fd_ = ::open(journal_path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (journal_fd_ < 0)
    return os_error("cannot open", journal_path());
  struct stat st{};
  journal_bytes_ = ::fstat(journal_fd_, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  return {};
}

std::string journal::append(const std::vector<journal_record>& records) {
  if (records.empty())
    return {};
  for (auto& r : records)
    apply(tables_, r);
  if (auto err = open_journal_for_append(); !err.empty()) {
    dirty_ = true;
    return err;
  }
  std::string data;
  for (auto& r : records)
    data += frame_line(encode_record(r));
  if (!write_all(journal_fd_, data) || ::fdatasync(journal_fd_) != 0) {
    dirty_ = true;
    return os_error("cannot append to", journal_path());
  }
  journal_bytes_ += static_cast<int64_t>(data.size());
  if (dirty_ || journal_bytes_ > compact_bytes_)
    return compact();
  return {};
}

std::string journal::sync(const book_image& now) {
  auto records = diff(tables_, now);
  if (records.empty() && !dirty_)
    return {};
  if (records.empty())
    return compact();
  return append(records);
}

std::string journal::compact() {
  std::string snap = snapshot_header;
  size_t n = 0;
  for (auto& r : diff(book_image{}, tables_)) {
    snap += frame_line(encode_record(r));
    ++n;
  }
  snap += frame_line("end\t" + std::to_string(n));
  if (auto err = write_atomically(dir_, snapshot_path(), snap); !err.empty()) {
    dirty_ = true;
    return err;
  }
  // The snapshot holds everything: start the journal over (a crash before
  // this rename replays the old journal on top, which changes nothing).
  if (journal_fd_ >= 0) {
    ::close(journal_fd_);
    journal_fd_ = -1;
  }
  if (auto err = write_atomically(dir_, journal_path(), journal_header); !err.empty()) {
    dirty_ = true;
    return err;
  }
  journal_bytes_ = static_cast<int64_t>(journal_header.size());
  dirty_ = false;
  ++compactions_;
  return {};
}

} // namespace troupe
