"""Exact comparison of predictions with golden values, shared by the edge and web checks:
float64 bit patterns, never approximate equality."""
import struct


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def assert_bits(got, expected, what):
    assert len(got) == len(expected), f"{what}: {len(got)} values, wanted {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert bits(g) == bits(e), f"{what}: row {i}: {g!r} != golden {e!r}"
