"""``EncryptedTextField``: a model field whose database column only ever holds AES-GCM envelopes.

Reading the attribute decrypts lazily (bound to the row's table, primary key and field name);
assigning a plain string marks it for encryption on save. The primary key must exist before the
first save (use a UUID default), because it is part of the associated data.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from . import envelope


class StoredCiphertext(str):
    """A value as read from (or written to) the database: an envelope, never plaintext."""


class EncryptedAttribute(DeferredAttribute):
    """A data descriptor (it has ``__set__``), so reads always pass through ``__get__``."""

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if not isinstance(value, StoredCiphertext) or value == "":
            return value
        cache_key = f"_decrypted_{self.field.attname}"
        cached = instance.__dict__.get(cache_key)
        if cached is not None and cached[0] is value:
            return cached[1]
        plaintext = envelope.decrypt(
            value, aad=self.field.associated_data(instance), where=self.field.describe(instance)
        )
        instance.__dict__[cache_key] = (value, plaintext)
        return plaintext


class EncryptedTextField(models.TextField):
    descriptor_class = EncryptedAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        if kwargs.get("default") == "":
            kwargs.pop("default")
        return name, path, args, kwargs

    def associated_data(self, instance: models.Model) -> bytes:
        return envelope.associated_data(self.model._meta.db_table, instance.pk, self.name)

    def describe(self, instance: models.Model) -> str:
        return f"{self.model._meta.label}.{self.name} of row {instance.pk}"

    def from_db_value(
        self, value: str | None, expression: object, connection: object
    ) -> StoredCiphertext | None:
        return None if value is None else StoredCiphertext(value)

    def stored_value(self, instance: models.Model) -> str:
        """The envelope as stored (or about to be stored), for rotation and dumps."""
        value = instance.__dict__.get(self.attname, "")
        return value if isinstance(value, StoredCiphertext) else self.pre_save(instance, add=False)

    def pre_save(self, model_instance: models.Model, add: bool) -> StoredCiphertext:
        value = model_instance.__dict__.get(self.attname, "")
        if isinstance(value, StoredCiphertext) or not value:
            return StoredCiphertext(value or "")
        if model_instance.pk is None:
            raise ValueError(
                f"{self.model._meta.label} needs its primary key before {self.name} is encrypted."
            )
        sealed = StoredCiphertext(envelope.encrypt(str(value), aad=self.associated_data(model_instance)))
        model_instance.__dict__[self.attname] = sealed
        model_instance.__dict__[f"_decrypted_{self.attname}"] = (sealed, str(value))
        return sealed

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value and not envelope.is_envelope(value):
            # Plaintext must never reach the database, e.g. through QuerySet.update().
            raise ValueError(f"{self.model._meta.label}.{self.name} only accepts encrypted envelopes here.")
        return value

    def value_from_object(self, obj: models.Model) -> str:
        return self.stored_value(obj)
