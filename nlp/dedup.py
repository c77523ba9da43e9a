"""Near-duplicate articles: syndicated copies and light rewrites, by MinHash/LSH.

A syndicated copy (an Antara story republished by five regional sites, a press release
pasted with a new first line) shares most of its word 3-shingles with the original, so the
Jaccard similarity of the shingle sets is high while two reports of the same event written
by different reporters share few. MinHash estimates that Jaccard in a fixed-size signature
(datasketch's permutation scheme, computed in batches with numpy: 100,000 articles in
seconds) and LSH banding finds the likely pairs without comparing all pairs; every
candidate pair is then checked on its estimated Jaccard.

Duplicates form groups (connected by exact-hash, near or semantic edges); the group's
canonical article is its earliest (published, else first seen), and every member points to
it. Semantic duplicates (same content, different words) are decided by the story stage,
which has the embedding similarities, and passed in as edges.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
SHINGLE = 3
SEED = 20261128
# LSH banding: 16 bands of 4 rows. A pair lands in a shared bucket with probability
# 1 - (1 - J^4)^16: 0.98 at Jaccard 0.6, 0.65 at 0.4, 0.14 at 0.2, so copies are found and
# unrelated pairs rarely need checking; every candidate is then verified on its estimate.
BANDS, ROWS = 16, 4
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MIX = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))
# datasketch's affine permutations (h -> a*h + b mod 2^32 after a MurmurHash3 pre-mix), so a
# signature here equals datasketch's MinHash fed the same shingle hashes (tested).
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)
_A, _B = (np.asarray(x, dtype=np.uint32) for x in _TEMPLATE.permutations)
EMPTY = np.iinfo(np.uint32).max


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits), the unit shingles are made of."""
    return _WORD.findall(text.lower())


def _fmix32(h: np.ndarray) -> np.ndarray:
    # MurmurHash3's 32-bit finalizer (datasketch pre-mixes every input hash with it)
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def shingle_hashes(toks: np.ndarray, k: int = SHINGLE) -> np.ndarray:
    """32-bit hashes of the word k-shingles of one text's token hashes (k <= 3)."""
    if len(toks) < k:
        toks = np.concatenate([toks, np.zeros(k - len(toks), dtype=np.uint32)])
    n = len(toks) - k + 1
    h = np.zeros(n, dtype=np.uint32)
    for j in range(k):
        h = (h * _MIX[j]) ^ toks[j : j + n]
    return h


def minhash_rows(hashes: np.ndarray, lengths: np.ndarray, k: int = SHINGLE) -> np.ndarray:
    """Signatures (len(lengths) x NUM_PERM) of texts given as one array of token hashes
    (texts back to back, ``lengths`` tokens each): shingles, permutations and minima all
    in numpy, no Python per text. A text of fewer than k tokens is one shingle of them."""
    out = np.full((len(lengths), NUM_PERM), EMPTY, dtype=np.uint32)
    if not len(lengths) or not len(hashes):
        return out
    lengths = np.asarray(lengths, dtype=np.int64)
    # pad short texts to k tokens (zeros) so every non-empty text has a shingle
    short = (lengths > 0) & (lengths < k)
    if short.any():
        pieces, starts = [], np.r_[0, np.cumsum(lengths)[:-1]]
        for t, (st, ln) in enumerate(zip(starts, lengths, strict=True)):
            pieces.append(hashes[st : st + ln])
            if short[t]:
                pieces.append(np.zeros(k - ln, dtype=np.uint32))
        hashes = np.concatenate(pieces)
        lengths = np.where(short, k, lengths)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    n = len(hashes) - k + 1
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint32)
        for j in range(k):
            h = (h * _MIX[j]) ^ hashes[j : j + n]
        valid = owner[:n] == owner[k - 1 :]  # shingles that do not cross two texts
        h, own = h[valid], owner[:n][valid]
        phv = _fmix32(h)[:, None] * _A[None, :] + _B[None, :]
    rows = np.flatnonzero(lengths > 0)
    bounds = np.searchsorted(own, rows)
    out[rows] = np.minimum.reduceat(phv, bounds, axis=0)
    return out


def token_hash(token: str) -> int:
    """The 32-bit hash of one token (never 0, the padding value)."""
    return zlib.crc32(token.encode()) or 1


def signatures(texts: Sequence[str], chunk: int = 2000) -> np.ndarray:
    """MinHash signatures (len(texts) x NUM_PERM, uint32) of the texts' word 3-shingles.

    Tokens are hashed once per distinct word; shingles and permutations are numpy over a
    chunk of texts at once. An empty text gets the all-max signature, similar to nothing.
    """
    cache: dict[str, int] = {}
    parts = []
    for start in range(0, len(texts), chunk):
        toks = [words(t) for t in texts[start : start + chunk]]
        flat = [cache.get(w) or cache.setdefault(w, token_hash(w)) for ws in toks for w in ws]
        lengths = np.array([len(ws) for ws in toks], dtype=np.int64)
        parts.append(minhash_rows(np.array(flat, dtype=np.uint32), lengths))
    return np.concatenate(parts) if parts else np.empty((0, NUM_PERM), dtype=np.uint32)


def signature(text: str) -> np.ndarray:
    """The MinHash signature of one text (see `signatures`)."""
    return signatures([text])[0]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(np.mean(a == b))


def near_pairs(
    sigs: np.ndarray, threshold: float, query: np.ndarray | None = None, max_bucket: int = 200
) -> list[tuple[int, int, float]]:
    """Row pairs (a, b, jaccard), a < b, with estimated Jaccard >= threshold.

    LSH banding finds the candidates; ``query`` (row indices) keeps only pairs involving
    those rows (the new articles of an incremental run). Buckets larger than ``max_bucket``
    (boilerplate shared by hundreds of pages) are skipped rather than paired out.
    """
    n = len(sigs)
    if n < 2:
        return []
    wanted = np.zeros(n, dtype=bool)
    wanted[np.arange(n) if query is None else np.asarray(query, dtype=np.int64)] = True
    empty = (sigs == EMPTY).all(axis=1)
    found: set[tuple[int, int]] = set()
    for band in range(BANDS):
        cols = sigs[:, band * ROWS : (band + 1) * ROWS].astype(np.uint64)
        key = cols[:, 0]
        for c in range(1, ROWS):
            key = key * np.uint64(0x100000001B3) ^ cols[:, c]
        order = np.argsort(key, kind="stable")
        sk = key[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for st, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            if size > max_bucket:
                continue
            members = order[st : st + size]
            members = members[~empty[members]]
            for x_i, x in enumerate(members):
                for y in members[x_i + 1 :]:
                    if wanted[x] or wanted[y]:
                        found.add((int(min(x, y)), int(max(x, y))))
    if not found:
        return []
    pairs = np.array(sorted(found), dtype=np.int64)
    sims = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1)
    keep = sims >= threshold
    return [(int(a), int(b), float(s)) for (a, b), s in zip(pairs[keep], sims[keep], strict=True)]


@dataclass(frozen=True)
class Duplicate:
    """Where one article points: its canonical copy, why, and how similar they are."""

    article_id: int
    canonical_id: int
    kind: str  # 'self' | 'exact' | 'near' | 'semantic'
    similarity: float | None


def group_duplicates(
    order: dict[int, tuple],
    edges: Sequence[tuple[int, int, str, float]],
) -> dict[int, Duplicate]:
    """Canonical pointers for every article in ``order`` given duplicate edges.

    ``order`` maps article id -> sort key (earliest first: published/first seen, then id);
    an edge is (a, b, kind, similarity). Articles on no edge point to themselves. A member's
    kind and similarity are those of its strongest edge into the group ('exact' > 'near' >
    'semantic').
    """
    parent = {a: a for a in order}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    strength = {"exact": 3, "near": 2, "semantic": 1}
    best: dict[int, tuple[int, float, str]] = {}
    for a, b, kind, sim in edges:
        if a not in parent or b not in parent or a == b:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=lambda r: order[r])] = min(ra, rb, key=lambda r: order[r])
        for x in (a, b):
            cand = (strength[kind], sim, kind)
            if x not in best or cand > best[x]:
                best[x] = cand
    groups: dict[int, list[int]] = {}
    for a in order:
        groups.setdefault(find(a), []).append(a)
    out: dict[int, Duplicate] = {}
    for members in groups.values():
        canon = min(members, key=lambda m: order[m])
        for m in members:
            if m == canon:
                out[m] = Duplicate(m, m, "self", 1.0)
            else:
                _, sim, kind = best[m]
                out[m] = Duplicate(m, canon, kind, round(sim, 4))
    return out
