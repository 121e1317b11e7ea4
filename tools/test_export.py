# Tests of tools/export_model.py format version 1: the committed Boston model JSON is reproducible byte for byte,
# agrees with the golden predictions of the original stack, current-sklearn models round-trip exactly, bad models are refused.
import contextlib
import io
import json
import os
import subprocess
import sys
import traceback
import types

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import export_model  # noqa: E402

MODEL_JOBLIB = os.path.join(ROOT, "model_data", "boston_housing_prediction.joblib")
MODEL_JSON = os.path.join(ROOT, "model_data", "boston_housing.model.json")
SCALER_JSON = os.path.join(HERE, "boston_scaler.json")
HOUSING_CSV = os.path.join(ROOT, "model_data", "housing.csv")
GOLDEN_TRAINING = os.path.join(ROOT, "model_data", "golden", "training.json")
FEATURES = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
# format version 1 (the original squared-error GBR format) is a mode since format 2 became the default
V1 = ["--format-version", "1"]
CSV_COLUMNS = "CRIM ZN INDUS CHAS NOX RM AGE DIS RAD TAX PTRATIO B LSTAT MEDV".split()


def run_export_cli(args):
    """The real command line, in a subprocess."""
    return subprocess.run([sys.executable, os.path.join(HERE, "export_model.py")] + args,
                          capture_output=True, text=True)


def run_export(args):
    """export_model.main in-process (fast); same exit status and stderr as the CLI."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = export_model.main(args)
    except Exception:
        err.write("Traceback (uncaught exception)\n" + traceback.format_exc())
        code = 1
    return types.SimpleNamespace(returncode=code, stderr=err.getvalue())


# -- the documented arithmetic, written plainly (model_data/README.md) ------------------

def predict_json(model, X):
    """Pure-Python/numpy evaluation of a model document, row by row."""
    X = np.asarray(X, dtype=np.float64)
    sc = model["scaler"]
    if sc is not None:
        Z = (X - np.array(sc["mean"], dtype=np.float64)) / np.array(sc["scale"], dtype=np.float64)
    else:
        Z = X
    with np.errstate(over="ignore"):
        Z32 = Z.astype(np.float32)
    est = model["estimator"]
    lr = est["learning_rate"]
    out = []
    for z in Z32:
        zf = [float(v) for v in z]
        p = est["init"]
        for t in est["trees"]:
            left, right, feat, thr = t["children_left"], t["children_right"], t["feature"], t["threshold"]
            i = 0
            while left[i] != -1:
                i = left[i] if zf[feat[i]] <= thr[i] else right[i]
            p = p + lr * t["value"][i]
        out.append(p)
    return out


def predict_json_vectorized(model, X):
    """Same arithmetic as predict_json, all rows at once per tree (elementwise float64 ops)."""
    X = np.asarray(X, dtype=np.float64)
    sc = model["scaler"]
    Z = X if sc is None else (X - np.array(sc["mean"])) / np.array(sc["scale"])
    with np.errstate(over="ignore"):
        Z32 = Z.astype(np.float32).astype(np.float64)
    est = model["estimator"]
    rows = np.arange(len(X))
    pred = np.full(len(X), est["init"], dtype=np.float64)
    for t in est["trees"]:
        left, right = np.array(t["children_left"]), np.array(t["children_right"])
        feat, thr = np.array(t["feature"]), np.array(t["threshold"])
        node = np.zeros(len(X), dtype=np.int64)
        while True:
            inner = left[node] != -1
            if not inner.any():
                break
            go_left = Z32[rows, np.maximum(feat[node], 0)] <= thr[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        pred = pred + est["learning_rate"] * np.array(t["value"])[node]
    return [float(v) for v in pred]


def housing():
    return np.loadtxt(HOUSING_CSV)


def bits(a):
    return [float(v).hex() for v in a]


# -- the committed model -------------------------------------------------------------

def test_committed_model_regenerates_byte_for_byte(tmp_path):
    out = tmp_path / "boston_housing.model.json"
    r = run_export_cli([MODEL_JOBLIB, "-o", str(out), "--scaler-json", SCALER_JSON] + V1)
    assert r.returncode == 0, r.stderr
    with open(MODEL_JSON, "rb") as f:
        committed = f.read()
    assert out.read_bytes() == committed, (
        "model_data/boston_housing.model.json is not what the export tool writes; "
        "regenerate it (see model_data/README.md)")


def test_committed_model_facts():
    with open(MODEL_JSON) as f:
        m = json.load(f)
    assert m["format"] == "edge-predictor-model" and m["format_version"] == 1
    assert m["features"] == FEATURES and m["target"] == "MEDV"
    est = m["estimator"]
    assert est["loss"] == "ls" and est["learning_rate"] == 0.1
    assert est["init"] == 22.522524752475245
    trees = est["trees"]
    assert len(trees) == 400
    assert sum(len(t["value"]) for t in trees) == 5764
    assert sum(sum(1 for c in t["children_left"] if c != -1) for t in trees) == 2682
    assert {len(t["value"]) for t in trees} == {15, 13, 9}
    for t in trees:
        for l, r, f, th in zip(t["children_left"], t["children_right"], t["feature"], t["threshold"]):
            if l == -1:
                assert r == -1 and f == -2 and th == -2.0
    # the scaler constants are exactly REFERENCE.md's decimal strings
    with open(SCALER_JSON) as f:
        text = f.read()
    for v in m["scaler"]["mean"] + m["scaler"]["scale"]:
        assert repr(v) in text


def test_reference_predictions():
    with open(MODEL_JSON) as f:
        m = json.load(f)
    assert predict_json(m, [[0, 6.575, 296, 15.3, 396.9, 4.98]]) == [25.0021457871835]
    d = housing()[1:4][:, [3, 5, 9, 10, 11, 12]]
    assert predict_json(m, d) == [22.32004381268876, 35.44994977530471, 33.59861808659295]


def test_matches_golden_training_predictions():
    """The exported JSON gives exactly what scikit-learn 0.20.3 gave (model_data/golden)."""
    with open(GOLDEN_TRAINING) as f:
        g = json.load(f)
    with open(MODEL_JSON) as f:
        m = json.load(f)
    assert g["features"] == m["features"]
    assert len(g["rows"]) >= 2500
    got = predict_json_vectorized(m, g["rows"])
    assert got[::50] == predict_json(m, g["rows"][::50])  # same as the plain version
    bad = [i for i, (a, b) in enumerate(zip(got, g["prediction"])) if a != b]
    assert not bad, "rows %s differ, e.g. row %d: %r != %r" % (
        bad[:10], bad[0], got[bad[0]], g["prediction"][bad[0]])


# -- current scikit-learn models ---------------------------------------------------------

def _probe_rows(model, base_row):
    """Rows sitting exactly at / one float32 ulp around every split threshold."""
    sc = model["scaler"]
    rows = []
    for t in model["estimator"]["trees"]:
        for f, th, l in zip(t["feature"], t["threshold"], t["children_left"]):
            if l == -1:
                continue
            x0 = th * sc["scale"][f] + sc["mean"][f] if sc else th
            for x in (x0, np.nextafter(x0, -np.inf), np.nextafter(x0, np.inf),
                      x0 + 1e-7 * abs(x0), x0 - 1e-7 * abs(x0)):
                r = list(base_row)
                r[f] = float(x)
                rows.append(r)
    return rows


def _train_pipeline(with_scaler=True, **gb_kwargs):
    import pandas as pd
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    df = pd.DataFrame(housing(), columns=CSV_COLUMNS)
    X, y = df[FEATURES], df["MEDV"]
    gb = GradientBoostingRegressor(n_estimators=60, max_depth=3, random_state=3, **gb_kwargs)
    model = Pipeline([("scaler", StandardScaler()), ("gbr", gb)]) if with_scaler else gb
    return model.fit(X, y), X


@pytest.mark.parametrize("with_scaler", [True, False])
def test_modern_sklearn_round_trip_bit_for_bit(tmp_path, with_scaler):
    import joblib
    import pandas as pd
    model, X = _train_pipeline(with_scaler)
    src = tmp_path / "modern.joblib"
    joblib.dump(model, src)
    out = tmp_path / "modern.model.json"
    r = run_export([str(src), "-o", str(out), "--name", "modern", "--version", "7", "--target", "MEDV"] + V1)
    assert r.returncode == 0, r.stderr
    m = json.loads(out.read_text())
    assert m["features"] == FEATURES  # from feature_names_in_
    assert m["name"] == "modern" and m["version"] == "7"
    assert (m["scaler"] is not None) == with_scaler
    assert m["estimator"]["loss"] == "ls" and len(m["estimator"]["trees"]) == 60

    rng = np.random.default_rng(11)
    rows = X.to_numpy(dtype=np.float64)
    rnd = rows[rng.integers(0, len(rows), 300)] * rng.uniform(0.5, 1.5, (300, 6))
    probes = np.array(_probe_rows(m, rows[0]))
    # (scikit-learn refuses rows whose scaled value overflows float32, e.g. 1e300)
    extreme = np.array([[0, 1e38, 0, 0, 0, 0], [1, -1e38, 1e-300, 0, 0, 0], [0, 0, 0, 0, 0, 0],
                        [1e30, 1e30, 1e30, 1e30, 1e30, -1e30], [-0.0, 5e-324, 1e-38, 3e-45, 1, 1]])
    allx = np.vstack([rows, rnd, probes, extreme])
    want = model.predict(pd.DataFrame(allx, columns=FEATURES))
    got = predict_json(m, allx)
    assert bits(got) == bits(want)

    # same input, same bytes
    out2 = tmp_path / "again.model.json"
    r = run_export([str(src), "-o", str(out2), "--name", "modern", "--version", "7", "--target", "MEDV"] + V1)
    assert r.returncode == 0 and out2.read_bytes() == out.read_bytes()


def test_modern_needs_feature_names_or_flag(tmp_path):
    import joblib
    from sklearn.ensemble import GradientBoostingRegressor
    d = housing()
    gb = GradientBoostingRegressor(n_estimators=5).fit(d[:, [3, 5, 9, 10, 11, 12]], d[:, 13])
    src = tmp_path / "nonames.joblib"
    joblib.dump(gb, src)
    r = run_export([str(src), "-o", str(tmp_path / "x.json")] + V1)
    assert r.returncode == 2 and "--features" in r.stderr
    r = run_export([str(src), "-o", str(tmp_path / "x.json"), "--features", ",".join(FEATURES)] + V1)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "x.json").read_text())
    assert m["scaler"] is None and m["target"] is None


# -- refusals --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["absolute_error", "huber", "classifier", "init_estimator", "scaler_twice"])
def test_unsupported_modern_models_are_refused(tmp_path, kind):
    import joblib
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.linear_model import LinearRegression
    d = housing()
    X, y = d[:, [3, 5, 9, 10, 11, 12]], d[:, 13]
    args = []
    if kind in ("absolute_error", "huber"):
        model = GradientBoostingRegressor(n_estimators=5, loss=kind).fit(X, y)
    elif kind == "classifier":
        model = GradientBoostingClassifier(n_estimators=5).fit(X, y > 22)
    elif kind == "init_estimator":
        model = GradientBoostingRegressor(n_estimators=5, init=LinearRegression()).fit(X, y)
    else:
        model, _ = _train_pipeline(True)
        args = ["--scaler-json", SCALER_JSON]
    src = tmp_path / "bad.joblib"
    joblib.dump(model, src)
    out = tmp_path / "bad.json"
    r = run_export([str(src), "-o", str(out), "--features", ",".join(FEATURES)] + args + V1)
    assert r.returncode == 2, r.stderr
    assert "error:" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("old,new,message", [
    (b"X\x02\x00\x00\x00ls", b"X\x02\x00\x00\x00lq", "unsupported loss 'lq'"),
    (b"MeanEstimator", b"QuantEstimato", "unsupported init estimator"),
    (b"GradientBoostingRegressor", b"GradientBoostingClassifie", "only GradientBoostingRegressor"),
])
def test_tampered_original_pickle_is_refused(tmp_path, old, new, message):
    with open(MODEL_JOBLIB, "rb") as f:
        data = f.read()
    assert data.count(old) >= 1
    src = tmp_path / "tampered.joblib"
    src.write_bytes(data.replace(old, new))
    r = run_export([str(src), "-o", str(tmp_path / "t.json"), "--scaler-json", SCALER_JSON] + V1)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_not_a_pickle_is_refused(tmp_path):
    src = tmp_path / "junk.joblib"
    src.write_bytes(b"hello, this is not a model")
    r = run_export_cli([str(src), "-o", str(tmp_path / "j.json")])
    assert r.returncode == 2 and "error:" in r.stderr


def test_corrupt_tree_is_refused():
    ok = ([1, -1, -1], [2, -1, -1], [0, -2, -2], [0.5, -2.0, -2.0], [0.0, 1.0, 2.0])
    assert export_model.check_tree(ok, 6, 0)["children_left"] == [1, -1, -1]
    cycle = ([0, -1, -1], [2, -1, -1], [0, -2, -2], [0.5, -2.0, -2.0], [0.0, 1.0, 2.0])
    with pytest.raises(export_model.ExportError, match="child index"):
        export_model.check_tree(cycle, 6, 0)
    badfeat = ([1, -1, -1], [2, -1, -1], [6, -2, -2], [0.5, -2.0, -2.0], [0.0, 1.0, 2.0])
    with pytest.raises(export_model.ExportError, match="feature 6"):
        export_model.check_tree(badfeat, 6, 0)
    nan = ([1, -1, -1], [2, -1, -1], [0, -2, -2], [0.5, -2.0, -2.0], [0.0, float("nan"), 2.0])
    with pytest.raises(export_model.ExportError, match="not finite"):
        export_model.check_tree(nan, 6, 0)
