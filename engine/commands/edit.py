"""`autoedit edit MEDIA... --prompt TEXT`: the main job, from footage and a prompt to an edited timeline."""

from __future__ import annotations

import json
from pathlib import Path

from bridge.formats import EXPORT_FORMATS, suffix_for


def add_arguments(parser) -> None:
    parser.add_argument(
        "media", nargs="*", help="video or audio files to edit (FILE or FILE@IN-OUT in seconds)"
    )
    parser.add_argument("--prompt", help="what edit you want, in plain words")
    parser.add_argument(  # issue 13: edit by transcript
        "--from-transcript", metavar="TXT", help="the timeline an edited `autoedit transcript` file describes"
    )
    parser.add_argument("--music", metavar="FILE", help="music to cut to (the cuts land on its beats)")
    parser.add_argument(
        "-o", "--output", metavar="OUT", help="timeline file (default: edit.otio in the current folder)"
    )
    parser.add_argument(
        "--format",
        choices=sorted(EXPORT_FORMATS),
        help="timeline format (default: from OUT's suffix, else otio)",
    )
    parser.add_argument(
        "--preview", metavar="OUT.mp4", help="also render a small preview video and a contact sheet"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="0 = the best edit; other seeds give alternatives"
    )
    parser.add_argument(
        "--duration", type=float, metavar="S", help="target length in seconds (overrides the prompt)"
    )
    parser.add_argument(
        "--aspect", choices=["16:9", "9:16", "1:1", "4:5"], help="output aspect (overrides the prompt)"
    )
    parser.add_argument("--captions", action="store_true", help="write captions (.srt) beside the timeline")
    parser.add_argument("--report", metavar="FILE", help="write the edit report (JSON) here")
    parser.add_argument(
        "--editor-profile",
        metavar="NAME",
        help="whose taste to edit with (the profile their reviews were sent as)",
    )


def _media_ref(text: str):
    from engine.editing import MediaRef

    path, _, span = text.rpartition("@") if "@" in text and not Path(text).exists() else (text, "", "")
    if not span:
        return MediaRef(text)
    start, _, end = span.partition("-")
    try:
        return MediaRef(path, float(start) if start else None, float(end) if end else None)
    except ValueError:
        from engine.errors import BadInput

        raise BadInput(f"cannot read the range '{span}' (use FILE@IN-OUT in seconds)", path) from None


def run(args, ctx) -> int:
    from rich.console import Console

    from engine.console import progress_job
    from engine.editing import run_edit
    from engine.timeline.export import export_timeline, format_for

    out = Path(args.output) if args.output else Path("edit" + suffix_for(args.format or "otio"))
    fmt = args.format or (format_for(out) if out.suffix else "otio")
    if not out.suffix:
        out = out.with_suffix(suffix_for(fmt))
    options = {"target_duration": args.duration, "aspect": args.aspect, "editor_profile": args.editor_profile}
    if args.captions:
        options["captions"] = True
    media = [_media_ref(m) for m in args.media]
    if not args.from_transcript and (not media or not args.prompt):
        from engine.errors import BadInput

        raise BadInput("name the media and give --prompt (or give --from-transcript FILE)")
    with progress_job("edit") as job:
        if args.from_transcript:  # issue 13: the media and the cuts come from the transcript
            from engine.editing import edit_from_transcript

            result = edit_from_transcript(Path(args.from_transcript), ctx.config, ctx.data_dir, job)
        else:
            result = run_edit(media, args.prompt, ctx.config, ctx.data_dir, job, music=args.music, seed=args.seed,
                              options={k: v for k, v in options.items() if v is not None})  # fmt: skip
        written = [export_timeline(result.timeline, out, fmt)]
        if fmt != "otio":  # the .otio keeps everything the other formats drop (metadata, audio tracks)
            written.append(export_timeline(result.timeline, out.with_suffix(".otio"), "otio"))
        if result.captions_srt is not None:
            srt = out.with_suffix(".srt")
            srt.write_text(result.captions_srt, encoding="utf-8")
            written.append(srt)
        if args.preview:
            from engine.timeline.preview import render_preview

            preview = render_preview(result.timeline, Path(args.preview), job.sub("preview", 0.0, 1.0))
            written += [preview.video, preview.contact_sheet]
        if args.report:
            Path(args.report).write_text(json.dumps(result.report, indent=1), encoding="utf-8")
            written.append(Path(args.report))
    console = Console()
    r = result.report
    console.print(
        f"[bold]{len(r['clips'])} clips, {r['duration']:.2f} s[/] · spec from {r['spec_source']} · scorer {r['scorer']}"
    )
    console.print(f"plan: {r['spec_summary']}", highlight=False)
    for note in r["notes"]:
        console.print(f"  note: {note}", highlight=False)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    console.print(f"timeline_id {result.timeline_id}")
    return 0
