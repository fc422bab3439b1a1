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


def test_check_applies_the_network_division_rules(tmp_path):
    """A real run moved into a `network` division folder: its PySUT name and a system without
    is_network fail `mlpace check`; the same tree with a Network SUT name and the fields passes
    those two rules."""
    import json
    import shutil

    from mlpace import loadgen as lg
    from mlpace import workloads
    from mlpace.submission import write_run
    from mlpace.submission.checker import check_tree

    wl = workloads.get("digits")
    qsl = wl.make_qsl()

    class NetSUT:
        def __init__(self, name):
            self.name, self.inner = name, wl.make_sut(qsl)

        def issue_queries(self, ids, idx):
            self.inner.issue_queries(ids, idx)

        def flush_queries(self):
            pass

    def tree(name, root):
        values = {**wl.default_settings("SingleStream"), "min_duration_ms": 100, "min_query_count": 50}
        settings = lg.TestSettings.make(**values, mode="PerformanceOnly")
        result = lg.start_test(NetSUT(name), qsl, settings, lg.LogSettings(outdir=root / "run"), audit_config=None)
        write_run(root / "tree", wl, "SingleStream", result, None, system="box", division="open")
        shutil.move(root / "tree" / "open", root / "tree" / "network")
        return root / "tree"

    def network_findings(root):
        return {(f.check, f.passed) for f in check_tree(root) if f.check == "network"}

    bad = tree("PySUT", tmp_path / "a")
    assert network_findings(bad) == {("network", False)}
    whys = [f.why for f in check_tree(bad) if f.check == "network"]
    assert any("is_network" in w for w in whys) and any("Network SUT" in w for w in whys), whys

    good = tree("Multi-node SUT: Demo SUT (Network SUT) node A", tmp_path / "b")
    sys_json = good / "network" / "mlpace" / "systems" / "box.json"
    desc = json.loads(sys_json.read_text())
    desc.update({"is_network": "true", **FULL})
    sys_json.write_text(json.dumps(desc))
    assert network_findings(good) == {("network", True)}
