import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync

/// `folio demo`: the end-to-end story on sample-repo/, played on a fresh repository in a
/// temporary folder through the same operations the commands use.
struct DemoCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Play the end-to-end story on the sample data (sample-repo/).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The sample data folder (default: ./sample-repo, or the one beside the folio checkout).") var sample: String?
    @Option(help: "Where to build the demo repository (default: a new temporary folder).") var into: String?

    func run(_ console: Console) throws {
        let sampleDir = try locateSample()
        let target = into ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("folio-demo-\(IDs.make("", length: 6))")
        // Without --into the demo's repositories are scratch: removed when it ends, however it ends.
        defer {
            if into == nil {
                for folder in [target, target + "-remote.git", target + "-bob"] { try? FileManager.default.removeItem(atPath: folder) }
            }
        }
        var story = DemoStory(sample: sampleDir, target: target, json: global.wantsJSON, console: console, keep: into != nil)
        try story.play()
        if into == nil && !global.wantsJSON { console.info("(the demo's repositories were temporary and are removed; keep them to explore with `folio demo --into PATH`)") }
    }

    func locateSample() throws -> String {
        var candidates: [String] = []
        if let sample { candidates.append(sample) }
        candidates.append((global.path as NSString).appendingPathComponent("sample-repo"))
        // Beside the checkout the binary was built in: .build/<config>/folio → ../../sample-repo.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("sample-repo").path)
            dir = dir.deletingLastPathComponent()
        }
        for c in candidates where FileManager.default.fileExists(atPath: (c as NSString).appendingPathComponent("config.json")) { return c }
        throw FolioError.usage("cannot find the sample data (sample-repo/config.json); run from the Folio checkout or pass --sample PATH")
    }
}

struct DemoStory {
    let sample: String
    let target: String
    let json: Bool
    let console: Console
    /// --into: the repositories stay for the user to explore.
    var keep = true
    var step = 0
    var minute = 0
    var steps: [JSONValue] = []
    // The story's clock: one pinned morning, a few minutes per step, so every run reads the same.
    let start = ISO8601DateFormatter().date(from: "2026-11-02T09:00:00Z")!

    init(sample: String, target: String, json: Bool, console: Console, keep: Bool = true) {
        self.sample = sample; self.target = target; self.json = json; self.console = console; self.keep = keep
    }

    static let seller = "ana@alderfinch.example"
    static let bob = "bob@bobsboutique.example"
    static let carla = "carla@cornerstore.example"
    static let dmitri = "dmitri@northwind.example"

    mutating func caller(_ who: String, afterMinutes: Int = 7) -> Caller {
        minute += afterMinutes
        return Caller(identity: who, clock: Clock(now: start.addingTimeInterval(TimeInterval(minute * 60))))
    }

    func say(_ text: String) { if !json { console.data(text) } }

    mutating func show(_ who: String, _ what: String, _ invoice: Invoice?) {
        step += 1
        let role = who == DemoStory.seller ? "seller" : "buyer"
        say(String(format: "%2d. ", step) + "\(who) (\(role)) \(what)")
        if let invoice { say("    → " + Display.statusLine(invoice).trimmingCharacters(in: .whitespaces)) }
        steps.append(.object(["step": .int(Int64(step)), "by": .string(who), "what": .string(what),
                              "invoice": invoice.map { ListCommand.row($0) } ?? .null]))
    }

    func load<T: Decodable>(_ name: String, _ schema: Schema, _ type: T.Type) throws -> T {
        let path = (sample as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else { throw FolioError.io("\(path): cannot be read") }
        return try DocumentCodec.decode(type, data: data, schema: schema, file: path).0
    }

    /// Part two (SPEC §4): a bare remote, the seller's repository and a buyer's clone, both
    /// working offline at once and syncing through the remote.
    mutating func twoParties(_ seller: FolioRepository) throws {
        say("")
        say("Two parties offline: a bare remote, the seller's clone and Bob's clone")
        let remote = target + "-remote.git"
        try FolioRepository.createBare(at: remote)
        try seller.addRemote("origin", url: remote)
        let sellerSync = Syncer(repo: seller)
        _ = try sellerSync.sync(remote: "origin", caller: caller(DemoStory.seller, afterMinutes: 1))
        let buyerPath = target + "-bob"
        guard let buyer = try ClonedRepository.clone(url: remote, to: buyerPath, identity: nil, executable: currentExecutable()).repo else {
            throw FolioError.io("the demo's clone of \(remote) holds no Folio repository")
        }
        let buyerSync = Syncer(repo: buyer)
        show(DemoStory.bob, "clones \(remote) into \(buyerPath)", nil)

        let costCenter = FolioRepository.Edit.set(pointer: "/extraFields", value: .array([.object(["fieldName": "costCenter", "fieldValue": "wholesale"])]))
        var belts = try seller.createInvoice(orderID: "O-1001", refs: ["3"], dueDate: nil, email: false, caller: caller(DemoStory.seller)).value
        belts = try seller.updateInvoice(id: belts.id, edits: [costCenter], caller: caller(DemoStory.seller)).value
        belts = try seller.sendInvoice(id: belts.id, email: false, caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "invoices the belts (the last open item of O-1001) and sends \(belts.number!)", belts)
        _ = try sellerSync.sync(remote: "origin", caller: caller(DemoStory.seller, afterMinutes: 1))
        _ = try buyerSync.sync(remote: "origin", caller: caller(DemoStory.bob, afterMinutes: 1))
        show(DemoStory.bob, "syncs: \(belts.number!) is in his inbox", nil)

        say("   … both go offline …")
        let bobView = try buyer.respond(id: belts.id, with: .accepted, text: "OK as invoiced", caller: caller(DemoStory.bob, afterMinutes: 30)).value
        show(DemoStory.bob, "accepts \(belts.number!) offline", bobView)
        let anaView = try seller.updateInvoice(id: belts.id, edits: [.set(pointer: "/note", value: .string("Belts ship in gift boxes"))],
                                              caller: caller(DemoStory.seller, afterMinutes: 5)).value
        show(DemoStory.seller, "meanwhile edits the same invoice's note offline (revision \(anaView.revision), unsent)", anaView)

        let first = try sellerSync.sync(remote: "origin", caller: caller(DemoStory.seller, afterMinutes: 60))
        show(DemoStory.seller, "syncs first: \(first.outgoingCommits) commit(s) out", nil)
        let second = try buyerSync.sync(remote: "origin", caller: caller(DemoStory.bob, afterMinutes: 5))
        show(DemoStory.bob, "syncs: \(second.incomingCommits) in, \(second.report.mergedPaths.count) document merged, \(second.report.conflicts.count) conflict recorded, \(second.outgoingCommits) out", nil)
        _ = try sellerSync.sync(remote: "origin", caller: caller(DemoStory.seller, afterMinutes: 5))
        let merged = try seller.snapshot().invoice(belts.id).0
        show(DemoStory.seller, "syncs again; both clones now hold the same tree: \(try seller.sameHeadTree(as: buyer) ? "yes" : "NO")", merged)
        for c in merged.conflicts ?? [] {
            let show: (JSONValue?) -> String = { $0.map(CanonicalJSON.compact) ?? "(absent)" }
            say("    conflict \(c.path): kept \(show(c.ours)) (\(c.oursBy ?? "?")), recorded \(show(c.theirs)) (\(c.theirsBy ?? "?")): \(c.reason ?? "")")
        }
        let resolved = try seller.resolve(id: belts.id, path: "/note", take: .ours, caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "dismisses the record (folio resolve --take ours): accepted content is final; the gift-box note goes into the next invoice", try resolved.decode(Invoice.self))
        _ = try sellerSync.sync(remote: "origin", caller: caller(DemoStory.seller, afterMinutes: 1))
        _ = try buyerSync.sync(remote: "origin", caller: caller(DemoStory.bob, afterMinutes: 1))
    }

    mutating func play() throws {
        let config = try load("config.json", Schemas.config, FolioConfig.self)
        let parties = try load("parties.json", Schemas.parties, Parties.self)
        let fields = try load("fields.json", Schemas.fields, FieldDefinitions.self)
        say("Folio demo: \(config.company.name), sample data from \(sample)")
        say("Repository: \(target)\n")
        let repo = try FolioRepository.initialize(at: target, config: config, parties: parties, fields: fields, author: DemoStory.seller,
                                                  clock: Clock(now: start))
        try MergeDriver.install(in: repo, executable: currentExecutable())
        show(DemoStory.seller, "initialises the repository with \(parties.parties.count) parties and \(fields.fields.count) extra-field definitions", nil)
        let ordersDir = (sample as NSString).appendingPathComponent("orders")
        for name in try FileManager.default.contentsOfDirectory(atPath: ordersDir).sorted() where name.hasSuffix(".json") {
            let path = (ordersDir as NSString).appendingPathComponent(name)
            let order = try repo.createOrder(data: FileManager.default.contents(atPath: path)!, file: path, caller: caller(DemoStory.seller, afterMinutes: 1)).value
            show(DemoStory.seller, "records order \(order.id) from \(order.customer.name ?? order.customer.id) (\(order.channel ?? "-"), \(order.items.count) items)", nil)
        }
        say("")
        say("The change-request loop, on order O-1001 (partial delivery: items 1 and 2 ship first)")
        var inv = try repo.createInvoice(orderID: "O-1001", refs: ["1", "2"], dueDate: nil, email: false, caller: caller(DemoStory.seller)).value
        let id = inv.id
        show(DemoStory.seller, "creates invoice \(id) for items 1, 2 of O-1001", inv)
        inv = try repo.updateInvoice(id: id, edits: [.set(pointer: "/extraFields", value: .array([.object(["fieldName": "costCenter", "fieldValue": "wholesale"]),
                                                                                                   .object(["fieldName": "erpReference", "fieldValue": "ERP-INV-7781"])]))],
                                     caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "fills in the required extra field costCenter (seed 004)", inv)
        inv = try repo.sendInvoice(id: id, email: true, caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "sends it by email for approval; it is numbered \(inv.number!) from series AF and waits in the outbox (BRP state \(BRPState.number(for: inv)))", inv)
        // Seed 001's distribution: a delivery command the seller configures empties the outbox.
        let delivered = try repo.deliver(command: "cat > /dev/null", caller: caller(DemoStory.seller, afterMinutes: 2))
        inv = try repo.snapshot().invoice(id).0
        show(DemoStory.seller, "runs folio deliver (here `cat > /dev/null` stands in for a sendmail wrapper): \(delivered.map { "\($0.invoice) \($0.delivered ? "delivered" : "failed")" }.joined(separator: ", ")), BRP state \(BRPState.number(for: inv))", inv)
        do {
            _ = try repo.respond(id: id, with: .accepted, text: nil, caller: caller(DemoStory.carla))
        } catch {
            show(DemoStory.carla, "tries to accept Bob's invoice and Folio refuses: \(FolioError.wrap(error).message)", nil)
        }
        inv = try repo.respond(id: id, with: .changesRequested, text: "Coats: 3 delivered, not 4. Please also add the agreed 5% discount on shirts.", caller: caller(DemoStory.bob, afterMinutes: 90)).value
        show(DemoStory.bob, "requests changes: \"\(inv.events.last!.note!)\"", inv)
        let shirts = inv.lines[0]
        let discount = (ExactDecimal(shirts.quantity)! * ExactDecimal(shirts.unitPrice) * ExactDecimal("0.05")!).roundedHalfAwayFromZero()!
        inv = try repo.updateInvoice(id: id, edits: [.patch(.object(["note": .string("Revised: 3 coats delivered; 5% shirt discount applied.")])),
                                                     .set(pointer: "/lines/1/quantity", value: .string("3")),
                                                     .set(pointer: "/lines/0/discount", value: .int(discount))], caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "edits the invoice (Needs Edit): coat quantity 3, discount \(Display.money(discount, inv.currency)) on shirts", inv)
        inv = try repo.sendInvoice(id: id, email: false, caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "sends revision \(inv.revision); the number stays \(inv.number!)", inv)
        inv = try repo.respond(id: id, with: .accepted, text: "Thanks, approved.", caller: caller(DemoStory.bob, afterMinutes: 45)).value
        show(DemoStory.bob, "accepts revision \(inv.revision); the content is now final", inv)
        do {
            _ = try repo.updateInvoice(id: id, edits: [.set(pointer: "/note", value: .string("late change"))], caller: caller(DemoStory.seller))
        } catch {
            show(DemoStory.seller, "tries to edit the accepted invoice and Folio refuses: \(FolioError.wrap(error).message)", nil)
        }
        let currency = Currency(code: inv.currency)!
        let firstPart = inv.totals!.total / 2
        inv = try repo.pay(id: id, amount: Money.format(firstPart, currency: currency), date: "2026-11-20", reference: "BANK-TRX-55102", method: "transfer",
                           caller: caller(DemoStory.seller, afterMinutes: 60 * 24 * 18)).value
        show(DemoStory.seller, "records a first payment of \(Display.money(firstPart, inv.currency))", inv)
        inv = try repo.pay(id: id, amount: Money.format(inv.totals!.open, currency: currency), date: "2026-11-28", reference: "BANK-TRX-55981", method: "transfer",
                           caller: caller(DemoStory.seller, afterMinutes: 60 * 24 * 8)).value
        show(DemoStory.seller, "records the rest; the invoice is paid", inv)
        let note = try repo.credit(id: id, lines: [Invoicing.Selection(id: inv.lines[1].id)], reason: "Coats returned: torn lining", caller: caller(DemoStory.seller, afterMinutes: 60 * 24)).value
        show(DemoStory.seller, "issues credit note \(note.number!) for the coat line (a correction after acceptance)", note)
        let rest = try repo.cancelItem(orderID: "O-1001", ref: "4", caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "cancels the gift totes of O-1001; item 3 is still open (\(rest.openItems.map(\.ref).joined(separator: ", ")))", nil)

        say("")
        say("More invoices, so that every status appears")
        let costCenter = FolioRepository.Edit.set(pointer: "/extraFields", value: .array([.object(["fieldName": "costCenter", "fieldValue": "retail"])]))
        var corner = try repo.createInvoice(orderID: "O-1002", refs: nil, dueDate: "2026-12-15", email: false, caller: caller(DemoStory.seller)).value
        corner = try repo.updateInvoice(id: corner.id, edits: [costCenter], caller: caller(DemoStory.seller)).value
        corner = try repo.sendInvoice(id: corner.id, email: false, caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "invoices all of O-1002 and sends it: it waits in Carla's inbox", corner)
        // Seed 001's dunning: three weeks later, past its due date, unpaid.
        corner = try repo.remind(id: corner.id, stage: .reminder, fee: "5.00", caller: caller(DemoStory.seller, afterMinutes: 60 * 24 * 21)).value
        show(DemoStory.seller, "sends Carla a reminder for the overdue \(corner.number!) with a 5.00 fee, owed on top of the total (BRP state \(BRPState.number(for: corner)))", corner)
        var north = try repo.createInvoice(orderID: "O-1003", refs: ["1", "2"], dueDate: nil, email: false, caller: caller(DemoStory.seller)).value
        north = try repo.updateInvoice(id: north.id, edits: [costCenter], caller: caller(DemoStory.seller)).value
        north = try repo.sendInvoice(id: north.id, email: false, caller: caller(DemoStory.seller)).value
        north = try repo.respond(id: north.id, with: .declined, text: "Boots were the wrong size run; we will reorder.", caller: caller(DemoStory.dmitri)).value
        show(DemoStory.dmitri, "declines \(north.number!) with a reason; it can be edited but never resent", north)
        var wrong = try repo.createInvoice(orderID: "O-1005", refs: ["1"], dueDate: nil, email: false, caller: caller(DemoStory.seller)).value
        wrong = try repo.voidInvoice(id: wrong.id, reason: "Created against the wrong order line", caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "voids a mistaken draft; its item goes back to the order", wrong)
        let draft = try repo.createInvoice(orderID: "O-1005", refs: nil, dueDate: nil, email: false, caller: caller(DemoStory.seller)).value
        show(DemoStory.seller, "starts a draft for O-1005", draft)
        do {
            _ = try repo.createInvoice(orderID: "O-1004", refs: nil, dueDate: nil, email: false, caller: caller(DemoStory.seller))
        } catch {
            show(DemoStory.seller, "tries to invoice marketplace order O-1004 and Folio refuses: \(FolioError.wrap(error).message)", nil)
        }

        try twoParties(repo)

        say("")
        let snap = try repo.snapshot()
        let (all, _) = try snap.invoices()
        let seller = try repo.actor(explicit: DemoStory.seller, snapshot: snap)
        let bobActor = try repo.actor(explicit: DemoStory.carla, snapshot: snap)
        say("Seller's inbox: " + Inbox.items(for: seller, in: all).map { "\($0.invoice.number ?? $0.invoice.id) (\($0.reason))" }.joined(separator: "; "))
        say("Carla's inbox:  " + Inbox.items(for: bobActor, in: all).map { "\($0.invoice.number ?? $0.invoice.id) (\($0.reason))" }.joined(separator: "; "))
        let findings = try repo.validate().filter { $0.rule != "clone/merge-driver" }
        let errors = findings.filter { $0.severity == .error }
        say("folio validate: \(errors.count) error(s), \(findings.count - errors.count) warning(s)")
        for f in findings { say("  \(f)") }
        let commits = try repo.commitCount(from: snap.commit!)
        say("\n\(all.count) invoices, \(commits) commits." + (keep ? " Explore: git -C \(target) log --format='%h %an: %s'   or   folio -C \(target) list" : ""))
        if json {
            console.data(CanonicalJSON.string(.object(["repository": .string(target), "steps": .array(steps), "commits": .int(Int64(commits)),
                                                      "validate": .object(["errors": .int(Int64(errors.count)), "findings": .array(findings.map { .string($0.description) })])])))
        }
        if !errors.isEmpty { throw ExitCode(1) }
    }
}
