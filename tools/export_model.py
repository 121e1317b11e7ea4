#!/usr/bin/env python3
# Exports a pickled scikit-learn model (any supported estimator or pipeline, pickled by scikit-learn
# 0.20 .. 1.9) to the edge-predictor model file (format v2 by default; v1 with --format-version 1).
"""Export a scikit-learn model to ``*.model.json``.

The formats are documented in ``model_data/README.md``.  Format version 2 (the default) is
written by ``export_v2.py`` from the pickle's state read WITHOUT scikit-learn
(``sklearn_stubs.py``), for every estimator and pipeline listed there.

Format version 1 (``--format-version 1``) is the original squared-error
GradientBoostingRegressor format, kept byte for byte for the committed Boston model (the
servers read both versions).  For it two kinds of input are read:

* pickles written by scikit-learn 0.20 (module ``sklearn.ensemble.gradient_boosting``,
  which current scikit-learn cannot import): read WITHOUT scikit-learn, by a joblib
  ``NumpyUnpickler`` subclass that maps every scikit-learn class to a plain stub that
  keeps its pickled state;
* pickles written by the installed (current) scikit-learn: a ``GradientBoostingRegressor``
  or a ``Pipeline`` of ``StandardScaler`` + ``GradientBoostingRegressor``, read with
  ``joblib.load`` and the real scikit-learn.

Only squared-error ("ls" / "squared_error") regression with a constant (mean/zero/dummy)
init is supported; anything else is refused with a clear message.

Usage::

    python tools/export_model.py INPUT.joblib -o OUTPUT.json [--features A,B,...] [--name N]
    python tools/export_model.py INPUT.joblib -o OUTPUT.json --format-version 1 [--features CHAS,RM,...]
        [--scaler-json FILE] [--name boston-housing] [--version 1] [--target MEDV]
        [--description TEXT]
"""

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FORMAT = "edge-predictor-model"
FORMAT_VERSION = 1
EXPORTED_BY = "tools/export_model.py"
DEFAULT_DESCRIPTION = (
    "scikit-learn GradientBoostingRegressor (squared error) predicting the median value "
    "of owner-occupied homes (MEDV, in $1000s) from 6 Boston housing features"
)

# Modules under which scikit-learn 0.20 pickled its gradient boosting classes.
LEGACY_GB_MODULE = "sklearn.ensemble.gradient_boosting"


from export_v2 import ExportError, build_v2, dumps_v2, sk_version  # noqa: E402
from sklearn_stubs import NotAPickle, Stub, load_with_stubs as _load_with_stubs  # noqa: E402


def load_with_stubs(path):
    """Unpickle a joblib file with every scikit-learn class replaced by a stub."""
    try:
        return _load_with_stubs(path)
    except NotAPickle as exc:
        raise ExportError(str(exc))


def _state(obj, what):
    if not isinstance(obj, Stub) or not isinstance(obj._state, dict):
        raise ExportError("unexpected %s in the pickle: %r" % (what, obj))
    return obj._state


def _tree_from_legacy(tree_stub, n_features, index):
    """Arrays of one sklearn 0.20 ``Tree`` stub (constructor args + __getstate__ dict)."""
    if not isinstance(tree_stub, Stub) or tree_stub._sk_name != "Tree":
        raise ExportError("tree %d: expected a sklearn.tree._tree.Tree, got %r" % (index, tree_stub))
    args = tree_stub._args
    st = tree_stub._state
    if len(args) != 3 or not isinstance(st, dict):
        raise ExportError("tree %d: unexpected Tree pickle layout" % index)
    t_features, t_classes, t_outputs = args
    if int(t_outputs) != 1 or int(t_features) != n_features:
        raise ExportError("tree %d: %s outputs / %s features; only single-output regression "
                          "trees over %d features are supported" % (index, t_outputs, t_features, n_features))
    nodes = st["nodes"]
    values = np.asarray(st["values"])
    node_count = int(st["node_count"])
    names = nodes.dtype.names or ()
    for field in ("left_child", "right_child", "feature", "threshold"):
        if field not in names:
            raise ExportError("tree %d: node array has no field %r (fields: %s)" % (index, field, names))
    if len(nodes) != node_count or values.shape != (node_count, 1, 1):
        raise ExportError("tree %d: %d nodes, node_count %d, values shape %s (expected (n, 1, 1))"
                          % (index, len(nodes), node_count, values.shape))
    return (nodes["left_child"], nodes["right_child"], nodes["feature"], nodes["threshold"],
            values[:, 0, 0])


def extract_legacy(obj):
    """Model dict parts from a stubbed scikit-learn 0.20 GradientBoostingRegressor."""
    cls = (obj._sk_module, obj._sk_name)
    if cls != (LEGACY_GB_MODULE, "GradientBoostingRegressor"):
        raise ExportError(
            "unsupported scikit-learn 0.20 object %s.%s: only GradientBoostingRegressor "
            "is supported" % cls)
    st = _state(obj, "GradientBoostingRegressor")
    loss = st.get("loss")
    if loss != "ls":
        raise ExportError("unsupported loss %r: only squared error ('ls') regression is "
                          "supported" % (loss,))
    loss_obj = st.get("loss_")
    if loss_obj is not None and getattr(loss_obj, "_sk_name", None) != "LeastSquaresError":
        raise ExportError("unsupported loss object %r: only LeastSquaresError is supported" % (loss_obj,))
    init_ = st.get("init_")
    init_name = getattr(init_, "_sk_name", None)
    if init_name == "MeanEstimator" and getattr(init_, "_sk_module", None) == LEGACY_GB_MODULE:
        init_value = float(_state(init_, "MeanEstimator")["mean"])
    elif init_name == "ZeroEstimator" and getattr(init_, "_sk_module", None) == LEGACY_GB_MODULE:
        init_value = 0.0
    else:
        raise ExportError("unsupported init estimator %r: only the default mean init "
                          "(MeanEstimator) or init='zero' is supported" % (init_,))
    n_features = int(st.get("n_features_", st.get("n_features", -1)))
    estimators = st.get("estimators_")
    if not isinstance(estimators, np.ndarray) or estimators.ndim != 2 or estimators.shape[1] != 1:
        raise ExportError("estimators_ is missing or not an (n_stages, 1) array: is the model fitted?")
    trees = []
    for i in range(estimators.shape[0]):
        dtr = estimators[i, 0]
        if getattr(dtr, "_sk_name", None) != "DecisionTreeRegressor":
            raise ExportError("stage %d: expected a DecisionTreeRegressor, got %r" % (i, dtr))
        trees.append(_tree_from_legacy(_state(dtr, "DecisionTreeRegressor").get("tree_"), n_features, i))
    return {
        "library_version": str(st.get("_sklearn_version", "unknown")),
        "n_features": n_features,
        "learning_rate": float(st["learning_rate"]),
        "init": init_value,
        "trees": trees,
        "scaler": None,
        "feature_names": None,
    }


# --------------------------------------------------------------------------------------
# Reading current scikit-learn pickles (real scikit-learn)
# --------------------------------------------------------------------------------------

def extract_modern(model):
    """Model dict parts from a current-sklearn GBR or Pipeline(StandardScaler, GBR)."""
    import sklearn
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    scaler = None
    feature_names = getattr(model, "feature_names_in_", None)
    if isinstance(model, Pipeline):
        steps = [est for _, est in model.steps if est not in (None, "passthrough")]
        if len(steps) == 2 and isinstance(steps[0], StandardScaler):
            sc = steps[0]
            n = int(sc.n_features_in_)
            mean = np.zeros(n) if sc.mean_ is None else np.asarray(sc.mean_, dtype=np.float64)
            scale = np.ones(n) if sc.scale_ is None else np.asarray(sc.scale_, dtype=np.float64)
            scaler = {"mean": mean, "scale": scale}
            gbr = steps[1]
        elif len(steps) == 1:
            gbr = steps[0]
        else:
            raise ExportError("unsupported Pipeline %s: only [StandardScaler,] "
                              "GradientBoostingRegressor is supported"
                              % [type(s).__name__ for s in steps])
        if feature_names is None:
            feature_names = getattr(steps[0], "feature_names_in_", None)
    else:
        gbr = model
    if type(gbr) is not GradientBoostingRegressor:
        raise ExportError("unsupported model type %s: only GradientBoostingRegressor "
                          "(optionally after a StandardScaler in a Pipeline) is supported"
                          % type(gbr).__name__)
    if not hasattr(gbr, "estimators_"):
        raise ExportError("the GradientBoostingRegressor is not fitted")
    if gbr.loss not in ("squared_error", "ls"):
        raise ExportError("unsupported loss %r: only squared error ('squared_error'/'ls') "
                          "regression is supported" % (gbr.loss,))
    init_ = gbr.init_
    if isinstance(init_, str) and init_ == "zero":
        init_value = 0.0
    else:
        from sklearn.dummy import DummyRegressor
        if type(init_) is not DummyRegressor:
            raise ExportError("unsupported init estimator %r: only a constant init "
                              "(the default DummyRegressor, or init='zero') is supported" % (init_,))
        const = np.asarray(init_.constant_, dtype=np.float64).reshape(-1)
        if const.shape != (1,):
            raise ExportError("init estimator has %d outputs; only 1 is supported" % const.shape[0])
        init_value = float(const[0])
    n_features = int(gbr.n_features_in_)
    if scaler is not None and len(scaler["mean"]) != n_features:
        raise ExportError("scaler has %d features, estimator %d" % (len(scaler["mean"]), n_features))
    trees = []
    est = gbr.estimators_
    if est.ndim != 2 or est.shape[1] != 1:
        raise ExportError("estimators_ has shape %s; only single-output regression is supported" % (est.shape,))
    for i in range(est.shape[0]):
        t = est[i, 0].tree_
        if t.n_outputs != 1 or t.value.shape[1:] != (1, 1):
            raise ExportError("stage %d: multi-output trees are not supported" % i)
        trees.append((t.children_left, t.children_right, t.feature, t.threshold, t.value[:, 0, 0]))
    return {
        "library_version": str(getattr(gbr, "_sklearn_version", sklearn.__version__)),
        "n_features": n_features,
        "learning_rate": float(gbr.learning_rate),
        "init": init_value,
        "trees": trees,
        "scaler": scaler,
        "feature_names": None if feature_names is None else [str(f) for f in feature_names],
    }


# --------------------------------------------------------------------------------------
# Validation and writing
# --------------------------------------------------------------------------------------

def _finite(x, what):
    x = float(x)
    if not math.isfinite(x):
        raise ExportError("%s is not finite (%r)" % (what, x))
    return x


def check_tree(arrays, n_features, index):
    """Validate one tree's arrays and convert them to plain Python lists."""
    left, right, feature, threshold, value = arrays
    n = len(left)
    if not (len(right) == len(feature) == len(threshold) == len(value) == n) or n == 0:
        raise ExportError("tree %d: arrays of different lengths or empty" % index)
    left = [int(v) for v in left]
    right = [int(v) for v in right]
    feature = [int(v) for v in feature]
    threshold = [float(v) for v in threshold]
    value = [_finite(v, "tree %d value" % index) for v in value]
    for i in range(n):
        if left[i] == -1 or right[i] == -1:
            if not (left[i] == -1 and right[i] == -1):
                raise ExportError("tree %d node %d: only one child" % (index, i))
        else:
            # sklearn builds trees depth first: children always come after their parent
            if not (i < left[i] < n and i < right[i] < n):
                raise ExportError("tree %d node %d: child index out of range" % (index, i))
            if not 0 <= feature[i] < n_features:
                raise ExportError("tree %d node %d: feature %d out of range" % (index, i, feature[i]))
            _finite(threshold[i], "tree %d node %d threshold" % (index, i))
    return {"children_left": left, "children_right": right, "feature": feature,
            "threshold": threshold, "value": value}


def load_scaler_json(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("kind", "standard") != "standard":
        raise ExportError("%s: only a standard scaler is supported" % path)
    return doc


def build_model(input_path, features=None, scaler_json=None, name="boston-housing",
                version="1", target=None, description=None):
    """Read INPUT and return the model document (an ordered dict)."""
    try:
        obj = load_with_stubs(input_path)
    except ExportError:
        raise
    except Exception:
        obj = None  # not readable with stubs: maybe scikit-learn itself can read it
    if isinstance(obj, Stub) and obj._sk_module == LEGACY_GB_MODULE:
        parts = extract_legacy(obj)
    elif isinstance(obj, Stub) and obj._sk_module.startswith("sklearn.ensemble.gradient_boosting"):
        raise ExportError("unsupported object %s.%s" % (obj._sk_module, obj._sk_name))
    elif isinstance(obj, Stub) and obj._sk_name not in ("GradientBoostingRegressor", "Pipeline"):
        raise ExportError(
            "%s (pickled by scikit-learn %s) needs format version 2 (the default); format version 1 "
            "holds only a squared-error GradientBoostingRegressor, optionally after a StandardScaler "
            "in a Pipeline" % (obj.qualname, sk_version(obj)))
    else:
        # Not a 0.20 gradient boosting pickle: let the installed scikit-learn read it.
        import joblib
        try:
            model = joblib.load(input_path)
        except Exception as exc:
            raise ExportError("cannot load %s with scikit-learn: %s: %s"
                              % (input_path, type(exc).__name__, exc))
        parts = extract_modern(model)

    n_features = parts["n_features"]
    scaler = parts["scaler"]
    scaler_doc = load_scaler_json(scaler_json) if scaler_json else None
    if scaler_doc is not None:
        if scaler is not None:
            raise ExportError("the model already contains a StandardScaler; do not pass --scaler-json")
        scaler = {"mean": scaler_doc["mean"], "scale": scaler_doc["scale"]}
    if features is None and scaler_doc is not None:
        features = scaler_doc.get("features")
    if features is None:
        features = parts["feature_names"]
    if features is None:
        raise ExportError("the model stores no feature names: pass --features A,B,... "
                          "(in the model's column order)")
    features = [str(f) for f in features]
    if len(features) != n_features or len(set(features)) != n_features:
        raise ExportError("%d distinct feature names needed, got %s" % (n_features, features))
    if target is None and scaler_doc is not None:
        target = scaler_doc.get("target")
    if scaler is not None:
        mean = [_finite(v, "scaler mean") for v in scaler["mean"]]
        scale = [_finite(v, "scaler scale") for v in scaler["scale"]]
        if len(mean) != n_features or len(scale) != n_features:
            raise ExportError("scaler needs %d means and scales" % n_features)
        if any(s == 0.0 for s in scale):
            raise ExportError("scaler scale contains 0")
        scaler = {"kind": "standard", "mean": mean, "scale": scale}

    trees = [check_tree(t, n_features, i) for i, t in enumerate(parts["trees"])]
    if not trees:
        raise ExportError("the model has no trees")

    with open(input_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "description": description or DEFAULT_DESCRIPTION,
        "features": features,
        "target": target,
        "source": {
            "library": "scikit-learn",
            "library_version": parts["library_version"],
            "file": os.path.basename(input_path),
            "sha256": sha,
            "exported_by": EXPORTED_BY,
        },
        "scaler": scaler,
        "estimator": {
            "kind": "gradient_boosting_regressor",
            "loss": "ls",
            "learning_rate": _finite(parts["learning_rate"], "learning_rate"),
            "init": _finite(parts["init"], "init"),
            "trees": trees,
        },
    }


def _j(value):
    # json.dumps writes floats with float.__repr__ (shortest exact round trip)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def dumps_model(doc):
    """Deterministic text: 2-space indent, each array and each tree on one line."""
    out = ["{"]
    keys = list(doc.keys())
    for ki, key in enumerate(keys):
        comma = "," if ki < len(keys) - 1 else ""
        val = doc[key]
        if key == "estimator":
            out.append('  "estimator": {')
            ekeys = list(val.keys())
            for ei, ek in enumerate(ekeys):
                ecomma = "," if ei < len(ekeys) - 1 else ""
                if ek == "trees":
                    out.append('    "trees": [')
                    for ti, tree in enumerate(val["trees"]):
                        tcomma = "," if ti < len(val["trees"]) - 1 else ""
                        out.append("      " + _j(tree) + tcomma)
                    out.append("    ]" + ecomma)
                else:
                    out.append("    %s: %s%s" % (_j(ek), _j(val[ek]), ecomma))
            out.append("  }" + comma)
        elif key == "scaler" and val is not None:
            out.append('  "scaler": {')
            skeys = list(val.keys())
            for si, sk in enumerate(skeys):
                scomma = "," if si < len(skeys) - 1 else ""
                out.append("    %s: %s%s" % (_j(sk), _j(val[sk]), scomma))
            out.append("  }" + comma)
        else:
            out.append("  %s: %s%s" % (_j(key), _j(val), comma))
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="pickled model (.joblib)")
    p.add_argument("-o", "--output", required=True, help="model JSON to write")
    p.add_argument("--features", help="comma-separated input column names, in model order")
    p.add_argument("--scaler-json", help="JSON with the training StandardScaler (mean, scale, "
                   "features, target), for models pickled without their scaler")
    p.add_argument("--name", default=None, help="model name (v1 default boston-housing; v2 default the file name)")
    p.add_argument("--version", default="1")
    p.add_argument("--target", default=None, help="name of the predicted quantity")
    p.add_argument("--description", default=None)
    p.add_argument("--format-version", type=int, choices=(1, 2), default=None,
                   help="model file format (default 2, every supported kind; 1 is the original squared-error "
                   "GradientBoostingRegressor format of the committed Boston model)")
    args = p.parse_args(argv)
    features = args.features.split(",") if args.features else None
    fmt = args.format_version or 2
    if fmt == 2:
        return main_v2(args, features)
    try:
        doc = build_model(args.input, features=features, scaler_json=args.scaler_json,
                          name=args.name or "boston-housing", version=args.version, target=args.target,
                          description=args.description)
    except ExportError as exc:
        print("export_model.py: error: %s" % exc, file=sys.stderr)
        return 2
    write_atomically(args.output, dumps_model(doc))
    n_nodes = sum(len(t["value"]) for t in doc["estimator"]["trees"])
    print("wrote %s: %d trees, %d nodes, features %s" % (args.output, len(doc["estimator"]["trees"]),
                                                         n_nodes, ",".join(doc["features"])),
          file=sys.stderr)
    return 0


def write_atomically(path, text):
    """Writes TEXT to PATH through a temporary file, so a failed run leaves no half file."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def main_v2(args, features):
    """Format version 2: stub-read pickle -> export_v2 document -> file (exit 2 on refusal)."""
    if args.scaler_json:
        print("export_model.py: error: --scaler-json is a format version 1 option", file=sys.stderr)
        return 2
    try:
        try:
            obj = load_with_stubs(args.input)
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError("cannot read %s as a joblib/pickle file: %s: %s"
                              % (args.input, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""))
        doc = build_v2(obj, args.input, features=features, name=args.name,
                       version=args.version, target=args.target, description=args.description)
    except ExportError as exc:
        print("export_model.py: error: %s" % exc, file=sys.stderr)
        return 2
    write_atomically(args.output, dumps_v2(doc))
    est = doc["estimator"]
    print("wrote %s: format 2, %s (scikit-learn %s), %d features%s" % (
        args.output, est["class"], doc["source"]["sklearn_version"], doc["n_features"],
        "" if doc["classes"] is None else ", %d classes" % len(doc["classes"])), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
