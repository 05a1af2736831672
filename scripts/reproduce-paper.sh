#!/usr/bin/env bash
# Reproduces the committed report docs/results/RESULTS.md: the paper's experiments on the shared models and texts.
#   scripts/reproduce-paper.sh [OUT_DIR]        (default docs/results; about 30-60 minutes on 2 cores)
# Every step resumes where it stopped when run again; pass --restart through HA4J_EXTRA to start over.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/docs/results}"
ha4j="${HA4J:-$root/ha4j}"
shared="${HA4J_SHARED:-$root/../shared}"
extra=(${HA4J_EXTRA:-})
m656="$shared/models/tinystories-656k"
m260="$shared/models/stories260K/stories260K.bin"
book="$shared/texts/war_and_peace.txt"
stories="$shared/texts/tinystories_sample.txt"

# HyperAttention's error vs b, m, r on Q/K/V captured from both models (first and last layer) over War and Peace
"$ha4j" experiment fidelity --out "$out" --model "$m656,$m260" --text "$book" --layers 0,-1 -n 4096 "${extra[@]}"
# perplexity and speedup vs patched layers at the trained context (512), in domain and on the book
"$ha4j" experiment patched-layers --out "$out" --model "$m260" --text "$stories" --ctx 512 --check 16 "${extra[@]}"
"$ha4j" experiment patched-layers --out "$out" --model "$m260" --text "$book" --ctx 512 --tokens 32768 --check 16 "${extra[@]}"
# ... and at long contexts, where only the change against exact attention at the same length is meaningful
"$ha4j" experiment patched-layers --out "$out" --model "$m656" --text "$book" --ctx 512,4096,8192,16384,32768 \
    --tokens 32768 --check 16 "${extra[@]}"
# ... and on the project's own long-context model (bytes; trained on 4096-token windows, YaRN to 16384) on a held-out book
"$ha4j" experiment patched-layers --out "$out" --model "$root/models/books-3m" --text "$shared/texts/babbitt.txt" \
    --ctx 4096,8192,16384 --tokens 65536 --check 16 "${extra[@]}"
# the single-layer speed figure (exact times above 65536 extrapolated as n^2)
"$ha4j" experiment single-layer --out "$out" --sizes 4096,8192,16384,32768,65536,131072 --exact-max-n 65536 \
    --check 64 "${extra[@]}"
"$ha4j" report --out "$out"
