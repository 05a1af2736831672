# Sourced by the launcher and the scripts: selects a JDK 25 whatever the system default is.
# Order: $HA4J_JAVA_HOME, $JAVA_HOME if it is 25+, then /usr/lib/jvm/*25* (Temurin first).
# The version comes from the JDK's release file when it has one (no JVM start: the launcher's start-up time counts).
ha4j_java_major() {
  local v=""
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  echo "$v"
}
ha4j_select_jdk() {
  local c
  for c in "${HA4J_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    local v; v=$(ha4j_java_major "$c")
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then export JAVA_HOME="$c"; export PATH="$c/bin:$PATH"; return 0; fi
  done
  echo "error: no JDK 25 found. Install Temurin 25 under /usr/lib/jvm or set HA4J_JAVA_HOME to a JDK 25 (the system 'java' is $(java -version 2>&1 | head -1))." >&2
  return 1
}
