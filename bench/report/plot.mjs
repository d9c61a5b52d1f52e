// recall-qps.svg: recall@k (x) against QPS (y, log scale), one line per engine, one panel
// for single queries on one thread and one for batches on all threads, like
// ann-benchmarks' plots. A vega-lite spec compiled to vega and rendered with View.toSVG.
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { curve } from './ratios.mjs';

// Fixed colours so an engine looks the same in every plot; quiverdb in strong colours.
const COLORS = {
  'quiverdb-hnsw': '#d62728', 'quiverdb-flat': '#ff9896', 'hnswlib-node': '#1f77b4', usearch: '#2ca02c',
  'faiss-node': '#9467bd', 'faiss-python-hnsw': '#9467bd', 'faiss-python-flat': '#c5b0d5',
};
const engineColor = (name) => COLORS[name] ?? '#7f7f7f';

export function plotSpec(run, { k, threads }) {
  const values = [];
  for (const r of run.engines) {
    if (r.status !== 'ok' || !r.search?.length) continue;
    for (const mode of ['single', 'batch']) {
      const panel = mode === 'single' ? 'one query per call, 1 thread' : `batch of ${run.dataset.nq} queries, ${threads} threads`;
      for (const p of curve(r, mode)) {
        values.push({ engine: r.engine, kind: r.kind, panel, recall: p.recall, qps: p.qps, ef: p.ef === null ? 'exact' : p.ef, order: p.ef ?? 0 });
      }
    }
  }
  const minRecall = Math.min(...values.map((v) => v.recall));
  const engines = [...new Set(values.map((v) => v.engine))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${run.dataset.name}: recall@${k} vs QPS`, fontSize: 14 },
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: 'descending', header: { labelFontSize: 12 } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 380, height: 300,
      layer: [
        {
          mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2 },
          encoding: {
            x: { field: 'recall', type: 'quantitative', title: `recall@${k}`, scale: { domain: [Math.max(0, Math.floor((minRecall - 0.01) * 20) / 20), 1] } },
            y: { field: 'qps', type: 'quantitative', title: 'queries per second (log)', scale: { type: 'log' } },
            color: {
              field: 'engine', type: 'nominal', title: 'engine', legend: { orient: 'bottom', columns: 4 },
              scale: { domain: engines, range: engines.map(engineColor) },
            },
            shape: { field: 'kind', type: 'nominal', title: null, legend: null },
            order: { field: 'order', type: 'quantitative' },
            tooltip: [{ field: 'engine' }, { field: 'ef' }, { field: 'recall', format: '.3f' }, { field: 'qps', format: ',.0f' }],
          },
        },
      ],
    },
    config: { font: 'DejaVu Sans, Arial, sans-serif', background: 'white', view: { stroke: '#ccc' } },
  };
}

/** The SVG text of the recall/QPS plot for one dataset run. */
export async function renderPlotSvg(run, options) {
  const compiled = vegaLite.compile(plotSpec(run, options)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
