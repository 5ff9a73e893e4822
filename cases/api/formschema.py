"""A Django form's fields as a JSON Schema, so a partner can build its own form for the
data a step or a new case takes (`GET /api/v1/services`). The form still validates what
comes in: this only describes it."""

from __future__ import annotations

from django import forms

from cases.ukdates import UKDateField


def field_schema(field: forms.Field) -> dict:
    schema: dict = {"title": str(field.label or "")}
    if field.help_text:
        schema["description"] = str(field.help_text)
    if isinstance(field, forms.ChoiceField):
        # django-stubs gives the getter the setter's input types; Django normalises to a list.
        choices = [(str(v), str(label)) for v, label in field.choices if v != ""]  # type: ignore[misc, union-attr]
        schema["type"] = "string"
        schema["enum"] = [value for value, _label in choices]
        schema["x-labels"] = dict(choices)
    elif isinstance(field, UKDateField | forms.DateField):
        schema.update(type="string", format="date")
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        schema["type"] = "number"
        _bounds(schema, field)
    elif isinstance(field, forms.IntegerField):
        schema["type"] = "integer"
        _bounds(schema, field)
    elif isinstance(field, forms.BooleanField):
        schema["type"] = "boolean"
    else:
        schema["type"] = "string"
        if isinstance(field, forms.EmailField):
            schema["format"] = "email"
        max_length = getattr(field, "max_length", None)
        if max_length:
            schema["maxLength"] = max_length
    return schema


def _bounds(schema: dict, field) -> None:
    if getattr(field, "min_value", None) is not None:
        schema["minimum"] = float(field.min_value)
    if getattr(field, "max_value", None) is not None:
        schema["maximum"] = float(field.max_value)


def form_schema(form_class: type[forms.Form] | None) -> dict:
    """{"type": "object", "properties": …, "required": […]} (empty for no form)."""
    if form_class is None:
        return {"type": "object", "properties": {}, "additionalProperties": False}
    fields = form_class.base_fields
    return {
        "type": "object",
        "properties": {name: field_schema(field) for name, field in fields.items()},
        "required": [name for name, field in fields.items() if field.required],
        "additionalProperties": False,
    }
