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

// Norm of a vector with the active kernels (used for cosine).
inline float vector_norm(const KernelTable& kt, const float* v, size_t dim) {
  return std::sqrt(std::max(0.0f, kt.dot(v, v, dim)));
}

// The user-visible distance: Euclidean (not squared), 1 - cosine similarity,
// or 1 - dot product. Cosine with a zero vector is similarity 0 (distance 1).
inline float exact_distance(const KernelTable& kt, Metric m, const float* q, float qnorm, const float* x,
                            float xnorm, size_t dim) {
  switch (m) {
    case Metric::Euclidean: return std::sqrt(std::max(0.0f, kt.l2sq(q, x, dim)));
    case Metric::InnerProduct: return 1.0f - kt.dot(q, x, dim);
    case Metric::Cosine: {
      if (qnorm == 0.0f || xnorm == 0.0f) return 1.0f;
      const float sim = kt.dot(q, x, dim) / (qnorm * xnorm);
      return std::min(2.0f, std::max(0.0f, 1.0f - sim));
    }
  }
  return 0.0f;
}

}  // namespace quiver
