"""The planner's prompt format: the chat the LLM planner sees and a spec written as the planner writes
it. One module, because the planner decodes with it and the learning loop builds its DPO pairs from it:
if the two drifted apart, tuning would teach the model a format it never sees.
"""

from __future__ import annotations

import json

from engine.planning.spec import DEFAULT_PACING, EditSpec

MAX_LIST = 3  # topics the planner may list for include/avoid

SYSTEM = (
    "You are the planner of a video editor. Read the editor's request and fill in the edit plan as JSON. "
    "style: tighten (remove pauses from talk), highlight (best moments), montage (cut to music), story "
    "(whole sentences in order). target_duration: seconds, or null when no length is asked. aspect: 16:9, "
    "9:16 (vertical), 1:1 (square) or 4:5. include/avoid: topics named in the request."
)
EXAMPLES = [
    (
        "cut a 30 second vertical teaser about the new bike, no music",
        {"style": "highlight", "target_duration": 30, "aspect": "9:16", "order": "chronological", "music": False,
         "captions": False, "remove_silences": True, "remove_fillers": False, "pacing": "fast", "include": ["new bike"],
         "avoid": []},
    ),
    (
        "tighten this interview and remove the ums, add subtitles",
        {"style": "tighten", "target_duration": None, "aspect": "16:9", "order": "chronological", "music": False,
         "captions": True, "remove_silences": True, "remove_fillers": True, "pacing": "normal", "include": [],
         "avoid": []},
    ),
]  # fmt: skip


def messages(prompt: str) -> list[dict[str, str]]:
    """The chat the planner sees (the learning loop builds its training pairs from the same)."""
    out = [{"role": "system", "content": SYSTEM}]
    for request, plan in EXAMPLES:
        out.append({"role": "user", "content": request})
        out.append({"role": "assistant", "content": json.dumps(plan)})
    out.append({"role": "user", "content": prompt})
    return out


def plan_json(spec: EditSpec) -> str:
    """A spec as the planner writes it (for training pairs: chosen and rejected plans)."""
    lo, hi = spec.pacing.min_shot_s, spec.pacing.max_shot_s
    base_lo, base_hi = DEFAULT_PACING[spec.style]
    pacing = "fast" if hi < base_hi * 0.75 else "slow" if lo > base_lo * 1.5 else "normal"
    data = {
        "style": spec.style, "target_duration": int(round(spec.target_duration)) if spec.target_duration else None,
        "aspect": spec.aspect, "order": spec.order, "music": spec.music, "captions": spec.captions,
        "remove_silences": spec.remove_silences, "remove_fillers": spec.remove_fillers, "pacing": pacing,
        "include": spec.include[:MAX_LIST], "avoid": spec.avoid[:MAX_LIST],
    }  # fmt: skip
    return json.dumps(data)
