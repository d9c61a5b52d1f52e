#include "mapped_vectors_wrap.h"

#include <cstring>
#include <string>
#include <vector>

#include "napi_util.h"
#include "search_args.h"

namespace quiver {

namespace {

constexpr double kMaxRows = 4294967295.0;

// Search arguments, copied out of JS memory (the async path reads them off the
// JS thread, and a SharedArrayBuffer may change under a synchronous call too).
struct MappedSearchArgs {
  std::vector<float> queries;
  size_t nq = 0;
  size_t k = 0;
  size_t threads = 0;
  bool has_allow = false;
  std::vector<uint32_t> allow;  // allow_words() words
  const uint32_t* allow_ptr() const { return has_allow ? allow.data() : nullptr; }
};

// (queries: Float32Array, nq, k, threads?, allow?: Uint32Array)
MappedSearchArgs parse_args(const Napi::CallbackInfo& info, const MappedVectors& mv) {
  Napi::Env env = info.Env();
  MappedSearchArgs a;
  auto q = expect_f32(env, info[0], "queries");
  a.nq = expect_size(env, info[1], "nq", 1e12);
  a.k = expect_size(env, info[2], "k", kMaxK);
  if (a.k == 0) throw_range(env, "k: expected a positive integer, got 0");
  a.threads = info.Length() > 3 && !info[3].IsUndefined() ? expect_size(env, info[3], "threads", 4096) : 0;
  const size_t dim = mv.dim();
  if (q.ElementLength() != a.nq * dim)
    throw_range(env, "queries: expected " + std::to_string(a.nq) + " x " + std::to_string(dim) + " = " +
                         std::to_string(a.nq * dim) + " floats, got " + std::to_string(q.ElementLength()));
  a.queries.assign(q.Data(), q.Data() + q.ElementLength());
  check_vectors(env, a.queries.data(), a.nq, dim, "query");
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
    const Napi::Value v = info[4];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw_type(env, "allow: expected a Uint32Array bitset");
    auto bits = v.As<Napi::Uint32Array>();
    const size_t words = mv.allow_words();
    if (bits.ElementLength() < words)
      throw_range(env, "allow: expected at least " + std::to_string(words) + " words (one bit per row, " +
                           std::to_string(mv.rows()) + " rows), got " + std::to_string(bits.ElementLength()));
    a.has_allow = true;
    a.allow.assign(bits.Data(), bits.Data() + words);
  }
  return a;
}

size_t row_index(const Napi::Env& env, double d, const MappedVectors& mv, const std::string& what) {
  if (!(d >= 0) || d != std::floor(d) || d >= (double)mv.rows())
    throw_range(env, what + ": expected an integer row from 0 to " + std::to_string(mv.rows()) +
                         " (exclusive), got " + std::to_string(d));
  return (size_t)d;
}

// Runs a search on the libuv pool and settles a Promise. It holds the mapping
// itself, so a close() meanwhile cannot unmap the rows being read.
class MappedSearchWorker : public PromiseWorker {
 public:
  MappedSearchWorker(Napi::Env env, std::shared_ptr<const MappedVectors> mv, MappedSearchArgs args)
      : PromiseWorker(env), mv_(std::move(mv)), args_(std::move(args)) {}

 protected:
  void Run() override { result_ = mv_->search(args_.queries.data(), args_.nq, args_.k, args_.threads, args_.allow_ptr()); }
  void OnOK() override { deferred_.Resolve(result_to_js(Env(), result_)); }

 private:
  std::shared_ptr<const MappedVectors> mv_;
  MappedSearchArgs args_;
  SearchResult result_;
};

}  // namespace

void MappedVectorsWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NativeMappedVectors",
                                   {InstanceMethod("get", &MappedVectorsWrap::Get),
                                    InstanceMethod("getMany", &MappedVectorsWrap::GetMany),
                                    InstanceMethod("search", &MappedVectorsWrap::Search),
                                    InstanceMethod("searchAsync", &MappedVectorsWrap::SearchAsync),
                                    InstanceMethod("close", &MappedVectorsWrap::Close)});
  exports.Set("NativeMappedVectors", cls);
}

MappedVectorsWrap::MappedVectorsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedVectorsWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw_type(env, "path: expected a string");
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    // open() would stop at an embedded NUL and open another file.
    if (path.empty() || path.find('\0') != std::string::npos)
      throw_type(env, "path: expected a non-empty string without NUL characters");
    const uint64_t offset = expect_size(env, info[1], "byteOffset", kMaxLabel);
    const size_t rows = expect_size(env, info[2], "rows", kMaxRows);
    const size_t dim = expect_size(env, info[3], "dim", kMaxDim);
    if (dim == 0) throw_range(env, "dim: expected a positive integer, got 0");
    if (!info[4].IsString()) throw_type(env, "metric: expected 'cosine', 'euclidean' or 'ip'");
    Metric m;
    const std::string ms = info[4].As<Napi::String>().Utf8Value();
    if (!parse_metric(ms, &m)) throw_range(env, "metric: expected 'cosine', 'euclidean' or 'ip', got '" + ms + "'");
    vectors_ = std::make_shared<const MappedVectors>(path, offset, rows, dim, m);
    return env.Undefined();
  });
}

const MappedVectors& MappedVectorsWrap::open(const Napi::Env& env) const {
  if (!vectors_) throw Napi::Error::New(env, "MappedVectors is closed");
  return *vectors_;
}

// get(row) -> a copy of the row's dim floats.
Napi::Value MappedVectorsWrap::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const MappedVectors& mv = open(env);
    if (!info[0].IsNumber()) throw_type(env, "row: expected a row number");
    const size_t r = row_index(env, info[0].As<Napi::Number>().DoubleValue(), mv, "row");
    auto out = Napi::Float32Array::New(env, mv.dim());
    std::memcpy(out.Data(), mv.row(r), mv.dim() * sizeof(float));
    return out;
  });
}

// getMany(rows: Float64Array, out: Float32Array) -> out, row-major. Every row is
// checked before any is copied: on an error `out` is untouched.
Napi::Value MappedVectorsWrap::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const MappedVectors& mv = open(env);
    auto rows_arg = expect_f64(env, info[0], "rows");
    auto out = expect_f32(env, info[1], "out");
    const std::vector<double> rows(rows_arg.Data(), rows_arg.Data() + rows_arg.ElementLength());
    const size_t dim = mv.dim();
    if (out.ElementLength() != rows.size() * dim)
      throw_range(env, "out: expected " + std::to_string(rows.size()) + " x " + std::to_string(dim) + " = " +
                           std::to_string(rows.size() * dim) + " floats, got " + std::to_string(out.ElementLength()));
    std::vector<size_t> idx(rows.size());
    for (size_t i = 0; i < rows.size(); ++i)
      idx[i] = row_index(env, rows[i], mv, "rows[" + std::to_string(i) + "]");
    for (size_t i = 0; i < idx.size(); ++i) std::memcpy(out.Data() + i * dim, mv.row(idx[i]), dim * sizeof(float));
    return out.value;
  });
}

Napi::Value MappedVectorsWrap::Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const MappedVectors& mv = open(env);
    const MappedSearchArgs a = parse_args(info, mv);
    return result_to_js(env, mv.search(a.queries.data(), a.nq, a.k, a.threads, a.allow_ptr()));
  });
}

Napi::Value MappedVectorsWrap::SearchAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    MappedSearchArgs args = parse_args(info, open(env));
    auto* worker = new MappedSearchWorker(env, vectors_, std::move(args));
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  });
}

// close(): drops this object's hold on the mapping (idempotent).
Napi::Value MappedVectorsWrap::Close(const Napi::CallbackInfo& info) {
  vectors_.reset();
  return info.Env().Undefined();
}

}  // namespace quiver
