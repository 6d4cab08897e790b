"""Schemathesis hooks for the API contract run (tests/test_api_contract.py).

Names made up at random reach only 404s. These hooks point the run at the rows the test
seeded as well: `NAAP_CONTRACT_KNOWN` (JSON) maps a path or query parameter, or a field of
a JSON body, to the values that exist. A parameter's first value becomes its example in the
schema the run reads (the examples phase sends them), and half the fuzzed cases take seeded
values for those the case has, so every operation also answers its success codes.
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import strategies as st

KNOWN: dict[str, dict[str, list]] = json.loads(os.environ.get("NAAP_CONTRACT_KNOWN", "{}"))


@schemathesis.hook
def before_load_schema(context, raw_schema: dict) -> None:
    for operations in raw_schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                values = KNOWN.get(parameter["in"], {}).get(parameter["name"])
                if values:
                    parameter["example"] = values[0]


# Where a seeded value can go in a case: the case attribute of each location.
LOCATIONS = {"path": "path_parameters", "query": "query", "body": "body"}


@schemathesis.hook
def flatmap_case(context, case):
    seeded = {}
    for location, attribute in LOCATIONS.items():
        values = getattr(case, attribute)
        if isinstance(values, dict):
            known = KNOWN.get(location, {})
            for name in values:
                if name in known:
                    seeded[(attribute, name)] = st.sampled_from(known[name])
    if not seeded:
        return st.just(case)

    def with_seeded(chosen: dict) -> object:
        for (attribute, name), value in chosen.items():
            setattr(case, attribute, {**getattr(case, attribute), name: value})
        return case

    return st.one_of(st.just(case), st.fixed_dictionaries(seeded).map(with_seeded))
