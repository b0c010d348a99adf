import { renderTemplate } from "../../sim/core/prompt-template.js";

/** One received text as a layout sees it. */
export interface PromptText {
  /** 1-based position in the prompt. */
  number: number;
  text: string;
  /** The agent's own previous text (socialLearning.memory). */
  own: boolean;
}

const render = renderTemplate;

/**
 * The user message: `layout` rendered with the persona, the rendered instruction and the texts.
 * `pythonList` is the texts as LLM-Culture formats them: str() of the Python list
 * ['0: text', '1: text', ...], empty when there are none.
 */
export function buildPrompt(
  layout: string,
  view: { persona: string; instruction: string; texts: readonly PromptText[] },
): string {
  const instruction = render(view.instruction, { count: view.texts.length });
  const pythonList =
    view.texts.length === 0 ? "" : pythonListRepr(view.texts.map((t, i) => `${i}: ${t.text}`));
  return render(layout, { ...view, instruction, pythonList });
}

/** Python's str() of a list of str: each item by repr(), joined by ", " in brackets. */
export function pythonListRepr(items: readonly string[]): string {
  return `[${items.map(pythonRepr).join(", ")}]`;
}

/**
 * Python 3's repr() of a str: single quotes unless the text has a single quote and no double
 * quote; backslash, the quote, \n, \r, \t escaped; other control characters as \xhh; a few
 * invisible Unicode format and separator characters as \uhhhh (all other Unicode is kept).
 */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad)
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (
      (code >= 0x200b && code <= 0x200f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      code === 0xfeff
    )
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + quote;
}
