#!/usr/bin/python3
"""Classify the report a libFuzzer target printed when it stopped (docs/fuzzing.md, "Triage").

Usage: triage.py LOG BINARY
Prints one line, "hdf5: SIGNATURE" or "ours: SIGNATURE", and exits 0 for a known kind of libhdf5
defect (the crash is inside the HDF5 library, on memory the library allocated) and 1 for anything
else (a crash, leak or UBSan report in KPISim's code, a timeout, a report this script cannot
parse): anything not proven to be the library's counts as ours.

The faulting frame is the first frame of the report's first stack that is not the sanitizer or
libFuzzer runtime. The runtime is linked into BINARY and, unlike KPISim's code (compiled with debug
information), is symbolised without a source location: a frame in BINARY without a source file, or
with one under compiler-rt, is runtime. A crash is the library's only if
  - the faulting frame is in libhdf5 (a module whose name contains "libhdf5"), and
  - when the report says where the bad memory came from ("allocated by", "freed by", "located in
    stack of", a global), that place is libhdf5's too: a buffer KPISim allocated and HDF5 overran
    (a wrong size passed to H5Dread, say) is KPISim's bug.
A UBSan report ("runtime error:") is always ours: only KPISim's code is instrumented for it.
Timeouts and RSS-limit out-of-memory stops have no faulting frame and are ours.
"""
import re
import sys

FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+\s+(?P<rest>.*)$")
MODULE = re.compile(r"\((?P<module>[^()+\s]+)\+0x[0-9a-f]+\)$")


def parse_frame(line):
    """(function, module or None, source file or None) of one symbolised frame line, or None.

    Frames read "#3 0xADDR in FUNCTION LOCATION" or "#3 0xADDR  LOCATION", where LOCATION is
    "(MODULE+0xOFFSET)" or "/path/file.cpp:LINE[:COLUMN]", possibly followed by "(BuildId: ...)";
    FUNCTION may contain spaces (C++ signatures), so the location is taken from the end.
    """
    m = FRAME.match(line)
    if not m:
        return None
    rest = re.sub(r"\s*\(BuildId: [0-9a-f]+\)\s*$", "", m.group("rest")).strip()
    func = ""
    mm = MODULE.search(rest)
    if mm:
        module, src = mm.group("module"), None
        head = rest[: mm.start()].strip()
    else:
        head, _, loc = rest.rpartition(" ")
        module, src = None, re.sub(r":\d+(:\d+)?$", "", loc)
    if head.startswith("in "):
        func = head[3:].strip()
    return func, module, src


def is_runtime(frame, binary):
    func, module, src = frame
    if module is not None:
        return module == binary or module.endswith("/" + binary.rsplit("/", 1)[-1])
    return "compiler-rt" in src or src.startswith("/usr/lib/llvm")


def stacks(lines):
    """The stacks of the report, as lists of parsed frames, each with the line that introduced it."""
    out, cur, title = [], None, ""
    for line in lines:
        f = parse_frame(line)
        if f is not None:
            if cur is None:
                cur = []
                out.append((title, cur))
            cur.append(f)
        else:
            cur = None
            if line.strip():
                title = line.strip()
    return out


def faulting(stack, binary):
    for f in stack:
        if not is_runtime(f, binary):
            return f
    return None


def in_hdf5(frame):
    return frame is not None and frame[1] is not None and "libhdf5" in frame[1]


def name(frame, stack=()):
    """FUNCTION (FILE) of a frame; an unnamed frame borrows the next named one of its module."""
    if frame is None:
        return "?"
    func, module, src = frame
    if not func and frame in stack:
        later = stack[stack.index(frame):]
        func = next((f[0] for f in later if f[0] and f[1] == module), "??")
    return f"{func.replace('(anonymous namespace)::', '').split('(', 1)[0]} ({(module or src).rsplit('/', 1)[-1]})"


def classify(text, binary):
    lines = text.splitlines()
    if any("runtime error:" in line for line in lines):
        return False, "UBSan: " + next(line.strip() for line in lines if "runtime error:" in line)
    start = next((i for i, line in enumerate(lines) if re.search(r"==\d+==\s*ERROR: |ERROR: libFuzzer: ", line)), None)
    if start is None:
        return False, "no sanitizer or libFuzzer report in the log"
    head = lines[start].split("ERROR: ", 1)[1].strip()
    kind = re.sub(r" on (unknown )?address.*| after \d+ seconds.*", "", head)
    if re.search(r"timeout|rss limit", head):
        return False, kind
    st = stacks(lines[start:])
    if not st:
        return False, kind + ": no stack"
    fault = faulting(st[0][1], binary)
    # The KPISim call that led into the library (the first frame with a source file of ours).
    caller = next((f for f in st[0][1] if f[2] is not None and re.search(r"kpisim::|LLVMFuzzerTestOneInput", f[0])), None)
    sig = f"{kind} in {name(fault, st[0][1])}, called from {name(caller)}"
    if not in_hdf5(fault):
        return False, sig
    # Where the memory came from: every later stack that describes it must be libhdf5's as well.
    for title, stack in st[1:]:
        if re.search(r"allocated by|freed by|previously allocated|located in stack", title):
            origin = faulting(stack, binary)
            if not in_hdf5(origin):
                return False, f"{sig}; the memory is KPISim's ({title.rstrip(':')} {name(origin)})"
    if any(re.search(r"global variable", line) and "libhdf5" not in line for line in lines[start:]):
        return False, sig + "; the memory is a global of KPISim's"
    return True, sig


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        text = f.read()
    hdf5, sig = classify(text, sys.argv[2])
    print(("hdf5: " if hdf5 else "ours: ") + sig)
    return 0 if hdf5 else 1


if __name__ == "__main__":
    sys.exit(main())
