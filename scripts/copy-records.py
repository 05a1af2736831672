#!/usr/bin/env python3
"""Writes copy records: synthetic lines whose second half can only be predicted by copying from the first.

    scripts/copy-records.py OUT BYTES SEED BOOK...     (random words)
    scripts/copy-records.py OUT BYTES SEED --letters   (random letters)

Each line is 3-14 words drawn uniformly from the books' 6,000 most common words, a full stop, 0-12 other random
words, and then the same 3-14 words again. The first words of a line are unpredictable and the repeat is exactly
predictable, but only by finding where the current words occurred earlier in the line and reading what followed
them ("induction"); since the lengths vary, no fixed offset finds the copy. With --letters a line is instead 8-30
distinct random letters of A-Z and a-z, '|' and the same letters: every letter of the repeat is predictable only by
copying, the purest form of the task for a byte-level model. train-long-context-model trains on such
lines first, because a small model on book text alone did not learn that mechanism within this project's budget
(docs/notebook/2026-12-08-long-context-model.md). The output is a pure function of the arguments and the books.
"""
import collections
import random
import re
import sys


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: copy-records.py OUT BYTES SEED (BOOK... | --letters)")
    out, size, seed, books = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    rng = random.Random(seed)
    if books == ["--letters"]:
        alphabet = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + [chr(c) for c in range(ord("a"), ord("z") + 1)]

        def letters():
            first = "".join(rng.sample(alphabet, rng.randint(8, 30)))
            return f"{first}|{first}\n"

        write(out, size, letters)
        return
    counts = collections.Counter()
    for book in books:
        with open(book, encoding="utf-8") as f:
            counts.update(re.findall(r"[A-Za-z']+", f.read()))
    words = [w for w, _ in counts.most_common(6000)]

    def record():
        first = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
        gap = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        first = first[0].upper() + first[1:]
        return f"{first}. {gap + ('. ' if gap else '')}{first}.\n"

    write(out, size, record)


def write(out, size, line):
    """Writes lines from line() until the file holds at least size characters."""
    lines, written = [], 0
    while written < size:
        lines.append(line())
        written += len(lines[-1])
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(lines))


if __name__ == "__main__":
    main()
