"""The ``textgen`` language model: byte tokenizer, GRU weights, numpy decoding step, training.

* Tokenizer: byte level, no download. Ids 0 = PAD, 1 = BOS, 2 = EOS (MLPerf's TEST06
  default EOS id), byte ``b`` = ``b + 3``; vocabulary 259. ``decode`` skips special ids
  and replaces invalid UTF-8.
* Model: token embedding + position-in-line embedding (32) -> one GRU layer (128) ->
  linear to the vocabulary, trained with torch from a fixed seed on the training lines
  (each ``BOS line EOS``): 200 Adam steps of 64 x 64 tokens, on one CPU thread (about
  20 s of CPU time). Weights are stored as ``.npz`` in the model cache.
* Inference runs in numpy, float64 (so the result of a row does not depend on how many
  rows share the batch: greedy outputs are the same served alone or batched). The
  embedding and input projection fold into one table lookup; ``GRU.step`` advances a
  batch of sequences by one token each.
"""

from __future__ import annotations

import io

import numpy as np

from mlpace.errors import ConfigError

PAD, BOS, EOS = 0, 1, 2
OFFSET = 3
VOCAB = 256 + OFFSET

EMBED, HIDDEN = 32, 128
MAX_POS = 128  # position within the line (BOS = 0); later positions share the last entry
TRAIN_STEPS, TRAIN_BATCH, TRAIN_SEQ = 200, 64, 64


def encode(text: str) -> np.ndarray:
    """Token ids (int32) of ``text``'s UTF-8 bytes, no BOS/EOS."""
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32) + OFFSET


def decode(ids) -> str:
    """Text of token ids; special ids (PAD, BOS, EOS) are skipped."""
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    arr = arr[(arr >= OFFSET) & (arr < VOCAB)]
    return (arr - OFFSET).astype(np.uint8).tobytes().decode("utf-8", errors="replace")


class GRU:
    """Numpy inference of the trained model (weights in torch's GRU layout, gates r, z, n)."""

    def __init__(self, weights: dict[str, np.ndarray]):
        w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
        self.hidden = w["w_hh"].shape[1]
        # embeddings and input projection folded into (vocab, 3H) and (positions, 3H) tables
        self.in_table = w["embed"] @ w["w_ih"].T + w["b_ih"]
        self.pos_table = w["pos"] @ w["w_ih"].T
        self.w_hh_t = np.ascontiguousarray(w["w_hh"].T)
        self.b_hh = w["b_hh"]
        self.w_out_t = np.ascontiguousarray(w["w_out"].T)
        self.b_out = w["b_out"]

    @classmethod
    def load(cls, path) -> "GRU":
        with np.load(path) as npz:
            return cls({k: npz[k] for k in npz.files})

    def zero_state(self, n: int) -> np.ndarray:
        return np.zeros((n, self.hidden), dtype=np.float64)

    def step(self, tokens: np.ndarray, pos: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feed one token per row at its position in the line (BOS = 0); return
        ``(logits (n, vocab), new state (n, H))``."""
        H = self.hidden
        gi = self.in_table[tokens] + self.pos_table[np.minimum(pos, MAX_POS - 1)]
        gh = h @ self.w_hh_t + self.b_hh
        r = 1.0 / (1.0 + np.exp(-(gi[:, :H] + gh[:, :H])))
        z = 1.0 / (1.0 + np.exp(-(gi[:, H : 2 * H] + gh[:, H : 2 * H])))
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        h = (1.0 - z) * n + z * h
        return h @ self.w_out_t + self.b_out, h


def _token_stream(lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Tokens of ``BOS line EOS ...`` and each token's position in its line."""
    toks, pos = [], []
    for line in lines:
        ids = np.concatenate([[BOS], encode(line), [EOS]]).astype(np.int64)
        toks.append(ids)
        pos.append(np.minimum(np.arange(len(ids)), MAX_POS - 1))
    return np.concatenate(toks), np.concatenate(pos)


def train(lines: list[str], seed: int, steps: int = TRAIN_STEPS) -> bytes:
    """Train the GRU on ``lines`` from ``seed``; return the ``.npz`` file's bytes."""
    try:
        import torch
    except ModuleNotFoundError:
        raise ConfigError(
            "training the textgen model needs torch (pip install 'mlpace[training]'); "
            "inference runs without it once the model is cached"
        ) from None
    stream, positions = (torch.from_numpy(a) for a in _token_stream(lines))
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same float sums, so the same model, on every run
    try:
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        emb = torch.nn.Embedding(VOCAB, EMBED)
        pos_emb = torch.nn.Embedding(MAX_POS, EMBED)
        gru = torch.nn.GRU(EMBED, HIDDEN, batch_first=True)
        out = torch.nn.Linear(HIDDEN, VOCAB)
        params = [*emb.parameters(), *pos_emb.parameters(), *gru.parameters(), *out.parameters()]
        opt = torch.optim.Adam(params, lr=1e-2)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=1e-3)
        offsets = torch.arange(TRAIN_SEQ + 1)
        for _ in range(steps):
            starts = torch.randint(0, len(stream) - TRAIN_SEQ - 1, (TRAIN_BATCH, 1), generator=gen)
            x = stream[starts + offsets]
            p = positions[starts + offsets]
            h, _ = gru(emb(x[:, :-1]) + pos_emb(p[:, :-1]))
            loss = torch.nn.functional.cross_entropy(out(h).reshape(-1, VOCAB), x[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
    finally:
        torch.set_num_threads(old_threads)
    weights = {
        "embed": emb.weight,
        "pos": pos_emb.weight,
        "w_ih": gru.weight_ih_l0,
        "w_hh": gru.weight_hh_l0,
        "b_ih": gru.bias_ih_l0,
        "b_hh": gru.bias_hh_l0,
        "w_out": out.weight,
        "b_out": out.bias,
    }
    buf = io.BytesIO()
    arrays = {k: v.detach().numpy().astype(np.float32) for k, v in weights.items()}  # type: ignore[operator]
    arrays["final_loss"] = np.float32(loss.item())
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()
