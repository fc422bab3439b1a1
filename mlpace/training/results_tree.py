"""The official results layout and the system description captured from the machine.

``<org>/results/<system>/<benchmark>/result_N.txt`` and ``<org>/systems/<system>.json``
(the layout ``result_summarizer`` and ``package_checker`` read). The system JSON holds
every field the official system-description checker requires, filled from this machine
where it can be read and "N/A" where it cannot.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlpace.errors import ConfigError

AVAILABILITY = ("Available on-premise", "Available cloud", "Research, Development, or Internal (RDI)", "Preview")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ResultsLayout:
    """Paths of one benchmark's results inside an organisation folder."""

    org_dir: Path
    system: str
    benchmark: str

    def __post_init__(self):
        for label, value in (("system", self.system), ("benchmark", self.benchmark)):
            if not _SAFE.match(value):
                raise ConfigError(f"{label} name {value!r} must be letters, digits, '.', '_' or '-'")

    @property
    def benchmark_dir(self) -> Path:
        return self.org_dir / "results" / self.system / self.benchmark

    @property
    def system_json(self) -> Path:
        return self.org_dir / "systems" / f"{self.system}.json"

    def result_path(self, index: int) -> Path:
        return self.benchmark_dir / f"result_{index}.txt"

    def prepare(self, overwrite: bool) -> None:
        """Create the folder; refuse to mix with an earlier set unless ``overwrite``."""
        existing = list(self.benchmark_dir.glob("result_*.txt")) if self.benchmark_dir.is_dir() else []
        if existing and not overwrite:
            raise ConfigError(
                f"{self.benchmark_dir} already holds {len(existing)} result files; a set must be one "
                "series of runs: pass --overwrite to replace them or choose another --out")
        if existing:
            shutil.rmtree(self.benchmark_dir)
        self.benchmark_dir.mkdir(parents=True, exist_ok=True)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "N/A"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return "N/A"


def capture_system(system_name: str, submitter: str, division: str, status: str, nodes: int = 1,
                   procs_per_node: int = 1) -> dict:
    """A system description of this machine with every field the official checker requires."""
    if status not in AVAILABILITY:
        raise ConfigError(f"system status {status!r} must be one of: {', '.join(AVAILABILITY)}")
    import torch

    cores = os.cpu_count() or 1
    return {
        "submitter": submitter,
        "division": division,
        "status": status,
        "system_name": system_name,
        "number_of_nodes": str(nodes),
        "host_processors_per_node": "1",
        "host_processor_model_name": _cpu_model(),
        "host_processor_core_count": str(cores),
        "host_processor_vcpu_count": str(cores),
        "host_processor_frequency": "N/A",
        "host_processor_caches": "N/A",
        "host_processor_interconnect": "N/A",
        "host_memory_capacity": _memory_gib(),
        "host_storage_type": "N/A",
        "host_storage_capacity": "N/A",
        "host_networking": "N/A",
        "host_networking_topology": "N/A",
        "host_memory_configuration": "N/A",
        "accelerators_per_node": "0",
        "accelerator_model_name": "N/A",
        "accelerator_host_interconnect": "N/A",
        "accelerator_frequency": "N/A",
        "accelerator_on-chip_memories": "N/A",
        "accelerator_memory_configuration": "N/A",
        "accelerator_memory_capacity": "N/A",
        "accelerator_interconnect": "N/A",
        "accelerator_interconnect_topology": "N/A",
        "cooling": "N/A",
        "hw_notes": f"{procs_per_node} training process(es) per node, CPU only",
        "framework": f"PyTorch {torch.__version__}",
        "other_software_stack": f"Python {platform.python_version()}, mlpace",
        "operating_system": f"{platform.system()} {platform.release()}",
        "sw_notes": "",
    }


def write_system_json(layout: ResultsLayout, desc: dict) -> Path:
    layout.system_json.parent.mkdir(parents=True, exist_ok=True)
    layout.system_json.write_text(json.dumps(desc, indent=2) + "\n")
    return layout.system_json
