import Foundation

/// The shape of each document, checked on the raw JSON before any typed decoding so that
/// every problem is reported with its JSON Pointer (SPEC §7, §8).
public indirect enum FieldType: Sendable {
    case string(maxLength: Int = 10_000)
    case identifier
    case email
    case int
    case amount            // minor units, 0 ... Schema.maxAmount
    case positiveAmount
    case count             // a small non-negative integer
    case bool
    case date
    case timestamp
    case currency
    case decimal(min: ExactDecimal?, max: ExactDecimal?)
    case enumeration([String])
    case object(Schema)
    case array(FieldType, maxCount: Int = 10_000)
    case map(FieldType)    // object with free keys
    case any
}

public struct Schema: Sendable {
    public var required: [String: FieldType]
    public var optional: [String: FieldType]
    public init(required: [String: FieldType] = [:], optional: [String: FieldType] = [:]) {
        self.required = required; self.optional = optional
    }

    /// 10^15 minor units: beyond any real invoice, and far enough from Int64's limit that
    /// sums of a few thousand lines cannot overflow.
    public static let maxAmount: Int64 = 1_000_000_000_000_000

    public func check(_ value: JSONValue, file: String, pointer: String = "") -> [Finding] {
        var findings: [Finding] = []
        Schema.check(value, type: .object(self), file: file, pointer: pointer, into: &findings)
        return findings.sorted { ($0.pointer, $0.rule) < ($1.pointer, $1.rule) }
    }

    /// `pointer` is built only when a finding needs it: most documents have none, and
    /// building every field's pointer string costs more than checking the field.
    static func check(_ value: JSONValue, type: FieldType, file: String, pointer: @autoclosure () -> String, into f: inout [Finding]) {
        func bad(_ rule: String, _ message: String) { f.append(Finding(rule, file: file, pointer: pointer(), message)) }
        switch type {
        case .any:
            return
        case .string(let maxLength):
            guard let s = value.stringValue else { return bad("schema/type", "must be a string, found \(value.typeName)") }
            if s.count > maxLength { bad("schema/length", "is \(s.count) characters long; at most \(maxLength) are allowed") }
        case .identifier:
            guard let s = value.stringValue else { return bad("schema/type", "must be a string id, found \(value.typeName)") }
            if let problem = DocumentPaths.validateID(s) { bad("schema/id", "\"\(s)\" \(problem)") }
        case .email:
            guard let s = value.stringValue else { return bad("schema/type", "must be an email address string, found \(value.typeName)") }
            if !Schema.looksLikeEmail(s) { bad("schema/email", "\"\(s)\" is not an email address") }
        case .int:
            if value.intValue == nil { bad("schema/type", "must be an integer, found \(value.typeName)") }
        case .amount, .positiveAmount:
            guard let i = value.intValue else {
                return bad("schema/type", "must be an integer count of minor units (e.g. 1999 for 19.99), found \(value.typeName)\(value.stringValue.map { " \"\($0)\"" } ?? "")")
            }
            if i < 0 { bad("amount/negative", "must not be negative (\(i)); corrections go through a credit note") }
            else if i == 0, case .positiveAmount = type { bad("amount/zero", "must be greater than zero") }
            else if i > maxAmount { bad("amount/overflow", "\(i) is larger than the largest amount Folio accepts (\(maxAmount) minor units)") }
        case .count:
            guard let i = value.intValue else { return bad("schema/type", "must be an integer, found \(value.typeName)") }
            if i < 0 || i > 1_000_000 { bad("schema/range", "must be between 0 and 1000000 (\(i))") }
        case .bool:
            if value.boolValue == nil { bad("schema/type", "must be true or false, found \(value.typeName)") }
        case .date:
            guard let s = value.stringValue else { return bad("schema/type", "must be a date string YYYY-MM-DD, found \(value.typeName)") }
            if !Dates.isValidDate(s) { bad("date/format", "\"\(s)\" is not a calendar date in the form YYYY-MM-DD") }
        case .timestamp:
            guard let s = value.stringValue else { return bad("schema/type", "must be a UTC timestamp string, found \(value.typeName)") }
            if !Dates.isValidTimestamp(s) { bad("date/format", "\"\(s)\" is not a UTC timestamp like 2026-11-22T09:30:00Z") }
        case .currency:
            guard let s = value.stringValue else { return bad("schema/type", "must be an ISO 4217 currency code string, found \(value.typeName)") }
            if Currency(code: s) == nil { bad("currency/unknown", "\"\(s)\" is not an ISO 4217 currency code (e.g. EUR, USD, JPY, KWD)") }
        case .decimal(let min, let max):
            guard let s = value.stringValue else {
                return bad("schema/type", "must be a decimal string such as \"2.5\", found \(value.typeName)\(value.intValue.map { " \($0) (write \"\($0)\")" } ?? "")")
            }
            guard let d = ExactDecimal(s) else { return bad("decimal/format", "\"\(s)\" is not a decimal number such as \"2\" or \"7.5\" (no exponent, at most 12 decimals)") }
            if let min, ExactDecimal.isLess(d, than: min) { bad("decimal/range", "\"\(s)\" is below the minimum \(min)") }
            if let max, ExactDecimal.isLess(max, than: d) { bad("decimal/range", "\"\(s)\" is above the maximum \(max)") }
        case .enumeration(let allowed):
            guard let s = value.stringValue else { return bad("schema/type", "must be one of \(allowed.joined(separator: ", ")), found \(value.typeName)") }
            if !allowed.contains(s) { bad("schema/enum", "\"\(s)\" is not one of \(allowed.joined(separator: ", "))") }
        case .array(let element, let maxCount):
            guard let items = value.arrayValue else { return bad("schema/type", "must be an array, found \(value.typeName)") }
            if items.count > maxCount { bad("schema/length", "has \(items.count) items; at most \(maxCount) are allowed") }
            for (i, item) in items.enumerated() {
                check(item, type: element, file: file, pointer: pointer() + "/\(i)", into: &f)
            }
        case .map(let element):
            guard let members = value.objectValue else { return bad("schema/type", "must be an object, found \(value.typeName)") }
            for (key, child) in members {
                check(child, type: element, file: file, pointer: pointer() + "/" + JSONPointer.escape(key), into: &f)
            }
        case .object(let schema):
            guard let members = value.objectValue else { return bad("schema/type", "must be an object, found \(value.typeName)") }
            for key in schema.required.keys where members[key] == nil || members[key] == .null {
                f.append(Finding("schema/required", file: file, pointer: pointer() + "/" + JSONPointer.escape(key), "is required"))
            }
            for (key, child) in members {
                if let t = schema.required[key] ?? schema.optional[key] {
                    if child != .null { check(child, type: t, file: file, pointer: pointer() + "/" + JSONPointer.escape(key), into: &f) }
                } else {
                    f.append(Finding("schema/unknown", file: file, pointer: pointer() + "/" + JSONPointer.escape(key), "is not a field Folio knows; custom data goes in /extraFields"))
                }
            }
        }
    }

    public static func looksLikeEmailPublic(_ s: String) -> Bool { looksLikeEmail(s) }
    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(" ") && s.count <= 254
    }
}

public enum Dates {
    public static func isValidDate(_ s: String) -> Bool { parseDate(s) != nil }

    /// Days since 1970-01-01 for a valid YYYY-MM-DD, else nil.
    public static func parseDate(_ s: String) -> Int? {
        var s = s
        return s.withUTF8 { parseDate(utf8: $0) }
    }

    /// The same on UTF-8 bytes, so that the index's byte reader checks dates by this very rule.
    public static func parseDate(utf8 u: UnsafeBufferPointer<UInt8>) -> Int? {
        guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }; v = v * 10 + Int(u[i] - 0x30) }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), (1...12).contains(m), y >= 1900, y <= 9999 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d >= 1 && d <= lengths[m - 1] else { return nil }
        return daysFromCivil(y, m, d)
    }

    public static func formatDate(days: Int) -> String {
        let (y, m, d) = civilFromDays(days)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    public static func addDays(_ date: String, _ n: Int) -> String? {
        parseDate(date).map { formatDate(days: $0 + n) }
    }

    public static func isValidTimestamp(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isValidTimestamp(utf8: $0) }
    }

    /// The same on UTF-8 bytes (see `parseDate(utf8:)`).
    public static func isValidTimestamp(utf8 u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard u.count >= 20, u[u.count - 1] == 0x5A, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A else { return false }
        guard parseDate(utf8: UnsafeBufferPointer(rebasing: u[0..<10])) != nil else { return false }
        let digits: (Int) -> Bool = { u[$0] >= 0x30 && u[$0] <= 0x39 }
        guard [11, 12, 14, 15, 17, 18].allSatisfy(digits) else { return false }
        let hh = Int(u[11] - 0x30) * 10 + Int(u[12] - 0x30), mm = Int(u[14] - 0x30) * 10 + Int(u[15] - 0x30), ss = Int(u[17] - 0x30) * 10 + Int(u[18] - 0x30)
        guard hh < 24, mm < 60, ss < 61 else { return false }
        if u.count == 20 { return true }
        guard u[19] == 0x2E, u.count > 21, u.count <= 30 else { return false }
        return (20..<(u.count - 1)).allSatisfy(digits)
    }

    /// Howard Hinnant's days_from_civil: calendar arithmetic without a Calendar object, so
    /// due dates do not depend on the machine's time zone.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

public enum Schemas {
    static let text = FieldType.string()
    static let shortText = FieldType.string(maxLength: 200)
    static let zero = ExactDecimal(0)
    static let quantity = FieldType.decimal(min: ExactDecimal(0), max: ExactDecimal(1_000_000_000))
    static let taxRate = FieldType.decimal(min: ExactDecimal(0), max: ExactDecimal(100))

    static let customer = Schema(required: ["id": .identifier], optional: ["name": shortText, "email": .email, "externalId": shortText])

    public static let orderItem = Schema(
        required: ["ref": .identifier, "description": text, "quantity": quantity, "unitPrice": .amount, "taxRate": taxRate, "status": .enumeration(OrderItemStatus.allCases.map(\.rawValue))],
        optional: ["productId": shortText, "sku": shortText, "taxCode": shortText, "uom": shortText, "invoiceId": .identifier,
                   "invoicedParts": .array(.object(Schema(required: ["invoiceId": .identifier, "quantity": quantity])), maxCount: 1_000)])

    public static let order = Schema(
        required: ["id": .identifier, "customer": .object(customer), "currency": .currency, "items": .array(.object(orderItem), maxCount: 5_000), "createdAt": .timestamp],
        optional: ["number": shortText, "channel": shortText, "purchaseOrderNumber": shortText, "createdBy": .email, "conflicts": .array(.object(conflict))])

    static let line = Schema(
        required: ["id": .identifier, "description": text, "quantity": quantity, "unitPrice": .amount, "taxRate": taxRate],
        optional: ["orderItemRef": .identifier, "productId": shortText, "sku": shortText, "discount": .amount, "taxCode": shortText,
                   "net": .int, "tax": .int, "total": .int, "uom": shortText, "warehouse": shortText, "accountingCode": shortText])

    static let costLine = Schema(required: ["id": .identifier, "description": text, "amount": .amount],
                                 optional: ["taxRate": taxRate, "tax": .int, "total": .int])

    static let totals = Schema(required: ["subtotal": .int, "discount": .int, "tax": .int, "total": .int, "paid": .int, "open": .int])

    static let payment = Schema(required: ["id": .identifier, "amount": .positiveAmount, "date": .date, "by": .email, "at": .timestamp],
                                optional: ["method": shortText, "reference": shortText, "signature": .string(maxLength: 1_000)])

    static let event = Schema(required: ["id": .identifier, "type": .enumeration(EventType.allCases.map(\.rawValue)), "revision": .count, "by": .email, "at": .timestamp],
                              optional: ["note": text, "reason": text, "fee": .amount, "creditNote": .identifier, "contentHash": shortText, "signature": .string(maxLength: 1_000),
                                         "credited": .array(.object(Schema(required: ["lineId": .identifier, "quantity": quantity])), maxCount: 1_000)])

    static let shipment = Schema(optional: ["dispatchDate": .date, "carrier": shortText, "trackingCode": shortText, "shipmentReference": shortText])
    static let distribution = Schema(required: ["method": .enumeration(DistributionMethod.allCases.map(\.rawValue))], optional: ["template": shortText])
    static let extraField = Schema(required: ["fieldName": shortText, "fieldValue": text])
    static let conflict = Schema(required: ["id": .identifier, "path": text],
                                 optional: ["base": .any, "ours": .any, "theirs": .any, "chosen": .any, "oursBy": text, "theirsBy": text,
                                            "oursCommit": shortText, "theirsCommit": shortText, "reason": text])

    public static let invoice = Schema(
        required: ["id": .identifier, "type": shortText, "customer": .object(customer), "currency": .currency, "issueDate": .date, "dueDate": .date,
                   "lines": .array(.object(line), maxCount: 5_000), "payments": .array(.object(payment)), "revision": .count,
                   "events": .array(.object(event)), "createdBy": .email, "createdAt": .timestamp, "updatedBy": .email, "updatedAt": .timestamp],
        optional: ["number": shortText, "orderId": .identifier, "creditNoteFor": .identifier, "channel": shortText, "purchaseOrderNumber": shortText,
                   "costLines": .array(.object(costLine), maxCount: 100), "totals": .object(totals),
                   "status": .enumeration(InvoiceStatus.allCases.map(\.rawValue)), "paymentStatus": .enumeration(PaymentStatus.allCases.map(\.rawValue)),
                   "shipment": .object(shipment), "distribution": .object(distribution), "note": text, "terms": text,
                   "extraFields": .array(.object(extraField), maxCount: 200), "externalId": shortText, "externalCustomerId": shortText,
                   "externalPdfUrl": .string(maxLength: 2_000), "conflicts": .array(.object(conflict)), "voidedNumbers": .array(shortText, maxCount: 100),
                   "reminderAmount": .amount])

    public static let config = Schema(
        required: ["version": .int, "company": .object(Schema(required: ["name": shortText], optional: ["vatId": shortText, "address": text, "email": .email])),
                   "currency": .currency, "dueDays": .count, "invoicing": .enumeration(InvoicingMode.allCases.map(\.rawValue)),
                   "requireApproval": .bool, "numbering": .object(Schema(required: ["padding": .count]))],
        optional: ["terms": text, "requireSignatures": .bool])

    /// "ssh-ed25519 AAAA…": FolioTrust checks the key itself; the model only bounds the text.
    static let publicKey = FieldType.string(maxLength: 200)
    static let party = Schema(required: ["role": .enumeration(PartyRole.allCases.map(\.rawValue))],
                              optional: ["name": shortText, "customerId": .identifier, "series": shortText, "key": publicKey,
                                         "retiredKeys": .array(.object(Schema(required: ["key": publicKey, "until": .timestamp])), maxCount: 100)])
    public static let parties = Schema(required: ["parties": .map(.object(party))])
    public static let shares = Schema(required: ["shares": .map(.object(Schema(required: ["url": .string(maxLength: 2_000), "addedBy": .email, "addedAt": .timestamp])))])

    static let fieldDefinition = Schema(
        required: ["fieldName": shortText, "fieldType": .enumeration(ExtraFieldType.allCases.map(\.rawValue)), "isRequired": .bool, "isUnique": .bool],
        optional: ["maximumLength": .count, "listOfValue": .array(shortText), "defaultValue": text, "visibleToEnduser": .bool, "addedAt": .timestamp])
    public static let fields = Schema(required: ["fields": .array(.object(fieldDefinition))])

    public static let series = Schema(required: ["prefix": shortText, "last": .count],
                                      optional: ["void": .array(.object(Schema(required: ["number": shortText, "invoiceId": .identifier, "reason": text]))),
                                                 "claim": .object(Schema(required: ["replica": .identifier, "by": .email, "at": .timestamp]))])
}
