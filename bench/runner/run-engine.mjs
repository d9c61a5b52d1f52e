// Parent side of one engine: a child process (engine-worker.mjs) driven command by command.
// A crash, an error or a command that outlives its timeout becomes an error record for that
// engine instead of stopping the benchmark.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./engine-worker.mjs', import.meta.url));

export class EngineProcess {
  #child; #output = ''; #pending = null; #onProgress;
  failure = null;

  constructor({ engine, label, onProgress }) {
    this.engine = engine;
    this.label = label;
    this.#onProgress = onProgress;
    this.#child = fork(WORKER, [], {
      execArgv: ['--expose-gc', '--max-old-space-size=8192'],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (d) => { this.#output = (this.#output + d).slice(-8000); };
    this.#child.stdout.on('data', keep);
    this.#child.stderr.on('data', keep);
    this.#child.on('message', (m) => {
      if (m.type === 'progress') { this.#onProgress?.(m.phase, m.fraction); return; }
      const pending = this.#pending;
      this.#pending = null;
      if (!pending) return;
      if (m.type === 'error') pending.reject(new Error(m.message));
      else pending.resolve(m);
    });
    this.#child.on('exit', (code, signal) => {
      this.#pending?.reject(new Error(`child exited (${signal ?? `code ${code}`}) before replying`));
      this.#pending = null;
    });
    this.#child.on('error', (e) => { this.#pending?.reject(e); this.#pending = null; });
  }

  /** Sends a command and resolves with the reply; after a failure, resolves to null. */
  async call(message, timeoutSeconds) {
    if (this.failure) return null;
    try {
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`'${message.cmd}' timed out after ${timeoutSeconds} s`)), timeoutSeconds * 1000);
        this.#pending = {
          resolve: (m) => { clearTimeout(timer); resolve(m); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        };
        this.#child.send(message);
      });
    } catch (error) {
      this.#pending = null;
      this.kill();
      this.failure = {
        engine: this.engine, label: this.label, status: 'error',
        reason: error.message + (this.#output.trim() ? `\n${this.#output.trim()}` : ''),
      };
      return null;
    }
  }

  kill() {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
