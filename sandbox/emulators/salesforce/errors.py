"""Salesforce REST errors: an HTTP status and the `[{"message","errorCode"}]` body the API sends."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the emulator answers with, shaped like Salesforce's JSON error array."""

    def __init__(
        self, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:  # record-level errors name the fields (maybe none)
            error["fields"] = self.fields
        return [error]


def soql_error(code: str, query: str, column: int, detail: str) -> ApiError:
    """A SOQL error pointing at a column, laid out like the real message (caret under the token)."""
    caret = " " * column + "^"
    return ApiError(400, code, f"\n{query}\n{caret}\nERROR at Row:1:Column:{column + 1}\n{detail}")


def no_such_column(query: str, column: int, field: str, sobject: str) -> ApiError:
    return soql_error(
        "INVALID_FIELD",
        query,
        column,
        f"No such column '{field}' on entity '{sobject}'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name. Please reference your "
        "WSDL or the describe call for the appropriate names.",
    )


def unsupported_object(query: str, column: int, sobject: str) -> ApiError:
    return soql_error(
        "INVALID_TYPE",
        query,
        column,
        f"sObject type '{sobject}' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name. Please reference your WSDL "
        "or the describe call for the appropriate names.",
    )


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")
