"""The validation split of the training sources: fixed by photo name, per group, whole scenes together.

Settings (decoding, temperature, working size, which checkpoint ships) are chosen on these photos, never
on ../shared/data/eval. Crops of one photo (`scenes_osie/1655_0..2`) and CamVid frames of the same
stretch of road (`0006R0_f02550`, blocks of 600 frames) share a key, so none straddles the split.
"""
from __future__ import annotations

import re
import zlib

import numpy as np

MIN_PER_GROUP = 40     # enough photos per group for a per-group Frechet ratio
FRACTION = 0.02
_CROP = re.compile(r"^(.*)_\d$")
_CAMVID = re.compile(r"^(.*?)_f?(\d+)$")


def group_of(name: str) -> str:
    return name.split("/", 1)[0] if "/" in name else ""


def photo_key(name: str) -> str:
    """What must stay on one side of the split: `<group>/<scene>` for crops and video frames."""
    group = group_of(name)
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if group.startswith("streets_"):
        m = _CAMVID.match(stem)
        if m:
            return f"{group}/{m.group(1)}_{int(m.group(2)) // 600}"
    m = _CROP.match(stem)
    if m and group in ("scenes_osie", "scenes_cities", "scenes_interiors"):
        return f"{group}/{m.group(1)}"
    return f"{group}/{stem}"


def validation_mask(names, min_per_group: int = MIN_PER_GROUP, fraction: float = FRACTION) -> np.ndarray:
    """bool [N]: True for validation photos. Per group, keys in crc32 order until max(min_per_group,
    fraction of the group) photos are in; deterministic and independent of shard order."""
    names = [str(n) for n in names]
    keys = [photo_key(n) for n in names]
    by_group: dict[str, dict[str, list[int]]] = {}
    for i, (n, k) in enumerate(zip(names, keys)):
        by_group.setdefault(group_of(n), {}).setdefault(k, []).append(i)
    mask = np.zeros(len(names), bool)
    for members in by_group.values():
        total = sum(len(v) for v in members.values())
        want = min(total // 4, max(min_per_group, int(round(fraction * total))))
        taken = 0
        for k in sorted(members, key=lambda k: (zlib.crc32(k.encode()), k)):
            if taken >= want:
                break
            mask[members[k]] = True
            taken += len(members[k])
    return mask
