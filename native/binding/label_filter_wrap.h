// JS class NativeAllowList: an allow-list converted to a native LabelFilter once,
// so that many filtered searches with the same allowed labels skip the per-call
// conversion (for 50,000 allowed labels it cost more than the search itself).
// The TypeScript AllowList in src/indexes/allow-list.ts wraps it.
#pragma once
#include <napi.h>

#include <memory>

#include "../index/label_filter.h"

namespace quiver {

class LabelFilterWrap : public Napi::ObjectWrap<LabelFilterWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit LabelFilterWrap(const Napi::CallbackInfo& info);
  // Gives back the bytes reported to V8 at construction.
  void Finalize(Napi::Env env) override;
  // The filter behind `v` if it is a NativeAllowList, else null.
  static std::shared_ptr<const LabelFilter> FilterOf(const Napi::Value& v);

 private:
  Napi::Value Count(const Napi::CallbackInfo& info);
  // Shared so that an async search keeps the filter alive even if JS drops it.
  std::shared_ptr<const LabelFilter> filter_;
  int64_t reported_ = 0;  // native bytes reported to V8, so dropped lists are collected
};

// The filter argument of a search: undefined/null (none), a NativeAllowList, or a
// Float64Array of labels (converted here, once per call).
std::shared_ptr<const LabelFilter> parse_filter_arg(const Napi::Env& env, const Napi::Value& v);

}  // namespace quiver
