# Pure-numpy reference evaluator of a model file v2 (model_data/README.md, "Format version 2"), used by
# tools/test_zoo.py (exporter env) and tools/zoo/verify_zoo.py (each scikit-learn line's own env).
"""Evaluate a v2 model document with scikit-learn's documented arithmetic, in numpy.

Written from the README, not from scikit-learn: matching scikit-learn's recorded bits proves
the file holds everything needed.  exp/log/expit/logsumexp/BLAS are numpy's and scipy's.
"""
import base64

import numpy as np
from scipy.special import expit, logsumexp


def decode_array(doc):
    raw = base64.b64decode(doc["data"])
    return np.frombuffer(raw, dtype=np.dtype(doc["dtype"])).reshape(doc["shape"]).copy()


def version_tuple(v):
    out = []
    for p in str(v).split(".")[:3]:
        num = ""
        for ch in p:
            if not ch.isdigit():
                break
            num += ch
        out.append(int(num or 0))
    return tuple(out + [0] * (3 - len(out)))


def vt(doc):
    return version_tuple(doc["source"]["sklearn_version"])


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


def evaluate(doc, X, raw_init=None, fortran=False):
    """{"predict": labels or float64, "predict_proba": ..., "raw": ...} for rows X.
    ``raw_init`` replaces gradient boosting's computed initial raw prediction (one row);
    ``fortran``: the rows reached scikit-learn as a Fortran-ordered matrix (a DataFrame under
    pandas >= 3), which makes numpy's BLAS sum the linear models' dot products column by column."""
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
        X = np.asfortranarray(X) if fortran else X
        y = X @ coef.T + (icpt if icpt.ndim else icpt[()])
        out["predict"] = y.reshape(-1)
        out["_transcendental"] = ("predict",)  # not exp/log but BLAS: numpy's dot/gemv kernel
    elif kind == "logistic_regression":
        coef, icpt = decode_array(est["coef"]), decode_array(est["intercept"])
        X = np.asfortranarray(X) if fortran else X
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
    if init["kind"] in ("zero", "zero_estimator"):
        return np.zeros((n, K))
    # 0.20 (sklearn/ensemble/gradient_boosting.py): the init estimator's predict IS the raw score
    for kind, key in (("mean_estimator", "mean"), ("quantile_estimator", "quantile"),
                      ("log_odds_estimator", "prior"), ("scaled_log_odds_estimator", "prior"),
                      ("prior_probability_estimator", "priors")):
        if init["kind"] == kind:
            return np.tile(decode_array(init[key]).reshape(1, -1), (n, 1)).astype(np.float64)
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
            lib_key = key in got.get("_transcendental", ()) or (
                key == "raw_predict" and "decision_function" in got.get("_transcendental", ()))
            # a few ulps, or (BLAS dots whose terms cancel) 64 eps of the output's magnitude
            small = u.max() <= 8 or np.max(np.abs(gv - w)) <= 64 * np.finfo(np.float64).eps * max(
                1.0, float(np.max(np.abs(w))))
            (library if tolerant and lib_key and small else problems).append(msg)
    return problems, library




def sklearn_saw_fortran(golden):
    """Did scikit-learn get its rows as a Fortran-ordered array (DataFrame, pandas >= 3)?"""
    return bool(golden["fitted_on_dataframe"]) and version_tuple(golden["environment"]["pandas"]) >= (3, 0, 0)
