#include "flat_index_wrap.h"

#include "napi_util.h"
#include "search_args.h"

namespace quiver {

constexpr double kMaxDim = 65536;

void FlatIndexWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NativeFlatIndex",
                                   {InstanceMethod("add", &FlatIndexWrap::Add),
                                    InstanceMethod("remove", &FlatIndexWrap::Remove),
                                    InstanceMethod("has", &FlatIndexWrap::Has),
                                    InstanceMethod("get", &FlatIndexWrap::Get),
                                    InstanceMethod("size", &FlatIndexWrap::Size),
                                    InstanceMethod("labels", &FlatIndexWrap::Labels),
                                    InstanceMethod("search", &FlatIndexWrap::Search),
                                    InstanceMethod("searchAsync", &FlatIndexWrap::SearchAsync),
                                    InstanceMethod("reserve", &FlatIndexWrap::Reserve),
                                    InstanceMethod("capacity", &FlatIndexWrap::Capacity),
                                    InstanceMethod("memoryBytes", &FlatIndexWrap::MemoryBytes),
                                    InstanceMethod("getVectors", &FlatIndexWrap::GetVectors)});
  exports.Set("NativeFlatIndex", cls);
}

FlatIndexWrap::FlatIndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FlatIndexWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&]() -> Napi::Value {
    const size_t dim = expect_size(env, info[0], "dim", kMaxDim);
    if (dim == 0) throw_range(env, "dim: expected a positive integer, got 0");
    if (!info[1].IsString()) throw_type(env, "metric: expected 'cosine', 'euclidean' or 'ip'");
    Metric m;
    const std::string ms = info[1].As<Napi::String>().Utf8Value();
    if (!parse_metric(ms, &m)) throw_range(env, "metric: expected 'cosine', 'euclidean' or 'ip', got '" + ms + "'");
    index_ = std::make_shared<FlatIndex>(dim, m);
    ReportMemory(env);
    return env.Undefined();
  });
}

void FlatIndexWrap::ReportMemory(Napi::Env env) {
  if (!index_) return;
  const int64_t now = (int64_t)index_->memory_bytes();
  if (now != reported_) Napi::MemoryManagement::AdjustExternalMemory(env, now - reported_);
  reported_ = now;
}

void FlatIndexWrap::Finalize(Napi::Env env) {
  if (reported_ != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -reported_);
  reported_ = 0;
}

Napi::Value FlatIndexWrap::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto labels = to_labels(env, expect_f64(env, info[0], "labels"), "labels");
    auto vecs = expect_f32(env, info[1], "vectors");
    const size_t dim = index_->dim();
    if (vecs.ElementLength() != labels.size() * dim)
      throw_range(env, "vectors: expected " + std::to_string(labels.size()) + " x " + std::to_string(dim) + " = " +
                           std::to_string(labels.size() * dim) + " floats for " + std::to_string(labels.size()) +
                           " labels, got " + std::to_string(vecs.ElementLength()));
    // Shared memory is copied before the check; the index reads only what was checked.
    const StableFloats v = stable_f32(env, vecs);
    check_vectors(env, v.data, labels.size(), dim, "vectors");
    index_->add(labels.data(), v.data, labels.size());
    ReportMemory(env);
    return env.Undefined();
  });
}

Napi::Value FlatIndexWrap::Remove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto labels = to_labels(env, expect_f64(env, info[0], "labels"), "labels");
    const size_t removed = index_->remove(labels.data(), labels.size());
    ReportMemory(env);
    return Napi::Number::New(env, (double)removed);
  });
}

Napi::Value FlatIndexWrap::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsNumber()) return Napi::Boolean::New(env, false);
    const double d = info[0].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > kMaxLabel) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, index_->has((uint64_t)d));
  });
}

Napi::Value FlatIndexWrap::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsNumber()) return env.Undefined();
    const double d = info[0].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > kMaxLabel) return env.Undefined();
    auto out = Napi::Float32Array::New(env, index_->dim());
    if (!index_->get((uint64_t)d, out.Data())) return env.Undefined();
    return out;
  });
}

Napi::Value FlatIndexWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)index_->size());
}

Napi::Value FlatIndexWrap::Labels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return labels_to_js(env, index_->labels()); });
}

Napi::Value FlatIndexWrap::Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    SearchArgs a = parse_search_args(info, index_->dim());
    SearchResult r = index_->search(a.queries.data(), a.nq, a.k, a.threads, a.filter_ptr());
    if (info.Length() > 6) return write_result_into(info, 5, r, a.nq);
    return result_to_js(env, r);
  });
}

Napi::Value FlatIndexWrap::SearchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto* worker = new SearchWorker<FlatIndex>(env, index_, parse_search_args(info, index_->dim()));
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

// reserve(n): storage for n vectors at once.
Napi::Value FlatIndexWrap::Reserve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    index_->reserve(expect_size(env, info[0], "n", 4294967294.0));
    ReportMemory(env);
    return env.Undefined();
  });
}

Napi::Value FlatIndexWrap::Capacity(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)index_->capacity());
}

Napi::Value FlatIndexWrap::MemoryBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)index_->memory_bytes());
}

// getVectors(labels: Float64Array, out: Float32Array) -> out, row-major.
Napi::Value FlatIndexWrap::GetVectors(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return get_vectors(info, *index_); });
}

}  // namespace quiver
