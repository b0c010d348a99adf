/**
 * The pure reducer: live view and replay (scrubbing) apply events through this one function.
 *
 *   reduce(state, batch) -> state
 *
 * A batch is applied whole or not at all: it must start at `state.nextSeq` and its seqs must be
 * consecutive. A duplicate, straddling, gapped or internally out-of-order batch is rejected: the
 * result is the same state (every field shared by reference) with `rejectedBatches` incremented
 * and `lastRejection` set.
 *
 * Batch boundaries never matter: reducing [a, b] equals reducing [a] then [b]. The state holds
 * nothing but what the events say (no clocks), which is what lets scrubbing recompute any earlier
 * state from a snapshot (timeline.ts) and get exactly the state a from-scratch replay gives.
 *
 * Immutability by copy-on-write: a batch clones the top-level object and only the containers it
 * touches (once per batch), shares everything else; bounded rings are re-sliced once per batch.
 * Inputs (states and events) are never mutated.
 */
import { recordedNodes, serializedGraph } from "../../../sim/core/graph/compact.js";
import { viewFor } from "../scenarios/index.js";
import { declaredTime, roundAxes, upgradeEvent } from "./time.js";
import {
  DEFAULT_LIMITS,
  type AgentState,
  type AgoraEvent,
  type EventOf,
  type InteractionEntry,
  type Limits,
  type LlmGenerationRow,
  type RejectionInfo,
  type TranscriptEntry,
  type ViewerState,
} from "./types.js";

export * from "./types.js";

/**
 * A complete graph's edges are listed for the graph panel up to this many (about 200 agents); a
 * larger one is recorded as its nodes alone (sim/core/graph/compact.ts) and stays so: its edges
 * would be a hairball the panel hides anyway, and hundreds of thousands of objects to build.
 */
export const COMPLETE_EDGES_LISTED = 20_000;

export function initialState(limits: Partial<Limits> = {}): ViewerState {
  return {
    nextSeq: 0,
    rejectedBatches: 0,
    lastRejection: null,
    run: null,
    graph: null,
    slots: [],
    slotAgent: {},
    agents: {},
    deadAgents: [],
    t: { generation: 0 },
    generation: 0,
    generationMetrics: [],
    roundGeneration: 0,
    roundMetrics: [],
    llm: {
      calls: 0,
      cachedCalls: 0,
      tokensIn: 0,
      tokensOut: 0,
      cost: 0,
      unpricedCalls: 0,
      parseFailures: 0,
      truncated: 0,
      contextExceeded: 0,
    },
    llmByGeneration: [],
    interactionCounts: {},
    interactions: [],
    log: [],
    generationEnds: [],
    warnings: [],
    phase: "waiting",
    error: null,
    limits: { ...DEFAULT_LIMITS, ...limits },
    scenario: null,
  };
}

/** Why a batch cannot follow `state`, or null if it can. */
export function checkBatch(state: ViewerState, batch: readonly AgoraEvent[]): RejectionInfo | null {
  if (batch.length === 0) return null;
  const expected = state.nextSeq;
  const first = batch[0]!.seq;
  const last = batch[batch.length - 1]!.seq;
  if (first < expected)
    return { expected, got: first, reason: last < expected ? "duplicate" : "straddle" };
  if (first > expected) return { expected, got: first, reason: "gap" };
  for (let i = 1; i < batch.length; i++) {
    if (batch[i]!.seq !== first + i) return { expected, got: first, reason: "out-of-order" };
  }
  return null;
}

export function reduce(state: ViewerState, batch: readonly AgoraEvent[]): ViewerState {
  if (batch.length === 0) return state;
  const rejection = checkBatch(state, batch);
  if (rejection)
    return { ...state, rejectedBatches: state.rejectedBatches + 1, lastRejection: rejection };
  const draft = new Draft(state);
  for (const event of batch) draft.apply(event);
  return draft.finish();
}

/** Reduces a whole recorded run (or any prefix of it) from scratch. */
export function reduceAll(
  events: readonly AgoraEvent[],
  limits: Partial<Limits> = {},
): ViewerState {
  return reduce(initialState(limits), events);
}

function emptyAgent(id: string): AgentState {
  return {
    id,
    known: false,
    generation: 0,
    slot: null,
    parents: [],
    children: [],
    mind: null,
    role: null,
    strategy: null,
    reasoning: null,
    revisions: 0,
    createdSeq: -1,
    removedAfter: null,
    scores: {},
    given: [],
    received: [],
    transcript: [],
    llm: { calls: 0, tokensIn: 0, tokensOut: 0, cost: 0 },
  };
}

function cloneAgent(a: AgentState): AgentState {
  return {
    ...a,
    parents: a.parents,
    children: [...a.children],
    scores: { ...a.scores },
    given: [...a.given],
    received: [...a.received],
    transcript: [...a.transcript],
    llm: { ...a.llm },
  };
}

function pushBounded<T>(ring: T[], item: T, cap: number): void {
  ring.push(item);
  if (ring.length > cap) ring.splice(0, ring.length - cap);
}

function appendBounded<T>(ring: readonly T[], added: readonly T[], cap: number): T[] {
  if (added.length >= cap) return added.slice(added.length - cap);
  const keep = Math.max(0, ring.length + added.length - cap);
  return ring.slice(keep).concat(added);
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** One batch's copy-on-write working state. */
class Draft {
  private readonly s: ViewerState;
  private readonly cloned = new Set<string>();
  private readonly clonedAgents = new Set<string>();
  private readonly newLog: AgoraEvent[] = [];
  private readonly newInteractions: InteractionEntry[] = [];

  constructor(state: ViewerState) {
    this.s = { ...state };
  }

  /** Clones one of the state's containers the first time the batch touches it. */
  private own<
    K extends
      | "slotAgent"
      | "agents"
      | "deadAgents"
      | "generationMetrics"
      | "roundMetrics"
      | "llm"
      | "llmByGeneration"
      | "interactionCounts"
      | "generationEnds"
      | "warnings"
      | "slots",
  >(key: K): ViewerState[K] {
    if (!this.cloned.has(key)) {
      this.cloned.add(key);
      const value = this.s[key];
      (this.s as unknown as Record<string, unknown>)[key] = Array.isArray(value)
        ? [...value]
        : { ...value };
    }
    return this.s[key];
  }

  private agent(id: string): AgentState {
    const agents = this.own("agents");
    let a = agents[id];
    if (!this.clonedAgents.has(id)) {
      a = a ? cloneAgent(a) : emptyAgent(id);
      agents[id] = a;
      this.clonedAgents.add(id);
    }
    return a!;
  }

  apply(original: AgoraEvent): void {
    const s = this.s;
    // Version 1 logs: t.game stood for the scenario's first coordinate.
    const event =
      original.type === "run-started" ? original : upgradeEvent(original, s.run?.time ?? []);
    s.nextSeq = event.seq + 1;
    s.t = event.t;
    if (event.t.generation > s.generation) s.generation = event.t.generation;
    this.newLog.push(event);
    switch (event.type) {
      case "run-started":
        return this.runStarted(event);
      case "agent-created":
        return this.agentCreated(event);
      case "interaction":
        return this.interaction(event);
      case "llm-call":
        return this.llmCall(event);
      case "parse-failure": {
        this.own("llm").parseFailures++;
        const entry: TranscriptEntry = {
          seq: event.seq,
          t: event.t,
          type: "parse-failure",
          purpose: event.purpose,
          reason: event.reason,
          response: event.answer,
        };
        pushBounded(this.agent(event.agentId).transcript, entry, s.limits.transcript);
        return;
      }
      case "metric":
        return this.metric(event);
      case "generation-ended":
        return this.generationEnded(event);
      case "run-ended":
        s.phase = event.status;
        s.error = event.error ?? null;
        return;
      case "warning":
        pushBounded(
          this.own("warnings"),
          { seq: event.seq, message: event.message },
          s.limits.warnings,
        );
        return;
      default:
        // An event type this viewer does not know (a newer engine): it stays in the log.
        return;
    }
  }

  private runStarted(e: EventOf<"run-started">): void {
    const s = this.s;
    s.run = {
      runId: e.runId,
      scenario: e.scenario,
      seed: e.seed,
      configHash: e.configHash,
      config: e.config,
      graphStats: e.graphStats,
      agoraVersion: e.agoraVersion,
      startedAt: e.at,
      time: declaredTime(e),
      interactions: { ...(e.interactions ?? {}) },
    };
    s.graph = serializedGraph(e.graph, { maxCompleteEdges: COMPLETE_EDGES_LISTED });
    s.slots = recordedNodes(e.graph);
    this.cloned.add("slots");
    s.slotAgent = {};
    this.cloned.add("slotAgent");
    s.phase = "running";
    s.error = null;
  }

  private agentCreated(e: EventOf<"agent-created">): void {
    const s = this.s;
    const info = e.agent;
    const a = this.agent(info.id);
    Object.assign(a, {
      known: true,
      generation: info.generation,
      slot: info.slot,
      parents: [...info.parents],
      mind: info.mind,
      role: info.role ?? null,
      strategy: info.strategy ?? null,
      ...(info.strategyUnusable ? { strategyUnusable: info.strategyUnusable } : {}),
      reasoning: info.reasoning ?? null,
      createdSeq: e.seq,
    });
    // The newborn takes the slot (graph node) of the agent it replaces: on the graph it appears
    // exactly where that agent was. The panels mark it as new and draw lineage edges to its
    // parents.
    const slotAgent = this.own("slotAgent");
    const previous = slotAgent[info.slot];
    slotAgent[info.slot] = info.id;
    if (previous !== undefined && previous !== info.id) {
      const dead = this.own("deadAgents");
      dead.push(previous);
      if (dead.length > s.limits.deadAgents) {
        const pruned = dead.splice(0, dead.length - s.limits.deadAgents);
        const agents = this.own("agents");
        for (const id of pruned) {
          // Still in a slot (an id reused): keep it.
          const agent = agents[id];
          if (agent && agent.slot !== null && slotAgent[agent.slot] === id) continue;
          delete agents[id];
          this.clonedAgents.delete(id);
        }
      }
    }
    for (const parent of info.parents) {
      if (!s.agents[parent]) continue;
      const p = this.agent(parent);
      if (!p.children.includes(info.id)) p.children.push(info.id);
    }
  }

  private interaction(e: EventOf<"interaction">): void {
    const s = this.s;
    const entry: InteractionEntry = {
      seq: e.seq,
      at: e.at,
      kind: e.kind,
      from: e.from,
      to: e.to,
      mind: e.mind,
      t: e.t,
      data: e.data,
    };
    this.newInteractions.push(entry);
    const counts = this.own("interactionCounts");
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    const from = this.agent(e.from);
    // A scenario's strategy revision (the Donor Game's strategy-revised) is not an action towards
    // others.
    const revision = viewFor(s.run?.scenario).strategyRevision?.(entry) ?? null;
    if (revision) {
      if (revision.strategy !== undefined) from.strategy = revision.strategy;
      if (revision.strategyUnusable !== undefined)
        from.strategyUnusable = revision.strategyUnusable;
      else delete from.strategyUnusable;
      if (revision.reasoning !== undefined) from.reasoning = revision.reasoning;
      from.revisions++;
    } else {
      pushBounded(from.given, entry, s.limits.agentInteractions);
    }
    if (e.to !== null) pushBounded(this.agent(e.to).received, entry, s.limits.agentInteractions);
  }

  private llmCall(e: EventOf<"llm-call">): void {
    const s = this.s;
    const cost = e.cost ?? 0;
    const llm = this.own("llm");
    llm.calls++;
    if (e.cached) llm.cachedCalls++;
    llm.tokensIn += num(e.tokensIn);
    llm.tokensOut += num(e.tokensOut);
    llm.cost += num(cost);
    if (e.cost === null) llm.unpricedCalls++;
    if (e.finishReason === "length") llm.truncated++;
    if (e.failure) llm.contextExceeded++;

    const rows = this.own("llmByGeneration");
    const generation = e.t.generation;
    const last = rows[rows.length - 1];
    let row: LlmGenerationRow;
    if (last && last.generation === generation) {
      row = { ...last };
      rows[rows.length - 1] = row;
    } else {
      row = { generation, calls: 0, tokensIn: 0, tokensOut: 0, cost: 0 };
      rows.push(row);
      if (rows.length > s.limits.generations) rows.splice(0, rows.length - s.limits.generations);
    }
    row.calls++;
    row.tokensIn += num(e.tokensIn);
    row.tokensOut += num(e.tokensOut);
    row.cost += num(cost);

    const a = this.agent(e.agentId);
    a.llm.calls++;
    a.llm.tokensIn += num(e.tokensIn);
    a.llm.tokensOut += num(e.tokensOut);
    a.llm.cost += num(cost);
    const entry: TranscriptEntry = {
      seq: e.seq,
      t: e.t,
      type: "llm-call",
      purpose: e.purpose,
      model: e.model,
      profile: e.profile,
      tokensIn: e.tokensIn,
      tokensOut: e.tokensOut,
      cost: e.cost,
      cached: e.cached,
      finishReason: e.finishReason ?? null,
      ...(e.failure ? { failure: e.failure.message } : {}),
      ...(e.messages ? { messages: e.messages } : {}),
      ...(e.response !== undefined ? { response: e.response } : {}),
    };
    pushBounded(a.transcript, entry, s.limits.transcript);
  }

  private metric(e: EventOf<"metric">): void {
    const s = this.s;
    const generation = e.t.generation;
    if (e.scope === "generation") {
      const rows = this.own("generationMetrics");
      const row = { generation, values: e.values };
      const existing = rows.findIndex((r) => r.generation === generation);
      if (existing >= 0) rows[existing] = row;
      else rows.push(row);
      if (rows.length > s.limits.generations) rows.splice(0, rows.length - s.limits.generations);
      return;
    }
    if (s.roundGeneration !== generation) {
      s.roundGeneration = generation;
      s.roundMetrics = [];
      this.cloned.add("roundMetrics");
    }
    const rows = this.own("roundMetrics");
    const axes = roundAxes(s.run?.time ?? []);
    const x = axes.x ? e.t[axes.x.key] : undefined;
    const series = axes.series ? e.t[axes.series.key] : undefined;
    rows.push({ t: e.t, series: series ?? 1, x: x ?? rows.length + 1, values: e.values });
  }

  private generationEnded(e: EventOf<"generation-ended">): void {
    const s = this.s;
    const generation = e.t.generation;
    const ends = this.own("generationEnds");
    ends.push({
      generation,
      seq: e.seq,
      survivors: e.survivors,
      removed: e.removed,
      created: e.created,
    });
    if (ends.length > s.limits.generations) ends.splice(0, ends.length - s.limits.generations);
    for (const [id, score] of Object.entries(e.scores)) this.agent(id).scores[generation] = score;
    for (const id of e.removed) this.agent(id).removedAfter = generation;
  }

  finish(): ViewerState {
    const s = this.s;
    if (this.newLog.length > 0) s.log = appendBounded(s.log, this.newLog, s.limits.log);
    if (this.newInteractions.length > 0) {
      s.interactions = appendBounded(s.interactions, this.newInteractions, s.limits.interactions);
      const derive = viewFor(s.run?.scenario).derive;
      if (derive) s.scenario = derive(s.scenario ?? undefined, this.newInteractions);
    }
    return s;
  }
}
