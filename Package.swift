// swift-tools-version: 6.1
import PackageDescription

// One concern per module, arrows pointing one way (the README draws them):
//   FolioModel (pure), FolioGit (libgit2, the only C interop)
//   FolioRepo -> FolioModel, FolioGit;  FolioIndex -> FolioModel, FolioGit, GRDB;  FolioSync -> FolioRepo
//   FolioApp -> FolioRepo, FolioIndex (use cases shared by the front ends)
//   FolioServer -> FolioApp, FolioSync, Hummingbird (the HTTP API)
//   FolioCommands -> all of them;  folio -> FolioCommands
// One setting for every target, tests included: existentials spelled `any`, and a member is
// usable only where its module is imported (so each file's imports say what it uses), and
// every import is internal unless the file's public API needs it (`public import`): CLibgit2
// and GRDB never leave FolioGit and FolioIndex.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility"), .enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "Folio",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "folio", targets: ["folio"]),
        .library(name: "FolioModel", targets: ["FolioModel"]),
        .library(name: "FolioCommands", targets: ["FolioCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "FolioModel", swiftSettings: strict),
        .target(name: "FolioGit", dependencies: ["CLibgit2"], swiftSettings: strict),
        // Keys and signatures: ssh-ed25519 keys, git's SSH signature format (SSHSIG).
        .target(name: "FolioTrust", dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "SystemPackage", package: "swift-system")],
                swiftSettings: strict),
        .target(name: "FolioRepo", dependencies: ["FolioModel", "FolioGit", "FolioTrust"], swiftSettings: strict),
        .target(
            name: "FolioIndex",
            dependencies: ["FolioModel", "FolioGit", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(name: "FolioSync", dependencies: ["FolioModel", "FolioGit", "FolioRepo"], swiftSettings: strict),
        // Use cases every front end shares (the command line, the HTTP server): index reads.
        .target(name: "FolioApp", dependencies: ["FolioModel", "FolioRepo", "FolioIndex"], swiftSettings: strict),
        // The HTTP API (SPEC §11), a front end beside the command line over the same use cases.
        .target(name: "FolioServer", dependencies: ["FolioModel", "FolioRepo", "FolioIndex", "FolioSync", "FolioApp",
                                                    .product(name: "Hummingbird", package: "hummingbird"),
                                                    .product(name: "NIOCore", package: "swift-nio"),
                                                    .product(name: "HTTPTypes", package: "swift-http-types"),
                                                    .product(name: "Logging", package: "swift-log"),
                                                    .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .target(
            name: "FolioCommands",
            dependencies: [
                "FolioModel", "FolioGit", "FolioRepo", "FolioIndex", "FolioSync", "FolioTrust", "FolioApp", "FolioServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "folio", dependencies: ["FolioCommands"], swiftSettings: strict),
        .testTarget(name: "FolioModelTests", dependencies: ["FolioModel"], swiftSettings: strict),
        .testTarget(name: "FolioGitTests", dependencies: ["FolioGit"], swiftSettings: strict),
        .testTarget(name: "FolioTrustTests", dependencies: ["FolioTrust", "FolioTestSupport"], swiftSettings: strict),
        // Drives the built binary and plain git for the end-to-end test targets.
        .target(name: "FolioTestSupport", path: "Tests/FolioTestSupport", swiftSettings: strict),
        .testTarget(name: "FolioIndexTests", dependencies: ["folio", "FolioIndex", "FolioRepo", "FolioModel", "FolioGit", "FolioTestSupport",
                                                      .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .testTarget(name: "FolioSyncTests", dependencies: ["FolioSync", "FolioRepo", "FolioModel", "FolioGit", "FolioTestSupport"], swiftSettings: strict),
        .testTarget(name: "FolioCommandsTests", dependencies: ["folio", "FolioCommands", "FolioModel", "FolioRepo", "FolioIndex", "FolioTestSupport",
                                                         .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: strict),
    ]
)
