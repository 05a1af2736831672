package dev.hyperattention4j.cli.experiment;

/** The fixed prose of RESULTS.md: how to read each section, and what this machine cannot reproduce. */
final class ReportText {
    private ReportText() {}

    static final String PATCHED_LAYERS = """
            The paper's figure: the last L layers of the model use HyperAttention (causal prefill), the others \
            exact attention, and perplexity is measured on the same token windows for every L (llama.cpp's \
            protocol: non-overlapping windows of `ctx` tokens, BOS first, second half scored; perplexity = \
            e^CE, `pplBase2` in the JSON is the 2^CE the authors' script prints). **Δppl** and **ΔCE** are paired \
            against L = 0 on the same windows (± standard error over windows). **attn speedup** is the time spent \
            in all attention calls at L = 0 divided by that at L; **e2e speedup** the same for the whole \
            perplexity run (projections, MLP and output head included); **attn share** is attention's share of \
            the run. **check err** is `--check k`: k random rows of every HyperAttention call recomputed exactly, \
            their error ‖Ô−O‖/‖O‖ over those rows and the same error on the scale of V's rows (/‖V‖). b/m/r/n0 are block size, samples, projections and \
            minSeqLen (exact at or below n0). The shared models were trained on 512-token windows: at longer \
            contexts their absolute perplexity means nothing and only the change against exact attention at the \
            same length is reported as meaningful. The project's own books-3m (models/books-3m, byte-level) was \
            trained on 4096-token windows and extended to 16384 with YaRN: its perplexities are per byte and \
            meaningful up to 16384.

            """;

    static final String SINGLE_LAYER = """
            The paper's single-layer figure: one attention call, exact tiled kernel (the project's fastest, \
            skipping masked causal tiles) against HyperAttention, same inputs (Q, K, V ~ N(0,1) unless stated), \
            same threads, median of the repetitions. Forward+backward rows time a training step's attention \
            (forward saving the log-sum-exp, then the gradients). **err/‖O‖** is HyperAttention's forward error \
            ‖Ô−O‖/‖O‖; on N(0,1) inputs attention is nearly uniform and this error is large by construction \
            (docs/DESIGN.md §4: about √(n/m)), which says nothing about real inputs: see the fidelity section. \
            **err/‖V‖** is the same error on the scale of V's rows (root-mean-square row error over \
            root-mean-square row norm of V).

            """;

    static final String FIDELITY = """
            Relative error ‖Ô−O‖/‖O‖ of HyperAttention against exact attention (**err/‖O‖**), varying one of b \
            (block size), m (sampled keys) and r (LSH projections) around the base setting, mean ± standard \
            deviation over seeds (each seed draws new projections and samples); **err/‖V‖** is the mean of the same \
            error on the scale of V's rows (root-mean-square row error over root-mean-square row norm of V), which \
            stays readable where attention is nearly uniform and ‖O‖ nearly vanishes. Model sources are the post-RoPE Q, K, V of one \
            layer of a real model reading real text (`LayerCapture`), all heads; synthetic sources use the \
            `clustered`/`random` inputs of docs/DESIGN.md §4. mean |ΔL| is the error of the row log-normalisers. \
            Causal problems at or below minSeqLen, and the diagonal leaves of the causal recursion, are exact.             **mass on key 0** is the mean exact attention weight on the first key (BOS for model inputs): large             language models often park much of their attention there (an "attention sink"), a single key that             the sorted LSH blocks rarely hold and uniform sampling rarely draws, so a high value would predict a             large log-normaliser error. Non-causal rows apply a causally trained model's Q and K to all keys,             future ones included: they measure the approximation, not the model.

            """;

    static final String NOT_REPRODUCED = """
            ## What could not be reproduced here, and what stands in for it

            - **ChatGLM2-6B-32k and phi-1.5** (the paper's models) cannot be obtained offline on this machine. \
            The stand-ins are the two real, trained Llama-family models shipped with the project \
            (`tinystories-656k`: 2 layers, head dim 16; `stories260K`: 5 layers, head dim 8). They are tiny and \
            were trained on 512-token windows, so (a) their absolute perplexity beyond 512 tokens is meaningless \
            and only the change against exact attention at the same length is reported there; (b) with 2-5 \
            layers the "patched layers" axis is short; (c) with head dims of 8-16, attention is a small share of \
            the work and the exact kernels are cheap per key, so HyperAttention's constant costs (hashing, \
            sorting, gathering) weigh more than at head dim 64-128. The loaders are general (safetensors, GGUF, \
            llama2.c): `ha4j experiment patched-layers --model <your model> --text <your text> --ctx 32768` \
            runs the paper's setting on a real long-context model where one is available.
            - **LongBench** cannot be downloaded here. Its NarrativeQA documents are Gutenberg books; the stand-in \
            is perplexity on a Gutenberg book (`war_and_peace.txt`) at 4k-32k tokens, which measures the \
            language-modelling damage but not task accuracy.
            - **A100 GPU and FlashAttention.** The paper's speedups are GPU numbers against FlashAttention(-2). \
            Here both sides are the project's CPU kernels (exact tiled vs HyperAttention, 2 cores, AVX-512), \
            so the ratios are this implementation's, not the paper's; the crossover length and the size of the \
            gain differ.
            - **Scale of the single-layer figure.** The paper uses 12-32 heads and batch sizes that a 2-core CPU \
            cannot run at n = 131072 in reasonable time; the runs here use fewer heads (stated in the settings), \
            and the longest exact points may be extrapolated (marked `*`).
            """;
}
