#!/usr/bin/env node
// SemanticCache in front of an LLM, replaying a prompt log built from real user-style
// questions (SciFact's 1,109 claims): requests follow a Zipf popularity law, as
// repeated questions do in a service, and a share of the repeats are reworded the
// way people retype a question (case, punctuation, spacing, a polite prefix, a
// reordered clause). Reports the share of LLM calls the cache saves, against the
// best any cache could do (every repeat a hit), wrong hits (a response served for
// another question), per rewording kind, and get/set latency.
// Usage: npm run build:ts && node bench/semantic-cache-bench.mjs [--dataset ../shared/datasets/scifact]
//        [--requests 5000] [--zipf 1.0] [--reworded 0.3] [--threshold 0.95] [--dim 384] [--seed 7]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/stats.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { SemanticCache, HashingEmbedder } = await import(join(root, 'dist', 'index.js'));
const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: resolve(root, '../shared/datasets/scifact') },
    requests: { type: 'string', default: '5000' },
    zipf: { type: 'string', default: '1.0' },
    reworded: { type: 'string', default: '0.3' },
    threshold: { type: 'string', default: '0.95' },
    dim: { type: 'string', default: '384' },
    seed: { type: 'string', default: '7' },
  },
});
const queriesFile = join(values.dataset, 'queries.jsonl');
if (!existsSync(queriesFile)) {
  console.error(`semantic-cache-bench: ${queriesFile} not found (needs a BEIR folder such as ../shared/datasets/scifact)`);
  process.exit(2);
}
const questions = readFileSync(queriesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text);
const requests = Number(values.requests), s = Number(values.zipf), rewordShare = Number(values.reworded);

let state = Number(values.seed) >>> 0;
const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 4294967296);

// Zipf over question ranks (a fixed random permutation decides which question is popular).
const order = questions.map((_, i) => i).sort(() => random() - 0.5);
const weights = order.map((_, r) => 1 / (r + 1) ** s);
const cumulative = [];
weights.reduce((acc, w) => (cumulative.push(acc + w), acc + w), 0);
const total = cumulative[cumulative.length - 1];
function sampleQuestion() {
  const x = random() * total;
  let lo = 0, hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < x) lo = mid + 1; else hi = mid;
  }
  return order[lo];
}

// How people retype a question they (or someone else) asked before.
const rewordings = {
  case: (q) => q.toLowerCase(),
  punctuation: (q) => (q.endsWith('.') ? `${q.slice(0, -1)}?` : `${q}?`),
  spacing: (q) => `  ${q.replace(/ /g, '  ')} `,
  prefix: (q) => `Is it true that ${q.charAt(0).toLowerCase()}${q.slice(1)}`,
  polite: (q) => `Please tell me: ${q}`,
  reorder: (q) => {
    const words = q.split(' ');
    const cut = Math.max(1, Math.floor(words.length / 2));
    return [...words.slice(cut), ...words.slice(0, cut)].join(' ');
  },
};
const kinds = Object.keys(rewordings);

const cache = new SemanticCache({ embedder: new HashingEmbedder({ dim: Number(values.dim) }), threshold: Number(values.threshold) });
const seen = new Set();
const byKind = Object.fromEntries(['exact', ...kinds].map((k) => [k, { repeats: 0, hits: 0 }]));
let llmCalls = 0, hits = 0, wrongHits = 0, firstTimeHits = 0;
const wrongExamples = [];
const getMs = [], setMs = [];
for (let r = 0; r < requests; r++) {
  const qi = sampleQuestion();
  const repeat = seen.has(qi);
  const kind = repeat && random() < rewordShare ? kinds[Math.floor(random() * kinds.length)] : 'exact';
  const prompt = kind === 'exact' ? questions[qi] : rewordings[kind](questions[qi]);
  let t = performance.now();
  const got = await cache.get(prompt, { model: 'llm-1' });
  getMs.push(performance.now() - t);
  if (repeat) byKind[kind].repeats++;
  if (got !== undefined) {
    hits++;
    if (questions[got.question] !== questions[qi]) { // SciFact repeats some claims verbatim under two ids
      wrongHits++;
      if (wrongExamples.length < 3) wrongExamples.push([prompt, questions[got.question]]);
    }
    if (!repeat) firstTimeHits++; // a new question answered from the cache: right only for a verbatim twin
    if (repeat) byKind[kind].hits++;
    continue;
  }
  llmCalls++; // a miss: the service asks the LLM and caches the answer
  t = performance.now();
  await cache.set(prompt, { question: qi, answer: `answer ${qi}` }, { model: 'llm-1' });
  setMs.push(performance.now() - t);
  seen.add(qi);
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const repeats = requests - seen.size - firstTimeHits;
console.log(`SemanticCache, HashingEmbedder dim ${values.dim}, threshold ${values.threshold}: ${requests} requests over ${questions.length} questions ` +
  `(Zipf s=${s}, ${pct(rewordShare)} of repeats reworded); ${seen.size} distinct questions asked`);
console.log(`LLM calls saved: ${hits} of ${requests} = ${pct(hits / requests)} (every repeat a hit would save ${pct(repeats / requests)}); ` +
  `wrong hits (another question's answer): ${wrongHits}; hits on a first-time question: ${firstTimeHits}`);
for (const [asked, served] of wrongExamples) console.log(`  wrong hit: asked ${JSON.stringify(asked)}\n         served the answer to ${JSON.stringify(served)}`);
console.log('hit rate on repeats, by how the repeat was typed:');
for (const [kind, v] of Object.entries(byKind)) console.log(`  ${kind.padEnd(12)} ${String(v.hits).padStart(5)} / ${String(v.repeats).padEnd(5)} ${v.repeats ? pct(v.hits / v.repeats) : '-'}`);
console.log(`latency: get median ${median(getMs).toFixed(3)} ms, set median ${median(setMs).toFixed(3)} ms; cache size ${cache.stats().size}`);
