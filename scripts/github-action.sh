#!/usr/bin/env bash
# The steps of the repository's GitHub Action (action.yml), kept here so that they
# run the same way locally and in the tests:
#
#   scripts/github-action.sh analyze   ekstwin analyze -> $EKSTWIN_OUT/ekstwin.sarif
#   scripts/github-action.sh diff      ekstwin diff --git $EKSTWIN_BASE_REF
#                                      -> $EKSTWIN_OUT/diff.md and diff.json
#   scripts/github-action.sh comment   post diff.md on the pull request, or update
#                                      the comment an earlier run posted
#
# Settings (environment): EKSTWIN_PLATFORM (paths, space-separated; default .),
# EKSTWIN_FAIL_ON (a severity, or empty), EKSTWIN_PROTECT (a namespace selector,
# or empty), EKSTWIN_BASE_REF (the pull request's base, e.g. origin/main),
# EKSTWIN_OUT (default .ekstwin). `comment` uses the gh CLI with GH_TOKEN, and
# GITHUB_REPOSITORY and EKSTWIN_PR (the pull request's number).
set -euo pipefail

EKSTWIN=${EKSTWIN:-ekstwin}
OUT=${EKSTWIN_OUT:-.ekstwin}
read -r -a PLATFORM <<<"${EKSTWIN_PLATFORM:-.}"
MARKER='<!-- ekstwin-diff -->'
mkdir -p "$OUT"

fail_on=()
[ -n "${EKSTWIN_FAIL_ON:-}" ] && fail_on=(--fail-on "$EKSTWIN_FAIL_ON")
protect=()
[ -n "${EKSTWIN_PROTECT:-}" ] && protect=(--protect "$EKSTWIN_PROTECT")

case "${1:-}" in
  analyze)
    # exit 1 (findings at --fail-on) is reported after the SARIF is written
    set +e
    "$EKSTWIN" analyze "${PLATFORM[@]}" --format sarif --output "$OUT/ekstwin.sarif" \
      "${fail_on[@]}" --quiet
    rc=$?
    set -e
    echo "ekstwin analyze exit code $rc; SARIF in $OUT/ekstwin.sarif"
    exit "$rc"
    ;;
  diff)
    : "${EKSTWIN_BASE_REF:?set EKSTWIN_BASE_REF to the base revision (e.g. origin/main)}"
    set +e
    "$EKSTWIN" diff --git "$EKSTWIN_BASE_REF" "${PLATFORM[@]}" --format json \
      --output "$OUT/diff.json" "${protect[@]}" --quiet
    "$EKSTWIN" diff --git "$EKSTWIN_BASE_REF" "${PLATFORM[@]}" --format markdown \
      --output "$OUT/diff.md" "${fail_on[@]}" "${protect[@]}" --quiet
    rc=$?
    set -e
    printf '%s\n' "$MARKER" >>"$OUT/diff.md"
    echo "ekstwin diff exit code $rc; comment in $OUT/diff.md"
    exit "$rc"
    ;;
  comment)
    : "${GITHUB_REPOSITORY:?}" "${EKSTWIN_PR:?}"
    # the comment an earlier run posted carries the marker: update it, else post one
    existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$EKSTWIN_PR/comments" --paginate \
      --jq ".[] | select(.body | contains(\"$MARKER\")) | .id" | head -n 1)
    if [ -n "$existing" ]; then
      gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" \
        -F "body=@$OUT/diff.md" >/dev/null
      echo "updated comment $existing"
    else
      gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$EKSTWIN_PR/comments" \
        -F "body=@$OUT/diff.md" >/dev/null
      echo "posted a comment"
    fi
    ;;
  *)
    echo "usage: $0 analyze|diff|comment" >&2
    exit 2
    ;;
esac
