"""Issue 30, the parts a table row cannot show: two real commands on one
tree (the tree lock), a really full disk (a 1 MB tmpfs mounted here when we
may mount, else RLIMIT_FSIZE in the child: EFBIG, the same diagnosis), a
device shell that would run what --pull names, and the containment rule."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpython_android import safefiles
from cpython_android.deps import manifest as manifest_mod
from cpython_android.deps.manifest import Manifest
from cpython_android.errors import UserError
from cpython_android.runners.device_session import glob_for_shell
from cpython_android.runners.local import copy_matches
from support.archives import archive_name, make_tar, tree_state
from support.cli import ANDROID_PY, run_cli
from support.trees import fake_checkout

ANDROID = "aarch64-linux-android"
SMALL = 1 << 20


# --- the tree lock: two real processes ---------------------------------------------

SLOW_CONFIGURE = """#!/bin/sh
echo "start $$" >> "$EVENTS"
while [ ! -e "$GO" ]; do sleep 0.05; done
echo "end $$" >> "$EVENTS"
"""


def test_a_second_command_on_a_busy_tree_waits_for_the_first(tmp_path: Path):
    """The first configure runs until the test lets it go, and the test lets it
    go only once the second command has said it waits (or after 60 s)."""
    checkout = fake_checkout(tmp_path / "co")
    (checkout / "configure").write_text(SLOW_CONFIGURE)
    events, go = tmp_path / "events", tmp_path / "go"
    argv = [sys.executable, str(ANDROID_PY), "--checkout", str(checkout), "configure-build"]
    env = {**os.environ, "EVENTS": str(events), "GO": str(go)}
    env.pop("CPYTHON_CHECKOUT", None)
    safety = threading.Timer(60, go.touch)
    safety.start()
    try:
        first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        while not events.exists() and first.poll() is None:
            time.sleep(0.05)
        second = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        assert second.stdout is not None
        waiting = [line for line in iter(second.stdout.readline, "")
                   if line.startswith("waiting:") and (go.touch() or True)][:1]
        out, err = second.communicate(timeout=60)
        first_out, first_err = first.communicate(timeout=60)
    finally:
        safety.cancel()
    assert first.returncode == 0 and second.returncode == 0, (first_err, err)
    # One after the other, never both inside configure.
    kinds = [line.split()[0] for line in events.read_text().splitlines()]
    assert kinds == ["start", "end", "start", "end"]
    assert len(waiting) == 1 and f"PID {first.pid}" in waiting[0], waiting
    assert "configure-build" in waiting[0]
    assert not (checkout / "cross-build" / ".build.lock").exists()  # there only while held


def test_a_lock_file_deleted_by_its_holder_lets_only_one_in(tmp_path: Path):
    from cpython_android import treelock

    tree = tmp_path / "xb" / "build"
    said: list[str] = []
    with treelock.holding([tree], said.append):
        assert treelock.lock_path(tree).exists()
    assert not treelock.lock_path(tree).exists()
    assert not (tmp_path / "xb").exists()  # made only for the lock: removed again
    assert said == []


# --- a full disk -------------------------------------------------------------------

@contextlib.contextmanager
def small_filesystem(where: Path) -> Iterator[str]:
    """A 1 MB tmpfs at `where` ("tmpfs"), or a plain directory ("rlimit") when
    this machine will not mount one for us: then the child gets RLIMIT_FSIZE."""
    where.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL}", "tmpfs", str(where)],
        capture_output=True).returncode == 0
    try:
        yield "tmpfs" if mounted else "rlimit"
    finally:
        if mounted:
            subprocess.run(["umount", str(where)], check=True)


def limited(kind: str):  # noqa: ANN201 (a preexec_fn)
    if kind == "tmpfs":
        return None

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (SMALL, SMALL))
    return limit


def test_a_full_disk_while_extracting_keeps_the_good_cached_archive(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "co")
    cache = tmp_path / "cache"
    cache.mkdir()
    archive = cache / archive_name("bzip2")
    # 3 MB of zeros: a few KB compressed, more than the small disk extracted.
    make_tar(archive, {"lib/libbz2.a": bytes(3 * SMALL), "include/bzlib.h": b"x"}, [])
    good = archive.read_bytes()
    with small_filesystem(tmp_path / "small") as kind:
        xb = tmp_path / "small" / "xb"
        env = {**os.environ}
        env.pop("CPYTHON_CHECKOUT", None)
        result = subprocess.run(
            [sys.executable, str(ANDROID_PY), "--checkout", str(checkout), "--cross-build-dir",
             str(xb), "deps", ANDROID, "bzip2", "--cache-dir", str(cache)],
            env=env, capture_output=True, text=True, timeout=120, preexec_fn=limited(kind))
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, result.stderr
        assert len(lines) == 1 and "no space left on" in lines[0], (kind, result.stderr)
        assert "free" in lines[0] and "MB" in lines[0] and "damaged" not in lines[0]
        assert archive.read_bytes() == good  # the good archive is kept
        assert not (xb / "deps-lock.json").exists()  # nothing trusted from a failed run
        assert not list(xb.glob(f"{ANDROID}/prefix/lib/*"))


def test_outputs_on_a_full_disk_are_whole_or_absent(tmp_path: Path):
    with small_filesystem(tmp_path / "small") as kind:
        if kind != "tmpfs":
            pytest.skip("needs a mounted small file system (root): the CLI test covers EFBIG")
        small = tmp_path / "small"
        summary = small / "summary.md"
        summary.write_text("# earlier step\n")
        settings = small / "settings.json"
        settings.write_text('{"api_level": 24}\n')
        (small / "filler").write_bytes(bytes(SMALL - 8192))  # nearly full
        big = "| row |\n" * 20_000
        with pytest.raises(UserError, match="no space left on"):
            safefiles.append_whole(summary, big)
        assert summary.read_text() == "# earlier step\n"  # not cut mid-row
        with pytest.raises(UserError, match="no space left on"):
            safefiles.atomic_write(settings, big)
        assert settings.read_text() == '{"api_level": 24}\n'
        assert sorted(p.name for p in small.iterdir()) == ["filler", "settings.json",
                                                           "summary.md"]


# --- --pull, the containment rule, reads that never hang ------------------------------

def test_pull_patterns_reach_the_device_shell_quoted(tmp_path: Path):
    """The device's sh (here: the real /bin/sh) expands the glob and nothing else."""
    (tmp_path / "cov").mkdir()
    (tmp_path / "cov" / "a.dat").write_text("a")
    (tmp_path / "cov" / "it's b.dat").write_text("b")
    hostile = f"{tmp_path}/x; touch {tmp_path}/PWNED $(touch {tmp_path}/PWNED2)*"
    for pattern, expected in ((f"{tmp_path}/cov/*.dat", ["a.dat", "it's b.dat"]),
                              (f"{tmp_path}/cov/[a]?dat", ["a.dat"]),
                              (hostile, [])):
        result = subprocess.run(["sh", "-c", f"ls -d -- {glob_for_shell(pattern)}"],
                                capture_output=True, text=True)
        assert sorted(Path(p).name for p in result.stdout.splitlines()) == expected
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED2").exists()


def test_pull_copies_stay_inside_the_output_directory(tmp_path: Path):
    run_dir, out, outside = tmp_path / "run", tmp_path / "out", tmp_path / "outside"
    (run_dir / "cov").mkdir(parents=True)
    (run_dir / "cov" / "a.dat").write_text("a")
    outside.mkdir()
    out.mkdir()
    (out / "cov").symlink_to(outside)  # a link planted in the output directory
    with pytest.raises(UserError, match="leads outside"):
        copy_matches(run_dir, ["cov/*.dat"], out)
    assert list(outside.iterdir()) == []


def test_contained_refuses_links_and_dotdot(tmp_path: Path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    assert safefiles.contained(tmp_path / "root", tmp_path / "root" / "a" / "b", "x") == \
        (tmp_path / "root" / "a" / "b")
    for bad in ("../x", "link/x", "a/../../x"):
        with pytest.raises(UserError, match="leads outside"):
            safefiles.contained(tmp_path / "root", tmp_path / "root" / bad, "x")


def test_a_manifest_never_names_a_file_outside_the_prefix(tmp_path: Path):
    prefix = tmp_path / "prefix"
    (tmp_path / "mine.txt").write_text("mine")
    manifest_mod.write(prefix, Manifest("xz", "5", "prebuilt", "xz.tar.gz", "0" * 64,
                                        files=("lib/liblzma.a",)))
    path = manifest_mod.path_of(prefix, "xz")
    path.write_text(path.read_text().replace('"lib/liblzma.a"', '"../mine.txt", "lib/a"'))
    read = manifest_mod.read(prefix, "xz")
    assert read is not None and read.files == ("lib/a",)


def test_reading_a_fifo_never_hangs(tmp_path: Path):
    fifo = tmp_path / "settings.json"
    os.mkfifo(fifo)
    before = tree_state(tmp_path)
    started = time.monotonic()
    result = run_cli("--checkout", fake_checkout(tmp_path / "co"), "--cross-build-dir",
                     tmp_path / "xb", "deps", ANDROID, "--deps-pins", fifo, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2 and "regular file" in result.stderr
    assert tree_state(tmp_path, skip=("co",)) == before
