// corpus: hnsw_ops
// libFuzzer target: the input is a program of index operations (add, replace,
// remove, compact, search, filtered search, save + load) run on a small
// HnswIndex next to a std::map model. After every operation the index must
// agree with the model: size, has/get of touched labels, and every search
// result is a live (and allowed) label with its true distance, sorted, with
// min(k, matches) rows. Finds crashes and corruption in insert/delete/repair
// sequences that random tests rarely produce (tiny M, duplicates, all-deleted
// graphs, re-adding removed labels, compaction between them).
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "hnsw_fuzz_common.h"

namespace {

class Reader {
 public:
  Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool done() const { return i_ >= n_; }
  uint8_t byte() { return i_ < n_ ? d_[i_++] : 0; }
  float coord() { return (float)((int)byte() - 128) / 16.0f; }  // a few distinct values: ties happen

 private:
  const uint8_t* d_;
  size_t n_;
  size_t i_ = 0;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

float true_distance(quiver::Metric m, const std::vector<float>& q, const std::vector<float>& x) {
  double dot = 0, qq = 0, xx = 0, l2 = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    dot += (double)q[i] * x[i];
    qq += (double)q[i] * q[i];
    xx += (double)x[i] * x[i];
    l2 += ((double)q[i] - x[i]) * ((double)q[i] - x[i]);
  }
  switch (m) {
    case quiver::Metric::Euclidean: return (float)std::sqrt(l2);
    case quiver::Metric::InnerProduct: return (float)(1.0 - dot);
    case quiver::Metric::Cosine:
      if (qq == 0 || xx == 0) return 1.0f;
      return (float)std::min(2.0, std::max(0.0, 1.0 - dot / std::sqrt(qq * xx)));
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  quiver::HnswParams p;
  // The first byte also picks the traversal mode (none, int8, rabitq) from its
  // upper bits, so older programs in the corpus still decode the same way.
  const uint8_t first = in.byte();
  p.dim = 1 + first % 4;
  p.quantization = static_cast<quiver::Quantization>((first >> 2) % 3);
  p.metric = static_cast<quiver::Metric>(in.byte() % 3);
  p.M = 2 + in.byte() % 6;
  p.ef_construction = 1 + in.byte() % 32;
  p.ef_search = 1 + in.byte() % 32;
  p.seed = in.byte();
  auto index = std::make_unique<quiver::HnswIndex>(p);
  std::map<uint64_t, std::vector<float>> model;
  const size_t dim = p.dim;

  for (int steps = 0; !in.done() && steps < 200; ++steps) {
    const uint8_t op = in.byte() % 8;
    if (op <= 2) {  // add a small batch (labels may repeat: the last one wins)
      const size_t n = 1 + in.byte() % 8;
      std::vector<uint64_t> labels(n);
      std::vector<float> vecs(n * dim);
      for (size_t i = 0; i < n; ++i) {
        labels[i] = in.byte() % 48;
        for (size_t d = 0; d < dim; ++d) vecs[i * dim + d] = in.coord();
      }
      index->add(labels.data(), vecs.data(), n, 1);
      for (size_t i = 0; i < n; ++i) model[labels[i]].assign(vecs.begin() + i * dim, vecs.begin() + (i + 1) * dim);
    } else if (op == 3) {  // remove
      const size_t n = 1 + in.byte() % 8;
      std::vector<uint64_t> labels(n);
      std::set<uint64_t> present;
      for (auto& l : labels) {
        l = in.byte() % 48;
        if (model.count(l)) present.insert(l);
      }
      if (index->remove(labels.data(), n) != present.size()) fail("remove count");
      for (auto l : labels) model.erase(l);
    } else if (op == 4) {
      index->compact(1);
    } else if (op == 5) {  // save and reload
      const std::string path = quiver_fuzz::scratch_path(".ops");
      index->save(path);
      index = quiver::HnswIndex::load(path);
      std::remove(path.c_str());
    } else {  // search, filtered when op == 7
      std::vector<float> q(dim);
      for (auto& x : q) x = in.coord();
      const size_t k = 1 + in.byte() % 12, ef = 1 + in.byte() % 40;
      std::set<uint64_t> allow;
      quiver::LabelFilter filter;
      if (op == 7) {
        std::vector<uint64_t> a(in.byte() % 10);
        for (auto& l : a) l = in.byte() % 48;
        allow.insert(a.begin(), a.end());
        filter = quiver::LabelFilter::from_labels(a.data(), a.size());
      }
      auto r = index->search(q.data(), 1, k, ef, 1, op == 7 ? &filter : nullptr);
      size_t matches = 0;
      for (const auto& [l, v] : model) matches += op != 7 || allow.count(l);
      if (r.k != std::min(k, matches)) fail("result count");
      for (size_t j = 0; j < r.k; ++j) {
        auto it = model.find(r.labels[j]);
        if (it == model.end()) fail("result is not a live label");
        if (op == 7 && !allow.count(r.labels[j])) fail("result not allowed by the filter");
        if (std::fabs(r.distances[j] - true_distance(p.metric, q, it->second)) > 1e-3f) fail("wrong distance");
        if (j > 0 && r.distances[j] < r.distances[j - 1]) fail("results not sorted");
        for (size_t i = 0; i < j; ++i)
          if (r.labels[i] == r.labels[j]) fail("duplicate result");
      }
    }
    if (index->size() != model.size()) fail("size");
  }
  std::vector<float> out(dim);
  for (const auto& [l, v] : model) {
    if (!index->get(l, out.data())) fail("live label missing");
    if (out != v) fail("stored vector differs");
  }
  for (uint64_t l = 0; l < 48; ++l)
    if (!model.count(l) && index->has(l)) fail("removed label still present");
  return 0;
}
