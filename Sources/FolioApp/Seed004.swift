public import FolioIndex
public import FolioModel

/// Seed 004's language for invoices, spoken by the HTTP API (SPEC §11): `invoiceNumber` for
/// Folio's `number`, `customerId` for `customer.id`, Unix timestamps for dates, and `status`
/// 0 open, 1 partially paid, 2 paid. Folio's own workflow status travels beside it as
/// `approvalStatus` (seed 000's approval states), with `revision` and the seed 001 state.
public enum Seed004 {
    public static func status(_ payment: PaymentStatus?) -> Int {
        switch payment {
        case .partiallyPaid: 1
        case .paid: 2
        default: 0
        }
    }

    public static func paymentStatus(_ status: Int) -> PaymentStatus? {
        [0: PaymentStatus.open, 1: .partiallyPaid, 2: .paid][status]
    }

    /// `YYYY-MM-DD` (UTC midnight) or `YYYY-MM-DDTHH:MM:SSZ` as Unix seconds; nil when neither.
    public static func timestamp(_ text: String) -> Int64? {
        guard text.utf8.count >= 10, let days = Dates.parseDate(String(text.prefix(10))) else { return nil }
        var seconds = Int64(days) * 86_400
        let time = Array(text.utf8.dropFirst(10))
        if time.count >= 9, time[0] == UInt8(ascii: "T") {
            let digits = String(decoding: time[1...8], as: UTF8.self).split(separator: ":").compactMap { Int64($0) }
            guard digits.count == 3 else { return nil }
            seconds += digits[0] * 3_600 + digits[1] * 60 + digits[2]
        }
        return seconds
    }

    public static func invoice(_ inv: InvoiceSummary) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(inv.id),
            "invoiceNumber": inv.number.map(JSONValue.string) ?? .null,
            "customerId": .string(inv.customer.id),
            "customerName": inv.customer.name.map(JSONValue.string) ?? .null,
            "externalCustomerId": inv.customer.externalId.map(JSONValue.string) ?? .null,
            "type": .string(inv.type),
            "dueDate": timestamp(inv.dueDate).map(JSONValue.int) ?? .null,
            "status": .int(Int64(status(inv.paymentStatus))),
            "orderNumber": inv.orderId.map(JSONValue.string) ?? .null,
            "createdAt": timestamp(inv.createdAt).map(JSONValue.int) ?? .null,
            "updatedAt": timestamp(inv.updatedAt).map(JSONValue.int) ?? .null,
            "approvalStatus": .string(inv.status?.rawValue ?? "draft"),
            "brpStatus": .int(Int64(inv.brpState)),
            "revision": .int(Int64(inv.revision)),
        ]
        if let currency = Currency(code: inv.currency), let totals = inv.totals {
            o["originalBalance"] = .object(["code": .string(inv.currency), "value": .string(Money.formatSeed004(totals.total, currency: currency))])
            o["openBalance"] = .object(["code": .string(inv.currency), "value": .string(Money.formatSeed004(totals.open, currency: currency))])
        }
        return .object(o)
    }

    /// `{"code": 200, "data": [...], "meta": {"pagination": {...}}}`, seed 004's list shape.
    public static func page(_ rows: [InvoiceSummary], total: Int, offset: Int, limit: Int) -> JSONValue {
        .object(["code": .int(200), "data": .array(rows.map(invoice)),
                 "meta": .object(["pagination": .object(["offset": .int(Int64(offset)), "limit": .int(Int64(limit)), "totalCount": .int(Int64(total))])])])
    }

    /// `{"code": 200, "data": ..., "meta": {}}` for one object.
    public static func one(_ data: JSONValue, code: Int = 200) -> JSONValue {
        .object(["code": .int(Int64(code)), "data": data, "meta": .object([:])])
    }

    /// Seed 004's numeric field types (Folio's decision: text 0, number 1, date 2, list 3).
    public static func fieldType(_ type: ExtraFieldType) -> Int {
        switch type {
        case .text: 0
        case .number: 1
        case .date: 2
        case .list: 3
        }
    }

    /// GET /invoices/extra-fields: fields.json as seed 004's extra field configs, paginated.
    public static func extraFieldPage(_ fields: [FieldDefinition], offset: Int, limit: Int) -> JSONValue {
        let rows = fields.enumerated().dropFirst(offset).prefix(limit).map { i, field -> JSONValue in
            var o: [String: JSONValue] = [
                "id": .int(Int64(i + 1)), "uuid": .string(field.fieldName), "fieldName": .string(field.fieldName),
                "fieldType": .int(Int64(fieldType(field.fieldType))), "isRequired": .bool(field.isRequired), "isUnique": .bool(field.isUnique),
                "visibleToEnduser": .bool(field.visibleToEnduser ?? true), "configType": .int(1),
                "defaultValue": field.defaultValue.map(JSONValue.string) ?? .null,
                "maximumLength": field.maximumLength.map { .string(String($0)) } ?? .null,
                "listOfValue": field.listOfValue.map { .array($0.map(JSONValue.string)) } ?? .null,
            ]
            o["numberOfRows"] = .null
            o["maximumValue"] = .null
            return .object(o)
        }
        return .object(["code": .int(200), "data": .array(Array(rows)),
                        "meta": .object(["pagination": .object(["offset": .int(Int64(offset)), "limit": .int(Int64(limit)), "totalCount": .int(Int64(fields.count))])])])
    }
}
