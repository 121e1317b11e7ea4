# The browser module's size budget (wasm + JS glue, gzipped), read by scripts/build/web.sh and
# enforced by scripts/test/web.sh. 80 KB held the embedded Boston model alone (73.8 KB);
# loadModel (any model file: a JSON and float parser, validation, every estimator kind)
# measured 171.9 KB with the linear regressor only, so the budget leaves room for the kinds.
# shellcheck shell=bash
WEB_BUDGET_KB=224
