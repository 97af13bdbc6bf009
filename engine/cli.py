"""`autoedit` console script: parses arguments, loads settings, dispatches to one module per subcommand.

Subcommand modules live in `engine.commands`; each has `add_arguments(parser)` and
`run(args, ctx) -> int`, and imports its heavy dependencies inside `run` so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from engine import __version__
from engine.errors import AutoEditError

# name -> (module in engine.commands, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "analyse media files and write the analysis report (JSON)"),
    "edit": ("edit", "the main job: media + prompt -> an edited timeline (.otio, .fcpxml, .xml, .edl)"),
    "transcript": ("transcript", "write the words of media as text to edit (then: edit --from-transcript)"),
    "serve": ("serve", "run the engine process for the Blender and Resolve hosts (ZeroMQ)"),
    "batch": ("batch", "edit every media file in a folder, headless and resumable"),
    "feedback": ("feedback", "the stored preference events: count them or export a dataset"),
    "train": ("train", "train the reward model or tune the planner on the stored preferences"),
    "keys": ("keys", "make CURVE keys for serving on a non-loopback endpoint"),
    "install-resolve": ("install_resolve", "copy the AutoEdit scripts into DaVinci Resolve's Scripts folder"),
    "distill": ("distill", "train a small student analyser on a large teacher's outputs (shots, objects)"),
    "eval": (
        "eval",
        "score the edit on public benchmarks (TVSum, SumMe, QVHighlights) beside published figures",
    ),
}


@dataclass
class Context:
    """What every subcommand gets: parsed global options, settings loaded on first use."""

    config_path: str | None
    data_dir_arg: str | None
    verbose: int
    extras: dict = field(default_factory=dict)
    profile: str | None = None  # --profile: configs/<profile file> under --config

    @cached_property
    def config(self):
        from engine.config import load_config

        return load_config(self.config_path, profile=self.profile)

    @cached_property
    def data_dir(self) -> Path:
        from engine.paths import data_dir

        return data_dir(self.data_dir_arg)


def _common(parser: argparse.ArgumentParser, top: bool) -> None:
    """Global options, accepted before or after the subcommand (after wins)."""
    # On subcommands the defaults are suppressed, so an option given before the subcommand survives.
    default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default(None),
        help="settings file (YAML) over configs/default.yaml",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default(None),
        help="where the engine keeps caches, models, events",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=default(0), help="more logging (-vv for debug)"
    )


def _profile_option(parser: argparse.ArgumentParser, top: bool) -> None:
    """--profile embedded|studio picks configs/default.yaml or configs/studio.yaml (--config goes over it)."""
    from engine.config import PROFILES

    # A subcommand with its own --profile (feedback: the editor profile) takes this one before its name.
    with contextlib.suppress(argparse.ArgumentError):
        parser.add_argument(
            "--profile",
            dest="engine_profile",
            choices=sorted(PROFILES),
            default=None if top else argparse.SUPPRESS,
            help="settings profile: embedded (CPU, packaged models) or studio (GPU, local large models)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autoedit",
        description="AutoEdit: an AI assistant editor. Analyse footage, turn a prompt into an edited "
        "OpenTimelineIO timeline, and learn from the editor's accept/reject decisions.",
    )
    parser.add_argument("--version", action="version", version=f"autoedit {__version__}")
    _common(parser, top=True)
    _profile_option(parser, top=True)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        _common(sub, top=False)
        module = importlib.import_module(f"engine.commands.{module_name}")
        module.add_arguments(sub)
        _profile_option(sub, top=False)
        sub.set_defaults(_module=module)
    return parser


def share_cores() -> None:
    """Call before torch and CTranslate2 load their OpenMP runtimes: idle OpenMP threads then sleep
    instead of spinning. With analysers, Whisper and the decoder sharing 2 cores, the spinning threads
    of one library (Whisper loaded ahead of use, torch between batches) took ~9 CPU-s from the others
    on 2 min of 1080p (bench/analysis.py). An OMP_WAIT_POLICY set in the environment is kept."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1"
THP_SETTING = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def huge_page_tunables(environ: Mapping[str, str], thp_setting: str, libc: str) -> str | None:
    """The GLIBC_TUNABLES to run under, or None where the process already runs as it should.

    Only where it changes something: glibc 2.35 or newer (older ones ignore the tunable), and
    transparent huge pages in `madvise` mode (with `always` every large mapping has them already,
    with `never` none can)."""
    name, _, version = libc.partition(" ")
    if name != "glibc" or tuple(int(p) for p in version.split(".")[:2] if p.isdigit()) < (2, 35):
        return None
    if "[madvise]" not in thp_setting:
        return None
    current = environ.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.hugetlb=" in current:
        return None  # ours after the exec, or the user's own choice
    return f"{current}:{HUGE_PAGES_TUNABLE}" if current else HUGE_PAGES_TUNABLE


def ask_for_huge_pages() -> None:
    """Re-run this process with glibc's malloc asking for transparent huge pages.

    Whisper's encoder allocates and frees ~70 MB of attention scores per layer and window; in 4 KiB
    pages that is ~650k page faults per 2 min of footage, and the kernel zeroing them took ~1.3 CPU-s
    of 27 on a 2-core VM (interleaved `autoedit analyze` runs); in 2 MiB pages, 175k. glibc reads its tunables only when
    a process starts, hence the exec, done before anything heavy is imported (~20 ms)."""
    if sys.platform != "linux":
        return
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
        thp = THP_SETTING.read_text()
    except (OSError, ValueError):
        return
    tunables = huge_page_tunables(os.environ, thp, libc)
    if tunables is None:
        return
    os.environ["GLIBC_TUNABLES"] = tunables
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, sys.orig_argv)


def console() -> None:
    """The `autoedit` console script (and `python -m engine`): main(), then the exit.

    A command whose module sets QUICK_EXIT (it leaves no child process, temporary folder or unsaved
    file behind once it returns) ends with os._exit: tearing down torch, mediapipe and CTranslate2 at
    interpreter exit costs ~1.2 s on 2 cores, a sixth of analysing a short clip (bench/analysis.py).
    """
    ask_for_huge_pages()
    share_cores()
    code = main(quick_exit=True)
    sys.exit(code)


def main(argv: list[str] | None = None, quick_exit: bool = False) -> int:
    """Run one command; `quick_exit` (the console script) lets a QUICK_EXIT command end the process."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from rich.markup import escape

    from engine.console import err_console, setup_logging

    setup_logging(args.verbose)
    ctx = Context(
        config_path=args.config, data_dir_arg=args.data_dir, verbose=args.verbose, profile=args.engine_profile
    )
    try:
        _ = ctx.config  # validate settings before any work, so a bad key always exits 2 naming it
        code = int(args._module.run(args, ctx) or 0)
    except AutoEditError as exc:
        # escaped: a message may hold brackets (`autoedit[whisperx]`) that rich would take for markup
        err_console.print(f"[bold red]autoedit {args.command}:[/] {escape(str(exc))}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print(f"[bold red]autoedit {args.command}:[/] interrupted")
        return 130
    except Exception:
        logging.getLogger("autoedit").exception("autoedit %s failed", args.command)
        return 1
    if quick_exit and getattr(args._module, "QUICK_EXIT", False):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    console()
