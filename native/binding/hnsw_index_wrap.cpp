#include "hnsw_index_wrap.h"

#include "napi_util.h"
#include "search_args.h"

namespace quiver {

namespace {

// Set by Adopt() for the duration of one constructor call (JS thread only).
std::shared_ptr<HnswIndex>* g_adopting = nullptr;

size_t optional_threads(const Napi::Env& env, const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() ? expect_size(env, info[i], "threads", 4096) : 0;
}

std::string expect_path(const Napi::Env& env, const Napi::Value& v) {
  if (!v.IsString()) throw_type(env, "path: expected a string");
  std::string p = v.As<Napi::String>().Utf8Value();
  if (p.empty()) throw_range(env, "path: expected a non-empty string");
  if (p.find('\0') != std::string::npos) throw_range(env, "path: must not contain NUL characters");
  return p;
}

struct AddInput {
  LabeledVectors rows;
  size_t threads = 0;
};

// add(labels, vectors, threads?); `copy` as for expect_labeled_vectors.
AddInput parse_add(const Napi::CallbackInfo& info, size_t dim, bool copy) {
  return {expect_labeled_vectors(info, dim, copy), optional_threads(info.Env(), info, 2)};
}

// A change to the graph run off the JS thread. When it ends, on the JS thread, the
// wrapper reports its new memory size, whether the change succeeded or not.
class MutationWorker : public PromiseWorker {
 public:
  MutationWorker(Napi::Env env, Napi::Object self, std::shared_ptr<HnswIndex> index)
      : PromiseWorker(env), index_(std::move(index)), self_(Napi::Persistent(self)) {}

 protected:
  virtual Napi::Value Result() { return Env().Undefined(); }
  void OnOK() override {
    Report();
    deferred_.Resolve(Result());
  }
  void OnError(const Napi::Error& e) override {
    Report();
    PromiseWorker::OnError(e);
  }
  std::shared_ptr<HnswIndex> index_;

 private:
  void Report();
  Napi::ObjectReference self_;  // the wrapper, to report its memory when done
};

class AddWorker : public MutationWorker {
 public:
  AddWorker(Napi::Env env, Napi::Object self, std::shared_ptr<HnswIndex> index, AddInput in)
      : MutationWorker(env, self, std::move(index)), in_(std::move(in)) {}

 protected:
  void Run() override {
    index_->add(in_.rows.labels.data(), in_.rows.vectors.data, in_.rows.labels.size(), in_.threads);
  }

 private:
  AddInput in_;  // vectors copied: JS memory must not be read off-thread
};

class CompactWorker : public MutationWorker {
 public:
  CompactWorker(Napi::Env env, Napi::Object self, std::shared_ptr<HnswIndex> index, size_t threads)
      : MutationWorker(env, self, std::move(index)), threads_(threads) {}

 protected:
  void Run() override { freed_ = index_->compact(threads_); }
  Napi::Value Result() override { return Napi::Number::New(Env(), (double)freed_); }

 private:
  size_t threads_;
  size_t freed_ = 0;
};

class HnswSearchWorker : public PromiseWorker {
 public:
  HnswSearchWorker(Napi::Env env, std::shared_ptr<HnswIndex> index, SearchArgs args, size_t ef)
      : PromiseWorker(env), index_(std::move(index)), args_(std::move(args)), ef_(ef) {}

 protected:
  void Run() override {
    result_ = index_->search(args_.queries.data(), args_.nq, args_.k, ef_, args_.threads, args_.filter_ptr());
  }
  void OnOK() override { deferred_.Resolve(result_to_js(Env(), result_)); }

 private:
  std::shared_ptr<HnswIndex> index_;
  SearchArgs args_;
  size_t ef_;
  SearchResult result_;
};

class SaveWorker : public PromiseWorker {
 public:
  SaveWorker(Napi::Env env, std::shared_ptr<HnswIndex> index, std::string path)
      : PromiseWorker(env), index_(std::move(index)), path_(std::move(path)) {}

 protected:
  void Run() override { index_->save(path_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  std::shared_ptr<HnswIndex> index_;
  std::string path_;
};

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Function cls, std::string path)
      : PromiseWorker(env), cls_(Napi::Persistent(cls)), path_(std::move(path)) {}

 protected:
  void Run() override { index_ = HnswIndex::load(path_); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Value out = guarded(env, [&]() -> Napi::Value { return HnswIndexWrap::Adopt(cls_.Value(), index_); });
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    deferred_.Resolve(out);
  }

 private:
  Napi::FunctionReference cls_;
  std::string path_;
  std::shared_ptr<HnswIndex> index_;
};

void MutationWorker::Report() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  HnswIndexWrap::Unwrap(self_.Value())->ReportMemory(env);
}

size_t parse_ef(const Napi::Env& env, const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() ? expect_size(env, info[i], "ef", 1 << 24) : 0;
}

}  // namespace

void HnswIndexWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls =
      DefineClass(env, "NativeHnswIndex",
                  WithSharedMethods({InstanceMethod("add", &HnswIndexWrap::Add),
                                     InstanceMethod("addAsync", &HnswIndexWrap::AddAsync),
                                     InstanceMethod("deleted", &HnswIndexWrap::Deleted),
                                     InstanceMethod("params", &HnswIndexWrap::Params),
                                     InstanceMethod("compact", &HnswIndexWrap::Compact),
                                     InstanceMethod("compactAsync", &HnswIndexWrap::CompactAsync),
                                     InstanceMethod("searchInto", &HnswIndexWrap::SearchInto),
                                     InstanceMethod("search", &HnswIndexWrap::Search),
                                     InstanceMethod("searchAsync", &HnswIndexWrap::SearchAsync),
                                     InstanceMethod("save", &HnswIndexWrap::Save),
                                     InstanceMethod("saveAsync", &HnswIndexWrap::SaveAsync),
                                     StaticMethod("load", &HnswIndexWrap::Load),
                                     StaticMethod("loadAsync", &HnswIndexWrap::LoadAsync)}));
  exports.Set("NativeHnswIndex", cls);
}

Napi::Object HnswIndexWrap::Adopt(Napi::Function cls, std::shared_ptr<HnswIndex> index) {
  g_adopting = &index;
  try {
    Napi::Object obj = cls.New({});
    g_adopting = nullptr;
    return obj;
  } catch (...) {
    g_adopting = nullptr;
    throw;
  }
}

// new NativeHnswIndex(dim, metric, M, efConstruction, efSearch, seed, quantization?)
HnswIndexWrap::HnswIndexWrap(const Napi::CallbackInfo& info) : IndexWrap(info) {
  Napi::Env env = info.Env();
  if (g_adopting) {
    index_ = std::move(*g_adopting);
    g_adopting = nullptr;
    ReportMemory(env);
    return;
  }
  guarded(env, [&]() -> Napi::Value {
    HnswParams p;
    p.dim = expect_dim(env, info[0]);
    p.metric = expect_metric(env, info[1]);
    p.M = (uint32_t)expect_size(env, info[2], "M", 2048);
    if (p.M < 2) throw_range(env, "M: expected an integer from 2 to 2048, got " + std::to_string(p.M));
    p.ef_construction = (uint32_t)expect_size(env, info[3], "efConstruction", 1 << 24);
    p.ef_search = (uint32_t)expect_size(env, info[4], "efSearch", 1 << 24);
    if (p.ef_construction == 0 || p.ef_search == 0) throw_range(env, "ef: expected a positive integer");
    p.seed = (uint64_t)expect_size(env, info[5], "seed", kMaxLabel);
    if (info.Length() > 6 && !info[6].IsUndefined()) {
      if (!info[6].IsString()) throw_type(env, "quantization: expected 'none', 'int8' or 'rabitq'");
      const std::string qs = info[6].As<Napi::String>().Utf8Value();
      if (qs == "int8") p.quantization = Quantization::Int8;
      else if (qs == "rabitq") p.quantization = Quantization::Bits1;
      else if (qs != "none") throw_range(env, "quantization: expected 'none', 'int8' or 'rabitq', got '" + qs + "'");
    }
    index_ = std::make_shared<HnswIndex>(p);
    ReportMemory(env);
    return env.Undefined();
  });
}

Napi::Value HnswIndexWrap::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    AddInput in = parse_add(info, index_->dim(), false);
    index_->add(in.rows.labels.data(), in.rows.vectors.data, in.rows.labels.size(), in.threads);
    ReportMemory(env);
    return env.Undefined();
  });
}

Napi::Value HnswIndexWrap::AddAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto* worker = new AddWorker(env, info.This().As<Napi::Object>(), index_, parse_add(info, index_->dim(), true));
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

Napi::Value HnswIndexWrap::Deleted(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)index_->deleted());
}
Napi::Value HnswIndexWrap::Params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const HnswParams& p = index_->params();
  Napi::Object o = Napi::Object::New(env);
  o.Set("dim", (double)p.dim);
  o.Set("metric", metric_name(p.metric));
  o.Set("M", (double)p.M);
  o.Set("efConstruction", (double)p.ef_construction);
  o.Set("efSearch", (double)p.ef_search);
  o.Set("seed", (double)p.seed);
  o.Set("quantization", p.quantization == Quantization::Int8    ? "int8"
                        : p.quantization == Quantization::Bits1 ? "rabitq"
                                                                : "none");
  return o;
}

Napi::Value HnswIndexWrap::Compact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const size_t freed = index_->compact(optional_threads(env, info, 0));
    ReportMemory(env);
    return Napi::Number::New(env, (double)freed);
  });
}

Napi::Value HnswIndexWrap::CompactAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto* worker = new CompactWorker(env, info.This().As<Napi::Object>(), index_, optional_threads(env, info, 0));
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

// searchInto(query, k, ef, outLabels, outDistances, allow?) -> count.
// The sync single-query path: reads the query and writes the results in place
// (no copies, no allocations besides a filter given as a list of labels).
Napi::Value HnswIndexWrap::SearchInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto q = expect_f32(env, info[0], "query");
    const size_t dim = index_->dim();
    if (q.ElementLength() != dim)
      throw_range(env, "query: expected dimension " + std::to_string(dim) + ", got " + std::to_string(q.ElementLength()));
    const size_t k = expect_size(env, info[1], "k", kMaxK);
    if (k == 0) throw_range(env, "k: expected a positive integer, got 0");
    const size_t ef = expect_size(env, info[2], "ef", 1 << 24);
    auto out_labels = expect_f64(env, info[3], "outLabels");
    auto out_dist = expect_f32(env, info[4], "outDistances");
    const size_t cap = std::min({k, out_labels.ElementLength(), out_dist.ElementLength()});
    // A query in shared memory is copied first; only the checked copy is searched.
    const bool shared = is_shared(env, q);
    float small_q[256];
    std::vector<float> large_q(shared && dim > 256 ? dim : 0);
    const float* query = q.Data();
    if (shared) {
      float* copy = dim > 256 ? large_q.data() : small_q;
      std::memcpy(copy, q.Data(), dim * sizeof(float));
      query = copy;
    }
    check_vectors(env, query, 1, dim, "query");
    const std::shared_ptr<const LabelFilter> filter = info.Length() > 5 ? parse_filter_arg(env, info[5]) : nullptr;
    uint64_t small[256];
    std::vector<uint64_t> large(cap > 256 ? cap : 0);
    uint64_t* labels = cap > 256 ? large.data() : small;
    const size_t n = index_->search_into(query, cap, ef, filter.get(), labels, out_dist.Data());
    double* ol = out_labels.Data();
    for (size_t i = 0; i < n; ++i) ol[i] = (double)labels[i];
    return Napi::Number::New(env, (double)n);
  });
}

// search(queries, nq, k, threads, allow, ef) -> { labels, distances, k }
Napi::Value HnswIndexWrap::Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    SearchArgs a = parse_search_args(info, index_->dim());
    const size_t ef = parse_ef(env, info, 5);
    return result_to_js(env, index_->search(a.queries.data(), a.nq, a.k, ef, a.threads, a.filter_ptr()));
  });
}

Napi::Value HnswIndexWrap::SearchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    SearchArgs a = parse_search_args(info, index_->dim());
    const size_t ef = parse_ef(env, info, 5);
    auto* worker = new HnswSearchWorker(env, index_, std::move(a), ef);
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

Napi::Value HnswIndexWrap::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    index_->save(expect_path(env, info[0]));
    return env.Undefined();
  });
}

Napi::Value HnswIndexWrap::SaveAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto* worker = new SaveWorker(env, index_, expect_path(env, info[0]));
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

Napi::Value HnswIndexWrap::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<HnswIndex> index = HnswIndex::load(expect_path(env, info[0]));
    if (!info.This().IsFunction()) throw_type(env, "load: call as NativeHnswIndex.load(path)");
    return Adopt(info.This().As<Napi::Function>(), std::move(index));
  });
}

Napi::Value HnswIndexWrap::LoadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info.This().IsFunction()) throw_type(env, "loadAsync: call as NativeHnswIndex.loadAsync(path)");
    auto* worker = new LoadWorker(env, info.This().As<Napi::Function>(), expect_path(env, info[0]));
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

}  // namespace quiver
