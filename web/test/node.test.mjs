// The browser module in Node (run by scripts/test/web.sh, or `npm test` in web/): the
// `--target web` build loaded with initSync must give the golden bits in both scaling
// modes, and throw the same error messages the native server answers (NATIVE_URL).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { initSync, predict, predictRows, predictValue, modelInfo } from "../pkg/predictor.js";

initSync({ module: readFileSync(new URL("../pkg/predictor_bg.wasm", import.meta.url)) });

const FEATURES = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"];
const golden = (name) =>
  JSON.parse(readFileSync(new URL(`../../model_data/golden/${name}`, import.meta.url), "utf8"));

const bits = (values) => Array.from(new BigUint64Array(new Float64Array(values).buffer));

function assertBits(got, expected, what) {
  assert.equal(got.length, expected.length, `${what}: ${got.length} predictions`);
  const g = bits(got);
  const e = bits(expected);
  for (let i = 0; i < e.length; i++) {
    if (g[i] !== e[i]) assert.fail(`${what}: row ${i}: ${got[i]} != golden ${expected[i]}`);
  }
}

// The original took columns by position (pandas 0.24 sorted a list of records' keys);
// renaming each column to the feature it was fed to reproduces its arithmetic by name.
function asTheOriginalReadIt(payload, order) {
  const rename = (obj) =>
    Object.fromEntries(Object.entries(obj).map(([k, v]) => [FEATURES[order.indexOf(k)], v]));
  return Array.isArray(payload) ? payload.map(rename) : rename(payload);
}

const records = (rows) => rows.map((row) => Object.fromEntries(FEATURES.map((f, j) => [f, row[j]])));

test("modelInfo describes the embedded model", () => {
  const info = modelInfo();
  assert.equal(info.name, "boston-housing");
  assert.deepEqual(info.features, FEATURES);
  assert.deepEqual(info.scalings, ["training", "per-request"]);
  assert.equal(info.defaultScaling, "training");
});

test("the README sample in both scaling modes", () => {
  const sample = { CHAS: { 0: 0 }, RM: { 0: 6.575 }, TAX: { 0: 296.0 }, PTRATIO: { 0: 15.3 }, B: { 0: 396.9 }, LSTAT: { 0: 4.98 } };
  assertBits(predict(sample).prediction, [25.0021457871835], "default");
  assertBits(predict(sample, { scaling: "training" }).prediction, [25.0021457871835], "training");
  assertBits(predict(sample, { scaling: "per-request" }).prediction, [20.35373177134412], "per-request");
  assert.ok(Array.isArray(predict(sample).prediction), "prediction is a plain number[]");
});

test("every per-request golden case of the original service", () => {
  const { cases } = golden("per_request.json");
  assert.ok(cases.length >= 100, `${cases.length} cases`);
  for (const c of cases) {
    const payload = asTheOriginalReadIt(c.payload, c.original_column_order);
    assertBits(predict(payload, { scaling: "per-request" }).prediction, c.prediction, c.name);
  }
});

test("every training golden row: typed rows, records, one at a time", () => {
  const { features, rows, prediction, rejected_rows: rejected } = golden("training.json");
  assert.deepEqual(features, FEATURES);
  assert.ok(rows.length >= 2000, `${rows.length} rows`);
  const flat = new Float64Array(rows.flat());
  const typed = predictRows(flat, rows.length);
  assert.ok(typed instanceof Float64Array);
  assertBits(typed, prediction, "predictRows, all rows");
  assertBits(predictRows(flat, rows.length, { scaling: "training" }), prediction, "explicit training");
  assertBits(predict(records(rows)).prediction, prediction, "predict(records)");
  rows.forEach((row, i) => {
    assertBits(predictRows(new Float64Array(row), 1), [prediction[i]], `row ${i} alone`);
    assertBits([predictValue(new Float64Array(row))], [prediction[i]], `predictValue of row ${i}`);
  });
  for (const row of rejected) {
    assert.throws(() => predictRows(new Float64Array(row), 1), /overflows float32/);
    assert.throws(() => predictValue(new Float64Array(row)), /overflows float32/);
  }
});

test("per-request scaling through the typed rows matches the golden cases", () => {
  const { cases } = golden("per_request.json");
  let checked = 0;
  for (const c of cases.filter((c) => Array.isArray(c.payload))) {
    const payload = asTheOriginalReadIt(c.payload, c.original_column_order);
    const rows = payload.map((r) => FEATURES.map((f) => r[f]));
    if (!rows.flat().every((v) => typeof v === "number")) continue;
    assertBits(predictRows(new Float64Array(rows.flat()), rows.length, { scaling: "per-request" }), c.prediction, c.name);
    checked++;
  }
  assert.ok(checked >= 10, `${checked} cases`);
});

test("bad input throws an Error", () => {
  assert.throws(() => predictRows(new Float64Array(7), 1), {
    name: "Error",
    message: "1 rows of 6 values need 6 values, got 7",
  });
  assert.throws(() => predictRows(new Float64Array(6), 1, { scaling: "nope" }), /unknown scaling "nope"/);
  assert.throws(() => predictValue(new Float64Array(5)), {
    name: "Error",
    message: "1 rows of 6 values need 6 values, got 5",
  });
  assert.throws(() => predictValue(new Float64Array(6), { scaling: "nope" }), /unknown scaling "nope"/);
  assert.throws(() => predict([{ CHAS: 0 }], { scaling: 5 }), {
    name: "Error",
    message: 'options: scaling must be a string, "training" or "per-request"',
  });
  assert.throws(() => predict(undefined), {
    name: "Error",
    message: "payload is undefined; expected an object of columns or an array of records",
  });
});

// The same bad payloads POSTed to the native server: the module throws its exact message.
const BAD = [
  [{}, "training"],
  [[], "training"],
  [{ CHAS: { 0: 0 } }, "training"],
  [[{ CHAS: 0, RM: 6.5, TAX: 296, PTRATIO: 15.3, B: 396.9 }], "training"],
  [[{ CHAS: 0, RM: "six", TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 5 }], "training"],
  [[{ CHAS: 0, RM: null, TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 5 }], "per-request"],
  [[{ CHAS: 0, RM: 6.5, TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 5, AGE: 1 }], "training"],
  [{ CHAS: [0, 1], RM: [6], TAX: [1], PTRATIO: [1], B: [1], LSTAT: [1] }, "training"],
  [[{ CHAS: 0, RM: 6.5, TAX: 296, PTRATIO: 15.3, B: 1e300, LSTAT: 5 }], "training"],
  [42, "training"],
  [[{ CHAS: 0, RM: 6.5, TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 5 }], "bogus"],
  [[{ CHAS: 0, RM: [6.5, [1]], TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 5 }], "training"],
  [{ CHAS: { 0: 0 }, RM: { 0: { a: { b: 1 } } }, TAX: { 0: 1 }, PTRATIO: { 0: 1 }, B: { 0: 1 }, LSTAT: { 0: 1 } }, "training"],
  [[[0, 6.5, 296, 15.3, 396.9]], "training"],
];

// Numeric strings: the module checks Rust's float grammar and lets JS compute the value
// (src/number.rs); the server parses them in Rust. Both must agree on every one.
const NUMERIC_STRINGS = [
  "6.575", " 6.575 ", "+6.575", "6.5750000000000000000000001", "0.30000000000000004", ".5", "5.",
  "6575e-3", "6575E-3", "0.6575e+1", "1e-400", "1e400", "1.7976931348623157e308", "2.2250738585072014e-308",
  "9007199254740993", "00006.575", "-0", "inf", "-Infinity", "NaN", "nan", "", " ", ".", "e5", "1e", "1e+",
  "0x10", "1_000", "6,575", "\u0666", "\ufeff6.575", "Infinity", "6.575f", "--1",
];

test("numeric string cells read as the native server reads them", { skip: !process.env.NATIVE_URL && "NATIVE_URL is not set" }, async () => {
  let numbers = 0;
  for (const s of NUMERIC_STRINGS) {
    for (const scaling of ["training", "per-request"]) {
      const payload = [
        { CHAS: 0, RM: s, TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 4.98 },
        { CHAS: 1, RM: 7.1, TAX: 242, PTRATIO: 17.8, B: 392.8, LSTAT: 4.03 },
      ];
      const response = await fetch(`${process.env.NATIVE_URL}/predict?scaling=${scaling}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      const body = await response.json();
      if (response.status === 200) {
        assertBits(predict(payload, { scaling }).prediction, body.prediction, `${JSON.stringify(s)} ${scaling}`);
        numbers++;
      } else {
        assert.throws(() => predict(payload, { scaling }), { name: "Error", message: body.error }, JSON.stringify(s));
      }
    }
  }
  assert.ok(numbers >= 20, `${numbers} strings read as numbers`);
});

test("JavaScript values JSON has no text for", () => {
  const row = { CHAS: 0, RM: 6.575, TAX: 296, PTRATIO: 15.3, B: 396.9, LSTAT: 4.98 };
  const with_ = (cell) => [{ ...row, RM: cell }];
  assert.throws(() => predict(with_(NaN)), { message: "row 0: value for RM is not a finite number (got NaN)" });
  assert.throws(() => predict(with_(-Infinity)), { message: "row 0: value for RM is not a finite number (got -Infinity)" });
  // undefined is null, which is a missing value (the Boston model takes none).
  assert.throws(() => predict(with_(undefined)), {
    message: "row 0: value for RM is missing, and this model does not take missing values (scikit-learn refuses NaN in its input)",
  });
  assert.throws(() => predict(with_(() => 1)), { message: "payload holds a function, which JSON cannot hold" });
  assert.throws(() => predict(with_(Symbol("x"))), { message: "payload holds a symbol, which JSON cannot hold" });
  assert.throws(() => predict(with_(10n)), { message: "payload holds a bigint, which JSON cannot hold" });
  // A cyclic object is read to the depth of a cell, not forever.
  const cyclic = { CHAS: 0 };
  cyclic.RM = cyclic;
  cyclic.TAX = [cyclic, cyclic];
  assert.throws(() => predict(cyclic), { message: "column PTRATIO is missing" });
  const loop = [];
  loop.push(loop, loop);
  assert.throws(() => predict(loop), { message: /^row 0: an array row needs 6 values .*, got 2$/ });
  // Typed arrays read as arrays, Maps as objects: the same bits as the plain forms.
  const expected = predict([row]).prediction;
  const columns = Object.fromEntries(FEATURES.map((f) => [f, new Float64Array([row[f]])]));
  assertBits(predict(columns).prediction, expected, "columns as Float64Array");
  assertBits(predict([new Float64Array(FEATURES.map((f) => row[f]))]).prediction, expected, "a typed bare row");
  assertBits(predict([new Map(Object.entries(row))]).prediction, expected, "a Map record");
});

test("error messages equal the native server's", { skip: !process.env.NATIVE_URL && "NATIVE_URL is not set" }, async () => {
  for (const [payload, scaling] of BAD) {
    const response = await fetch(`${process.env.NATIVE_URL}/predict?scaling=${scaling}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    assert.ok(response.status >= 400 && response.status < 500, `${JSON.stringify(payload)}: ${response.status}`);
    const { error } = await response.json();
    assert.throws(() => predict(payload, { scaling }), { name: "Error", message: error }, JSON.stringify(payload));
  }
});
