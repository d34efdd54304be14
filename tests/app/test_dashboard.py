"""The dashboard shows what the database holds."""

from audit_app.seeding import load_cases, load_teams
from seed_cases.generator import generate


class TestDashboard:
    def test_counts_match_the_seeded_authority(self, app, make_user, auth, client):
        authority = generate(60, seed=7)
        cases = authority.cases()
        load_teams(authority.teams, engine=app.extensions["frontdoor_engine"])
        load_cases(cases, engine=app.extensions["frontdoor_engine"])
        make_user("vic", "viewer")
        auth.login("vic")
        page = client.get("/").text
        referrals = sum(1 for c in cases for e in c.events if e.kind == "referral")
        assert "Children" in page and f">{len(cases)}<" in page
        assert f">{referrals:,}<" in page
