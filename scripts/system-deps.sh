#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing.
# Nothing here leaves a service running: tests start (and stop) their own sshd instances,
# so package maintainer scripts are stopped from starting the system sshd on port 22.
set -euo pipefail

need=()
command -v git >/dev/null || need+=(git)
command -v ssh >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ip >/dev/null || need+=(iproute2)
# the report's browser test (tests/integration/test_report_browser.py) drives headless Chromium
command -v chromium >/dev/null || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)  # readable screenshots
# the GitHub issues source: its offline error paths run the real gh (tests/integration/test_gh.py)
command -v gh >/dev/null || need+=(gh)
# the wrk_readiness role's schedule entry point: its molecule scenario `schedule` writes and
# removes a real crontab entry (crontab, from cron; its daemon is not started, see below), and
# tests/integration/test_schedule_render.py checks the systemd units with systemd-analyze verify
command -v crontab >/dev/null || need+=(cron)
command -v systemd-analyze >/dev/null || need+=(systemd)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or install them first)" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
# (an if, not `&&`: a false test as the trap's last command would make the script exit 1)
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
was_running=0
pgrep -x sshd >/dev/null 2>&1 && was_running=1
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Belt and braces: if the install started a system sshd anyway, stop that one (tests never use
# port 22); an sshd that was running before is left alone.
if [ "$was_running" = 0 ] && [ -f /run/sshd.pid ]; then
  kill "$(cat /run/sshd.pid)" 2>/dev/null || true
fi
