"""naap.jsonlimits: size, depth and NUL characters of JSON values, measured without recursion."""

from naap.jsonlimits import json_size, nesting_exceeds, nul_path


def test_the_size_is_compact_utf8_json():
    assert json_size({"a": [1, 2], "é": "ü"}) == len('{"a":[1,2],"é":"ü"}'.encode())


def test_depth_counts_lists_and_objects_and_stops_without_recursion():
    assert not nesting_exceeds("text", 0)
    assert not nesting_exceeds({"a": [1]}, 2)
    assert nesting_exceeds({"a": [1]}, 1)
    # Deeper than any recursive walk could go.
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    assert nesting_exceeds(deep, 100)


def test_nul_is_found_in_values_and_keys_with_its_path():
    assert nul_path({"a": ["ok", {"b": "x\x00"}]}) == "a[1].b"
    assert nul_path({"k\x00": 1}) == "k\x00"
    assert nul_path("\x00") == "(the value)"
    assert nul_path({"a": [1, None, True, "fine"]}) is None
