#!/usr/bin/env bash
# One command from a fresh clone to a running single-node cluster: installs ZooKeeper and kcat
# if missing, starts ZooKeeper (localhost:2181) and a broker (localhost:9092) in the background
# with the shipped configs, then runs the first steps of the Kafka quickstart so you can see
# it work. Both keep running; stop them with:
#   bin/kafka-server-stop.sh && bin/zookeeper-server-stop.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"

missing=()
for pkg in zookeeper kcat; do
	dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo ">>> installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v go >/dev/null || { echo "quickstart: Go is required (https://go.dev/dl/)" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
	for _ in $(seq 1 150); do
		port_open "$1" && return 0
		sleep 0.2
	done
	echo "quickstart: nothing is listening on port $1; see $ROOT/logs/" >&2
	exit 1
}

if port_open 2181; then
	echo ">>> something already listens on 2181; using it as ZooKeeper"
else
	echo ">>> bin/zookeeper-server-start.sh -daemon config/zookeeper.properties"
	bin/zookeeper-server-start.sh -daemon config/zookeeper.properties
	wait_port 2181
fi
if port_open 9092; then
	echo ">>> something already listens on 9092; using it as the broker"
else
	echo ">>> bin/kafka-server-start.sh -daemon config/server.properties"
	bin/kafka-server-start.sh -daemon config/server.properties
	wait_port 9092
fi

run() {
	echo ">>> $*"
	"$@"
}
run bin/kafka-topics.sh --create --if-not-exists --topic quickstart-events --bootstrap-server localhost:9092
run bin/kafka-topics.sh --describe --topic quickstart-events --bootstrap-server localhost:9092
echo ">>> printf 'This is my first event\nThis is my second event\n' | bin/kafka-console-producer.sh --topic quickstart-events --bootstrap-server localhost:9092"
printf 'This is my first event\nThis is my second event\n' | bin/kafka-console-producer.sh --topic quickstart-events --bootstrap-server localhost:9092
run bin/kafka-console-consumer.sh --topic quickstart-events --from-beginning --bootstrap-server localhost:9092 --max-messages 2
cat <<MSG

ZooKeeper: localhost:2181   broker 0: localhost:9092   logs: $ROOT/logs/   data: /tmp/zookeeper, /tmp/kafka-logs
Next: follow the tutorial in README.md. Stop everything with:
  bin/kafka-server-stop.sh && bin/zookeeper-server-stop.sh
MSG
