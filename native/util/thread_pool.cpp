#include "thread_pool.h"

namespace quiver {

size_t hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

ThreadPool& ThreadPool::global() {
  // Leaked on purpose: joining threads from a static destructor at process exit
  // can deadlock inside Node's shutdown, and the OS reclaims them anyway.
  static ThreadPool* pool = new ThreadPool(hardware_threads() > 1 ? hardware_threads() - 1 : 0);
  return *pool;
}

ThreadPool::ThreadPool(size_t workers) {
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_tasks(Job& job) {
  for (;;) {
    const size_t i = job.next.fetch_add(1);
    if (i >= job.n) return;
    if (!job.failed.load(std::memory_order_relaxed)) {
      try {
        (*job.fn)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(job.mu);
        if (!job.error) job.error = std::current_exception();
        job.failed = true;
      }
    }
    if (job.done.fetch_add(1) + 1 == job.n) {
      std::lock_guard<std::mutex> lock(job.mu);
      job.cv.notify_all();
    }
  }
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = queue_.front();
      // A job leaves the queue once it has all the helpers it asked for or no tasks are left.
      if (job->helpers.fetch_add(1) + 1 >= job->max_helpers || job->next.load() >= job->n) queue_.pop_front();
    }
    run_tasks(*job);
  }
}

void ThreadPool::parallel_for(size_t n, size_t threads, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (threads == 0 || threads > concurrency()) threads = concurrency();
  if (threads > n) threads = n;
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  job->max_helpers = threads - 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job);
  }
  if (threads - 1 == 1) cv_.notify_one(); else cv_.notify_all();
  run_tasks(*job);
  {
    std::unique_lock<std::mutex> lock(job->mu);
    job->cv.wait(lock, [&] { return job->done.load() == job->n; });
  }
  {
    // Finished jobs may still sit in the queue if no worker picked them up.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (*it == job) { queue_.erase(it); break; }
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace quiver
