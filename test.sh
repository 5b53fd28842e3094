#!/usr/bin/env bash
# Runs every test project in Expair.slnx, then the portable run, and ends with one summary line for both:
# "N passed, N failed, N skipped".
#
#   ./test.sh                      all tests (Release), then the portable run
#   ./test.sh --filter Interop     extra arguments go to `dotnet test`; with them there is no portable run
#   ./test.sh --portable           the portable run only
#
# The portable run repeats the contract, hostile-peer, fault (not the soak), shutdown, event and interop suites, the
# signal and pipe tests and the engine's own, with EXPAIR_PORTABLE_IO=1: Expair then takes the I/O path it takes
# off Linux x64/arm64 (.NET's socket calls waiting in poll, Monitor waits). Its results go to
# their own directory, and it prints its own line, "portable: N passed, N failed, N skipped", before the overall one.
# Tests of the Linux path's own behaviour carry the trait IoPath=Linux and are not in it. The script fails if
# either run fails.
#
# The interop tests load the system libzmq (libzmq.so.5) and run pyzmq (/usr/bin/python3 with python3-zmq), and
# tests/Expair.Cli.Tests builds the native benchmark driver (bench/native: a C compiler and libzmq's headers).
# If they are missing this script installs them when it can (root with apt-get) and otherwise says what to install
# and fails: these tests are never skipped. A run without arguments then checks the packages
# (tests/package/check.sh: pack, install the tool, samples against the packed library and pyzmq, NativeAOT).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [[ "${CI:-}" == "true" ]]; then
    # On CI, leave no MSBuild node behind holding the job's output open.
    export MSBUILDDISABLENODEREUSE=1
fi

log() { echo "test.sh: $*" >&2; }

portable_only=false
if [[ "${1:-}" == "--portable" ]]; then
    portable_only=true
    shift
    if [[ $# -gt 0 ]]; then
        log "--portable takes no other arguments."
        exit 2
    fi
fi
# The main run takes the Linux path where there is one; only the portable run sets this.
unset EXPAIR_PORTABLE_IO

have_libzmq() {
    local ldconfig cache dir
    for ldconfig in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
        if command -v "$ldconfig" >/dev/null 2>&1; then
            # Captured first: `ldconfig -p | grep -q` can fail under pipefail when grep exits early.
            cache="$("$ldconfig" -p 2>/dev/null || true)"
            if grep -q 'libzmq\.so\.5 ' <<<"$cache"; then
                return 0
            fi
            break
        fi
    done
    # No ldconfig, or a library reachable only through LD_LIBRARY_PATH: look where the loader looks.
    local -a dirs=()
    IFS=: read -ra dirs <<<"${LD_LIBRARY_PATH:-}"
    for dir in "${dirs[@]}" /usr/local/lib /usr/lib /lib /usr/lib64 /usr/lib/*-linux-gnu /lib/*-linux-gnu; do
        if [[ -n "$dir" && -e "$dir/libzmq.so.5" ]]; then
            return 0
        fi
    done
    return 1
}

have_pyzmq() {
    [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import zmq' >/dev/null 2>&1
}

have_native_tools() { # what bench/native/build.sh needs: a C compiler that finds zmq.h
    command -v cc >/dev/null 2>&1 && echo '#include <zmq.h>' | cc -E -x c - >/dev/null 2>&1
}

# Installs the Debian packages named in the arguments.
install_packages() {
    [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
    log "installing the Debian packages: $*"
    # Wait for the dpkg lock rather than fail if another apt run (e.g. unattended-upgrades) holds it.
    local -a apt=(apt-get -q -o DPkg::Lock::Timeout=600)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2 &&
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "$@" >&2
}

missing=()
have_libzmq || missing+=(libzmq5)
have_pyzmq || missing+=(python3-zmq)
have_native_tools || missing+=(gcc libc6-dev libzmq3-dev)
if [[ ${#missing[@]} -gt 0 ]]; then
    install_packages "${missing[@]}" || true
fi

if ! have_libzmq; then
    log "libzmq.so.5 (libzmq 4.2 or newer) is required by tests/Expair.Interop.Tests and was not found."
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "Installing it with apt-get failed (see above)."
    fi
    log "Install it, then run ./test.sh again:"
    log "  Debian/Ubuntu:  sudo apt-get install -y libzmq5"
    log "  Fedora/RHEL:    sudo dnf install -y zeromq"
    log "  Alpine:         apk add libzmq"
    log "  Arch:           sudo pacman -S zeromq"
    exit 1
fi

if ! have_pyzmq; then
    log "pyzmq for /usr/bin/python3 (the Debian package python3-zmq) is required by the pyzmq interop tests and the samples and was not found."
    log "Install it, then run ./test.sh again:  sudo apt-get install -y python3-zmq"
    exit 1
fi

if ! have_native_tools; then
    log "a C compiler or libzmq's headers (zmq.h) not found: tests/Expair.Cli.Tests builds bench/native with them"
    log "Install them, then run ./test.sh again:"
    log "  Debian/Ubuntu:  sudo apt-get install -y gcc libc6-dev libzmq3-dev"
    log "  Fedora/RHEL:    sudo dnf install -y gcc zeromq-devel"
    log "  Alpine:         apk add gcc musl-dev zeromq-dev"
    log "  Arch:           sudo pacman -S gcc zeromq"
    exit 1
fi

if ! command -v dotnet >/dev/null 2>&1; then
    log "the .NET SDK (dotnet) is not on PATH; install .NET SDK 10."
    exit 1
fi

# A fresh results directory, with one directory per run, so each run's TRX files are counted once.
results="$PWD/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

# Sums the <Counters> of every TRX file (one per test project) under $1. Skipped tests are not counted under any
# attribute of their own: they are the ones in "total" that were not "executed".
counter() {
    local value
    value="$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2")"
    echo "${value:-0}"
}

# run_tests NAME TIME_LIMIT DOTNET_TEST_ARGUMENTS...: one `dotnet test` of the solution, its results and log in
# $results/NAME; sets run_passed, run_failed, run_skipped, and run_status (0 when the run passed).
run_tests() {
    local name="$1" limit="$2"
    shift 2
    local dir="$results/$name"
    mkdir -p "$dir"
    # Two hang guards: --blame-hang-timeout ends a test host when one test runs for 5 minutes (the run fails,
    # and the log names the test); `timeout` bounds the whole run, restore and build included, inside CI's
    # 90-minute budget. No hang dump: nobody collects it, and writing one can itself take minutes.
    local -a guard=()
    if command -v timeout >/dev/null 2>&1; then
        guard=(timeout --kill-after=1m "$limit")
    fi
    # The output is also kept in the run's directory, to check below that no TRX report went missing.
    local log_file="$dir/dotnet-test.log"
    local rc=0
    "${guard[@]}" dotnet test Expair.slnx -c Release \
        --results-directory "$dir" \
        --logger trx \
        --logger "console;verbosity=normal" \
        --blame-hang-timeout 5m \
        --blame-hang-dump-type none \
        "$@" </dev/null 2>&1 | tee "$log_file" || rc=$?

    if [[ "${CI:-}" == "true" ]]; then
        dotnet build-server shutdown >/dev/null 2>&1 || true
    fi

    local reports=0 counters trx attribute
    run_passed=0 run_failed=0 run_skipped=0
    while IFS= read -r -d '' trx; do
        counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)"
        [[ -n "$counters" ]] || continue
        reports=$((reports + 1))
        for attribute in passed passedButRunAborted; do
            run_passed=$((run_passed + $(counter "$attribute" "$counters")))
        done
        for attribute in failed error timeout aborted; do
            run_failed=$((run_failed + $(counter "$attribute" "$counters")))
        done
        run_skipped=$((run_skipped + $(counter total "$counters") - $(counter executed "$counters")))
    done < <(find "$dir" -name '*.trx' -print0)

    run_status=0
    if [[ "$run_failed" -gt 0 ]]; then
        run_status=1
    fi
    if [[ "$rc" -ne 0 ]]; then
        run_status=1
        if [[ "$rc" -eq 124 ]]; then
            log "the $name run took longer than $limit and was stopped."
        elif [[ "$run_failed" -eq 0 ]]; then
            log "dotnet test ($name run) exited with code $rc without a failed test: a build error, or a test host that crashed or hung (see above)."
        fi
    fi
    # Test projects finishing in the same second can race for one TRX file name (microsoft/vstest#2489);
    # a lost report would make the counts too low, so fail rather than report them.
    local announced
    announced="$(grep -c 'Results File: .*\.trx' "$log_file" || true)"
    if [[ "$reports" -lt "$announced" ]]; then
        log "dotnet test ($name run) announced $announced TRX reports but $reports were found; the counts below are incomplete."
        run_status=1
    fi
    if [[ $((run_passed + run_failed)) -eq 0 ]]; then
        log "no test ran in the $name run ($reports test reports in $dir)."
        run_status=1
    fi
}

# The portable run's selection: namespaces of the suites it repeats, less the soak and the Linux path's own tests.
portable_filter="$(printf '%s|' \
    FullyQualifiedName~Expair.Tests.Contract. \
    FullyQualifiedName~Expair.Tests.Hostile. \
    FullyQualifiedName~Expair.Tests.Faults. \
    FullyQualifiedName~Expair.Tests.Shutdown. \
    FullyQualifiedName~Expair.Tests.Events. \
    FullyQualifiedName~Expair.Tests.Engine. \
    FullyQualifiedName~Expair.Tests.Unit.SignalTests. \
    FullyQualifiedName~Expair.Tests.Unit.PipeTests. \
    FullyQualifiedName~Expair.Tests.Platform.ThisProcessIoPathTests. \
    FullyQualifiedName~Expair.Interop.Tests.)"
portable_filter="(${portable_filter%|})&Category!=Soak&IoPath!=Linux"

passed=0 failed=0 skipped=0 status=0
portable_args=(--filter "$portable_filter")
if [[ "$portable_only" == false ]]; then
    run_tests main 65m "$@"
    passed=$run_passed failed=$run_failed skipped=$run_skipped status=$run_status
    portable_args=(--no-build "${portable_args[@]}") # the main run built everything
fi

if [[ "$portable_only" == true || $# -eq 0 ]]; then
    export EXPAIR_PORTABLE_IO=1
    run_tests portable 15m "${portable_args[@]}"
    unset EXPAIR_PORTABLE_IO
    echo "portable: $run_passed passed, $run_failed failed, $run_skipped skipped"
    passed=$((passed + run_passed)) failed=$((failed + run_failed)) skipped=$((skipped + run_skipped))
    if [[ "$run_status" -ne 0 ]]; then
        status=1
    fi
else
    log "arguments given: no portable run (./test.sh alone runs both, ./test.sh --portable the portable one)."
fi

# The packages, the installed tool and the samples, the way a user meets them (one line per step). Only in a
# full run: `./test.sh --filter X` runs tests alone.
if [[ "$portable_only" == false && $# -eq 0 ]]; then
    if ! bash tests/package/check.sh; then
        status=1
        log "tests/package/check.sh failed (see its lines above)."
    fi
fi

# The names of failed tests and the first lines of each one's message, again at the end: a CI log is often read
# from its tail, and the console lines above may be thousands of lines up.
report_failures() {
    local trx
    while IFS= read -r -d '' trx; do
        /usr/bin/python3 - "$trx" <<'PY' 2>/dev/null || grep -o 'testName="[^"]*"[^>]*outcome="Failed"' "$trx" || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
run = sys.argv[1].split("/test-results/")[-1].split("/")[0]
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") != "Failed":
        continue
    message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
    lines = [l[:300] for l in message.splitlines()[:6]] or ["(no message)"]
    print(f"FAILED ({run} run): {r.get('testName')} [{r.get('duration')}]")
    print("\n".join("    " + l for l in lines))
PY
    done < <(find "$results" -name '*.trx' -print0)
}
if [[ "$failed" -gt 0 ]]; then
    report_failures
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
