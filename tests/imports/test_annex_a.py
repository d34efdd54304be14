"""Annex A workbooks and CSV lists: sheet names, headers, codes, dates, IDs, formulas."""

import zipfile
from datetime import date

import openpyxl
import pytest

from audit_app.imports.annex_a import columns_of, list_number
from audit_app.models import Child, Event
from tests.conftest import OFSTED_TEMPLATE as TEMPLATE

from .helpers import (
    annex_row,
    counts,
    load,
    messages,
    problems,
    referral,
    referral_workbook,
    rows_of,
    write_csv,
    write_workbook,
)


class TestOfstedTemplate:
    def test_the_template_imports_with_its_uncoded_rows_mapped_with_warnings(self, app):
        result = load(app, TEMPLATE)
        assert result.status == "committed", result.message
        assert result.report["lists"]["List 3"] == {
            "label": "Referrals",
            "read": 5,
            "accepted": 5,
            "rejected": 0,
            "warned": 5,
        }
        warned = messages(result, "warning")
        assert "Gender 'F' is not a coded value; read as 'b) Female'" in warned
        assert "Referral Source 'School' is not a coded value; read as 'e) 2A: Schools'" in warned
        assert "Referral NFA? 'yes' is not a coded value; read as 'a) Yes'" in warned
        children = {c["child_ref"]: c for c in rows_of(app, Child)}
        assert children["1"]["sex"] == "b" and children["1"]["ethnicity"] == "WBRI"
        assert children["1"]["raw"] == {"sex": "F"}
        events = rows_of(app, Event)
        assert {e["kind"] for e in events} == {"referral"}
        first = next(e for e in events if e["child_id"] == children["1"]["id"])
        assert (first["start_date"], first["source"], first["nfa"]) == (
            date(2015, 3, 15),
            "2A",
            True,
        )
        assert first["raw"] == {"source": "School", "nfa": "yes"}
        assert any("List 9" in n and "skipped" in n for n in result.report["notes"])


class TestSheetNames:
    @pytest.mark.parametrize(
        "name", ["List 3", "List_3", "List 3 - Referrals", "list3", "Referrals", "LIST 03"]
    )
    def test_list_3_is_found_by_any_of_its_names(self, app, tmp_path, name):
        result = load(app, referral_workbook(tmp_path / "a.xlsx", [referral()], sheet=name))
        assert result.status == "committed", result.message
        assert counts(app) == {"Child": 1, "Event": 1}

    @pytest.mark.parametrize(
        "name,number",
        [
            ("List 1", 1),
            ("List 10", 10),
            ("List 11", 11),
            ("List_1: Contacts", 1),
            ("Contacts", 1),
            ("Early Help", 2),
            ("Referrals", 3),
            ("Assessments", 4),
            ("Sec47 and ICPC", 5),
            ("Children in Need", 6),
            ("Child Protection", 7),
            ("Children in Care", 8),
            ("Care leavers", 9),
            ("Guidance", None),
            ("Codes_used", None),
        ],
    )
    def test_names_map_to_lists_and_list_1_is_not_list_10(self, name, number):
        assert list_number(name) == number

    def test_list_10_is_not_read_as_list_1(self, app, tmp_path):
        contact = annex_row(1, **{"Child Unique ID": "C9", "Date of Contact": "01/04/2025"})
        path = write_workbook(tmp_path / "a.xlsx", {"List 10": [columns_of(1), contact]})
        result = load(app, path)
        assert result.status == "refused"
        assert "None of Annex A Lists 1 to 8 was found" in result.message


class TestHeaders:
    def test_header_variants_are_recognised(self, app, tmp_path):
        headers = [
            "child unique id",
            "GENDER",
            "Ethnicity ",
            "Date\u00a0of Birth",
            "Age",
            "Date of Referral",
            "Referral Source",
            "Referral NFA",
            "Allocated Team",
            "Allocated Worker",
        ]
        row = [
            "C1",
            "b) Female",
            "a) WBRI",
            date(2015, 6, 1),
            9,
            "01/04/2025",
            "q) 6: Police",
            "a) Yes",
            "North",
            "A",
        ]
        result = load(app, write_workbook(tmp_path / "a.xlsx", {"List 3": [headers, row]}))
        assert result.status == "committed", result.message
        assert result.report["notes"] == []
        event = rows_of(app, Event)[0]
        assert (event["nfa"], event["team"]) == (True, "North")

    def test_curly_quotes_trailing_spaces_and_double_bracket(self, app, tmp_path):
        headers = [
            "Child Unique ID",
            "Date Started to be Looked After",
            "Date Ceased to be Looked After ",
            "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N))",
            "Number of Episodes the Child has been \u2018Missing\u2019 from their Placement "
            "in the last 12 months",
            "Case status",
        ]
        row = ["C1", "01/01/2025", "01/03/2025", "a) Yes", 2, "ignored"]
        result = load(app, write_workbook(tmp_path / "a.xlsx", {"List 8": [headers, row]}))
        assert result.status == "committed", result.message
        event = rows_of(app, Event)[0]
        assert event["end_date"] == date(2025, 3, 1)
        assert event["details"] == {"missing_episodes_12m": 2}
        assert rows_of(app, Child)[0]["uasc"] is True
        assert any(
            "'Case status' is not an Annex A column of List 8" in n for n in result.report["notes"]
        )

    def test_case_status_variant_on_list_6(self, app, tmp_path):
        headers = [
            "Child Unique ID",
            "CIN Start Date",
            "Case status",
            "CIN Closure Date",
            "Reason for Closure",
        ]
        row = [
            "C1",
            "01/01/2025",
            "e) Closed episode",
            "01/02/2025",
            "RC7 - Services ceased for any other reason, including child no longer in need",
        ]
        result = load(app, write_workbook(tmp_path / "a.xlsx", {"List 6": [headers, row]}))
        assert result.status == "committed", result.message
        by_kind = {e["kind"]: e for e in rows_of(app, Event)}
        assert by_kind["cin_episode"]["case_status"] == "Closed episode"
        assert by_kind["cin_episode"]["end_date"] == date(2025, 2, 1)
        assert by_kind["closure"]["start_date"] == date(2025, 2, 1)
        assert by_kind["closure"]["reason"] == "RC7"

    def test_header_row_without_a_title_row(self, app, tmp_path):
        path = referral_workbook(tmp_path / "a.xlsx", [referral()], title_row=False)
        assert load(app, path).status == "committed"


class TestValues:
    def test_dates_in_every_accepted_form(self, app, tmp_path):
        rows = [
            referral("C1", date(2025, 4, 1)),
            referral("C2", "02/04/2025"),
            referral("C3", "03/04/25"),
            referral("C4", "2025-04-04"),
            referral("C5", 45756),
        ]
        load(app, referral_workbook(tmp_path / "a.xlsx", rows))
        starts = sorted(e["start_date"] for e in rows_of(app, Event))
        assert starts == [date(2025, 4, d) for d in (1, 2, 3, 4)] + [date(2025, 4, 9)]

    def test_child_ids_are_strings(self, app, tmp_path):
        load(app, referral_workbook(tmp_path / "a.xlsx", [referral("00123"), referral(1234.0)]))
        assert sorted(c["child_ref"] for c in rows_of(app, Child)) == ["00123", "1234"]

    def test_a_number_too_long_for_a_child_id_rejects_its_row(self, app, tmp_path):
        # 1e64 is a whole number of 65 digits: PostgreSQL's VARCHAR(64) refused it and
        # failed the import (found by test_malformed_workbook_rows_never_crash)
        rows = [referral(f"C{i}") for i in range(12)] + [referral(1e64)]
        result = load(app, referral_workbook(tmp_path / "a.xlsx", rows))
        assert result.status == "committed", result.message
        assert any("is not a child identifier" in m for m in messages(result))
        assert len(rows_of(app, Child)) == 12

    def test_a_formula_is_read_as_its_saved_value_and_text_like_a_formula_stays_text(
        self, app, tmp_path
    ):
        path = referral_workbook(
            tmp_path / "a.xlsx",
            [referral("C1", "01/04/2025", **{"Allocated Worker": "=cmd|' /C calc'!A0"})],
        )
        # Simulate a spreadsheet that saved a formula with its computed value.
        wb = openpyxl.load_workbook(path)
        wb["List_3"]["F3"] = "=DATE(2025,4,1)+3"
        wb["List_3"]["K3"].data_type = "s"  # text that merely looks like a formula
        wb.save(path)
        _add_cached_value(path, "F3", 45751)  # 04/04/2025
        result = load(app, path)
        assert result.status == "committed", result.message
        event = rows_of(app, Event)[0]
        assert event["start_date"] == date(2025, 4, 4)
        assert event["worker"] == "=cmd|' /C calc'!A0"

    def test_a_formula_with_no_saved_value_is_a_missing_date(self, app, tmp_path):
        path = referral_workbook(tmp_path / "a.xlsx", [referral("C1", "=F2+3"), referral("C2")])
        result = load(app, path, max_reject=50)
        assert "Date of referral is missing" in messages(result, "error")

    def test_unmappable_values_are_kept_raw_with_a_warning(self, app, tmp_path):
        result = load(
            app,
            referral_workbook(
                tmp_path / "a.xlsx", [referral("C1", **{"Referral Source": "Carrier pigeon"})]
            ),
        )
        assert (
            "Referral Source 'Carrier pigeon' is not one of the codes for this column; left blank"
            in messages(result)
        )
        event = rows_of(app, Event)[0]
        assert event["source"] is None and event["raw"]["source"] == "Carrier pigeon"

    def test_list_5_gives_an_s47_and_an_icpc(self, app, tmp_path):
        row = annex_row(
            5,
            **{
                "Child Unique ID": "C1",
                "Strategy discussion initiating Section 47 Enquiry Start Date": "01/04/2025",
                "Was an Initial Child Protection Conference deemed unnecessary?": "b) No",
                "Date of Initial Child Protection Conference": "20/04/2025",
                "Did the Initial Child Protection Conference Result in a Child Protection "
                "Plan": "a) Yes",
                "Allocated Team": "North",
            },
        )
        load(app, write_workbook(tmp_path / "a.xlsx", {"List_5": [columns_of(5), row]}))
        by_kind = {e["kind"]: e for e in rows_of(app, Event)}
        assert by_kind["s47"]["icpc_not_required"] is False
        assert by_kind["icpc"]["start_date"] == date(2025, 4, 20)
        assert by_kind["icpc"]["plan_resulted"] is True and by_kind["icpc"]["team"] == "North"

    def test_list_7_cp_plan_codes(self, app, tmp_path):
        row = annex_row(
            7,
            **{
                "Child Unique ID": "C1",
                "Child Protection Plan Start Date": "01/04/2025",
                "Initial Category of Abuse": "a) Neglect",
                "Latest Category of Abuse": "Emotional",
                "Number of Previous Child Protection Plans": 1,
            },
        )
        result = load(app, write_workbook(tmp_path / "a.xlsx", {"List 7": [columns_of(7), row]}))
        plan = rows_of(app, Event)[0]
        assert (plan["category_initial"], plan["category_latest"], plan["previous_plans"]) == (
            "NEG",
            "EMO",
            1,
        )
        assert len(problems(result, "warning")) == 1


class TestRowProblems:
    def test_errors_reject_the_row_with_a_plain_message(self, app, tmp_path):
        rows = [referral("C1", "31/02/2025"), referral(None), referral("C3")] + [
            referral(f"OK{i}") for i in range(20)
        ]
        result = load(app, referral_workbook(tmp_path / "a.xlsx", rows))
        assert result.status == "committed"
        errors = problems(result, "error")
        assert errors[0] == {
            "severity": "error",
            "sheet": "List_3",
            "row": 3,
            "column": "Date of referral",
            "value": "31/02/2025",
            "message": "Date of referral '31/02/2025' is not a date",
        }
        assert errors[1]["message"] == "Child Unique ID is missing" and errors[1]["row"] == 4
        assert result.report["lists"]["List 3"]["rejected"] == 2
        assert counts(app) == {"Child": 21, "Event": 21}

    def test_an_end_before_its_start_rejects_the_row(self, app, tmp_path):
        row = annex_row(
            7,
            **{
                "Child Unique ID": "C1",
                "Child Protection Plan Start Date": "01/04/2025",
                "Child Protection Plan End Date": "01/03/2025",
            },
        )
        result = load(app, write_workbook(tmp_path / "a.xlsx", {"List 7": [columns_of(7), row]}))
        assert result.status == "refused"
        assert (
            "Child Protection Plan End Date (01/03/2025) is before Child Protection Plan "
            "Start Date (01/04/2025)"
        ) in messages(result, "error")

    def test_warnings_keep_the_row(self, app, tmp_path):
        rows = [
            referral("C1", **{"Age of Child (Years)": 3}),  # born 2015: not 3
            referral("C2", "01/01/2015"),  # before the date of birth
            referral("C3"),
            referral("C3"),  # a duplicate
            referral("C4", **{"Date of Birth": date(2025, 9, 1), "Age of Child (Years)": -1}),
        ]
        result = load(app, referral_workbook(tmp_path / "a.xlsx", rows))
        warned = messages(result, "warning")
        assert "Age of Child (Years) 3 does not agree with the date of birth (01/06/2015)" in warned
        assert any("is before the date of birth" in m for m in warned)
        assert any(m.startswith("Duplicate row") for m in warned)
        assert result.report["lists"]["List 3"] == {
            "label": "Referrals",
            "read": 5,
            "accepted": 5,
            "rejected": 0,
            "warned": 3,
        }
        assert counts(app) == {"Child": 4, "Event": 4}
        unborn = next(c for c in rows_of(app, Child) if c["child_ref"] == "C4")
        assert (unborn["dob"], unborn["expected_dob"]) == (None, date(2025, 9, 1))

    def test_a_conflicting_attribute_is_a_warning_and_the_first_value_is_kept(self, app, tmp_path):
        rows = [referral("C1"), referral("C1", "02/04/2025", Gender="a) Male")]
        result = load(app, referral_workbook(tmp_path / "a.xlsx", rows))
        assert (
            "Gender 'a' differs from 'b' given for child C1 earlier in the file; kept the "
            "earlier value"
        ) in messages(result)
        assert rows_of(app, Child)[0]["sex"] == "b"

    def test_two_contacts_on_one_day_are_two_occurrences(self, app, tmp_path):
        header = columns_of(1)
        rows = [
            annex_row(
                1,
                **{"Child Unique ID": "C1", "Date of Contact": "01/04/2025", "Contact Source": src},
            )
            for src in ("q) 6: Police", "e) 2A: Schools")
        ]
        load(app, write_workbook(tmp_path / "a.xlsx", {"Contacts": [header, *rows]}))
        assert sorted((e["occurrence"], e["source"]) for e in rows_of(app, Event)) == [
            (0, "6"),
            (1, "2A"),
        ]


class TestCsvLists:
    def _folder(self, tmp_path, **kwargs):
        folder = tmp_path / "annex"
        folder.mkdir()
        write_csv(
            folder / "List_3.csv",
            [
                ["List 3: Referral"],
                columns_of(3),
                [str(v) if isinstance(v, date) else v for v in referral("00042")],
            ],
            **kwargs,
        )
        return folder

    @pytest.mark.parametrize(
        "kwargs", [{}, {"bom": True}, {"delimiter": ";"}, {"bom": True, "delimiter": ";"}]
    )
    def test_a_folder_of_csv_lists(self, app, tmp_path, kwargs):
        result = load(app, self._folder(tmp_path, **kwargs))
        assert result.status == "committed", result.message
        assert result.report["format"] == "annex-a"
        assert rows_of(app, Child)[0]["child_ref"] == "00042"

    def test_a_zip_of_csv_lists(self, app, tmp_path):
        folder = self._folder(tmp_path)
        path = tmp_path / "annex.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.write(folder / "List_3.csv", "export/List_3.csv")
        result = load(app, path)
        assert result.status == "committed", result.message
        assert counts(app) == {"Child": 1, "Event": 1}

    def test_a_single_csv_named_anything_is_recognised_by_its_headers(self, app, tmp_path):
        path = write_csv(
            tmp_path / "export-2025.csv", [columns_of(3), referral("C1", "01/04/2025")]
        )
        assert load(app, path).status == "committed"


def _add_cached_value(path, cell: str, value) -> None:
    """Write a cached result into a formula cell, as Excel does when it saves."""
    import shutil
    import tempfile

    src = zipfile.ZipFile(path)
    out_path = tempfile.mktemp(suffix=".xlsx")
    with zipfile.ZipFile(out_path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                marker = f'<c r="{cell}"'
                start = text.find(marker)
                if start != -1:
                    end = text.find("</c>", start)
                    chunk = text[start:end]
                    chunk = chunk.replace(' t="str"', "")
                    chunk = chunk.replace("<v></v>", f"<v>{value}</v>").replace(
                        "<v />", f"<v>{value}</v>"
                    )
                    if "<v>" not in chunk:
                        chunk += f"<v>{value}</v>"
                    text = text[:start] + chunk + text[end:]
                data = text.encode()
            out.writestr(item, data)
    src.close()
    shutil.move(out_path, path)
