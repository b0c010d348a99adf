import { createHash } from "node:crypto";
import pLimit, { type LimitFunction } from "p-limit";
import { stringify } from "safe-stable-stringify";
import type { EventInput, MindInfo } from "../sim/core/events.js";
import type {
  ActRequest,
  AnswerSchema,
  CachedResponse,
  ChatMessage,
  MindCallRequest,
  Minds,
  MindSpec,
  PolicyRegistry,
} from "../sim/core/minds.js";
import type { Profile } from "../sim/core/profile.js";
import { Rng } from "../sim/core/rng.js";
import type { Totals } from "../sim/core/spend.js";
import { budgeted, withinCostCap } from "./chat/budgeted.js";
import { cached } from "./chat/cached.js";
import { concurrencyLimited } from "./chat/concurrency-limited.js";
import { endpointFailure, redactedError } from "./chat/endpoint-error.js";
import { lazily, type ChatModel } from "./chat/model.js";
import { rateLimited } from "./chat/rate-limited.js";
import { retrying } from "./chat/retrying.js";
import { standIn } from "./chat/stand-in.js";
import { refusingUnfit } from "./chat/unfit.js";
import { fitPrompt } from "./context-fit.js";
import { type Ledger, priceOf } from "./ledger.js";
import type { PolicyChatModel } from "./policy-chat-model.js";
import { modelParameters } from "./profiles.js";
import type { RateLimiter } from "./rate-limit.js";
import { cacheKey, type ResponseCache } from "./response-cache.js";

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
  /**
   * What a batch shares between its runs (see sim/app/batch/shared.ts); absent for a single run.
   */
  shared?: SharedCallResources;
  /**
   * Dry runs only: every LLM mind answered by this policy, calls counted as if made (see
   * chat/stand-in.ts).
   */
  standIn?: StandIn;
  /** Record prompts and answers of LLM calls in the event log. */
  transcripts: boolean;
  /**
   * "text" sends policy minds through the text path an LLM takes (prompt, chat-model interface,
   * parser) even where they have a fast path; both give the same run.
   */
  policyPath?: "fast" | "text";
  env?: NodeJS.ProcessEnv;
  /**
   * Told of each retry, for progress displays; retries never enter the event log (they are not
   * reproducible).
   */
  onRetry?: (info: {
    agentId: string;
    profile: string;
    attempt: number;
    error: unknown;
    waitMs: number;
  }) => void;
}

/**
 * The policies' text path, imported at its first use rather than at the top: LangChain costs a
 * run on policy minds' fast path about 12 MB of heap (40 MB of RSS) it never uses.
 */
const loadTextPath = () =>
  Promise.all([import("./policy-chat-model.js"), import("./chat-completions.js")]);
/** Loaded once: a dynamic import per call would resolve the modules again each time. */
let textPath: ReturnType<typeof loadTextPath> | null = null;

/** Who asks and where: what makes one agent's call its own sample, however alike the prompts. */
export type CallIdentity = Pick<MindCallRequest, "agentId" | "purpose" | "t" | "item"> & {
  runSeed: number;
  attempt: number;
};

export function callIdentity(request: MindCallRequest, runSeed: number): CallIdentity {
  return {
    runSeed,
    agentId: request.agentId,
    purpose: request.purpose,
    t: request.t,
    attempt: request.attempt ?? 1,
    ...(request.item !== undefined ? { item: request.item } : {}),
  };
}

/**
 * The cache address of an LLM request: model parameters, the call's identity (null when samples
 * are shared: then the run seed alone), the answer format and the messages. Not the endpoint, so a
 * cache replays wherever the server moved.
 */
export function llmCacheKey(
  profile: Profile,
  identity: CallIdentity | { runSeed: number },
  messages: readonly ChatMessage[],
  responseFormat: AnswerSchema | "text" = "text",
): string {
  return cacheKey({
    params: modelParameters(profile),
    identity,
    responseFormat,
    messages: [...messages],
  });
}

/**
 * The seed sent with a call when the profile has one: derived from it and the call's identity, so
 * agents asking alike still sample apart, and a replay or resume sends the same seed. A
 * non-negative 31-bit integer, which OpenAI, vLLM, llama.cpp and Ollama all accept.
 */
export function callSeed(
  profileSeed: number,
  identity: CallIdentity | { runSeed: number },
): number {
  return (
    parseInt(
      createHash("sha256")
        .update(stringify({ profileSeed, identity }) ?? "")
        .digest("hex")
        .slice(0, 8),
      16,
    ) & 0x7fffffff
  );
}

/**
 * Resources every run of a batch process shares: concurrency, rate limits, budget, in-flight
 * answers.
 */
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

/**
 * The one path every mind call takes. LLM minds: a stack of chat-model wrappers per profile (see
 * `stackFor`), and an `llm-call` event per call. Policy minds: their `act` (the fast path), or on
 * the text path LangChain's chat-model interface, offline and instant.
 */
export class MindRuntime implements Minds {
  private readonly limit: LimitFunction;
  private readonly stacks = new Map<string, ChatModel>();
  private readonly policyModels = new Map<string, PolicyChatModel>();
  /** Retry back-off jitter: timing only (never in events), still from a seeded stream. */
  private readonly jitter: Rng;

  constructor(private readonly options: MindRuntimeOptions) {
    this.limit = pLimit(options.maxConcurrency);
    this.jitter = new Rng(options.runSeed).derive("retry-jitter");
  }

  describe(mind: MindSpec): MindInfo {
    if (mind.kind === "policy") return { kind: "policy", name: mind.policy, params: mind.params };
    const model = this.options.profiles[mind.profile]?.model;
    return { kind: "llm", name: mind.profile, ...(model ? { model } : {}) };
  }

  /** LLM calls holding one of this run's slots, for progress displays. */
  get inFlight(): number {
    return this.limit.activeCount;
  }

  profile(name: string): Profile | undefined {
    return this.options.profiles[name];
  }

  get cache(): ResponseCache {
    return this.options.cache;
  }

  spend(generation: number, agentId?: string): Totals {
    const { ledger } = this.options;
    return agentId === undefined
      ? ledger.generation(generation)
      : ledger.agent(generation, agentId);
  }

  act(request: ActRequest): { value: unknown } | null {
    const { mind } = request;
    if (mind.kind !== "policy" || this.options.policyPath === "text") return null;
    const act = this.policyDefinition(mind.policy).act;
    if (!act) return null;
    return {
      value: act({
        purpose: request.purpose,
        state: request.state,
        params: mind.params,
        rng: request.rng,
      }),
    };
  }

  private policyDefinition(name: string) {
    const definition = this.options.policies[name];
    if (!definition) throw new Error(`unknown policy "${name}"`);
    return definition;
  }

  async call(request: MindCallRequest, emit: (event: EventInput) => void): Promise<string | null> {
    return request.mind.kind === "policy"
      ? this.callPolicy(request, request.mind)
      : this.callLlm(request, request.mind.profile, emit);
  }

  private async callPolicy(
    request: MindCallRequest,
    mind: Extract<MindSpec, { kind: "policy" }>,
  ): Promise<string> {
    const [{ PolicyChatModel }, { langChainMessages }] = await (textPath ??= loadTextPath());
    let model = this.policyModels.get(mind.policy);
    if (!model) {
      model = new PolicyChatModel(mind.policy, this.policyDefinition(mind.policy).decide);
      this.policyModels.set(mind.policy, model);
    }
    const reply = await model.invoke(langChainMessages(request.messages), {
      policyState: request.state,
      params: mind.params,
      purpose: request.purpose,
      rng: request.rng,
    });
    return reply.text;
  }

  /**
   * The call as a chat request (identity, fitted prompt, cache key, seed), sent through the
   * profile's stack.
   */
  private async callLlm(
    request: MindCallRequest,
    profileName: string,
    emit: (event: EventInput) => void,
  ): Promise<string | null> {
    const profile = this.options.profiles[profileName];
    if (!profile) throw new Error(`unknown model profile "${profileName}"`);
    const { runSeed, sampleSharing } = this.options;
    const identity = sampleSharing ? { runSeed } : callIdentity(request, runSeed);
    const format =
      profile.responseFormat === "json_schema" && request.schema ? request.schema : "text";
    const fitted = this.options.standIn
      ? { ok: true as const, messages: request.messages, dropped: 0 }
      : fitPrompt(
          request.messages,
          {
            contextWindow: profile.contextWindow,
            maxTokens: profile.maxTokens,
            profile: profileName,
          },
          request.fit,
        );
    const messages = fitted.ok ? fitted.messages : request.messages;
    const key = llmCacheKey(profile, identity, messages, format);
    const seed =
      profile.seed === undefined
        ? undefined
        : sampleSharing
          ? profile.seed
          : callSeed(profile.seed, identity);
    const started = performance.now();
    const completion = await this.stackFor(profileName, profile).complete({
      call: request,
      messages,
      key,
      format,
      ...(seed !== undefined ? { seed } : {}),
      ...(fitted.ok ? {} : { unfit: fitted.message }),
    });
    emit({
      type: "llm-call",
      t: request.t,
      agentId: request.agentId,
      purpose: request.purpose,
      profile: profileName,
      model: profile.model,
      promptHash: key,
      tokensIn: completion.tokensIn,
      tokensOut: completion.tokensOut,
      cost: priceOf(profile, completion.tokensIn, completion.tokensOut),
      cached: completion.cached,
      latencyMs: Math.round(performance.now() - started),
      attempts: completion.attempts,
      finishReason: completion.finishReason,
      ...(request.attempt !== undefined && request.attempt > 1
        ? { reask: request.attempt - 1 }
        : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(format !== "text" ? { responseFormat: "json_schema" } : {}),
      ...(fitted.ok && fitted.dropped > 0 ? { trimmed: fitted.dropped } : {}),
      ...(completion.failure ? { failure: { ...completion.failure, sent: fitted.ok } } : {}),
      // A copy: the caller may build its re-ask from these messages before the event is written.
      ...(this.options.transcripts
        ? { messages: messages.map((m) => ({ ...m })), response: completion.text }
        : {}),
    });
    return completion.failure ? null : completion.text;
  }

  /**
   * A profile's wrappers, outermost first: budget and ledger, refusal of prompts that cannot fit,
   * cache (and in-flight sharing), then, built at the first cache miss: the run's and the batch's
   * concurrency limits, the cost cap, retries, rate limit, the endpoint. In a dry run a stand-in
   * policy answers inside the budget instead.
   */
  private stackFor(name: string, profile: Profile): ChatModel {
    let stack = this.stacks.get(name);
    if (stack) return stack;
    const { ledger, shared, cache } = this.options;
    const ledgers = shared?.budget ? [ledger, shared.budget] : [ledger];
    const dryRun = this.options.standIn;
    const answering = dryRun
      ? standIn((call) => this.callPolicy(call, { kind: "policy", ...dryRun }), profile.maxTokens)
      : refusingUnfit(
          cached(
            lazily(() => this.sender(name, profile, ledgers)),
            cache,
            shared?.inflight,
          ),
        );
    stack = budgeted(answering, ledgers, (tokensIn, tokensOut) =>
      priceOf(profile, tokensIn, tokensOut),
    );
    this.stacks.set(name, stack);
    return stack;
  }

  private async sender(
    name: string,
    profile: Profile,
    ledgers: readonly Ledger[],
  ): Promise<ChatModel> {
    const { shared, env } = this.options;
    // Loaded at the first cache miss (see lazily): the HTTP client stack, LangChain and the SDK.
    const { ChatCompletionsEndpoint } = await import("./chat/endpoint.js");
    const endpoint = new ChatCompletionsEndpoint(name, profile, env);
    const redact = endpoint.redact;
    const paced = shared?.rateLimiter
      ? rateLimited(endpoint, shared.rateLimiter, name, profile.maxTokens)
      : endpoint;
    const retried = retrying(paced, {
      maxRetries: profile.maxRetries,
      jitter: () => this.jitter.float(),
      onRetry: ({ request, attempt, error, waitMs }) =>
        this.options.onRetry?.({
          agentId: request.call.agentId,
          profile: name,
          attempt,
          // Retry lines are printed: an echoed key must not be.
          error: redactedError(error, redact),
          waitMs,
        }),
      giveUp: endpointFailure(name, profile, redact),
    });
    return concurrencyLimited(
      withinCostCap(retried, ledgers),
      shared ? [this.limit, shared.limit] : [this.limit],
    );
  }
}
