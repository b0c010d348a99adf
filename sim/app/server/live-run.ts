import { basename, resolve } from "node:path";
import { StepGate } from "../control.js";
import type { EngineHooks } from "../../core/engine.js";
import type { AgoraEvent, RunStatus } from "../../core/events.js";
import type { RunHandle } from "../run.js";
import type { RunState, RunSummary } from "./protocol.js";

export interface LiveRunOptions {
  /** The run directory (its name is the run id). */
  dir: string;
  scenario: string;
  /** Pause / step / speed; a fresh running, unlimited gate by default. */
  gate?: StepGate;
  /** The run's abort signal: aborting also wakes a paused gate (Ctrl-C stops a paused run). */
  signal?: AbortSignal;
}

type EventsListener = (events: readonly AgoraEvent[]) => void;
type StateListener = (state: RunState) => void;

/**
 * The run this process executes, as the server sees it: an event bus fed by the engine's
 * `onEvents` hook, the step gate its `beforeStep` hook awaits, and its state. Wire it into a run
 * with `startRun(config, { hooks: live.hooks, onStart: live.onStart })` (or merge the hooks).
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
  /** Resolves once the run directory is set up (its events.jsonl is this run's). */
  readonly started: Promise<void>;
  private markStarted!: () => void;
  private handle: RunHandle | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly eventListeners = new Set<EventsListener>();
  private readonly stateListeners = new Set<StateListener>();
  private lastState = "";

  constructor(options: LiveRunOptions) {
    this.dir = resolve(options.dir);
    this.id = basename(this.dir);
    this.scenario = options.scenario;
    this.gate = options.gate ?? new StepGate();
    this.signal = options.signal;
    this.started = new Promise<void>((r) => (this.markStarted = r));
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

  onEvents(listener: EventsListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
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
    for (const listener of [...this.eventListeners]) {
      try {
        listener(events);
      } catch (error) {
        process.emitWarning(`viewer stream failed: ${(error as Error).message}`);
      }
    }
    this.stateMaybeChanged();
  }

  private stateMaybeChanged(): void {
    const state = this.state();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    for (const listener of [...this.stateListeners]) {
      try {
        listener(state);
      } catch (error) {
        process.emitWarning(`viewer state update failed: ${(error as Error).message}`);
      }
    }
  }
}
