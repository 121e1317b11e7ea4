# Generates model_data/golden/ (per_request.json, training.json) with the REAL original stack (Python 3.7,
# scikit-learn 0.20.3, the original Flask app); run by tools/reference/make_golden.sh. Deterministic.
"""Golden test cases from the original service and model.

per_request.json: payloads POSTed to the original Flask app (reference/app.py) through its
test client, with the predictions it answered (per-request scaler bug included).
training.json: rows scored by scikit-learn 0.20.3 with the recovered training scaler.

Also checks every number of shared/REFERENCE.md that this stack can reproduce, and an
independent pure-Python emulation of the per-request scaler (REFERENCE.md's pairwise-sum
arithmetic) against scikit-learn's, payload by payload; it fails loudly on any mismatch.
"""
import json
import math
import os
import random
import sys
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.externals import joblib
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "reference"))
os.environ.setdefault("MODEL_PATH", os.path.join(ROOT, "model_data", "boston_housing_prediction.joblib"))
import app as original_app  # noqa: E402  (the original Flask service)

import logging  # noqa: E402
original_app.LOG.setLevel(logging.WARNING)  # the original logs every payload; keep output readable

OUT = os.path.join(ROOT, "model_data", "golden")
MODEL_PATH = os.environ["MODEL_PATH"]
HOUSING = os.path.join(ROOT, "model_data", "housing.csv")
FEATURES = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
CSV_IDX = [3, 5, 9, 10, 11, 12]
SCALER_JSON = os.path.join(ROOT, "tools", "boston_scaler.json")
GENERATED_BY = ("tools/reference/make_golden.py (Python %s, scikit-learn %s, numpy %s, pandas %s, "
                "Flask original reference/app.py)" % (sys.version.split()[0], sklearn.__version__,
                                                      np.__version__, pd.__version__))

# Realistic ranges of the 6 features (a bit wider than housing.csv's min..max)
RANGES = {"CHAS": (0, 1), "RM": (3.5, 8.8), "TAX": (187.0, 711.0), "PTRATIO": (12.6, 22.0),
          "B": (0.32, 396.9), "LSTAT": (1.73, 37.97)}


def fail(msg):
    print("make_golden.py: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def check_equal(what, got, want):
    if list(map(float, got)) != list(map(float, want)):
        fail("%s: got %r, REFERENCE.md says %r" % (what, list(got), list(want)))
    print("ok: %s" % what, file=sys.stderr)


# ---------------------------------------------------------------------------------------
# Pure-Python emulation of the original per-request scaler (REFERENCE.md), used as a check
# ---------------------------------------------------------------------------------------

def pairwise_sum(a):
    n = len(a)
    if n < 8:
        res = 0.0
        for v in a:
            res += v
        return res
    if n <= 128:
        r = list(a[:8])
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a[:n2]) + pairwise_sum(a[n2:])


def emulate_per_request_z(columns):
    """columns: list of 6 lists of floats (rows in response order) -> z rows."""
    zs = []
    for col in columns:
        n = len(col)
        mean = (0.0 + pairwise_sum(col)) / n
        var = ((pairwise_sum([(x - mean) * (x - mean) for x in col]) / n) * n) / n
        scale = math.sqrt(var)
        if scale == 0.0:
            scale = 1.0
        zs.append([(x - mean) / scale for x in col])
    return [list(r) for r in zip(*zs)]


def to_float(v):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return float(v)


def original_column_order(payload):
    """The column order of the original's DataFrame, i.e. what the model is fed by position.

    pandas 0.24 keeps the JSON key order of a dict payload, but SORTS the keys of a list of
    records (pandas 0.25 stopped doing that), so records reach the model as
    B, CHAS, LSTAT, PTRATIO, RM, TAX whatever order the client used.
    """
    if isinstance(payload, list):
        keys = set()
        for rec in payload:
            keys.update(rec.keys())
        return sorted(keys)
    return list(payload.keys())


def payload_columns(payload):
    """The columns of a payload as floats, in the original's column order, rows in the
    order the original answers."""
    order = original_column_order(payload)
    if isinstance(payload, list):  # records
        return [[to_float(rec[c]) for rec in payload] for c in order]
    first = payload[order[0]]
    if isinstance(first, list):  # columns as lists
        return [[to_float(v) for v in payload[c]] for c in order]
    keys = sorted(set().union(*[set(payload[c].keys()) for c in order]))
    return [[to_float(payload[c][k]) for k in keys] for c in order]


# ---------------------------------------------------------------------------------------
# Payload generation
# ---------------------------------------------------------------------------------------

class Gen:
    def __init__(self, data, seed):
        self.data = data  # housing rows, 6 model columns
        self.rng = random.Random(seed)

    def housing_rows(self, n):
        return [list(map(float, self.data[self.rng.randrange(len(self.data))])) for _ in range(n)]

    def random_row(self, decimals=None):
        row = []
        for c in FEATURES:
            lo, hi = RANGES[c]
            if c == "CHAS":
                v = float(self.rng.random() < 0.1)
            else:
                v = self.rng.uniform(lo, hi)
                if decimals is not None:
                    v = round(v, decimals)
            row.append(v)
        return row

    def random_rows(self, n, decimals=None):
        return [self.random_row(decimals) for _ in range(n)]

    def mixed_rows(self, n):
        return [self.housing_rows(1)[0] if self.rng.random() < 0.5 else self.random_row(self.rng.choice([None, 2, 3]))
                for _ in range(n)]


def as_columns(rows, keys=None):
    keys = keys if keys is not None else [str(i) for i in range(len(rows))]
    return {c: {k: r[j] for k, r in zip(keys, rows)} for j, c in enumerate(FEATURES)}


def as_records(rows):
    return [{c: r[j] for j, c in enumerate(FEATURES)} for r in rows]


def as_lists(rows):
    return {c: [r[j] for r in rows] for j, c in enumerate(FEATURES)}


FORMS = {"columns": as_columns, "records": as_records, "lists": as_lists}


def json_number(v):
    """Integral floats become JSON integers sometimes, as a client would send them."""
    return int(v) if float(v).is_integer() and abs(v) < 1e15 else v


def build_cases(data):
    g = Gen(data, seed=20240601)
    cases = []

    def add(name, payload):
        cases.append({"name": name, "payload": payload})

    readme = {"CHAS": {"0": 0}, "RM": {"0": 6.575}, "TAX": {"0": 296.0}, "PTRATIO": {"0": 15.3},
              "B": {"0": 396.9}, "LSTAT": {"0": 4.98}}
    add("readme_sample", readme)
    readme_row = [0.0, 6.575, 296.0, 15.3, 396.9, 4.98]
    for n in (2, 3, 4, 7):
        add("readme_sample_x%d" % n, as_columns([list(readme_row) for _ in range(n)]))
    add("reference_rows_0_2", as_columns([list(map(float, data[i])) for i in (0, 1, 2)]))
    add("reference_10_rows", as_columns([list(map(float, data[i]))
                                         for i in (0, 57, 142, 152, 208, 254, 356, 372, 400, 505)]))

    fixed = [1, 2, 3, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 257, 300, 506]
    for n in fixed:
        add("housing_columns_n%d" % n, as_columns(g.housing_rows(n)))
    for n in fixed:
        add("random_records_n%d" % n, as_records(g.random_rows(n, decimals=g.rng.choice([None, 3]))))
    for n in fixed:
        add("mixed_lists_n%d" % n, as_lists(g.mixed_rows(n)))
    add("all_housing_columns_n506", as_columns([list(map(float, r)) for r in data]))

    # random sizes, random forms
    for i in range(30):
        n = g.rng.choice([g.rng.randint(1, 20), g.rng.randint(1, 140), g.rng.randint(1, 506)])
        form = g.rng.choice(sorted(FORMS))
        add("random_size_%s_n%d_%d" % (form, n, i), FORMS[form](g.mixed_rows(n)))

    # constant payloads: all rows identical
    for n in (2, 3, 4, 5, 8, 9, 16, 17, 130, 257):
        row = g.housing_rows(1)[0] if n % 2 else g.random_row(3)
        form = ["columns", "records", "lists"][n % 3]
        add("identical_rows_%s_n%d" % (form, n), FORMS[form]([list(row) for _ in range(n)]))
    # single constant columns
    for j, c in enumerate(FEATURES):
        for n in (3, 12, 129):
            rows = g.mixed_rows(n)
            v = rows[0][j]
            for r in rows:
                r[j] = v
            add("constant_column_%s_n%d" % (c, n), as_columns(rows))
    rows = g.mixed_rows(20)
    for r in rows:
        r[0] = 0.0
        r[2] = 666.0
    add("constant_columns_CHAS_TAX_n20", as_columns(rows))

    # row keys that sort differently as strings
    for n in (11, 13, 25, 101):
        add("numeric_keys_sort_as_strings_n%d" % n, as_columns(g.mixed_rows(n)))
    rows = g.mixed_rows(13)
    keys = [str(i) for i in range(13)]
    shuffled = list(range(13))
    g.rng.shuffle(shuffled)
    add("numeric_keys_shuffled_insertion_n13",
        {c: {keys[k]: rows[k][j] for k in shuffled} for j, c in enumerate(FEATURES)})
    add("letter_keys_a_b", as_columns(g.mixed_rows(2), keys=["a", "b"]))
    add("letter_keys_reversed", as_columns(g.mixed_rows(5), keys=["e", "d", "c", "b", "a"]))
    add("mixed_keys", as_columns(g.mixed_rows(8), keys=["b", "10", "2", "B", "a", "1", "_x", "Z"]))
    add("long_and_short_keys", as_columns(g.mixed_rows(6), keys=["row-100", "row-20", "row-3", "x", "xx", "0"]))
    rows = g.mixed_rows(9)
    keys = ["k%d" % i for i in range(9)]
    order = list(range(9))
    g.rng.shuffle(order)
    add("per_column_key_order_differs",
        {c: {keys[k]: rows[k][j] for k in (order if j % 2 else range(9))} for j, c in enumerate(FEATURES)})

    # numbers as strings, booleans, integers
    for n, form in ((1, "columns"), (3, "columns"), (10, "records"), (17, "lists"), (130, "columns")):
        rows = [[repr(v) for v in r] for r in g.mixed_rows(n)]
        add("numbers_as_strings_%s_n%d" % (form, n), FORMS[form](rows))
    rows = g.mixed_rows(12)
    rows = [[repr(v) if (i + j) % 2 else v for j, v in enumerate(r)] for i, r in enumerate(rows)]
    add("some_numbers_as_strings_columns_n12", as_columns(rows))
    add("readme_sample_strings", {c: {"0": str(v["0"])} for c, v in readme.items()})
    for n, form in ((1, "columns"), (4, "records"), (9, "columns"), (20, "lists"), (129, "records")):
        rows = g.mixed_rows(n)
        for i, r in enumerate(rows):
            r[0] = (i % 3 == 0)
        add("chas_as_booleans_%s_n%d" % (form, n), FORMS[form](rows))
    rows = g.mixed_rows(7)
    for i, r in enumerate(rows):
        r[0] = [True, 0, "1", False, 1.0, "0", True][i]
    add("chas_mixed_bool_int_string_n7", as_columns(rows))
    for n, form in ((5, "columns"), (18, "records")):
        rows = [[json_number(round(v)) for v in r] for r in g.mixed_rows(n)]
        add("integers_%s_n%d" % (form, n), FORMS[form](rows))
    add("integral_floats_as_ints_readme", {c: {"0": json_number(v["0"])} for c, v in readme.items()})

    # extreme but accepted values
    add("zeros_n4", as_columns([[0.0] * 6 for _ in range(4)]))
    add("single_row_extremes", as_columns([[1.0, 1e300, -1e300, 1e-300, 0.0, 5e-324]]))
    rows = g.mixed_rows(6)
    rows[0][2] = 1e9
    rows[1][4] = -1e6
    rows[2][1] = 1e-9
    add("outliers_n6", as_columns(rows))
    rows = g.mixed_rows(3)
    for r in rows:
        r[5] = 4.98
    rows[1][5] = float(np.nextafter(4.98, 10))
    add("one_ulp_apart_n3", as_columns(rows))
    return cases


# ---------------------------------------------------------------------------------------

def post_all(cases):
    client = original_app.app.test_client()
    n_mismatch = 0
    notes = []
    clf = joblib.load(MODEL_PATH)
    for case in cases:
        body = json.dumps(case["payload"])  # key order as built (Flask's own dumps would sort keys)
        r = client.post("/predict", data=body, content_type="application/json")
        if r.status_code != 200:
            fail("case %s: original answered %d: %s" % (case["name"], r.status_code, r.data[:300]))
        pred = json.loads(r.data.decode("utf-8"))["prediction"]
        case["prediction"] = pred
        # independent check of the documented per-request arithmetic
        cols = payload_columns(case["payload"])
        z = emulate_per_request_z(cols)
        df = pd.DataFrame(json.loads(body))
        z_sk = StandardScaler().fit(df.astype(float)).transform(df.astype(float))
        if len(pred) != len(z):
            fail("case %s: %d predictions for %d rows" % (case["name"], len(pred), len(z)))
        same_z = np.array_equal(np.array(z, dtype=np.float64), z_sk)
        emu_pred = list(clf.predict(np.array(z, dtype=np.float64)))
        if not same_z or emu_pred != pred:
            n_mismatch += 1
            notes.append(case["name"])
    return n_mismatch, notes


def load_data():
    full = np.loadtxt(HOUSING)
    if full.shape != (506, 14):
        fail("housing.csv has shape %s" % (full.shape,))
    return full


def training_scaler():
    with open(SCALER_JSON) as f:
        doc = json.load(f)
    sc = StandardScaler()
    sc.mean_ = np.array(doc["mean"], dtype=np.float64)
    sc.scale_ = np.array(doc["scale"], dtype=np.float64)
    sc.var_ = sc.scale_ ** 2
    sc.n_samples_seen_ = 404
    return sc, doc


def check_reference_facts(clf, full, sc):
    from sklearn.model_selection import train_test_split
    est = clf
    check_equal("init (mean estimator)", [est.init_.mean], [22.522524752475245])
    check_equal("n_estimators/learning_rate/max_depth", [len(est.estimators_), est.learning_rate, est.max_depth],
                [400, 0.1, 3])
    nodes = [e[0].tree_.node_count for e in est.estimators_]
    check_equal("node counts", [sum(nodes), sum((e[0].tree_.children_left != -1).sum() for e in est.estimators_)],
                [5764, 2682])
    X = full[:, CSV_IDX]
    y = full[:, 13]
    check_equal("README sample with training scaler",
                clf.predict(sc.transform(np.array([[0, 6.575, 296, 15.3, 396.9, 4.98]]))), [25.0021457871835])
    check_equal("housing rows 1..3 with training scaler", clf.predict(sc.transform(X[1:4])),
                [22.32004381268876, 35.44994977530471, 33.59861808659295])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)
    fitted = StandardScaler().fit(X_train)
    diff_ulps = [int(abs(np.float64(a).view(np.int64) - np.float64(b).view(np.int64)))
                 for a, b in zip(list(fitted.mean_) + list(fitted.scale_), list(sc.mean_) + list(sc.scale_))]
    print("info: StandardScaler refitted on X_train with numpy %s differs from REFERENCE constants "
          "by %s ulps (mean then scale)" % (np.__version__, diff_ulps), file=sys.stderr)
    p = clf.predict(sc.transform(X_test))
    rmse = float(np.sqrt(np.mean((p - y_test) ** 2)))
    from sklearn.metrics import r2_score
    check_equal("held-out RMSE / R^2", [rmse, r2_score(y_test, p)], [5.130959811906123, 0.6741991454457446])


def probe_values(thr, mean, scale):
    """Raw x values around one split threshold (see model_data/golden/README.md)."""
    out = []
    lo = np.float32(thr)
    if float(lo) > thr:
        lo = np.nextafter(lo, np.float32(-np.inf))
    hi = np.nextafter(lo, np.float32(np.inf))
    for target in (lo, hi):
        x = float(target) * scale + mean
        for _ in range(200):
            z32 = np.float32((x - mean) / scale)
            if z32 == target:
                break
            x = float(np.nextafter(x, -np.inf if z32 > target else np.inf))
        else:
            fail("no x found for float32 target %r" % float(target))
        out.append(x)
    x0 = thr * scale + mean
    out += [float(np.nextafter(x0, -np.inf)), x0, float(np.nextafter(x0, np.inf))]
    return out


def build_training(clf, full, sc):
    rng = np.random.RandomState(12345)
    X = full[:, CSV_IDX]
    mean = sc.mean_
    scale = sc.scale_
    rows = [list(map(float, r)) for r in X]
    n_housing = len(rows)
    # random realistic rows
    for _ in range(700):
        r = []
        for c in FEATURES:
            lo, hi = RANGES[c]
            r.append(float(rng.rand() < 0.1) if c == "CHAS" else float(rng.uniform(lo, hi)))
        rows.append(r)
    # housing rows perturbed
    for _ in range(300):
        r = X[rng.randint(len(X))] * rng.uniform(0.8, 1.2, 6)
        rows.append([float(v) for v in r])
    n_random = len(rows) - n_housing
    # extreme but finite values, one column at a time and all at once
    extremes = [0.0, -0.0, 1e300, -1e300, 1e-300, -1e-300, 5e-324, 1e30, -1e30, 1e38, -1e38,
                3.4e38, 1e15, -1e15, 1e9, 123456789.0, 1e6, -1e6, 2.0 ** 53, -1.0]
    for j in range(6):
        for k, v in enumerate(extremes):
            r = list(rows[(j * 31 + k * 7) % n_housing])
            r[j] = v
            rows.append(r)
    for v in extremes:
        rows.append([v] * 6)
    rows.append([1.0, 8.78, 711.0, 22.0, 396.9, 37.97])  # max corners
    rows.append([0.0, 3.561, 187.0, 12.6, 0.32, 1.73])   # min corners
    n_extreme = len(rows) - n_housing - n_random
    # threshold probes
    splits = sorted({(int(f), float(t)) for e in clf.estimators_ for f, t, l in
                     zip(e[0].tree_.feature, e[0].tree_.threshold, e[0].tree_.children_left) if l != -1})
    n_before = len(rows)
    for i, (f, t) in enumerate(splits):
        for k, x in enumerate(probe_values(t, float(mean[f]), float(scale[f]))):
            r = list(rows[(i * 5 + k) % n_housing])
            r[f] = x
            rows.append(r)
    n_probe = len(rows) - n_before

    A = np.array(rows, dtype=np.float64)
    Z = sc.transform(A)
    with np.errstate(over="ignore", invalid="ignore"):
        ok = np.isfinite(Z.astype(np.float32)).all(axis=1)
    # rows the original stack refuses: verify each really raises
    rejected = []
    for i in np.nonzero(~ok)[0]:
        try:
            clf.predict(Z[i:i + 1])
        except ValueError as exc:
            rejected.append(rows[i])
            continue
        fail("row %d expected to be refused: %r" % (i, rows[i]))
    kept = [r for r, k in zip(rows, ok) if k]
    pred = clf.predict(Z[ok])
    # one row at a time gives the same bits as the batch
    for i in range(0, len(kept), 97):
        if clf.predict(sc.transform(np.array([kept[i]])))[0] != pred[i]:
            fail("batch and single-row predictions differ at row %d" % i)
    return {
        "description": (
            "Rows (raw feature values, model order) scored by the original model with scikit-learn "
            "0.20.3 and the recovered TRAINING scaler (z = (x - mean) / scale, float64), i.e. the "
            "real per-row predictions. Row groups in order: %d housing.csv rows, %d random "
            "realistic/perturbed rows, %d rows with extreme finite values, %d threshold probe rows "
            "(per distinct split: x whose float32 scaled value is the largest float32 <= threshold, "
            "the next float32 up, and threshold*scale+mean with one float64 ulp either side). "
            "rejected_rows: rows whose scaled value overflows float32, which scikit-learn refuses "
            "(ValueError; the original service would answer 500)." % (n_housing, n_random, n_extreme, n_probe)),
        "generated_by": GENERATED_BY,
        "features": FEATURES,
        "scaler": {"mean": [float(v) for v in mean], "scale": [float(v) for v in scale]},
        "counts": {"housing": n_housing, "random": n_random, "extreme": n_extreme, "probe": n_probe,
                   "distinct_splits": len(splits), "rows": len(kept), "rejected": len(rejected)},
        "rows": kept,
        "prediction": [float(v) for v in pred],
        "rejected_rows": rejected,
    }


def dump_compact(path, doc, list_keys):
    """JSON with one array element per line for the big arrays; floats via repr."""
    parts = []
    for k, v in doc.items():
        if k in list_keys:
            inner = ",\n".join("  " + json.dumps(e, separators=(",", ":"), allow_nan=False) for e in v)
            parts.append("%s:[\n%s\n]" % (json.dumps(k), inner))
        else:
            parts.append("%s:%s" % (json.dumps(k), json.dumps(v, separators=(",", ":"), allow_nan=False)))
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    json.loads(text)  # sanity


def main():
    warnings.simplefilter("ignore", DeprecationWarning)
    os.makedirs(OUT, exist_ok=True)
    full = load_data()
    data = full[:, CSV_IDX]
    clf = joblib.load(MODEL_PATH)
    sc, _ = training_scaler()
    check_reference_facts(clf, full, sc)

    cases = build_cases(data)
    n_mismatch, notes = post_all(cases)
    by_name = {c["name"]: c["prediction"] for c in cases}
    check_equal("original service: README sample", by_name["readme_sample"], [20.35373177134412])
    check_equal("original service: rows 0..2", by_name["reference_rows_0_2"],
                [20.147778681692014, 14.98211035127741, 38.48455603477511])
    check_equal("original service: 10 rows", by_name["reference_10_rows"],
                [30.565991364890134, 35.73652932906694, 16.36340193985666, 18.766731097893985,
                 21.98858888008944, 25.070004636990255, 16.196794676818637, 30.859776781386362,
                 9.804659676449896, 20.252867131174686])
    check_equal("original service: README sample x3 (identical rows, scale ~1e-15)",
                by_name["readme_sample_x3"], [19.881547947741776] * 3)
    for c in cases:
        if c["name"].startswith("identical_rows_") or c["name"].startswith("readme_sample_x"):
            print("info: %s -> %r" % (c["name"], sorted(set(c["prediction"]))), file=sys.stderr)
    if n_mismatch:
        fail("the pure-Python pairwise-sum emulation of the per-request scaler disagrees with the "
             "original on %d payloads: %s" % (n_mismatch, notes))
    print("ok: pairwise-sum emulation matches the original on all %d payloads" % len(cases), file=sys.stderr)
    sizes = sorted({len(c["prediction"]) for c in cases})
    per_request = {
        "description": (
            "Payloads POSTed as JSON (exactly these bytes' structure, key order as written) to the "
            "ORIGINAL Flask service (reference/app.py: per-request StandardScaler fitted on the "
            "request itself, then the original model), with the 'prediction' list it answered. "
            "Columns are always written in model order CHAS,RM,TAX,PTRATIO,B,LSTAT. Forms: columns "
            "orientation {COL:{rowkey:v}} (rows answered in sorted string order of the keys), "
            "list of records, columns as lists. CAUTION: pandas 0.24 sorts the keys of a list of "
            "records, so for records payloads the original fed the model the columns in the order "
            "B,CHAS,LSTAT,PTRATIO,RM,TAX (by position, names ignored): each case's "
            "original_column_order gives the column order the original's DataFrame had. %d cases, "
            "%d to %d rows. A pure-Python emulation of shared/REFERENCE.md's per-request scaler "
            "arithmetic (pairwise sums), applied to the columns in original_column_order, "
            "reproduced every case bit for bit, including numbers sent as strings and booleans."
            % (len(cases), sizes[0], sizes[-1])),
        "generated_by": GENERATED_BY,
        "cases": [{"name": c["name"], "payload": c["payload"], "prediction": c["prediction"],
                   "original_column_order": original_column_order(c["payload"])} for c in cases],
    }
    dump_compact(os.path.join(OUT, "per_request.json"), per_request, {"cases"})
    training = build_training(clf, full, sc)
    dump_compact(os.path.join(OUT, "training.json"), training, {"rows", "prediction", "rejected_rows"})
    print("wrote %s: %d cases; training.json: %d rows (%d probe rows), %d rejected" % (
        OUT, len(cases), len(training["rows"]), training["counts"]["probe"], len(training["rejected_rows"])),
        file=sys.stderr)


if __name__ == "__main__":
    main()
