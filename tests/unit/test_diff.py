"""The differences between two submission snapshots, as a reviewer reads them."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from workflow_app.reviews.diff import Change, FieldChange, diff


def _activity(title: str, location: str, **changes: Any) -> dict[str, Any]:
    row = {
        "title": title,
        "location": location,
        "sub_sector": "wastewater",
        "activity_type": "lltt",
        "volume": "1200",
        "unit": "tangki septik/tahun",
        "agency": "Dinas PUPR Kabupaten Tanah Laut",
        "start_year": 2026,
        "end_year": 2029,
        "funding": [{"year": 2026, "source": "apbd_district", "amount": 850_000_000}],
    }
    row.update(changes)
    return row


def _snapshot() -> dict[str, Any]:
    return {
        "format": 1,
        "header": {"title": "Rencana Aksi", "period_start": 2025, "period_end": 2029},
        "challenges": ["Cakupan LLTT masih rendah", "IPLT belum beroperasi"],
        "indicators": [
            {
                "name": "% rumah tangga dengan akses sanitasi aman",
                "unit": "%",
                "baseline_year": 2024,
                "baseline_value": "6",
                "targets": {"2025": "6", "2026": "9", "2027": "12"},
            }
        ],
        "activities": [
            _activity("Layanan LLTT", "Pelaihari"),
            _activity("Pembangunan IPLT", "Bati-Bati", activity_type="iplt", funding=[]),
        ],
    }


def test_identical_snapshots_have_no_changes() -> None:
    assert diff(_snapshot(), _snapshot()) == []


def test_header_fields_changed_old_to_new() -> None:
    before, after = _snapshot(), _snapshot()
    after["header"]["title"] = "Rencana Aksi Sanitasi"
    after["header"]["period_end"] = 2030
    assert diff(before, after) == [
        Change(
            "header",
            "changed",
            "",
            (
                FieldChange("title", "Rencana Aksi", "Rencana Aksi Sanitasi"),
                FieldChange("period_end", 2029, 2030),
            ),
        )
    ]


def test_challenges_added_and_removed_by_text() -> None:
    before, after = _snapshot(), _snapshot()
    after["challenges"] = ["IPLT belum beroperasi", "Regulasi belum ada"]
    assert diff(before, after) == [
        Change("challenges", "added", "Regulasi belum ada"),
        Change("challenges", "removed", "Cakupan LLTT masih rendah"),
    ]


def test_reordering_rows_is_not_a_change() -> None:
    before, after = _snapshot(), _snapshot()
    after["challenges"].reverse()
    after["activities"].reverse()
    assert diff(before, after) == []


def test_indicator_matched_by_name_with_baseline_and_target_changes() -> None:
    before, after = _snapshot(), _snapshot()
    indicator = after["indicators"][0]
    indicator["baseline_value"] = "6.50"
    indicator["targets"]["2027"] = "15"
    indicator["targets"]["2028"] = "18"
    del indicator["targets"]["2025"]
    (change,) = diff(before, after)
    assert (change.section, change.kind, change.label) == (
        "indicators",
        "changed",
        "% rumah tangga dengan akses sanitasi aman",
    )
    assert change.fields == (
        FieldChange("baseline_value", Decimal("6"), Decimal("6.5")),
        FieldChange("target", Decimal("6"), None, year=2025),
        FieldChange("target", Decimal("12"), Decimal("15"), year=2027),
        FieldChange("target", None, Decimal("18"), year=2028),
    )


def test_equal_numbers_written_differently_are_not_a_change() -> None:
    before, after = _snapshot(), _snapshot()
    after["activities"][0]["volume"] = "1200.00"
    after["indicators"][0]["targets"]["2026"] = "9.0"
    assert diff(before, after) == []


def test_renamed_indicator_reads_as_removed_and_added() -> None:
    before, after = _snapshot(), _snapshot()
    after["indicators"][0]["name"] = "% rumah tangga BABS"
    assert [(c.kind, c.label) for c in diff(before, after)] == [
        ("added", "% rumah tangga BABS"),
        ("removed", "% rumah tangga dengan akses sanitasi aman"),
    ]


def test_activity_changed_fields_and_funding_per_year_and_source() -> None:
    before, after = _snapshot(), _snapshot()
    activity = after["activities"][0]
    activity["volume"] = "1500"
    activity["funding"] = [
        {"year": 2026, "source": "apbd_district", "amount": 900_000_000},
        {"year": 2027, "source": "dak", "amount": 250_000_000},
    ]
    (change,) = diff(before, after)
    assert (change.section, change.kind, change.label) == (
        "activities",
        "changed",
        "Layanan LLTT (Pelaihari)",
    )
    assert change.fields == (
        FieldChange("volume", Decimal("1200"), Decimal("1500")),
        FieldChange("funding", 850_000_000, 900_000_000, year=2026, source="apbd_district"),
        FieldChange("funding", None, 250_000_000, year=2027, source="dak"),
    )


def test_funding_line_removed() -> None:
    before, after = _snapshot(), _snapshot()
    after["activities"][0]["funding"] = []
    (change,) = diff(before, after)
    assert change.fields == (
        FieldChange("funding", 850_000_000, None, year=2026, source="apbd_district"),
    )


def test_activities_added_and_removed() -> None:
    before, after = _snapshot(), _snapshot()
    del after["activities"][1]
    after["activities"].append(_activity("Sosialisasi STBM", "Takisung", activity_type="stbm"))
    assert diff(before, after) == [
        Change("activities", "added", "Sosialisasi STBM (Takisung)"),
        Change("activities", "removed", "Pembangunan IPLT (Bati-Bati)"),
    ]


def test_activity_renamed_in_place_reads_as_changed() -> None:
    before, after = _snapshot(), _snapshot()
    after["activities"][0]["title"] = "Layanan LLTT terjadwal"
    (change,) = diff(before, after)
    assert (change.kind, change.label) == ("changed", "Layanan LLTT terjadwal (Pelaihari)")
    assert change.fields == (FieldChange("title", "Layanan LLTT", "Layanan LLTT terjadwal"),)


def test_same_activity_twice_pairs_up_in_order() -> None:
    before = _snapshot()
    before["activities"].append(_activity("Layanan LLTT", "Pelaihari", volume="300"))
    after = copy.deepcopy(before)
    after["activities"][2]["volume"] = "400"
    (change,) = diff(before, after)
    assert change.fields == (FieldChange("volume", Decimal("300"), Decimal("400")),)
