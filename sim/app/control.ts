import { InterruptedError } from "../core/engine.js";
import { speedProblem } from "./server/speed.js";

/** What the viewer's controls set: whether the engine is held between steps, and its pace. */
export interface GateState {
  paused: boolean;
  /** At most this many engine steps per second; 0 = unlimited. */
  speed: number;
}

export interface StepGateOptions {
  paused?: boolean;
  speed?: number;
}

/**
 * The step gate: the engine's `beforeStep` hook awaits `wait()`, which is where pause, single-step
 * and speed hold the engine. Nothing here knows about sockets; the live viewer and `--speed` both
 * drive the same gate.
 *
 * - pause: the engine stops before its next step (a step in progress finishes).
 * - step: exactly one more step runs, then the gate is paused (from running, that is the step
 *   after the one in progress; each call adds one step).
 * - resume: run freely again (pending single steps are dropped).
 * - speed S > 0: consecutive steps start at least 1/S s apart; 0 = no limit. Single steps are not
 *   paced.
 */
export class StepGate {
  private paused: boolean;
  private speed: number;
  /** Single steps granted while paused and not yet taken. */
  private credits = 0;
  private lastReleaseAt = Number.NEGATIVE_INFINITY;
  private readonly wakers = new Set<() => void>();
  private readonly listeners = new Set<(state: GateState) => void>();
  private blocked = 0;
  private releasedCount = 0;

  constructor(options: StepGateOptions = {}) {
    this.paused = options.paused ?? false;
    this.speed = checkSpeed(options.speed ?? 0);
  }

  get state(): GateState {
    return { paused: this.paused, speed: this.speed };
  }

  /** True while a `wait()` is held (the engine is stopped between steps). */
  get waiting(): boolean {
    return this.blocked > 0;
  }

  /** How many times `wait()` has let a step through. */
  get released(): number {
    return this.releasedCount;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.changed();
  }

  resume(): void {
    if (!this.paused && this.credits === 0) return;
    this.paused = false;
    this.credits = 0;
    this.changed();
  }

  step(): void {
    this.paused = true;
    this.credits++;
    this.changed();
  }

  setSpeed(speed: number): void {
    this.speed = checkSpeed(speed);
    this.changed();
  }

  /** Listens to every control change; returns the unsubscribe function. */
  onChange(listener: (state: GateState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves when the next step may start. Rejects with InterruptedError once `signal` aborts, even
   * while paused, so Ctrl-C stops a paused run.
   */
  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new InterruptedError();
      if (this.paused) {
        if (this.credits > 0) {
          this.credits--;
          return this.release();
        }
        await this.sleep(Number.POSITIVE_INFINITY, signal);
        continue;
      }
      if (this.speed > 0) {
        const due = this.lastReleaseAt + 1000 / this.speed - Date.now();
        if (due > 0) {
          await this.sleep(due, signal);
          continue;
        }
      }
      return this.release();
    }
  }

  private release(): void {
    this.lastReleaseAt = Date.now();
    this.releasedCount++;
  }

  /** Sleeps until `ms` pass, a control changes or the signal aborts, whichever comes first. */
  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.wakers.delete(done);
        signal?.removeEventListener("abort", done);
        this.blocked--;
        resolve();
      };
      this.blocked++;
      this.wakers.add(done);
      signal?.addEventListener("abort", done, { once: true });
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
    });
  }

  private changed(): void {
    for (const wake of [...this.wakers]) wake();
    const state = this.state;
    for (const listener of [...this.listeners]) listener(state);
  }
}

function checkSpeed(speed: number): number {
  const problem = speedProblem(speed);
  if (problem) throw new RangeError(problem);
  return speed;
}
