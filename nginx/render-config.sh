#!/bin/sh
# Entry point of the nginx image (Kubernetes, docker compose): renders our
# nginx.conf.template (the same file scripts/infra.sh renders for the local
# stack) and runs nginx in the foreground.
#
# The upstream is one DNS name (the gateways' headless Service in Kubernetes,
# the compose service name) that nginx re-resolves while it runs (`resolve`,
# nginx 1.27.3+), so gateway pods that come and go, e.g. under the HPA, are
# balanced with least_conn without a reload.
#
#   HMS_NGINX_GATEWAY_HOST   DNS name of the gateways (required)
#   HMS_NGINX_GATEWAY_PORT   their REST port (default 8081)
#   HMS_NGINX_PORT           port nginx listens on (default 8080)
#   HMS_NGINX_RESOLVER       DNS server (default: the first nameserver of /etc/resolv.conf)
#   HMS_NGINX_RESOLVE_VALID  how long an answer is kept (default 5s)
#   HMS_NGINX_TLS_CERT_FILE, HMS_NGINX_TLS_KEY_FILE  a mounted certificate and key: nginx
#                            then also serves HTTPS on HMS_NGINX_TLS_PORT (default 8443);
#                            without them TLS ends in front of nginx (the ingress)
set -eu

: "${HMS_NGINX_GATEWAY_HOST:?set HMS_NGINX_GATEWAY_HOST to the gateways DNS name}"
: "${HMS_NGINX_GATEWAY_PORT:=8081}"
: "${HMS_NGINX_PORT:=8080}"
: "${HMS_NGINX_RESOLVE_VALID:=5s}"
if [ -z "${HMS_NGINX_RESOLVER:-}" ]; then
  HMS_NGINX_RESOLVER="$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)"
fi
case "$HMS_NGINX_RESOLVER" in *:*:*) HMS_NGINX_RESOLVER="[$HMS_NGINX_RESOLVER]" ;; esac

HMS_NGINX_HOME=/tmp/nginx
HMS_NGINX_LOGS=/var/log/hms-nginx
HMS_NGINX_LISTEN="$HMS_NGINX_PORT"
HMS_NGINX_TLS=""
if [ -n "${HMS_NGINX_TLS_CERT_FILE:-}" ] && [ -n "${HMS_NGINX_TLS_KEY_FILE:-}" ]; then
  HMS_NGINX_TLS="        listen ${HMS_NGINX_TLS_PORT:-8443} ssl;
        ssl_certificate $HMS_NGINX_TLS_CERT_FILE;
        ssl_certificate_key $HMS_NGINX_TLS_KEY_FILE;"
fi
HMS_NGINX_USER_DIRECTIVE="" # the image already runs as an unprivileged user
# shellcheck disable=SC3045 # busybox and dash both have ulimit -n
HMS_NGINX_RLIMIT_NOFILE="$(ulimit -n)"
HMS_NGINX_UPSTREAM_SERVERS="        zone gateway 256k;
        resolver $HMS_NGINX_RESOLVER valid=$HMS_NGINX_RESOLVE_VALID ipv6=off;
        server $HMS_NGINX_GATEWAY_HOST:$HMS_NGINX_GATEWAY_PORT resolve max_fails=2 fail_timeout=5s;"
export HMS_NGINX_HOME HMS_NGINX_LOGS HMS_NGINX_LISTEN HMS_NGINX_TLS HMS_NGINX_USER_DIRECTIVE \
  HMS_NGINX_RLIMIT_NOFILE HMS_NGINX_UPSTREAM_SERVERS

mkdir -p "$HMS_NGINX_HOME/tmp"
# shellcheck disable=SC2016 # the list names variables for envsubst, not for this shell
envsubst '${HMS_NGINX_USER_DIRECTIVE} ${HMS_NGINX_UPSTREAM_SERVERS} ${HMS_NGINX_RLIMIT_NOFILE} ${HMS_NGINX_HOME} ${HMS_NGINX_LOGS} ${HMS_NGINX_LISTEN} ${HMS_NGINX_TLS}' \
  </etc/hms/nginx.conf.template >"$HMS_NGINX_HOME/nginx.conf"
exec nginx -p "$HMS_NGINX_HOME/" -c "$HMS_NGINX_HOME/nginx.conf" -e /dev/stderr
