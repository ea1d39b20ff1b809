#!/usr/bin/env bash
# The container image check `make test` runs (make image-test): builds the
# image (make image), runs it with the host network on a free loopback
# port, waits for its HEALTHCHECK to say healthy, gets klines from it and
# removes the container; checks the image's user, port, volume and health
# check, and that it turns healthy with its default command as well.
#
# Needs a docker daemon. When docker.io is missing it is installed with
# apt-get (only under CI=true or as root), and a daemon that is not
# running is started in the background (stopped again at the end). In a
# sandbox where the default daemon cannot start (no iptables, no overlay
# mounts), it is started again with --iptables=false --bridge=none
# --storage-driver=vfs: the test needs neither a bridge nor overlayfs.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-candlecassette:dev}
BIN=${BIN:-bin/candlecassette}
started=$(date +%s)
say() { echo "image-test: $*" >&2; }

can_install() { [[ "${CI:-}" == "true" || "$(id -u)" == "0" ]]; }
sudo_() { if [[ "$(id -u)" == "0" ]]; then "$@"; else sudo "$@"; fi; }

if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
	if ! can_install; then
		say "no docker daemon and not CI or root: skipped (set CI=true to install docker.io)"
		exit 0
	fi
	say "installing docker.io"
	sudo_ apt-get update -qq
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

our_dockerd=""
stop_dockerd() {
	if [[ -n "$our_dockerd" ]]; then
		sudo_ kill "$our_dockerd" 2>/dev/null || true
		for _ in $(seq 50); do sudo_ kill -0 "$our_dockerd" 2>/dev/null || break; sleep 0.2; done
	fi
}
wait_docker() {
	for _ in $(seq 150); do
		docker info >/dev/null 2>&1 && return 0
		[[ -n "$our_dockerd" ]] && ! sudo_ kill -0 "$our_dockerd" 2>/dev/null && return 1
		sleep 0.2
	done
	return 1
}
start_dockerd() {
	local log=$1; shift
	if [[ "$(id -u)" == "0" ]]; then
		dockerd "$@" </dev/null >"$log" 2>&1 &
	else
		sudo dockerd "$@" </dev/null >"$log" 2>&1 & # sudo passes our kill on to it
	fi
	our_dockerd=$!
	wait_docker
}
if ! docker info >/dev/null 2>&1; then
	if ! can_install; then
		say "docker daemon not running and not CI or root: skipped"
		exit 0
	fi
	log=$(mktemp -t dockerd.XXXXXX.log)
	say "starting dockerd (log $log)"
	if ! start_dockerd "$log"; then
		stop_dockerd
		say "dockerd failed with its defaults ($(tail -n 1 "$log")); again without iptables, bridge or overlayfs"
		our_dockerd=""
		if ! start_dockerd "$log" --iptables=false --bridge=none --storage-driver=vfs; then
			tail -n 20 "$log" >&2
			say "FAIL: dockerd does not start"
			exit 1
		fi
	fi
fi

name="candlecassette-image-test-$$"
cleanup() {
	docker rm -f "$name" "$name-default" >/dev/null 2>&1 || true
	stop_dockerd
}
trap cleanup EXIT

# -Onone: under `make test`'s -O the sub-make would wait for the output
# lock on the stdin it shares with the jobs (and dockerd, before its stdin
# was /dev/null, held a lock there for ever).
make --no-print-directory -Onone image IMAGE="$IMAGE" </dev/null >/dev/null

# A free loopback port: one nothing answers on.
port=""
for p in $(shuf -i 20000-60000 -n 50); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n "$port" ]] || { say "FAIL: no free port"; exit 1; }

url="http://127.0.0.1:$port"
docker run -d --name "$name" --network host \
	-e CANDLECASSETTE_HEALTH_URL="$url/__admin/health" --health-interval=1s --health-start-period=1s \
	"$IMAGE" synth binance_spot --listen "127.0.0.1:$port" >/dev/null

# wait_healthy NAME: the container's HEALTHCHECK says healthy within 20 s.
wait_healthy() {
	local health=""
	for _ in $(seq 100); do
		health=$(docker inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null || echo gone)
		[[ "$health" == "healthy" || "$health" == "gone" ]] && break
		sleep 0.2
	done
	if [[ "$health" != "healthy" ]]; then
		docker logs "$1" >&2 || true
		say "FAIL: container $1's health is $health"
		exit 1
	fi
}
wait_healthy "$name"

# Klines over plain bash: the image answers the exchange's own format.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /api/v3/klines?symbol=BTCUSDT&interval=1m&limit=3 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
resp=$(cat <&3)
exec 3<&-
status=$(head -n 1 <<<"$resp" | tr -d '\r')
body=$(sed '1,/^\r\{0,1\}$/d' <<<"$resp")
rows=$(grep -o '\[[0-9]\{13\},' <<<"$body" | wc -l)
if [[ "$status" != "HTTP/1.1 200 OK" || "$rows" != 3 ]]; then
	say "FAIL: klines answered '$status' with $rows rows: ${body:0:300}"
	exit 1
fi
user=$(docker inspect --format '{{.Config.User}}' "$IMAGE")
[[ "$user" == "65532:65532" ]] || { say "FAIL: image runs as '$user'"; exit 1; }
# What the Dockerfile promises: the port, the volume, the health check.
config=$(docker inspect --format '{{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{json .Config.Healthcheck.Test}}' "$IMAGE")
[[ "$config" == '{"8080/tcp":{}} {"/cassettes":{}} ["CMD","/candlecassette","health"]' ]] ||
	{ say "FAIL: image config $config"; exit 1; }
# The image as a service runs it: its default command and health URL, in a
# network namespace of its own (nothing reaches the host; no bridge needed).
docker run -d --name "$name-default" --network none --health-interval=1s --health-start-period=1s "$IMAGE" >/dev/null
wait_healthy "$name-default"
say "ok: $IMAGE healthy, 3 klines from $url, user $user; healthy with its default command too ($(($(date +%s) - started))s)"

# The README's testcontainers-go example (compat/readme), while the daemon
# is up: make test's compat-go runs every other compat test and skips this
# one, since the daemon this script started is stopped when it ends.
(cd compat && CANDLECASSETTE_IMAGE="$IMAGE" go test -mod=mod -count=1 -run '^TestTheImageWithTestcontainers$' ./readme) >&2
say "ok: the README's testcontainers-go example ran the image"
