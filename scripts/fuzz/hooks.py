"""Schemathesis hooks for HMS (scripts/fuzz.ts sets SCHEMATHESIS_HOOKS=hooks).

Random UUIDs never name a tenant's patient or doctor, so without help every
booking would stop at a 404 and the stateful links (book -> check in -> bill
-> pay) would never get past their first step. Some generated cases get the
fuzz tenant's real ids and a free quarter-hour slot instead; the rest stay as
generated. Ids come from HMS_FUZZ_FIXTURE (a JSON file the runner writes).
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone

import schemathesis

with open(os.environ["HMS_FUZZ_FIXTURE"], encoding="utf-8") as f:
    FIXTURE = json.load(f)
FIRST_SLOT = datetime.fromisoformat(FIXTURE["firstSlot"].replace("Z", "+00:00"))
# Share of cases given real ids: enough for stateful chains, most stay random.
REAL = 0.6


def _slot() -> str:
    # The fixture's doctors work round the clock. Most bookings take a quarter hour of the next
    # four hours (check-in opens 240 minutes before a slot, so the chain can go on); the rest any
    # quarter hour of the next 60 days.
    quarters = 15 if random.random() < 0.7 else 60 * 24 * 4
    when = FIRST_SLOT + timedelta(minutes=15 * random.randrange(0, quarters))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@schemathesis.hook
def map_case(context, case):
    if random.random() > REAL:
        return case
    label = f"{case.operation.method.upper()} {case.operation.path}"
    body = case.body
    if label == "POST /appointments" and isinstance(body, dict):
        if "patientId" in body:
            body["patientId"] = random.choice(FIXTURE["patients"])
        if "doctorId" in body:
            body["doctorId"] = random.choice(FIXTURE["doctors"])
        if "startsAt" in body:
            body["startsAt"] = _slot()
    elif label == "POST /queues/{doctorId}/walk-ins" and isinstance(body, dict) and "patientId" in body:
        body["patientId"] = random.choice(FIXTURE["patients"])
    params = case.path_parameters
    if isinstance(params, dict) and "doctorId" in params and case.operation.path.startswith("/queues/"):
        params["doctorId"] = random.choice(FIXTURE["doctors"])
    return case
