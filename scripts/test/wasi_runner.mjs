// Runs a wasm32-wasip1 test binary under Node's built-in WASI: cargo's runner for that
// target in scripts/test/wasm_simd.sh (usage: node wasi_test_runner.mjs FILE.wasm [ARGS...]).
import { readFile } from "node:fs/promises";
import { argv, env, exit } from "node:process";
import { WASI } from "node:wasi";

const [file, ...args] = argv.slice(2);
if (!file) {
  console.error("usage: node wasi_test_runner.mjs FILE.wasm [ARGS...]");
  exit(2);
}
const wasi = new WASI({
  version: "preview1",
  args: [file, ...args],
  env,
  preopens: { ".": "." },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
// A panic aborts (wasm has no unwinding): the trap rejects this await and Node exits 1.
exit(wasi.start(instance));
