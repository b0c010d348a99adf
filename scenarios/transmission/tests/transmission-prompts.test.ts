import { describe, expect, it } from "vitest";
import { buildPrompt, pythonListRepr, pythonRepr } from "../prompts.js";
import { PERSONAS } from "../personas.js";
import { INITIAL_PROMPTS, LAYOUTS, TRANSFORMATIONS } from "../transformations.js";

const texts = (...ts: string[]) => ts.map((text, i) => ({ number: i + 1, text, own: false }));

describe("Python repr, as LLM-Culture's str(list) shows stories", () => {
  it("quotes like Python 3: single quotes, double quotes when the text has ' but no \"", () => {
    expect(pythonRepr("plain")).toBe("'plain'");
    expect(pythonRepr("don't")).toBe(`"don't"`);
    expect(pythonRepr(`both ' and "`)).toBe(`'both \\' and "'`);
  });

  it("escapes backslashes, newlines, tabs and control characters; keeps other Unicode", () => {
    expect(pythonRepr("a\\b\nc\td\r\u0001")).toBe("'a\\\\b\\nc\\td\\r\\x01'");
    expect(pythonRepr("café — “quoted”")).toBe("'café — “quoted”'");
    expect(pythonRepr("zero\u200bwidth")).toBe("'zero\\u200bwidth'");
  });

  it("joins items with ', ' in brackets", () => {
    expect(pythonListRepr(["0: a", "1: b's"])).toBe(`['0: a', "1: b's"]`);
  });
});

describe("layouts", () => {
  it("llm-culture: personality + newline + instruction + str([...]) exactly as LLM-Culture's Agent.update_prompt", () => {
    const prompt = buildPrompt(LAYOUTS["llm-culture"]!, {
      persona: PERSONAS.empty!,
      instruction: TRANSFORMATIONS.combine!,
      texts: texts("Once upon a time.\n\nThe end.", "A fox's tale."),
    });
    expect(prompt).toBe(
      " \nYou will receive stories. Pick the two stories you prefer, and create a story that is combination of these two stories. Just output your story, don't write anything else." +
        `['0: Once upon a time.\\n\\nThe end.', "1: A fox's tale."]`,
    );
  });

  it("llm-culture without texts is personality + newline + initial prompt", () => {
    expect(
      buildPrompt(LAYOUTS["llm-culture"]!, {
        persona: " ",
        instruction: INITIAL_PROMPTS.story!,
        texts: [],
      }),
    ).toBe(" \nCreate a story. Just output the story, nothing else.");
  });

  it("agora: persona paragraph, instruction, then numbered texts with the own text labelled", () => {
    const prompt = buildPrompt(LAYOUTS.agora!, {
      persona: "You are brave.",
      instruction: "Combine these {{count}} texts.",
      texts: [
        { number: 1, text: "Mine.", own: true },
        ...texts("Theirs.").map((t) => ({ ...t, number: 2 })),
      ],
    });
    expect(prompt).toBe(
      "You are brave.\n\nCombine these 2 texts.\n\nYour previous text:\nMine.\n\nText 2:\nTheirs.\n",
    );
  });

  it("agora without persona or texts is the instruction alone", () => {
    expect(
      buildPrompt(LAYOUTS.agora!, { persona: "", instruction: "Tell me a story.", texts: [] }),
    ).toBe("Tell me a story.\n");
  });

  it("does not HTML-escape texts", () => {
    expect(
      buildPrompt(LAYOUTS.agora!, { persona: "", instruction: "Go.", texts: texts("<b>&'\"</b>") }),
    ).toContain("<b>&'\"</b>");
  });
});

describe("the transformation library", () => {
  it("has every transformation the issue lists, and LLM-Culture's texts verbatim where it has them", () => {
    expect(Object.keys(TRANSFORMATIONS)).toEqual(
      expect.arrayContaining([
        "combine",
        "minor-changes",
        "repeat",
        "rephrase",
        "continue",
        "inspiration",
        "maximise-difference",
      ]),
    );
    expect(TRANSFORMATIONS.repeat).toBe(
      "You will receive stories. Select only one of these stories, and repeat it. Just output the story, don't write anything else.",
    );
    expect(TRANSFORMATIONS["maximise-difference"]).toBe(
      "You will receive stories. Create a story that is as different as possible from the stories you received. Just output your story, nothing else.",
    );
    expect(PERSONAS.creative).toBe(
      "For what follows, pretend that you are a very creative person.",
    );
  });
});
