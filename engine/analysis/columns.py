"""Columnar fields of the analysis report: per-sample data held as numpy arrays, not Python objects.

A 10-hour report (issue 19) has ~144k quality samples per series, ~72k face samples and ~70k beats.
As lists of floats and pydantic models they cost ~70 MB of Python objects (54 MB the faces alone,
each sample a model with a list of lists); as arrays ~6 MB. `Samples` and `FaceTrack` are read-only
sequences with the list API the planner uses (len, index, slice, iterate, compare to a list), so
`media.quality.times[i]`, `media.faces[lo:hi]` and `for s in media.faces` read as before, and the
report's JSON is unchanged (they serialise to the same lists). A face sample is made only when it is
read (`FaceSample` per item, on the fly); `times` / `array` give the columns to bisect or compute on.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class FaceSample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: float
    boxes: list[list[float]]  # [x, y, w, h, score], x/y/w/h as fractions of the frame


def _sequence_equal(a: Sequence[Any], b: object) -> bool:
    if not isinstance(b, Sequence) or isinstance(b, str):
        return NotImplemented
    return len(a) == len(b) and all(x == y for x, y in zip(a, b, strict=True))


class _Column:
    """Pydantic reads a column from its JSON list (`_validate`) and writes it back as one (`tolist`)."""

    __slots__ = ()

    @classmethod
    def _validate(cls, value: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.tolist()),
        )


class Samples(_Column, Sequence[float]):
    """Floats in one float64 array: a sampled curve (quality, loudness) or a list of times (beats)."""

    __slots__ = ("array",)

    def __init__(self, values: Iterable[float] | np.ndarray = ()):
        array = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.float64)
        self.array: np.ndarray = array.reshape(-1)

    def __len__(self) -> int:
        return int(self.array.shape[0])

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> Samples: ...
    def __getitem__(self, index: int | slice) -> float | Samples:
        if isinstance(index, slice):
            return Samples(self.array[index])
        return float(self.array[index])

    def __iter__(self) -> Iterator[float]:
        return iter(self.array.tolist())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.array if dtype is None else self.array.astype(dtype)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Samples):
            return bool(np.array_equal(self.array, other.array))
        return _sequence_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like the list it replaces

    def __repr__(self) -> str:
        return f"Samples({self.array.tolist()!r})" if len(self) <= 8 else f"Samples(<{len(self)} values>)"

    def tolist(self) -> list[float]:
        return list(self.array.tolist())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Samples, (self.array,))

    @classmethod
    def _validate(cls, value: Any) -> Samples:
        if isinstance(value, Samples):
            return value
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable | np.ndarray):
            raise ValueError("expected a list of numbers")
        try:
            return cls(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"expected a list of numbers ({exc})") from None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "array", "items": {"type": "number"}}


class FaceTrack(_Column, Sequence[FaceSample]):
    """Face samples as columns: each sample's time, where its boxes start, and every box's numbers.

    `boxes` of sample i are rows box_start[i]:box_start[i + 1] of `values` split by `box_end`, so a
    box may have any length (5 for faces); `FaceSample`s are built when an item is read.
    """

    __slots__ = ("box_end", "box_start", "times", "values")

    def __init__(
        self,
        times: np.ndarray | None = None,
        box_start: np.ndarray | None = None,
        box_end: np.ndarray | None = None,
        values: np.ndarray | None = None,
    ):
        self.times: np.ndarray = np.zeros(0) if times is None else times  # seconds, one per sample
        self.box_start: np.ndarray = (  # len(times) + 1 offsets into box_end
            np.zeros(1, dtype=np.int64) if box_start is None else box_start
        )
        self.box_end: np.ndarray = (  # one per box plus a leading 0: offsets into values
            np.zeros(1, dtype=np.int64) if box_end is None else box_end
        )
        self.values: np.ndarray = np.zeros(0) if values is None else values

    @classmethod
    def of(cls, samples: Iterable[FaceSample | dict[str, Any]]) -> FaceTrack:
        times: list[float] = []
        box_start = [0]
        box_end = [0]
        values: list[float] = []
        for sample in samples:
            time, boxes = (
                (sample.time, sample.boxes)
                if isinstance(sample, FaceSample)
                else (float(sample["time"]), sample["boxes"])
            )
            if not isinstance(sample, FaceSample) and set(sample) - {"time", "boxes"}:
                raise ValueError(f"unknown face sample keys {sorted(set(sample) - {'time', 'boxes'})}")
            times.append(time)
            for box in boxes:
                values.extend(float(v) for v in box)
                box_end.append(len(values))
            box_start.append(len(box_end) - 1)
        return cls(
            np.asarray(times, dtype=np.float64),
            np.asarray(box_start, dtype=np.int64),
            np.asarray(box_end, dtype=np.int64),
            np.asarray(values, dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def boxes(self, index: int) -> list[list[float]]:
        b0, b1 = int(self.box_start[index]), int(self.box_start[index + 1])
        ends = self.box_end
        return [self.values[ends[k] : ends[k + 1]].tolist() for k in range(b0, b1)]

    def has_face(self) -> np.ndarray:
        """Per sample, whether it has at least one box."""
        return np.diff(self.box_start) > 0

    @overload
    def __getitem__(self, index: int) -> FaceSample: ...
    @overload
    def __getitem__(self, index: slice) -> FaceTrack: ...
    def __getitem__(self, index: int | slice) -> FaceSample | FaceTrack:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return FaceTrack.of(self[k] for k in range(start, stop, step))
            stop = max(start, stop)
            b0, b1 = int(self.box_start[start]), int(self.box_start[stop])
            ends = self.box_end[b0 : b1 + 1]
            return FaceTrack(
                self.times[start:stop],
                self.box_start[start : stop + 1] - b0,
                ends - ends[0],
                self.values[int(ends[0]) : int(ends[-1])],
            )
        n = len(self)
        if not -n <= index < n:
            raise IndexError("face sample index out of range")
        index %= n
        return FaceSample.model_construct(time=float(self.times[index]), boxes=self.boxes(index))

    def __iter__(self) -> Iterator[FaceSample]:
        for k in range(len(self)):
            yield self[k]

    def __eq__(self, other: object) -> bool:
        return _sequence_equal(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FaceTrack(<{len(self)} samples>)"

    def tolist(self) -> list[dict[str, Any]]:
        return [{"time": float(self.times[k]), "boxes": self.boxes(k)} for k in range(len(self))]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FaceTrack, (self.times, self.box_start, self.box_end, self.values))

    @classmethod
    def _validate(cls, value: Any) -> FaceTrack:
        if isinstance(value, FaceTrack):
            return value
        if not isinstance(value, list | tuple):
            raise ValueError("expected a list of face samples")
        try:
            return cls.of(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"expected face samples {{time, boxes}} ({exc})") from None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "array", "items": handler(FaceSample.__pydantic_core_schema__)}


class SpanIndex:
    """Time spans (start, end) sorted by start with the running maximum of their ends, so the spans
    overlapping or holding a range are found by a bisect and a short walk back, not a scan of all.

    On a 10-hour report a per-word scan of the disfluencies is ~200M comparisons (issue 19). The walk
    back stops at the first span whose running end falls before the range, so it visits only the
    spans that could reach it: a few for short findings (a span hours long would make it visit more).
    Indices returned are the positions in the sequence given, in that order.
    """

    __slots__ = ("_ends", "_order", "_reach", "_starts")

    def __init__(self, spans: Iterable[tuple[float, float]]):
        pairs = list(spans)
        self._order = sorted(range(len(pairs)), key=lambda k: pairs[k][0])
        self._starts = [pairs[k][0] for k in self._order]
        self._ends = [pairs[k][1] for k in self._order]
        reach, top = [], float("-inf")
        for end in self._ends:
            top = max(top, end)
            reach.append(top)
        self._reach = reach

    def _reaching(self, limit: int, after: float, strict: bool) -> list[int]:
        """Sorted positions below `limit` whose end is past `after` (> when strict, else >=)."""
        out, j = [], limit - 1
        while j >= 0 and (self._reach[j] > after if strict else self._reach[j] >= after):
            end = self._ends[j]
            if end > after if strict else end >= after:
                out.append(j)
            j -= 1
        return out

    def overlapping(self, a: float, b: float) -> list[int]:
        """The spans with start < b and end > a."""
        return sorted(self._order[j] for j in self._reaching(bisect.bisect_left(self._starts, b), a, True))

    def holding(self, a: float, b: float, slack: float = 0.0) -> list[int]:
        """The spans with start - slack <= a and b <= end + slack."""
        # Bounds a little wide, then the test itself, so float rounding never changes the answer.
        wide = 2 * slack + 1e-9 * max(1.0, abs(a), abs(b))
        limit = bisect.bisect_right(self._starts, a + wide)
        return sorted(
            self._order[j]
            for j in self._reaching(limit, b - wide, False)
            if self._starts[j] - slack <= a and b <= self._ends[j] + slack
        )


def merge_spans(spans: Iterable[tuple[float, float]], bridge: float = 0.0) -> list[tuple[float, float]]:
    """Spans sorted and joined where they overlap or the gap between them is under `bridge` seconds."""
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a - merged[-1][1] < bridge:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
