#!/usr/bin/env python3
"""Validates JSON files against a JSON schema (draft 2020-12): check_schema.py SCHEMA FILE...

Prints one line per error (file, JSON path, message) and exits 1 if any; used by the tests to
check that configs/schema.json accepts every shipped config and every resolved config."""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 2:
        print("usage: check_schema.py SCHEMA FILE...", file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for name in argv[1:]:
        with open(name) as f:
            doc = json.load(f)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
            print(f"{name}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
