// The master's recovery journal: records round-trip, replay rebuilds the
// book's tables, compaction keeps them, and damaged files are reported with
// their position, skipped or refused -- never a crash.
#include "runtime/journal.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace troupe;
using troupe::testing::contains;
using troupe::testing::temp_dir;

namespace {

book_image sample_image() {
  book_image img;
  img.workers["worker-a"] = {{"worker-a", "127.0.0.1", 7001, 4, 4096}, worker_state::alive};
  img.workers["worker-b"] = {{"worker-b", "127.0.0.1", 7002, 2, 2048}, worker_state::dead};
  app_request q;
  q.name = "word_count";
  q.cores_max = 6;
  q.executor_cores = 2;
  q.executor_memory_mb = 512;
  q.submit_host = "host\twith tab";
  q.driver_host = "127.0.0.1";
  q.driver_port = 40001;
  q.args = {"in file.txt", "back\\slash", "new\nline", ""};
  q.conf = {{"task.max-failures", "3"}, {"empty", ""}};
  img.apps["app-1"] = {"app-1", q, app_state::running, 1700000000000, 3};
  driver_request dq;
  dq.app = "pi";
  dq.cores = 1;
  dq.memory_mb = 512;
  dq.supervise = true;
  dq.submit_host = "me";
  dq.args = {"100"};
  dq.conf_args = {"--conf", "log.level=info"};
  img.drivers["driver-1"] = {"driver-1", dq, driver_state::running, "worker-a", 1700000000001, "a message"};
  return img;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void append_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

} // namespace

BOOST_AUTO_TEST_SUITE(journal_suite)

BOOST_AUTO_TEST_CASE(every_record_kind_round_trips_through_its_line) {
  auto img = sample_image();
  auto records = diff(book_image{}, img);
  BOOST_TEST(records.size() == 4u);
  journal_record removal;
  removal.kind = record_kind::app_removed;
  removal.id = "app-\t0";
  records.push_back(removal);
  for (auto& r : records) {
    auto payload = encode_record(r);
    BOOST_TEST(payload.find('\n') == std::string::npos, payload);
    std::string error;
    auto back = decode_record(payload, error);
    BOOST_TEST_REQUIRE(back.has_value(), error);
    BOOST_TEST((*back == r), payload);
  }
  BOOST_TEST((replay(diff(book_image{}, img)) == img));
}

BOOST_AUTO_TEST_CASE(diff_emits_changes_and_removals_and_replay_follows) {
  auto before = sample_image();
  auto after = before;
  after.workers["worker-a"].state = worker_state::dead;
  after.apps.erase("app-1");
  after.drivers["driver-1"].state = driver_state::finished;
  auto records = diff(before, after);
  BOOST_TEST_REQUIRE(records.size() == 3u);
  BOOST_TEST((records[0].kind == record_kind::worker_changed));
  BOOST_TEST((records[1].kind == record_kind::app_removed));
  BOOST_TEST(records[1].id == "app-1");
  BOOST_TEST((records[2].kind == record_kind::driver_changed));
  auto img = before;
  for (auto& r : records)
    apply(img, r);
  BOOST_TEST((img == after));
  BOOST_TEST(diff(after, after).empty());
}

BOOST_AUTO_TEST_CASE(a_journal_reopens_with_what_was_synced) {
  temp_dir dir("troupe-journal");
  auto path = dir / "rec";
  std::string error;
  {
    auto j = journal::open(path, error);
    BOOST_TEST_REQUIRE(j != nullptr, error);
    BOOST_TEST(!j->recovered());
    BOOST_TEST(j->problems().empty());
    auto img = sample_image();
    BOOST_TEST(j->sync(img) == "");
    img.apps["app-1"].state = app_state::finished;
    BOOST_TEST(j->sync(img) == "");
    BOOST_TEST((j->tables() == img));
  }
  auto text = read_file(path + "/journal");
  BOOST_TEST(text.rfind("troupe-journal v1\n", 0) == 0u, text);
  BOOST_TEST(contains(text, "app_changed\tapp-1\tfinished"), text);
  auto j = journal::open(path, error);
  BOOST_TEST_REQUIRE(j != nullptr, error);
  BOOST_TEST(j->recovered());
  BOOST_TEST(j->problems().empty());
  auto want = sample_image();
  want.apps["app-1"].state = app_state::finished;
  BOOST_TEST((j->tables() == want));
}

BOOST_AUTO_TEST_CASE(a_journal_past_its_bound_is_compacted_into_the_snapshot) {
  temp_dir dir("troupe-journal");
  auto path = dir / "rec";
  std::string error;
  book_image img;
  {
    auto j = journal::open(path, error, 2000);
    BOOST_TEST_REQUIRE(j != nullptr, error);
    auto opened = j->compactions();
    for (int i = 0; i < 100; ++i) {
      auto id = "worker-" + std::to_string(i);
      img.workers[id] = {{id, "127.0.0.1", static_cast<uint16_t>(7000 + i), 1, 1024}, worker_state::alive};
      if (i % 3 == 0)
        img.workers.erase("worker-" + std::to_string(i / 2));
      BOOST_TEST(j->sync(img) == "");
      BOOST_TEST(j->journal_bytes() <= 2000 + 200);
    }
    BOOST_TEST(j->compactions() >= opened + 3);
    BOOST_TEST((j->tables() == img));
  }
  auto snap = read_file(path + "/snapshot");
  BOOST_TEST(snap.rfind("troupe-snapshot v1\n", 0) == 0u);
  BOOST_TEST(contains(snap, " end\t"), snap);
  auto j = journal::open(path, error);
  BOOST_TEST_REQUIRE(j != nullptr, error);
  BOOST_TEST(j->problems().empty());
  BOOST_TEST((j->tables() == img));
  BOOST_TEST(!std::filesystem::exists(path + "/snapshot.tmp"));
}

BOOST_AUTO_TEST_CASE(a_truncated_last_line_is_reported_and_skipped) {
  temp_dir dir("troupe-journal");
  auto path = dir / "rec";
  std::string error;
  {
    auto j = journal::open(path, error);
    BOOST_TEST_REQUIRE(j != nullptr, error);
    BOOST_TEST(j->sync(sample_image()) == "");
  }
  auto before = read_file(path + "/journal");
  // A crash mid-append: half a line, no newline.
  auto half = frame_line("worker_added\tworker-z\t127.0.0.1\t1\t1\t1\talive");
  append_raw(path + "/journal", half.substr(0, half.size() / 2));
  auto j = journal::open(path, error);
  BOOST_TEST_REQUIRE(j != nullptr, error);
  BOOST_TEST_REQUIRE(j->problems().size() == 1u);
  auto& p = j->problems()[0];
  BOOST_TEST(p.file == path + "/journal");
  BOOST_TEST(p.offset == static_cast<int64_t>(before.size()));
  BOOST_TEST(p.line == 6);  // header + 4 records
  BOOST_TEST(contains(p.describe(), "line 6 (byte " + std::to_string(before.size()) + "): truncated last line"),
             p.describe());
  BOOST_TEST((j->tables() == sample_image()));
  BOOST_TEST(!std::filesystem::exists(path + "/journal.bad"));
  // The torn line is gone: appends start on a line of their own.
  auto img = sample_image();
  img.workers.erase("worker-b");
  BOOST_TEST(j->sync(img) == "");
  j.reset();
  auto again = journal::open(path, error);
  BOOST_TEST_REQUIRE(again != nullptr, error);
  BOOST_TEST(again->problems().empty());
  BOOST_TEST((again->tables() == img));
}

BOOST_AUTO_TEST_CASE(a_corrupt_middle_line_is_reported_with_its_position_and_the_rest_is_kept) {
  temp_dir dir("troupe-journal");
  auto path = dir / "rec";
  std::string error;
  {
    auto j = journal::open(path, error);
    BOOST_TEST_REQUIRE(j != nullptr, error);
    BOOST_TEST(j->sync(sample_image()) == "");
  }
  // Flip one byte inside the second record (the second worker's line).
  auto text = read_file(path + "/journal");
  auto line2 = text.find('\n', text.find('\n') + 1) + 1;  // start of the 2nd record (line 3)
  auto victim = text.find("worker-b", line2);
  BOOST_TEST_REQUIRE(victim != std::string::npos);
  text[victim + 7] = 'X';
  // And a line of garbage after the next one (line 5).
  auto line5 = text.find('\n', text.find('\n', line2) + 1) + 1;
  text.insert(line5, "garbage that is no journal line\n");
  std::ofstream(path + "/journal", std::ios::binary | std::ios::trunc) << text;

  auto j = journal::open(path, error);
  BOOST_TEST_REQUIRE(j != nullptr, error);
  BOOST_TEST_REQUIRE(j->problems().size() == 2u);
  BOOST_TEST(j->problems()[0].line == 3);
  BOOST_TEST(j->problems()[0].offset == static_cast<int64_t>(line2));
  BOOST_TEST(contains(j->problems()[0].what, "checksum mismatch"), j->problems()[0].describe());
  BOOST_TEST(j->problems()[1].line == 5);
  BOOST_TEST(j->problems()[1].offset == static_cast<int64_t>(line5));
  auto want = sample_image();
  want.workers.erase("worker-b");
  BOOST_TEST((j->tables() == want));
  BOOST_TEST(std::filesystem::exists(path + "/journal.bad"));
}

BOOST_AUTO_TEST_CASE(a_file_that_is_no_journal_is_refused_and_left_alone) {
  temp_dir dir("troupe-journal");
  auto path = dir / "rec";
  std::filesystem::create_directories(path);
  std::ofstream(path + "/journal", std::ios::binary) << "PNG\x89 something else entirely\n\x01\x02";
  std::string error;
  auto j = journal::open(path, error);
  BOOST_TEST(j == nullptr);
  BOOST_TEST(contains(error, path + "/journal is not a troupe journal"), error);
  BOOST_TEST(read_file(path + "/journal") == std::string("PNG\x89 something else entirely\n\x01\x02"));

  // A snapshot of garbage too.
  auto other = dir / "rec2";
  std::filesystem::create_directories(other);
  std::ofstream(other + "/snapshot", std::ios::binary) << std::string(10000, '\0');
  auto k = journal::open(other, error);
  BOOST_TEST(k == nullptr);
  BOOST_TEST(contains(error, "is not a troupe snapshot"), error);
}

BOOST_AUTO_TEST_CASE(an_unusable_dir_is_refused_with_the_reason) {
  temp_dir dir("troupe-journal");
  std::string error;
  // A file where the directory should be.
  auto file = dir.write("a-file", "x");
  BOOST_TEST(journal::open(file, error) == nullptr);
  BOOST_TEST(contains(error, "cannot use recovery dir " + file), error);
  // A directory this process cannot write (root can: then only check it opens).
  auto ro = dir / "read-only";
  std::filesystem::create_directories(ro);
  ::chmod(ro.c_str(), 0500);
  auto j = journal::open(ro, error);
  if (::geteuid() != 0) {
    BOOST_TEST(j == nullptr);
    BOOST_TEST(contains(error, ro), error);
  }
  j.reset();
  ::chmod(ro.c_str(), 0700);
  // Two masters on one directory: the second is refused.
  auto shared = dir / "shared";
  auto first = journal::open(shared, error);
  BOOST_TEST_REQUIRE(first != nullptr, error);
  BOOST_TEST(journal::open(shared, error) == nullptr);
  BOOST_TEST(contains(error, "in use by another master"), error);
}

BOOST_AUTO_TEST_SUITE_END()

// -- the book's side of recovery: restore, re-registration, reconciliation --------------

namespace {

book_image recorded_cluster() {
  book_image img;
  img.workers["worker-a"] = {{"worker-a", "127.0.0.1", 7001, 4, 4096}, worker_state::alive};
  img.workers["worker-b"] = {{"worker-b", "127.0.0.1", 7002, 4, 4096}, worker_state::alive};
  img.workers["worker-c"] = {{"worker-c", "127.0.0.1", 7003, 4, 4096}, worker_state::dead};
  app_request q;
  q.name = "page_rank";
  q.executor_cores = 1;
  q.executor_memory_mb = 512;
  q.cores_max = 2;
  img.apps["app-1"] = {"app-1", q, app_state::running, 1, 3};
  img.apps["app-old"] = {"app-old", q, app_state::finished, 0, 1};
  driver_request dq;
  dq.app = "pi";
  img.drivers["driver-1"] = {"driver-1", dq, driver_state::running, "worker-a", 2, ""};
  img.drivers["driver-2"] = {"driver-2", dq, driver_state::submitted, "", 3, ""};
  img.drivers["driver-3"] = {"driver-3", dq, driver_state::running, "worker-b", 4, ""};
  return img;
}

template <class T>
size_t count_of(const book_decisions& out) {
  size_t n = 0;
  for (auto& d : out)
    n += std::holds_alternative<T>(d) ? 1 : 0;
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(book_recovery_suite)

BOOST_AUTO_TEST_CASE(a_restored_book_adopts_what_workers_report_and_places_nothing_until_recovered) {
  cluster_book book;
  book.restore(recorded_cluster(), 0);
  BOOST_TEST(book.recovering());
  BOOST_TEST(!book.recovery_answered());
  BOOST_TEST((book.worker("worker-a")->state == worker_state::unknown));
  BOOST_TEST((book.worker("worker-c")->state == worker_state::dead));
  BOOST_TEST(!book.is_alive("worker-a"));

  book_decisions out;
  std::string error;
  auto r = book.register_worker({"worker-a", "127.0.0.1", 7001, 4, 4096}, 10, out, error,
                                {{"app-1", "5", 1, 512}, {"app-gone", "0", 1, 512}, {"app-old", "0", 1, 512}},
                                {{"driver-1", driver_state::running, ""}, {"driver-9", driver_state::running, ""}});
  BOOST_TEST((r == registration::accepted));
  // Adopted: its executor of app-1 and driver-1; killed: the rest; placed: nothing yet.
  BOOST_TEST(count_of<launch_executor_order>(out) == 0u);
  BOOST_TEST(count_of<launch_driver_order>(out) == 0u);
  BOOST_TEST(count_of<kill_executor_order>(out) == 2u);
  BOOST_TEST(count_of<kill_driver_order>(out) == 1u);
  auto* w = book.worker("worker-a");
  BOOST_TEST((w->state == worker_state::alive));
  BOOST_TEST(w->cores_used == 1 + 1);  // the executor and driver-1
  BOOST_TEST(w->memory_used == 512 + 1024);
  auto* app = book.app("app-1");
  BOOST_TEST(app->executors.count("5") == 1u);
  BOOST_TEST(app->cores_granted == 1);
  BOOST_TEST(app->next_executor == 6);

  // The driver answers: the application is confirmed; worker-b is still missing.
  out.clear();
  auto rr = book.reregister_application("app-1", app->request, 2, 20, out, error);
  BOOST_TEST((rr == reregistration::confirmed));
  BOOST_TEST(book.app("app-1")->next_executor == 6);
  BOOST_TEST(!book.recovery_answered());
  BOOST_TEST(out.empty());

  // Reconciliation: worker-b is dead, driver-3 (on it) failed, driver-2 placed,
  // app-1 gets its second core.
  out = book.complete_recovery();
  BOOST_TEST(!book.recovering());
  BOOST_TEST((book.worker("worker-b")->state == worker_state::dead));
  BOOST_TEST((book.driver("driver-3")->state == driver_state::failed));
  BOOST_TEST(contains(book.driver("driver-3")->message, "after the master restarted"));
  BOOST_TEST((book.driver("driver-1")->state == driver_state::running));
  BOOST_TEST((book.driver("driver-2")->state == driver_state::running));
  BOOST_TEST(count_of<launch_driver_order>(out) == 1u);
  BOOST_TEST(count_of<launch_executor_order>(out) == 1u);
  BOOST_TEST(book.app("app-1")->executors.count("6") == 1u, "a fresh executor id, above the adopted one");
}

BOOST_AUTO_TEST_CASE(an_application_whose_driver_does_not_answer_is_finished_and_cannot_come_back) {
  cluster_book book;
  book.restore(recorded_cluster(), 0);
  book_decisions out;
  std::string error;
  book.register_worker({"worker-a", "127.0.0.1", 7001, 4, 4096}, 10, out, error, {{"app-1", "0", 1, 512}}, {});
  book.register_worker({"worker-b", "127.0.0.1", 7002, 4, 4096}, 10, out, error, {}, {});
  BOOST_TEST(!book.recovery_answered());  // app-1's driver has not answered
  out = book.complete_recovery();
  BOOST_TEST((book.app("app-1")->state == app_state::finished));
  BOOST_TEST(count_of<kill_executor_order>(out) == 1u);  // its adopted executor goes
  BOOST_TEST(book.worker("worker-a")->cores_used == 1);  // only driver-1 is left there
  out.clear();
  auto rr = book.reregister_application("app-1", book.app("app-1")->request, 0, 30, out, error);
  BOOST_TEST((rr == reregistration::refused));
  BOOST_TEST(contains(error, "ended application app-1"), error);
}

BOOST_AUTO_TEST_CASE(a_master_without_records_takes_applications_back_under_their_ids) {
  cluster_book book;
  book_decisions out;
  std::string error;
  book.register_worker({"worker-a", "127.0.0.1", 7001, 4, 4096}, 0, out, error);
  app_request q;
  q.name = "page_rank";
  q.executor_cores = 1;
  q.executor_memory_mb = 512;
  q.cores_max = 1;
  out.clear();
  auto rr = book.reregister_application("app-20260101000000-0007", q, 4, 5, out, error);
  BOOST_TEST((rr == reregistration::accepted));
  BOOST_TEST(book.app("app-20260101000000-0007") != nullptr);
  BOOST_TEST_REQUIRE(count_of<launch_executor_order>(out) == 1u);
  BOOST_TEST(std::get<launch_executor_order>(out[0]).exec == "4", "executor ids continue where the driver's end");
  // A worker that reports an executor the book released (it was written off) is told to kill it.
  out = book.worker_lost("worker-a", "connection dropped");
  out.clear();
  book.register_worker({"worker-a", "127.0.0.1", 7001, 4, 4096}, 10, out, error,
                       {{"app-20260101000000-0007", "4", 1, 512}}, {});
  BOOST_TEST(count_of<kill_executor_order>(out) == 1u);
  BOOST_TEST(book.app("app-20260101000000-0007")->executors.count("4") == 0u);
}

BOOST_AUTO_TEST_CASE(the_book_image_round_trips_through_a_journal) {
  cluster_book book;
  book.restore(recorded_cluster(), 0);
  book.complete_recovery();
  temp_dir dir("troupe-journal");
  std::string error;
  {
    auto j = journal::open(dir / "rec", error);
    BOOST_TEST_REQUIRE(j != nullptr, error);
    BOOST_TEST(j->sync(book.image()) == "");
  }
  auto j = journal::open(dir / "rec", error);
  BOOST_TEST_REQUIRE(j != nullptr, error);
  BOOST_TEST((j->tables() == book.image()));
}

BOOST_AUTO_TEST_SUITE_END()
