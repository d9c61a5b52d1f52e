# FAISS IndexFlatL2 / IndexFlatIP exact search, timed in CPU seconds, for
# bench/flat-bench.mjs (spawned with /usr/bin/python3 when faiss is installed).
# Reads one JSON line on stdin: {"n", "dim", "nq", "k", "reps", "metric", "base", "queries"}
# where base/queries are paths to raw little-endian float32 files.
# Prints one JSON line: {"faiss": version, "qps": [per-rep queries per CPU-second], "labels": first query's labels}.
import json
import sys
import time

import numpy as np
import faiss

cfg = json.loads(sys.stdin.readline())
n, dim, nq, k, reps = cfg["n"], cfg["dim"], cfg["nq"], cfg["k"], cfg["reps"]
base = np.fromfile(cfg["base"], dtype=np.float32).reshape(n, dim)
queries = np.fromfile(cfg["queries"], dtype=np.float32).reshape(nq, dim)
faiss.omp_set_num_threads(cfg.get("threads", 1))
if cfg["metric"] == "euclidean":
    index = faiss.IndexFlatL2(dim)
else:
    index = faiss.IndexFlatIP(dim)
    if cfg["metric"] == "cosine":
        faiss.normalize_L2(base)
        faiss.normalize_L2(queries)
index.add(base)
index.search(queries[:10], k)  # warm-up
qps = []
labels = None
for _ in range(reps):
    t0 = time.process_time()
    _, labels = index.search(queries, k)
    qps.append(nq / (time.process_time() - t0))
print(json.dumps({"faiss": faiss.__version__, "qps": qps, "labels": labels[0].tolist()}))
