// JS class NativeHnswIndex over quiver::HnswIndex. The TypeScript HnswIndex in
// src/indexes/hnsw-index.ts normalises user input and calls these methods.
#pragma once
#include <napi.h>

#include <memory>

#include "../index/hnsw_index.h"

namespace quiver {

class HnswIndexWrap : public Napi::ObjectWrap<HnswIndexWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit HnswIndexWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;
  // Tells V8 how much native memory this object holds (after every change of
  // size), so that dropped indexes are collected.
  void ReportMemory(Napi::Env env);

  // Wraps an index built natively (load): the next construction adopts it.
  static Napi::Object Adopt(Napi::Function cls, std::shared_ptr<HnswIndex> index);

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value AddAsync(const Napi::CallbackInfo& info);
  Napi::Value Remove(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Capacity(const Napi::CallbackInfo& info);
  Napi::Value Deleted(const Napi::CallbackInfo& info);
  Napi::Value MemoryBytes(const Napi::CallbackInfo& info);
  Napi::Value Params(const Napi::CallbackInfo& info);
  Napi::Value Labels(const Napi::CallbackInfo& info);
  Napi::Value Compact(const Napi::CallbackInfo& info);
  Napi::Value SearchInto(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value SaveAsync(const Napi::CallbackInfo& info);
  Napi::Value Reserve(const Napi::CallbackInfo& info);
  Napi::Value GetVectors(const Napi::CallbackInfo& info);
  static Napi::Value Load(const Napi::CallbackInfo& info);
  static Napi::Value LoadAsync(const Napi::CallbackInfo& info);

  // Shared so that async work keeps the index alive even if JS drops it.
  std::shared_ptr<HnswIndex> index_;
  int64_t reported_ = 0;  // bytes last reported to V8
};

}  // namespace quiver
