"""Where a training step's time goes: making the batch, forward and losses, backward, optimizer, over a few steps.

`python -m trainer.train --profile_steps 20 ...` times steps 10..29 (after cuDNN has picked its kernels), waiting
for the device at each phase boundary so that each phase is charged its own kernels, and writes OUT/profile.json
(ms per step by phase); then it records steps 30..49 with torch.profiler (whose own overhead would distort the
timings) and writes OUT/profile.txt, the busiest operators. Outside those steps it never waits for the device.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch

PHASES = ("data", "forward", "backward", "optimizer")
START = 10  # the first steps pay for cuDNN's kernel search and lazy allocations


class StepProfiler:
    """Phase timings for steps [START, START + steps) of this run, then torch.profiler over as many more;
    `start_step` begins a step, `mark(phase)` ends a phase."""

    def __init__(self, steps: int, device: torch.device, out: Path, first_step: int = 0, log=None):
        self.begin = max(first_step, START) if steps > 0 else -1
        self.end = self.begin + steps            # end of the timed steps
        self.prof_end = self.end + steps         # end of the profiled steps
        self.device, self.out, self.log = device, Path(out), log
        self.ms = {p: 0.0 for p in PHASES}
        self.done = 0
        self._t = 0.0
        self._prof = None
        self.step = -1

    def active(self) -> bool:
        return self.begin <= self.step < self.end

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def start_step(self, step: int, fetch_started: float) -> None:
        """Called with a batch in hand; `fetch_started` is when asking for it began (its making is 'data')."""
        self.step = step
        if step == self.end:
            self._write_timings()
            self._prof = _start_profiler(self.device)
        if self.active():
            self._sync()
            self.ms["data"] += (time.perf_counter() - fetch_started) * 1000
            self._t = time.perf_counter()

    def mark(self, phase: str) -> None:
        if self.active():
            self._sync()
            now = time.perf_counter()
            self.ms[phase] += (now - self._t) * 1000
            self._t = now
            if phase == PHASES[-1]:
                self.done += 1
        elif phase == PHASES[-1] and self.step == self.prof_end - 1 and self._prof is not None:
            self._write_table()

    def summary(self) -> dict:
        n = max(1, self.done)
        per = {p: round(v / n, 2) for p, v in self.ms.items()}
        return {"steps": self.done, "ms_per_step": per, "total_ms_per_step": round(sum(per.values()), 2)}

    def _write_timings(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "profile.json").write_text(json.dumps(self.summary(), indent=1))
        if self.log:
            self.log(f"step profile: {self.summary()}")

    def _write_table(self) -> None:
        prof, self._prof = self._prof, None
        try:
            prof.__exit__(None, None, None)
            key = "self_cuda_time_total" if self.device.type == "cuda" else "self_cpu_time_total"
            table = prof.key_averages().table(sort_by=key, row_limit=30)
        except Exception as e:  # a profiler that fails must not end the run it measures
            table = f"torch.profiler failed: {e!r}"
        (self.out / "profile.txt").write_text(table)


def _start_profiler(device: torch.device):
    acts = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        acts.append(torch.profiler.ProfilerActivity.CUDA)
    try:
        prof = torch.profiler.profile(activities=acts)
        prof.__enter__()
        return prof
    except Exception:  # measured timings still stand without the table
        return None
