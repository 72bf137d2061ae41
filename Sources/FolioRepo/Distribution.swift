import Foundation
import Synchronization
import FolioGit
public import FolioModel

/// Dunning and distribution (SPEC §3, seeds 000 and 001): reminders as events, and an outbox
/// that a delivery command the user configures empties.
extension FolioRepository {
    public func remind(id: String, stage: ReminderStage, fee: String?, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (invoice, _) = try snap.invoice(id)
            var minor: Int64?
            if let fee {
                guard let currency = Currency(code: invoice.currency), let parsed = Money.parseMajor(fee, currency: currency) else {
                    throw FolioError.usage("--fee \"\(fee)\" is not an amount in \(invoice.currency)")
                }
                minor = parsed
            }
            let reminded = try Workflow.remind(invoice, stage: stage, fee: minor, by: actor, at: stamp.at, today: stamp.today, eventID: IDs.make("ev_"))
            var changes = Changes()
            try changes.put(invoice: reminded)
            let what = ["reminder": "Send a reminder for", "bureau": "Hand to the reminder bureau", "collection": "Hand to bill collection"][stage.rawValue]!
            let feeText = minor.map { " (fee \(Money.format($0, currency: Currency(code: invoice.currency)!)) \(invoice.currency))" } ?? ""
            return try staged(try reminded.derived(), changes, "\(what) invoice \(Workflow.label(invoice))\(feeText)")
        }
    }

    /// The invoices waiting to be delivered (state 9), oldest send first.
    public func outbox() throws -> [Invoice] {
        try snapshot().invoices().invoices.filter(Workflow.awaitsDelivery).sorted {
            ($0.events.last { $0.type == .sent || $0.type == .issued }?.at ?? "", $0.id) < ($1.events.last { $0.type == .sent || $0.type == .issued }?.at ?? "", $1.id)
        }
    }

    public struct DeliveryResult: Sendable {
        public var invoice: String
        public var delivered: Bool
        public var detail: String
    }

    /// Hands each waiting invoice to `command` (run by /bin/sh, the invoice's JSON on standard
    /// input, FOLIO_INVOICE_ID, FOLIO_INVOICE_NUMBER, FOLIO_METHOD, FOLIO_TEMPLATE, FOLIO_TO
    /// and FOLIO_CUSTOMER_ID in its environment) and records what it reported, one commit per
    /// invoice: exit 0 delivered, anything else a failure with the last line it printed on
    /// standard error, which keeps the invoice in the outbox. The command runs outside the
    /// write lock, so a slow mail server does not hold up other commands.
    public func deliver(command: String, caller: Caller) throws -> [DeliveryResult] {
        // Only a seller delivers, checked before anything is handed to the command.
        let actor = try self.actor(explicit: caller.identity, environment: caller.environment, snapshot: snapshot())
        guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller delivers invoices")) }
        // One delivery run at a time on a clone: two overlapping runs (cron) would both send.
        let lock = try WriteLock.acquire(gitDir: git.gitDir, name: "deliver.lock")
        defer { withExtendedLifetime(lock) {} }
        var results: [DeliveryResult] = []
        for invoice in try outbox() {
            let (ok, detail) = try run(command, for: invoice)
            do {
                _ = try transact(caller) { snap, actor, stamp in
                    let (current, _) = try snap.invoice(invoice.id)
                    let recorded = try Workflow.recordDelivery(current, delivered: ok, detail: detail, by: actor, at: stamp.at, eventID: IDs.make("ev_"))
                    var changes = Changes()
                    try changes.put(invoice: recorded)
                    let verb = ok ? "Deliver" : "Delivery failed for"
                    return try staged(recorded, changes, "\(verb) invoice \(Workflow.label(current)) by \(current.distribution?.method.rawValue ?? "?"): \(detail)")
                }
                results.append(DeliveryResult(invoice: Workflow.label(invoice), delivered: ok, detail: detail))
            } catch FolioError.refused {
                continue   // delivered meanwhile by another command: nothing to record
            }
        }
        return results
    }

    private func run(_ command: String, for invoice: Invoice) throws -> (Bool, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["FOLIO_INVOICE_ID"] = invoice.id
        environment["FOLIO_INVOICE_NUMBER"] = invoice.number ?? ""
        environment["FOLIO_METHOD"] = invoice.distribution?.method.rawValue ?? ""
        environment["FOLIO_TEMPLATE"] = invoice.distribution?.template ?? ""
        environment["FOLIO_TO"] = invoice.customer.email ?? ""
        environment["FOLIO_CUSTOMER_ID"] = invoice.customer.id
        // The send being delivered: a command that keeps it can skip a repeat.
        environment["FOLIO_DELIVERY_ID"] = Workflow.ordered(invoice.events).last { $0.type == .sent || $0.type == .issued }?.id ?? ""
        process.environment = environment
        if let workdir = git.workdir { process.currentDirectoryURL = URL(fileURLWithPath: workdir) }
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { throw FolioError.io("cannot run the delivery command \"\(command)\": \(error.localizedDescription)") }
        // Its standard error is drained while it runs (a full pipe would stall it), on a thread
        // of its own; the last line explains a failure.
        let collected = DispatchGroup()
        let said = Mutex(Data())
        collected.enter()
        DispatchQueue.global().async {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            said.withLock { $0 = data }
            collected.leave()
        }
        // A command may exit without reading the invoice (a failed delivery often does): the
        // write then meets a closed pipe, which must be an error here, not SIGPIPE killing folio.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        try? input.fileHandleForWriting.write(contentsOf: DocumentCodec.encode(invoice))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        collected.wait()
        let method = invoice.distribution?.method.rawValue ?? "?"
        if process.terminationStatus == 0 {
            return (true, "\(method)\(invoice.distribution?.template.map { " with template \($0)" } ?? "")")
        }
        let last = String(decoding: said.withLock { $0 }, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return (false, String(("the delivery command exited \(process.terminationStatus)" + (last.isEmpty ? "" : ": \(last)")).prefix(500)))
    }
}
