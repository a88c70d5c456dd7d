#pragma once
// Checks of the paths a node needs, made at start so that a node that could
// not use them says so at once (with the OS's reason) instead of failing
// later, one launch at a time.

#include <string>

namespace troupe {

/// Creates `dir` (and its parents) if needed and proves it writable by
/// creating and removing a file in it. Returns "" or a message naming `what`
/// (e.g. "--work-dir"), the path and the OS's reason.
std::string check_writable_dir(const std::string& what, const std::string& dir);

/// Checks that `path` is a regular file this process can read. Returns "" or a
/// message naming `what`, the path and the OS's reason.
std::string check_readable_file(const std::string& what, const std::string& path);

/// Checks that `path` does not exist yet and that its parent directory is
/// writable (an output directory a job will create). Returns "" or why not.
std::string check_new_output_dir(const std::string& what, const std::string& path);

} // namespace troupe
