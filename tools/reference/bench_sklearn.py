# Times scikit-learn 0.20.3 predict and the original in-process pipeline (the baseline numbers of
# shared/REFERENCE.md); run by scripts/bench/sklearn.sh in the original stack's venv.
"""Prints machine info and machine-readable lines (median wall time):
sklearn one_row_us=..  sklearn batch_100k_ns_per_row=..  original_pipeline_one_row_us=..
original_model_load_ms=.. (the original loads the model on every request), then the same
medians in CPU time. BENCH_QUICK=1 runs fewer repetitions.
"""
import json
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.externals import joblib
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.environ.get("MODEL_PATH", os.path.join(ROOT, "model_data", "boston_housing_prediction.joblib"))
QUICK = os.environ.get("BENCH_QUICK") == "1"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


CPU = {}


def timed(fn, reps, key):
    """Median wall seconds of fn() over reps runs; the median CPU seconds go to CPU[key]
    (CPU time is what to compare when other processes compete for the cores)."""
    out, cpu = [], []
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[key] = statistics.median(cpu)
    return statistics.median(out)


def main():
    warnings.simplefilter("ignore")
    clf = joblib.load(MODEL)
    with open(os.path.join(ROOT, "tools", "boston_scaler.json")) as f:
        sc = json.load(f)
    mean = np.array(sc["mean"])
    scale = np.array(sc["scale"])
    data = np.loadtxt(os.path.join(ROOT, "model_data", "housing.csv"))[:, [3, 5, 9, 10, 11, 12]]
    rng = np.random.RandomState(1)

    print("machine: nproc=%d cpu=%r loadavg=%s python=%s sklearn=%s numpy=%s pandas=%s" % (
        os.cpu_count(), cpu_model(), " ".join("%.2f" % v for v in os.getloadavg()),
        platform.python_version(), sklearn.__version__, np.__version__, pd.__version__))
    print("command: %s" % " ".join([os.path.basename(sys.executable)] + sys.argv))

    one = (data[:1] - mean) / scale
    for _ in range(200):
        clf.predict(one)
    one_s = timed(lambda: clf.predict(one), 500 if QUICK else 5000, "one")
    print("sklearn one_row_us=%.1f" % (one_s * 1e6))

    big = (data[rng.randint(0, len(data), 100000)] * rng.uniform(0.9, 1.1, (100000, 6)) - mean) / scale
    clf.predict(big)
    big_s = timed(lambda: clf.predict(big), 3 if QUICK else 7, "big")
    print("sklearn batch_100k_ns_per_row=%.0f" % (big_s / 100000 * 1e9))

    payload = {"CHAS": {"0": 0}, "RM": {"0": 6.575}, "TAX": {"0": 296.0}, "PTRATIO": {"0": 15.3},
               "B": {"0": 396.9}, "LSTAT": {"0": 4.98}}

    def pipeline():
        df = pd.DataFrame(payload)
        z = StandardScaler().fit(df.astype(float)).transform(df.astype(float))
        return list(clf.predict(z))

    assert pipeline() == [20.35373177134412]
    for _ in range(50):
        pipeline()
    pipe_s = timed(pipeline, 200 if QUICK else 2000, "pipe")
    print("original_pipeline_one_row_us=%.0f" % (pipe_s * 1e6))
    load_s = timed(lambda: joblib.load(MODEL), 5 if QUICK else 30, "load")
    print("original_model_load_ms=%.2f" % (load_s * 1e3))
    print("cpu_time sklearn one_row_us=%.1f batch_100k_ns_per_row=%.0f original_pipeline_one_row_us=%.0f "
          "original_model_load_ms=%.2f" % (CPU["one"] * 1e6, CPU["big"] / 100000 * 1e9, CPU["pipe"] * 1e6,
                                           CPU["load"] * 1e3))


if __name__ == "__main__":
    main()
