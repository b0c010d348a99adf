/**
 * The viewer's state: everything the panels draw, derived from the run's event stream by the pure
 * reducer (reducer.ts). DOM-free, so node tests import it. Every container is treated as immutable:
 * the reducer copies what a batch touches and shares the rest, so any state can be kept as a
 * snapshot and compared by reference in React.
 */
import type {
  AgoraEvent,
  EventOf,
  MindInfo,
  RunStatus,
  SerializedGraph,
  TimeCoordinate,
  TimeCoords,
} from "../../../sim/core/events.js";

export type {
  AgoraEvent,
  EventOf,
  MindInfo,
  RunStatus,
  SerializedGraph,
  TimeCoordinate,
  TimeCoords,
};

/** Ring sizes: how much of each bounded collection the state keeps. */
export interface Limits {
  /** Most recent events of any type (the event log panel). */
  log: number;
  /** Most recent interactions (edge animation, the transcript view). */
  interactions: number;
  /** Per agent: interactions given and received. */
  agentInteractions: number;
  /** Per agent: LLM calls and parse failures with their prompts and answers. */
  transcript: number;
  /** Agents no longer in any slot kept for the inspector and lineage; older ones are dropped. */
  deadAgents: number;
  warnings: number;
  /** Per-generation rows (metrics, LLM usage, generation ends). */
  generations: number;
}

export const DEFAULT_LIMITS: Limits = {
  log: 5000,
  interactions: 400,
  agentInteractions: 20,
  transcript: 12,
  deadAgents: 2000,
  warnings: 50,
  generations: 100_000,
};

/**
 * One interaction as the panels use it; `data` is the event's own (shared, never mutated) object.
 */
export interface InteractionEntry {
  seq: number;
  at: string;
  kind: string;
  from: string;
  to: string | null;
  mind: MindInfo;
  t: TimeCoords;
  data: Record<string, unknown>;
}

export interface TranscriptEntry {
  seq: number;
  t: TimeCoords;
  /** "llm-call": a model's prompt and answer; "parse-failure": an answer that could not be used. */
  type: "llm-call" | "parse-failure";
  purpose: string;
  model?: string;
  profile?: string;
  tokensIn?: number;
  tokensOut?: number;
  cost?: number | null;
  cached?: boolean;
  /** The endpoint's finish_reason: "length" = cut at maxTokens. */
  finishReason?: string | null;
  /** Why the call gave no answer (the prompt did not fit the context window). */
  failure?: string;
  messages?: { role: string; content: string }[];
  response?: string;
  reason?: string;
}

export interface AgentState {
  id: string;
  /**
   * False while only LLM calls of the agent have been seen (its agent-created event comes after its
   * strategy call).
   */
  known: boolean;
  /** Generation the agent was born into. */
  generation: number;
  /** The graph node the agent occupies (the slot of the agent it replaced). */
  slot: string | null;
  parents: string[];
  children: string[];
  mind: MindInfo | null;
  /** A scenario-defined role off the graph ("judge", "summariser"...), null for ordinary agents. */
  role: string | null;
  strategy: string | null;
  /** Why the agent stated no usable strategy (its answers could not be read as one). */
  strategyUnusable?: string;
  reasoning: string | null;
  /**
   * How many times the agent revised its strategy (interactions the view reads as revisions:
   * ScenarioView.strategyRevision).
   */
  revisions: number;
  createdSeq: number;
  /** The generation at whose end selection removed the agent, if it did. */
  removedAfter: number | null;
  /**
   * Score per generation played (generation-ended's scores; what they mean is the scenario's:
   * ScenarioView.scores).
   */
  scores: Record<number, number>;
  given: InteractionEntry[];
  received: InteractionEntry[];
  transcript: TranscriptEntry[];
  llm: { calls: number; tokensIn: number; tokensOut: number; cost: number };
}

export interface GenerationRow {
  generation: number;
  values: Record<string, number | null>;
}

/**
 * A round metric of the round generation, placed by the scenario's declared coordinates: `x` is
 * the innermost one (the round), `series` the outermost when there are two or more (the Donor
 * Game's game, the debate's question), else 1.
 */
export interface RoundRow {
  t: TimeCoords;
  series: number;
  x: number;
  values: Record<string, number | null>;
}

export interface LlmTotals {
  calls: number;
  cachedCalls: number;
  tokensIn: number;
  tokensOut: number;
  /** Sum of priced costs (calls without a price count as 0 and are counted in `unpricedCalls`). */
  cost: number;
  unpricedCalls: number;
  parseFailures: number;
  /** Answers cut at maxTokens (finish_reason "length"). */
  truncated: number;
  /** Calls with no answer: the prompt did not fit the model's context. */
  contextExceeded: number;
}

export interface LlmGenerationRow {
  generation: number;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
}

export interface RunInfo {
  runId: string;
  scenario: string;
  seed: number;
  configHash: string;
  config: unknown;
  graphStats: Record<string, unknown>;
  agoraVersion: string;
  startedAt: string;
  /**
   * The scenario's time coordinates below the generation (run-started's, or what a version 1 log
   * used).
   */
  time: TimeCoordinate[];
  /** The scenario's interaction kinds and their descriptions (empty for version 1 logs). */
  interactions: Record<string, string>;
}

export type RunPhase = "waiting" | "running" | RunStatus;

export interface RejectionInfo {
  /** The seq the state expected next. */
  expected: number;
  /** The first seq of the rejected batch. */
  got: number;
  /**
   * "duplicate": every event was applied already; "straddle": the batch starts before `expected`
   * and reaches past it; "gap": it starts after `expected`; "out-of-order": its own seqs are not
   * consecutive.
   */
  reason: "duplicate" | "straddle" | "gap" | "out-of-order";
}

export interface ViewerState {
  /** The seq of the next event to apply; events 0..nextSeq-1 have been applied. */
  nextSeq: number;
  /**
   * Batches rejected as out of order, duplicate or straddling applied seqs (never partially
   * applied).
   */
  rejectedBatches: number;
  lastRejection: RejectionInfo | null;
  run: RunInfo | null;
  /**
   * The social graph from run-started as graphology's export, whatever the event version: node
   * keys are the first generation's ids (the slots). A large complete graph comes without edges
   * (reducer.ts, COMPLETE_EDGES_LISTED).
   */
  graph: SerializedGraph | null;
  slots: string[];
  /** slot -> the agent occupying it now. */
  slotAgent: Record<string, string>;
  agents: Record<string, AgentState>;
  /** Agents out of their slots, oldest first, for pruning beyond `limits.deadAgents`. */
  deadAgents: string[];
  /** Time of the latest event. */
  t: TimeCoords;
  generation: number;
  /** Generation metrics rows, in order. */
  generationMetrics: GenerationRow[];
  /** Round metrics of generation `roundGeneration` only. */
  roundGeneration: number;
  roundMetrics: RoundRow[];
  llm: LlmTotals;
  llmByGeneration: LlmGenerationRow[];
  interactionCounts: Record<string, number>;
  interactions: InteractionEntry[];
  log: AgoraEvent[];
  generationEnds: {
    generation: number;
    seq: number;
    survivors: string[];
    removed: string[];
    created: string[];
  }[];
  warnings: { seq: number; message: string }[];
  phase: RunPhase;
  error: string | null;
  limits: Limits;
  /** The scenario view's derived state (`ScenarioView.derive`), null when the view derives none. */
  scenario: unknown;
}
