"""Helpers for tests and benchmarks that need a model without downloading one."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

# Headless Debian chromium as root, offline: no sandbox, no background connections
# (this machine refuses them) and no first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def example_texts() -> list[str]:
    """The texts of the example articles shipped with unspin (written for the project)."""
    examples = resources.files("unspin") / "examples"
    lines = (examples / "originals.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines] + [
        (examples / "spun.txt").read_text(encoding="utf-8")
    ]


def build_tiny_lm(path: Path, *, layers: int = 2, hidden: int = 32, seed: int = 0) -> Path:
    """Save a randomly initialised Llama with a byte-level BPE tokeniser trained on the
    example articles to ``path``: every stage of the check runs on it in milliseconds.
    It knows no English, so it serves plumbing tests and load tests, never quality."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        example_texts(), vocab_size=400, special_tokens=["<s>", "</s>", "<pad>"]
    )
    tok = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
    )
    path.mkdir(parents=True, exist_ok=True)
    LlamaForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path
