"""The fuzzing tools of scripts/fuzz.sh (docs/fuzzing.md): the crash triage and the seed normaliser."""
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(os.environ.get("KPISIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(SRC / "tests" / "fuzz"))
import normalise_h5  # noqa: E402
import triage  # noqa: E402

BIN = "/w/build/fuzz/tests/fuzz/fuzz_results"
HDF5 = "/lib/x86_64-linux-gnu/libhdf5_serial.so.103"
B = "(BuildId: e923ff058f7cfc1a31cc68764211396ffb3aeb91)"


def rt(n, func, off="0x15a464"):
    return f"    #{n} 0x55ff69bda464 in {func} ({BIN}+{off}) {B}"


def h5(n, func=""):
    return f"    #{n} 0x7f0d8b7843cd {'in ' + func + ' ' if func else ' '}({HDF5}+0x1843cd) {B}"


def ours(n, func, where="/w/engine/src/io/hdf5_reader.cpp:354:29"):
    return f"    #{n} 0x564070336d2b in {func} {where}"


FUZZ_TAIL = [ours(9, "LLVMFuzzerTestOneInput", "/w/tests/fuzz/fuzz_results.cpp:75:5"),
             rt(10, "fuzzer::Fuzzer::ExecuteCallback(unsigned char const*, unsigned long)")]


def report(head, *stacks):
    lines = ["INFO: Seed: 1", f"==17303=={head}"]
    for title, frames in stacks:
        if title:
            lines += ["", title]
        lines += frames
    lines += ["", "SUMMARY: AddressSanitizer: ...", "==17303==ABORTING"]
    return "\n".join(lines)


def classify(text):
    return triage.classify(text, BIN)


def test_segv_inside_hdf5_after_runtime_frames_is_the_librarys():
    text = report("ERROR: AddressSanitizer: SEGV on unknown address (pc 0x55ff69bda464 bp 0x0 sp 0x7ffd T0)",
                  ("", [rt(0, "__asan::Allocator::Deallocate(void*, unsigned long, unsigned long, __sanitizer::BufferedStackTrace*, __asan::AllocType)"),
                        rt(1, "free"), h5(2, "H5MM_xfree"), h5(3), h5(4, "H5Lget_name_by_idx"),
                        ours(5, "kpisim::(anonymous namespace)::link_names[abi:cxx11](long)")] + FUZZ_TAIL))
    hdf5, sig = classify(text)
    assert hdf5, sig
    assert "SEGV in H5MM_xfree (libhdf5_serial.so.103)" in sig and "link_names" in sig


def test_overflow_inside_hdf5_of_hdf5_memory_is_the_librarys():
    text = report("ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6140000077d0 at pc 0x1 bp 0x2 sp 0x3",
                  ("READ of size 48 at 0x6140000077d0 thread T0", [rt(0, "__interceptor_memcpy"), h5(1), h5(2, "H5O__msg_iterate_real"),
                                                                  ours(3, "kpisim::read_results_index(std::string const&)")] + FUZZ_TAIL),
                  ("allocated by thread T0 here:", [rt(0, "malloc"), h5(1, "H5FL_blk_malloc")]))
    hdf5, sig = classify(text)
    assert hdf5, sig
    assert "H5O__msg_iterate_real" in sig


def test_overflow_inside_hdf5_of_a_buffer_kpisim_allocated_is_ours():
    # A wrong size passed to H5Dread: the library writes past a vector of the reader's.
    text = report("ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6140000077d0 at pc 0x1 bp 0x2 sp 0x3",
                  ("WRITE of size 8 at 0x6140000077d0 thread T0", [rt(0, "__interceptor_memcpy"), h5(1, "H5D__scatter_mem"),
                                                                   ours(2, "kpisim::read_window_means(std::string const&)")] + FUZZ_TAIL),
                  ("allocated by thread T0 here:", [rt(0, "operator new(unsigned long)"),
                                                    ours(1, "std::vector<double>::vector(unsigned long)", "/usr/include/c++/12/bits/stl_vector.h:512:9")]))
    hdf5, sig = classify(text)
    assert not hdf5
    assert "the memory is KPISim's" in sig


def test_crash_in_kpisim_code_is_ours():
    text = report("ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x1 bp 0x2 sp 0x3 T0)",
                  ("", [ours(0, "kpisim::(anonymous namespace)::read_strings(long, std::string const&, unsigned long)")] + FUZZ_TAIL))
    hdf5, sig = classify(text)
    assert not hdf5 and "read_strings" in sig


def test_ubsan_leak_timeout_and_unparsable_logs_are_ours():
    assert not classify("/w/engine/src/io/x.cpp:3:5: runtime error: signed integer overflow\n" + h5(0, "H5Dread"))[0]
    leak = report("ERROR: LeakSanitizer: detected memory leaks",
                  ("Direct leak of 24 byte(s) in 1 object(s) allocated from:", [rt(0, "malloc"), ours(1, "kpisim::Sweep::from_text(std::string const&)")]))
    assert not classify(leak)[0]
    assert not classify("==1== ERROR: libFuzzer: timeout after 30 seconds\n" + h5(0, "H5Dread"))[0]
    assert not classify("Segmentation fault\n")[0]


def test_lookup3_is_jenkins_hashlittle():
    # The reference values printed by lookup3.c's driver5 (what HDF5's H5_checksum_lookup3 computes).
    assert normalise_h5.lookup3(b"") == 0xDEADBEEF
    assert normalise_h5.lookup3(b"Four score and seven years ago") == 0x17770551
    assert normalise_h5.lookup3(b"Four score and seven years ago", 1) == 0xCD628161


def test_normalised_results_files_are_the_same_bytes_and_still_verify(tmp_path):
    writer, kpisim = os.environ["KPISIM_WRITE_SAMPLE"], os.environ["KPISIM_BIN"]
    files = []
    for i in range(2):
        if i:
            time.sleep(1.1)  # HDF5 stores the time of writing (in seconds) in every object header
        out = tmp_path / f"s{i}.h5"
        subprocess.run([writer, str(out), str(tmp_path / f"w{i}.h5")], check=True, capture_output=True)
        files.append(out.read_bytes())
    assert files[0] != files[1]
    for i in range(2):
        subprocess.run([sys.executable, str(SRC / "tests/fuzz/normalise_h5.py"), str(tmp_path / f"s{i}.h5")], check=True, capture_output=True)
    assert (tmp_path / "s0.h5").read_bytes() == (tmp_path / "s1.h5").read_bytes()
    # Every object header checksum verifies: compare reads the whole file first, then refuses a
    # non-sweep file for having no experiment (and only then).
    r = subprocess.run([kpisim, "compare", str(tmp_path / "s0.h5")], capture_output=True, text=True)
    assert "not a sweep results file" in r.stderr, r.stderr


def test_normalised_replacements_keep_the_string_checksum(tmp_path):
    """OLD=NEW replacements (fuzz.sh replaces the commit and the time of writing) change string
    attributes: the root group's CRC-32 of them is rewritten, so the file still verifies."""
    writer, kpisim = os.environ["KPISIM_WRITE_SAMPLE"], os.environ["KPISIM_BIN"]
    out = tmp_path / "s.h5"
    subprocess.run([writer, str(out), str(tmp_path / "w.h5")], check=True, capture_output=True)
    before = out.read_bytes()
    assert b"KPISim results: sample" in before
    subprocess.run([sys.executable, str(SRC / "tests/fuzz/normalise_h5.py"), str(out), "KPISim results=KPISim RESULTS"],
                   check=True, capture_output=True)
    assert b"KPISim RESULTS: sample" in out.read_bytes()
    r = subprocess.run([kpisim, "compare", str(out)], capture_output=True, text=True)
    assert "not a sweep results file" in r.stderr, r.stderr
