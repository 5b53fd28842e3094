#!/usr/bin/env bash
# Proves the packages and the samples the way a user meets them; run by ./test.sh (without arguments) after
# the tests, or alone. One line per step ("check.sh: <step> ... ok (Ns)"); the first failing step prints its
# output and ends the script with exit code 1.
#
#   1. pack Expair and Expair.Cli into artifacts/packages and check what each .nupkg holds
#   2. install the expair tool from that folder into a temporary tool path and run `expair demo`
#   3. build and run samples/InProcThreads against the packed library (PackageReference, not ProjectReference)
#   4. publish that sample with NativeAOT and run the native executable
#   5. build the other samples from source and run them: the supervisor/worker scenario against its pyzmq twin
#      in both roles, the async worker, and the JSON exchange with its Python peer
#
# Needs /usr/bin/python3 with pyzmq (python3-zmq), which test.sh installs. Restores come from the NuGet feed
# (the ILCompiler package for step 4 once, then the local cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="$PWD"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
python=/usr/bin/python3
feed="$repo/artifacts/packages"
work="$(mktemp -d "${TMPDIR:-/tmp}/expair-check.XXXXXX")"
step_log="$work/step.log"
pids=() # background processes of the current step
trap 'rm -rf "$work"' EXIT

say() { echo "check.sh: $*" >&2; }

# step NAME COMMAND...: runs the command with its output kept aside; prints one line, or the output and fails.
# The command runs in a subshell with errexit in force (an `if` around it would switch errexit off inside),
# which ends any process the step started in the background when it exits.
step() {
    local name="$1" start=$SECONDS rc=0
    shift
    set +e
    (
        set -e
        trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
        "$@"
    ) >"$step_log" 2>&1
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        say "$name ... ok ($((SECONDS - start))s)"
    else
        say "$name ... FAILED ($((SECONDS - start))s); its output:"
        sed 's/^/    /' "$step_log" >&2
        exit 1
    fi
}

# expect_line FD PATTERN: the next line on FD must match the extended regex PATTERN (60 s at most).
expect_line() {
    local line
    if ! IFS= read -r -t 60 -u "$1" line; then
        echo "expected a line matching '$2'; got nothing (timeout or end of output)"
        return 1
    fi
    echo "$line"
    if [[ ! "$line" =~ $2 ]]; then
        echo "expected a line matching '$2'"
        return 1
    fi
}

version="$(dotnet msbuild src/Expair/Expair.csproj -getProperty:Version)" || { say "cannot read the version from src/Expair"; exit 1; }
packages_cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

# A package of this version left in the NuGet cache by an earlier run would be used instead of the new one.
forget_cached_packages() {
    rm -rf "$packages_cache/expair/$version" "$packages_cache/expair.cli/$version"
}

pack() {
    rm -rf "$feed"
    dotnet pack src/Expair/Expair.csproj -c Release -o "$feed"
    dotnet pack src/Expair.Cli/Expair.Cli.csproj -c Release -o "$feed"
    "$python" - "$feed" "$version" <<'EOF'
import sys, zipfile, re
feed, version = sys.argv[1], sys.argv[2]
expected = {
    f"Expair.{version}.nupkg": ["LICENSE", "README.md", "lib/net10.0/Expair.dll", "lib/net10.0/Expair.xml"],
    f"Expair.{version}.snupkg": ["lib/net10.0/Expair.pdb"],
    f"Expair.Cli.{version}.nupkg": ["LICENSE", "README.md", "tools/net10.0/any/DotnetToolSettings.xml",
                                    "tools/net10.0/any/Expair.Cli.dll", "tools/net10.0/any/Expair.dll"],
    f"Expair.Cli.{version}.snupkg": ["tools/net10.0/any/Expair.Cli.pdb"],
}
for name, files in expected.items():
    with zipfile.ZipFile(f"{feed}/{name}") as z:
        names = z.namelist()
        missing = [f for f in files if f not in names]
        if missing:
            sys.exit(f"{name} lacks {missing}; it holds {names}")
        if name.endswith(".nupkg"):
            nuspec = z.read(next(n for n in names if n.endswith(".nuspec"))).decode()
            for needle in ['<license type="expression">MIT</license>', "<readme>README.md</readme>", "<projectUrl>",
                           "<tags>", "<authors>", "<description>", f"<version>{version}</version>"]:
                if needle not in nuspec:
                    sys.exit(f"{name}'s nuspec lacks {needle}:\n{nuspec}")
            if not re.search(r'<repository type="git" url="[^"]+" commit="[0-9a-f]{40}"', nuspec):
                sys.exit(f"{name}'s nuspec has no repository type, url and commit:\n{nuspec}")
        print(name, len(names), "files")
EOF
}

install_tool() {
    forget_cached_packages
    # Only the local folder as a source, so the tool cannot come from anywhere else.
    echo "<configuration><packageSources><clear /><add key=\"local\" value=\"$feed\" /></packageSources></configuration>" >"$work/nuget.config"
    dotnet tool install Expair.Cli --tool-path "$work/tool" --configfile "$work/nuget.config" --version "$version"
    "$work/tool/expair" demo | tee "$work/demo.out"
    grep -qx 'Supervisor received: Status update 4' "$work/demo.out"
}

packed_sample() {
    forget_cached_packages
    rm -rf samples/InProcThreads/obj samples/InProcThreads/bin
    dotnet build samples/InProcThreads -c Release
    # The library must have come from the package, not from the source tree.
    grep -q "\"Expair/$version\": {" samples/InProcThreads/obj/project.assets.json
    grep -A1 "\"Expair/$version\": {" samples/InProcThreads/obj/project.assets.json | grep -q '"type": "package"'
    dotnet samples/InProcThreads/bin/Release/net10.0/InProcThreads.dll | tee "$work/threads.out"
    grep -qx 'Worker thread answered: 5 squared is 25' "$work/threads.out"
    tail -n 1 "$work/threads.out" | grep -qx Done
}

native_aot() {
    dotnet publish samples/InProcThreads -c Release -r linux-x64 -p:PublishAot=true -o "$work/aot" | tee "$work/aot.log"
    # Warnings are errors in this repository, trim and AOT analysis (IL2xxx/IL3xxx) included; say so if one slips by.
    if grep -E 'warning IL[23][0-9]{3}' "$work/aot.log"; then
        return 1
    fi
    "$work/aot/InProcThreads" | tee "$work/aot.out"
    tail -n 1 "$work/aot.out" | grep -qx Done
}

build_samples() {
    dotnet build samples/Samples.slnx -c Release
}

sample_dll() { echo "samples/$1/bin/Release/net10.0/$1.dll"; }

# supervisor_pair SUPERVISOR_CMD... -- WORKER_CMD...: the supervisor binds a free port and must print the three
# updates the worker sends (100 ms apart), in order.
supervisor_pair() {
    local -a supervisor=() worker=()
    while [[ "$1" != "--" ]]; do supervisor+=("$1"); shift; done
    shift
    worker=("$@")
    exec {out}< <("${supervisor[@]}" supervisor 'tcp://127.0.0.1:*' 3 2>&1)
    pids+=($!)
    local bound endpoint
    bound="$(expect_line "$out" '^Supervisor bound to tcp://127\.0\.0\.1:[0-9]+$')" || { echo "$bound"; return 1; }
    echo "$bound"
    endpoint="${bound#Supervisor bound to }"
    "${worker[@]}" worker "$endpoint" 3 100
    local n
    for n in 0 1 2; do
        expect_line "$out" "^Supervisor received: Status update $n\$" || return 1
    done
    exec {out}<&-
}

csharp_supervisor() { supervisor_pair dotnet "$(sample_dll Supervisor)" -- "$python" samples/Supervisor/twin.py; }
python_supervisor() { supervisor_pair "$python" samples/Supervisor/twin.py -- dotnet "$(sample_dll Supervisor)"; }

async_worker() {
    dotnet "$(sample_dll AsyncWorker)" | tee "$work/async.out"
    grep -qx 'Client got: hello Linus, this is the worker' "$work/async.out"
    tail -n 1 "$work/async.out" | grep -qx 'Worker stopped after 3 requests'
}

json_exchange() {
    exec {out}< <(dotnet "$(sample_dll JsonExchange)" 'tcp://127.0.0.1:*' 2>&1)
    pids+=($!)
    local bound endpoint
    bound="$(expect_line "$out" '^Bound to tcp://127\.0\.0\.1:[0-9]+; waiting for peer\.py$')" || { echo "$bound"; return 1; }
    echo "$bound"
    endpoint="${bound#Bound to }"
    endpoint="${endpoint%%;*}"
    "$python" samples/JsonExchange/peer.py "$endpoint"
    expect_line "$out" '^Job 0: sum 6 \(computed by Python 3' &&
        expect_line "$out" '^Job 1: sum 30 ' &&
        expect_line "$out" '^Job 2: sum 0 '
    exec {out}<&-
}

start=$SECONDS
step "pack Expair and Expair.Cli $version into artifacts/packages" pack
step "install the expair tool from artifacts/packages and run expair demo" install_tool
step "samples/InProcThreads against the packed library" packed_sample
step "samples/InProcThreads published with NativeAOT, run" native_aot
step "build samples/Samples.slnx (from source)" build_samples
step "samples/Supervisor: C# supervisor, pyzmq worker" csharp_supervisor
step "samples/Supervisor: pyzmq supervisor, C# worker" python_supervisor
step "samples/AsyncWorker" async_worker
step "samples/JsonExchange with its pyzmq peer" json_exchange
say "all steps passed in $((SECONDS - start))s"
