"""Server at 200 QPS with max_query_count=50: stops at query 50."""

import stops

if __name__ == "__main__":
    stops.main("Server", server_target_qps=200, server_target_latency_ns=100_000_000, max_query_count=50)
