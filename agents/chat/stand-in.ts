import type { MindCallRequest } from "../../sim/core/minds.js";
import { promptText, roughTokens, type ChatModel } from "./model.js";

/**
 * A dry run's model: a policy answers, nothing is sent or cached. Tokens in are the prompt's
 * characters / 4; tokens out the profile's maxTokens (an upper bound), else the stand-in's reply
 * length (a lower bound: models write more than policies).
 */
export function standIn(
  answer: (call: MindCallRequest) => Promise<string>,
  maxTokens: number | undefined,
): ChatModel {
  return {
    async complete(request) {
      const text = await answer(request.call);
      return {
        text,
        tokensIn: roughTokens(promptText(request.messages)),
        tokensOut: maxTokens ?? roughTokens(text),
        finishReason: "stop",
        attempts: 0,
        cached: false,
      };
    },
  };
}
