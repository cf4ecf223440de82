"""Python's own answers for the format-spec table (test/format-spec.test.ts).

Run: python3 test/vectors/format/generate.py > test/vectors/format/cases.json
Each case is a value, a spec and what format(value, spec) gives: the text (or, beyond 200
characters, its length and sha256) or the exception's message.
"""
import hashlib
import json
import sys

BIG = [
    2**53 + 1,
    -(2**53 + 1),
    162182994129803994,  # a DLS id: beyond 2^53, kept exact
    2**64,
    -(2**70) - 12345,
    10**30 + 7,
    2**63 - 1,
    2**1024 - 2**970 - 1,  # the largest int that float() does not overflow
    2**1024 - 2**970,  # float() overflows from here
    5,
]
INT_SPECS = [
    "", "d", "n", "x", "X", "o", "b", "#x", "#X", "#o", "#b", ",", "_", ",d", "_d", "_x", "_X",
    "_o", "_b", "#_x", "#_b", "+", " ", "-", "+,", "+_", " ,", ">30", "<30", "^31", "*^32,",
    "=+40_", "040,", "040_", "0=30,", "030", "-030", "+030d", "#042_x", "#042b", "x<40,", "0>40,",
    "0<40", "c", ",c", "+c", "#c", "z", "zd", ".3", ",.3", "s", ",x", ",n", "_n", ",_", "_,",
    "f", ".2f", ",.2f", "_.1f", "e", ".3e", "E", "g", ".20g", "G", "%", ".1%", "F", "z.1f", "+.0e",
    "040,.2f", "n", ".3n", "q", ",q",
]
CHARS = [0, 65, 0x10FFFF, 0x110000, -1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]
FLOATS = [1.5, -1.5, 0.1, 1.5e-7, 123456.789, float("inf"), float("-inf"), float("nan")]
FLOAT_SPECS = ["", "f", ".2f", "010,.2f", "e", "g", "%", "+", "010", "_", "x", "z.1f"]
# Zero padding with separators (the once-quadratic case), up to the width cap.
PADDING = [
    (5, spec)
    for width in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 100, 101, 102, 103, 9999, 10000)
    for spec in (f"0{width},", f"0{width}_", f"0{width}_x", f"0{width}_b", f"0={width},", f"+0{width},")
] + [(-1234567, "010000,"), (1.5, "010000,.2f"), (1.5, "010000,"), (2**70, "010000,"), (5, "x=10000,")]
STRINGS = [("abc", ","), ("abc", "_"), ("abc", "+,"), ("abc", ".2"), ("a\U0001f600bc", ".2"), ("abc", ".10000")]


def encode(value):
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, float):
        return {"float": repr(value)}
    return {"int": str(value)}


def outcome(value, spec):
    try:
        text = format(value, spec)
    except (ValueError, OverflowError, TypeError) as error:
        return {"error": str(error)}
    if len(text) > 200:
        return {"length": len(text), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    return {"text": text}


cases = (
    [(value, spec) for value in BIG for spec in INT_SPECS]
    + [(value, spec) for value in CHARS for spec in ("c", "5c", "<5c")]
    + [(value, spec) for value in FLOATS for spec in FLOAT_SPECS]
    + PADDING
    + STRINGS
)
# One case a line, so that a change shows as the lines that changed.
lines = [json.dumps({"value": encode(value), "spec": spec, **outcome(value, spec)}) for value, spec in cases]
print('{"python": "%d.%d", "cases": [' % sys.version_info[:2])
print(",\n".join(lines))
print("]}")
