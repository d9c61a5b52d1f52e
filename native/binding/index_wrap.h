// What NativeFlatIndex and NativeHnswIndex share: the index they hold, the native
// memory they report to V8, the constructor's dim and metric arguments, and the
// methods that behave the same on both (membership, reads, sizes, reserve).
// Each class derives from IndexWrap<itself, its index> and adds its own methods.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../index/metric.h"
#include "napi_util.h"

namespace quiver {

// Argument 0 (dim) and 1 (metric) of both index constructors.
inline size_t expect_dim(const Napi::Env& env, const Napi::Value& v) {
  const size_t dim = expect_size(env, v, "dim", kMaxDim);
  if (dim == 0) throw_range(env, "dim: expected a positive integer, got 0");
  return dim;
}

inline Metric expect_metric(const Napi::Env& env, const Napi::Value& v) {
  if (!v.IsString()) throw_type(env, "metric: expected 'cosine', 'euclidean' or 'ip'");
  const std::string s = v.As<Napi::String>().Utf8Value();
  Metric m;
  if (!parse_metric(s, &m)) throw_range(env, "metric: expected 'cosine', 'euclidean' or 'ip', got '" + s + "'");
  return m;
}

// add()'s arguments 0 and 1: labels (Float64Array) and their row-major vectors
// (Float32Array), checked. Shared memory is copied before it is checked and only the
// copy is used; `copy` copies always (async adds must not read JS memory off-thread).
struct LabeledVectors {
  std::vector<uint64_t> labels;
  StableFloats vectors;
};

inline LabeledVectors expect_labeled_vectors(const Napi::CallbackInfo& info, size_t dim, bool copy) {
  Napi::Env env = info.Env();
  LabeledVectors in;
  in.labels = to_labels(env, expect_f64(env, info[0], "labels"), "labels");
  auto vecs = expect_f32(env, info[1], "vectors");
  const size_t n = in.labels.size();
  if (vecs.ElementLength() != n * dim)
    throw_range(env, "vectors: expected " + std::to_string(n) + " x " + std::to_string(dim) + " = " +
                         std::to_string(n * dim) + " floats for " + std::to_string(n) + " labels, got " +
                         std::to_string(vecs.ElementLength()));
  in.vectors = stable_f32(env, vecs, copy);
  check_vectors(env, in.vectors.data, n, dim, "vectors");
  return in;
}

template <class Derived, class Index>
class IndexWrap : public Napi::ObjectWrap<Derived> {
 public:
  explicit IndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}

  void Finalize(Napi::Env env) override {
    if (reported_ != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -reported_);
    reported_ = 0;
  }

  // Tells V8 how much native memory this object holds (after every change of
  // size), so that dropped indexes are collected: without it V8 sees a few
  // bytes per index and never hurries to collect them.
  void ReportMemory(Napi::Env env) {
    if (!index_) return;
    const int64_t now = (int64_t)index_->memory_bytes();
    if (now != reported_) Napi::MemoryManagement::AdjustExternalMemory(env, now - reported_);
    reported_ = now;
  }

 protected:
  using Wrap = Napi::ObjectWrap<Derived>;
  using Methods = std::vector<typename Wrap::PropertyDescriptor>;

  // The DefineClass entries of the shared methods, then `own`.
  static Methods WithSharedMethods(Methods own) {
    Methods all = {Wrap::InstanceMethod("remove", &IndexWrap::Remove),
                   Wrap::InstanceMethod("has", &IndexWrap::Has),
                   Wrap::InstanceMethod("get", &IndexWrap::Get),
                   Wrap::InstanceMethod("size", &IndexWrap::Size),
                   Wrap::InstanceMethod("capacity", &IndexWrap::Capacity),
                   Wrap::InstanceMethod("memoryBytes", &IndexWrap::MemoryBytes),
                   Wrap::InstanceMethod("labels", &IndexWrap::Labels),
                   Wrap::InstanceMethod("reserve", &IndexWrap::Reserve),
                   Wrap::InstanceMethod("getVectors", &IndexWrap::GetVectors)};
    all.insert(all.end(), own.begin(), own.end());
    return all;
  }

  // Shared so that async work keeps the index alive even if JS drops it.
  std::shared_ptr<Index> index_;

 private:
  // remove(labels: Float64Array) -> how many were in the index.
  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      auto labels = to_labels(env, expect_f64(env, info[0], "labels"), "labels");
      const size_t removed = index_->remove(labels.data(), labels.size());
      ReportMemory(env);
      return Napi::Number::New(env, (double)removed);
    });
  }

  // has(label) -> boolean; anything that is not a valid label is simply absent.
  Napi::Value Has(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      uint64_t label;
      return Napi::Boolean::New(env, label_arg(info[0], &label) && index_->has(label));
    });
  }

  // get(label) -> a copy of its vector, or undefined.
  Napi::Value Get(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      uint64_t label;
      if (!label_arg(info[0], &label)) return env.Undefined();
      auto out = Napi::Float32Array::New(env, index_->dim());
      if (!index_->get(label, out.Data())) return env.Undefined();
      return out;
    });
  }

  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)index_->size()); }
  Napi::Value Capacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)index_->capacity());
  }
  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)index_->memory_bytes());
  }

  Napi::Value Labels(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value { return labels_to_js(env, index_->labels()); });
  }

  // reserve(n): storage for n vectors at once.
  Napi::Value Reserve(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      index_->reserve(expect_size(env, info[0], "n", 4294967294.0));
      ReportMemory(env);
      return env.Undefined();
    });
  }

  // getVectors(labels: Float64Array, out: Float32Array) -> out, row-major; a RangeError
  // names the first label not in the index (get_many stops there).
  Napi::Value GetVectors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      auto labels = to_labels(env, expect_f64(env, info[0], "labels"), "labels");
      auto out = expect_f32(env, info[1], "out");
      const size_t dim = index_->dim();
      if (out.ElementLength() != labels.size() * dim)
        throw_range(env, "out: expected " + std::to_string(labels.size()) + " x " + std::to_string(dim) + " = " +
                             std::to_string(labels.size() * dim) + " floats, got " +
                             std::to_string(out.ElementLength()));
      const size_t got = index_->get_many(labels.data(), labels.size(), out.Data());
      if (got < labels.size())
        throw_range(env, "labels[" + std::to_string(got) + "]: label " + std::to_string(labels[got]) +
                             " is not in the index");
      return out.value;
    });
  }

  static bool label_arg(const Napi::Value& v, uint64_t* out) {
    if (!v.IsNumber()) return false;
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!is_label(d)) return false;
    *out = (uint64_t)d;
    return true;
  }

  int64_t reported_ = 0;  // bytes last reported to V8
};

}  // namespace quiver
