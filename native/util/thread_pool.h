// A fixed pool of worker threads shared by every index in the process.
// parallel_for splits [0, n) into tasks; the calling thread works on its own job
// too, so nested or concurrent callers (several async searches at once) always
// make progress even when every worker is busy.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace quiver {

class ThreadPool {
 public:
  static ThreadPool& global();
  explicit ThreadPool(size_t workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Number of threads that can run a job at once (workers + the caller).
  size_t concurrency() const { return workers_.size() + 1; }

  // Runs fn(task) for task in [0, n) on up to `threads` threads (0 = all) and
  // returns when every task has finished. The first exception thrown by a task
  // is rethrown here after the others have stopped.
  void parallel_for(size_t n, size_t threads, const std::function<void(size_t)>& fn);

 private:
  struct Job {
    const std::function<void(size_t)>* fn;
    size_t n;
    std::atomic<size_t> next{0};
    std::atomic<size_t> done{0};
    std::atomic<size_t> helpers{0};
    size_t max_helpers;
    std::mutex mu;
    std::condition_variable cv;
    std::exception_ptr error;
    std::atomic<bool> failed{false};
  };
  static void run_tasks(Job& job);
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_ = false;
};

// Default thread count: the hardware's, or 1 when it cannot be told.
size_t hardware_threads();

}  // namespace quiver
