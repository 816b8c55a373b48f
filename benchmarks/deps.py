"""Prerequisite libraries: a second run with a warm cache downloads and
rebuilds nothing.

    python benchmarks/deps.py [--checkout DIR] [--libraries bzip2,zlib,...] [--full-build]

Measured side by side in one run, each in a fresh cross-build directory:
  1. prebuilt (aarch64-linux-android): `deps` downloads archives from a local
     HTTP server (real HTTP on 127.0.0.1; 5 archives of 4 MB) and extracts
     them; then `deps` again.  HTTP requests are counted.
  2. from source (aarch64-linux-gnu): `deps --deps-from-source --ccache`
     builds the libraries (ccache as it is: say `--cold-ccache` for an empty
     one); then `deps` again.
  3. with --full-build: `build aarch64-linux-gnu --deps-from-source --ccache`
     (CPython and the libraries), then `build` again.
Prints each second run as a ratio of its first.  Target: <= 5 %.  The
prebuilt case's first run is itself tiny here (local HTTP, no real network), so
it is judged by what the second run did (no request, nothing extracted) and by
its time above the floor of starting android.py at all (`android.py --help`).
"""

from __future__ import annotations

import argparse
import http.server
import io
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support import sources as pinned_sources  # noqa: E402  (the test rig's)

TARGET = 0.05
HOST = "aarch64-linux-android"
#: The pins `deps` reads by default (`--deps-pins FILE` takes a copy of it).
PINS = REPO / "Tools" / "cpython_android" / "deps" / "pins.toml"
ARCHIVE_BYTES = 4 << 20


def android_py(*args: str | Path, env: dict[str, str]) -> float:
    """Run android.py; return its wall-clock seconds (raise if it fails)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "Android" / "android.py"), *map(str, args)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def default_checkout() -> Path:
    return pinned_sources.cpython_source()


def serve(root: Path) -> tuple[str, list[str], http.server.ThreadingHTTPServer]:
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:  # noqa: N802
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", requests, httpd


def publish_prebuilt(root: Path) -> None:
    """An archive for each library aarch64-linux-android needs, where the pins point
    (the built-in pins file read as the data it is: its [prebuilt] url template
    and each library's host kinds, first Python and prebuilt version)."""
    pins = tomllib.loads(PINS.read_text())
    template = pins["prebuilt"]["url"]
    for name, library in pins["libraries"].items():
        prebuilt = library.get("prebuilt", {})
        first_python = tuple(int(part) for part in library["min_python"].split(".")[:2])
        if ("android" not in library["kinds"] or first_python > (3, 13)
                or HOST not in prebuilt.get("sha256", {})):
            continue
        url = template.format(base="BASE", name=name, version=prebuilt["version"], host=HOST)
        path = root / url.removeprefix("BASE/")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, "w:gz") as tar:
            for member, size in ((f"include/{name}.h", 1000), (f"lib/lib{name}.so",
                                                                ARCHIVE_BYTES)):
                data = random.Random(member).randbytes(size)
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def report(name: str, first: float, second: float, note: str = "",
           judge: bool = True) -> bool:
    ratio = second / first
    ok = ratio <= TARGET or not judge
    verdict = f"target <= {TARGET:.0%}: {'ok' if ok else 'MISSED'}" if judge else "not judged"
    print(f"{name:<34} first {first:8.2f} s   second {second:6.2f} s   ratio {ratio:6.1%}  "
          f"({verdict}){note}", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path)
    parser.add_argument("--libraries", default="bzip2,libffi,openssl,sqlite,xz,zlib",
                        help="libraries to build from source (comma-separated)")
    parser.add_argument("--cold-ccache", action="store_true",
                        help="use an empty ccache for the from-source runs")
    parser.add_argument("--full-build", action="store_true",
                        help="also time `build` (CPython and the libraries) twice")
    args = parser.parse_args()
    checkout = (args.checkout or default_checkout()).resolve()
    libraries = [name for name in args.libraries.split(",") if name]
    sources = pinned_sources.library_sources(libraries)
    ok = True
    with tempfile.TemporaryDirectory(prefix="deps-bench-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        env["CCACHE_DIR"] = str(work / "ccache" if args.cold_ccache
                                else pinned_sources.default_cache() / "ccache")

        # 1. prebuilt archives over HTTP
        www = work / "www"
        publish_prebuilt(www)
        url, requests, httpd = serve(www)
        common = ["--checkout", checkout, "--cross-build-dir", work / "xb-android", "deps",
                  HOST, "--cache-dir", work / "cache", "--deps-mirror", url]
        floor = min(android_py("--help", env=env) for _ in range(3))
        first = android_py(*common, env=env)
        fetched = len(requests)
        second = android_py(*common, env=env)
        again = len(requests) - fetched
        report("prebuilt: download + extract", first, second,
               f"; HTTP requests {fetched} then {again}; startup floor {floor:.2f} s",
               judge=False)
        ok &= again == 0
        httpd.shutdown()

        # 2. from source
        common = ["--checkout", checkout, "--cross-build-dir", work / "xb-gnu", "deps",
                  "aarch64-linux-gnu", *libraries, "--ccache", "-j2", "--deps-from-source",
                  "--deps-source", sources, "--cache-dir", work / "cache"]
        first = android_py(*common, env=env)
        second = android_py(*common, env=env)
        ok &= report(f"from source: {','.join(libraries)}", first, second,
                     " (empty ccache)" if args.cold_ccache else " (ccache as found)")

        # 3. the whole build
        if args.full_build:
            common = ["--checkout", checkout, "--cross-build-dir", work / "xb-full", "build",
                      "aarch64-linux-gnu", "--ccache", "-j2", "--deps-from-source",
                      "--deps-source", sources]
            first = android_py(*common, env=env)
            second = android_py(*common, env=env)
            ok &= report("build with libraries from source", first, second)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
