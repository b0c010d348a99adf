import { createHash } from "node:crypto";
import type { BaseMessageLike } from "@langchain/core/messages";
import pLimit, { type LimitFunction } from "p-limit";
import { stringify } from "safe-stable-stringify";
import type { EventInput, MindInfo, TimeCoords } from "../sim/core/events.js";
import { Rng } from "../sim/core/rng.js";
import { TextChatCompletions } from "./chat-completions.js";
import { wrappingErrorBodies } from "./error-body.js";
import { contextExceededMessage, fitPrompt, type FitRule } from "./context-fit.js";
import { type Ledger, priceOf } from "./ledger.js";
import type { MindSpec, PolicyRegistry } from "./minds.js";
import { PolicyChatModel } from "./policy-chat-model.js";
import { modelParameters, type Profile, publicEndpoint, resolveApiKey } from "./profiles.js";
import type { RateLimiter } from "./rate-limit.js";
import { cacheKey, type CachedResponse, type ResponseCache } from "./response-cache.js";
import { withRetries } from "./retry.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

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
  /** How the scenario shrinks this prompt when it does not fit the profile's contextWindow (default: drop the oldest turns). */
  fit?: FitRule;
  /** The answer's JSON schema, sent as response_format when the profile's responseFormat is "json_schema". */
  schema?: AnswerSchema;
}

/** A scenario's answer format for structured answers (OpenAI's json_schema response format). */
export interface AnswerSchema {
  name: string;
  schema: Record<string, unknown>;
}

export interface MindRuntimeOptions {
  profiles: Record<string, Profile>;
  policies: PolicyRegistry;
  cache: ResponseCache;
  ledger: Ledger;
  /** Part of every call's identity: replicates with other seeds must not share sampled answers. */
  runSeed: number;
  /**
   * Share answers between calls with identical messages (the cache key and the sent seed leave out
   * who asks): a cost-saving option for pilots, off by default since it merges agents' samples.
   */
  sampleSharing?: boolean;
  /** This run's limit on LLM calls in flight. */
  maxConcurrency: number;
  /** What a batch shares between its runs (see sim/app/batch/shared.ts); absent for a single run. */
  shared?: SharedCallResources;
  /** Dry runs only: every LLM mind answered by this policy, calls counted as if made (see standInAnswer). */
  standIn?: StandIn;
  /** Record prompts and answers of LLM calls in the event log. */
  transcripts: boolean;
  env?: NodeJS.ProcessEnv;
  /** Told of each retry, for progress displays; retries never enter the event log (they are not reproducible). */
  onRetry?: (info: { agentId: string; profile: string; attempt: number; error: unknown; waitMs: number }) => void;
}

/** Who asks and where: what makes one agent's call its own sample, however alike the prompts. */
export type CallIdentity = Pick<MindCallRequest, "agentId" | "purpose" | "t" | "item"> & { runSeed: number; attempt: number };

export function callIdentity(request: MindCallRequest, runSeed: number): CallIdentity {
  return { runSeed, agentId: request.agentId, purpose: request.purpose, t: request.t, attempt: request.attempt ?? 1, ...(request.item !== undefined ? { item: request.item } : {}) };
}

/**
 * The cache address of an LLM request: model parameters, the call's identity (null when samples
 * are shared: then the run seed alone), the answer format and the messages. Not the endpoint, so a
 * cache replays wherever the server moved.
 */
export function llmCacheKey(profile: Profile, identity: CallIdentity | { runSeed: number }, messages: readonly ChatMessage[], responseFormat: AnswerSchema | "text" = "text"): string {
  return cacheKey({ params: modelParameters(profile), identity, responseFormat, messages: [...messages] });
}

/**
 * The seed sent with a call when the profile has one: derived from it and the call's identity, so
 * agents asking alike still sample apart, and a replay or resume sends the same seed. A
 * non-negative 31-bit integer, which OpenAI, vLLM, llama.cpp and Ollama all accept.
 */
export function callSeed(profileSeed: number, identity: CallIdentity | { runSeed: number }): number {
  return parseInt(createHash("sha256").update(stringify({ profileSeed, identity }) ?? "").digest("hex").slice(0, 8), 16) & 0x7fffffff;
}

/** An endpoint that failed for good (after retries, or at once on a 4xx): names the profile, host and path, never credentials. */
export class EndpointError extends Error {
  constructor(message: string, readonly status: number | undefined) {
    super(message);
    this.name = "EndpointError";
  }
}

/** Resources every run of a batch process shares: concurrency, rate limits, budget, in-flight answers. */
export interface SharedCallResources {
  /** One limit on LLM calls in flight across all runs (inside each run's own limit). */
  limit: LimitFunction;
  /** Requests and tokens per minute, per profile name. */
  rateLimiter?: RateLimiter;
  /** The batch's budget: every call also counts here, and its caps stop every run. */
  budget?: Ledger;
  /** Identical requests in flight in several runs at once reach the endpoint once. */
  inflight: Map<string, Promise<CachedResponse>>;
}

/** A scenario policy standing in for every LLM mind in a dry run. */
export interface StandIn {
  policy: string;
  params: Record<string, unknown>;
}

const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * The one path every mind call takes. LLM minds: cache, concurrency limit, retries, accounting and
 * an `llm-call` event. Policy minds: the same chat-model interface, offline and instant.
 */
export class MindRuntime {
  private readonly limit: LimitFunction;
  private readonly models = new Map<string, TextChatCompletions>();
  private readonly policyModels = new Map<string, PolicyChatModel>();
  /** Retry back-off jitter: timing only (never in events), still from a seeded stream. */
  private readonly jitter: Rng;

  constructor(readonly options: MindRuntimeOptions) {
    this.limit = pLimit(options.maxConcurrency);
    this.jitter = new Rng(options.runSeed).derive("retry-jitter");
  }

  describe(mind: MindSpec): MindInfo {
    if (mind.kind === "policy") return { kind: "policy", name: mind.policy, params: mind.params };
    const model = this.options.profiles[mind.profile]?.model;
    return { kind: "llm", name: mind.profile, ...(model ? { model } : {}) };
  }

  get inFlight(): number {
    return this.limit.activeCount;
  }

  /**
   * The mind's answer, or null when an LLM call gave none that could be used as data (the prompt
   * did not fit the model's context): the caller counts it and falls back as for an unreadable answer.
   */
  async call(request: MindCallRequest, emit: (event: EventInput) => void): Promise<string | null> {
    return request.mind.kind === "policy"
      ? this.callPolicy(request, request.mind)
      : this.callLlm(request, request.mind.profile, emit);
  }

  private async callPolicy(request: MindCallRequest, mind: Extract<MindSpec, { kind: "policy" }>): Promise<string> {
    let model = this.policyModels.get(mind.policy);
    if (!model) {
      const definition = this.options.policies[mind.policy];
      if (!definition) throw new Error(`unknown policy "${mind.policy}"`);
      model = new PolicyChatModel(mind.policy, definition.decide);
      this.policyModels.set(mind.policy, model);
    }
    const reply = await model.invoke(toLangChain(request.messages), {
      policyState: request.state,
      params: mind.params,
      purpose: request.purpose,
      rng: request.rng,
    });
    return reply.text;
  }

  private async callLlm(request: MindCallRequest, profileName: string, emit: (event: EventInput) => void): Promise<string | null> {
    const profile = this.options.profiles[profileName];
    if (!profile) throw new Error(`unknown model profile "${profileName}"`);
    const { ledger, shared } = this.options;
    const identity = this.options.sampleSharing ? { runSeed: this.options.runSeed } : callIdentity(request, this.options.runSeed);
    const format = profile.responseFormat === "json_schema" && request.schema ? request.schema : "text";
    const fitted = this.options.standIn ? { ok: true as const, messages: request.messages, dropped: 0 } : fitPrompt(request.messages, { contextWindow: profile.contextWindow, maxTokens: profile.maxTokens, profile: profileName }, request.fit);
    const messages = fitted.ok ? fitted.messages : request.messages;
    const key = llmCacheKey(profile, identity, messages, format);
    const seed = profile.seed === undefined ? undefined : this.options.sampleSharing ? profile.seed : callSeed(profile.seed, identity);
    const budget = shared?.budget;
    ledger.reserve();
    try {
      budget?.reserve();
    } catch (error) {
      ledger.release();
      throw error;
    }
    try {
      const started = performance.now();
      const { response, cached, attempts } = !fitted.ok
        ? { response: { text: "", tokensIn: 0, tokensOut: 0, finishReason: null, failure: { kind: "context-exceeded" as const, message: fitted.message } }, cached: false, attempts: 0 }
        : this.options.standIn
          ? await this.standInAnswer(request, profile, this.options.standIn)
          : await this.answer({ ...request, messages: [...messages] }, profileName, profile, key, { seed, format });
      const cost = priceOf(profile, response.tokensIn, response.tokensOut);
      const truncated = response.finishReason === "length";
      const entry = {
        agentId: request.agentId,
        generation: request.t.generation,
        tokensIn: response.tokensIn,
        tokensOut: response.tokensOut,
        cost,
        cached,
        retries: Math.max(0, attempts - 1),
        sent: fitted.ok,
        truncated,
        contextExceeded: response.failure?.kind === "context-exceeded",
      };
      ledger.record(entry);
      budget?.record(entry);
      emit({
        type: "llm-call",
        t: request.t,
        agentId: request.agentId,
        purpose: request.purpose,
        profile: profileName,
        model: profile.model,
        promptHash: key,
        tokensIn: response.tokensIn,
        tokensOut: response.tokensOut,
        cost,
        cached,
        latencyMs: Math.round(performance.now() - started),
        attempts,
        finishReason: response.finishReason,
        ...(request.attempt !== undefined && request.attempt > 1 ? { reask: request.attempt - 1 } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(format !== "text" ? { responseFormat: "json_schema" } : {}),
        ...(fitted.ok && fitted.dropped > 0 ? { trimmed: fitted.dropped } : {}),
        ...(response.failure ? { failure: { ...response.failure, sent: fitted.ok } } : {}),
        // A copy: the caller may build its re-ask from these messages before the event is written.
        ...(this.options.transcripts ? { messages: messages.map((m) => ({ ...m })), response: response.text } : {}),
      });
      return response.failure ? null : response.text;
    } finally {
      ledger.release();
      budget?.release();
    }
  }

  /** From the cache, from another run's identical request in flight, or from the endpoint (then cached). */
  private async answer(request: MindCallRequest, profileName: string, profile: Profile, key: string, send: SendOptions): Promise<{ response: CachedResponse; cached: boolean; attempts: number }> {
    const { cache, shared } = this.options;
    const hit = await cache.get(key);
    if (hit) return { response: hit, cached: true, attempts: 0 };
    // Another run of the batch asking the same thing right now: wait for its answer (as a cache
    // hit) rather than pay twice; if its call fails, make our own.
    const waited = cache.mode === "read-write" ? await shared?.inflight.get(key)?.catch(() => undefined) : undefined;
    if (waited) return { response: waited, cached: true, attempts: 0 };
    const fetching = this.fetch(request, profileName, profile, send);
    const answer = fetching.then((f) => f.response);
    // Waiters handle a failure themselves; this only keeps it from surfacing as unhandled.
    answer.catch(() => undefined);
    if (cache.mode === "read-write") shared?.inflight.set(key, answer);
    try {
      const { response, attempts } = await fetching;
      await cache.put(key, response);
      return { response, cached: false, attempts };
    } finally {
      if (shared?.inflight.get(key) === answer) shared.inflight.delete(key);
    }
  }

  /**
   * A dry run's answer: the stand-in policy's, with no endpoint and no cache. Tokens in are the
   * prompt's characters / 4; tokens out the profile's maxTokens (an upper bound), else the
   * stand-in's reply length (a lower bound: models write more than policies).
   */
  private async standInAnswer(request: MindCallRequest, profile: Profile, standIn: StandIn): Promise<{ response: CachedResponse; cached: boolean; attempts: number }> {
    const text = await this.callPolicy(request, { kind: "policy", ...standIn });
    const tokensIn = estimateTokens(request.messages.map((m) => m.content).join("\n"));
    return { response: { text, tokensIn, tokensOut: profile.maxTokens ?? estimateTokens(text), finishReason: "stop" }, cached: false, attempts: 0 };
  }

  /**
   * One uncached call: this run's and the batch's concurrency limits, rate limit, retries. A
   * context-exceeded refusal is an answer (cached, so a replay refuses alike); any other failure
   * after the retries ends the call with an EndpointError.
   */
  private async fetch(request: MindCallRequest, profileName: string, profile: Profile, send: SendOptions): Promise<{ response: CachedResponse; attempts: number }> {
    const { ledger, shared } = this.options;
    const model = this.modelFor(profileName, profile);
    const prompt = request.messages.map((m) => m.content).join("\n");
    // The limiter needs a size before the call: the prompt, plus the longest answer allowed.
    const estimate = estimateTokens(prompt) + (profile.maxTokens ?? 0);
    const options = {
      ...(send.seed !== undefined ? { seed: send.seed } : {}),
      ...(send.format !== "text" ? { response_format: { type: "json_schema" as const, json_schema: { name: send.format.name, schema: send.format.schema, strict: true } } } : {}),
    };
    let tried = 0;
    const call = () => {
      // Checked again once a slot is free, so a cost cap overshoots by at most the calls in flight.
      ledger.checkCost();
      shared?.budget?.checkCost();
      return withRetries(
        async () => {
          tried++;
          await shared?.rateLimiter?.acquire(profileName, estimate);
          return model.invoke(toLangChain(request.messages), options);
        },
        {
          maxRetries: profile.maxRetries,
          jitter: () => this.jitter.float(),
          onRetry: ({ attempt, error, waitMs }) => this.options.onRetry?.({ agentId: request.agentId, profile: profileName, attempt, error, waitMs }),
        },
      );
    };
    try {
      const result = await this.limit(() => (shared ? shared.limit(call) : call()));
      const text = result.value.text;
      const usage = result.value.usage_metadata;
      const finish = (result.value.response_metadata as { finish_reason?: unknown } | undefined)?.finish_reason;
      const response = {
        text,
        tokensIn: usage?.input_tokens ?? estimateTokens(prompt),
        tokensOut: usage?.output_tokens ?? estimateTokens(text),
        finishReason: typeof finish === "string" ? finish : null,
      };
      shared?.rateLimiter?.settle?.(profileName, estimate, response.tokensIn + response.tokensOut);
      return { response, attempts: result.attempts };
    } catch (error) {
      const overflow = contextExceededMessage(error);
      if (overflow !== null) {
        shared?.rateLimiter?.settle?.(profileName, estimate, 0);
        return { response: { text: "", tokensIn: 0, tokensOut: 0, finishReason: null, failure: { kind: "context-exceeded", message: this.redact(profileName, profile, overflow) } }, attempts: tried };
      }
      throw this.endpointError(profileName, profile, error, tried);
    }
  }

  private endpointError(profileName: string, profile: Profile, error: unknown, attempts: number): Error {
    if (!(error instanceof Error) || error.name === "BudgetExhaustedError") return error as Error;
    const status = (error as { status?: unknown }).status;
    const where = `${publicEndpoint(profile.baseURL)}/chat/completions`;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    const cause = this.redact(profileName, profile, error.message);
    return new EndpointError(`profile "${profileName}" (model ${profile.model}): POST ${where} failed after ${tries}: ${cause}`, typeof status === "number" ? status : undefined);
  }

  /** An endpoint may echo the key it was sent; it goes nowhere from here. */
  private redact(profileName: string, profile: Profile, text: string): string {
    if (!profile.apiKeyEnv) return text;
    const secret = this.options.env?.[profile.apiKeyEnv] ?? process.env[profile.apiKeyEnv];
    return secret && secret.length >= 4 ? text.split(secret).join(`[${profileName} key]`) : text;
  }

  private modelFor(name: string, profile: Profile): TextChatCompletions {
    let model = this.models.get(name);
    if (!model) {
      model = new TextChatCompletions({
        model: profile.model,
        apiKey: resolveApiKey(name, profile, this.options.env),
        configuration: { ...(profile.baseURL ? { baseURL: profile.baseURL } : {}), fetch: wrappingErrorBodies() },
        ...(profile.temperature !== undefined ? { temperature: profile.temperature } : {}),
        ...(profile.maxTokens !== undefined ? { maxTokens: profile.maxTokens } : {}),
        timeout: profile.timeoutMs,
        // Our own retry loop (withRetries) honours Retry-After and reports each retry.
        maxRetries: 0,
      });
      this.models.set(name, model);
    }
    return model;
  }
}

interface SendOptions {
  seed: number | undefined;
  format: AnswerSchema | "text";
}

function toLangChain(messages: ChatMessage[]): BaseMessageLike[] {
  return messages.map((m) => ({ role: m.role, content: m.content }));
}
