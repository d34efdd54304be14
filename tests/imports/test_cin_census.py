"""The CIN census XML return (synthetic children only)."""

from datetime import date

from audit_app.models import Child, Event

from .helpers import counts, load, messages, rows_of

CENSUS = """<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="http://www.example.org/cin">
  <Header><CollectionDetails><Collection>CIN</Collection><Year>2025</Year>
    <ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails></Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>00017</LAchildID>
        <PersonBirthDate>2015-03-27</PersonBirthDate>
        <Sex>2</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>HAND</Disability><Disability>HEAR</Disability></Disabilities>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-10-06</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N4</PrimaryNeedCode>
        <CINclosureDate>2025-02-27</CINclosureDate>
        <ReasonForClosure>RC7</ReasonForClosure>
        <ReferralNFA>0</ReferralNFA>
        <Assessments>
          <AssessmentActualStartDate>2024-10-07</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2024-11-19</AssessmentAuthorisationDate>
          <FactorsIdentifiedAtAssessment>
            <AssessmentFactors>1C</AssessmentFactors><AssessmentFactors>3A</AssessmentFactors>
          </FactorsIdentifiedAtAssessment>
        </Assessments>
        <CINPlanDates><CINPlanStartDate>2024-11-20</CINPlanStartDate>
          <CINPlanEndDate>2024-12-01</CINPlanEndDate></CINPlanDates>
        <Section47>
          <S47ActualStartDate>2024-11-25</S47ActualStartDate>
          <InitialCPCtarget>2024-12-16</InitialCPCtarget>
          <DateOfInitialCPC>2024-12-10</DateOfInitialCPC>
          <ICPCnotRequired>false</ICPCnotRequired>
        </Section47>
        <ChildProtectionPlans>
          <CPPstartDate>2024-12-10</CPPstartDate>
          <CPPendDate>2025-02-27</CPPendDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>1</NumberOfPreviousCPP>
          <Reviews><CPPreviewDate>2025-02-01</CPPreviewDate><CPPreviewDate>2025-01-05</CPPreviewDate></Reviews>
        </ChildProtectionPlans>
      </CINdetails>
    </Child>
    <Child>
      <ChildIdentifiers><LAchildID>U1</LAchildID><ExpectedPersonBirthDate>2025-06-01</ExpectedPersonBirthDate><Sex>0</Sex></ChildIdentifiers>
      <ChildCharacteristics><Disabilities><Disability>NONE</Disability></Disabilities></ChildCharacteristics>
      <CINdetails><CINreferralDate>2025-01-10</CINreferralDate><ReferralSource>3B</ReferralSource>
        <Assessments><AssessmentActualStartDate>2025-01-11</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2025-01-01</AssessmentAuthorisationDate></Assessments>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""


def test_a_census_file_gives_children_and_their_events(app, tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(CENSUS)
    result = load(app, path, max_reject=50)
    assert result.status == "committed", result.message
    assert result.report["format"] == "cin-census"
    children = {c["child_ref"]: c for c in rows_of(app, Child)}
    assert children["00017"]["dob"] == date(2015, 3, 27)
    assert (
        children["00017"]["sex"],
        children["00017"]["ethnicity"],
        children["00017"]["disability"],
    ) == ("b", "WBRI", True)
    assert (children["U1"]["expected_dob"], children["U1"]["disability"]) == (
        date(2025, 6, 1),
        False,
    )
    events = {
        (e["kind"], e["start_date"]): e
        for e in rows_of(app, Event)
        if e["child_id"] == children["00017"]["id"]
    }
    referral = events[("referral", date(2024, 10, 6))]
    assert (referral["source"], referral["nfa"]) == ("1A", False)
    episode = events[("cin_episode", date(2024, 10, 6))]
    assert (episode["end_date"], episode["primary_need"], episode["reason"]) == (
        date(2025, 2, 27),
        "N4",
        "RC7",
    )
    assert events[("closure", date(2025, 2, 27))]["reason"] == "RC7"
    assessment = events[("assessment", date(2024, 10, 7))]
    assert (assessment["end_date"], assessment["factors"]) == (date(2024, 11, 19), "1C,3A")
    assert events[("cin_plan", date(2024, 11, 20))]["end_date"] == date(2024, 12, 1)
    assert events[("s47", date(2024, 11, 25))]["icpc_not_required"] is False
    assert events[("icpc", date(2024, 12, 10))]["plan_resulted"] is True
    plan = events[("cp_plan", date(2024, 12, 10))]
    assert (plan["category_initial"], plan["category_latest"], plan["previous_plans"]) == (
        "NEG",
        "EMO",
        1,
    )
    assert (plan["reviews"], plan["latest_review"]) == ("2025-01-05,2025-02-01", date(2025, 2, 1))
    # The unborn child's assessment ends before it starts: that element alone is rejected.
    assert (
        "AssessmentAuthorisationDate (01/01/2025) is before AssessmentActualStartDate (11/01/2025)"
    ) in messages(result, "error")
    assert result.report["lists"]["Assessments"]["rejected"] == 1
    assert counts(app)["Event"] == 10


def test_importing_the_census_twice_changes_nothing(app, tmp_path):
    path = tmp_path / "census.xml"
    path.write_text(CENSUS)
    load(app, path, max_reject=50)
    again = load(app, path, max_reject=50)
    assert again.report["events"] == {"added": 0, "changed": 0, "unchanged": 10}
    assert again.changed_children == []
