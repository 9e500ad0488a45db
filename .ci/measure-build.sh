#!/usr/bin/env bash
# Clean build times and stripped release sizes of a minimal downstream binary of `baanx` (one call), per TLS
# feature, against the same call made with reqwest + serde + tokio alone; and `[profile.dev.build-override]
# opt-level = 2` against the default.
#
# usage: .ci/measure-build.sh [REPO_ROOT] [WORK_DIR]
#   REPO_ROOT  the baanx repository (default: this script's repository)
#   WORK_DIR   where the throwaway crates and their target dirs go (default: $MEASURE_DIR or /tmp/measure)
# env:
#   VARIANTS      space-separated subset of the variants below (default: all, in order)
#   KEEP_TARGETS  1 to keep each target dir after measuring it (default: removed, they take GBs)
#   QUIET_WAIT    seconds to wait, before each build, for other work on the machine to pause (default 180)
#   MAX_TRIES     builds of one measurement while other work overlaps it (default 2; the least disturbed is kept)
#   SNAPSHOT      1 (default): build against a copy of REPO_ROOT's work tree taken at the start, so that every
#                 variant compiles the same source while the tree is being edited; 0: against REPO_ROOT itself
#
# stdout: one TSV line per measurement, `variant<TAB>profile<TAB>seconds<TAB>stripped_bytes` (`-` for dev
# builds, which are not stripped), then a summary. WORK_DIR/results.tsv has the same lines; WORK_DIR/extended.tsv
# adds CPU time (user+sys, less sensitive than wall time to other load on the machine), the load average before
# each build and `other_load`: the mean number of runnable threads outside this script's session during the
# build (0 = the machine was ours; 1 = another job held about one of the cores), for every try;
# WORK_DIR/logs/ has each build's output. Dev builds run with `--timings`; `baanx_build_rs_s` is how long
# baanx's build script (the code generation over openapi.json) ran, from cargo's timing report. Every build is a clean one (its own, emptied target
# dir) run after an untimed `cargo fetch`, so it measures compilation only, never downloads.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${1:-$script_dir/..}" && pwd)
work=${2:-${MEASURE_DIR:-/tmp/measure}}
all_variants="baanx-default baanx-rustls-ring baanx-native-tls baanx-minimal raw-reqwest raw-reqwest-ring baanx-build-override"
variants=${VARIANTS:-$all_variants}

[[ -f "$repo/Cargo.toml" && -f "$repo/Cargo.lock" ]] || { echo "no Cargo.toml/Cargo.lock in $repo" >&2; exit 2; }
for tool in cargo strip stat /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

mkdir -p "$work/logs"
results=$work/results.tsv
extended=$work/extended.tsv
: >"$results"
printf 'variant\tprofile\ttry\twall_s\tcpu_s\tstripped_bytes\tloadavg_1m_before\tother_load\tbaanx_build_rs_s\n' >"$extended"

log() { printf '[measure %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Runnable threads outside this script's session (other builds on the machine), one sample. Threads, not
# processes: rustc's main thread sleeps while its worker threads compile.
my_sid=$(ps -o sid= -p $$ | tr -d ' ')
others_running() { ps -eLo sid=,stat= | awk -v sid="$my_sid" '$1 != sid && $2 ~ /^R/ { n++ } END { print n + 0 }'; }

# Waits (at most QUIET_WAIT s) until nothing else has been running for 5 consecutive seconds.
wait_quiet() {
  local waited=0 quiet=0
  while ((quiet < 5 && waited < ${QUIET_WAIT:-180})); do
    if (($(others_running) == 0)); then quiet=$((quiet + 1)); else quiet=0; fi
    sleep 1; waited=$((waited + 1))
  done
  ((waited < 6)) || log "waited ${waited}s for other work to pause"
}

log "repo $repo ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), uncommitted diff $(git -C "$repo" diff HEAD 2>/dev/null | sha1sum | cut -c1-12))"
log "$(nproc) cores, $(rustc --version)"

# The source every baanx variant depends on: a copy of the work tree (uncommitted changes included, build
# output and .git left out), or the tree itself.
if [[ ${SNAPSHOT:-1} == 1 ]]; then
  src=$work/baanx-src
  rm -rf "$src"; mkdir -p "$src"
  tar -C "$repo" --exclude=./.git --exclude=./target --exclude='./*/target' -cf - . | tar -C "$src" -xf -
  log "baanx source: snapshot of $repo in $src"
else
  src=$repo
fi

# --- the throwaway crates ---------------------------------------------------------------------------------

# The minimal downstream program: one client, one call, whatever comes back printed.
baanx_main='use baanx::Call;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = baanx::Client::builder()
        .environment(baanx::Environment::Custom("http://127.0.0.1:9".into()))
        .client_key("pk_test_measure")
        .build()
        .expect("client");
    match client.api().get_registration_settings().call().await {
        Ok(settings) => println!("{settings:?}"),
        Err(error) => println!("error: {error}"),
    }
}
'

# The same GET with reqwest, serde and serde_json alone: the same header, the body decoded into a struct.
raw_main_body='
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Country {
    id: Option<String>,
    name: Option<String>,
    #[serde(rename = "iso3166alpha2")]
    code: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Settings {
    countries: Option<Vec<Country>>,
    config: Option<serde_json::Map<String, serde_json::Value>>,
}

async fn get(client: &reqwest::Client) -> Result<Settings, Box<dyn std::error::Error>> {
    let response = client
        .get("http://127.0.0.1:9/v1/auth/settings")
        .header("x-client-key", "pk_test_measure")
        .send()
        .await?
        .error_for_status()?;
    Ok(serde_json::from_slice(&response.bytes().await?)?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    INSTALL_PROVIDER
    let client = reqwest::Client::builder().build().expect("client");
    match get(&client).await {
        Ok(settings) => println!("{settings:?}"),
        Err(error) => println!("error: {error}"),
    }
}
'

# write_crate VARIANT: the crate at $work/VARIANT/crate, with the repository's lock file.
write_crate() {
  local variant=$1 dir=$work/$1/crate deps main profile=""
  local baanx_dep="baanx = { path = \"$src\" }"
  local tokio_dep='tokio = { version = "1", features = ["rt", "macros"] }'
  local raw_common='serde = { version = "1", features = ["derive"] }
serde_json = "1"'
  case $variant in
    baanx-default) deps="$baanx_dep" main=$baanx_main ;;
    baanx-build-override)
      deps="$baanx_dep" main=$baanx_main
      profile=$'\n[profile.dev.build-override]\nopt-level = 2\n' ;;
    baanx-rustls-ring)
      deps="baanx = { path = \"$src\", default-features = false, features = [\"rustls-ring\", \"webhooks\", \"file-store\"] }"
      main=$baanx_main ;;
    baanx-native-tls)
      deps="baanx = { path = \"$src\", default-features = false, features = [\"native-tls\", \"webhooks\", \"file-store\"] }"
      main=$baanx_main ;;
    baanx-minimal)
      deps="baanx = { path = \"$src\", default-features = false, features = [\"rustls-ring\"] }"
      main=$baanx_main ;;
    raw-reqwest)
      deps="reqwest = { version = \"0.13.5\", default-features = false, features = [\"json\", \"rustls\", \"http2\"] }
$raw_common"
      main=${raw_main_body/INSTALL_PROVIDER/} ;;
    raw-reqwest-ring)
      deps="reqwest = { version = \"0.13.5\", default-features = false, features = [\"json\", \"rustls-no-provider\", \"http2\"] }
rustls = { version = \"0.23\", default-features = false, features = [\"ring\", \"std\", \"tls12\", \"logging\"] }
$raw_common"
      main=${raw_main_body/INSTALL_PROVIDER/let _ = rustls::crypto::ring::default_provider().install_default();} ;;
    *) echo "unknown variant: $variant" >&2; return 2 ;;
  esac
  rm -rf "$dir"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "measure-$variant"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$deps
$tokio_dep
$profile
# Its own workspace: never part of an enclosing one.
[workspace]
EOF
  printf '%s' "$main" >"$dir/src/main.rs"
  # The repository's versions wherever the graphs overlap; cargo drops the rest and adds what is missing.
  cp "$src/Cargo.lock" "$dir/Cargo.lock"
}

# build_script_seconds TIMING_HTML: how long baanx's build script ran (cargo's --timings report), or `-`.
build_script_seconds() {
  [[ -f $1 ]] && command -v python3 >/dev/null || { echo -; return; }
  python3 - "$1" <<'PY' 2>/dev/null || echo -
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
runs = [u["duration"] for u in units if u["name"] == "baanx" and "run" in (u.get("mode", "") + u.get("target", ""))]
print(f"{runs[0]:.2f}" if runs else "-")
PY
}

# build_once VARIANT PROFILE TRY: one clean build, timed, with the other load sampled every second; prints
# `wall cpu size load other_load`, or returns 1.
build_once() {
  local variant=$1 profile=$2 try=$3 dir=$work/$1/crate
  local target=$work/$1/target-$profile tlog=$work/logs/$1-$profile-$3.log tfile=$work/logs/$1-$profile-$3.time
  local samples=$work/logs/$1-$profile-$3.others flags=(--offline --locked) load wall user sys cpu size=- rc=0 sampler
  if [[ $profile == release ]]; then flags+=(--release); else flags+=(--timings); fi
  rm -rf "$target"
  wait_quiet
  load=$(cut -d' ' -f1 /proc/loadavg)
  log "$variant: cargo build ${flags[*]} (clean, try $try, load $load)"
  (while :; do others_running; sleep 1; done) >"$samples" &
  sampler=$!
  (cd "$dir" && CARGO_TARGET_DIR=$target /usr/bin/time -f '%e %U %S' -o "$tfile" \
     cargo build "${flags[@]}" >"$tlog" 2>&1) || rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  if ((rc != 0)); then
    log "$variant $profile: build FAILED (tail of $tlog):"
    tail -n 25 "$tlog" >&2
    [[ ${KEEP_TARGETS:-0} == 1 ]] || rm -rf "$target"
    return 1
  fi
  read -r wall user sys < <(tail -n 1 "$tfile")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  local build_rs=-
  if [[ $profile == dev ]]; then
    build_rs=$(build_script_seconds "$target/cargo-timings/cargo-timing.html")
    cp "$target/cargo-timings/cargo-timing.html" "$work/logs/$1-$profile-$3.timing.html" 2>/dev/null || true
  fi
  if [[ $profile == release ]]; then
    strip -o "$work/$variant/measure-$variant.stripped" "$target/release/measure-$variant"
    size=$(stat -c %s "$work/$variant/measure-$variant.stripped")
  fi
  [[ ${KEEP_TARGETS:-0} == 1 ]] || rm -rf "$target"
  echo "$wall $cpu $size $load $(awk '{ t += $1; n++ } END { printf "%.2f", n ? t / n : 0 }' "$samples") $build_rs"
}

# measure VARIANT PROFILE: up to MAX_TRIES clean builds while other work overlaps them; the least disturbed one
# is the measurement.
measure() {
  local variant=$1 profile=$2 try out best="" best_other=999 wall cpu size load other build_rs
  for ((try = 1; try <= ${MAX_TRIES:-2}; try++)); do
    if ! out=$(build_once "$variant" "$profile" "$try"); then
      printf '%s\t%s\t%s\tFAILED\t-\t-\t-\t-\t-\n' "$variant" "$profile" "$try" >>"$extended"
      break
    fi
    read -r wall cpu size load other build_rs <<<"$out"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$profile" "$try" "$wall" "$cpu" "$size" "$load" "$other" \
      "$build_rs" >>"$extended"
    if awk -v a="$other" -v b="$best_other" 'BEGIN { exit !(a < b) }'; then best=$out best_other=$other; fi
    awk -v a="$other" 'BEGIN { exit !(a <= 0.1) }' && break
    log "$variant $profile: other load $other during the build"
  done
  if [[ -z $best ]]; then
    printf '%s\t%s\tFAILED\t-\n' "$variant" "$profile" | tee -a "$results"
  else
    read -r wall cpu size load other build_rs <<<"$best"
    printf '%s\t%s\t%s\t%s\n' "$variant" "$profile" "$wall" "$size" | tee -a "$results"
  fi
}

for variant in $variants; do
  write_crate "$variant"
  log "$variant: cargo fetch (not timed)"
  if ! (cd "$work/$variant/crate" && cargo fetch >"$work/logs/$variant-fetch.log" 2>&1); then
    log "$variant: cargo fetch FAILED:"; tail -n 25 "$work/logs/$variant-fetch.log" >&2
    printf '%s\t%s\tFAILED\t-\n' "$variant" fetch | tee -a "$results"
    continue
  fi
  measure "$variant" dev
  [[ $variant == baanx-build-override ]] || measure "$variant" release
done

log "repo after: uncommitted diff $(git -C "$repo" diff HEAD 2>/dev/null | sha1sum | cut -c1-12)"

# --- summary ---------------------------------------------------------------------------------------------
echo
echo "== summary ($(nproc) cores, $(rustc --version | cut -d' ' -f2)) =="
awk -F'\t' '
  { wall[$1 FS $2] = $3; size[$1 FS $2] = $4; if (!seen[$1]++) order[++n] = $1 }
  function ratio(a, b) { return (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
  END {
    printf "%-22s %10s %12s %16s %12s\n", "variant", "dev (s)", "release (s)", "stripped (B)", "stripped MiB"
    for (i = 1; i <= n; i++) {
      v = order[i]; k = v FS "release"; s = size[k]
      printf "%-22s %10s %12s %16s %12s\n", v, wall[v FS "dev"], (k in wall) ? wall[k] : "-",
        (s == "") ? "-" : s, (s + 0 > 0) ? sprintf("%.2f", s / 1048576) : "-"
    }
    d = "baanx-default"
    print ""
    printf "baanx-default / raw-reqwest: dev time %s, release time %s, stripped size %s\n",
      ratio(wall[d FS "dev"], wall["raw-reqwest" FS "dev"]), ratio(wall[d FS "release"], wall["raw-reqwest" FS "release"]),
      ratio(size[d FS "release"], size["raw-reqwest" FS "release"])
    printf "raw-reqwest-ring / raw-reqwest: dev time %s, release time %s, stripped size %s\n",
      ratio(wall["raw-reqwest-ring" FS "dev"], wall["raw-reqwest" FS "dev"]),
      ratio(wall["raw-reqwest-ring" FS "release"], wall["raw-reqwest" FS "release"]),
      ratio(size["raw-reqwest-ring" FS "release"], size["raw-reqwest" FS "release"])
    split("baanx-rustls-ring baanx-native-tls baanx-minimal", others, " ")
    for (i = 1; i <= 3; i++) {
      v = others[i]
      printf "%s / baanx-default: dev time %s, release time %s, stripped size %s\n", v,
        ratio(wall[v FS "dev"], wall[d FS "dev"]), ratio(wall[v FS "release"], wall[d FS "release"]),
        ratio(size[v FS "release"], size[d FS "release"])
    }
    printf "baanx-build-override / baanx-default: dev time %s (%s s vs %s s)\n",
      ratio(wall["baanx-build-override" FS "dev"], wall[d FS "dev"]), wall["baanx-build-override" FS "dev"], wall[d FS "dev"]
  }' "$results"
