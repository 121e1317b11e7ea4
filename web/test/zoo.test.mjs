// The browser module's parity with scikit-learn in Node (run by scripts/test/web.sh):
// every zoo model listed in scripts/test/edge_zoo_models.json is loaded with loadModel
// and must give scikit-learn's recorded outputs (zoo_parity.mjs); a bad file must throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { initSync, loadModel, modelInfo } from "../pkg/predictor.js";
import { checkModel } from "./zoo_parity.mjs";

initSync({ module: readFileSync(new URL("../pkg/predictor_bg.wasm", import.meta.url)) });

const root = new URL("../../", import.meta.url);
const list = JSON.parse(readFileSync(new URL("scripts/test/edge_zoo_models.json", root), "utf8"));
const zoo = (name, ext) => readFileSync(new URL(`model_data/zoo/${name}.${ext}`, root));

for (const spec of list.models) {
  test(`loadModel(${spec.model}) gives scikit-learn's outputs`, () => {
    const model = loadModel(new Uint8Array(zoo(spec.model, "model.json")));
    const golden = JSON.parse(zoo(spec.model, "golden.json").toString("utf8"));
    const info = model.info();
    assert.deepEqual(info.classes, golden.classes ?? [], "classes");
    assert.equal(info.sklearnVersion, golden.environment.sklearn);
    const { problems, values, exact } = checkModel(model, golden, spec, list.max_rows);
    assert.deepEqual(problems, [], `${spec.model}: ${problems.join("; ")}`);
    console.log(`${spec.model}: ${info.kind}, ${values} values, ${exact} bit-exact`);
    model.free();
  });
}

test("loadModel refuses what is not a model file, with a thrown Error", () => {
  assert.throws(() => loadModel(new TextEncoder().encode("{}")), (err) => err instanceof Error && /invalid model/.test(err.message));
  assert.throws(() => loadModel(new Uint8Array([0xff, 0x00])), Error);
  const ridge = loadModel(new Uint8Array(zoo("sklearn-1.9/pipeline_standard_ridge", "model.json")));
  assert.throws(() => ridge.predictProba(new Float64Array(8), 1), /regressor/);
  assert.throws(() => ridge.predictRows(new Float64Array(7), 1), /need 8 values, got 7/);
  assert.throws(() => ridge.predictValue(new Float64Array(7)), /need 8 values, got 7/);
  assert.throws(() => ridge.predictValue(new Float64Array(8), { scaling: "nope" }), /unknown scaling "nope"/);
  assert.throws(() => ridge.predict([[1, 2, 3, 4, 5, 6, 7, 8]], { output: "predict_proba" }), {
    message: "output predict_proba needs a classifier; model pipeline_standard_ridge is a regressor",
  });
  assert.throws(() => ridge.predict([[1, 2, 3, 4, 5, 6, 7, 8]], { output: "labels" }), {
    message: 'unknown output "labels"; use predict or predict_proba',
  });
  assert.equal(ridge.predict([[1, 2, 3, 4, 5, 6, 7, 8]]).prediction.length, 1);
  assert.equal(modelInfo().name, "boston-housing", "the embedded model's functions are unchanged");
});

test("loadModel of the Boston file answers what the embedded functions answer", () => {
  const boston = loadModel(new Uint8Array(readFileSync(new URL("model_data/boston_housing.model.json", root))));
  const row = new Float64Array([0, 6.575, 296, 15.3, 396.9, 4.98]);
  assert.deepEqual(Array.from(boston.predictRows(row, 1)), [25.0021457871835]);
  assert.deepEqual(Array.from(boston.predictRows(row, 1, { scaling: "per-request" })), [20.35373177134412]);
  assert.equal(boston.predictValue(row), 25.0021457871835);
  assert.equal(boston.predictValue(row, { scaling: "per-request" }), 20.35373177134412);
  assert.equal(boston.info().kind, "gradient_boosting_regressor");
  assert.equal(boston.info().sklearnVersion, null);
});
