#!/usr/bin/python3
"""Regenerates the outputs and numbers quoted in the documentation from what kpisim prints now.

The tutorial and the coursework sheets quote kpisim's printed tables and numbers read from them.
This script reruns the commands and rewrites (--write) or checks (--check) every quoted piece, so
that a change of the model shows up as a diff instead of silently stale documentation.

Markers (HTML comments, invisible on GitHub):

  <!-- kpisim-file: mywork/my_org.yaml -->       the fenced block that follows is an input file:
  ```yaml ... ```                                written to that path in the scratch directory

  <!-- kpisim-gen[NAME]: run X.yaml -o Y.h5 --threads 1 -->
  ```                                            the printed output of `kpisim run X.yaml ...`,
  ...                                            run in a scratch directory (with `scenarios/`
  ```                                            linked); [NAME] is optional and names the result
  <!-- /kpisim-gen -->                           for the definitions below

  <!-- kpisim-gen: =EXPR -->                     text (e.g. a Markdown table) computed by a Python
  ...                                            expression from the definitions
  <!-- /kpisim-gen -->

  <!-- kpisim-def                                Python statements run once per document, after
  R1 = ex1.row("true value per FTE-day")         the commands above: names for results and values
  -->

  <!-- v:EXPR|SPEC -->text<!-- /v -->            a number in the prose: EXPR formatted with the
                                                 Python format SPEC (minus signs as U+2212; a SPEC
                                                 starting with '!' keeps ASCII); a string is kept
                                                 (times(x) words a ratio: "about four times";
                                                 sig(x, n) gives n significant digits)

  <!-- kpisim-assert: EXPR  # what the prose says --> a claim the prose makes about the numbers
                                                 ("X is larger than Y", "the interval excludes 0"):
                                                 EXPR must be true, or --check and --write fail
                                                 naming the line and the claim (the prose needs
                                                 rewording, not just new numbers)

Commands run in document order, each once (a `kpisim-gen` block always runs: the tutorial shows
the refusal to overwrite); `run(...)`, `sweep(...)` and `optimise(...)` in definitions are cached per
invocation; `analysis()` gives the analysis package's results and report modules, so that a
document can quote the numbers the report shows (docs/decision-study.md).
Parts of the printed output that vary between machines and calls (timings, speeds, the time
estimate) are masked: a block whose masked text is unchanged is left as it is.

Usage:
  scripts/docnums.py --check [--kpisim build/checked/engine/kpisim] [FILE.md ...]
  scripts/docnums.py --write [--kpisim build/release/engine/kpisim] [FILE.md ...]
Without files: every document listed in DOCUMENTS. Exit status 1 when --check finds a difference
(a unified diff is printed) or a claim (kpisim-assert) no longer holds, 2 on a usage or marker error.
"""
import argparse
import ast
import difflib
import hashlib
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import yaml
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    "docs/tutorial.md",
    "scenarios/coursework/01_leaderboard.md",
    "scenarios/coursework/02_goodhart.md",
    "scenarios/coursework/03_burnout.md",
    "scenarios/coursework/04_frontier.md",
    "docs/decision-study.md",
    "docs/own-data.md",
    "scenarios/replicas/README.md",
]

FILE_RE = re.compile(r"<!-- kpisim-file: (\S+) -->\n```[a-z]*\n(.*?)```\n", re.S)
GEN_RE = re.compile(r"(<!-- kpisim-gen(?:\[(\w+)\])?: (.*?) -->\n)(.*?)(<!-- /kpisim-gen -->)", re.S)
DEF_RE = re.compile(r"<!-- kpisim-def\n(.*?)-->", re.S)
VAL_RE = re.compile(r"<!-- v:(.*?) -->(.*?)<!-- /v -->", re.S)
ASSERT_RE = re.compile(r"<!-- kpisim-assert: (.*?) -->", re.S)

# What varies from one call or machine to the next: compared as '<*>'.
MASKS = [
    re.compile(r"(?<=in )[0-9.]+ s \([0-9.e+-]+ agent-days/s\)"),  # run: time and speed
    re.compile(r"(?<=agent-days, )(?:about [^,]*|under a second)(?=, peak memory)"),  # sweep: time estimate
    re.compile(r"(?<=failed; )[0-9.]+ (?:s|min|h)(?=; wrote)"),  # sweep: elapsed time
    re.compile(r"(?<=^estimate: )[^,\n]*(?=, peak memory)", re.M),  # optimise, calibrate: time estimate
    re.compile(r"(?<= runs in |. run in )[0-9.]+ s(?=; wrote)"),  # optimise, calibrate: elapsed time
]


class DocError(Exception):
    pass


def mask(text):
    for m in MASKS:
        text = m.sub("<*>", text)
    return text


def fmt(x, spec=""):
    """A number as quoted in prose: Python format spec, minus as U+2212 unless spec starts with '!'."""
    if isinstance(x, str):
        return x
    ascii_minus = spec.startswith("!")
    spec = spec.lstrip("!")
    if isinstance(x, (float, np.floating)) and not spec:
        raise DocError(f"a float ({x!r}) needs a format spec (EXPR|SPEC)")
    s = format(x.item() if isinstance(x, np.generic) else x, spec)
    if s.startswith("-") and not re.search(r"[1-9]", s.split("e")[0]):
        s = s[1:]  # no "-0.0"
    return s if ascii_minus else s.replace("-", "\u2212")


NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve"]


def times(x, how="about"):
    """A ratio in words: 'about four times', 'more than twice' (how: about, more than, almost)."""
    n = {"about": round, "more than": math.floor, "almost": math.ceil}[how](x)
    if how == "more than" and n == x:
        n -= 1
    if n < 2:
        raise DocError(f"times({x!r}, {how!r}): a ratio below two has no words here; rephrase")
    word = "twice" if n == 2 else f"{NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else n} times"
    return f"{how} {word}"


def words(n):
    """A small whole number in words ('four'), larger ones as digits."""
    n = int(round(n))
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def sigspec(x, n=3, maxd=None, sign=False):
    """The format spec that shows x with n significant digits (at most maxd decimals), grouped."""
    d = 0 if x == 0 or not math.isfinite(x) else max(0, n - 1 - math.floor(math.log10(abs(x))))
    d = d if maxd is None else min(d, maxd)
    return ("+" if sign else "") + f",.{d}f"


def sig(x, n=3, maxd=None, sign=False):
    """x with n significant digits (at most maxd decimals), '0' when it rounds to zero."""
    s = fmt(x, sigspec(x, n, maxd, sign))
    return "0" if not re.search(r"[1-9]", s) else s


def interval(lo, hi, spec):
    return f"[{fmt(lo, spec)}, {fmt(hi, spec)}]"


def code(text):
    """A fenced code block."""
    return "```\n" + text + ("" if text.endswith("\n") else "\n") + "```\n"


def grouped(cell):
    """A printed number as the sheets quote it: thousands separators from five digits on, minus as U+2212."""
    m = re.fullmatch(r"([-+]?)(\d+)(\.\d+)?", cell)
    if m and len(m.group(2)) >= 5:
        cell = f"{m.group(1)}{int(m.group(2)):,}{m.group(3) or ''}"
    return cell.replace("-", "\u2212")


def short(x, spec):
    """fmt(x, spec), but '0' when the value rounds to zero (the sheets' tables write 0, not 0.00)."""
    s = fmt(x, spec)
    return "0" if not re.search(r"[1-9]", s) else s


def mdtable(header, rows, align=None):
    """A Markdown table; align is one '---'/'---:' per column (default: first left, others right)."""
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    def line(cells):
        return "|" + "|".join(f" {c} " if str(c) else " " for c in cells) + "|"
    lines = [line(header), "|" + "|".join(align) + "|"] + [line(row) for row in rows]
    return "\n".join(lines) + "\n"


def summary_table(printed, rows, policies):
    """Selected rows of a `kpisim run` summary: rows are (label in the sheet, row label or (a, b) for 'a / b')."""
    out = []
    for shown, label in rows:
        labels = label if isinstance(label, tuple) else (label,)
        out.append([shown] + [" / ".join(grouped(printed.cell(lb, p)) for lb in labels) for p in policies])
    return mdtable([""] + list(policies), out)


def num(cell):
    """A number as printed by kpisim (plain, with exponent, or with a leading '+')."""
    return float(cell.replace(",", ""))


class Printed:
    """What one kpisim command printed, with readers for its tables, and its results file."""

    def __init__(self, argv, cwd, text, rc):
        self.argv, self.cwd, self.text, self.rc = argv, cwd, text, rc
        out = None
        for i, a in enumerate(argv):
            if a in ("-o", "--output") and i + 1 < len(argv):
                out = argv[i + 1]
        self.h5 = Path(cwd) / out if out else None

    # --- the summary table of `kpisim run` ---
    def _summary(self):
        lines = self.text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("true value per FTE-day"):
                header = lines[i - 1].split()
                rows = {}
                for row in lines[i:]:
                    if not row.strip():
                        break
                    parts = re.split(r"\s{2,}", row.strip())
                    if len(parts) == 1 and parts[0].endswith(":"):  # a heading ("organisation, USD/year ...:")
                        continue
                    if len(parts) != len(header) + 1:
                        raise DocError(f"cannot read the summary row {row!r}")
                    rows[parts[0]] = dict(zip(header, parts[1:]))
                return rows
        raise DocError(f"no summary table in the output of {' '.join(self.argv)}")

    def cell(self, label, policy):
        rows = self._summary()
        hits = [k for k in rows if k == label] or [k for k in rows if k.startswith(label)]
        if len(hits) != 1:
            raise DocError(f"summary row {label!r}: {len(hits)} matches among {list(rows)}")
        return rows[hits[0]][policy]

    def row(self, label, policy):
        return num(self.cell(label, policy))

    def seed(self):
        """The scenario seed in the header line."""
        return int(re.search(r"seed (\d+)", self.text).group(1))

    # --- the comparison tables of `kpisim sweep` ---
    def window(self):
        """(first, last) day of the sweep tables' means."""
        return tuple(int(x) for x in re.search(r"mean over days (\d+)-(\d+)", self.text).groups())

    def replications(self):
        return int(re.search(r"intervals over (\d+) replications", self.text).group(1))

    def morris(self, output):
        """The Morris table of an output: {parameter: {"mu*": .., "mu": .., "sigma": ..}}."""
        lines = self.text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith(f"Morris elementary effects of {output} "):
                header = [c.strip() for c in lines[i + 1].strip("|").split("|")]
                out = {}
                for row in lines[i + 3:]:
                    if not row.startswith("|"):
                        break
                    cells = dict(zip(header, (c.strip() for c in row.strip("|").split("|"))))
                    out[cells["parameter"]] = {k: num(cells[k]) for k in ("mu*", "mu", "sigma")}
                return out
        raise DocError(f"no Morris table for {output!r} in the output of {' '.join(self.argv)}")

    def points(self):
        pts = {}
        for m in re.finditer(r"^  (\d+): (.*)$", self.text, re.M):
            pts[int(m.group(1))] = {k.strip(): num(v) for k, v in (kv.split(" = ") for kv in m.group(2).split(", "))}
        return pts

    def point(self, **params):
        """The point whose parameters end with the given names (prize_usd=20) and have those values."""
        hits = []
        for p, kv in self.points().items():
            if all(any(k.split(".")[-1] == name and math.isclose(v, val) for k, v in kv.items())
                   for name, val in params.items()):
                hits.append(p)
        if len(hits) != 1:
            raise DocError(f"point {params}: {len(hits)} matches")
        return hits[0]

    def table(self, output):
        lines = self.text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith(output + " ("):
                header = []
                for c in (c.strip() for c in lines[i + 1].strip("|").split("|")):
                    header.append(f"{header[-1]} :: {c}" if c in header else c)  # the paired "95% interval"
                rows = []
                for row in lines[i + 3:]:
                    if not row.startswith("|"):
                        break
                    rows.append(dict(zip(header, (c.strip() for c in row.strip("|").split("|")))))
                return rows
        raise DocError(f"no table for {output!r} in the output of {' '.join(self.argv)}")

    def tcell(self, output, policy, column, point=None, **params):
        if params:
            point = self.point(**params)
        rows = [r for r in self.table(output) if r["policy"] == policy and (point is None or r["point"] == str(point))]
        if len(rows) != 1:
            raise DocError(f"{output}, {policy}, point {point}: {len(rows)} rows")
        hits = [c for c in rows[0] if c == column or c.startswith(column)]
        return rows[0][hits[0]]

    def tnum(self, output, policy, column="mean", point=None, **params):
        return num(self.tcell(output, policy, column, point, **params))

    def tiv(self, output, policy, column="95% interval", point=None, **params):
        """An interval cell '[lo, hi]' as two numbers; column 'paired' gives the paired difference's."""
        if column == "paired":
            column = next(c for c in self.table(output)[0] if c.startswith("paired difference") and " :: " in c)
        lo, hi = self.tcell(output, policy, column, point, **params).strip("[]").split(", ")
        return num(lo), num(hi)

    def pd(self, output, policy, point=None, **params):
        """The paired difference of a sweep table's row at full precision, from the results file:
        (mean, lo, hi) over the table's window, against the table's baseline at the same point."""
        lines = self.text.splitlines()
        head = next(line for line in lines if line.startswith(output + " ("))
        first, last = (int(x) for x in re.search(r"mean over days (\d+)-(\d+)", head).groups())
        i = lines.index(head)
        base = re.search(r"paired difference from (\w+)", lines[i + 1]).group(1)
        if point is not None:
            params = {k.split(".")[-1]: v for k, v in self.points()[point].items()}
        return self.paired(output, base, policy, first, last, a_params=params, b_params=params)

    # --- the results file ---
    def var(self, name):
        with h5py.File(self.h5, "r") as f:
            return f[name][()]

    def runs(self, policy, **params):
        """Run indices of a policy (and parameter values), sorted by replication."""
        with h5py.File(self.h5, "r") as f:
            pol = np.array([p.decode() if isinstance(p, bytes) else p for p in f["policy"][()]])
            mask_ = pol == policy
            for name, val in params.items():
                keys = [k for k in f if k.split(".")[-1] == name and isinstance(f[k], h5py.Dataset)]
                if len(keys) > 1:  # an output and a parameter share the last name: the parameter is dotted
                    keys = [k for k in keys if "." in k]
                if len(keys) != 1:
                    raise DocError(f"parameter {name}: {keys}")
                mask_ &= np.isclose(f[keys[0]][()], val)
            idx = np.nonzero(mask_)[0]
            reps = f["replication"][()][idx] if "replication" in f else np.zeros(len(idx))
        return idx[np.argsort(reps, kind="stable")]

    def days(self):
        return self.var("day")

    def means(self, name, policy, first=0, last=None, workdays=False, unit=None, **params):
        """Per-run means of a daily series over days first..last (working days only if asked)."""
        data = self.var(name)[self.runs(policy, **params)]
        day = self.days()
        keep = (day >= first) & (day <= (day[-1] if last is None else last))
        if workdays:
            keep &= day % 7 < 5
        data = data[:, keep]
        if unit is not None:
            units = [u.decode() if isinstance(u, bytes) else u for u in self.var("unit")]
            data = data[..., units.index(unit)]
        return np.nanmean(data, axis=1)

    def mean(self, *args, **kw):
        return float(np.mean(self.means(*args, **kw)))

    def at(self, name, policy, day, unit=None):
        """A daily series of a single run (kpisim run) on one day."""
        data = self.var(name)[self.runs(policy)[0]]
        d = data[list(self.days()).index(day)]
        if unit is not None:
            units = [u.decode() if isinstance(u, bytes) else u for u in self.var("unit")]
            d = d[units.index(unit)]
        return float(d)

    def weekly(self, name, policy, unit=None, **params):
        """(replication, week): means over the working days of each whole week."""
        data = self.var(name)[self.runs(policy, **params)]
        if unit is not None:
            units = [u.decode() if isinstance(u, bytes) else u for u in self.var("unit")]
            data = data[..., units.index(unit)]
        day = self.days()
        weeks = len(day) // 7
        data = np.where(day % 7 < 5, data, np.nan)[:, :weeks * 7]
        return np.nanmean(data.reshape(len(data), weeks, 7), axis=2)

    def paired(self, name, a, b, first=0, last=None, workdays=False, unit=None, a_params=None, b_params=None,
               level=0.95):
        """Mean paired difference b - a over replications and its Student t interval: (mean, lo, hi)."""
        ya = self.means(name, a, first, last, workdays, unit, **(a_params or {}))
        yb = self.means(name, b, first, last, workdays, unit, **(b_params or {}))
        d = yb - ya
        m = float(np.mean(d))
        half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1) * np.std(d, ddof=1) / math.sqrt(len(d)))
        return m, m - half, m + half


class Document:
    def __init__(self, path, kpisim, scratch):
        self.path = Path(path)
        self.kpisim = kpisim
        self.work = Path(scratch) / self.path.stem
        self.work.mkdir(parents=True)
        (self.work / "scenarios").symlink_to(REPO / "scenarios")
        (self.work / "results").mkdir()
        (self.work / ".cache").mkdir()
        self.cache = {}

    def kp(self, argv, check=False):
        proc = subprocess.run([str(self.kpisim)] + argv, cwd=self.work, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise DocError(f"kpisim {' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}")
        return Printed(argv, self.work, proc.stdout, proc.returncode)

    # --- helpers for the definitions ---
    def variant(self, path, changes, name=None):
        """A copy of a scenario or experiment with dotted keys set (None deletes); returns its path."""
        src = (self.work / path).resolve()
        doc = yaml.safe_load(src.read_text())
        if "base" in doc:
            doc["base"] = str((src.parent / doc["base"]).resolve())
        for key, value in changes.items():
            node, parts = doc, key.split(".")
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            if value is None:
                node.pop(parts[-1], None)
            else:
                node[parts[-1]] = value
        digest = hashlib.sha1(repr((path, sorted(changes.items(), key=str))).encode()).hexdigest()[:10]
        out = self.work / ".cache" / f"{name or src.stem}_{digest}.yaml"
        out.write_text(yaml.safe_dump(doc, sort_keys=False))
        return str(out.relative_to(self.work))

    def _cached(self, sub, path, args, changes):
        if changes:
            path = self.variant(path, changes)
        key = (sub, path, tuple(args))
        if key not in self.cache:
            out = f".cache/{hashlib.sha1(repr(key).encode()).hexdigest()[:12]}.h5"
            self.cache[key] = self.kp([sub, path, *args, "-o", out, "--threads", "2"], check=True)
        return self.cache[key]

    def run(self, path, *args, set=None):  # noqa: A002 (the natural name in the documents)
        return self._cached("run", path, args, set)

    def sweep(self, path, *args, set=None):  # noqa: A002
        return self._cached("sweep", path, args, set)

    def optimise(self, path, *args, set=None):  # noqa: A002
        return self._cached("optimise", path, args, set)

    def analysis(self):
        """The analysis package's results and report modules (what `kpisim report` draws): a document
        quotes the report's numbers from them, e.g. report.executive_summary(results.open_results(P.h5))."""
        os.environ.setdefault("MPLBACKEND", "Agg")
        if str(REPO / "analysis") not in sys.path:
            sys.path.insert(0, str(REPO / "analysis"))
        from kpisim_analysis import report, results  # noqa: PLC0415 (only documents that quote the report need it)
        return results, report

    def yaml_load(self, path):
        """A scenario or experiment file of the tree, as Python data."""
        return yaml.safe_load((self.work / path).read_text())

    def edited(self, path, old, new):
        """The first line kpisim validate prints for a copy of a file with `old` replaced by `new`."""
        text = (self.work / path).read_text()
        if text.count(old) != 1:
            raise DocError(f"{path}: {old!r} occurs {text.count(old)} times (must be once)")
        target = self.work / path
        target.write_text(text.replace(old, new))
        try:
            return self.kp(["validate", path]).text.splitlines()[0]
        finally:
            target.write_text(text)

    def render(self):
        text = self.path.read_text()
        for m in FILE_RE.finditer(text):
            target = self.work / m.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(m.group(2))
        ns = {"fmt": fmt, "interval": interval, "times": times, "words": words, "sig": sig, "sigspec": sigspec, "code": code, "grouped": grouped, "short": short, "mdtable": mdtable,
              "summary_table": summary_table, "np": np, "run": self.run, "sweep": self.sweep, "optimise": self.optimise, "analysis": self.analysis,
              "variant": self.variant, "edited": self.edited, "yaml_load": self.yaml_load, "re": re, "DocError": DocError}
        blocks = {}
        for m in GEN_RE.finditer(text):
            command = m.group(3)
            if command.startswith("="):
                continue
            parts = [self.kp(shlex.split(c)) for c in command.split(" ; ")]  # several commands, one block
            printed = parts[-1]
            printed.text = "".join(p.text for p in parts)
            blocks[m.start()] = printed
            if m.group(2):
                ns[m.group(2)] = printed
        for m in DEF_RE.finditer(text):
            line = text.count("\n", 0, m.start()) + 2
            try:
                exec(compile(m.group(1), f"{self.path}:{line} (kpisim-def)", "exec"), ns)  # noqa: S102
            except DocError:
                raise
            except Exception as e:  # a broken definition: say where
                raise DocError(f"{self.path}:{line}: kpisim-def: {type(e).__name__}: {e}") from e

        def evaluate(expr, where):
            try:
                return eval(expr, ns)  # noqa: S307 (the repository's own documents)
            except Exception as e:
                raise DocError(f"{self.path}:{text.count(chr(10), 0, where) + 1}: {expr!r}: {type(e).__name__}: {e}") from e

        def gen(m):
            head, old, command = m.group(1), m.group(4), m.group(3)
            if command.startswith("="):
                new = evaluate(command[1:].strip(), m.start())
                new = new if new.endswith("\n") else new + "\n"
            else:
                new = "```\n" + blocks[m.start()].text + "```\n"
                old_lines, new_lines = old.splitlines(True), new.splitlines(True)
                if len(old_lines) == len(new_lines):  # keep the old timings where nothing else changed
                    new = "".join(o if mask(o) == mask(n) else n for o, n in zip(old_lines, new_lines))
            return head + new + m.group(5)

        def val(m):
            expr, spec = (m.group(1).rsplit("|", 1) + [""])[:2] if "|" in m.group(1) else (m.group(1), "")
            return f"<!-- v:{m.group(1)} -->{fmt(evaluate(expr, m.start()), spec)}<!-- /v -->"

        self.failed = []
        for m in ASSERT_RE.finditer(text):
            if not evaluate(m.group(1), m.start()):
                where = f"{os.path.relpath(self.path, REPO)}:{text.count(chr(10), 0, m.start()) + 1}"
                self.failed.append(f"{where}: {m.group(1).strip()}" + "".join(
                    f"\n    false: {part}" for part in failing_conjuncts(m.group(1), lambda e: evaluate(e, m.start()))))
        return VAL_RE.sub(val, GEN_RE.sub(gen, text))


def failing_conjuncts(expr, evaluate):
    """The top-level `and` terms of a failed assertion that are false (all of it if it is no `and`)."""
    body = ast.parse(expr.split("  #")[0].strip(), mode="eval").body
    terms = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
    out = []
    for t in terms:
        if evaluate(ast.unparse(t)):
            continue
        shown = ast.unparse(t)
        if isinstance(t, ast.Compare):  # the compared values, to see by how much it fails
            shown += "  [" + ", ".join(f"{ast.unparse(x)} = {evaluate(ast.unparse(x))!r:.60}" for x in [t.left, *t.comparators]
                                       if not isinstance(x, ast.Constant)) + "]"
        out.append(shown)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1, with a diff, when a document is out of date")
    mode.add_argument("--write", action="store_true", help="rewrite the documents")
    ap.add_argument("--kpisim", default=str(REPO / "build/release/engine/kpisim"), help="the kpisim binary to run")
    ap.add_argument("files", nargs="*", help=f"documents (default: {', '.join(DOCUMENTS)})")
    a = ap.parse_args()
    kpisim = Path(a.kpisim).resolve()
    if not kpisim.is_file():
        ap.error(f"no kpisim binary at {a.kpisim} (build it, or pass --kpisim PATH)")
    files = [Path(f).resolve() for f in a.files] or [REPO / d for d in DOCUMENTS]
    stale, failed = [], []
    with tempfile.TemporaryDirectory(prefix="docnums-") as scratch:
        for path in files:
            doc = Document(path, kpisim, scratch)
            try:
                new = doc.render()
            except DocError as e:
                print(f"docnums: {e}", file=sys.stderr)
                return 2
            failed += doc.failed
            old = path.read_text()
            if new == old:
                continue
            rel = os.path.relpath(path, REPO)
            if a.write:
                path.write_text(new)
                print(f"docnums: rewrote {rel}")
            else:
                stale.append(rel)
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                           f"a/{rel}", f"b/{rel} (what kpisim prints now)"))
    if stale:
        print(f"\ndocnums: {len(stale)} document(s) no longer match what kpisim prints: {', '.join(stale)}.\n"
              "If the change of the model is intended, regenerate them and review the diff:\n"
              "  scripts/docnums.py --write --kpisim build/release/engine/kpisim\n"
              "(then check that the prose around the numbers still says what they show).", file=sys.stderr)
    if failed:
        print(f"\ndocnums: {len(failed)} claim(s) in the prose no longer hold for what kpisim prints now:\n  "
              + "\n  ".join(failed)
              + "\nReword the text around each (kpisim-assert) and the assertion itself.", file=sys.stderr)
    if stale or failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
