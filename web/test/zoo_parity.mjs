// The zoo parity check of a model loaded with `loadModel`, shared by the Node test
// (zoo.test.mjs) and the Chromium page (zoo.html): evaluates a golden's rows (and its NaN
// rows) and compares every output with scikit-learn's recorded one within the model's
// bound (scripts/test/edge_zoo_models.json). Returns the problems found (empty = parity).

/** The float64 values of a golden array (`{dtype: "<f8", shape, data: base64}`). */
export function f64Array(array) {
  if (array.dtype !== "<f8") throw new Error(`dtype ${array.dtype}, expected <f8`);
  const text = atob(array.data);
  const view = new DataView(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) view.setUint8(i, text.charCodeAt(i));
  const out = new Float64Array(text.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return { shape: array.shape, values: out };
}

const bitsOf = (x) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x, true);
  return view.getBigUint64(0, true);
};

/** Units in the last place between two float64s (Infinity across a sign change). */
function ulps(a, b) {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  if (Math.sign(a) !== Math.sign(b)) return Infinity;
  const d = bitsOf(a) - bitsOf(b);
  return Number(d < 0n ? -d : d);
}

function holds(bound, ours, theirs) {
  if (bound === undefined || bound === "exact") return bitsOf(ours) === bitsOf(theirs);
  if (bound.ulps !== undefined)
    return ulps(ours, theirs) <= bound.ulps || Math.abs(ours - theirs) <= (bound.absolute ?? -1);
  if (bound.relative !== undefined)
    return Math.abs(ours - theirs) <= bound.relative * Math.max(1, Math.abs(theirs));
  throw new Error(`unknown bound ${JSON.stringify(bound)}`);
}

/** Compares one output set; pushes at most a few problems, counts exact values. */
function compareFloats(what, bound, ours, theirs, problems, counts) {
  if (ours.length !== theirs.length) {
    problems.push(`${what}: ${ours.length} values, golden has ${theirs.length}`);
    return;
  }
  let bad = 0;
  for (let i = 0; i < theirs.length; i++) {
    counts.values++;
    if (bitsOf(ours[i]) === bitsOf(theirs[i])) counts.exact++;
    if (!holds(bound, ours[i], theirs[i]) && bad++ < 3)
      problems.push(`${what}[${i}]: ${ours[i]} vs scikit-learn's ${theirs[i]} (bound ${JSON.stringify(bound ?? "exact")})`);
  }
  if (bad > 3) problems.push(`${what}: ${bad} values out of bound in all`);
}

function compareLabels(what, ours, theirs, problems) {
  if (ours.length !== theirs.length) {
    problems.push(`${what}: ${ours.length} labels, golden has ${theirs.length}`);
    return;
  }
  const bad = theirs.flatMap((label, i) => (ours[i] === label ? [] : [i]));
  if (bad.length) problems.push(`${what}: ${bad.length} labels differ, first row ${bad[0]}: ${ours[bad[0]]} vs ${theirs[bad[0]]}`);
}

/**
 * Checks `model` (from loadModel) against `golden` with `spec` ({predict, predict_proba}
 * bounds) on at most `maxRows` rows; `{problems, values, exact}`.
 */
export function checkModel(model, golden, spec, maxRows) {
  const problems = [];
  const counts = { values: 0, exact: 0 };
  const info = model.info();
  const classifier = info.classes.length > 0;
  const X = f64Array(golden.X);
  const [nAll, width] = X.shape;
  if (width !== info.features.length) problems.push(`golden rows have ${width} columns, model takes ${info.features.length}`);
  const n = Math.min(nAll, maxRows);
  const rows = X.values.subarray(0, n * width);
  const sets = [{ what: "X", rows, n, predict: golden.predict, proba: golden.predict_proba }];
  if (golden.X_nan && golden.nan_outputs) {
    const Xn = f64Array(golden.X_nan);
    sets.push({ what: "X_nan", rows: Xn.values, n: Xn.shape[0], predict: golden.nan_outputs.predict, proba: golden.nan_outputs.predict_proba });
  } else if (golden.X_nan && golden.nan_rejected) {
    const Xn = f64Array(golden.X_nan);
    try {
      model.predictRows(Xn.values, Xn.shape[0]);
      problems.push("X_nan: predicted, but scikit-learn refuses NaN here");
    } catch (err) {
      if (!(err instanceof Error) || !/missing/.test(err.message)) problems.push(`X_nan: unexpected error ${err}`);
    }
  }
  for (const set of sets) {
    const got = model.predictRows(set.rows, set.n);
    if (classifier) {
      if (!Array.isArray(got)) problems.push(`${set.what}: predictRows of a classifier is not an Array`);
      try {
        model.predictValue(set.rows.subarray(0, width));
        problems.push(`${set.what}: predictValue answered for a classifier`);
      } catch (err) {
        if (!(err instanceof Error) || !/is a classifier/.test(err.message)) problems.push(`${set.what}: predictValue: unexpected error ${err}`);
      }
      compareLabels(`${set.what} predict`, Array.from(got), set.predict.slice(0, set.n), problems);
      const viaPayload = model.predict(Array.from({ length: set.n }, (_, i) => Array.from(set.rows.subarray(i * width, (i + 1) * width), (v) => (Number.isNaN(v) ? null : v))));
      compareLabels(`${set.what} predict(payload)`, viaPayload.prediction, set.predict.slice(0, set.n), problems);
      if (set.proba) {
        const k = info.classes.length;
        const theirs = f64Array(set.proba).values.subarray(0, set.n * k);
        const proba = model.predictProba(set.rows, set.n);
        if (!(proba instanceof Float64Array)) problems.push(`${set.what}: predictProba is not a Float64Array`);
        compareFloats(`${set.what} predict_proba`, spec.predict_proba, proba, theirs, problems, counts);
      }
    } else {
      if (!(got instanceof Float64Array)) problems.push(`${set.what}: predictRows of a regressor is not a Float64Array`);
      const theirs = f64Array(set.predict).values.subarray(0, set.n);
      compareFloats(`${set.what} predict`, spec.predict, got, theirs, problems, counts);
      const oneByOne = Float64Array.from({ length: set.n }, (_, i) => model.predictValue(set.rows.subarray(i * width, (i + 1) * width)));
      const bits = (a) => new BigUint64Array(a.buffer, a.byteOffset, a.length);
      const bad = bits(oneByOne).findIndex((b, i) => b !== bits(got)[i]);
      if (bad >= 0) problems.push(`${set.what}: predictValue of row ${bad} is ${oneByOne[bad]}, predictRows' ${got[bad]}`);
    }
  }
  return { problems, ...counts };
}
