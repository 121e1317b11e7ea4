# Re-evaluates the committed v2 exports of one scikit-learn line (model_data/zoo/sklearn-X.Y/*.model.json)
# with reference_eval in THAT line's own env (its numpy/scipy/BLAS), requiring every output bit for bit.
"""Usage: .cache/venv-zoo-<line>/bin/python tools/zoo/verify_zoo.py [sklearn-X.Y]

In the exporter env (tools/test_zoo.py) exp/log/BLAS outputs may differ by a few ulps because
numpy/scipy are other versions; here they are the versions that produced the golden, so a
difference is an error of the documented arithmetic (or of the file), not of a library.
"""
import glob
import json
import os
import sys

import numpy as np
import sklearn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from reference_eval import check_outputs, decode_array, evaluate, sklearn_saw_fortran  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    line = sys.argv[1] if len(sys.argv) > 1 else "sklearn-%s.%s" % tuple(sklearn.__version__.split(".")[:2])
    files = sorted(glob.glob(os.path.join(ROOT, "model_data", "zoo", line, "*.model.json")))
    if not files:
        print("verify_zoo.py: no exports in model_data/zoo/%s" % line, file=sys.stderr)
        return 1
    bad = 0
    for f in files:
        with open(f) as fh:
            doc = json.load(fh)
        with open(f[:-len(".model.json")] + ".golden.json") as fh:
            g = json.load(fh)
        if g["environment"]["numpy"] != np.__version__:
            print("verify_zoo.py: %s was made with numpy %s, this env has %s"
                  % (f, g["environment"]["numpy"], np.__version__), file=sys.stderr)
            return 1
        problems, _ = check_outputs(evaluate(doc, decode_array(g["X"]), fortran=sklearn_saw_fortran(g)), g, False)
        if not g["nan_rejected"]:
            p2, _ = check_outputs(evaluate(doc, decode_array(g["X_nan"]), fortran=sklearn_saw_fortran(g)), g["nan_outputs"], False)
            problems += ["NaN rows: " + p for p in p2]
        status = "ok" if not problems else "DIFFERS: " + "; ".join(problems)
        bad += bool(problems)
        print("%s %s: %s" % (line, g["name"], status))
    print("%d passed, %d failed" % (len(files) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
