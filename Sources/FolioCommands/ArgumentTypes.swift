import ArgumentParser
import FolioApp
import FolioModel

/// An option with a fixed set of values, read by the model's one parser (`InvoiceQuery.parse`,
/// which the server's query parameters go through too): seed 004's camelCase, kebab-case or snake_case,
/// in any case. Help lists the values, and any other value is a usage error that names them.
struct Choice<Value: RawRepresentable & CaseIterable & Sendable>: ExpressibleByArgument, Sendable where Value.RawValue == String {
    let value: Value
    init(_ value: Value) { self.value = value }
    init?(argument: String) {
        guard let value = InvoiceQuery.parse(argument, as: Value.self) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { Value.allCases.map(\.rawValue) }
    var defaultValueDescription: String { value.rawValue }
}

/// `--payment-status`: a payment status, or seed 004's number for it (0 open, 1 partially paid, 2 paid).
struct PaymentStatusChoice: ExpressibleByArgument, Sendable {
    let value: PaymentStatus
    init?(argument: String) {
        let numeric = argument.count == 1 ? Int(argument).flatMap(Seed004.paymentStatus) : nil
        guard let value = numeric ?? InvoiceQuery.parse(argument, as: PaymentStatus.self) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { PaymentStatus.allCases.map(\.rawValue) + ["0", "1", "2"] }
}

/// A date option: a calendar day in the form YYYY-MM-DD.
struct CalendarDay: ExpressibleByArgument, Sendable {
    let text: String
    init?(argument: String) {
        guard Dates.isValidDate(argument) else { return nil }
        text = argument
    }
}
