"""`build` and `clean` targets, as upstream's: `all | build | hosts | HOST`.

`build all` and `build build` end the build python's steps with its
pythoninfo (`pythoninfo-build`), as main's `build_targets` does.

Upstream's `hosts` are its four Android hosts.  Ours are the hosts that
already have a tree in the cross-build directory (GNU ones included), so
`build hosts` brings every host there up to date and `clean hosts` deletes
every host tree; with no host tree yet, `build` falls back to upstream's
four Android hosts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import pythoninfo, steps
from .console import Console
from .context import BuildContext
from .hosts import ANDROID_ABIS, parse_host
from .layout import Layout

ALL, BUILD, HOSTS = "all", "build", "hosts"


@dataclass(frozen=True)
class Selection:
    build_python: bool
    hosts: tuple[str, ...]
    everything: bool = False  # `clean all`: every tree in the cross-build directory
    pythoninfo: bool = False  # `build all|build`: then pythoninfo-build, as upstream


def select(target: str, layout: Layout, *, for_build: bool) -> Selection:
    """What `target` names; a HOST is validated (one line if unknown).

    `build HOST` builds the build python too when it is missing or stale (the
    steps skip what is up to date), as our `build HOST` always has."""
    if target == BUILD:
        return Selection(True, (), pythoninfo=for_build)
    if target in (ALL, HOSTS):
        hosts = tuple(layout.host_names())
        if not hosts and for_build:
            hosts = tuple(ANDROID_ABIS)
        return Selection(target == ALL, hosts, everything=target == ALL and not for_build,
                         pythoninfo=target == ALL and for_build)
    return Selection(for_build, (str(parse_host(target)),))


def build(selection: Selection, context_for: Callable[[str | None], BuildContext]) -> None:
    """Build the build python (once), then each host's steps in its own context.

    Every host's inputs (toolchain or NDK, archives, sources) are checked first,
    so a missing one is reported before --clean deletes anything or a long
    build starts."""
    hosts = [context_for(host) for host in selection.hosts]
    for ctx in hosts:
        steps.check_inputs(ctx, needs_build_python=not selection.build_python)
    if selection.build_python:
        ctx = context_for(None)
        steps.configure_build(ctx)
        steps.make_build(ctx)
        if selection.pythoninfo:
            pythoninfo.build_python(ctx)
    for ctx in hosts:
        for step in (steps.prepare_deps, steps.configure_host, steps.make_host):
            step(ctx)
        ctx.console.write(f"Host python installed in {ctx.layout.prefix(ctx.require_host())}")


def clean_paths(selection: Selection, layout: Layout) -> list[Path]:
    if selection.everything:
        # Links too: delete_trees refuses them rather than skipping them silently.
        return sorted(path for path in layout.root.glob("*") if path.is_dir() or path.is_symlink())
    paths = [layout.build_dir] if selection.build_python else []
    return paths + [layout.host_dir(host) for host in selection.hosts]


def clean(selection: Selection, layout: Layout, console: Console) -> None:
    steps.delete_trees(clean_paths(selection, layout), layout, console)
