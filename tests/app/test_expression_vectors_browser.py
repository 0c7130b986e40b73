"""The shared vectors of the expression language, run in Chromium against app_ui/static/render/expressions.js.

tests/metadata/test_expression_vectors.py runs the same file through the server's Python: the field
apps and the server agree on every vector.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

VECTORS_FILE = Path(__file__).resolve().parents[1] / "vectors" / "expressions.json"

# The vectors are parsed in the page, as the apps parse JSON: a "__proto__" key stays an own property there.
RUN_VECTORS = """async ({module, text}) => {
  const {evaluate, isCalculation, referencedFields, ExpressionError} = await import(module);
  const vectors = JSON.parse(text);
  const failures = [];
  let ran = 0;
  const attempt = (run) => {
    try {
      return run();
    } catch (error) {
      return {error: error instanceof ExpressionError ? error.code : String(error)};
    }
  };
  for (const {name, expression, data, result} of vectors.evaluate) {
    ran++;
    const actual = attempt(() => evaluate(expression, data));
    if (typeof actual !== typeof result || actual !== result) failures.push({name, expected: result, actual});
    else if (isCalculation(expression) === (typeof result === "boolean")) {
      failures.push({name, expected: "isCalculation " + (typeof result !== "boolean"), actual: "the opposite"});
    }
  }
  for (const vector of vectors.grammar) {
    ran++;
    const expected = "error" in vector ? {error: vector.error} : {fields: vector.fields};
    const actual = attempt(() => ({fields: referencedFields(vector.expression)}));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) failures.push({name: vector.name, expected, actual});
  }
  return {ran, failures};
}"""


@pytest.fixture
def page(browser, static_server):
    """A blank page of the static server's origin (a module is imported from there), not the app's own pages."""
    context = browser.new_context()
    page = context.new_page()
    blank = static_server + "/expression-vectors.html"
    page.route(blank, lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>x</title>"))
    page.goto(blank)
    yield page
    context.close()


def run_vectors(page, vectors: dict) -> dict:
    """Run vectors through the JavaScript module in the page: {"ran": count, "failures": [{name, expected, actual}]}."""
    module = page.url.rsplit("/", 1)[0] + "/render/expressions.js"
    return page.evaluate(RUN_VECTORS, {"module": module, "text": json.dumps(vectors)})


def test_javascript_gives_every_vector_result(page):
    vectors = json.loads(VECTORS_FILE.read_text("utf-8"))
    outcome = run_vectors(page, vectors)
    assert outcome["failures"] == []
    assert outcome["ran"] == len(vectors["evaluate"]) + len(vectors["grammar"])


def test_a_wrong_expectation_is_reported_by_name(page):
    vectors = json.loads(VECTORS_FILE.read_text("utf-8"))
    condition = next(vector for vector in vectors["evaluate"] if isinstance(vector["result"], bool))
    condition["result"] = not condition["result"]
    calculation = next(vector for vector in vectors["evaluate"] if isinstance(vector["result"], (int, float))
                       and not isinstance(vector["result"], bool))
    calculation["result"] += 1
    refused = next(vector for vector in vectors["grammar"] if "error" in vector)
    refused["error"] = "unknown_operator" if refused["error"] != "unknown_operator" else "expression_shape"
    listed = next(vector for vector in vectors["grammar"] if "fields" in vector)
    listed["fields"].append("another")
    outcome = run_vectors(page, vectors)
    assert sorted(failure["name"] for failure in outcome["failures"]) == sorted(
        [condition["name"], calculation["name"], refused["name"], listed["name"]])
