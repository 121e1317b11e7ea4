// Hostile JavaScript values (issue 14): whatever a page hands the module (getters and
// proxy traps that throw, revoked proxies, sparse arrays with huge lengths, deep nesting,
// cycles), every call throws an Error saying what is wrong, at once, and the module
// instance keeps answering: the README sample still predicts scikit-learn's bits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { initSync, predict, predictRows, loadModel } from "../pkg/predictor.js";

initSync({ module: readFileSync(new URL("../pkg/predictor_bg.wasm", import.meta.url)) });

const SAMPLE = [{ CHAS: 0, RM: 6.575, TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 4.98 }];
// golden/sample_prediction.json's value, as the native server answers it.
const SAMPLE_PREDICTION = 25.0021457871835;
const cells = { RM: 1, TAX: 1, PTRATIO: 1, B: 1, LSTAT: 1 };

const revoked = (target) => {
  const r = Proxy.revocable(target, {});
  r.revoke();
  return r.proxy;
};
const sparse = (length) => {
  const a = [];
  a.length = length;
  return a;
};
const nested = (depth) => {
  let v = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

// [what, payload, the Error's message (a RegExp)]
const HOSTILE = [
  ["a getter that throws an Error", [{ get CHAS() { throw new Error("boom"); }, ...cells }], /properties threw: boom/],
  ["a getter that throws a number", [{ get CHAS() { throw 42; }, ...cells }], /properties threw: 42/],
  ["a getter that throws an unprintable value",
    [{ get CHAS() { throw { toString() { throw new Error("no"); } }; }, ...cells }], /a value that cannot be shown/],
  ["a proxy whose traps throw", new Proxy([], { get() { throw new Error("trap"); } }), /length threw: trap/],
  ["a proxy whose ownKeys throws", new Proxy({}, { ownKeys() { throw new Error("keys"); } }), /properties threw: keys/],
  ["a revoked proxy (array)", revoked([]), /Array.isArray check threw/],
  ["a revoked proxy in a record", [revoked({})], /Array.isArray check threw/],
  ["a sparse array of length 2**32 - 1", sparse(2 ** 32 - 1), /more than 8388608 values/],
  ["a sparse array with an element at 1e8", (() => { const a = []; a[1e8] = 1; return a; })(), /more than 8388608 values/],
  ["a column of length 1e9", { CHAS: sparse(1e9), ...cells }, /more than 8388608 values/],
  ["100,000 levels of nesting", nested(100_000), /an array row needs 6 values/],
  ["a cycle", (() => { const a = {}; a.self = a; return [a]; })(), /unknown column "self"/],
  ["a Map whose entries throw", new Map([[{ toString() { throw new Error("key"); } }, 1]]), /Map entries threw/],
];

const stillWorks = (what) =>
  assert.equal(predict(SAMPLE).prediction[0], SAMPLE_PREDICTION, `after ${what}: the module still predicts`);

for (const [what, payload, message] of HOSTILE) {
  test(`predict(${what}) throws an Error and the module goes on`, { timeout: 30_000 }, () => {
    assert.throws(() => predict(payload), (err) => err instanceof Error && message.test(err.message));
    stillWorks(what);
  });
}

test("options with a throwing getter, or a proxy, throw an Error", () => {
  const options = { get scaling() { throw new Error("nope"); } };
  assert.throws(() => predict(SAMPLE, options), { name: "Error", message: "options: cannot read options.scaling" });
  assert.throws(() => predictRows(new Float64Array(6), 1, revoked({})), Error);
  stillWorks("hostile options");
});

test("a loaded model refuses hostile payloads the same way", () => {
  const model = loadModel(readFileSync(new URL("../../model_data/boston_housing.model.json", import.meta.url)));
  for (const [what, payload, message] of HOSTILE) {
    assert.throws(() => model.predict(payload), (err) => err instanceof Error && message.test(err.message), what);
  }
  assert.equal(model.predict(SAMPLE).prediction[0], SAMPLE_PREDICTION);
  model.free();
  stillWorks("the loaded model's refusals");
});

test("arguments the bindings cannot convert throw, the module goes on", () => {
  assert.throws(() => predictRows(revoked([]), 1), Error);
  assert.throws(() => loadModel(revoked(new Uint8Array(4))), Error);
  assert.throws(() => loadModel(new Uint8Array([0xff, 0xfe, 0x00])), Error);
  stillWorks("unconvertible arguments");
});
