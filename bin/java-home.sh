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
    v=$(toolformer_java_major "$JAVA_HOME/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then return 0; fi
  fi
  best=""; best_v=0
  toolformer_flags=$-; set +f   # ./mvnw runs with globbing off
  old_ifs=$IFS; IFS=:
  for root in ${TOOLFORMER_JDK_ROOTS:-/usr/lib/jvm:/opt/java:/usr/local/lib/jvm}; do
    IFS=$old_ifs
    for dir in "$root"/*; do
      [ -x "$dir/bin/javac" ] || continue
      v=$(toolformer_java_major "$dir/bin/java")
      if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best=$dir; best_v=$v; fi
    done
  done
  IFS=$old_ifs
  case $toolformer_flags in *f*) set -f ;; esac
  if [ -z "$best" ] && command -v javac >/dev/null 2>&1; then
    dir=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    v=$(toolformer_java_major "$dir/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then best=$dir; fi
  fi
  if [ -z "$best" ]; then
    echo "toolformer: no JDK 21 or newer found (JAVA_HOME=${JAVA_HOME:-unset}; looked under ${TOOLFORMER_JDK_ROOTS:-/usr/lib/jvm:/opt/java:/usr/local/lib/jvm}). Install one, e.g. 'apt-get install openjdk-21-jdk', or set JAVA_HOME." >&2
    return 1
  fi
  JAVA_HOME=$best
  export JAVA_HOME
}
