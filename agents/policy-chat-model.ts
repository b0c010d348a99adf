import {
  BaseChatModel,
  type BaseChatModelCallOptions,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { PolicyDecide } from "../sim/core/minds.js";
import type { Rng } from "../sim/core/rng.js";

// Scenarios import it from here today.

export interface PolicyCallOptions extends BaseChatModelCallOptions {
  policyState: unknown;
  params: Record<string, unknown>;
  purpose: string;
  rng: Rng;
}

/**
 * An offline, deterministic, seeded mind behind LangChain's chat-model interface: the engine calls
 * it exactly as it calls ChatOpenAI, and it receives the simulation state through call options.
 */
export class PolicyChatModel extends BaseChatModel<PolicyCallOptions> {
  constructor(
    readonly policyName: string,
    private readonly decide: PolicyDecide,
  ) {
    super({});
  }

  override _llmType(): string {
    return "agora-policy";
  }

  override async _generate(
    _messages: BaseMessage[],
    options: this["ParsedCallOptions"],
  ): Promise<ChatResult> {
    const text = this.decide({
      purpose: options.purpose,
      state: options.policyState,
      params: options.params,
      rng: options.rng,
    });
    return { generations: [{ text, message: new AIMessage(text) }] };
  }
}
