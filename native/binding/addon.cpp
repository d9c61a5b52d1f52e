// Module entry: registers the native classes and the SIMD introspection helpers.
#include <napi.h>

#include "../bench/probes.h"
#include "../index/metric.h"
#include "../kernels/dispatch.h"
#include "../util/file_lock.h"
#include "../util/thread_pool.h"
#include "flat_index_wrap.h"
#include "hnsw_index_wrap.h"
#include "label_filter_wrap.h"
#include "mapped_vectors_wrap.h"
#include "napi_util.h"

namespace quiver {
namespace {

Napi::Value SimdLevelJs(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kernels().name);
}

Napi::Value SimdWarning(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), simd_env_warning());
}

// Every level this CPU can run, lowest first (tests compare each to a reference).
Napi::Value SimdLevels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (SimdLevel l : {SimdLevel::Scalar, SimdLevel::Neon, SimdLevel::Avx2, SimdLevel::Avx512})
    if (kernels_for(l)) out.Set(i++, Napi::String::New(env, simd_level_name(l)));
  return out;
}

const KernelTable& table_arg(const Napi::Env& env, const Napi::Value& v) {
  if (!v.IsString()) throw_type(env, "level: expected a string");
  SimdLevel l;
  if (!parse_simd_level(v.As<Napi::String>().Utf8Value(), &l) || !kernels_for(l))
    throw_range(env, "level: not available on this CPU");
  return *kernels_for(l);
}

// kernelDistance(level, 'l2sq' | 'dot' | 'cosine', a, b): one row kernel at a chosen
// level; 'cosine' is the indexes' cosine distance (1 - similarity) built on it.
Napi::Value KernelDistance(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const KernelTable& kt = table_arg(env, info[0]);
    const std::string op = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    auto a = expect_f32(env, info[2], "a"), b = expect_f32(env, info[3], "b");
    if (a.ElementLength() != b.ElementLength()) throw_range(env, "a and b differ in length");
    if (op == "l2sq") return Napi::Number::New(env, kt.l2sq(a.Data(), b.Data(), a.ElementLength()));
    if (op == "dot") return Napi::Number::New(env, kt.dot(a.Data(), b.Data(), a.ElementLength()));
    if (op == "cosine") {
      const size_t dim = a.ElementLength();
      return Napi::Number::New(env, exact_distance(kt, Metric::Cosine, a.Data(), vector_norm(kt, a.Data(), dim),
                                                   b.Data(), vector_norm(kt, b.Data(), dim), dim));
    }
    throw_range(env, "op: expected 'l2sq', 'dot' or 'cosine'");
  });
}

// kernelCodes(level, 'l2sq_i8' | 'neg_dot_i8', q, xs, ids): the int8 batch
// kernel at a chosen level; q holds dim codes, xs rows of dim codes, ids the
// rows to score (in any order). Returns one key per id.
Napi::Value KernelCodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const KernelTable& kt = table_arg(env, info[0]);
    const std::string op = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int8_array ||
        !info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int8_array ||
        !info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw_type(env, "kernelCodes: expected (level, op, Int8Array, Int8Array, Uint32Array)");
    auto q = info[2].As<Napi::TypedArrayOf<int8_t>>();
    auto xs = info[3].As<Napi::TypedArrayOf<int8_t>>();
    auto ids = info[4].As<Napi::TypedArrayOf<uint32_t>>();
    const size_t dim = q.ElementLength();
    if (dim == 0 || xs.ElementLength() % dim != 0) throw_range(env, "kernelCodes: bad sizes");
    for (size_t i = 0; i < ids.ElementLength(); ++i)
      if (ids[i] >= xs.ElementLength() / dim) throw_range(env, "kernelCodes: id out of range");
    Napi::Float32Array out = Napi::Float32Array::New(env, ids.ElementLength());
    auto fn = op == "l2sq_i8" ? kt.l2sq_i8_batch : op == "neg_dot_i8" ? kt.neg_dot_i8_batch : nullptr;
    if (!fn) throw_range(env, "op: expected 'l2sq_i8' or 'neg_dot_i8'");
    fn(q.Data(), reinterpret_cast<const char*>(xs.Data()), dim, ids.Data(), ids.ElementLength(), dim, out.Data());
    return out;
  });
}

// kernelBlockDots(level, queries, nq, vectors(16 rows), dim): dot products of nq
// queries with 16 vectors through the blocked tile kernel, row-major nq x 16.
Napi::Value KernelBlockDots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const KernelTable& kt = table_arg(env, info[0]);
    auto qs = expect_f32(env, info[1], "queries");
    const size_t nq = expect_size(env, info[2], "nq", kMaxQueryTile);
    auto xs = expect_f32(env, info[3], "vectors");
    const size_t dim = expect_size(env, info[4], "dim", 1 << 20);
    if (nq == 0 || qs.ElementLength() != nq * dim || xs.ElementLength() != kBlockLanes * dim)
      throw_range(env, "kernelBlockDots: bad sizes");
    std::vector<float> block(kBlockLanes * dim);
    for (size_t l = 0; l < kBlockLanes; ++l)
      for (size_t d = 0; d < dim; ++d) block[d * kBlockLanes + l] = xs.Data()[l * dim + d];
    // Score the 16 vectors both as one block and as the second of a pair, so
    // both code paths of the kernel are checked.
    std::vector<float> pair(2 * kBlockLanes * dim, 0.0f);
    std::copy(block.begin(), block.end(), pair.begin() + kBlockLanes * dim);
    std::vector<float> bias(kTileLanes, 0.0f), scale(kTileLanes, 1.0f), thr(nq, 0.0f), keys(nq * kTileLanes);
    std::vector<float> keys2(nq * kTileLanes), out(nq * kBlockLanes);
    std::vector<uint32_t> masks(nq);
    kt.block_score_tile(qs.Data(), nq, block.data(), 1, bias.data(), scale.data(), dim, thr.data(), keys.data(),
                        masks.data());
    kt.block_score_tile(qs.Data(), nq, pair.data(), 2, bias.data(), scale.data(), dim, thr.data(), keys2.data(),
                        masks.data());
    for (size_t i = 0; i < nq; ++i)
      for (size_t l = 0; l < kBlockLanes; ++l) {
        const float one = keys[i * kTileLanes + l], two = keys2[i * kTileLanes + kBlockLanes + l];
        if (one != two && std::fabs(one - two) > 1e-4f * (std::fabs(one) + 1.0f))
          throw_range(env, "kernelBlockDots: one-block and two-block results disagree");
        out[i * kBlockLanes + l] = one;
      }
    return floats_to_js(env, out);
  });
}

// benchKernel(level, 'l2sq' | 'dot', dim, n, reps) -> seconds, timed natively.
Napi::Value BenchKernel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const KernelTable& kt = table_arg(env, info[0]);
    const std::string op = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    if (op != "l2sq" && op != "dot") throw_range(env, "op: expected 'l2sq' or 'dot'");
    const size_t dim = expect_size(env, info[2], "dim", 1 << 16), n = expect_size(env, info[3], "n", 1 << 20),
                 reps = expect_size(env, info[4], "reps", 1e9);
    if (dim == 0 || n == 0) throw_range(env, "dim and n must be positive");
    return Napi::Number::New(env, time_kernel(kt, op == "l2sq" ? 'l' : 'd', dim, n, reps));
  });
}

// benchReadBandwidth(bytes, reps) -> bytes/second, single thread.
Napi::Value BenchReadBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const size_t bytes = expect_size(env, info[0], "bytes", 1ull << 34), reps = expect_size(env, info[1], "reps", 100);
    if (bytes < 1024 || reps == 0) throw_range(env, "bytes >= 1024 and reps >= 1 required");
    return Napi::Number::New(env, read_bandwidth(bytes, reps));
  });
}

// lockFile(fd) -> true when this open file now holds the exclusive lock, false
// when another open file holds it (this process or another). Never blocks.
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int fd = (int)expect_size(env, info[0], "fd", INT32_MAX);
    std::string error;
    const FileLockResult r = try_lock_file(fd, &error);
    if (r == FileLockResult::Error) throw Napi::Error::New(env, "lockFile: " + error);
    return Napi::Boolean::New(env, r == FileLockResult::Acquired);
  });
}

Napi::Value UnlockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int fd = (int)expect_size(env, info[0], "fd", INT32_MAX);
    std::string error;
    if (!unlock_file(fd, &error)) throw Napi::Error::New(env, "unlockFile: " + error);
    return env.Undefined();
  });
}

Napi::Value HardwareThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)ThreadPool::global().concurrency());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("simdLevel", Napi::Function::New(env, SimdLevelJs));
  exports.Set("simdWarning", Napi::Function::New(env, SimdWarning));
  exports.Set("simdLevels", Napi::Function::New(env, SimdLevels));
  exports.Set("kernelDistance", Napi::Function::New(env, KernelDistance));
  exports.Set("kernelBlockDots", Napi::Function::New(env, KernelBlockDots));
  exports.Set("kernelCodes", Napi::Function::New(env, KernelCodes));
  exports.Set("benchKernel", Napi::Function::New(env, BenchKernel));
  exports.Set("benchReadBandwidth", Napi::Function::New(env, BenchReadBandwidth));
  exports.Set("threadCount", Napi::Function::New(env, HardwareThreads));
  exports.Set("lockFile", Napi::Function::New(env, LockFile));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile));
  FlatIndexWrap::Init(env, exports);
  HnswIndexWrap::Init(env, exports);
  LabelFilterWrap::Init(env, exports);
  MappedVectorsWrap::Init(env, exports);
  return exports;
}

}  // namespace
}  // namespace quiver

static Napi::Object InitQuiver(Napi::Env env, Napi::Object exports) { return quiver::Init(env, exports); }

NODE_API_MODULE(quiverdb, InitQuiver)
