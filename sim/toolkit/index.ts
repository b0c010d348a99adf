/**
 * The scenario toolkit: selection, answer reading, small statistics and network metrics shared by
 * scenarios. Imports only sim/core.
 */
export {
  select,
  selectionRule,
  updateRuleSchema,
  type SelectionInput,
  type SelectionOutcome,
  type SelectionRule,
  type UpdateRule,
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
  roundHalfEven,
  sd,
  type BootstrapOptions,
} from "./stats.js";
export {
  assortment,
  clusters,
  distancesFrom,
  HopDistances,
  pearson,
  valueByDegree,
  type DegreeClass,
  type NodeValues,
  type ValueByDegree,
} from "./network-metrics.js";
export { askUntilUsable, CONTEXT_EXCEEDED, type Unusable } from "./ask.js";
