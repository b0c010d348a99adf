/**
 * A run directory's lease: one execution of a run's job at a time writes the directory. BullMQ may
 * hand a job out again while its first execution still runs (Redis was unreachable for longer than
 * the job's lock, or lost its data and the coordinator re-enqueued the job); the second execution
 * then waits for the lease instead of running the run a second time (sim/app/batch/queue/README.md,
 * "Redis outages").
 *
 * The lease is `<run dir>/lease.json`, created with link(2) (atomic, also on NFS) and rewritten by
 * its holder every `staleAfterMs / 4`. A waiter never compares clocks: it takes a lease over only
 * after seeing it unchanged for the holder's own `staleAfterMs` (the holder died).
 */
import { randomUUID } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LEASE_FILE = "lease.json";

export interface LeaseRecord {
  /** Who runs the run: `host pid N`. */
  holder: string;
  /** The queue job it runs. */
  job: string;
  /** This execution (unique). */
  token: string;
  /** How long the lease stays valid without a heartbeat. */
  staleAfterMs: number;
  /** Heartbeats so far: each one changes the file, which is all a waiter looks at. */
  beat: number;
}

export interface AcquireOptions {
  staleAfterMs: number;
  /** Stops waiting: acquire resolves undefined. */
  signal?: AbortSignal;
  /** Told once when the lease is held by a live execution and this one starts to wait. */
  onWait?: (holder: LeaseRecord) => void;
  /** Told when a lease is taken over from a holder silent for its staleAfterMs. */
  onStale?: (holder: LeaseRecord) => void;
  /** Told when a heartbeat finds the lease taken over (this holder was silent too long). */
  onLost?: (by: LeaseRecord | undefined) => void;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
};

const parse = (text: string | undefined): LeaseRecord | undefined => {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as LeaseRecord);
  } catch {
    return undefined;
  }
};

/** Writes `text` to a temporary file beside `path`, hands it to `place`, removes it after. */
function viaTemp(path: string, text: string, place: (temp: string) => void): void {
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, text);
  try {
    place(temp);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Creates the lease file with its content in one step; false when it exists. */
function create(path: string, text: string): boolean {
  try {
    viaTemp(path, text, (temp) => linkSync(temp, path));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

export class RunLease {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly path: string,
    private readonly record: LeaseRecord,
    onLost: AcquireOptions["onLost"],
  ) {
    this.timer = setInterval(
      () => {
        try {
          const current = parse(read(path));
          if (current?.token !== record.token) {
            clearInterval(this.timer);
            onLost?.(current);
            return;
          }
          record.beat++;
          viaTemp(path, JSON.stringify(record), (temp) => renameSync(temp, path));
        } catch {
          // Storage that fails now and then costs a beat; failing for staleAfterMs, the lease.
        }
      },
      Math.max(50, record.staleAfterMs / 4),
    );
    this.timer.unref();
  }

  /**
   * Takes the lease of `runDir` for one execution of `job`, waiting while a live execution holds
   * it. Resolves undefined when `signal` aborts first.
   */
  static async acquire(
    runDir: string,
    who: { holder: string; job: string },
    options: AcquireOptions,
  ): Promise<RunLease | undefined> {
    mkdirSync(runDir, { recursive: true });
    const path = join(runDir, LEASE_FILE);
    const record: LeaseRecord = {
      ...who,
      token: randomUUID(),
      staleAfterMs: options.staleAfterMs,
      beat: 0,
    };
    let seen: string | undefined;
    let seenAt = 0;
    let waiting = false;
    for (;;) {
      if (options.signal?.aborted) return undefined;
      if (create(path, JSON.stringify(record))) return new RunLease(path, record, options.onLost);
      const text = read(path);
      if (text === undefined) continue; // released in between: try again at once
      if (text !== seen) [seen, seenAt] = [text, Date.now()];
      const other = parse(text);
      const staleAfterMs = other?.staleAfterMs ?? options.staleAfterMs;
      if (Date.now() - seenAt > staleAfterMs) {
        // Removed only if still the silent holder's (a fresh lease of a third execution stays).
        if (read(path) === seen) rmSync(path, { force: true });
        if (other) options.onStale?.(other);
        continue;
      }
      if (!waiting && other) options.onWait?.(other);
      waiting = true;
      await new Promise((r) => setTimeout(r, Math.min(1_000, staleAfterMs / 4)));
    }
  }

  /** Ends the heartbeat and removes the lease if it is still this execution's. */
  release(): void {
    clearInterval(this.timer);
    if (parse(read(this.path))?.token === this.record.token) rmSync(this.path, { force: true });
  }
}
