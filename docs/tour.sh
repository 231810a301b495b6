#!/usr/bin/env bash
# A tour of the Tasklane API with curl: accounts, a workspace, a project, a task taken through
# its life (create, assign, list, edit with optimistic concurrency, move, comment, history).
#
#   tasklane serve &            # in another terminal
#   bash docs/tour.sh           # or TASKLANE_URL=https://tasks.example.com bash docs/tour.sh
#
# Needs bash, curl and python3 (for reading JSON). It stops at the first failed request and
# prints the server's answer. Run it again and it reuses the accounts and makes a new workspace.
set -euo pipefail

API="${TASKLANE_URL:-http://127.0.0.1:8000}/api/v1"
ADA_EMAIL="${TOUR_ADA_EMAIL:-ada@example.com}"
BOB_EMAIL="${TOUR_BOB_EMAIL:-bob@example.com}"
PASSWORD="a long passphrase"  # new passwords must not be common ones (NIST SP 800-63B)

# call METHOD PATH [JSON] [extra curl arguments...]: the answer's body; fails on 4xx/5xx.
call() {
  local method=$1 path=$2 body=${3:-}
  shift $(($# < 3 ? $# : 3))
  local args=(-sS --fail-with-body -X "$method" "$API$path" "$@")
  if [[ -n ${TOKEN:-} ]]; then args+=(-H "Authorization: Bearer $TOKEN"); fi
  if [[ -n $body ]]; then args+=(-H 'content-type: application/json' -d "$body"); fi
  curl "${args[@]}"
}

# field NAME: one field of the JSON document on standard input ("items.0.key" goes deeper).
field() {
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    value = value[int(part)] if part.isdigit() else value[part]
print(value)' "$1"
}

# register EMAIL NAME: create the account; one that exists already (a second run) is fine.
register() {
  local answer status
  answer=$(curl -sS -w '\n%{http_code}' "$API/auth/register" \
    -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\",\"name\":\"$2\"}") || true
  status=${answer##*$'\n'}
  case $status in
    201) echo "registered $1" ;;
    409) echo "$1 already has an account" ;;
    *) echo "registering $1 failed ($status): ${answer%$'\n'*}" >&2; return 1 ;;
  esac
}

register "$ADA_EMAIL" "Ada Lovelace"
register "$BOB_EMAIL" "Bob Martin"
TOKEN=$(call POST /auth/login "{\"email\":\"$ADA_EMAIL\",\"password\":\"$PASSWORD\"}" | field access_token)
ADA_ID=$(call GET /users/me | field id)
echo "signed in as $ADA_EMAIL"

# A workspace, with Bob as a member, and a project ENG with the default workflow.
WS=$(call POST /workspaces '{"name":"Acme"}' | field id)
call POST "/workspaces/$WS/members" "{\"email\":\"$BOB_EMAIL\",\"role\":\"member\"}" >/dev/null
PROJECT=$(call POST "/workspaces/$WS/projects" '{"key":"ENG","name":"Engineering"}' | field id)
echo "workspace $WS, project $PROJECT (ENG)"
STATUSES=$(call GET "/projects/$PROJECT/statuses")  # Backlog, Todo, In Progress, Done, Cancelled
IN_PROGRESS=$(python3 -c '
import json, sys
print(next(s["id"] for s in json.load(sys.stdin)["items"] if s["name"] == "In Progress"))' \
  <<<"$STATUSES")

# A task assigned to Ada. Tasks have a key (ENG-1) and an id; both work in /tasks/{ref}, but a
# key can be ambiguous across your workspaces (run this tour twice), so the tour uses the id.
TASK_JSON=$(call POST "/projects/$PROJECT/tasks" "{\"title\":\"Fix login redirect\",\"priority\":\"high\",\"due_date\":\"2026-12-01\",\"assignee_ids\":[\"$ADA_ID\"]}")
TASK=$(field id <<<"$TASK_JSON")
KEY=$(field key <<<"$TASK_JSON")
echo "created $KEY"

# Ada's open work, most urgent first (`assignee_id=me`; also `none` or a user id).
MINE=$(call GET "/projects/$PROJECT/tasks?assignee_id=me&sort=-priority")
echo "my tasks: $(python3 -c 'import json,sys; print(" ".join(t["key"] for t in json.load(sys.stdin)["items"]))' <<<"$MINE")"

# Optimistic concurrency: the ETag is the task's version; If-Match makes the edit fail (412)
# if someone changed the task in between.
ETAG=$(curl -sS --fail-with-body -o /dev/null -D - "$API/tasks/$TASK" -H "Authorization: Bearer $TOKEN" \
  | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')
EDITED=$(call PATCH "/tasks/$TASK" '{"title":"Fix login redirect loop"}' -H "If-Match: $ETAG")
echo "edited $KEY: version $ETAG -> \"$(field version <<<"$EDITED")\""

# Move it to In Progress (to the top of that column), comment, and read its history.
call POST "/tasks/$TASK/move" "{\"status_id\":\"$IN_PROGRESS\"}" >/dev/null
echo "moved $KEY to In Progress"
call POST "/tasks/$TASK/comments" '{"body":"On it."}' >/dev/null
echo "commented on $KEY"
ACTIVITY=$(call GET "/tasks/$TASK/activity")  # every change, with before and after
echo "activity: $KEY has $(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' <<<"$ACTIVITY") entries"
echo "tour complete: open ${TASKLANE_URL:-http://127.0.0.1:8000}/p/$PROJECT/board"
