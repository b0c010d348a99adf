import Mustache from "mustache";

/** Renders a scenario's Mustache prompt template. Prompts are plain text: no HTML escaping. */
export const renderTemplate = (template: string, view: object): string =>
  Mustache.render(template, view, {}, { escape: (s: string) => s });
