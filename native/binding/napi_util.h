// Conversions and checks at the N-API boundary. Everything arriving from JS is
// validated here before native code touches it; failures become JS TypeError /
// RangeError with a message naming the argument, never a crash.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

namespace quiver {

// Largest label a JS number can hold exactly (2^53 - 1).
constexpr double kMaxLabel = 9007199254740991.0;
// Largest dimension any index or mapped file accepts.
constexpr double kMaxDim = 65536;

// Runs fn and turns any C++ exception into a pending JS exception, so that no
// exception ever escapes into Node (which would abort the process).
template <class Fn>
Napi::Value guarded(const Napi::Env& env, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    Napi::RangeError::New(env, "quiverdb: out of memory").ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(env, std::string("quiverdb: ") + e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

[[noreturn]] inline void throw_type(const Napi::Env& env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] inline void throw_range(const Napi::Env& env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

// A typed-array argument, read with one napi_get_typedarray_info call. (node-addon-api's
// TypedArrayOf wrappers make two such calls per construction, and a type check a third:
// for a single-query search that was a tenth of the call.) Valid for the current call only.
template <class T>
struct TypedArg {
  Napi::Value value;
  T* data = nullptr;
  size_t length = 0;
  napi_value buffer = nullptr;  // the ArrayBuffer or SharedArrayBuffer it views
  T* Data() const { return data; }
  size_t ElementLength() const { return length; }
  T& operator[](size_t i) const { return data[i]; }
};

template <class T, napi_typedarray_type kType>
inline TypedArg<T> expect_typed(const Napi::Env& env, const Napi::Value& v, const char* what, const char* type_name) {
  TypedArg<T> a;
  a.value = v;
  napi_typedarray_type type;
  void* data = nullptr;
  // Fails with napi_invalid_arg for anything that is not a typed array.
  if (napi_get_typedarray_info(env, v, &type, &a.length, &data, &a.buffer, nullptr) != napi_ok || type != kType) {
    throw_type(env, std::string(what) + ": expected a " + type_name);
  }
  a.data = static_cast<T*>(data);
  return a;
}

using F32Arg = TypedArg<float>;
using F64Arg = TypedArg<double>;

inline F32Arg expect_f32(const Napi::Env& env, const Napi::Value& v, const char* what) {
  return expect_typed<float, napi_float32_array>(env, v, what, "Float32Array");
}

inline F64Arg expect_f64(const Napi::Env& env, const Napi::Value& v, const char* what) {
  return expect_typed<double, napi_float64_array>(env, v, what, "Float64Array");
}

inline size_t expect_size(const Napi::Env& env, const Napi::Value& v, const char* what, double max) {
  if (!v.IsNumber()) throw_type(env, std::string(what) + ": expected a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > max)
    throw_range(env, std::string(what) + ": expected an integer from 0 to " + std::to_string((uint64_t)max) +
                         ", got " + std::to_string(d));
  return (size_t)d;
}

// A label is an integer from 0 to 2^53-1 (NaN fails the first test).
inline bool is_label(double d) { return d >= 0 && d == std::floor(d) && d <= kMaxLabel; }

// Labels travel as Float64Array so that values above 2^32 survive intact.
inline std::vector<uint64_t> to_labels(const Napi::Env& env, const F64Arg& a, const char* what) {
  std::vector<uint64_t> out(a.ElementLength());
  const double* p = a.Data();
  for (size_t i = 0; i < out.size(); ++i) {
    const double d = p[i];
    if (!is_label(d))
      throw_range(env, std::string(what) + "[" + std::to_string(i) +
                           "]: expected a non-negative integer label up to 2^53-1, got " + std::to_string(d));
    out[i] = (uint64_t)d;
  }
  return out;
}

// Largest accepted |component| of a stored vector or a query. Inside it no kernel
// can overflow float32 for any metric: with dim <= 65536 = 2^16, a squared norm,
// a dot product or a squared L2 distance between two accepted vectors is at most
// 2^16 * (2e15)^2 ~ 2.6e35, three orders of magnitude below FLT_MAX (3.4e38), and
// so are the flat index's ranking keys (|x|^2 - 2 q.x) and the int8 quantizer's
// ranges. Larger values are refused at the boundary (RangeError), never stored.
constexpr float kMaxComponent = 1e15f;

// Rejects NaN, +-Infinity and components outside |x| <= 1e15, naming the vector and the component.
inline void check_vectors(const Napi::Env& env, const float* v, size_t n, size_t dim, const char* what) {
  // A branch-free pass the compiler vectorises (NaN fails the comparison too); only a
  // rejected input is scanned again, element by element, for the message.
  unsigned bad = 0;
  for (size_t i = 0; i < n * dim; ++i) bad |= !(std::fabs(v[i]) <= kMaxComponent);
  if (!bad) return;
  for (size_t i = 0; i < n * dim; ++i) {
    const float x = v[i];
    if (std::fabs(x) <= kMaxComponent) continue;
    if (!std::isfinite(x))
      throw_range(env, std::string(what) + ": vector " + std::to_string(i / dim) + " has a non-finite value (" +
                           std::to_string(x) + ") at component " + std::to_string(i % dim));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", (double)x);
    throw_range(env, std::string(what) + ": vector " + std::to_string(i / dim) + " has " + buf + " at component " +
                         std::to_string(i % dim) +
                         ", outside the accepted range |x| <= 1e15 (larger values could overflow float32 distances)");
  }
}

// True when the typed array views a SharedArrayBuffer: another thread may write
// it at any moment, even during a synchronous native call.
template <class T>
inline bool is_shared(const Napi::Env& env, const TypedArg<T>& a) {
  bool plain = false;
  if (napi_is_arraybuffer(env, a.buffer, &plain) != napi_ok) return true;
  return !plain;
}

// Float32 input that native code reads more than once (check, then use). Memory
// only this thread can write is used in place; a SharedArrayBuffer view (or any
// input when `copy` is set, e.g. for work done off the JS thread) is copied
// first, and only the copy is checked and used.
struct StableFloats {
  const float* data = nullptr;
  size_t size = 0;
  std::vector<float> copy;
};

inline StableFloats stable_f32(const Napi::Env& env, const F32Arg& a, bool copy = false) {
  StableFloats out;
  out.size = a.ElementLength();
  if (copy || is_shared(env, a)) {
    out.copy.resize(out.size);
    if (out.size) std::memcpy(out.copy.data(), a.Data(), out.size * sizeof(float));
    out.data = out.copy.data();
  } else {
    out.data = a.Data();
  }
  return out;
}

inline Napi::Float64Array labels_to_js(const Napi::Env& env, const std::vector<uint64_t>& labels) {
  auto out = Napi::Float64Array::New(env, labels.size());
  for (size_t i = 0; i < labels.size(); ++i) out[i] = (double)labels[i];
  return out;
}

inline Napi::Float32Array floats_to_js(const Napi::Env& env, const std::vector<float>& v) {
  auto out = Napi::Float32Array::New(env, v.size());
  if (!v.empty()) std::copy(v.begin(), v.end(), out.Data());
  return out;
}

}  // namespace quiver
