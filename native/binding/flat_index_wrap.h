// JS class NativeFlatIndex over quiver::FlatIndex. The TypeScript FlatIndex in
// src/indexes/flat-index.ts normalises user input and calls these methods.
#pragma once
#include <napi.h>

#include "../index/flat_index.h"
#include "index_wrap.h"

namespace quiver {

class FlatIndexWrap : public IndexWrap<FlatIndexWrap, FlatIndex> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit FlatIndexWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
};

}  // namespace quiver
