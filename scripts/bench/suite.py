# The tree-ensemble suite of scripts/bench_zoo.sh (issue 13): trains the models on synthetic data with the
# pinned scikit-learn, exports them with tools/export_model.py, and times scikit-learn, ONNX Runtime
# (skl2onnx) and treelite + tl2cgen on them, one core each, writing every engine's outputs as raw float64
# so that suite_report.py can count the bits that differ from scikit-learn's.
"""usage:
  suite.py train DIR [--quick]    models, rows and scikit-learn's outputs into DIR (skipped when up to date)
  suite.py peers DIR [--quick]    scikit-learn, ONNX Runtime, treelite (tl2cgen, GTIL) timings -> DIR/peers.jsonl
  suite.py edge-model DIR [--quick]  the 500-tree forest of scripts/bench/edge_cost.sh -> DIR/edge/
  suite.py compile DIR NAME       (internal) tl2cgen + gcc -O3 of one model, in a child with a time budget

DIR/manifest.json lists the models; DIR/rows.<data>.f64 holds the timed rows (row-major float64);
DIR/out/<model>.<engine>.{values,labels}.f64 every engine's answers (regressors: values; classifiers:
labels as float64 and the n_rows x K probabilities as values), scikit-learn's written by `peers`.
"""
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_ROWS = 50_000
BATCH_ROWS = 100_000
QUICK_TRAIN_ROWS = 5_000
QUICK_BATCH_ROWS = 10_000

# name -> (data set, estimator factory source). Trees: unlimited depth unless said.
DATA = {
    # make_regression, 32 features (20 informative)
    "regression": dict(kind="regression", n_features=32, seed=11),
    # make_classification, 2 classes, 20 features
    "binary": dict(kind="classification", n_features=20, n_classes=2, seed=12),
    # make_classification, 5 classes, 40 features
    "multiclass5": dict(kind="classification", n_features=40, n_classes=5, seed=13),
}


def models(quick):
    from sklearn.ensemble import (ExtraTreesRegressor, GradientBoostingRegressor, HistGradientBoostingClassifier,
                                  HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
    from sklearn.tree import DecisionTreeRegressor
    s = 10 if quick else 1  # --quick: a tenth of the trees
    return [
        ("random_forest_100", "regression", RandomForestRegressor(n_estimators=100 // s, random_state=0, n_jobs=2)),
        ("extra_trees_100", "regression", ExtraTreesRegressor(n_estimators=100 // s, random_state=0, n_jobs=2)),
        ("gradient_boosting_500x3", "regression",
         GradientBoostingRegressor(n_estimators=500 // s, max_depth=3, random_state=0)),
        ("gradient_boosting_300x6", "regression",
         GradientBoostingRegressor(n_estimators=300 // s, max_depth=6, random_state=0)),
        ("hist_gradient_boosting_200x31", "regression",
         HistGradientBoostingRegressor(max_iter=200 // s, max_leaf_nodes=31, early_stopping=False, random_state=0)),
        ("hist_gradient_boosting_5class_200x31", "multiclass5",
         HistGradientBoostingClassifier(max_iter=200 // s, max_leaf_nodes=31, early_stopping=False, random_state=0)),
        ("random_forest_classifier_100", "binary",
         RandomForestClassifier(n_estimators=100 // s, random_state=0, n_jobs=2)),
        ("decision_tree", "regression", DecisionTreeRegressor(random_state=0)),
    ]


def make_data(spec, n_train, n_batch):
    from sklearn import datasets
    n = n_train + n_batch
    if spec["kind"] == "regression":
        X, y = datasets.make_regression(n_samples=n, n_features=spec["n_features"], n_informative=20, noise=10.0,
                                        random_state=spec["seed"])
    else:
        X, y = datasets.make_classification(n_samples=n, n_features=spec["n_features"], n_informative=12,
                                            n_redundant=4, n_classes=spec["n_classes"], random_state=spec["seed"])
    X = np.ascontiguousarray(X, dtype=np.float64)
    return X[:n_train], y[:n_train], X[n_train:]


def write_f64(path, a):
    np.ascontiguousarray(a, dtype="<f8").tofile(path)


def read_rows(d, data, width):
    return np.fromfile(os.path.join(d, "rows.%s.f64" % data), dtype="<f8").reshape(-1, width)


def train_key(quick):
    """What the trained files depend on: the training packages' pins, the exporter, this file's training code."""
    import inspect
    h = hashlib.sha256()
    for line in open(os.path.join(ROOT, "scripts/bench/requirements-suite.txt")):
        if line.split("==")[0] in ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl"):
            h.update(line.encode())
    for p in ("tools/export_model.py", "tools/export_v2.py", "tools/sklearn_stubs.py"):
        h.update(open(os.path.join(ROOT, p), "rb").read())
    for fn in (models, make_data):
        h.update(inspect.getsource(fn).encode())
    h.update(repr((DATA, TRAIN_ROWS, BATCH_ROWS, QUICK_TRAIN_ROWS, QUICK_BATCH_ROWS, quick)).encode())
    return h.hexdigest()


def train(d, quick):
    import joblib
    import sklearn
    key = train_key(quick)
    manifest_path = os.path.join(d, "manifest.json")
    if os.path.exists(manifest_path) and json.load(open(manifest_path)).get("key") == key:
        print("suite: models in %s are up to date" % d, file=sys.stderr)
        return
    # A model whose stamp holds this key was trained by an interrupted run with these inputs: kept.
    for f in os.listdir(d) if os.path.isdir(d) else []:
        stamp = os.path.join(d, f)
        if f.endswith(".trained") and open(stamp).read() != key:
            os.remove(stamp)
    os.makedirs(os.path.join(d, "out"), exist_ok=True)
    n_train, n_batch = (QUICK_TRAIN_ROWS, QUICK_BATCH_ROWS) if quick else (TRAIN_ROWS, BATCH_ROWS)
    sets = {}
    for name, spec in DATA.items():
        Xt, yt, Xb = make_data(spec, n_train, n_batch)
        sets[name] = (Xt, yt)
        write_f64(os.path.join(d, "rows.%s.f64" % name), Xb)
    entries = []
    for name, data, est in models(quick):
        Xt, yt = sets[data]
        pkl = os.path.join(d, name + ".joblib")
        out = os.path.join(d, name + ".model.json")
        stamp = os.path.join(d, name + ".trained")
        if os.path.exists(stamp) and os.path.exists(pkl) and os.path.exists(out):
            est, fit_s = joblib.load(pkl), None
        else:
            t0 = time.time()
            est.fit(Xt, yt)
            fit_s = time.time() - t0
            joblib.dump(est, pkl)
            # The project's exporter in its own pinned env (.cache/venv-tools, as tools/zoo/make_zoo.sh runs it).
            subprocess.run([os.environ.get("SUITE_EXPORT_PY", sys.executable),
                            os.path.join(ROOT, "tools/export_model.py"), pkl, "-o", out, "--name", name], check=True)
            open(stamp, "w").write(key)
        classifier = hasattr(est, "classes_")
        n_nodes = (sum(e.tree_.node_count for e in np.ravel(est.estimators_)) if hasattr(est, "estimators_")
                   else est.tree_.node_count if hasattr(est, "tree_")
                   else sum(len(p.nodes) for stage in est._predictors for p in stage))
        entries.append(dict(name=name, data=data, n_features=int(Xt.shape[1]), classifier=classifier,
                            n_classes=int(len(est.classes_)) if classifier else 0, estimator=type(est).__name__,
                            params={k: v for k, v in est.get_params().items()
                                    if k in ("n_estimators", "max_iter", "max_depth", "max_leaf_nodes")},
                            n_nodes=int(n_nodes), fit_seconds=None if fit_s is None else round(fit_s, 1),
                            model_bytes=os.path.getsize(out)))
        print("suite: %s: %s, %d nodes, %.1f MB exported" % (
            name, "kept" if fit_s is None else "trained in %.0f s" % fit_s, n_nodes, os.path.getsize(out) / 1e6),
            file=sys.stderr)
    json.dump(dict(key=key, quick=quick, train_rows=n_train, batch_rows=n_batch, sklearn=sklearn.__version__,
                   data=DATA, models=entries), open(manifest_path, "w"), indent=1)


# -- timing ------------------------------------------------------------------------------------

def cpu_median(fn, calls, repeats):
    """Median over `repeats` of the process CPU time of `calls` calls, per call (ns)."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time_ns()
        for _ in range(calls):
            fn()
        times.append((time.process_time_ns() - t0) / calls)
    return statistics.median(times)


def time_engine(one, batch, quick):
    """(ns per call on one row, ns per call on the whole batch), the way suite.rs times this project."""
    one()  # warm up: lazy imports, caches
    one_row = cpu_median(one, 20 if quick else 200, 5 if quick else 9)
    return one_row, cpu_median(batch, 1, 3 if quick else 5)


def save(d, name, engine, labels, values):
    if labels is not None:
        write_f64(os.path.join(d, "out", "%s.%s.labels.f64" % (name, engine)), labels)
    write_f64(os.path.join(d, "out", "%s.%s.values.f64" % (name, engine)), values)


def emit(out, **record):
    print(json.dumps(record), file=out, flush=True)
    print("suite: %s" % json.dumps(record), file=sys.stderr)


def bench_sklearn(d, m, est, X, quick, out):
    """scikit-learn's answers (the reference of every comparison) and timings, on one core: with n_jobs > 1 a
    forest's predict adds the trees' values in the order its threads finish, so its sums vary by run."""
    if m["classifier"]:
        save(d, m["name"], "scikit-learn", est.predict(X), est.predict_proba(X))
    else:
        save(d, m["name"], "scikit-learn", None, est.predict(X))
    one = X[:1]
    if m["classifier"]:
        run_one, run_batch = (lambda: (est.predict(one), est.predict_proba(one))), \
            (lambda: (est.predict(X), est.predict_proba(X)))
    else:
        run_one, run_batch = (lambda: est.predict(one)), (lambda: est.predict(X))
    t1, tb = time_engine(run_one, run_batch, quick)
    emit(out, model=m["name"], engine="scikit-learn", one_row_ns=t1, batch_ns_per_row=tb / len(X),
         note="predict" + (" + predict_proba" if m["classifier"] else ""))


def onnx_session(est, X, dtype):
    """skl2onnx's graph for `dtype` input (ai.onnx.ml opset 3) in a one-thread ONNX Runtime session."""
    import onnxruntime as ort
    from skl2onnx import to_onnx
    options = {id(est): {"zipmap": False}} if hasattr(est, "classes_") else None
    t0 = time.time()
    onx = to_onnx(est, X[:1].astype(dtype), target_opset={"": 21, "ai.onnx.ml": 3}, options=options)
    convert_s = time.time() - t0
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(onx.SerializeToString(), so, providers=["CPUExecutionProvider"])
    ops = sorted({"%s:%s" % (n.domain or "ai.onnx", n.op_type) for n in onx.graph.node})
    return sess, convert_s, ops


def bench_onnx(d, m, est, X, quick, out):
    # The float64 graph first (skl2onnx writes TreeEnsemble* with double attributes for double input);
    # when ONNX Runtime refuses it, the converter's float32 graph, whose answers are float32.
    refused = None
    for dtype in (np.float64, np.float32):
        try:
            sess, convert_s, ops = onnx_session(est, X, dtype)
            break
        except Exception as exc:  # the converter's or the runtime's refusal is a result too
            reason = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0][:300])
            if dtype is np.float32:
                emit(out, model=m["name"], engine="onnxruntime", error=reason, float64_refused=refused)
                return
            refused = reason
    names = [o.name for o in sess.get_outputs()]
    inp = sess.get_inputs()[0].name
    Xd = X.astype(dtype)
    one = Xd[:1]
    t1, tb = time_engine(lambda: sess.run(None, {inp: one}), lambda: sess.run(None, {inp: Xd}), quick)
    res = sess.run(None, {inp: Xd})
    if m["classifier"]:
        labels, proba = res[names.index("label")], res[names.index("probabilities")]
        save(d, m["name"], "onnxruntime", labels.astype(np.float64), proba.astype(np.float64))
        out_dtype = str(proba.dtype)
    else:
        save(d, m["name"], "onnxruntime", None, res[0].reshape(-1).astype(np.float64))
        out_dtype = str(res[0].dtype)
    emit(out, model=m["name"], engine="onnxruntime", one_row_ns=t1, batch_ns_per_row=tb / len(X),
         convert_seconds=round(convert_s, 1), ops=ops, input_dtype=np.dtype(dtype).name, output_dtype=out_dtype,
         float64_refused=refused, note="sess.run, intra_op_num_threads=1")


# tl2cgen's generated C for a deep tree is deeply nested branches, slow for gcc -O3 (195 s for a 63,000-node
# forest, 110 s for one 10,000-node tree on the 2 shared cores here): each compile gets a time budget, and
# models above a node count are not tried at all (the report says so and why).
TL2CGEN_MAX_NODES = int(os.environ.get("SUITE_TL2CGEN_MAX_NODES", "1000000"))
TL2CGEN_COMPILE_SECONDS = int(os.environ.get("SUITE_TL2CGEN_COMPILE_SECONDS", "420"))


def treelite_model(est):
    """treelite's import of the fitted model. treelite.sklearn has no single-tree importer: a decision tree is
    imported as the one tree of a forest (the average of one value is that value)."""
    import treelite
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.tree import DecisionTreeRegressor
    if isinstance(est, DecisionTreeRegressor):
        forest = RandomForestRegressor(n_estimators=1)
        forest.estimators_, forest.n_features_in_, forest.n_outputs_ = [est], est.n_features_in_, est.n_outputs_
        est = forest
    return treelite.sklearn.import_model(est)


def compile_tl2cgen(d, name):
    """`suite.py compile DIR NAME` (a child of tl2cgen_lib, killed with its gcc at the time budget)."""
    import joblib
    import tl2cgen
    tmodel = treelite_model(joblib.load(os.path.join(d, name + ".joblib")))
    # parallel_comp: the generated C in chunks, compiled on both cores
    tl2cgen.export_lib(tmodel, toolchain="gcc", libpath=os.path.join(d, name + ".tl2cgen.so"),
                       params={"parallel_comp": 64}, options=["-O3"], nthread=2)


def tl2cgen_lib(d, m):
    """The model compiled by tl2cgen with gcc -O3, cached beside the model: (path, seconds or None)."""
    import signal
    import tl2cgen
    import treelite
    lib = os.path.join(d, m["name"] + ".tl2cgen.so")
    stamp = lib + ".key"
    key = "%s %s %s" % (treelite.__version__, tl2cgen.__version__, os.path.getmtime(os.path.join(d, m["name"] + ".joblib")))
    if os.path.exists(lib) and os.path.exists(stamp) and open(stamp).read() == key:
        return lib, None
    t0 = time.time()
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "compile", d, m["name"]],
                             start_new_session=True)
    try:
        rc = child.wait(timeout=TL2CGEN_COMPILE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        raise TimeoutError("gcc -O3 on tl2cgen's C did not finish in SUITE_TL2CGEN_COMPILE_SECONDS=%d s"
                           % TL2CGEN_COMPILE_SECONDS)
    if rc != 0:
        raise RuntimeError("suite.py compile %s exited %d" % (m["name"], rc))
    open(stamp, "w").write(key)
    return lib, time.time() - t0


def classifier_answers(m, raw, n_rows):
    proba = np.asarray(raw, dtype=np.float64).reshape(n_rows, -1)
    if proba.shape[1] == 1:  # binary: P(class 1)
        proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
    return np.argmax(proba, axis=1).astype(np.float64), proba


def bench_tl2cgen(d, m, est, X, quick, out):
    import tl2cgen
    import treelite
    versions = "treelite %s, tl2cgen %s" % (treelite.__version__, tl2cgen.__version__)
    if m["n_nodes"] > TL2CGEN_MAX_NODES:
        emit(out, model=m["name"], engine="treelite+tl2cgen",
             error="not compiled: %d nodes > SUITE_TL2CGEN_MAX_NODES=%d (gcc -O3 on the generated C took 195 s for "
             "a 63,000-node forest here)" % (m["n_nodes"], TL2CGEN_MAX_NODES))
        return
    try:
        lib, compile_s = tl2cgen_lib(d, m)
    except Exception as exc:
        emit(out, model=m["name"], engine="treelite+tl2cgen", error="%s: %s" % (type(exc).__name__, exc))
        return
    pred = tl2cgen.Predictor(lib, nthread=1)
    one_raw = X[:1]
    whole = tl2cgen.DMatrix(X, dtype="float64")
    # One row as users call it: a DMatrix from the row, then predict.
    t1, tb = time_engine(lambda: pred.predict(tl2cgen.DMatrix(one_raw, dtype="float64")),
                         lambda: pred.predict(whole), quick)
    res = pred.predict(whole)
    if m["classifier"]:
        save(d, m["name"], "treelite+tl2cgen", *classifier_answers(m, res, len(X)))
    else:
        save(d, m["name"], "treelite+tl2cgen", None, np.asarray(res, dtype=np.float64).reshape(-1))
    emit(out, model=m["name"], engine="treelite+tl2cgen", one_row_ns=t1, batch_ns_per_row=tb / len(X),
         compile_seconds=None if compile_s is None else round(compile_s, 1),
         note="Predictor(nthread=1).predict(DMatrix float64), gcc -O3; " + versions)


def bench_gtil(d, m, est, X, quick, out):
    """treelite's own interpreter (GTIL), for the models too big for tl2cgen's compile."""
    import treelite
    try:
        tmodel = treelite_model(est)
    except Exception as exc:
        emit(out, model=m["name"], engine="treelite GTIL", error="%s: %s" % (type(exc).__name__, exc))
        return
    one = X[:1]
    t1, tb = time_engine(lambda: treelite.gtil.predict(tmodel, one, nthread=1),
                         lambda: treelite.gtil.predict(tmodel, X, nthread=1), quick)
    res = treelite.gtil.predict(tmodel, X, nthread=1)
    if m["classifier"]:
        save(d, m["name"], "treelite GTIL", *classifier_answers(m, res, len(X)))
    else:
        save(d, m["name"], "treelite GTIL", None, np.asarray(res, dtype=np.float64).reshape(-1))
    emit(out, model=m["name"], engine="treelite GTIL", one_row_ns=t1, batch_ns_per_row=tb / len(X),
         note="treelite.gtil.predict(nthread=1), treelite %s" % treelite.__version__)


# The edge's model (scripts/bench/edge_cost.sh): a 500-tree forest of the size a request-per-instance edge
# component can carry (depth 8: at most 511 nodes a tree), trained on the suite's regression data.
EDGE_TREES, EDGE_DEPTH = 500, 8


def edge_model(d, quick):
    """`suite.py edge-model DIR`: DIR/edge/random_forest_500.model.json and a one-row /predict body."""
    import joblib
    from sklearn.ensemble import RandomForestRegressor
    out_dir = os.path.join(d, "edge")
    model = os.path.join(out_dir, "random_forest_500.model.json")
    trees = EDGE_TREES // 10 if quick else EDGE_TREES
    key = "%s %d %d %d" % (train_key(quick), trees, EDGE_DEPTH, TRAIN_ROWS)
    stamp = os.path.join(out_dir, "key")
    if os.path.exists(model) and os.path.exists(stamp) and open(stamp).read() == key:
        return
    os.makedirs(out_dir, exist_ok=True)
    n_train, n_batch = (QUICK_TRAIN_ROWS, QUICK_BATCH_ROWS) if quick else (TRAIN_ROWS, BATCH_ROWS)
    Xt, yt, Xb = make_data(DATA["regression"], n_train, n_batch)
    est = RandomForestRegressor(n_estimators=trees, max_depth=EDGE_DEPTH, random_state=0, n_jobs=2).fit(Xt, yt)
    est.set_params(n_jobs=None)  # the trees summed in order (see bench_sklearn)
    pkl = os.path.join(out_dir, "random_forest_500.joblib")
    joblib.dump(est, pkl)
    subprocess.run([os.environ.get("SUITE_EXPORT_PY", sys.executable), os.path.join(ROOT, "tools/export_model.py"),
                    pkl, "-o", model, "--name", "random_forest_500"], check=True)
    row = Xb[0]
    # bare rows, values in model column order; and scikit-learn's answer, for the check
    json.dump([[float(v) for v in row]], open(os.path.join(out_dir, "request.json"), "w"))
    json.dump({"prediction": [float(est.predict(Xb[:1])[0])], "n_nodes": int(sum(e.tree_.node_count for e in est.estimators_)),
               "n_trees": trees, "max_depth": EDGE_DEPTH}, open(os.path.join(out_dir, "expected.json"), "w"))
    open(stamp, "w").write(key)


def peers(d, quick):
    import joblib
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    only = [m for m in os.environ.get("SUITE_MODELS", "").split(",") if m]
    engines = [e for e in os.environ.get("SUITE_PEERS", "scikit-learn,onnxruntime,treelite+tl2cgen,treelite GTIL").split(",") if e]
    with open(os.path.join(d, "peers.jsonl"), "w") as out:
        for m in manifest["models"]:
            if only and m["name"] not in only:
                continue
            est = joblib.load(os.path.join(d, m["name"] + ".joblib"))
            if "n_jobs" in est.get_params():
                est.set_params(n_jobs=None)  # one core: trained on two, predicts on one
            X = read_rows(d, m["data"], m["n_features"])
            for engine, fn in (("scikit-learn", bench_sklearn), ("onnxruntime", bench_onnx),
                               ("treelite+tl2cgen", bench_tl2cgen), ("treelite GTIL", bench_gtil)):
                if engine in engines:
                    fn(d, m, est, X, quick, out)


def main():
    warnings.simplefilter("ignore")
    if len(sys.argv) == 4 and sys.argv[1] == "compile":
        return compile_tl2cgen(sys.argv[2], sys.argv[3])
    commands = {"train": train, "peers": peers, "edge-model": edge_model}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[sys.argv[1]](sys.argv[2], "--quick" in sys.argv[3:])


if __name__ == "__main__":
    main()
