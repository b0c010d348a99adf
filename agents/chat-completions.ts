import type { BaseMessageLike } from "@langchain/core/messages";
import { ChatOpenAICompletions, wrapOpenAIClientError } from "@langchain/openai";
import type { ChatMessage } from "../sim/core/minds.js";

type Request = Parameters<ChatOpenAICompletions["completionWithRetry"]>[0];
type Options = Parameters<ChatOpenAICompletions["completionWithRetry"]>[1];

/**
 * LangChain's chat completions, with two changes to how a request is sent (never to what is sent).
 * json_schema answers come back as text: LangChain sends those requests through the OpenAI SDK's
 * `parse`, which throws on an answer cut at max_tokens or one that is not JSON; for Agora such an
 * answer is data to record and count as unusable (the scenario reads the JSON itself), not a
 * failed call. And a request goes to the SDK client directly, not through LangChain's AsyncCaller
 * (a p-queue and a p-retry around every call): Agora limits concurrency and retries itself
 * (maxRetries is 0 here), so those would only add CPU time to every call.
 */
export class TextChatCompletions extends ChatOpenAICompletions {
  // @ts-expect-error one implementation for both of the base method's overloads (streaming or not)
  override async completionWithRetry(request: Request, requestOptions?: Options) {
    if (request.stream) return super.completionWithRetry(request as never, requestOptions);
    const { maxRetries: _maxRetries, ...sdkOptions } = requestOptions ?? {};
    // Builds the client on the first call, so before `this.client` is read.
    const clientOptions = this._getClientOptions(sdkOptions);
    try {
      return await this.client.chat.completions.create(request, clientOptions);
    } catch (error) {
      throw wrapOpenAIClientError(error);
    }
  }
}

export function langChainMessages(messages: readonly ChatMessage[]): BaseMessageLike[] {
  return messages.map((m) => ({ role: m.role, content: m.content }));
}
