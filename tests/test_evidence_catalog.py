"""The control catalog as project data (config/catalog.toml): loaded, validated, and the one source of the IDs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import evidence_report.rules  # noqa: F401 - registers the rules
from config.catalog import CATALOG_PATH, load_catalog, parse_catalog
from config.loader import ConfigError
from evidence_report.features import DETECTORS
from evidence_report.registry import RULES
from policies.controls import CONTROL_IDS

TEXT = CATALOG_PATH.read_text(encoding="utf-8")


def test_cmp1_control_ids_derive_from_the_catalog() -> None:
    catalog = load_catalog()
    assert frozenset(CONTROL_IDS) == catalog.ids
    assert len(catalog.ids) == 30
    assert {c.id for c in catalog.controls if not c.in_scope} == {"OUT-1", "OUT-2", "OUT-3"}
    assert all(c.reason for c in catalog.controls if not c.in_scope), "out-of-scope rows say why"


def test_cmp1_every_in_scope_control_has_an_evidence_rule() -> None:
    in_scope = {c.id for c in load_catalog().controls if c.in_scope}
    assert {rule.control for rule in RULES} == in_scope


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "ACC-2"', 'id = "ACC2"', r"controls\[1\]\.id = 'ACC2': must look like ACC-2"),
        ('id = "ACC-3"', 'id = "ACC-2"', r"controls\[2\]\.id = 'ACC-2': appears twice"),
        ('id = "ACC-1"', 'id = "XYZ-1"', r"controls\[0\]\.id = 'XYZ-1': names no family"),
        ("reason = \"AWS's side", "remarks = \"AWS's side", r"controls\[27\]\.remarks: Extra inputs are not permitted"),
        ('stages_reason = "A production', 'why = "A production', r"controls\[25\]\.why: Extra inputs"),
        (
            'requires = ["edge"]',
            'requires = ["cdn"]',
            r"controls\[5\]\.requires = \['cdn'\]: names no feature; known: edge",
        ),
        (
            'requires = ["edge"]',
            'requires = ["edge"]\nparts_require = ["edge"]',
            r"parts_require = \['edge'\]: a feature the whole control requires cannot be a part too",
        ),
        (
            'scope = "in"\nstages = ["prod"]\nstages_reason',
            'scope = "in"\nstages = ["qa"]\nstages_reason',
            r"controls\[25\]\.stages\[0\]",
        ),
    ],
)
def test_cmp1_probe_malformed_catalog_is_refused_in_one_line(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(ConfigError) as caught:
        parse_catalog(TEXT.replace(old, new, 1))
    assert all(line.startswith("catalog error: ") for line in caught.value.problems)
    assert re.search(message, str(caught.value))


def test_cmp1_probe_out_of_scope_control_needs_its_reason() -> None:
    text = TEXT.replace("reason = \"Organisational: kept by the operator's incident", "# removed", 1)
    with pytest.raises(ConfigError, match=r"reason = None: an out-of-scope control needs the reason"):
        parse_catalog(text)


def test_cmp1_probe_in_scope_control_carries_no_reason() -> None:
    text = TEXT.replace('scope = "in"\n', 'scope = "in"\nreason = "because we say so"\n', 1)
    with pytest.raises(ConfigError, match="only out-of-scope controls carry a reason"):
        parse_catalog(text)


def test_cmp1_probe_missing_or_invalid_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_catalog(tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_catalog("[[controls]\n")


def test_acc6_net3_feature_scoping_matches_the_rules() -> None:
    """Each rule that needs a feature belongs to a control the catalog scopes by it; each control with feature
    parts has rules with and without the feature; every catalog feature has a detector in the report."""
    catalog = load_catalog()
    assert {f.name for f in catalog.features} == set(DETECTORS)
    for rule in RULES:
        if rule.feature is not None:
            control = catalog.control(rule.control)
            assert rule.feature in (*control.requires, *control.parts_require), rule.name
    for control in catalog.controls:
        for feature in control.parts_require:
            kinds = {rule.feature == feature for rule in RULES if rule.control == control.id}
            assert kinds == {True, False}, f"{control.id}: parts_require {feature} needs rules with and without it"
    assert {c.id for c in catalog.controls if c.requires} == {"ACC-6", "ACC-7"}
    assert {c.id for c in catalog.controls if c.parts_require} == {"ACC-5", "ENC-1", "NET-3", "NET-4"}
