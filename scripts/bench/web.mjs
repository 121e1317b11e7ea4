// Times the browser module in Node (scripts/bench/edge.sh): predictRows on one row at a
// time and on a 100,000-row batch of the golden training rows, the same work as
// predictor/examples/rows_timing.rs natively. Prints one JSON line.
// usage: node scripts/bench/web.mjs
import { readFileSync } from "node:fs";
import { initSync, predictRows } from "../../web/pkg/predictor.js";

initSync({ module: readFileSync(new URL("../../web/pkg/predictor_bg.wasm", import.meta.url)) });
const { rows } = JSON.parse(
  readFileSync(new URL("../../model_data/golden/training.json", import.meta.url), "utf8"),
);
const flat = new Float64Array(rows.flat());
const width = 6;
const nGolden = rows.length;
const batch = new Float64Array(100_000 * width);
for (let i = 0; i < batch.length; i++) batch[i] = flat[i % flat.length];
const oneRows = Array.from({ length: nGolden }, (_, i) => flat.subarray(i * width, (i + 1) * width));

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let sink = 0;
const calls = 20_000;
const oneRow = [];
for (let rep = 0; rep < 9; rep++) {
  const start = performance.now();
  for (let i = 0; i < calls; i++) sink += predictRows(oneRows[i % nGolden], 1)[0];
  oneRow.push(((performance.now() - start) * 1e3) / calls);
}
const perRow = [];
for (let rep = 0; rep < 7; rep++) {
  const start = performance.now();
  sink += predictRows(batch, 100_000)[99_999];
  perRow.push(((performance.now() - start) * 1e6) / 100_000);
}
console.log(JSON.stringify({
  one_row_us: +median(oneRow).toFixed(4),
  batch_100k_ns_per_row: +median(perRow).toFixed(2),
  checksum: sink,
}));
