import type { Profile } from "../../sim/core/profile.js";
import { langChainMessages, TextChatCompletions } from "../chat-completions.js";
import { contextExceededMessage } from "../context-fit.js";
import { wrappingErrorBodies } from "../error-body.js";
import { keepAliveFetch } from "../http-client.js";
import { resolveApiKey } from "../profiles.js";
import { keyRedactor } from "./endpoint-error.js";
import {
  promptText,
  roughTokens,
  type ChatModel,
  type Completion,
  type CompletionRequest,
} from "./model.js";

/**
 * One request to a profile's OpenAI-compatible endpoint (LangChain's chat completions). A
 * "context exceeded" refusal is an answer, returned as the completion's failure; any other error
 * is thrown as the client raised it, for the retry loop to judge.
 */
export class ChatCompletionsEndpoint implements ChatModel {
  private readonly client: TextChatCompletions;
  /** Masks the profile's key (and any other secret) in a text; shared by every error message. */
  readonly redact: (text: string) => string;

  constructor(profileName: string, profile: Profile, env?: NodeJS.ProcessEnv) {
    this.client = new TextChatCompletions({
      model: profile.model,
      apiKey: resolveApiKey(profileName, profile, env),
      configuration: {
        ...(profile.baseURL ? { baseURL: profile.baseURL } : {}),
        fetch: wrappingErrorBodies(keepAliveFetch()),
      },
      ...(profile.temperature !== undefined ? { temperature: profile.temperature } : {}),
      ...(profile.maxTokens !== undefined ? { maxTokens: profile.maxTokens } : {}),
      timeout: profile.timeoutMs,
      // Our own retry loop (withRetries) honours Retry-After and reports each retry.
      maxRetries: 0,
    });
    this.redact = keyRedactor(profileName, profile, env);
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const { seed, format } = request;
    const options = {
      ...(seed !== undefined ? { seed } : {}),
      ...(format !== "text"
        ? {
            response_format: {
              type: "json_schema" as const,
              json_schema: { name: format.name, schema: format.schema, strict: true },
            },
          }
        : {}),
    };
    try {
      const reply = await this.client.invoke(langChainMessages(request.messages), options);
      const usage = reply.usage_metadata;
      const finish = (reply.response_metadata as { finish_reason?: unknown } | undefined)
        ?.finish_reason;
      return {
        text: reply.text,
        tokensIn: usage?.input_tokens ?? roughTokens(promptText(request.messages)),
        tokensOut: usage?.output_tokens ?? roughTokens(reply.text),
        finishReason: typeof finish === "string" ? finish : null,
        attempts: 1,
        cached: false,
      };
    } catch (error) {
      const overflow = contextExceededMessage(error);
      if (overflow === null) throw error;
      return {
        text: "",
        tokensIn: 0,
        tokensOut: 0,
        finishReason: null,
        failure: { kind: "context-exceeded", message: this.redact(overflow) },
        attempts: 1,
        cached: false,
      };
    }
  }
}
