"""Batch items on a Ray cluster: one Colorizer (one ONNX Runtime session) per actor, items streamed.

Paths must be visible to every node (a shared archive mount); outputs, sidecars and the report are
exactly those of a local run, so a batch can move between laptop and cluster and still resume.
Ray is an optional extra (`pip install tinta[ray]`).
"""
from __future__ import annotations

import os
from typing import Iterator

from .job import Item, Outcome
from ..errors import TintaError
from ..recipe import Recipe

IN_FLIGHT_PER_ACTOR = 2  # one running, one queued: actors never idle, memory stays one image each
_ENV = ("TINTA_MODELS_DIR", "TINTA_SHIPPED_MODELS")


def _ray():
    try:
        import ray
    except ImportError:
        raise TintaError("--ray needs Ray: pip install 'tinta[ray]' (or pip install ray)") from None
    return ray


def connect(address: str | None):
    """ray.init(address) unless this process is already connected; model search paths travel along."""
    ray = _ray()
    if not ray.is_initialized():
        env = {k: os.environ[k] for k in _ENV if k in os.environ}
        try:
            ray.init(address=address, runtime_env={"env_vars": env} if env else None,
                     log_to_driver=False, include_dashboard=False)
        except Exception as exc:  # noqa: BLE001 - connection errors come in many types
            raise TintaError(f"cannot connect to the Ray cluster at {address!r} ({str(exc)[:120]})") from None
    return ray


def run_ray(items: list[tuple[Item, Recipe]], address: str | None, model: str | None, provider: str | None,
            actors: int) -> Iterator[Outcome]:
    """Outcomes as they finish; at most IN_FLIGHT_PER_ACTOR items are submitted per actor at a time."""
    if not items:
        return
    ray = connect(address)

    @ray.remote
    class Renderer:
        def __init__(self, model_name, provider_name):
            from engine.colorizer import Colorizer

            self.colorizer = Colorizer(model_name, provider_name, split=False)

        def render(self, item, recipe):
            from engine.batch.job import render_item

            return render_item(self.colorizer, item, recipe)

    n = max(1, min(actors, len(items), int(ray.available_resources().get("CPU", actors)) or 1))
    pool = [Renderer.remote(model, provider) for _ in range(n)]
    pending: dict = {}
    queue = iter(items)
    free = [a for a in pool for _ in range(IN_FLIGHT_PER_ACTOR)]
    try:
        while True:
            while free:
                nxt = next(queue, None)
                if nxt is None:
                    break
                actor = free.pop()
                pending[actor.render.remote(*nxt)] = (actor, nxt[0])
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                actor, item = pending.pop(ref)
                free.append(actor)
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as exc:
                    yield Outcome(item.source, False, error=f"{item.source}: Ray worker failed ({str(exc)[:120]})")
    finally:
        for actor in pool:
            ray.kill(actor)
