"""Server at 1000 QPS, 50 ms per answer, server_max_async_queries=3: stops at the 4th query."""

import stops

if __name__ == "__main__":
    stops.main("Server", delay_s=0.05, server_target_qps=1000, server_target_latency_ns=100_000_000, server_max_async_queries=3)
