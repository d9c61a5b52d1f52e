#include "flat_index_wrap.h"

#include "napi_util.h"
#include "search_args.h"

namespace quiver {

void FlatIndexWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NativeFlatIndex",
                                   WithSharedMethods({InstanceMethod("add", &FlatIndexWrap::Add),
                                                      InstanceMethod("search", &FlatIndexWrap::Search),
                                                      InstanceMethod("searchAsync", &FlatIndexWrap::SearchAsync)}));
  exports.Set("NativeFlatIndex", cls);
}

// new NativeFlatIndex(dim, metric)
FlatIndexWrap::FlatIndexWrap(const Napi::CallbackInfo& info) : IndexWrap(info) {
  Napi::Env env = info.Env();
  guarded(env, [&]() -> Napi::Value {
    const size_t dim = expect_dim(env, info[0]);
    index_ = std::make_shared<FlatIndex>(dim, expect_metric(env, info[1]));
    ReportMemory(env);
    return env.Undefined();
  });
}

Napi::Value FlatIndexWrap::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const LabeledVectors in = expect_labeled_vectors(info, index_->dim(), false);
    index_->add(in.labels.data(), in.vectors.data, in.labels.size());
    ReportMemory(env);
    return env.Undefined();
  });
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

}  // namespace quiver
