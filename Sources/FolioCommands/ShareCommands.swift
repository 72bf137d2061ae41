import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo
import FolioSync

/// Confidential shares (SPEC §10): each customer's buyers clone a share that holds only that
/// customer's documents.
struct ShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "share", abstract: "Per-customer remotes that hold only that customer's documents.",
                                                    subcommands: [ShareAdd.self, ShareList.self, ShareRemove.self, SharePublish.self, ShareRebuild.self])
}

struct ShareAdd: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Give a customer a share at URL (published by every seller's sync).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The customer id.") var customer: String
    @Argument(help: "The share's git remote: a path, file://, git:// or ssh.") var url: String
    func run(_ console: Console) throws { console.reportChange(try global.openRepository(console).addShare(customer: customer, url: url, caller: global.caller(console)), global) }
}

struct ShareRemove: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Stop publishing to a customer's share.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The customer id.") var customer: String
    func run(_ console: Console) throws { console.reportChange(try global.openRepository(console).removeShare(customer: customer, caller: global.caller(console)), global) }
}

struct ShareList: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Each share: what it holds and how far behind it is.")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let snap = try repo.snapshot()
        let publisher = SharePublisher(repo: repo)
        let changes = SellerChanges(repo: repo)   // each seller commit read once for all shares
        var rows: [JSONValue] = []
        for (customer, share) in try snap.shares().shares.sorted(by: { $0.key < $1.key }) {
            let status: ShareStatus
            do { status = try publisher.status(customer: customer, changes: changes) } catch {
                console.info("folio: share of \(customer): \(FolioError.wrap(error).description)")
                continue
            }
            let (projected, behind, documents, orders) = (status.shareCommit, status.behind, status.invoices, status.orders)
            rows.append(.object(["customer": .string(customer), "url": .string(share.url), "invoices": .int(Int64(documents)), "orders": .int(Int64(orders)),
                                 "shareCommit": projected.map { .string($0.hex) } ?? .null, "behind": .int(Int64(behind))]))
            if !global.wantsJSON {
                console.data("\(customer)\t\(share.url)\t\(documents) invoice(s), \(orders) order(s)\t\(behind == 0 ? "published" : "\(behind) commit(s) to publish")")
            }
        }
        if global.wantsJSON { console.data(CanonicalJSON.string(.array(rows))) }
    }
}

struct SharePublish: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Publish to the shares now (sync does it too).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only these customers.") var customers: [String] = []
    @Flag(help: "Replace the shares' history with this repository's projection (drops what their buyers pushed there).") var force = false
    func run(_ console: Console) throws {
        let results = try SharePublisher(repo: try global.openRepository(console)).publish(customers: customers.isEmpty ? nil : customers,
                                                                                     caller: Caller(identity: global.actingAs, clock: Clock()), force: force)
        console.reportShares(results)
        if results.contains(where: { !$0.pushed && !$0.upToDate }) { throw ExitCode(1) }
    }
}

struct ShareRebuild: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "rebuild", abstract: "Project a customer's share again from scratch and compare.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The customer id.") var customer: String
    func run(_ console: Console) throws {
        let publisher = SharePublisher(repo: try global.openRepository(console))
        let cached = try publisher.project(customer: customer)
        let fresh = try publisher.project(customer: customer, rebuild: true)
        console.data("\(customer): \(fresh.map(\.hex) ?? "nothing to share") \(fresh == cached ? "(the same as published)" : "DIFFERS from the cached projection \(cached.map(\.hex) ?? "-")")")
        if fresh != cached { throw ExitCode(1) }
    }
}
