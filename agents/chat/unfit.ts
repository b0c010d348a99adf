import type { ChatModel } from "./model.js";

/**
 * A prompt that cannot fit the model's context (see fitPrompt) is answered with that failure and
 * reaches neither the cache nor the endpoint.
 */
export function refusingUnfit(inner: ChatModel): ChatModel {
  return {
    complete(request) {
      if (request.unfit === undefined) return inner.complete(request);
      return Promise.resolve({
        text: "",
        tokensIn: 0,
        tokensOut: 0,
        finishReason: null,
        failure: { kind: "context-exceeded", message: request.unfit },
        attempts: 0,
        cached: false,
      });
    },
  };
}
