"""Fixtures shared by the import tests."""

from datetime import date

import pytest

from seed_cases import annex_a, csv_format, generator


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """An older Annex A export, a newer one of the same authority (it adds and changes rows),
    then its app CSV."""
    folder = tmp_path_factory.mktemp("exports")
    authority = generator.generate(120, seed=11)
    older = annex_a.write_annex_a(authority, folder / "older.xlsx", census_date=date(2025, 12, 31))
    newer = annex_a.write_annex_a(authority, folder / "newer.xlsx")
    csv_format.write_csv(authority, folder / "csv")
    return [older, newer, folder / "csv"]
