#!/usr/bin/python3
"""Fails when docs/scenario-reference.md differs from `kpisim reference` (regenerate it with
`build/release/engine/kpisim reference > docs/scenario-reference.md`)."""
import subprocess
import sys

kpisim, doc = sys.argv[1], sys.argv[2]
generated = subprocess.run([kpisim, "reference"], check=True, capture_output=True, text=True).stdout
with open(doc, encoding="utf-8") as f:
    current = f.read()
if generated != current:
    print(f"{doc} is out of date: regenerate it with `{kpisim} reference > {doc}`")
    sys.exit(1)
print("scenario reference is current")
