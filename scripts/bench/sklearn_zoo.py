# scikit-learn's own predict on the zoo models of one line, timed as predictor/benches/zoo.rs times
# this project (process CPU time, one row and 10,000 rows); run by scripts/bench/zoo.sh in that line's env.
"""usage: sklearn_zoo.py LINE_DIR [--quick] -> one JSON object per model on stdout"""
import base64
import json
import os
import statistics
import sys
import time
import warnings

import joblib
import numpy as np

BATCH_ROWS = 10_000


def rows(doc):
    raw = base64.b64decode(doc["data"])
    return np.frombuffer(raw, dtype=np.dtype(doc["dtype"])).reshape(doc["shape"]).copy()


def cpu_median(fn, calls, repeats):
    """Median over `repeats` of the process CPU time of `calls` calls, per call (ns)."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time_ns()
        for _ in range(calls):
            fn()
        times.append((time.process_time_ns() - t0) / calls)
    return statistics.median(times)


def main():
    line_dir = sys.argv[1]
    quick = "--quick" in sys.argv[2:]
    warnings.simplefilter("ignore")
    only = [m for m in os.environ.get("ZOO_BENCH_MODELS", "").split(",") if m]
    for name in sorted(f[: -len(".golden.json")] for f in os.listdir(line_dir) if f.endswith(".golden.json")):
        if only and name not in only:
            continue
        golden = json.load(open(os.path.join(line_dir, name + ".golden.json")))
        model = joblib.load(os.path.join(line_dir, name + ".joblib"))
        x = rows(golden["X"])
        batch = np.resize(x, (BATCH_ROWS, x.shape[1]))
        if golden["fitted_on_dataframe"]:
            # Fitted on a DataFrame: that is how its users call it.
            import pandas as pd
            cols = golden["feature_names"]
            one, batch = pd.DataFrame(x[:1], columns=cols), pd.DataFrame(batch, columns=cols)
        else:
            one = x[:1]
        model.predict(one)  # warm caches and lazy imports
        one_row = cpu_median(lambda: model.predict(one), 20 if quick else 100, 5 if quick else 15)
        many = cpu_median(lambda: model.predict(batch), 1, 3 if quick else 7) / BATCH_ROWS
        print(json.dumps({"model": name, "one_row_ns": one_row, "rows_10000_ns_per_row": many}), flush=True)


if __name__ == "__main__":
    main()
