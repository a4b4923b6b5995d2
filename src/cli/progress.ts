/**
 * Progress of long commands (`rotate`, `copy`) on standard error: a bar with counts and ETA on a
 * terminal (cli-progress), one plain line at most every second otherwise, nothing with `--json`.
 * @module
 */
import cliProgress from 'cli-progress';

/** Reports how far a command got. */
export interface Progress {
  /** Starts with the number of entries to visit. */
  start(total: number): void;
  /** `done` entries visited so far; `detail` is a short summary of the counts. */
  update(done: number, detail: string): void;
  /** Ends the bar (or prints a final line). */
  stop(done: number, detail: string): void;
}

/** The reporter for this process: a bar on a terminal, lines otherwise, silent when `quiet`. */
export function progressFor(label: string, quiet: boolean): Progress {
  if (quiet) return { start() {}, update() {}, stop() {} };
  const stream = process.stderr;
  return stream.isTTY ? barProgress(label, stream) : lineProgress(label, stream);
}

function barProgress(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} entries | ETA {eta_formatted} | {detail}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start(total) {
      bar.start(Math.max(total, 1), 0, { detail: '' });
    },
    update(done, detail) {
      bar.setTotal(Math.max(bar.getTotal(), done));
      bar.update(done, { detail });
    },
    stop(done, detail) {
      bar.setTotal(Math.max(bar.getTotal(), done));
      bar.update(done, { detail });
      bar.stop();
    },
  };
}

function lineProgress(label: string, stream: NodeJS.WriteStream): Progress {
  let total = 0;
  let started = Date.now();
  let last = 0;
  const line = (done: number, detail: string) => {
    const pct = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
    const elapsed = (Date.now() - started) / 1000;
    const eta = done === 0 || done >= total ? 0 : Math.ceil((elapsed / done) * (total - done));
    stream.write(`${label}: ${done}/${total} entries (${pct}%), eta ${eta}s, ${detail}\n`);
  };
  return {
    start(n) {
      total = n;
      started = Date.now();
      stream.write(`${label}: ${n} entries to visit\n`);
    },
    update(done, detail) {
      const now = Date.now();
      if (now - last < 1_000) return;
      last = now;
      line(done, detail);
    },
    stop(done, detail) {
      total = Math.max(total, done);
      line(done, detail);
    },
  };
}
