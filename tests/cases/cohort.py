"""A small literal cohort whose findings are worked out by hand (as at 30 June 2025).

- A1, 9: contact, referral (source 6), assessment authorised 76 working days later (late);
  North, Worker A; furthest stage assessment.
- B2, under 1: referral (2A), ICPC and CP plan (neglect) with no S47: anomaly; South, Worker B.
- C3, 15: referrals 1 Nov 2024 (6) and 3 Feb 2025 (3A), so re-referred; an assessment still
  open, overdue from 8 April 2025; North, Worker A.
- D4, unborn: a referral (6); South.
- E5, 17: referral (6), S47, ICPC and CP plan (physical abuse); South, Worker C.
- X06, 6: no events.
"""

from .helpers import child, event, load

AS_OF = "2025-06-30"

CHILDREN = [
    child("A1", "2016-02-01"),
    child("B2", "2024-12-01"),
    child("C3", "2010-05-05"),
    child("D4", "", expected_dob="2025-09-01"),
    child("E5", "2008-01-01"),
    child("X06", "2019-06-01"),
]
EVENTS = [
    event("A1", "contact", "2025-03-03", source="6"),
    event("A1", "referral", "2025-03-04", source="6", team="North", worker="Worker A",
          referrals_last_12m="0"),
    event("A1", "assessment", "2025-03-05", "2025-06-20", team="North", worker="Worker A"),
    event("B2", "referral", "2025-01-06", source="2A", team="South", worker="Worker B"),
    event("B2", "icpc", "2025-01-20", plan_resulted="true"),
    event("B2", "cp_plan", "2025-01-20", category_initial="NEG", previous_plans="0",
          team="South", worker="Worker B"),
    event("C3", "referral", "2024-11-01", source="6", team="North"),
    event("C3", "referral", "2025-02-03", source="3A", team="North", worker="Worker A"),
    event("C3", "assessment", "2025-02-04", team="North", worker="Worker A"),
    event("D4", "referral", "2025-05-01", source="6", team="South"),
    event("E5", "referral", "2025-01-10", source="6", team="South", worker="Worker C"),
    event("E5", "s47", "2025-01-12", "2025-01-17", team="South", worker="Worker C"),
    event("E5", "icpc", "2025-01-20", plan_resulted="true", team="South", worker="Worker C"),
    event("E5", "cp_plan", "2025-01-20", category_initial="PHY", previous_plans="0",
          team="South", worker="Worker C"),
]  # fmt: skip


def load_cohort(app, tmp_path):
    return load(app, tmp_path / "cohort", CHILDREN, EVENTS)
