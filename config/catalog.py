"""The control catalog as project data (config/catalog.toml), validated before anything reads it.

Code (policies/controls.py), tests and the evidence report (evidence_report/) read the catalog from here, so
one promise has one ID, one wording and one scope decision. A malformed catalog is refused with one line per
problem, e.g. `catalog error: controls[3].id = 'ACC2': must look like ACC-2 (family prefix, dash, number)`.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from config.loader import ConfigError
from config.model import FieldValueError

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
CONTROL_ID_PATTERN = r"^(?P<family>[A-Z]{2,3})-(?P<number>[1-9][0-9]?)$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]


class Family(BaseModel):
    """A group of controls sharing an ID prefix (ACC, NET, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,3}$")]
    title: Text


class Feature(BaseModel):
    """An optional part of an environment (e.g. the public edge): promises about it bind only where it is built."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
    title: Text
    detected_by: Text
    absent_reason: Text


class Control(BaseModel):
    """One promise: in scope (kept by the app, with evidence rules) or out of scope (with the reason)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: Text
    promise: Text
    maps_to: Text
    scope: Literal["in", "out"]
    reason: Text | None = None
    stages: tuple[Literal["dev", "test", "staging", "prod"], ...] | None = None
    stages_reason: Text | None = None
    requires: tuple[str, ...] = ()
    parts_require: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not re.match(CONTROL_ID_PATTERN, self.id):
            raise FieldValueError("id", self.id, "must look like ACC-2 (family prefix of 2-3 capitals, dash, number)")
        if self.scope == "out" and self.reason is None:
            raise FieldValueError("reason", None, "an out-of-scope control needs the reason it is out of scope")
        if self.scope == "in" and self.reason is not None:
            raise FieldValueError("reason", self.reason, "only out-of-scope controls carry a reason; remove it")
        if (self.stages is None) != (self.stages_reason is None):
            raise FieldValueError("stages", self.stages, "stages and stages_reason go together: say why")
        if set(self.requires) & set(self.parts_require):
            raise FieldValueError(
                "parts_require", list(self.parts_require), "a feature the whole control requires cannot be a part too"
            )
        if self.scope == "out" and (self.requires or self.parts_require):
            raise FieldValueError("requires", list(self.requires), "an out-of-scope control requires no feature")
        return self

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]

    @property
    def in_scope(self) -> bool:
        return self.scope == "in"

    def binds(self, stage: str | None) -> bool:
        """Whether the promise applies to an environment of this stage (None: unknown stage, always binds)."""
        return self.stages is None or stage is None or stage in self.stages


class Catalog(BaseModel):
    """The whole catalog, in file order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    families: tuple[Family, ...] = Field(min_length=1)
    features: tuple[Feature, ...] = ()
    controls: tuple[Control, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_and_known(self) -> Self:
        prefixes = {family.prefix for family in self.families}
        seen: set[str] = set()
        for index, control in enumerate(self.controls):
            if control.id in seen:
                raise FieldValueError(f"controls[{index}].id", control.id, "appears twice; each control ID is unique")
            if control.family not in prefixes:
                raise FieldValueError(
                    f"controls[{index}].id", control.id, f"names no family; known: {', '.join(sorted(prefixes))}"
                )
            seen.add(control.id)
            known = {feature.name for feature in self.features}
            for key in ("requires", "parts_require"):
                unknown = sorted(set(getattr(control, key)) - known)
                if unknown:
                    allowed = ", ".join(sorted(known)) or "-"
                    raise FieldValueError(f"controls[{index}].{key}", unknown, f"names no feature; known: {allowed}")
        return self

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(control.id for control in self.controls)

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    def feature(self, name: str) -> Feature:
        return next(feature for feature in self.features if feature.name == name)

    def family_title(self, prefix: str) -> str:
        return next(family.title for family in self.families if family.prefix == prefix)


def parse_catalog(text: str, *, source: str = "catalog") -> Catalog:
    """Validate catalog TOML text; raise ConfigError with one line per problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"catalog error: {source}: not valid TOML ({error})"]) from None
    try:
        return Catalog.model_validate(data)
    except ValidationError as error:
        raise ConfigError([_describe(detail) for detail in error.errors()]) from None


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The project's catalog (read once per process)."""
    if not path.is_file():
        raise ConfigError([f"catalog error: {path}: no such file"])
    return parse_catalog(path.read_text(encoding="utf-8"), source=str(path))


def _describe(detail: object) -> str:
    assert isinstance(detail, dict)
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"]).lstrip(".")
    cause = (detail.get("ctx") or {}).get("error")
    if isinstance(cause, FieldValueError):
        field = cause.field if cause.field.startswith("[") else f".{cause.field}"
        where = f"{location}{field}".lstrip(".") if not cause.field.startswith("controls") else cause.field
        return f"catalog error: {where} = {cause.value!r}: {cause.problem}"
    return f"catalog error: {location}: {str(detail['msg']).removeprefix('Value error, ')}"
