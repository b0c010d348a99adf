import type { z } from "zod";
import type { EventInput, MindInfo, TimeCoords } from "./events.js";
import type { Profile } from "./profile.js";
import type { Rng } from "./rng.js";
import type { Totals } from "./spend.js";

/**
 * The minds contract: what drives an agent, what a scenario asks of it, and what the engine needs
 * of whatever answers. The core defines it; agents/ implements it (MindRuntime).
 */

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A scenario's answer format for structured answers (OpenAI's json_schema response format). */
export interface AnswerSchema {
  name: string;
  schema: Record<string, unknown>;
}

/**
 * A scenario's rule for shrinking a prompt that does not fit: called with a test of fit, it returns
 * the shrunk messages and how many items (turns, texts) it dropped, or null when nothing it may
 * drop makes the prompt fit.
 */
export type FitRule = (
  messages: readonly ChatMessage[],
  fits: (messages: readonly ChatMessage[]) => boolean,
) => { messages: ChatMessage[]; dropped: number } | null;

/** What drives an agent: a model profile, or an offline policy with its parameters. */
export type MindSpec =
  | { kind: "llm"; profile: string }
  | { kind: "policy"; policy: string; params: Record<string, unknown> };

/**
 * What a policy decides from: the simulation state the scenario hands over, never the prompt text.
 */
export interface PolicyDecisionInput {
  purpose: string;
  state: unknown;
  params: Record<string, unknown>;
  rng: Rng;
}

/** A policy answers in the same text form an LLM is asked for, so one parser serves both. */
export type PolicyDecide = (input: PolicyDecisionInput) => string;

/**
 * The fast path: the value the scenario's reader makes of `decide`'s text, computed without the
 * text (no prompt rendered, no chat-model call, nothing parsed). It must draw from `rng` exactly as
 * `decide` does; tests/policy-paths.test.ts checks that both paths give identical runs.
 */
export type PolicyAct = (input: PolicyDecisionInput) => unknown;

/** A scenario's offline policy: how it decides, how it describes itself, how it mutates. */
export interface PolicyDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  paramsSchema: z.ZodType<P>;
  /** A one-line description, used where an LLM would state its strategy. */
  describe(params: P): string;
  decide: PolicyDecide;
  /** The same answer as a value, used unless the run takes `policyPath: text`. */
  act?: PolicyAct;
  /** A mutated copy of the parameters, for cultural evolution of policies. */
  mutate?(params: P, rng: Rng, mutation: { rate: number; sd: number }): P;
}

export type PolicyRegistry = Record<string, PolicyDefinition<any>>;

export interface MindCallRequest {
  agentId: string;
  mind: MindSpec;
  /** What the call is for ("strategy", "donation"...), recorded on its events. */
  purpose: string;
  messages: ChatMessage[];
  /** The simulation state a policy decides from. */
  state: unknown;
  /** The policy's own stream for this call. */
  rng: Rng;
  t: TimeCoords;
  /**
   * What else tells this call apart from the agent's other calls at the same coordinates (a
   * question id, a sample number): part of the call's identity, so each is its own sample.
   */
  item?: string | number;
  /** 1 for the first ask, 2 for the first re-ask of an unusable answer...; part of the identity. */
  attempt?: number;
  /**
   * How the scenario shrinks this prompt when it does not fit the profile's contextWindow (default:
   * drop the oldest turns).
   */
  fit?: FitRule;
  /**
   * The answer's JSON schema, sent as response_format when the profile's responseFormat is
   * "json_schema".
   */
  schema?: AnswerSchema;
}

/**
 * Why a call gave no answer although the endpoint was reached: the answer's failure, not the run's.
 */
export interface CallFailure {
  kind: "context-exceeded";
  /** The endpoint's words (or ours, for a prompt refused before sending); never credentials. */
  message: string;
}

/** A model's answer as stored by request key. */
export interface CachedResponse {
  text: string;
  tokensIn: number;
  tokensOut: number;
  /** The endpoint's finish_reason ("stop", "length"...), null where it sent none. */
  finishReason: string | null;
  /** Set when the endpoint refused the request as the answer's failure (context exceeded). */
  failure?: CallFailure;
}

/** Model answers by request key (agents/response-cache.ts keeps them on disk). */
export interface ResponseStore {
  get(key: string): Promise<CachedResponse | undefined>;
  put(key: string, response: CachedResponse): Promise<void>;
}

/** What a policy's fast path needs of a call: no messages. */
export type ActRequest = Pick<MindCallRequest, "agentId" | "mind" | "purpose" | "state" | "rng">;

/** What the engine needs of the minds of a run. */
export interface Minds {
  /**
   * A policy mind's answer as a value (its `act`), or null when the call must take the text path:
   * an LLM mind, a policy without `act`, or a run with `policyPath: text`.
   */
  act(request: ActRequest): { value: unknown } | null;
  /**
   * The mind's answer, or null when an LLM call gave none that could be used as data (the prompt
   * did not fit the model's context). Events of the call go to `emit`.
   */
  call(request: MindCallRequest, emit: (event: EventInput) => void): Promise<string | null>;
  /** How events should name a mind. */
  describe(mind: MindSpec): MindInfo;
  profile(name: string): Profile | undefined;
  /** The run's response cache, for model calls a scenario makes outside minds (embeddings). */
  readonly cache: ResponseStore;
  /** LLM use so far in a generation, or of one agent in it. */
  spend(generation: number, agentId?: string): Totals;
}
