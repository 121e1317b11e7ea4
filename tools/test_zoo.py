# Exports every committed zoo pickle (model_data/zoo/, written by real scikit-learn 1.0/1.3/1.9) with
# the ONE exporter env and re-evaluates the v2 file in numpy against scikit-learn's recorded bits.
"""Format v2 tests against the zoo goldens, plus one test per refusal.

``reference_eval.evaluate`` (tools/zoo/) is a pure-numpy evaluator of a v2 model file, written
from model_data/README.md ("Format version 2"): it proves the file holds everything needed to
reproduce scikit-learn's predictions.
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import export_v2  # noqa: E402
from export_v2 import decode_array  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "zoo"))
from reference_eval import check_outputs, evaluate, sklearn_saw_fortran  # noqa: E402

ZOO = os.path.join(ROOT, "model_data", "zoo")
PICKLES = sorted(glob.glob(os.path.join(ZOO, "sklearn-*", "*.joblib")))
EXPORTER = os.path.join(HERE, "export_model.py")


# -- the tests ---------------------------------------------------------------------------------

def export(pkl, out, *extra):
    return subprocess.run([sys.executable, EXPORTER, pkl, "-o", str(out), "--format-version", "2"] + list(extra),
                          capture_output=True, text=True)


def load_golden(pkl):
    with open(pkl[:-len(".joblib")] + ".golden.json") as f:
        return json.load(f)


def _ids(paths):
    return [os.path.relpath(p, ZOO)[:-len(".joblib")] for p in paths]


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
    fortran = sklearn_saw_fortran(g)
    got = evaluate(doc, X, fortran=fortran)
    problems, library = check_outputs(got, g, tolerant)
    if "raw_init" in g and any(p.startswith("raw_init") for p in library):
        # the initial raw score is log/logit of the prior, computed by the golden env's numpy:
        # take its bits and require everything downstream of it to be exact
        got = evaluate(doc, X, raw_init=decode_array(g["raw_init"]), fortran=fortran)
        problems, more = check_outputs(got, g, tolerant)
        library += [m for m in more if not m.startswith("raw_init")]
    Xn = decode_array(g["X_nan"])
    imputed = any(p["kind"] == "simple_imputer" for p in doc["preprocessing"])
    if g["nan_rejected"]:
        assert doc["estimator"]["nan_input"] == "reject" and not imputed, g["nan_rejected"]
    else:
        assert doc["estimator"]["nan_input"] != "reject" or imputed
        got = evaluate(doc, Xn, raw_init=decode_array(g["raw_init"]) if "raw_init" in g else None,
                       fortran=fortran)
        p2, l2 = check_outputs(got, g["nan_outputs"], tolerant)
        problems += ["NaN rows: " + p for p in p2]
        library += ["NaN rows: " + p for p in l2]
    assert not problems, problems
    if library:
        print("%s: library differences (exp/log of another numpy/scipy): %s" % (g["name"], library))


def test_zoo_is_complete():
    lines = sorted(os.path.basename(d) for d in glob.glob(os.path.join(ZOO, "sklearn-*")))
    assert lines == ["sklearn-0.20", "sklearn-1.0", "sklearn-1.3", "sklearn-1.9"]
    kinds = {}
    for p in PICKLES:
        g = load_golden(p)
        kinds.setdefault(g["line"], set()).add(g["class"].rsplit(".", 1)[1])
    want = {"DecisionTreeRegressor", "DecisionTreeClassifier", "RandomForestRegressor",
            "RandomForestClassifier", "ExtraTreesRegressor", "ExtraTreesClassifier",
            "GradientBoostingRegressor", "GradientBoostingClassifier",
            "HistGradientBoostingRegressor", "HistGradientBoostingClassifier", "LinearRegression",
            "Ridge", "Lasso", "ElasticNet", "LogisticRegression", "Pipeline"}
    assert set(kinds) == set(lines)
    for line, got in kinds.items():
        # HistGradientBoosting was experimental (not picklable as supported) before 1.0
        need = want - {"HistGradientBoostingRegressor", "HistGradientBoostingClassifier"} \
            if line == "sklearn-0.20" else want
        assert need <= got, (line, need - got)


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


NO_SKLEARN = """
import runpy, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("scikit-learn is blocked in this test")
sys.meta_path.insert(0, Block())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("line", ["sklearn-1.0", "sklearn-1.3", "sklearn-1.9"])
def test_exporter_needs_no_sklearn(tmp_path, line):
    """Format 2 is read from the pickle's state: the same bytes with scikit-learn unimportable."""
    for name in ("hist_gradient_boosting_classifier_multiclass_str", "random_forest_regressor",
                 "pipeline_imputer_constant_maxabs_logistic"):
        pkl = os.path.join(ZOO, line, name + ".joblib")
        out = tmp_path / (name + ".json")
        r = subprocess.run([sys.executable, "-c", NO_SKLEARN, EXPORTER, pkl, "-o", str(out),
                            "--format-version", "2"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with open(pkl[:-len(".joblib")] + ".model.json", "rb") as f:
            assert out.read_bytes() == f.read()


@pytest.mark.parametrize("line", ["sklearn-1.0", "sklearn-1.9"])
def test_format_version_1_points_other_kinds_to_version_2(tmp_path, line):
    """`--format-version 1` refuses a forest in one line naming the class, the version that
    pickled it and the format that holds it; the default writes that format."""
    pkl = os.path.join(ZOO, line, "random_forest_regressor.joblib")
    r = subprocess.run([sys.executable, EXPORTER, pkl, "-o", str(tmp_path / "d.json")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(pkl[:-len(".joblib")] + ".model.json", "rb") as f:
        assert (tmp_path / "d.json").read_bytes() == f.read()
    r = subprocess.run([sys.executable, EXPORTER, pkl, "-o", str(tmp_path / "x.json"),
                        "--format-version", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    version = line.split("-")[1]
    assert "RandomForestRegressor (pickled by scikit-learn %s" % version in lines[0]
    assert "needs format version 2 (the default)" in lines[0]
    assert not (tmp_path / "x.json").exists()
