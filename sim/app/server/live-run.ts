import { basename, resolve } from "node:path";
import { StepGate } from "../control.js";
import type { EngineHooks } from "../../core/engine.js";
import type { AgoraEvent, RunStatus } from "../../core/events.js";
import type { RunHandle } from "../run.js";
import type { ControlAck, ControlRequest, RunState, RunSummary } from "./protocol.js";

export interface LiveRunOptions {
  /** The run directory (its name is the run id). */
  dir: string;
  scenario: string;
  /** Pause / step / speed; a fresh running, unlimited gate by default. */
  gate?: StepGate;
  /** The run's abort signal: aborting also wakes a paused gate (Ctrl-C stops a paused run). */
  signal?: AbortSignal;
}

/** What the server's thread is told about a live run (see LiveRun.watch). */
export interface LiveWatcher {
  /** The run directory now holds this run: its events.jsonl is this run's. */
  started(): void;
  /** Every event below `nextSeq` is in events.jsonl. */
  published(nextSeq: number): void;
  changed(state: RunState, summary: RunSummary): void;
}

/**
 * The run this process executes, on the engine's side: the step gate its `beforeStep` hook
 * awaits, its state, and a few numbers for the server, which runs on a thread of its own and reads
 * the events from events.jsonl (the recorder writes every event there before the `onEvents` hook
 * runs). So all the engine pays per batch of events is one small message. Wire it into a run with
 * `startRun(config, { hooks: live.hooks, onStart: live.onStart })` (or merge the hooks).
 */
export class LiveRun {
  readonly id: string;
  readonly dir: string;
  readonly scenario: string;
  readonly gate: StepGate;
  status: RunStatus = "running";
  startedAt = new Date().toISOString();
  endedAt: string | null = null;
  /** The seq after the last event published (every published event is already in events.jsonl). */
  nextSeq = 0;
  /** The run directory is set up (its events.jsonl is this run's). */
  isStarted = false;
  private handle: RunHandle | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly watchers = new Set<LiveWatcher>();
  private lastState = "";

  constructor(options: LiveRunOptions) {
    this.dir = resolve(options.dir);
    this.id = basename(this.dir);
    this.scenario = options.scenario;
    this.gate = options.gate ?? new StepGate();
    this.signal = options.signal;
    this.gate.onChange(() => this.stateMaybeChanged());
  }

  /** The engine hooks to run with (they never throw because of a viewer). */
  readonly hooks: Required<EngineHooks> = {
    onEvents: (events) => this.publish(events),
    beforeStep: async () => {
      this.stateMaybeChanged();
      await this.gate.wait(this.signal);
    },
    onGenerationEnd: () => this.stateMaybeChanged(),
  };

  /** For RunOptions.onStart: the run directory now holds this run. */
  readonly onStart = (handle: RunHandle): void => {
    this.handle = handle;
    this.markStarted();
    this.stateMaybeChanged();
  };

  /** After the run returns (its run-ended event normally said so already). */
  finish(outcome: { status: RunStatus }): void {
    this.status = outcome.status;
    this.endedAt ??= new Date().toISOString();
    this.markStarted();
    this.stateMaybeChanged();
  }

  /** The run could not start or crashed outside the engine. */
  fail(): void {
    this.finish({ status: "failed" });
  }

  get running(): boolean {
    return this.status === "running";
  }

  get generation(): number {
    return this.handle?.engine.progress.generation ?? 0;
  }

  state(): RunState {
    return {
      runId: this.id,
      live: true,
      status: this.status,
      generation: this.generation,
      ...this.gate.state,
    };
  }

  summary(): RunSummary {
    return {
      id: this.id,
      scenario: this.scenario,
      status: this.status,
      generation: this.generation,
      live: true,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
    };
  }

  /** Applies a (validated) control message to the step gate, while the run is running. */
  control(request: Pick<ControlRequest, "action" | "value">): ControlAck {
    if (!this.running) return { ok: false, error: `${this.id} has ended (${this.status})` };
    const { action, value } = request;
    try {
      if (action === "pause") this.gate.pause();
      else if (action === "resume") this.gate.resume();
      else if (action === "step") this.gate.step();
      else this.gate.setSpeed(value!);
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    return { ok: true, state: this.gate.state };
  }

  /** Tells `watcher` of every change from now on; returns the unsubscriber. */
  watch(watcher: LiveWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private markStarted(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    this.notify((w) => w.started());
  }

  private publish(events: readonly AgoraEvent[]): void {
    const last = events.at(-1);
    if (!last) return;
    this.nextSeq = last.seq + 1;
    for (const event of events) {
      if (event.type === "run-ended") {
        this.status = event.status;
        this.endedAt = event.at;
      }
    }
    this.notify((w) => w.published(this.nextSeq));
    this.stateMaybeChanged();
  }

  private stateMaybeChanged(): void {
    const state = this.state();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    const summary = this.summary();
    this.notify((w) => w.changed(state, summary));
  }

  /** A failing watcher (the server) never stops the run. */
  private notify(call: (watcher: LiveWatcher) => void): void {
    for (const watcher of [...this.watchers]) {
      try {
        call(watcher);
      } catch (error) {
        process.emitWarning(`viewer update failed: ${(error as Error).message}`);
      }
    }
  }
}
