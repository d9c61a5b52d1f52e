#include "label_filter_wrap.h"

#include "napi_util.h"

namespace quiver {

namespace {
// Marks NativeAllowList objects (N-API type tags work across worker threads, unlike
// a constructor reference held in a static).
constexpr napi_type_tag kAllowListTag = {0x7175697665726462ULL, 0x616c6c6f776c7374ULL};
}  // namespace

void LabelFilterWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NativeAllowList", {InstanceMethod("count", &LabelFilterWrap::Count)});
  exports.Set("NativeAllowList", cls);
}

// new NativeAllowList(labels: Float64Array) or new NativeAllowList(words: Uint32Array, 'bits')
LabelFilterWrap::LabelFilterWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LabelFilterWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&]() -> Napi::Value {
    if (info.Length() > 1 && info[1].IsString() && info[1].As<Napi::String>().Utf8Value() == "bits") {
      if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
        throw Napi::TypeError::New(env, "words: expected a Uint32Array");
      auto words = info[0].As<Napi::Uint32Array>();
      filter_ = std::make_shared<const LabelFilter>(LabelFilter::from_words(words.Data(), words.ElementLength()));
    } else {
      auto labels = to_labels(env, expect_f64(env, info[0], "labels"), "labels");
      filter_ = std::make_shared<const LabelFilter>(LabelFilter::from_labels(labels.data(), labels.size()));
    }
    info.This().As<Napi::Object>().TypeTag(&kAllowListTag);
    reported_ = (int64_t)filter_->bytes();
    Napi::MemoryManagement::AdjustExternalMemory(env, reported_);
    return env.Undefined();
  });
}

void LabelFilterWrap::Finalize(Napi::Env env) {
  if (reported_ != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -reported_);
  reported_ = 0;
}

Napi::Value LabelFilterWrap::Count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)filter_->count());
}

std::shared_ptr<const LabelFilter> LabelFilterWrap::FilterOf(const Napi::Value& v) {
  if (!v.IsObject()) return nullptr;
  Napi::Object o = v.As<Napi::Object>();
  if (!o.CheckTypeTag(&kAllowListTag)) return nullptr;
  return Unwrap(o)->filter_;
}

std::shared_ptr<const LabelFilter> parse_filter_arg(const Napi::Env& env, const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (auto prepared = LabelFilterWrap::FilterOf(v)) return prepared;
  auto allow = to_labels(env, expect_f64(env, v, "filter"), "filter");
  return std::make_shared<const LabelFilter>(LabelFilter::from_labels(allow.data(), allow.size()));
}

}  // namespace quiver
