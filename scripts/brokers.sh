#!/usr/bin/env bash
# Start, stop and restart the real brokers the test suites use (see docs in packages/test-brokers/README.md):
#   ActiveMQ 5.17 with STOMP on 127.0.0.1:61613 (our own instance directory, JVM started directly) and
#     Jolokia on http://127.0.0.1:8161/api/jolokia (admin/admin, scripts/brokers/jetty.xml)
#   RabbitMQ 3.10 with AMQP on 127.0.0.1:5672 and the management HTTP API on 127.0.0.1:15672
#
# Usage: scripts/brokers.sh start|stop|status|clean|restart-activemq|restart-rabbitmq
#   clean: delete the unused queues earlier test runs left on RabbitMQ (scripts/brokers/clean-rabbitmq.mjs)
#
# Environment:
#   ZOCALO_BROKER_DIR   ActiveMQ instance directory (default <repo>/.brokers/activemq)
#   ZOCALO_STATE_DIR    where the RabbitMQ pid/marker is kept (default <repo>/.brokers)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# Absolute paths: the JVM is started from inside AMQ_DIR and the pid check matches its command line.
AMQ_DIR="$(realpath -m "${ZOCALO_BROKER_DIR:-$REPO_ROOT/.brokers/activemq}")"
STATE_DIR="$(realpath -m "${ZOCALO_STATE_DIR:-$REPO_ROOT/.brokers}")"
# activemq.xml imports jetty.xml (Jolokia), which reads the realm and the Jolokia policy: copied alongside.
AMQ_CONF_FILES=(activemq.xml jetty.xml jetty-realm.properties jolokia-access.xml)
# The broker's heap: activemq.xml gives messages 40 % of it (memoryUsage), the rest is for everything else.
AMQ_JAVA_OPTS="-Xms128M -Xmx1G"
AMQ_HOME=/usr/share/activemq
AMQ_JAR="$AMQ_HOME/bin/activemq.jar"
AMQ_LOG4J=/etc/activemq/instances-available/main/log4j2.properties
AMQ_XSTREAM=/usr/share/java/xstream.jar
AMQ_XPP3=/usr/share/java/xpp3.jar
AMQ_JETTISON=/usr/share/java/jettison.jar
# Jolokia's servlet (libjolokia-core-java, with libjson-simple-java) on Jetty 9 (libjetty9-java, with
# libservlet-api-java): Debian's activemq ships no web console, whose /api/jolokia this stands in for.
AMQ_WEB_JARS=(jetty9-server jetty9-http jetty9-io jetty9-util jetty9-servlet jetty9-security servlet-api
  jolokia-core json-simple)
AMQ_PIDFILE="$AMQ_DIR/activemq.pid"
AMQ_OUT="$AMQ_DIR/activemq.out"        # JVM stdout/stderr
AMQ_BROKER_LOG="$AMQ_DIR/activemq.log" # broker log (log4j 1.2, see amq_launch)
RABBIT_PIDFILE="$STATE_DIR/rabbitmq.pid"
RABBIT_LOG_DIR=/var/log/rabbitmq

HOST=127.0.0.1
STOMP_PORT=61613
AMQP_PORT=5672
MGMT_PORT=15672
JOLOKIA_PORT=8161
JOLOKIA_AUTH=admin:admin # scripts/brokers/jetty-realm.properties
AMQ_TIMEOUT=90
RABBIT_TIMEOUT=60

log() { printf '%s\n' "$*"; }
die() {
  printf 'brokers.sh: %s\n' "$*" >&2
  exit 1
}

# --- probes ------------------------------------------------------------------------------------------------

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# Prints the STOMP CONNECTED frame's server header (or "unknown") when a STOMP broker answers on STOMP_PORT.
stomp_server() {
  timeout 3 bash -c '
    exec 3<>/dev/tcp/'"$HOST/$STOMP_PORT"' || exit 1
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

stomp_answers() { stomp_server >/dev/null; }

# Whether Jolokia answers an authenticated version request (an Origin: jolokia-access.xml's strict-checking).
jolokia_answers() {
  curl -fsS -m 3 -u "$JOLOKIA_AUTH" -H "Origin: http://$HOST:$JOLOKIA_PORT" \
    "http://$HOST:$JOLOKIA_PORT/api/jolokia/version" 2>/dev/null | grep -q '"status":200'
}

# /proc as well as kill -0: a user other than the broker's may not signal it but can still see it.
pid_alive() { [[ ${1:-} =~ ^[0-9]+$ ]] && { kill -0 "$1" 2>/dev/null || [[ -d /proc/$1 ]]; }; }

# The pid recorded for our ActiveMQ, if that process is still our JVM.
amq_pid() {
  [[ -f $AMQ_PIDFILE ]] || return 1
  local pid
  pid="$(cat "$AMQ_PIDFILE")"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dactivemq.base=$AMQ_DIR " || return 1
  printf '%s\n' "$pid"
}

# The pid of an ActiveMQ that this script started for another checkout of the project (its JVM carries
# -Dzocalo.brokers=<that checkout>), if one runs. Such an instance is taken over, not worked around:
# its configuration may be older than ours, and restart-activemq must be able to restart the broker.
amq_other_checkout_pid() {
  local pid cmdline
  # Our own user's java processes only: another user's broker is not ours to stop.
  for pid in $(pgrep -u "$(id -u)" -f -- "-Dzocalo.brokers=" 2>/dev/null || true); do
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */java ]] || continue
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
    [[ $cmdline == *"-Dactivemq.base="* ]] || continue
    # This checkout's own JVM (its pid file lost) is not another checkout's.
    [[ $cmdline == *"-Dzocalo.brokers=$REPO_ROOT "* ]] && continue
    printf '%s\n' "$pid"
    return 0
  done
  return 1
}

# A process that has exited, even if not yet reaped (a zombie), counts as gone.
jvm_running() {
  pid_alive "$1" && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# Stops a JVM: SIGTERM, then SIGKILL after 30 s; gives up (with a message) if even that does not end it.
amq_kill() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while jvm_running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if jvm_running "$pid"; then
    log "ActiveMQ: pid $pid ignored SIGTERM for 30s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while jvm_running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    jvm_running "$pid" && die "ActiveMQ (pid $pid) is still running after SIGKILL; stop it by hand."
  fi
  return 0
}

rabbit_node_running() { rabbitmqctl -q ping >/dev/null 2>&1; }

# The pid of the RabbitMQ node this script started, if that process still runs.
rabbit_our_pid() {
  [[ -f $RABBIT_PIDFILE ]] || return 1
  local pid
  pid="$(cat "$RABBIT_PIDFILE")"
  pid_alive "$pid" || return 1
  printf '%s\n' "$pid"
}

# --- installation ------------------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    die "the Debian package(s) $* are missing and installing them needs root. Run \`sudo bash scripts/brokers.sh start\` or \`apt-get install -y --no-install-recommends $*\`."
  fi
  command -v apt-get >/dev/null 2>&1 || die "the package(s) $* are missing and apt-get is not available to install them."
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "Installing $* (apt-get update first) ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  local out
  out="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    rm -f "$out"
    die "apt-get install $* failed"
  fi
  rm -f "$out"
}

# Installs whatever is missing for the brokers that do not answer yet, with a single apt-get update.
ensure_packages() {
  local want_amq=$1 want_rabbit=$2 missing=()
  if [[ $want_amq -eq 1 ]] && { [[ ! -f $AMQ_JAR ]] || [[ ! -f $AMQ_LOG4J ]] || ! command -v java >/dev/null 2>&1; }; then
    missing+=(activemq)
  fi
  # XStream and Jettison: the STOMP connector needs them to pass advisory messages (Schlockmeister's
  # queue discovery) to STOMP clients; Debian's activemq package depends on neither.
  if [[ $want_amq -eq 1 ]] && [[ ! -f $AMQ_XSTREAM ]]; then
    missing+=(libxstream-java)
  fi
  if [[ $want_amq -eq 1 ]] && [[ ! -f $AMQ_JETTISON ]]; then
    missing+=(libjettison-java)
  fi
  if [[ $want_amq -eq 1 ]] && [[ ! -f /usr/share/java/jolokia-core.jar ]]; then
    missing+=(libjolokia-core-java)
  fi
  if [[ $want_amq -eq 1 ]] && [[ ! -f /usr/share/java/jetty9-server.jar ]]; then
    missing+=(libjetty9-java)
  fi
  if [[ $want_amq -eq 1 ]] && ! command -v curl >/dev/null 2>&1; then
    missing+=(curl)
  fi
  if [[ $want_rabbit -eq 1 ]] && ! command -v rabbitmq-server >/dev/null 2>&1; then
    missing+=(rabbitmq-server)
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
  fi
}

# --- ActiveMQ ----------------------------------------------------------------------------------------------

amq_log_tail() {
  local f
  for f in "$AMQ_BROKER_LOG" "$AMQ_OUT"; do
    if [[ -s $f ]]; then
      printf -- '--- last 30 lines of %s ---\n' "$f" >&2
      tail -n 30 "$f" >&2
    fi
  done
}

amq_launch() {
  mkdir -p "$AMQ_DIR/conf" "$AMQ_DIR/data" "$AMQ_DIR/tmp"
  local file jar classpath="$AMQ_DIR/conf:$AMQ_XSTREAM:$AMQ_XPP3:$AMQ_JETTISON"
  for file in "${AMQ_CONF_FILES[@]}"; do cp "$SCRIPT_DIR/brokers/$file" "$AMQ_DIR/conf/$file"; done
  for jar in "${AMQ_WEB_JARS[@]}"; do classpath+=":/usr/share/java/$jar.jar"; done
  printf '%s\n' "$AMQ_JAVA_OPTS" >"$AMQ_DIR/conf/java-options"
  cp "$AMQ_LOG4J" "$AMQ_DIR/conf/log4j2.properties"
  # Debian's ActiveMQ logs through slf4j-log4j12 (log4j 1.2), which ignores log4j2.properties and would log
  # nothing at all; log4j 1.2 finds this file on the classpath (-Dactivemq.classpath=conf).
  cat >"$AMQ_DIR/conf/log4j.properties" <<'LOG4J'
log4j.rootLogger=INFO, logfile
log4j.logger.org.apache.activemq.spring=WARN
log4j.logger.org.apache.activemq.web.handler=WARN
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.logfile=org.apache.log4j.RollingFileAppender
log4j.appender.logfile.file=${activemq.base}/activemq.log
log4j.appender.logfile.maxFileSize=1MB
log4j.appender.logfile.maxBackupIndex=3
log4j.appender.logfile.append=true
log4j.appender.logfile.layout=org.apache.log4j.PatternLayout
log4j.appender.logfile.layout.ConversionPattern=%d | %-5p | %m | %c | %t%n
LOG4J
  : >"$AMQ_OUT"
  # setsid + closed stdio: the broker outlives this script and never holds a caller's pipes open (jest).
  # The trailing space in -Dactivemq.base=... lets amq_pid() match the exact directory.
  # Started from inside the instance directory so that nothing can land in the caller's working directory.
  cd "$AMQ_DIR"
  # shellcheck disable=SC2086 # the options are words
  setsid java $AMQ_JAVA_OPTS \
    -Djava.io.tmpdir="$AMQ_DIR/tmp" \
    -Dactivemq.classpath="$classpath" \
    -Dactivemq.home="$AMQ_HOME" \
    -Dactivemq.base="$AMQ_DIR" \
    -Dactivemq.conf="$AMQ_DIR/conf" \
    -Dactivemq.data="$AMQ_DIR/data" \
    -Dzocalo.brokers="$REPO_ROOT" \
    -jar "$AMQ_JAR" start "xbean:file:$AMQ_DIR/conf/activemq.xml" \
    </dev/null >>"$AMQ_OUT" 2>&1 &
  printf '%s\n' "$!" >"$AMQ_PIDFILE"
  cd - >/dev/null
}

amq_wait() {
  local pid=$1 deadline=$((SECONDS + AMQ_TIMEOUT))
  while ((SECONDS < deadline)); do
    if stomp_answers; then
      # Jetty starts with the broker's Spring context, so it answers about when STOMP does.
      while ! jolokia_answers; do
        if ((SECONDS >= deadline)); then
          amq_log_tail
          die "ActiveMQ (pid $pid) answers STOMP but not Jolokia on http://$HOST:$JOLOKIA_PORT/api/jolokia within ${AMQ_TIMEOUT}s."
        fi
        sleep 0.5
      done
      return 0
    fi
    if ! pid_alive "$pid"; then
      amq_log_tail
      die "ActiveMQ (pid $pid) exited before STOMP answered on $HOST:$STOMP_PORT."
    fi
    sleep 0.5
  done
  amq_log_tail
  die "ActiveMQ (pid $pid) did not answer STOMP on $HOST:$STOMP_PORT within ${AMQ_TIMEOUT}s."
}

# amq_begin launches ActiveMQ when needed (without waiting); amq_finish waits and reports. start() runs
# RabbitMQ's start-up in between so both brokers boot at the same time.
AMQ_STATE=""
AMQ_PID=""
AMQ_T0=0
# Whether our running broker was started with this checkout's activemq.xml and JVM options.
amq_config_current() {
  local file
  for file in "${AMQ_CONF_FILES[@]}"; do
    cmp -s "$SCRIPT_DIR/brokers/$file" "$AMQ_DIR/conf/$file" || return 1
  done
  [[ -f $AMQ_DIR/conf/java-options && $(cat "$AMQ_DIR/conf/java-options") == "$AMQ_JAVA_OPTS" ]]
}

amq_begin() {
  local server
  AMQ_T0=$SECONDS
  local other
  if ! amq_pid >/dev/null && other="$(amq_other_checkout_pid)"; then
    log "ActiveMQ: pid $other was started for another checkout ($(tr '\0' '\n' <"/proc/$other/cmdline" | sed -n 's/^-Dzocalo.brokers=//p')); stopping it to start this checkout's"
    amq_kill "$other"
  fi
  local running
  if running="$(amq_pid)" && ! amq_config_current; then
    log "ActiveMQ: pid $running runs an older activemq.xml or JVM options than this checkout's; restarting it"
    amq_kill "$running"
    rm -f "$AMQ_PIDFILE"
  fi
  if server="$(stomp_server)"; then
    [[ $server == ActiveMQ* ]] ||
      die "port $HOST:$STOMP_PORT answers STOMP but the server is '$server', not ActiveMQ (RabbitMQ's rabbitmq_stomp plugin?)."
    AMQ_STATE="$server, already running"
    return 0
  fi
  if AMQ_PID="$(amq_pid)"; then
    AMQ_STATE="starting"
    log "ActiveMQ: pid $AMQ_PID is starting, waiting for STOMP ..."
    return 0
  fi
  if port_open "$STOMP_PORT"; then
    die "port $HOST:$STOMP_PORT is taken by something that does not answer STOMP."
  fi
  # Jetty failing to bind would fail the broker's whole Spring context: say so before starting.
  if port_open "$JOLOKIA_PORT"; then
    die "port $HOST:$JOLOKIA_PORT (Jolokia, scripts/brokers/jetty.xml) is taken by another process."
  fi
  ensure_packages 1 0
  amq_launch
  AMQ_PID="$(cat "$AMQ_PIDFILE")"
  AMQ_STATE="starting"
}

amq_finish() {
  if [[ $AMQ_STATE == starting ]]; then
    amq_wait "$AMQ_PID"
    AMQ_STATE="$(stomp_server), started now, pid $AMQ_PID, $((SECONDS - AMQ_T0))s; instance $AMQ_DIR"
  fi
  local jolokia="Jolokia on http://$HOST:$JOLOKIA_PORT/api/jolokia"
  jolokia_answers || jolokia="Jolokia does not answer on $HOST:$JOLOKIA_PORT (not started by this script?)"
  log "ActiveMQ: up, STOMP on $HOST:$STOMP_PORT, $jolokia ($AMQ_STATE)"
}

amq_start() {
  amq_begin
  amq_finish
}

amq_stop() {
  local pid
  if ! pid="$(amq_pid)"; then
    rm -f "$AMQ_PIDFILE"
    if stomp_answers; then
      log "ActiveMQ: running but not started by this script; left alone"
    else
      log "ActiveMQ: not running"
    fi
    return 0
  fi
  amq_kill "$pid"
  rm -f "$AMQ_PIDFILE"
  log "ActiveMQ: stopped (pid $pid)"
}

# --- RabbitMQ ----------------------------------------------------------------------------------------------

rabbit_log_tail() {
  local f
  f="$(ls -t "$RABBIT_LOG_DIR"/*.log 2>/dev/null | grep -v -e _upgrade -e startup_ | head -n 1 || true)"
  if [[ -n $f ]]; then
    printf -- '--- last 30 lines of %s ---\n' "$f" >&2
    tail -n 30 "$f" >&2
  fi
}

rabbit_wait() {
  local deadline=$((SECONDS + RABBIT_TIMEOUT))
  while ((SECONDS < deadline)); do
    if port_open "$AMQP_PORT" && rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  rabbit_log_tail
  die "RabbitMQ did not answer AMQP on $HOST:$AMQP_PORT within ${RABBIT_TIMEOUT}s."
}

rabbit_record_pid() {
  mkdir -p "$STATE_DIR"
  local pid
  pid="$(rabbitmqctl -q eval 'list_to_integer(os:getpid()).' 2>/dev/null | tr -dc '0-9' || true)"
  if [[ -z $pid ]]; then
    pid="$(cat /var/lib/rabbitmq/mnesia/rabbit@*.pid 2>/dev/null | head -n 1 | tr -dc '0-9' || true)"
  fi
  [[ -n $pid ]] || die "RabbitMQ started but its pid could not be found (rabbitmqctl eval / mnesia pid file)."
  printf '%s\n' "$pid" >"$RABBIT_PIDFILE"
}

# The management plugin (HTTP API on 15672) is needed by later tooling (Schlockmeister).
# guest/guest may log in to it, so it listens on loopback only: the listener address is set in the
# running node before the plugin starts (a RabbitMQ booted by the machine read no such setting), and
# in rabbitmq.conf for the node's next boot.
rabbit_management_exposed() {
  ss -Hltn "sport = :$MGMT_PORT" 2>/dev/null | awk '{print $4}' | grep -qv "^$HOST:"
}

rabbit_management() {
  if port_open "$MGMT_PORT" && ! rabbit_management_exposed; then
    return 0
  fi
  command -v rabbitmq-plugins >/dev/null 2>&1 ||
    die "RabbitMQ answers but rabbitmq-plugins is missing, so the management plugin cannot be enabled."
  local conf=/etc/rabbitmq/rabbitmq.conf
  if [[ -w ${conf%/*} ]] && ! grep -qs '^management.tcp.ip' "$conf"; then
    printf 'management.tcp.ip = %s\n' "$HOST" >>"$conf"
  fi
  if port_open "$MGMT_PORT"; then
    log "RabbitMQ: the management API listens beyond $HOST; restarting the plugin on $HOST only"
    rabbitmq-plugins -q disable rabbitmq_management >/dev/null ||
      die "rabbitmq-plugins disable rabbitmq_management failed."
  fi
  rabbitmqctl -q eval "application:set_env(rabbitmq_management, tcp_config, [{ip, \"$HOST\"}, {port, $MGMT_PORT}])." >/dev/null ||
    die "could not set the management listener address in the running RabbitMQ (rabbitmqctl eval failed)."
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null ||
    die "rabbitmq-plugins enable rabbitmq_management failed."
  local deadline=$((SECONDS + 30))
  until port_open "$MGMT_PORT"; do
    ((SECONDS < deadline)) || die "the RabbitMQ management API did not answer on $HOST:$MGMT_PORT within 30s."
    sleep 0.3
  done
  log "RabbitMQ: management plugin enabled, HTTP API on $HOST:$MGMT_PORT"
}

rabbit_start() {
  local how t0=$SECONDS started=0
  if port_open "$AMQP_PORT"; then
    how="already running"
  else
    ensure_packages 0 1
    if rabbit_node_running; then
      # The Erlang node is up but the rabbit app is stopped (e.g. after `rabbitmqctl stop_app`).
      rabbitmqctl -q start_app >/dev/null || die "rabbitmqctl start_app failed."
      how="node was up, app started now"
    else
      if [[ $(id -u) -ne 0 ]] && [[ $(id -un) != rabbitmq ]]; then
        die "RabbitMQ does not answer on $HOST:$AMQP_PORT and starting it needs root (or the rabbitmq user). Run \`sudo bash scripts/brokers.sh start\`."
      fi
      mkdir -p "$STATE_DIR"
      rabbitmq-server -detached </dev/null >"$STATE_DIR/rabbitmq-server.out" 2>&1 || {
        cat "$STATE_DIR/rabbitmq-server.out" >&2
        rabbit_log_tail
        die "rabbitmq-server -detached failed."
      }
      started=1
    fi
    rabbit_wait
    if [[ $started -eq 1 ]]; then
      rabbit_record_pid
      how="started now, pid $(cat "$RABBIT_PIDFILE")"
    fi
  fi
  rabbit_management
  log "RabbitMQ: up, AMQP on $HOST:$AMQP_PORT, management on $HOST:$MGMT_PORT ($how, $((SECONDS - t0))s)"
}

rabbit_stop() {
  local pid
  if ! pid="$(rabbit_our_pid)"; then
    rm -f "$RABBIT_PIDFILE" # stale record, if any
    if port_open "$AMQP_PORT"; then
      log "RabbitMQ: running but not started by this script; left alone"
    else
      log "RabbitMQ: not running"
    fi
    return 0
  fi
  rabbitmqctl -q stop >/dev/null 2>&1 || die "rabbitmqctl stop failed."
  local deadline=$((SECONDS + 30))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  pid_alive "$pid" && die "RabbitMQ (pid $pid) still runs 30s after rabbitmqctl stop."
  rm -f "$RABBIT_PIDFILE"
  log "RabbitMQ: stopped (pid $pid)"
}

# stop_app/start_app restarts the broker inside the running Erlang node: every client connection is
# closed, durable queues and persistent messages survive, and it works whoever started the node.
rabbit_restart() {
  command -v rabbitmqctl >/dev/null 2>&1 || die "rabbitmqctl is missing; run \`bash scripts/brokers.sh start\` first."
  local t0=$SECONDS
  rabbitmqctl -q stop_app >/dev/null || die "rabbitmqctl stop_app failed."
  rabbitmqctl -q start_app >/dev/null || die "rabbitmqctl start_app failed."
  rabbit_wait
  rabbit_management
  log "RabbitMQ: restarted (stop_app/start_app), AMQP on $HOST:$AMQP_PORT answers again ($((SECONDS - t0))s)"
}

# --- commands ----------------------------------------------------------------------------------------------

status() {
  local server
  if server="$(stomp_server)"; then
    local who="not started by this script"
    amq_pid >/dev/null && who="started by this script, pid $(amq_pid)"
    local jolokia="Jolokia on http://$HOST:$JOLOKIA_PORT/api/jolokia"
    jolokia_answers || jolokia="Jolokia down"
    log "ActiveMQ: up, STOMP on $HOST:$STOMP_PORT, $jolokia ($server, $who)"
  else
    log "ActiveMQ: down (STOMP $HOST:$STOMP_PORT does not answer)"
  fi
  if port_open "$AMQP_PORT"; then
    local who="not started by this script" mgmt="management API down"
    local pid
    pid="$(rabbit_our_pid)" && who="started by this script, pid $pid"
    port_open "$MGMT_PORT" && mgmt="management on $HOST:$MGMT_PORT"
    log "RabbitMQ: up, AMQP on $HOST:$AMQP_PORT, $mgmt ($who)"
  else
    log "RabbitMQ: down (AMQP $HOST:$AMQP_PORT does not answer)"
  fi
}

start() {
  # One apt-get update for both packages when both brokers need installing.
  local need_amq=0 need_rabbit=0
  stomp_answers || need_amq=1
  port_open "$AMQP_PORT" || need_rabbit=1
  if [[ $need_amq -eq 1 ]] || [[ $need_rabbit -eq 1 ]]; then
    ensure_packages "$need_amq" "$need_rabbit"
  fi
  amq_begin
  rabbit_start
  amq_finish
}

case "${1:-}" in
  start) start ;;
  stop)
    amq_stop
    rabbit_stop
    ;;
  status) status ;;
  clean)
    port_open "$MGMT_PORT" || die "the RabbitMQ management API does not answer on $HOST:$MGMT_PORT; run $0 start first."
    node "$SCRIPT_DIR/brokers/clean-rabbitmq.mjs" "http://$HOST:$MGMT_PORT" ||
      die "could not delete the queues left by earlier test runs (see above)."
    ;;
  restart-activemq)
    if ! amq_pid >/dev/null && stomp_answers; then
      die "ActiveMQ answers on $HOST:$STOMP_PORT but was not started by this script (no live pid in $AMQ_PIDFILE), so it cannot be restarted here."
    fi
    amq_stop
    amq_start
    ;;
  restart-rabbitmq) rabbit_restart ;;
  *)
    printf 'usage: %s start|stop|status|clean|restart-activemq|restart-rabbitmq\n' "$0" >&2
    exit 2
    ;;
esac
