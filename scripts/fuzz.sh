#!/usr/bin/env bash
# Runs the Jazzer fuzz targets of the llm module in coverage-guided mode, one after the other, each for its
# @FuzzTest(maxDuration) (2 minutes), and prints each run's last libFuzzer status line.
# Crashing inputs are written next to the seeds (src/test/resources/.../<Class>Inputs/<method>/crash-*) and then
# replay in every plain `mvn test`. Uses the `fuzz` profile (release 23 class files in target-fuzz/, because Jazzer
# 0.24.0 cannot instrument Java 25 class files). Usage: scripts/fuzz.sh [Class#method ...]
set -u
cd "$(dirname "$0")/.."
. scripts/jdk.sh && ha4j_select_jdk || exit 1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(SafetensorsFuzzTest#container SafetensorsFuzzTest#configJson Llama2cFuzzTest#checkpoint
           Llama2cFuzzTest#tokenizer TokenizerJsonFuzzTest#tokenizerJson TokenizerJsonFuzzTest#splitPattern
           ModelLoaderFuzzTest#open
           TokenizerFuzzTest#encodeDecode TokenizerFuzzTest#decodeIds GgufFuzzTest#container GgufFuzzTest#model
           GgufFuzzTest#tokenizer)
fi
mkdir -p target-fuzz
for t in "${targets[@]}"; do
  log="target-fuzz/fuzz-${t/\#/-}.log"
  # shellcheck disable=SC2086  # HA4J_MVN_ARGS: extra Maven arguments, e.g. -Dha4j.shared=/path/to/shared
  JAZZER_FUZZ=1 mvn -B -ntp -o -Pfuzz -pl llm -am test -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false \
      ${HA4J_MVN_ARGS:-} >"$log" 2>&1
  rc=$?
  status=$(grep -E '^#[0-9]+' "$log" | tail -1)
  finding=$(grep -m1 -E 'FuzzTestFinding|== Java Exception' "$log")
  echo "$t rc=$rc ${status:-no libFuzzer output} ${finding:+FINDING: $finding}"
done
