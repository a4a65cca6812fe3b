"""`fastlayers data list | fetch NAME | verify [NAME] | path NAME`: the dataset registry from the terminal."""
from __future__ import annotations

import argparse
import os
import warnings

from fastlayers.cli.main import EXIT_MISSING, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, CommandError


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Format rows as a plain-text table with left-aligned columns (shared by the `data` and `lessons` commands)."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _lookup(name: str):
    """Registry entry for `name`; unknown name: CommandError exit 2 (with close names); broken registry: exit 1."""
    from fastlayers.data import external

    try:
        return external._lookup(name)
    except external.UnknownDatasetError as err:
        raise CommandError(str(err), EXIT_USAGE) from err
    except external.RegistryError as err:
        raise CommandError(str(err), EXIT_PROBLEMS) from err


def _registry():
    from fastlayers.data import external

    try:
        return external.registry()
    except external.RegistryError as err:
        raise CommandError(str(err), EXIT_PROBLEMS) from err


def _absolute_mirror() -> None:
    """A relative FASTLAYERS_DATA_MIRROR given to this command means relative to the folder it was typed in:
    make it absolute here, for this process and any it starts (the library itself refuses relative paths)."""
    value = os.path.expanduser(os.environ.get("FASTLAYERS_DATA_MIRROR", "").strip())
    if value and "://" not in value and not os.path.isabs(value):
        os.environ["FASTLAYERS_DATA_MIRROR"] = os.path.abspath(value)


def run_list(args: argparse.Namespace) -> int:
    from fastlayers.data import external
    from fastlayers.data.download import human_size

    rows = []
    for info in _registry().values():
        cached = (external.dataset_path(info.name) / external.MANIFEST).is_file()
        size = human_size(info.size) if info.size is not None else (info.approx_size or "?")
        licence = info.license if len(info.license) <= 40 else info.license[:37] + "..."
        shipped = external.package_folder(info)
        where = "yes" if cached else f"ships with {info.package[0]}" if shipped and shipped.is_dir() else "no"
        rows.append([info.name, info.task.split(" (")[0], size, licence, where])
    print(table(["name", "task", "size", "license", "cached"], rows))
    print(f"\ncache: {external.fastlayers_home() / 'datasets'}  (set FASTLAYERS_HOME to move it)")
    return EXIT_OK


def run_fetch(args: argparse.Namespace) -> int:
    from fastlayers.data import external

    _lookup(args.name)
    _absolute_mirror()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", external.UnverifiedDatasetWarning)
        warnings.simplefilter("always", external.DamagedCacheWarning)
        try:
            path = external.get_dataset(args.name, force=args.force, progress=not args.no_progress)
        except external.DatasetUnavailable as err:
            # Missing everywhere (exit 3) unless some source actually delivered bad data (exit 1).
            bad = any(isinstance(e, (external.ChecksumError, external.UnsafeArchiveError)) for _, e in err.attempts)
            hint = "" if bad else ("\nOffline? Point FASTLAYERS_DATA_MIRROR at a folder or URL laid out "
                                   "<mirror>/<name>/<file>.")
            raise CommandError(f"{err}{hint}", EXIT_PROBLEMS if bad else EXIT_MISSING) from err
        except external.DatasetError as err:
            raise CommandError(str(err), EXIT_PROBLEMS) from err
    for w in caught:
        print(f"warning: {w.message}")
    print(path)
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    from fastlayers.data import external

    if args.name:
        _lookup(args.name)
        names = [args.name]
    else:
        names = [n for n in _registry() if (external.dataset_path(n) / external.MANIFEST).is_file()]
        if not names:
            print("no dataset is cached yet; fetch one with `fastlayers data fetch NAME`")
            return EXIT_OK
    rows, problems = [], 0
    for name in names:
        try:
            checks = external.verify(name)
        except external.DatasetError as err:
            raise CommandError(str(err), EXIT_MISSING) from err
        for c in checks:
            problems += not c.ok
            shown = (c.actual or "")[:16] + ("..." if c.actual else "")
            rows.append([name, c.path, c.status, shown])
    print(table(["dataset", "file", "status", "sha256"], rows))
    if problems:
        print(f"\n{problems} file(s) not verified: 'mismatch' or 'missing' means a damaged copy (re-fetch with "
              f"`fastlayers data fetch NAME --force`); 'unverified' means the registry has no checksum for it.")
        return EXIT_PROBLEMS
    return EXIT_OK


def run_path(args: argparse.Namespace) -> int:
    from fastlayers.data import external

    _lookup(args.name)
    path = external.dataset_path(args.name)
    if not (path / external.MANIFEST).is_file():
        raise CommandError(f"dataset {args.name!r} is not cached yet (it would live in {path}); "
                           f"fetch it with `fastlayers data fetch {args.name}`", EXIT_MISSING)
    print(path)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `fastlayers data ...` to the command line."""
    data = subparsers.add_parser("data", help="list, fetch and verify the course datasets",
                                 description="The course's dataset registry (datasets.yml). Datasets are cached "
                                             "in $FASTLAYERS_HOME/datasets (default ~/.fastlayers); set "
                                             "FASTLAYERS_DATA_MIRROR to a folder or URL to fetch offline.")
    data.set_defaults(run=lambda args: (data.print_help(), EXIT_USAGE)[1])
    sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    p = sub.add_parser("list", help="show every dataset: size, license, whether it is cached")
    p.set_defaults(run=run_list)
    p = sub.add_parser("fetch", help="download (or copy from a package or mirror) and verify a dataset")
    p.add_argument("name", help="dataset name, as in `fastlayers data list`")
    p.add_argument("--force", action="store_true", help="fetch again even if it is cached")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run_fetch)
    p = sub.add_parser("verify", help="re-check the sha256 of cached datasets (exit 1 if any file fails)")
    p.add_argument("name", nargs="?", help="one dataset (default: every cached one)")
    p.set_defaults(run=run_verify)
    p = sub.add_parser("path", help="print the folder of a cached dataset (exit 3 if not cached)")
    p.add_argument("name", help="dataset name")
    p.set_defaults(run=run_path)
