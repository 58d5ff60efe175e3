# Sourced by ./mvnw, ./toolformer and .ci/run: points JAVA_HOME at a JDK 21+.
# Keeps JAVA_HOME when it already names a JDK 21+, else takes the newest JDK 21+ under /usr/lib/jvm
# (or under $TOOLFORMER_JDK_ROOTS, colon-separated). Fails with one clear line when there is none.

toolformer_java_major() {
  # Prints the feature version (17, 21, 25...) of the java binary in $1, or nothing.
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

toolformer_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    toolformer_v=$(toolformer_java_major "$JAVA_HOME/bin/java")
    if [ -n "$toolformer_v" ] && [ "$toolformer_v" -ge 21 ]; then return 0; fi
  fi
  toolformer_best=""; toolformer_best_v=0
  toolformer_flags=$-; set +f   # ./mvnw runs with globbing off
  toolformer_old_ifs=$IFS; IFS=:
  for toolformer_jdk_root in ${TOOLFORMER_JDK_ROOTS:-/usr/lib/jvm:/opt/java:/usr/local/lib/jvm}; do
    IFS=$toolformer_old_ifs
    for toolformer_jdk_dir in "$toolformer_jdk_root"/*; do
      [ -x "$toolformer_jdk_dir/bin/javac" ] || continue
      toolformer_v=$(toolformer_java_major "$toolformer_jdk_dir/bin/java")
      if [ -n "$toolformer_v" ] && [ "$toolformer_v" -ge 21 ] && [ "$toolformer_v" -gt "$toolformer_best_v" ]; then toolformer_best=$toolformer_jdk_dir; toolformer_best_v=$toolformer_v; fi
    done
  done
  IFS=$toolformer_old_ifs
  case $toolformer_flags in *f*) set -f ;; esac
  if [ -z "$toolformer_best" ] && command -v javac >/dev/null 2>&1; then
    toolformer_jdk_dir=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    toolformer_v=$(toolformer_java_major "$toolformer_jdk_dir/bin/java")
    if [ -n "$toolformer_v" ] && [ "$toolformer_v" -ge 21 ]; then toolformer_best=$toolformer_jdk_dir; fi
  fi
  if [ -z "$toolformer_best" ]; then
    echo "toolformer: no JDK 21 or newer found (JAVA_HOME=${JAVA_HOME:-unset}; looked under ${TOOLFORMER_JDK_ROOTS:-/usr/lib/jvm:/opt/java:/usr/local/lib/jvm}). Install one, e.g. 'apt-get install openjdk-21-jdk', or set JAVA_HOME." >&2
    return 1
  fi
  JAVA_HOME=$toolformer_best
  export JAVA_HOME
}
