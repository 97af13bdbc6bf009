"""Timeline formats: the file suffix and the OTIO adapter of each, the one table every side reads."""

from __future__ import annotations

TIMELINE_SUFFIXES = {"otio": ".otio", "fcpxml": ".fcpxml", "fcp7": ".xml", "edl": ".edl"}
EXPORT_FORMATS = tuple(TIMELINE_SUFFIXES)
OTIO_ADAPTERS = {"otio": "otio_json", "fcpxml": "fcpx_xml", "fcp7": "fcp_xml", "edl": "cmx_3600"}


def suffix_for(fmt: str) -> str:
    try:
        return TIMELINE_SUFFIXES[fmt]
    except KeyError:
        raise ValueError(f"timeline format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}") from None


def format_for_suffix(suffix: str) -> str | None:
    """'.XML' -> 'fcp7'; None for a suffix that names no timeline format."""
    suffix = suffix.lower()
    return next((fmt for fmt, ext in TIMELINE_SUFFIXES.items() if ext == suffix), None)
