#include "actors/protocol.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

namespace troupe {

void register_protocol(caf::actor_system_config& cfg) {
  cfg.add_message_type<master_started>("master_started")
    .add_message_type<worker_identity>("worker_identity")
    .add_message_type<app_description>("app_description")
    .add_message_type<register_worker>("register_worker")
    .add_message_type<worker_heartbeat>("worker_heartbeat")
    .add_message_type<executor_state_changed>("executor_state_changed")
    .add_message_type<registered_worker>("registered_worker")
    .add_message_type<reconnect_worker>("reconnect_worker")
    .add_message_type<launch_executor>("launch_executor")
    .add_message_type<kill_executor>("kill_executor")
    .add_message_type<register_application>("register_application")
    .add_message_type<unregister_application>("unregister_application")
    .add_message_type<registered_application>("registered_application")
    .add_message_type<executor_added>("executor_added")
    .add_message_type<executor_removed>("executor_removed")
    .add_message_type<application_state_changed>("application_state_changed")
    .add_message_type<application_waiting>("application_waiting")
    .add_message_type<register_executor>("register_executor")
    .add_message_type<task_finished>("task_finished")
    .add_message_type<task_failed>("task_failed")
    .add_message_type<launch_task>("launch_task")
    .add_message_type<kill_task>("kill_task")
    .add_message_type<drop_blocks>("drop_blocks")
    .add_message_type<stop_executor>("stop_executor")
    .add_message_type<fetch_block>("fetch_block")
    .add_message_type<fetched_block>("fetched_block")
    .add_message_type<driver_state_changed>("driver_state_changed")
    .add_message_type<worker_stopping>("worker_stopping")
    .add_message_type<launch_driver>("launch_driver")
    .add_message_type<kill_driver>("kill_driver")
    .add_message_type<kill_application>("kill_application")
    .add_message_type<application_killed>("application_killed")
    .add_message_type<request_driver_logs>("request_driver_logs")
    .add_message_type<driver_logs>("driver_logs")
    .add_message_type<submit_driver>("submit_driver")
    .add_message_type<request_driver_status>("request_driver_status")
    .add_message_type<driver_status>("driver_status")
    .add_message_type<request_cluster_status>("request_cluster_status")
    .add_message_type<cluster_status>("cluster_status")
    .add_message_type<executor_heartbeat>("executor_heartbeat")
    .add_message_type<executor_peers>("executor_peers")
    .add_message_type<master_changed>("master_changed")
    .add_message_type<application_reregistered>("application_reregistered")
    .add_message_type<request_app_library>("request_app_library")
    .add_message_type<app_library_offer>("app_library_offer")
    .add_message_type<fetch_library>("fetch_library")
    .add_message_type<library_chunk>("library_chunk");
  cfg.load<caf::io::middleman>();
}

} // namespace troupe
