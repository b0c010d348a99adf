import type {
  AnswerSchema,
  CachedResponse,
  ChatMessage,
  MindCallRequest,
} from "../../sim/core/minds.js";

/**
 * The one interface of the LLM call path, in the manner of Concordia's language-model wrappers: an
 * endpoint implements it, and each wrapper adds one concern (cache, budget, rate limit,
 * concurrency, retries, dry-run stand-in) around another ChatModel.
 */
export interface ChatModel {
  complete(request: CompletionRequest): Promise<Completion>;
}

export interface CompletionRequest {
  /** The mind call this request serves: who asks, when, and what a stand-in policy decides from. */
  call: MindCallRequest;
  /** The messages to send: the call's, shrunk to fit the profile's context window. */
  messages: readonly ChatMessage[];
  /** The request's cache address (llmCacheKey). */
  key: string;
  /** The seed sent with the request, when the profile has one. */
  seed?: number;
  format: AnswerSchema | "text";
  /** Why the prompt cannot fit the model's context even shrunk: then it is never sent. */
  unfit?: string;
}

export interface Completion extends CachedResponse {
  /** Requests made to the endpoint for this answer (0 when none was: cached, refused, stood in). */
  attempts: number;
  /** Answered from the cache, or from another run's identical request in flight. */
  cached: boolean;
}

/** The stored part of a completion, in the order cache entries have always had. */
export function responseOf(completion: Completion): CachedResponse {
  const { text, tokensIn, tokensOut, finishReason, failure } = completion;
  return { text, tokensIn, tokensOut, finishReason, ...(failure ? { failure } : {}) };
}

/**
 * A rough token count (characters / 4), where a size is needed before or without the endpoint's.
 */
export function roughTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function promptText(messages: readonly ChatMessage[]): string {
  return messages.map((m) => m.content).join("\n");
}

/**
 * A model built on first use: a run answered from the cache needs no API key, and a run on policy
 * minds never loads the HTTP client stack (LangChain, the OpenAI SDK). A failed build is tried
 * again at the next call.
 */
export function lazily(build: () => ChatModel | Promise<ChatModel>): ChatModel {
  let model: Promise<ChatModel> | undefined;
  return {
    complete: async (request) => {
      model ??= Promise.resolve()
        .then(build)
        .catch((error: unknown) => {
          model = undefined;
          throw error;
        });
      return (await model).complete(request);
    },
  };
}
