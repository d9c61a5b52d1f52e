// The machine a benchmark ran on, recorded with its results.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { loadQuiverdb } from './quiverdb.mjs';

function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const flags = new Set(line.split(':')[1].trim().split(/\s+/));
    return ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_fp16', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

export async function describeMachine() {
  const q = await loadQuiverdb();
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    cpuFlags: cpuFlags(),
    simdLevel: q.simdLevel(),
    availableSimdLevels: q.availableSimdLevels(),
    quiverdbThreads: typeof q.defaultThreads === 'function' ? q.defaultThreads() : undefined,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg(),
  };
}
