// Parent side of one engine run: forks engine-worker.mjs, relays its progress, and turns a
// crash, a non-zero exit or a timeout into an error record instead of losing the engine.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./engine-worker.mjs', import.meta.url));

export function runEngineInChild({ engine, label, workDir, options, timeoutSeconds, onProgress }) {
  return new Promise((resolve) => {
    const child = fork(WORKER, [], {
      execArgv: ['--expose-gc', '--max-old-space-size=8192'],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    const keep = (d) => { output = (output + d).slice(-8000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let settled = false;
    const finish = (record) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(record);
    };
    const failure = (why) => ({ engine, label, status: 'error', reason: why + (output.trim() ? `\n${output.trim()}` : '') });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(failure(`timed out after ${timeoutSeconds} s`));
    }, timeoutSeconds * 1000);
    child.on('message', (m) => {
      if (m.type === 'progress') onProgress?.(m.phase, m.fraction);
      else if (m.type === 'result') finish(m.record);
      else if (m.type === 'error') finish(failure(m.message));
    });
    child.on('exit', (code, signal) => finish(failure(`child exited (${signal ?? `code ${code}`}) before reporting`)));
    child.on('error', (e) => finish(failure(e.message)));
    child.send({ engine, workDir, options });
  });
}
