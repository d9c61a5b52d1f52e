// JS class NativeMappedVectors over quiver::MappedVectors (a read-only,
// memory-mapped view of float32 rows). The TypeScript MappedVectors in
// src/indexes/mapped-vectors.ts validates user input and calls these methods.
#pragma once
#include <napi.h>

#include <memory>

#include "../index/mapped_vectors.h"

namespace quiver {

class MappedVectorsWrap : public Napi::ObjectWrap<MappedVectorsWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // (path, byteOffset, rows, dim, metric)
  explicit MappedVectorsWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value GetMany(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value SearchAsync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  // The mapping, or a JS Error when close() was called.
  const MappedVectors& open(const Napi::Env& env) const;

  // Shared with in-flight async searches: close() only drops this reference, and
  // the mapping is unmapped when the last holder lets go.
  std::shared_ptr<const MappedVectors> vectors_;
};

}  // namespace quiver
