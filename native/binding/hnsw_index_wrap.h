// JS class NativeHnswIndex over quiver::HnswIndex. The TypeScript HnswIndex in
// src/indexes/hnsw-index.ts normalises user input and calls these methods.
#pragma once
#include <napi.h>

#include <memory>

#include "../index/hnsw_index.h"
#include "index_wrap.h"

namespace quiver {

class HnswIndexWrap : public IndexWrap<HnswIndexWrap, HnswIndex> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit HnswIndexWrap(const Napi::CallbackInfo& info);

  // Wraps an index built natively (load): the next construction adopts it.
  static Napi::Object Adopt(Napi::Function cls, std::shared_ptr<HnswIndex> index);

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value AddAsync(const Napi::CallbackInfo& info);
  Napi::Value Deleted(const Napi::CallbackInfo& info);
  Napi::Value Params(const Napi::CallbackInfo& info);
  Napi::Value Compact(const Napi::CallbackInfo& info);
  Napi::Value CompactAsync(const Napi::CallbackInfo& info);
  Napi::Value SearchInto(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value SaveAsync(const Napi::CallbackInfo& info);
  static Napi::Value Load(const Napi::CallbackInfo& info);
  static Napi::Value LoadAsync(const Napi::CallbackInfo& info);
};

}  // namespace quiver
