#!/usr/bin/env bash
# Broker clusters on loopback for the fault tests and benchmarks of packages/cluster-proof (issue #20),
# separate from the single brokers of scripts/brokers.sh, which this script never touches:
#   RabbitMQ: three nodes rabbit-z1..z3@localhost joined into one cluster, one Erlang cookie of their own,
#     AMQP on 127.0.0.1:5701-5703, management on 15701-15703, distribution on 25701-25703.
#   ActiveMQ: a shared-file-system master/slave pair, two JVMs from the Debian install sharing one KahaDB
#     directory: STOMP on 127.0.0.1:61701 (a) and 61702 (b), Jolokia on 8701/8702. Whichever holds the store
#     lock is the master and opens its ports; the other waits on the lock (polled every second).
#
# Usage: scripts/cluster.sh start|stop|status|reset [rabbitmq|activemq]
#   reset rabbitmq makes a new cluster (data and membership forgotten, ~30 s): the fault tests that
#   kill nodes start from one (see packages/cluster-proof/test/sequencer.cjs).
#   start is idempotent: it starts whichever node is not running (so a test brings back a killed node with
#   it) and, the first time, joins rabbit-z2 and rabbit-z3 to rabbit-z1.
#   pids NODE prints the pid of one node (rabbit-z1..3, activemq-a, activemq-b), for kill -9 in tests.
#
# Environment: ZOCALO_CLUSTER_DIR  state, data and logs (default <repo>/.brokers/cluster)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
ZOCALO_SCRIPT_NAME=cluster.sh
# shellcheck source=brokers/lib.sh
source "$SCRIPT_DIR/brokers/lib.sh"

CLUSTER_DIR="$(realpath -m "${ZOCALO_CLUSTER_DIR:-$REPO_ROOT/.brokers/cluster}")"
RABBIT_NODES=(1 2 3)
RABBIT_BIN=/usr/lib/rabbitmq/bin # the real scripts: /usr/sbin's wrappers switch to the rabbitmq user
RABBIT_TIMEOUT=90
AMQ_INSTANCES=(a b)
AMQ_HOME=/usr/share/activemq
AMQ_JAR="$AMQ_HOME/bin/activemq.jar"
AMQ_JAVA_OPTS="-Xms64M -Xmx512M"
AMQ_TIMEOUT=90
AMQ_CLASSPATH_JARS=(xstream xpp3 jettison jetty9-server jetty9-http jetty9-io jetty9-util jetty9-servlet
  jetty9-security servlet-api jolokia-core json-simple)

# --- RabbitMQ ----------------------------------------------------------------------------------------------

rabbit_name() { printf 'rabbit-z%s@localhost\n' "$1"; }
rabbit_dir() { printf '%s/rabbit-z%s\n' "$CLUSTER_DIR" "$1"; }
rabbit_amqp_port() { printf '%s\n' $((5700 + $1)); }
rabbit_mgmt_port() { printf '%s\n' $((15700 + $1)); }

# The environment of node $1 (server and CLI alike): its own files, our cookie (HOME), loopback only.
rabbit_env() {
  local dir
  dir="$(rabbit_dir "$1")"
  printf '%s\n' \
    "HOME=$CLUSTER_DIR" \
    "RABBITMQ_CONF_ENV_FILE=$CLUSTER_DIR/rabbitmq-env.conf" \
    "RABBITMQ_NODENAME=$(rabbit_name "$1")" \
    "RABBITMQ_DIST_PORT=$((25700 + $1))" \
    "RABBITMQ_MNESIA_BASE=$dir/mnesia" \
    "RABBITMQ_LOG_BASE=$dir/log" \
    "RABBITMQ_PID_FILE=$dir/rabbit.pid" \
    "RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" \
    "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins" \
    "ERL_EPMD_ADDRESS=127.0.0.1" \
    "ERL_FLAGS=-kernel inet_dist_use_interface {127,0,0,1}" \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=+sbwt none +sbwtdcpu none +sbwtdio none"
}

rabbit_ctl() {
  local n=$1
  shift
  local envs=()
  mapfile -t envs < <(rabbit_env "$n")
  env "${envs[@]}" "$RABBIT_BIN/rabbitmqctl" -q -n "$(rabbit_name "$n")" "$@"
}

# The pid file is written by the node itself; its command line names our HOME (not its node name).
rabbit_pid() { pid_from_file "$(rabbit_dir "$1")/rabbit.pid" "-home $CLUSTER_DIR "; }

rabbit_prepare() {
  mkdir -p "$CLUSTER_DIR"
  if [[ ! -f $CLUSTER_DIR/.erlang.cookie ]]; then
    # The cluster's own cookie: never the system node's (/var/lib/rabbitmq/.erlang.cookie).
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$CLUSTER_DIR/.erlang.cookie")
  fi
  chmod 400 "$CLUSTER_DIR/.erlang.cookie"
  : >"$CLUSTER_DIR/rabbitmq-env.conf" # not /etc/rabbitmq/rabbitmq-env.conf (NODENAME=rabbit@localhost)
  local n dir
  for n in "${RABBIT_NODES[@]}"; do
    dir="$(rabbit_dir "$n")"
    mkdir -p "$dir/mnesia" "$dir/log"
    printf '[rabbitmq_management].\n' >"$dir/enabled_plugins"
    # 400 MB before memory alarms: three nodes stay modest on a shared machine.
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.local = 127.0.0.1:$(rabbit_amqp_port "$n")
management.tcp.ip = 127.0.0.1
management.tcp.port = $(rabbit_mgmt_port "$n")
vm_memory_high_watermark.absolute = 400MB
disk_free_limit.absolute = 500MB
cluster_partition_handling = pause_minority
log.console = false
log.file.level = info
CONF
  done
}

rabbit_launch() {
  local n=$1 envs=()
  mapfile -t envs < <(rabbit_env "$n")
  rm -f "$(rabbit_dir "$n")/rabbit.pid"
  # Redirected as a whole: no process of the node may hold the caller's pipes open (jest, `| tail`).
  (cd "$CLUSTER_DIR" && exec env "${envs[@]}" setsid "$RABBIT_BIN/rabbitmq-server") </dev/null \
    >"$(rabbit_dir "$n")/server.out" 2>&1 &
}

rabbit_log_tail() {
  local f
  f="$(ls -t "$(rabbit_dir "$1")"/log/*.log 2>/dev/null | head -n 1 || true)"
  [[ -n $f ]] && { printf -- '--- last 30 lines of %s ---\n' "$f" >&2; tail -n 30 "$f" >&2; }
  tail -n 10 "$(rabbit_dir "$1")/server.out" >&2 2>/dev/null || true
}

rabbit_wait() {
  local n=$1 deadline=$((SECONDS + RABBIT_TIMEOUT))
  until port_open "$(rabbit_amqp_port "$n")" && rabbit_ctl "$n" await_startup --timeout 10 >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      rabbit_log_tail "$n"
      die "rabbit-z$n did not answer AMQP on $HOST:$(rabbit_amqp_port "$n") within ${RABBIT_TIMEOUT}s."
    fi
    sleep 0.5
  done
  local mgmt_deadline=$((SECONDS + 30))
  until port_open "$(rabbit_mgmt_port "$n")"; do
    ((SECONDS < mgmt_deadline)) || die "rabbit-z$n: management did not answer on $(rabbit_mgmt_port "$n")."
    sleep 0.3
  done
}

rabbit_in_cluster() { rabbit_ctl 1 cluster_status --formatter json 2>/dev/null | grep -qF "\"$(rabbit_name "$1")\""; }

rabbit_start() {
  command -v "$RABBIT_BIN/rabbitmq-server" >/dev/null 2>&1 || die "RabbitMQ is not installed (run scripts/brokers.sh start first)."
  local t0=$SECONDS n started=()
  rabbit_prepare
  # All missing nodes at once: a node restarted after the others stopped waits for its peers.
  for n in "${RABBIT_NODES[@]}"; do
    if ! rabbit_pid "$n" >/dev/null; then
      port_open "$(rabbit_amqp_port "$n")" && die "port $HOST:$(rabbit_amqp_port "$n") is taken, but not by rabbit-z$n."
      rabbit_launch "$n"
      started+=("$n")
    fi
  done
  for n in "${RABBIT_NODES[@]}"; do rabbit_wait "$n"; done
  for n in 2 3; do
    if ! rabbit_in_cluster "$n"; then
      log "RabbitMQ: joining rabbit-z$n to rabbit-z1"
      rabbit_ctl "$n" stop_app >/dev/null
      rabbit_ctl "$n" reset >/dev/null
      rabbit_ctl "$n" join_cluster "$(rabbit_name 1)" >>"$(rabbit_dir "$n")/join.out" 2>&1 || die "rabbit-z$n could not join rabbit-z1."
      rabbit_ctl "$n" start_app >>"$(rabbit_dir "$n")/join.out" 2>&1
      rabbit_wait "$n"
    fi
  done
  log "RabbitMQ cluster: up, AMQP on $HOST:5701-5703, management on 15701-15703 (started now: ${started[*]:-none}, $((SECONDS - t0))s; $CLUSTER_DIR)"
}

# A new cluster: stop the nodes, forget their data (queues, membership), start and join them again.
rabbit_reset() {
  local n
  rabbit_stop
  for n in "${RABBIT_NODES[@]}"; do rm -rf "$(rabbit_dir "$n")/mnesia"; done
  rabbit_start
}

rabbit_stop() {
  local n pid
  for n in "${RABBIT_NODES[@]}"; do
    if pid="$(rabbit_pid "$n")"; then
      rabbit_ctl "$n" stop >/dev/null 2>&1 || true
      local deadline=$((SECONDS + 30))
      while proc_running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
      proc_running "$pid" && stop_pid "$pid" 5
      log "RabbitMQ: rabbit-z$n stopped (pid $pid)"
    else
      log "RabbitMQ: rabbit-z$n not running"
    fi
  done
}

rabbit_status() {
  local n pid
  for n in "${RABBIT_NODES[@]}"; do
    if pid="$(rabbit_pid "$n")"; then
      local state="starting"
      port_open "$(rabbit_amqp_port "$n")" && state="AMQP on $HOST:$(rabbit_amqp_port "$n")"
      log "RabbitMQ: rabbit-z$n up, pid $pid, $state, management on $(rabbit_mgmt_port "$n")"
    else
      log "RabbitMQ: rabbit-z$n down"
    fi
  done
}

# --- ActiveMQ ----------------------------------------------------------------------------------------------

amq_dir() { printf '%s/activemq-%s\n' "$CLUSTER_DIR" "$1"; }
amq_index() { [[ $1 == a ]] && echo 1 || echo 2; }
amq_stomp_port() { printf '%s\n' $((61700 + $(amq_index "$1"))); }
amq_jolokia_port() { printf '%s\n' $((8700 + $(amq_index "$1"))); }
amq_pid() { pid_from_file "$(amq_dir "$1")/activemq.pid" "-Dactivemq.base=$(amq_dir "$1") "; }

# The single broker's activemq.xml and jetty.xml, with this instance's ports and the shared store: the
# pair has the same policies (DLQ naming, redelivery marks) as the broker the rest of the suite uses.
amq_configure() {
  local inst=$1 dir conf
  dir="$(amq_dir "$inst")"
  conf="$dir/conf"
  mkdir -p "$conf" "$dir/data" "$dir/tmp" "$CLUSTER_DIR/activemq-shared"
  sed -e "s#stomp://127.0.0.1:61613#stomp://127.0.0.1:$(amq_stomp_port "$inst")#" \
    -e "s#brokerName=\"zocalo-test\"#brokerName=\"zocalo-pair\"#" \
    -e "s#<kahaDB directory=\"\${activemq.data}/kahadb\"/>#<kahaDB directory=\"$CLUSTER_DIR/activemq-shared/kahadb\"><locker><shared-file-locker lockAcquireSleepInterval=\"1000\"/></locker></kahaDB>#" \
    "$SCRIPT_DIR/brokers/activemq.xml" >"$conf/activemq.xml"
  sed -e "s#<constructor-arg value=\"8161\"/>#<constructor-arg value=\"$(amq_jolokia_port "$inst")\"/>#" \
    "$SCRIPT_DIR/brokers/jetty.xml" >"$conf/jetty.xml"
  grep -qF "stomp://127.0.0.1:$(amq_stomp_port "$inst")" "$conf/activemq.xml" &&
    grep -qF "activemq-shared/kahadb" "$conf/activemq.xml" &&
    grep -qF "\"$(amq_jolokia_port "$inst")\"" "$conf/jetty.xml" ||
    die "scripts/brokers/activemq.xml or jetty.xml changed: the pair's ports or shared store could not be set."
  cp "$SCRIPT_DIR/brokers/jetty-realm.properties" "$SCRIPT_DIR/brokers/jolokia-access.xml" "$conf/"
  cat >"$conf/log4j.properties" <<'LOG4J'
log4j.rootLogger=INFO, logfile
log4j.logger.org.apache.activemq.spring=WARN
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.logfile=org.apache.log4j.RollingFileAppender
log4j.appender.logfile.file=${activemq.base}/activemq.log
log4j.appender.logfile.maxFileSize=1MB
log4j.appender.logfile.maxBackupIndex=3
log4j.appender.logfile.layout=org.apache.log4j.PatternLayout
log4j.appender.logfile.layout.ConversionPattern=%d | %-5p | %m | %c | %t%n
LOG4J
}

amq_launch() {
  local inst=$1 dir jar classpath
  dir="$(amq_dir "$inst")"
  [[ -f $AMQ_JAR ]] || die "ActiveMQ is not installed (run scripts/brokers.sh start first)."
  amq_configure "$inst"
  classpath="$dir/conf"
  for jar in "${AMQ_CLASSPATH_JARS[@]}"; do classpath+=":/usr/share/java/$jar.jar"; done
  # No -Dzocalo.brokers: brokers.sh stops JVMs carrying it as another checkout's single broker.
  (cd "$dir" && exec setsid java $AMQ_JAVA_OPTS \
    -Djava.io.tmpdir="$dir/tmp" \
    -Dactivemq.classpath="$classpath" \
    -Dactivemq.home="$AMQ_HOME" \
    -Dactivemq.base="$dir" \
    -Dactivemq.conf="$dir/conf" \
    -Dactivemq.data="$dir/data" \
    -Dzocalo.cluster="$CLUSTER_DIR" \
    -jar "$AMQ_JAR" start "xbean:file:$dir/conf/activemq.xml") </dev/null >"$dir/activemq.out" 2>&1 &
  # setsid may fork (when it leads its process group), so $! is not always the JVM: find it by its base.
  local pid="" deadline=$((SECONDS + 10))
  until pid="$(pgrep -n -f -- "-Dactivemq.base=$dir ")"; do
    ((SECONDS < deadline)) || { tail -n 30 "$dir/activemq.out" >&2; die "activemq-$inst did not start."; }
    sleep 0.1
  done
  printf '%s\n' "$pid" >"$dir/activemq.pid"
}

# The instance that holds the store (answers STOMP), if any.
amq_master() {
  local inst
  for inst in "${AMQ_INSTANCES[@]}"; do
    stomp_server_on "$(amq_stomp_port "$inst")" >/dev/null && { printf '%s\n' "$inst"; return 0; }
  done
  return 1
}

amq_start() {
  local t0=$SECONDS inst started=()
  for inst in "${AMQ_INSTANCES[@]}"; do
    amq_pid "$inst" >/dev/null && continue
    port_open "$(amq_stomp_port "$inst")" && die "port $HOST:$(amq_stomp_port "$inst") is taken, but not by activemq-$inst."
    amq_launch "$inst"
    started+=("$inst")
    # The first to start takes the store; waiting for it keeps a (re)started pair's master predictable.
    if [[ $inst == a ]] && ! amq_master >/dev/null; then
      local deadline=$((SECONDS + AMQ_TIMEOUT))
      until amq_master >/dev/null; do
        ((SECONDS < deadline)) || { tail -n 30 "$(amq_dir a)/activemq.log" >&2 2>/dev/null; die "activemq-a did not answer STOMP within ${AMQ_TIMEOUT}s."; }
        proc_running "$(cat "$(amq_dir a)/activemq.pid")" || { tail -n 30 "$(amq_dir a)/activemq.out" >&2; die "activemq-a exited at start-up."; }
        sleep 0.5
      done
    fi
  done
  local deadline=$((SECONDS + AMQ_TIMEOUT)) master
  until master="$(amq_master)"; do
    ((SECONDS < deadline)) || die "neither ActiveMQ instance answered STOMP within ${AMQ_TIMEOUT}s."
    sleep 0.5
  done
  log "ActiveMQ pair: up, master activemq-$master (STOMP $HOST:$(amq_stomp_port "$master")), STOMP 61701/61702, Jolokia 8701/8702 (started now: ${started[*]:-none}, $((SECONDS - t0))s)"
}

amq_stop() {
  local inst pid
  # The slave first, so that it does not take the store over while the master shuts down.
  for inst in b a; do
    [[ $(amq_master 2>/dev/null) == "$inst" ]] && continue
    if pid="$(amq_pid "$inst")"; then stop_pid "$pid" 30 && log "ActiveMQ: activemq-$inst stopped (pid $pid)"; fi
  done
  for inst in "${AMQ_INSTANCES[@]}"; do
    if pid="$(amq_pid "$inst")"; then stop_pid "$pid" 30 && log "ActiveMQ: activemq-$inst stopped (pid $pid)"; fi
  done
}

amq_status() {
  local inst pid master
  master="$(amq_master || true)"
  for inst in "${AMQ_INSTANCES[@]}"; do
    if pid="$(amq_pid "$inst")"; then
      local role="slave (waiting for the store lock)"
      [[ $master == "$inst" ]] && role="master, STOMP on $HOST:$(amq_stomp_port "$inst"), Jolokia on $(amq_jolokia_port "$inst")"
      log "ActiveMQ: activemq-$inst up, pid $pid, $role"
    else
      log "ActiveMQ: activemq-$inst down"
    fi
  done
}

# --- commands ----------------------------------------------------------------------------------------------

which_brokers() {
  case "${1:-all}" in
    all) echo "rabbitmq activemq" ;;
    rabbitmq | activemq) echo "$1" ;;
    *) die "unknown broker '$1' (rabbitmq or activemq)" ;;
  esac
}

cmd=${1:-}
case "$cmd" in
  start | stop | status | reset)
    for broker in $(which_brokers "${2:-all}"); do
      case "$cmd:$broker" in
        reset:rabbitmq) rabbit_reset ;;
        reset:activemq) amq_stop && amq_start ;;
        start:rabbitmq) rabbit_start ;;
        start:activemq) amq_start ;;
        stop:rabbitmq) rabbit_stop ;;
        stop:activemq) amq_stop ;;
        status:rabbitmq) rabbit_status ;;
        status:activemq) amq_status ;;
      esac
    done
    ;;
  pid)
    case "${2:-}" in
      rabbit-z[123]) rabbit_pid "${2#rabbit-z}" || die "${2} is not running" ;;
      activemq-[ab]) amq_pid "${2#activemq-}" || die "${2} is not running" ;;
      *) die "usage: $0 pid rabbit-z1|rabbit-z2|rabbit-z3|activemq-a|activemq-b" ;;
    esac
    ;;
  *)
    printf 'usage: %s start|stop|status|reset [rabbitmq|activemq] | pid NODE\n' "$0" >&2
    exit 2
    ;;
esac
