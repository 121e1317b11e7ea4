# The commands users expect; each is one line so it can be run by hand too.
.PHONY: run test lint fmt bench bench-zoo bench-kinds build web

# Serve the embedded model on 0.0.0.0:8080.
run:
	cargo run --release -p host

# Every test: lint, Rust tests, the no_std/wasm builds, tools, edge, web, delivery, container.
test:
	bash scripts/test/all.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

build:
	cargo build --release -p host

bench:
	bash scripts/bench/core.sh

# The tree-ensemble suite (8 models trained on synthetic data) against scikit-learn, ONNX Runtime and
# treelite + tl2cgen, natively and in wasm, and the edge's per-request cost, in one run (BENCHMARKS.md).
bench-zoo:
	bash scripts/bench_zoo.sh

# Every model kind of the committed zoo against scikit-learn 1.9.1, same run (BENCHMARKS.md).
bench-kinds:
	bash scripts/bench/zoo.sh

# The browser/Node module into web/pkg/ (wasm-bindgen --target web, wasm-opt); prints its size.
web:
	bash scripts/build/web.sh
