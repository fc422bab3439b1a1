"""LLM-style harness in SingleStream: one sample at a time, 2 ms to the first token, 8 tokens."""

import token_server

if __name__ == "__main__":
    token_server.main("SingleStream")
