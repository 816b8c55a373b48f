"""The `deps` step: make the host prefix hold every library the host needs,
from prebuilt archives (Android) or built from source (`--deps-from-source`).

Each library is done or not done: files are prepared in a staging directory
(an extracted archive, or a build's DESTDIR), moved into the prefix, and only
then is its manifest written.  An interrupted run leaves no manifest, so the
next run does that library again from the start; nothing needs cleaning by hand.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import context
from ..context import BuildContext
from ..errors import UserError
from ..hosts import Host
from ..process import run_logged
from . import builders, manifest
from .extract import extract_to, move_tree, single_top_dir
from .fetch import Verifier, default_cache_dir, download
from .lock import LockFile
from .manifest import Manifest
from .options import DepsOptions
from .pins import Library, Pins, load


@dataclass
class Deps:
    """One run of the deps step over a build context."""

    ctx: BuildContext
    options: DepsOptions
    pins: Pins
    verifier: Verifier

    @property
    def host(self) -> Host:
        return self.ctx.require_host()

    @property
    def prefix(self) -> Path:
        return self.ctx.layout.prefix(self.host).resolve()

    @property
    def cache_dir(self) -> Path:
        return self.options.cache_dir or default_cache_dir()

    def work_dir(self, library: str) -> Path:
        return self.ctx.layout.deps_work_dir(self.host, library)

    # --- what we want ---------------------------------------------------------

    def wanted(self, library: Library) -> Manifest:
        if self.options.from_source:
            src = self.pins.source(library)
            return Manifest(library.name, src.version, "source", src.archive, src.sha256,
                            recipe=builders.recipe_id())
        pre = self.pins.prebuilt(library, self.host, self.options.mirror)
        sha = pre.sha256 or self.verifier.lock.get(pre.archive)
        return Manifest(library.name, pre.version, "prebuilt", pre.archive, sha, pre.url)

    # --- getting archives -----------------------------------------------------

    def prebuilt_archive(self, want: Manifest, pinned: str) -> tuple[Path, str]:
        """The verified prebuilt archive and its sha256."""
        self.verifier.check_allowed(want.archive, pinned)
        if self.options.deps_dir:
            path = self.options.deps_dir / want.archive
            if not path.is_file():
                raise UserError(f"{want.archive} is not in {self.options.deps_dir}: download "
                                f"it from {want.url}, or drop --deps-dir")
            return path, self.verifier.verify(path, want.archive, pinned, from_cache=False)
        path = self.cache_dir / want.archive
        if path.is_file():
            self.ctx.console.write(f"    using cached {path}")
        else:
            with self.ctx.console.step(f"download {want.archive}"):
                self.ctx.console.write(f"    from {want.url}")
                download(want.url, path, say=self.ctx.console.write)
        return path, self.verifier.verify(path, want.archive, pinned, from_cache=True)

    def source_archive(self, want: Manifest) -> tuple[Path, str]:
        source = self.pins.libraries[want.library].source
        assert source is not None
        places = [*self.options.source_dirs,
                  *([self.options.deps_dir] if self.options.deps_dir else []),
                  self.cache_dir / "sources"]
        for place in places:
            path = place / want.archive
            if path.is_file():
                in_cache = place == self.cache_dir / "sources"
                return path, self.verifier.verify(path, want.archive, want.sha256,
                                                  from_cache=in_cache)
        where = ", ".join(str(p) for p in places)
        raise UserError(f"source archive {want.archive} for {want.library} is not in {where}: "
                        f"get it with `apt-get source --download-only {source.debian}` and "
                        "pass --deps-source DIR")

    # --- installing -----------------------------------------------------------

    def commit(self, staged: Path, want: Manifest, sha: str) -> Manifest:
        """Move a complete staged tree into the prefix, then write the manifest."""
        old = manifest.read(self.prefix, want.library)
        manifest.remove(self.prefix, want.library)
        files = move_tree(staged, self.prefix)
        if old:  # files of the previous version that the new one does not have
            for stale in set(old.files) - set(files):
                path = self.prefix / stale
                if path.is_symlink() or path.is_file():
                    path.unlink()
        done = Manifest(want.library, want.version, want.origin, want.archive, sha, want.url,
                        want.recipe, tuple(files))
        manifest.write(self.prefix, done)
        return done

    def install_prebuilt(self, library: Library, want: Manifest) -> Manifest:
        pinned = self.pins.prebuilt(library, self.host, self.options.mirror).sha256
        archive, sha = self.prebuilt_archive(want, pinned)
        work = self.work_dir(library.name)
        staging = work / "staging"
        with self.ctx.console.step(f"deps {library.name} {want.version} (prebuilt)"):
            try:
                extract_to(archive, staging)
            except UserError:
                if archive.parent == self.cache_dir:  # never reuse a damaged download
                    archive.unlink(missing_ok=True)
                raise
            done = self.commit(staging, want, sha)
        self.verifier.remember(want.archive, pinned, sha, want.url)
        shutil.rmtree(work, ignore_errors=True)
        return done

    def build_from_source(self, library: Library, want: Manifest) -> Manifest:
        archive, sha = self.source_archive(want)
        source = self.pins.source(library)
        build = builders.builder(source.builder)  # unknown builder: fail before work
        toolchain = self.ctx.toolchain()
        env = builders.compile_env(context.host_environment(self.ctx, toolchain))
        work = self.work_dir(library.name)
        if work.exists():  # what an interrupted or failed run left: start afresh
            shutil.rmtree(work)
        log = self.ctx.layout.log_path(f"deps-{library.name}", self.host)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        with self.ctx.console.step(f"deps {library.name} {want.version} (from source)",
                                   log) as step:
            extract_to(archive, work / "src")
            tree = single_top_dir(work / "src")

            def run(command: list[str], cwd: Path | None = None) -> None:
                run_logged(command, step=step, log_path=log, cwd=cwd or tree, env=env,
                                 append=True)

            job = builders.BuildJob(
                library=library.name, version=want.version, host=self.host, tree=tree,
                prefix=self.prefix, destdir=work / "destdir", env=env, jobs=self.ctx.jobs,
                build_triplet=context.build_triplet(self.ctx.checkout), run=run,
                ndk_dir=getattr(toolchain, "ndk_dir", None))
            build(job)
            if not job.staged_prefix.is_dir():
                raise UserError(f"building {library.name} installed nothing into "
                                f"{job.staged_prefix}: see {log}")
            done = self.commit(job.staged_prefix, want, sha)
        self.verifier.remember(want.archive, want.sha256, sha)
        # Keep the build tree out of the way of the next run, but not the
        # (possibly large) staging copy.
        shutil.rmtree(work / "destdir", ignore_errors=True)
        return done

    def ensure(self, library: Library) -> tuple[Manifest, bool]:
        """The library's manifest, and whether it was installed just now."""
        want = self.wanted(library)
        if not self.options.from_source:
            self.verifier.check_allowed(want.archive, self.pins.prebuilt(
                library, self.host, self.options.mirror).sha256)
        current = manifest.read(self.prefix, library.name)
        if current and current.matches(want):
            self.ctx.console.skipped(f"deps {library.name} {want.version}",
                                     f"installed from {current.archive}")
            return current, False
        if self.options.from_source:
            return self.build_from_source(library, want), True
        return self.install_prebuilt(library, want), True


def summary(prefix: Path, fresh: set[str] | None = None) -> str:
    """What is in the prefix and where each library came from."""
    found = manifest.read_all(prefix)
    if not found:
        return f"No prerequisite libraries in {prefix}"
    lines = [f"Prerequisite libraries in {prefix}:"]
    for m in found:
        when = "installed now" if fresh and m.library in fresh else f"since {m.installed}"
        origin = f"built from {m.archive}" if m.origin == "source" else (
            f"prebuilt {m.url or m.archive}")
        lines.append(f"  {m.library:<8} {m.version:<10} {origin} (sha256 {m.sha256}; {when})")
    return "\n".join(lines)


def prepare(ctx: BuildContext, *, explicit: bool = False) -> list[Manifest]:
    """Install what the host needs into its prefix; return the manifests.

    Within `build`, a GNU host without --deps-from-source gets no libraries
    (there are no prebuilt archives for it); `deps HOST` says so as an error.
    """
    options = ctx.deps
    host = ctx.require_host()
    if options.skip:
        ctx.console.skipped("deps", "--no-deps given")
        return []
    pins = load(options.pins_file)
    libraries = pins.needed(host, ctx.checkout.version_tuple, options.only)
    if not options.from_source and not host.is_android:
        if explicit:
            raise UserError(f"there are no prebuilt libraries for GNU hosts such as {host}: "
                            "pass --deps-from-source --deps-source DIR")
        ctx.console.write("==> deps: skipped: there are no prebuilt libraries for GNU hosts; "
                          "pass --deps-from-source to build " + ", ".join(
                              lib.name for lib in libraries))
        return []
    context.clean_host_dir(ctx)  # --clean: before installing, not after
    lock = LockFile.load(ctx.layout.lock_file)
    deps = Deps(ctx, options, pins, Verifier(lock, options.require_hashes, ctx.console.write))
    results: list[Manifest] = []
    fresh: set[str] = set()
    for library in libraries:
        done, changed = deps.ensure(library)
        results.append(done)
        if changed:
            fresh.add(library.name)
    if fresh:
        # The host's configure must look at the prefix again.
        context.invalidate_configure(ctx)
    ctx.console.write(summary(deps.prefix, fresh))
    return results
