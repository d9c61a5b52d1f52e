// Parsing of (queries, nq, k, threads) shared by every index's search methods,
// and conversion of a SearchResult to the JS { labels, distances, k } object.
#pragma once
#include <napi.h>

#include <optional>
#include <vector>

#include "../index/label_filter.h"
#include "label_filter_wrap.h"

#include "../index/flat_index.h"
#include "napi_util.h"

namespace quiver {

constexpr double kMaxK = kMaxLabel;  // results are sized by min(k, size), so any k is safe

struct SearchArgs {
  std::vector<float> queries;  // copied: async searches must not read JS memory off-thread
  size_t nq = 0;
  size_t k = 0;
  size_t threads = 0;
  std::shared_ptr<const LabelFilter> filter;  // allow-list, when the caller gave one (maybe prepared)
  const LabelFilter* filter_ptr() const { return filter.get(); }
};

inline SearchArgs parse_search_args(const Napi::CallbackInfo& info, size_t dim) {
  Napi::Env env = info.Env();
  SearchArgs a;
  auto q = expect_f32(env, info[0], "queries");
  a.nq = expect_size(env, info[1], "nq", 1e12);
  a.k = expect_size(env, info[2], "k", kMaxK);
  a.threads = info.Length() > 3 && !info[3].IsUndefined() ? expect_size(env, info[3], "threads", 4096) : 0;
  if (a.k == 0) throw_range(env, "k: expected a positive integer, got 0");
  if (q.ElementLength() != a.nq * dim)
    throw_range(env, "queries: expected " + std::to_string(a.nq) + " x " + std::to_string(dim) + " = " +
                         std::to_string(a.nq * dim) + " floats, got " + std::to_string(q.ElementLength()));
  // Copy first, then check and use only the copy: the queries may live in a
  // SharedArrayBuffer that another thread writes meanwhile.
  a.queries.assign(q.Data(), q.Data() + q.ElementLength());
  check_vectors(env, a.queries.data(), a.nq, dim, "query");
  if (info.Length() > 4) a.filter = parse_filter_arg(env, info[4]);
  return a;
}

// Sync searches write into typed arrays allocated by the caller in JS: creating
// typed arrays from native code costs ~0.8 us each, more than a small search.
// Arguments (after the search args): outLabels: Float64Array, outDistances: Float32Array.
// Returns the number of columns written per query (min(k, matches, capacity / nq)).
inline Napi::Value write_result_into(const Napi::CallbackInfo& info, size_t first_out, const SearchResult& r,
                                     size_t nq) {
  Napi::Env env = info.Env();
  auto labels = expect_f64(env, info[first_out], "outLabels");
  auto dists = expect_f32(env, info[first_out + 1], "outDistances");
  const size_t cap = nq == 0 ? 0 : std::min(labels.ElementLength(), dists.ElementLength()) / nq;
  const size_t k = std::min(r.k, cap);
  for (size_t i = 0; i < nq; ++i)
    for (size_t j = 0; j < k; ++j) {
      labels[i * k + j] = (double)r.labels[i * r.k + j];
      dists[i * k + j] = r.distances[i * r.k + j];
    }
  return Napi::Number::New(env, (double)k);
}

inline Napi::Object result_to_js(const Napi::Env& env, const SearchResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("labels", labels_to_js(env, r.labels));
  o.Set("distances", floats_to_js(env, r.distances));
  o.Set("k", Napi::Number::New(env, (double)r.k));
  return o;
}

// Base of the binding's async workers: runs Run() on the libuv pool, settles a Promise, and
// turns C++ exceptions into a rejection.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;
  void Execute() override {
    try {
      Run();
    } catch (const std::bad_alloc&) {
      SetError("quiverdb: out of memory");
    } catch (const std::exception& e) {
      SetError(std::string("quiverdb: ") + e.what());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise::Deferred deferred_;
};

// Runs a search on the libuv pool and resolves a Promise with its result.
template <class Index>
class SearchWorker : public PromiseWorker {
 public:
  SearchWorker(Napi::Env env, std::shared_ptr<Index> index, SearchArgs args)
      : PromiseWorker(env), index_(std::move(index)), args_(std::move(args)) {}

 protected:
  void Run() override {
    result_ = index_->search(args_.queries.data(), args_.nq, args_.k, args_.threads, args_.filter_ptr());
  }
  void OnOK() override { deferred_.Resolve(result_to_js(Env(), result_)); }

 private:
  std::shared_ptr<Index> index_;
  SearchArgs args_;
  SearchResult result_;
};

}  // namespace quiver
