/**
 * Typed, versioned events: the one interface between the engine and everything that consumes a
 * run (recorder, viewer, metrics, analysis). Bump EVENT_VERSION on any incompatible change.
 */
export const EVENT_VERSION = 3;

/** run-started's graph: compact in version 3, graphology's export before (graph/compact.ts). */
export type { CompactGraph, RecordedGraph, SerializedGraph } from "./graph/compact.js";
import type { RecordedGraph } from "./graph/compact.js";

/**
 * Where in simulated time an event happened: the generation, and below it the coordinates the
 * scenario declares in `time` (Donor Game: game and round; debate: question and round;
 * transmission: chain). A coordinate is absent where it does not apply. (Version 1 logs had a
 * fixed `game` and `round`, `game` standing for whatever the scenario's first coordinate was.)
 */
export type TimeCoords = { generation: number } & { [coordinate: string]: number | undefined };

/** A time coordinate a scenario declares below the generation: its key in `t` and a short label. */
export interface TimeCoordinate {
  key: string;
  label: string;
}

export interface MindInfo {
  /** "llm" minds call a model; "policy" minds are offline, deterministic and seeded. */
  kind: "llm" | "policy";
  /** Profile name for LLM minds, policy name for policy minds. */
  name: string;
  model?: string;
  params?: Record<string, unknown>;
}

export interface AgentInfo {
  id: string;
  generation: number;
  parents: string[];
  mind: MindInfo;
  /**
   * The agent's stated strategy; null when it stated none that could be used (see
   * strategyUnusable).
   */
  strategy?: string | null;
  /** Why the agent has no strategy: its answers could not be read as one. */
  strategyUnusable?: string;
  /** The reasoning the agent gave before stating its strategy. */
  reasoning?: string;
  /** The graph node (slot) the agent occupies: the id of the agent it replaced, or its own id. */
  slot: string;
  /**
   * A scenario-defined role ("debater", "judge", "summariser"...); absent means an ordinary agent
   * on the graph.
   */
  role?: string;
}

export type RunStatus = "running" | "completed" | "budget-exhausted" | "failed" | "interrupted";

interface Payloads {
  "run-started": {
    runId: string;
    scenario: string;
    seed: number;
    configHash: string;
    config: unknown;
    /**
     * The social graph: a CompactGraph from version 3 on (the complete graph as its nodes alone),
     * graphology's export in versions 1 and 2.
     */
    graph: RecordedGraph;
    graphStats: Record<string, unknown>;
    agoraVersion: string;
    /**
     * The scenario's time coordinates below the generation, outermost first (absent in version 1
     * logs).
     */
    time?: TimeCoordinate[];
    /**
     * The scenario's interaction kinds, each with a short description (absent in version 1 logs).
     */
    interactions?: Record<string, string>;
  };
  "agent-created": { agent: AgentInfo };
  /**
   * A scenario's interaction between agents (a donation, a message...): `kind` is scenario-defined.
   */
  interaction: {
    kind: string;
    from: string;
    to: string | null;
    mind: MindInfo;
    data: Record<string, unknown>;
  };
  "llm-call": {
    agentId: string;
    purpose: string;
    profile: string;
    model: string;
    promptHash: string;
    tokensIn: number;
    tokensOut: number;
    /** Priced cost in USD, null where the profile has no price. */
    cost: number | null;
    cached: boolean;
    latencyMs: number;
    attempts: number;
    /**
     * The endpoint's finish_reason: "length" means the answer was cut at maxTokens; null where none
     * was sent.
     */
    finishReason: string | null;
    /** Which re-ask of an unusable answer this is (absent for the first ask). */
    reask?: number;
    /** The seed sent (derived from the profile's seed and the call's identity). */
    seed?: number;
    /** Present when the answer was asked for as JSON (profile responseFormat). */
    responseFormat?: "json_schema";
    /**
     * Items (turns, texts) the scenario's fit rule dropped so the prompt fits the profile's
     * contextWindow.
     */
    trimmed?: number;
    /**
     * The call gave no usable answer: the prompt did not fit (refused by the endpoint, or before
     * sending when sent is false).
     */
    failure?: { kind: "context-exceeded"; message: string; sent: boolean };
    messages?: { role: string; content: string }[];
    response?: string;
  };
  "parse-failure": {
    agentId: string;
    purpose: string;
    attempt: number;
    reason: string;
    answer: string;
  };
  /**
   * Scenario metrics: scope "generation" rows also go to metrics.jsonl; "round" ones feed live
   * charts.
   */
  metric: { scope: "generation" | "round"; values: Record<string, number | null> };
  "generation-ended": {
    survivors: string[];
    removed: string[];
    created: string[];
    scores: Record<string, number>;
    /**
     * The generation's agents.jsonl rows (scores, lineage, the scenario's columns, LLM spend): the
     * recorder writes agents.jsonl from these, so a run directory can be rebuilt from events.jsonl.
     * Absent in logs written before Agora 0.2.
     */
    agents?: Record<string, unknown>[];
  };
  "run-ended": { status: RunStatus; error?: string };
  warning: { message: string };
}

export type EventType = keyof Payloads;

export type AgoraEvent = {
  /** `v` is EVENT_VERSION when written; a reader may meet older logs (see TimeCoords). */
  [K in EventType]: { v: number; seq: number; type: K; t: TimeCoords; at: string } & Payloads[K];
}[EventType];

export type EventOf<K extends EventType> = Extract<AgoraEvent, { type: K }>;

/** What producers hand to `emit`: the engine stamps v, seq and at. */
export type EventInput = {
  [K in EventType]: { type: K; t: TimeCoords } & Payloads[K];
}[EventType];

/**
 * Fields that legitimately differ between an original run and its replay (or a copy in another
 * directory).
 */
export const VOLATILE_FIELDS = ["at", "latencyMs", "cached", "attempts", "runId"] as const;

/** An event with wall-clock and cache-dependent fields removed, for replay comparisons. */
export function stableView(event: AgoraEvent): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event };
  for (const key of VOLATILE_FIELDS) delete copy[key];
  return copy;
}
