"""The gateway's OpenAPI 3.1 document, generated from the route table and
the protos' descriptors: each route's payload and result are the RPC's
messages in protobuf's JSON mapping (JSON Schema 2020-12, which OpenAPI 3.1
speaks). On the wire a payload travels SM4-encrypted in the envelope's
``encData``: the schema says so with ``contentMediaType`` and
``contentSchema``. ``plaintext=True`` gives the same document with the
payloads as bodies — what a client signs before sealing (the property-based
run generates requests from it)."""

from __future__ import annotations

from functools import cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from services.gateway.envelope import FIELDS, VERSION
from services.gateway.errors import HTTP_STATUS
from services.gateway.routes import ROUTES

_REF = "#/components/schemas/"
_INT32 = {"type": "integer", "format": "int32"}
# 64-bit integers are JSON strings in protobuf's mapping (numbers are accepted too).
_INT64 = {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]{1,19}$"}], "format": "int64"}
_SCALARS: dict[int, dict] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_INT32: _INT32,
    FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_SFIXED32: _INT32,
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "minimum": 0, "format": "int32"},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "minimum": 0, "format": "int32"},
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _INT64,
    FieldDescriptor.TYPE_FIXED64: _INT64,
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}
_WELL_KNOWN = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
}


def _field(field: FieldDescriptor, schemas: dict) -> dict:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value = field.message_type.fields_by_name["value"]
        return {"type": "object", "additionalProperties": _single(value, schemas)}
    single = _single(field, schemas)
    if field.is_repeated:
        return {"type": "array", "items": single}
    return single


def _single(field: FieldDescriptor, schemas: dict) -> dict:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return _message(field.message_type, schemas)
    return dict(_SCALARS[field.type])


def _message(message: Descriptor, schemas: dict) -> dict:
    if message.full_name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[message.full_name])
    if message.full_name not in schemas:
        schemas[message.full_name] = {}  # before the fields: a message may contain itself
        schemas[message.full_name] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.json_name: _field(f, schemas) for f in message.fields},
        }
    return {"$ref": _REF + message.full_name}


def _error_schema() -> dict:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "status", "message"],
                "properties": {
                    "code": {"type": "integer"},
                    "status": {"type": "string", "enum": sorted(HTTP_STATUS)},
                    "message": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "object"}},
                },
            }
        },
    }


def _envelope_schema(content: dict) -> dict:
    properties: dict = {name: {"type": "string"} for name in FIELDS}
    properties["version"] = {"const": VERSION}
    properties["encType"] = {"const": "SM4"}
    properties["signType"] = {"const": "SM2"}
    properties["timestamp"] = {
        "type": "string",
        "description": "Beijing time, e.g. 2026-12-03T10:00:00+08:00",
    }
    properties["encData"] = {
        "type": "string",
        "contentEncoding": "base64",
        "contentMediaType": "application/json",
        "contentSchema": content,
        "description": "the JSON below, SM4-encrypted (docs/gateway.md)",
    }
    properties["signData"] = {
        "type": "string",
        "contentEncoding": "base64",
        "description": "SM2 over SM3, r||s",
    }
    return {
        "type": "object",
        "required": list(FIELDS),
        "additionalProperties": False,
        "properties": properties,
    }


def _result(route, schemas: dict) -> dict:
    result = _message(route.method.output_type, schemas)
    if route.streaming:  # one page of what the stream sends
        result = {"type": "object", "properties": {"items": {"type": "array", "items": result}}}
    return {
        "oneOf": [
            {"type": "object", "required": ["result"], "properties": {"result": result}},
            {"$ref": _REF + "Error"},
        ]
    }


@cache
def openapi(plaintext: bool = False) -> dict:
    schemas: dict = {"Error": _error_schema()}
    paths = {}
    for route in ROUTES.values():
        payload = _message(route.method.input_type, schemas)
        result = _result(route, schemas)
        request = payload if plaintext else _envelope_schema(payload)
        answer = result if plaintext else _envelope_schema(result)
        paths[route.path] = {
            "post": {
                "operationId": route.name,
                "summary": f"{route.method.containing_service.full_name}.{route.name}"
                + (" (one page of the stream)" if route.streaming else ""),
                "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
                "responses": {
                    "200": {"description": "the result", "content": {"application/json": {"schema": answer}}},
                    "default": {
                        "description": "a refusal: sealed like a result once the platform is verified, "
                        "plain JSON before",
                        "content": {
                            "application/json": {"schema": {"oneOf": [answer, {"$ref": _REF + "Error"}]}}
                        },
                    },
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "yibao-wallet gateway for provincial platforms",
            "version": VERSION,
            "description": "HTTPS POST with an SM2-signed, SM4-encrypted JSON envelope (docs/gateway.md).",
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }
