"""Protocol framing and parsing (pure functions)."""

import pytest

from mlpace.tiny import protocol as p


def test_encode_command_uses_percent_terminator_and_no_newline():
    assert p.encode_command("infer 20 5") == b"infer 20 5%"
    with pytest.raises(ValueError):
        p.encode_command("db%")


def test_db_chunks_official_sizes():
    data = bytes(range(100))
    direct = p.db_chunks(data, p.DB_CHUNK_DIRECT)
    via_io = p.db_chunks(data, p.DB_CHUNK_IO_MANAGER)
    assert [len(c) for c in direct] == [3 + 62] * 3 + [3 + 14]
    assert len(via_io) == 4 and len(via_io[0]) == 3 + 52
    assert bytes.fromhex("".join(c[3:] for c in direct)) == data
    assert all(len(c) <= p.MAX_COMMAND_CHARS for c in direct)


def test_format_results_three_decimals_by_hand():
    assert p.format_results([0.0, 0.9964, 1, -0.25, -0.0001]) == "m-results-[0.000,0.996,1.000,-0.250,0.000]"
    assert p.parse_results("m-results-[0.000,0.996,1.000]") == [0.0, 0.996, 1.0]
    assert p.parse_results("m-results-[0.0,x]") is None
    assert p.parse_results("m-resul") is None


def test_line_parsers():
    assert p.parse_lap_us("m-lap-us-384124409") == 384124409
    assert p.parse_lap_us("m-lap-us-") is None
    assert p.parse_name("m-name-dut-[STMicroelectronics]") == ("dut", "STMicroelectronics")
    assert p.parse_timestamp_mode("m-timestamp-mode-energy") == "energy"
    assert p.parse_error("e-[Unknown command: foo]") == "Unknown command: foo"
    assert p.parse_expecting("m-[Expecting 3072 bytes]") == 3072
    assert not p.is_protocol_line("garbage m-ready")
    assert p.is_protocol_line("m-ready")


OK_REPLY = ["m-warmup-start-5", "m-warmup-done", "m-infer-start-20", "m-lap-us-100", "m-lap-us-5000100",
            "m-infer-done", "m-results-[0.100,0.900]"]


def test_parse_infer_reply_extracts_laps_and_results():
    r = p.parse_infer_reply(OK_REPLY, 20, 5, p.MODE_PERFORMANCE)
    assert (r.lap_a_us, r.lap_b_us, r.elapsed_us, r.results) == (100, 5000100, 5000000, [0.1, 0.9])


def test_parse_infer_reply_energy_mode_has_no_laps():
    lines = [ln for ln in OK_REPLY if not ln.startswith("m-lap-us-")]
    r = p.parse_infer_reply(lines, 20, 5, p.MODE_ENERGY)
    assert r.elapsed_us is None and r.results == [0.1, 0.9]


@pytest.mark.parametrize("broken, message", [
    (OK_REPLY[1:], "m-warmup-start-5"),
    ([ln for ln in OK_REPLY if ln != "m-lap-us-100"], "2 m-lap-us- lines"),
    (OK_REPLY[:-1], "m-results"),
    (OK_REPLY[:3] + ["m-lap-us-9", "m-lap-us-4294967296"] + OK_REPLY[5:], "32-bit"),
])
def test_parse_infer_reply_rejects_malformed(broken, message):
    with pytest.raises(ValueError, match=message):
        p.parse_infer_reply(broken, 20, 5, p.MODE_PERFORMANCE)


def test_counter_wrap_inside_a_window_is_measured_modulo_2_32():
    """th_timestamp prints a 32-bit us counter: 4294967000 -> 1000 is 1296 us, not negative."""
    lines = OK_REPLY[:3] + ["m-lap-us-4294967000", "m-lap-us-1000"] + OK_REPLY[5:]
    r = p.parse_infer_reply(lines, 20, 5, p.MODE_PERFORMANCE)
    assert r.elapsed_us == 1296 and r.wrapped
    assert p.lap_elapsed_us(100, 5000100) == 5000000
