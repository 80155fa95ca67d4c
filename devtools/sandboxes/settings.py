"""What both sandboxes' ``SandboxConfig`` (hubspot/config.py, monday/config.py) share: building one from
keyword arguments (unknown ones refused, list options made tuples) and the fields marked "runtime", which
tests and scripts change through ``PATCH /_sandbox/config``."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Self


class RuntimeSettings:
    RUNTIME_FIELDS: ClassVar[tuple[str, ...]] = ()
    #: Options given as lists (a CLI's, a JSON body's) that the config keeps as tuples.
    TUPLE_FIELDS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Self:
        names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(kwargs) - names
        if unknown:
            raise TypeError(f"unknown sandbox option(s): {', '.join(sorted(unknown))}")
        for name in cls.TUPLE_FIELDS:
            if kwargs.get(name) is not None:
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)

    def update_runtime(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` to runtime fields (coerced to each field's type; ``None`` only where the field
        may be empty); returns the new values."""
        unknown = set(changes) - set(self.RUNTIME_FIELDS)
        if unknown:
            raise ValueError(f"not changeable at run time: {', '.join(sorted(unknown))}")
        optional = {field.name for field in dataclasses.fields(self) if "None" in str(field.type)}  # type: ignore[arg-type]
        for name, value in changes.items():
            current = getattr(self, name)
            if value is None and name not in optional and current is not None:
                raise ValueError(f"{name} takes a value")
            if value is None or current is None:
                setattr(self, name, value)
            elif isinstance(current, bool):
                setattr(self, name, value if isinstance(value, bool) else str(value).lower() == "true")
            else:
                setattr(self, name, type(current)(value))
        return self.runtime_view()

    def runtime_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.RUNTIME_FIELDS}
