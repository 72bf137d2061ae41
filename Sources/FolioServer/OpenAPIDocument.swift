import Foundation
import Hummingbird
import NIOCore

extension FolioServer {
    /// GET /openapi.json: no token needed, as a client needs it before it has one.
    static func openAPI() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
}

/// The OpenAPI 3.1 description of every endpoint `folio serve` answers (SPEC §11), checked
/// against the live server by schemathesis in the tests. Written by hand, next to the
/// handlers it describes: a change to a handler's parameters, bodies or answers changes it too.
enum OpenAPIDocument {
    static let json = template.replacingOccurrences(of: "ANSWER_RESPONSES", with: answerResponses)

    /// An answer's responses, the same for accept, decline and request changes.
    static let answerResponses = #"""
    {
              "200": {"$ref": "#/components/responses/Invoice"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Refused"},
              "412": {"$ref": "#/components/responses/Stale"},
              "413": {"$ref": "#/components/responses/TooLarge"},
              "422": {"$ref": "#/components/responses/Unprocessable"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
    """#

    static let template = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Folio invoices",
        "version": "1.0.0",
        "description": "Seed 004's invoice API and seed 000's approval actions, answered from a Folio git repository. Every request is a party of parties.json, named by a token that `folio serve token EMAIL` issues; a buyer sees only its customer's invoices (anything else is 404). Every write is one commit, authored by the party and signed by the server party's key. Errors are RFC 9457 problem details."
      },
      "security": [{"authToken": []}, {"bearer": []}],
      "paths": {
        "/invoices": {
          "get": {
            "operationId": "listInvoices",
            "summary": "Get invoices (seed 004), filtered, sorted and paginated",
            "parameters": [
              {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 50}},
              {"name": "orderBy", "in": "query", "schema": {"type": "string", "enum": ["ASC", "DESC", "asc", "desc"]}},
              {"name": "sortBy", "in": "query", "schema": {"type": "string", "enum": ["invoiceNumber", "createdAt", "updatedAt", "dueDate", "customerId", "externalCustomerId", "status", "openBalance", "originalBalance", "isPendingPayment"]}},
              {"name": "searchBy", "in": "query", "schema": {"type": "string", "enum": ["invoiceNumber", "type", "orderNumber", "purchaseOrderNumber", "customerId", "externalCustomerId"]}},
              {"name": "q", "in": "query", "schema": {"type": "string"}},
              {"name": "customerId", "in": "query", "schema": {"type": "string"}},
              {"name": "customerName", "in": "query", "schema": {"type": "string"}},
              {"name": "status", "in": "query", "description": "0 open, 1 partially paid, 2 paid", "schema": {"type": "integer", "enum": [0, 1, 2]}},
              {"name": "beginDateAt", "in": "query", "description": "Created on or after this Unix time's UTC day", "schema": {"type": "integer", "minimum": 0, "maximum": 253402300799}},
              {"name": "endDateAt", "in": "query", "description": "Created on or before this Unix time's UTC day", "schema": {"type": "integer", "minimum": 0, "maximum": 253402300799}},
              {"name": "externalId[]", "in": "query", "description": "Any of these external (ERP) invoice ids", "style": "form", "explode": true, "schema": {"type": "array", "items": {"type": "string"}}},
              {"name": "channelIds", "in": "query", "description": "Any of these channels", "style": "form", "explode": true, "schema": {"type": "array", "items": {"type": "integer"}}},
              {"name": "isIncludeExtraFields", "in": "query", "description": "1: each row carries its extraFields", "schema": {"type": "integer", "enum": [0, 1]}},
              {"name": "number", "in": "query", "description": "Seed 001: the invoice number, with or without its series prefix", "schema": {"type": "string"}},
              {"name": "state", "in": "query", "description": "Seed 001's invoice state (brpStatus): 1 draft … 9 waiting to be sent", "schema": {"type": "integer", "minimum": 1, "maximum": 9}},
              {"name": "productids", "in": "query", "description": "Seed 001: invoices with a line of any of these products, comma-separated", "schema": {"type": "string"}}
            ],
            "responses": {
              "200": {"description": "A page of invoices", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvoicePage"}}}},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          },
          "post": {
            "operationId": "createInvoice",
            "summary": "Create an invoice (seed 004) of an order's open items: a seller's draft",
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateInvoice"}}}},
            "responses": {
              "201": {"$ref": "#/components/responses/Created"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Refused"},
              "413": {"$ref": "#/components/responses/TooLarge"},
              "422": {"$ref": "#/components/responses/Unprocessable"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/invoices/extra-fields": {
          "get": {
            "operationId": "listExtraFieldConfigs",
            "summary": "Get invoice extra field configs (seed 004), from .folio/fields.json",
            "parameters": [
              {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 10}}
            ],
            "responses": {
              "200": {"description": "Extra field configs", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExtraFieldPage"}}}},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/invoices/{invoiceId}": {
          "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
          "get": {
            "operationId": "getInvoice",
            "summary": "Get invoice detail (seed 004), with Folio's whole document; the ETag is its version",
            "responses": {
              "200": {"$ref": "#/components/responses/Invoice"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          },
          "put": {
            "operationId": "updateInvoice",
            "summary": "Update an invoice (seed 004): its writable fields, or Folio's merge patch under `document`",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UpdateInvoice"}}}},
            "responses": {
              "200": {"$ref": "#/components/responses/Invoice"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Refused"},
              "412": {"$ref": "#/components/responses/Stale"},
              "413": {"$ref": "#/components/responses/TooLarge"},
              "422": {"$ref": "#/components/responses/Unprocessable"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          },
          "delete": {
            "operationId": "deleteInvoice",
            "summary": "Delete an invoice (seed 004): a draft that was never sent; its order items are open again",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
            "responses": {
              "200": {"description": "Deleted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Refused"},
              "412": {"$ref": "#/components/responses/Stale"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/invoices/{invoiceId}/download-pdf": {
          "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
          "get": {
            "operationId": "downloadInvoicePdf",
            "summary": "Invoice download PDF (seed 004): the buyer page, printed by headless Chromium",
            "responses": {
              "200": {"description": "The PDF", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/invoices/{invoiceId}/view": {
          "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
          "get": {
            "operationId": "viewInvoice",
            "summary": "The buyer page: the invoice rendered, with the approval banner and, for a buyer whose answer is awaited, dialogs to accept, decline or request changes",
            "description": "A link with ?token=TOKEN sets the token as an HttpOnly cookie and redirects to the bare address.",
            "security": [{"authToken": []}, {"bearer": []}, {"pageCookie": []}, {"tokenInLink": []}],
            "responses": {
              "200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}},
              "303": {"description": "The token became a cookie", "headers": {"Location": {"schema": {"type": "string"}}, "Set-Cookie": {"schema": {"type": "string"}}}},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        },
        "/invoices/{invoiceId}/accept": {
          "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
          "post": {
            "operationId": "acceptInvoice",
            "summary": "Accept (seed 000): a buyer's final answer to a sent invoice",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "maxProperties": 0}}}},
            "responses": ANSWER_RESPONSES
          }
        },
        "/invoices/{invoiceId}/decline": {
          "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
          "post": {
            "operationId": "declineInvoice",
            "summary": "Decline with a reason (seed 000)",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["reason"], "properties": {"reason": {"$ref": "#/components/schemas/Sentence"}}}}}},
            "responses": ANSWER_RESPONSES
          }
        },
        "/invoices/{invoiceId}/request-changes": {
          "parameters": [{"$ref": "#/components/parameters/InvoiceId"}],
          "post": {
            "operationId": "requestInvoiceChanges",
            "summary": "Request changes with a note (seed 000): the seller edits and sends the next revision",
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["note"], "properties": {"note": {"$ref": "#/components/schemas/Sentence"}}}}}},
            "responses": ANSWER_RESPONSES
          }
        },
        "/orders/{orderId}/invoices": {
          "parameters": [{"name": "orderId", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Id"}}],
          "post": {
            "operationId": "createInvoiceFromOrder",
            "summary": "Create an invoice from an order (seed 004): a seller's draft of the order's open items",
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {
              "items": {"type": "array", "items": {"type": "string"}, "description": "Refs of the order's open items; all of them when absent"},
              "dueDate": {"type": "string", "format": "date", "pattern": "^(19|[2-9][0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$", "description": "YYYY-MM-DD, 1900 or later"}}}}}},
            "responses": {
              "201": {"$ref": "#/components/responses/Created"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Refused"},
              "413": {"$ref": "#/components/responses/TooLarge"},
              "422": {"$ref": "#/components/responses/Unprocessable"},
              "503": {"$ref": "#/components/responses/Busy"}
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "authToken": {"type": "apiKey", "in": "header", "name": "authToken", "description": "Seed 004's header; a token from `folio serve token EMAIL`"},
          "bearer": {"type": "http", "scheme": "bearer"},
          "pageCookie": {"type": "apiKey", "in": "cookie", "name": "folio_token"},
          "tokenInLink": {"type": "apiKey", "in": "query", "name": "token"}
        },
        "parameters": {
          "InvoiceId": {"name": "invoiceId", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Id"}},
          "IfMatch": {"name": "If-Match", "in": "header", "required": false, "description": "The ETag read: a write on another version is refused with 412", "schema": {"type": "string"}},
          "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": false, "description": "A retried request with the same key writes nothing and answers the same", "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"}}
        },
        "headers": {
          "ETag": {"description": "The document's version", "schema": {"type": "string"}}
        },
        "responses": {
          "Created": {"description": "The new invoice, a draft", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvoiceOne"}}},
            "links": {
              "GetInvoice": {"operationId": "getInvoice", "parameters": {"invoiceId": "$response.body#/data/id"}},
              "UpdateInvoice": {"operationId": "updateInvoice", "parameters": {"invoiceId": "$response.body#/data/id"}},
              "DeleteInvoice": {"operationId": "deleteInvoice", "parameters": {"invoiceId": "$response.body#/data/id"}},
              "DownloadPdf": {"operationId": "downloadInvoicePdf", "parameters": {"invoiceId": "$response.body#/data/id"}},
              "ViewInvoice": {"operationId": "viewInvoice", "parameters": {"invoiceId": "$response.body#/data/id"}}}},
          "Invoice": {"description": "One invoice", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvoiceOne"}}}},
          "BadRequest": {"description": "Malformed JSON, a wrong type, an unknown field or parameter", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "Unauthorized": {"description": "No token, or not a party's", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "NotFound": {"description": "No such document, or not visible to this party", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "Refused": {"description": "A rule of the workflow says no (SPEC §3); nothing was written", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "Stale": {"description": "If-Match names an older version", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "TooLarge": {"description": "The body is larger than the server reads", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "Unprocessable": {"description": "Well-formed, but a field Folio computes, or a document that would be invalid; `errors` names the fields", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "Busy": {"description": "The repository is busy with another write; retry", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        },
        "schemas": {
          "Id": {"type": "string", "pattern": "^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
          "Sentence": {"type": "string", "pattern": "\\S"},
          "Money": {"type": "object", "required": ["code", "value"], "properties": {"code": {"type": "string"}, "value": {"type": "string"}}},
          "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "required": ["pointer", "rule", "detail"], "properties": {"pointer": {"type": "string"}, "rule": {"type": "string"}, "detail": {"type": "string"}}}}}},
          "Pagination": {"type": "object", "required": ["offset", "limit", "totalCount"], "properties": {"offset": {"type": "integer"}, "limit": {"type": "integer"}, "totalCount": {"type": "integer"}}},
          "InvoiceRow": {"type": "object", "required": ["id", "invoiceNumber", "customerId", "type", "dueDate", "status", "approvalStatus", "revision"], "properties": {
            "id": {"type": "string"},
            "invoiceNumber": {"type": ["string", "null"], "description": "Given when the invoice is first sent"},
            "customerId": {"type": "string"},
            "customerName": {"type": ["string", "null"]},
            "externalCustomerId": {"type": ["string", "null"]},
            "type": {"type": "string"},
            "dueDate": {"type": ["integer", "null"], "description": "Unix timestamp"},
            "status": {"type": "integer", "enum": [0, 1, 2], "description": "0 open, 1 partially paid, 2 paid"},
            "orderNumber": {"type": ["string", "null"]},
            "createdAt": {"type": ["integer", "null"]},
            "updatedAt": {"type": ["integer", "null"]},
            "approvalStatus": {"type": "string", "enum": ["draft", "pending_approval", "changes_requested", "accepted", "declined", "issued", "voided"]},
            "brpStatus": {"type": "integer", "minimum": 1, "maximum": 9},
            "revision": {"type": "integer"},
            "originalBalance": {"$ref": "#/components/schemas/Money"},
            "openBalance": {"$ref": "#/components/schemas/Money"},
            "extraFields": {"type": "array", "items": {"type": "object", "required": ["fieldName", "fieldValue"], "properties": {"fieldName": {"type": "string"}, "fieldValue": {"type": "string"}}}}}},
          "InvoiceDetail": {"allOf": [{"$ref": "#/components/schemas/InvoiceRow"}, {"type": "object", "required": ["document"], "properties": {"document": {"type": "object", "description": "Folio's invoice document, every field (SPEC §2)"}}}]},
          "InvoicePage": {"type": "object", "required": ["code", "data", "meta"], "properties": {
            "code": {"type": "integer", "const": 200}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/InvoiceRow"}},
            "meta": {"type": "object", "required": ["pagination"], "properties": {"pagination": {"$ref": "#/components/schemas/Pagination"}}}}},
          "InvoiceOne": {"type": "object", "required": ["code", "data", "meta"], "properties": {"code": {"type": "integer", "const": 200}, "data": {"$ref": "#/components/schemas/InvoiceDetail"}, "meta": {"type": "object"}}},
          "Deleted": {"type": "object", "required": ["code", "data", "meta"], "properties": {"code": {"type": "integer", "const": 200}, "data": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}, "meta": {"type": "object", "properties": {"message": {"type": "string"}}}}},
          "ExtraFieldConfig": {"type": "object", "required": ["id", "fieldName", "fieldType", "isRequired", "isUnique"], "properties": {
            "id": {"type": "integer"}, "uuid": {"type": "string"}, "fieldName": {"type": "string"},
            "fieldType": {"type": "integer", "enum": [0, 1, 2, 3], "description": "0 text, 1 number, 2 date, 3 list"},
            "isRequired": {"type": "boolean"}, "isUnique": {"type": "boolean"}, "visibleToEnduser": {"type": "boolean"}, "configType": {"type": "integer"},
            "defaultValue": {"type": ["string", "null"]}, "maximumLength": {"type": ["string", "null"]}, "numberOfRows": {"type": ["string", "null"]},
            "maximumValue": {"type": ["string", "null"]}, "listOfValue": {"type": ["array", "null"], "items": {"type": "string"}}}},
          "ExtraFieldPage": {"type": "object", "required": ["code", "data", "meta"], "properties": {
            "code": {"type": "integer", "const": 200}, "data": {"type": "array", "items": {"$ref": "#/components/schemas/ExtraFieldConfig"}},
            "meta": {"type": "object", "required": ["pagination"], "properties": {"pagination": {"$ref": "#/components/schemas/Pagination"}}}}},
          "Writable": {"type": "object", "properties": {
            "dueDate": {"type": "integer", "minimum": 0, "maximum": 253402300799, "description": "Unix timestamp; Folio keeps the day (UTC)"},
            "purchaseOrderNumber": {"type": ["string", "null"], "maxLength": 200},
            "externalId": {"type": ["string", "null"], "maxLength": 200},
            "externalCustomerId": {"type": ["string", "null"], "maxLength": 200},
            "externalPdfUrl": {"type": ["string", "null"], "maxLength": 2000},
            "termsConditions": {"type": ["string", "null"]},
            "note": {"type": ["string", "null"], "description": "Folio's note for the buyer"},
            "extraFields": {"type": ["array", "null"], "maxItems": 200, "items": {"type": "object", "additionalProperties": false, "required": ["fieldName", "fieldValue"], "properties": {"fieldName": {"type": "string"}, "fieldValue": {"type": "string"}}}}}},
          "CreateInvoice": {"allOf": [{"$ref": "#/components/schemas/Writable"}, {"type": "object", "required": ["orderNumber"], "properties": {
            "orderNumber": {"$ref": "#/components/schemas/Id"},
            "items": {"type": "array", "items": {"type": "string"}, "description": "Refs of the order's open items; all of them when absent"}}}],
            "unevaluatedProperties": false},
          "UpdateInvoice": {"allOf": [{"$ref": "#/components/schemas/Writable"}, {"type": "object", "properties": {
            "document": {"type": "object", "description": "An RFC 7396 merge patch of Folio's invoice document (SPEC §2). The result must be a valid invoice, else 422 names each field; numbers are whole (amounts in minor units, quantities and rates as decimal strings), else 422"}}}],
            "minProperties": 1, "unevaluatedProperties": false}
        }
      }
    }
    """#
}
