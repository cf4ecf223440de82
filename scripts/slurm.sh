#!/usr/bin/env bash
# Start, stop and check the single-node Slurm cluster the @zocalo/slurm tests submit jobs to:
#   munged, slurmctld, slurmd and slurmrestd (REST API v0.0.38, and v0.0.36 and v0.0.37; JWT) on loopback,
#   every file of theirs (munge key, slurm.conf, JWT key, state, logs, pids) in this checkout's .slurm/
#   (or, when the users munge and slurm cannot reach the checkout, in /var/tmp/zocalo-slurm-<hash>/).
#
# Usage: scripts/slurm.sh start|stop|status|running
#   start    install the Debian packages where missing (root), start what is not running, wait until the
#            node is idle and the REST API answers, write a fresh JWT for the tests (.slurm/jwt.token)
#   stop     stop the daemons this script started (by pid), cancelling their jobs first
#   status   one line per daemon, the node's state and the REST API's answer
#   running  exit 0 when this checkout's Slurm answers (start would do nothing), 1 otherwise
#
# Environment:
#   ZOCALO_SLURM_DIR         state folder (default <repo>/.slurm)
#   ZOCALO_SLURM_REST_PORT   slurmrestd's port (default 6820)
#   ZOCALO_SLURM_CTLD_PORT   slurmctld's port (default 6817)
#   ZOCALO_SLURMD_PORT       slurmd's port (default 6818)
# The same machine kind's recipe is in shared/spec/slurm.md; docs/slurm.md describes what the tests use.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="$(realpath -m "${ZOCALO_SLURM_DIR:-$REPO_ROOT/.slurm}")"

HOST=127.0.0.1
REST_PORT="${ZOCALO_SLURM_REST_PORT:-6820}"
CTLD_PORT="${ZOCALO_SLURM_CTLD_PORT:-6817}"
SLURMD_PORT="${ZOCALO_SLURMD_PORT:-6818}"
API_VERSION=v0.0.38
# The user the tests' jobs run as (the JWT's user): CI and the developers' machines run as root.
JOB_USER=root
TOKEN_LIFESPAN=86400
PARTITION=debug
STARTUP_TIMEOUT=60

TOKEN_FILE="$STATE_DIR/jwt.token"
ENV_FILE="$STATE_DIR/slurm.env"
REST_URL="http://$HOST:$REST_PORT"

# Debian 12 packages; slurm-wlm-jwt-plugin holds auth/jwt, which slurmrestd's rest_auth/jwt needs.
PACKAGES=(slurmctld slurmd slurmrestd munge slurm-client slurm-wlm-jwt-plugin curl)
PLUGIN_DIR=/usr/lib/x86_64-linux-gnu/slurm-wlm

# The daemons' own files (set_paths): in the state folder, unless the users munged and slurmrestd run as
# cannot reach it (a checkout under /root, say); then in a folder of this checkout's own under /var/tmp.
# The tests' token and slurm.env stay in the state folder either way.
set_paths() {
  DAEMON_DIR=$1
  CONF="$DAEMON_DIR/etc/slurm.conf"
  JWT_KEY="$DAEMON_DIR/etc/jwt.key"
  MUNGE_DIR="$DAEMON_DIR/munge"
  MUNGE_SOCKET="$MUNGE_DIR/munge.socket.2"
  MUNGE_KEY="$MUNGE_DIR/munge.key"
  RUN_DIR="$DAEMON_DIR/run"
  LOG_DIR="$DAEMON_DIR/log"
  export SLURM_CONF="$CONF"
}

# Whether user $1 may enter folder $2 (every folder above it lets others through).
user_reaches() { id -u "$1" >/dev/null 2>&1 && setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups test -x "$2" 2>/dev/null; }

# A folder of this checkout's own that every user can reach, for when the state folder is not reachable.
shared_daemon_dir() { printf '/var/tmp/zocalo-slurm-%s\n' "$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)"; }

choose_daemon_dir() {
  local parent user
  parent="$(dirname "$STATE_DIR")"
  for user in munge "$(rest_user_name)"; do
    if id -u "$user" >/dev/null 2>&1 && ! user_reaches "$user" "$parent"; then
      set_paths "$(shared_daemon_dir)"
      return 0
    fi
  done
  set_paths "$STATE_DIR"
}

log() { printf '%s\n' "$*"; }
die() {
  printf 'slurm.sh: %s\n' "$*" >&2
  exit 1
}

# --- probes ------------------------------------------------------------------------------------------------

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

pid_alive() {
  [[ ${1:-} =~ ^[0-9]+$ ]] && [[ -d /proc/$1 ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# The pid recorded for daemon $1, if that process still runs with this checkout's files (its command line
# names our slurm.conf or munge socket): a reused pid or another checkout's daemon is not ours.
our_pid() {
  local name=$1 pid marker
  [[ -f $RUN_DIR/$name.pid ]] || return 1
  pid="$(cat "$RUN_DIR/$name.pid")"
  pid_alive "$pid" || return 1
  marker="$CONF"
  [[ $name == munged ]] && marker="$MUNGE_SOCKET"
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  printf '%s\n' "$pid"
}

# Who listens on a port: "pid command line", when ss can tell.
port_owner() {
  local pid
  pid="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)"
  [[ -n $pid ]] || return 1
  printf '%s %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
}

# The checkout whose slurm.sh started the process with this command line, if any: its -f <dir>/etc/slurm.conf,
# and the checkout that <dir> names.
checkout_of() {
  local dir
  dir="$(sed -n 's|.* -f \(/[^ ]*\)/etc/slurm\.conf.*|\1|p' <<<"$1")"
  [[ -n $dir ]] || return 0
  if [[ -s $dir/checkout ]]; then cat "$dir/checkout"; else dirname "$dir"; fi
}

rest_token() { [[ -s $TOKEN_FILE ]] && cat "$TOKEN_FILE"; }

# GET a REST path with the token; prints the body, fails when the answer is not HTTP 200.
rest_get() {
  local token
  token="$(rest_token)" || return 1
  curl -fsS -m 3 -H "X-SLURM-USER-NAME: $JOB_USER" -H "X-SLURM-USER-TOKEN: $token" "$REST_URL$1" 2>/dev/null
}

rest_answers() { rest_get "/slurm/$API_VERSION/ping" | grep -q '"pings"'; }

node_state() { sinfo -h -N -o '%t' 2>/dev/null | head -n 1; }

daemons_ours() { our_pid munged >/dev/null && our_pid slurmctld >/dev/null && our_pid slurmd >/dev/null && our_pid slurmrestd >/dev/null; }

# The node takes jobs (idle, or busy with some: mixed, allocated, completing).
node_up() { [[ $(node_state) =~ ^(idle|mix|alloc|comp) ]]; }

running() { daemons_ours && node_up && rest_answers; }

# --- installation ------------------------------------------------------------------------------------------

ensure_packages() {
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    die "the Debian package(s) ${missing[*]} are missing and installing them needs root: run \`sudo bash scripts/slurm.sh start\` or \`apt-get install -y --no-install-recommends ${missing[*]}\`."
  fi
  command -v apt-get >/dev/null 2>&1 || die "the package(s) ${missing[*]} are missing and apt-get is not available to install them."
  log "Installing ${missing[*]} (apt-get update first) ..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
  local out
  out="$(mktemp)"
  # Services the packages may start on their own (with systemd) use /etc's files and sockets, not ours.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    rm -f "$out"
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$out"
  [[ -f $PLUGIN_DIR/auth_jwt.so ]] || die "$PLUGIN_DIR/auth_jwt.so is missing after installing slurm-wlm-jwt-plugin."
}

# The unprivileged user slurmrestd runs as (it refuses root): Debian's slurm packages create `slurm`.
rest_user_name() {
  if id -u slurm >/dev/null 2>&1; then printf 'slurm\n'; else printf 'zocalo-slurmrestd\n'; fi
}

rest_user() {
  local user
  user="$(rest_user_name)"
  id -u "$user" >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$user" ||
    die "could not create the user $user for slurmrestd (it refuses to run as root)."
  printf '%s\n' "$user"
}

# --- configuration -----------------------------------------------------------------------------------------

write_config() {
  local node
  node="$(hostname -s)"
  mkdir -p "$STATE_DIR" "$DAEMON_DIR/etc" "$DAEMON_DIR/ctld" "$DAEMON_DIR/spool" "$RUN_DIR" "$LOG_DIR" "$MUNGE_DIR"
  # Readable by slurmrestd's user (slurm.conf, the munge socket), writable only by root and munge.
  chmod 755 "$DAEMON_DIR" "$DAEMON_DIR/etc" "$RUN_DIR" "$LOG_DIR"
  chmod 700 "$DAEMON_DIR/ctld" "$DAEMON_DIR/spool"
  # Which checkout these daemons belong to, for another checkout's refusal message.
  printf '%s\n' "$REPO_ROOT" >"$DAEMON_DIR/checkout"
  if [[ ! -s $JWT_KEY ]]; then
    (umask 077 && head -c 32 /dev/urandom >"$JWT_KEY")
  fi
  chmod 600 "$JWT_KEY"
  : >"$DAEMON_DIR/etc/plugstack.conf"
  # Every path inside the state folder; cgroups, accounting and a database are left out (none here).
  cat >"$CONF" <<CONF
# Written by scripts/slurm.sh at every start: a single-node cluster on loopback for the tests.
ClusterName=zocalo
SlurmctldHost=$node($HOST)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$JWT_KEY
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
PlugStackConfig=$DAEMON_DIR/etc/plugstack.conf
ReturnToService=2
SlurmdParameters=config_overrides
StateSaveLocation=$DAEMON_DIR/ctld
SlurmdSpoolDir=$DAEMON_DIR/spool
SlurmctldPidFile=$RUN_DIR/slurmctld.daemon.pid
SlurmdPidFile=$RUN_DIR/slurmd.daemon.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# Quick turn-around for tests: a cancelled job is killed 2 s after its SIGTERM; ended jobs stay
# visible to GET /job/{id} for 10 minutes.
KillWait=2
MinJobAge=600
InactiveLimit=0
# The main scheduler also runs every second (default 60 s): a job submitted while the node finishes
# the previous one starts in a second, not at the next event.
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  chmod 644 "$CONF"
}

# --- daemons -----------------------------------------------------------------------------------------------

# The daemon's log file and its standard output/error (slurmrestd has only the latter).
log_tail() {
  local f
  for f in "$LOG_DIR/$1.log" "$LOG_DIR/$1.out"; do
    if [[ -s $f ]]; then
      printf -- '--- last 20 lines of %s ---\n' "$f" >&2
      tail -n 20 "$f" >&2
    fi
  done
}

# Runs a daemon in the foreground of a session of its own (so that it outlives this script and holds no
# caller's pipes), recording its pid.
launch() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1 &
  printf '%s\n' "$!" >"$RUN_DIR/$name.pid"
}

# Waits up to $STARTUP_TIMEOUT s for the probe $2 (a function name) while daemon $1 stays alive.
await() {
  local name=$1 probe=$2 what=$3 pid deadline=$((SECONDS + STARTUP_TIMEOUT))
  pid="$(cat "$RUN_DIR/$name.pid")"
  until "$probe"; do
    if ! pid_alive "$pid"; then
      log_tail "$name"
      die "$name (pid $pid) exited before $what."
    fi
    ((SECONDS < deadline)) || {
      log_tail "$name"
      die "$name (pid $pid): no $what within ${STARTUP_TIMEOUT}s."
    }
    sleep 0.1
  done
}

munge_works() { munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; }
ctld_answers() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
node_idle() { [[ $(node_state) == idle ]]; }
rest_listens() { port_open "$REST_PORT"; }

start_munged() {
  # munged checks its key belongs to its own user and is private: a new 1024-byte key per state folder.
  if [[ ! -s $MUNGE_KEY ]]; then
    (umask 077 && head -c 1024 /dev/urandom >"$MUNGE_KEY")
  fi
  chown munge:munge "$MUNGE_DIR" "$MUNGE_KEY"
  chmod 755 "$MUNGE_DIR"
  chmod 400 "$MUNGE_KEY"
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  : >"$LOG_DIR/munged.log"
  chown munge:munge "$LOG_DIR/munged.log"
  # --force: munged also refuses a checkout whose parent folders are group- or world-writable.
  launch munged setpriv --reuid=munge --regid=munge --init-groups -- /usr/sbin/munged --foreground --force \
    --socket="$MUNGE_SOCKET" --key-file="$MUNGE_KEY" --pid-file="$MUNGE_DIR/munged.pid" \
    --seed-file="$MUNGE_DIR/munged.seed" --log-file="$LOG_DIR/munged.log"
  await munged munge_works "a working munge socket ($MUNGE_SOCKET)"
}

start_daemons() {
  local user t0=$SECONDS
  (( ${#MUNGE_SOCKET} < 100 )) ||
    die "the munge socket path $MUNGE_SOCKET is too long for a Unix socket; set ZOCALO_SLURM_DIR to a shorter folder."
  user="$(rest_user_name)"
  write_config
  : >"$LOG_DIR/slurmctld.log"
  : >"$LOG_DIR/slurmd.log"
  rm -f "$LOG_DIR"/*.out
  our_pid munged >/dev/null || start_munged
  # -c: a fresh cluster every start (no jobs or node state of an earlier run, whatever the host name was).
  launch slurmctld /usr/sbin/slurmctld -D -c -f "$CONF"
  await slurmctld ctld_answers "answer to scontrol ping"
  launch slurmd /usr/sbin/slurmd -D -f "$CONF" -N "$(hostname -s)"
  # slurmrestd: -u drops to an unprivileged user after binding (it refuses root); SLURM_JWT=daemon with
  # rest_auth/jwt makes it use each request's token; the openapi/v0.0.3x plugins only, as the default
  # set also loads the slurmdbd ones (dbv0.0.3x), which die without a slurmdbd.
  SLURM_JWT=daemon launch slurmrestd /usr/sbin/slurmrestd -f "$CONF" -a rest_auth/jwt \
    -s "openapi/v0.0.36,openapi/v0.0.37,openapi/$API_VERSION" -u "$user" "$HOST:$REST_PORT"
  await slurmd node_idle "idle node in sinfo"
  write_token || die "no JWT for the tests (see above); slurmctld's log: $LOG_DIR/slurmctld.log"
  await slurmrestd rest_answers "answer to GET $REST_URL/slurm/$API_VERSION/ping"
  log "Slurm: started in $((SECONDS - t0))s ($(slurm_version), REST $REST_URL/slurm/$API_VERSION as $JOB_USER, token $TOKEN_FILE)"
}

# A JWT for the tests ($JOB_USER's, a day long) and the settings they read (slurm.env).
write_token() {
  local out token
  # Returns 1 (with the reason on stderr) rather than dying: start() first tries it on a running cluster.
  if ! out="$(scontrol token username="$JOB_USER" lifespan="$TOKEN_LIFESPAN" 2>&1)"; then
    printf 'slurm.sh: scontrol token failed: %s\n' "$out" >&2
    return 1
  fi
  token="${out#SLURM_JWT=}"
  if [[ $token == "$out" || -z $token ]]; then
    printf 'slurm.sh: scontrol token printed no SLURM_JWT=...: %s\n' "$out" >&2
    return 1
  fi
  mkdir -p "$STATE_DIR"
  (umask 077 && printf '%s\n' "$token" >"$TOKEN_FILE.new") && mv -f "$TOKEN_FILE.new" "$TOKEN_FILE"
  cat >"$ENV_FILE" <<ENV
ZOCALO_SLURM_URL=$REST_URL
ZOCALO_SLURM_API_VERSION=$API_VERSION
ZOCALO_SLURM_USER=$JOB_USER
ZOCALO_SLURM_TOKEN_FILE=$TOKEN_FILE
ZOCALO_SLURM_PARTITION=$PARTITION
ZOCALO_SLURM_LOG_DIR=$LOG_DIR
SLURM_CONF=$CONF
ENV
}

slurm_version() { sinfo -V 2>/dev/null || printf 'slurm ?'; }

# Stops daemon $1 by its recorded pid: SIGTERM, SIGKILL after 15 s.
stop_daemon() {
  local name=$1 pid
  if ! pid="$(our_pid "$name")"; then
    rm -f "$RUN_DIR/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if pid_alive "$pid"; then
    log "$name: pid $pid ignored SIGTERM for 15s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
    pid_alive "$pid" && die "$name (pid $pid) still runs after SIGKILL; stop it by hand."
  fi
  rm -f "$RUN_DIR/$name.pid"
  STOPPED+=("$name $pid")
}

# Refuses ports that another process holds, naming it (and its checkout, if this script started it there).
check_ports() {
  local port owner other
  for port in "$CTLD_PORT" "$SLURMD_PORT" "$REST_PORT"; do
    port_open "$port" || continue
    owner="$(port_owner "$port" || printf 'unknown process')"
    other="$(checkout_of "$owner")"
    if [[ -n $other ]]; then
      die "port $HOST:$port is held by the Slurm of another checkout ($other: pid ${owner%% *}); stop it with \`bash $other/scripts/slurm.sh stop\`, or give this checkout other ports (ZOCALO_SLURM_REST_PORT, ZOCALO_SLURM_CTLD_PORT, ZOCALO_SLURMD_PORT)."
    fi
    die "port $HOST:$port is taken by a process this script did not start ($owner); stop it or give this checkout other ports (ZOCALO_SLURM_REST_PORT, ZOCALO_SLURM_CTLD_PORT, ZOCALO_SLURMD_PORT)."
  done
}

# --- commands ----------------------------------------------------------------------------------------------

start() {
  # A token is written first: the one of an earlier start may have expired (a day long).
  if daemons_ours && node_up && write_token && rest_answers; then
    log "Slurm: up, already running ($(slurm_version), REST $REST_URL/slurm/$API_VERSION, node $(node_state), token renewed in $TOKEN_FILE)"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "starting Slurm needs root (slurmd launches jobs as their users, munged runs as munge): run \`sudo bash scripts/slurm.sh start\`."
  ensure_packages
  rest_user >/dev/null
  # The packages (just installed, maybe) created the daemons' users: where can they reach?
  choose_daemon_dir
  [[ $DAEMON_DIR == "$STATE_DIR" ]] ||
    log "Slurm: munge or $(rest_user_name) cannot reach $STATE_DIR (a folder above it is private); the daemons' files go to $DAEMON_DIR"
  # Half-started or half-dead: start over rather than guess which daemon to keep.
  STOPPED=()
  local name
  for name in slurmrestd slurmd slurmctld; do stop_daemon "$name"; done
  if [[ ${#STOPPED[@]} -gt 0 ]]; then log "Slurm: restarting (${STOPPED[*]} stopped: not every daemon answered)"; fi
  check_ports
  start_daemons
}

cancel_jobs() {
  our_pid slurmctld >/dev/null || return 0
  local jobs
  jobs="$(squeue -h -o %i 2>/dev/null || true)"
  [[ -n $jobs ]] || return 0
  # shellcheck disable=SC2086 # one word per job id
  scancel $jobs 2>/dev/null || true
}

stop() {
  STOPPED=()
  cancel_jobs
  local name
  for name in slurmrestd slurmd slurmctld munged; do stop_daemon "$name"; done
  if [[ ${#STOPPED[@]} -gt 0 ]]; then
    log "Slurm: stopped (${STOPPED[*]})"
  else
    log "Slurm: not running (nothing this script started in $DAEMON_DIR)"
  fi
}

status() {
  local name pid
  for name in munged slurmctld slurmd slurmrestd; do
    if pid="$(our_pid "$name")"; then log "$name: running, pid $pid"; else log "$name: not running"; fi
  done
  if our_pid slurmctld >/dev/null; then log "node: $(node_state || true) ($(slurm_version))"; fi
  if rest_answers; then
    log "REST: $REST_URL/slurm/$API_VERSION/ping answers (token $TOKEN_FILE)"
  else
    log "REST: $REST_URL/slurm/$API_VERSION/ping does not answer"
  fi
}

choose_daemon_dir

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  running) running ;;
  *)
    printf 'usage: %s start|stop|status|running\n' "$0" >&2
    exit 2
    ;;
esac
