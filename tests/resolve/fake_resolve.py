"""A fake DaVinci Resolve for the host tests: ONLY calls documented in Blackmagic's scripting README.

Source: Developer/Scripting/README.txt shipped with DaVinci Resolve ("Last Updated: 7 May 2025"), the
"DaVinci Resolve API" section. Each method's docstring quotes the README entry it implements
(signature --> return type). State lives in plain Python objects; the media pool, timelines and items
behave as the README describes (1-based indices, dicts for markers, lists for flags, new timelines
from ImportTimelineFromFile).

The only non-README methods are the `ui_*` helpers: they stand for the editor's hands in Resolve's UI
(selecting clips, trimming, moving, deleting) and are what the tests use to play the editor. Reading
timeline files uses opentimelineio, as Resolve's own importer reads them.
"""

from __future__ import annotations

import copy
import itertools
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

# TimelineItem.GetProperty() with its defaults, and the README's ranges ("Looking up Timeline item
# properties"; Pan/AnchorPointX in timeline widths, Tilt/AnchorPointY in heights).
ITEM_PROPERTIES: dict[str, Any] = {
    "Pan": 0.0, "Tilt": 0.0, "ZoomX": 1.0, "ZoomY": 1.0, "ZoomGang": True, "RotationAngle": 0.0,
    "AnchorPointX": 0.0, "AnchorPointY": 0.0, "Pitch": 0.0, "Yaw": 0.0, "FlipX": False, "FlipY": False,
    "CropLeft": 0.0, "CropRight": 0.0, "CropTop": 0.0, "CropBottom": 0.0, "CropSoftness": 0.0,
    "CropRetain": False, "DynamicZoomEase": 0, "CompositeMode": 0, "Opacity": 100.0, "Distortion": 0.0,
    "RetimeProcess": 0, "MotionEstimation": 0, "Scaling": 0, "ResizeFilter": 0,
}  # fmt: skip
ITEM_PROPERTY_RANGES = {
    "Pan": (-4.0, 4.0), "Tilt": (-4.0, 4.0), "ZoomX": (0.0, 100.0), "ZoomY": (0.0, 100.0),
    "RotationAngle": (-360.0, 360.0), "AnchorPointX": (-4.0, 4.0), "AnchorPointY": (-4.0, 4.0),
    "Pitch": (-1.5, 1.5), "Yaw": (-1.5, 1.5), "Opacity": (0.0, 100.0),
}  # fmt: skip

# Colour names as Resolve's UI offers them (clip colour menu; marker and flag colour menus).
CLIP_COLORS = frozenset(
    [
        "Orange",
        "Apricot",
        "Yellow",
        "Lime",
        "Olive",
        "Green",
        "Teal",
        "Navy",
        "Blue",
        "Purple",
        "Violet",
        "Pink",
        "Tan",
        "Beige",
        "Brown",
        "Chocolate",
    ]
)
MARKER_COLORS = frozenset(
    [
        "Blue",
        "Cyan",
        "Green",
        "Yellow",
        "Red",
        "Pink",
        "Purple",
        "Fuchsia",
        "Rose",
        "Lavender",
        "Sky",
        "Mint",
        "Lemon",
        "Sand",
        "Cocoa",
        "Cream",
    ]
)
FLAG_COLORS = MARKER_COLORS

_ids = itertools.count(1)


def _uid(kind: str) -> str:
    return f"{kind}-{next(_ids):06d}"


def _rate(value: float) -> Fraction:
    for n in (24, 30, 48, 60):
        if abs(value - n * 1000 / 1001) < 0.005:
            return Fraction(n * 1000, 1001)
    return Fraction(value).limit_denominator(1001)


def _marker(color: str, name: str, note: str, duration: float, custom_data: str) -> dict:
    """A marker's {information} as GetMarkers() documents it."""
    return {
        "color": color,
        "duration": float(duration),
        "note": note,
        "name": name,
        "customData": custom_data or "",
    }


class Calls:
    """Every README call made on the fake, in order: (object kind, method, args)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, tuple]] = []

    def add(self, kind: str, method: str, *args: Any) -> None:
        self.log.append((kind, method, args))

    def named(self, method: str) -> list[tuple]:
        return [args for _kind, m, args in self.log if m == method]


class FakeMediaPoolItem:
    def __init__(self, path: str, fps: Fraction, frames: int, calls: Calls, size: tuple[int, int] = (0, 0)):
        self._path = path
        self._fps = fps
        self._frames = frames
        self._size = size
        self._uid = _uid("mpi")
        self._marks: dict[str, dict[str, int]] = {}
        self._calls = calls

    def GetName(self) -> str:
        """GetName() --> string  # Returns the clip name."""
        return Path(self._path).name

    def GetClipProperty(self, propertyName: str | None = None) -> Any:
        """GetClipProperty(propertyName=None) --> string|dict  # Returns the property value for the key
        'propertyName'. If no argument is specified, a dict of all clip properties is returned."""
        fps = float(self._fps)
        props = {
            "File Path": self._path,
            "Clip Name": self.GetName(),
            "FPS": f"{fps:.3f}".rstrip("0").rstrip(".") if fps != int(fps) else str(int(fps)),
            "Frames": str(self._frames),
        }
        if self._size[0] and self._size[1]:
            props["Resolution"] = f"{self._size[0]}x{self._size[1]}"
        if not propertyName:
            return dict(props)
        return props.get(propertyName, "")

    def GetMediaId(self) -> str:
        """GetMediaId() --> string  # Returns the unique ID for the MediaPoolItem."""
        return self._uid

    def GetUniqueId(self) -> str:
        """GetUniqueId() --> string  # Returns a unique ID for the media pool item"""
        return self._uid

    def GetMarkInOut(self) -> dict:
        """GetMarkInOut() --> {mark}  # Returns dict of in/out marks set (keys omitted if not set), example:
        {'video': {'in': 0, 'out': 134}, 'audio': {'in': 0, 'out': 134}}"""
        return copy.deepcopy(self._marks)

    def SetMarkInOut(self, mark_in: int, mark_out: int, type: str = "all") -> bool:  # noqa: A002
        """SetMarkInOut(in, out, type="all") --> Bool  # Sets mark in/out of type "video", "audio" or "all"."""
        if not (0 <= mark_in <= mark_out < self._frames):
            return False
        for kind in ("video", "audio") if type == "all" else (type,):
            self._marks[kind] = {"in": int(mark_in), "out": int(mark_out)}
        return True


class FakeFolder:
    def __init__(self, name: str):
        self._name = name
        self.clips: list[FakeMediaPoolItem] = []

    def GetClipList(self) -> list:
        """GetClipList() --> [clips...]  # Returns a list of clips (items) within the folder."""
        return list(self.clips)

    def GetName(self) -> str:
        """GetName() --> string  # Returns the media folder name."""
        return self._name

    def GetSubFolderList(self) -> list:
        """GetSubFolderList() --> [folders...]  # Returns a list of subfolders in the folder."""
        return []


class FakeTimelineItem:
    def __init__(
        self, timeline: FakeTimeline, mpi: FakeMediaPoolItem, src_start: int, src_end: int, record: int
    ):
        self._timeline = timeline
        self._mpi = mpi
        self.src_start = src_start  # media frames, end exclusive
        self.src_end = src_end
        self.record = record  # timeline frame of the first frame
        self._markers: dict[float, dict[str, Any]] = {}
        self._flags: list[str] = []
        self._color = ""
        self._uid = _uid("item")
        self._properties: dict[str, Any] = dict(ITEM_PROPERTIES)
        self.cdl: dict[str, str] | None = None  # what SetCDL set on node 1 (the tests read it)

    # ---- timing
    def _duration(self) -> int:
        seconds = Fraction(self.src_end - self.src_start) / self._mpi._fps
        return int(round(seconds * self._timeline._fps))

    def GetName(self) -> str:
        """GetName() --> string  # Returns the item name."""
        return self._mpi.GetName()

    def GetDuration(self, subframe_precision: bool = False) -> int:
        """GetDuration(subframe_precision) --> int/float  # Returns the item duration."""
        return self._duration()

    def GetStart(self, subframe_precision: bool = False) -> int:
        """GetStart(subframe_precision) --> int/float  # Returns the start frame position on the timeline."""
        return self.record

    def GetEnd(self, subframe_precision: bool = False) -> int:
        """GetEnd(subframe_precision) --> int/float  # Returns the end frame position on the timeline."""
        return self.record + self._duration()

    def GetSourceStartFrame(self) -> int:
        """GetSourceStartFrame() --> int  # Returns the start frame position of the media pool clip in the timeline clip."""
        return self.src_start

    def GetSourceEndFrame(self) -> int:
        """GetSourceEndFrame() --> int  # Returns the end frame position of the media pool clip in the timeline clip."""
        return self.src_end

    def GetSourceStartTime(self) -> float:
        """GetSourceStartTime() --> float  # Returns the start time position of the media pool clip in the timeline clip."""
        return float(Fraction(self.src_start) / self._mpi._fps)

    def GetSourceEndTime(self) -> float:
        """GetSourceEndTime() --> float  # Returns the end time position of the media pool clip in the timeline clip."""
        return float(Fraction(self.src_end) / self._mpi._fps)

    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        """GetLeftOffset(subframe_precision) --> int/float  # Returns the maximum extension by frame for clip from left side."""
        return self.src_start

    def GetRightOffset(self, subframe_precision: bool = False) -> int:
        """GetRightOffset(subframe_precision) --> int/float  # Returns the maximum extension by frame for clip from right side."""
        return self._mpi._frames - self.src_end

    def GetMediaPoolItem(self) -> FakeMediaPoolItem:
        """GetMediaPoolItem() --> MediaPoolItem  # Returns the media pool item corresponding to the timeline item if one exists."""
        return self._mpi

    def GetUniqueId(self) -> str:
        """GetUniqueId() --> string  # Returns a unique ID for the timeline item"""
        return self._uid

    # ---- properties and grade
    def SetProperty(self, propertyKey: str, propertyValue: Any) -> bool:
        """SetProperty(propertyKey, propertyValue) --> Bool  # Sets the value of property "propertyKey" to value
        "propertyValue". Refer to "Looking up Timeline item properties" for more information."""
        self._timeline._calls.add("TimelineItem", "SetProperty", propertyKey, propertyValue)
        if propertyKey not in ITEM_PROPERTIES or not isinstance(propertyValue, (int, float)):
            return False
        low, high = ITEM_PROPERTY_RANGES.get(propertyKey, (-math.inf, math.inf))
        width, height = self._timeline.resolution()
        scale = (
            width
            if propertyKey in ("Pan", "AnchorPointX")
            else height
            if propertyKey in ("Tilt", "AnchorPointY")
            else 1
        )
        self._properties[propertyKey] = min(
            max(float(propertyValue), low * scale), high * scale
        )  # "values beyond
        return True  # the range will be clipped"

    def GetProperty(self, propertyKey: str | None = None) -> Any:
        """GetProperty(propertyKey) --> int/[key:value]  # returns the value of the specified key; if no key is
        specified, the method returns a dictionary(python) or table(lua) for all supported keys."""
        return dict(self._properties) if not propertyKey else self._properties.get(propertyKey)

    def SetCDL(self, cdl: dict[str, str]) -> bool:
        """SetCDL([CDL map]) --> Bool  # Keys of map are: "NodeIndex", "Slope", "Offset", "Power", "Saturation",
        where 1 <= NodeIndex <= total number of nodes."""
        self._timeline._calls.add("TimelineItem", "SetCDL", dict(cdl))
        if (
            set(cdl) - {"NodeIndex", "Slope", "Offset", "Power", "Saturation"}
            or str(cdl.get("NodeIndex")) != "1"
        ):
            return False  # a new clip's grade has one node
        try:
            for key in ("Slope", "Offset", "Power"):
                if key in cdl and len([float(v) for v in str(cdl[key]).split()]) != 3:
                    return False
            if "Saturation" in cdl:
                float(cdl["Saturation"])
        except ValueError:
            return False
        self.cdl = {k: str(v) for k, v in cdl.items()}
        return True

    # ---- markers, flags, colour
    def AddMarker(
        self, frameId: float, color: str, name: str, note: str, duration: float, customData: str = ""
    ) -> bool:
        """AddMarker(frameId, color, name, note, duration, customData) --> Bool  # Creates a new marker at given
        frameId position and with given marker information. 'customData' is optional ..."""
        self._timeline._calls.add(
            "TimelineItem", "AddMarker", frameId, color, name, note, duration, customData
        )
        if (
            color not in MARKER_COLORS
            or not (0 <= frameId < self._duration())
            or float(frameId) in self._markers
        ):
            return False
        self._markers[float(frameId)] = _marker(color, name, note, duration, customData)
        return True

    def GetMarkers(self) -> dict:
        """GetMarkers() --> {markers...}  # Returns a dict (frameId -> {information}) of all markers and dicts
        with their information. Example: {96.0: {'color': 'Green', 'duration': 1.0, 'note': '', 'name': 'Marker 1', 'customData': ''}, ...}"""
        return copy.deepcopy(self._markers)

    def GetMarkerByCustomData(self, customData: str) -> dict:
        """GetMarkerByCustomData(customData) --> {markers...}  # Returns marker {information} for the first
        matching marker with specified customData."""
        for info in self._markers.values():
            if info["customData"] == customData:
                return dict(info)
        return {}

    def AddFlag(self, color: str) -> bool:
        """AddFlag(color) --> Bool  # Adds a flag with given color (string)."""
        if color not in FLAG_COLORS:
            return False
        if color not in self._flags:
            self._flags.append(color)
        return True

    def GetFlagList(self) -> list:
        """GetFlagList() --> [colors...]  # Returns a list of flag colors assigned to the item."""
        return list(self._flags)

    def ClearFlags(self, color: str) -> bool:
        """ClearFlags(color) --> Bool  # Clear flags of the specified color. An "All" argument is supported to clear all flags."""
        if color == "All":
            self._flags.clear()
            return True
        if color in self._flags:
            self._flags.remove(color)
            return True
        return False

    def GetClipColor(self) -> str:
        """GetClipColor() --> string  # Returns the item color as a string."""
        return self._color

    def SetClipColor(self, colorName: str) -> bool:
        """SetClipColor(colorName) --> Bool  # Sets the item color based on the colorName (string)."""
        self._timeline._calls.add("TimelineItem", "SetClipColor", colorName)
        if colorName not in CLIP_COLORS:
            return False
        self._color = colorName
        return True

    def ClearClipColor(self) -> bool:
        """ClearClipColor() --> Bool  # Clears the item color."""
        self._color = ""
        return True


class FakeTimeline:
    def __init__(
        self, name: str, fps: Fraction, calls: Calls, resolve: FakeResolve, start_frame: int = 86400
    ):
        self._name = name
        self._fps = fps
        self._calls = calls
        self._resolve = resolve
        self._start = start_frame
        self._tracks: dict[str, list[list[FakeTimelineItem]]] = {"video": [], "audio": [], "subtitle": []}
        self._markers: dict[float, dict[str, Any]] = {}
        self._uid = _uid("timeline")

    def GetName(self) -> str:
        """GetName() --> string  # Returns the timeline name."""
        return self._name

    def GetStartFrame(self) -> int:
        """GetStartFrame() --> int  # Returns the frame number at the start of timeline."""
        return self._start

    def GetEndFrame(self) -> int:
        """GetEndFrame() --> int  # Returns the frame number at the end of timeline."""
        ends = [i.GetEnd() for tracks in self._tracks.values() for t in tracks for i in t]
        return max(ends, default=self._start)

    def GetSetting(self, settingName: str = "") -> Any:
        """GetSetting(settingName) --> string  # Returns value of timeline setting (indicated by settingName : string)."""
        fps = float(self._fps)
        rate = str(int(fps)) if fps == int(fps) else f"{fps:.3f}".rstrip("0")
        width, height = self.resolution()
        settings = {
            "timelineFrameRate": rate,
            "timelineResolutionWidth": str(width),
            "timelineResolutionHeight": str(height),
        }
        return settings.get(settingName, "") if settingName else settings

    def resolution(self) -> tuple[int, int]:
        """Not a README call: the project's timeline resolution (Resolve's default, 1920x1080)."""
        return (1920, 1080)

    def GetTrackCount(self, trackType: str) -> int:
        """GetTrackCount(trackType) --> int  # Returns the number of tracks for the given track type ("audio", "video" or "subtitle")."""
        return len(self._tracks.get(trackType, []))

    def GetItemListInTrack(self, trackType: str, index: int) -> list:
        """GetItemListInTrack(trackType, index) --> [items...]  # Returns a list of timeline items on that
        track (based on trackType and index). 1 <= index <= GetTrackCount(trackType)."""
        tracks = self._tracks.get(trackType, [])
        if not 1 <= index <= len(tracks):
            return []
        return list(tracks[index - 1])

    def AddMarker(
        self, frameId: float, color: str, name: str, note: str, duration: float, customData: str = ""
    ) -> bool:
        """AddMarker(frameId, color, name, note, duration, customData) --> Bool  # Creates a new marker at given
        frameId position and with given marker information. 'customData' is optional ..."""
        self._calls.add("Timeline", "AddMarker", frameId, color, name, note, duration, customData)
        if color not in MARKER_COLORS or frameId < 0 or float(frameId) in self._markers:
            return False
        self._markers[float(frameId)] = _marker(color, name, note, duration, customData)
        return True

    def GetMarkers(self) -> dict:
        """GetMarkers() --> {markers...}  # Returns a dict (frameId -> {information}) of all markers ... at timeline offset"""
        return copy.deepcopy(self._markers)

    def GetUniqueId(self) -> str:
        """GetUniqueId() --> string  # Returns a unique ID for the timeline"""
        return self._uid

    def Export(self, fileName: str, exportType: int, exportSubtype: int | None = None) -> bool:
        """Export(fileName, exportType, exportSubtype) --> Bool  # Exports timeline to 'fileName' as per input
        exportType & exportSubtype format. (Looking up timeline export properties: resolve.EXPORT_OTIO, ...)"""
        self._calls.add("Timeline", "Export", fileName, exportType, exportSubtype)
        if exportType != FakeResolve.EXPORT_OTIO or self._resolve._version[:2] < [18, 5]:
            return False  # the fake writes OTIO only (what the host asks for)
        otio.adapters.write_to_file(self.to_otio(), fileName)
        return True

    # ---- the fake's own view (what Resolve's OTIO export holds)
    def to_otio(self) -> otio.schema.Timeline:
        rate = float(self._fps)
        tl = otio.schema.Timeline(name=self._name, global_start_time=RationalTime(self._start, rate))
        for kind, tracks in (("video", otio.schema.TrackKind.Video), ("audio", otio.schema.TrackKind.Audio)):
            for items in self._tracks[kind]:
                track = otio.schema.Track(kind=tracks)
                position = self._start
                for item in sorted(items, key=lambda i: i.record):
                    if item.record > position:
                        track.append(
                            otio.schema.Gap(
                                source_range=TimeRange(
                                    RationalTime(0, rate), RationalTime(item.record - position, rate)
                                )
                            )
                        )
                    media_rate = float(item._mpi._fps)
                    clip = otio.schema.Clip(
                        name=item.GetName(),
                        media_reference=otio.schema.ExternalReference(target_url=item._mpi._path),
                        source_range=TimeRange(
                            RationalTime(item.src_start, media_rate),
                            RationalTime(item.src_end - item.src_start, media_rate),
                        ),
                    )
                    for frame, info in sorted(item._markers.items()):
                        clip.markers.append(
                            otio.schema.Marker(
                                name=info["name"],
                                marked_range=TimeRange(
                                    RationalTime(item.src_start + frame, media_rate),
                                    RationalTime(info["duration"], media_rate),
                                ),
                                color=info["color"].upper(),
                                comment=info["note"],
                            )
                        )
                    track.append(clip)
                    position = item.GetEnd()
                tl.tracks.append(track)
        return tl

    def snapshot(self) -> str:
        """Everything about this timeline, to prove later that nobody changed it."""
        return (
            otio.adapters.write_to_string(self.to_otio())
            + repr(sorted(self._markers.items()))
            + repr(
                [(i._color, i._flags, sorted(i._markers.items())) for t in self._tracks["video"] for i in t]
            )
        )

    # ---- the editor's hands (not README calls)
    def ui_trim(self, item: FakeTimelineItem, head_frames: int = 0, tail_frames: int = 0) -> None:
        """Ripple trim: head > 0 starts later in the source, tail < 0 ends earlier."""
        item.src_start += head_frames
        item.src_end += tail_frames
        self._ripple(item)

    def ui_move(self, item: FakeTimelineItem, new_index: int) -> None:
        """Drag a clip to another position on its track (ripple insert)."""
        track = next(t for t in self._tracks["video"] if item in t)
        track.sort(key=lambda i: i.record)
        first = track[0].record
        track.remove(item)
        track.insert(new_index, item)
        self._relay(track, first)

    def ui_delete(self, item: FakeTimelineItem) -> None:
        """Ripple delete."""
        track = next(t for t in self._tracks["video"] if item in t)
        track.sort(key=lambda i: i.record)
        first = track[0].record
        track.remove(item)
        self._relay(track, first)

    def _ripple(self, item: FakeTimelineItem) -> None:
        track = next(t for t in self._tracks["video"] if item in t)
        track.sort(key=lambda i: i.record)
        self._relay(track, track[0].record)

    @staticmethod
    def _relay(track: list[FakeTimelineItem], first: int) -> None:
        position = first
        for i in track:
            i.record = position
            position = i.GetEnd()


class FakeMediaPool:
    def __init__(self, resolve: FakeResolve):
        self._resolve = resolve
        self._root = FakeFolder("Master")
        self._selected: list[FakeMediaPoolItem] = []

    def GetRootFolder(self) -> FakeFolder:
        """GetRootFolder() --> Folder  # Returns root Folder of Media Pool"""
        return self._root

    def GetCurrentFolder(self) -> FakeFolder:
        """GetCurrentFolder() --> Folder  # Returns currently selected Folder."""
        return self._root

    def GetSelectedClips(self) -> list:
        """GetSelectedClips() --> [MediaPoolItems]  # Returns the current selected MediaPoolItems"""
        return list(self._selected)

    def SetSelectedClip(self, mediaPoolItem: FakeMediaPoolItem) -> bool:
        """SetSelectedClip(MediaPoolItem) --> Bool  # Sets the selected MediaPoolItem to the given MediaPoolItem"""
        self._selected = [mediaPoolItem]
        return True

    def ImportMedia(self, items: list[str]) -> list:
        """ImportMedia([items...]) --> [MediaPoolItems]  # Imports specified file/folder paths into current
        Media Pool folder. Input is an array of file/folder paths. Returns a list of the MediaPoolItems created."""
        return [self._item_for(str(p)) for p in items]

    def ImportTimelineFromFile(self, filePath: str, importOptions: dict | None = None) -> FakeTimeline | None:
        """ImportTimelineFromFile(filePath, {importOptions}) --> Timeline  # Creates timeline based on parameters
        within given file (AAF/EDL/XML/FCPXML/DRT/ADL/OTIO) and optional importOptions dict, with support for
        the keys: "timelineName", "importSourceClips", "sourceClipsPath", "sourceClipsFolders", "interlaceProcessing"."""
        options = dict(importOptions or {})
        path = Path(filePath)
        content = path.read_bytes() if path.is_file() else b""
        self._resolve.calls.add("MediaPool", "ImportTimelineFromFile", filePath, options, content)
        unknown = set(options) - {
            "timelineName",
            "importSourceClips",
            "sourceClipsPath",
            "sourceClipsFolders",
            "interlaceProcessing",
        }
        if not content or unknown:
            return None
        suffix = path.suffix.lower()
        if suffix == ".otio":
            if self._resolve._version[:2] < [18, 5]:
                return None  # OTIO import arrived in 18.5
            source = otio.adapters.read_from_file(str(path))
        elif suffix == ".xml":
            source = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
            if isinstance(source, otio.schema.SerializableCollection):
                source = next(iter(source.find_children(descended_from_type=otio.schema.Timeline)))
        else:
            return None
        project = self._resolve._project
        name = options.get("timelineName") or source.name or "Timeline"
        if any(t.GetName() == name for t in project._timelines):
            return None  # names are unique in a project
        rate = source.global_start_time.rate if source.global_start_time else None
        if rate is None:
            first = next(iter(source.find_clips()), None)
            rate = first.source_range.duration.rate if first else 24.0
        timeline = FakeTimeline(name, _rate(rate), self._resolve.calls, self._resolve)
        for kind, key in ((otio.schema.TrackKind.Video, "video"), (otio.schema.TrackKind.Audio, "audio")):
            for track in (t for t in source.tracks if t.kind == kind):
                items: list[FakeTimelineItem] = []
                for clip in track.find_clips(shallow_search=True):
                    ref = clip.media_reference
                    if not isinstance(ref, otio.schema.ExternalReference):
                        continue
                    media_path = (
                        otio.url_utils.filepath_from_url(ref.target_url)
                        if "://" in ref.target_url
                        else ref.target_url
                    )
                    sr = clip.source_range
                    mpi = self._item_for(media_path, _rate(sr.start_time.rate))
                    start = int(round(sr.start_time.rescaled_to(float(mpi._fps)).value))
                    end = start + int(round(sr.duration.rescaled_to(float(mpi._fps)).value))
                    record_time = track.range_of_child(clip).start_time
                    record = timeline._start + int(round(record_time.rescaled_to(float(timeline._fps)).value))
                    items.append(FakeTimelineItem(timeline, mpi, start, end, record))
                timeline._tracks[key].append(items)
        project._timelines.append(timeline)
        project._current = timeline
        return timeline

    def _item_for(self, path: str, fps: Fraction | None = None) -> FakeMediaPoolItem:
        for mpi in self._root.clips:
            if mpi._path == path:
                return mpi
        mpi = self._resolve.probe(path, fps)
        self._root.clips.append(mpi)
        return mpi

    # ---- the editor's hands
    def ui_select(
        self, paths: list[str], marks: dict[str, tuple[int, int]] | None = None
    ) -> list[FakeMediaPoolItem]:
        self._selected = [self._item_for(str(p)) for p in paths]
        for mpi in self._selected:
            if marks and mpi._path in marks:
                assert mpi.SetMarkInOut(*marks[mpi._path])
        return list(self._selected)


class FakeProject:
    def __init__(self, resolve: FakeResolve, name: str):
        self._resolve = resolve
        self._name = name
        self._media_pool = FakeMediaPool(resolve)
        self._timelines: list[FakeTimeline] = []
        self._current: FakeTimeline | None = None

    def GetMediaPool(self) -> FakeMediaPool:
        """GetMediaPool() --> MediaPool  # Returns the Media Pool object."""
        return self._media_pool

    def GetTimelineCount(self) -> int:
        """GetTimelineCount() --> int  # Returns the number of timelines currently present in the project."""
        return len(self._timelines)

    def GetTimelineByIndex(self, idx: int) -> FakeTimeline | None:
        """GetTimelineByIndex(idx) --> Timeline  # Returns timeline at the given index, 1 <= idx <= project.GetTimelineCount()"""
        return self._timelines[idx - 1] if 1 <= idx <= len(self._timelines) else None

    def GetCurrentTimeline(self) -> FakeTimeline | None:
        """GetCurrentTimeline() --> Timeline  # Returns the currently loaded timeline."""
        return self._current

    def SetCurrentTimeline(self, timeline: FakeTimeline) -> bool:
        """SetCurrentTimeline(timeline) --> Bool  # Sets given timeline as current timeline for the project."""
        if timeline not in self._timelines:
            return False
        self._current = timeline
        return True

    def GetName(self) -> str:
        """GetName() --> string  # Returns project name."""
        return self._name


class FakeProjectManager:
    def __init__(self, project: FakeProject | None):
        self._project = project

    def GetCurrentProject(self) -> FakeProject | None:
        """GetCurrentProject() --> Project  # Returns the currently loaded Resolve project."""
        return self._project


class FakeFusion:
    """The README documents nothing on the Fusion object; this one has no UIManager, so the host asks on
    the console (as it does wherever Fusion's UI Manager is missing)."""


class FakeResolve:
    # "Looking up timeline export properties": the constants exist on the resolve object; values are opaque.
    EXPORT_AAF = 0
    EXPORT_DRT = 1
    EXPORT_EDL = 2
    EXPORT_FCP_7_XML = 3
    EXPORT_FCPXML_1_8 = 4
    EXPORT_FCPXML_1_9 = 5
    EXPORT_FCPXML_1_10 = 6
    EXPORT_OTIO = 17
    EXPORT_NONE = 100
    EXPORT_AAF_NEW = 101
    EXPORT_AAF_EXISTING = 102

    def __init__(
        self,
        version: tuple[int, int, int] = (19, 1, 4),
        project_name: str = "Test Project",
        with_project: bool = True,
    ):
        self._version = [int(v) for v in version]
        self.calls = Calls()
        self._project = FakeProject(self, project_name) if with_project else None
        self._pm = FakeProjectManager(self._project)

    def Fusion(self) -> FakeFusion:
        """Fusion() --> Fusion  # Returns the Fusion object. Starting point for Fusion scripts."""
        return FakeFusion()

    def GetProjectManager(self) -> FakeProjectManager:
        """GetProjectManager() --> ProjectManager  # Returns the project manager object for currently open database."""
        return self._pm

    def GetProductName(self) -> str:
        """GetProductName() --> string  # Returns product name."""
        return "DaVinci Resolve Studio"

    def GetVersion(self) -> list:
        """GetVersion() --> [version fields]  # Returns list of product version fields in [major, minor, patch, build, suffix] format."""
        return [*self._version, 7, ""]

    def GetVersionString(self) -> str:
        """GetVersionString() --> string  # Returns product version in "major.minor.patch[suffix].build" format."""
        return ".".join(str(v) for v in self._version) + ".7"

    # ---- test set-up (not README calls)
    def probe(self, path: str, fps: Fraction | None = None) -> FakeMediaPoolItem:
        """A media pool item for a real file: rate and length read with PyAV, as Resolve reads them."""
        import av

        frames, rate, size = 0, fps, (0, 0)
        if Path(path).is_file():
            with av.open(path) as container:
                stream = container.streams.video[0] if container.streams.video else None
                if stream is not None:
                    size = (int(stream.codec_context.width), int(stream.codec_context.height))
                    rate = rate or _rate(float(stream.average_rate or stream.guessed_rate or 24))
                    seconds = float(container.duration or 0) / 1_000_000
                    frames = stream.frames or int(round(seconds * float(rate)))
        rate = rate or Fraction(24)
        return FakeMediaPoolItem(path, rate, max(frames, 1) if frames else 10**7, self.calls, size)

    def add_timeline(self, name: str, fps: Fraction, clips: list[tuple[str, int, int]]) -> FakeTimeline:
        """An editor's existing timeline (for 'never modify existing timelines' and 'current timeline')."""
        project = self._project
        assert project is not None
        timeline = FakeTimeline(name, fps, self.calls, self)
        items, position = [], timeline._start
        for path, start, end in clips:
            item = FakeTimelineItem(timeline, project._media_pool._item_for(path), start, end, position)
            items.append(item)
            position = item.GetEnd()
        timeline._tracks["video"].append(items)
        project._timelines.append(timeline)
        project._current = timeline
        return timeline
