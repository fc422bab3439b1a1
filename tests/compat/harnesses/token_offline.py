"""LLM-style harness in Offline: one query, samples over four workers, 8 tokens each."""

import token_server

if __name__ == "__main__":
    token_server.main("Offline")
