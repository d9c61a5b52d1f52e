// JS class NativeFlatIndex over quiver::FlatIndex. The TypeScript FlatIndex in
// src/indexes/flat-index.ts normalises user input and calls these methods.
#pragma once
#include <napi.h>

#include <memory>

#include "../index/flat_index.h"

namespace quiver {

class FlatIndexWrap : public Napi::ObjectWrap<FlatIndexWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit FlatIndexWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Remove(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Labels(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
  Napi::Value Reserve(const Napi::CallbackInfo& info);
  Napi::Value Capacity(const Napi::CallbackInfo& info);
  Napi::Value MemoryBytes(const Napi::CallbackInfo& info);
  Napi::Value GetVectors(const Napi::CallbackInfo& info);
  // Tells V8 how much native memory this object holds (after every change of
  // size), so that dropped indexes are collected: without it V8 sees a few
  // bytes per index and never hurries to collect them.
  void ReportMemory(Napi::Env env);

  // Shared so that an async search keeps the index alive even if JS drops it.
  std::shared_ptr<FlatIndex> index_;
  int64_t reported_ = 0;  // bytes last reported to V8
};

}  // namespace quiver
