/**
 * The scenario toolkit: selection, answer reading and small statistics shared by scenarios. Imports
 * only sim/core.
 */
export {
  select,
  type SelectionInput,
  type SelectionOutcome,
  type SelectionRule,
} from "./selection.js";
export {
  jsonObject,
  labelPattern,
  labelSource,
  quoteReply,
  readAmount,
  readFixed,
  splitAtLastLabel,
  stripLeadingLabel,
  wholeJsonObject,
  type AmountOptions,
  type AmountReading,
  type LabelOptions,
} from "./answers.js";
export {
  BOOTSTRAP_RESAMPLES,
  CONFIDENCE,
  bootstrapMeanCI,
  gini,
  mean,
  percentileInterval,
  quantile,
  resampledMean,
  sd,
  type BootstrapOptions,
} from "./stats.js";
export { askUntilUsable, CONTEXT_EXCEEDED, type Unusable } from "./ask.js";
