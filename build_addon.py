"""Build the Blender extension, installable with "Install from Disk":

    dist/autoedit-<version>.zip        Blender 4.2 - 5.0 (Python 3.11: bpy 4.2, 4.5 and 5.0.1 are cp311)
    dist/autoedit-<version>-py313.zip  Blender 5.1+ (reported to embed Python 3.13)

Each zip holds addon_blender/ (our code), the bridge package vendored under vendor/ and the unmodified
PyPI wheels (pyzmq, opentimelineio, OTIO's FCP7/EDL/FCPX adapters) for Linux, Windows and macOS. One zip
per Python, because Blender 4.2 installs every wheel of the right platform whatever its Python tag
(the cp313 build of opentimelineio replaced the cp311 one and the import failed). Wheels are fetched by
`pip download` into a cache (.wheels/) at build time only; `--offline` uses the cache alone. The same
inputs give byte-identical zips (sorted entries, fixed timestamps and modes). Prints the zips' paths,
the Python 3.11 one last.

    python build_addon.py [--wheels-dir DIR] [--offline] [--out DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent
ADDON = REPO / "addon_blender"
BRIDGE = REPO / "bridge"

REQUIREMENTS = (
    "pyzmq==27.3.0",
    "opentimelineio==0.18.1",
    # pure-Python adapter plugins: FCP7 XML, EDL and FCPX XML import/export
    "otio-fcp-adapter==1.0.0",
    "otio-cmx3600-adapter==1.0.0",
    "otio-fcpx-xml-adapter==1.0.0",
)
# Python -> (zip suffix, blender_version_min, blender_version_max or None)
PYTHONS = {"3.13": ("-py313", "5.1.0", None), "3.11": ("", "4.2.0", "5.1.0")}
# Blender platform name -> pip --platform tags (pip takes the newest wheel any of them accepts)
PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64",),
    "macos-x64": ("macosx_14_0_x86_64",),
}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP = {"__pycache__", ".mypy_cache", ".ruff_cache"}


class BuildError(RuntimeError):
    pass


def download(wheels_dir: Path, platform: str, python: str, offline: bool) -> list[Path]:
    """Wheels for one platform and Python, from the cache or PyPI; [] when PyPI has none."""
    before = set(wheels_dir.glob("*.whl"))
    if not offline:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        for tag in PLATFORMS[platform]:
            cmd += ["--platform", tag]
        cmd += ["--python-version", python, "--implementation", "cp", "-d", str(wheels_dir), *REQUIREMENTS]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            return []
    found = []
    for requirement in REQUIREMENTS:
        name, version = requirement.split("==")
        match = [
            w
            for w in sorted(set(wheels_dir.glob("*.whl")) | before)
            if _wheel_fits(w, name, version, platform, python)
        ]
        if not match:
            return []
        found.append(match[-1])
    return found


def _wheel_fits(wheel: Path, name: str, version: str, platform: str, python: str) -> bool:
    parts = wheel.name[:-4].split("-")
    if len(parts) < 5 or parts[0].lower() != name.replace("-", "_").lower() or parts[1] != version:
        return False
    py_tag, abi_tag, plat_tag = parts[-3], parts[-2], parts[-1]
    if plat_tag == "any" and abi_tag == "none":
        return any(t in ("py3", "py2.py3") or t.startswith("py3") for t in py_tag.split("."))
    want = "cp" + python.replace(".", "")
    py_ok = want in py_tag.split(".") or (abi_tag == "abi3" and py_tag <= want)
    arch = {"linux-x64": "x86_64", "windows-x64": "win_amd64", "macos-arm64": "arm64", "macos-x64": "x86_64"}[
        platform
    ]
    os_ok = {"linux-x64": "linux", "windows-x64": "win", "macos-arm64": "macosx", "macos-x64": "macosx"}[
        platform
    ]
    plat_ok = os_ok in plat_tag and (arch in plat_tag or "universal2" in plat_tag)
    return py_ok and plat_ok


def collect_wheels(wheels_dir: Path, offline: bool, python: str) -> tuple[list[str], list[Path], list[str]]:
    """(platforms covered, wheels, notes on what PyPI lacks) for one Python."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    platforms: list[str] = []
    wheels: set[Path] = set()
    notes: list[str] = []
    for platform in PLATFORMS:
        got = download(wheels_dir, platform, python, offline)
        if not got:
            notes.append(f"{platform} Python {python}: no wheel for one of {', '.join(REQUIREMENTS)}")
            continue
        wheels.update(got)
        platforms.append(platform)
    if "linux-x64" not in platforms:
        raise BuildError(f"no Linux wheels in {wheels_dir} (run without --offline once): {notes}")
    return platforms, sorted(wheels, key=lambda w: w.name), notes


def manifest_text(platforms: list[str], wheels: list[Path], version_min: str, version_max: str | None) -> str:
    """The source manifest with the Blender range, `platforms` and `wheels` (before [permissions])."""
    base = (ADDON / "blender_manifest.toml").read_text(encoding="utf-8")
    base = base.replace('blender_version_min = "4.2.0"', f'blender_version_min = "{version_min}"')
    if version_max:
        base = base.replace(
            f'blender_version_min = "{version_min}"',
            f'blender_version_min = "{version_min}"\nblender_version_max = "{version_max}"',
        )
    head, sep, tail = base.partition("[permissions]")
    ours = ["platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]", "wheels = ["]
    ours += [f'  "./wheels/{w.name}",' for w in wheels]
    ours.append("]")
    text = head.rstrip() + "\n\n" + "\n".join(ours) + "\n\n" + sep + tail
    tomllib.loads(text)
    return text


def _entry(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def build(out_dir: Path, wheels_dir: Path, offline: bool) -> list[Path]:
    return [build_one(out_dir, wheels_dir, offline, python) for python in PYTHONS]


def build_one(out_dir: Path, wheels_dir: Path, offline: bool, python: str) -> Path:
    manifest = tomllib.loads((ADDON / "blender_manifest.toml").read_text(encoding="utf-8"))
    suffix, version_min, version_max = PYTHONS[python]
    platforms, wheels, notes = collect_wheels(wheels_dir, offline, python)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{manifest['id']}-{manifest['version']}{suffix}.zip"
    text = manifest_text(platforms, wheels, version_min, version_max)
    files: dict[str, bytes] = {"blender_manifest.toml": text.encode("utf-8")}
    for path in sorted(ADDON.rglob("*")):
        rel = path.relative_to(ADDON)
        if (
            path.is_file()
            and not SKIP & set(rel.parts)
            and path.suffix != ".pyc"
            and rel.name != "blender_manifest.toml"
        ):
            files[rel.as_posix()] = path.read_bytes()
    for path in sorted(BRIDGE.glob("*.py")):
        files[f"vendor/bridge/{path.name}"] = path.read_bytes()
    for wheel in wheels:
        files[f"wheels/{wheel.name}"] = wheel.read_bytes()
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(files):
            _entry(zf, name, files[name])
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--wheels-dir", type=Path, default=REPO / ".wheels", help="wheel cache (default .wheels/)"
    )
    parser.add_argument("--offline", action="store_true", help="use the wheel cache only; download nothing")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder (default dist/)")
    args = parser.parse_args(argv)
    try:
        targets = build(args.out, args.wheels_dir, args.offline)
    except BuildError as exc:
        print(f"build_addon: {exc}", file=sys.stderr)
        return 1
    for target in targets:
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
