// Advisory whole-file locks (flock) for the store's directory lock. The kernel
// drops a process's locks when it dies, so a lock can never be left stale by
// kill -9, and two opens in one process conflict (flock locks belong to the
// open file description, not to the process as fcntl locks do).
#pragma once
#include <string>

namespace quiver {

enum class FileLockResult { Acquired, Held, Error };

// Tries to take an exclusive lock on the open file `fd` without waiting.
// Held: another open file description holds it. Error: *error says why.
FileLockResult try_lock_file(int fd, std::string* error);
// Releases a lock taken by try_lock_file (closing the fd releases it too).
bool unlock_file(int fd, std::string* error);

}  // namespace quiver
