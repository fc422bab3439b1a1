"""Server at 300 QPS for 1 s: min duration and queries met, but 300 queries are too few for
early stopping at p99 (459 needed), so the run is INVALID through early stopping alone."""

import stops

if __name__ == "__main__":
    stops.main("Server", delay_s=0.0005, server_target_qps=300, server_target_latency_ns=100_000_000)
