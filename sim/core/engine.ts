import type { SocialGraph } from "./graph/social.js";
import { BudgetExhaustedError } from "./errors.js";
import {
  EVENT_VERSION,
  type AgoraEvent,
  type EventInput,
  type RunStatus,
  type TimeCoords,
} from "./events.js";
import type { Minds } from "./minds.js";
import { Rng } from "./rng.js";
import type { AnyScenario, InitialAgent, StepContext, StepDef } from "./scenario.js";
import { pricedCost } from "./spend.js";

/** Thrown from `beforeStep` to stop a run cleanly between steps (Ctrl-C); it can be resumed. */
export class InterruptedError extends Error {
  constructor() {
    super("interrupted");
    this.name = "InterruptedError";
  }
}

export interface EngineHooks {
  /** Every batch of sequenced events, in seq order (live viewers, metrics, progress). */
  onEvents?: (events: readonly AgoraEvent[]) => void;
  /** Awaited before each step: where pause and single-step control hold the engine. */
  beforeStep?: (step: StepDef, generation: number) => Promise<void>;
  /** After each generation: its metrics and the population to checkpoint. */
  onGenerationEnd?: (info: {
    generation: number;
    nextSeq: number;
    population: unknown;
    metrics: Record<string, unknown>;
  }) => void;
}

export interface EngineOptions {
  scenario: AnyScenario;
  config: Record<string, unknown> & { generations: number };
  scenarioConfig: unknown;
  seed: number;
  graph: SocialGraph;
  /** Where relative paths of the config resolve (default: the working directory). */
  baseDir?: string;
  minds: Minds;
  hooks?: EngineHooks;
}

export interface StartFrom {
  /** First generation to run (1 for a new run). */
  generation: number;
  nextSeq: number;
  population?: unknown;
}

export interface EngineProgress {
  generation: number;
  step: StepDef | null;
  stepsInGeneration: number;
  stepIndex: number;
}

/** Events queued at most before they reach the hooks, within a step too. */
const FLUSH_EVERY = 1024;

/**
 * The discrete-time loop: generations of steps, driving a scenario through its small interface.
 * It owns sequencing (seq numbers), the deterministic order of concurrent actions' events and
 * the per-subsystem random streams, and knows nothing scenario-specific.
 */
export class Engine {
  private nextSeq = 0;
  private pending: AgoraEvent[] = [];
  readonly progress: EngineProgress = {
    generation: 0,
    step: null,
    stepsInGeneration: 0,
    stepIndex: 0,
  };
  constructor(private readonly options: EngineOptions) {}

  /**
   * Stamps and queues an event; queued events reach hooks at the next flush: the end of a step, or
   * the FLUSH_EVERY-th event queued.
   */
  emit(event: EventInput): void {
    // The keys in the order { v, seq, ...event, at }; Object.assign takes half the time of a
    // spread after other keys, which V8 copies on its slow path (a million events a run).
    const stamped = { v: EVENT_VERSION, seq: this.nextSeq++ };
    Object.assign(stamped, event);
    (stamped as { at?: string }).at = this.timestamp();
    // A step of 10,000 moves would otherwise hold its 10,000 events (and a 5 MB line of text)
    // until it ends: long enough for the collector to promote them all.
    if (this.pending.push(stamped as AgoraEvent) >= FLUSH_EVERY) this.flush();
  }

  private clock = { ms: Number.NaN, iso: "" };

  /**
   * The wall-clock time as an ISO string. Its resolution is a millisecond, so one rendering serves
   * every event of that millisecond (hundreds, on policy minds).
   */
  private timestamp(): string {
    const ms = Date.now();
    if (ms !== this.clock.ms) this.clock = { ms, iso: new Date(ms).toISOString() };
    return this.clock.iso;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.options.hooks?.onEvents?.(batch);
  }

  get seq(): number {
    return this.nextSeq;
  }

  async run(
    initialAgents: readonly InitialAgent[],
    from: StartFrom,
  ): Promise<{ status: RunStatus; error?: string }> {
    const { scenario, config, hooks } = this.options;
    this.nextSeq = from.nextSeq;
    let population =
      from.population ??
      scenario.createPopulation(
        initialAgents,
        this.context(from.generation, (e) => this.emit(e)),
      );
    try {
      for (let generation = from.generation; generation <= config.generations; generation++) {
        const ctx = this.context(generation, (e) => this.emit(e));
        const { work, steps } = scenario.beginGeneration(population, ctx);
        Object.assign(this.progress, { generation, stepsInGeneration: steps.length, stepIndex: 0 });
        for (const [index, step] of steps.entries()) {
          // Yield to the event loop between steps: signals, sockets and timers get their turn
          // even when every mind is an instant policy.
          await new Promise<void>((resolve) => setImmediate(resolve));
          await hooks?.beforeStep?.(step, generation);
          Object.assign(this.progress, { step, stepIndex: index });
          await scenario.runStep(population, work, step, ctx);
          this.flush();
        }
        const outcome = scenario.endGeneration(
          population,
          work,
          ctx,
          generation === config.generations,
        );
        const spend = this.options.minds.spend(generation);
        const metrics = {
          ...outcome.metrics,
          llmCalls: spend.calls,
          tokensIn: spend.tokensIn,
          tokensOut: spend.tokensOut,
          cost: pricedCost(spend),
          llmTruncated: spend.truncated,
          llmContextExceeded: spend.contextExceeded,
        };
        const agentRows = outcome.agentRows.map((row) => {
          const spent = this.options.minds.spend(generation, String(row.agentId));
          return {
            ...row,
            llmCalls: spent.calls,
            tokensIn: spent.tokensIn,
            tokensOut: spent.tokensOut,
            cost: pricedCost(spent),
          };
        });
        // The recorder writes metrics.jsonl and agents.jsonl from these two events: one channel.
        ctx.emit({ type: "metric", t: { generation }, scope: "generation", values: metrics });
        ctx.emit({
          type: "generation-ended",
          t: { generation },
          survivors: outcome.survivors,
          removed: outcome.removed,
          created: outcome.created,
          scores: outcome.scores,
          agents: agentRows,
        });
        this.flush();
        population = outcome.population;
        hooks?.onGenerationEnd?.({
          generation,
          nextSeq: this.nextSeq,
          population,
          metrics: { generation, ...metrics },
        });
      }
      return this.finish("completed");
    } catch (error) {
      if (error instanceof BudgetExhaustedError)
        return this.finish("budget-exhausted", error.message);
      if (error instanceof InterruptedError) return this.finish("interrupted");
      return this.finish("failed", error instanceof Error ? error.message : String(error));
    }
  }

  private finish(status: RunStatus, error?: string): { status: RunStatus; error?: string } {
    this.emit({
      type: "run-ended",
      t: { generation: this.progress.generation },
      status,
      ...(error ? { error } : {}),
    });
    this.flush();
    return { status, ...(error ? { error } : {}) };
  }

  /**
   * A generation's context. Branches of `parallel` inherit it (one object each with its own event
   * sink, instead of a dozen closures per branch: a round of 10,000 instant policies is 10,000
   * branches).
   */
  private context(generation: number, sink: (event: EventInput) => void): StepContext {
    const { minds, scenarioConfig, graph } = this.options;
    const ctx = {
      config: scenarioConfig,
      graph,
      generation,
      baseDir: this.options.baseDir ?? process.cwd(),
      spend: () => minds.spend(generation),
      // The run's streams: (seed, path), as `new Rng(seed).derive(...path)` gives, without copying
      // the path twice for a stream made at every decision.
      rng: (...path: (string | number)[]) => new Rng(this.options.seed, path),
      mindInfo: (mind) => minds.describe(mind),
      profile: (name) => minds.profile(name),
      cache: minds.cache,
      act: <T>(request: Parameters<StepContext["act"]>[0]) =>
        minds.act(request) as { value: T } | null,
    } satisfies Omit<StepContext, "emit" | "ask" | "parallel">;
    return this.branch(ctx, generation, sink);
  }

  /** `base` with the calls that depend on where events go. */
  private branch(
    base: Omit<StepContext, "emit" | "ask" | "parallel">,
    generation: number,
    sink: (event: EventInput) => void,
  ): StepContext {
    const { minds } = this.options;
    const ctx: StepContext = Object.create(base) as StepContext;
    ctx.emit = sink;
    ctx.ask = (request) => {
      const t: TimeCoords = { generation, ...request.t };
      return minds.call({ ...request, t }, sink);
    };
    ctx.parallel = async (items, fn) => {
      // A branch's buffer is made at its first event: most instant branches emit one or none.
      const buffers: (EventInput[] | undefined)[] = new Array(items.length);
      const settled = await Promise.allSettled(
        items.map((item, i) =>
          fn(
            item,
            this.branch(base, generation, (e) => (buffers[i] ??= []).push(e)),
            i,
          ),
        ),
      );
      // Branch events enter the log in item order, however the branches interleaved; a failed
      // branch's events are kept too, so nothing already done is lost.
      for (const buffer of buffers) if (buffer) for (const event of buffer) sink(event);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failure) throw failure.reason;
      return settled.map(
        (s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof fn>>>).value,
      );
    };
    return ctx;
  }
}
