"""Prebuilt archives stay inside the prefix, across archives: each archive is
checked against the prefix as the earlier ones left it (links included), and
none replaces a directory or another library's (or the build's) files.

Every case runs the real `android.py deps HOST --deps-dir DIR` on archives
made here, and compares the whole tree outside the prefix, and what was in
the prefix, before and after."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.archives import ANDROID_HOST, DepsTree, link, make_tar, tree_state
from support.cli import REPO

#: What a deps run may change outside the prefix: the trust-on-first-use lock.
RUN_STATE = ("work/xb/deps-lock.json", f"work/xb/{ANDROID_HOST}/prefix", "cache")


@pytest.fixture
def tree(tmp_path: Path) -> DepsTree:
    made = DepsTree(tmp_path)
    (tmp_path / "escdir").mkdir()  # where the escaping links point
    (tmp_path / "escdir" / "mine.txt").write_text("the user's")
    return made


def outside(tree: DepsTree) -> dict[str, str]:
    return tree_state(tree.root, skip=RUN_STATE)


def assert_refused(result, *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("android.py: error: refusing "), lines
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_link_from_one_archive_does_not_let_the_next_one_out(tree: DepsTree):
    """archive 1: `d -> .`; archive 2: `d/d/d/d/x -> ../../../../escdir`
    (inside when checked alone); archive 3: `x/PWNED`."""
    seeded = tree.seed_prefix()
    tree.archive("bzip2", {"include/bzlib.h": b"bz"}, [link("d", ".")])
    tree.archive("libffi", {"include/ffi.h": b"ffi"},
                 [link("d/d/d/d/x", "../../../../escdir")])
    tree.archive("openssl", {"x/PWNED": b"pwned"})
    before = outside(tree)
    result = tree.deps("bzip2", "libffi", "openssl")
    assert_refused(result, "libffi", "d/d/d/d/x", "'d'")
    assert outside(tree) == before
    after = tree_state(tree.prefix)
    assert {k: v for k, v in after.items() if k in seeded} == seeded
    assert after["d"] == "-> ." and "x" not in after and "include/ffi.h" not in after
    assert not (tree.prefix / ".deps" / "libffi.json").exists()
    # Archive 3 alone still installs, inside the prefix.
    assert tree.deps("openssl").returncode == 0
    assert (tree.prefix / "x" / "PWNED").is_file() and not (tree.prefix / "x").is_symlink()
    assert outside(tree) == before


def test_a_link_that_leaves_only_through_an_earlier_link_is_refused(tree: DepsTree):
    """`lib/up -> ..` is inside; `lib/e -> up/../..` is `.` on paper, the
    prefix's parent once `up` is followed."""
    seeded = tree.seed_prefix()
    tree.archive("bzip2", {"include/bzlib.h": b"bz"}, [link("lib/up", "..")])
    tree.archive("libffi", {"include/ffi.h": b"ffi"}, [link("lib/e", "up/../..")])
    before = outside(tree)
    result = tree.deps("bzip2", "libffi")
    assert_refused(result, "libffi", "lib/e", "outside the prefix")
    assert outside(tree) == before
    after = tree_state(tree.prefix)
    assert {k: v for k, v in after.items() if k in seeded} == seeded
    assert "lib/e" not in after


def test_a_later_archive_cannot_turn_an_earlier_link_outward(tree: DepsTree):
    """Links already in the prefix are resolved again with the new ones."""
    tree.seed_prefix()
    tree.archive("bzip2", {"include/bzlib.h": b"bz"}, [link("share/e", "q/../..")])
    tree.archive("libffi", {"include/ffi.h": b"ffi"}, [link("share/q", ".")])
    before = outside(tree)
    assert tree.deps("bzip2").returncode == 0  # share/q/../.. is the prefix itself
    result = tree.deps("libffi")
    assert_refused(result, "libffi", "share/e", "outside the prefix")
    assert outside(tree) == before
    assert not (tree.prefix / "share" / "q").exists()


@pytest.mark.parametrize("member, words", [
    ("file", ("the directory 'lib'",)),
    ("link", ("the directory 'include'",)),
])
def test_an_archive_never_replaces_a_directory(tree: DepsTree, member: str, words):
    """A regular file `lib`, or a link `include -> other`, over the prefix's
    directories (libpython, the headers)."""
    seeded = tree.seed_prefix()
    if member == "file":
        tree.archive("xz", {"lib": b"not a directory"})
    else:
        tree.archive("xz", {"other/lzma.h": b"xz"}, [link("include", "other")])
    before = outside(tree)
    result = tree.deps("xz")
    assert_refused(result, "xz", *words)
    assert outside(tree) == before
    assert tree_state(tree.prefix) == seeded  # not even the archive's other files
    assert not (tree.cross_build / ANDROID_HOST / "deps").exists()


def test_an_archive_never_replaces_another_librarys_or_the_builds_files(tree: DepsTree):
    seeded = tree.seed_prefix()
    tree.archive("bzip2", {"include/common.h": b"bzip2's"})
    tree.archive("libffi", {"include/common.h": b"libffi's"})
    tree.archive("sqlite", {"lib/libpython3.13.so": b"sqlite's"})
    assert tree.deps("bzip2").returncode == 0
    before = outside(tree)
    assert_refused(tree.deps("libffi"), "include/common.h", "bzip2 installed")
    assert_refused(tree.deps("sqlite"), "lib/libpython3.13.so", "did not install")
    assert outside(tree) == before
    assert (tree.prefix / "include" / "common.h").read_text() == "bzip2's"
    after = tree_state(tree.prefix)
    assert {k: v for k, v in after.items() if k in seeded} == seeded


def test_a_new_version_replaces_its_own_files_and_removes_its_stale_ones(tree: DepsTree,
                                                                        tmp_path: Path):
    tree.seed_prefix()
    tree.archive("bzip2", {"include/bzlib.h": b"v1", "lib/old.a": b"old"},
                 [link("lib/libbz2.so", "libbz2.so.1")])
    assert tree.deps("bzip2").returncode == 0
    # The same archive name with other content would not match the lock: a
    # new pins file names a new version instead.
    pins = (REPO / "Tools/cpython_android/deps/pins.toml").read_text()
    pins_file = tmp_path / "pins.toml"
    pins_file.write_text(pins.replace('prebuilt.version = "1.0.8-3"',
                                      'prebuilt.version = "1.0.8-4"', 1))
    new = tree.archives / f"bzip2-1.0.8-4-{ANDROID_HOST}.tar.gz"
    make_tar(new, {"include/bzlib.h": b"v2", "lib/libbz2.so": b"now a file"})
    result = tree.deps("bzip2", args=("--deps-pins", str(pins_file)))
    assert result.returncode == 0, result.stderr
    assert (tree.prefix / "include" / "bzlib.h").read_bytes() == b"v2"
    assert not (tree.prefix / "lib" / "old.a").exists()
    assert (tree.prefix / "lib" / "libbz2.so").read_bytes() == b"now a file"
    assert (tree.prefix / "lib" / "libpython3.13.so").exists()
