import Foundation
import FolioGit
import FolioModel

/// `folio generate`: a realistic synthetic repository for benchmarks and tests. Everything
/// follows from the seed (SplitMix64), so the same arguments give byte-identical trees.
public struct SyntheticRepository {
    public var invoices: Int
    public var seed: UInt64
    public var customers: Int
    public var batchSize = 25_000
    public var checkout = true

    public init(invoices: Int, seed: UInt64, customers: Int? = nil) {
        self.invoices = invoices
        self.seed = seed
        self.customers = customers ?? max(1, min(5_000, invoices / 20 + 10))
    }

    public struct Summary: Sendable {
        public var invoices = 0, orders = 0, commits = 0, customers = 0
        public var byStatus: [String: Int] = [:]
    }

    static let products: [(String, String, Int64, String)] = [
        ("P-100", "Linen shirt", 4_900, "20"), ("P-101", "Wool coat", 24_900, "20"), ("P-102", "Leather belt", 3_500, "20"),
        ("P-103", "Canvas tote", 1_999, "7.5"), ("P-104", "Silk scarf", 6_450, "20"), ("P-105", "Denim jacket", 11_900, "20"),
        ("P-106", "Cotton socks (5-pack)", 1_250, "7.5"), ("P-107", "Rain boots", 8_900, "20"), ("P-108", "Knit beanie", 2_200, "0"),
        ("P-109", "Travel wallet", 3_999, "20"), ("P-110", "Gift card", 5_000, "0"), ("P-111", "Sunglasses", 12_500, "20"),
    ]
    static let names = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Wonka", "Gringotts", "Oceanic"]
    static let suffixes = ["Trading", "Retail", "Boutique", "Stores", "Outfitters", "Supply", "Goods", "Market"]

    public func generate(at path: String) throws -> Summary {
        guard invoices >= 0 else { throw FolioError.usage("--invoices must not be negative") }
        if FileManager.default.fileExists(atPath: path), let contents = try? FileManager.default.contentsOfDirectory(atPath: path), !contents.isEmpty {
            throw FolioError.refused(Refusal("\(path) exists and is not empty; generate writes a new repository"))
        }
        var rng = SplitMix64(state: seed)
        let sellers = ["ana@seller.example": "A", "ben@seller.example": "B"]
        let epoch = Dates.parseDate("2025-01-01")!
        var parties = Parties()
        for (email, series) in sellers { parties.parties[email] = Party(name: email.split(separator: "@")[0].capitalized, role: .seller, series: series) }
        var customerList: [Customer] = []
        for c in 0..<customers {
            let name = "\(Self.names[c % Self.names.count]) \(Self.suffixes[(c / Self.names.count) % Self.suffixes.count]) \(c)"
            let cust = Customer(id: "C\(String(format: "%05d", c))", name: name, email: "ap@c\(c).example", externalId: "ERP-\(10_000 + c)")
            customerList.append(cust)
            if c < 2_000 { parties.parties["buyer\(c)@c\(c).example"] = Party(name: "Buyer \(c)", role: .buyer, customerId: cust.id) }
        }
        let config = FolioConfig(company: Company(name: "Folio Synthetic Supply Co."), currency: "EUR", dueDays: 30)
        let git = try GitRepository.create(at: path, bare: false, initialBranch: "main")
        var series: [String: Int] = ["A": 0, "B": 0]
        var summary = Summary()
        summary.customers = customers
        var parent: GitOID? = nil
        var produced = 0
        let seller = GitSignature(name: "Ana", email: "ana@seller.example", time: Int64(epoch) * 86_400)
        var first = true
        repeat {
            let count = min(batchSize, invoices - produced)
            var changes: [String: Data?] = [:]
            if first {
                changes[DocumentPaths.config] = DocumentCodec.encode(config)
                changes[DocumentPaths.parties] = DocumentCodec.encode(parties)
                changes[DocumentPaths.fields] = DocumentCodec.encode(FieldDefinitions(fields: [
                    FieldDefinition(fieldName: "costCenter", fieldType: .list, listOfValue: ["retail", "wholesale", "online"]),
                    FieldDefinition(fieldName: "erpReference", fieldType: .text, isUnique: true, maximumLength: 40),
                ]))
                changes[DocumentPaths.gitattributes] = Data(FolioRepository.gitattributes.utf8)
            }
            for i in produced..<(produced + count) {
                let (order, invoice) = makePair(index: i, rng: &rng, customers: customerList, sellers: sellers, series: &series, epoch: epoch)
                changes[DocumentPaths.path(.order, id: order.id)] = DocumentCodec.encode(order)
                changes[DocumentPaths.path(.invoice, id: invoice.id)] = DocumentCodec.encode(invoice)
                summary.byStatus[invoice.status!.rawValue, default: 0] += 1
            }
            for (prefix, last) in series where last > 0 {
                changes[DocumentPaths.series(prefix)] = DocumentCodec.encode(SeriesState(prefix: prefix, last: last))
            }
            produced += count
            let message = first ? "Generate synthetic repository (seed \(seed)): \(produced) of \(invoices) invoices" : "Generate invoices \(produced - count + 1)-\(produced) of \(invoices)"
            let commit = try git.bulkWrite {
                let tree = try git.writeTree(base: try parent.map { try git.commitInfo($0).tree }, changes: changes)
                return try git.createCommit(tree: tree, parents: parent.map { [$0] } ?? [], message: message, author: seller, committer: seller)
            }
            try git.updateRef("refs/heads/main", to: commit, expected: parent, logMessage: "folio generate")
            parent = commit
            summary.commits += 1
            first = false
        } while produced < invoices
        summary.invoices = invoices
        summary.orders = invoices
        // A new, empty folder (checked above): nothing to overwrite, so not a forced checkout.
        // Through a handle of its own: the one that wrote the bulks checks out 200,000 files
        // about 2.5 times slower (sys time), for reasons inside libgit2 not worth chasing here.
        if checkout { try GitRepository.open(at: path).checkoutHead(force: false) }
        return summary
    }

    func makePair(index i: Int, rng: inout SplitMix64, customers: [Customer], sellers: [String: String], series: inout [String: Int], epoch: Int) -> (Order, Invoice) {
        let customer = customers[Int(rng.next() % UInt64(customers.count))]
        let created = epoch + Int(rng.next() % 680)
        let createdAt = Dates.formatDate(days: created) + String(format: "T%02d:%02d:00Z", Int(rng.next() % 10) + 8, Int(rng.next() % 60))
        let itemCount = Int(rng.next() % 5) + 1
        var items: [OrderItem] = []
        for r in 0..<itemCount {
            let p = Self.products[Int(rng.next() % UInt64(Self.products.count))]
            items.append(OrderItem(ref: String(r + 1), productId: p.0, sku: "\(p.0)-\(r)", description: p.1, quantity: String(Int(rng.next() % 12) + 1),
                                   unitPrice: p.2, taxCode: p.3 == "0" ? "Z" : "S", taxRate: p.3, uom: "pcs"))
        }
        let channel = ["web", "b2b", "showroom", "phone"][Int(rng.next() % 4)]
        var order = Order(id: "ord-\(String(format: "%07d", i))", number: String(100_000 + i), customer: customer, channel: channel, currency: "EUR",
                          purchaseOrderNumber: "PO-\(String(format: "%06d", Int(rng.next() % 1_000_000)))", items: items, createdAt: createdAt, createdBy: nil)
        // Partial delivery on about one order in eight: the last item stays open.
        let partial = itemCount > 1 && rng.next() % 8 == 0
        let taken = partial ? Array(order.items.dropLast()) : order.items
        let sellerEmail = rng.next() % 3 == 0 ? "ben@seller.example" : "ana@seller.example"
        let sellerParty = Party(role: .seller, series: sellers[sellerEmail])
        let actor = Actor(email: sellerEmail, party: sellerParty)
        let today = Dates.formatDate(days: created)
        let config = FolioConfig(company: Company(name: "x"), currency: "EUR", dueDays: 30)
        let stamp = Invoicing.Stamp(actor: actor, at: createdAt, today: today)
        var (invoice, updatedOrder) = try! Invoicing.create(from: order, refs: taken.map(\.ref), id: "inv-\(String(format: "%07d", i))", config: config,
                                                           stamp: stamp, dueDate: nil, distribution: nil)
        order = updatedOrder
        invoice.externalId = String(500_000 + i)
        invoice.extraFields = [ExtraFieldValue(fieldName: "costCenter", fieldValue: ["retail", "wholesale", "online"][Int(rng.next() % 3)]),
                               ExtraFieldValue(fieldName: "erpReference", fieldValue: "ERP-INV-\(i)")]
        // Status mix: draft 10%, pending 20%, changes requested 6%, declined 4%, void 4%, accepted 56%.
        let roll = Int(rng.next() % 100)
        let buyer = Actor(email: "buyer@\(customer.id.lowercased()).example", party: Party(role: .buyer, customerId: customer.id))
        func at(_ minutes: Int) -> String { Dates.formatDate(days: created + minutes / 1440) + String(format: "T%02d:%02d:00Z", (minutes / 60) % 24, minutes % 60) }
        func ev() -> String { "ev-\(i)-\(invoice.events.count)" }
        func takeNumber() -> String {
            let prefix = sellers[sellerEmail]!
            series[prefix]! += 1
            return Series.format(prefix: prefix, sequence: series[prefix]!, padding: 5)
        }
        if roll >= 10 {
            invoice = try! Workflow.send(invoice, by: actor, at: at(600), eventID: ev(), requireApproval: true, number: takeNumber())
            switch roll {
            case 10..<30: break
            case 30..<36:
                invoice = try! Workflow.respond(invoice, with: .changesRequested, by: buyer, at: at(1500), eventID: ev(), text: "Please split freight onto its own line")
            case 36..<40:
                invoice = try! Workflow.respond(invoice, with: .declined, by: buyer, at: at(1500), eventID: ev(), text: "Goods were not received")
            case 40..<44:
                invoice = try! Workflow.void(invoice, by: actor, at: at(1500), eventID: ev(), reason: "Order cancelled by customer")
                order = Invoicing.releaseItems(of: invoice, in: order)
            default:
                invoice = try! Workflow.respond(invoice, with: .accepted, by: buyer, at: at(1500), eventID: ev(), text: nil)
                let total = (try! invoice.derived()).totals!.total
                let payRoll = rng.next() % 10
                if payRoll < 5 {
                    invoice.payments.append(Payment(id: "pay-\(i)-0", amount: total, date: Dates.formatDate(days: created + 20), method: "transfer", reference: "BANK-\(i)", by: sellerEmail, at: at(20 * 1440)))
                } else if payRoll < 7 {
                    invoice.payments.append(Payment(id: "pay-\(i)-0", amount: total / 2, date: Dates.formatDate(days: created + 15), method: "card", reference: nil, by: sellerEmail, at: at(15 * 1440)))
                }
            }
        }
        return (order, try! invoice.derived())
    }
}
