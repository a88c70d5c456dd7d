// The routes of the driver UI and the history server (declared in
// runtime/driver_view.hpp): /api/v1 and the HTML pages over a snapshot source.
#include "runtime/driver_view.hpp"
#include "runtime/http_server.hpp"

namespace troupe::status {

namespace {

http::response redirect(const std::string& to) {
  http::response r;
  r.status = 302;
  r.content_type = "text/html";
  r.body = "<a href=\"" + http::html_escape(to) + "\">" + http::html_escape(to) + "</a>";
  r.headers.emplace_back("Location", to);
  return r;
}

bool to_id(const std::string& s, int64_t& out) {
  if (s.empty() || s.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

using page_fn = std::string (*)(const snapshot&, const std::string&);

page_fn page_for(const std::string& tab) {
  if (tab == "jobs")
    return &jobs_html;
  if (tab == "stages")
    return &stages_html;
  if (tab == "executors")
    return &executors_html;
  return &environment_html;
}

} // namespace

void add_status_routes(http::server& srv, snapshot_source src, bool history) {
  using http::access;
  using http::request;
  using http::response;
  auto app_or_404 = [src](const std::string& app, snapshot& out, response& err) {
    if (src.one(app, out))
      return true;
    err = response::error(404, "no such application: " + app);
    return false;
  };
  srv.route("GET", "/api/v1/applications/?", access::read,
            [src](const request&) { return response::json(applications_json(src.all())); });
  srv.route("GET", "/api/v1/applications/([^/]+)/?", access::read, [app_or_404](const request& r) {
    snapshot s;
    response err;
    return app_or_404(r.captures.at(0), s, err) ? response::json(application_json(s)) : err;
  });
  srv.route("GET", "/api/v1/applications/([^/]+)/(jobs|stages|executors)/?", access::read,
            [app_or_404](const request& r) {
              snapshot s;
              response err;
              if (!app_or_404(r.captures.at(0), s, err))
                return err;
              auto& what = r.captures.at(1);
              if (what == "jobs")
                return response::json(jobs_json(s));
              if (what == "stages")
                return response::json(stages_json(s));
              return response::json(executors_json(s));
            });
  srv.route("GET", "/api/v1/applications/([^/]+)/(jobs|stages)/([^/]+)/?", access::read,
            [app_or_404](const request& r) {
              snapshot s;
              response err;
              if (!app_or_404(r.captures.at(0), s, err))
                return err;
              auto& what = r.captures.at(1);
              int64_t id = 0;
              if (!to_id(r.captures.at(2), id))
                return response::error(400, "not a " + what.substr(0, what.size() - 1) + " id: " + r.captures.at(2));
              if (what == "jobs") {
                auto* j = s.find_job(id);
                return j != nullptr ? response::json(job_json(*j))
                                    : response::error(404, "unknown job: " + std::to_string(id));
              }
              if (s.find_stage(id) == nullptr)
                return response::error(404, "unknown stage: " + std::to_string(id));
              return response::json(stage_json(s, id));
            });
  if (history) {
    srv.route("GET", "/", access::read, [src](const request&) {
      return response::html(history_html(src.all(), {}));
    });
    srv.route("GET", "/history/([^/]+)/?", access::read,
              [](const request& r) { return redirect("/history/" + r.captures.at(0) + "/jobs/"); });
    srv.route("GET", "/history/([^/]+)/(jobs|stages|executors|environment)/?", access::read,
              [app_or_404](const request& r) {
                snapshot s;
                response err;
                if (!app_or_404(r.captures.at(0), s, err))
                  return err;
                return response::html(page_for(r.captures.at(1))(s, "/history/" + r.captures.at(0)));
              });
    return;
  }
  srv.route("GET", "/", access::read, [](const request&) { return redirect("/jobs/"); });
  srv.route("GET", "/(jobs|stages|executors|environment)/?", access::read, [src](const request& r) {
    auto all = src.all();
    if (all.empty())
      return response::error(503, "the application has not started yet");
    return response::html(page_for(r.captures.at(0))(all.front(), ""));
  });
}

} // namespace troupe::status
