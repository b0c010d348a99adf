/** The scenario this folder defines: its default export is what the CLI, batch and viewer load. */
export { publicGoods as default } from "./scenario.js";
