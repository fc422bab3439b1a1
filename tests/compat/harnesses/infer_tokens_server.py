"""infer_token_latencies in Server (see infer_tokens.py)."""

import infer_tokens

if __name__ == "__main__":
    infer_tokens.main("Server")
