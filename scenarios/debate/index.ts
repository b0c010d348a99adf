/** The scenario this folder defines: its default export is what the CLI and viewer load. */
export { debate as default } from "./scenario.js";
