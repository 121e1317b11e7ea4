# Exports every committed zoo pickle (model_data/zoo/, written by real scikit-learn 1.0/1.3/1.9) with
# the ONE exporter env and re-evaluates the v2 file in numpy against scikit-learn's recorded bits.
"""Format v2 tests against the zoo goldens, plus one test per refusal.

``evaluate`` below is a pure-numpy reference evaluator of a v2 model file, written from
model_data/README.md ("Format version 2"): it proves the file holds everything needed to
reproduce scikit-learn's predictions.  It uses numpy/scipy's exp/log (the Rust side must match
those bit for bit too; see README for where libm differences can show).
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy
from scipy.special import expit, logsumexp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import export_v2  # noqa: E402
from export_v2 import decode_array  # noqa: E402

ZOO = os.path.join(ROOT, "model_data", "zoo")
PICKLES = sorted(glob.glob(os.path.join(ZOO, "sklearn-*", "*.joblib")))
EXPORTER = os.path.join(HERE, "export_model.py")


def vt(doc):
    return export_v2.version_tuple(doc["source"]["sklearn_version"])


# -- the reference evaluator (model_data/README.md, "Format version 2") ----------------------

def preprocess(doc, X):
    X = np.array(X, dtype=np.float64)
    for p in doc["preprocessing"]:
        k = p["kind"]
        if k == "simple_imputer":
            stats = decode_array(p["statistics"])
            r, c = np.nonzero(np.isnan(X))
            X[r, c] = stats[c]
        elif k == "standard_scaler":
            if p["mean"] is not None:
                X -= decode_array(p["mean"])
            if p["scale"] is not None:
                X /= decode_array(p["scale"])
        elif k == "min_max_scaler":
            X *= decode_array(p["scale"])
            X += decode_array(p["min"])
            if p["clip"]:
                np.clip(X, p["feature_range"][0], p["feature_range"][1], out=X)
        elif k == "max_abs_scaler":
            X /= decode_array(p["scale"])
        else:
            raise AssertionError(k)
    return X


class Trees:
    """A v2 tree block: leaf lookup with scikit-learn's traversal (Tree.apply / predictor)."""

    def __init__(self, block, hgb=False):
        self.off = decode_array(block["node_offset"])
        if hgb:
            leaf = decode_array(block["is_leaf"]) != 0
            self.left = np.where(leaf, -1, decode_array(block["left"]).astype(np.int64))
            self.right = np.where(leaf, -1, decode_array(block["right"]).astype(np.int64))
            self.feature = decode_array(block["feature_idx"]).astype(np.int64)
            self.threshold = decode_array(block["num_threshold"])
            self.mgl = decode_array(block["missing_go_to_left"])
            self.value = decode_array(block["value"])
        else:
            self.left = decode_array(block["children_left"])
            self.right = decode_array(block["children_right"])
            self.feature = decode_array(block["feature"])
            self.threshold = decode_array(block["threshold"])
            m = block["missing_go_to_left"]
            self.mgl = None if m is None else decode_array(m)
            self.value = decode_array(block["value"])

    def __len__(self):
        return len(self.off) - 1

    def leaves(self, t, X):
        """Global node index of the leaf each row of X (already cast) reaches in tree t."""
        o = self.off[t]
        L, R = self.left[o:self.off[t + 1]], self.right[o:self.off[t + 1]]
        F, T = self.feature[o:self.off[t + 1]], self.threshold[o:self.off[t + 1]]
        M = None if self.mgl is None else self.mgl[o:self.off[t + 1]]
        rows = np.arange(len(X))
        node = np.zeros(len(X), dtype=np.int64)
        while True:
            inner = L[node] != -1
            if not inner.any():
                return o + node
            x = X[rows, np.maximum(F[node], 0)]
            nan = np.isnan(x)
            with np.errstate(invalid="ignore"):
                go_left = x <= T[node]
            if M is not None:
                go_left = np.where(nan, M[node] != 0, go_left)
            node = np.where(inner, np.where(go_left, L[node], R[node]), node)


def softmax(raw):
    """sklearn.utils.extmath.softmax."""
    X = raw.copy()
    X -= np.max(X, axis=1).reshape((-1, 1))
    np.exp(X, out=X)
    X /= np.sum(X, axis=1).reshape((-1, 1))
    return X


def evaluate(doc, X, raw_init=None):
    """{"predict": labels or float64, "predict_proba": ..., "raw": ...} for rows X.
    ``raw_init`` replaces gradient boosting's computed initial raw prediction (one row)."""
    est = doc["estimator"]
    kind = est["kind"]
    X = preprocess(doc, X)
    n = len(X)
    classes = np.array(doc["classes"], dtype=object) if doc["classes"] is not None else None
    out = {}
    if est["input_cast"] == "float32":
        with np.errstate(over="ignore"):
            X = X.astype(np.float32).astype(np.float64)
    if kind in ("decision_tree_regressor", "forest_regressor"):
        tr = Trees(est["trees"])
        y = np.zeros(n)
        for t in range(len(tr)):
            y += tr.value[tr.leaves(t, X), 0, 0]
        if kind == "forest_regressor":
            y /= len(tr)
        out["predict"] = y
    elif kind in ("decision_tree_classifier", "forest_classifier"):
        tr = Trees(est["trees"])
        K = est["n_classes"]
        normalise = vt(doc) < (1, 4, 0)
        acc = np.zeros((n, K))
        for t in range(len(tr)):
            p = tr.value[tr.leaves(t, X), 0, :K].copy()
            if kind == "decision_tree_classifier":
                out["predict"] = classes[np.argmax(p, axis=1)]
            if normalise:
                s = p.sum(axis=1)[:, np.newaxis]
                s[s == 0.0] = 1.0
                p /= s
            acc += p
        if kind == "forest_classifier":
            acc /= len(tr)
            out["predict"] = classes[np.argmax(acc, axis=1)]
        out["predict_proba"] = acc
    elif kind.startswith("gradient_boosting"):
        tr = Trees(est["trees"])
        K = est["n_trees_per_stage"]
        raw = gb_raw_init(doc, est, n)
        out["raw_init"] = raw[:1].copy()
        if raw_init is not None:
            raw = np.tile(np.asarray(raw_init, dtype=np.float64).reshape(1, -1), (n, 1))
        lr = est["learning_rate"]
        for i in range(est["n_stages"]):
            for k in range(K):
                t = i * K + k
                raw[:, k] += lr * tr.value[tr.leaves(t, X), 0, 0]
        out["raw"] = raw
        if kind == "gradient_boosting_regressor":
            out["predict"] = raw.ravel()
        else:
            gb_classify(doc, est, raw, classes, out)
            out["_transcendental"] = ("predict_proba", "raw_init")
    elif kind.startswith("hist_gradient_boosting"):
        tr = Trees(est["predictors"], hgb=True)
        K = est["n_trees_per_iteration"]
        base = decode_array(est["baseline_prediction"]).reshape(-1)
        raw = np.zeros((n, K))
        raw += base if base.size == K else base[0]
        for i in range(est["n_iterations"]):
            for k in range(K):
                raw[:, k] += tr.value[tr.leaves(i * K + k, X)]
        out["raw"] = raw
        link = est["inverse_link"]
        out["_transcendental"] = ("predict_proba", "predict") if link != "identity" else ()
        if kind == "hist_gradient_boosting_regressor":
            out["predict"] = np.exp(raw.ravel()) if link == "exp" else raw.ravel()
        elif link == "expit":
            p1 = expit(raw.ravel())
            out["predict_proba"] = np.stack([1 - p1, p1], axis=1)
            out["predict"] = classes[(raw.ravel() > 0).astype(int) if vt(doc) >= (1, 4, 0)
                                     else np.argmax(out["predict_proba"], axis=1)]
        else:
            if vt(doc) < (1, 1, 0):
                out["predict_proba"] = np.exp(raw - logsumexp(raw, axis=1)[:, np.newaxis])
            else:
                out["predict_proba"] = softmax(raw)
            out["predict"] = classes[np.argmax(raw, axis=1) if vt(doc) >= (1, 4, 0)
                                     else np.argmax(out["predict_proba"], axis=1)]
    elif kind == "linear_regressor":
        coef, icpt = decode_array(est["coef"]), decode_array(est["intercept"])
        y = X @ coef.T + (icpt if icpt.ndim else icpt[()])
        out["predict"] = y.reshape(-1)
        out["_transcendental"] = ("predict",)  # not exp/log but BLAS: numpy's dot/gemv kernel
    elif kind == "logistic_regression":
        coef, icpt = decode_array(est["coef"]), decode_array(est["intercept"])
        d = X @ coef.T + icpt
        out["_transcendental"] = ("predict_proba", "decision_function")  # exp; BLAS for the dot
        if d.shape[1] == 1:
            d = d.reshape(-1)
            out["raw"] = d
            p1 = expit(d)
            if est["multi_class"] == "binary_softmax":
                out["predict_proba"] = softmax(np.c_[-d, d])
            else:
                out["predict_proba"] = np.vstack([1 - p1, p1]).T
            out["predict"] = classes[(d > 0).astype(int)]
        else:
            out["raw"] = d
            if est["multi_class"] == "ovr":
                p = expit(d)
                p /= p.sum(axis=1).reshape((p.shape[0], -1))
            else:
                p = softmax(d)
            out["predict_proba"] = p
            out["predict"] = classes[np.argmax(d, axis=1)]
    else:
        raise AssertionError(kind)
    return out


def gb_raw_init(doc, est, n):
    init = est["init"]
    K = est["n_trees_per_stage"]
    if init["kind"] == "zero":
        return np.zeros((n, K))
    if init["kind"] == "dummy_regressor":
        return np.full((n, 1), decode_array(init["constant"]).reshape(-1)[0])
    prior = decode_array(init["class_prior"])
    old = vt(doc) < (1, 4, 0)
    eps = np.finfo(np.float32 if vt(doc) < (1, 9, 0) else np.float64).eps
    if K == 1:
        p = np.clip(prior[1], eps, 1 - eps)
        if old:
            r = np.log(p / (1 - p))
            r = 0.5 * r if est["loss"] == "exponential" else r
        else:
            from scipy.special import logit
            r = logit(p)
            r = 0.5 * r if est["loss"] == "exponential" else r
        return np.full((n, 1), r)
    p = np.clip(prior, eps, 1 - eps)
    if old:
        r = np.log(p)
    else:
        from scipy.stats import gmean
        r = np.log(p / gmean(p[np.newaxis, :], axis=1)[:, None])[0]
    return np.tile(r, (n, 1))


def gb_classify(doc, est, raw, classes, out):
    K = est["n_trees_per_stage"]
    old = vt(doc) < (1, 4, 0)
    if K == 1:
        r = raw.ravel()
        p1 = expit(2.0 * r) if est["loss"] == "exponential" else expit(r)
        proba = np.zeros((len(r), 2))
        proba[:, 1] = p1
        proba[:, 0] = 1 - p1 if not old else 1 - p1
        out["predict_proba"] = proba
        out["predict"] = classes[np.argmax(proba, axis=1) if old else (r >= 0).astype(int)]
    else:
        if old:
            out["predict_proba"] = np.exp(raw - logsumexp(raw, axis=1)[:, np.newaxis])
        else:
            out["predict_proba"] = softmax(raw)
        out["predict"] = classes[np.argmax(raw, axis=1)]


# -- the tests ---------------------------------------------------------------------------------

def export(pkl, out, *extra):
    return subprocess.run([sys.executable, EXPORTER, pkl, "-o", str(out)] + list(extra),
                          capture_output=True, text=True)


def load_golden(pkl):
    with open(pkl[:-len(".joblib")] + ".golden.json") as f:
        return json.load(f)


def _ids(paths):
    return [os.path.relpath(p, ZOO)[:-len(".joblib")] for p in paths]


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.uint64)


def ulps(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ia, ib = a.view(np.int64), b.view(np.int64)
    d = np.where(np.signbit(a) == np.signbit(b), np.abs(ia - ib), np.iinfo(np.int64).max)
    return np.where(a == b, 0, d)


def check_outputs(got, want, tolerant):
    """Differences between our evaluation and scikit-learn's recorded bits.  Returns
    (exact problems, library differences): with ``tolerant`` (the golden's numpy/scipy are not
    the exporter env's), outputs that pass through exp/log (predict_proba of classifiers, raw
    scores of log-loss models, log-link predictions) may differ by a few ulps: those are
    listed separately; everything else must be bit for bit."""
    problems, library = [], []
    if isinstance(want.get("predict"), list):
        gp = list(got["predict"])
        if gp != want["predict"]:
            bad = [i for i, (a, b) in enumerate(zip(gp, want["predict"])) if a != b]
            problems.append("predict labels differ on %d rows, e.g. %d" % (len(bad), bad[0]))
    for key, gkey in (("predict", "predict"), ("predict_proba", "predict_proba"),
                      ("raw_predict", "raw"), ("decision_function", "raw"), ("raw_init", "raw_init")):
        if key not in want or gkey not in got or isinstance(want[key], list):
            continue
        w = decode_array(want[key])
        gv = np.asarray(got[gkey], dtype=np.float64)
        if gv.ndim == 2 and w.shape == gv.T.shape != gv.shape:
            w = w.T  # 1.0's HistGradientBoosting _raw_predict is (n_trees_per_iteration, n_samples)
        gv = gv.reshape(w.shape)
        u = ulps(gv, w).reshape(len(w), -1).max(axis=1)
        d = np.nonzero(u)[0]
        if len(d):
            msg = "%s bits differ on %d/%d rows (max %d ulp, max abs %g)" % (
                key, len(d), len(w), u.max(), np.max(np.abs(gv - w)))
            (library if tolerant and u.max() <= 8 and (key in got.get("_transcendental", ()) or (
                key == "raw_predict" and "decision_function" in got.get("_transcendental", ()))) else problems).append(msg)
    return problems, library


@pytest.mark.parametrize("pkl", PICKLES, ids=_ids(PICKLES))
def test_zoo_export_reproduces_sklearn(tmp_path, pkl):
    g = load_golden(pkl)
    out = tmp_path / "m.json"
    r = export(pkl, out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["format_version"] == 2
    assert doc["source"]["sklearn_version"] == g["environment"]["sklearn"]
    assert doc["classes"] == g["classes"]
    if g["feature_names"]:
        assert doc["features"] == g["feature_names"]
    else:
        assert doc["features"] == ["x%d" % i for i in range(doc["n_features"])]
    committed = pkl[:-len(".joblib")] + ".model.json"
    if os.path.exists(committed):
        with open(committed, "rb") as f:
            assert f.read() == out.read_bytes(), "committed %s is stale" % committed
    tolerant = (g["environment"]["numpy"], g["environment"]["scipy"]) != (np.__version__, scipy.__version__)
    X = decode_array(g["X"])
    got = evaluate(doc, X)
    problems, library = check_outputs(got, g, tolerant)
    if "raw_init" in g and any(p.startswith("raw_init") for p in library):
        # the initial raw score is log/logit of the prior, computed by the golden env's numpy:
        # take its bits and require everything downstream of it to be exact
        got = evaluate(doc, X, raw_init=decode_array(g["raw_init"]))
        problems, more = check_outputs(got, g, tolerant)
        library += [m for m in more if not m.startswith("raw_init")]
    Xn = decode_array(g["X_nan"])
    imputed = any(p["kind"] == "simple_imputer" for p in doc["preprocessing"])
    if g["nan_rejected"]:
        assert doc["estimator"]["nan_input"] == "reject" and not imputed, g["nan_rejected"]
    else:
        assert doc["estimator"]["nan_input"] != "reject" or imputed
        got = evaluate(doc, Xn, raw_init=decode_array(g["raw_init"]) if "raw_init" in g else None)
        p2, l2 = check_outputs(got, g["nan_outputs"], tolerant)
        problems += ["NaN rows: " + p for p in p2]
        library += ["NaN rows: " + p for p in l2]
    assert not problems, problems
    if library:
        print("%s: library differences (exp/log of another numpy/scipy): %s" % (g["name"], library))


def test_zoo_is_complete():
    lines = sorted(os.path.basename(d) for d in glob.glob(os.path.join(ZOO, "sklearn-*")))
    assert lines == ["sklearn-1.0", "sklearn-1.3", "sklearn-1.9"]
    kinds = {}
    for p in PICKLES:
        g = load_golden(p)
        kinds.setdefault(g["line"], set()).add(g["class"].rsplit(".", 1)[1])
    want = {"DecisionTreeRegressor", "DecisionTreeClassifier", "RandomForestRegressor",
            "RandomForestClassifier", "ExtraTreesRegressor", "ExtraTreesClassifier",
            "GradientBoostingRegressor", "GradientBoostingClassifier",
            "HistGradientBoostingRegressor", "HistGradientBoostingClassifier", "LinearRegression",
            "Ridge", "Lasso", "ElasticNet", "LogisticRegression", "Pipeline"}
    for line, got in kinds.items():
        assert want <= got, (line, want - got)


def test_array_encoding_round_trips_exact_bits():
    a = np.array([[0.1, -0.0, np.inf], [np.nan, 5e-324, -2.0]])
    doc = export_v2.encode_array(a)
    assert doc["dtype"] == "<f8" and doc["shape"] == [2, 3]
    assert decode_array(doc).view(np.uint64).tolist() == a.view(np.uint64).tolist()
    big = np.arange(5, dtype=">i8")
    assert export_v2.encode_array(big)["dtype"] == "<i8"
    assert decode_array(export_v2.encode_array(big)).tolist() == [0, 1, 2, 3, 4]


# -- refusals (format v2): exit 2 and ONE line naming the class and the scikit-learn version ----

def _fit_and_dump(tmp_path, model, X=None, y=None):
    import joblib
    from sklearn import datasets
    if X is None:
        X, y = datasets.load_diabetes(return_X_y=True)
    model.fit(X, y)
    src = tmp_path / "model.joblib"
    joblib.dump(model, src)
    return str(src)


def _refused(tmp_path, src, *needles, extra=()):
    import sklearn
    out = tmp_path / "refused.json"
    r = export(src, out, *extra)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("export_model.py: error: ") and "Traceback" not in r.stderr
    for n in needles:
        assert n.replace("{v}", sklearn.__version__) in lines[0], (n, lines[0])
    assert not out.exists()
    return lines[0]


def test_refuses_unsupported_estimator_naming_class_and_version(tmp_path):
    from sklearn.svm import SVR
    line = _refused(tmp_path, _fit_and_dump(tmp_path, SVR()),
                    "unsupported estimator sklearn.svm._classes.SVR", "scikit-learn {v}",
                    "supported: DecisionTreeRegressor", "SimpleImputer")
    assert "GradientBoostingClassifier" in line


def test_refuses_unsupported_pipeline_step(tmp_path):
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.linear_model import Ridge
    _refused(tmp_path, _fit_and_dump(tmp_path, make_pipeline(PCA(3), Ridge())),
             "unsupported pipeline step sklearn.decomposition._pca.PCA", "scikit-learn {v}")


def test_refuses_categorical_hist_gradient_boosting(tmp_path):
    from sklearn.ensemble import HistGradientBoostingRegressor
    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 4, 200), rng.normal(size=200)]
    y = X[:, 0] * 2 + X[:, 1]
    src = _fit_and_dump(tmp_path, HistGradientBoostingRegressor(
        max_iter=5, categorical_features=[0]), X, y)
    _refused(tmp_path, src, "HistGradientBoostingRegressor", "categorical")


def test_refuses_multi_output(tmp_path):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeClassifier
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    Y = np.c_[X[:, 0], X[:, 1] * 2]
    _refused(tmp_path, _fit_and_dump(tmp_path, RandomForestRegressor(n_estimators=2), X, Y),
             "RandomForestRegressor", "multi-output")
    _refused(tmp_path, _fit_and_dump(tmp_path, Ridge(), X, Y), "Ridge", "multi-output")
    _refused(tmp_path, _fit_and_dump(tmp_path, DecisionTreeClassifier(), X, (Y > 0).astype(int)),
             "multi-output")


def test_refuses_imputer_with_indicator_or_other_missing_marker(tmp_path):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    _refused(tmp_path, _fit_and_dump(tmp_path, make_pipeline(SimpleImputer(add_indicator=True), Ridge())),
             "add_indicator")
    _refused(tmp_path, _fit_and_dump(tmp_path, make_pipeline(SimpleImputer(missing_values=-1.0), Ridge())),
             "missing_values=-1.0")


def test_refuses_unsupported_init_and_lone_transformer(tmp_path):
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import StandardScaler
    _refused(tmp_path, _fit_and_dump(tmp_path, GradientBoostingRegressor(
        n_estimators=3, init=LinearRegression())), "init estimator", "LinearRegression", "{v}")
    _refused(tmp_path, _fit_and_dump(tmp_path, StandardScaler()), "StandardScaler alone is not a model")


def test_refuses_non_pickle_and_compressed(tmp_path):
    import joblib
    from sklearn.linear_model import Ridge
    src = _fit_and_dump(tmp_path, Ridge())
    comp = tmp_path / "compressed.joblib"
    joblib.dump(joblib.load(src), comp, compress=3)
    _refused(tmp_path, str(comp), "compressed")
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"\x80\x04not really a pickle")
    _refused(tmp_path, str(junk), "cannot read")


def test_feature_names_flag_and_default(tmp_path):
    from sklearn.linear_model import Ridge
    src = _fit_and_dump(tmp_path, Ridge())
    out = tmp_path / "m.json"
    assert export(src, out).returncode == 0
    assert json.loads(out.read_text())["features"] == ["x%d" % i for i in range(10)]
    names = ",".join("c%d" % i for i in range(10))
    assert export(src, out, "--features", names).returncode == 0
    assert json.loads(out.read_text())["features"] == names.split(",")
    _refused(tmp_path, src, "10 distinct feature names", extra=("--features", "a,b"))


def test_v2_writes_the_boston_pickle_too(tmp_path):
    """The original 0.20.3 pickle exports to format 2 as well (its trees verbatim)."""
    src = os.path.join(ROOT, "model_data", "boston_housing_prediction.joblib")
    out = tmp_path / "boston.v2.json"
    r = export(src, out, "--features", "CHAS,RM,TAX,PTRATIO,B,LSTAT")
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    with open(os.path.join(ROOT, "model_data", "boston_housing.model.json")) as f:
        v1 = json.load(f)
    est = doc["estimator"]
    assert doc["source"]["sklearn_version"] == "0.20.3" and est["loss"] == "squared_error"
    assert est["loss_parameter"] == "ls" and est["n_stages"] == 400
    assert decode_array(est["init"]["mean"]).reshape(-1).tolist() == [v1["estimator"]["init"]]
    assert decode_array(est["trees"]["threshold"]).tolist() == [
        x for t in v1["estimator"]["trees"] for x in t["threshold"]]
    assert decode_array(est["trees"]["value"])[:, 0, 0].tolist() == [
        x for t in v1["estimator"]["trees"] for x in t["value"]]
    assert os.path.getsize(out) < 0.7 * os.path.getsize(
        os.path.join(ROOT, "model_data", "boston_housing.model.json"))
