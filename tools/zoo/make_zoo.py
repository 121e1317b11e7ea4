# Trains one small model of every supported estimator kind with the REAL scikit-learn of this venv,
# pickles it and records scikit-learn's own predictions as golden files (run by tools/zoo/make_zoo.sh).
"""The model zoo: pickles + golden predictions from real scikit-learn, per scikit-learn line.

Writes model_data/zoo/sklearn-<major.minor>/<name>.joblib and <name>.golden.json. Goldens
hold the input rows (float64 bits, base64), including NaN rows and rows on and one ulp
either side of split thresholds, and scikit-learn's predict / predict_proba /
decision_function (bits), plus every version used.  Deterministic (fixed seeds).
"""
import base64
import json
import os
import platform
import sys
import warnings

import numpy as np
import pandas as pd
import scipy
import sklearn
import joblib
from sklearn import datasets

warnings.filterwarnings("ignore")
V = tuple(int(x) for x in sklearn.__version__.split(".")[:2])
LINE = "sklearn-%d.%d" % V
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "model_data", "zoo", LINE)

from sklearn.dummy import DummyRegressor  # noqa: E402
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,  # noqa: E402
                              GradientBoostingClassifier, GradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
if V >= (1, 0):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression,  # noqa: E402
                                  LogisticRegression, Ridge)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402


def arr(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
    return {"dtype": "<f8", "shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode()}


def labels(a):
    return [x.item() if hasattr(x, "item") else x for x in np.asarray(a, dtype=object)]


# -- data -------------------------------------------------------------------------------------

def with_nan(X, frac, seed):
    X = np.array(X, dtype=np.float64)
    rng = np.random.RandomState(seed)
    X[rng.uniform(size=X.shape) < frac] = np.nan
    return X


def data(kind):
    if kind == "diabetes":
        d = datasets.load_diabetes()
        return d.data, d.target, list(d.feature_names)
    if kind == "breast_cancer":
        d = datasets.load_breast_cancer()
        return d.data, d.target, None
    if kind == "iris_str":
        d = datasets.load_iris()
        return d.data, np.array(d.target_names)[d.target], ["sepal_len", "sepal_wid", "petal_len", "petal_wid"]
    if kind == "wine":
        d = datasets.load_wine()
        return d.data, d.target, None
    if kind == "regression":
        X, y = datasets.make_regression(n_samples=300, n_features=8, noise=5.0, random_state=1)
        return X, y, None
    if kind == "classification_int":  # integer labels 3 / 7
        X, y = datasets.make_classification(n_samples=300, n_features=8, n_informative=5, random_state=2)
        return X, np.where(y == 1, 7, 3), None
    if kind == "classification_multi_str":
        X, y = datasets.make_classification(n_samples=300, n_features=8, n_informative=5,
                                            n_classes=3, random_state=3)
        return X, np.array(["alpha", "beta", "gamma"])[y], None
    raise KeyError(kind)


def gb_loss(name):
    """The loss's name in this line's vocabulary (ls/lad/deviance before 1.1)."""
    return {"squared_error": "ls" if V < (1, 1) else "squared_error",
            "absolute_error": "lad" if V < (1, 1) else "absolute_error",
            "log_loss": "deviance" if V < (1, 1) else "log_loss"}.get(name, name)


def models():
    """(name, dataset, nan_fraction, fit_on_dataframe, estimator) for this scikit-learn line."""
    hgb = dict(max_iter=25, max_leaf_nodes=15, random_state=0)
    if V < (1, 0):
        hgb = {}
    gb = dict(n_estimators=25, max_depth=3, random_state=0)
    forest = dict(n_estimators=15, max_depth=6, random_state=0)
    if V < (0, 22):  # 0.20's LogisticRegression defaults (liblinear, ovr) warn; say them
        lr = dict(solver="liblinear", multi_class="ovr")
    else:
        lr = {}
    m = [
        ("decision_tree_regressor", "diabetes", 0, True, DecisionTreeRegressor(max_depth=6, random_state=0)),
        ("decision_tree_classifier_str", "iris_str", 0, True, DecisionTreeClassifier(max_depth=5, random_state=0)),
        ("random_forest_regressor", "diabetes", 0, False, RandomForestRegressor(**forest)),
        ("random_forest_classifier", "wine", 0, False, RandomForestClassifier(**forest)),
        ("extra_trees_regressor", "regression", 0, False, ExtraTreesRegressor(**forest)),
        ("extra_trees_classifier", "breast_cancer", 0, False, ExtraTreesClassifier(**forest)),
        ("gradient_boosting_squared_error", "diabetes", 0, True, GradientBoostingRegressor(loss=gb_loss("squared_error"), **gb)),
        ("gradient_boosting_absolute_error", "diabetes", 0, False, GradientBoostingRegressor(loss=gb_loss("absolute_error"), **gb)),
        ("gradient_boosting_huber", "regression", 0, False, GradientBoostingRegressor(loss="huber", alpha=0.8, **gb)),
        ("gradient_boosting_quantile", "diabetes", 0, False, GradientBoostingRegressor(loss="quantile", alpha=0.3, **gb)),
        ("gradient_boosting_init_zero", "regression", 0, False, GradientBoostingRegressor(init="zero", **gb)),
        ("gradient_boosting_init_dummy_median", "diabetes", 0, False,
         GradientBoostingRegressor(init=DummyRegressor(strategy="median"), **gb)),
        ("gradient_boosting_classifier_binary", "breast_cancer", 0, False, GradientBoostingClassifier(loss=gb_loss("log_loss"), **gb)),
        ("gradient_boosting_classifier_exponential", "classification_int", 0, False,
         GradientBoostingClassifier(loss="exponential", **gb)),
        ("gradient_boosting_classifier_multiclass_str", "iris_str", 0, True, GradientBoostingClassifier(**gb)),
    ]
    if V >= (1, 0):
        m += [
        ("hist_gradient_boosting_squared_error", "diabetes", 0.05, True,
         HistGradientBoostingRegressor(loss="squared_error" if V >= (1, 0) else "least_squares", **hgb)),
        ("hist_gradient_boosting_absolute_error", "diabetes", 0.05, False,
         HistGradientBoostingRegressor(loss="absolute_error" if V >= (1, 0) else "least_absolute_deviation", **hgb)),
        ("hist_gradient_boosting_poisson", "diabetes", 0.05, False, HistGradientBoostingRegressor(loss="poisson", **hgb)),
        ("hist_gradient_boosting_classifier_binary", "breast_cancer", 0.05, False, HistGradientBoostingClassifier(**hgb)),
        ("hist_gradient_boosting_classifier_multiclass", "wine", 0.05, False, HistGradientBoostingClassifier(**hgb)),
        ("hist_gradient_boosting_classifier_multiclass_str", "classification_multi_str", 0.05, True,
         HistGradientBoostingClassifier(**hgb)),
        ("pipeline_minmax_hist_gradient_boosting", "diabetes", 0.05, False,
         make_pipeline(MinMaxScaler(), HistGradientBoostingRegressor(**hgb))),
        ]
    m += [
        ("linear_regression", "diabetes", 0, True, LinearRegression()),
        ("ridge", "diabetes", 0, False, Ridge(alpha=0.5)),
        ("lasso", "diabetes", 0, False, Lasso(alpha=0.05)),
        ("elastic_net", "regression", 0, False, ElasticNet(alpha=0.1, l1_ratio=0.3)),
        ("logistic_regression_binary", "breast_cancer", 0, False,
         make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, **lr))),
        ("logistic_regression_multinomial_str", "iris_str", 0, True, LogisticRegression(max_iter=500, **lr)),
        ("pipeline_imputer_mean_standard_random_forest", "regression", 0.05, False,
         make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(), RandomForestRegressor(**forest))),
        ("pipeline_imputer_median_decision_tree_int", "classification_int", 0.05, True,
         make_pipeline(SimpleImputer(strategy="median"), DecisionTreeClassifier(max_depth=5, random_state=0))),
        ("pipeline_imputer_most_frequent_minmax_gradient_boosting", "diabetes", 0.05, False,
         make_pipeline(SimpleImputer(strategy="most_frequent"), MinMaxScaler(), GradientBoostingRegressor(**gb))),
        ("pipeline_imputer_constant_maxabs_logistic", "classification_multi_str", 0.05, False,
         make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0), MaxAbsScaler(),
                       LogisticRegression(max_iter=500, **lr))),
        ("pipeline_standard_ridge", "regression", 0, False, make_pipeline(StandardScaler(), Ridge())),
    ]
    if (0, 22) <= V < (1, 8):  # multi_class was removed from LogisticRegression in 1.8
        m.append(("logistic_regression_ovr", "wine", 0, False,
                  make_pipeline(StandardScaler(), LogisticRegression(multi_class="ovr", max_iter=500))))
    if V >= (1, 1):
        m.append(("hist_gradient_boosting_quantile", "diabetes", 0.05, False,
                  HistGradientBoostingRegressor(loss="quantile", quantile=0.7, **hgb)))
    if V >= (1, 3):
        m.append(("hist_gradient_boosting_gamma", "diabetes", 0.05, False, HistGradientBoostingRegressor(loss="gamma", **hgb)))
        m.append(("decision_tree_regressor_nan", "diabetes", 0.1, False, DecisionTreeRegressor(max_depth=6, random_state=0)))
        m.append(("decision_tree_classifier_nan", "wine", 0.1, False, DecisionTreeClassifier(max_depth=5, random_state=0)))
    if V >= (1, 4):
        m.append(("random_forest_classifier_nan", "breast_cancer", 0.1, False, RandomForestClassifier(**forest)))
        m.append(("random_forest_regressor_nan", "diabetes", 0.1, False, RandomForestRegressor(**forest)))
    if V >= (1, 6):
        m.append(("extra_trees_regressor_nan", "regression", 0.1, False, ExtraTreesRegressor(**forest)))
    return m


# -- probe rows -------------------------------------------------------------------------------

def has_classes(est):
    """A classifier (0.20's regressors have classes_ = None)."""
    return getattr(est, "classes_", None) is not None


def final_estimator(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def split_thresholds(est):
    """(feature, threshold) of every split, in the estimator's input space."""
    out = []
    trees = []
    if hasattr(est, "tree_"):
        trees = [est.tree_]
    elif hasattr(est, "estimators_"):
        e = est.estimators_
        trees = [t.tree_ for t in (e.ravel() if hasattr(e, "ravel") else e)]
    for t in trees:
        for f, th, l in zip(t.feature, t.threshold, t.children_left):
            if l != -1:
                out.append((int(f), float(th)))
    for it in getattr(est, "_predictors", []):
        for p in it:
            for n in p.nodes:
                if not n["is_leaf"]:
                    out.append((int(n["feature_idx"]), float(n["num_threshold"])))
    return out


def probe_rows(model, X, max_rows=150):
    """Rows on and one ulp (float64 and float32) either side of split thresholds."""
    est = final_estimator(model)
    if hasattr(model, "steps") and len(model.steps) > 1:
        return np.zeros((0, X.shape[1]))  # thresholds are in transformed space
    splits = sorted(set((f, th) for f, th in split_thresholds(est) if np.isfinite(th)))
    if not splits:
        return np.zeros((0, X.shape[1]))
    rng = np.random.RandomState(5)
    pick = rng.choice(len(splits), size=min(len(splits), max_rows // 6), replace=False)
    base = np.nan_to_num(X[rng.randint(0, len(X), size=len(pick))], nan=0.0)
    rows = []
    for b, i in zip(base, sorted(pick)):
        f, th = splits[i]
        t32 = np.float32(th)
        for v in (th, np.nextafter(th, -np.inf), np.nextafter(th, np.inf), float(t32),
                  float(np.nextafter(t32, np.float32(-np.inf))), float(np.nextafter(t32, np.float32(np.inf)))):
            r = b.copy()
            r[f] = v
            rows.append(r)
    return np.array(rows)


def nan_rows(X, seed):
    rng = np.random.RandomState(seed)
    base = np.nan_to_num(X[rng.randint(0, len(X), size=12)], nan=0.0)
    rows = base.copy()
    for i in range(len(rows)):
        cols = rng.choice(X.shape[1], size=1 + i % 3, replace=False)
        rows[i, cols] = np.nan
    rows[0, :] = np.nan
    return rows


# -- sklearn's own outputs ---------------------------------------------------------------------

def outputs(model, X, names):
    Xin = pd.DataFrame(X, columns=names) if names else X
    est = final_estimator(model)
    out = {}
    pred = model.predict(Xin)
    out["predict"] = labels(pred) if has_classes(est) else arr(pred)
    if hasattr(model, "predict_proba") and has_classes(est):
        out["predict_proba"] = arr(model.predict_proba(Xin))
    if hasattr(est, "decision_function") or hasattr(est, "_raw_predict"):
        Xt = Xin
        if hasattr(model, "steps"):
            for _, s in model.steps[:-1]:
                Xt = s.transform(Xt)
        if hasattr(est, "decision_function") and has_classes(est):
            out["decision_function"] = arr(est.decision_function(Xt))
        if hasattr(est, "_raw_predict_init"):  # GradientBoosting*: float32 C-ordered input
            X32 = np.ascontiguousarray(np.asarray(Xt, dtype=np.float32))
            out["raw_predict"] = arr(est._raw_predict(X32))
            out["raw_init"] = arr(est._raw_predict_init(X32[:1]))
        elif hasattr(est, "_raw_predict"):  # HistGradientBoosting*
            out["raw_predict"] = arr(est._raw_predict(Xt))
    return out


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer")}
                for d in threadpool_info() if d.get("user_api") == "blas"]
    except Exception as exc:  # pragma: no cover
        return str(exc)


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    env = {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
           "pandas": pd.__version__, "joblib": joblib.__version__,
           "python": platform.python_version(), "machine": platform.machine(), "blas": blas_info()}
    inventory = []
    for name, ds, nan_frac, as_df, model in models():
        if only and name not in only:
            continue
        X, y, names = data(ds)
        if nan_frac:
            X = with_nan(X, nan_frac, seed=len(name))
        names = names or ["f%d" % i for i in range(X.shape[1])]
        df_names = names if as_df else None
        try:
            model.fit(pd.DataFrame(X, columns=names) if as_df else X, y)
        except Exception as exc:  # e.g. 0.20 cannot use a DummyRegressor as init
            print("%s %s: SKIPPED, scikit-learn cannot fit it: %s" % (LINE, name, exc), file=sys.stderr)
            continue
        pkl = os.path.join(OUT, name + ".joblib")
        joblib.dump(model, pkl)
        rng = np.random.RandomState(11)
        sample = X[rng.choice(len(X), size=min(len(X), 60), replace=False)]
        jitter = sample * rng.uniform(0.8, 1.2, size=sample.shape)
        rows = np.vstack([sample, jitter, probe_rows(model, X)])
        finite = rows[~np.isnan(rows).any(axis=1)]
        nan_part = np.vstack([rows[np.isnan(rows).any(axis=1)], nan_rows(X, 7)])
        golden = {"name": name, "line": LINE, "environment": env, "dataset": ds,
                  "class": type(model).__module__ + "." + type(model).__name__,
                  "steps": [type(s).__name__ for _, s in model.steps] if hasattr(model, "steps") else None,
                  "fitted_on_dataframe": as_df,
                  "feature_names": names if as_df and hasattr(model, "feature_names_in_") else None,
                  "classes": labels(final_estimator(model).classes_) if has_classes(final_estimator(model)) else None,
                  "X": arr(finite)}
        golden.update(outputs(model, finite, df_names))
        golden["X_nan"] = arr(nan_part)
        try:
            o = outputs(model, nan_part, df_names)
            golden["nan_rejected"] = None
            golden["nan_outputs"] = o
        except ValueError as exc:
            golden["nan_rejected"] = str(exc).splitlines()[0][:200]
        with open(os.path.join(OUT, name + ".golden.json"), "w") as f:
            json.dump(golden, f, indent=1, sort_keys=False)
            f.write("\n")
        inventory.append({"name": name, "class": golden["class"], "dataset": ds,
                          "pickle_bytes": os.path.getsize(pkl),
                          "nan_rejected": golden["nan_rejected"] is not None})
        print("%s %s: %d rows, %d NaN rows (%s)" % (LINE, name, len(finite), len(nan_part),
              "rejected" if golden["nan_rejected"] else "accepted"), file=sys.stderr)
    if not only:
        with open(os.path.join(OUT, "MANIFEST.json"), "w") as f:
            json.dump({"line": LINE, "environment": env, "generated_by": "tools/zoo/make_zoo.py",
                       "models": inventory}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
