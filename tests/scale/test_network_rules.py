"""Network division rules on system descriptions and logged SUT names."""

from mlpace.submission.network import NETWORK_FIELDS, sut_name_problem, system_problems

FULL = {f: "x" for f in NETWORK_FIELDS}


def test_network_division_needs_is_network_true_and_the_fields():
    assert system_problems("network", {"is_network": "True", **FULL}) == []
    assert any("must be \"true\"" in p for p in system_problems("network", {**FULL}))
    assert any("must be \"true\"" in p for p in system_problems("network", {"is_network": "false", **FULL}))
    missing = system_problems("network", {"is_network": "true", **{**FULL, "nic_sut": ""}})
    assert missing == ["is_network is set: missing network fields nic_sut"]


def test_closed_division_refuses_a_network_system_and_open_is_free():
    assert system_problems("closed", {}) == []
    assert any("must be false or absent" in p for p in system_problems("closed", {"is_network": "true", **FULL}))
    assert system_problems("open", {"is_network": "true", **FULL}) == []
    # a JSON boolean would crash the official checker: say so instead
    assert any("must be a string" in p for p in system_problems("open", {"is_network": True, **FULL}))
    # the official asks for the fields whenever the key is set, even to "false"
    assert system_problems("closed", {"is_network": "false"})[0].startswith("is_network is set: missing")


def test_network_sut_name_rule():
    assert sut_name_problem("network", "Multi-node SUT: Demo SUT (Network SUT) node A") is None
    assert "Network SUT" in sut_name_problem("network", "PySUT")
    assert "Network SUT" in sut_name_problem("network", "")
    assert sut_name_problem("closed", "PySUT") is None
