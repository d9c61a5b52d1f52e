// Metrics and the distance conventions shared by every index.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "../kernels/dispatch.h"

namespace quiver {

enum class Metric : int { Euclidean = 0, Cosine = 1, InnerProduct = 2 };

inline bool parse_metric(const std::string& s, Metric* out) {
  if (s == "euclidean" || s == "l2") *out = Metric::Euclidean;
  else if (s == "cosine") *out = Metric::Cosine;
  else if (s == "ip") *out = Metric::InnerProduct;
  else return false;
  return true;
}

inline const char* metric_name(Metric m) {
  switch (m) {
    case Metric::Euclidean: return "euclidean";
    case Metric::Cosine: return "cosine";
    case Metric::InnerProduct: return "ip";
  }
  return "unknown";
}

// What a metric means to every index (flat, mapped, HNSW): the one place its rules live.
// Searches rank by a key, smaller is nearer: squared L2 (euclidean), -dot (ip), -cos (cosine,
// the -dot of unit vectors). Users see the distance derived from the key (key_to_distance).
struct MetricRules {
  bool by_direction;  // cosine: vectors compare as unit vectors (queries normalised, 1/|x| kept per vector)
  bool l2_keys;       // euclidean: keys come from the l2sq kernel; the others rank by -dot
  bool raw_dot;       // ip: keys are -dot of the raw vectors, not distances (they can be negative and
                      // break the triangle inequality): no pruning slack, no centring of queries
};

constexpr MetricRules metric_rules(Metric m) {
  return {m == Metric::Cosine, m == Metric::Euclidean, m == Metric::InnerProduct};
}

// 1/|x| from |x|^2 (0 for a zero vector, so its cosine similarity with anything is 0).
inline float inverse_norm(float squared_norm) {
  const float n = std::sqrt(std::max(0.0f, squared_norm));
  return n > 0.0f ? 1.0f / n : 0.0f;
}

// Norm of a vector with the active kernels (used for cosine).
inline float vector_norm(const KernelTable& kt, const float* v, size_t dim) {
  return std::sqrt(std::max(0.0f, kt.dot(v, v, dim)));
}

// The user-visible distance of a key: Euclidean (not squared), 1 - dot product,
// or 1 - cosine similarity (clamped to [0, 2]).
inline float key_to_distance(Metric m, float key) {
  switch (m) {
    case Metric::Euclidean: return std::sqrt(std::max(0.0f, key));
    case Metric::InnerProduct: return 1.0f + key;
    case Metric::Cosine: return std::min(2.0f, std::max(0.0f, 1.0f + key));
  }
  return key;
}

// The flat scan's ranking key of x is bias + scale * dot(q, x): |x|^2 - 2 q.x (euclidean:
// |q - x|^2 - |q|^2), -q.x (ip), -q.x / |x| (cosine; 0 for a zero vector). For one query it
// orders like the key above.
inline void flat_key_terms(Metric m, float squared_norm, float norm, float* bias, float* scale) {
  switch (m) {
    case Metric::Euclidean: *bias = squared_norm; *scale = -2.0f; return;
    case Metric::InnerProduct: *bias = 0.0f; *scale = -1.0f; return;
    case Metric::Cosine: *bias = 0.0f; *scale = norm > 0.0f ? -1.0f / norm : 0.0f; return;
  }
}

// The exact user-visible distance between q and x (norms given for cosine). Cosine with a
// zero vector is similarity 0 (distance 1).
inline float exact_distance(const KernelTable& kt, Metric m, const float* q, float qnorm, const float* x,
                            float xnorm, size_t dim) {
  switch (m) {
    case Metric::Euclidean: return key_to_distance(m, kt.l2sq(q, x, dim));
    case Metric::InnerProduct: return key_to_distance(m, -kt.dot(q, x, dim));
    case Metric::Cosine:
      if (qnorm == 0.0f || xnorm == 0.0f) return 1.0f;
      return key_to_distance(m, -(kt.dot(q, x, dim) / (qnorm * xnorm)));
  }
  return 0.0f;
}

}  // namespace quiver
