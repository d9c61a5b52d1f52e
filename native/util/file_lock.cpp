#include "file_lock.h"

#include <cerrno>
#include <cstring>

#if defined(_WIN32)
namespace quiver {
FileLockResult try_lock_file(int, std::string* error) {
  *error = "file locks are not implemented on Windows";
  return FileLockResult::Error;
}
bool unlock_file(int, std::string* error) {
  *error = "file locks are not implemented on Windows";
  return false;
}
}  // namespace quiver
#else
#include <sys/file.h>

namespace quiver {

FileLockResult try_lock_file(int fd, std::string* error) {
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLockResult::Acquired;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return FileLockResult::Held;
    *error = std::strerror(errno);
    return FileLockResult::Error;
  }
}

bool unlock_file(int fd, std::string* error) {
  if (flock(fd, LOCK_UN) == 0) return true;
  *error = std::strerror(errno);
  return false;
}

}  // namespace quiver
#endif
