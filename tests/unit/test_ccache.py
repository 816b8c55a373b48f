"""--ccache: builds of the same sources in different directories share cache
hits, even with -g (which embeds the working directory), thanks to
CCACHE_BASEDIR and CCACHE_NOHASHDIR."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.cli import needs, run_cli
from support.trees import fake_checkout

# Like CPython's configure, it records CC (here "ccache cc") in the Makefile; and
# like CPython's build, it compiles a file generated inside the build tree,
# named by its absolute path, which differs from one tree to the other.
CONFIGURE = """#!/bin/sh
cp {source} generated.c
cat > Makefile <<MAKEFILE
all:
\t$CC -g -O0 -c $PWD/generated.c -o module.o
\ttouch python
MAKEFILE
"""


def stats(ccache_dir: Path) -> dict[str, int]:
    out = subprocess.run(["ccache", "--print-stats"], env={"CCACHE_DIR": str(ccache_dir),
                         "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                         check=True).stdout
    return {key: int(value) for key, value in
            (line.split("\t") for line in out.splitlines() if "\t" in line)}


@needs("ccache", "cc", "make")
def test_two_build_directories_share_ccache_hits(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    source = checkout / "Modules" / "module.c"
    source.parent.mkdir()
    source.write_text('#include <stdio.h>\nint answer(void) { return 42; }\n')
    (checkout / "configure").write_text(CONFIGURE.format(source=source))
    (checkout / "configure").chmod(0o755)
    env = {"CCACHE_DIR": str(tmp_path / "ccache")}

    for tree in ("first", "second"):
        for step in ("configure-build", "make-build"):
            result = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / tree /
                             "cross-build", step, "--ccache", env=env)
            assert result.returncode == 0, result.stderr

    counts = stats(tmp_path / "ccache")
    hits = counts.get("direct_cache_hit", 0) + counts.get("preprocessed_cache_hit", 0)
    assert counts.get("cache_miss") == 1 and hits == 1, counts
