"""Server at 200 QPS with max_duration_ms=300: stops at the first arrival after 300 ms."""

import stops

if __name__ == "__main__":
    stops.main("Server", server_target_qps=200, server_target_latency_ns=100_000_000, max_duration_ms=300)
