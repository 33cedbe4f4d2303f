#!/usr/bin/env bash
# make demo: the main job on the built-in localhost default (examples/inventory), end to end.
# A gate's exit code is its verdict (0 pass, 3 fallback, 2 pause); any other code fails the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
wrk=.venv/bin/wrk
inv=examples/inventory
export WRK_EVIDENCE_DIR="${WRK_EVIDENCE_DIR:-.wrk/evidence}"

echo "== wrk contract validate examples (the three representative WRKs)"
$wrk contract validate -i "$inv" examples/WRK-*.md

echo "== wrk readiness on localhost (dev-primary is this machine)"
$wrk readiness -i "$inv" --limit dev-primary --here dev-primary --requirements examples/requirements-linux.yml

for item in WRK-640 WRK-1342 WRK-635; do
  echo "== wrk gate examples/$item.md --stage execute --here dev-primary"
  set +e
  $wrk gate "examples/$item.md" --stage execute -i "$inv" --here dev-primary
  rc=$?
  set -e
  case $rc in
    0) verdict=pass ;; 3) verdict=fallback ;; 2) verdict=pause ;;
    *) echo "demo: wrk gate failed with exit $rc" >&2; exit "$rc" ;;
  esac
  decisions+=("$item execute: $verdict (exit $rc)")
done

echo "== wrk evidence verify"
$wrk evidence verify -i "$inv"

echo
echo "== three decisions"
printf '  %s\n' "${decisions[@]}"
echo "evidence is in $WRK_EVIDENCE_DIR; .venv/bin/wrk is ready to use"

echo
echo "== wrk report: the review page for the examples and the demo queue (the team's sample queue)"
# Capacity risk: every host the queue uses drained alone, plus both licence hosts together.
$wrk report examples tests/fixtures/work-queue -i "$inv" -o review.html \
  --title "wrk review: examples + demo queue" --drain ace-win-1 --drain ace-win-2 >/dev/null
echo "review page: $(pwd)/review.html"
