#include "runtime/dag_scheduler.hpp"

#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace troupe {

namespace {
// Tasks shorter than this (on average) get a deeper queue on each executor.
constexpr double short_task_us = 1000;
} // namespace

dag_scheduler::dag_scheduler(int32_t max_failures, scheduler_clock now, scheduler_options opts)
    : max_failures_(std::max(max_failures, 1)),
      now_(now ? std::move(now) : scheduler_clock{&std::chrono::steady_clock::now}),
      opts_(std::move(opts)) {
  opts_.stage_max_attempts = std::max(opts_.stage_max_attempts, 1);
}

// -- executors ---------------------------------------------------------------------

void dag_scheduler::add_executor(const executor_id& id, int32_t cores, int32_t extra) {
  auto& e = executors_[id];
  e.cores = cores;
  e.extra = std::max(extra, 0);
}

int32_t dag_scheduler::slots_of(const executor_info& e) const {
  // Short tasks: keep enough queued to cover the driver round trip.
  bool short_tasks = avg_task_us_ > 0 && avg_task_us_ < short_task_us;
  return e.cores + (short_tasks ? std::max(e.extra, 4 * e.cores) : e.extra);
}

int32_t dag_scheduler::slots(const executor_id& id) const {
  auto it = executors_.find(id);
  return it == executors_.end() ? 0 : slots_of(it->second);
}

executor_loss dag_scheduler::remove_executor(const executor_id& id) {
  executor_loss loss;
  if (executors_.erase(id) == 0)
    return loss;
  for (auto& [sid, ts] : active_)
    for (auto t : ts.on_executor_lost(id)) {
      task_owner_.erase(t);
      loss.lost_tasks.push_back(t);
    }
  lose_outputs_of(id, &loss.lost_outputs);
  for (auto& [node, parts] : cache_locs_)
    for (auto& [p, execs] : parts)
      execs.erase(id);
  return loss;
}

void dag_scheduler::lose_outputs_of(const executor_id& id, size_t* count) {
  // A map stage that already finished comes back through schedule() (its
  // consumers are no longer ready); one still running takes the lost
  // partitions back as pending at once (Spark's TaskSetManager does the
  // same on executor loss). Either way only the missing partitions run.
  for (auto& [sh, outs] : outputs_) {
    task_set* running = nullptr;
    if (auto st = shuffle_stage_.find(sh); st != shuffle_stage_.end())
      if (auto ts = active_.find(st->second); ts != active_.end())
        running = &ts->second;
    for (size_t m = 0; m < outs.size(); ++m) {
      auto& o = outs[m];
      if (!o || *o != id)
        continue;
      o.reset();
      --available_[sh];
      if (count != nullptr)
        ++*count;
      if (running != nullptr)
        running->resubmit(static_cast<int32_t>(m));
    }
  }
}

int32_t dag_scheduler::total_cores() const {
  int32_t n = 0;
  for (auto& [id, e] : executors_)
    n += e.cores;
  return n;
}

void dag_scheduler::release_core(const executor_id& e) {
  auto it = executors_.find(e);
  if (it != executors_.end() && it->second.running > 0)
    --it->second.running;
}

// -- stages ------------------------------------------------------------------------

stage_id dag_scheduler::new_stage(std::shared_ptr<node_base> last, std::shared_ptr<shuffle_dep_base> shuffle,
                                  job_id job) {
  auto id = next_stage_++;
  stage_info st;
  st.id = id;
  st.node = std::move(last);
  st.shuffle = std::move(shuffle);
  st.writes = st.shuffle ? st.shuffle->id : -1;
  st.jobs.insert(job);
  for (auto* n : narrow_closure(*st.node))
    for (auto& rd : n->reads)
      st.reads.push_back(rd.id);
  st.parents = parent_stages(*st.node, job);
  stages_.emplace(id, std::move(st));
  return id;
}

std::vector<stage_id> dag_scheduler::parent_stages(node_base& last, job_id job) {
  std::vector<stage_id> out;
  for (auto* n : narrow_closure(last))
    for (auto& dep : n->shuffles)
      out.push_back(map_stage_for(dep, job));
  return out;
}

stage_id dag_scheduler::map_stage_for(const std::shared_ptr<shuffle_dep_base>& dep, job_id job) {
  auto it = shuffle_stage_.find(dep->id);
  if (it != shuffle_stage_.end()) {
    auto& st = stages_.at(it->second);
    if (st.parked) {
      st.parked_shuffle = dep;  // the very object: the caller holds it
      unpark(it->second);
    }
    st.jobs.insert(job);
    for (auto p : st.parents)
      stages_.at(p).jobs.insert(job);
    return it->second;
  }
  outputs_[dep->id].assign(static_cast<size_t>(dep->parent->partitions), std::nullopt);
  available_[dep->id] = 0;
  auto id = new_stage(dep->parent, dep, job);
  shuffle_stage_[dep->id] = id;
  return id;
}

bool dag_scheduler::outputs_complete(shuffle_id s) const {
  return available_.at(s) == outputs_.at(s).size();
}

std::vector<int32_t> dag_scheduler::missing_outputs(shuffle_id s) const {
  std::vector<int32_t> out;
  auto& outs = outputs_.at(s);
  for (size_t m = 0; m < outs.size(); ++m)
    if (!outs[m])
      out.push_back(static_cast<int32_t>(m));
  return out;
}

void dag_scheduler::park_idle_stages() {
  for (auto& [sid, st] : stages_) {
    if (st.parked || !st.shuffle || !st.jobs.empty() || active_.count(sid) != 0)
      continue;
    st.parked_node = st.node;
    st.parked_shuffle = st.shuffle;
    st.node.reset();
    st.shuffle.reset();
    st.parked = true;
  }
}

void dag_scheduler::unpark(stage_id s) {
  auto& st = stages_.at(s);
  if (st.parked) {
    auto node = st.parked_node.lock();
    auto shuffle = st.parked_shuffle.lock();
    if (!node || !shuffle)
      return;  // gone: forget_shuffle is on its way
    st.node = std::move(node);
    st.shuffle = std::move(shuffle);
    st.parked = false;
  }
  for (auto p : st.parents)
    unpark(p);
}

bool dag_scheduler::forget_shuffle(shuffle_id s) {
  auto it = shuffle_stage_.find(s);
  if (it != shuffle_stage_.end()) {
    auto st = stages_.find(it->second);
    if (st != stages_.end()) {
      if (!st->second.jobs.empty() || active_.count(it->second) != 0)
        return false;
      stages_.erase(st);
    }
    shuffle_stage_.erase(it);
  }
  outputs_.erase(s);
  available_.erase(s);
  return true;
}

void dag_scheduler::forget_cached(node_id n) { cache_locs_.erase(n); }

size_t dag_scheduler::available_outputs(shuffle_id s) const {
  auto it = available_.find(s);
  return it == available_.end() ? 0 : it->second;
}

bool dag_scheduler::ready(const stage_info& st) const {
  for (auto p : st.parents)
    if (!outputs_complete(stages_.at(p).writes))
      return false;
  return true;
}

std::map<int32_t, std::set<executor_id>> dag_scheduler::preferred_for(const stage_info& st) const {
  std::map<int32_t, std::set<executor_id>> out;
  for (auto* n : narrow_closure(*st.node)) {
    if (!n->cached || n->partitions != st.node->partitions)
      continue;
    auto it = cache_locs_.find(n->id);
    if (it == cache_locs_.end())
      continue;
    for (auto& [p, execs] : it->second)
      out[p].insert(execs.begin(), execs.end());
  }
  return out;
}

void dag_scheduler::activate(stage_id s) {
  // An ancestor that no job named (map_stage_for names two levels) may have
  // been parked while a job under it ran: it holds its pipeline again.
  unpark(s);
  auto& st = stages_.at(s);
  for (auto p : st.parents)
    if (!outputs_complete(stages_.at(p).writes))
      activate(p);
  if (active_.count(s) != 0)
    return;
  std::vector<int32_t> todo;
  if (st.shuffle) {
    todo = missing_outputs(st.shuffle->id);
  } else {
    auto& job = jobs_.at(*st.jobs.begin());
    for (auto& [p, idx] : job.slot)
      if (!job.results[idx])
        todo.push_back(p);
  }
  if (todo.empty())
    return;
  log::scheduler()->debug("stage submitted stage={} tasks={} kind={}", s, todo.size(),
                          st.shuffle ? "map" : "result");
  stage_event_of(st, true, static_cast<int32_t>(todo.size()));
  active_.emplace(s, task_set(s, std::move(todo), max_failures_, preferred_for(st)));
}

void dag_scheduler::stage_event_of(const stage_info& st, bool submitted, int32_t tasks, bool ok, std::string reason) {
  stage_event e;
  e.submitted = submitted;
  e.stage = st.id;
  e.attempt = st.attempt;
  e.tasks = tasks;
  e.map = st.shuffle != nullptr;
  e.jobs.assign(st.jobs.begin(), st.jobs.end());
  e.ok = ok;
  e.reason = std::move(reason);
  stage_events_.push_back(std::move(e));
}

// -- jobs ----------------------------------------------------------------------------

job_id dag_scheduler::submit_job(job_request req) {
  auto id = next_job_++;
  if (req.partitions.empty())
    for (int32_t p = 0; p < req.node->partitions; ++p)
      req.partitions.push_back(p);
  job_info job;
  job.results.resize(req.partitions.size());
  job.remaining = req.partitions.size();
  for (size_t i = 0; i < req.partitions.size(); ++i)
    job.slot[req.partitions[i]] = i;
  job.req = std::move(req);
  if (job.remaining == 0) {
    finished_.push_back({id, true, {}, {}});
    return id;
  }
  auto node = job.req.node;
  jobs_.emplace(id, std::move(job));
  auto s = new_stage(node, nullptr, id);
  jobs_.at(id).result_stage = s;
  activate(s);
  return id;
}

task_spec dag_scheduler::spec_for(const stage_info& st, int32_t partition, int32_t attempt) const {
  task_spec spec;
  spec.stage = st.id;
  spec.partition = partition;
  spec.attempt = attempt;
  spec.node = st.node;
  spec.shuffle = st.shuffle;
  if (!st.shuffle)
    spec.op = jobs_.at(*st.jobs.begin()).req.op;
  for (auto s : st.reads) {
    auto& locs = spec.map_locations[s];
    for (auto& o : outputs_.at(s))
      locs.push_back(o.value_or(executor_id{}));
  }
  return spec;
}

std::vector<task_launch> dag_scheduler::schedule() {
  std::vector<task_launch> out;
  // Stages whose inputs went missing bring their parent stages back.
  std::vector<stage_id> waiting;
  for (auto& [sid, ts] : active_)
    if (!ready(stages_.at(sid)))
      waiting.push_back(sid);
  for (auto s : waiting)
    activate(s);
  // One task per executor per round, so tasks spread over executors.
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& [eid, ex] : executors_) {
      if (ex.running >= slots_of(ex))
        continue;
      for (auto& [sid, ts] : active_) {
        if (!ts.has_pending() && !ts.has_speculatable())
          continue;
        auto& st = stages_.at(sid);
        if (!ready(st))
          continue;
        auto launched = now_();
        auto att = ts.launch_next(eid, next_task_, launched);
        if (!att)
          continue;
        if (att->speculative)
          log::scheduler()->info("speculative copy launched stage={} partition={} attempt={} executor={}", sid,
                                 att->partition, att->attempt, eid);
        ++next_task_;
        ++ex.running;
        task_owner_[att->id] = {sid, eid, launched, st.attempt};
        out.push_back({att->id, eid, sid, att->partition, att->attempt,
                       encode_task(spec_for(st, att->partition, att->attempt))});
        progress = true;
        break;
      }
    }
  }
  return out;
}

void dag_scheduler::stage_finished(stage_id s) {
  active_.erase(s);
  auto& st = stages_.at(s);
  // Outputs lost while the stage ran are recomputed by the next schedule().
  if (st.shuffle && !outputs_complete(st.shuffle->id)) {
    activate(s);
    return;
  }
  stage_event_of(st, false, 0);
  st.failed_attempts.clear();  // "consecutive" attempts, as Spark counts them
}

void dag_scheduler::kill_other_copies(task_set& ts, int32_t partition, task_id winner) {
  for (auto t : ts.other_copies(partition, winner)) {
    ts.on_killed(t);
    auto o = task_owner_.find(t);
    if (o == task_owner_.end())
      continue;
    log::scheduler()->info("killing the other copy task={} partition={} executor={}", t, partition,
                           o->second.executor);
    kills_.emplace_back(o->second.executor, t);
    release_core(o->second.executor);
    task_owner_.erase(o);
  }
}

std::vector<std::pair<stage_id, int32_t>> dag_scheduler::check_speculation() {
  std::vector<std::pair<stage_id, int32_t>> out;
  if (!opts_.speculation)
    return out;
  auto now = now_();
  for (auto& [sid, ts] : active_)
    for (auto p : ts.check_speculation(now, opts_.speculation_rules)) {
      log::scheduler()->info("task is slow, speculating stage={} partition={} median={}ms", sid, p,
                             std::chrono::duration_cast<std::chrono::milliseconds>(ts.median_duration()).count());
      out.emplace_back(sid, p);
    }
  return out;
}

void dag_scheduler::task_succeeded(task_id id, std::string result, std::vector<int64_t> /*map_sizes*/,
                                   std::vector<std::pair<node_id, int32_t>> cached) {
  auto owner = task_owner_.find(id);
  if (owner == task_owner_.end())
    return;  // killed, lost, or a late duplicate
  auto [sid, exec, launched, stage_attempt] = owner->second;
  (void)stage_attempt;
  task_owner_.erase(owner);
  release_core(exec);
  auto took = std::chrono::duration<double, std::micro>(now_() - launched).count();
  avg_task_us_ = avg_task_us_ == 0 ? took : 0.9 * avg_task_us_ + 0.1 * took;
  if (executors_.count(exec) != 0)
    for (auto [n, p] : cached)
      cache_locs_[n][p].insert(exec);
  auto ts = active_.find(sid);
  if (ts == active_.end())
    return;
  auto* att = ts->second.find(id);
  if (att == nullptr)
    return;
  auto partition = att->partition;
  if (!ts->second.on_succeeded(id, now_()))
    return;
  // The first copy to finish wins: the others are killed and never counted.
  kill_other_copies(ts->second, partition, id);
  auto& st = stages_.at(sid);
  if (st.shuffle) {
    auto& slot = outputs_.at(st.shuffle->id).at(static_cast<size_t>(partition));
    if (executors_.count(exec) == 0) {
      ts->second.resubmit(partition);  // its executor is gone already
      return;
    }
    if (!slot)
      ++available_[st.shuffle->id];
    slot = exec;
  } else {
    auto jid = *st.jobs.begin();
    auto& job = jobs_.at(jid);
    auto& r = job.results.at(job.slot.at(partition));
    if (!r) {
      r = std::move(result);
      --job.remaining;
    }
    if (job.remaining == 0) {
      job_outcome done{jid, true, {}, {}};
      for (auto& x : job.results)
        done.results.push_back(std::move(*x));
      finished_.push_back(std::move(done));
      stage_event_of(st, false, 0);
      for (auto& [other, info] : stages_)
        info.jobs.erase(jid);
      active_.erase(sid);
      stages_.erase(sid);
      jobs_.erase(jid);
      park_idle_stages();
      return;
    }
  }
  if (ts->second.all_succeeded())
    stage_finished(sid);
}

void dag_scheduler::task_failed(task_id id, const std::string& error, std::optional<fetch_failure_info> fetch) {
  auto owner = task_owner_.find(id);
  if (owner == task_owner_.end())
    return;
  auto sid = owner->second.stage;
  auto exec = owner->second.executor;
  auto stage_attempt = owner->second.stage_attempt;
  task_owner_.erase(owner);
  release_core(exec);
  auto ts = active_.find(sid);
  if (ts == active_.end())
    return;
  auto& st = stages_.at(sid);
  if (fetch) {
    // Not the task's fault: it goes back to pending without a failure counted.
    ts->second.on_lost(id);
    // Spark (no external shuffle service): every output of that executor is
    // suspect; the stages that produced them run those partitions again.
    // Until they have, this stage is not ready and launches nothing.
    size_t lost = 0;
    if (!fetch->executor.empty())
      lose_outputs_of(fetch->executor, &lost);
    else if (auto outs = outputs_.find(fetch->shuffle);
             outs != outputs_.end() && fetch->map_partition >= 0
             && static_cast<size_t>(fetch->map_partition) < outs->second.size()) {
      auto& o = outs->second[static_cast<size_t>(fetch->map_partition)];
      if (o) {
        o.reset();
        --available_[fetch->shuffle];
        lost = 1;
      }
    }
    log::scheduler()->info("fetch failed stage={} attempt={} shuffle={} map={} executor={} outputs_lost={} error={}",
                           sid, stage_attempt, fetch->shuffle, fetch->map_partition, fetch->executor, lost, error);
    // A fetch from an executor already counted as lost is that loss showing
    // again, not a new fault of this stage: like the tasks lost with an
    // executor, it does not use up the stage's attempts.
    if (!fetch->executor.empty() && executors_.count(fetch->executor) == 0)
      return;
    // One failed attempt per stage attempt, however many of its tasks report it.
    if (st.failed_attempts.insert(stage_attempt).second && st.attempt <= stage_attempt)
      st.attempt = stage_attempt + 1;
    if (static_cast<int32_t>(st.failed_attempts.size()) >= opts_.stage_max_attempts) {
      auto why = "stage " + std::to_string(sid) + (st.shuffle ? " (map)" : " (result)") + " failed "
                 + std::to_string(st.failed_attempts.size()) + " attempts (stage.max-attempts="
                 + std::to_string(opts_.stage_max_attempts) + ") because it could not fetch shuffle "
                 + std::to_string(fetch->shuffle) + " map " + std::to_string(fetch->map_partition)
                 + " from executor " + (fetch->executor.empty() ? std::string{"(none)"} : fetch->executor)
                 + "; last error: " + error;
      auto jobs = st.jobs;
      for (auto j : jobs)
        fail_job(j, why);
    }
    return;
  }
  auto decision = ts->second.on_failed(id, error);
  if (!decision.abort)
    return;
  auto jobs = st.jobs;
  for (auto j : jobs)
    fail_job(j, decision.reason);
}

void dag_scheduler::fail_job(job_id j, const std::string& error) {
  auto it = jobs_.find(j);
  if (it == jobs_.end())
    return;
  finished_.push_back({j, false, error, {}});
  std::vector<stage_id> orphaned;
  for (auto& [sid, st] : stages_) {
    st.jobs.erase(j);
    if (st.jobs.empty())
      orphaned.push_back(sid);
  }
  // Stages no job needs any more stop; their running tasks are killed.
  for (auto sid : orphaned) {
    auto ts = active_.find(sid);
    if (ts != active_.end()) {
      for (auto t : ts->second.running_tasks()) {
        auto o = task_owner_.find(t);
        if (o != task_owner_.end()) {
          kills_.emplace_back(o->second.executor, t);
          release_core(o->second.executor);
          task_owner_.erase(o);
        }
      }
      active_.erase(ts);
      stage_event_of(stages_.at(sid), false, 0, false, error);
    }
  }
  stages_.erase(it->second.result_stage);
  jobs_.erase(it);
  park_idle_stages();
}

std::vector<job_outcome> dag_scheduler::take_finished() {
  return std::exchange(finished_, {});
}

std::vector<std::pair<executor_id, task_id>> dag_scheduler::take_kills() {
  return std::exchange(kills_, {});
}

std::vector<stage_id> dag_scheduler::stages_of(job_id j) const {
  std::vector<stage_id> out;
  for (auto& [sid, st] : stages_)
    if (st.jobs.count(j) != 0)
      out.push_back(sid);
  return out;
}

std::vector<stage_event> dag_scheduler::take_stage_events() {
  return std::exchange(stage_events_, {});
}

} // namespace troupe
