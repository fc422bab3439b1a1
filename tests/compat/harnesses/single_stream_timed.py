"""SingleStream harness bound by duration: 1 s of 1 ms queries, however many that is."""

import single_stream

if __name__ == "__main__":
    single_stream.main(min_duration_ms=1000, min_query_count=100)
