#!/bin/sh
# preStop hook of the nginx pods: keep serving while Kubernetes removes the pod
# from the Service's endpoints (HMS_NGINX_DRAIN_SECONDS, default 5), then a
# graceful quit: finish open requests (bounded by worker_shutdown_timeout), exit.
set -eu
sleep "${HMS_NGINX_DRAIN_SECONDS:-5}"
nginx -p /tmp/nginx/ -c /tmp/nginx/nginx.conf -e /dev/stderr -s quit
while [ -e /tmp/nginx/nginx.pid ]; do sleep 0.5; done
