"""SingleStream with max_query_count=50: stops at query 50, long before 1 s."""

import stops

if __name__ == "__main__":
    stops.main("SingleStream", single_stream_expected_latency_ns=1_000_000, max_query_count=50)
