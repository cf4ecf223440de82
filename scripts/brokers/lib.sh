# Helpers shared by scripts/cluster.sh (and meant for scripts/brokers.sh): probes and pid checks.
# Sourced, not run. Callers set HOST (default 127.0.0.1) and define nothing else.
HOST=${HOST:-127.0.0.1}

log() { printf '%s\n' "$*"; }
die() {
  printf '%s: %s\n' "${ZOCALO_SCRIPT_NAME:-$(basename "$0")}" "$*" >&2
  exit 1
}

# Whether something accepts TCP connections on HOST:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# Prints the STOMP CONNECTED frame's server header (or "unknown") when a STOMP broker answers on HOST:$1.
stomp_server_on() {
  timeout 3 bash -c '
    exec 3<>/dev/tcp/'"$HOST/$1"' || exit 1
    printf "CONNECT\naccept-version:1.1,1.2\nhost:localhost\nlogin:admin\npasscode:password\n\n\0" >&3
    IFS= read -r line <&3 || exit 1
    [[ $line == CONNECTED* ]] || exit 1
    server=unknown
    while IFS= read -r line <&3 && [[ -n $line ]]; do
      [[ $line == server:* ]] && server=${line#server:}
    done
    printf "DISCONNECT\n\n\0" >&3
    printf "%s\n" "$server"' 2>/dev/null
}

# /proc as well as kill -0: a user other than the owner may not signal a process but can still see it.
pid_alive() { [[ ${1:-} =~ ^[0-9]+$ ]] && { kill -0 "$1" 2>/dev/null || [[ -d /proc/$1 ]]; }; }

# A process that has exited, even if not yet reaped (a zombie), counts as gone.
proc_running() {
  pid_alive "$1" && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# The pid in file $1 if that process runs and its command line contains $2 (guards against reused pids).
pid_from_file() {
  [[ -f $1 ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$1")"
  proc_running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  printf '%s\n' "$pid"
}

# SIGTERM, then SIGKILL after $2 seconds (default 30); fails if even that does not end process $1.
stop_pid() {
  local pid=$1 grace=${2:-30}
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while proc_running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if proc_running "$pid"; then
    log "pid $pid ignored SIGTERM for ${grace}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while proc_running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    proc_running "$pid" && die "pid $pid is still running after SIGKILL; stop it by hand."
  fi
  return 0
}
