#include "actors/driver_web.hpp"

#include "runtime/driver_view.hpp"

namespace troupe {

std::unique_ptr<driver_web> driver_web::start(std::shared_ptr<status::app_status> model,
                                              const http::server_options& opts, std::string& error) {
  std::unique_ptr<driver_web> web{new driver_web};
  web->model_ = model;
  status::snapshot_source src;
  src.all = [model] {
    std::vector<status::snapshot> out;
    auto s = model->snap();
    if (!s.app.id.empty())
      out.push_back(std::move(s));
    return out;
  };
  src.one = [model](const std::string& app, status::snapshot& out) {
    auto s = model->snap();
    if (s.app.id.empty() || s.app.id != app)
      return false;
    out = std::move(s);
    return true;
  };
  status::add_status_routes(web->server_, std::move(src), false);
  if (!web->server_.start(opts, error))
    return nullptr;
  return web;
}

driver_web::~driver_web() {
  server_.stop();
}

std::string driver_web::url() const {
  return server_.url();
}

uint16_t driver_web::port() const {
  return server_.port();
}

} // namespace troupe
