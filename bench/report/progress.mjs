// Progress on stderr: one cli-progress bar per engine on a terminal, plain lines otherwise
// (CI logs, pipes), so stdout stays clean for the results table.
import cliProgress from 'cli-progress';

export function createProgress({ enabled = true } = {}) {
  const tty = enabled && process.stderr.isTTY;
  const multibar = tty
    ? new cliProgress.MultiBar({
      stream: process.stderr, clearOnComplete: false, hideCursor: true,
      format: ' {engine} |{bar}| {percentage}% {phase}',
    }, cliProgress.Presets.shades_classic)
    : null;
  const write = (line) => { if (enabled) process.stderr.write(`${line}\n`); };
  return {
    log(line) {
      if (multibar) multibar.log(`${line}\n`);
      else write(line);
    },
    /** A bar for one engine; update(phase, overall fraction 0..1). */
    engine(name) {
      const label = name.padEnd(17);
      const bar = multibar?.create(100, 0, { engine: label, phase: 'starting' });
      let lastPhase = '';
      return {
        update(phase, fraction) {
          if (bar) bar.update(Math.round(Math.min(1, Math.max(0, fraction)) * 100), { phase });
          else if (phase !== lastPhase) { lastPhase = phase; write(`  ${name}: ${phase}`); }
        },
        done(status) {
          if (bar) bar.update(100, { phase: status });
          else write(`  ${name}: ${status}`);
        },
      };
    },
    stop() { multibar?.stop(); },
  };
}
