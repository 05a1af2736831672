/**
 * HyperAttention (Han et al., arXiv 2310.05869), forward and backward; docs/DESIGN.md §2 describes the algorithm
 * and maps the paper's four algorithms to these classes.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link dev.hyperattention4j.attention.hyper.HyperConfig}: b, m, r, minSeqLen, seed, layer, compatibility.</li>
 *   <li>{@link dev.hyperattention4j.attention.hyper.SortLsh}: Gaussian hyperplanes shared by Q and K, sign-bit
 *       buckets, inverse-Gray-code ranks, stable counting sort.</li>
 *   <li>{@code HyperSchedule}: every discrete choice of one call (sort keys, causal levels, per pass its call-heads,
 *       blocks and sample draw), planned once; the forward executes it and the backward replays it.</li>
 *   <li>{@code HyperForward}: executes a schedule in the paper's steps: sortLSH order, block-diagonal part and
 *       sampled residual through the exact {@code FlashKernel}, {@code LogSumExpMerge}, causal merge, rows written
 *       back in original order. Permuted rows are read through the permutation arrays by the kernel's pack step; no
 *       permuted copy of Q, K or V is made, and nothing O(n²) exists.</li>
 *   <li>{@code CausalRecursion}: paper Algorithm 4, level by level (the level table and the exact leaves).</li>
 *   <li>{@code HyperBackward}: the gradient of the estimator with the forward's schedule held fixed.</li>
 *   <li>{@link dev.hyperattention4j.attention.hyper.SampleSource}: seeded or replayed sample draws.</li>
 *   <li>{@link dev.hyperattention4j.attention.hyper.HyperAttention}: the {@code Attention} implementation.</li>
 * </ul>
 *
 * <h2>Random draws and their order</h2>
 * The only random quantities are W and the sampled key indices.
 * <ol>
 *   <li><b>W</b> (d×r) of layer ℓ: {@code java.util.Random(SplitMix64.mix(seed + 31·ℓ)).nextGaussian()}, row-major
 *       (W[0][0], W[0][1], …, W[1][0], …), once per instance and head dim; shared by Q, K, all heads, batch entries
 *       and recursion levels. It can be injected instead ({@code new HyperAttention(config, pool, float[d][r])}).</li>
 *   <li><b>Samples</b>: every call that reaches the residual part (m &gt; 0, nq &gt; bq, nk &gt; b, and nq &gt;=
 *       minSeqLen) takes one draw {@code [B][H_call][m]}, consumed batch, call-head, sample; values are positions in
 *       the <em>sorted</em> key order of that call-head, uniform in [0, n_k), with replacement. A non-causal forward
 *       is one call (H_call = Hq). A causal forward of length n runs its levels deepest first (post-order): level ℓ
 *       has H_call = 2^ℓ·Hq, call-head j is query head j &gt;&gt; ℓ, segment j &amp; (2^ℓ − 1); a level whose
 *       lower-left blocks are shorter than minSeqLen is exact and draws nothing. For n = 32768 and minSeqLen 4096:
 *       {@code [B][4H][m]}, {@code [B][2H][m]}, {@code [B][H][m]}.</li>
 *   <li><b>Seeding</b>: forward call c of an instance (counted from 0 over every {@code forward(problem)}) draws from
 *       {@code SampleSource.seeded(seed, layer, c)}: SplitMix64 started at
 *       {@code mix(mix(seed ^ 0x9E3779B97F4A7C15·(ℓ+1)) + c)}; an index in [0, n) is Lemire's multiply-shift with
 *       rejection on the high 32 bits of each output. All draws of a call happen on the calling thread before any
 *       parallel work, so the result does not depend on the thread count.</li>
 *   <li><b>Replay</b>: {@code forward(problem, SampleSource.replay(draws), profile)} consumes recorded draws in the
 *       order above and fails on a missing, misshapen or left-over draw; {@code HyperAttention.SortKeys} can also
 *       inject the per-row sort keys. With {@code HyperConfig.Compat.REFERENCE_VECTORS} the authors' code is
 *       reproduced within float32 rounding (see {@code ReferenceReplayTest}).</li>
 * </ol>
 */
package dev.hyperattention4j.attention.hyper;
