"""LLM-style Server harness whose TPOT (~0.5 ms) misses a 0.1 ms bound: INVALID."""

import token_server

if __name__ == "__main__":
    token_server.main(tpot_bound_ns=100_000)
