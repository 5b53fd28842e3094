#!/usr/bin/env bash
# Builds the native benchmark driver (zmq-bench: libzmq's PAIR socket driven from C, and the physical floor) and
# cpu-time (a command's user and system CPU time) into OUT_DIR (default artifacts/bench/native), with the system C
# compiler against libzmq's headers. Missing ones (gcc, libzmq3-dev) are installed with apt-get when run as root;
# otherwise the script says what to install and fails.
#
#   bench/native/build.sh [OUT_DIR]      prints the directory holding zmq-bench and cpu-time
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../../artifacts/bench/native}"
log() { echo "build.sh: $*" >&2; }

have_tools() {
    command -v cc >/dev/null 2>&1 && echo '#include <zmq.h>' | cc -E -x c - >/dev/null 2>&1
}

if ! have_tools; then
    if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        log "a C compiler and libzmq's headers are needed: sudo apt-get install -y gcc libc6-dev libzmq3-dev"
        exit 1
    fi
    log "installing gcc and libzmq3-dev with apt-get"
    # Waits for the dpkg lock rather than failing if another apt run holds it.
    apt=(apt-get -q -o DPkg::Lock::Timeout=600)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends gcc libc6-dev libzmq3-dev >&2
    have_tools || { log "still no C compiler or zmq.h after installing"; exit 1; }
fi

mkdir -p "$out"
flags=(-std=gnu11 -O2 -Wall -Wextra -Werror)
cc "${flags[@]}" -o "$out/zmq-bench" "$here/zmq_driver.c" "$here/bench_common.c" "$here/floor.c" -lzmq -lpthread -lm
cc "${flags[@]}" -o "$out/cpu-time" "$here/cpu_time.c"
cd "$out" && pwd
