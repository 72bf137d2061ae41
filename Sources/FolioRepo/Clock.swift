public import Foundation

/// The time and the fresh ids a command stamps on what it writes. `FOLIO_NOW` pins the clock
/// (tests, the demo, reproducible examples); the merge never reads either (SPEC §4).
public struct Clock: Sendable {
    public var now: Date

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let pinned = environment["FOLIO_NOW"], let date = Clock.parse(pinned) { now = date } else { now = Date() }
    }

    public init(now: Date) { self.now = now }

    public var timestamp: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: now)
    }

    public var today: String { String(timestamp.prefix(10)) }

    public var unixSeconds: Int64 { Int64(now.timeIntervalSince1970.rounded(.down)) }

    public static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withFullDate]
        return f.date(from: text)
    }
}

/// Ids for new documents, events and payments: random, so replicas that work offline never
/// pick the same one.
public enum IDs {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
    public static func make(_ prefix: String, length: Int = 12) -> String {
        var g = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }
}
