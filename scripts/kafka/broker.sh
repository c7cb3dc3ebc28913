#!/usr/bin/env bash
# A throwaway single-node Apache Kafka (KRaft, broker and controller in one JVM) for tests.
# It needs only Java 17+ and Maven: the jars come from Maven Central (pinned in pom.xml next to
# this file), so no Kafka download or Docker engine is involved.
#
#   broker.sh fetch                                jars into the cache (once; later calls are instant)
#   broker.sh start DATA_DIR PORT CONTROLLER_PORT  format DATA_DIR, start in the background, wait for PORT
#   broker.sh stop DATA_DIR                        stop the broker started in DATA_DIR
#   broker.sh classpath                            print the classpath (for running Kafka tools by hand)
#
# Environment:
#   KAFKA_CACHE_DIR      where the jars go (default: <repo>/.cache/kafka, git-ignored)
#   KAFKA_HEAP_OPTS      JVM heap flags (default: -Xms128m -Xmx512m; the machines have 2 cores)
#   KAFKA_START_TIMEOUT  seconds to wait for PORT to accept connections (default: 60)
#   KAFKA_OWNER_PID      stop the broker once this process is gone, so a killed test run leaves none
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly POM="$SCRIPT_DIR/pom.xml"
readonly CACHE_ROOT="${KAFKA_CACHE_DIR:-$REPO_ROOT/.cache/kafka}"

die() {
  printf 'broker.sh: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The cache is keyed by the pom's hash: changing a version there fetches a fresh classpath.
lib_dir() {
  local hash
  hash="$(sha256sum "$POM" | cut -c1-16)"
  printf '%s/%s/lib' "$CACHE_ROOT" "$hash"
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)"
  fi
}

# Kafka 4 brokers refuse to run on Java < 17, with a much less helpful message.
require_java_17() {
  local java="$1" line major
  line="$("$java" -version 2>&1 | head -n 1)"
  major="$(sed -E 's/^[^"]*"(1\.)?([0-9]+).*$/\2/' <<<"$line")"
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot read the Java version from: $line"
  ((major >= 17)) || die "Kafka 4 needs Java 17 or newer, found: $line (apt-get install openjdk-17-jre-headless)"
}

fetch() {
  local lib tmp
  lib="$(lib_dir)"
  [[ -f "$lib/.complete" ]] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven 3 (apt-get install maven)"
  tmp="$lib.tmp.$$"
  rm -rf "$tmp" "$tmp.log"
  mkdir -p "$tmp"
  if ! mvn -B -q -f "$POM" -Dkafka.cache.lib="$tmp" dependency:copy-dependencies >"$tmp.log" 2>&1; then
    printf 'broker.sh: fetching the Kafka jars with Maven failed (is Maven Central reachable?):\n' >&2
    tail -n 30 "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    exit 1
  fi
  touch "$tmp/.complete"
  rm -f "$tmp.log"
  # Rename last so a half-copied classpath is never used; losing a race to another fetch is fine.
  mv -T "$tmp" "$lib" 2>/dev/null || rm -rf "$tmp"
}

port_arg() {
  [[ "$1" =~ ^[0-9]{1,5}$ ]] || die "not a TCP port: $1"
  local port=$((10#$1))
  ((port >= 1 && port <= 65535)) || die "not a TCP port: $1"
  printf '%s' "$port"
}

# Config files take the path verbatim; these characters would change their meaning there.
data_dir_arg() {
  local dir
  [[ -n "$1" ]] || die "DATA_DIR is empty"
  mkdir -p -- "$1"
  dir="$(cd -- "$1" && pwd)"
  [[ ! "$dir" =~ [,\\[:cntrl:]] ]] || die "DATA_DIR may not contain commas, backslashes or control characters: $dir"
  printf '%s' "$dir"
}

write_server_properties() {
  local data="$1" port="$2" cport="$3"
  cat >"$data/server.properties" <<EOF
# Written by scripts/kafka/broker.sh for tests: one node, loopback only, nothing durable.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data/kraft
# Tests create their topics explicitly, as production code must.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# A consumer group's first join would otherwise wait 3 s for more members.
group.initial.rebalance.delay.ms=0
log.segment.bytes=1048576
log.retention.ms=3600000
log.retention.bytes=67108864
log.retention.check.interval.ms=60000
# The default 128 MiB compaction buffer would take a quarter of the heap.
log.cleaner.dedupe.buffer.size=8388608
log.cleaner.threads=1
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
EOF
}

write_log_config() {
  local data="$1"
  cat >"$data/log4j2.properties" <<EOF
# Warnings and errors only, into DATA_DIR/broker.log; the startup line says the broker is up.
status = warn
# The JVM is only ever stopped with SIGTERM; log4j's own hook would just warn about that.
shutdownHook = disable
appender.file.type = File
appender.file.name = file
appender.file.fileName = $data/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d{ISO8601}] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
EOF
}

# Kafka cluster ids are 16 random bytes in URL-safe base64; one starting with '-' would read as a flag.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)"
    [[ "$id" != -* ]] && break
  done
  printf '%s' "$id"
}

# Sets JAVA_CMD rather than running java, so that `"${JAVA_CMD[@]}" ... &` makes $! the JVM's own pid.
# On 2 shared cores, start-up time is mostly JIT compiling: the client compiler alone (tier 1)
# and the serial collector start noticeably faster, and a test broker needs no peak throughput.
java_cmd() {
  local java="$1" data="$2" lib="$3" heap_opts="$4"
  local heap=()
  read -r -a heap <<<"$heap_opts"
  JAVA_CMD=("$java" "${heap[@]}" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$data/log4j2.properties" -cp "$lib/*")
}

format_storage() {
  local java="$1" data="$2" lib="$3"
  # Already formatted (a restart on the same data): keep its cluster id, which a new format would contradict.
  if [[ -f "$data/kraft/meta.properties" ]]; then
    return 0
  fi
  java_cmd "$java" "$data" "$lib" "-Xmx256m"
  if ! "${JAVA_CMD[@]}" kafka.tools.StorageTool format --standalone --ignore-formatted \
    --cluster-id "$(random_cluster_id)" --config "$data/server.properties" >"$data/format.log" 2>&1; then
    printf 'broker.sh: formatting %s failed:\n' "$data/kraft" >&2
    tail -n 20 "$data/format.log" >&2
    exit 1
  fi
}

# A reparented child that exited may linger as a zombie when PID 1 does not reap: count it as gone.
alive() {
  local stat state
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The state follows the command name, which is in parentheses and may contain spaces.
  state="${stat##*) }"
  [[ -n "$state" && "${state%% *}" != "Z" ]]
}

# Only ever signal the JVM that was started for this DATA_DIR, never a reused pid.
our_broker_pid() {
  local data="$1" pid cmdline
  [[ -f "$data/broker.pid" ]] || return 1
  pid="$(<"$data/broker.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  # Read first: with pipefail, `tr | grep -q` fails whenever grep stops reading early.
  cmdline="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  grep -qxF "$data/server.properties" <<<"$cmdline" || return 1
  printf '%s' "$pid"
}

terminate() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

watch_owner() {
  local owner="$1" pid="$2"
  while alive "$owner" && alive "$pid"; do sleep 1; done
  alive "$pid" && terminate "$pid"
}

log_tail() {
  local data="$1"
  printf -- '--- last lines of %s ---\n' "$data/broker.log"
  tail -n 25 "$data/broker.log" 2>/dev/null || true
  printf -- '--- last lines of %s (JVM output) ---\n' "$data/stdout.log"
  tail -n 15 "$data/stdout.log" 2>/dev/null || true
}

accepts() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
  local data="$1" port="$2" pid="$3" deadline
  deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-60}))
  until accepts "$port"; do
    if ! alive "$pid"; then
      printf 'broker.sh: the broker exited during startup\n%s\n' "$(log_tail "$data")" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      terminate "$pid"
      printf 'broker.sh: port %s did not open within %ss\n%s\n' "$port" "${KAFKA_START_TIMEOUT:-60}" \
        "$(log_tail "$data")" >&2
      exit 1
    fi
    sleep 0.2
  done
}

start() {
  (($# == 3)) || usage
  local data port cport java lib pid
  port="$(port_arg "$2")"
  cport="$(port_arg "$3")"
  [[ "$port" != "$cport" ]] || die "PORT and CONTROLLER_PORT must differ"
  [[ "${KAFKA_OWNER_PID:-0}" =~ ^[0-9]+$ ]] || die "KAFKA_OWNER_PID is not a pid: $KAFKA_OWNER_PID"
  data="$(data_dir_arg "$1")"
  java="$(java_bin)"
  require_java_17 "$java"
  fetch
  lib="$(lib_dir)"
  if pid="$(our_broker_pid "$data")"; then die "a broker (pid $pid) already runs in $data"; fi
  # Otherwise the wait below would take another process's listener for the broker.
  ! accepts "$port" || die "port $port on 127.0.0.1 is already in use"
  ! accepts "$cport" || die "port $cport on 127.0.0.1 is already in use"
  write_server_properties "$data" "$port" "$cport"
  write_log_config "$data"
  format_storage "$java" "$data" "$lib"
  # Own files for every stream: whoever runs this script waits for its pipes to close.
  java_cmd "$java" "$data" "$lib" "${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
  "${JAVA_CMD[@]}" kafka.Kafka "$data/server.properties" </dev/null >"$data/stdout.log" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$data/broker.pid"
  if [[ -n "${KAFKA_OWNER_PID:-}" ]]; then
    watch_owner "$KAFKA_OWNER_PID" "$pid" </dev/null >/dev/null 2>&1 &
  fi
  wait_for_port "$data" "$port" "$pid"
  printf 'kafka broker pid %s listening on 127.0.0.1:%s (data and logs in %s)\n' "$pid" "$port" "$data"
}

stop() {
  (($# == 1)) || usage
  local data pid
  [[ -d "$1" ]] || return 0
  data="$(cd -- "$1" && pwd)"
  if pid="$(our_broker_pid "$data")"; then terminate "$pid"; fi
  rm -f "$data/broker.pid"
}

main() {
  local command="${1:-}"
  shift || true
  case "$command" in
    fetch)
      (($# == 0)) || usage
      fetch
      ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    classpath)
      (($# == 0)) || usage
      fetch
      printf '%s/*\n' "$(lib_dir)"
      ;;
    *) usage ;;
  esac
}

main "$@"
