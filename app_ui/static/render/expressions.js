/* The JSON expression language of display conditions and calculations, as the server evaluates it
 * (server/metadata/expressions.py): tests/vectors/expressions.json holds the cases both must agree on.
 *
 *   {"eq": {"sex": "female"}}   {"in": {"risk_level": ["high", "medium"]}}   {"gt": {"age": 14}}
 *   {"and": [expr, ...]}   {"or": [expr, ...]}   {"not": expr}
 *   {"sum": ["field_a", "field_b", 2, {"avg": [...]}]}   {"avg": [...]}
 *
 * Values compare as JSON values (true is not 1; 1 is 1.0), texts by code point; a missing field is null.
 * An ES module, so strict mode; no dependencies, served as is. */

const COMPARISONS = ["eq", "gt", "ge", "lt", "le", "in"];
const ORDERINGS = ["gt", "ge", "lt", "le"];
const AGGREGATES = ["sum", "avg"];
const MAX_DEPTH = 20;

/** An expression that does not follow the grammar; `code` names the rule (the server's codes). */
export class ExpressionError extends Error {
  constructor(code, params) {
    super(code);
    this.name = "ExpressionError";
    this.code = code;
    this.params = params || {};
  }
}

/** A JSON object (not an array, not null). */
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first key of an object without building the array of its keys (evaluation runs on every keystroke). */
function firstKey(object) {
  for (const key in object) return key;
  return undefined;
}

/** Whether an object has exactly one key (the shape of an expression and of a comparison). */
function hasOneKey(value) {
  return isObject(value) && Object.keys(value).length === 1;
}

/** The field names an expression reads, in the server's order; ExpressionError when it breaks the grammar. */
export function referencedFields(expression) {
  const fields = [];
  collectFields(expression, 0, fields);
  return fields;
}

/** Walk the grammar as the server's referenced_fields does: same checks in the same order, so the same code. */
function collectFields(expression, depth, fields) {
  if (depth > MAX_DEPTH) throw new ExpressionError("expression_too_deep", {limit: MAX_DEPTH});
  if (!hasOneKey(expression)) throw new ExpressionError("expression_shape");
  const operator = firstKey(expression);
  const operand = expression[operator];
  if (COMPARISONS.includes(operator)) {
    if (!hasOneKey(operand)) throw new ExpressionError("comparison_shape", {operator});
    const name = firstKey(operand);
    const value = operand[name];
    if (operator === "in" && !Array.isArray(value)) throw new ExpressionError("in_needs_list");
    if (ORDERINGS.includes(operator) && typeof value !== "number" && typeof value !== "string") {
      throw new ExpressionError("comparison_value", {operator});
    }
    fields.push(name);
  } else if (operator === "and" || operator === "or") {
    if (!Array.isArray(operand) || !operand.length) throw new ExpressionError("logical_needs_list", {operator});
    for (const part of operand) collectFields(part, depth + 1, fields);
  } else if (operator === "not") {
    collectFields(operand, depth + 1, fields);
  } else if (AGGREGATES.includes(operator)) {
    if (!Array.isArray(operand) || !operand.length) throw new ExpressionError("aggregate_needs_list", {operator});
    for (const part of operand) {
      if (typeof part === "string") {
        fields.push(part);
      } else if (isObject(part)) {
        // One key first: the order of several keys differs between languages ("1" comes first here).
        if (hasOneKey(part) && !AGGREGATES.includes(firstKey(part))) throw new ExpressionError("aggregate_operand", {operator});
        collectFields(part, depth + 1, fields);
      } else if (typeof part !== "number") {
        throw new ExpressionError("aggregate_operand", {operator});
      }
    }
  } else {
    throw new ExpressionError("unknown_operator", {operator});
  }
}

/** Whether an expression computes a number (sum/avg) rather than a truth value. */
export function isCalculation(expression) {
  return hasOneKey(expression) && AGGREGATES.includes(firstKey(expression));
}

/** Compare as JSON does (and JSON Schema's const/enum): a boolean never equals a number, objects by key set. */
export function jsonEqual(left, right) {
  if (left === right) return true;
  if (typeof left !== "object" || typeof right !== "object" || left === null || right === null) return false;
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) if (!jsonEqual(left[i], right[i])) return false;
    return true;
  }
  let size = 0;
  for (const key in left) {
    if (!Object.hasOwn(right, key) || !jsonEqual(left[key], right[key])) return false;
    size++;
  }
  return size === Object.keys(right).length;
}

/** A field's value, null when missing: an own property only, so "constructor" never reads Object.prototype. */
function fieldValue(data, name) {
  return Object.hasOwn(data, name) ? data[name] : null;
}

/** A UTF-16 code unit ranked so that units compare as the code points they belong to (surrogates last). */
function codePointRank(unit) {
  if (unit < 0xD800) return unit;
  return unit < 0xE000 ? unit + 0x2000 : unit - 0x800;
}

/** Texts compared by code point, as Python does (JS's `<` compares UTF-16 units: "\uFFFF" < "\u{1F600}" differ). */
function compareTexts(left, right) {
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const a = left.charCodeAt(i);
    const b = right.charCodeAt(i);
    if (a !== b) return codePointRank(a) - codePointRank(b);
  }
  return left.length - right.length;
}

/** Whether `value` equals one of `choices` (no array built: this runs per keystroke). */
function isOneOf(value, choices) {
  for (let i = 0; i < choices.length; i++) if (jsonEqual(value, choices[i])) return true;
  return false;
}

/** Whether a field's value satisfies a comparison: eq and in look inside a list value, orderings never do. */
function compare(operator, actual, expected) {
  if (operator === "eq") {
    if (jsonEqual(actual, expected)) return true;
    return Array.isArray(actual) && isOneOf(expected, actual);
  }
  if (operator === "in") {
    if (!Array.isArray(actual)) return isOneOf(actual, expected);
    for (let i = 0; i < actual.length; i++) if (isOneOf(actual[i], expected)) return true;
    return false;
  }
  // Only a number against a number or a text against a text has an order; anything else is never true.
  if (typeof actual !== typeof expected || (typeof actual !== "number" && typeof actual !== "string")) return false;
  const order = typeof actual === "string" ? compareTexts(actual, expected)
    : (actual < expected ? -1 : actual > expected ? 1 : 0);
  if (operator === "gt") return order > 0;
  if (operator === "ge") return order >= 0;
  if (operator === "lt") return order < 0;
  return order <= 0;
}

/** Evaluate a condition (-> boolean) or a calculation (-> number or null) over record data. */
export function evaluate(expression, data) {
  const operator = firstKey(expression);
  const operand = expression[operator];
  if (COMPARISONS.includes(operator)) {
    const name = firstKey(operand);
    return compare(operator, fieldValue(data, name), operand[name]);
  }
  if (operator === "and") {
    for (let i = 0; i < operand.length; i++) if (!evaluate(operand[i], data)) return false;
    return true;
  }
  if (operator === "or") {
    for (let i = 0; i < operand.length; i++) if (evaluate(operand[i], data)) return true;
    return false;
  }
  if (operator === "not") return !evaluate(operand, data);
  // Added left to right, as the server adds them, so both give the same double.
  let total = 0;
  let count = 0;
  for (let i = 0; i < operand.length; i++) {
    const value = operandValue(operand[i], data);
    if (value !== null) {
      total += value;
      count++;
    }
  }
  if (!count) return null;
  return operator === "sum" ? total : total / count;
}

/** An aggregate's operand as a number, null when it is not one (booleans, texts, null, missing). */
function operandValue(part, data) {
  let value = part;
  if (typeof part === "string") value = fieldValue(data, part);
  else if (isObject(part)) value = evaluate(part, data);
  return typeof value === "number" ? value : null;
}
