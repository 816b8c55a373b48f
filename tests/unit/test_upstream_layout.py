"""Following CPython main: both checkout shapes (3.13/3.14's Android/android.py,
main's Platforms/Android/), the version decisions, build/clean targets and
the cross-build directory from the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_android import checkout as co
from cpython_android.abi import variant_for
from cpython_android.deps import pins as pins_mod
from cpython_android.hosts import parse_host
from cpython_android.layout import make_tree
from support.cli import REPO, run_cli
from support.trees import fake_checkout

BASE_ENV = {"PATH": "/usr/bin:/bin"}


# --- what each version decides, as upstream's files on each branch say ---------

# (version, tooling directory, testbed, libraries): read off upstream's own
# files on each branch.  3.13 and 3.14: Android/android.py (ANDROID_DIR is
# the script's directory, PYTHON_DIR its parent, TESTBED_DIR ANDROID_DIR /
# "testbed"; unpack_deps lists bzip2, libffi, openssl, sqlite, xz, and from
# 3.14 zstd).  main (3.15): Platforms/Android/__main__.py (PYTHON_DIR is
# ANDROID_DIR.parent.parent; the same six libraries).
UPSTREAM = [
    ((3, 13), "Android", "Android/testbed", ("bzip2", "libffi", "openssl", "sqlite", "xz")),
    ((3, 14), "Android", "Android/testbed",
     ("bzip2", "libffi", "openssl", "sqlite", "xz", "zstd")),
    ((3, 15), "Platforms/Android", "Platforms/Android/testbed",
     ("bzip2", "libffi", "openssl", "sqlite", "xz", "zstd")),
]


@pytest.mark.parametrize(("version", "tooling", "testbed", "libraries"), UPSTREAM)
def test_version_decisions_follow_upstream(version, tooling, testbed, libraries):
    assert co.platform_dir(version) == tooling
    assert co.testbed_location(version) == testbed
    # Our pins give an Android host exactly the libraries upstream unpacks.
    needed = pins_mod.load().needed(parse_host("aarch64-linux-android"), version)
    assert tuple(sorted(lib.name for lib in needed)) == libraries


@pytest.mark.parametrize("version", [(3, 13), (3, 14), (3, 15)])
def test_free_threaded_builds_carry_t_on_every_supported_version(version):
    # configure.ac/Makefile.pre.in on 3.13, 3.14 and main: ABIFLAGS gets `t` with
    # --disable-gil, so libpython3.Xt.so and lib/python3.Xt.
    assert variant_for(version, disable_gil=True).abiflags == "t"
    assert variant_for(version, disable_gil=False).abiflags == ""


def test_free_threading_before_313_is_refused():
    with pytest.raises(co.UserError, match="3.13 or newer"):
        variant_for((3, 12), disable_gil=True)


# --- copied into checkouts of both shapes ------------------------------------------

def copy_tool(checkout: Path, shape: co.Shape) -> Path:
    """Our entry point at the shape's place, the library in Tools/; returns the entry."""
    shutil.copytree(REPO / "Tools" / "cpython_android", checkout / "Tools" / "cpython_android",
                    dirs_exist_ok=True)
    target = checkout / shape.value
    target.mkdir(parents=True, exist_ok=True)
    if shape is co.Shape.PLATFORMS:
        shutil.copy(REPO / "Platforms" / "Android" / "__main__.py", target)
        return target
    shutil.copy(REPO / "Android" / "android.py", target)
    return target / "android.py"


def set_version(checkout: Path, version: str) -> None:
    (checkout / "Include" / "patchlevel.h").write_text(f'#define PY_VERSION "{version}"\n')


def found_testbed(checkout: Path, shape: co.Shape) -> Path:
    """The testbed our library finds in `checkout`, asked of the copied library."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, 'Tools'); "
            "from cpython_android import checkout, testbed; "
            f"print(testbed.find_project(checkout.find(None, Path({shape.value!r}).resolve())))")
    result = subprocess.run([sys.executable, "-c", code], cwd=checkout, capture_output=True,
                            text=True, env=BASE_ENV, check=True)
    return Path(result.stdout.strip())


@pytest.mark.parametrize(("shape", "version"), [(co.Shape.ANDROID, "3.13.5"),
                                                (co.Shape.ANDROID, "3.14.2"),
                                                (co.Shape.PLATFORMS, "3.15.0a1+")])
def test_copied_into_a_checkout_it_finds_checkout_cross_build_and_testbed(
        tmp_path, shape, version):
    checkout = fake_checkout(tmp_path / "cpython")
    set_version(checkout, version)
    entry = copy_tool(checkout, shape)
    run = [sys.executable, str(entry.relative_to(checkout)), "configure-build"]
    result = subprocess.run(run, cwd=checkout, capture_output=True, text=True, env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    assert (checkout / "cross-build" / "build" / ".android-py-configure.json").is_file()

    # Our testbed, copied to upstream's place for this version, is the one used;
    # without it, the one beside Tools/.
    assert found_testbed(checkout, shape) == checkout / "testbed"
    shutil.copytree(REPO / "testbed", checkout / co.testbed_location(
        co.Checkout(checkout).version_tuple))
    assert found_testbed(checkout, shape) == checkout / shape.value / "testbed"


def test_main_shape_runs_as_a_directory_and_names_itself_so(tmp_path):
    checkout = fake_checkout(tmp_path / "cpython")
    set_version(checkout, "3.15.0a1+")
    copy_tool(checkout, co.Shape.PLATFORMS)
    result = subprocess.run([sys.executable, "Platforms/Android", "clean", "bogus-host"],
                            cwd=checkout, capture_output=True, text=True, env=BASE_ENV)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "unknown host" in result.stderr
    usage = subprocess.run([sys.executable, "Platforms/Android", "--help"], cwd=checkout,
                           capture_output=True, text=True, env=BASE_ENV)
    assert usage.stdout.startswith("usage: Platforms/Android")


def mirror(source: Path, root: Path) -> Path:
    """A checkout that is `source` (symlinked, read-only) but for Android/ and
    Tools/, which are real directories we may add to."""
    root.mkdir()
    for entry in source.iterdir():
        if entry.name in ("Android", "Tools", "cross-build"):
            continue
        (root / entry.name).symlink_to(entry)
    shutil.copytree(source / "Android", root / "Android", symlinks=True)
    (root / "Tools").mkdir()
    for entry in (source / "Tools").iterdir():
        (root / "Tools" / entry.name).symlink_to(entry)
    return root


def test_copied_into_the_real_313_source(cpython_source, tmp_path):
    checkout = mirror(cpython_source, tmp_path / "cpython")
    upstream_testbed = checkout / "Android" / "testbed"
    assert upstream_testbed.is_dir()  # upstream's own, which reads another layout
    entry = copy_tool(checkout, co.Shape.ANDROID)
    result = subprocess.run([sys.executable, str(entry), "env", "aarch64-linux-gnu"],
                            cwd=tmp_path, capture_output=True, text=True, env=BASE_ENV)
    if result.returncode == 2 and "aarch64-linux-gnu-gcc" in result.stderr:
        pytest.skip("no aarch64-linux-gnu cross compiler to print an environment for")
    assert result.returncode == 0, result.stderr
    libdir = checkout / "cross-build" / "aarch64-linux-gnu" / "prefix" / "lib" / "pkgconfig"
    assert f"export PKG_CONFIG_LIBDIR={libdir}" in result.stdout
    # Upstream's testbed is left alone; ours replaces it when copied there.
    assert found_testbed(checkout, co.Shape.ANDROID) == checkout / "testbed"
    shutil.rmtree(upstream_testbed)
    shutil.copytree(REPO / "testbed", upstream_testbed)
    assert found_testbed(checkout, co.Shape.ANDROID) == upstream_testbed


# --- build and clean targets; CROSS_BUILD_DIR ----------------------------------------

MAKING_CONFIGURE = """#!/bin/sh
# A configure whose Makefile builds a `python` that says hello.
printf 'all:\\n\\tprintf "#!/bin/sh\\\\necho hello\\\\n" > python && chmod +x python\\n' > Makefile
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = fake_checkout(tmp_path / "cpython")
    (root / "configure").write_text(MAKING_CONFIGURE)
    return root


def cli(checkout: Path, *args: str | Path, env: dict[str, str] | None = None):
    return run_cli("--checkout", checkout, *args, env={**BASE_ENV, **(env or {})})


def test_build_target_build_makes_only_the_build_python(checkout: Path):
    result = cli(checkout, "build", "build")
    assert result.returncode == 0, result.stderr
    cross = checkout / "cross-build"
    assert (cross / "build" / "python").is_file()
    assert sorted(p.name for p in cross.iterdir()) == ["build", "logs"]
    again = cli(checkout, "build", "build")
    assert "configure-build: up to date" in again.stdout
    assert "make-build: up to date" in again.stdout


def trees(cross: Path) -> list[str]:
    return sorted(p.name for p in cross.iterdir()) if cross.exists() else []


@pytest.mark.parametrize(("target", "left"), [
    ("build", ["aarch64-linux-gnu", "logs", "x86_64-linux-android"]),
    ("hosts", ["build", "logs"]),
    ("x86_64-linux-android", ["aarch64-linux-gnu", "build", "logs"]),
    ("all", []),
])
def test_clean_targets_delete_exactly_their_trees(checkout: Path, target: str, left):
    cross = checkout / "cross-build"
    for name in ("build", "logs", "aarch64-linux-gnu", "x86_64-linux-android"):
        make_tree(cross / name)  # as the build steps make them: with the tool's marker
        (cross / name / "file").write_text("x")
    result = cli(checkout, "clean", target)
    assert result.returncode == 0, result.stderr
    assert trees(cross) == left


def test_clean_unknown_target_is_one_line_and_deletes_nothing(checkout: Path):
    (checkout / "cross-build" / "build").mkdir(parents=True)
    result = cli(checkout, "clean", "nonsense")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "nonsense" in result.stderr
    assert trees(checkout / "cross-build") == ["build"]


def test_cross_build_dir_from_the_environment_unless_the_flag_says_otherwise(
        checkout: Path, tmp_path: Path):
    from_env, from_flag = tmp_path / "env-xb", tmp_path / "flag-xb"
    result = cli(checkout, "configure-build", env={"CROSS_BUILD_DIR": str(from_env)})
    assert result.returncode == 0, result.stderr
    assert (from_env / "build" / "Makefile").is_file()
    result = cli(checkout, "--cross-build-dir", from_flag, "configure-build",
                 env={"CROSS_BUILD_DIR": str(from_env)})
    assert result.returncode == 0, result.stderr
    assert (from_flag / "build" / "Makefile").is_file()
    assert not (checkout / "cross-build").exists()


def test_cross_build_dir_env_is_read_when_run_not_when_imported(checkout, tmp_path):
    # The parser is built per run: a later environment change is seen.
    before = os.environ.get("CROSS_BUILD_DIR")
    try:
        os.environ["CROSS_BUILD_DIR"] = str(tmp_path / "late")
        from cpython_android.cli import build_parser
        args = build_parser().parse_args(["clean", "build"])
        assert args.cross_build_dir == tmp_path / "late"
    finally:
        if before is None:
            os.environ.pop("CROSS_BUILD_DIR", None)
        else:
            os.environ["CROSS_BUILD_DIR"] = before
