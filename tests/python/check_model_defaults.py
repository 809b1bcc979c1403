#!/usr/bin/python3
"""Checks that every default quoted in docs/model.md as `section.key` = value matches the code.

The defaults come from docs/scenario-reference.md, which is itself generated from the parameter
declarations (and checked to be current by docs_scenario_reference_current). Regime parameters
are quoted as `regime.key` = value.
Usage: check_model_defaults.py docs/model.md docs/scenario-reference.md
"""
import re
import sys

model_path, ref_path = sys.argv[1], sys.argv[2]
defaults = {}
regime = None
with open(ref_path, encoding="utf-8") as f:
    for line in f:
        m = re.match(r"^### `([a-z_]+)`", line)
        if m:
            regime = m.group(1)
            continue
        m = re.match(r"^\| `([^`]+)` \| [^|]* \| [^|]* \| [^|]* \| ([^|]*) \|", line)
        if m:
            key, value = m.group(1), m.group(2).strip()
            if key.startswith("policies.NAME.") or key.startswith("organisation.divisions.NAME."):
                continue
            defaults[f"{regime}.{key}" if regime else key] = value

with open(model_path, encoding="utf-8") as f:
    text = f.read()
quoted = re.findall(r"`([a-z_]+(?:\.[A-Za-z_]+)+)` = (-?[0-9][0-9.eE+-]*)", text)
errors = []
for key, value in quoted:
    if key not in defaults:
        errors.append(f"docs/model.md quotes `{key}` = {value}, but there is no such parameter")
        continue
    try:
        ok = abs(float(defaults[key]) - float(value)) <= 1e-12 * max(1.0, abs(float(value)))
    except ValueError:
        ok = False
    if not ok:
        errors.append(f"docs/model.md quotes `{key}` = {value}, but the default is {defaults[key]}")
if not quoted:
    errors.append("docs/model.md quotes no defaults in the form `section.key` = value")
for e in errors:
    print(e)
print(f"{len(quoted)} quoted defaults checked, {len(errors)} problems")
sys.exit(1 if errors else 0)
