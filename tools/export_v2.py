# Turns the stubbed state of a scikit-learn pickle (tools/sklearn_stubs.py) into the model file
# format version 2 (model_data/README.md): every supported estimator and pipeline, verbatim arrays.
"""Model file format version 2: extraction and writing.

Everything here reads the pickled STATE of each object (never the installed scikit-learn), so
one environment reads the pickles of scikit-learn 0.20 through 1.9.  Arrays are written
verbatim (sklearn's own dtype, shape and bits) as ``{"dtype", "shape", "data": base64}``;
what the Rust side computes from them is documented per estimator in model_data/README.md.
"""

import base64
import hashlib
import json
import math
import os
import re

import numpy as np

from sklearn_stubs import Stub

FORMAT = "edge-predictor-model"
FORMAT_VERSION = 2
EXPORTED_BY = "tools/export_model.py"

SUPPORTED_ESTIMATORS = (
    "DecisionTreeRegressor", "DecisionTreeClassifier", "RandomForestRegressor",
    "RandomForestClassifier", "ExtraTreesRegressor", "ExtraTreesClassifier",
    "GradientBoostingRegressor", "GradientBoostingClassifier", "HistGradientBoostingRegressor",
    "HistGradientBoostingClassifier", "LinearRegression", "Ridge", "Lasso", "ElasticNet",
    "LogisticRegression")
SUPPORTED_STEPS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "SimpleImputer")
SUPPORTED_LINE = ("supported: %s; as Pipeline steps before them: %s"
                  % (", ".join(SUPPORTED_ESTIMATORS), ", ".join(SUPPORTED_STEPS)))


class ExportError(Exception):
    """The input cannot be exported; the message says why (one line)."""


# -- arrays ---------------------------------------------------------------------------------

def encode_array(a):
    """``{"dtype", "shape", "data"}``: numpy's dtype string (little-endian), the shape, and the
    base64 of the C-order little-endian bytes."""
    a = np.asarray(a)
    if a.dtype.hasobject or a.dtype.names:
        raise ExportError("internal: cannot encode array of dtype %s" % a.dtype)
    le = a.astype(a.dtype.newbyteorder("<"), copy=False)
    le = np.ascontiguousarray(le)
    return {"dtype": le.dtype.str, "shape": list(a.shape),
            "data": base64.b64encode(le.tobytes()).decode("ascii")}


def narrow_int(a):
    """The same integers in the narrowest dtype of their kind (signed: i1/i2/i4/i8, unsigned:
    u1/u2/u4/u8) that holds every value: exact, and 2-8x smaller than int64 in the file."""
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise ExportError("internal: narrow_int of dtype %s" % a.dtype)
    lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
    kinds = (np.int8, np.int16, np.int32, np.int64) if a.dtype.kind == "i" else (
        np.uint8, np.uint16, np.uint32, np.uint64)
    for t in kinds:
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return a.astype(t)
    return a


def decode_array(doc):
    """Inverse of encode_array (used by the tests and the golden readers)."""
    raw = base64.b64decode(doc["data"])
    return np.frombuffer(raw, dtype=np.dtype(doc["dtype"])).reshape(doc["shape"]).copy()


# -- reading stub state ---------------------------------------------------------------------

def is_stub(obj, *names):
    return isinstance(obj, Stub) and (not names or obj._sk_name in names)


def state_of(obj, what):
    if not isinstance(obj, Stub) or not isinstance(obj._state, dict):
        raise ExportError("unexpected %s in the pickle: %r" % (what, obj))
    return obj._state


def sk_version(obj, default="unknown"):
    st = obj._state if isinstance(obj, Stub) and isinstance(obj._state, dict) else {}
    return str(st.get("_sklearn_version", default))


def version_tuple(v):
    parts = []
    for p in str(v).split(".")[:3]:
        m = re.match(r"\d+", p)
        parts.append(int(m.group(0)) if m else 0)
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def unsupported(obj, version, what="estimator"):
    name = obj.qualname if isinstance(obj, Stub) else type(obj).__name__
    return ExportError("unsupported %s %s (pickled by scikit-learn %s); %s"
                       % (what, name, version, SUPPORTED_LINE))


def _get(st, *names, default=None):
    for n in names:
        if n in st:
            return st[n]
    return default


def _n_features(st):
    v = _get(st, "n_features_in_", "n_features_", "_n_features", "n_features")
    if v is None and st.get("coef_") is not None:  # 0.20 linear models
        return int(np.asarray(st["coef_"]).shape[-1])
    if v is None:
        return None
    return int(v)


def _labels(classes, where):
    out = []
    for c in np.asarray(classes, dtype=object).reshape(-1):
        if isinstance(c, (bool, np.bool_)):
            out.append(bool(c))
        elif isinstance(c, (int, np.integer)):
            out.append(int(c))
        elif isinstance(c, (str, np.str_)):
            out.append(str(c))
        elif isinstance(c, (float, np.floating)) and math.isfinite(float(c)):
            out.append(float(c))
        else:
            raise ExportError("%s: class label %r of type %s is not supported (ints, strings, "
                              "booleans or finite floats)" % (where, c, type(c).__name__))
    return out


def _f64(a, what):
    a = np.asarray(a)
    if a.dtype != np.float64:
        raise ExportError("%s has dtype %s, expected float64" % (what, a.dtype))
    return a


# -- trees (sklearn.tree._tree.Tree) --------------------------------------------------------

TREE_FIELDS = ("left_child", "right_child", "feature", "threshold")


def tree_arrays(tree, n_features, where):
    """One ``Tree`` stub: (children_left, children_right, feature, threshold, value,
    missing_go_to_left or None), verbatim; checked so that a traversal cannot loop."""
    if not is_stub(tree, "Tree"):
        raise ExportError("%s: expected a sklearn.tree._tree.Tree, got %r" % (where, tree))
    args, st = tree._args, tree._state
    if len(args) != 3 or not isinstance(st, dict):
        raise ExportError("%s: unexpected Tree pickle layout" % where)
    t_features, _t_classes, t_outputs = args
    if int(t_outputs) != 1:
        raise ExportError("%s: multi-output trees (%d outputs) are not supported"
                          % (where, int(t_outputs)))
    if int(t_features) != n_features:
        raise ExportError("%s: tree has %s features, model %d" % (where, t_features, n_features))
    nodes, values = st["nodes"], np.asarray(st["values"])
    node_count = int(st["node_count"])
    names = nodes.dtype.names or ()
    for field in TREE_FIELDS:
        if field not in names:
            raise ExportError("%s: node array has no field %r (fields: %s)" % (where, field, names))
    if len(nodes) != node_count or values.ndim != 3 or values.shape[:2] != (node_count, 1):
        raise ExportError("%s: %d nodes, node_count %d, values shape %s"
                          % (where, len(nodes), node_count, values.shape))
    left = np.asarray(nodes["left_child"], dtype=np.int64)
    right = np.asarray(nodes["right_child"], dtype=np.int64)
    feature = np.asarray(nodes["feature"], dtype=np.int64)
    threshold = _f64(nodes["threshold"], where + " threshold").copy()
    value = _f64(values, where + " value").copy()
    mgl = None
    if "missing_go_to_left" in names:
        mgl = np.asarray(nodes["missing_go_to_left"], dtype=np.uint8)
    check_tree_structure(left, right, feature, n_features, where)
    split = left != -1
    if np.any(np.isnan(threshold[split])):
        raise ExportError("%s: a split threshold is NaN" % where)
    return left, right, feature, threshold, value, mgl


def check_tree_structure(left, right, feature, n_features, where):
    n = len(left)
    if n == 0 or len(right) != n or len(feature) != n:
        raise ExportError("%s: empty tree or arrays of different lengths" % where)
    idx = np.arange(n)
    leaf = (left == -1) | (right == -1)
    if np.any(leaf & ((left != -1) | (right != -1))):
        raise ExportError("%s: a node has only one child" % where)
    s = ~leaf
    # sklearn builds depth first: children always come after their parent
    if np.any((left[s] <= idx[s]) | (left[s] >= n) | (right[s] <= idx[s]) | (right[s] >= n)):
        raise ExportError("%s: child index out of range" % where)
    if np.any((feature[s] < 0) | (feature[s] >= n_features)):
        raise ExportError("%s: split feature out of range" % where)


def tree_block(trees):
    """Many trees as one block: per field ONE concatenated array, plus node_offset."""
    counts = [len(t[0]) for t in trees]
    offset = np.zeros(len(trees) + 1, dtype=np.int64)
    offset[1:] = np.cumsum(counts)
    shapes = {t[4].shape[1:] for t in trees}
    if len(shapes) != 1:
        raise ExportError("trees have different value shapes: %s" % sorted(shapes))
    mgls = [t[5] for t in trees]
    if any(m is None for m in mgls) and not all(m is None for m in mgls):
        raise ExportError("some trees have missing_go_to_left and some do not")
    return {
        "n_trees": len(trees),
        "node_offset": encode_array(offset),
        "children_left": encode_array(narrow_int(np.concatenate([t[0] for t in trees]))),
        "children_right": encode_array(narrow_int(np.concatenate([t[1] for t in trees]))),
        "feature": encode_array(narrow_int(np.concatenate([t[2] for t in trees]))),
        "threshold": encode_array(np.concatenate([t[3] for t in trees])),
        "value": encode_array(np.concatenate([t[4] for t in trees])),
        "missing_go_to_left": None if mgls[0] is None else encode_array(np.concatenate(mgls)),
    }


def _tree_of(est, n_features, where):
    st = state_of(est, where)
    return tree_arrays(st.get("tree_"), n_features, where)


def tree_nan_input(name, st, version):
    """Does scikit-learn VERSION's predict accept NaN for this tree model (else ValueError)?
    sklearn/tree/_classes.py ``_support_missing_values`` and the ``allow_nan`` tag."""
    v = version_tuple(version)
    single = name.startswith("DecisionTree")
    extra = name.startswith("ExtraTrees")
    if single:
        base, splitter = st, st.get("splitter", "best")
        if v < (1, 3, 0):
            return False
    else:
        base, splitter = st, "random" if extra else "best"
        if v < ((1, 6, 0) if extra else (1, 4, 0)):
            return False
    if v >= (1, 9, 0):
        return True  # 1.9: allow_nan is True for every tree (tree/_classes.py __sklearn_tags__)
    if splitter == "random" and v < (1, 6, 0):
        return False
    if base.get("monotonic_cst") is not None:
        return False
    crit = base.get("criterion")
    if "Classifier" in name:
        ok = {"gini", "log_loss", "entropy"}
    else:
        ok = {"squared_error", "friedman_mse", "poisson"}
    return crit in ok


# -- estimators -----------------------------------------------------------------------------

def export_decision_tree(obj, st, name, version, n_features):
    t = _tree_of(obj, n_features, name)
    block = tree_block([t])
    est = {"kind": "decision_tree_classifier" if "Classifier" in name else "decision_tree_regressor",
           "class": name, "input_cast": "float32",
           "nan_input": "missing_go_to_left" if tree_nan_input(name, st, version) else "reject",
           "value_meaning": _value_meaning(name, version), "trees": block}
    if "Classifier" in name:
        est["n_classes"] = int(np.asarray(st["n_classes_"]).reshape(-1)[0])
    return est


def _value_meaning(name, version):
    if "Classifier" not in name:
        return "mean"
    return "fractions" if version_tuple(version) >= (1, 4, 0) else "weighted_counts"


def export_forest(obj, st, name, version, n_features):
    if int(_get(st, "n_outputs_", default=1)) != 1:
        raise ExportError("%s with %d outputs (multi-output) is not supported"
                          % (name, int(st["n_outputs_"])))
    ests = st.get("estimators_")
    if not isinstance(ests, (list, tuple)) or not ests:
        raise ExportError("%s is not fitted (no estimators_)" % name)
    trees = [_tree_of(e, n_features, "%s tree %d" % (name, i)) for i, e in enumerate(ests)]
    est = {"kind": "forest_classifier" if "Classifier" in name else "forest_regressor",
           "class": name, "input_cast": "float32",
           "nan_input": "missing_go_to_left" if tree_nan_input(name, st, version) else "reject",
           "value_meaning": _value_meaning(name, version),
           "n_estimators": len(trees), "trees": tree_block(trees)}
    if "Classifier" in name:
        est["n_classes"] = int(np.asarray(st["n_classes_"]).reshape(-1)[0])
    return est


GB_LOSS_NAMES = {
    # parameter value (any era) -> canonical name
    "ls": "squared_error", "squared_error": "squared_error",
    "lad": "absolute_error", "absolute_error": "absolute_error",
    "huber": "huber", "quantile": "quantile",
    "deviance": "log_loss", "log_loss": "log_loss", "exponential": "exponential",
}


def _gb_init(init, version, classifier):
    """The init estimator, verbatim (its constant as sklearn stored it)."""
    if isinstance(init, str):
        if init == "zero":
            return {"kind": "zero"}
        raise ExportError("unsupported init %r" % (init,))
    if not is_stub(init):
        raise ExportError("unsupported init estimator %r" % (init,))
    nm, ist = init._sk_name, state_of(init, "init estimator")
    if nm == "DummyRegressor" and not classifier:
        return {"kind": "dummy_regressor", "strategy": str(ist.get("strategy")),
                "constant": encode_array(_f64(ist["constant_"], "DummyRegressor.constant_"))}
    if nm == "DummyClassifier" and classifier:
        if ist.get("strategy") != "prior":
            raise ExportError("unsupported init DummyClassifier(strategy=%r): only 'prior'"
                              % ist.get("strategy"))
        return {"kind": "dummy_classifier", "strategy": "prior",
                "class_prior": encode_array(_f64(ist["class_prior_"], "class_prior_"))}
    legacy = {"MeanEstimator": "mean", "QuantileEstimator": "quantile",
              "LogOddsEstimator": "prior", "ScaledLogOddsEstimator": "prior",
              "PriorProbabilityEstimator": "priors"}
    if nm == "ZeroEstimator":
        return {"kind": "zero_estimator"}
    if nm in legacy:
        val = np.asarray(ist[legacy[nm]], dtype=np.float64)
        return {"kind": re.sub(r"(?<!^)([A-Z])", r"_\1", nm).lower(),
                legacy[nm]: encode_array(val)}
    raise ExportError("unsupported init estimator %s (pickled by scikit-learn %s): only a "
                      "constant init (the default, 'zero', DummyRegressor/DummyClassifier)"
                      % (init.qualname, version))


def export_gradient_boosting(obj, st, name, version, n_features):
    classifier = "Classifier" in name
    loss = GB_LOSS_NAMES.get(st.get("loss"))
    if loss is None:
        raise ExportError("unsupported loss %r of %s" % (st.get("loss"), name))
    ests = st.get("estimators_")
    if not isinstance(ests, np.ndarray) or ests.ndim != 2:
        raise ExportError("%s is not fitted (no estimators_)" % name)
    n_stages, k = ests.shape
    trees = [_tree_of(ests[i, j], n_features, "%s stage %d tree %d" % (name, i, j))
             for i in range(n_stages) for j in range(k)]
    est = {"kind": "gradient_boosting_classifier" if classifier else "gradient_boosting_regressor",
           "class": name, "input_cast": "float32", "nan_input": "reject",
           "loss": loss, "loss_parameter": str(st.get("loss")),
           "learning_rate": float(st["learning_rate"]),
           "n_stages": int(n_stages), "n_trees_per_stage": int(k),
           "init": _gb_init(st.get("init_"), version, classifier),
           "trees": tree_block(trees)}
    if classifier:
        est["n_classes"] = int(st["n_classes_"])
    if loss in ("huber", "quantile"):
        est["alpha"] = float(st["alpha"])
    return est


# the pickled HGB loss object's class -> (canonical loss, inverse link at predict time)
HGB_LOSSES = {
    "LeastSquares": ("squared_error", "identity"), "HalfSquaredError": ("squared_error", "identity"),
    "LeastAbsoluteDeviation": ("absolute_error", "identity"),
    "AbsoluteError": ("absolute_error", "identity"), "PinballLoss": ("quantile", "identity"),
    "Poisson": ("poisson", "exp"), "HalfPoissonLoss": ("poisson", "exp"),
    "HalfGammaLoss": ("gamma", "exp"),
    "BinaryCrossEntropy": ("log_loss", "expit"), "HalfBinomialLoss": ("log_loss", "expit"),
    "CategoricalCrossEntropy": ("log_loss", "softmax"),
    "HalfMultinomialLoss": ("log_loss", "softmax"),
}
HGB_FIELDS = ("value", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right",
              "is_leaf")


def export_hist_gradient_boosting(obj, st, name, version, n_features):
    classifier = "Classifier" in name
    if st.get("_preprocessor") is not None:
        raise ExportError("%s with categorical features (a fitted _preprocessor) is not "
                          "supported" % name)
    iscat = st.get("is_categorical_")
    if iscat is not None and np.any(np.asarray(iscat)):
        raise ExportError("%s with categorical features (is_categorical_) is not supported" % name)
    loss_obj = st.get("_loss")
    lname = loss_obj._sk_name if is_stub(loss_obj) else None
    if lname not in HGB_LOSSES:
        raise ExportError("unsupported %s loss %r (pickled by scikit-learn %s)"
                          % (name, lname or st.get("loss"), version))
    loss, link = HGB_LOSSES[lname]
    preds = st.get("_predictors")
    if not isinstance(preds, list) or not preds:
        raise ExportError("%s is not fitted (no _predictors)" % name)
    k = int(st.get("n_trees_per_iteration_", 1))
    flat = []
    for i, it in enumerate(preds):
        if len(it) != k:
            raise ExportError("%s iteration %d has %d predictors, expected %d" % (name, i, len(it), k))
        for j, p in enumerate(it):
            w = "%s iteration %d predictor %d" % (name, i, j)
            pst = state_of(p, w)
            nodes = pst["nodes"]
            fields = nodes.dtype.names or ()
            for f in HGB_FIELDS:
                if f not in fields:
                    raise ExportError("%s: node array has no field %r" % (w, f))
            if "is_categorical" in fields and np.any(nodes["is_categorical"]):
                raise ExportError("%s: categorical splits are not supported" % w)
            left = np.where(nodes["is_leaf"] != 0, -1, nodes["left"].astype(np.int64))
            right = np.where(nodes["is_leaf"] != 0, -1, nodes["right"].astype(np.int64))
            check_tree_structure(left, right, nodes["feature_idx"].astype(np.int64), n_features, w)
            flat.append(nodes)
    counts = [len(n) for n in flat]
    offset = np.zeros(len(flat) + 1, dtype=np.int64)
    offset[1:] = np.cumsum(counts)
    allnodes = np.concatenate(flat)
    block = {"n_predictors": len(flat), "node_offset": encode_array(offset)}
    for f in HGB_FIELDS:
        col = np.ascontiguousarray(allnodes[f])
        block[f] = encode_array(narrow_int(col) if col.dtype.kind in "iu" else col)
    baseline = np.asarray(st["_baseline_prediction"], dtype=np.float64)
    if baseline.size not in (1, k):
        raise ExportError("%s: baseline_prediction has %d values for %d trees per iteration"
                          % (name, baseline.size, k))
    est = {"kind": ("hist_gradient_boosting_classifier" if classifier
                    else "hist_gradient_boosting_regressor"),
           "class": name, "input_cast": "float64", "nan_input": "missing_go_to_left",
           "loss": loss, "loss_parameter": str(st.get("loss")), "loss_class": lname,
           "inverse_link": link, "n_iterations": len(preds), "n_trees_per_iteration": k,
           "baseline_prediction": encode_array(baseline), "predictors": block}
    if classifier:
        est["n_classes"] = len(np.asarray(st["classes_"]).reshape(-1))
    return est


def export_linear(obj, st, name, version, n_features):
    coef = _f64(st["coef_"], name + ".coef_")
    if coef.ndim != 1 and not (coef.ndim == 2 and coef.shape[0] == 1):
        raise ExportError("%s with %d targets (multi-output) is not supported" % (name, coef.shape[0]))
    icpt = np.asarray(st["intercept_"], dtype=np.float64)
    if icpt.size != 1:
        raise ExportError("%s with %d intercepts (multi-output) is not supported" % (name, icpt.size))
    return {"kind": "linear_regressor", "class": name, "input_cast": "float64",
            "nan_input": "reject", "coef": encode_array(coef), "intercept": encode_array(icpt)}


def logistic_multi_class(st, version, n_classes):
    """"binary", "ovr" or "multinomial": what sklearn/linear_model/_logistic.py
    (``predict_proba``) of VERSION does for these parameters."""
    mc = st.get("multi_class", "auto")
    if n_classes <= 2:
        # 1.0-1.7: multi_class="multinomial" on two classes is softmax([-d, d])
        return "binary_softmax" if mc == "multinomial" else "binary"
    solver = st.get("solver", "lbfgs")
    v = version_tuple(version)
    if v < (0, 22, 0) and mc == "warn":
        return "ovr"
    if mc == "deprecated":
        mc = "auto"
    if mc in ("ovr", "warn"):
        return "ovr"
    if mc == "multinomial":
        return "multinomial"
    # "auto"
    return "ovr" if solver == "liblinear" else "multinomial"


def export_logistic(obj, st, name, version, n_features):
    coef = _f64(st["coef_"], name + ".coef_")
    icpt = np.asarray(st["intercept_"], dtype=np.float64)
    classes = np.asarray(st["classes_"]).reshape(-1)
    n_classes = len(classes)
    if coef.ndim != 2 or coef.shape[0] != (1 if n_classes == 2 else n_classes):
        raise ExportError("%s: coef_ shape %s for %d classes" % (name, coef.shape, n_classes))
    return {"kind": "logistic_regression", "class": name, "input_cast": "float64",
            "nan_input": "reject", "multi_class": logistic_multi_class(st, version, n_classes),
            "multi_class_parameter": str(st.get("multi_class", "auto")),
            "solver": str(st.get("solver")), "n_classes": n_classes,
            "coef": encode_array(coef), "intercept": encode_array(icpt)}


ESTIMATORS = {
    "DecisionTreeRegressor": export_decision_tree, "DecisionTreeClassifier": export_decision_tree,
    "RandomForestRegressor": export_forest, "RandomForestClassifier": export_forest,
    "ExtraTreesRegressor": export_forest, "ExtraTreesClassifier": export_forest,
    "GradientBoostingRegressor": export_gradient_boosting,
    "GradientBoostingClassifier": export_gradient_boosting,
    "HistGradientBoostingRegressor": export_hist_gradient_boosting,
    "HistGradientBoostingClassifier": export_hist_gradient_boosting,
    "LinearRegression": export_linear, "Ridge": export_linear, "Lasso": export_linear,
    "ElasticNet": export_linear, "LogisticRegression": export_logistic,
}


# -- preprocessing steps --------------------------------------------------------------------

def _opt_f64(st, key, what):
    v = st.get(key)
    return None if v is None else encode_array(_f64(v, what))


def export_step(step, version):
    nm = step._sk_name
    st = state_of(step, nm)
    if nm == "StandardScaler":
        return {"kind": "standard_scaler",
                "mean": _opt_f64(st, "mean_", "StandardScaler.mean_") if st.get("with_mean", True) else None,
                "scale": _opt_f64(st, "scale_", "StandardScaler.scale_") if st.get("with_std", True) else None}
    if nm == "MinMaxScaler":
        fr = [float(v) for v in st.get("feature_range", (0, 1))]
        return {"kind": "min_max_scaler", "min": encode_array(_f64(st["min_"], "MinMaxScaler.min_")),
                "scale": encode_array(_f64(st["scale_"], "MinMaxScaler.scale_")),
                "clip": bool(st.get("clip", False)), "feature_range": fr}
    if nm == "MaxAbsScaler":
        return {"kind": "max_abs_scaler", "scale": encode_array(_f64(st["scale_"], "MaxAbsScaler.scale_"))}
    if nm == "SimpleImputer":
        mv = st.get("missing_values")
        if not (isinstance(mv, float) and math.isnan(mv)):
            raise ExportError("SimpleImputer(missing_values=%r) is not supported: only NaN" % (mv,))
        if st.get("add_indicator"):
            raise ExportError("SimpleImputer(add_indicator=True) is not supported")
        stats = np.asarray(st["statistics_"])
        if stats.dtype == object and all(isinstance(v, (float, int, np.floating, np.integer))
                                          and not isinstance(v, bool) for v in stats):
            stats = stats.astype(np.float64)  # strategy="constant" stores fill_value as objects
        if stats.dtype != np.float64:
            raise ExportError("SimpleImputer statistics of dtype %s are not supported (numeric "
                              "features only)" % stats.dtype)
        if np.any(np.isnan(stats)):
            raise ExportError("SimpleImputer has features without statistics (all missing at "
                              "fit; scikit-learn drops those columns): not supported")
        return {"kind": "simple_imputer", "strategy": str(st.get("strategy")),
                "missing_values": "nan", "statistics": encode_array(stats)}
    raise unsupported(step, version, "pipeline step")


# -- the document -----------------------------------------------------------------------------

def build_v2(root, input_path, features=None, name=None, version="1", target=None,
             description=None):
    """The v2 model document (a dict in the documented key order) for a stubbed pickle."""
    if not isinstance(root, Stub):
        raise ExportError("the pickle holds a %s, not a scikit-learn estimator"
                          % type(root).__name__)
    sk = sk_version(root)
    steps = []
    est_obj = root
    if root._sk_name == "Pipeline":
        raw_steps = state_of(root, "Pipeline").get("steps") or []
        objs = [s[1] for s in raw_steps if not (s[1] is None or s[1] == "passthrough")]
        if not objs:
            raise ExportError("empty Pipeline")
        est_obj = objs[-1]
        for s in objs[:-1]:
            if not is_stub(s, *SUPPORTED_STEPS):
                raise unsupported(s, sk_version(s, sk), "pipeline step")
            steps.append(s)
    if not is_stub(est_obj, *SUPPORTED_ESTIMATORS) or not str(est_obj._sk_module).startswith("sklearn"):
        if is_stub(est_obj, *SUPPORTED_STEPS):
            raise ExportError("%s alone is not a model (pickled by scikit-learn %s); %s"
                              % (est_obj.qualname, sk, SUPPORTED_LINE))
        raise unsupported(est_obj, sk_version(est_obj, sk))
    est_version = sk_version(est_obj, sk)
    st = state_of(est_obj, est_obj._sk_name)
    n_features = _n_features(st)
    for s in steps:
        n = _n_features(state_of(s, s._sk_name))
        if n_features is None:
            n_features = n
        if n is not None and n != n_features:
            raise ExportError("pipeline step %s has %d features, the estimator %d"
                              % (s._sk_name, n, n_features))
    if n_features is None:
        raise ExportError("%s is not fitted (no n_features_in_)" % est_obj._sk_name)
    estimator = ESTIMATORS[est_obj._sk_name](est_obj, st, est_obj._sk_name, est_version, n_features)
    pre = [export_step(s, sk_version(s, sk)) for s in steps]
    for p in pre:
        for key in ("mean", "scale", "min", "statistics"):
            if p.get(key) is not None and p[key]["shape"] != [n_features]:
                raise ExportError("%s.%s has shape %s, expected [%d]" % (p["kind"], key, p[key]["shape"], n_features))

    names_in = None
    for o in [root] + steps + [est_obj]:
        fn = state_of(o, o._sk_name).get("feature_names_in_")
        if fn is not None:
            names_in = [str(f) for f in np.asarray(fn, dtype=object).reshape(-1)]
            break
    if names_in is not None:
        if features is not None and list(features) != names_in:
            raise ExportError("--features %s differ from the names the model was fitted with "
                              "(feature_names_in_ %s)" % (",".join(features), ",".join(names_in)))
        features = names_in
    if features is None:
        features = ["x%d" % i for i in range(n_features)]
    features = [str(f) for f in features]
    if len(features) != n_features or len(set(features)) != n_features:
        raise ExportError("%d distinct feature names needed, got %d" % (n_features, len(features)))

    classes = None
    if st.get("classes_") is not None:  # (0.20 regressors pickle classes_ = None)
        classes = _labels(st["classes_"], est_obj._sk_name)
        if estimator.get("n_classes") not in (None, len(classes)):
            raise ExportError("%s: %d classes_ but n_classes %d"
                              % (est_obj._sk_name, len(classes), estimator["n_classes"]))
    with open(input_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    stem = os.path.basename(input_path).split(".")[0]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name or re.sub(r"[^A-Za-z0-9_.-]", "-", stem),
        "version": str(version),
        "description": description or ("scikit-learn %s %s" % (
            est_obj._sk_name if not steps else "Pipeline(%s)" % ", ".join(
                [s._sk_name for s in steps] + [est_obj._sk_name]), est_version)),
        "task": "classification" if classes is not None else "regression",
        "n_features": n_features,
        "features": features,
        "target": target,
        "classes": classes,
        "source": {"library": "scikit-learn", "sklearn_version": est_version,
                   "class": root.qualname, "file": os.path.basename(input_path),
                   "sha256": sha, "exported_by": EXPORTED_BY},
        "preprocessing": pre,
        "estimator": estimator,
    }


def _is_array_doc(v):
    return isinstance(v, dict) and set(v) == {"dtype", "shape", "data"}


def _dump(v, indent):
    pad = "  " * (indent + 1)
    if isinstance(v, dict) and v and not _is_array_doc(v):
        items = ["%s%s: %s" % (pad, json.dumps(k), _dump(x, indent + 1)) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(v, list) and v and any(isinstance(x, dict) for x in v):
        items = [pad + _dump(x, indent + 1) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def dumps_v2(doc):
    """Deterministic text: 2-space indent; every array (and base64 array) on one line."""
    return _dump(doc, 0) + "\n"
