"""Schemathesis hooks for HMS (scripts/fuzz.ts sets SCHEMATHESIS_HOOKS=hooks).

Random UUIDs never name a tenant's patient or doctor, so without help every
booking would stop at a 404 and the stateful links (book -> check in -> bill
-> pay) would never get past their first step. Some generated cases get the
fuzz tenant's real ids (of patients and doctors, in bodies, paths and
queries) and a free quarter-hour slot or a window of slots instead; the rest
stay as generated. Ids come from HMS_FUZZ_FIXTURE (a JSON file the runner writes).
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone

import schemathesis

with open(os.environ["HMS_FUZZ_FIXTURE"], encoding="utf-8") as f:
    FIXTURE = json.load(f)
FIRST_SLOT = datetime.fromisoformat(FIXTURE["firstSlot"].replace("Z", "+00:00"))
# A generator of our own: Hypothesis owns the global `random` inside strategies (and warns when it is used).
_rng = random.Random()
# Share of cases given real ids: enough for stateful chains, most stay random.
REAL = 0.6


def _slot() -> str:
    # The fixture's doctors work round the clock. Most bookings take a quarter hour of the next
    # four hours (check-in opens 240 minutes before a slot, so the chain can go on); the rest any
    # quarter hour of the next 60 days.
    quarters = 15 if _rng.random() < 0.7 else 60 * 24 * 4
    when = FIRST_SLOT + timedelta(minutes=15 * _rng.randrange(0, quarters))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window() -> tuple[str, str]:
    # A window of slots: at most 31 days, as listSlots allows.
    start = FIRST_SLOT + timedelta(hours=_rng.randrange(0, 24 * 30))
    end = start + timedelta(hours=_rng.randrange(1, 24 * 7))
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return start.astimezone(timezone.utc).strftime(fmt), end.astimezone(timezone.utc).strftime(fmt)


# Operations that would take a fixture doctor or patient out of service (or move its calendar) keep
# their random ids: with real ones, a few cases would leave the rest of the run nothing to book.
DESTRUCTIVE = {
    "DELETE /doctors/{id}",
    "PATCH /doctors/{id}",
    "DELETE /patients/{id}",
    "POST /doctors/{doctorId}/schedules",
    "PUT /doctors/{doctorId}/schedules/{scheduleId}",
    "DELETE /doctors/{doctorId}/schedules/{scheduleId}",
    "POST /doctors/{doctorId}/exceptions",
}
BOOKINGS = {"POST /appointments", "POST /slot-holds"}


@schemathesis.hook
def map_case(context, case):
    if _rng.random() > REAL:
        return case
    label = f"{case.operation.method.upper()} {case.operation.path}"
    body = case.body
    if label in BOOKINGS and isinstance(body, dict):
        if "patientId" in body:
            body["patientId"] = _rng.choice(FIXTURE["patients"])
        if "doctorId" in body:
            body["doctorId"] = _rng.choice(FIXTURE["doctors"])
        if "startsAt" in body:
            body["startsAt"] = _slot()
    elif label == "POST /appointments/{id}/reschedule" and isinstance(body, dict) and "startsAt" in body:
        body["startsAt"] = _slot()
    elif label == "POST /queues/{doctorId}/walk-ins" and isinstance(body, dict) and "patientId" in body:
        body["patientId"] = _rng.choice(FIXTURE["patients"])
    if label in DESTRUCTIVE:
        return case
    params = case.path_parameters
    path = case.operation.path
    if isinstance(params, dict):
        if "doctorId" in params and (path.startswith("/queues/") or path.startswith("/doctors/")):
            params["doctorId"] = _rng.choice(FIXTURE["doctors"])
        if "id" in params and path.startswith("/doctors/"):
            params["id"] = _rng.choice(FIXTURE["doctors"])
        if "id" in params and path.startswith("/patients/"):
            params["id"] = _rng.choice(FIXTURE["patients"])
    query = case.query
    if isinstance(query, dict):
        if label == "GET /doctors/{doctorId}/slots":
            query["from"], query["to"] = _window()
        if label == "GET /appointments" and "doctorId" in query:
            query["doctorId"] = _rng.choice(FIXTURE["doctors"])
        if label == "GET /appointments" and "patientId" in query:
            query["patientId"] = _rng.choice(FIXTURE["patients"])
    return case
