@testable import PBFT
import Testing

/// Quorum arithmetic against a naive search (as etcd's quorum/quick_test.go does).
@Suite struct QuorumTests {
    /// The smallest q such that any two q-subsets of n share f+1 members, found by brute force.
    static func naiveQuorum(n: Int, f: Int) -> Int {
        for q in 1...n where 2 * q - n >= f + 1 { return q }
        return n + 1
    }

    @Test(arguments: 1...20)
    func quorumIsTheSmallestIntersectingSetAndHonestReplicasReachIt(n: Int) {
        let quorum = Quorum(replicaCount: n)
        var f = 0
        while 3 * (f + 1) + 1 <= n { f += 1 }
        #expect(quorum.faultsMax == f)
        #expect(quorum.quorum == Self.naiveQuorum(n: n, f: f))
        #expect(quorum.quorum <= n - f, "n - f honest replicas must be able to form a quorum")
        #expect(quorum.weak == f + 1)
    }

    @Test func classicSizes() {
        #expect(Quorum(replicaCount: 4).quorum == 3)
        #expect(Quorum(replicaCount: 7).quorum == 5)
        #expect(Quorum(replicaCount: 5).quorum == 4)
        #expect(Quorum(replicaCount: 6).quorum == 4)
    }
}
