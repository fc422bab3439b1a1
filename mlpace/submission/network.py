"""Network division rules that a results tree's files must show (LoadGen over the Network).

The official submission checker's network checks, read from the system description and
the performance detail log: the system's ``is_network`` (a string) is ``"true"`` in the
network division and false or absent in the closed one; a system that declares
``is_network`` lists the networking fields; in the network division the ``sut_name`` the
LoadGen logged contains ``Network SUT`` (the name must come from a round trip to the SUT
nodes, see ``mlpace.compat.ConstructQDL``).
"""

from __future__ import annotations

NETWORK_DIVISION = "network"
NAME_SUBSTRING = "Network SUT"
NETWORK_FIELDS = (
    "network_type", "network_media", "network_rate", "nic_loadgen", "number_nic_loadgen",
    "net_software_stack_loadgen", "network_protocol", "number_connections", "nic_sut",
    "number_nic_sut", "net_software_stack_sut", "network_topology",
)


def system_problems(division: str, system: dict) -> list[str]:
    """What the system description gets wrong for ``division`` (empty: nothing)."""
    problems: list[str] = []
    value = system.get("is_network")
    if value is not None and not isinstance(value, str):
        problems.append(f"is_network must be a string (\"true\"/\"false\"), got {type(value).__name__} {value!r}")
        value = str(value)
    is_network = (value or "").strip().lower() == "true"
    if division == NETWORK_DIVISION and not is_network:
        problems.append(f"incorrect network mode (is_network={value!r}) for division {division}: must be \"true\"")
    if division == "closed" and is_network:
        problems.append(f"incorrect network mode (is_network={value!r}) for division {division}: must be false or absent")
    if value:  # the official checker asks for these whenever is_network is set at all
        missing = [f for f in NETWORK_FIELDS if not str(system.get(f, "")).strip()]
        if missing:
            problems.append("is_network is set: missing network fields " + ", ".join(missing))
    return problems


def sut_name_problem(division: str, sut_name: str | None) -> str | None:
    """In the network division the logged SUT name must contain "Network SUT"."""
    if division != NETWORK_DIVISION:
        return None
    if NAME_SUBSTRING not in (sut_name or ""):
        return f"invalid sut name for network mode: expecting the substring {NAME_SUBSTRING!r}, got {sut_name!r}"
    return None
