"""SingleStream with max_duration_ms=300: stops at the first query issued after 300 ms."""

import stops

if __name__ == "__main__":
    stops.main("SingleStream", single_stream_expected_latency_ns=1_000_000, max_duration_ms=300)
