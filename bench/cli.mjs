// `quiver bench`: options, their checks and defaults. The work happens in runner/run-bench.mjs.
import { createRequire } from 'node:module';
import os from 'node:os';
import { InvalidArgumentError } from 'commander';

// The benchmark's own packages are devDependencies of quiverdb (a library install
// does not bring them): name the missing ones and the command that adds them.
const BENCH_PACKAGES = ['vega', 'vega-lite', 'cli-progress'];
// The peers it compares against; an engine whose package is missing is skipped.
const PEER_PACKAGES = ['hnswlib-node', 'usearch', 'faiss-node', '@lancedb/lancedb'];
const INSTALLABLE = [...BENCH_PACKAGES, 'hnswlib-node', 'usearch', '@lancedb/lancedb'];
// Pinned where a newer release does not install here (LanceDB after 0.31.0), with the peer it needs.
const INSTALL_SPECS = { '@lancedb/lancedb': '@lancedb/lancedb@0.31.0 apache-arrow@18.1.0' };
const INSTALL_HINT = `npm install --no-save ${INSTALLABLE.map((name) => INSTALL_SPECS[name] ?? name).join(' ')}`;

const packageMissing = (name, resolve) => {
  try { resolve(name); return false; } catch { return true; }
};

/** Throws naming the packages `quiver bench` needs that cannot be resolved from here. */
export function checkBenchPackages(resolve = createRequire(import.meta.url).resolve) {
  const missing = BENCH_PACKAGES.filter((name) => packageMissing(name, resolve));
  if (missing.length > 0)
    throw new Error(`quiver bench needs ${missing.join(', ')} (devDependencies of quiverdb, not installed with the library): ` +
      `run it from a quiverdb checkout after \`npm install\`, or \`${INSTALL_HINT}\``);
}

/** The `--help` section that says which packages the benchmark needs and which are missing here. */
export function benchPackagesHelp(resolve = createRequire(import.meta.url).resolve) {
  const line = (name, missingNote) => `  ${name.padEnd(14)} ${packageMissing(name, resolve) ? missingNote : 'installed'}`;
  const missing = INSTALLABLE.filter((name) => packageMissing(name, resolve));
  return [
    '',
    'Packages (devDependencies of quiverdb; a library install does not bring them):',
    ...BENCH_PACKAGES.map((name) => line(name, 'MISSING (required)')),
    ...PEER_PACKAGES.map((name) => line(name, 'missing (its engine is skipped)')),
    ...(missing.length > 0 ? ['', `Install them with: ${INSTALL_HINT}`] : []),
  ].join('\n');
}

const DEFAULT_EFS = [10, 16, 32, 64, 128, 256, 512];
const QUICK_EFS = [10, 32, 128];

function positiveInt(name) {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
}

function positiveNumber(name) {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name}: expected a positive number, got ${JSON.stringify(value)}`);
    return n;
  };
}

function intList(name) {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const out = items.map(Number);
    if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1))
      throw new InvalidArgumentError(`${name}: expected comma-separated positive integers like 10,32,128, got ${JSON.stringify(value)}`);
    return [...new Set(out)].sort((a, b) => a - b);
  };
}

/** Adds the `bench` command to a commander program. */
export function addBenchCommand(program) {
  return program
    .command('bench')
    .description('Benchmark quiverdb against hnswlib-node, usearch, FAISS and LanceDB: recall/QPS tables, report.md, results.json and a recall-qps.svg plot')
    .option('--dataset <paths...>', "texmex folders (base.fvecs, query.fvecs, groundtruth*.ivecs) or ann-benchmarks .hdf5 files; 'default' = the generated Gaussian mixture")
    .option('--metric <metric>', "euclidean | cosine | ip, when the files don't say (generated data: cosine)")
    .option('--engines <list>', 'comma-separated: quiverdb-hnsw,quiverdb-flat,hnswlib-node,usearch,faiss-node,faiss-python-hnsw,faiss-python-flat,lancedb-ivf-hnsw-sq,lancedb-flat; aliases quiverdb, faiss-python, lancedb (default: all but the LanceDB ones, which are slow to measure)')
    .option('--k <n>', 'neighbours per query (recall@k)', positiveInt('--k'), 10)
    .option('--ef <list>', `search ef values (default ${DEFAULT_EFS.join(',')}; --quick ${QUICK_EFS.join(',')})`, intList('--ef'))
    .option('--threads <n>', 'threads for builds and batch searches (default: all cores)', positiveInt('--threads'))
    .option('--M <n>', 'HNSW graph degree M', positiveInt('--M'), 16)
    .option('--efConstruction <n>', 'HNSW efConstruction (default 200; --quick 100)', positiveInt('--efConstruction'))
    .option('--out <dir>', 'where results.json, report.md and the plot go', 'quiver-bench-results')
    .option('--quick', 'a small sanity run: 10k x 64 generated data, 200 queries, 3 ef values, 1 repetition')
    .option('--full', 'also time 1-thread builds, 5 repetitions, longer timing windows')
    .option('--build-single-thread', 'also time a 1-thread build for engines that build with threads')
    .option('--reps <n>', 'repetitions of each timing (median reported; default 3, --quick 1, --full 5)', positiveInt('--reps'))
    .option('--filter-ef <n>', 'ef for filtered searches', positiveInt('--filter-ef'), 64)
    .option('--size <n>', 'generated dataset: number of base vectors (default 100000)', positiveInt('--size'))
    .option('--dim <n>', 'generated dataset: dimension (default 128)', positiveInt('--dim'))
    .option('--queries <n>', 'generated dataset: queries; real datasets: use at most this many', positiveInt('--queries'))
    .option('--seed <n>', 'generated dataset seed', positiveInt('--seed'), 42)
    .option('--timeout <seconds>', 'give up on an engine after this long', positiveNumber('--timeout'), 1800)
    .option('--png', 'also render each plot to PNG (with @resvg/resvg-js)')
    .option('--from-results <file>', 'measure nothing: re-render report.md, plots and tables from a results.json into --out')
    .option('--no-progress', 'no progress output on stderr')
    .addHelpText('after', () => benchPackagesHelp())
    .action(async (opts, command) => {
      checkBenchPackages();
      if (opts.fromResults) {
        const { rerender } = await import('./runner/rerender.mjs');
        await rerender(opts.fromResults, opts.out, { png: Boolean(opts.png) });
        return;
      }
      const { runBench } = await import('./runner/run-bench.mjs');
      const { createProgress } = await import('./report/progress.mjs');
      const options = resolveBenchOptions(opts, command.parent?.rawArgs ?? process.argv);
      await runBench(options, { progress: createProgress({ enabled: options.progress }) });
    });
}

/** Fills in the defaults that depend on --quick/--full and checks combinations. */
export function resolveBenchOptions(opts, argv = []) {
  const quick = Boolean(opts.quick), full = Boolean(opts.full);
  if (quick && full) throw new InvalidArgumentError('--quick and --full: pick one');
  const paths = opts.dataset ?? ['default'];
  const generated = {
    n: opts.size ?? (quick ? 10_000 : undefined),
    dim: opts.dim ?? (quick ? 64 : undefined),
    queries: opts.queries ?? (quick ? 200 : undefined),
    seed: opts.seed,
  };
  const datasets = paths.map((p) => {
    const isDefault = p === 'default' || p === '';
    return { path: isDefault ? '' : p, metric: opts.metric, generated: isDefault ? generated : {}, maxQueries: isDefault ? undefined : (opts.queries ?? (quick ? 200 : undefined)) };
  });
  return {
    datasets,
    engines: opts.engines,
    k: opts.k,
    efs: opts.ef ?? (quick ? QUICK_EFS : DEFAULT_EFS),
    threads: opts.threads ?? os.availableParallelism(),
    M: opts.M,
    efConstruction: opts.efConstruction ?? (quick ? 100 : 200),
    out: opts.out,
    quick, full,
    buildSingleThread: Boolean(opts.buildSingleThread || full),
    reps: opts.reps ?? (quick ? 1 : full ? 5 : 3),
    singleSeconds: quick ? 0.05 : full ? 1.0 : 0.2,
    filterEf: opts.filterEf,
    seed: opts.seed,
    timeout: opts.timeout,
    progress: opts.progress !== false,
    png: Boolean(opts.png),
    command: `quiver ${argv.slice(2).join(' ')}`.trim(),
  };
}
