// FAISS through a Python child process (Debian's python3-faiss), for machines where
// faiss-node cannot install. faiss_worker.py does the timing itself around each FAISS call.
// Two engines share this file: IndexHNSWFlat and IndexFlat (the GEMM-class exact anchor).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./faiss_worker.py', import.meta.url));
const INSTALL_HINT = 'apt-get install python3-faiss libopenblas0 (Debian/Ubuntu), or set QUIVER_BENCH_PYTHON to a python with faiss and numpy';

/**
 * Python interpreters to try: QUIVER_BENCH_PYTHON alone when set, else the system one (where
 * Debian's python3-faiss lives; a pyenv python3 on PATH would not see it), then PATH.
 */
function pythonCandidates() {
  if (process.env.QUIVER_BENCH_PYTHON) return [process.env.QUIVER_BENCH_PYTHON];
  const list = [];
  if (existsSync('/usr/bin/python3')) list.push('/usr/bin/python3');
  list.push('python3');
  return [...new Set(list)];
}

let probed = null;
function findPython() {
  if (probed) return probed;
  const tried = [];
  for (const python of pythonCandidates()) {
    const r = spawnSync(python, ['-c', 'import faiss, numpy; print(faiss.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (probed = { python, version: r.stdout.trim() });
    const why = r.error ? r.error.code ?? r.error.message : (r.stderr.trim().split('\n').pop() || `exit ${r.status}`);
    tried.push(`${python}: ${why}`);
  }
  return (probed = { reason: `no python with faiss (${tried.join('; ')}); ${INSTALL_HINT}` });
}

/** A line-oriented JSON RPC to faiss_worker.py. */
class FaissWorker {
  #child; #lines; #stderr = '';
  constructor(python) {
    // Passive OpenMP waits: on a shared machine, spinning threads that wait at FAISS's
    // barriers while a sibling is descheduled cost more than they save (OMP_WAIT_POLICY wins if set).
    const env = { OMP_WAIT_POLICY: 'PASSIVE', ...process.env };
    this.#child = spawn(python, ['-u', WORKER], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.#child.stderr.on('data', (d) => { this.#stderr = (this.#stderr + d).slice(-4000); });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  async call(command, onProgress) {
    this.#child.stdin.write(JSON.stringify(command) + '\n');
    for (;;) {
      const { value, done } = await this.#lines.next();
      if (done) throw new Error(`faiss worker exited during '${command.cmd}': ${this.#stderr.trim() || 'no output'}`);
      const message = JSON.parse(value);
      if ('progress' in message) { onProgress?.(message.progress, message.total); continue; }
      if (!message.ok) throw new Error(`faiss worker '${command.cmd}': ${message.error}`);
      return message;
    }
  }
  /** Asks the worker to quit and waits for it, so its CPU time is accounted to our process. */
  close() {
    if (this.#child.exitCode !== null) return Promise.resolve();
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    return exited;
  }
}

const decodeLabels = (b64) => {
  const buf = Buffer.from(b64, 'base64');
  return new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
};

function makeEngine(kind) {
  const exact = kind === 'flat';
  const info = exact
    ? { name: 'faiss-python-flat', label: 'FAISS IndexFlat (python3-faiss)', kind: 'exact' }
    : { name: 'faiss-python-hnsw', label: 'FAISS IndexHNSWFlat (python3-faiss)', kind: 'hnsw' };

  async function probe() {
    const found = findPython();
    if (!found.python) return { available: false, reason: found.reason };
    const wait = process.env.OMP_WAIT_POLICY ?? 'PASSIVE';
    return { available: true, version: found.version, notes: `FAISS ${found.version} via ${found.python} (Python child process; timings taken in Python; OMP_WAIT_POLICY=${wait})` };
  }

  async function create({ dim, metric, workDir, n, nq }) {
    const worker = new FaissWorker(findPython().python);
    let built = null;
    const engine = {
      capabilities: { threadedBuild: true, batchThreads: 'all', filter: true, persistence: true, exact, remoteTiming: true },
      runtime: null,
      async build(_vectors, { M, efConstruction, threads, onProgress, keep = true } = {}) {
        if (!built) {
          engine.runtime = await worker.call({ cmd: 'init', kind, dim, metric, M, efConstruction, workDir, n, nq });
          built = true;
        }
        const r = await worker.call({ cmd: 'build', threads, keep }, onProgress);
        return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, indexBytes: r.indexBytes };
      },
      async runSingleQueries({ k, ef, count, reps, allowFile }) {
        const cmd = allowFile ? { cmd: 'filtered', allowFile } : { cmd: 'single' };
        const r = await worker.call({ ...cmd, k, ef: ef ?? 0, count, reps });
        return { latenciesMs: r.latenciesMs, labels: decodeLabels(r.labels) };
      },
      async runBatch({ k, ef, threads, reps, calls = 1 }) {
        const r = await worker.call({ cmd: 'batch', k, ef: ef ?? 0, threads, reps, calls });
        return { seconds: r.seconds, labels: decodeLabels(r.labels) };
      },
      async save(path) { return { seconds: (await worker.call({ cmd: 'save', path })).seconds }; },
      async load(path) { return { seconds: (await worker.call({ cmd: 'load', path })).seconds }; },
      async processMemory() {
        const r = await worker.call({ cmd: 'memory' });
        engine.runtime = { ...engine.runtime, blas: r.blas };
        return { rss: r.rss, peakRss: r.peakRss, cpuSeconds: r.cpuSeconds };
      },
      memory: () => null,
      close: () => worker.close(),
    };
    return engine;
  }
  return { info, probe, create };
}

export const faissPythonHnsw = makeEngine('hnsw');
export const faissPythonFlat = makeEngine('flat');
