import Foundation
import PoECrypto
import PoELedger
import PoENode
import Testing

/// `poe testnet`: keys where they belong with the modes they need, and homes for nodes
/// on one machine or on several.
@Suite struct TestnetTests {
    @Test func accountKeysStayOutOfTheHomesAndEverySecretIsOwnerOnly() throws {
        let folder = scratch("testnet")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cluster = try Testnet(nodeCount: 4, chainID: "modes").write(to: folder)
        #expect(try permissions(folder.path) == 0o700)
        #expect(try permissions(folder.appendingPathComponent("accounts").path) == 0o700)
        #expect(try permissions(cluster.clientKey) == 0o600)
        let genesis = try NodeHome(path: cluster.members[0].home).genesis()
        for (index, member) in cluster.members.enumerated() {
            #expect(try permissions(member.home) == 0o700)
            let home = NodeHome(path: member.home)
            #expect(try permissions(home.nodeKeyPath) == 0o600)
            let names = try FileManager.default.contentsOfDirectory(atPath: member.home).sorted()
            #expect(names == ["config.json", "genesis.json", "node.key"], "no account key in \(member.name)'s home")
            let accountPath = Testnet.accountKeyPath(folder: folder, name: member.name)
            #expect(try permissions(accountPath) == 0o600)
            #expect(try KeyFile.read(from: accountPath).publicKey == genesis.validators[index].account)
            #expect(try home.nodeKey().publicKey == genesis.validators[index].nodeKey)
        }
    }

    @Test func anExistingFolderIsRefused() throws {
        let folder = scratch("testnet-exists")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: TestnetError("\(folder.path) already exists; choose a new folder")) {
            try Testnet(nodeCount: 1, chainID: "x").write(to: folder)
        }
    }

    @Test func oneMachinePutsEveryNodeOnLoopbackOnConsecutivePorts() throws {
        let placements = try Testnet(nodeCount: 3, chainID: "local").placements()
        #expect(placements.map(\.endpoint) == ["127.0.0.1:26600", "127.0.0.1:26601", "127.0.0.1:26602"])
        #expect(placements.map(\.peerListen) == placements.map(\.endpoint), "loopback binds loopback")
        #expect(placements.map(\.apiListen) == ["127.0.0.1:26700", "127.0.0.1:26701", "127.0.0.1:26702"])
        #expect(placements.map(\.api) == placements.map(\.apiListen))
    }

    @Test func severalMachinesDialTheHostAndBindEveryAddress() throws {
        var testnet = Testnet(nodeCount: 4, chainID: "hosts")
        testnet.hosts = ["10.77.0.11", "node-b.example.org", "fd00::13", "10.77.0.11"]
        let placements = try testnet.placements()
        #expect(
            placements.map(\.endpoint) == [
                "10.77.0.11:26600", "node-b.example.org:26600", "[fd00::13]:26600", "10.77.0.11:26601",
            ], "one port per machine; a second node on a machine takes the next")
        #expect(placements.map(\.peerListen) == ["0.0.0.0:26600", "0.0.0.0:26600", "[::]:26600", "0.0.0.0:26601"])
        #expect(
            placements.map(\.apiListen) == ["127.0.0.1:26700", "127.0.0.1:26700", "127.0.0.1:26700", "127.0.0.1:26701"],
            "the API stays on each machine unless asked")

        testnet.apiListenHost = "0.0.0.0"
        let served = try testnet.placements()
        #expect(served.map(\.apiListen) == ["0.0.0.0:26700", "0.0.0.0:26700", "0.0.0.0:26700", "0.0.0.0:26701"])
        #expect(served.map(\.api) == ["10.77.0.11:26700", "node-b.example.org:26700", "[fd00::13]:26700", "10.77.0.11:26701"])
    }

    @Test func writtenHomesCarryThePlacement() throws {
        let folder = scratch("testnet-hosts")
        defer { try? FileManager.default.removeItem(at: folder) }
        var testnet = Testnet(nodeCount: 4, chainID: "hosts")
        testnet.hosts = ["10.77.0.11", "10.77.0.12", "10.77.0.13", "10.77.0.14"]
        testnet.apiListenHost = "0.0.0.0"
        let cluster = try testnet.write(to: folder)
        let genesis = try NodeHome(path: cluster.members[0].home).genesis()
        #expect(genesis.validators.map(\.endpoint) == (11...14).map { "10.77.0.\($0):26600" })
        #expect(cluster.members.map(\.api) == (11...14).map { "10.77.0.\($0):26700" })
        for member in cluster.members {
            let config = try NodeHome(path: member.home).config()
            #expect(config.peerListen == "0.0.0.0:26600")
            #expect(config.apiListen == "0.0.0.0:26700")
        }
        #expect(try ClusterFile.load(path: folder.appendingPathComponent("cluster.json").path) == cluster)
    }

    @Test(arguments: [
        (["a", "b", "c"], "names 3 hosts for 4 nodes"),
        (["10.0.0.1", "10.0.0.2", "10.0.0.300", "10.0.0.4"], "\"10.0.0.300\": not a valid IPv4 address"),
        (["10.0.0.1", "10.0.0.2", "10.1", "10.0.0.4"], "\"10.1\": not a valid IPv4 address"),
        (["10.0.0.1", "bad_name", "c", "d"], "\"bad_name\": a host name may hold only letters"),
        (["10.0.0.1", "-b", "c", "d"], "may not begin or end with a hyphen"),
        (["10.0.0.1", "b..example", "c", "d"], "1 to 63 characters"),
        (["10.0.0.1", "", "c", "d"], "\"\": empty"),
        (["fd00::zz", "b", "c", "d"], "\"fd00::zz\": not a valid IPv6 address"),
        (["0.0.0.0", "b", "c", "d"], "wildcard"),
        (["127.0.0.1", "b", "c", "d"], "\"127.0.0.1\" is loopback"),
        (["a", "b", "c", "localhost"], "\"localhost\" is loopback"),
        (["a", "b", "c", String(repeating: "x", count: 64)], "1 to 63 characters"),
    ])
    func badHostsAreClearErrors(hosts: [String], expected: String) throws {
        var testnet = Testnet(nodeCount: 4, chainID: "bad")
        testnet.hosts = hosts
        #expect {
            try testnet.placements()
        } throws: { error in
            (error as? TestnetError)?.description.contains(expected) == true
        }
    }

    @Test(arguments: [
        ("node-a", "must be an IP address"),
        ("10.77.0.11", "same address on every machine"),
        ("1.2.3", "not a valid IPv4 address"),
    ])
    func aBadAPIListenHostIsAClearError(apiListenHost: String, expected: String) throws {
        var testnet = Testnet(nodeCount: 2, chainID: "bad")
        testnet.hosts = ["10.77.0.11", "10.77.0.12"]
        testnet.apiListenHost = apiListenHost
        #expect {
            try testnet.placements()
        } throws: { error in
            (error as? TestnetError)?.description.contains(expected) == true
        }
    }

    @Test func portsOutOfRangeOrOverlappingAreClearErrors() throws {
        var testnet = Testnet(nodeCount: 4, chainID: "ports")
        testnet.peerPortBase = 65_534
        #expect(throws: TestnetError.self) { try testnet.placements() }
        testnet.peerPortBase = 26_700
        testnet.apiPortBase = 26_702
        #expect {
            try testnet.placements()
        } throws: { error in
            (error as? TestnetError)?.description.contains("overlap") == true
        }
        testnet.hosts = ["a", "b", "c", "d"]
        #expect(try testnet.placements().count == 4, "one port each on four machines: no overlap")
    }

    @Test func endpointsParseBackIncludingIPv6() throws {
        #expect(try parseHostPort("[fd00::13]:26600", field: "x") == ("fd00::13", 26600))
        #expect(try parseHostPort("[::]:26600", field: "x") == ("::", 26600))
        #expect(try parseHostPort("node-b.example.org:26600", field: "x") == ("node-b.example.org", 26600))
    }
}
