import type { BaseMessageLike } from "@langchain/core/messages";
import { ChatOpenAICompletions, wrapOpenAIClientError } from "@langchain/openai";
import type { ChatMessage } from "../sim/core/minds.js";

type Request = Parameters<ChatOpenAICompletions["completionWithRetry"]>[0];
type Options = Parameters<ChatOpenAICompletions["completionWithRetry"]>[1];

/**
 * LangChain's chat completions, except that json_schema answers come back as text. LangChain sends
 * those requests through the OpenAI SDK's `parse`, which throws on an answer cut at max_tokens or
 * one that is not JSON; for Agora such an answer is data to record and count as unusable (the
 * scenario reads the JSON itself), not a failed call.
 */
export class TextChatCompletions extends ChatOpenAICompletions {
  // @ts-expect-error one implementation for both of the base method's overloads (streaming or not)
  override async completionWithRetry(request: Request, requestOptions?: Options) {
    const format = (request as { response_format?: { type?: string } }).response_format;
    if (request.stream || format?.type !== "json_schema")
      return super.completionWithRetry(request as never, requestOptions);
    const { maxRetries, ...sdkOptions } = requestOptions ?? {};
    const clientOptions = this._getClientOptions(sdkOptions);
    return this.caller.callWithOptions({ maxRetries }, async () => {
      try {
        return await this.client.chat.completions.create(request, clientOptions);
      } catch (error) {
        throw wrapOpenAIClientError(error);
      }
    });
  }
}

export function langChainMessages(messages: readonly ChatMessage[]): BaseMessageLike[] {
  return messages.map((m) => ({ role: m.role, content: m.content }));
}
