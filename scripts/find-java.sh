#!/usr/bin/env bash
# Sourced by ./berth and ./run-tests: picks a JDK 21 or newer, exports JAVA_HOME and puts its bin first on PATH.
# Order: $JAVA_HOME (if it is 21+), then the newest JDK under /usr/lib/jvm ($BERTH_JVM_DIR), then `java` on PATH.
# Also checks that Maven is installed, unless the caller set BERTH_MAVEN_OPTIONAL=1 before sourcing.
# Running `java -version` costs ~150 ms a binary, so its answer is remembered in target/java-versions (one line per
# java binary, keyed by its path, inode, size and modification time: a JDK replaced or upgraded in place is asked
# again). Deleting the file, or `mvn clean`, forgets them all; BERTH_JAVA_CACHE names another file.
set -euo pipefail

BERTH_MIN_JAVA=21
BERTH_JVM_DIR=${BERTH_JVM_DIR:-/usr/lib/jvm}
if [ -z "${BERTH_JAVA_CACHE:-}" ]; then
    case "${BASH_SOURCE[0]}" in
        */*) BERTH_JAVA_CACHE="${BASH_SOURCE[0]%/*}/../target/java-versions" ;;
        *) BERTH_JAVA_CACHE="../target/java-versions" ;;
    esac
fi

# The feature release of a java binary (8 for "1.8.0_402", 21 for "21.0.2"), or nothing if it does not run.
berth_java_major() {
    local java=$1 id cached_major cached_id out version
    # what identifies the binary (symbolic links followed): "<inode> <size> <mtime> <path>"
    if id=$(stat -L -c '%i %s %Y' -- "$java" 2>/dev/null); then
        id="$id $java"
        if [ -f "$BERTH_JAVA_CACHE" ]; then
            while IFS=' ' read -r cached_major cached_id; do
                if [ "$cached_id" = "$id" ] && [[ "$cached_major" =~ ^[0-9]+$ ]]; then
                    printf '%s\n' "$cached_major"
                    return 0
                fi
            done <"$BERTH_JAVA_CACHE" 2>/dev/null || true
        fi
    else
        id=""
    fi
    out=$("$java" -version 2>&1) || return 0
    version=$(printf '%s\n' "$out" | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
    [ -n "$version" ] || return 0
    case "$version" in
        1.*) version=${version#1.} ;;
    esac
    version=${version%%[!0-9]*}
    [ -n "$version" ] || return 0
    # only an answer is remembered (a java that failed to start may start next time); best effort, atomically
    if [ -n "$id" ] && [[ "$id" != *$'\n'* ]]; then
        (
            set +e
            keep=()
            if [ -f "$BERTH_JAVA_CACHE" ]; then
                while IFS=' ' read -r cached_major inode size mtime path; do
                    if [[ "$cached_major" =~ ^[0-9]+$ ]] && [ -n "$path" ] && [ "$path" != "$java" ]; then
                        keep+=("$cached_major $inode $size $mtime $path")
                    fi
                done <"$BERTH_JAVA_CACHE"
            fi
            first=$(( ${#keep[@]} > 31 ? ${#keep[@]} - 31 : 0 ))   # the newest 31 others, then this one
            tmp="$BERTH_JAVA_CACHE.$BASHPID"
            mkdir -p -- "${BERTH_JAVA_CACHE%/*}" &&
                printf '%s\n' ${keep[@]+"${keep[@]:first}"} "$version $id" >"$tmp" &&
                mv -f -- "$tmp" "$BERTH_JAVA_CACHE"
            rm -f -- "$tmp"
        ) >/dev/null 2>&1 || true
    fi
    printf '%s\n' "$version"
}

# True if $1 is a JDK home (java and javac) whose java is at least BERTH_MIN_JAVA; prints the major version.
berth_jdk_ok() {
    local home=$1 major
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 1
    major=$(berth_java_major "$home/bin/java")
    [ -n "$major" ] && [ "$major" -ge "$BERTH_MIN_JAVA" ] || return 1
    printf '%s\n' "$major"
}

berth_find_java() {
    local candidate major best="" best_major=0 java_on_path

    if [ -n "${JAVA_HOME:-}" ]; then
        if berth_jdk_ok "$JAVA_HOME" >/dev/null; then
            printf '%s\n' "$JAVA_HOME"
            return 0
        fi
        echo "berth: ignoring JAVA_HOME=$JAVA_HOME (not a JDK $BERTH_MIN_JAVA or newer)" >&2
    fi

    for candidate in "$BERTH_JVM_DIR"/*; do
        [ -d "$candidate" ] || continue
        candidate=$(readlink -f "$candidate")
        if major=$(berth_jdk_ok "$candidate") && [ "$major" -gt "$best_major" ]; then
            best=$candidate
            best_major=$major
        fi
    done
    if [ -n "$best" ]; then
        printf '%s\n' "$best"
        return 0
    fi

    if java_on_path=$(command -v java); then
        candidate=$(dirname "$(dirname "$(readlink -f "$java_on_path")")")
        if berth_jdk_ok "$candidate" >/dev/null; then
            printf '%s\n' "$candidate"
            return 0
        fi
    fi
    return 1
}

if ! BERTH_JAVA_HOME=$(berth_find_java); then
    echo "Berth needs a JDK 21 or newer. Install one (for example: apt-get install openjdk-21-jdk) or set JAVA_HOME to it." >&2
    exit 1
fi
export JAVA_HOME=$BERTH_JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
unset BERTH_JAVA_HOME
BERTH_JAVA_MAJOR=$(berth_java_major "$JAVA_HOME/bin/java")
export BERTH_JAVA_MAJOR
# Maven's own libraries (Guava) still call sun.misc.Unsafe, which JDK 24+ warns about on every build.
if [ "$BERTH_JAVA_MAJOR" -ge 24 ] && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe-memory-access* ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"
fi

if [ "${BERTH_MAVEN_OPTIONAL:-0}" != 1 ] && ! command -v mvn >/dev/null 2>&1; then
    echo "Berth builds with Maven, which is not installed. Install it: apt-get install -y maven" >&2
    exit 1
fi
