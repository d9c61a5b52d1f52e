// Writes the seed corpus for the HNSW loader fuzz targets: small valid index
// files covering every metric, empty and one-vector indexes, multi-level graphs,
// deleted slots and freed (compacted) slots, and the quantized formats (int8,
// format version 2; rabitq, version 3). The checked-in seeds without a
// quantization were written by format version 1 and are kept as such: they are
// the old-version files the loader must still read (do not regenerate them).
//   make_hnsw_seeds <output dir>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "index/hnsw_index.h"

using namespace quiver;

namespace {
void write_seed(const std::string& dir, const std::string& name, Metric metric, size_t dim, uint32_t M, size_t n,
                size_t removed, bool compact, Quantization q = Quantization::None) {
  HnswParams p;
  p.quantization = q;
  p.dim = dim;
  p.metric = metric;
  p.M = M;
  p.ef_construction = 20;
  p.ef_search = 10;
  p.seed = 7;
  HnswIndex index(p);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<uint64_t> labels(n);
  std::vector<float> vecs(n * dim);
  for (size_t i = 0; i < n; ++i) labels[i] = i * 5 + 1;
  for (auto& x : vecs) x = u(rng);
  if (n) index.add(labels.data(), vecs.data(), n, 1);
  if (removed) index.remove(labels.data(), removed);
  if (compact) index.compact(1);
  index.save(dir + "/" + name);
  std::printf("%s: %zu live\n", name.c_str(), index.size());
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_hnsw_seeds <dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  write_seed(dir, "empty.hnsw", Metric::Euclidean, 3, 4, 0, 0, false);
  write_seed(dir, "one.hnsw", Metric::Cosine, 2, 2, 1, 0, false);
  write_seed(dir, "l2_40.hnsw", Metric::Euclidean, 4, 4, 40, 0, false);
  write_seed(dir, "cos_deleted.hnsw", Metric::Cosine, 3, 3, 30, 8, false);
  write_seed(dir, "ip_compacted.hnsw", Metric::InnerProduct, 2, 2, 50, 20, true);
  write_seed(dir, "dim1.hnsw", Metric::Euclidean, 1, 2, 12, 0, false);
  write_seed(dir, "all_deleted.hnsw", Metric::Euclidean, 2, 2, 5, 5, false);
  write_seed(dir, "int8_l2.hnsw", Metric::Euclidean, 5, 3, 30, 4, false, Quantization::Int8);
  write_seed(dir, "rabitq_empty.hnsw", Metric::Euclidean, 3, 4, 0, 0, false, Quantization::Bits1);
  write_seed(dir, "rabitq_cos.hnsw", Metric::Cosine, 70, 3, 40, 6, false, Quantization::Bits1);
  write_seed(dir, "rabitq_ip_compacted.hnsw", Metric::InnerProduct, 2, 2, 50, 20, true, Quantization::Bits1);
  write_seed(dir, "rabitq_dim1.hnsw", Metric::Euclidean, 1, 2, 12, 0, false, Quantization::Bits1);
  return 0;
}
