#!/usr/bin/env bash
# Status job after a merge (NO HR keys; its token may write to pull
# requests): write the merge job's outcome (STATUS_IN: "NUMBER<TAB>TEXT")
# into the status line of the pull request's hrform comment.
#
# Env: GH_REPO, STATUS_IN (default status.tsv).
source "$(dirname "$0")/lib.sh"

STATUS_IN="${STATUS_IN:-status.tsv}"
[ -s "$STATUS_IN" ] || { echo "hrform: no outcome from the apply job ($STATUS_IN)" >&2; exit 1; }
IFS=$'\t' read -r number text <"$STATUS_IN"
case "$number" in *[!0-9]* | "") echo "hrform: not a pull request number: $number" >&2; exit 1 ;; esac
set_status "$number" "$text"
