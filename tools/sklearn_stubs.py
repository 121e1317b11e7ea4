# Reads any scikit-learn joblib pickle (0.20 .. 1.9) WITHOUT scikit-learn: every class the pickle
# names, except numpy arrays/dtypes and Python builtins, becomes a plain stub keeping its pickled state.
"""Stub unpickler for scikit-learn pickles.

A scikit-learn estimator pickles as ``copyreg._reconstructor(cls, object, None)`` followed by
``BUILD(state)`` (``state`` is its ``__dict__``, with ``_sklearn_version``), Cython types
(``Tree``, the ``_loss`` objects) as ``cls(*args)`` + ``BUILD`` or as
``__pyx_unpickle_<Name>(cls, checksum, state)``, numpy arrays through joblib's
``NumpyArrayWrapper`` (object arrays as a nested plain pickle).  Here every such class or
function is a ``Stub`` subclass named after it, so nothing of scikit-learn is imported and the
pickles of every version read the same way: what is left is each object's state, which
``export_v2.py`` interprets.
"""

import pickle

import joblib.numpy_pickle as joblib_np_pickle

# The only globals resolved for real: numpy's array/scalar reconstruction, Python's own helpers.
_REAL_MODULES = {
    "builtins", "copyreg", "_codecs", "collections", "numpy", "numpy.core.multiarray",
    "numpy._core.multiarray", "numpy.core.numeric", "numpy._core.numeric",
}
_REAL_NUMPY_NAMES = {"_reconstruct", "scalar", "dtype", "ndarray", "_frombuffer", "frombuffer"}


class Stub:
    """Placeholder for a class of the pickle: keeps constructor args and pickled state."""

    _sk_module = "?"
    _sk_name = "?"

    def __init__(self, *args, **kwargs):
        self._args = args
        self._kwargs = kwargs
        self._state = None

    def __setstate__(self, state):
        self._state = state

    def __repr__(self):
        return "<stub %s.%s>" % (self._sk_module, self._sk_name)

    @property
    def qualname(self):
        return "%s.%s" % (self._sk_module, self._sk_name)


_STUB_CLASSES = {}


def stub_class(module, name):
    key = (module, name)
    if key not in _STUB_CLASSES:
        _STUB_CLASSES[key] = type(name, (Stub,), {"_sk_module": module, "_sk_name": name})
    return _STUB_CLASSES[key]


def _find_class_stubbing(module, name, fallback):
    if module in ("sklearn.externals.joblib.numpy_pickle", "joblib.numpy_pickle"):
        if name == "NumpyArrayWrapper":
            return _StubbingArrayWrapper
        return getattr(joblib_np_pickle, name)
    if module.startswith("numpy") and module in _REAL_MODULES and (
            module != "numpy" or name in _REAL_NUMPY_NAMES):
        return fallback(module, name)
    if module in ("builtins", "copyreg", "_codecs", "collections", "__builtin__"):
        return fallback(module, name)
    # scikit-learn, numpy.random (RandomState), pandas, anything else: a stub
    return stub_class(module, name)


class _PlainStubUnpickler(pickle.Unpickler):
    """For the nested plain pickles of object arrays (e.g. ``estimators_``)."""

    def find_class(self, module, name):
        return _find_class_stubbing(module, name, super().find_class)


class _StubbingArrayWrapper(joblib_np_pickle.NumpyArrayWrapper):
    """joblib's array wrapper, except that object arrays are unpickled with stubs."""

    def read_array(self, unpickler, *args, **kwargs):
        if self.dtype.hasobject:
            return _PlainStubUnpickler(unpickler.file_handle).load()
        return super().read_array(unpickler, *args, **kwargs)


class StubUnpickler(joblib_np_pickle.NumpyUnpickler):
    """joblib unpickler mapping every scikit-learn class to a stub keeping its state."""

    def find_class(self, module, name):
        return _find_class_stubbing(module, name, super().find_class)


class NotAPickle(Exception):
    """The file is not an uncompressed joblib/pickle file."""


def load_with_stubs(path):
    """Unpickle a joblib (or plain pickle) file with every foreign class replaced by a stub."""
    with open(path, "rb") as f:
        magic = f.read(2)
        f.seek(0)
        if magic[:1] != b"\x80":
            raise NotAPickle(
                "%s is not an uncompressed joblib/pickle file (compressed joblib files are "
                "not supported: re-dump with joblib.dump(model, path))" % path)
        return StubUnpickler(path, f).load()
