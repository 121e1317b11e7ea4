// The tree-ensemble suite of scripts/bench_zoo.sh in Node: the browser module (web/pkg, built by
// scripts/build/web.sh with simd128) loads each model file of DIR at run time (`loadModel`) and is
// timed as predictor/benches/suite.rs times the native core: one row per call and the whole batch,
// process CPU time, medians. Regressors: predictValue for one row, predictRows for the batch;
// classifiers: predictProba (the labels, read once with predictRows, are compared but not timed).
// Answers go to DIR/out/<model>.wasm.*.f64.
// usage: node --no-liftoff scripts/bench/suite_web.mjs DIR [--quick]   (SUITE_MODELS=a,b limits the models)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initSync, loadModel } from "../../web/pkg/predictor.js";

initSync({ module: readFileSync(new URL("../../web/pkg/predictor_bg.wasm", import.meta.url)) });
const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/bench/suite_web.mjs DIR [--quick]");
  process.exit(2);
}
const quick = process.argv.includes("--quick");
const only = (process.env.SUITE_MODELS || "").split(",").filter(Boolean);
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
};
const cpuMedian = (fn, calls, repeats) => {
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = cpuNs();
    for (let i = 0; i < calls; i++) fn();
    times.push((cpuNs() - t0) / calls);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
};
const writeF64 = (path, values) => writeFileSync(path, Buffer.from(new Float64Array(values).buffer));

for (const m of manifest.models) {
  if (only.length && !only.includes(m.name)) continue;
  const t0 = performance.now();
  const model = loadModel(readFileSync(join(dir, `${m.name}.model.json`)));
  const loadMs = performance.now() - t0;
  const raw = readFileSync(join(dir, `rows.${m.data}.f64`));
  const rows = new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8);
  const width = m.n_features;
  const nRows = rows.length / width;
  const one = rows.slice(0, width);
  const run = m.classifier ? (x, n) => model.predictProba(x, n) : (x, n) => model.predictRows(x, n);
  const runOne = m.classifier ? (x) => model.predictProba(x, 1)[0] : (x) => model.predictValue(x);
  let sink = 0;
  runOne(one);
  const oneRowNs = cpuMedian(() => { sink += runOne(one); }, quick ? 200 : 2000, quick ? 5 : 9);
  const batchNs = cpuMedian(() => { sink += run(rows, nRows)[0]; }, 1, quick ? 3 : 5);
  const out = join(dir, "out", `${m.name}.wasm`);
  if (m.classifier) {
    writeF64(`${out}.values.f64`, model.predictProba(rows, nRows));
    writeF64(`${out}.labels.f64`, model.predictRows(rows, nRows));
  } else {
    writeF64(`${out}.values.f64`, model.predictRows(rows, nRows));
  }
  model.free();
  console.log(JSON.stringify({
    model: m.name,
    engine: "wasm",
    one_row_ns: oneRowNs,
    batch_ns_per_row: batchNs / nRows,
    load_ms: loadMs,
    note: `${m.classifier ? "Model.predictProba" : "Model.predictValue (1 row), Model.predictRows"} in Node ${process.version} (simd128, --no-liftoff)`,
    checksum: sink,
  }));
}
