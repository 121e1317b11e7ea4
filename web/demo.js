// The demo page's logic (web/index.html): loads the wasm module once, then predicts the
// form's house and the pasted batch locally. `?selftest` runs both for the browser test.
import init, { predict, predictRows, modelInfo } from "./pkg/predictor.js";

const $ = (id) => document.getElementById(id);

function show(output, run) {
  try {
    output.textContent = run();
    output.classList.remove("error");
  } catch (err) {
    output.textContent = err.message;
    output.classList.add("error");
  }
}

function predictForm(form) {
  const data = new FormData(form);
  const row = {};
  for (const name of ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]) {
    row[name] = Number(data.get(name));
  }
  const { prediction } = predict([row], { scaling: data.get("scaling") });
  return String(prediction[0]);
}

function predictBatch(form) {
  const data = new FormData(form);
  const payload = JSON.parse(data.get("payload"));
  const { prediction } = predict(payload, { scaling: data.get("scaling") });
  return JSON.stringify(prediction);
}

// The browser test: the form as a user would submit it, then a batch through the module
// (the batch box and the typed row API), every result written into the DOM.
function selfTest() {
  $("single").requestSubmit();
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash) {
    const rows = JSON.parse(hash);
    $("batch").elements.payload.value = JSON.stringify(
      rows.map((r) => ({ CHAS: r[0], RM: r[1], TAX: r[2], PTRATIO: r[3], B: r[4], LSTAT: r[5] })),
    );
    $("batch").requestSubmit();
    const typed = predictRows(new Float64Array(rows.flat()), rows.length);
    const out = document.createElement("pre");
    out.id = "rows-result";
    out.textContent = JSON.stringify(Array.from(typed));
    document.body.append(out);
  }
  document.body.dataset.selftest = "done";
}

async function main() {
  await init();
  const info = modelInfo();
  $("model").textContent =
    `Model ${info.name} v${info.version}: ${info.description}. Columns: ${info.features.join(", ")}.`;
  for (const [form, output, run] of [
    ["single", "result", predictForm],
    ["batch", "batch-result", predictBatch],
  ]) {
    $(form).addEventListener("submit", (event) => {
      event.preventDefault();
      show($(output), () => run($(form)));
    });
  }
  $("predict").disabled = false;
  $("predict-batch").disabled = false;
  if (new URLSearchParams(location.search).has("selftest")) selfTest();
}

main().catch((err) => {
  $("model").textContent = `could not load the model: ${err.message}`;
  $("model").classList.add("error");
  document.body.dataset.selftest = "failed";
});
