"""FAISS engine for `quiver bench`, run by faiss-python.mjs in a child process.

Reads one JSON command per line on stdin and answers one JSON line on stdout. Vectors are
read from the raw float32 files the bench wrote in its work directory, and every timing is
taken here around the FAISS call itself, so the pipe round trip is never counted.
"""
import base64
import json
import os
import resource
import sys
import time

import numpy as np
import faiss

STATE = {}


def reply(payload):
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def blas_library():
    """Which BLAS FAISS actually mapped (openblas, reference blas, mkl...)."""
    names = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.strip().split(" ")[-1]
            base = os.path.basename(path)
            if "blas" in base or "mkl" in base or "lapack" in base:
                names.add(os.path.realpath(path))
    return sorted(names)


def load_matrix(name, rows, dim):
    data = np.fromfile(os.path.join(STATE["work_dir"], name), dtype=np.float32)
    data = data.reshape(rows, dim)
    if STATE["metric"] == "cosine":
        data = data.copy()
        faiss.normalize_L2(data)
    return np.ascontiguousarray(data)


def labels_b64(labels):
    return base64.b64encode(np.ascontiguousarray(labels, dtype=np.int32).tobytes()).decode("ascii")


def faiss_metric():
    return faiss.METRIC_L2 if STATE["metric"] == "euclidean" else faiss.METRIC_INNER_PRODUCT


def new_index():
    dim = STATE["dim"]
    if STATE["kind"] == "flat":
        return faiss.IndexFlat(dim, faiss_metric())
    index = faiss.IndexHNSWFlat(dim, STATE["M"], faiss_metric())
    index.hnsw.efConstruction = STATE["efConstruction"]
    return index


def search_params(ef, allow=None):
    if STATE["kind"] == "flat":
        return faiss.SearchParameters(sel=allow) if allow is not None else None
    # FAISS 1.7.3 ignores SearchParametersHNSW.efSearch (it keeps using hnsw.efSearch), so set both.
    STATE["index"].hnsw.efSearch = ef
    if allow is None:
        return None
    params = faiss.SearchParametersHNSW()
    params.efSearch = ef
    params.sel = allow
    return params


def cmd_init(c):
    STATE.update(kind=c["kind"], dim=c["dim"], metric=c["metric"], M=c.get("M", 16),
                 efConstruction=c.get("efConstruction", 200), work_dir=c["workDir"],
                 n=c["n"], nq=c["nq"])
    STATE["queries"] = load_matrix("queries.f32", STATE["nq"], STATE["dim"])
    return {"version": faiss.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}


def cmd_build(c):
    base = load_matrix("base.f32", STATE["n"], STATE["dim"])
    faiss.omp_set_num_threads(c["threads"])
    before = rss_bytes()
    c0 = time.process_time()
    t0 = time.perf_counter()
    index = new_index()
    chunk = 10000
    for start in range(0, STATE["n"], chunk):
        index.add(base[start:start + chunk])
        sys.stdout.write(json.dumps({"progress": min(start + chunk, STATE["n"]), "total": STATE["n"]}) + "\n")
        sys.stdout.flush()
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    after = rss_bytes()
    if c.get("keep", True):
        STATE["index"] = index
    del base
    return {"seconds": seconds, "cpuSeconds": cpu_seconds, "indexBytes": after - before}


def run_single(k, ef, count, reps, allow=None):
    faiss.omp_set_num_threads(1)
    index, queries = STATE["index"], STATE["queries"]
    params = search_params(ef, allow)
    nq = queries.shape[0]
    labels = np.empty((min(count, nq), k), dtype=np.int64)
    latencies = []
    for _ in range(reps):
        rep = []
        for i in range(count):
            q = queries[i % nq:i % nq + 1]  # cycles through the queries when count > nq
            t0 = time.perf_counter()
            _, found = index.search(q, k, params=params) if params is not None else index.search(q, k)
            rep.append((time.perf_counter() - t0) * 1000.0)
            if i < nq:
                labels[i] = found[0]
        latencies.append(rep)
    return {"latenciesMs": latencies, "labels": labels_b64(labels)}


def cmd_single(c):
    return run_single(c["k"], c["ef"], c["count"], c["reps"])


def cmd_filtered(c):
    allowed = np.fromfile(os.path.join(STATE["work_dir"], c["allowFile"]), dtype=np.int32).astype(np.int64)
    selector = faiss.IDSelectorBatch(allowed.size, faiss.swig_ptr(allowed))
    return run_single(c["k"], c["ef"], c["count"], c["reps"], selector)


def cmd_batch(c):
    faiss.omp_set_num_threads(c["threads"])
    index, queries = STATE["index"], STATE["queries"]
    params = search_params(c["ef"])
    seconds = []
    found = None
    calls = c.get("calls", 1)
    for _ in range(c["reps"]):
        t0 = time.perf_counter()
        for _ in range(calls):
            _, found = index.search(queries, c["k"], params=params) if params is not None else index.search(queries, c["k"])
        seconds.append((time.perf_counter() - t0) / calls)
    return {"seconds": seconds, "labels": labels_b64(found)}


def cmd_save(c):
    t0 = time.perf_counter()
    faiss.write_index(STATE["index"], c["path"])
    return {"seconds": time.perf_counter() - t0}


def cmd_load(c):
    t0 = time.perf_counter()
    STATE["index"] = faiss.read_index(c["path"])
    return {"seconds": time.perf_counter() - t0}


def cmd_memory(_c):
    return {"rss": rss_bytes(), "peakRss": peak_rss_bytes(), "cpuSeconds": time.process_time(), "blas": blas_library()}


COMMANDS = {"init": cmd_init, "build": cmd_build, "single": cmd_single, "filtered": cmd_filtered,
            "batch": cmd_batch, "save": cmd_save, "load": cmd_load, "memory": cmd_memory}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        command = json.loads(line)
        if command["cmd"] == "quit":
            break
        try:
            reply({"ok": True, **COMMANDS[command["cmd"]](command)})
        except Exception as error:  # reported to the bench as this engine's error
            reply({"ok": False, "error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
